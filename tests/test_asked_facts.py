"""Kinds of fact a question asks for (dates, loan rates, contacts, prices, product choices) and whether the
evidence states one: the documents answer only what they state."""
import pytest

from assistant import asked_facts


@pytest.mark.parametrize("text,kind", [
    ("算力券几月份开始申报？", "date"),
    ("创业担保贷款年利率具体是多少？", "loan_rate"),
    ("现在最新的LPR是多少？", "loan_rate"),
    ("OPC线上社区的网址是多少？", "contact"),
    ("有没有咨询热线？", "contact"),
    ("租一张H800一小时要多少钱？", "price"),
    ("Qwen和DeepSeek哪个写代码更强？", "product_choice"),
    ("专项基金总规模有多少亿？", "size"),
    ("社保缴费比例是多少", "ratio"),
])
def test_the_kind_asked_for(text, kind):
    assert asked_facts.asked(text)[0].name == kind


@pytest.mark.parametrize("text", [
    "我是OPC创始人，新房100平，单价1.1万一平，总价110万，购房补贴多少？",   # a price stated, not asked
    "公司融资规模比较大，银行贷款4000万，LPR 3%，一年利息140万，贴息一年能拿多少？",
    "贷款利率3.5%，LPR是3.1%，贷了200万，贴息多少",
    "贷款贴息按LPR的多少",
    "我做AI客服智能体，算力券能补多少",
])
def test_a_statement_is_no_question_for_a_fact(text):
    assert asked_facts.asked(text) is None


def test_the_evidence_decides():
    quote = "本政策自印发之日起施行，有效期至2028年12月31日。"
    assert asked_facts.unstated("这些政策到什么时候为止？", [quote]) is None
    assert asked_facts.unstated("算力券几月份开始申报？", ["第一年按照实际使用费用的100%奖补"]).name == "date"


def test_a_ratio_must_be_stated_about_its_subject():
    quote = "并首次在盐参加各项社会保险且正常缴费、年龄35周岁以下……第3年按照不高于市场上同类房产租金的70%缴纳租金。"
    assert asked_facts.unstated("社保个人缴费比例是多少？", [quote]).name == "ratio"
    assert asked_facts.unstated("第三年房租缴纳比例是多少", ["第3年按照不高于市场上同类房产租金的70%缴纳租金"]) is None


def test_the_topics_own_article_needs_no_subject():
    own = "第一年按照实际使用费用的100%奖补，第二年按照实际使用费用的70%奖补"
    assert asked_facts.unstated("第三年算力费用补贴比例", [], own) is None


def test_a_monthly_subsidy_is_no_price():
    own = "3年内分别给予3000元/月、2000元/月、1500元/月的生活补贴"
    assert asked_facts.unstated("入驻以后物业费一个月交多少？", [own], own).name == "price"


def test_another_ratio_than_the_topics_own_is_unstated():
    own = "第一年按照实际使用费用的100%奖补"
    assert asked_facts.unstated("申请算力券对研发投入占比有要求吗，占比多少？", [], own).name == "ratio"
    assert asked_facts.unstated("数据采购支持的补贴比例是多少", [], "按照每笔合同额最高30%给予最高30万元采购支持") is None
