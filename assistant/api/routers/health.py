"""Liveness, readiness and Prometheus metrics."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from assistant.api.deps import get_service
from assistant.service import AssistantService
from assistant.store import PROBLEMS

router = APIRouter(tags=["运行状态"])


@router.get("/healthz", summary="存活检查")
async def healthz() -> dict:
    return {"status": "ok"}


@router.get("/readyz", summary="就绪检查：检索索引可用，数据库能真正写入（只读、磁盘满、文件被替换或损坏、连不上即 503）")
async def readyz(service: AssistantService = Depends(get_service)):
    """A real write probe, not a ping: a read-only or full database reads fine and yet stores nothing. `failed`
    names the part that failed and why; `messages` says it in Chinese for the operator."""
    index_ok = await run_in_threadpool(service.index_ok)
    db_problem = await run_in_threadpool(service.store.probe)
    failed = {**({} if index_ok else {"index": "unavailable"}), **({"database": db_problem} if db_problem else {})}
    body = {"index": index_ok, "database": db_problem is None, "status": "not_ready" if failed else "ready"}
    if failed:
        body["failed"] = failed
        body["messages"] = {part: "检索索引不可用。" if part == "index" else PROBLEMS[why] for part, why in failed.items()}
    if index_ok:
        body["index_fingerprint"] = service.index.fingerprint
    return JSONResponse(body, status_code=503 if failed else 200)


@router.get("/metrics", summary="Prometheus 指标", response_class=Response)
async def metrics(request: Request) -> Response:
    return Response(generate_latest(request.app.state.metrics.registry), media_type=CONTENT_TYPE_LATEST)
