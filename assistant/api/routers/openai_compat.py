"""OpenAI-compatible endpoints so any chat client (Open WebUI, LobeChat, a WeChat bot) can use the assistant.
Citations appear as footnotes in the content and in an extra `citations` field."""
from __future__ import annotations

import hashlib
import json
import time
import uuid

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from sse_starlette.sse import EventSourceResponse

from assistant.api.deps import get_service, record_answer
from assistant.api.schemas import ChatCompletionRequest
from assistant.api.routers.chat import answer_parts
from assistant.contract import Answer, ErrorResponse
from assistant.service import AssistantService

router = APIRouter(prefix="/v1", tags=["OpenAI 兼容"])
MODEL_ID = "opc-assistant"


def _text(content) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(p.get("text", "") for p in content if isinstance(p, dict) and p.get("type") in (None, "text"))
    return ""


def with_footnotes(answer: Answer) -> str:
    if not answer.citations:
        return answer.answer
    notes = "\n".join(f"[^{i}]: 《{c.doc_title}》{c.section}：{c.quote}" for i, c in enumerate(answer.citations, 1))
    refs = "".join(f"[^{i}]" for i in range(1, len(answer.citations) + 1))
    return f"{answer.answer}\n\n依据：{refs}\n\n{notes}"


def session_for(body: ChatCompletionRequest, request: Request, users: list[str]) -> str:
    explicit = request.headers.get("x-session-id") or (body.metadata or {}).get("session_id")
    if explicit:
        return str(explicit)
    seed = f"{body.user or ''}|{users[0] if users else ''}"
    return "oa-" + hashlib.sha1(seed.encode("utf-8")).hexdigest()[:16]


@router.get("/models", summary="模型列表")
async def models() -> dict:
    return {"object": "list", "data": [{"id": MODEL_ID, "object": "model", "created": 0, "owned_by": "opc-assistant"}]}


@router.post("/chat/completions", summary="Chat Completions（支持 stream）", responses={422: {"model": ErrorResponse}})
async def completions(body: ChatCompletionRequest, request: Request, service: AssistantService = Depends(get_service)):
    users = [_text(m.content) for m in body.messages if m.role == "user"]
    sid = session_for(body, request, users)
    answer = await run_in_threadpool(service.chat_conversation, users, sid)
    record_answer(request, answer)
    content = with_footnotes(answer)
    cid = "chatcmpl-" + uuid.uuid4().hex[:24]
    created = int(time.time())
    extra = {"citations": [c.model_dump() for c in answer.citations], "session_id": answer.session_id,
             "refused": answer.refused, "intent": answer.intent, "tool_calls_made": [t.model_dump() for t in answer.tool_calls]}
    if not body.stream:
        return {"id": cid, "object": "chat.completion", "created": created, "model": body.model or MODEL_ID,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}, **extra}

    def chunk(delta: dict, finish: str | None = None, **more) -> str:
        return json.dumps({"id": cid, "object": "chat.completion.chunk", "created": created, "model": body.model or MODEL_ID,
                           "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **more}, ensure_ascii=False)

    async def events():
        yield {"data": chunk({"role": "assistant", "content": ""})}
        for part in answer_parts(content):
            yield {"data": chunk({"content": part})}
        yield {"data": chunk({}, "stop", **extra)}
        yield {"data": "[DONE]"}

    return EventSourceResponse(events())
