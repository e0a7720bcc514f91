"""Reading and writing amounts the way Chinese users and the policy text write them."""
from __future__ import annotations

from typing import Annotated

from pydantic import BeforeValidator, NonNegativeFloat

from tools.values import fen, parse_amount, parse_amount_list  # noqa: F401  (parse_amount re-exported)


def yuan(amount: float | None) -> str:
    """Arabic digits with a unit: 100万元, 30万元, 23,450元, 1.5万元 stays exact as 15,000元."""
    if amount is None:
        return "—"
    a = fen(amount)
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
    return None if v is None else parse_amount_list(v)


# Amounts as users write them (50万, 五十万, 1,500,000元), parsed before validation; never negative.
Money = Annotated[NonNegativeFloat, BeforeValidator(_money)]
Monies = Annotated[list[NonNegativeFloat], BeforeValidator(_money_list)]
