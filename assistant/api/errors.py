"""Every error answers {"error": {"code", "message"}}: 422 for bad input, 401, 404, 503; never a bare 500 for input."""
from __future__ import annotations

import logging
import uuid

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from assistant.api.deps import Unauthorized
from assistant.api.inflight import TooManyInFlight
from assistant.retrieve import DenseUnavailable
from assistant.service import InvalidInput, SessionDenied
from assistant.store import StoreUnavailable

log = logging.getLogger("opc.api")


def error(status: int, code: str, message: str, **extra) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse({"error": {"code": code, "message": message, **extra}}, status_code=status, headers=headers)


def _first_error(errors) -> str:
    if not errors:
        return "请求格式不正确"
    e = errors[0]
    loc = ".".join(str(x) for x in e.get("loc", ()) if x not in ("body",))
    return f"{loc}: {e.get('msg', '')}" if loc else str(e.get("msg", ""))


def install(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError):
        return error(422, "invalid_request", "请求参数有误：" + _first_error(exc.errors()))

    @app.exception_handler(ValidationError)
    async def _pyd(request: Request, exc: ValidationError):
        return error(422, "invalid_arguments", "参数有误：" + _first_error(exc.errors()))

    @app.exception_handler(InvalidInput)
    async def _invalid(request: Request, exc: InvalidInput):
        return error(422, exc.code, exc.message)

    @app.exception_handler(SessionDenied)
    async def _session(request: Request, exc: SessionDenied):
        return error(exc.status, exc.code, exc.message)

    @app.exception_handler(Unauthorized)
    async def _unauth(request: Request, exc: Unauthorized):
        return error(401, "unauthorized", "需要工作人员令牌：请在请求头加 Authorization: Bearer <OPC_STAFF_TOKEN>。")

    @app.exception_handler(TooManyInFlight)
    async def _inflight(request: Request, exc: TooManyInFlight):
        return JSONResponse({"error": {"code": "too_many_in_flight",
                                       "message": "您还有问题正在处理中，请等上一个回答完成后再问。"}},
                            status_code=429, headers={"Retry-After": "1"})

    @app.exception_handler(StoreUnavailable)
    async def _store(request: Request, exc: StoreUnavailable):
        log.warning("database unavailable: %s", exc)
        return error(503, "database_unavailable", getattr(exc, "message", None) or "数据库暂时不可用，请稍后再试。",
                     **({"problem": exc.problem} if getattr(exc, "problem", None) else {}))

    @app.exception_handler(DenseUnavailable)
    async def _dense(request: Request, exc: DenseUnavailable):
        log.warning("dense retrieval unavailable: %s", exc)
        return error(503, "vector_store_unavailable", "向量检索暂时不可用（向量库或向量接口连不上），请改用混合或关键词检索，或稍后再试。")

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        if exc.status_code == 400:  # unparseable body (e.g. invalid UTF-8): bad input, answered like all bad input
            return error(422, "malformed_body", "请求体无法解析，请发送 UTF-8 编码的 JSON。")
        code = {404: "not_found", 405: "method_not_allowed", 413: "body_too_large"}.get(exc.status_code, "http_error")
        message = {404: "没有找到这个地址或对象。", 405: "不支持这个请求方法。"}.get(exc.status_code, str(exc.detail))
        return error(exc.status_code, code, message if isinstance(message, str) else "请求错误")

    @app.exception_handler(Exception)
    async def _unknown(request: Request, exc: Exception):
        rid = request.headers.get("x-request-id") or uuid.uuid4().hex[:12]
        log.exception("unhandled error (request %s)", rid)
        return error(500, "internal_error", f"服务出了点问题，请稍后再试（请求编号 {rid}）。", request_id=rid)
