"""Policy matching (政策计算器): every benefit for a founder's profile, conditions split 已满足/待完善/不确定."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from tools import calculators as calc
from tools.eligibility import ScopeIn, check_scope
from tools.money import Money, Monies
from tools.values import ToolInput
from tools.result import ConditionCheck, ToolResult
from tools.rules import policy_book

# Awards for one project: 就高不重复 keeps only the highest when the same project qualifies under several.
PROJECT_AWARDS = {"pilot_lead", "typical_case", "demonstration", "key_rd", "new_tech_catalogue", "competition_award"}
OPERATOR_ONLY = {"community_first_recognition", "community_rating", "community_infrastructure",
                 "industry_college", "training_base", "labeling_platform"}
PLAN_BENEFITS = {
    "算力": ["compute_voucher"], "数据": ["data_purchase", "data_listing", "dataset_development"],
    "模型": ["model_filing", "key_rd", "new_tech_catalogue"], "场景": ["pilot_lead", "typical_case", "demonstration"],
    "大赛": ["competition_award"], "活动": ["event_support"], "贷款": ["guaranteed_loan", "interest_subsidy"],
    "买房": ["house_purchase"], "租房": ["talent_rental"], "融资": ["fund_tolerance", "guaranteed_loan"],
}


class Profile(ToolInput):
    age: int | None = Field(None, ge=0, le=120, description="年龄（周岁）")
    degree: calc.Degree | None = Field(None, description="学历：博士、硕士、本科、技师班、专科、其他")
    full_time: bool | None = Field(None, description="是否全日制")
    first_social_insurance_in_yancheng: bool | None = Field(None, description="是否首次在盐参保并正常缴费")
    district: str | None = Field(None, max_length=50, description="企业所在区县")
    role: Literal["创始人", "高管", "员工", "社区运营方", "高校"] | None = Field(None, description="身份")
    annual_compute_spend: Monies | None = Field(None, max_length=3, description="每年算力费用（元）")
    data_contracts: Monies | None = Field(None, max_length=50, description="数据产品采购合同金额（元）")
    house_area_sqm: float | None = Field(None, gt=0, le=100000, description="拟购新建商品房面积（平方米）")
    monthly_rent: Money | None = Field(None, description="人才租赁房月租金（元）")
    loan_amount: Money | None = Field(None, gt=0, description="拟申请创业担保贷款（元）")
    plans: list[str] = Field(default_factory=list, max_length=20,
                             description="计划或已有的事项：算力、数据、模型、场景、大赛、活动、贷款、买房、租房、融资")




class MatchItem(BaseModel):
    policy_id: str
    title: str
    doc: str
    section: str
    verdict: Literal["可申请", "待完善", "不确定"]
    estimate: float | None = None
    max_amount: float | None = None
    kind: Literal["exact", "up_to"]
    conditions: list[ConditionCheck]
    tool: str | None = None
    note: str = ""


class MatchResult(BaseModel):
    items: list[MatchItem]
    estimated_total: float
    caveats: list[str]
    missing: list[str] = Field(description="补充这些信息可以算得更准")


def _conds(texts: list[str], known: dict[str, bool | None] | None = None) -> list[ConditionCheck]:
    known = known or {}
    return [ConditionCheck(condition=t, status={True: "已满足", False: "待完善", None: "不确定"}[known.get(t)]) for t in texts]


def _verdict(conds: list[ConditionCheck]) -> str:
    if any(c.status == "待完善" for c in conds):
        return "待完善"
    return "可申请" if conds and all(c.status == "已满足" for c in conds) else "不确定"


def _from_tool(res: ToolResult, note: str = "") -> MatchItem:
    conds = res.conditions or _conds(policy_book().benefit(res.policy_id).conditions)
    verdict = "待完善" if res.eligible is False else _verdict(conds)
    return MatchItem(policy_id=res.policy_id, title=res.title, doc=res.article.doc, section=res.article.section,
                     verdict=verdict, estimate=res.amount, max_amount=res.max_amount, kind=res.kind,
                     conditions=conds, tool=res.tool, note=note or (res.reason or ""))


def match_policies(p: Profile) -> MatchResult:
    book = policy_book()
    items: list[MatchItem] = []
    wanted = {bid for plan in p.plans for key, ids in PLAN_BENEFITS.items() if key in plan for bid in ids}
    operator = p.role in ("社区运营方", "高校")

    items.append(_from_tool(calc.compute_living_subsidy(calc.LivingIn(
        degree=p.degree, full_time=p.full_time, age=p.age,
        first_social_insurance_in_yancheng=p.first_social_insurance_in_yancheng))))
    if p.annual_compute_spend:
        items.append(_from_tool(calc.compute_voucher_subsidy(calc.VoucherIn(annual_spend=p.annual_compute_spend))))
    if p.data_contracts:
        items.append(_from_tool(calc.compute_data_purchase_subsidy(calc.DataPurchaseIn(contract_amounts=p.data_contracts))))
    if p.house_area_sqm:
        items.append(_from_tool(calc.compute_house_subsidy(calc.HouseIn(area_sqm=p.house_area_sqm,
                                                                        role=p.role if p.role in ("创始人", "高管", "员工") else None))))
    if p.monthly_rent is not None:
        items.append(_from_tool(calc.compute_rental_relief(calc.RentalIn(monthly_rent=p.monthly_rent))))
    if p.loan_amount:
        items.append(_from_tool(calc.check_guaranteed_loan(calc.LoanIn(borrower="个人", amount=p.loan_amount))))

    done = {i.policy_id for i in items}
    for b in book.benefits:
        if b.id in done or (b.id in OPERATOR_ONLY) != operator:
            continue
        if b.id not in wanted and b.id not in {"compute_voucher", "house_purchase", "talent_rental", "guaranteed_loan"}:
            if not operator:
                continue
        known = {}
        if b.id == "house_purchase" and p.role:
            known = {b.conditions[0]: p.role in ("创始人", "高管")}
        cap = next(iter(b.caps.values()), None) or (max(b.tiers.values()) if b.tiers and all(
            isinstance(v, (int, float)) for v in b.tiers.values()) else None)
        items.append(MatchItem(policy_id=b.id, title=b.title, doc=b.doc, section=b.section,
                               verdict=_verdict(_conds(b.conditions, known)), max_amount=cap, kind=b.kind,
                               conditions=_conds(b.conditions, known)))

    if p.district:
        scope = check_scope(ScopeIn(district=p.district))
        if scope.eligible is not True:
            for it in items:
                it.conditions.append(ConditionCheck(condition="企业位于盐城大市区", status="待完善" if scope.eligible is False
                                                    else "不确定", note=scope.reason or ""))
                it.verdict = _verdict(it.conditions)

    _apply_no_double(items)
    total = sum(i.estimate or 0 for i in items if i.verdict != "待完善" and "就高不重复" not in i.note)
    missing = [label for label, value in [("年龄", p.age), ("学历", p.degree), ("是否全日制", p.full_time),
                                          ("是否首次在盐参保", p.first_social_insurance_in_yancheng),
                                          ("所在区县", p.district), ("身份（创始人/高管）", p.role)] if value is None]
    return MatchResult(items=items, estimated_total=total, missing=missing,
                       caveats=[book.meta.draft_notice, "估算只含能按公式计算的项目；“最高”类支持按审核确定。",
                                "同一企业同一项目涉及多项奖补的，按“就高不重复”执行。"])


def _apply_no_double(items: list[MatchItem]) -> None:
    project = [i for i in items if i.policy_id in PROJECT_AWARDS and i.verdict != "待完善"]
    if len(project) < 2:
        return
    top = max(project, key=lambda i: i.estimate or i.max_amount or 0)
    for i in project:
        if i is not top:
            i.note = (i.note + "；" if i.note else "") + f"就高不重复：若与“{top.title}”为同一项目，只取较高者"
