"""Storage against SQLite and a real PostgreSQL server: migrations, turns, state, feedback, cases, concurrency, outages."""
import threading

import pytest
from sqlalchemy import text

from assistant.migrations import MIGRATIONS
from assistant.store import Store, StoreUnavailable
from tests.pg import Postgres

PG_SKIP = Postgres.unavailable_reason()


@pytest.fixture(scope="module")
def pg():
    if PG_SKIP:
        pytest.skip(PG_SKIP)
    server = Postgres().init().start()
    yield server
    server.destroy()


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path):
    if request.param == "sqlite":
        yield Store(f"sqlite:///{tmp_path / 'store.sqlite3'}")
    else:
        server = request.getfixturevalue("pg")
        s = Store(server.url)
        with s.engine.begin() as db:  # a clean schema per test
            db.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        yield s


def test_migrations_run_once_in_order(store):
    assert store.ping()
    with store.engine.begin() as db:
        names = [r[0] for r in db.execute(text("SELECT name FROM _migrations ORDER BY name"))]
    assert names == [name for name, _ in MIGRATIONS]
    store._migrated = False
    assert store.ping()  # re-running applies nothing and does not fail


def test_turns_and_state_round_trip(store):
    t1 = store.save_turn("s-1", "问题一", {"answer": "答一", "intent": "policy_qa"}, {"profile": {"age": 28}})
    store.save_turn("s-1", "问题二", {"answer": "答二", "intent": "calculate"}, {"profile": {"age": 29}})
    assert store.load_state("s-1") == {"profile": {"age": 29}}
    session = store.session("s-1")
    assert [t["question"] for t in session["turns"]] == ["问题一", "问题二"]
    assert [t["idx"] for t in session["turns"]] == [1, 2]
    assert session["turns"][0]["answer"]["turn_id"] == t1
    assert store.load_state("s-unknown") is None and store.session("s-unknown") is None


def test_feedback_and_cases(store):
    store.save_turn("s-2", "q", {"answer": "a"}, {})
    store.add_feedback("s-2", None, True, "很好")
    assert store.feedback()[0]["comment"] == "很好"
    case = store.create_case({"visitor_name": "张三", "entity_type": "individual", "needs": ["registration"],
                              "checklist": [{"key": "registration:0", "done": False}]})
    assert store.get_case(case["id"])["visitor_name"] == "张三"
    store.update_case(case["id"], status="done", notes=[{"text": "ok", "at": "now"}])
    assert store.get_case(case["id"])["status"] == "done"
    assert [c["id"] for c in store.list_cases(q="张三")] == [case["id"]]
    assert store.delete_case(case["id"]) and store.get_case(case["id"]) is None


def test_concurrent_writers_lose_no_turn(store):
    def writer(n):
        for i in range(10):
            store.save_turn(f"s-c{n % 4}", f"q{n}-{i}", {"answer": "a"}, {"n": n})

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert store.count("turns") == 80
    for k in range(4):
        idxs = [t["idx"] for t in store.session(f"s-c{k}")["turns"]]
        assert idxs == list(range(1, len(idxs) + 1))


def test_database_outage_is_503_and_recovers(pg, tmp_path):
    import httpx
    from fastapi.testclient import TestClient

    from assistant.api.app import create_app
    from assistant.config import Settings
    from assistant.service import AssistantService
    from tests.conftest import _DATA

    settings = Settings(data_dir=_DATA, database_url=pg.url, staff_token="store-test-staff-token-0123456789")
    app = create_app(settings, AssistantService(settings), with_ui=False)
    with TestClient(app, base_url="http://127.0.0.1") as client:
        ok = client.post("/api/chat", json={"message": "算力券怎么补"})
        assert ok.status_code == 200
        sid, owner = ok.json()["session_id"], {"X-Session-Token": ok.json()["session_token"]}
        pg.stop()
        try:
            down = client.post("/api/chat", json={"message": "算力券怎么补", "session_id": sid}, headers=owner)
            assert down.status_code == 503 and down.json()["error"]["code"] == "database_unavailable"
            fresh = client.post("/api/chat", json={"message": "算力券怎么补"})  # policy answers need no database
            assert fresh.status_code == 200 and fresh.headers["x-session-stored"] == "false"
            assert client.get("/readyz").status_code == 503
        finally:
            pg.start()
        again = client.post("/api/chat", json={"message": "算力券怎么补", "session_id": sid}, headers=owner)
        assert again.status_code == 200
        assert len(client.get(f"/api/sessions/{sid}", headers=owner).json()["turns"]) == 2


def test_unreachable_database_raises_store_unavailable(tmp_path):
    from tests.serving import free_port

    s = Store(f"postgresql+psycopg://opc@127.0.0.1:{free_port()}/postgres?connect_timeout=2")
    if PG_SKIP and "psycopg" in PG_SKIP:
        pytest.skip(PG_SKIP)
    with pytest.raises(StoreUnavailable):
        s.save_turn("s-x", "q", {}, {})
    assert s.ping() is False


def test_concurrent_case_changes_lose_nothing(store):
    """modify_case holds the row from its first statement: eight writers appending notes at once keep all 80."""
    case = store.create_case({"visitor_name": "并发", "entity_type": "individual", "needs": [], "checklist": []})

    def writer(n):
        for i in range(10):
            store.modify_case(case["id"], lambda c, n=n, i=i: {"notes": c["notes"] + [{"text": f"{n}-{i}", "at": "t"}]})

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(x["text"] for x in store.get_case(case["id"])["notes"]) == sorted(
        f"{n}-{i}" for n in range(8) for i in range(10))
    assert store.modify_case("c-000000000000", lambda c: {"status": "done"}) is None


def test_sessions_keep_their_owner_hash_and_masked_text(store):
    store.save_turn("s-o", "我的电话13812345678", {"answer": "好的，13812345678"}, {}, token_hash="h" * 64)
    store.save_turn("s-o", "下一句", {"answer": "a"}, {}, token_hash="ignored")
    assert store.session_owner("s-o") == (True, "h" * 64)
    assert store.session_owner("s-none") == (False, None)
    turns = store.session("s-o")["turns"]
    assert turns[0]["question"] == "我的电话138****5678" and turns[0]["answer"]["answer"] == "好的，138****5678"
