"""The evaluation suite as a regression gate: every case that passed in the baseline must still pass."""
import json

from evals import runner
from evals.assertions import check, money_values, tool_match, unsupported


def test_golden_cases_cover_what_the_suite_promises():
    cases = runner.load_cases()
    cats = {}
    for c in cases:
        cats[c.category] = cats.get(c.category, 0) + 1
    assert len(cases) >= 200
    assert cats["out_of_scope"] + cats.get("injection", 0) >= 25
    assert cats["multi_turn"] >= 20
    cited = {(t.expect["cite"]["doc"], t.expect["cite"]["section"]) for c in cases for t in c.all_turns()
             if isinstance(t.expect.get("cite"), dict)}
    assert {("measures", f"第{n}条") for n in "一二三四五六七八九十"} <= cited


def test_assertion_vocabulary():
    ans = {"answer": "算力券：**30万元**，即300,000元；比例70%。", "citations": [{"doc": "measures", "section": "第一条",
           "quote": "第二年按照实际使用费用的70%奖补", "doc_title": "t"}], "refused": False, "intent": "calculate",
           "tool_calls": [{"name": "compute_voucher_subsidy", "arguments": {"annual_spend": [300000]},
                           "result": {"amount": 300000}}], "follow_up": ["第3年的费用？"]}
    assert money_values(ans["answer"]) == {300000.0}
    results = check({"amounts": [300000], "percents": [70], "cite": {"doc": "measures", "section": "第一条"},
                     "refused": False, "contains": "算力券", "not_contains": "200%", "regex": r"\d+万元",
                     "tool": {"name": "compute_voucher_subsidy", "args": {"annual_spend": [[300000]]}},
                     "follow_up": "第3年"}, ans)
    assert all(r["ok"] for r in results), results
    assert not check({"amounts": [500000]}, ans)[0]["ok"]
    assert not tool_match({"name": "compute_voucher_subsidy", "args": {"annual_spend": [[1]]}}, ans["tool_calls"])[0]
    assert unsupported({**ans, "answer": "合计 12,345元"}, ["问题"]) == [12345.0]
    assert unsupported(ans, []) == []


def test_eval_suite_passes_the_baseline_gate(service, output_dir):
    results, summary = runner.run(runner.in_process(service))
    problems = runner.gate(results, summary, json.loads(runner.BASELINE.read_text(encoding="utf-8")))
    runner.write_report(results, summary, output_dir / "eval", problems)
    assert (output_dir / "eval" / "results.jsonl").exists() and (output_dir / "eval" / "report.html").exists()
    assert not problems, "\n".join(problems)
    assert summary["unsupported_number_rate"] == 0
    assert summary["refusal_recall"] == 1.0 and summary["false_refusal_rate"] == 0


def test_gate_catches_a_regression():
    results = [{"id": "a", "category": "x", "passed": False, "turns": []}]
    summary = {"pass_rate": 0.5, "unsupported_number_rate": 0.1}
    problems = runner.gate(results, summary, {"passed": ["a"], "metrics": {"pass_rate": 0.9,
                                                                           "unsupported_number_rate": 0.0}})
    assert any("a" in p for p in problems) and any("pass_rate" in p for p in problems)
    assert any("unsupported_number_rate" in p for p in problems)
