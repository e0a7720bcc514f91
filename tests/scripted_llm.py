"""A small OpenAI-compatible server on 127.0.0.1 that replays scripted responses, so the real ChatOpenAI HTTP path
is exercised without any LLM. Either each request takes the next step of the script (`script`), or the reply is
chosen per request (`per_turn`): the Nth model call after the latest user message gets step N, so an agent run and
its retry both replay the same behaviour, whichever process calls."""
from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from tests.serving import free_port


class ScriptedLLM:
    def __init__(self):
        self.steps: list[dict] = []
        self.requests: list[dict] = []
        self.turn_steps: list[dict] | None = None
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}/v1"
        app = FastAPI()

        @app.post("/v1/chat/completions")
        async def completions(request: Request):
            body = await request.json()
            self.requests.append(body)
            step = self.choose(body)
            if "sleep" in step:
                await asyncio.sleep(step["sleep"])
            if "status" in step:
                return JSONResponse({"error": {"message": "scripted failure", "type": "server_error"}},
                                    status_code=step["status"])
            message: dict = {"role": "assistant", "content": step.get("content")}
            if "tool_calls" in step:
                message["tool_calls"] = [
                    {"id": f"call_{uuid.uuid4().hex[:8]}", "type": "function",
                     "function": {"name": tc["name"], "arguments": tc["arguments"] if isinstance(tc["arguments"], str)
                                  else json.dumps(tc["arguments"], ensure_ascii=False)}}
                    for tc in step["tool_calls"]]
            return {"id": "chatcmpl-" + uuid.uuid4().hex[:12], "object": "chat.completion", "created": int(time.time()),
                    "model": body.get("model", "scripted"),
                    "choices": [{"index": 0, "message": message,
                                 "finish_reason": "tool_calls" if "tool_calls" in step else "stop"}],
                    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}

        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self) -> "ScriptedLLM":
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        return self

    def script(self, *steps: dict) -> None:
        self.turn_steps = None
        self.steps = list(steps)
        self.requests.clear()

    def per_turn(self, *steps: dict) -> None:
        """Reply to each request by its position in the agent run (the last step repeats)."""
        self.steps = []
        self.turn_steps = list(steps)
        self.requests.clear()

    def choose(self, body: dict) -> dict:
        if self.turn_steps is None:
            return self.steps.pop(0) if self.steps else {"content": "（脚本已用完）"}
        msgs = body.get("messages", [])
        last_user = max((i for i, m in enumerate(msgs) if m.get("role") == "user"), default=-1)
        n = sum(1 for m in msgs[last_user + 1:] if m.get("role") == "assistant")
        return self.turn_steps[min(n, len(self.turn_steps) - 1)]

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)
