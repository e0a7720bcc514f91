"""POST /api/chat and /api/chat/stream (SSE: answer parts, then the final contract object).
Sessions are owned: a new one gets a server-chosen id and a secret (`session_token`, also in the X-Session-Token
response header) returned once; continuing it needs that secret."""
from __future__ import annotations

import json

from fastapi import APIRouter, Depends, Request, Response
from sse_starlette.sse import EventSourceResponse

from assistant.api.deps import get_service, record_answer, run_answer, session_token
from assistant.api.schemas import ChatAnswer, ChatRequest
from assistant.contract import ErrorResponse
from assistant.service import AssistantService, token_hash

router = APIRouter(prefix="/api", tags=["对话"])
ERRORS = {403: {"model": ErrorResponse, "description": "会话密钥不对"}, 404: {"model": ErrorResponse},
          422: {"model": ErrorResponse, "description": "输入有误"}, 429: {"model": ErrorResponse},
          503: {"model": ErrorResponse}}


async def owned_answer(body: ChatRequest, request: Request, service: AssistantService) -> ChatAnswer:
    """Answer in the caller's own session: the named one if the secret matches, else a new one."""
    service.validate_message(body.message)  # bad input is a 422 before any session is touched
    if body.session_id:
        token = session_token(request, body.session_token)

        def authorized_chat():  # one worker-thread hop for the check and the answer
            service.authorize_session(body.session_id, token)
            return service.chat(body.message, body.session_id)

        answer = await run_answer(request, service, authorized_chat)
        token = None
    else:  # a new session: with the database down the answer is still given, unstored and without a secret
        sid, token = service.new_session()
        answer = await run_answer(request, service, service.chat, body.message, sid, True, token_hash(token), True)
        token = token if answer.turn_id else None
    record_answer(request, answer)
    return ChatAnswer(**answer.model_dump(), session_token=token)


def session_headers(answer: ChatAnswer) -> dict[str, str]:
    """X-Session-Stored: false tells a client the answer was given during a database outage and kept nowhere."""
    out = {"X-Session-Id": answer.session_id, "X-Session-Stored": "true" if answer.turn_id else "false"}
    if answer.session_token:
        out["X-Session-Token"] = answer.session_token
    return out


@router.post("/chat", response_model=ChatAnswer, responses=ERRORS, summary="提问（返回统一的回答对象）")
async def chat(body: ChatRequest, request: Request, response: Response,
               service: AssistantService = Depends(get_service)) -> ChatAnswer:
    answer = await owned_answer(body, request, service)
    response.headers.update(session_headers(answer))
    return answer


def answer_parts(text: str) -> list[str]:
    """Split the Markdown into paragraph-sized parts for streaming."""
    parts = [p + "\n\n" for p in text.split("\n\n") if p]
    return parts or [text]


@router.post("/chat/stream", responses=ERRORS, summary="流式提问（SSE：delta 事件，最后是 answer 事件）")
async def chat_stream(body: ChatRequest, request: Request, service: AssistantService = Depends(get_service)):
    answer = await owned_answer(body, request, service)  # errors answer before the stream opens

    async def events():
        for part in answer_parts(answer.answer):
            yield {"event": "delta", "data": json.dumps({"text": part}, ensure_ascii=False)}
        yield {"event": "answer", "data": answer.model_dump_json()}

    return EventSourceResponse(events(), ping=15, headers=session_headers(answer))
