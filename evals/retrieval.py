"""Retrieval eval: hit@1, hit@3, MRR@10 for hybrid, BM25, dense and the naive baseline, on the dev and the test
split side by side, plus the answer-level pass rate of the plain-policy class. Method-vs-method comparisons live
here (printed by `make eval`), not in asserted tests: dense scores move slightly between CPUs."""
from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel

from assistant.service import AssistantService

EVALS = Path(__file__).parent
RETRIEVAL_SET = EVALS / "retrieval.yaml"
# Where each split's retrieval questions may live (the first that exists wins); without a dev file, retrieval.yaml.
SPLIT_FILES = {
    "dev": ["retrieval/dev.yaml", "cases/dev/retrieval.yaml", "retrieval_dev.yaml", "retrieval.yaml"],
    "test": ["retrieval/test.yaml", "cases/test/retrieval.yaml", "retrieval_test.yaml"],
}
PLAIN_POLICY = {"policy_qa", "plain_policy", "policy"}  # category names of the plain-policy class
METHODS = ("hybrid", "bm25", "dense")
NAIVE = "naive (RecursiveCharacterTextSplitter 500/50 + Chroma)"


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


def load_cases(path: Path = RETRIEVAL_SET) -> list[RetrievalCase]:
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    if isinstance(raw, dict):  # {cases: [...]} as well as a bare list
        raw = raw.get("cases") or raw.get("questions") or []
    return [RetrievalCase(**c) for c in raw]


def split_paths() -> dict[str, Path]:
    out = {}
    for split, names in SPLIT_FILES.items():
        found = next((EVALS / n for n in names if (EVALS / n).exists()), None)
        if found is not None:
            out[split] = found
    return out


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
        with_naive: bool = True, naive=None) -> list[MethodScore]:
    cases = cases or load_cases()
    out = []
    for mode in METHODS:
        ranked = [[(h.doc, h.section) for h in service.searcher.search(c.q, 10, mode=mode)] for c in cases]
        out.append(score(mode, ranked, cases))
    if with_naive:
        naive = naive or naive_retriever(service)
        out.append(score(NAIVE, [naive.ranked_sections(c.q, 10) for c in cases], cases))
    return out


def naive_retriever(service: AssistantService):
    from evals.naive import NaiveRetriever

    return NaiveRetriever(service.settings.sources_dir, service.settings.embedder)


def plain_policy_pass_rate(service: AssistantService, folder: Path) -> dict:
    """Answer-level pass rate of the plain-policy cases in one split folder (with the bare-heading check)."""
    from evals import runner

    cases = [c for c in runner.load_cases(folder) if c.category in PLAIN_POLICY]
    results = [runner.run_case(c, runner.in_process(service)) for c in cases]
    passed = sum(r["passed"] for r in results)
    headings = sum(1 for r in results for t in r["turns"] for c in t["checks"]
                   if c["name"] == "no_bare_heading" and not c["ok"])
    return {"cases": len(cases), "passed": passed, "pass_rate": round(passed / (len(cases) or 1), 4),
            "bare_headings": headings, "failed": [r["id"] for r in results if not r["passed"]]}


def case_folders() -> dict[str, Path]:
    base = EVALS / "cases"
    split = {s: base / s for s in ("dev", "test") if (base / s).is_dir()}
    return split or {"dev": base}


def report(service: AssistantService, with_naive: bool = True) -> dict:
    """Every split's retrieval scores by method and its plain-policy pass rate, in one run."""
    naive = naive_retriever(service) if with_naive else None
    out: dict = {"retrieval": {}, "plain_policy": {}}
    for split, path in split_paths().items():
        cases = load_cases(path)
        out["retrieval"][split] = {"file": str(path.relative_to(EVALS.parent)), "questions": len(cases),
                                   "scores": [s.model_dump() for s in run(service, cases, with_naive, naive)]}
    for split, folder in case_folders().items():
        out["plain_policy"][split] = plain_policy_pass_rate(service, folder)
    return out


def print_report(rep: dict, console) -> None:
    """Dev and test side by side for every method, then the plain-policy pass rate per split."""
    from rich.table import Table

    splits = list(rep["retrieval"])
    table = Table("方法", *[f"{s} {m}" for s in splits for m in ("hit@1", "hit@3", "MRR@10")],
                  title="检索评测：" + "，".join(f"{s} {v['questions']} 题（{v['file']}）" for s, v in rep["retrieval"].items()))
    methods = [m["method"] for m in rep["retrieval"][splits[0]]["scores"]] if splits else []
    for i, method in enumerate(methods):
        row = [method.split(" (")[0] if i < len(METHODS) else "naive"]
        for s in splits:
            m = rep["retrieval"][s]["scores"][i]
            row += [f"{m['hit_at_1']:.3f}", f"{m['hit_at_3']:.3f}", f"{m['mrr_at_10']:.3f}"]
        table.add_row(*row)
    console.print(table)
    for s in splits:
        hybrid = rep["retrieval"][s]["scores"][0]
        if hybrid["misses_at_3"]:
            console.print(f"{s} 混合检索前3未命中：" + "；".join(hybrid["misses_at_3"]))
    pp = Table("划分", "用例", "通过", "通过率", "引用了纯标题", title="纯政策问答（plain-policy）答案通过率")
    for s, v in rep["plain_policy"].items():
        pp.add_row(s, str(v["cases"]), str(v["passed"]), f"{v['pass_rate']:.3f}", str(v["bare_headings"]))
    console.print(pp)
