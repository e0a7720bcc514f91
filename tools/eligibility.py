"""Eligibility checks: each condition met / to do / unknown (已满足 / 待完善 / 不确定), never a guess."""
from __future__ import annotations

from pydantic import BaseModel, Field

from tools.money import Money, yuan
from tools.places import lookup, metro_names, scope
from tools.values import ToolInput
from tools.result import Article, ConditionCheck, Step, ToolResult
from tools.rules import policy_book

_STATUS = {True: "已满足", False: "待完善", None: "不确定"}


def living_conditions(inp) -> list[ConditionCheck]:
    b = policy_book().benefit("living_subsidy")
    max_age = b.params["max_age"]
    degree_ok = None if inp.degree is None else inp.degree in b.params["monthly"]
    age_ok = None if inp.age is None else inp.age <= max_age
    return [
        ConditionCheck(condition=f"年龄{max_age}周岁以下（含{max_age}周岁）", status=_STATUS[age_ok],
                       note="" if inp.age is None else f"{inp.age}周岁"),
        ConditionCheck(condition="全日制学历", status=_STATUS[inp.full_time]),
        ConditionCheck(condition="博士、硕士、本科（含技师班毕业生）", status=_STATUS[degree_ok],
                       note=inp.degree or ""),
        ConditionCheck(condition="首次在盐参加各项社会保险且正常缴费",
                       status=_STATUS[inp.first_social_insurance_in_yancheng]),
    ]


# --- 适用范围 -------------------------------------------------------------------------------------------
class ScopeIn(ToolInput):
    district: str = Field(..., min_length=1, max_length=50, description="企业所在区县，如 盐都区、东台市")


def check_scope(inp: ScopeIn) -> ToolResult:
    """Whole place names and known short forms only (tools.places): "区" is no place, 滨海新区 is not 滨海县."""
    book = policy_book()
    rule = book.rule("scope")
    place = lookup(inp.district)
    where = scope(place) if place else None
    metro = "、".join(metro_names())
    if where == "大市区":
        eligible, reason = True, f"{place.name}属于盐城大市区，直接适用本政策措施。"
    elif where == "参照":
        eligible, reason = False, (f"{place.name}不在盐城大市区内：本政策主要支持大市区，其他县（市）可参照本方案出台相关政策，"
                                   f"请以{place.name}出台的政策为准。")
        rule = book.rule("counties")
    elif where == "外地":
        at = "".join(dict.fromkeys(x for x in (place.province, place.city, place.name) if x))
        eligible, reason = False, f"{at}不在盐城市，本政策措施只适用于盐城（主要支持盐城大市区：{metro}）。"
    else:
        eligible = None
        reason = (f"请告诉我在盐城的哪个区县：大市区（{metro}）直接适用，其他县（市）参照。" if place
                  else f"无法确认“{inp.district}”是哪里：请写完整的区县名称，如 盐都区、东台市。")
    return ToolResult(tool="check_scope", policy_id="scope", title="适用范围", amount=None, kind="exact",
                      eligible=eligible, reason=reason,
                      article=Article(doc=rule.doc, section=rule.section, quote=rule.quote),
                      caveats=[book.meta.draft_notice])


# --- 社区认定条件（附件1 三、基本条件） ------------------------------------------------------------------
class CommunityIn(ToolInput):
    service_staff: int | None = Field(None, ge=0, description="专兼职OPC服务人员（人）")
    fulltime_staff: int | None = Field(None, ge=0, description="其中专职人员（人）")
    mentors: int | None = Field(None, ge=0, description="创业导师（人）")
    has_management_rules: bool | None = Field(None, description="是否有入驻评估、孵化与退出等管理制度")
    has_compute_data_access: bool | None = Field(None, description="能否接入普惠算力、数据集、开发工具与模型")
    office_area_sqm: float | None = Field(None, ge=0, description="核心办公面积（平方米）")
    workstations: int | None = Field(None, ge=0, description="OPC创业者工位（个）")
    ai_companies: int | None = Field(None, ge=0, description="入孵人工智能相关企业（家）")
    opc_companies: int | None = Field(None, ge=0, description="其中OPC（家）")
    has_fund: bool | None = Field(None, description="是否设立专项投资基金")
    financial_institutions: int | None = Field(None, ge=0, description="入驻金融机构（家）")
    roadshows_per_year: int | None = Field(None, ge=0, description="每年投融资路演（场）")
    funded_projects_over_1m: int | None = Field(None, ge=0, description="获得投融资且单个不低于100万元的项目（个）")
    has_living_facilities: bool | None = Field(None, description="周边或内部是否有人才公寓、餐饮、商务设施")
    has_free_service_package: bool | None = Field(None, description="是否提供免费公共服务包")
    scenarios_per_year: int | None = Field(None, ge=0, description="每年挖掘应用场景（个）")
    scenarios_landed: int | None = Field(None, ge=0, description="促成场景落地（个）")
    orders_yuan: Money | None = Field(None, description="每年对接商业订单总额（元）")
    events_per_year: int | None = Field(None, ge=0, description="每年组织活动（场）")



def _fmt(field: str, value) -> str:
    return yuan(value) if field == "orders_yuan" else f"{value:g}"


def check_community_recognition(inp: CommunityIn) -> ToolResult:
    book = policy_book()
    checks: list[ConditionCheck] = []
    for cond in book.community_conditions:
        if cond.any_of:
            values = [(a, getattr(inp, a.field)) for a in cond.any_of]
            if any(v is not None and v >= a.min for a, v in values):
                status, note = True, "；".join(f"{a.label}{_fmt(a.field, v)}" for a, v in values if v is not None)
            elif all(v is not None for _, v in values):
                status, note = False, "；".join(f"{a.label}{_fmt(a.field, v)}" for a, v in values)
            else:
                status, note = None, "未提供"
        elif cond.required:
            status, note = getattr(inp, cond.field), ""
        else:
            v = getattr(inp, cond.field)
            status = None if v is None else v >= cond.min
            note = "未提供" if v is None else f"现有{_fmt(cond.field, v)}"
        checks.append(ConditionCheck(condition=cond.text, status=_STATUS[status], note=note))
    failing = [c for c in checks if c.status == "待完善"]
    unknown = [c for c in checks if c.status == "不确定"]
    eligible = False if failing else (None if unknown else True)
    process = book.recognition_process
    reason = (f"{len(checks)}项条件全部满足，可向所在县（市、区）发改部门申报，由市发改委组织认定。" if eligible
              else f"待完善{len(failing)}项、待确认{len(unknown)}项。")
    first = book.benefit("community_first_recognition")
    return ToolResult(
        tool="check_community_recognition", policy_id="community_conditions", title="OPC社区认定基本条件",
        amount=None, max_amount=first.caps["total"], kind="up_to", eligible=eligible, reason=reason,
        conditions=checks,
        breakdown=[Step(label="首次认定为市级OPC社区后", formula=f"最高{yuan(first.caps['total'])}（第四条）")],
        article=Article(doc="guideline", section=book.community_conditions[0].section,
                        quote=book.community_conditions[0].quote),
        responsible=process.responsible, caveats=[book.meta.draft_notice,
                                                  "认定由市发改委组织专家论证和现场核实，经集体研究、公示等程序确定。"],
    )

