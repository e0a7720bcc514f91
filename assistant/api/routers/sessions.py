"""GET /api/sessions/{id} (turns) and POST /api/feedback."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Path
from fastapi.concurrency import run_in_threadpool

from assistant.api.deps import get_service
from assistant.api.errors import error
from assistant.api.schemas import FeedbackRequest
from assistant.contract import ErrorResponse
from assistant.service import AssistantService

router = APIRouter(prefix="/api", tags=["会话"])


@router.get("/sessions/{session_id}", summary="会话记录", responses={404: {"model": ErrorResponse}})
async def get_session(session_id: str = Path(..., pattern=r"^[A-Za-z0-9_-]{1,64}$"),
                      service: AssistantService = Depends(get_service)):
    data = await run_in_threadpool(service.session, session_id)
    return data if data is not None else error(404, "unknown_session", "没有找到这个会话。")


@router.post("/feedback", status_code=201, summary="对回答的评价（有用/没用）", responses={422: {"model": ErrorResponse}})
async def feedback(body: FeedbackRequest, service: AssistantService = Depends(get_service)) -> dict:
    fid = await run_in_threadpool(service.feedback, body.session_id, body.turn_id, body.helpful, body.comment)
    return {"id": fid}
