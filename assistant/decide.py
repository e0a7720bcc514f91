"""Deciding what to do with an understood question: which tool with which arguments, or what to ask for.
The tool of a topic is declared in policies.yaml; a tool with no planner of its own gets its arguments filled
from the facts by field name, and a missing required field is asked for in the words of its description."""
from __future__ import annotations

import re
import typing
from dataclasses import dataclass
from typing import Any, Callable

from pydantic import BaseModel, Field

from assistant.catalog import topic_benefit, topic_cues, topic_tools
from assistant.lexicon import ledger_periods
from assistant.understand import RE_NTH_YEAR, Slots, Understanding, to_number
from tools.money import yuan
from tools.registry import get_tool
from tools.rules import policy_book


class Plan(BaseModel):
    topic: str
    tool: str | None = None
    arguments: dict[str, Any] = Field(default_factory=dict)
    missing: list[str] = Field(default_factory=list, description="follow-up questions for what is missing")
    focus_year: int | None = None
    notes: list[str] = Field(default_factory=list, description="what the plan left out of the calculation, and why")


# A question about one year's amount among several years (今年这笔能补多少).
SPENT_SO_FAR = re.compile(r"(到现在|至今|到目前|这几年|这些年|累计|一共|总共|前后)[^，,。；;？?]{0,6}(花|用|投|付|租)")
SEVERAL_IN_ONE = re.compile(r"([两二俩三四五六七八九十2-9]|[0-9]{2,})\s*(份|笔|单|个合同)[^，,。；;？?]{0,8}(加起来|一共|合计|总共|总额|共计)")
ASKS_TOTAL = re.compile(r"(一共|总共|合计|加起来|累计|总计)[^，。；;]{0,6}(多少|几|呢)")
# A period of years asked about as one figure (三年下来, 两年一共, 第一年和第二年加起来): a yearly rate repeats over it.
ASKS_TOTAL_OR_SPAN = re.compile(r"一共|总共|合计|加起来|累计|总计|下来|能补几年")
FOCUS = re.compile(r"(这笔|这一年|当年|那一年|今年|第[一二三1-3]年)[^，。；;]{0,8}(补|拿|多少|奖)")


@dataclass
class Ctx:
    """Everything a planner may read: the topic, this turn's understanding, the profile and the session state."""
    topic: str
    u: Understanding
    profile: dict
    state: dict

    @property
    def s(self) -> Slots:
        return self.u.slots

    @property
    def amount(self) -> float | None:
        """The one amount a single-amount tool takes: of several, the only one said in a sentence that names
        this topic (实际使用费用9.6万。…申请10万的创业担保贷款 -> 10万 for the loan); else the first."""
        amounts = self.s.amounts
        if len(set(amounts)) > 1:
            cues = next((tc.cues for tc in topic_cues() if tc.topic == self.topic), [])
            named = {a for a in amounts if any(c in self.s.amount_sentences.get(a, "") for c in cues)}
            if len(named) == 1:
                return named.pop()
        return amounts[0] if amounts else None

    def known(self, key: str) -> Any:
        """This turn's fact, else the remembered profile's (not when the question is about someone else)."""
        value = getattr(self.s, key, None)
        return value if value is not None or self.u.about_other else self.profile.get(key)


def benefit_of(topic: str):
    """The benefit in policies.yaml that states the general rule of a topic (None for topics that are rules)."""
    bid = topic_benefit(topic)
    return policy_book().benefit(bid) if bid else None


def ask_for(tool: str, field: str) -> str:
    """The question for a missing input field, worded from the field's description and its allowed values."""
    info = get_tool(tool).input_model.model_fields[field]
    desc = info.description or field
    choices = [a for a in typing.get_args(info.annotation) if isinstance(a, str)]
    for arg in typing.get_args(info.annotation):
        choices += [a for a in typing.get_args(arg) if isinstance(a, str)]
    if choices and not all(c in desc for c in choices):
        desc += f"（{'、'.join(choices)}）"
    return f"请告诉我：{desc}。"


def _fact(ctx: Ctx, name: str) -> Any:
    if name == "amount":
        return ctx.amount
    if name in ("amounts", "amount_years") and ctx.s.year_amounts:  # 今年这部分: that year's amounts alone
        return ctx.s.year_amounts if name == "amounts" else None
    if name in ctx.s.counts:
        return ctx.s.counts[name]
    value = ctx.known(name)
    return None if value in ([], {}) else value


def plan_generic(ctx: Ctx, tool: str) -> Plan:
    """Arguments by field name (or the benefit's `arguments` mapping); each missing required field is asked for."""
    p = Plan(topic=ctx.topic)
    benefit = benefit_of(ctx.topic)
    mapping = (benefit.params.get("arguments") if benefit else None) or {}
    for name, info in get_tool(tool).input_model.model_fields.items():
        value = _fact(ctx, mapping.get(name, name))
        if value is not None:
            p.arguments[name] = value
        elif info.is_required():
            p.missing.append(ask_for(tool, name))
    if not p.missing:
        p.tool = tool
    else:
        p.arguments = {}
    return p


def _annual(ctx: Ctx) -> dict[int, float]:
    s = ctx.s
    annual = {int(k): v for k, v in (ctx.state.get("annual") or {}).items()}
    if s.annual:
        annual.update(s.annual)
    elif s.amounts:
        if s.repeat_years and len(s.amounts) == 1:
            annual = {y: s.amounts[0] for y in range(1, s.repeat_years + 1)}
        elif s.nth_year and len(s.amounts) == 1:
            annual[s.nth_year] = s.amounts[0]
        elif len(s.amounts) <= 3:
            annual = {i + 1: a for i, a in enumerate(s.amounts)}
    return annual


def _annualised(ctx: Ctx, p: Plan) -> Ctx:
    """Amounts said per month or per quarter (每个月2万) of a benefit whose input is a year's spend
    (input_period: year) become the year's figure, with the arithmetic in the answer; a period of years asked
    about (三年一共) repeats the one yearly figure over those years."""
    s, benefit = ctx.s, benefit_of(ctx.topic)
    if not s.spend_periods or benefit is None or benefit.params.get("input_period") != "year":
        return ctx
    periods, conv = ledger_periods(), {}
    for a, name in s.spend_periods.items():
        spec = periods[name]
        conv[a] = a * spec["per_year"]
        if spec["per_year"] != 1:
            p.notes.append(f"按年计算：您说的{spec['name']}{yuan(a)} × {spec['a_year']} = 一年{yuan(conv[a])}。")
    amounts = [conv.get(a, a) for a in s.amounts]
    said = ([int(s.years)] if s.years is not None and s.years == int(s.years) else []) \
        + [int(to_number(n) or 0) for n in RE_NTH_YEAR.findall(ctx.u.text)]  # 三年下来 / 第一年和第二年一共
    span = max(said, default=0)
    whole = 1 < span <= len(benefit.rates or []) and len(amounts) == 1 and not s.annual and ASKS_TOTAL_OR_SPAN.search(ctx.u.text)
    repeat = s.repeat_years or (span if whole else None)
    slots = s.model_copy(update={"amounts": amounts, "annual": {k: conv.get(v, v) for k, v in s.annual.items()},
                                 "repeat_years": repeat})
    return Ctx(ctx.topic, ctx.u.model_copy(update={"slots": slots}), ctx.profile, ctx.state)


def _voucher(ctx: Ctx, tool: str) -> Plan:
    p = Plan(topic=ctx.topic)
    ctx = _annualised(ctx, p)
    s = ctx.s
    unframed = len(s.amounts) > 1 and not s.annual and not s.years_framed  # 一笔25万，一笔40万: which years?
    if len(s.amounts) == 1 and not s.annual and not s.nth_year and SPENT_SO_FAR.search(ctx.u.text):
        rates = "、".join(f"第{n}年{r:.0%}" for n, r in enumerate(benefit_of(ctx.topic).rates or [], 1))
        p.missing.append(f"您说的是到目前为止几年的总花费。{benefit_of(ctx.topic).title}按年计算（{rates}），"
                         "请按“第一年X万，第二年Y万”告诉我每年的费用。")  # 到现在一共花了70万: which years?
        return p
    if (s.order_unknown or unframed) and len(s.amounts) > 1:  # which year is which decides the rate: ask
        p.missing.append("您提到的几笔算力费用是同一年的，还是分别是第几年的？请按“第一年X万，第二年Y万”"
                         "（同一年的请说明“同一年”）告诉我，我再逐年计算。")
        return p
    annual = _annual(ctx)
    asks_total = bool(ASKS_TOTAL.search(ctx.u.text))  # 三年加起来最多能拿多少: the total is the headline
    p.focus_year = s.nth_year if not s.annual and not asks_total and len(s.amounts) <= 1 else None
    if not annual:
        p.missing.append("请告诉我您每年的实际算力使用费用，例如“第一年50万，第二年80万”。")
        return p
    years = sorted(annual)
    if years != list(range(1, years[-1] + 1)):
        gap = next(y for y in range(1, years[-1]) if y not in annual)
        p.missing.append(f"您第{gap}年的实际算力使用费用是多少？")
        return p
    p.tool, p.arguments = tool, {"annual_spend": [annual[y] for y in years]}
    if s.via_platform is not None:
        p.arguments["via_dispatch_platform"] = s.via_platform
    if s.start_date:
        p.arguments["start_date"] = s.start_date  # 2027年开始用: years after the end of validity are not counted
    if len(years) > 1 and not asks_total and (FOCUS.search(ctx.u.text) or (len(s.annual) == 1 and ctx.state.get("annual"))):
        p.focus_year = s.this_year or (max(s.annual) if s.annual else years[-1])  # the year this question is about
    if s.nth_year and s.nth_year not in annual:
        p.missing.append(f"您第{s.nth_year}年的实际算力使用费用是多少？")
    return p


def _with_flag(ctx: Ctx, tool: str, args: dict, flag: str, slot: str) -> Plan:
    p = Plan(topic=ctx.topic, tool=tool, arguments=args)
    if getattr(ctx.s, slot) is not None:
        p.arguments[flag] = getattr(ctx.s, slot)
    return p


def _data_purchase(ctx: Ctx, tool: str) -> Plan:
    if not ctx.s.amounts:
        return Plan(topic=ctx.topic, missing=["您每笔数据采购合同的金额是多少？卖方是否为非关联方？"])
    if ctx.s.related_which_unknown:  # 其中有一笔是跟我表哥开的公司签的: which is excluded decides the amount
        return Plan(topic=ctx.topic, missing=["关联方的合同不在支持范围内：请问哪一笔是和关联方（如亲属的公司）签的？"])
    if len(ctx.s.amounts) == 1 and SEVERAL_IN_ONE.search(ctx.u.text):  # 两份加起来一共150万: the cap is per contract
        cap = yuan(benefit_of(ctx.topic).caps["per_contract"])
        return Plan(topic=ctx.topic, missing=[f"每笔合同最高{cap}，需要按合同分别计算：请分别告诉我每份合同的金额。"])
    p = _with_flag(ctx, tool, {"contract_amounts": ctx.s.amounts}, "related_party", "related_party")
    if ctx.s.related_excluded and p.tool:
        p.notes.append("与关联方签的合同（" + "、".join(yuan(a) for a in ctx.s.related_excluded)
                       + "）不在支持范围内（只支持采购非关联方数据产品），未计入。")
    return p


def _listing(ctx: Ctx, tool: str) -> Plan:
    if len(ctx.s.amounts) > 1:  # two fees: only the first listing is supported
        return Plan(topic=ctx.topic, missing=["补助只给首次挂牌：请问哪一笔是首次挂牌时交的挂牌服务费？"])
    if ctx.amount is None:
        return Plan(topic=ctx.topic, missing=[ask_for(tool, "listing_fee"), ask_for(tool, "first_listing")])
    return _with_flag(ctx, tool, {"listing_fee": ctx.amount}, "first_listing", "first_listing")


def _capped(ctx: Ctx, tool: str) -> Plan:
    p = Plan(topic=ctx.topic, tool=tool, arguments={"item": ctx.topic})
    if "adopters" in ctx.s.counts and "adopters" in (benefit_of(ctx.topic).params.get("fields") or []):
        p.arguments["adopters"] = int(ctx.s.counts["adopters"])
    if ctx.amount is not None and benefit_of(ctx.topic).caps:
        p.arguments["cost"] = ctx.amount
    return p


def _tiered(ctx: Ctx, tool: str) -> Plan:
    if not ctx.s.level:
        return Plan(topic=ctx.topic, missing=["您的项目是国家级还是省级？"])
    return Plan(topic=ctx.topic, tool=tool, arguments={"item": ctx.topic, "level": ctx.s.level})


def _living(ctx: Ctx, tool: str) -> Plan:
    s, p = ctx.s, Plan(topic=ctx.topic)
    args = {k: ctx.known(k) for k in ("degree", "age", "full_time", "first_social_insurance_in_yancheng")}
    args = {k: v for k, v in args.items() if v is not None}
    if s.months:
        args["months"] = s.months
    elif s.years and re.search(r"\d|[一二两三四五]年", ctx.u.text):
        args["months"] = int(s.years * 12)
    if s.start_date:
        args["start_date"] = s.start_date  # 2027年初才来: the months count from then, up to the end of validity
    if "degree" not in args:
        p.missing.append("您的最高学历是博士、硕士、本科还是技师班？是否全日制？")
        return p
    p.tool, p.arguments = tool, args
    for key, q in [("age", "您今年多少周岁？"), ("full_time", "学历是全日制的吗？"),
                   ("first_social_insurance_in_yancheng", "您是首次在盐城参加社会保险并正常缴费吗？")]:
        if key not in args:
            p.missing.append(q)
    return p


def _rental(ctx: Ctx, tool: str) -> Plan:
    rent = ctx.s.rent or ctx.amount or ctx.profile.get("rent")
    if rent is None:
        return Plan(topic=ctx.topic, missing=["您租的人才租赁房月租金是多少？"])
    # 第3年… asks about one part of the relief: that part heads the answer (compose picks the step by its year)
    args = {"monthly_rent": rent} | ({"market_rent": ctx.s.market_rent} if ctx.s.market_rent else {}) \
        | ({"start_date": ctx.s.start_date} if ctx.s.start_date else {})
    return Plan(topic=ctx.topic, tool=tool, arguments=args, focus_year=ctx.s.nth_year)


def _house(ctx: Ctx, tool: str) -> Plan:
    if ctx.s.area_ambiguous:  # two areas and no label says which is the flat's
        return Plan(topic=ctx.topic, missing=["您提到了不止一个面积，请问您购买的新建商品房面积是多少平方米？"])
    area = ctx.known("area_sqm")
    if not area:
        return Plan(topic=ctx.topic, missing=["您买的新建商品房面积是多少平方米？"])
    p = Plan(topic=ctx.topic, tool=tool, arguments={"area_sqm": area})
    role = ctx.known("role")
    if role:
        p.arguments["role"] = role
    else:
        p.missing.append("您是这家OPC的创始人或高管吗？")
    if ctx.known("new_housing") is not None:
        p.arguments["new_commercial_housing"] = ctx.known("new_housing")
    return p


def _loan(ctx: Ctx, tool: str) -> Plan:
    if ctx.amount is None:
        return Plan(topic=ctx.topic, missing=["您想贷多少？以个人（创业者）还是企业名义？"])
    p = Plan(topic=ctx.topic, tool=tool, arguments={"borrower": ctx.known("borrower") or "个人", "amount": ctx.amount})
    if ctx.s.years:
        p.arguments["years"] = ctx.s.years
    return p


def _interest(ctx: Ctx, tool: str) -> Plan:
    s, p = ctx.s, Plan(topic=ctx.topic)
    principal = next((a for a in s.amounts if a != s.interest_paid), None)
    if principal is None:
        p.missing.append("您的贷款本金是多少？")
    if not s.lpr_percent:
        p.missing.append("您贷款合同上的同期贷款市场报价利率（LPR）是多少？例如“LPR 3.0%”。")
    if p.missing:
        return p
    p.tool, p.arguments = tool, {"principal": principal, "lpr_percent": s.lpr_percent}
    if s.interest_paid is not None:
        p.arguments["interest_paid"] = s.interest_paid
    if s.years:
        p.arguments["years"] = int(s.years)
    return p


def _event(ctx: Ctx, tool: str) -> Plan:
    if ctx.amount is None or ctx.s.actual_spend_only or ctx.s.alternative_figure:  # 实际花了70万 / 也算上就是120万:
        # which figure is the approved total is asked, never assumed
        return Plan(topic=ctx.topic, missing=["支持按主管部门核定的活动总投入计算，不按实际花费：请问活动核定总投入是多少？"
                                              "是否经报备同意、在盐举办？"])
    p = _with_flag(ctx, tool, {"approved_total_investment": ctx.amount}, "level", "level")
    for flag in ("in_yancheng", "filed_and_approved"):
        if getattr(ctx.s, flag) is not None:
            p.arguments[flag] = getattr(ctx.s, flag)
    return p


def _competition(ctx: Ctx, tool: str) -> Plan:
    s = ctx.s
    if not (s.prize and s.competition):
        return Plan(topic=ctx.topic, missing=[ask_for(tool, f) for f, v in (("competition", s.competition),
                                                                            ("prize", s.prize)) if not v])
    return _with_flag(ctx, tool, {"competition": s.competition, "prize": s.prize}, "landed_in_yancheng",
                      "landed_in_yancheng")


def _scope(ctx: Ctx, tool: str) -> Plan:
    district = ctx.known("district")
    if not district:
        return Plan(topic=ctx.topic, missing=["您的企业在哪个区县？"])
    return Plan(topic=ctx.topic, tool=tool, arguments={"district": district})


def _community(ctx: Ctx, tool: str) -> Plan:
    fields = set(get_tool(tool).input_model.model_fields)
    args = {k: int(v) for k, v in ctx.s.counts.items() if k in fields}
    if ctx.s.office_area_sqm:
        args["office_area_sqm"] = ctx.s.office_area_sqm
    if ctx.s.orders_yuan and "orders_yuan" in fields:
        args["orders_yuan"] = ctx.s.orders_yuan
    p = Plan(topic=ctx.topic, tool=tool, arguments=args)
    if not args:
        p.missing.append("请提供您社区的情况，例如办公面积、工位数、专兼职服务人员、入孵企业数量。")
    return p


# tool -> its planner (tools whose arguments need more than filling fields by name)
PLANNERS: dict[str, Callable[[Ctx, str], Plan]] = {
    "compute_voucher_subsidy": _voucher, "compute_data_purchase_subsidy": _data_purchase,
    "compute_listing_subsidy": _listing, "compute_capped_support": _capped, "compute_tiered_award": _tiered,
    "compute_living_subsidy": _living, "compute_rental_relief": _rental, "compute_house_subsidy": _house,
    "check_guaranteed_loan": _loan, "compute_interest_subsidy": _interest, "compute_event_support": _event,
    "compute_competition_award": _competition, "check_scope": _scope, "check_community_recognition": _community,
}


def plan(topic: str, u: Understanding, profile: dict, state: dict) -> Plan:
    tool = topic_tools().get(topic)
    if not tool:
        return Plan(topic=topic)
    return PLANNERS.get(tool, plan_generic)(Ctx(topic, _amounts_of_topic(u, topic), profile, state), tool)


def _amounts_of_topic(u: Understanding, topic: str) -> Understanding:
    """A question for two benefits at once (采购合同20万、200万…；挂牌服务费9万…各多少): each keeps the amounts said
    nearest its own name, or where no benefit is named (the 9万 of 挂牌 is no purchase contract)."""
    s = u.slots
    if not u.one_of_several or len(u.topics) < 2 or len(s.amounts) < 2 or s.annual:
        return u
    cues = {tc.topic: tc.cues for tc in topic_cues() if tc.topic in u.topics}

    def belongs(a: float) -> bool:  # the topic named nearest the amount in its sentence, if any is named
        where, at = s.amount_sentences.get(a, ""), s.amount_offsets.get(a, 0)
        near = [(abs(m.start() - at), t) for t, cs in cues.items() for c in cs for m in re.finditer(re.escape(c), where)]
        return not near or min(near)[1] == topic

    kept = [a for a in s.amounts if belongs(a)]
    if not kept or kept == s.amounts:
        return u
    return u.model_copy(update={"slots": s.model_copy(update={"amounts": kept})})
