"""Honest faults (issue #23): a database file replaced or corrupted under the running service, a read-only database,
a full disk, a frozen PostgreSQL, an unreachable rate-limit database and concurrent reindexes. Each test drives the
real fault (chattr +i, a tmpfs filled to the brim, SIGSTOP) and checks that no write is acknowledged that did not land
in the file at the configured path, and that nothing hangs beyond the configured timeouts."""
from __future__ import annotations

import logging
import os
import shutil
import signal
import sqlite3
import subprocess
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from assistant.store import Store, StoreUnavailable
from tests.conftest import _DATA
from tests.pg import Postgres
from tests.serving import Server, free_port

PG_SKIP = Postgres.unavailable_reason()
STAFF = {"Authorization": "Bearer faults-staff-token-0123456789"}


# --- helpers -------------------------------------------------------------------------------------------------------
def app_client(service, db_url: str, **settings):
    """A TestClient on a fresh app whose service shares the suite's index (no rebuild) and uses `db_url`."""
    from fastapi.testclient import TestClient

    from assistant.api.app import create_app
    from assistant.config import Settings
    from assistant.service import AssistantService

    s = Settings(data_dir=_DATA, database_url=db_url, staff_token="faults-staff-token-0123456789", **settings)
    svc = AssistantService(s)
    svc._index, svc._searcher, svc._engine = service._index, service._searcher, service._engine
    return TestClient(create_app(s, svc, with_ui=False, warm=False), base_url="http://127.0.0.1")


def stored_questions(db: Path) -> set[tuple[str, str]]:
    con = sqlite3.connect(db)
    try:
        return set(con.execute("SELECT session_id, question FROM turns").fetchall())
    finally:
        con.close()


def sqlite_backup(src: Path, dst: Path) -> None:
    """What an operator's restore starts from: a consistent copy made with SQLite's backup API."""
    a, b = sqlite3.connect(src), sqlite3.connect(dst)
    a.backup(b)
    a.close()
    b.close()


def chattr(flag: str, *paths: Path) -> None:
    subprocess.run(["chattr", flag, *map(str, paths)], check=True, capture_output=True)


def chattr_works(tmp: Path) -> str | None:
    """None if `chattr +i` makes a file unwritable here (even for root), else why not."""
    probe = tmp / "chattr-probe"
    probe.write_text("x")
    try:
        chattr("+i", probe)
    except (OSError, subprocess.CalledProcessError) as exc:
        return f"chattr +i not supported here ({exc})"
    try:
        os.close(os.open(probe, os.O_RDWR))
        return "chattr +i does not stop writes here"
    except PermissionError:
        return None
    finally:
        chattr("-i", probe)


def corrupt_table(db: Path, table: str) -> None:
    """Overwrite the root page of `table` with garbage, after a checkpoint, with no connection open."""
    con = sqlite3.connect(db)
    page_size = con.execute("PRAGMA page_size").fetchone()[0]
    root = con.execute("SELECT rootpage FROM sqlite_master WHERE name=?", (table,)).fetchone()[0]
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    with open(db, "r+b") as f:
        f.seek((root - 1) * page_size)
        f.write(b"\xa5" * page_size)


def filled_store(db: Path) -> Store:
    store = Store(f"sqlite:///{db}")
    store.save_turn("s-a", "问题", {"answer": "答"}, {})
    for i in range(40):  # enough rows for the cases table to own its pages
        store.create_case({"visitor_name": f"访客{i}" * 5, "entity_type": "individual", "needs": ["registration"],
                           "checklist": [{"key": "registration:0", "done": False}]})
    return store


# --- 1. a replaced or corrupted SQLite file ------------------------------------------------------------------------
@pytest.mark.parametrize("how", ["replaced", "deleted_and_recreated"])
def test_replaced_sqlite_file_acknowledges_no_lost_write(service, tmp_path, how):
    db = tmp_path / "live.sqlite3"
    with app_client(service, f"sqlite:///{db}") as client:
        first = client.post("/api/chat", json={"message": "算力券怎么补"})
        assert first.status_code == 200
        sid, owner = first.json()["session_id"], {"X-Session-Token": first.json()["session_token"]}
        acked = {(sid, "算力券怎么补")}
        sqlite_backup(db, tmp_path / "backup.sqlite3")
        if how == "replaced":
            os.replace(tmp_path / "backup.sqlite3", db)
        else:  # rm opc.sqlite3*; cp backup opc.sqlite3
            for f in tmp_path.glob("live.sqlite3*"):
                f.unlink()
            shutil.copy(tmp_path / "backup.sqlite3", db)
        statuses = []
        for i in range(3):
            r = client.post("/api/chat", json={"message": f"第{i}个问题算力券第一年50万", "session_id": sid},
                            headers=owner)
            statuses.append(r.status_code)
            if r.status_code == 200:
                acked.add((sid, f"第{i}个问题算力券第一年50万"))
        fresh = client.post("/api/chat", json={"message": "算力券怎么补"})
        if fresh.status_code == 200 and fresh.headers["x-session-stored"] == "true":
            acked.add((fresh.json()["session_id"], "算力券怎么补"))
        ready = client.get("/readyz")
        client.app.state.service.store.engine.dispose()  # the process ends: its connections close
    lost = acked - stored_questions(db)
    assert not lost, f"acknowledged writes not in the file at {db.name}: {lost} (statuses {statuses})"
    assert statuses == [503, 503, 503] and ready.status_code == 503
    assert ready.json()["failed"]["database"] == "file_replaced"


def test_restored_file_is_not_corrupted_by_the_old_files_wal(service, tmp_path):
    """A restore that swaps only the main file leaves the old file's -wal beside it: opening the restored file
    with it (the next start, another worker) would replay the old frames onto an older file and corrupt it. On
    detecting the swap the store empties that WAL into the old file first."""
    db = tmp_path / "live.sqlite3"
    with app_client(service, f"sqlite:///{db}") as client:
        first = client.post("/api/chat", json={"message": "算力券怎么补"})
        sid, owner = first.json()["session_id"], {"X-Session-Token": first.json()["session_token"]}
        sqlite_backup(db, tmp_path / "backup.sqlite3")  # last night's backup
        for i in range(30):  # the day goes on: more turns, a checkpoint, more turns
            client.post("/api/chat", json={"message": f"第{i}问算力券第一年{10 + i}万", "session_id": sid},
                        headers=owner)
            if i == 15:
                sqlite3.connect(db).execute("PRAGMA wal_checkpoint(PASSIVE)").connection.close()
        os.replace(tmp_path / "backup.sqlite3", db)
        assert client.post("/api/chat", json={"message": "恢复之后", "session_id": sid},
                           headers=owner).status_code == 503
        # the service is still running, its connections open: the restored file as the next process sees it
        con = sqlite3.connect(db)
        try:
            assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            assert {q for (q,) in con.execute("SELECT question FROM turns")} == {"算力券怎么补"}  # the backup, as is
        finally:
            con.close()


def test_corruption_detected_at_runtime_stops_every_write(tmp_path):
    db = tmp_path / "corrupt.sqlite3"
    store = filled_store(db)
    store.engine.dispose()
    corrupt_table(db, "cases")
    with pytest.raises(StoreUnavailable):
        store.list_cases()  # the first statement to touch the bad page
    with pytest.raises(StoreUnavailable):  # the turns' pages are intact, but a corrupt file takes no more writes
        store.save_turn("s-a", "之后的问题", {"answer": "答"}, {})
    assert store.ping() is False and store.problem() == "corrupt"
    assert ("s-a", "之后的问题") not in stored_questions(db)


def test_corruption_detected_at_start(tmp_path):
    db = tmp_path / "corrupt-at-start.sqlite3"
    filled_store(db).engine.dispose()
    corrupt_table(db, "cases")
    store = Store(f"sqlite:///{db}")
    with pytest.raises(StoreUnavailable):
        store.save_turn("s-b", "开机后的问题", {"answer": "答"}, {})
    assert store.ping() is False and store.problem() == "corrupt"


# --- 2. a read-only database at start ------------------------------------------------------------------------------
def test_read_only_database_starts_degraded(service, tmp_path):
    reason = chattr_works(tmp_path)
    if reason:
        pytest.skip(reason)
    data = tmp_path / "data"
    shutil.copytree(_DATA / "index", data / "index")
    ro = tmp_path / "ro"
    ro.mkdir()
    db = ro / "opc.sqlite3"
    store = Store(f"sqlite:///{db}")
    store.save_turn("s-old", "旧问题", {"answer": "答"}, {})
    store.engine.dispose()
    chattr("+i", db, ro)
    srv = Server(data, db_url=f"sqlite:///{db}")
    try:
        srv.start()
        ready = httpx.get(srv.url + "/readyz", timeout=30)
        assert ready.status_code == 503 and ready.json()["failed"]["database"] == "read_only", ready.text
        chat = httpx.post(srv.url + "/api/chat", json={"message": "硕士毕业来盐城每月生活补贴多少"}, timeout=60)
        assert chat.status_code == 200 and chat.headers["x-session-stored"] == "false"
        assert "2,000元" in chat.json()["answer"]
        case = httpx.post(srv.url + "/api/cases", headers={"Authorization": f"Bearer {os.environ['OPC_STAFF_TOKEN']}"}, timeout=30,
                          json={"visitor_name": "张三", "entity_type": "individual"})
        assert case.status_code == 503 and case.json()["error"]["code"] == "database_unavailable"
        assert "数据库" in case.json()["error"]["message"]
    finally:
        srv.stop()
        chattr("-i", db, ro)


# --- 3. readiness is a real write ----------------------------------------------------------------------------------
def test_readyz_reports_a_read_only_database(service, tmp_path):
    reason = chattr_works(tmp_path)
    if reason:
        pytest.skip(reason)
    db = tmp_path / "ready.sqlite3"
    with app_client(service, f"sqlite:///{db}") as client:
        assert client.get("/readyz").status_code == 200
        times = []
        for _ in range(20):
            t = time.perf_counter()
            client.get("/readyz")
            times.append(time.perf_counter() - t)
        chattr("+i", db)
        try:
            ro = client.get("/readyz")
            assert ro.status_code == 503 and ro.json()["failed"] == {"database": "read_only"}, ro.text
        finally:
            chattr("-i", db)
        assert client.get("/readyz").status_code == 200
    assert sorted(times)[10] < 0.05, times  # the probe stays cheap


@contextmanager
def tmpfs(path: Path, size: str):
    path.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True)
    if done.returncode:
        pytest.skip(f"cannot mount a tmpfs here to fill a disk: {done.stderr.decode()[:200]}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], capture_output=True)


def fill(path: Path) -> Path:
    filler = path / "filler"
    with open(filler, "wb") as f:
        try:
            while True:
                f.write(b"\0" * (1 << 20))
                f.flush()
        except OSError:
            pass
    try:
        with open(filler, "ab") as f:  # the last partial block
            while True:
                f.write(b"\0" * 4096)
                f.flush()
    except OSError:
        pass
    return filler


def test_readyz_reports_a_full_disk(service, tmp_path):
    with tmpfs(tmp_path / "small", "24m") as disk:
        db = disk / "full.sqlite3"
        with app_client(service, f"sqlite:///{db}") as client:
            assert client.get("/readyz").status_code == 200
            filler = fill(disk)
            full = client.get("/readyz")
            assert full.status_code == 503 and full.json()["failed"] == {"database": "disk_full"}, full.text
            filler.unlink()
            assert client.get("/readyz").status_code == 200


# --- 4. a frozen PostgreSQL ----------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def pg():
    if PG_SKIP:
        pytest.skip(PG_SKIP)
    server = Postgres().init().start()
    yield server
    server.destroy()


def pg_pids(pg: Postgres) -> list[int]:
    """The postmaster and every backend it forked."""
    master = int(Path(pg.dir, "data", "postmaster.pid").read_text().split()[0])
    pids = [master]
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == master:
                pids.append(int(stat.parent.name))
        except (OSError, ValueError, IndexError):
            pass
    return pids


@contextmanager
def frozen(pg: Postgres):
    pids = pg_pids(pg)
    for p in pids:
        os.kill(p, signal.SIGSTOP)
    try:
        yield
    finally:
        for p in pg_pids(pg) + pids:
            try:
                os.kill(p, signal.SIGCONT)
            except ProcessLookupError:
                pass


def timed(fn, limit: float):
    """Run `fn` in a thread; (result, seconds), or (None, seconds) if it was still running after `limit` * 3."""
    out: dict = {}

    def run():
        t = time.monotonic()
        out["r"] = fn()
        out["s"] = time.monotonic() - t

    th = threading.Thread(target=run, daemon=True)
    t0 = time.monotonic()
    th.start()
    th.join(limit * 3)
    return out.get("r"), out.get("s", time.monotonic() - t0)


def test_frozen_postgres_fails_fast(service, pg):
    connect, statement = 2, 1  # psycopg waits at least 2 s to connect; the client gives up 1 s after the server would
    with app_client(service, pg.url, db_connect_timeout_s=connect, db_statement_timeout_s=statement) as client:
        first = client.post("/api/chat", json={"message": "算力券怎么补"})
        assert first.status_code == 200
        sid, owner = first.json()["session_id"], {"X-Session-Token": first.json()["session_token"]}
        # the worst request meets a timed-out statement and a timed-out connect, in the rate limiter and the route
        limit = 2 * (connect + statement + 1) + 2
        with frozen(pg):
            cont, s1 = timed(lambda: client.post("/api/chat", json={"message": "第二年呢", "session_id": sid},
                                                 headers=owner), limit)
            new, s2 = timed(lambda: client.post("/api/chat", json={"message": "硕士毕业来盐城每月生活补贴多少"}), limit)
            ready, s3 = timed(lambda: client.get("/readyz"), limit)
        print(f"frozen PostgreSQL: continued chat {s1:.2f} s, new chat {s2:.2f} s, readyz {s3:.2f} s")
        assert s1 < limit and cont is not None and cont.status_code == 503, (s1, cont)
        assert s2 < limit and new.status_code == 200 and new.headers["x-session-stored"] == "false", (s2, new)
        assert s3 < limit and ready.status_code == 503, (s3, ready)
        assert ready.json()["failed"]["database"] == "timeout"
        time.sleep(connect + 0.5)  # after a timeout the store fails at once for connect_timeout, then tries again
        again = client.post("/api/chat", json={"message": "第二年呢", "session_id": sid}, headers=owner)
        assert again.status_code == 200  # thawed: the service recovers by itself


# --- 5. the PostgreSQL rate limiter when its database is unreachable -----------------------------------------------
def test_pg_rate_limiter_keeps_limiting_when_database_is_unreachable(caplog):
    from assistant.ratelimit_pg import PgRateLimiter

    if PG_SKIP and "psycopg" in PG_SKIP:
        pytest.skip(PG_SKIP)
    limiter = PgRateLimiter({"api": "3/minute"}, f"postgresql+psycopg://opc@127.0.0.1:{free_port()}/postgres")
    with caplog.at_level(logging.WARNING, logger="assistant.ratelimit_pg"):
        t = time.monotonic()
        waits = [limiter.retry_after("api", "1.2.3.4") for _ in range(5)]
        other = limiter.retry_after("api", "5.6.7.8")
    assert waits[:3] == [None, None, None] and all(w and w > 0 for w in waits[3:]), waits
    assert other is None  # the same limits, per client
    assert time.monotonic() - t < 10
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1, [r.getMessage() for r in warnings]


def test_pg_rate_limiter_recovers_after_outage(pg, caplog):
    from assistant.ratelimit_pg import PgRateLimiter

    limiter = PgRateLimiter({"api": "100/minute"}, pg.url)
    assert limiter.retry_after("api", "k") is None
    pg.stop()
    try:
        with caplog.at_level(logging.WARNING, logger="assistant.ratelimit_pg"):
            assert [limiter.retry_after("api", "k") for _ in range(3)] == [None] * 3  # within limits: served
    finally:
        pg.start()
    limiter._retry_at = 0  # do not wait for the next scheduled retry
    assert limiter.retry_after("api", "k") is None
    with limiter.engine.begin() as db:
        assert db.execute(text("SELECT count(*) FROM opc_rate_hits WHERE client='k'")).scalar() >= 2
    assert sum(r.levelno == logging.WARNING for r in caplog.records) == 1


# --- 6. concurrent reindexes ---------------------------------------------------------------------------------------
def test_concurrent_reindex_is_serialized(service, tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    data = tmp_path / "data"
    shutil.copytree(_DATA / "index", data / "index")
    srv = Server(data).start(timeout=240)
    headers = {"Authorization": f"Bearer {os.environ['OPC_STAFF_TOKEN']}"}
    try:
        def reindex(delay: float):
            time.sleep(delay)
            return httpx.post(srv.url + "/api/admin/reindex", headers=headers, timeout=600)

        with ThreadPoolExecutor(2) as pool:
            results = list(pool.map(reindex, (0, 0.5)))
        codes = [r.status_code for r in results]
        assert codes == [200, 409], [r.text[:300] for r in results]
        assert results[1].json()["error"]["code"] == "reindex_running"
        assert results[0].json()["chunks"] > 0
        r = httpx.post(srv.url + "/api/chat", json={"message": "硕士毕业来盐城每月生活补贴多少"}, timeout=60)
        assert r.status_code == 200 and r.json()["citations"][0]["section"] == "第九条"
    finally:
        srv.stop()
