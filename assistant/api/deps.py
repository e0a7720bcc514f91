"""Shared dependencies: the service instance and staff authentication."""
from __future__ import annotations

import hmac
import logging
import math
import threading
import time
from collections import OrderedDict, deque

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from assistant.config import ConfigError, Settings, read_private_file, secret_file
from assistant.privacy import mask_address
from assistant.service import AssistantService

log = logging.getLogger("opc.api")
bearer = HTTPBearer(auto_error=False, description="窗口工作人员令牌 OPC_STAFF_TOKEN")


class Unauthorized(Exception):
    pass


class StaffLocked(Exception):
    """Too many wrong staff tokens from one client: 429 until the oldest counted one leaves the window."""

    def __init__(self, wait: int):
        super().__init__(wait)
        self.wait = wait


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


class StaffGuesses:
    """Wrong staff tokens per client in a moving window, in this process: past LIMIT a client's staff requests are
    refused before the token is compared, so guessing is slow; the table is bounded (least recent failures go)."""
    LIMIT, WINDOW_S, MAX_CLIENTS = 10, 300.0, 10_000

    def __init__(self):
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def wait(self, client: str, now: float | None = None) -> int | None:
        """Seconds `client` must wait before its next staff request, or None."""
        now = time.monotonic() if now is None else now
        with self._lock:
            times = self._failures.get(client)
            if times is None or len(times) < self.LIMIT or times[0] + self.WINDOW_S <= now:
                return None
            return max(1, math.ceil(times[0] + self.WINDOW_S - now))

    def fail(self, client: str, now: float | None = None) -> int:
        """Count one wrong token; the client's failures in the window, this one included."""
        now = time.monotonic() if now is None else now
        with self._lock:
            times = self._failures.pop(client, None) or deque(maxlen=self.LIMIT)
            while times and times[0] + self.WINDOW_S <= now:
                times.popleft()
            times.append(now)
            self._failures[client] = times
            while len(self._failures) > self.MAX_CLIENTS:
                self._failures.popitem(last=False)
            return len(times)


def install_staff_auth(app: FastAPI, settings: Settings) -> None:
    """The staff token (read once, kept only on the app), the wrong-token counter and its 429 answer."""
    app.state.staff_token, app.state.staff_token_generated = staff_token(settings)
    app.state.staff_guesses = StaffGuesses()

    @app.exception_handler(StaffLocked)
    async def _locked(request: Request, exc: StaffLocked):
        return JSONResponse({"error": {"code": "staff_token_locked",
                                       "message": f"工作人员令牌错误次数过多，请 {exc.wait} 秒后再试。"}},
                            status_code=429, headers={"Retry-After": str(exc.wait)})


def client_of(request: Request) -> str:
    """The client key the outer guard resolved (proxies considered), else the socket peer."""
    key = request.scope.get("state", {}).get("opc_client")
    return key or (request.client.host if request.client else "unknown")


def _client_unless_locked(request: Request) -> str:
    """The client's key; StaffLocked (429) when it is past the limit, before any secret is compared."""
    client = client_of(request)
    if (wait := request.app.state.staff_guesses.wait(client)) is not None:
        raise StaffLocked(wait)
    return client


def _count_wrong(request: Request, client: str, what: str) -> None:
    """Count a wrong staff secret and log it with the client's masked address (never the secret)."""
    count = request.app.state.staff_guesses.fail(client)
    log.warning("wrong staff %s from %s (%d in the last %d s%s)", what, mask_address(client), count,
                StaffGuesses.WINDOW_S, "; staff requests refused for a while" if count >= StaffGuesses.LIMIT else "")


def check_staff_token(request: Request, given: str | None) -> bool:
    """Whether `given` is the staff token; a wrong one is counted (no token at all is not a guess)."""
    client = _client_unless_locked(request)
    if given and hmac.compare_digest(given.encode(), request.app.state.staff_token.encode()):
        return True
    if given:
        _count_wrong(request, client, "token")
    return False


async def require_staff(request: Request, creds: HTTPAuthorizationCredentials | None = Depends(bearer)) -> str:
    if not check_staff_token(request, creds.credentials if creds else None):
        raise Unauthorized()
    return "staff"


SESSION_TOKEN_HEADER = "x-session-token"


def session_token(request: Request, body_value: str | None = None) -> str | None:
    """The session secret from the X-Session-Token header, else from the body."""
    return request.headers.get(SESSION_TOKEN_HEADER) or body_value


def is_staff(request: Request) -> bool:
    """A valid staff Bearer token (staff may read any session to help a visitor); a wrong one counts as a guess."""
    auth = request.headers.get("authorization", "")
    given = auth[7:].strip() if auth.lower().startswith("bearer ") else ""
    return bool(given) and check_staff_token(request, given)


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
    client = _client_unless_locked(request)
    signed = exp.isdigit() and len(exp) < 12 and hmac.compare_digest(
        sig.encode(), print_signature(request.app.state.staff_token, case_id, int(exp)).encode())
    if signed and int(exp) >= time.time():
        return "link"
    if sig and not signed:  # a forged signature is a guess; an expired link of the staff page is not
        _count_wrong(request, client, "link signature")
    raise Unauthorized()


async def run_answer(request: Request, service: AssistantService, fn, *args):
    """An answer in a worker thread, bounded per client in flight and cancelled when the client goes away
    (assistant/api/inflight.py); the rules engine's own deadline applies inside."""
    deadline = service.settings.answer_deadline_s + (service.settings.llm_deadline_s if service.settings.llm_enabled else 0)
    return await request.app.state.inflight.run(request, deadline, fn, *args)


def record_answer(request: Request, answer) -> None:
    request.app.state.metrics.answers.labels(answer.intent, answer.engine, str(answer.refused).lower()).inc()
