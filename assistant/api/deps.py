"""Shared dependencies: the service instance and staff authentication."""
from __future__ import annotations

import hmac
import logging

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from assistant.config import ConfigError, Settings, read_private_file, secret_file
from assistant.service import AssistantService

log = logging.getLogger("opc.api")
bearer = HTTPBearer(auto_error=False, description="窗口工作人员令牌 OPC_STAFF_TOKEN")


class Unauthorized(Exception):
    pass


async def get_service(request: Request) -> AssistantService:
    return request.app.state.service


MIN_STAFF_TOKEN = 24
MAKE_TOKEN = "`python -c 'import secrets; print(secrets.token_urlsafe(24))'`"


def staff_token(settings: Settings) -> tuple[str, bool]:
    """The token from OPC_STAFF_TOKEN_FILE or OPC_STAFF_TOKEN, else one generated at first start and kept in the data
    dir (0600). Returns (token, generated). A short token, a file others may read, or both variables set stop the
    start (ConfigError): a guessable or leaked staff token opens every counter case."""
    if settings.staff_token and settings.staff_token_file:
        raise ConfigError("OPC_STAFF_TOKEN and OPC_STAFF_TOKEN_FILE are both set; keep only OPC_STAFF_TOKEN_FILE")
    if settings.staff_token_file:
        token, source, generated = read_private_file(settings.staff_token_file, "OPC_STAFF_TOKEN_FILE"), \
            f"OPC_STAFF_TOKEN_FILE ({settings.staff_token_file})", False
    elif settings.staff_token:
        token, source, generated = settings.staff_token, "OPC_STAFF_TOKEN", False
    else:
        (token, generated), source = secret_file(settings, "staff_token"), str(settings.data_dir / "staff_token")
    if len(token) < MIN_STAFF_TOKEN:
        raise ConfigError(f"{source}: the staff token has {len(token)} characters, at least {MIN_STAFF_TOKEN} are "
                          f"needed (OPC_STAFF_TOKEN or OPC_STAFF_TOKEN_FILE); make one with {MAKE_TOKEN}")
    return token, generated


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


def record_answer(request: Request, answer) -> None:
    request.app.state.metrics.answers.labels(answer.intent, answer.engine, str(answer.refused).lower()).inc()
