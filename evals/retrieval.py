"""Retrieval eval: hit@1, hit@3, MRR@10 for hybrid, BM25, dense and the naive baseline on one question set."""
from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel

from assistant.service import AssistantService

SETS_DIR = Path(__file__).parent / "retrieval_sets"
SPLITS = ("dev", "test")  # dev: tuned on; test: frozen, written blind


class RetrievalCase(BaseModel):
    q: str
    gold: tuple[str, str]
    also: list[tuple[str, str]] = []

    @property
    def golds(self) -> set[tuple[str, str]]:
        return {tuple(self.gold), *map(tuple, self.also)}


class MethodScore(BaseModel):
    method: str
    hit_at_1: float
    hit_at_3: float
    mrr_at_10: float
    misses_at_3: list[str]


def load_cases(split: str = "dev") -> list[RetrievalCase]:
    """Questions of one split; an absent split file is an empty set."""
    path = SETS_DIR / f"{split}.yaml"
    if not path.exists():
        return []
    return [RetrievalCase(**c) for c in yaml.safe_load(path.read_text(encoding="utf-8")) or []]


def score(method: str, ranked: list[list[tuple[str, str]]], cases: list[RetrievalCase]) -> MethodScore:
    h1 = h3 = mrr = 0.0
    misses = []
    for case, ranking in zip(cases, ranked):
        rank = next((i + 1 for i, key in enumerate(ranking[:10]) if key in case.golds), None)
        h1 += rank == 1
        h3 += rank is not None and rank <= 3
        mrr += 1.0 / rank if rank else 0.0
        if not rank or rank > 3:
            misses.append(case.q)
    n = len(cases) or 1
    return MethodScore(method=method, hit_at_1=round(h1 / n, 4), hit_at_3=round(h3 / n, 4),
                       mrr_at_10=round(mrr / n, 4), misses_at_3=misses)


def run(service: AssistantService, cases: list[RetrievalCase] | None = None,
        with_naive: bool = True) -> list[MethodScore]:
    from evals.naive import NaiveRetriever

    cases = cases or load_cases()
    out = []
    for mode in ("hybrid", "bm25", "dense"):
        ranked = [[(h.doc, h.section) for h in service.searcher.search(c.q, 10, mode=mode)] for c in cases]
        out.append(score(mode, ranked, cases))
    if with_naive:
        naive = NaiveRetriever(service.settings.sources_dir, service.settings.embedder)
        out.append(score("naive (RecursiveCharacterTextSplitter 500/50 + Chroma)",
                         [naive.ranked_sections(c.q, 10) for c in cases], cases))
    return out
