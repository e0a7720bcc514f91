"""Liveness, readiness and Prometheus metrics."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response
from fastapi.concurrency import run_in_threadpool
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from assistant.api.deps import get_service
from assistant.service import AssistantService

router = APIRouter(tags=["运行状态"])


@router.get("/healthz", summary="存活检查")
async def healthz() -> dict:
    return {"status": "ok"}


@router.get("/readyz", summary="就绪检查：读取数据库与检索索引（任一不可用即 503）")
async def readyz(service: AssistantService = Depends(get_service)):
    index_ok = await run_in_threadpool(service.index_ok)
    db_ok = await run_in_threadpool(service.store.ping)
    body = {"index": index_ok, "database": db_ok, "status": "ready" if index_ok and db_ok else "not_ready"}
    if index_ok:
        body["index_fingerprint"] = service.index.fingerprint
    from fastapi.responses import JSONResponse

    return JSONResponse(body, status_code=200 if index_ok and db_ok else 503)


@router.get("/metrics", summary="Prometheus 指标", response_class=Response)
async def metrics(request: Request) -> Response:
    return Response(generate_latest(request.app.state.metrics.registry), media_type=CONTENT_TYPE_LATEST)
