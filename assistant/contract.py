"""The answer contract every surface returns (HTTP, CLI --json, UI, evals)."""
from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

Intent = Literal["policy_qa", "calculate", "eligibility", "match", "checklist", "smalltalk", "out_of_scope", "too_complex"]


class Citation(BaseModel):
    doc: str
    doc_title: str
    section: str
    quote: str


class ToolCall(BaseModel):
    name: str
    arguments: dict[str, Any]
    result: dict[str, Any]


class Answer(BaseModel):
    session_id: str
    answer: str
    citations: list[Citation] = Field(default_factory=list)
    tool_calls: list[ToolCall] = Field(default_factory=list)
    refused: bool = False
    intent: Intent = "policy_qa"
    follow_up: list[str] = Field(default_factory=list)
    engine: Literal["rules", "llm"] = "rules"
    latency_ms: float = 0.0
    state: dict[str, Any] = Field(default_factory=dict, description="会话记住的画像与上一话题（本轮所用）")
    turn_id: str | None = Field(None, description="本轮记录的ID，用于评价（/api/feedback）")


class SearchHit(BaseModel):
    doc: str
    doc_title: str = ""
    section: str
    quote: str
    score: float


class SearchResponse(BaseModel):
    query: str
    results: list[SearchHit]
    degraded: bool = Field(False, description="向量检索不可用，本次只用关键词（BM25）检索")


class ErrorBody(BaseModel):
    code: str
    message: str


class ErrorResponse(BaseModel):
    error: ErrorBody
