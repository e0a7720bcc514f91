"""Answer latency by intent (in-process and over HTTP), first-answer time after start, throughput with 1/8/32
concurrent clients against 1 and 2 uvicorn workers on 127.0.0.1, and the serving process's peak RSS.

    python -m bench.serving
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from bench.common import peak_rss_mb, summary, table, write

REPO = Path(__file__).resolve().parent.parent


def _questions() -> list[tuple[str, str]]:
    from evals.runner import load_cases

    return [(c.category, c.q) for c in load_cases() if c.q]


def in_process_latency(rounds: int = 3) -> dict:
    from assistant.service import AssistantService

    svc = AssistantService()
    t0 = time.perf_counter()
    svc.searcher
    load_s = time.perf_counter() - t0
    by_intent: dict[str, list[float]] = {}
    for _ in range(rounds):
        for _, q in _questions():
            a = svc.chat(q, persist=False)
            by_intent.setdefault(a.intent, []).append(a.latency_ms)
    return {"index_load_s": round(load_s, 2), "by_intent": {k: summary(v) for k, v in sorted(by_intent.items())},
            "all": summary([x for v in by_intent.values() for x in v])}


class Served:
    def __init__(self, data: Path, workers: int, db_url: str | None = None):
        from tests.serving import free_port

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "OPC_DATA_DIR": str(data), "OPC_STAFF_TOKEN": "bench-staff-token-0123456789",
               "OPC_DATABASE_URL": db_url or f"sqlite:///{data / f'bench-{self.port}.sqlite3'}",
               "OPC_RATE_LIMIT": "1000000/minute"}  # one loopback client stands for many founders
        self.t0 = time.perf_counter()
        self.proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "assistant.api.server:app", "--host", "127.0.0.1",
                                      "--port", str(self.port), "--workers", str(workers), "--log-level", "warning"],
                                     cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.first_answer_s = None
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            try:
                r = httpx.post(self.url + "/api/chat", json={"message": "算力券第一年50万能拿多少"}, timeout=5)
                if r.status_code == 200:
                    self.first_answer_s = round(time.perf_counter() - self.t0, 2)
                    break
            except httpx.HTTPError:
                time.sleep(0.2)

    def rss_mb(self) -> float:
        pids = [self.proc.pid]
        try:
            pids += [int(p) for p in subprocess.run(["pgrep", "-P", str(self.proc.pid)], capture_output=True,
                                                     text=True).stdout.split()]
        except FileNotFoundError:
            pass
        return round(sum(peak_rss_mb(p) or 0 for p in pids), 1)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(30)


def http_latency(url: str, rounds: int = 2) -> dict:
    by_cat: dict[str, list[float]] = {}
    with httpx.Client(base_url=url, timeout=60) as c:
        for _ in range(rounds):
            for cat, q in _questions():
                t = time.perf_counter()
                r = c.post("/api/chat", json={"message": q})
                r.raise_for_status()
                by_cat.setdefault(r.json()["intent"], []).append((time.perf_counter() - t) * 1000)
    return {"by_intent": {k: summary(v) for k, v in sorted(by_cat.items())},
            "all": summary([x for v in by_cat.values() for x in v])}


def throughput(url: str | list[str], clients: int, turns_per_client: int = 20, questions: list[str] | None = None) -> dict:
    """`clients` founders, each one conversation of `turns_per_client` turns (its own session, continued with its
    secret); with several urls the clients are spread over them round-robin, as a reverse proxy would."""
    urls = [url] if isinstance(url, str) else url
    qs = questions or [q for _, q in _questions()]
    lat: list[float] = []
    errors = 0

    def run(n: int) -> None:
        nonlocal errors
        session: dict = {}
        with httpx.Client(base_url=urls[n % len(urls)], timeout=120) as c:
            for i in range(turns_per_client):
                t = time.perf_counter()
                r = c.post("/api/chat", json={"message": qs[(n * 7 + i) % len(qs)], **session})
                lat.append((time.perf_counter() - t) * 1000)
                errors += r.status_code != 200
                if r.status_code == 200 and not session and r.json().get("session_token"):
                    session = {"session_id": r.json()["session_id"], "session_token": r.json()["session_token"]}

    t0 = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(run, range(clients)))
    wall = time.perf_counter() - t0
    return {"clients": clients, "turns": len(lat), "turns_per_s": round(len(lat) / wall, 1), "errors": errors,
            "latency_ms": summary(lat)}


def run() -> dict:
    from assistant import index as ix
    from assistant.config import Settings

    data = Path(tempfile.mkdtemp(prefix="opc-bench-serve-"))
    ix.load(Settings(data_dir=data))  # build once; servers reuse it
    os.environ["OPC_DATA_DIR"] = str(data)
    inproc = in_process_latency()
    table("回答延迟（进程内，规则引擎，ms）", ["意图", "次数", "p50", "p95", "p99"],
          [[k, v["n"], v["p50"], v["p95"], v["p99"]] for k, v in inproc["by_intent"].items()] +
          [["全部", inproc["all"]["n"], inproc["all"]["p50"], inproc["all"]["p95"], inproc["all"]["p99"]]])
    results = {"in_process": inproc, "servers": []}
    for workers in (1, 2):
        srv = Served(data, workers)
        try:
            entry = {"workers": workers, "first_answer_after_start_s": srv.first_answer_s}
            if workers == 1:
                entry["http_latency"] = http_latency(srv.url)
                h = entry["http_latency"]
                table("回答延迟（HTTP，1个 worker，ms）", ["意图", "次数", "p50", "p95", "p99"],
                      [[k, v["n"], v["p50"], v["p95"], v["p99"]] for k, v in h["by_intent"].items()])
            entry["throughput"] = [throughput(srv.url, c) for c in (1, 8, 32)]
            entry["peak_rss_mb"] = srv.rss_mb()
            results["servers"].append(entry)
        finally:
            srv.stop()
    table("吞吐（127.0.0.1）", ["worker", "并发", "轮次", "轮/秒", "p95(ms)", "错误", "启动到首答(s)", "峰值RSS(MB)"],
          [[s["workers"], t["clients"], t["turns"], t["turns_per_s"], t["latency_ms"]["p95"], t["errors"],
            s["first_answer_after_start_s"], s["peak_rss_mb"]] for s in results["servers"] for t in s["throughput"]])
    one, two = (s["throughput"][-1]["turns_per_s"] for s in results["servers"])
    results["scaling_32_clients_2_vs_1_workers"] = round(two / max(one, 1e-9), 2)
    print(f"32 并发时 2 个 worker 相对 1 个的吞吐比：{results['scaling_32_clients_2_vs_1_workers']}")
    path = write("serving", results)
    print(f"结果已写入 {path}")
    shutil.rmtree(data, ignore_errors=True)
    return results


if __name__ == "__main__":
    run()
