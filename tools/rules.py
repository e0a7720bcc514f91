"""Load knowledge/policies.yaml into typed rules; a malformed entry fails at load with its id named."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, Field, ValidationError, model_validator

POLICIES_PATH = Path(__file__).resolve().parent.parent / "knowledge" / "policies.yaml"


class Band(BaseModel):
    low: int
    high: int | None
    amount: float
    text: str


class Benefit(BaseModel):
    """One benefit of the measures: parameters a calculator reads, with its article and verbatim quote."""

    id: str
    title: str
    doc: str
    section: str
    quote: str
    kind: Literal["exact", "up_to"]
    # grant = money paid out (the only kind a total adds up); loan = credit to repay; equity = investment;
    # in_kind = a service or a waiver (rent-free desks, a free service package)
    nature: Literal["grant", "loan", "equity", "in_kind"] = "grant"
    amount_note: str = ""  # e.g. 文件未规定金额
    conditions: list[str] = Field(default_factory=list)
    responsible: list[str] = Field(default_factory=list)
    rate: float | None = None
    rates: list[float] | None = None
    caps: dict[str, float] = Field(default_factory=dict)
    tiers: dict[str, Any] = Field(default_factory=dict)
    bands: list[Band] = Field(default_factory=list)
    params: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _collect_params(cls, data: Any) -> Any:
        if isinstance(data, dict):
            known = set(cls.model_fields) - {"params"}
            extra = {k: v for k, v in data.items() if k not in known}
            data = {k: v for k, v in data.items() if k in known} | {"params": extra}
        return data

    @model_validator(mode="after")
    def _check(self) -> "Benefit":
        for name, value in [("rate", self.rate), *((f"rates[{i}]", r) for i, r in enumerate(self.rates or []))]:
            if value is not None and not 0 < value <= 1:
                raise ValueError(f"{name}={value} 不是 0–1 之间的比例")
        for k, v in self.caps.items():
            if v <= 0:
                raise ValueError(f"上限 {k}={v} 必须为正数")
        return self


class Rule(BaseModel):
    id: str
    title: str
    doc: str
    section: str
    quote: str


class AnyOf(BaseModel):
    field: str
    min: float
    text: str
    label: str


class CommunityCondition(BaseModel):
    id: str
    section: str
    quote: str
    text: str
    field: str | None = None
    min: float | None = None
    required: bool | None = None
    any_of: list[AnyOf] = Field(default_factory=list)


class RecognitionProcess(BaseModel):
    doc: str
    section: str
    quote: str
    responsible: list[str]


class Meta(BaseModel):
    status: str
    valid_until: Any
    draft_notice: str


class PolicyBook(BaseModel):
    meta: Meta
    benefits: list[Benefit]
    rules: list[Rule]
    community_conditions: list[CommunityCondition]
    recognition_process: RecognitionProcess
    no_double_groups: list[list[str]] = Field(default_factory=list)

    def benefit(self, benefit_id: str) -> Benefit:
        for b in self.benefits:
            if b.id == benefit_id:
                return b
        raise KeyError(benefit_id)

    def rule(self, rule_id: str) -> Rule:
        return next(r for r in self.rules if r.id == rule_id)


class PolicyFileError(ValueError):
    pass


def parse_policy_book(data: dict, source: str = "policies.yaml") -> PolicyBook:
    """Validate entry by entry so the error names the entry that is wrong."""
    if not isinstance(data, dict):
        raise PolicyFileError(f"{source}: 顶层必须是映射")
    for group in ("benefits", "rules", "community_conditions"):
        model = {"benefits": Benefit, "rules": Rule, "community_conditions": CommunityCondition}[group]
        for i, entry in enumerate(data.get(group) or []):
            try:
                model.model_validate(entry)
            except ValidationError as exc:
                ident = entry.get("id", f"#{i}") if isinstance(entry, dict) else f"#{i}"
                raise PolicyFileError(f"{source}: {group} 中的条目 {ident!r} 无效：{exc.errors()[0]['msg']}"
                                      f"（字段 {'.'.join(map(str, exc.errors()[0]['loc']))}）") from exc
    try:
        book = PolicyBook.model_validate(data)
    except ValidationError as exc:
        raise PolicyFileError(f"{source}: {exc}") from exc
    ids = [b.id for b in book.benefits]
    dup = {i for i in ids if ids.count(i) > 1}
    if dup:
        raise PolicyFileError(f"{source}: 重复的 id：{sorted(dup)}")
    return book


def load_policy_book(path: Path | None = None) -> PolicyBook:
    path = path or POLICIES_PATH  # read at call time, so a test can point it at another file
    return parse_policy_book(yaml.safe_load(path.read_text(encoding="utf-8")), str(path.name))


@lru_cache(maxsize=1)
def policy_book() -> PolicyBook:
    return load_policy_book()
