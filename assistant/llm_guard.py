"""The deterministic review of an LLM draft: placeholders resolved, no numeral of the model's own, claims checked,
citations = the evidence the draft used. A draft with any violation is not shown; the agent retries once with the
violations named, then the rules answer is used.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from assistant.claims import (check_absolutes, check_bindings, check_deadlines_and_contacts, check_departments,
                             check_labels, check_negated_conditions)
from assistant.contract import Citation
from assistant.evidence import Corpus
from assistant.numerals import find_numerals, mask, normalize
from assistant.placeholders import Figure, fill, resolve


@dataclass
class Review:
    violations: list[str]
    text: str = ""
    citations: list[Citation] = field(default_factory=list)


def _evidence(text: str, figures: list[Figure], tool_calls: list, passages: list[dict], corpus: Corpus) -> list[dict]:
    """The passages and tool results the draft used: tools whose figures it placed (or whose article it names),
    the articles of its quoted figures, and retrieved passages whose label it names."""
    used_tools = {f.tool_index for f in figures if f.tool_index is not None}
    out: list[dict] = []
    for i, t in enumerate(tool_calls):
        art = t.result.get("article") if isinstance(t.result, dict) else None
        if art and (i in used_tools or art["section"] in text):
            out.append({"doc": art["doc"], "doc_title": corpus.titles.get(art["doc"], art["doc"]),
                        "section": art["section"], "quote": art["quote"][:300],
                        "units": set(t.result.get("responsible") or [])})
    out += [{**f.citation, "units": set()} for f in figures if f.citation]
    for p in passages:
        if p["section"] in text or _short_label(p["section"]) in text:
            out.append({"doc": p["doc"], "doc_title": p["doc_title"], "section": p["section"],
                        "quote": p["quote"][:300], "units": set(), "text": p.get("text", "")})
    for c in out:
        c["units"] |= corpus.units_of(c["doc"], c["section"])
    return out


def _short_label(label: str) -> str:
    """（五）完善OPC社区服务 is named as （五） in prose; 第九条 as itself."""
    return label.split("）")[0] + "）" if label.startswith("（") else label


def _citations(evidence: list[dict]) -> list[Citation]:
    seen, out = set(), []
    for c in evidence:
        key = (c["doc"], c["section"], c["quote"])
        if key not in seen:
            seen.add(key)
            out.append(Citation(doc=c["doc"], doc_title=c["doc_title"], section=c["section"], quote=c["quote"]))
    return out


def review(draft: str, tool_calls: list, passages: list[dict], corpus: Corpus,
           prior: list[str] | None = None) -> Review:
    """`prior`: violations found before the draft was written (tool arguments the user's words do not support)."""
    text = normalize(draft).strip()
    bad = list(prior or [])
    figures = resolve(text, tool_calls, corpus)
    bad += [f.error for f in figures if f.error]
    masked = mask(text, [f.span for f in figures])
    if "{" in masked or "}" in masked:
        bad.append("有不完整的占位符（应写成 {{工具名.字段}} 或 {{cite:文件/条款#原文数字}}）")
    evidence = _evidence(masked, figures, tool_calls, passages, corpus)
    label_bad, label_spans = check_labels(masked, evidence, corpus)
    bad += label_bad
    bad += [f"自行写出的数字“{n.text}”（数字只能用占位符）" for n in find_numerals(mask(masked, label_spans))]
    cited_texts = [c["quote"] for c in evidence] + [c.get("text", "") for c in evidence]
    cited_texts += [corpus.section(c["doc"], c["section"]).text for c in evidence if corpus.section(c["doc"], c["section"])]
    units = set().union(*(c["units"] for c in evidence)) if evidence else set()
    bad += check_departments(masked, units, corpus, cited_texts)
    bad += check_absolutes(masked, cited_texts) + check_deadlines_and_contacts(masked, cited_texts)
    bad += check_negated_conditions(masked, cited_texts)
    bad += check_bindings(masked, figures, corpus)
    if not evidence:
        bad.append("回答没有使用任何检索原文或工具结果（先检索或调用工具，并注明条款）")
    if bad:
        return Review(violations=list(dict.fromkeys(bad)))
    return Review(violations=[], text=fill(text, figures), citations=_citations(evidence))
