"""Security and data integrity of the public service (issue 17), each against a real uvicorn server on 127.0.0.1:
owned sessions, limits, staff UI logins, faults that degrade, personal data, and the low items."""
import json
import os
import re
import shutil
import sqlite3
import stat
import subprocess
import sys
import time

import httpx
import pytest

from tests.conftest import _DATA, REPO
from tests.pg import Postgres
from tests.serving import Server

PG_SKIP = Postgres.unavailable_reason()

ID_NUMBER, PHONE = "320902199001011234", "13812345678"
LIMITED_TOKEN = "limited-server-staff-token-0123"  # 24+ characters: shorter ones stop the start


def post(server, path, payload, **kw):
    return httpx.post(server.url + path, json=payload, timeout=60, **kw)


def fresh_data(tmp: os.PathLike) -> "os.PathLike":
    """A data dir of its own (created by the server) with a copy of the suite's index."""
    data = tmp / "data"
    data.mkdir(mode=0o755)
    shutil.copytree(_DATA / "index", data / "index")
    return data


@pytest.fixture(scope="module")
def pg():
    if PG_SKIP:
        pytest.skip(PG_SKIP)
    srv = Postgres().init().start()
    yield srv
    srv.destroy()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'retention.sqlite3'}"
    return request.getfixturevalue("pg").url


@pytest.fixture(scope="module")
def limited(service, tmp_path_factory):
    """A server with tight limits, a 7-second staff UI login, an info-level access log and its own staff token."""
    data = fresh_data(tmp_path_factory.mktemp("limited"))
    srv = Server(data, log_level="info", env={
        "OPC_RATE_LIMIT": "3/minute", "OPC_MAX_REPLAY_MESSAGES": "2", "OPC_STAFF_UI_SESSION_HOURS": "0.002",
        "OPC_STAFF_TOKEN": LIMITED_TOKEN}).start()
    yield srv
    srv.stop()


# --- 1 and 3: sessions are server-issued and owned ----------------------------------------------------------
def test_sessions_are_server_issued_and_need_their_secret(server, staff_headers):
    r = post(server, "/api/chat", {"message": f"我的身份证{ID_NUMBER}，电话{PHONE}，算力券怎么补"})
    a = r.json()
    sid, token = a["session_id"], a["session_token"]
    assert r.headers["x-session-id"] == sid and r.headers["x-session-token"] == token and len(token) >= 32
    url = f"{server.url}/api/sessions/{sid}"
    assert httpx.get(url).status_code == 403
    assert httpx.get(url, headers={"X-Session-Token": "guess"}).status_code == 403
    mine = httpx.get(url, headers={"X-Session-Token": token})
    assert mine.status_code == 200 and len(mine.json()["turns"]) == 1
    assert httpx.get(url, headers=staff_headers).status_code == 200  # staff may help a visitor
    # continuing needs the secret too; a client-chosen id is not a session
    assert post(server, "/api/chat", {"message": "那第二年呢", "session_id": sid}).status_code == 403
    assert post(server, "/api/chat", {"message": "你好", "session_id": "1"}).status_code == 404
    assert httpx.get(f"{server.url}/api/sessions/1").status_code == 404
    ok = post(server, "/api/chat", {"message": "那第二年呢", "session_id": sid, "session_token": token})
    assert ok.status_code == 200 and ok.json()["session_token"] is None
    assert len(httpx.get(url, headers={"X-Session-Token": token}).json()["turns"]) == 2


def test_openai_endpoint_never_shares_a_turn_log(server):
    msgs = [{"role": "user", "content": f"你好，我的身份证{ID_NUMBER}，电话{PHONE}"}]
    one = post(server, "/v1/chat/completions", {"model": "opc-assistant", "messages": msgs})
    two = post(server, "/v1/chat/completions", {"model": "opc-assistant", "messages": msgs})
    assert one.status_code == two.status_code == 200
    sid1, sid2 = one.headers["x-session-id"], two.headers["x-session-id"]
    assert sid1 != sid2 and one.json()["session_id"] == sid1
    tok1 = one.headers["x-session-token"]
    assert httpx.get(f"{server.url}/api/sessions/{sid2}", headers={"X-Session-Token": tok1}).status_code == 403
    turns = httpx.get(f"{server.url}/api/sessions/{sid1}", headers={"X-Session-Token": tok1}).json()["turns"]
    assert len(turns) == 1
    assert ID_NUMBER not in turns[0]["question"] and PHONE not in turns[0]["question"]
    assert "3209**********1234" in turns[0]["question"] and "138****5678" in turns[0]["question"]
    # a client that names its session continues it, with the secret only
    more = msgs + [{"role": "assistant", "content": "您好"}, {"role": "user", "content": "算力券怎么补"}]
    cont = post(server, "/v1/chat/completions", {"messages": more}, headers={"X-Session-Id": sid1, "X-Session-Token": tok1})
    assert cont.status_code == 200 and cont.headers["x-session-id"] == sid1 and "x-session-token" not in cont.headers
    assert post(server, "/v1/chat/completions", {"messages": more}, headers={"X-Session-Id": sid1}).status_code == 403
    assert len(httpx.get(f"{server.url}/api/sessions/{sid1}", headers={"X-Session-Token": tok1}).json()["turns"]) == 2


def test_feedback_needs_an_existing_owned_session(server):
    a = post(server, "/api/chat", {"message": "算力券怎么补"}).json()
    base = {"turn_id": a["turn_id"], "helpful": True}
    assert post(server, "/api/feedback", {"session_id": "s-nosuchsession", **base}).status_code == 404
    assert post(server, "/api/feedback", {"session_id": a["session_id"], **base}).status_code == 403
    r = post(server, "/api/feedback", {"session_id": a["session_id"], "session_token": a["session_token"], **base})
    assert r.status_code == 201


# --- 4: bodies are limited while they are read; no uploads ------------------------------------------------------
def test_chunked_body_is_limited_while_reading(server):
    def chunks():
        yield b'{"message": "'
        for _ in range(16):  # 1 MB with no Content-Length
            yield b"a" * 65536
        yield b'"}'

    r = httpx.post(server.url + "/api/chat", content=chunks(), headers={"content-type": "application/json"}, timeout=60)
    assert r.request.headers["transfer-encoding"] == "chunked" and "content-length" not in r.request.headers
    assert r.status_code == 422 and r.json()["error"]["code"] == "body_too_large"
    up = httpx.post(server.url + "/ui/gradio_api/upload", files={"files": ("a.txt", b"x" * 10)}, timeout=30)
    assert up.status_code == 403 and up.json()["error"]["code"] == "uploads_disabled"


# --- 5: rate limits, bounded replay, retention ------------------------------------------------------------------
def test_rate_limit_answers_429_with_retry_after(limited):
    codes = [post(limited, "/api/tools/compute_voucher_subsidy", {"annual_spend": ["50万"]}) for _ in range(5)]
    assert [r.status_code for r in codes[:3]] == [200, 200, 200]
    last = codes[-1]
    assert last.status_code == 429 and last.json()["error"]["code"] == "rate_limited"
    assert 1 <= int(last.headers["retry-after"]) <= 60
    assert httpx.get(limited.url + "/healthz").status_code == 200  # other routes are not counted


def test_openai_history_replay_is_capped(server):
    """At most OPC_MAX_REPLAY_MESSAGES (12) earlier user messages are replayed: a fact given further back is not."""
    first, ask = "我今年28岁，全日制硕士，第一次在盐城交社保", "我每个月能拿多少生活补贴？"

    def answer(fillers: int) -> str:
        users = [first] + ["OPC是什么意思"] * fillers + [ask]
        msgs = [{"role": "user", "content": u} for u in users]
        r = post(server, "/v1/chat/completions", {"messages": msgs})
        assert r.status_code == 200
        return r.json()["choices"][0]["message"]["content"]

    assert "2,000元" in answer(11)
    assert "2,000元" not in answer(12)


def test_purge_command_applies_the_retention(store_url, tmp_path):
    from assistant.store import Store

    st = Store(store_url)
    st.save_turn("s-old", "q", {"answer": "a"}, {})
    st.save_turn("s-new", "q", {"answer": "a"}, {})
    st.add_feedback("s-old", None, True, "x")
    old = st.create_case({"visitor_name": "甲", "entity_type": "individual", "status": "closed"})
    open_case = st.create_case({"visitor_name": "乙", "entity_type": "individual"})
    from sqlalchemy import text

    with st.engine.begin() as db:
        for table, col in (("sessions", "updated_at"), ("turns", "created_at"), ("feedback", "created_at"),
                           ("cases", "updated_at")):
            db.execute(text(f"UPDATE {table} SET {col}='2020-01-01T00:00:00.000+00:00'"
                            + (" WHERE session_id='s-old'" if table in ("turns", "feedback") else
                               " WHERE id='s-old'" if table == "sessions" else "")))
    env = {**os.environ, "OPC_DATABASE_URL": store_url, "OPC_DATA_DIR": str(tmp_path)}
    out = subprocess.run([sys.executable, "-m", "assistant.cli", "purge", "--json"], cwd=REPO, env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["retention_days"] == 180
    assert report["deleted"] == {"sessions": 1, "turns": 1, "feedback": 1, "cases": 1}
    assert st.session("s-old") is None and st.session("s-new") is not None
    assert st.get_case(old["id"]) is None and st.get_case(open_case["id"]) is not None


def test_embedded_query_is_truncated(service):
    from assistant.retrieve import MAX_EMBED_CHARS

    seen = []
    embedder = service.index.embedder
    original = embedder.embed_query
    embedder.embed_query = lambda texts: (seen.extend(len(t) for t in texts), original(texts))[1]
    try:
        service.searcher.search("算力券怎么申请" * 300, 3)
    finally:
        embedder.embed_query = original
    assert seen and max(seen) <= MAX_EMBED_CHARS


# --- 6: staff UI logins -------------------------------------------------------------------------------------------
def test_short_staff_token_stops_the_start(tmp_path):
    """A staff token under 24 characters can be guessed: the server refuses to start and says why."""
    srv = Server(tmp_path, env={"OPC_STAFF_TOKEN": "short-token"})
    try:
        with pytest.raises(RuntimeError, match="server exited") as exited:
            srv.start(timeout=120)
    finally:
        srv.stop()
    said = str(exited.value)
    assert "OPC_STAFF_TOKEN: the staff token has 11 characters, at least 24 are needed" in said
    assert "short-token" not in said


def test_print_links_work_in_a_browser_and_expire(server, staff_headers):
    from assistant.api.deps import print_link

    case = post(server, "/api/cases", {"visitor_name": "孙八", "entity_type": "individual"}, headers=staff_headers).json()
    token = os.environ["OPC_STAFF_TOKEN"]
    link = print_link(token, case["id"])
    page = httpx.get(server.url + link)  # no Authorization header, as a browser follows a link
    assert page.status_code == 200 and "企业开办办事清单" in page.text
    assert httpx.get(server.url + print_link(token, case["id"], "pdf")).headers["content-type"] == "application/pdf"
    assert httpx.get(server.url + link.replace("sig=", "sig=0")).status_code == 401
    expired = print_link(token, case["id"], now=time.time() - 7200)
    assert httpx.get(server.url + expired).status_code == 401
    other = post(server, "/api/cases", {"visitor_name": "周九", "entity_type": "individual"}, headers=staff_headers).json()
    assert httpx.get(server.url + link.replace(case["id"], other["id"])).status_code == 401


# --- 7: faults that degrade ---------------------------------------------------------------------------------------
def test_deleted_index_is_not_ready_then_rebuilt_on_demand(service, tmp_path):
    data = fresh_data(tmp_path)
    srv = Server(data).start(timeout=240)
    try:
        assert httpx.get(srv.url + "/readyz").status_code == 200
        shutil.rmtree(data / "index")
        ready = httpx.get(srv.url + "/readyz")
        assert ready.status_code == 503 and ready.json()["index"] is False
        r = httpx.get(srv.url + "/api/search", params={"q": "硕士毕业来盐城每月生活补贴多少", "k": 3}, timeout=240)
        assert r.status_code == 200 and r.json()["results"][0]["section"] == "第九条"
        assert httpx.get(srv.url + "/readyz").status_code == 200
        assert (data / "index" / "manifest.json").exists()
    finally:
        srv.stop()


def test_deleted_database_file_answers_503_not_a_lost_write(service, tmp_path, staff_headers):
    data = fresh_data(tmp_path)
    db = data / "gone.sqlite3"
    srv = Server(data, db_url=f"sqlite:///{db}").start()
    try:
        assert post(srv, "/api/cases", {"visitor_name": "甲", "entity_type": "individual"}, headers=staff_headers).status_code == 201
        for f in data.glob("gone.sqlite3*"):
            f.unlink()
        w = post(srv, "/api/cases", {"visitor_name": "乙", "entity_type": "individual"}, headers=staff_headers)
        assert w.status_code == 503 and w.json()["error"]["code"] == "database_unavailable"
        assert httpx.get(srv.url + "/readyz").json()["database"] is False
    finally:
        srv.stop()


def test_corrupt_database_starts_answers_policy_and_refuses_writes(service, tmp_path, staff_headers):
    data = fresh_data(tmp_path)
    db = data / "corrupt.sqlite3"
    db.write_bytes(b"this is not a database" * 400)
    srv = Server(data, db_url=f"sqlite:///{db}").start()
    try:
        ready = httpx.get(srv.url + "/readyz")
        assert ready.status_code == 503 and ready.json() == {**ready.json(), "database": False, "index": True}
        s = httpx.get(srv.url + "/api/search", params={"q": "算力券", "k": 1})
        assert s.status_code == 200 and s.json()["results"][0]["section"] == "第一条"
        a = post(srv, "/api/chat", {"message": "硕士毕业来盐城每月生活补贴多少"})
        assert a.status_code == 200 and "2,000元" in a.json()["answer"]
        assert a.headers["x-session-stored"] == "false" and a.json()["session_token"] is None
        w = post(srv, "/api/cases", {"visitor_name": "甲", "entity_type": "individual"}, headers=staff_headers)
        assert w.status_code == 503 and w.json()["error"]["code"] == "database_unavailable"
        assert httpx.get(srv.url + "/api/sessions/s-x", headers={"X-Session-Token": "t"}).status_code == 503
        assert httpx.get(srv.url + "/api/cases", headers=staff_headers).status_code == 503
    finally:
        srv.stop()


# --- 8: personal data ----------------------------------------------------------------------------------------------
def test_id_numbers_are_hashed_and_masked_files_private_logs_redacted(limited):
    staff = {"Authorization": f"Bearer {LIMITED_TOKEN}"}
    case = post(limited, "/api/cases", {"visitor_name": "吴十", "phone": "13900001111", "id_number": ID_NUMBER,
                                        "entity_type": "individual"}, headers=staff).json()
    assert case["id_number"] == "3209**********1234"
    found = httpx.get(limited.url + "/api/cases", params={"q": ID_NUMBER}, headers=staff).json()["cases"]
    assert [c["id"] for c in found] == [case["id"]]  # found by the keyed hash
    con = sqlite3.connect(limited.db_url.removeprefix("sqlite:///"))
    row = con.execute("SELECT id_number, id_hash FROM cases WHERE id=?", (case["id"],)).fetchone()
    dump = "\n".join(con.iterdump())
    con.close()
    assert row[0] == "3209**********1234" and len(row[1]) == 64 and ID_NUMBER not in dump
    data = limited.data_dir
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    for f in data.glob("server.sqlite3*"):
        assert stat.S_IMODE(f.stat().st_mode) == 0o600, f
    for name in ("pii_key",):
        assert stat.S_IMODE((data / name).stat().st_mode) == 0o600
    log = limited.log.read_text(errors="ignore")
    assert "/api/cases?q=…" in log and ID_NUMBER not in log and "13900001111" not in log


def test_sql_errors_do_not_log_parameters(tmp_path):
    from assistant.store import Store, StoreUnavailable

    st = Store(f"sqlite:///{tmp_path / 'p.sqlite3'}")
    st.ping()
    with st.engine.begin() as db:
        from sqlalchemy import text

        db.execute(text("DROP TABLE cases"))
    with pytest.raises(StoreUnavailable) as err:
        st.create_case({"visitor_name": "张三", "phone": PHONE, "entity_type": "individual"})
    chained = str(err.value.__cause__)  # what a traceback in the log shows
    assert "no such table" in chained and PHONE not in chained and "张三" not in chained


# --- 9-12: low items ---------------------------------------------------------------------------------------------
def test_feedback_csv_export_is_not_a_formula(server, staff_headers):
    a = post(server, "/api/chat", {"message": "算力券怎么补"}).json()
    post(server, "/api/feedback", {"session_id": a["session_id"], "session_token": a["session_token"],
                                   "helpful": False, "comment": '=HYPERLINK("http://evil.example","点我")'})
    csv = httpx.get(server.url + "/api/admin/feedback?format=csv", headers=staff_headers).text
    line = next(x for x in csv.splitlines() if "HYPERLINK" in x)
    assert "'=HYPERLINK" in line and ',=HYPERLINK' not in line and ',"=HYPERLINK' not in line


@pytest.mark.parametrize("path,payload", [
    ("/api/tools/compute_rental_relief", {"monthly_rent": 1e308}),
    ("/api/tools/compute_rental_relief", {"monthly_rent": 10 ** 30}),
    ("/api/tools/compute_voucher_subsidy", {"annual_spend": ["1" * 30]}),
])
def test_huge_numbers_are_422(server, path, payload):
    r = post(server, path, payload)
    assert r.status_code == 422 and r.json()["error"]["code"], r.text


@pytest.mark.parametrize("body", [
    '{"messages": [{"role": "user", "content": "\\ud800你好"}]}',
    '{"messages": [{"role": "user", "content": "\\ud800"}]}',
    '{"messages": [{"role": "user", "content": [{"type": "text", "text": 12345}]}]}',
    '{"model": "\\udfff", "messages": [{"role": "user", "content": [{"type": "text", "text": ["a"]}]}]}',
])
def test_openai_odd_content_is_422_not_500(server, body):
    r = httpx.post(server.url + "/v1/chat/completions", content=body.encode(), timeout=60,
                   headers={"content-type": "application/json"})
    assert r.status_code in (200, 422), r.text
    if body.startswith('{"messages": [{"role": "user", "content": "\\ud800你好'):
        assert r.status_code == 200  # the lone surrogate is dropped, the question answered
    else:
        assert r.status_code == 422 and r.json()["error"]["code"]


def test_security_headers_host_check_and_gradio_errors_hidden(server):
    for path in ("/api/search?q=算力券", "/policies/measures", "/ui/"):
        h = httpx.get(server.url + path, timeout=30).headers
        assert h["x-content-type-options"] == "nosniff" and h["x-frame-options"] == "DENY", path
        assert "frame-ancestors 'none'" in h["content-security-policy"] and h["referrer-policy"] == "no-referrer"
    assert httpx.get(server.url + "/healthz", headers={"Host": "evil.example"}).status_code == 400
    assert httpx.get(server.url + "/healthz", headers={"Host": "localhost"}).status_code == 200
    config = httpx.get(server.url + "/ui/config", timeout=30).json()
    assert config["show_error"] is False


def test_no_cross_origin_reads_of_the_api_or_the_ui(server):
    """Another site (even on localhost) gets no CORS grant: not from the API, not from the mounted Gradio UI, which by
    itself echoes any localhost Origin with credentials."""
    for origin in ("http://localhost:9999", "http://127.0.0.1:1", "https://evil.example"):
        for path in ("/ui/config", "/api/search?q=算力券"):
            r = httpx.get(server.url + path, headers={"Origin": origin}, timeout=30)
            assert "access-control-allow-origin" not in r.headers, (origin, path)
            assert "access-control-allow-credentials" not in r.headers, (origin, path)
        pre = httpx.options(server.url + "/ui/gradio_api/queue/join", timeout=30,
                            headers={"Origin": origin, "Access-Control-Request-Method": "POST"})
        assert "access-control-allow-origin" not in pre.headers, origin
    same = httpx.get(server.url + "/ui/config", timeout=30)  # the UI itself (same origin) still works
    assert same.status_code == 200 and same.json()["show_error"] is False


# --- second audit: limits that could be walked around, the login backoff, masking, lone surrogates --------------
MCP_HEADERS = {"Accept": "application/json, text/event-stream"}


def mcp(server, method, params=None, **kw):
    body = {"jsonrpc": "2.0", "id": 1, "method": method, **({"params": params} if params else {})}
    return httpx.post(server.url + "/mcp/", json=body, headers={**MCP_HEADERS, **kw.pop("headers", {})}, timeout=60)


@pytest.fixture(scope="module")
def tight(service, tmp_path_factory):
    """Started as the tests start every server (`python -m uvicorn`, uvicorn's own proxy headers on), 3/minute each."""
    srv = Server(fresh_data(tmp_path_factory.mktemp("tight")),
                 env={"OPC_RATE_LIMIT": "3/minute", "OPC_RATE_LIMIT_UI": "3/minute"}).start()
    yield srv
    srv.stop()


def test_mcp_tool_calls_are_limited_handshakes_are_not(tight):
    call = {"name": "search_policy", "arguments": {"query": "算力券", "k": 2}}
    codes = [mcp(tight, "tools/call", call).status_code for _ in range(5)]
    assert codes == [200, 200, 200, 429, 429]
    assert mcp(tight, "tools/list").status_code == 200  # listing the tools costs nothing
    batch = [{"jsonrpc": "2.0", "id": i, "method": "tools/call", "params": call} for i in range(2)]
    r = httpx.post(tight.url + "/mcp/", json=batch, headers=MCP_HEADERS, timeout=60)
    assert r.status_code == 429 and r.json()["error"]["code"] == "rate_limited"


def test_the_web_ui_queue_is_limited_and_its_other_routes_closed(tight):
    from tests.ui_client import PageClient

    page = PageClient(tight.url)
    codes = [page.join("do_search", ["算力券"]).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    for path in ("/ui/gradio_api/api/do_search", "/ui/gradio_api/run/do_search", "/ui/gradio_api/call/do_search"):
        assert httpx.post(tight.url + path, json={"data": ["算力券"]}, timeout=60).status_code == 404, path


def test_forwarded_for_from_an_untrusted_peer_gives_no_fresh_limit(tight):
    """uvicorn (started directly) rewrites the peer from X-Forwarded-For for loopback; the app does not believe it."""
    codes = [httpx.get(tight.url + "/api/search", params={"q": "算力券"}, timeout=60,
                       headers={"X-Forwarded-For": f"203.0.113.{i}"}).status_code for i in range(1, 6)]
    assert codes == [200, 200, 200, 429, 429]


@pytest.fixture(scope="module")
def served(service, tmp_path_factory):
    """Started as `make run` starts it (`opc-assistant serve`), with loopback as the trusted proxy, 3/minute."""
    srv = Server(fresh_data(tmp_path_factory.mktemp("served")), cli=True,
                 env={"OPC_RATE_LIMIT": "3/minute", "OPC_TRUSTED_PROXIES": "127.0.0.1"}).start()
    yield srv
    srv.stop()


def test_behind_a_trusted_proxy_each_forwarded_client_has_its_own_limit(served):
    def search(xff):
        return httpx.get(served.url + "/api/search", params={"q": "算力券"}, timeout=60,
                         headers={"X-Forwarded-For": xff}).status_code

    assert [search("198.51.100.7") for _ in range(4)] == [200, 200, 200, 429]
    # a client's own X-Forwarded-For comes first; the proxy appends the address it saw, which is the one counted
    assert search("10.9.9.9, 198.51.100.7") == 429
    assert [search("198.51.100.8") for _ in range(3)] == [200, 200, 200]  # another user behind the same proxy
    log = served.log.read_text(errors="ignore")
    assert "198.51.100.8:0" in log  # the access log names the forwarded client


def test_cli_serve_does_not_believe_forwarded_for_by_default(service, tmp_path):
    srv = Server(fresh_data(tmp_path), cli=True, env={"OPC_RATE_LIMIT": "3/minute"}).start()
    try:
        codes = [httpx.get(srv.url + "/api/search", params={"q": "算力券"}, timeout=60,
                           headers={"X-Forwarded-For": f"203.0.113.{i}"}).status_code for i in range(1, 5)]
        assert codes == [200, 200, 200, 429]
    finally:
        srv.stop()


def test_staff_login_backoff_survives_forwarded_for_rotation(limited):
    """X-Forwarded-For from an untrusted peer names no new client: the fourth wrong try waits like any other."""
    for i in range(3):
        r = httpx.post(limited.url + "/staff/login", data={"token": "wrong"}, timeout=60,
                       headers={"X-Forwarded-For": f"10.1.1.{i}"})
        assert r.status_code == 401
    t0 = time.monotonic()
    httpx.post(limited.url + "/staff/login", data={"token": "wrong"}, timeout=60, headers={"X-Forwarded-For": "10.2.2.1"})
    assert time.monotonic() - t0 >= 1.0


PII_MESSAGES = {  # message -> the number as it must never be stored
    "电话+8613812345681，我30岁硕士全日制首次在盐参保，生活补贴多少？": "13812345681",
    "手机１３８１２３４５６８０，身份证３２０９０２１９９００１０１１２３６，硕士生活补贴多少？": "320902199001011236",
    "手机 138-1234-5679，身份证 320902 19900101 1235，硕士生活补贴多少？": "320902199001011235",
    "联系我 0086 138 1234 5677，硕士生活补贴多少？": "13812345677",
}


def digits_of(text: str) -> str:
    from assistant.privacy import fold

    return re.sub(r"[^0-9]", "", fold(text))


def test_phone_and_id_numbers_are_masked_in_every_stored_text(server, staff_headers):
    stored = []
    for message in PII_MESSAGES:
        r = post(server, "/api/chat", {"message": message})
        assert r.status_code == 200
        stored.append(r.json())
    first = stored[0]
    fb = post(server, "/api/feedback", {"session_id": first["session_id"], "session_token": first["session_token"],
                                        "turn_id": first["turn_id"], "helpful": False,
                                        "comment": "请回电13812345699，身份证320902199001011299"})
    assert fb.status_code in (200, 201)
    case = post(server, "/api/cases", {"visitor_name": "郑一", "phone": "13900002222", "entity_type": "individual"},
                headers=staff_headers).json()
    note = httpx.patch(f"{server.url}/api/cases/{case['id']}", headers=staff_headers, timeout=30,
                       json={"note": "核验身份证 320902-19900101-1277，备用电话 139 0000 3333"})
    assert note.status_code == 200
    con = sqlite3.connect(server.db_url.removeprefix("sqlite:///"))
    turns = [q for (q,) in con.execute("SELECT question FROM turns WHERE session_id IN (%s)" % ",".join(
        "?" * len(stored)), [a["session_id"] for a in stored])]
    comment = con.execute("SELECT comment FROM feedback WHERE session_id=?", (first["session_id"],)).fetchone()[0]
    phone, notes = con.execute("SELECT phone, notes FROM cases WHERE id=?", (case["id"],)).fetchone()
    con.close()
    assert len(turns) == len(PII_MESSAGES)
    for question, secret in zip(turns, PII_MESSAGES.values()):
        assert secret not in digits_of(question), question
        assert re.search(r"138\*{4}56[0-9]{2}|3209\*{10}12[0-9]{2}", question), question
    assert comment == "请回电138****5699，身份证3209**********1299"
    assert "3209**********1277" in notes and "139****3333" in notes and "19900101" not in digits_of(notes)
    assert phone == "13900002222"  # the counter's callback number is kept as given


def test_lone_surrogate_is_422_on_the_api_and_the_web_ui(server, service, staff_headers):
    from assistant.service import InvalidInput

    new = post(server, "/api/chat", {"message": "硕士生活补贴多少？"}).json()
    v1 = httpx.post(server.url + "/v1/chat/completions", timeout=60, headers={"content-type": "application/json"},
                    content=('{"messages": [{"role": "user", "content": "hi"}], "metadata": {"session_id": "%s", '
                             '"session_token": "\\ud800"}}' % new["session_id"]).encode())
    assert v1.status_code == 422 and v1.json()["error"]["code"] == "invalid_session_token", v1.text
    again = httpx.post(server.url + "/v1/chat/completions", timeout=60, json={
        "messages": [{"role": "user", "content": "硕士生活补贴多少？"}],
        "metadata": {"session_id": new["session_id"], "session_token": new["session_token"]}})
    assert again.status_code == 200  # the right secret still works
    with pytest.raises(InvalidInput):  # the service layer itself refuses it, whoever calls
        service.authorize_session(new["session_id"], "\ud800")
    case = post(server, "/api/cases", {"visitor_name": "冯二", "entity_type": "individual"}, headers=staff_headers).json()
    for change in ({"tick": {"\ud800": True}}, {"note": "\ud800"}):
        r = httpx.patch(f"{server.url}/api/cases/{case['id']}", content=json.dumps(change).encode(), timeout=30,
                        headers={**staff_headers, "content-type": "application/json"})
        assert r.status_code == 422, (change, r.text)
    from tests.ui_client import PageClient

    page = PageClient(server.url)
    for fn, data in (("respond", ["\ud800", None]), ("do_search", ["算力\ud800券"])):
        body = {"data": data, "fn_index": page.fn_index(fn), "session_hash": page.session_hash}
        r = httpx.post(server.url + "/ui/gradio_api/queue/join", content=json.dumps(body).encode(),
                       headers={"content-type": "application/json"}, timeout=60)  # json.dumps writes \ud800
        assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_text", (fn, r.text)
    assert page.call("do_search", ["算力券😀"])  # a real (paired) astral character is fine


def test_client_resolution_believes_only_the_configured_proxies():
    from assistant.api.clients import UNVERIFIED, ClientResolver

    def scope(peer, *xff):
        return {"client": (peer, 5000), "headers": [(b"x-forwarded-for", v.encode()) for v in xff]}

    proxies = ClientResolver("10.0.0.5, 10.1.0.0/16")
    assert proxies.resolve(scope("10.0.0.5", "6.6.6.6, 198.51.100.7")) == ("198.51.100.7", "198.51.100.7")
    assert proxies.resolve(scope("10.0.0.5", "6.6.6.6", "198.51.100.7, 10.1.2.3")) == ("198.51.100.7", "198.51.100.7")
    assert proxies.resolve(scope("10.0.0.5", "not-an-ip")) == ("10.0.0.5", None)  # garbage: the proxy is the key
    assert proxies.resolve(scope("203.0.113.9", "198.51.100.7")) == ("203.0.113.9", None)  # not a proxy of ours
    assert proxies.resolve(scope("198.51.100.7", "198.51.100.7")) == (UNVERIFIED, None)  # uvicorn rewrote the peer
    assert ClientResolver("").resolve(scope("::ffff:10.0.0.5")) == ("10.0.0.5", None)
    # one IPv6 subscriber (a /64) is one client, whichever of its addresses it uses
    assert ClientResolver("").resolve(scope("2001:db8:1:2::a"))[0] == ClientResolver("").resolve(
        scope("2001:db8:1:2:ffff::1"))[0] == "2001:db8:1:2::/64"
    with pytest.raises(ValueError):
        ClientResolver("10.0.0.300")
