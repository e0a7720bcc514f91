"""Admin endpoints (token required): reindex and feedback export."""
from __future__ import annotations

import csv
import io

from fastapi import APIRouter, Depends, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from assistant.api.deps import get_service, require_staff
from assistant.api.errors import error
from assistant.contract import ErrorResponse
from assistant.service import AssistantService, ReindexRunning

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value):
    """A cell a spreadsheet would run as a formula (=HYPERLINK(...)) is written as text, with a leading quote."""
    return "'" + value if isinstance(value, str) and value.startswith(FORMULA_START) else value


router = APIRouter(prefix="/api/admin", tags=["管理（需令牌）"], dependencies=[Depends(require_staff)],
                   responses={401: {"model": ErrorResponse}})


@router.post("/reindex", summary="重建检索索引（同一时间只运行一次，正在重建时返回 409）",
             responses={409: {"model": ErrorResponse, "description": "已有一次重建正在进行"}})
async def reindex(service: AssistantService = Depends(get_service)):
    try:
        index = await run_in_threadpool(service.reindex, False)
    except ReindexRunning:  # a second call would have broken the first: it is refused, the first completes
        return error(409, "reindex_running", "索引正在重建中，请等这次重建完成后再试（通常不超过一两分钟）。")
    return {"fingerprint": index.fingerprint, "chunks": len(index.chunks), "build_seconds": index.build_seconds}


@router.get("/feedback", summary="导出评价（json 或 csv）")
async def export_feedback(format: str = Query("json", pattern="^(json|csv)$"),
                          service: AssistantService = Depends(get_service)):
    rows = await run_in_threadpool(service.store.feedback)
    if format == "json":
        return {"feedback": rows}
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=["id", "session_id", "turn_id", "helpful", "comment", "created_at"])
    writer.writeheader()
    writer.writerows({k: csv_safe(v) for k, v in row.items()} for row in rows)
    return Response(buf.getvalue(), media_type="text/csv; charset=utf-8")
