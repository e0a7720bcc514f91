"""A turn that continues the last calculation (那如果是博士呢, 三年一共呢, 最多能拿多少？) keeps that calculation's
facts and changes only what it says anew, so a what-if reruns the same tool with the changed field."""
from __future__ import annotations

import re

from assistant.catalog import filled
from assistant.understand import Slots

# A short question for an amount that names nothing else (最多能拿多少？, 一共多少？): it asks about the last topic.
BARE_FOLLOW_UP = re.compile(r"^[^，,。；;]{0,10}(多少|几万|几年|几个月|多久|呢|还有吗|还有没有|还能拿吗|还能领吗)[？?]?$")
NTH_YEAR = re.compile(r"第\s*[0-9一二三四五六七八九十]+\s*年")
TOTAL = re.compile(r"加起来|一共|总共|合计|累计|总计")
PERIOD_FIELDS = {"years", "months", "annual_spend"}  # inputs that make one call cover several periods
FLAGS = ("order_unknown", "years_framed")  # facts said once hold for the figures they were said about


def is_bare_follow_up(text: str) -> bool:
    return bool(BARE_FOLLOW_UP.search(text.strip()))


def carry(last: dict | None, now: Slots, text: str, tool_fields: set[str]) -> Slots:
    """This turn's facts over the last calculation's. Nothing is carried into a question the last calculation
    cannot answer: a year named anew (第四年还有吗, 那第二年呢: no spend or loan is assumed for a year the user never
    gave), or a total over several periods for a tool that computes one period (两年加起来: the tool would answer
    one year's figure as the total)."""
    if not last or now.nth_year is not None or now.annual or NTH_YEAR.search(text):
        return now
    if TOTAL.search(text) and not tool_fields & PERIOD_FIELDS:
        return now
    base = Slots.model_validate(last)
    update = {k: getattr(now, k) for k in Slots.model_fields if k not in FLAGS and filled(getattr(now, k))}
    update.update({k: getattr(base, k) or getattr(now, k) for k in FLAGS})
    return base.model_copy(update=update)


# Items of one year told over several turns (90万的合同…又签了一笔200万的…两笔加起来一共多少？).
ADDED = re.compile(r"又|再签|另(?:一|外一?)(?:笔|份|单|家)|还有一笔|新签|追加")
ITEMS_TOTAL = re.compile(r"([两二三四五六七八九十]|[2-9])\s*(笔|份|单|个合同)[^，,。；;？?]{0,8}(加起来|一共|合计|总共|共计)"
                         r"|(加起来|一共|合计|总共|共计)[^，,。；;？?]{0,4}([两二三四五六七八九十]|[2-9])\s*(笔|份|单)")
CALENDAR_WORD = re.compile(r"今年|去年|前年|明年|后年|\d{4}\s*年")


def remember_items(ledger: dict | None, topic: str, items: list[float], text: str) -> dict:
    """The items of this topic told so far: an added one (又签了一笔…) joins those of the same year; anything else
    starts the list anew."""
    year = (CALENDAR_WORD.search(text) or [None])[0]
    same_year = ledger is not None and (year is None or ledger.get("year") in (None, year))
    if ledger and ledger.get("topic") == topic and ADDED.search(text) and same_year:
        return {"topic": topic, "items": ledger["items"] + items, "year": ledger.get("year") or year}
    return {"topic": topic, "items": list(items), "year": year}


def items_total(ledger: dict | None, topic: str | None, now: Slots, text: str) -> Slots:
    """两笔加起来一共多少？ after the items were told one by one: the tool runs on all of them together."""
    if not ledger or ledger.get("topic") != topic or now.amounts or not ITEMS_TOTAL.search(text):
        return now
    if len(ledger["items"]) < 2:
        return now
    return now.model_copy(update={"amounts": list(ledger["items"]), "years_framed": True})
