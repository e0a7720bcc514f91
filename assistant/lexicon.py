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
