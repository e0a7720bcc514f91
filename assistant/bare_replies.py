"""Bare replies to the assistant's own question ("28" after 您今年多少周岁？, "是" after 学历是全日制的吗？): the
understanding stage reads them as the sentence they answer, so a founder can finish a conversation in short replies.
The questions and the sentences are data (knowledge/lexicon/replies.yaml); a reply that fits no open question, or
holds more than one number, is read as it is, never guessed."""
from __future__ import annotations

import re

from assistant.lexicon import load
from tools.values import parse_amount, parse_bool

BARE_NUMBER = re.compile(r"^\s*(?:我|今年|大概|约)?\s*([0-9]{1,4}(?:\.[0-9]+)?|[零〇一二两三四五六七八九十百]{1,6})\s*"
                         r"(?:岁|周岁|平|平米|平方|平方米|㎡)?\s*(?:了|吧)?\s*[。.!！]?\s*$")
BARE_AMOUNT = re.compile(r"^\s*(?:大概|约)?\s*([0-9]+(?:\.[0-9]+)?\s*(?:万|w|W|k|K|千)?\s*元?|[零〇一二两三四五六七八九十百千]+万元?)"
                         r"\s*(?:左右)?\s*[。.!！]?\s*$")
NTH_YEAR = re.compile(r"第\s*([0-9一二三])\s*年")
CN_YEARS = {"一": "1", "二": "2", "三": "3"}
PUNCT = "。.!！，,~～ "


def open_question(follow_up: list[str]) -> str | None:
    """The question the assistant put to the user in this answer (the first follow-up that is one), if any."""
    rules = load("replies")["open_questions"]
    return next((q for q in follow_up if any(r["asks"] in q for r in rules)), None)


def as_sentence(message: str, asked: str | None, last_topic: str | None = None) -> str | None:
    """The sentence a bare reply stands for, given the open question; None when it is no bare reply to it."""
    lex = load("replies")
    text = (message or "").strip()
    if not text or len(text) > lex.get("max_chars", 12):
        return None
    if last_topic and _only_a_total(text, lex["totals"]):
        return lex["totals"]["say"]  # 两个加起来, 一共呢: the total of what was just computed
    rule = next((r for r in lex["open_questions"] if asked and r["asks"] in asked), None)
    if rule is None:
        return None
    return _number(text, rule) or _amount(text, rule, asked) or _yes_no(text, rule)


def _only_a_total(text: str, totals: dict) -> bool:
    """The reply asks for the total and says nothing else (三年一共呢 names its years: read as it is)."""
    if not any(w in text for w in totals["words"]):
        return False
    rest = text
    for w in sorted(totals["words"] + totals["filler"], key=len, reverse=True):
        rest = rest.replace(w, "")
    return not rest.strip(PUNCT + "？?")


def _number(text: str, rule: dict) -> str | None:
    m = BARE_NUMBER.match(text)
    if not m or "number" not in rule:
        return None
    from assistant.understand import to_number

    n = to_number(m.group(1))
    lo, hi = rule.get("number_range", [0, 10 ** 6])
    if n is None or not lo <= n <= hi:
        return None
    return rule["number"].format(n=int(n) if n == int(n) else n)


def _amount(text: str, rule: dict, asked: str) -> str | None:
    m = BARE_AMOUNT.match(text)
    if not m or "amount" not in rule or not re.search(r"[万wWkK千元]", m.group(1)):
        return None  # a bare 80 could be 80元 or 80万: not guessed
    try:
        parse_amount(m.group(1).replace(" ", ""))
    except ValueError:
        return None
    year = NTH_YEAR.search(asked)
    return rule["amount"].format(amount=m.group(1).replace(" ", ""),
                                 year=CN_YEARS.get(year.group(1), year.group(1)) if year else "1")


def _yes_no(text: str, rule: dict) -> str | None:
    if "if_yes" not in rule:
        return None
    try:
        answer = parse_bool(text.strip(PUNCT), rule.get("field"))
    except ValueError:
        return None
    if answer is None:
        return None
    return rule["if_yes"] if answer else rule["if_no"]
