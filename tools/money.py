"""Reading and writing amounts the way Chinese users and the policy text write them."""
from __future__ import annotations

import re
from typing import Annotated

import cn2an
from pydantic import BeforeValidator, NonNegativeFloat

RE_NUM = re.compile(r"^[0-9]+(?:\.[0-9]+)?$")
UNITS = {"亿": 100_000_000, "万": 10_000, "千": 1_000, "k": 1_000, "K": 1_000, "w": 10_000, "W": 10_000}


def parse_amount(text: str | float | int) -> float:
    """'50万' / '五十万' / '1.5万元' / '1,500,000元' / 300000 -> yuan as float. Raises ValueError."""
    if isinstance(text, (int, float)):
        if text != text or text in (float("inf"), float("-inf")):
            raise ValueError("金额无效")
        return float(text)
    s = str(text).strip().replace(",", "").replace("，", "").replace(" ", "")
    s = re.sub(r"(人民币|元|块钱|块)$", "", s)
    if not s:
        raise ValueError("金额为空")
    mult = 1
    if s[-1] in UNITS and RE_NUM.match(s[:-1] or "x"):
        return float(s[:-1]) * UNITS[s[-1]]
    if RE_NUM.match(s):
        return float(s) * mult
    try:
        return float(cn2an.cn2an(s, "smart"))
    except (ValueError, KeyError, TypeError, IndexError) as exc:
        raise ValueError(f"无法识别的金额：{text}") from exc


def yuan(amount: float | None) -> str:
    """Arabic digits with a unit: 100万元, 30万元, 23,450元, 1.5万元 stays exact as 15,000元."""
    if amount is None:
        return "—"
    a = round(float(amount), 2)
    if a >= 10_000 and a % 10_000 == 0:
        wan = int(a // 10_000)
        return f"{wan:,}万元" if wan < 10_000 else f"{a / 1e8:g}亿元"
    if a == int(a):
        return f"{int(a):,}元"
    return f"{a:,.2f}元"


def pct(rate: float) -> str:
    v = rate * 100
    return f"{v:g}%"


def _money(v):
    return None if v is None else parse_amount(v)


def _money_list(v):
    if v is None:
        return v
    if isinstance(v, (str, int, float)):
        v = [v]
    return [parse_amount(x) for x in v]


# Amounts as users write them (50万, 五十万, 1,500,000元), parsed before validation; never negative.
Money = Annotated[NonNegativeFloat, BeforeValidator(_money)]
Monies = Annotated[list[NonNegativeFloat], BeforeValidator(_money_list)]
