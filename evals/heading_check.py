"""Eval check: no answer quotes a bare heading ("四、认定流程：四、认定流程") as if it were the rule itself.

A heading is any heading line of the sources, any section label, and any item's own title (（一）畅通数据开放供给);
document titles are not (naming an attachment is an answer).
Checked on every citation quote and on every quoted line of the answer text (the part after its label's colon).
"""
from __future__ import annotations

import re
from functools import lru_cache

from assistant.config import get_settings
from assistant.ingest import RE_ITEM, RE_MD_HEADING, load_corpus

RE_LIST_MARK = re.compile(r"^(?:[-*>]\s*|\d+\.\s*)+")
STRIP = "。：:；，、 \t*“”\"'「」"


def _norm(text: str) -> str:
    return RE_LIST_MARK.sub("", (text or "").strip()).strip(STRIP)


@lru_cache(maxsize=1)
def headings() -> frozenset[str]:
    _, sections = load_corpus(get_settings().sources_dir)
    out: set[str] = set()
    for s in sections:
        if s.kind == "title":
            continue
        out.add(_norm(s.label))
        out.update(_norm(p) for p in s.heading_path[1:])
        for line in s.raw.splitlines():
            line = RE_MD_HEADING.sub("", line).strip()
            if s.kind == "heading" or line == s.label:
                out.add(_norm(line))
            elif m := RE_ITEM.match(line):  # the item's own title, up to its first full stop or colon
                out.add(_norm(re.split(r"[：:。]", line, maxsplit=1)[0]))
                out.add(_norm(line[m.end():].split("。")[0].split("：")[0]))
    return frozenset(h for h in out if h)


def bare_headings(answer: dict) -> list[str]:
    """Quotes in the answer or its citations that are only a heading."""
    heads = headings()
    found = [c.get("quote", "") for c in answer.get("citations") or [] if _norm(c.get("quote", "")) in heads]
    for line in (answer.get("answer") or "").splitlines():
        tail = re.split(r"[：:]", line)[-1]
        if tail.strip() and (_norm(tail) in heads or _norm(line) in heads):
            found.append(line.strip())
    return found


def no_bare_heading(answer: dict) -> list[dict]:
    """The check in the runner's format: [{name, ok, detail}]."""
    bad = bare_headings(answer)
    return [{"name": "no_bare_heading", "ok": not bad, "detail": f"只引用了标题：{bad[:3]}" if bad else ""}]
