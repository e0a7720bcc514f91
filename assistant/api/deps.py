"""Shared dependencies: the service instance and staff authentication."""
from __future__ import annotations

import hmac
import secrets
from pathlib import Path

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from assistant.config import Settings
from assistant.service import AssistantService

bearer = HTTPBearer(auto_error=False, description="窗口工作人员令牌 OPC_STAFF_TOKEN")


class Unauthorized(Exception):
    pass


def get_service(request: Request) -> AssistantService:
    return request.app.state.service


def staff_token(settings: Settings) -> tuple[str, bool]:
    """The configured token, or one generated at first start and kept in the data dir. Returns (token, generated)."""
    if settings.staff_token:
        return settings.staff_token, False
    path: Path = settings.data_dir / "staff_token"
    if path.exists():
        return path.read_text().strip(), False
    token = secrets.token_urlsafe(24)
    path.write_text(token)
    path.chmod(0o600)
    return token, True


def require_staff(request: Request, creds: HTTPAuthorizationCredentials | None = Depends(bearer)) -> str:
    expected = request.app.state.staff_token
    if creds is None or not hmac.compare_digest(creds.credentials.encode(), expected.encode()):
        raise Unauthorized()
    return "staff"


def record_answer(request: Request, answer) -> None:
    request.app.state.metrics.answers.labels(answer.intent, answer.engine, str(answer.refused).lower()).inc()
