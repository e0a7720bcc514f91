"""POST /api/chat and /api/chat/stream (SSE: answer parts, then the final contract object)."""
from __future__ import annotations

import json

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from sse_starlette.sse import EventSourceResponse

from assistant.api.deps import get_service, record_answer
from assistant.api.schemas import ChatRequest
from assistant.contract import Answer, ErrorResponse
from assistant.service import AssistantService

router = APIRouter(prefix="/api", tags=["对话"])
ERRORS = {422: {"model": ErrorResponse, "description": "输入有误"}, 503: {"model": ErrorResponse}}


@router.post("/chat", response_model=Answer, responses=ERRORS, summary="提问（返回统一的回答对象）")
async def chat(body: ChatRequest, request: Request, service: AssistantService = Depends(get_service)) -> Answer:
    answer = await run_in_threadpool(service.chat, body.message, body.session_id)
    record_answer(request, answer)
    return answer


def answer_parts(text: str) -> list[str]:
    """Split the Markdown into paragraph-sized parts for streaming."""
    parts = [p + "\n\n" for p in text.split("\n\n") if p]
    return parts or [text]


@router.post("/chat/stream", responses=ERRORS, summary="流式提问（SSE：delta 事件，最后是 answer 事件）")
async def chat_stream(body: ChatRequest, request: Request, service: AssistantService = Depends(get_service)):
    service.validate_message(body.message)  # bad input is a 422 before the stream opens
    answer = await run_in_threadpool(service.chat, body.message, body.session_id)
    record_answer(request, answer)

    async def events():
        for part in answer_parts(answer.answer):
            yield {"event": "delta", "data": json.dumps({"text": part}, ensure_ascii=False)}
        yield {"event": "answer", "data": answer.model_dump_json()}

    return EventSourceResponse(events(), ping=15)
