"""The web pages of a public service (issue #23), against a real server on 127.0.0.1: no file of the server is
reachable through them, one request cannot freeze the process, a Gradio session holds no client-supplied history,
the staff screen is its own page behind an HttpOnly cookie, and no correct token is ever refused. Each test failed on
main 0a8f185 (the history was the client's, Gradio's other routes were open, the staff login lived in the session)."""
from __future__ import annotations

import logging
import time

import gradio as gr
import httpx
import pytest

from tests.serving import Server
from tests.test_security import fresh_data
from tests.ui_client import PageClient

TOKEN = "ui-security-staff-token-0123456789"


@pytest.fixture(scope="module")
def site(service, tmp_path_factory):
    srv = Server(fresh_data(tmp_path_factory.mktemp("ui-sec")), env={
        "OPC_STAFF_TOKEN": TOKEN, "OPC_STAFF_UI_SESSION_HOURS": "0.002"}).start()
    yield srv
    srv.stop()


def file_payload(path: str) -> dict:
    return {"path": path, "meta": {"_type": "gradio.FileData"}, "orig_name": "x", "url": None}


@pytest.mark.parametrize("path", ["/etc/passwd", "/proc/self/environ", "/dev/zero"])
def test_a_posted_history_with_a_file_reads_nothing_and_freezes_nothing(site, path):
    """The attack of the probe: a chat history carrying a file component, posted to the chat event."""
    page = PageClient(site.url)
    history = [{"role": "user", "content": file_payload(path)}, {"role": "assistant", "content": "好的"}]
    try:
        out = page.call("respond", ["算力券怎么补", history, None, []])
    except (RuntimeError, httpx.HTTPStatusError):
        out = []  # refused outright is as good as ignored
    shown = repr(out)
    assert "root:" not in shown and "OPC_STAFF_TOKEN" not in shown and "file=" not in shown
    assert httpx.get(site.url + "/healthz", timeout=5).status_code == 200  # the process is not frozen


@pytest.mark.parametrize("path", ["/etc/passwd", "/dev/zero"])
def test_no_event_of_either_page_accepts_a_file(site, path):
    """Any event with a file in any input position (the re-probe froze the process through an example chip's
    event): refused at the edge, before Gradio copies the path into its cache."""
    for page_path in ("/ui", "/staff"):
        page = PageClient(site.url, page_path)
        deps = page.http.get(f"{site.url}{page_path}/config").json()["dependencies"]
        for i, dep in enumerate(deps):
            data = [file_payload(path)] * max(1, len(dep.get("inputs", [])))
            r = page.http.post(f"{site.url}{page_path}/gradio_api/queue/join", timeout=10,
                               json={"data": data, "fn_index": i, "session_hash": page.session_hash})
            assert r.status_code == 422 and r.json()["error"]["code"] == "files_not_accepted", (page_path, i)
    assert httpx.get(site.url + "/healthz", timeout=5).status_code == 200


def test_the_pages_open_only_their_own_routes(site):
    for path in ("/ui/gradio_api/file=/etc/passwd", "/ui/file=/etc/passwd", "/ui/gradio_api/upload",
                 "/ui/gradio_api/process_recording", "/ui/gradio_api/api/do_search", "/ui/gradio_api/run/respond",
                 "/ui/gradio_api/call/respond", "/ui/gradio_api/proxy=http://127.0.0.1:1/", "/ui/monitoring",
                 "/staff/gradio_api/file=/etc/passwd", "/ui/gradio_api/info", "/ui/static/../../../etc/passwd"):
        for method in ("GET", "POST"):
            r = httpx.request(method, site.url + path, timeout=30)
            assert r.status_code in (403, 404), (method, path, r.status_code)
            assert "root:" not in r.text
    assert httpx.get(site.url + "/ui/", timeout=30).status_code == 200
    assert httpx.get(site.url + "/ui/config", timeout=30).status_code == 200
    assert httpx.get(site.url + "/staff/", timeout=30).status_code == 200


def test_the_chat_page_shows_the_servers_history_not_the_clients(site):
    page = PageClient(site.url)
    first = page.call("respond", ["硕士每月生活补贴多少", None])  # the session id stays in server-side state
    shown = first[0]
    assert len(shown) == 2 and "2,000元" in text_of(shown[1])
    again = page.call("respond", ["算力券第一年50万能拿多少", "s-forged-by-the-client"])
    assert len(again[0]) == 4 and text_of(again[0][0]) == "硕士每月生活补贴多少"
    assert all(part["type"] == "text" for m in again[0] for part in m["content"])  # text only, never a file
    shown = "".join(text_of(m) for m in again[0])
    assert not any(g in shown for g in "✅❔❌👉📄")  # the words that follow the glyphs, not the glyphs
    assert shown.count("《盐城市推进人工智能OPC创新创业若干政策措施》第九条</summary>") <= 1  # each article cited once


def text_of(message: dict) -> str:
    return "".join(part.get("text", "") for part in message["content"])


def test_events_run_several_at_once_and_sessions_are_bounded(service):
    """Both pages: more than one event at a time (one slow answer held everyone's page), and a bounded number of
    Gradio sessions in memory (10,000 by default, up to 2 MB each)."""
    from fastapi import FastAPI

    from ui.app import mount_ui

    app = FastAPI()
    app.state.staff_token = TOKEN
    mount_ui(app, service)
    mounted = {r.path: r.app for r in app.routes if getattr(r, "path", "") in ("/ui", "/staff")}
    assert set(mounted) == {"/ui", "/staff"}
    for gradio_app in mounted.values():
        blocks = gradio_app.get_blocks()
        limits = {f.concurrency_limit for f in blocks.fns.values()} - {"default"}
        assert blocks._queue.default_concurrency_limit > 1 and all(n > 1 for n in limits if n)
        assert gradio_app.state_holder.capacity == service.settings.ui_session_capacity <= 1000


def test_the_share_preview_names_the_service_not_gradio(site):
    for page in ("/ui/", "/staff/"):
        html = httpx.get(site.url + page, timeout=30).text
        assert "Click to try out the app!" not in html and 'content="Gradio"' not in html
        assert "盐城OPC创业助手" in html


def test_the_citizens_page_has_no_staff_screen(site):
    config = httpx.get(site.url + "/ui/config", timeout=30).json()
    labels = repr([c.get("props", {}).get("label") for c in config["components"]])
    assert "令牌" not in labels and "办件" not in labels


def login(site, token: str, client: httpx.Client | None = None) -> httpx.Response:
    c = client or httpx.Client(timeout=60)
    return c.post(site.url + "/staff/login", data={"token": token}, follow_redirects=False)


def test_staff_login_is_an_httponly_cookie_and_the_session_hash_alone_is_nothing(site):
    assert login(site, "wrong-token").status_code == 401
    ok = login(site, TOKEN)
    assert ok.status_code == 303 and ok.headers["location"] == "/staff/"
    cookie = ok.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "path=/" in cookie
    with httpx.Client(timeout=60, cookies=ok.cookies) as staff:
        page = PageClient(site.url, "/staff", client=staff)
        created = page.call("create", ["钱七", "13812345678", "individual"])
        assert created[0].startswith("已建档")
        listed = page.call("listing", [""])
        assert [row[0] for row in listed[0]["data"]] == [created[1]]
    stranger = PageClient(site.url, "/staff")  # no cookie: the same calls give nothing
    stranger.session_hash = page.session_hash  # even with the staff member's session hash
    assert stranger.call("listing", [""])[0]["data"] == []
    assert "请先登录" in stranger.call("create", ["孙八", "", "individual"])[0]


def test_staff_login_expires_and_logout_ends_it(site):
    ok = login(site, TOKEN)
    with httpx.Client(timeout=60, cookies=ok.cookies) as staff:
        page = PageClient(site.url, "/staff", client=staff)
        assert page.call("create", ["周九", "", "individual"])[0].startswith("已建档")
        out = staff.get(site.url + "/staff/logout", follow_redirects=False)
        assert out.status_code == 303
        page.http.cookies.set("opc_staff", ok.cookies["opc_staff"])  # a kept copy of the cookie is dead too
        assert "请先登录" in page.call("create", ["吴十", "", "individual"])[0]
    late = login(site, TOKEN)
    with httpx.Client(timeout=60, cookies=late.cookies) as staff:
        page = PageClient(site.url, "/staff", client=staff)
        time.sleep(7.5)  # OPC_STAFF_UI_SESSION_HOURS=0.002 is 7.2 s: a sleep past it, not a race
        assert "请先登录" in page.call("create", ["郑一", "", "individual"])[0]


def test_failures_slow_a_client_down_but_never_refuse_the_right_token(site):
    c = httpx.Client(timeout=60)
    for _ in range(4):
        assert login(site, "wrong", c).status_code == 401
    t0 = time.monotonic()
    assert login(site, TOKEN, c).status_code == 303  # the right token passes, after the wait
    assert time.monotonic() - t0 >= 1.0  # the fourth failure made the next try wait (a lower bound)
    log = site.log.read_text(errors="ignore")
    assert "staff login failed from" in log and TOKEN not in log


def test_one_clients_failures_never_lock_out_another():
    from ui.staff import StaffLogins

    logins = StaffLogins(lambda: "the-right-token-0123456789ab", 8)
    for i in range(200):  # a flood of failures from many addresses
        assert logins.check("wrong", f"10.1.{i // 250}.{i % 250}") is None
    for _ in range(10):
        logins.check("wrong", "192.0.2.1")
    assert logins.wait_s("198.51.100.7") == 0  # a staff member elsewhere does not wait
    assert logins.check("the-right-token-0123456789ab", "192.0.2.1")  # nor is the attacker's address refused it
    small = StaffLogins(lambda: "t" * 24, 8)
    small.MAX_CLIENTS = 50
    for i in range(80):
        small.check("wrong", f"10.3.0.{i}")
    assert len(small._failures) == 50  # bounded memory


def test_knowledge_search_and_calculator_answer_bad_input_in_one_chinese_line(site):
    page = PageClient(site.url)
    t0 = time.monotonic()
    out = page.call("do_search", ["算力券" * 300])
    assert "太长" in out[0] and time.monotonic() - t0 < 30
    assert page.call("do_search", ["火星移民"])[0] == "没有找到相关条款。"  # a floor, not 5 hits with scores
    hits = page.call("do_search", ["算力券"])[0]
    assert "第一条" in hits and "得分" not in hits
    calc = page.call("calculate", [None, "不确定", "不确定", "不确定", "不确定", "不确定", "五十万块钱多", None, []])
    assert calc[0].startswith("输入有误") and "pydantic" not in calc[0] and "http" not in calc[0]


def test_ui_handler_errors_reach_the_log_redacted_and_the_page_as_one_line(caplog):
    from ui.common import GENERIC_ERROR, guarded

    @guarded
    def broken(text):
        raise ValueError(f"cannot read {text}")

    with caplog.at_level(logging.ERROR, logger="opc.ui"), pytest.raises(gr.Error) as err:
        from assistant.privacy import install_log_redaction

        install_log_redaction()
        broken("电话13812345678")
    assert err.value.message == GENERIC_ERROR
    logged = caplog.text + "".join(r.exc_text or "" for r in caplog.records)
    assert "13812345678" not in logged and "138****5678" in logged


def test_errors_gradio_meets_itself_are_logged_redacted(site):
    """A value a component cannot read fails inside Gradio, before any handler; its traceback (with the input in
    it) went to stderr unredacted."""
    page = PageClient(site.url)
    with pytest.raises(RuntimeError):
        page.call("calculate", ["电话13812345678x", "不确定", "不确定", "不确定", "不确定", "不确定", "", None, []])
    log = site.log.read_text(errors="ignore")
    assert "web UI event failed" in log and "13812345678" not in log
