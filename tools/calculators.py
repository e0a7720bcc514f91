"""Subsidy calculators: short formulas over the parameters in policies.yaml. No arithmetic lives in prose."""
from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import Field, model_validator

from tools.money import Money, Monies, pct, yuan
from tools.result import Cap, Reading, Step, ToolResult, base_result
from tools.rules import policy_book
from tools.validity import add_months, after_note, months_inside, straddle_note, today, valid_until
from tools.values import ToolInput, fen

Level = Literal["国家级", "省级"]


class _In(ToolInput):
    pass


START = "（YYYY-MM-DD），不填按今天；本政策有效期至2028-12-31，之后的部分不计入"


def _year_starts_inside(start: date, year: int) -> bool:
    return add_months(start, 12 * (year - 1)) <= valid_until()


# --- 第一条 算力券 -----------------------------------------------------------------------------------
class VoucherIn(_In):
    annual_spend: Monies = Field(..., min_length=1, max_length=3, description="第1–3年实际算力使用费用（元），按年份顺序")
    start_date: date | None = Field(None, description="第1年开始日期" + START)
    via_dispatch_platform: bool | None = Field(None, description="是否通过省、市算力调度平台租用（购买）盐城智能算力资源或服务")


def compute_voucher_subsidy(inp: VoucherIn) -> ToolResult:
    b = policy_book().benefit("compute_voucher")
    cap = b.caps["cumulative"]
    if inp.via_dispatch_platform is False:  # compute bought elsewhere is outside the article
        from tools.result import ConditionCheck

        return base_result("compute_voucher_subsidy", b, amount=0, eligible=False,
                           conditions=[ConditionCheck(condition=b.conditions[0], status="待完善")],
                           reason=f"算力券只面向{b.conditions[0]}的OPC。")
    start = inp.start_date or today()
    total, steps, binding, notes, counted = 0.0, [], False, [], 0
    for year, (spend, rate) in enumerate(zip(inp.annual_spend, b.rates), start=1):
        if not _year_starts_inside(start, year):
            steps.append(Step(label=f"第{year}年", formula=f"{yuan(spend)}：在有效期之后，不计入", amount=0))
            continue
        counted += 1
        raw = fen(spend * rate)
        paid = fen(min(raw, cap - total))
        binding |= paid < raw
        total = fen(total + paid)
        note = f"（受累计上限限制，实得{yuan(paid)}）" if paid < raw else ""
        steps.append(Step(label=f"第{year}年", formula=f"{yuan(spend)} × {pct(rate)} = {yuan(raw)}{note}", amount=paid))
        notes.append(straddle_note(start, year))
    if counted < len(inp.annual_spend):
        notes.append(after_note(start, counted, len(inp.annual_spend), "年"))
    return base_result("compute_voucher_subsidy", b, amount=total, eligible=None, breakdown=steps,
                       reason=" ".join(n for n in notes if n) or None,
                       caps=[Cap(name="三年累计最高", value=cap, binding=binding)])


# --- 第二条 数据产品采购 -------------------------------------------------------------------------------
class DataPurchaseIn(_In):
    contract_amounts: Monies = Field(..., min_length=1, max_length=200, description="同一年度内每笔采购合同金额（元）")
    related_party: bool | None = Field(None, description="卖方是否为关联方（关联方采购不支持）")




def compute_data_purchase_subsidy(inp: DataPurchaseIn) -> ToolResult:
    b = policy_book().benefit("data_purchase")
    per_contract, per_year = b.caps["per_contract"], b.caps["per_year"]
    if inp.related_party:
        return base_result("compute_data_purchase_subsidy", b, amount=0, eligible=False,
                           reason="只支持采购非关联方的数据产品，关联方采购不在支持范围内。")
    steps, total, contract_bound, year_bound = [], 0.0, False, False
    for i, amount in enumerate(inp.contract_amounts, start=1):
        raw = fen(amount * b.rate)
        capped = min(raw, per_contract)
        contract_bound |= capped < raw
        paid = fen(min(capped, per_year - total))
        year_bound |= paid < capped
        total = fen(total + paid)
        formula = f"{yuan(amount)} × {pct(b.rate)} = {yuan(raw)}"
        if capped < raw:
            formula += f" → 单笔最高{yuan(per_contract)}"
        if paid < capped:
            formula += f" → 受年度上限限制，实得{yuan(paid)}"
        steps.append(Step(label=f"第{i}笔合同", formula=formula, amount=paid))
    return base_result("compute_data_purchase_subsidy", b, amount=total,
                       eligible=None if inp.related_party is None else True, breakdown=steps,
                       caps=[Cap(name="每笔合同最高", value=per_contract, binding=contract_bound),
                             Cap(name="每家OPC每年最高", value=per_year, binding=year_bound)])


# --- 第二条 首次挂牌 -----------------------------------------------------------------------------------
class ListingIn(_In):
    listing_fee: Money = Field(..., ge=0, description="挂牌服务费用（元）")
    first_listing: bool | None = Field(None, description="是否首次在省数据交易所盐城专版挂牌")



def compute_listing_subsidy(inp: ListingIn) -> ToolResult:
    b = policy_book().benefit("data_listing")
    cap = b.caps["total"]
    if inp.first_listing is False:
        return base_result("compute_listing_subsidy", b, amount=0, eligible=False,
                           reason="只支持首次在省数据交易所盐城专版挂牌的数据产品。")
    raw = fen(inp.listing_fee * b.rate)
    paid = min(raw, cap)
    return base_result("compute_listing_subsidy", b, amount=paid, eligible=inp.first_listing,
                       breakdown=[Step(label="挂牌补助", formula=f"{yuan(inp.listing_fee)} × {pct(b.rate)} = {yuan(raw)}"
                                       + (f" → 最高{yuan(cap)}" if paid < raw else ""), amount=paid)],
                       caps=[Cap(name="最高", value=cap, binding=paid < raw)])


# --- 第二、三、四、六、七、八条 "最高…"、无公式的支持 -------------------------------------------------
CappedItem = Literal["dataset_development", "labeling_platform", "key_rd", "new_tech_catalogue", "model_filing",
                     "community_first_recognition", "demonstration", "top_talent"]


class CappedIn(_In):
    item: CappedItem = Field(..., description="支持项目：dataset_development 数据集开发、labeling_platform 标注平台、"
                             "key_rd 市级重点研发、new_tech_catalogue 新技术新产品目录、model_filing 模型备案、"
                             "community_first_recognition 社区首次认定、demonstration 示范应用、top_talent 顶尖人才")
    adopters: int | None = Field(None, ge=0, description="数据集被多少家非关联企业用于大模型研发（数据集开发）")
    cost: Money | None = Field(None, ge=0, description="相关费用（元），例如模型评测费用、平台建设费用")



def compute_capped_support(inp: CappedIn) -> ToolResult:
    """Benefits the text gives only as 最高 N: the answer is the cap and the conditions, never a made-up amount."""
    b = policy_book().benefit(inp.item)
    cap = next(iter(b.caps.values()), None)
    if inp.item == "top_talent":
        return base_result("compute_capped_support", b, amount=None, max_amount=None,
                           reason="按“一事一议”方式支持，文件未规定金额。")
    if inp.item == "dataset_development" and inp.adopters is not None:
        need = b.params["min_adopters_exclusive"]
        if inp.adopters <= need:  # 超过3家: at least 4
            return base_result("compute_capped_support", b, amount=0, eligible=False,
                               reason=f"需被超过{need}家（不含{need}家，即至少{need + 1}家）非关联企业用于大模型研发应用，"
                                      f"目前为{inp.adopters}家。",
                               breakdown=[Step(label="非关联采用企业", formula=f"{inp.adopters}家 ≤ {need}家，不满足“超过{need}家”")])
    if b.params.get("cost_tied"):
        return _cost_tied(b, cap, inp.cost)
    steps = [Step(label=b.title, formula=f"最高{yuan(cap)}")]
    if inp.cost is not None and cap is not None:
        steps.append(Step(label="相关费用", formula=f"{yuan(inp.cost)}（文件未规定按费用的比例，补助不超过{yuan(cap)}）"))
    return base_result("compute_capped_support", b, amount=None, max_amount=cap, eligible=None,
                       reason=f"文件只规定了上限（最高{yuan(cap)}），具体金额经审核确定。",
                       breakdown=steps, caps=[Cap(name="最高", value=cap, binding=False)] if cap else [])


def _cost_tied(b, cap: float, cost: float | None) -> ToolResult:
    """An award "依据其发生的…费用" or "对…建设费用给予补贴" never exceeds the cost; with no cost, the cap is a cap."""
    basis = b.params["cost_basis"]
    if cost is None:
        return base_result("compute_capped_support", b, amount=None, max_amount=cap, eligible=None,
                           reason=f"最高{yuan(cap)}是上限：金额依据实际发生的{basis}确定，不会超过费用本身。请提供费用金额。",
                           breakdown=[Step(label=b.title, formula=f"最高{yuan(cap)}，且不超过实际发生的{basis}")],
                           caps=[Cap(name="最高", value=cap)])
    if cost <= 0:
        return base_result("compute_capped_support", b, amount=0, eligible=False,
                           reason=f"金额依据实际发生的{basis}确定；没有发生费用，就没有可补的金额。",
                           breakdown=[Step(label=basis, formula="0元")])
    bound = min(cost, cap)
    return base_result("compute_capped_support", b, amount=None, max_amount=bound, eligible=None,
                       reason=f"不超过{basis}{yuan(cost)}，也不超过最高{yuan(cap)}；具体金额经审核确定。",
                       breakdown=[Step(label="上限", formula=f"min({basis} {yuan(cost)}, 最高{yuan(cap)}) = {yuan(bound)}",
                                       amount=bound)],
                       caps=[Cap(name="最高", value=cap, binding=cost > cap),
                             Cap(name=f"不超过{basis}", value=cost, binding=cost < cap)])


class TieredIn(_In):
    item: Literal["pilot_lead", "typical_case", "industry_college"] = Field(
        ..., description="pilot_lead 国家/省级试点牵头项目、typical_case 典型案例、industry_college 现代产业学院")
    level: Level = Field(..., description="国家级 或 省级")


def compute_tiered_award(inp: TieredIn) -> ToolResult:
    b = policy_book().benefit(inp.item)
    cap = b.tiers[inp.level]
    return base_result("compute_tiered_award", b, amount=None, max_amount=cap,
                       reason=f"{inp.level}最高{yuan(cap)}，具体金额根据项目规模等审核确定。",
                       breakdown=[Step(label=f"{b.title}（{inp.level}）", formula=f"最高{yuan(cap)}")],
                       caps=[Cap(name=f"{inp.level}最高", value=cap)])


# --- 第四条 社区年度评估 -------------------------------------------------------------------------------
class RatingIn(_In):
    rating: Literal["优秀", "良好", "及格"] = Field(..., description="年度评估等次")


def compute_community_rating_award(inp: RatingIn) -> ToolResult:
    b = policy_book().benefit("community_rating")
    amount = float(b.tiers[inp.rating])
    return base_result("compute_community_rating_award", b, amount=amount, eligible=amount > 0,
                       reason=None if amount else "文件只对“优秀”“良好”等次给予奖励。",
                       breakdown=[Step(label=f"年度评估“{inp.rating}”", formula=yuan(amount), amount=amount)])


# --- 第五条 社区公共基础设施 ---------------------------------------------------------------------------
class InfrastructureIn(_In):
    investments: Monies = Field(..., min_length=1, max_length=100, description="各项实际投资额（元）")
    investment_years: list[str] | None = Field(
        None, max_length=100, description="每项投资所属年度，与 investments 一一对应（如 2026、2027）；不填即同一年度")

    @model_validator(mode="after")
    def _years_match(self):
        if self.investment_years is not None and len(self.investment_years) != len(self.investments):
            raise ValueError("investment_years 要与 investments 一一对应")
        return self


def compute_infrastructure_subsidy(inp: InfrastructureIn) -> ToolResult:
    """The cap is per year: investments of different years are capped year by year, then added."""
    b = policy_book().benefit("community_infrastructure")
    cap = b.caps["per_year"]
    years = inp.investment_years or [""] * len(inp.investments)
    steps, total, binding = [], 0.0, False
    for year in dict.fromkeys(years):
        amounts = [x for x, y in zip(inp.investments, years) if y == year]
        invested = fen(sum(amounts))
        raw = fen(invested * b.rate)
        paid = min(raw, cap)
        binding |= paid < raw
        total = fen(total + paid)
        label = f"{year}年" if year else "当年"
        steps.append(Step(label=f"{label}实际投资额", formula=" + ".join(yuan(x) for x in amounts) + f" = {yuan(invested)}",
                          amount=invested))
        steps.append(Step(label=f"{year}年补助" if year else "补助", formula=f"{yuan(invested)} × {pct(b.rate)} = {yuan(raw)}"
                          + (f" → 同一年度最高{yuan(cap)}" if paid < raw else ""), amount=paid))
    if len(set(years)) > 1:
        steps.append(Step(label="各年合计", formula=" + ".join(yuan(s.amount) for s in steps[1::2]) + f" = {yuan(total)}",
                          amount=total))
    return base_result("compute_infrastructure_subsidy", b, amount=total, breakdown=steps,
                       caps=[Cap(name="同一年度最高", value=cap, binding=binding)])


# --- 第八条 实训基地 -----------------------------------------------------------------------------------
class TrainingIn(_In):
    trainees_per_year: int = Field(..., ge=0, le=10_000_000, description="年培训量（人次）")


def compute_training_base_award(inp: TrainingIn) -> ToolResult:
    """Bands overlap at 2000 and 3000 人次 (以上 includes the number): both readings are reported."""
    b = policy_book().benefit("training_base")
    n = inp.trainees_per_year
    matches = [band for band in b.bands if band.low <= n and (band.high is None or n <= band.high)]
    if not matches:
        return base_result("compute_training_base_award", b, amount=None, eligible=False,
                           reason=f"年培训量{n}人次，低于最低档（1000人次）。",
                           breakdown=[Step(label="年培训量", formula=f"{n}人次")])
    if len(matches) > 1:
        return base_result(
            "compute_training_base_award", b, amount=None, eligible=True,
            reason=f"{n}人次同时落在“{matches[0].text}”和“{matches[1].text}”两档的边界上，原文未说明归哪一档。",
            readings=[Reading(reading=f"按“{m.text}”档", amount=m.amount) for m in matches],
            breakdown=[Step(label=f"按“{m.text}”档", formula=f"最高{yuan(m.amount)}/年") for m in matches],
        )
    band = matches[0]
    return base_result("compute_training_base_award", b, amount=None, max_amount=band.amount, eligible=True,
                       reason=f"属于“{band.text}”档，每年最高{yuan(band.amount)}，具体金额经审核确定。",
                       breakdown=[Step(label=f"年培训量{n}人次 → “{band.text}”档", formula=f"每年最高{yuan(band.amount)}")],
                       caps=[Cap(name="该档每年最高", value=band.amount)])


# --- 第九条 生活补贴 -----------------------------------------------------------------------------------
Degree = Literal["博士", "硕士", "本科", "技师班", "专科", "其他"]


class LivingIn(_In):
    degree: Degree | None = Field(None, description="最高学历：博士、硕士、本科、技师班（专科、其他不在范围内）")
    full_time: bool | None = Field(None, description="是否全日制")
    age: int | None = Field(None, ge=0, le=120, description="年龄（周岁）")
    first_social_insurance_in_yancheng: bool | None = Field(None, description="是否首次在盐参加各项社会保险且正常缴费")
    months: int = Field(36, ge=1, le=120, description="计算多少个月（最多36个月）")
    start_date: date | None = Field(None, description="开始领取补贴的日期" + START)


def compute_living_subsidy(inp: LivingIn) -> ToolResult:
    from tools.eligibility import living_conditions

    b = policy_book().benefit("living_subsidy")
    checks = living_conditions(inp)
    monthly = b.params["monthly"].get(inp.degree or "")
    failing = [c for c in checks if c.status == "待完善"]
    unknown = [c for c in checks if c.status == "不确定"]
    eligible = False if failing else (None if unknown else True)
    if monthly is None:
        reason = ("请告诉我您的学历（博士、硕士、本科或技师班）。" if inp.degree is None
                  else f"生活补贴只面向全日制博士、硕士、本科（含技师班毕业生），{inp.degree}不在范围内。")
        return base_result("compute_living_subsidy", b, amount=None if inp.degree is None else 0,
                           eligible=False if inp.degree else eligible, reason=reason, conditions=checks)
    months = min(inp.months, b.params["max_months"])
    start = inp.start_date or today()
    counted = months_inside(start, months)
    total = fen(monthly * counted)
    steps = [Step(label=f"{inp.degree}每月", formula=yuan(monthly), amount=monthly),
             Step(label=f"{counted}个月合计", formula=f"{yuan(monthly)} × {counted} = {yuan(total)}", amount=total)]
    expiry = None
    if counted < months:
        expiry = after_note(start, counted, months, "月")
        steps.append(Step(label="有效期后未计入", formula=f"{months - counted}个月 × {yuan(monthly)} = "
                          f"{yuan(monthly * (months - counted))}（不计入）", amount=0))
    caps = [Cap(name="最长（3年内）", value=b.params["max_months"], unit="个月", binding=inp.months > b.params["max_months"])]
    if failing:
        return base_result("compute_living_subsidy", b, amount=0, eligible=False, conditions=checks, breakdown=steps,
                           caps=caps, reason="不满足：" + "；".join(c.condition + (f"（{c.note}）" if c.note else "")
                                                           for c in failing))
    reason = None if not unknown else "金额按满足全部条件计算，尚需确认：" + "；".join(c.condition for c in unknown)
    reason = " ".join(x for x in (reason, expiry) if x) or None
    return base_result("compute_living_subsidy", b, amount=total, eligible=eligible, conditions=checks,
                       breakdown=steps, caps=caps, reason=reason)


# --- 第九条 人才租赁房 ---------------------------------------------------------------------------------
class RentalIn(_In):
    monthly_rent: Money = Field(..., ge=0, description="人才租赁房月租金（元）")
    market_rent: Money | None = Field(None, ge=0, description="市场上同类房产的月租金（元）：第3年租金上限的基数；"
                                                              "不填则按人才租赁房月租金估算")
    start_date: date | None = Field(None, description="入住（免租开始）日期" + START)


def compute_rental_relief(inp: RentalIn) -> ToolResult:
    """Two parts that are never added: years 1-2 rent-free up to a monthly ceiling (the amount), and year 3 paying
    at most 70% of the market rent (a floor on the saving, reported on its own)."""
    b = policy_book().benefit("talent_rental")
    cap, months, share = b.params["monthly_cap"], b.params["free_months"], b.params["year3_max_share"]
    start = inp.start_date or today()
    free_in = months_inside(start, months)
    y3_in = months_inside(start, months + 12) - free_in
    per_month = min(inp.monthly_rent, cap)
    free_total = fen(per_month * free_in)
    base = inp.market_rent if inp.market_rent is not None else inp.monthly_rent
    base_label = "市场同类房产租金" if inp.market_rent is not None else "月租金（以市场同类房产租金为准）"
    year3_pay = fen(base * share)
    own_share = fen(max(inp.monthly_rent - cap, 0))
    steps = [
        Step(label=f"第一部分：前2年免租（每月不超过{yuan(cap)}）",
             formula=f"min({yuan(inp.monthly_rent)}, {yuan(cap)}) = {yuan(per_month)}/月"
             + (f"，每月自付{yuan(own_share)}" if own_share else ""), amount=per_month),
        Step(label="前2年免租合计（最多）", formula=f"{yuan(per_month)} × {free_in} = {yuan(free_total)}", amount=free_total),
        Step(label="第二部分：第3年（另计，不加进上面的金额）",
             formula=f"每月租金不高于 {base_label}{yuan(base)} × {pct(share)} = {yuan(year3_pay)}，"
             f"即每月至少少交{yuan(fen(max(inp.monthly_rent - year3_pay, 0)))}"
             + ("" if y3_in == 12 else f"（有效期内{y3_in}个月）"),
             amount=year3_pay),
    ]
    reason = (f"金额只含前2年免租（每月不超过{yuan(cap)}，是上限）；第3年按不高于市场租金{pct(share)}缴纳，少交的部分是下限，"
              "两者性质不同，分开列出、不相加。")
    if free_in + y3_in < months + 12:
        reason += " " + after_note(start, free_in + y3_in, months + 12, "月")
    return base_result("compute_rental_relief", b, amount=free_total, breakdown=steps, reason=reason,
                       caps=[Cap(name="前2年每月免租不超过", value=cap, binding=inp.monthly_rent > cap)])


# --- 第九条 购房补贴 -----------------------------------------------------------------------------------
class HouseIn(_In):
    area_sqm: float = Field(..., gt=0, le=100000, description="新建商品房建筑面积（平方米）")
    role: Literal["创始人", "高管", "员工", "其他"] | None = Field(None, description="在OPC中的身份")
    new_commercial_housing: bool | None = Field(None, description="是否为在盐城市购买的新建商品房（二手房不在范围内）")


def compute_house_subsidy(inp: HouseIn) -> ToolResult:
    b = policy_book().benefit("house_purchase")
    cap, per = b.caps["total"], b.params["per_sqm"]
    raw = fen(inp.area_sqm * per)
    amount = min(raw, cap)
    checks = []
    from tools.result import ConditionCheck

    role_ok = None if inp.role is None else inp.role in b.params["roles"]
    checks.append(ConditionCheck(condition="OPC创始人或高管", status={True: "已满足", False: "待完善", None: "不确定"}[role_ok],
                                 note="" if inp.role is None else f"身份：{inp.role}"))
    house_ok = inp.new_commercial_housing
    checks.append(ConditionCheck(condition="在我市购买新建商品房", status={True: "已满足", False: "待完善", None: "不确定"}[house_ok]))
    eligible = False if (role_ok is False or house_ok is False) else (True if role_ok and house_ok else None)
    steps = [Step(label="按面积", formula=f"{inp.area_sqm:g}平方米 × {yuan(per)}/平方米 = {yuan(raw)}"
                  + (f" → 最高{yuan(cap)}" if amount < raw else ""), amount=amount)]
    if eligible is False:
        return base_result("compute_house_subsidy", b, amount=0, eligible=False, conditions=checks, breakdown=steps,
                           reason="购房补贴只面向OPC创始人及高管在我市购买的新建商品房。")
    return base_result("compute_house_subsidy", b, amount=amount, eligible=eligible, conditions=checks,
                       breakdown=steps, caps=[Cap(name="最高", value=cap, binding=amount < raw)])


# --- 第十条 创业担保贷款、贴息 ---------------------------------------------------------------------------
class LoanIn(_In):
    borrower: Literal["个人", "企业"] = Field(..., description="个人（OPC创业者）或企业（OPC）")
    amount: Money = Field(..., gt=0, description="拟贷款金额（元）")
    years: float | None = Field(None, gt=0, le=30, description="贷款期限（年）")



def check_guaranteed_loan(inp: LoanIn) -> ToolResult:
    b = policy_book().benefit("guaranteed_loan")
    p = b.params["person" if inp.borrower == "个人" else "enterprise"]
    steps = [Step(label=f"{inp.borrower}创业担保贷款额度", formula=f"最高{yuan(p['max_amount'])}、最长{p['max_years']}年")]
    problems = []
    if inp.amount > p["max_amount"]:
        problems.append(f"金额{yuan(inp.amount)}超过最高{yuan(p['max_amount'])}")
    if inp.years is not None and inp.years > p["max_years"]:
        problems.append(f"期限{inp.years:g}年超过最长{p['max_years']}年")
    if inp.borrower == "个人":  # the text says only which small loans are exempt; above that it says nothing
        free = p["no_counter_guarantee_up_to"]
        steps.append(Step(label="反担保", formula=f"{yuan(inp.amount)} ≤ {yuan(free)}：免除反担保要求" if inp.amount <= free
                          else f"{yuan(inp.amount)} > {yuan(free)}：不适用“{yuan(free)}以下免除反担保要求”；"
                               "文件对此未作规定，以经办银行和担保机构的要求为准"))
    steps.append(Step(label="性质", formula="贷款是借款，需要按期归还，不是补贴"))
    return base_result("check_guaranteed_loan", b, amount=min(inp.amount, p["max_amount"]),
                       eligible=False if problems else None, breakdown=steps,
                       reason="；".join(problems) if problems else "额度内，是否放款由经办银行和担保机构审核。",
                       caps=[Cap(name="最高额度", value=p["max_amount"], binding=inp.amount > p["max_amount"])])


class InterestIn(_In):
    principal: Money = Field(..., gt=0, description="贷款本金（元）")
    lpr_percent: float = Field(..., gt=0, lt=20, description="同期贷款市场报价利率（LPR），年利率百分数，如 3.0")
    interest_paid: Money | None = Field(None, ge=0, description="当年实际支付的利息（元），补贴不超过实付利息")
    years: int = Field(1, ge=1, le=10, description="申请补贴的年数（原则上不超过3年）")
    start_date: date | None = Field(None, description="第1个补贴年度开始日期" + START)



def compute_interest_subsidy(inp: InterestIn) -> ToolResult:
    b = policy_book().benefit("interest_subsidy")
    cap, share, max_years = b.caps["per_year"], b.params["lpr_share"], b.params["max_years"]
    lpr_part = fen(inp.principal * inp.lpr_percent / 100 * share)
    per_year = lpr_part
    steps = [Step(label="按LPR的50%", formula=f"{yuan(inp.principal)} × {inp.lpr_percent:g}% × {pct(share)} = {yuan(lpr_part)}",
                  amount=lpr_part)]
    bound_paid = inp.interest_paid is not None and inp.interest_paid < per_year
    if bound_paid:
        per_year = inp.interest_paid
        steps.append(Step(label="不超过实际支付利息", formula=yuan(inp.interest_paid), amount=per_year))
    bound_cap = per_year > cap
    per_year = min(per_year, cap)
    wanted = min(inp.years, max_years)
    start = inp.start_date or today()
    years = sum(1 for y in range(1, wanted + 1) if _year_starts_inside(start, y))
    total = fen(per_year * years)
    steps.append(Step(label=f"{years}年合计", formula=f"{yuan(per_year)} × {years} = {yuan(total)}", amount=total))
    notes = [straddle_note(start, y) for y in range(1, years + 1)]
    if years < wanted:
        notes.append(after_note(start, years, wanted, "年"))
    caps = [Cap(name="每年每家企业最高", value=cap, binding=bound_cap),
            Cap(name="原则上补贴不超过", value=max_years, unit="年", binding=inp.years > max_years)]
    if inp.interest_paid is None:
        caps.append(Cap(name="不超过实际支付利息（未提供）", value=lpr_part))
    return base_result("compute_interest_subsidy", b, amount=total, breakdown=steps, caps=caps,
                       reason=" ".join(n for n in notes if n) or None)


# --- 生态活动及大赛 -------------------------------------------------------------------------------------
class EventIn(_In):
    approved_total_investment: Money = Field(..., ge=0, description="活动核定总投入（元）")
    level: Level | None = Field(None, description="国家级 或 省级 市场化品牌活动及大赛")
    in_yancheng: bool | None = Field(None, description="是否在盐举办")
    filed_and_approved: bool | None = Field(None, description="是否经报备同意")



def compute_event_support(inp: EventIn) -> ToolResult:
    b = policy_book().benefit("event_support")
    cap = b.caps["total"]
    raw = fen(inp.approved_total_investment * b.rate)
    amount = min(raw, cap)
    if inp.in_yancheng is False or inp.filed_and_approved is False:
        return base_result("compute_event_support", b, amount=0, eligible=False,
                           reason="只支持经报备同意、在盐举办的国家级、省级市场化品牌活动及大赛。")
    return base_result("compute_event_support", b, amount=amount, breakdown=[
        Step(label="支持上限", formula=f"{yuan(inp.approved_total_investment)} × {pct(b.rate)} = {yuan(raw)}"
             + (f" → 最高{yuan(cap)}" if amount < raw else ""), amount=amount)],
        caps=[Cap(name="最高", value=cap, binding=amount < raw)])


class CompetitionIn(_In):
    competition: Literal["国家创新创业大赛", "江苏省科技创业大赛", "江苏人才创新创业大赛"] = Field(..., description="大赛名称")
    prize: Literal["一等奖", "二等奖", "三等奖"] = Field(..., description="获奖等次")
    landed_in_yancheng: bool | None = Field(None, description="项目是否在盐城落地应用")


def compute_competition_award(inp: CompetitionIn) -> ToolResult:
    b = policy_book().benefit("competition_award")
    cap = float(b.tiers[inp.competition][inp.prize])
    if inp.landed_in_yancheng is False:
        return base_result("compute_competition_award", b, amount=0, eligible=False,
                           reason="获奖项目须在盐城落地应用。")
    return base_result("compute_competition_award", b, amount=None, max_amount=cap, eligible=inp.landed_in_yancheng,
                       reason=f"{inp.competition}{inp.prize}最高奖励{yuan(cap)}，须在盐城落地应用。",
                       breakdown=[Step(label=f"{inp.competition}{inp.prize}", formula=f"最高{yuan(cap)}")],
                       caps=[Cap(name="最高", value=cap)])


# --- 几份一起问：每人一份（生活补贴、免租、购房补贴）或每年一份（年度评估奖励）的合计 ---------------------------
SummableItem = Literal["living_subsidy", "talent_rental", "house_purchase", "community_rating"]


class SumIn(_In):
    item: SummableItem = Field(..., description="几份一起问的奖补：living_subsidy 生活补贴、talent_rental 人才租赁房免租、"
                                                "house_purchase 购房补贴（每人一份）；community_rating 年度评估奖励（每年一份）")
    amounts: Monies = Field(..., min_length=2, max_length=10,
                            description="每一份先用各自的工具算出的金额（元），按人或按年排列；不符合条件的填0")
    per_month: bool = Field(False, description="金额是每月的数（生活补贴每月）而不是全期合计")


def sum_amounts(inp: SumIn) -> ToolResult:
    """A benefit given per person or per year, asked about for several at once: each figure comes from its own
    calculation; the sum is the only new number, and it is this tool's, shown step by step."""
    b = policy_book().benefit(inp.item)
    unit = "每月" if inp.per_month else ""
    steps = [Step(label=f"第{i}份{unit}", formula=yuan(v), amount=v) for i, v in enumerate(inp.amounts, 1)]
    total = round(sum(inp.amounts), 2)
    steps.append(Step(label=f"{len(inp.amounts)}份{unit}合计",
                      formula=" + ".join(yuan(v) for v in inp.amounts) + f" = {yuan(total)}", amount=total))
    return base_result("sum_amounts", b, amount=total, eligible=True, breakdown=steps,
                       reason="每一份按各自的条件分别计算后相加；不符合条件的计0。")
