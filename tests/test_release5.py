"""Release 5: classes found by an independent hunt, each tested in its own wording. The ledger (a word that could
change an input or a condition and was not read leaves no amount as the user's), periods and units of a spend,
birth dates, a later start, and conditions stated failed in words."""
from datetime import date

import re

import pytest

from assistant import ledger
from assistant.catalog import topic_cues, topic_fields
from assistant.decide import benefit_of
from assistant.understand import extract_slots, understand
from evals.assertions import headline_amounts
from tools.values import parse_amount


@pytest.fixture(autouse=True)
def pinned_today(monkeypatch):
    monkeypatch.setenv("OPC_TODAY", "2026-01-01")


def asked(topic: str) -> ledger.Asked:
    cues = next(tc.cues for tc in topic_cues() if tc.topic == topic)
    return ledger.Asked(tuple(cues), tuple(topic_fields().get(topic, ())), benefit_of(topic).params.get("input_period"))


def unread_words(text: str, topic: str) -> list[str]:
    return [w.word for w in ledger.unread(understand(text), asked(topic))]


# --- the ledger ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("text,topic,word", [
    ("全日制本科27岁首次在盐参保，生活补贴我领了8个月了，还有多少", "living_subsidy", "领了"),
    ("数据合同80万用于研发，只是卖方是我们参股的企业，能补多少", "data_purchase", "只是"),
    ("数据采购每个月4万，非关联方，用于研发，补多少", "data_purchase", "每个月"),
    ("我是创始人，我们家在亭湖买了新房100平，是爸妈出的钱，购房补贴多少", "house_purchase", "爸妈"),
])
def test_an_unread_word_is_named(text, topic, word):
    assert word in unread_words(text, topic)


@pytest.mark.parametrize("text,topic", [
    ("卖方不是关联方，合同50万，用于研发，能补多少", "data_purchase"),            # read as related_party
    ("人才租赁房每月房租1500，免租多少", "talent_rental"),                        # the rent is monthly
    ("通过市算力调度平台租算力，每个月2万，第一年补多少", "compute_voucher"),      # converted to the year's
    ("合同签了50万，但实际只用了30万，市算力调度平台租的，第一年算力券多少", "compute_voucher"),  # the actual chosen
    ("我以前在南京工作，现在来盐都做OPC，全日制硕士28岁首次在盐参保，生活补贴多少", "living_subsidy"),
    ("第一年算力券不是100%吗？我花了20万，市算力调度平台租的", "compute_voucher"),   # a question, no fact
    ("大赛在大丰办的，并不是在苏州，报备同意了，核定投入40万，补多少", "event_support"),  # the place is denied
])
def test_words_the_engine_read_do_not_ask(text, topic):
    assert unread_words(text, topic) == []


def test_an_unread_word_leaves_no_bold_amount_and_asks(service):
    ans = service.chat("硕士全日制30岁，首次在盐城交社保，生活补贴已经领了一年，剩下的能拿多少", None)
    assert not headline_amounts(ans.answer)
    assert "已经领了" in ans.answer and ans.follow_up
    assert all(c.result.get("eligible") is not True for c in ans.tool_calls)


# --- conditions stated failed ------------------------------------------------------------------------------
@pytest.mark.parametrize("text,benefit", [
    ("我是创始人，新房买在苏州，120平，购房补贴多少", "house_purchase"),
    ("我是高管，不动产证登记在我爸名下，在亭湖买的新房90平，能补多少", "house_purchase"),
    ("我们是参建单位，不是牵头的，国家级试点能拿多少", "pilot_lead"),
    ("数据买来给市场部做营销，合同20万，非关联方，能补吗", "data_purchase"),
    ("国赛二等奖，项目落户在无锡，能奖多少", "competition_award"),
    ("我是创始人，在盐都买了新房，不过不动产证写的是我爸，补多少", "house_purchase"),   # 不过 negates nothing
    ("省级品牌活动报备同意了，不过是在扬州办的，投入50万，补多少", "event_support"),
    ("数据产品在深圳数据交易所挂的牌，第一次挂，服务费3万", "data_listing"),
    ("还没有拿到中央网信办的备案，评测花了10万，备案奖励多少", "model_filing"),
])
def test_a_condition_stated_failed(text, benefit):
    assert ledger.failed_condition(understand(text), benefit) is not None


@pytest.mark.parametrize("text,benefit", [
    ("我是创始人，以前在苏州买过房，今年在亭湖买了新房120平，购房补贴多少", "house_purchase"),  # the past
    ("我们不是参与单位，是牵头单位，国家级试点能拿多少", "pilot_lead"),                        # negated
    ("我室友在南京注册了公司。我全日制硕士28岁，首次在盐参保，生活补贴多少", "living_subsidy"),  # someone else's
    ("我从苏州回来创业，全日制本科26岁，首次在盐城交社保，生活补贴多少", "living_subsidy"),   # where from
])
def test_no_condition_failed(text, benefit):
    assert ledger.failed_condition(understand(text), benefit) is None


def test_a_failed_condition_gives_no_amount_and_no_tick(service):
    ans = service.chat("我是创始人，房子买在南京，新房100平，购房补贴能拿多少", None)
    assert not headline_amounts(ans.answer) and "不符合" in ans.answer
    assert [c.result["eligible"] for c in ans.tool_calls] == [False]


# --- periods and units -----------------------------------------------------------------------------------
@pytest.mark.parametrize("text,value", [("1.2kw", 12_000_000), ("3KW", 30_000_000), ("5k", 5_000), ("1.5w", 15_000)])
def test_units(text, value):
    assert parse_amount(text) == value


@pytest.mark.parametrize("text,periods", [
    ("算力每个月大概2万", {20000: "month"}), ("算力每季度3万左右", {30000: "quarter"}),
    ("算力月均1.5w", {15000: "month"}), ("算力一年30万", {}),
    ("每月在市平台上花1.5万租算力", {15000: "month"}),           # the period word further back in the clause
    ("每月房租2000，算力一年30万", {}),                           # another amount stands between them
])
def test_the_period_of_an_amount(text, periods):
    assert extract_slots(text).spend_periods == periods


def test_a_yearly_spend_repeats_over_the_years_asked(service):
    ans = service.chat("市算力调度平台租算力，每年20万，两年一共算力券多少", None)
    assert ans.tool_calls[0].arguments["annual_spend"] == [200000, 200000] and headline_amounts(ans.answer) == {340000}


def test_a_monthly_spend_is_annualised_with_the_arithmetic(service):
    ans = service.chat("市算力调度平台租的盐城算力，每月4万，第一年算力券能补多少", None)
    call = ans.tool_calls[0]
    assert call.arguments["annual_spend"] == [480000] and headline_amounts(ans.answer) == {480000}
    assert "十二个月" in ans.answer


@pytest.mark.parametrize("text,months,years", [
    ("首次在盐城参保，社保交了4个月，本科", None, None), ("参保满两年了，硕士", None, None),
    ("生活补贴领12个月能拿多少", 12, None), ("贷款期限3年", None, 3),
])
def test_a_period_of_social_insurance_is_no_benefit_period(text, months, years):
    s = extract_slots(text)
    assert (s.months, s.years) == (months, years)


# --- birth dates and a later start -------------------------------------------------------------------------
@pytest.mark.parametrize("text,age", [
    ("本人1988年6月生", 37), ("八九年11月出生的", 36), ("96年的，硕士", 30), ("我是2000年生的", 26),
    ("1990年1月出生", None),      # 35 or 36 on 2026-01-01: asked
    ("我是1992.6出生的", 33),
    ("我九三年十五月生", None),    # no such month: asked, never an error
])
def test_age_from_a_birth_date(text, age):
    assert extract_slots(text).age == age
    assert extract_slots(text).years is None  # a birth year is no duration


@pytest.mark.parametrize("text,start", [
    ("我2027年初才来盐城", date(2027, 1, 1)), ("明年才来亭湖", date(2027, 1, 1)),
    ("2027年7月开始用平台算力", date(2027, 7, 1)), ("准备2027年下半年入驻社区", date(2027, 7, 1)), ("今年开始用", None), ("2025年开始用的", None),
])
def test_a_later_start(text, start):
    assert extract_slots(text).start_date == start


def test_a_later_start_counts_to_the_end_of_validity(service):
    ans = service.chat("我明年才来盐城做OPC，全日制博士，30岁，第一次在盐城交社保，生活补贴一共多少", None)
    assert ans.tool_calls[0].result["amount"] == 72000  # 24 months x 3000 up to 2028-12-31


def test_a_typed_unit_grounds_the_amount_written_for_it():
    """月均6k: the answer's 6,000元 comes from the user's words."""
    from assistant.grounding import unsupported

    assert unsupported({"answer": "您说的每月6,000元 × 十二个月 = 一年72,000元", "citations": [],
                        "tool_calls": [{"name": "t", "arguments": {"annual_spend": [72000]}, "result": {}}]},
                       ["月均6k的算力费"]) == []


@pytest.mark.parametrize("message, task", [("帮我写一份商业计划书", "写商业计划书"), ("你能不能帮我起草一份数据采购合同", "起草合同"),
                                           ("生成一份公司章程", "生成公司章程"), ("麻烦帮我做个路演PPT", "做PPT")])
def test_a_task_request_is_refused_politely_with_what_it_can_do(service, message, task):
    ans = service.chat(message, persist=False)
    assert ans.refused and ans.intent == "out_of_scope" and not ans.tool_calls
    assert f"替您{task}不在我能做的范围内" in ans.answer and "计算" in ans.answer and "办事清单" in ans.answer
    assert ans.follow_up


@pytest.mark.parametrize("message", ["申请书要写什么内容？", "公司章程怎么写？", "数据采购合同要写明什么？"])
def test_a_question_about_a_document_is_no_task_request(service, message):
    assert not service.chat(message, persist=False).answer.startswith("抱歉，替您")


@pytest.mark.parametrize("message", ["我在南京买了新房，公司在盐城，我是创始人，购房补贴能拿吗",
                                     "报备同意的省级活动，在苏州办的，投入60万，支持多少"])
def test_a_benefit_of_ours_failed_by_a_place_elsewhere_is_answered_not_refused(service, message):
    ans = service.chat(message, persist=False)
    assert not ans.refused and "不符合" in ans.answer
    assert not re.search(r"\*\*[^*]*[0-9][^*]*元\*\*", ans.answer)  # no bold amount for someone who does not qualify


@pytest.mark.parametrize("message", ["南京的OPC购房补贴是多少？", "苏州有算力券吗", "南京买房有补贴吗"])
def test_another_citys_own_policy_is_still_refused(service, message):
    assert service.chat(message, persist=False).refused


@pytest.mark.parametrize("text, period", [("第一年6k每个月", "month"), ("1.5万/月，", "month"), ("3万一个季度左右", "quarter"),
                                          ("花了50万，每个月都在用", None), ("36个月", None)])
def test_a_period_said_after_the_amount_is_its_period(text, period):
    from assistant.understand import _money_spans, _period_after

    spans = _money_spans(text)
    assert (_period_after(text, spans[0][2]) if spans else None) == period
