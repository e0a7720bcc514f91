"""Plain policy answers built from sentences: the direct line answers what was asked, list questions get the whole
enumeration in order, no heading is quoted alone, and every quote is a whole sentence of the cited section."""
import pytest

from assistant.policy_answer import question_kind
from evals.heading_check import bare_headings


def ask(service, q):
    a = service.chat(q, None).model_dump(mode="json")
    assert a["intent"] == "policy_qa" and a["refused"] is False, a
    return a


def first_line(a):
    return a["answer"].splitlines()[0]


def cited(a):
    return {(c["doc"], c["section"]) for c in a["citations"]}


def test_what_is_opc_gives_the_definition(service):
    a = ask(service, "什么是OPC")
    line = first_line(a)
    assert "One Person Company" in line and "以大模型为基础" in line and "人+AI" in line
    assert "一、适用范围" in line
    assert ("guideline", "一、适用范围") in cited(a)


def test_recognition_process_lists_all_steps_in_order_never_the_bare_heading(service):
    a = ask(service, "OPC社区的认定流程是什么")
    text = a["answer"]
    assert "四、认定流程：四、认定流程" not in text
    steps = ["市发改委每年发布OPC社区认定通知", "各县（市、区）发改部门负责审核推荐", "市发改委组织专家论证和现场核实",
             "对已认定的OPC社区定期组织年度评估"]
    positions = [text.index(s) for s in steps]
    assert positions == sorted(positions)
    assert cited(a) == {("guideline", "四、认定流程")}
    assert bare_headings(a) == []


@pytest.mark.parametrize("q, section, fact", [
    ("公共数据开放要营造什么样的数据应用环境", ("action-plan", "（一）畅通数据开放供给"), "原始数据不出域，可用不可见"),
    ("哪些地区先行推进OPC发展", ("action-plan", "一、总体要求"), "推动盐南高新区、盐都区、亭湖区等地区先行"),
    ("入驻盐城（上海）国际创新中心的OPC项目有什么支持", ("action-plan", "（九）创新场景跨域转化"), "提供零租工位"),
    ("OPC社区每年要挖掘多少应用场景、对接多少商业订单", ("guideline", "三、基本条件（六）场景对接"),
     "每年为OPC对接商业订单总额不少于1000万元"),
])
def test_a_fact_in_a_later_sentence_is_the_direct_answer(service, q, section, fact):
    a = ask(service, q)
    assert fact in first_line(a), first_line(a)
    assert section[1] in first_line(a)
    assert section in cited(a)


def test_list_question_gives_every_item_of_the_enumeration_with_labels(service):
    a = ask(service, "OPC社区需要满足哪些基本条件")
    text = a["answer"]
    items = ["（一）运营管理", "（二）场地设施", "（三）金融服务", "（四）生活配套", "（五）公共服务", "（六）场景对接", "（七）生态活动"]
    assert [text.index(i) for i in items] == sorted(text.index(i) for i in items)
    assert "500平方米" in text and "1000万元" in text
    assert {s for _, s in cited(a)} == {f"三、基本条件{i}" for i in items}


def test_quotes_are_whole_sentences_of_the_cited_section_and_every_figure_is_cited(service):
    from assistant.grounding import unsupported

    for q in ["OPC线上社区有什么功能", "社区认定谁审核推荐", "到2028年要建几个OPC社区", "什么是OPC社区"]:
        a = ask(service, q)
        for c in a["citations"]:
            section = service.searcher.section(c["doc"], c["section"])
            assert c["quote"] in section.text
            assert c["quote"] in {s.text for s in service.searcher.section_sentences(c["doc"], c["section"])}
        assert unsupported(a, [q]) == []
        assert bare_headings(a) == []


def test_question_kinds():
    assert question_kind("什么是OPC") == "what"
    assert question_kind("认定流程是什么") == "steps"
    assert question_kind("哪些区适用") == "where"
    assert question_kind("线上社区有什么功能") == "list"
    assert question_kind("社区认定谁审核推荐") == "who"
    assert question_kind("政策有效期到什么时候") == "when"
    assert question_kind("每年路演活动几场") == "howmany"


def test_heading_check_catches_a_bare_heading_quote():
    bad = {"answer": "根据文件原文：\n- 《盐城市人工智能OPC社区建设指引》四、认定流程：四、认定流程",
           "citations": [{"doc": "guideline", "section": "四、认定流程", "quote": "四、认定流程"}]}
    assert len(bare_headings(bad)) == 2
    ok = {"answer": "- 附件：1. 盐城市人工智能OPC社区建设指引", "citations": []}
    assert bare_headings(ok) == []
