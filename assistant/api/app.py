"""The FastAPI application: routers per resource, shared dependencies, error handlers, the web UI mounted."""
from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse, RedirectResponse
from fastapi_offline import FastAPIOffline
from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware

from assistant.api import errors
from assistant.api.deps import install_staff_auth
from assistant.api.guards import Guard
from assistant.api.inflight import InFlight
from assistant.api.metrics import Metrics, MetricsMiddleware
from assistant.api.routers import admin, cases, chat, health, openai_compat, policies, search, sessions, tools
from assistant.config import Settings, get_settings
from assistant.privacy import install_log_redaction
from assistant.service import AssistantService

log = logging.getLogger("opc.api")

DESCRIPTION = """盐城人工智能OPC创业助手 API。所有回答返回统一对象：answer、citations（条款与原文）、tool_calls（计算过程）、
refused（文件未涉及）、intent、follow_up、engine、latency_ms。错误统一为 {"error": {"code", "message"}}。
本政策为征求意见稿，金额以正式印发版本为准。"""


FAVICON = Path(__file__).resolve().parent.parent.parent / "ui" / "static" / "favicon.svg"
LOOPBACK = ["127.0.0.1", "localhost", "::1", "[::1]"]


def allowed_hosts(settings: Settings) -> list[str]:
    """Host names the app answers to (DNS rebinding): the configured list, else loopback names when bound to
    loopback, else any (a public deployment sets OPC_ALLOWED_HOSTS)."""
    if settings.allowed_hosts:
        return [h.strip() for h in settings.allowed_hosts.split(",") if h.strip()]
    return LOOPBACK if settings.host in LOOPBACK else ["*"]


def create_app(settings: Settings | None = None, service: AssistantService | None = None, with_ui: bool = True,
               warm: bool = True) -> FastAPI:
    settings = settings or get_settings()
    service = service or AssistantService(settings)
    from assistant.mcp_server import build_server

    mcp_server = build_server(service)
    mcp_app = mcp_server.streamable_http_app(streamable_http_path="/", stateless_http=True, json_response=True,
                                             host=settings.host)

    @asynccontextmanager
    async def lifespan(_: FastAPI):
        async with mcp_server.session_manager.run():
            yield

    # API docs from the installed package's own Swagger UI and ReDoc files: /docs works with no internet
    app = FastAPIOffline(title="OPC Assistant 盐城OPC创业助手", version="0.1.0", description=DESCRIPTION, lifespan=lifespan,
                         favicon_url="/favicon.ico")
    app.state.service = service
    app.state.metrics = Metrics()
    app.state.inflight = InFlight(settings.max_inflight_per_client)
    install_log_redaction()
    install_staff_auth(app, settings)  # the token read once, wrong guesses counted (429)
    errors.install(app)

    for r in (health, chat, search, tools, sessions, openai_compat, cases, admin, policies):
        app.include_router(r.router)
    app.include_router(cases.printouts)
    app.add_middleware(MetricsMiddleware, metrics=app.state.metrics)
    app.add_middleware(Guard, settings=settings)
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts(settings))
    # One CORS policy for the whole app. Declaring it also stops the mounted Gradio UI from echoing any localhost
    # Origin with credentials (Gradio defers to a parent app that configures CORS).
    app.add_middleware(CORSMiddleware, allow_origins=[o.strip() for o in settings.cors_origins.split(",") if o.strip()],
                       allow_methods=["GET", "POST"], allow_headers=["Authorization", "Content-Type", "X-Session-Id",
                                                                     "X-Session-Token"])

    app.mount("/mcp", mcp_app)  # the same tools over MCP streamable HTTP

    @app.get("/favicon.ico", include_in_schema=False)
    async def favicon():
        return FileResponse(FAVICON, media_type="image/svg+xml", headers={"Cache-Control": "public, max-age=86400"})

    @app.get("/", include_in_schema=False)
    async def root():
        return RedirectResponse("/ui/" if with_ui else "/docs")

    if warm:
        service.searcher  # load (or build) the index before the first request
        service.store.ping()
    if with_ui:
        from ui.app import mount_ui

        mount_ui(app, service)
    return app
