"""GET /api/sessions/{id} (turns; the session's secret or a staff token required) and POST /api/feedback."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Header, Path, Request
from fastapi.concurrency import run_in_threadpool

from assistant.api.deps import get_service, is_staff, session_token
from assistant.api.errors import error
from assistant.api.schemas import FeedbackRequest
from assistant.contract import ErrorResponse
from assistant.service import AssistantService

router = APIRouter(prefix="/api", tags=["会话"])
DENIED = {403: {"model": ErrorResponse}, 404: {"model": ErrorResponse}}


@router.get("/sessions/{session_id}", summary="会话记录（需要会话密钥 X-Session-Token）", responses=DENIED)
async def get_session(request: Request, session_id: str = Path(..., pattern=r"^[A-Za-z0-9_-]{1,64}$"),
                      x_session_token: str | None = Header(None, description="新建会话时返回的 session_token"),
                      service: AssistantService = Depends(get_service)):
    if not is_staff(request):
        await run_in_threadpool(service.authorize_session, session_id, x_session_token)
    data = await run_in_threadpool(service.session, session_id)
    return data if data is not None else error(404, "unknown_session", "没有找到这个会话。")


@router.post("/feedback", status_code=201, summary="对回答的评价（有用/没用；需要会话密钥）",
             responses={422: {"model": ErrorResponse}, **DENIED})
async def feedback(body: FeedbackRequest, request: Request, service: AssistantService = Depends(get_service)) -> dict:
    await run_in_threadpool(service.authorize_session, body.session_id, session_token(request, body.session_token))
    fid = await run_in_threadpool(service.feedback, body.session_id, body.turn_id, body.helpful, body.comment)
    return {"id": fid}
