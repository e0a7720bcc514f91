"""One-window (一窗受理) checklists as data: pick the steps and materials for an entity type, pure functions."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, Field

from tools.rules import policy_book

CHECKLISTS_PATH = Path(__file__).resolve().parent.parent / "knowledge" / "checklists.yaml"
EntityType = Literal["llc_single", "llc_multi", "individual"]


class Material(BaseModel):
    text: str
    source: str
    only: list[str] | None = None


class Tip(BaseModel):
    text: str
    source: str
    only: list[str] | None = None


class StepDef(BaseModel):
    id: str
    title: str
    keywords: list[str]
    where: str
    materials: list[Material] = Field(default_factory=list)
    items: list[str] = Field(default_factory=list)
    tips: list[Tip] = Field(default_factory=list)


class EntityDef(BaseModel):
    id: EntityType
    name: str
    aliases: list[str]


class AfterDef(BaseModel):
    benefit: str
    evidence: list[str]


class ChecklistBook(BaseModel):
    notice: str
    where: dict[str, str]
    principle: str
    sources: dict[str, str]
    entity_types: list[EntityDef]
    steps: list[StepDef]
    after_registration: list[AfterDef]


class StepOut(BaseModel):
    id: str
    title: str
    where: str
    materials: list[str]
    items: list[str]
    tips: list[str]
    sources: list[str]
    done: bool = False


class BenefitNext(BaseModel):
    benefit: str
    title: str
    section: str
    conditions: list[str]
    evidence: list[str]


class Checklist(BaseModel):
    entity_type: EntityType | None
    entity_name: str
    notice: str
    principle: str
    steps: list[StepOut]
    next_benefits: list[BenefitNext]


@lru_cache(maxsize=1)
def checklist_book() -> ChecklistBook:
    book = ChecklistBook.model_validate(yaml.safe_load(CHECKLISTS_PATH.read_text(encoding="utf-8")))
    for step in book.steps:
        for ref in [m.source for m in step.materials] + [t.source for t in step.tips]:
            if ref not in book.sources:
                raise ValueError(f"checklists.yaml: 步骤 {step.id} 引用了未登记的出处 {ref}")
    return book


def detect_entity(text: str) -> EntityType | None:
    for e in checklist_book().entity_types:
        if any(a in text for a in e.aliases):
            return e.id
    if "有限公司" in text or "有限责任公司" in text:
        return None  # a limited company, but how many shareholders is still unknown
    return None


def detect_step(text: str) -> str | None:
    """The step whose keyword matches longest (公积金开户 is the housing fund, not the bank)."""
    best, best_len = None, 0
    for s in checklist_book().steps:
        for k in s.keywords:
            if k in text and (len(k) > best_len or (len(k) == best_len and best == "registration")):
                best, best_len = s.id, len(k)
    return best


def _applies(only: list[str] | None, entity: str) -> bool:
    return only is None or entity in only


def build_checklist(entity_type: EntityType | None, done: list[str] | None = None) -> Checklist:
    """The checklist for an entity type; with None, every material is listed with whom it applies to."""
    book = checklist_book()
    names = {e.id: e.name for e in book.entity_types}
    done = set(done or [])
    steps = []
    for s in book.steps:
        mats = [m for m in s.materials if entity_type is None or _applies(m.only, entity_type)]
        tips = [t for t in s.tips if entity_type is None or _applies(t.only, entity_type)]
        texts = [m.text + (f"（{'、'.join(names[o] for o in m.only)}）" if entity_type is None and m.only else "")
                 for m in mats]
        steps.append(StepOut(id=s.id, title=s.title, where=book.where[s.where], materials=texts,
                             items=s.items, tips=[t.text for t in tips], done=s.id in done,
                             sources=sorted({book.sources[x.source] for x in [*mats, *tips]})))
    policies = policy_book()
    nxt = []
    for a in book.after_registration:
        b = policies.benefit(a.benefit)
        nxt.append(BenefitNext(benefit=b.id, title=b.title, section=b.section, conditions=b.conditions,
                               evidence=a.evidence))
    return Checklist(entity_type=entity_type, entity_name=names.get(entity_type, "（未指定主体类型）"),
                     notice=book.notice, principle=book.principle, steps=steps, next_benefits=nxt)


class ChecklistIn(BaseModel):
    model_config = {"extra": "forbid"}
    entity_type: EntityType | None = Field(None, description="不填则列出各类主体的材料；llc_single 一人有限公司、llc_multi 多个股东的有限公司、individual 个体工商户")
    step: Literal["registration", "seal", "bank", "tax", "social", "housing_fund"] | None = Field(
        None, description="只看某一步：设立登记、印章、银行开户、税务、社保医保、公积金")
    done: list[str] = Field(default_factory=list, description="已办完的步骤")


def get_checklist(inp: ChecklistIn) -> Checklist:
    cl = build_checklist(inp.entity_type, inp.done)
    if inp.step:
        cl.steps = [s for s in cl.steps if s.id == inp.step]
    return cl
