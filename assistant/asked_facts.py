"""Questions for a kind of fact (a date, a loan rate, a contact, a price, a product choice) that the documents
answer only when the evidence states one. The kinds and their patterns live in knowledge/asked_facts.yaml; a kind
asked about and stated nowhere in the evidence is refused on that evidence, not on a word."""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

PATH = Path(__file__).resolve().parent.parent / "knowledge" / "asked_facts.yaml"
SUBJECT = re.compile(r"[\u4e00-\u9fff]{2}")
NOT_A_SUBJECT = re.compile(r"[的么少几个啥哪]")
BENEFIT_WORDS = ("补贴", "补助", "奖励", "奖补", "支持", "资助", "贴息")  # 补贴比例 names the topic's own rate
NEAR = 12  # characters around the subject within which the evidence must state the kind of fact


@dataclass(frozen=True)
class FactKind:
    name: str
    label: str
    asked: re.Pattern
    stated: re.Pattern
    subject: bool = False
    not_a_step: bool = False


@lru_cache(maxsize=1)
def kinds() -> tuple[FactKind, ...]:
    raw = yaml.safe_load(PATH.read_text(encoding="utf-8"))["kinds"]
    return tuple(FactKind(k["name"], k["label"], re.compile(k["asked"]), re.compile(k["stated"]),
                          bool(k.get("subject")), bool(k.get("not_a_step"))) for k in raw)


def asked(text: str) -> tuple[FactKind, str] | None:
    """The first kind of fact the question asks for, with its subject (the two characters before the asking word
    when they name what is asked about: 缴存比例), or None."""
    for kind in kinds():
        if m := kind.asked.search(text):
            subject = text[max(0, m.start() - 2):m.start()] if kind.subject else ""
            if not SUBJECT.fullmatch(subject) or NOT_A_SUBJECT.search(subject) or subject in BENEFIT_WORDS:
                subject = ""
            return kind, subject
    return None


def unstated(text: str, quotes: list[str], own: str = "") -> FactKind | None:
    """The kind of fact asked for when no evidence quote states one; None when none is asked or it is stated.
    `own` is the asked topic's own article: it speaks of the subject already, so stating the kind is enough."""
    found = asked(text)
    if not found:
        return None
    kind, subject = found
    if own and kind.stated.search(own) and (not subject or any(c in own for c in subject)):
        return None  # the topic's article states it (补贴比例 vs 奖补 of 算力券), not some other ratio (研发投入占比)
    return None if any(_states(kind, subject, q) for q in quotes) else kind


def _states(kind: FactKind, subject: str, quote: str) -> bool:
    """The quote states the kind of fact about the subject: near it (正常缴费…70%缴纳租金 states no 缴费比例)."""
    if not subject:
        return bool(kind.stated.search(quote))
    return any(kind.stated.search(quote[max(0, i - NEAR):i + len(subject) + NEAR])
               for i in (m.start() for m in re.finditer(re.escape(subject), quote)))
