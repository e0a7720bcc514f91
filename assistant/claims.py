"""Claims without numbers, checked against the data: article labels, departments, absolute phrases, and which
benefit a sentence's figure belongs to. Each check returns violations worded for the retry prompt."""
from __future__ import annotations

import re

from assistant.evidence import Corpus
from assistant.numerals import LABEL_ARTICLE, LABEL_ITEM, LABEL_ORDINAL_YEAR, MASK, normalize, rules
from assistant.placeholders import Figure

RE_DEPARTMENT = re.compile(r"(?:市|省)[\u4e00-\u9fa5A-Za-z]{1,10}?(?:委员会|办公室|局|委|办|集团|分行|中心|厅)"
                           r"|[\u4e00-\u9fa5]{2,6}?(?:集团|分行)")
RE_SENTENCE = re.compile(r"[^。！？\n]+|\n")


def check_labels(text: str, cited: list[dict], corpus: Corpus) -> tuple[list[str], list[tuple[int, int]]]:
    """Labels written in the answer (第九条, （五）, 三、) must exist and be among the cited sections.
    Returns violations and the spans to mask before the numeral scan (a label is not an amount)."""
    bad, spans = [], []
    cited_labels = [c["section"] for c in cited]
    for rx in (LABEL_ARTICLE, LABEL_ITEM):
        for m in rx.finditer(text):
            label = m.group(0).replace("(", "（").replace(")", "）")
            spans.append(m.span())
            if not corpus.label_exists(label):
                bad.append(f"文件中没有“{label}”这一条款")
            elif not any(label in c for c in cited_labels):
                bad.append(f"“{label}”不在本次回答引用的条款中（先检索或调用工具）")
    for m in LABEL_ORDINAL_YEAR.finditer(text):
        spans.append(m.span())
        if m.group(0) not in corpus.all_text:
            bad.append(f"文件中没有“{m.group(0)}”的规定")
    return bad, spans


def departments(text: str, corpus: Corpus) -> set[str]:
    found = {u for u in corpus.known_units() if len(u) >= 3 and u in text}
    found |= {m.group(0) for m in RE_DEPARTMENT.finditer(text)}
    return {d for d in found if not any(d != o and d in o for o in found)}  # keep the longest spelling


def check_departments(text: str, units: set[str], corpus: Corpus) -> list[str]:
    """Every department named must be a responsible unit of an article the answer cites."""
    ok = lambda d: any(d in u or u in d for u in units if len(u) >= 3)  # noqa: E731
    return [f"“{d}”不是所引条款列出的责任单位" for d in sorted(departments(text, corpus)) if not ok(d)]


def check_absolutes(text: str, cited_texts: list[str]) -> list[str]:
    """无需任何条件 / 所有…都适用 / 不设上限 / 一定能拿到: only when the cited text itself says so."""
    cited = normalize("\n".join(cited_texts))
    bad = []
    for pattern in rules()["absolute_phrases"]:
        for m in re.finditer(pattern, text):
            if m.group(0) not in cited:
                bad.append(f"绝对化表述“{m.group(0)}”没有原文依据")
    return bad


def check_bindings(masked: str, figures: list[Figure], corpus: Corpus) -> list[str]:
    """A benefit named in a sentence must be the one whose tool result or article supplies the sentence's figure;
    a quoted figure stated for 第N年 must come from the clause about that year. `masked` has the placeholders
    blanked (same positions), so a sentence without a benefit name inherits the previous one of its paragraph."""
    bad, named_before = [], set()
    for m in RE_SENTENCE.finditer(masked):
        if m.group(0) == "\n":
            named_before = set()
            continue
        sentence = m.group(0)
        figs = [f for f in figures if f.value and m.start() <= f.span[0] < m.end()]
        named = corpus.named_benefits(sentence) or named_before
        named_before = named
        sources = set().union(*(f.benefits for f in figs)) if figs else set()
        if sources and named - sources:
            titles = "、".join(b.title for b in corpus.benefits if b.id in named - sources)
            bad.append(f"句子“{sentence.replace(MASK, '…').strip()[:30]}”说的是{titles}，但其中的数字不是这项政策的")
        bad += _year_bindings(sentence, figs)
    return bad


def _year_bindings(sentence: str, figs: list[Figure]) -> list[str]:
    years = set(LABEL_ORDINAL_YEAR.findall(sentence))
    bad = []
    for f in figs:
        clause_years = {y for c in f.clauses for y in LABEL_ORDINAL_YEAR.findall(c)}
        if years and clause_years and not years & clause_years:
            bad.append(f"“{f.value}”在原文中是{'、'.join(sorted(clause_years))}的规定，不是{'、'.join(sorted(years))}")
    return bad
