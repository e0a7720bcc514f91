"""Placeholders: the model names a figure, the service writes it.

`{{compute_living_subsidy.amount}}` is a field of the last result of that tool (`{{tool[2].caps.0.value}}` picks the
second call); `{{cite:measures/第九条#3000元/月}}` is a figure quoted from an article, checked to be written there
exactly (not a part of a longer number, its unit included). Unknown tools, fields that are null, figures the article
does not write: each is a violation with a reason the retry prompt can name.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from assistant.evidence import RE_CLAUSE, Corpus
from assistant.numerals import CN_NUMERAL, normalize, rules
from tools.money import yuan

RE_PLACEHOLDER = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
RE_TOOL_REF = re.compile(r"^([a-z_]+)(?:\[(\d+)\])?((?:\.[A-Za-z_0-9]+)+)$")
UNIT_AFTER = re.compile(r"^[ \t]*[0-9万亿千百元块%％]")
DIGITISH = "0123456789.,"
# What may not touch a figure: a unit or a multiplier (3w元, 72,000元的3倍), an arithmetic sign, and after a
# figure that ends in a digit, any digit, numeral or unit at all (3 + 2000元/月 = 32000元/月).
MULTIPLIER = set("万亿千百元块%％倍番wWkK")
OPERATOR = set("×*÷+=xX乘除")
RE_BARE = re.compile(r"^[0-9.,\s]+$")
MONEY_KEYS = {"amount", "max_amount", "estimate"}


@dataclass
class Figure:
    span: tuple[int, int]
    ref: str
    value: str | None = None
    error: str | None = None
    tool_index: int | None = None  # which call in the trace supplied it
    citation: dict | None = None  # {"doc", "section", "quote"} for a quoted figure
    benefits: set[str] = field(default_factory=set)
    clauses: list[str] = field(default_factory=list)  # source clauses holding a quoted figure


def _walk(result: Any, path: list[str]) -> tuple[Any, list[dict]]:
    node, dicts = result, []
    for key in path:
        if isinstance(node, dict):
            dicts.append(node)
            node = node.get(key)
        elif isinstance(node, list) and key.isdigit() and int(key) < len(node):
            node = node[int(key)]
        else:
            return None, dicts
    return node, dicts


def _format(value: Any, key: str, dicts: list[dict]) -> str | None:
    """Money fields as the tools write money (72,000元, 100万元); a cap's value with its own unit (36个月)."""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, (int, float)):
        owner = dicts[-1] if dicts else {}
        unit = owner.get("unit") if key == "value" else (owner.get("unit") or "元") if key in MONEY_KEYS else None
        return yuan(value) if unit == "元" else f"{value:g}{unit or ''}"
    if isinstance(value, str) and value:
        return value
    return None


def _tool_figure(fig: Figure, tool_calls: list, corpus: Corpus) -> None:
    m = RE_TOOL_REF.match(fig.ref)
    if not m:
        fig.error = f"占位符 {{{{{fig.ref}}}}} 写法不对"
        return
    name, nth, path = m.group(1), m.group(2), m.group(3).strip(".").split(".")
    calls = [i for i, t in enumerate(tool_calls) if t.name == name]
    if not calls:
        fig.error = f"占位符 {{{{{fig.ref}}}}} 引用的工具 {name} 本轮没有调用"
        return
    idx = calls[int(nth) - 1] if nth and 0 < int(nth) <= len(calls) else calls[-1]
    result = tool_calls[idx].result if isinstance(tool_calls[idx].result, dict) else {}
    value, dicts = _walk(result, path)
    fig.value = _format(value, path[-1], dicts)
    if fig.value is None:
        fig.error = f"占位符 {{{{{fig.ref}}}}} 在工具结果中没有值"
        return
    fig.tool_index = idx
    owner = next((d for d in reversed(dicts) if d.get("policy_id")), {})
    fig.benefits = {owner["policy_id"]} if owner.get("policy_id") in {b.id for b in corpus.benefits} else set()


def _occurrences(text: str, figure: str) -> list[int]:
    """Where the article writes the figure whole: not inside a longer number, not missing its unit."""
    out = []
    for m in re.finditer(re.escape(figure), text):
        before, after = text[m.start() - 1:m.start()], text[m.end():m.end() + 1]
        if (before and before in DIGITISH and figure[:1] in DIGITISH) or (after and UNIT_AFTER.match(after)):
            continue
        out.append(m.start())
    return out


def _cite_figure(fig: Figure, corpus: Corpus) -> None:
    body = fig.ref[len("cite:"):]
    doc, _, rest = body.partition("/")
    label, _, figure = rest.partition("#")
    sec = corpus.section(doc.strip(), label.strip())
    figure = figure.strip()
    if sec is None or not figure or not any(ch.isdigit() or ch in CN_NUMERAL for ch in figure):
        fig.error = f"占位符 {{{{{fig.ref}}}}} 找不到条款“{doc}/{label}”或没有写数字"
        return
    if RE_BARE.match(figure):  # a bare 3 (from 3年内) is an operand, not a figure the article states
        fig.error = f"占位符 {{{{{fig.ref}}}}} 只写了数字，须连同原文的单位一起引用（如 3000元/月、3年内）"
        return
    text = normalize(sec.text)
    hits = _occurrences(text, figure)
    if not hits:
        fig.error = f"条款 {sec.label} 中没有“{figure}”这个数字（须与原文完全一致，含单位）"
        return
    fig.value = figure
    clauses = [c for c in RE_CLAUSE.finditer(text) if any(c.start() <= h < c.end() for h in hits)]
    fig.clauses = [c.group(0) for c in clauses]
    sentence = next((s for s in sec.sentences() if figure in normalize(s)), sec.text)
    fig.citation = {"doc": sec.doc, "doc_title": sec.doc_title, "section": sec.label, "quote": sentence[:300]}
    fig.benefits = corpus.benefits_for(sec.doc, sec.label, figure)


def resolve(text: str, tool_calls: list, corpus: Corpus) -> list[Figure]:
    """Every placeholder of the (normalized) text, resolved against this run's tool results and the sources."""
    figures = []
    for m in RE_PLACEHOLDER.finditer(text):
        fig = Figure(span=m.span(), ref=m.group(1).strip())
        if fig.ref.startswith("cite:"):
            _cite_figure(fig, corpus)
        else:
            _tool_figure(fig, tool_calls, corpus)
        figures.append(fig)
    for i, fig in enumerate(figures):
        if fig.value and not fig.error and _touches_number(text, figures, i):
            fig.error = (f"占位符 {{{{{fig.ref}}}}} 紧挨着数字、单位、倍数或另一个数字占位符"
                         "（每个数字须单独成立，不能拼接、加单位或写倍数）")
    return figures


def _numeric(ch: str) -> bool:
    return bool(ch) and (ch.isdigit() or ch in CN_NUMERAL or ch in ".,")


def _touches_number(text: str, figures: list[Figure], i: int) -> bool:
    """Whether figure i is joined to a neighbour (the literal text, or an adjacent figure's value) into another
    number: 3 then 2000元/月, 72,000元 then 倍 or w, × on either side. A name then a figure (三年累计最高100万元)
    is fine."""
    fig = figures[i]
    before, after = text[:fig.span[0]].rstrip(" \t"), text[fig.span[1]:].lstrip(" \t")
    prev = figures[i - 1] if i and figures[i - 1].span[1] == len(before) else None
    nxt = figures[i + 1] if i + 1 < len(figures) and figures[i + 1].span[0] == len(text) - len(after) else None
    left = (prev.value or "")[-1:] if prev else before[-1:]
    right = (nxt.value or "")[:1] if nxt else after[:1]
    first, last = fig.value[:1], fig.value[-1:]
    if left in OPERATOR or right in OPERATOR or right in MULTIPLIER:
        return True
    if prev and _numeric(left) and _numeric(first):  # a digit the model wrote is a violation of its own (or 1. a list)
        return True
    if _numeric(last):  # a bare figure: nothing numeric and no unit may follow it
        units = rules()["quantity_units"] + ["个", "成"]
        return _numeric(right) or any((after if not nxt else nxt.value or "").startswith(u) for u in units)
    return right.isdigit() and last in MULTIPLIER  # 72,000元 then 3...


def fill(text: str, figures: list[Figure]) -> str:
    out, last = [], 0
    for f in figures:
        out += [text[last:f.span[0]], f.value or ""]
        last = f.span[1]
    return "".join(out + [text[last:]])
