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


def asked_all(text: str) -> list[tuple[FactKind, str]]:
    """Every kind of fact the question asks for, with its subject (the two characters before the asking word
    when they name what is asked about: 缴存比例)."""
    out = []
    for kind in kinds():
        if m := kind.asked.search(text):
            subject = text[max(0, m.start() - 2):m.start()] if kind.subject else ""
            if not SUBJECT.fullmatch(subject) or NOT_A_SUBJECT.search(subject) or subject in BENEFIT_WORDS:
                subject = ""
            out.append((kind, subject))
    return out


def asked(text: str) -> tuple[FactKind, str] | None:
    """The first kind of fact the question asks for, with its subject, or None."""
    found = asked_all(text)
    return found[0] if found else None


def unstated(text: str, quotes: list[str], own: str = "") -> FactKind | None:
    """A kind of fact asked for that no evidence quote states (the 基数 of 基数是多少？按多少比例交？ even when some
    quote states a ratio); None when none is asked or all are stated. `own` is the asked topic's own article: it
    speaks of the subject already, so stating the kind is enough."""
    for kind, subject in asked_all(text):
        if own and kind.stated.search(own) and (not subject or any(c in own for c in subject)):
            continue  # the topic's article states it (补贴比例 vs 奖补 of 算力券), not some other ratio (研发投入占比)
        if not any(_states(kind, subject, q) for q in quotes):
            return kind
    return None


def _states(kind: FactKind, subject: str, quote: str) -> bool:
    """The quote states the kind of fact about the subject: near it (正常缴费…70%缴纳租金 states no 缴费比例)."""
    if not subject:
        return bool(kind.stated.search(quote))
    return any(kind.stated.search(quote[max(0, i - NEAR):i + len(subject) + NEAR])
               for i in (m.start() for m in re.finditer(re.escape(subject), quote)))
