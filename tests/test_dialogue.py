"""Bare replies to the assistant's own question (issue #26): "28" after 您今年多少周岁？ is the age, "不是" after
学历是全日制的吗？ is a no, "80万" after 您第2年的实际算力使用费用是多少？ is that year's spend; anything else is read as
it is. Each conversation below failed on main 0a8f185 (the bare reply got the validity paragraph or a refusal)."""
from __future__ import annotations

import pytest

from assistant.bare_replies import as_sentence, open_question


@pytest.mark.parametrize("reply, asked, sentence", [
    ("28", "您今年多少周岁？", "我今年28岁"), ("二十八岁", "您今年多少周岁？", "我今年28岁"),
    ("是的", "学历是全日制的吗？", "我是全日制学历"), ("不是", "学历是全日制的吗？", "我不是全日制学历"),
    ("在职的", "学历是全日制的吗？", None), ("110平", "您买的新建商品房面积是多少平方米？", "我购买的新建商品房面积是110平方米"),
    ("80万", "您第2年的实际算力使用费用是多少？", "第2年实际算力使用费用是80万"),
    ("80", "您第2年的实际算力使用费用是多少？", None),  # 80元 or 80万: not guessed
    ("28", None, None), ("28", "算力券找哪个部门申请？", None), ("300", "您今年多少周岁？", None),
    ("我今年28岁，硕士，生活补贴一共多少", "您今年多少周岁？", None),  # a sentence is read as it is
])
def test_a_bare_reply_reads_as_the_sentence_it_answers(reply, asked, sentence):
    assert as_sentence(reply, asked) == sentence


def test_the_open_question_is_the_assistants_own():
    assert open_question(["那博士呢？", "您今年多少周岁？"]) == "您今年多少周岁？"
    assert open_question(["那第三年呢？", "算力券找哪个部门申请？"]) is None


def converse(service, *messages):
    sid, answers = None, []
    for m in messages:
        a = service.chat(m, sid)
        sid = a.session_id
        answers.append(a)
    return answers


def test_a_founder_finishes_the_living_subsidy_in_bare_replies(service):
    *_, last = converse(service, "硕士每月生活补贴多少", "28", "是", "是的")
    assert "**72,000元**" in last.answer and not last.refused


def test_a_bare_no_fails_the_condition_it_answers(service):
    *_, last = converse(service, "本科生活补贴多少", "30", "不是")
    assert last.intent == "eligibility" and "全日制" in last.answer and "**" not in last.answer.split("\n")[0].replace(
        "**不符合**", "")


def test_a_bare_total_after_two_years_sums_them(service):
    *_, last = converse(service, "算力券第一年50万", "第二年呢", "80万", "两个加起来")
    assert not last.refused and "**100万元**" in last.answer


@pytest.mark.parametrize("reply, sentence", [("两个加起来", "一共多少"), ("那一共呢？", "一共多少"), ("三年一共呢？", None),
                                             ("一共多少钱", "一共多少"), ("加起来是多少", "一共多少")])
def test_a_bare_total_continues_only_when_it_says_nothing_else(reply, sentence):
    assert as_sentence(reply, None, last_topic="compute_voucher") == sentence
