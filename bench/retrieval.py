"""Retrieval benchmark: index build time, query latency p50/p95, peak memory and quality (hit@3 on the
retrieval set) as the corpus grows 1x / 10x / 100x with real Chinese legal text; the naive LangChain + Chroma
dense pipeline side by side on the same questions. Each scale runs in its own process so peak RSS is its own.

    python -m bench.retrieval            # all scales
    python -m bench.retrieval --one 10   # one scale, prints JSON (used internally)
"""
from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import law_articles, summary, table, write

REPO = Path(__file__).resolve().parent.parent
SPLITS_SHOWN = ("dev", "test")


def make_knowledge(factor: int, workdir: Path) -> tuple[Path, str, int]:
    """A copy of knowledge/ plus enough legal articles to make the corpus ~factor times larger (by sections)."""
    kdir = workdir / "knowledge"
    shutil.copytree(REPO / "knowledge", kdir)
    base_sections = 43
    extra = base_sections * (factor - 1)
    source = "（无）"
    if extra > 0:
        laws, source = law_articles(extra)
        for i, (name, articles) in enumerate(laws):
            body = "\n".join(a.replace("\n", "") for a in articles)
            (kdir / "sources" / f"law-{i:04d}.md").write_text(
                f"---\nid: law-{i:04d}\ntitle: {name}\norder: {100 + i}\n---\n{name}\n\n{body}\n", encoding="utf-8")
    return kdir, source, extra


def _by_split(ranked: list, splits: dict) -> dict:
    """hit@1 / hit@3 of one method on each split (ranked lists in the order of the splits' cases)."""
    from evals.retrieval import score

    out, at = {}, 0
    for name, cases in splits.items():
        q = score(name, ranked[at:at + len(cases)], cases)
        out[name] = {"hit_at_1": q.hit_at_1, "hit_at_3": q.hit_at_3, "n": len(cases)}
        at += len(cases)
    return out


def one(factor: int, naive: bool) -> dict:
    from assistant.config import Settings
    from assistant.index import build
    from assistant.retrieve import HybridSearcher
    from evals.retrieval import SPLITS, load_cases, score

    work = Path(tempfile.mkdtemp(prefix=f"opc-bench-{factor}x-"))
    kdir, source, extra = make_knowledge(factor, work)
    settings = Settings(data_dir=work / "data", knowledge_dir=kdir)
    (work / "data").mkdir()
    import os

    os.environ["OPC_DATA_DIR"] = str(work / "data")
    t0 = time.perf_counter()
    index = build(settings)
    build_s = time.perf_counter() - t0
    searcher = HybridSearcher(index)
    splits = {name: load_cases(name) for name in SPLITS}  # dev (tuned on) and test (written blind)
    cases = [c for cs in splits.values() for c in cs]
    searcher.search(cases[0].q, 5)  # warm
    lat, ranked = [], []
    for c in cases:
        t = time.perf_counter()
        hits = searcher.search(c.q, 10)
        lat.append((time.perf_counter() - t) * 1000)
        ranked.append([(h.doc, h.section) for h in hits])
    quality = score("hybrid", ranked, cases)
    out = {"factor": factor, "sections": len([s for s in index.sections if s.kind == "text"]), "chunks": len(index.chunks),
           "extra_articles": extra, "filler_source": source, "build_s": round(build_s, 2),
           "query_ms": summary(lat), "hit_at_3": quality.hit_at_3, "mrr_at_10": quality.mrr_at_10,
           "by_split": _by_split(ranked, splits)}
    if naive:
        from evals.naive import NaiveRetriever

        extra_docs = [p.read_text(encoding="utf-8") for p in sorted((kdir / "sources").glob("law-*.md"))]
        t0 = time.perf_counter()
        nv = NaiveRetriever(REPO / "knowledge" / "sources", extra_docs=extra_docs)
        nbuild = time.perf_counter() - t0
        nlat, nranked = [], []
        for c in cases:
            t = time.perf_counter()
            nranked.append(nv.ranked_sections(c.q, 10))
            nlat.append((time.perf_counter() - t) * 1000)
        nq = score("naive", nranked, cases)
        out["naive"] = {"build_s": round(nbuild, 2), "query_ms": summary(nlat), "hit_at_3": nq.hit_at_3,
                        "mrr_at_10": nq.mrr_at_10, "chunks": len(nv.chunks), "by_split": _by_split(nranked, splits)}
    out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    shutil.rmtree(work, ignore_errors=True)
    return out


def run(factors=(1, 10, 100), naive_up_to: int = 10) -> dict:
    rows = []
    for f in factors:
        proc = subprocess.run([sys.executable, "-m", "bench.retrieval", "--one", str(f)] +
                              (["--naive"] if f <= naive_up_to else []),
                              cwd=REPO, capture_output=True, text=True, timeout=3600)
        if proc.returncode != 0:
            raise RuntimeError(proc.stderr[-2000:])
        rows.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    base = rows[0]
    table("检索规模（混合检索）", ["规模", "条款数", "片段数", "建索引(s)", "查询p50(ms)", "查询p95(ms)", "hit@3", "峰值内存(MB)"],
          [[f"{r['factor']}x", r["sections"], r["chunks"], r["build_s"], r["query_ms"]["p50"], r["query_ms"]["p95"],
            r["hit_at_3"], r["peak_rss_mb"]] for r in rows])
    table("与朴素基线对比（同一题集）", ["规模", "混合 hit@3", "朴素 hit@3", "hit@3 比值", "混合 p95(ms)", "朴素 p95(ms)", "延迟比值"],
          [[f"{r['factor']}x", r["hit_at_3"], r["naive"]["hit_at_3"],
            round(r["hit_at_3"] / max(r["naive"]["hit_at_3"], 1e-9), 2), r["query_ms"]["p95"], r["naive"]["query_ms"]["p95"],
            round(r["query_ms"]["p95"] / max(r["naive"]["query_ms"]["p95"], 1e-9), 2)] for r in rows if "naive" in r])
    table("各题集命中率（hit@1 / hit@3；dev 调参用，test 盲写）", ["规模", "方法", *SPLITS_SHOWN],
          [[f"{r['factor']}x", m, *(f"{d['by_split'][sp]['hit_at_1']} / {d['by_split'][sp]['hit_at_3']}"
                                   for sp in SPLITS_SHOWN)]
           for r in rows for m, d in (("混合", r), ("朴素", r.get("naive"))) if d])
    growth = [{"factor": r["factor"], "build_ratio": round(r["build_s"] / max(base["build_s"], 1e-9), 1),
               "query_p95_ratio": round(r["query_ms"]["p95"] / max(base["query_ms"]["p95"], 1e-9), 2)} for r in rows]
    table("随规模增长（相对 1x）", ["规模", "建索引倍数", "查询p95倍数"], [[f"{g['factor']}x", g["build_ratio"], g["query_p95_ratio"]] for g in growth])
    path = write("retrieval", {"scales": rows, "growth": growth})
    print(f"结果已写入 {path}")
    return {"scales": rows, "growth": growth}


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--one", type=int)
    ap.add_argument("--naive", action="store_true")
    ap.add_argument("--factors", default="1,10,100")
    a = ap.parse_args()
    if a.one:
        print(json.dumps(one(a.one, a.naive), ensure_ascii=False))
    else:
        run(tuple(int(x) for x in a.factors.split(",")))
