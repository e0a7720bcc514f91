"""The lexicon files under knowledge/lexicon/, loaded once: vocabulary is data, the code only reads it."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

LEXICON = Path(__file__).resolve().parent.parent / "knowledge" / "lexicon"


@lru_cache(maxsize=8)
def load(name: str) -> dict:
    return yaml.safe_load((LEXICON / f"{name}.yaml").read_text(encoding="utf-8")) or {}


def ledger_periods() -> dict:
    """Period words before an amount and how many periods a year holds (每个月 -> 12)."""
    return load("ledger")["periods"]


def other_durations() -> list[str]:
    """Words of a clause whose period counts something else (社保交了3个月): no benefit's months."""
    return load("ledger").get("other_durations", [])


@lru_cache(maxsize=1)
def task_request_pattern():
    """A request to make something (帮我写一份商业计划书, 生成一段爬虫代码): an ask, a verb and the thing within a
    clause, or a message that starts with a verb and the thing. Built from knowledge/lexicon/tasks.yaml."""
    import re

    t = load("tasks")
    alt = lambda words: "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))  # noqa: E731
    thing = rf"[^，,。；;？?！!]{{0,20}}?(?P<thing>{alt(t['artifacts'])})"
    return re.compile(rf"(?:(?:{alt(t['asks'])})[^，,。；;？?！!]{{0,6}}?|^\s*)(?P<verb>{alt(t['verbs'])}){thing}")


def task_reply(task: str) -> tuple[str, list[str]]:
    """The polite refusal of a task request and the questions it suggests instead."""
    t = load("tasks")
    return t["reply"].format(task=task), list(t.get("suggestions", []))
