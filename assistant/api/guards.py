"""The outer ASGI layer of the public service: body size enforced while reading, per-client rate limits (429 with
Retry-After), no uploads to the web UI, and security headers on every response."""
from __future__ import annotations

import json
import math
import time

from limits import parse_many
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from assistant.config import Settings

# Routes that cost CPU per request (retrieval, the rules engine, the LLM): limited per client. The web UI's events
# have their own, larger allowance.
LIMITED = ("/api/chat", "/api/search", "/api/tools/", "/api/feedback", "/v1/chat/completions")
LIMITED_UI = ("/ui/gradio_api/queue/join", "/ui/gradio_api/run/", "/ui/gradio_api/call/")
UPLOADS = "/gradio_api/upload"  # the web UI takes no files
STRICT_CSP = ("default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
              "img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
FRAME_ONLY_CSP = "frame-ancestors 'none'; base-uri 'self'"  # Gradio and the API docs bring their own scripts


class RateLimiter:
    """Per-client moving-window limits from `limits`; the storage URI makes the counters shareable by processes."""

    def __init__(self, specs: dict[str, str], storage_uri: str):
        self.items = {name: parse_many(spec) if spec.strip() else [] for name, spec in specs.items()}
        self.limiter = MovingWindowRateLimiter(storage_from_string(storage_uri))

    def retry_after(self, kind: str, key: str) -> int | None:
        """Count one request of `kind` for `key`; seconds to wait if it is over a limit, else None."""
        for item in self.items[kind]:
            if not self.limiter.hit(item, "opc", kind, key):
                reset, _ = self.limiter.get_window_stats(item, "opc", kind, key)
                return max(1, math.ceil(reset - time.time()))
        return None


async def _send_error(send, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
    body = json.dumps({"error": {"code": code, "message": message}}, ensure_ascii=False).encode()
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    raw += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw + _security_headers("/api")})
    await send({"type": "http.response.body", "body": body})


def _security_headers(path: str) -> list[tuple[bytes, bytes]]:
    csp = FRAME_ONLY_CSP if path.startswith(("/ui", "/docs", "/redoc")) else STRICT_CSP
    return [(b"x-content-type-options", b"nosniff"), (b"x-frame-options", b"DENY"),
            (b"referrer-policy", b"no-referrer"), (b"content-security-policy", csp.encode())]


class Guard:
    def __init__(self, app, settings: Settings):
        self.app = app
        self.settings = settings
        self.limiter = RateLimiter({"api": settings.rate_limit, "ui": settings.rate_limit_ui},
                                   settings.rate_limit_storage)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        path = scope.get("path", "")
        if path.endswith(UPLOADS):
            return await _send_error(send, 403, "uploads_disabled", "本服务不接收上传文件。")
        kind = "api" if path.startswith(LIMITED) else "ui" if path.startswith(LIMITED_UI) else None
        if kind:
            client = (scope.get("client") or ("unknown", 0))[0]
            wait = self.limiter.retry_after(kind, client)
            if wait is not None:
                return await _send_error(send, 429, "rate_limited", f"请求太频繁，请 {wait} 秒后再试。",
                                         {"Retry-After": str(wait)})
        if scope["method"] in ("POST", "PUT", "PATCH"):
            limit = self.settings.max_ui_body_bytes if path.startswith("/ui") else self.settings.max_body_bytes
            receive = await self._read_body(scope, receive, limit)
            if receive is None:
                return await _send_error(send, 422, "body_too_large", f"请求体过大（上限 {limit} 字节）。")

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in _security_headers(path) if k not in present]
                message = {**message, "headers": list(message.get("headers", [])) + extra}
            await send(message)

        await self.app(scope, receive, send_with_headers)

    @staticmethod
    async def _read_body(scope, receive, limit: int):
        """Read the whole body, stopping as soon as it passes `limit` (chunked bodies have no Content-Length to
        trust). Returns a receive callable that replays it, or None when it is too large."""
        for k, v in scope.get("headers", []):
            if k == b"content-length" and v.isdigit() and int(v) > limit:
                return None
        chunks, size, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] != "http.request":  # the client went away: let the app see it
                chunks, more = None, False
                first = message
                break
            size += len(message.get("body", b""))
            if size > limit:
                return None
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        replay = [first] if chunks is None else [{"type": "http.request", "body": b"".join(chunks), "more_body": False}]

        async def replayed():
            return replay.pop() if replay else await receive()

        return replayed
