"""Grounding: every number an answer states must come from a tool result, a cited passage or the user.
Shared by the LLM guard and the evaluation metric."""
from __future__ import annotations

import json
import re
from typing import Any

RE_NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")
UNIT = {"万": 10_000, "亿": 100_000_000}
# Units only users type (6k, 1.5w, 1.2kw): a user's 6k supports the 6,000元 an answer writes for it.
TYPED_UNIT = {"kw": 10_000_000, "kW": 10_000_000, "Kw": 10_000_000, "KW": 10_000_000, "k": 1_000, "K": 1_000,
              "w": 10_000, "W": 10_000}


def number_values(text: str) -> set[float]:
    """Every number as written and, when followed by 万/亿, scaled: 50万 -> {50, 500000}."""
    out: set[float] = set()
    for m in RE_NUMBER.finditer(text or ""):
        try:
            v = float(m.group(0).replace(",", ""))
        except ValueError:
            continue
        out.add(round(v, 2))
        nxt = (text[m.end():m.end() + 1] or "")
        if nxt in UNIT:
            out.add(round(v * UNIT[nxt], 2))
        typed = next((u for u in TYPED_UNIT if text.startswith(u, m.end())), None)
        if typed:
            out.add(round(v * TYPED_UNIT[typed], 2))
    for token in re.findall(r"[零一二两三四五六七八九十百千万亿]+", text or ""):  # Chinese numerals in user messages
        try:
            import cn2an

            out.add(round(float(cn2an.cn2an(token.replace("两", "二"), "smart")), 2))
        except Exception:  # not a numeral after all
            continue
    return out


RE_LIST_MARKER = re.compile(r"(?m)^([ \t>*-]*)\d{1,2}[.)](?=[ \t])")


def answer_numbers(answer: str) -> set[float]:
    """Numbers the answer states, ignoring citation labels like 第九条 (Chinese numerals) and the markers of a
    numbered Markdown list; full-width digits and invisible characters are normalized first."""
    from assistant.numerals import normalize

    answer = RE_LIST_MARKER.sub(r"\1", normalize(answer or ""))
    out: set[float] = set()
    for m in RE_NUMBER.finditer(answer):
        v = float(m.group(0).replace(",", ""))
        nxt = answer[m.end():m.end() + 1]
        out.add(round(v * UNIT[nxt], 2) if nxt in UNIT else round(v, 2))
    return out


def supported_numbers(user_messages: list[str], citations: list[dict], tool_calls: list[dict]) -> set[float]:
    pool: set[float] = set()
    for t in user_messages:
        pool |= number_values(t)
    for c in citations:
        pool |= number_values(c.get("quote", "")) | number_values(c.get("doc_title", ""))
    for tc in tool_calls:
        pool |= number_values(json.dumps(tc, ensure_ascii=False))
        pool |= _json_numbers(tc)
    return pool


def _json_numbers(obj: Any) -> set[float]:
    out: set[float] = set()
    if isinstance(obj, bool):
        return out
    if isinstance(obj, (int, float)):
        out.add(round(float(obj), 2))
        if obj and float(obj) < 1:
            out.add(round(float(obj) * 100, 2))  # rates as percents
    elif isinstance(obj, dict):
        for v in obj.values():
            out |= _json_numbers(v)
    elif isinstance(obj, list):
        for v in obj:
            out |= _json_numbers(v)
    return out


def unsupported(answer: dict, user_messages: list[str]) -> list[float]:
    pool = supported_numbers(user_messages, answer.get("citations", []), answer.get("tool_calls", []))
    return sorted(n for n in answer_numbers(answer.get("answer", "")) if n not in pool)


