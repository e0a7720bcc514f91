"""Shared dependencies: the service instance and staff authentication."""
from __future__ import annotations

import hmac
import logging

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from assistant.config import Settings, secret_file
from assistant.service import AssistantService

log = logging.getLogger("opc.api")
bearer = HTTPBearer(auto_error=False, description="窗口工作人员令牌 OPC_STAFF_TOKEN")


class Unauthorized(Exception):
    pass


async def get_service(request: Request) -> AssistantService:
    return request.app.state.service


MIN_STAFF_TOKEN = 16


def staff_token(settings: Settings) -> tuple[str, bool]:
    """The configured token, or one generated at first start and kept in the data dir (0600).
    Returns (token, generated). A short configured token is accepted with a warning in the log."""
    if settings.staff_token:
        if len(settings.staff_token) < MIN_STAFF_TOKEN:
            log.warning("OPC_STAFF_TOKEN is shorter than %d characters and can be guessed; use e.g. "
                        "`python -c 'import secrets; print(secrets.token_urlsafe(24))'`", MIN_STAFF_TOKEN)
        return settings.staff_token, False
    return secret_file(settings, "staff_token")


async def require_staff(request: Request, creds: HTTPAuthorizationCredentials | None = Depends(bearer)) -> str:
    expected = request.app.state.staff_token
    if creds is None or not hmac.compare_digest(creds.credentials.encode(), expected.encode()):
        raise Unauthorized()
    return "staff"


SESSION_TOKEN_HEADER = "x-session-token"


def session_token(request: Request, body_value: str | None = None) -> str | None:
    """The session secret from the X-Session-Token header, else from the body."""
    return request.headers.get(SESSION_TOKEN_HEADER) or body_value


def is_staff(request: Request) -> bool:
    """A valid staff Bearer token (staff may read any session to help a visitor)."""
    auth = request.headers.get("authorization", "")
    given = auth[7:].strip() if auth.lower().startswith("bearer ") else ""
    return bool(given) and hmac.compare_digest(given.encode(), request.app.state.staff_token.encode())


PRINT_LINK_SECONDS = 3600


def print_signature(token: str, case_id: str, expires: int) -> str:
    return hmac.new(token.encode(), f"print|{case_id}|{expires}".encode(), "sha256").hexdigest()[:32]


def print_link(request_or_token, case_id: str, kind: str = "html", now: float | None = None) -> str:
    """A printout link that works in a browser for an hour without the Bearer header (signed with the staff token)."""
    import time

    token = request_or_token if isinstance(request_or_token, str) else request_or_token.app.state.staff_token
    expires = int((now or time.time()) + PRINT_LINK_SECONDS)
    return f"/api/cases/{case_id}/summary.{kind}?exp={expires}&sig={print_signature(token, case_id, expires)}"


async def require_staff_or_link(request: Request, creds: HTTPAuthorizationCredentials | None = Depends(bearer)) -> str:
    """Printouts: the staff Bearer token, or an unexpired signed link made by the staff page."""
    import time

    if creds is not None:
        return await require_staff(request, creds)
    exp, sig = request.query_params.get("exp", ""), request.query_params.get("sig", "")
    case_id = request.path_params.get("case_id", "")
    if exp.isdigit() and int(exp) >= time.time() and len(exp) < 12 and hmac.compare_digest(
            sig.encode(), print_signature(request.app.state.staff_token, case_id, int(exp)).encode()):
        return "link"
    raise Unauthorized()


async def run_answer(request: Request, service: AssistantService, fn, *args):
    """An answer in a worker thread, bounded per client in flight and cancelled when the client goes away
    (assistant/api/inflight.py); the rules engine's own deadline applies inside."""
    deadline = service.settings.answer_deadline_s + (service.settings.llm_deadline_s if service.settings.llm_enabled else 0)
    return await request.app.state.inflight.run(request, deadline, fn, *args)


def record_answer(request: Request, answer) -> None:
    request.app.state.metrics.answers.labels(answer.intent, answer.engine, str(answer.refused).lower()).inc()
