"""GET /api/tools and POST /api/tools/{name}: every registry tool with its JSON schema."""
from __future__ import annotations

import json
import math
import re
from typing import Any

from fastapi import APIRouter, Body

from assistant.contract import ErrorResponse
from assistant.api.errors import error
from tools.registry import TOOLS

router = APIRouter(prefix="/api", tags=["计算工具"])
# Input sanity bound, not policy: no figure a founder types is a trillion yuan or 16 digits long.
MAX_NUMBER = 1e12
LONG_DIGITS = re.compile(r"[0-9]{16,}")


def _implausible(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float)):
        return not math.isfinite(value) or abs(value) > MAX_NUMBER
    if isinstance(value, str):
        return bool(LONG_DIGITS.search(value)) or value.strip().lower() in {"inf", "-inf", "nan", "infinity"}
    if isinstance(value, dict):
        return any(_implausible(v) for v in value.values())
    if isinstance(value, list):
        return any(_implausible(v) for v in value)
    return False


def _out_of_range():
    return error(422, "number_out_of_range", f"数值超出合理范围（不超过 {MAX_NUMBER:,.0f}）。")


@router.get("/tools", summary="工具列表（名称、说明、输入 JSON Schema）")
async def list_tools() -> dict:
    return {"tools": [{"name": t.name, "description": t.description, "input_schema": t.json_schema()}
                      for t in TOOLS.values()]}


@router.post("/tools/{name}", summary="运行一个工具", responses={404: {"model": ErrorResponse}, 422: {"model": ErrorResponse}})
async def run(name: str, arguments: dict[str, Any] = Body(default_factory=dict)) -> Any:
    spec = TOOLS.get(name)
    if spec is None:
        return error(404, "unknown_tool", f"没有名为 {name} 的工具。")
    if _implausible(arguments):
        return _out_of_range()
    try:
        result = spec.run(arguments)
        json.dumps(result, allow_nan=False)  # an infinite or NaN figure is bad input, not a server fault
    except (ArithmeticError, ValueError) as exc:
        if hasattr(exc, "errors"):  # pydantic.ValidationError: the usual 422 with the field named
            raise
        return _out_of_range()
    return {"name": name, "arguments": arguments, "result": result}
