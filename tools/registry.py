"""One registry of every tool: name, Chinese description, typed input -> JSON schema. The rules engine, the LLM
agent, the MCP server, the API and the CLI all call tools through here."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from pydantic import BaseModel

from tools import calculators as calc
from tools import checklists
from tools import eligibility as elig
from tools import matching


@dataclass(frozen=True)
class ToolSpec:
    name: str
    description: str
    input_model: type[BaseModel]
    func: Callable[[Any], BaseModel]

    def json_schema(self) -> dict:
        return self.input_model.model_json_schema()

    def run(self, arguments: dict) -> dict:
        """Validate arguments, run, return a JSON-ready dict (pydantic.ValidationError on bad input)."""
        inp = self.input_model.model_validate(arguments)
        return self.func(inp).model_dump(mode="json")


TOOLS: dict[str, ToolSpec] = {t.name: t for t in [
    ToolSpec("compute_voucher_subsidy", "算力券（第一条）：按第1–3年实际算力使用费用计算奖补，100%/70%/50%，累计最高100万元；有效期（至2028-12-31）后的年度不计入。",
             calc.VoucherIn, calc.compute_voucher_subsidy),
    ToolSpec("compute_data_purchase_subsidy", "数据产品采购支持（第二条）：每笔合同额最高30%、单笔最高30万元，每家OPC每年最高200万元。",
             calc.DataPurchaseIn, calc.compute_data_purchase_subsidy),
    ToolSpec("compute_listing_subsidy", "首次挂牌数据产品补助（第二条）：不超过挂牌服务费用的80%，最高10万元。",
             calc.ListingIn, calc.compute_listing_subsidy),
    ToolSpec("compute_capped_support", "只规定“最高”金额的支持（第二、三、四、七、八条）：数据集开发、标注平台、重点研发、新技术新产品目录、模型备案、社区首次认定、示范应用、顶尖人才。依据费用的奖补（模型备案、标注平台）不超过费用本身。",
             calc.CappedIn, calc.compute_capped_support),
    ToolSpec("compute_tiered_award", "分国家级/省级的支持（第六、八条）：试点牵头项目、典型案例、现代产业学院。",
             calc.TieredIn, calc.compute_tiered_award),
    ToolSpec("compute_community_rating_award", "OPC社区年度评估奖励（第四条）：优秀50万元、良好30万元。",
             calc.RatingIn, calc.compute_community_rating_award),
    ToolSpec("compute_infrastructure_subsidy", "OPC社区公共基础设施补助（第五条）：实际投资额的20%，同一年度最高200万元。",
             calc.InfrastructureIn, calc.compute_infrastructure_subsidy),
    ToolSpec("compute_training_base_award", "实训基地奖励（第八条）：按年培训量人次分档，边界值两种读法都列出。",
             calc.TrainingIn, calc.compute_training_base_award),
    ToolSpec("compute_living_subsidy", "青年人才生活补贴（第九条）：35周岁以下全日制博士3000元/月、硕士2000元/月、本科（含技师班）1500元/月，3年内；只计到有效期末2028-12-31。",
             calc.LivingIn, calc.compute_living_subsidy),
    ToolSpec("compute_rental_relief", "人才租赁房免租（第九条）：前2年每月不超过2000元免租（金额）；第3年租金不高于市场租金的70%（另列，不相加）。",
             calc.RentalIn, calc.compute_rental_relief),
    ToolSpec("compute_house_subsidy", "购房补贴（第九条）：OPC创始人及高管购买新建商品房，每平方米1000元，最高10万元。",
             calc.HouseIn, calc.compute_house_subsidy),
    ToolSpec("check_guaranteed_loan", "创业担保贷款（第十条）：个人最高30万元、最长3年（10万元以下免除反担保要求）；企业最高500万元、最长2年。贷款要归还，不是补贴。",
             calc.LoanIn, calc.check_guaranteed_loan),
    ToolSpec("compute_interest_subsidy", "贷款贴息（第十条）：同期LPR最高50%，不超过实付利息，每年每家最高50万元，原则上不超过3年；有效期后的年度不计入。",
             calc.InterestIn, calc.compute_interest_subsidy),
    ToolSpec("compute_event_support", "在盐举办品牌活动及大赛支持：不超过核定总投入的50%，最高50万元。",
             calc.EventIn, calc.compute_event_support),
    ToolSpec("compute_competition_award", "创新创业大赛获奖奖励：国家大赛一二三等奖最高50/30/20万元，省级大赛最高30/20/10万元，须在盐城落地。",
             calc.CompetitionIn, calc.compute_competition_award),
    ToolSpec("check_scope", "适用范围：所在区县是否属于盐城大市区（直接适用）或其他县（市）（参照）。",
             elig.ScopeIn, elig.check_scope),
    ToolSpec("check_community_recognition", "OPC社区认定条件核对（附件1 三、基本条件）：逐项已满足/待完善/不确定。",
             elig.CommunityIn, elig.check_community_recognition),
    ToolSpec("get_checklist", "企业开办一窗受理办事清单：按主体类型列出设立登记、印章、银行开户、税务、社保医保、公积金的材料和提示（一般性指引，以窗口要求为准）。",
             checklists.ChecklistIn, checklists.get_checklist),
    ToolSpec("match_policies", "政策匹配：根据创业者画像列出可享受的政策、条件满足情况和估算金额；合计只加补贴（贷款、免租、服务单列），同一项目就高不重复。",
             matching.Profile, matching.match_policies),
]}


def get_tool(name: str) -> ToolSpec:
    if name not in TOOLS:
        raise KeyError(name)
    return TOOLS[name]


def run_tool(name: str, arguments: dict) -> dict:
    return get_tool(name).run(arguments)
