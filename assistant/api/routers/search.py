"""GET /api/search: hybrid retrieval with citation labels and verbatim quotes."""
from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Query
from fastapi.concurrency import run_in_threadpool

from assistant.api.deps import get_service
from assistant.contract import ErrorResponse, SearchResponse
from assistant.service import AssistantService

router = APIRouter(prefix="/api", tags=["检索"])


@router.get("/search", response_model=SearchResponse, responses={422: {"model": ErrorResponse}, 503: {"model": ErrorResponse}}, summary="检索政策原文")
async def search(q: str = Query(..., min_length=1, max_length=500, description="问题或关键词"),
                 k: int = Query(5, ge=1, le=50),
                 mode: Literal["hybrid", "bm25", "dense"] = Query("hybrid", description="混合、仅关键词或仅向量"),
                 service: AssistantService = Depends(get_service)) -> SearchResponse:
    return await run_in_threadpool(service.search, q, k, mode)
