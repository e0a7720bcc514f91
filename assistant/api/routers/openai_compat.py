"""OpenAI-compatible endpoints so any chat client (Open WebUI, LobeChat, a WeChat bot) can use the assistant.
Citations appear as footnotes in the content and in an extra `citations` field.
Each request without X-Session-Id gets its own new session (the client sends the whole conversation anyway);
the id and its secret come back in X-Session-Id / X-Session-Token, and a client that sends both continues it."""
from __future__ import annotations

import json
import time
import uuid

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from fastapi.concurrency import run_in_threadpool
from sse_starlette.sse import EventSourceResponse

from assistant.api.deps import run_answer, get_service, record_answer, session_token
from assistant.api.schemas import ChatCompletionRequest
from assistant.api.routers.chat import answer_parts
from assistant.contract import Answer, ErrorResponse
from assistant.service import AssistantService, InvalidInput, token_hash

router = APIRouter(prefix="/v1", tags=["OpenAI 兼容"])
MODEL_ID = "opc-assistant"


def _text(content) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = [p.get("text", "") for p in content if isinstance(p, dict) and p.get("type") in (None, "text")]
        if not all(isinstance(p, str) for p in parts):
            raise InvalidInput("invalid_content", "messages[].content 中 text 部分必须是字符串。")
        return "".join(parts)
    return ""


def with_footnotes(answer: Answer) -> str:
    if not answer.citations:
        return answer.answer
    notes = "\n".join(f"[^{i}]: 《{c.doc_title}》{c.section}：{c.quote}" for i, c in enumerate(answer.citations, 1))
    refs = "".join(f"[^{i}]" for i in range(1, len(answer.citations) + 1))
    return f"{answer.answer}\n\n依据：{refs}\n\n{notes}"


def session_for(body: ChatCompletionRequest, request: Request, service: AssistantService) -> tuple[str, str | None]:
    """(session id, new secret or None): the client's own session when it names one with its secret, else a new
    server-chosen one. Never derived from the content, so two clients never share a turn log."""
    meta = body.metadata or {}
    explicit = request.headers.get("x-session-id") or meta.get("session_id")
    if explicit:
        token = session_token(request, meta.get("session_token") if isinstance(meta.get("session_token"), str) else None)
        service.authorize_session(str(explicit), token)
        return str(explicit), None
    return service.new_session()


@router.get("/models", summary="模型列表")
async def models() -> dict:
    return {"object": "list", "data": [{"id": MODEL_ID, "object": "model", "created": 0, "owned_by": "opc-assistant"}]}


@router.post("/chat/completions", summary="Chat Completions（支持 stream）", responses={422: {"model": ErrorResponse}})
async def completions(body: ChatCompletionRequest, request: Request, service: AssistantService = Depends(get_service)):
    users = [_text(m.content) for m in body.messages if m.role == "user"]
    if not users:
        raise InvalidInput("no_user_message", "messages 中至少需要一条 user 消息。")
    service.validate_message(users[-1])
    sid, token = await run_in_threadpool(session_for, body, request, service)
    answer = await run_answer(request, service, service.chat_conversation, users, sid,
                              token_hash(token) if token else None, token is not None)  # a new session degrades to an unstored answer
    record_answer(request, answer)
    token = token if answer.turn_id else None
    headers = {"X-Session-Id": sid, "X-Session-Stored": "true" if answer.turn_id else "false",
               **({"X-Session-Token": token} if token else {})}
    content = with_footnotes(answer)
    cid = "chatcmpl-" + uuid.uuid4().hex[:24]
    created = int(time.time())
    extra = {"citations": [c.model_dump() for c in answer.citations], "session_id": answer.session_id,
             **({"session_token": token} if token else {}),
             "refused": answer.refused, "intent": answer.intent, "tool_calls_made": [t.model_dump() for t in answer.tool_calls]}
    if not body.stream:
        return JSONResponse(headers=headers, content={
            "id": cid, "object": "chat.completion", "created": created, "model": MODEL_ID,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}, **extra})

    def chunk(delta: dict, finish: str | None = None, **more) -> str:
        return json.dumps({"id": cid, "object": "chat.completion.chunk", "created": created, "model": MODEL_ID,
                           "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **more}, ensure_ascii=False)

    async def events():
        yield {"data": chunk({"role": "assistant", "content": ""})}
        for part in answer_parts(content):
            yield {"data": chunk({"content": part})}
        yield {"data": chunk({}, "stop", **extra)}
        yield {"data": "[DONE]"}

    return EventSourceResponse(events(), headers=headers)
