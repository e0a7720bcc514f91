"""The tool registry and `search_policy` as an MCP server (official `mcp` SDK, low-level server so the input
schemas are exactly the registry's JSON schemas). Served over stdio by `opc-assistant mcp` and over streamable
HTTP at /mcp by the API process."""
from __future__ import annotations

import json

import anyio
import mcp_types as types
from mcp.server.lowlevel.server import Server
from pydantic import ValidationError

from assistant.agent import SearchIn
from assistant.service import AssistantService
from tools.registry import TOOLS

INSTRUCTIONS = ("盐城人工智能OPC政策工具：search_policy 检索三份文件原文（返回条款与引文）；其余工具按《若干政策措施》计算补贴、"
                "判断条件、匹配政策、生成企业开办清单。金额只以工具结果为准；文件为征求意见稿。")
SEARCH_DESCRIPTION = "检索《行动方案》《社区建设指引》《若干政策措施》原文，返回文件、条款、得分和逐字引文。"


def _text_result(payload: dict, is_error: bool = False) -> types.CallToolResult:
    return types.CallToolResult(content=[types.TextContent(type="text", text=json.dumps(payload, ensure_ascii=False))],
                                structured_content=None if is_error else payload, is_error=is_error)


def build_server(service: AssistantService) -> Server:
    async def list_tools(ctx, params) -> types.ListToolsResult:
        tools = [types.Tool(name="search_policy", description=SEARCH_DESCRIPTION, input_schema=SearchIn.model_json_schema())]
        tools += [types.Tool(name=t.name, description=t.description, input_schema=t.json_schema()) for t in TOOLS.values()]
        return types.ListToolsResult(tools=tools)

    async def call_tool(ctx, params: types.CallToolRequestParams) -> types.CallToolResult:
        args = params.arguments or {}
        try:
            if params.name == "search_policy":
                inp = SearchIn.model_validate(args)
                result = (await anyio.to_thread.run_sync(service.search, inp.query, inp.k)).model_dump()
            elif params.name in TOOLS:
                result = await anyio.to_thread.run_sync(TOOLS[params.name].run, args)
            else:
                return _text_result({"error": f"没有名为 {params.name} 的工具"}, is_error=True)
        except ValidationError as exc:
            return _text_result({"error": "参数有误", "details": json.loads(exc.json())}, is_error=True)
        return _text_result(result)

    return Server("opc-assistant", version="0.1.0", title="盐城OPC创业助手", instructions=INSTRUCTIONS,
                  on_list_tools=list_tools, on_call_tool=call_tool)


def run_stdio(service: AssistantService) -> None:
    from mcp.server.stdio import stdio_server

    server = build_server(service)

    async def main() -> None:
        async with stdio_server() as (read, write):
            await server.run(read, write, server.create_initialization_options())

    anyio.run(main)
