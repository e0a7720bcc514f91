"""GET /api/tools and POST /api/tools/{name}: every registry tool with its JSON schema."""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body

from assistant.contract import ErrorResponse
from assistant.api.errors import error
from tools.registry import TOOLS

router = APIRouter(prefix="/api", tags=["计算工具"])


@router.get("/tools", summary="工具列表（名称、说明、输入 JSON Schema）")
async def list_tools() -> dict:
    return {"tools": [{"name": t.name, "description": t.description, "input_schema": t.json_schema()}
                      for t in TOOLS.values()]}


@router.post("/tools/{name}", summary="运行一个工具", responses={404: {"model": ErrorResponse}, 422: {"model": ErrorResponse}})
async def run(name: str, arguments: dict[str, Any] = Body(default_factory=dict)) -> Any:
    spec = TOOLS.get(name)
    if spec is None:
        return error(404, "unknown_tool", f"没有名为 {name} 的工具。")
    return {"name": name, "arguments": arguments, "result": spec.run(arguments)}
