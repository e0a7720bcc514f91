"""The outer ASGI layer of the public service: body size enforced while reading, per-client rate limits (429 with
Retry-After), no uploads to the web UI, and security headers on every response. The client is resolved here once
(assistant.api.clients) and left in scope["state"]["opc_client"] for the web UI's staff-login backoff."""
from __future__ import annotations

import json
import math
import re
import time

from limits import parse_many
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter
from starlette.concurrency import run_in_threadpool

from assistant.api.clients import ClientResolver
from assistant.config import Settings
from assistant.ratelimit_pg import PgRateLimiter, is_postgres

# Routes that cost CPU per request (retrieval, the rules engine, the LLM): limited per client, and so is each MCP
# tool call. Every POST to the web UI runs a UI function (queue/join, run/, api/, call/, stream/, component_server…):
# they share the UI's own, larger allowance.
LIMITED = ("/api/chat", "/api/search", "/api/tools/", "/api/feedback", "/v1/chat/completions")
UI = "/ui/"
UI_PAGES = ("/ui", "/staff")  # the mounted Gradio apps
# The only routes of the mounted pages a browser needs: the page, its config, theme and static files, the staff
# login, and the queue (join, data, heartbeat, cancel). Everything else Gradio serves (file=, upload,
# process_recording, run/, api/, call/, stream/, proxy=, monitoring…) is refused before it is reached.
UI_ALLOWED = re.compile(r"(?!.*\.\.)/(?:ui|staff)(?:/?|/config/?|/theme\.css|/favicon\.ico|/(?:assets|static|svelte)/[\w./-]+"
                        r"|/login|/logout|/gradio_api/(?:heartbeat/[\w-]+|queue/(?:join|data)|cancel|reset/?))")
MCP = "/mcp"
# MCP messages that run nothing costly; anything else (tools/call, unknown, unparseable) counts as an API call.
MCP_FREE = {"initialize", "ping", "tools/list", "prompts/list", "resources/list", "resources/templates/list"}
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


# A JSON escape of a lone UTF-16 surrogate ("\ud800" with no partner): a string that cannot be encoded, stored or
# sent back. The web UI echoes its inputs (Gradio answers 500 on them), so its bodies are checked here; the API's
# own validation (pydantic, the service layer) handles its fields. The regex is a cheap pre-check; the parse decides.
SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F][0-9a-fA-F]{2})"
                              rb"|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2}")


def has_lone_surrogate(body: bytes) -> bool:
    if not SURROGATE_ESCAPE.search(body):
        return False
    try:
        stack = [json.loads(body)]
    except (ValueError, RecursionError):
        return False  # not JSON: the route answers 422 itself
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack += list(item.keys()) + list(item.values())
        elif isinstance(item, list):
            stack += item
        elif isinstance(item, str):
            try:
                item.encode()
            except UnicodeEncodeError:
                return True
    return False


def carries_file_data(body: bytes) -> bool:
    """Whether a web UI event names a file anywhere in its data (a dict with a `path`, or Gradio's FileData type).
    The pages take no files; a mounted Gradio app would copy any path it is handed into its cache (reading
    /etc/passwd, or /dev/zero forever) before any handler of ours runs, so such an event never reaches it."""
    if b'"path"' not in body and b"FileData" not in body:
        return False
    try:
        stack = [json.loads(body)]
    except (ValueError, RecursionError):
        return True  # unparseable and naming a path: refused rather than guessed
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            meta = item.get("meta")
            if "path" in item or (isinstance(meta, dict) and "FileData" in str(meta.get("_type", ""))):
                return True
            stack += list(item.values())
        elif isinstance(item, list):
            stack += item
    return False


def mcp_calls(body: bytes) -> int:
    """How many API calls an MCP request body makes (a JSON-RPC message or a batch); at least 1 unless every message
    is a handshake, a listing or a notification."""
    try:
        parsed = json.loads(body)
    except (ValueError, RecursionError):
        return 1
    messages = parsed if isinstance(parsed, list) else [parsed]
    free = [m for m in messages if isinstance(m, dict) and isinstance(m.get("method"), str)
            and (m["method"] in MCP_FREE or m["method"].startswith("notifications/"))]
    return len(messages) - len(free) if messages else 1


def limit_kind(path: str, method: str) -> str | None:
    """Which allowance a request draws on: "api", "ui", "mcp" (decided per message, after the body is read) or None."""
    if path.startswith(LIMITED):
        return "api"
    if method == "POST" and path.startswith(UI_PAGES):
        return "ui"
    if method == "POST" and (path == MCP or path.startswith(MCP + "/")):
        return "mcp"
    return None


async def _send_error(send, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
    body = json.dumps({"error": {"code": code, "message": message}}, ensure_ascii=False).encode()
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    raw += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw + _security_headers("/api")})
    await send({"type": "http.response.body", "body": body})


def _security_headers(path: str) -> list[tuple[bytes, bytes]]:
    csp = FRAME_ONLY_CSP if path.startswith(("/ui", "/staff", "/docs", "/redoc")) else STRICT_CSP
    return [(b"x-content-type-options", b"nosniff"), (b"x-frame-options", b"DENY"),
            (b"referrer-policy", b"no-referrer"), (b"content-security-policy", csp.encode())]


class Guard:
    def __init__(self, app, settings: Settings):
        self.app = app
        self.settings = settings
        self.clients = ClientResolver(settings.trusted_proxies)
        specs = {"api": settings.rate_limit, "ui": settings.rate_limit_ui}
        if settings.rate_limit_storage == "memory://" and is_postgres(settings.db_url):
            self.limiter = PgRateLimiter(specs, settings.db_url)  # shared by every process on this database
        else:
            self.limiter = RateLimiter(specs, settings.rate_limit_storage)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        path, method = scope.get("path", ""), scope.get("method", "GET")
        if path.endswith(UPLOADS):
            return await _send_error(send, 403, "uploads_disabled", "本服务不接收上传文件。")
        if path.startswith(UI_PAGES) and path.split("/")[1] in ("ui", "staff") and not UI_ALLOWED.fullmatch(path):
            return await _send_error(send, 404, "not_found", "没有找到这个地址或对象。")
        client = self._client(scope)
        kind = limit_kind(path, method)
        if kind in ("api", "ui") and (wait := await self._hit(kind, client, 1)):
            return await self._send_limited(send, wait)
        if method in ("POST", "PUT", "PATCH"):
            limit = self.settings.max_ui_body_bytes if path.startswith(UI_PAGES) else self.settings.max_body_bytes
            receive, body = await self._read_body(scope, receive, limit)
            if receive is None:
                return await _send_error(send, 422, "body_too_large", f"请求体过大（上限 {limit} 字节）。")
            if path.startswith(UI_PAGES) and has_lone_surrogate(body):  # API routes validate their own fields
                return await _send_error(send, 422, "invalid_text", "请求中有无法识别的字符（不成对的代理项），请检查输入。")
            if path.startswith(UI_PAGES) and carries_file_data(body):
                return await _send_error(send, 422, "files_not_accepted", "本服务不接收文件。")
            if kind == "mcp" and (wait := await self._hit("api", client, mcp_calls(body))):
                return await self._send_limited(send, wait)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in _security_headers(path) if k not in present]
                message = {**message, "headers": list(message.get("headers", [])) + extra}
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _client(self, scope) -> str:
        """Resolve the client once; a client forwarded by a trusted proxy becomes scope["client"] (logs, the UI)."""
        key, forwarded = self.clients.resolve(scope)
        if forwarded:
            scope["client"] = (forwarded, 0)
            proto = next((v.decode("latin-1").strip() for k, v in scope.get("headers", [])
                          if k == b"x-forwarded-proto"), None)
            if proto in ("http", "https"):
                scope["scheme"] = proto
        scope.setdefault("state", {})["opc_client"] = key
        return key

    async def _hit(self, kind: str, client: str, count: int) -> int | None:
        """Count `count` requests of `kind`; the seconds to wait as soon as one is over a limit, else None."""
        for _ in range(count):
            if getattr(self.limiter, "blocking", False):
                wait = await run_in_threadpool(self.limiter.retry_after, kind, client)
            else:
                wait = self.limiter.retry_after(kind, client)
            if wait is not None:
                return wait
        return None

    @staticmethod
    async def _send_limited(send, wait: int) -> None:
        await _send_error(send, 429, "rate_limited", f"请求太频繁，请 {wait} 秒后再试。", {"Retry-After": str(wait)})

    @staticmethod
    async def _read_body(scope, receive, limit: int):
        """Read the whole body, stopping as soon as it passes `limit` (chunked bodies have no Content-Length to
        trust). Returns (a receive callable that replays it, the body), or (None, None) when it is too large."""
        for k, v in scope.get("headers", []):
            if k == b"content-length" and v.isdigit() and int(v) > limit:
                return None, None
        chunks, size, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] != "http.request":  # the client went away: let the app see it
                chunks, more = None, False
                first = message
                break
            size += len(message.get("body", b""))
            if size > limit:
                return None, None
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        replay = [first] if chunks is None else [{"type": "http.request", "body": b"".join(chunks), "more_body": False}]

        async def replayed():
            return replay.pop() if replay else await receive()

        return replayed, b"".join(chunks or [])
