"""Policy matching (政策计算器): every benefit for a founder's profile, conditions split 已满足/待完善/不确定."""
from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field

from tools import calculators as calc
from tools.eligibility import ScopeIn, check_scope
from tools.money import Money, Monies, yuan
from tools.values import ToolInput
from tools.result import ConditionCheck, ToolResult
from tools.rules import policy_book

OPERATOR_ONLY = {"community_first_recognition", "community_rating", "community_infrastructure",
                 "industry_college", "training_base", "labeling_platform"}
PLAN_BENEFITS = {
    "算力": ["compute_voucher"], "数据": ["data_purchase", "data_listing", "dataset_development"],
    "模型": ["model_filing", "key_rd", "new_tech_catalogue"], "场景": ["pilot_lead", "typical_case", "demonstration"],
    "大赛": ["competition_award"], "活动": ["event_support"], "贷款": ["guaranteed_loan", "interest_subsidy"],
    "买房": ["house_purchase"], "租房": ["talent_rental"], "融资": ["fund_tolerance", "guaranteed_loan"],
}
ALWAYS = {"compute_voucher", "house_purchase", "talent_rental", "guaranteed_loan"}
NATURE = {"loan": "贷款，需要归还", "equity": "股权投资", "in_kind": "免租或服务，不是现金"}


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
    new_commercial_housing: bool | None = Field(None, description="所购住房是否为新建商品房（二手房不在范围内）")
    monthly_rent: Money | None = Field(None, description="人才租赁房月租金（元）")
    loan_amount: Money | None = Field(None, gt=0, description="拟申请创业担保贷款（元）")
    start_date: date | None = Field(None, description="开始享受的日期（YYYY-MM-DD），不填按今天；有效期至2028-12-31")
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
    nature: Literal["grant", "loan", "equity", "in_kind"] = "grant"
    amount_note: str = Field("", description="没有金额时的说明，如“文件未规定金额”")
    in_total: bool = Field(False, description="是否计入估算合计（只计补贴类、按公式算出的金额）")


class MatchResult(BaseModel):
    items: list[MatchItem]
    estimated_total: float = Field(description="计入合计的补贴之和（in_total 的项目）")
    total_covers: list[str] = Field(default_factory=list, description="合计包含的项目")
    total_note: str = ""
    no_double: list[str] = Field(default_factory=list, description="按“就高不重复”只取较高者的说明")
    scope_note: str = Field("", description="所在区县不在盐城大市区（或无法确认）时的说明")
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
    b = policy_book().benefit(res.policy_id)
    conds = res.conditions or _conds(b.conditions)
    verdict = "待完善" if res.eligible is False else _verdict(conds)
    return MatchItem(policy_id=res.policy_id, title=res.title, doc=res.article.doc, section=res.article.section,
                     verdict=verdict, estimate=res.amount, max_amount=res.max_amount, kind=res.kind,
                     conditions=conds, tool=res.tool, note=note or (res.reason or ""), nature=b.nature,
                     amount_note=b.amount_note)


def match_policies(p: Profile) -> MatchResult:
    book = policy_book()
    items: list[MatchItem] = []
    wanted = {bid for plan in p.plans for key, ids in PLAN_BENEFITS.items() if key in plan for bid in ids}
    operator = p.role in ("社区运营方", "高校")

    items.append(_from_tool(calc.compute_living_subsidy(calc.LivingIn(
        degree=p.degree, full_time=p.full_time, age=p.age,
        first_social_insurance_in_yancheng=p.first_social_insurance_in_yancheng, start_date=p.start_date))))
    if p.annual_compute_spend:
        items.append(_from_tool(calc.compute_voucher_subsidy(calc.VoucherIn(annual_spend=p.annual_compute_spend,
                                                                                 start_date=p.start_date))))
    if p.data_contracts:
        items.append(_from_tool(calc.compute_data_purchase_subsidy(calc.DataPurchaseIn(contract_amounts=p.data_contracts))))
    if p.house_area_sqm:
        items.append(_from_tool(calc.compute_house_subsidy(calc.HouseIn(
            area_sqm=p.house_area_sqm, role=p.role if p.role in ("创始人", "高管", "员工") else None,
            new_commercial_housing=p.new_commercial_housing))))
    if p.monthly_rent is not None:
        rental = calc.RentalIn(monthly_rent=p.monthly_rent, start_date=p.start_date)
        items.append(_from_tool(calc.compute_rental_relief(rental)))
    if p.loan_amount:
        items.append(_from_tool(calc.check_guaranteed_loan(calc.LoanIn(borrower="个人", amount=p.loan_amount))))

    done = {i.policy_id for i in items}
    for b in book.benefits:
        if b.id in done or (b.id in OPERATOR_ONLY) != operator:
            continue
        # 零租工位、免费服务包、模型工具共享补贴: support with no amount in the text, listed for every founder
        unpriced = b.amount_note and not b.caps and not b.tiers and b.nature in ("grant", "in_kind")
        if b.id not in wanted and b.id not in ALWAYS and not operator and not unpriced:
            continue
        items.append(_from_rule(b, p))

    scope_note = ""
    if p.district:
        scope = check_scope(ScopeIn(district=p.district))
        if scope.eligible is not True:
            scope_note = scope.reason or ""
            for it in items:
                it.conditions.append(ConditionCheck(condition="企业位于盐城大市区", status="待完善" if scope.eligible is False
                                                    else "不确定", note=scope_note))
                it.verdict = _verdict(it.conditions)
    result = _summarise(items, p)
    result.scope_note = scope_note
    return result


def _from_rule(b, p: Profile) -> MatchItem:
    """A benefit with no calculator input from the profile: its cap (if any) and its conditions, unchecked."""
    known = {b.conditions[0]: p.role in ("创始人", "高管")} if b.id == "house_purchase" and p.role else {}
    tiers = [x for v in b.tiers.values() for x in (v.values() if isinstance(v, dict) else [v])]
    cap = next(iter(b.caps.values()), None) or (max(tiers) if tiers else None)
    conds = _conds(b.conditions, known)
    return MatchItem(policy_id=b.id, title=b.title, doc=b.doc, section=b.section, verdict=_verdict(conds),
                     max_amount=cap, kind=b.kind, conditions=conds, nature=b.nature, amount_note=b.amount_note)


def _summarise(items: list[MatchItem], p: Profile) -> MatchResult:
    """The total adds only grants worked out by formula; loans, rent waivers and services are listed, not summed."""
    book = policy_book()
    no_double = _apply_no_double(items)
    for it in items:
        it.in_total = (it.nature == "grant" and it.estimate is not None and it.verdict != "待完善"
                       and "就高不重复" not in it.note)
    counted = [i for i in items if i.in_total]
    total = round(sum(i.estimate for i in counted), 2)
    left = [f"{i.title}（{NATURE[i.nature]}）" for i in items if i.nature != "grant" and i.estimate]
    note = ("合计只含按公式算出的补贴：" + "、".join(i.title for i in counted) if counted else "没有能按公式算出的补贴")
    note += ("；不计入：" + "、".join(left) if left else "") + "。"
    missing = [label for label, value in [("年龄", p.age), ("学历", p.degree), ("是否全日制", p.full_time),
                                          ("是否首次在盐参保", p.first_social_insurance_in_yancheng),
                                          ("所在区县", p.district), ("身份（创始人/高管）", p.role)] if value is None]
    return MatchResult(items=items, estimated_total=total, total_covers=[i.title for i in counted], total_note=note,
                       no_double=no_double, missing=missing,
                       caveats=[book.meta.draft_notice, "估算只含能按公式计算的补贴；“最高”类支持按审核确定；"
                                "贷款要归还，免租和服务不是现金，均不计入合计。",
                                "同一企业同一项目涉及多项奖补的，按“就高不重复”执行。"])


def _apply_no_double(items: list[MatchItem]) -> list[str]:
    """Awards one project can earn together (no_double_groups in policies.yaml): only the highest applies."""
    out = []
    for group in policy_book().no_double_groups:
        found = [i for i in items if i.policy_id in group and i.verdict != "待完善"]
        if len(found) < 2:
            continue
        top = max(found, key=lambda i: i.estimate or i.max_amount or 0)
        value = yuan(top.estimate) if top.estimate is not None else f"最高{yuan(top.max_amount)}"
        for i in found:
            if i is not top:
                i.note = (i.note + "；" if i.note else "") + (f"就高不重复：与“{top.title}”为同一项目时只取较高的"
                                                            f"“{top.title}”（{value}），本项不计入")
        out.append(f"{'、'.join(i.title for i in found)}如为同一项目，按“就高不重复”只取“{top.title}”（{value}）。")
    return out
