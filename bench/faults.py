"""Fault/load soak: bounded concurrent chat traffic on 127.0.0.1 while the database fails under it, and the figures
that matter: acknowledged writes lost (must be 0), answers per status, p95 before, during and after the fault.

    python -m bench faults

Scenarios: the SQLite file replaced by an older backup while the server runs (the operator then restarts it, as the
503 message says), and, when PostgreSQL binaries are installed, PostgreSQL frozen with SIGSTOP then thawed. Every
phase lasts PHASE_S seconds and each client sends at most MAX_TURNS turns: the run stops by itself.
"""
from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import httpx

from bench.common import summary, table, write
from bench.serving import Served

CLIENTS = 6
PHASE_S = 6.0
MAX_TURNS = 400
TIMEOUTS = {"OPC_DB_CONNECT_TIMEOUT_S": "2", "OPC_DB_STATEMENT_TIMEOUT_S": "2"}
QUESTIONS = ["算力券第一年50万能拿多少", "硕士毕业来盐城每月生活补贴多少", "租了200平米办公室房租补贴怎么算",
             "个体户怎么办营业执照", "第二年呢", "我们团队三个人，能申请哪些补贴"]


class Traffic:
    """CLIENTS founders, each in its own session (a new one after any refusal), until `stop` or MAX_TURNS."""

    def __init__(self, url: str):
        self.url = url  # swapped when the server is restarted
        self.stop = threading.Event()
        self.records: list[dict] = []
        self.lock = threading.Lock()

    def client(self, n: int) -> None:
        session: dict = {}
        with httpx.Client(timeout=30) as c:
            for i in range(MAX_TURNS):
                if self.stop.is_set():
                    return
                q = f"第{n}-{i}问：{QUESTIONS[(n + i) % len(QUESTIONS)]}"
                t = time.monotonic()
                try:
                    r = c.post(self.url + "/api/chat", json={"message": q, **session})
                    status, stored = r.status_code, r.headers.get("x-session-stored") == "true"
                    body = r.json()
                    body = body if status == 200 else {"error": body.get("error", {}).get("code")}
                except httpx.HTTPError:
                    status, stored, body = 0, False, {}
                    time.sleep(0.2)  # the server is restarting
                with self.lock:
                    self.records.append({"start": t, "ms": (time.monotonic() - t) * 1000, "status": status,
                                         "stored": stored, "sid": body.get("session_id"), "q": q,
                                         "error": body.get("error")})
                if status == 200 and stored and not session:
                    session = {"session_id": body["session_id"], "session_token": body["session_token"]}
                elif status != 200:
                    session = {}

    @contextmanager
    def running(self):
        pool = ThreadPoolExecutor(CLIENTS)
        futures = [pool.submit(self.client, n) for n in range(CLIENTS)]
        try:
            yield self
        finally:
            self.stop.set()
            for f in futures:
                f.result()
            pool.shutdown()


def phase_figures(records: list[dict], marks: list[tuple[str, float]], lost: set) -> list[dict]:
    """Per phase (a request belongs to the phase it started in): counts by status and latency."""
    rows = []
    for k, (name, since) in enumerate(marks):
        until = marks[k + 1][1] if k + 1 < len(marks) else float("inf")
        rs = [r for r in records if since <= r["start"] < until]
        rows.append({"phase": name, "requests": len(rs),
                     "stored": sum(r["status"] == 200 and r["stored"] for r in rs),
                     "unstored_200": sum(r["status"] == 200 and not r["stored"] for r in rs),
                     "503": sum(r["status"] == 503 for r in rs),
                     "other": sum(r["status"] not in (200, 503) for r in rs),
                     "latency_ms": summary([r["ms"] for r in rs]),
                     "max_ms": round(max([r["ms"] for r in rs], default=0.0), 1),
                     "not_200": dict(Counter(f"{r['status']} {r['error'] or ''}".strip() for r in rs
                                             if r["status"] != 200)),
                     "lost": sum((r["sid"], r["q"]) in lost for r in rs)})
    return rows


def acked(records: list[dict], since: float) -> set[tuple[str, str]]:
    return {(r["sid"], r["q"]) for r in records if r["status"] == 200 and r["stored"] and r["start"] >= since}


@contextmanager
def env(values: dict[str, str]):
    old = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in old.items():
            os.environ.pop(k, None) if v is None else os.environ.__setitem__(k, v)


def sqlite_replaced(data: Path) -> dict:
    """An older backup replaces the live file; writes must stop (503) until the restart, and nothing acknowledged
    after the swap may be missing from the file at the path."""
    db = data / "faults.sqlite3"
    backup = data / "backup.sqlite3"
    srv = Served(data, 1, f"sqlite:///{db}")
    traffic = Traffic(srv.url)
    marks = [("故障前", time.monotonic())]
    with traffic.running():
        time.sleep(PHASE_S / 2)
        src, dst = sqlite3.connect(db), sqlite3.connect(backup)
        src.backup(dst)  # the backup the operator will restore: older than what follows
        src.close()
        dst.close()
        time.sleep(PHASE_S / 2)
        # phases go by start time: the requests in flight at the swap (one per client) are 503s of the phase before
        marks.append(("文件被替换后", time.monotonic()))
        os.replace(backup, db)
        swapped = time.monotonic()
        time.sleep(PHASE_S)
        srv.stop()  # the remedy the 503 message names: restart
        srv = Served(data, 1, f"sqlite:///{db}")
        traffic.url = srv.url
        marks.append(("重启后", time.monotonic()))
        time.sleep(PHASE_S)
    srv.stop()
    con = sqlite3.connect(db)
    stored = set(con.execute("SELECT session_id, question FROM turns").fetchall())
    con.close()
    return {"scenario": "SQLite 文件被替换", "phases": phase_figures(traffic.records, marks,
                                                                  acked(traffic.records, swapped) - stored)}


def pg_pids(pg) -> list[int]:
    master = int(Path(pg.dir, "data", "postmaster.pid").read_text().split()[0])
    kids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == master:
                kids.append(int(stat.parent.name))
        except (OSError, ValueError, IndexError):
            pass
    return [master, *kids]


def signal_all(pids: list[int], sig: int) -> None:
    for p in pids:
        try:
            os.kill(p, sig)
        except ProcessLookupError:
            pass


def pg_frozen(data: Path) -> dict | None:
    """PostgreSQL stopped dead (SIGSTOP to the postmaster and every backend) for PHASE_S seconds, then thawed."""
    from sqlalchemy import create_engine, text

    from tests.pg import Postgres

    reason = Postgres.unavailable_reason()
    if reason:
        print(f"PostgreSQL 冻结场景跳过：{reason}")
        return None
    pg = Postgres().init().start()
    try:
        srv = Served(data, 1, pg.url)
        traffic = Traffic(srv.url)
        marks = [("冻结前", time.monotonic())]
        with traffic.running():
            time.sleep(PHASE_S)
            pids = pg_pids(pg)
            marks.append(("冻结中", time.monotonic()))
            signal_all(pids, signal.SIGSTOP)
            try:
                time.sleep(PHASE_S)
            finally:
                signal_all(pg_pids(pg) + pids, signal.SIGCONT)
            marks.append(("解冻后", time.monotonic()))
            time.sleep(PHASE_S)
        srv.stop()
        engine = create_engine(pg.url)
        with engine.connect() as db:
            stored = set(db.execute(text("SELECT session_id, question FROM turns")).all())
        engine.dispose()
    finally:
        pg.destroy()
    lost = acked(traffic.records, 0) - {tuple(r) for r in stored}
    return {"scenario": "PostgreSQL 冻结 (SIGSTOP)", "phases": phase_figures(traffic.records, marks, lost)}


def run() -> dict:
    from assistant import index as ix
    from assistant.config import Settings

    data = Path(tempfile.mkdtemp(prefix="opc-bench-faults-"))
    ix.load(Settings(data_dir=data))  # built once; every server opens it
    try:
        with env(TIMEOUTS):
            scenarios = [s for s in (sqlite_replaced(data), pg_frozen(data)) if s]
    finally:
        shutil.rmtree(data, ignore_errors=True)
    rows = [[s["scenario"], p["phase"], p["requests"], p["stored"], p["unstored_200"], p["503"], p["other"],
             p["latency_ms"]["p50"], p["latency_ms"]["p95"], p["latency_ms"]["p99"], p["max_ms"], p["lost"]]
            for s in scenarios for p in s["phases"]]
    table(f"故障注入下的对话（{CLIENTS} 个并发客户端，每阶段 {PHASE_S:.0f} 秒）",
          ["场景", "阶段", "请求", "200已保存", "200未保存", "503", "其他", "p50(ms)", "p95(ms)", "p99(ms)",
           "最长(ms)", "已确认却丢失的写入"], rows)
    lost = sum(p["lost"] for s in scenarios for p in s["phases"])
    results = {"clients": CLIENTS, "phase_s": PHASE_S, "timeouts": TIMEOUTS, "scenarios": scenarios,
               "acknowledged_writes_lost": lost}
    for sc in scenarios:
        for p in sc["phases"]:
            if p["not_200"]:  # status 0: no answer (the server restarting)
                print(f"{sc['scenario']} / {p['phase']} 非 200：{p['not_200']}")
    print(f"已确认却丢失的写入：{lost}（必须为 0）")
    print(f"结果已写入 {write('faults', results)}")
    return results


if __name__ == "__main__":
    run()
