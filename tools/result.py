"""What every tool returns: amount (or null with a reason), kind, breakdown, binding caps, article, caveats."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from tools import places
from tools.rules import Benefit, policy_book

Status = Literal["已满足", "待完善", "不确定"]


class Step(BaseModel):
    label: str
    formula: str = ""
    amount: float | None = None


class Cap(BaseModel):
    name: str
    value: float
    unit: str = "元"
    binding: bool = False

    def display(self) -> str:
        from tools.money import yuan

        return yuan(self.value) if self.unit == "元" else f"{self.value:g}{self.unit}"


class Article(BaseModel):
    doc: str
    section: str
    quote: str


class ConditionCheck(BaseModel):
    condition: str
    status: Status
    note: str = ""


class Reading(BaseModel):
    reading: str
    amount: float | None


class ToolResult(BaseModel):
    tool: str
    policy_id: str
    title: str
    amount: float | None
    kind: Literal["exact", "up_to"]
    unit: str = "元"
    max_amount: float | None = Field(None, description="没有公式时可给的上限（最高…）")
    eligible: bool | None = None
    reason: str | None = None
    breakdown: list[Step] = Field(default_factory=list)
    caps: list[Cap] = Field(default_factory=list)
    conditions: list[ConditionCheck] = Field(default_factory=list)
    readings: list[Reading] = Field(default_factory=list)
    article: Article
    responsible: list[str] = Field(default_factory=list)
    caveats: list[str] = Field(default_factory=list)


def base_result(tool: str, benefit: Benefit, **kw) -> ToolResult:
    book = policy_book()
    caveats = [book.meta.draft_notice]
    if benefit.kind == "up_to":
        caveats.append("“最高”是上限，不是承诺，实际金额经审核确定。")
    caveats.append(f"主要支持盐城大市区（{'、'.join(places.metro_names())}）；其他县（市）可参照出台政策。")
    caveats.append("同一企业同一项目涉及多项奖补的，按“就高不重复”执行。")
    return ToolResult(tool=tool, policy_id=benefit.id, title=benefit.title, kind=benefit.kind,
                      article=Article(doc=benefit.doc, section=benefit.section, quote=benefit.quote),
                      responsible=benefit.responsible, caveats=caveats, **kw)
