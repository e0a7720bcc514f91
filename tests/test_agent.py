"""The optional LLM agent through the real ChatOpenAI HTTP path, against a scripted OpenAI-compatible server."""
import time

import pytest

from assistant.config import Settings
from assistant.service import AssistantService
from tests.conftest import _DATA
from tests.scripted_llm import ScriptedLLM


@pytest.fixture(scope="module")
def llm():
    server = ScriptedLLM().start()
    yield server
    server.stop()


@pytest.fixture
def agent_service(llm, service, tmp_path):
    settings = Settings(data_dir=_DATA, database_url=f"sqlite:///{tmp_path / 'agent.sqlite3'}",
                        openai_base_url=llm.base_url, openai_api_key="test-key", llm_model="scripted",
                        llm_timeout_s=1.5)
    svc = AssistantService(settings)
    svc._index, svc._searcher, svc._engine = service._index, service._searcher, service._engine  # share the index
    return svc


def test_tool_call_then_grounded_answer(llm, agent_service):
    llm.script({"tool_calls": [{"name": "compute_voucher_subsidy", "arguments": {"annual_spend": [500000, 800000]}}]},
               {"content": "按第一条，算力券合计可得{{compute_voucher_subsidy.amount}}"
                           "（累计最高{{cite:measures/第一条#100万元}}）。本政策为征求意见稿。"})
    ans = agent_service.chat("算力券第一年50万，第二年80万能拿多少")
    assert ans.engine == "llm"
    assert ans.tool_calls[0].name == "compute_voucher_subsidy" and ans.tool_calls[0].result["amount"] == 1000000
    assert {c.section for c in ans.citations} == {"第一条"}
    assert ans.answer.startswith("按第一条，算力券合计可得100万元（累计最高100万元）")
    first = llm.requests[0]
    assert any(t["function"]["name"] == "search_policy" for t in first["tools"])
    assert "征求意见稿" in first["messages"][0]["content"]


def test_invented_amount_is_caught_retried_then_replaced_by_rules(llm, agent_service):
    llm.script({"content": "算力券第一年能拿88万元。"}, {"content": "确认：88万元。"})
    ans = agent_service.chat("算力券第一年50万能拿多少")
    assert ans.engine == "rules" and "88万" not in ans.answer
    assert ans.tool_calls[0].result["amount"] == 500000
    assert len(llm.requests) == 2
    retry_prompt = llm.requests[1]["messages"][-1]["content"]
    assert "880000" in retry_prompt or "88" in retry_prompt


def test_timeout_falls_back_within_the_timeout(llm, agent_service):
    llm.script({"sleep": 4, "content": "太慢了"})
    t0 = time.monotonic()
    ans = agent_service.chat("买房90平方米，我是创始人，补多少")
    assert ans.engine == "rules" and ans.tool_calls[0].result["amount"] == 90000
    assert time.monotonic() - t0 < 4


def test_server_error_falls_back(llm, agent_service):
    llm.script({"status": 500}, {"status": 500})
    ans = agent_service.chat("社区办公面积至少多少平米")
    assert ans.engine == "rules" and "500平方米" in ans.answer


def test_rate_limit_falls_back(llm, agent_service):
    llm.script({"status": 429})
    assert agent_service.chat("硕士每月生活补贴多少").engine == "rules"


def test_malformed_tool_call_json_falls_back(llm, agent_service):
    llm.script({"tool_calls": [{"name": "compute_voucher_subsidy", "arguments": "{annual_spend: [50万"}]})
    ans = agent_service.chat("算力券第一年50万能拿多少")
    assert ans.engine == "rules" and ans.tool_calls[0].result["amount"] == 500000


def test_refusals_never_go_to_the_llm(llm, agent_service):
    llm.script({"content": "苏州的补贴是100万元。"})
    ans = agent_service.chat("苏州的OPC补贴是多少")
    assert ans.refused and ans.engine == "rules" and not llm.requests


def test_profile_from_the_rules_engine_reaches_the_agent(llm, agent_service):
    llm.per_turn({"tool_calls": [{"name": "compute_living_subsidy", "arguments": {"degree": "硕士", "age": 28}}]},
                 {"content": "您每月可领{{compute_living_subsidy.breakdown.0.amount}}生活补贴（第九条），"
                             "{{compute_living_subsidy.caps.0.value}}合计{{compute_living_subsidy.amount}}。"})
    first = agent_service.chat("我今年28岁，全日制硕士")
    ans = agent_service.chat("我每个月能拿多少生活补贴？", first.session_id)
    assert ans.engine == "llm" and "每月可领2,000元生活补贴（第九条），36个月合计72,000元" in ans.answer
    sent = " ".join(str(m.get("content")) for m in llm.requests[-2]["messages"])
    assert "硕士" in sent and "28" in sent


def test_llm_judge_scores_are_reported_not_gated(llm, agent_service):
    from evals import runner
    from evals.judge import Judge

    llm.script({"content": '{"score": 4, "reason": "忠实"}'}, {"content": "不是JSON"})
    case = runner.EvalCase(id="j", category="x", q="算力券第一年50万能拿多少", expect={"amounts": [500000]})
    rules_only = AssistantService(agent_service.settings.model_copy(update={"openai_api_key": None}))
    rules_only._index, rules_only._searcher, rules_only._engine = (agent_service._index, agent_service._searcher,
                                                                   agent_service._engine)
    results, summary = runner.run(runner.in_process(rules_only), [case, case.model_copy(update={"id": "k"})],
                                  judge=Judge(agent_service.settings))
    assert [r["turns"][0]["judge_score"] for r in results] == [4, None]
    assert summary["llm_judge_mean"] == 4 and results[0]["passed"]
