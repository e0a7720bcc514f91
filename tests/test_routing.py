"""Which benefit a question reaches and which figure the answer puts in bold (the headline the person reads)."""
import pytest

from evals.assertions import headline_amounts


def answer(service, question):
    ans = service.chat(question, None)
    return ans, (ans.tool_calls[0] if ans.tool_calls else None)


@pytest.mark.parametrize("question,amount", [
    ("OPC社区这一年新建人才培训平台，实际投资了250万，补助多少", 500000),
    ("社区运营方今年在算力调度平台上投入900万，能拿多少", 1800000),
    ("我们社区建数据标注服务平台实际投资2000万，补多少", 2000000),
])
def test_community_platform_investment_is_article_five(service, question, amount):
    ans, call = answer(service, question)
    assert call and call.name == "compute_infrastructure_subsidy", ans.answer
    assert call.result["amount"] == amount and call.result["article"]["section"] == "第五条"
    assert headline_amounts(ans.answer) == {amount}


def test_founder_renting_compute_in_a_community_stays_the_voucher(service):
    ans, call = answer(service, "我在社区里用算力平台，第一年算力费用30万，算力券能补多少")
    assert call.name == "compute_voucher_subsidy" and call.result["amount"] == 300000


def test_year_three_rent_heads_the_answer_and_the_free_years_stay_unbolded(service):
    ans, call = answer(service, "人才租赁房住到第3年，市场租金每月3200，每月最多交多少")
    assert call.name == "compute_rental_relief"
    assert headline_amounts(ans.answer) == {2240}
    assert "48,000元" in ans.answer  # the rent-free part as context


def test_monthly_rent_free_figure_is_a_headline(service):
    ans, _ = answer(service, "人才公寓月租2800，前两年每月能免多少")
    assert 2000 in headline_amounts(ans.answer)


@pytest.mark.parametrize("question,amount", [
    ("第一次在盐城专版上架数据产品，交了5万服务费，补多少", 40000),
    ("首次挂牌，挂牌服务费15万，能补多少", 100000),
])
def test_listing_fee_reaches_the_listing_subsidy(service, question, amount):
    ans, call = answer(service, question)
    assert call.name == "compute_listing_subsidy", ans.answer
    assert call.result["amount"] == amount


def test_listing_again_is_not_first(service):
    ans, call = answer(service, "以前已经在专版挂过一次，这回又挂了一个数据产品，服务费6万能补吗")
    assert call.name == "compute_listing_subsidy" and call.arguments.get("first_listing") is False
    assert call.result["eligible"] is False and "首次" in ans.answer
    assert not {a for a in headline_amounts(ans.answer) if a > 0}


@pytest.mark.parametrize("question,name", [
    ("在盐城专版上买了一个数据产品，合同40万，卖方非关联，补多少", "compute_data_purchase_subsidy"),
    ("项目挂了，想申请创业担保贷款30万", "check_guaranteed_loan"),
])
def test_listing_words_alone_do_not_take_other_questions(service, question, name):
    _, call = answer(service, question)
    assert call.name == name
