"""Integration: a real uvicorn server on 127.0.0.1, driven over HTTP (httpx and the openai client)."""
import json
import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

CONTRACT = {"session_id", "answer", "citations", "tool_calls", "refused", "intent", "follow_up", "engine", "latency_ms"}


def post(server, path, payload, **kw):
    return httpx.post(server.url + path, json=payload, timeout=60, **kw)


def test_chat_returns_the_contract(server):
    r = post(server, "/api/chat", {"message": "硕士毕业来盐城每月生活补贴多少"})
    assert r.status_code == 200
    body = r.json()
    assert CONTRACT <= set(body)
    assert body["citations"][0]["section"] == "第九条" and body["engine"] == "rules"
    assert body["tool_calls"][0]["name"] == "compute_living_subsidy"
    assert "2,000元" in body["answer"]


def test_session_continues_and_is_readable(server):
    a = post(server, "/api/chat", {"message": "算力券第一年30万，第二年20万能拿多少"}).json()
    owner = {"X-Session-Token": a["session_token"]}
    b = post(server, "/api/chat", {"message": "第三年40万", "session_id": a["session_id"]}, headers=owner).json()
    assert b["tool_calls"][0]["result"]["amount"] == 640000 and b["session_token"] is None
    s = httpx.get(f"{server.url}/api/sessions/{a['session_id']}", headers=owner).json()
    assert [t["question"] for t in s["turns"]] == ["算力券第一年30万，第二年20万能拿多少", "第三年40万"]
    assert httpx.get(f"{server.url}/api/sessions/s-doesnotexist", headers=owner).status_code == 404


def test_search_endpoint(server):
    r = httpx.get(server.url + "/api/search", params={"q": "硕士毕业来盐城每月生活补贴多少", "k": 3})
    assert r.status_code == 200
    res = r.json()["results"]
    assert len(res) == 3 and res[0]["doc"] == "measures" and res[0]["section"] == "第九条"
    assert {"doc", "section", "quote", "score"} <= set(res[0])


def test_tools_endpoints(server):
    tools = httpx.get(server.url + "/api/tools").json()["tools"]
    assert any(t["name"] == "compute_voucher_subsidy" and t["input_schema"]["type"] == "object" for t in tools)
    r = post(server, "/api/tools/compute_voucher_subsidy", {"annual_spend": ["50万", "80万", "120万"]})
    assert r.status_code == 200 and r.json()["result"]["amount"] == 1000000
    assert post(server, "/api/tools/nope", {}).status_code == 404
    bad = post(server, "/api/tools/compute_voucher_subsidy", {"annual_spend": "lots"})
    assert bad.status_code == 422 and bad.json()["error"]["code"]


@pytest.mark.parametrize("payload,code", [
    ({"message": ""}, "empty_message"),
    ({"message": "   \n\t "}, "empty_message"),
    ({"message": "问" * 5000}, "message_too_long"),
    ({"message": "你好", "session_id": "bad id with spaces"}, "invalid_request"),
    ({"message": "你好", "session_id": "x" * 200}, "invalid_request"),
    ({"message": 12345}, "invalid_request"),
    ({"msg": "你好"}, "invalid_request"),
])
def test_bad_chat_input_is_422_with_error_body(server, payload, code):
    r = post(server, "/api/chat", payload)
    assert r.status_code == 422
    assert r.json()["error"]["code"] == code and r.json()["error"]["message"]


def test_malformed_and_oversized_bodies(server):
    r = httpx.post(server.url + "/api/chat", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 422 and "error" in r.json()
    r = httpx.post(server.url + "/api/chat", content=b"\xff\xfe\xfa", headers={"content-type": "application/json"})
    assert r.status_code == 422
    r = httpx.post(server.url + "/api/chat", content="message=hi", headers={"content-type": "text/plain"})
    assert r.status_code == 422
    r = httpx.post(server.url + "/api/chat", content=json.dumps({"message": "a" * 200_000}),
                   headers={"content-type": "application/json"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "body_too_large"


def test_hostile_strings_get_polite_answers(server):
    for msg in ["'; DROP TABLE turns; --", "{{7*7}} ${jndi:ldap://x}", "<script>alert(1)</script>", "😀" * 50,
                "\x00\x01控制字符\x07", "算力券" * 300]:
        r = post(server, "/api/chat", {"message": msg})
        assert r.status_code in (200, 422), (msg, r.text)
        if r.status_code == 200:
            assert r.json()["answer"]
    assert httpx.get(server.url + "/readyz").status_code == 200


def test_sse_stream_parts_then_final_contract(server):
    events = []
    with httpx.stream("POST", server.url + "/api/chat/stream", json={"message": "买房90平方米，我是创始人，补多少"},
                      timeout=60) as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
        event = None
        for line in r.iter_lines():
            if line.startswith("event:"):
                event = line.split(":", 1)[1].strip()
            elif line.startswith("data:"):
                events.append((event, json.loads(line.split(":", 1)[1])))
    deltas = [d["text"] for e, d in events if e == "delta"]
    final = [d for e, d in events if e == "answer"]
    assert deltas and len(final) == 1 and events[-1][0] == "answer"
    assert CONTRACT <= set(final[0])
    assert "".join(deltas).strip() == final[0]["answer"].strip()
    assert final[0]["tool_calls"][0]["result"]["amount"] == 90000
    assert post(server, "/api/chat/stream", {"message": ""}).status_code == 422


def test_openai_compatible_endpoint_with_the_openai_client(server):
    from openai import OpenAI

    client = OpenAI(base_url=server.url + "/v1", api_key="not-needed", max_retries=0)
    assert "opc-assistant" in [m.id for m in client.models.list().data]
    msgs = [{"role": "user", "content": "我今年28岁，全日制硕士，第一次在盐城交社保"}]
    first = client.chat.completions.create(model="opc-assistant", messages=msgs)
    msgs += [{"role": "assistant", "content": first.choices[0].message.content},
             {"role": "user", "content": "我每个月能拿多少生活补贴？"}]
    second = client.chat.completions.create(model="opc-assistant", messages=msgs)
    content = second.choices[0].message.content
    assert "2,000元" in content and "[^1]" in content and "第九条" in content
    extra = second.model_extra
    assert extra["citations"][0]["section"] == "第九条"
    chunks = list(client.chat.completions.create(model="opc-assistant", messages=msgs, stream=True))
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert text.strip() == content.strip()
    assert chunks[-1].choices[0].finish_reason == "stop"


def test_staff_endpoints_need_the_token(server, staff_headers):
    assert httpx.get(server.url + "/api/cases").status_code == 401
    assert httpx.get(server.url + "/api/cases", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert httpx.post(server.url + "/api/admin/reindex").status_code == 401
    assert httpx.get(server.url + "/api/admin/feedback").status_code == 401
    assert httpx.get(server.url + "/api/cases", headers=staff_headers).status_code == 200


def test_feedback_is_stored_and_exported(server, staff_headers):
    a = post(server, "/api/chat", {"message": "算力券怎么补"}).json()
    owner = {"X-Session-Token": a["session_token"]}
    r = post(server, "/api/feedback", {"session_id": a["session_id"], "turn_id": a["turn_id"], "helpful": False,
                                       "comment": "想知道找哪个部门"}, headers=owner)
    assert r.status_code == 201
    assert post(server, "/api/feedback", {"session_id": a["session_id"], "turn_id": "t-nope", "helpful": True},
                headers=owner).status_code == 422
    rows = httpx.get(server.url + "/api/admin/feedback", headers=staff_headers).json()["feedback"]
    assert any(x["turn_id"] == a["turn_id"] and x["helpful"] is False for x in rows)
    csv = httpx.get(server.url + "/api/admin/feedback?format=csv", headers=staff_headers).text
    assert "想知道找哪个部门" in csv


def test_health_ready_metrics_and_docs(server):
    assert httpx.get(server.url + "/healthz").json() == {"status": "ok"}
    ready = httpx.get(server.url + "/readyz").json()
    assert ready["index"] and ready["database"]
    metrics = httpx.get(server.url + "/metrics").text
    assert "opc_http_requests_total" in metrics and "opc_answers_total" in metrics
    schema = httpx.get(server.url + "/openapi.json").json()
    assert {"/api/chat", "/api/chat/stream", "/api/search", "/v1/chat/completions", "/api/cases"} <= set(schema["paths"])
    assert httpx.get(server.url + "/docs").status_code == 200
    page = httpx.get(server.url + "/policies/measures").text
    assert 'id="第九条"' in page and "征求意见稿" in page


def test_twenty_concurrent_sessions_ten_turns_lose_no_turn(server):
    questions = ["算力券第一年50万能拿多少", "那第三年呢？", "我今年28岁，全日制硕士", "我每个月能拿多少生活补贴？",
                 "买房补贴怎么算", "我买的是90平的", "社区办公面积至少多少平米", "你好", "OPC是什么意思", "我能享受哪些政策"]

    def run_session(n):
        with httpx.Client(base_url=server.url, timeout=60) as c:
            sid = token = None
            for q in questions:
                r = c.post("/api/chat", json={"message": q, "session_id": sid, "session_token": token})
                assert r.status_code == 200, r.text
                sid, token = r.json()["session_id"], r.json()["session_token"] or token
            return sid, token

    with ThreadPoolExecutor(20) as pool:
        sids = list(pool.map(run_session, range(20)))
    assert len({sid for sid, _ in sids}) == 20
    for sid, token in sids:
        turns = httpx.get(f"{server.url}/api/sessions/{sid}", headers={"X-Session-Token": token}).json()["turns"]
        assert [t["question"] for t in turns] == questions
        assert [t["idx"] for t in turns] == list(range(1, 11))


def test_sessions_survive_a_server_restart(service, tmp_path):
    from tests.conftest import _DATA
    from tests.serving import Server

    db = f"sqlite:///{tmp_path / 'restart.sqlite3'}"
    first = Server(_DATA, db_url=db).start()
    try:
        a = post(first, "/api/chat", {"message": "我今年30岁，全日制博士"}).json()
    finally:
        first.stop()
    second = Server(_DATA, db_url=db).start()
    try:
        owner = {"X-Session-Token": a["session_token"]}
        b = post(second, "/api/chat", {"message": "我每个月能拿多少生活补贴？", "session_id": a["session_id"]},
                 headers=owner).json()
        assert b["tool_calls"][0]["result"]["breakdown"][0]["amount"] == 3000
        assert len(httpx.get(f"{second.url}/api/sessions/{a['session_id']}", headers=owner).json()["turns"]) == 2
    finally:
        second.stop()


def test_api_docs_and_favicon_work_offline(server):
    """/docs and /redoc load Swagger UI and ReDoc from the installed package, never a CDN (the machine may have no
    internet); the favicon is the product's own."""
    import re

    for path in ("/docs", "/redoc"):
        page = httpx.get(server.url + path).text
        assets = re.findall(r"""(?:src|href)=["']([^"']+)["']""", page)
        assert assets and all(a.startswith("/") for a in assets), (path, assets)
        for a in assets:
            assert httpx.get(server.url + a).status_code == 200, a
    icon = httpx.get(server.url + "/favicon.ico")
    assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/svg+xml")
