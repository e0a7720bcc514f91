"""The measures' validity period: what a multi-year benefit counts from a start date, and what falls after the end.

"本政策自印发之日起施行，有效期至2028年12月31日……期间国家、省、市如新出台有关规定，按照最新政策调整执行。"
A month or a year that begins after the end date is not counted; the answer says so and why.
"""
from __future__ import annotations

import os
from datetime import date, timedelta

from tools.rules import policy_book


def valid_until() -> date:
    v = policy_book().meta.valid_until
    return v if isinstance(v, date) else date.fromisoformat(str(v))


def today() -> date:
    """Today, or OPC_TODAY (YYYY-MM-DD) so that golden cases and tests do not depend on the day they run."""
    pinned = os.environ.get("OPC_TODAY")
    return date.fromisoformat(pinned) if pinned else date.today()


def add_months(d: date, months: int) -> date:
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    last = [31, 29 if year % 4 == 0 and (year % 100 or year % 400 == 0) else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
    return date(year, month, min(d.day, last[month - 1]))


def cn(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def months_inside(start: date, months: int) -> int:
    """How many of `months` monthly periods from `start` begin on or before the end of validity."""
    end = valid_until()
    return sum(1 for k in range(months) if add_months(start, k) <= end)


def after_note(start: date, counted: int, total: int, unit: str) -> str:
    """Why the periods after the end date are not counted."""
    end = valid_until()
    first_out = add_months(start, counted * (12 if unit == "年" else 1))
    return (f"从{cn(start)}起算，第{counted + 1}{unit if unit == '年' else '个月'}起（{cn(first_out)}起）在本政策有效期"
            f"（至{cn(end)}）之后，共{total - counted}{unit if unit == '年' else '个月'}未计入：有效期后是否继续支持，"
            "以届时国家、省、市的最新规定为准。")


def straddle_note(start: date, year: int) -> str | None:
    """A year that begins inside the period but ends after it: counted, with the part after the end named."""
    begin, finish = add_months(start, 12 * (year - 1)), add_months(start, 12 * year)
    end = valid_until()
    if begin <= end < finish - timedelta(days=1):
        return (f"第{year}年（{cn(begin)}起）有一部分在有效期（至{cn(end)}）之后；有效期后发生的部分是否支持，文件未规定，"
                "以届时的规定为准。")
    return None
