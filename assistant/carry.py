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
