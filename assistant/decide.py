"""Deciding what to do with an understood message: which tool with which arguments, or what to ask for."""
from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, Field

from assistant.understand import Slots, Understanding

CAPPED_ITEMS = {"dataset_development", "labeling_platform", "key_rd", "new_tech_catalogue", "model_filing",
                "community_first_recognition", "demonstration", "top_talent"}
TIERED_ITEMS = {"pilot_lead", "typical_case", "industry_college"}
RULE_TOPICS = {"fund_tolerance": "fund_tolerance", "no_double": "no_double", "validity": "validity"}
# topic -> the benefit id in policies.yaml that states its general rule
TOPIC_BENEFIT = {
    "compute_voucher": "compute_voucher", "data_purchase": "data_purchase", "data_listing": "data_listing",
    "community_rating": "community_rating", "community_infrastructure": "community_infrastructure",
    "training_base": "training_base", "living_subsidy": "living_subsidy", "talent_rental": "talent_rental",
    "house_purchase": "house_purchase", "guaranteed_loan": "guaranteed_loan", "interest_subsidy": "interest_subsidy",
    "event_support": "event_support", "competition_award": "competition_award", "fund_tolerance": "fund_tolerance",
    "community_check": "community_first_recognition",
    **{t: t for t in CAPPED_ITEMS | TIERED_ITEMS},
}


class Plan(BaseModel):
    topic: str
    tool: str | None = None
    arguments: dict[str, Any] = Field(default_factory=dict)
    missing: list[str] = Field(default_factory=list, description="follow-up questions for what is missing")
    focus_year: int | None = None


def _annual(slots: Slots, state: dict) -> dict[int, float]:
    annual = {int(k): v for k, v in (state.get("annual") or {}).items()}
    if slots.annual:
        annual.update(slots.annual)
    elif slots.amounts:
        if slots.nth_year and len(slots.amounts) == 1:
            annual[slots.nth_year] = slots.amounts[0]
        elif len(slots.amounts) <= 3:
            annual = {i + 1: a for i, a in enumerate(slots.amounts)}
    return annual


def plan(topic: str, u: Understanding, profile: dict, state: dict) -> Plan:
    s, t = u.slots, u.text
    p = Plan(topic=topic)
    amount = s.amounts[0] if s.amounts else None

    if topic == "compute_voucher":
        annual = _annual(s, state)
        p.focus_year = s.nth_year if not s.annual else None
        if not annual:
            p.missing.append("请告诉我您每年的实际算力使用费用，例如“第一年50万，第二年80万”。")
        else:
            years = sorted(annual)
            if years != list(range(1, years[-1] + 1)):
                gap = next(y for y in range(1, years[-1]) if y not in annual)
                p.missing.append(f"您第{gap}年的实际算力使用费用是多少？")
            else:
                p.tool, p.arguments = "compute_voucher_subsidy", {"annual_spend": [annual[y] for y in years]}
                if s.nth_year and s.nth_year not in annual:
                    p.missing.append(f"您第{s.nth_year}年的实际算力使用费用是多少？")
    elif topic == "data_purchase":
        if s.amounts:
            p.tool, p.arguments = "compute_data_purchase_subsidy", {"contract_amounts": s.amounts}
            if s.related_party is not None:
                p.arguments["related_party"] = s.related_party
        else:
            p.missing.append("您每笔数据采购合同的金额是多少？卖方是否为非关联方？")
    elif topic == "data_listing":
        if amount is not None:
            p.tool, p.arguments = "compute_listing_subsidy", {"listing_fee": amount}
            if s.first_listing is not None:
                p.arguments["first_listing"] = s.first_listing
        else:
            p.missing.append("您的挂牌服务费用是多少？是否首次在省数据交易所盐城专版挂牌？")
    elif topic in CAPPED_ITEMS:
        p.tool, p.arguments = "compute_capped_support", {"item": topic}
        if topic == "dataset_development" and "adopters" in s.counts:
            p.arguments["adopters"] = int(s.counts["adopters"])
        if amount is not None and topic != "top_talent":
            p.arguments["cost"] = amount
    elif topic in TIERED_ITEMS:
        if s.level:
            p.tool, p.arguments = "compute_tiered_award", {"item": topic, "level": s.level}
        else:
            p.missing.append("您的项目是国家级还是省级？")
    elif topic == "community_rating":
        if s.rating:
            p.tool, p.arguments = "compute_community_rating_award", {"rating": s.rating}
        else:
            p.missing.append("您的社区年度评估是什么等次（优秀、良好、及格）？")
    elif topic == "community_infrastructure":
        if s.amounts:
            p.tool, p.arguments = "compute_infrastructure_subsidy", {"investments": s.amounts}
        else:
            p.missing.append("您当年公共基础设施的实际投资额是多少？")
    elif topic == "training_base":
        if s.trainees is not None:
            p.tool, p.arguments = "compute_training_base_award", {"trainees_per_year": s.trainees}
        else:
            p.missing.append("您的实训基地一年培训多少人次？")
    elif topic == "living_subsidy":
        degree = s.degree or profile.get("degree")
        args = {k: v for k, v in {"degree": degree, "age": s.age or profile.get("age"),
                                  "full_time": s.full_time if s.full_time is not None else profile.get("full_time"),
                                  "first_social_insurance_in_yancheng": (
                                      s.first_social_insurance_in_yancheng
                                      if s.first_social_insurance_in_yancheng is not None
                                      else profile.get("first_social_insurance_in_yancheng"))}.items() if v is not None}
        if s.months:
            args["months"] = s.months
        elif s.years and re.search(r"\d|[一二两三四五]年", t):
            args["months"] = int(s.years * 12)
        if degree:
            p.tool, p.arguments = "compute_living_subsidy", args
        else:
            p.missing.append("您的最高学历是博士、硕士、本科还是技师班？是否全日制？")
        for key, q in [("age", "您今年多少周岁？"), ("full_time", "学历是全日制的吗？"),
                       ("first_social_insurance_in_yancheng", "您是首次在盐城参加社会保险并正常缴费吗？")]:
            if key not in args and degree:
                p.missing.append(q)
    elif topic == "talent_rental":
        rent = s.rent or (amount if amount is not None else None) or profile.get("rent")
        if rent is not None:
            p.tool, p.arguments = "compute_rental_relief", {"monthly_rent": rent}
        else:
            p.missing.append("您租的人才租赁房月租金是多少？")
    elif topic == "house_purchase":
        area = s.area_sqm or profile.get("area_sqm")
        if area:
            p.tool, p.arguments = "compute_house_subsidy", {"area_sqm": area}
            role = s.role or profile.get("role")
            if role:
                p.arguments["role"] = role
            if re.search(r"二手", t):
                p.arguments["new_commercial_housing"] = False
            elif re.search(r"新房|新建商品房|一手|期房", t):
                p.arguments["new_commercial_housing"] = True
            if not role:
                p.missing.append("您是这家OPC的创始人或高管吗？")
        else:
            p.missing.append("您买的新建商品房面积是多少平方米？")
    elif topic == "guaranteed_loan":
        if amount is not None:
            p.tool = "check_guaranteed_loan"
            p.arguments = {"borrower": s.borrower or profile.get("borrower") or "个人", "amount": amount}
            if s.years:
                p.arguments["years"] = s.years
        else:
            p.missing.append("您想贷多少？以个人（创业者）还是企业名义？")
    elif topic == "interest_subsidy":
        principal = next((a for a in s.amounts if a != s.interest_paid), None)
        if principal is not None and s.lpr_percent:
            p.tool = "compute_interest_subsidy"
            p.arguments = {"principal": principal, "lpr_percent": s.lpr_percent}
            if s.interest_paid is not None:
                p.arguments["interest_paid"] = s.interest_paid
            if s.years:
                p.arguments["years"] = int(s.years)
        else:
            if principal is None:
                p.missing.append("您的贷款本金是多少？")
            if not s.lpr_percent:
                p.missing.append("您贷款合同上的同期贷款市场报价利率（LPR）是多少？例如“LPR 3.0%”。")
    elif topic == "event_support":
        if amount is not None:
            p.tool, p.arguments = "compute_event_support", {"approved_total_investment": amount}
            if s.level:
                p.arguments["level"] = s.level
        else:
            p.missing.append("您的活动核定总投入是多少？是否经报备同意、在盐举办？")
    elif topic == "competition_award":
        if s.prize and s.competition:
            p.tool, p.arguments = "compute_competition_award", {"competition": s.competition, "prize": s.prize}
            if s.landed_in_yancheng is not None:
                p.arguments["landed_in_yancheng"] = s.landed_in_yancheng
        else:
            if not s.competition:
                p.missing.append("您参加的是哪个大赛（国家创新创业大赛、江苏省科技创业大赛、江苏人才创新创业大赛）？")
            if not s.prize:
                p.missing.append("您获得的是几等奖？")
    elif topic == "scope":
        district = s.district or profile.get("district")
        if district:
            p.tool, p.arguments = "check_scope", {"district": district}
        else:
            p.missing.append("您的企业在哪个区县？")
    elif topic == "community_check":
        args = {k: int(v) for k, v in s.counts.items() if k in {
            "workstations", "service_staff", "fulltime_staff", "mentors", "ai_companies", "opc_companies",
            "financial_institutions", "roadshows_per_year", "events_per_year"}}
        if s.office_area_sqm:
            args["office_area_sqm"] = s.office_area_sqm
        if s.orders_yuan:
            args["orders_yuan"] = s.orders_yuan
        p.tool, p.arguments = "check_community_recognition", args
        if not args:
            p.missing.append("请提供您社区的情况，例如办公面积、工位数、专兼职服务人员、入孵企业数量。")
    return p
