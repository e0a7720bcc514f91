"""Bounded work (issue #23): the slowest 2,000-character messages in-process, another user's latency while 4
clients send worst-case messages over HTTP, and what 1,000 web UI sessions add to the server's memory.

    python -m bench bounded
Targets: every worst-case message < 1 s in-process; the other user's p95 < 1 s; 1,000 UI sessions < 100 MB.
"""
from __future__ import annotations

import itertools
import os
import shutil
import tempfile
import threading
import time
from pathlib import Path

import httpx

from bench.common import summary, table, write
from bench.serving import Served

REPO = Path(__file__).resolve().parent.parent
PIECES = ["第一年花了50万，", "50万", "我28岁，", "2027年良好，", "第二年花了80万；", "在亭湖办了一场，", "不是博士，没有社保，",
          "我和爱人一共，她30岁硕士，关联方一笔50万，", "买了90平的房子，", "连续两年都是良好，", "招了3个人，", "9", "一", "万",
          "岁", "，", "第二年在苏州花了80万；", "关联方一笔50万，", "50万、"]


def worst_messages() -> list[str]:
    """2,000-character messages built to make a reader rescan: one piece repeated, and pairs alternating."""
    out = [(p * 2000)[:2000] for p in PIECES]
    out += [((a + b) * 1000)[:2000] for a, b in itertools.combinations(["9", "一", "万", "岁", "，", "年", "平", "第"], 2)]
    return out + ["1" * 400 + "岁", "，".join(f"{i}万" for i in range(1, 400))[:2000]]


def _served(data: Path, **env: str) -> Served:
    """A server started with these settings added to the bench's own."""
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        return Served(data, workers=1)
    finally:
        for k, v in saved.items():
            os.environ.pop(k) if v is None else os.environ.__setitem__(k, v)


def in_process() -> dict:
    from assistant.service import AssistantService

    svc = AssistantService()
    svc.searcher
    svc.chat("你好", persist=False)
    times = []
    for m in worst_messages():
        t0 = time.perf_counter()
        svc.chat(m, persist=False)
        times.append((time.perf_counter() - t0) * 1000)
    return {"messages": len(times), "max_ms": round(max(times), 1), **summary(times)}


def contended(data: Path) -> dict:
    """4 attackers x 10 worst-case messages while one founder asks ordinary questions; the founder's latency."""
    srv = _served(data, OPC_TRUSTED_PROXIES="127.0.0.1")  # each client below is its own forwarded address
    attack = worst_messages()
    victim: list[float] = []
    stop = threading.Event()

    def attacker(n: int):
        with httpx.Client(base_url=srv.url, timeout=120, headers={"X-Forwarded-For": f"203.0.113.{n}"}) as c:
            for m in attack[n * 10:(n + 1) * 10]:
                c.post("/api/chat", json={"message": m})

    def founder():
        with httpx.Client(base_url=srv.url, timeout=120, headers={"X-Forwarded-For": "198.51.100.1"}) as c:
            while not stop.is_set() and len(victim) < 400:
                t0 = time.perf_counter()
                c.post("/api/chat", json={"message": "硕士每月生活补贴多少？"})
                victim.append((time.perf_counter() - t0) * 1000)

    try:
        threads = [threading.Thread(target=attacker, args=(n,)) for n in range(4)]
        f = threading.Thread(target=founder)
        f.start()
        t0 = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        stop.set()
        f.join()
        return {"attack_s": round(time.perf_counter() - t0, 1), "victim": summary(victim)}
    finally:
        srv.stop()


def ui_sessions(data: Path, n: int = 1000) -> dict:
    """RSS added by n web UI sessions, each asking one question (the page's own queue routes)."""
    from tests.ui_client import PageClient

    srv = _served(data, OPC_RATE_LIMIT_UI="1000000/minute")  # one loopback client stands for 1,000 visitors
    try:
        rss = lambda: int(Path(f"/proc/{srv.proc.pid}/status").read_text().split("VmRSS:")[1].split()[0]) / 1024  # noqa: E731
        http = httpx.Client(timeout=120)
        PageClient(srv.url, client=http).call("respond", ["硕士每月生活补贴多少", None])
        before, t0 = rss(), time.perf_counter()
        for i in range(n):
            PageClient(srv.url, client=http).call("respond", ["硕士每月生活补贴多少" if i % 2 else "算力券第一年50万能拿多少", None])
        return {"sessions": n, "added_mb": round(rss() - before, 1), "seconds": round(time.perf_counter() - t0, 1)}
    finally:
        srv.stop()


def run() -> dict:
    data = Path(tempfile.mkdtemp(prefix="opc-bench-bounded-"))
    try:
        results = {"in_process": in_process(), "contended": contended(data), "ui_sessions": ui_sessions(data)}
    finally:
        shutil.rmtree(data, ignore_errors=True)
    ip, ct, ui = results["in_process"], results["contended"], results["ui_sessions"]
    table("Bounded work", ["figure", "value", "target"], [
        ["worst 2,000-char message, in-process (max ms)", ip["max_ms"], "< 1000"],
        ["another user's p95 under 4x10 worst-case messages (ms)", ct["victim"]["p95"], "< 1000"],
        [f"{ui['sessions']} web UI sessions, added RSS (MB)", ui["added_mb"], "< 100"],
    ])
    write("bounded", results)
    return results
