"""Request bodies of the HTTP API (responses use assistant.contract)."""
from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from assistant.contract import Answer

SESSION_TOKEN_DOC = "新建会话时返回的会话密钥；继续或读取会话时必须提供（也可放在请求头 X-Session-Token）"


class ChatRequest(BaseModel):
    model_config = {"extra": "forbid"}
    message: str = Field(..., description="用户的问题", examples=["硕士来盐城创业每月生活补贴多少？"])
    session_id: str | None = Field(None, description="会话ID（服务器生成）；为空时新建", pattern=r"^[A-Za-z0-9_-]{1,64}$")
    session_token: str | None = Field(None, description=SESSION_TOKEN_DOC, max_length=128)


class ChatAnswer(Answer):
    session_token: str | None = Field(None, description="仅在新建会话时返回一次：继续、读取、评价这个会话都要带上它")


class FeedbackRequest(BaseModel):
    model_config = {"extra": "forbid"}
    session_id: str = Field(..., pattern=r"^[A-Za-z0-9_-]{1,64}$")
    session_token: str | None = Field(None, description=SESSION_TOKEN_DOC, max_length=128)
    turn_id: str | None = Field(None, pattern=r"^[A-Za-z0-9_-]{1,64}$")
    helpful: bool
    comment: str | None = Field(None, max_length=2000)


class OpenAIMessage(BaseModel):
    role: Literal["system", "user", "assistant", "tool", "developer"]
    content: str | list[dict[str, Any]] | None = None


class ChatCompletionRequest(BaseModel):
    model: str = "opc-assistant"
    messages: list[OpenAIMessage] = Field(..., min_length=1, max_length=200)
    stream: bool = False
    user: str | None = Field(None, max_length=128)
    temperature: float | None = None
    max_tokens: int | None = None
    metadata: dict[str, Any] | None = None


class CaseCreate(BaseModel):
    model_config = {"extra": "forbid"}
    visitor_name: str = Field(..., min_length=1, max_length=50)
    phone: str | None = Field(None, pattern=r"^[0-9+\- ]{5,20}$")
    id_number: str | None = Field(None, pattern=r"^[0-9Xx]{15,18}$")
    entity_type: Literal["llc_single", "llc_multi", "individual"]
    needs: list[Literal["registration", "seal", "bank", "tax", "social", "housing_fund"]] = Field(
        default_factory=lambda: ["registration", "seal", "bank", "tax", "social", "housing_fund"])


class CaseUpdate(BaseModel):
    model_config = {"extra": "forbid"}
    tick: dict[str, bool] | None = Field(None, description="勾选材料：{\"registration:申请书\": true}")
    note: str | None = Field(None, min_length=1, max_length=2000)
    status: Literal["open", "waiting", "done", "closed"] | None = None
