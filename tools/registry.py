"""One registry of every tool: name, Chinese description, typed input -> JSON schema. The rules engine, the LLM
agent, the MCP server, the API and the CLI all call tools through here.

Descriptions are generated from knowledge/policies.yaml (title, article and verbatim quote of every benefit or rule
that names the tool), so no amount is written here. A benefit may also bring its own calculator: `tool` names it
and `tool_function: "package.module:function"` points at a function whose one argument is its Pydantic input."""
from __future__ import annotations

import importlib
import typing
from dataclasses import dataclass
from typing import Any, Callable

from pydantic import BaseModel

from tools import calculators as calc
from tools import checklists
from tools import eligibility as elig
from tools import matching
from tools.rules import policy_book


@dataclass(frozen=True)
class ToolSpec:
    name: str
    summary: str
    input_model: type[BaseModel]
    func: Callable[[Any], BaseModel]

    @property
    def description(self) -> str:
        """The summary, then the rules it applies as the documents word them (from policies.yaml)."""
        basis = [f"{e.title}（{e.section}）：{e.quote}" for e in _entries_of(self.name)]
        return self.summary + ("。依据：" + " ".join(basis) if basis else "")

    def json_schema(self) -> dict:
        return self.input_model.model_json_schema()

    def run(self, arguments: dict) -> dict:
        """Validate arguments, run, return a JSON-ready dict (pydantic.ValidationError on bad input)."""
        inp = self.input_model.model_validate(arguments)
        return self.func(inp).model_dump(mode="json")


def _entries_of(tool: str) -> list:
    return [b for b in policy_book().benefits if b.params.get("tool") == tool]


BUILTIN: dict[str, ToolSpec] = {t.name: t for t in [
    ToolSpec("compute_voucher_subsidy", "算力券：按每年实际算力使用费用计算奖补（累计上限）", calc.VoucherIn,
             calc.compute_voucher_subsidy),
    ToolSpec("compute_data_purchase_subsidy", "数据产品采购支持：按每笔合同额计算（单笔与年度上限）", calc.DataPurchaseIn,
             calc.compute_data_purchase_subsidy),
    ToolSpec("compute_listing_subsidy", "首次挂牌数据产品补助：按挂牌服务费用计算（上限）", calc.ListingIn,
             calc.compute_listing_subsidy),
    ToolSpec("compute_capped_support", "只规定“最高”金额、无公式的支持：给出上限与条件", calc.CappedIn,
             calc.compute_capped_support),
    ToolSpec("compute_tiered_award", "分国家级/省级的支持：按级别给出上限", calc.TieredIn, calc.compute_tiered_award),
    ToolSpec("compute_community_rating_award", "OPC社区年度评估奖励：按评估等次", calc.RatingIn,
             calc.compute_community_rating_award),
    ToolSpec("compute_infrastructure_subsidy", "OPC社区公共基础设施补助：按当年实际投资额计算（年度上限）",
             calc.InfrastructureIn, calc.compute_infrastructure_subsidy),
    ToolSpec("compute_training_base_award", "实训基地奖励：按年培训量人次分档，边界值两种读法都列出", calc.TrainingIn,
             calc.compute_training_base_award),
    ToolSpec("compute_living_subsidy", "青年人才生活补贴：按学历、年龄、全日制、首次在盐参保计算", calc.LivingIn,
             calc.compute_living_subsidy),
    ToolSpec("compute_rental_relief", "人才租赁房免租：按月租金计算免租与第3年租金", calc.RentalIn,
             calc.compute_rental_relief),
    ToolSpec("compute_house_subsidy", "购房补贴：按面积、身份、是否新建商品房计算（上限）", calc.HouseIn,
             calc.compute_house_subsidy),
    ToolSpec("sum_amounts", "几份一起问的奖补（两个人的生活补贴、免租、购房补贴，或两年的年度评估奖励）：每份先各自计算，再用本工具相加",
             calc.SumIn, calc.sum_amounts),
    ToolSpec("check_guaranteed_loan", "创业担保贷款：核对额度、期限与反担保要求", calc.LoanIn, calc.check_guaranteed_loan),
    ToolSpec("compute_interest_subsidy", "贷款贴息：按本金和同期LPR计算（不超过实付利息，年度上限）", calc.InterestIn,
             calc.compute_interest_subsidy),
    ToolSpec("compute_event_support", "在盐举办品牌活动及大赛支持：按核定总投入计算（上限）", calc.EventIn,
             calc.compute_event_support),
    ToolSpec("compute_competition_award", "创新创业大赛获奖奖励：按大赛与奖项等次给出上限，须在盐城落地", calc.CompetitionIn,
             calc.compute_competition_award),
    ToolSpec("check_scope", "适用范围：所在区县是否属于盐城大市区（直接适用）或其他县（市）（参照）", elig.ScopeIn,
             elig.check_scope),
    ToolSpec("check_community_recognition", "OPC社区认定条件核对（附件1 三、基本条件）：逐项已满足/待完善/不确定",
             elig.CommunityIn, elig.check_community_recognition),
    ToolSpec("get_checklist", "企业开办一窗受理办事清单：按主体类型列出设立登记、印章、银行开户、税务、社保医保、公积金的材料和提示"
             "（一般性指引，以窗口要求为准）", checklists.ChecklistIn, checklists.get_checklist),
    ToolSpec("match_policies", "政策匹配：根据创业者画像列出可享受的政策、条件满足情况和估算金额（就高不重复）",
             matching.Profile, matching.match_policies),
]}


def _plugin(name: str) -> ToolSpec | None:
    """A tool a benefit brings along in policies.yaml (tool + tool_function), loaded on first use."""
    for b in policy_book().benefits:
        if b.params.get("tool") == name and b.params.get("tool_function"):
            module, _, attr = b.params["tool_function"].partition(":")
            func = getattr(importlib.import_module(module), attr)
            model = next(iter(v for k, v in typing.get_type_hints(func).items() if k != "return"))
            return ToolSpec(name, b.title, model, func)
    return None


class _Registry(dict):
    """The built-in tools, plus any tool a benefit declares in policies.yaml."""

    def __missing__(self, name: str) -> ToolSpec:
        spec = _plugin(name)
        if spec is None:
            raise KeyError(name)
        return spec

    def get(self, name, default=None):
        try:
            return self[name]
        except KeyError:
            return default

    def __contains__(self, name) -> bool:
        return dict.__contains__(self, name) or self.get(name) is not None


TOOLS: dict[str, ToolSpec] = _Registry(BUILTIN)


def get_tool(name: str) -> ToolSpec:
    return TOOLS[name]


def run_tool(name: str, arguments: dict) -> dict:
    return get_tool(name).run(arguments)


def effective_arguments(name: str, arguments: dict) -> dict:
    """The arguments a tool ran with, defaults included (36个月, 1年), so the shown call is the whole calculation."""
    return get_tool(name).input_model.model_validate(arguments).model_dump(mode="json", exclude_none=True)
