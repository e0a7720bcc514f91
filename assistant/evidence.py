"""What the LLM guard checks claims against: the source sections (labels, text, responsible units) and the
benefits of knowledge/policies.yaml. Built once per index."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property

from assistant.ingest import Section
from assistant.numerals import normalize, rules
from tools.rules import Benefit, policy_book

RE_UNIT_SPLIT = re.compile(r"[、，,；;]")
RE_CLAUSE = re.compile(r"[^，。；！？\n]+")


def _units(responsible: list[str]) -> set[str]:
    """'责任单位：市数据局、市财政局' -> {'市数据局', '市财政局'}; tails like 等按照职责分工负责 dropped."""
    out: set[str] = set()
    for line in responsible:
        for part in RE_UNIT_SPLIT.split(line.replace("责任单位：", "")):
            part = re.sub(r"(等)?(按照职责分工负责.*)?$", "", part.strip())
            if 2 <= len(part) <= 16:
                out.add(part)
    return out


@dataclass
class Corpus:
    sections: list[Section]
    benefits: list[Benefit]
    titles: dict[str, str] = field(default_factory=dict)  # doc id -> title

    @cached_property
    def all_text(self) -> str:
        return normalize("\n".join(s.text for s in self.sections))

    def section(self, doc: str, label: str) -> Section | None:
        exact = [s for s in self.sections if s.doc == doc and s.label == label]
        if exact:
            return exact[0]
        loose = [s for s in self.sections if s.doc == doc and label and label in s.label and s.kind == "text"]
        return loose[0] if len(loose) == 1 else None

    def label_exists(self, mention: str) -> bool:
        return any(mention in s.label for s in self.sections)

    def units_of(self, doc: str, label: str) -> set[str]:
        sec = self.section(doc, label)
        units = _units(sec.responsible) if sec else set()
        for b in self.benefits:
            if b.doc == doc and b.section == label:
                units |= set(b.responsible)
        return units

    def known_units(self) -> set[str]:
        out: set[str] = set()
        for s in self.sections:
            out |= _units(s.responsible)
        for b in self.benefits:
            out |= set(b.responsible)
        return out

    def benefits_for(self, doc: str, label: str, figure: str = "") -> set[str]:
        """Benefits an article's figure belongs to: those whose quote holds it, else every benefit of the article."""
        here = [b for b in self.benefits if b.doc == doc and b.section == label]
        holding = {b.id for b in here if figure and normalize(figure) in normalize(b.quote)}
        return holding or {b.id for b in here}

    def named_benefits(self, sentence: str) -> set[str]:
        aliases = rules()["benefit_aliases"]
        return {b.id for b in self.benefits
                if b.title in sentence or any(a in sentence for a in aliases.get(b.id, []))}

    def mentioned_benefits(self, text: str) -> set[str]:
        """Benefits a clause talks about: by title or alias, or by a cue phrase of the policy data (买新房, 人才公寓)."""
        return self.named_benefits(text) | {b.id for b in self.benefits
                                            if any(c in text for c in b.params.get("cues") or [])}


_CACHE: dict[int, tuple[object, Corpus]] = {}


def corpus_for(index) -> Corpus:
    hit = _CACHE.get(id(index))
    if hit is None or hit[0] is not index:
        corpus = Corpus(sections=list(index.sections), benefits=list(policy_book().benefits),
                        titles={d.id: d.title for d in index.docs})
        _CACHE.clear()
        _CACHE[id(index)] = hit = (index, corpus)
    return hit[1]
