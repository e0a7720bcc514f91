"""An MCP client over stdio lists the tools and calls two of them; the same server answers over HTTP at /mcp."""
import json
import os
import sys

import anyio
import httpx

from tests.conftest import REPO, _DATA


async def _stdio_session(fn):
    from mcp.client.session import ClientSession
    from mcp.client.stdio import StdioServerParameters, stdio_client

    params = StdioServerParameters(command=sys.executable, args=["-m", "assistant.cli", "mcp"], cwd=str(REPO),
                                   env={**os.environ, "OPC_DATA_DIR": str(_DATA)})
    async with stdio_client(params) as (read, write):
        async with ClientSession(read, write) as session:
            await session.initialize()
            return await fn(session)


def test_mcp_stdio_lists_tools_and_calls_two(service):
    async def scenario(session):
        tools = (await session.list_tools()).tools
        names = {t.name for t in tools}
        voucher = next(t for t in tools if t.name == "compute_voucher_subsidy")
        search = await session.call_tool("search_policy", {"query": "硕士毕业来盐城每月生活补贴多少", "k": 3})
        calc = await session.call_tool("compute_voucher_subsidy", {"annual_spend": ["50万", "80万", "120万"]})
        bad = await session.call_tool("compute_voucher_subsidy", {"annual_spend": "lots"})
        return names, voucher, search, calc, bad

    names, voucher, search, calc, bad = anyio.run(_stdio_session, scenario)
    assert {"search_policy", "compute_voucher_subsidy", "match_policies", "get_checklist"} <= names
    assert voucher.input_schema["properties"]["annual_spend"]["type"] == "array"
    assert "算力券" in voucher.description
    hits = json.loads(search.content[0].text)["results"]
    assert hits[0]["section"] == "第九条"
    assert json.loads(calc.content[0].text)["amount"] == 1000000 and not calc.is_error
    assert bad.is_error


def test_mcp_over_streamable_http(server):
    headers = {"accept": "application/json, text/event-stream", "content-type": "application/json"}
    init = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
            "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                       "clientInfo": {"name": "test", "version": "1"}}}
    r = httpx.post(server.url + "/mcp/", json=init, headers=headers, timeout=30)
    assert r.status_code == 200, r.text
    sid = r.headers.get("mcp-session-id")
    h = {**headers, **({"mcp-session-id": sid} if sid else {})}
    httpx.post(server.url + "/mcp/", json={"jsonrpc": "2.0", "method": "notifications/initialized"}, headers=h, timeout=30)
    r = httpx.post(server.url + "/mcp/", json={"jsonrpc": "2.0", "id": 2, "method": "tools/call",
                                              "params": {"name": "compute_house_subsidy",
                                                         "arguments": {"area_sqm": 90, "role": "创始人"}}},
                   headers=h, timeout=30)
    assert r.status_code == 200, r.text
    body = r.json() if r.headers["content-type"].startswith("application/json") else json.loads(
        [ln for ln in r.text.splitlines() if ln.startswith("data:")][-1][5:])
    assert json.loads(body["result"]["content"][0]["text"])["amount"] == 90000
