"""The evaluation suite as a regression gate: every case that passed in the baseline must still pass."""
import json

import pytest

from evals import report, runner
from evals.assertions import check, headline_amounts, money_values, tool_match, unsupported, wrong_amount


def test_golden_cases_cover_what_the_suite_promises():
    cases = runner.load_cases("dev")
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


@pytest.fixture(scope="module")
def eval_runs(service):
    return {split: runner.run(runner.in_process(service), runner.load_cases(split)) for split in runner.SPLITS}


def test_eval_suite_passes_the_gate_on_both_splits(eval_runs, output_dir):
    """Zero wrong amounts in either split; no metric below the committed baseline (with its stated tolerance)."""
    baseline = runner.load_baseline()
    problems = [f"[{s}] {p}" for s in eval_runs for p in runner.gate(eval_runs[s][1], baseline.get(s, {}))]
    report.write_report(eval_runs, output_dir / "eval", problems)
    assert (output_dir / "eval" / "results.jsonl").exists() and (output_dir / "eval" / "report.html").exists()
    assert not problems, "\n".join(problems)
    for split, (_, summary) in eval_runs.items():
        assert summary["wrong_amounts"] == 0, (split, summary["wrong_amount_ids"])
        assert summary["unsupported_number_rate"] == 0, split


def test_report_shows_dev_and_test_side_by_side_with_the_gap(eval_runs, tmp_path):
    report.write_report(eval_runs, tmp_path)
    md = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert "| 指标 | dev | test | 差距（test−dev） |" in md and "错误金额" in md and "工具参数准确率" in md
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "<th>dev</th><th>test</th>" in page and "<svg" in page


def test_gate_catches_a_regression_and_any_wrong_amount():
    summary = {"pass_rate": 0.5, "unsupported_number_rate": 0.1, "wrong_amounts": 1, "wrong_amount_ids": ["t-1"]}
    problems = runner.gate(summary, {"metrics": {"pass_rate": 0.9, "unsupported_number_rate": 0.0}})
    assert any("pass_rate" in p for p in problems) and any("unsupported_number_rate" in p for p in problems)
    assert any("wrong_amounts" in p and "t-1" in p for p in problems)
    assert runner.regressions([{"id": "a", "passed": False}], {"passed": ["a"]}) == ["a"]


def test_wrong_amount_reads_the_bold_headline():
    ans = {"answer": "青年人才生活补贴：每月**2,000元**，36个月合计**72,000元**。封顶最高10万元。", "tool_calls": []}
    assert headline_amounts(ans["answer"]) == {2000.0, 72000.0}
    assert wrong_amount({"result": 72000}, ans) == ""
    assert "108000" in wrong_amount({"result": 108000}, ans).replace(".0", "")
    assert wrong_amount({"eligible": False}, ans)  # a positive result shown to someone who does not qualify
    assert wrong_amount({"asks": True}, {"answer": "请问您的学历是？", "follow_up": ["学历？"]}) == ""
    assert wrong_amount({"result": 5}, {"answer": "没有加粗的金额 5元"}) == ""  # no headline: not a wrong amount
    assert check({"result": 72000, "cite_any": [{"doc": "m", "section": "x"}, {"doc": "measures", "section": "第九条"}]},
                 {**ans, "citations": [{"doc": "measures", "section": "第九条"}]}) == [
        {"name": "result", "ok": True, "detail": ""}, {"name": "cite_any", "ok": True,
                                                        "detail": "引用应含其一 [('m', 'x'), ('measures', '第九条')]，实际 [('measures', '第九条')]"}]


def test_no_expectation_is_a_string_only_the_engine_writes():
    """Meaning checks, not wording: every expected phrase is policy text, policy/checklist data or the user's words."""
    from tests.conftest import CORPUS, REPO

    allowed = CORPUS.read_text(encoding="utf-8") + "".join(
        (REPO / "knowledge" / f).read_text(encoding="utf-8") for f in ("checklists.yaml", "policies.yaml"))
    for split in runner.SPLITS:
        for case in runner.load_cases(split):
            for turn in case.all_turns():
                for key in ("contains", "contains_any"):
                    if key not in turn.expect:
                        continue
                    val = turn.expect[key]
                    phrases = [str(p) for p in (val if isinstance(val, list) else [val])]
                    if key == "contains_any":
                        assert any(p in allowed or p in turn.q or _is_amount(p) for p in phrases), (case.id, phrases)
                    else:
                        bad = [p for p in phrases if p not in allowed and p not in turn.q and not _is_amount(p)]
                        assert not bad, (case.id, bad)


def _is_amount(phrase: str) -> bool:
    return bool(money_values(phrase)) or phrase.replace(",", "").replace("%", "").isdigit()


def test_a_date_written_in_a_case_stays_text(tmp_path, monkeypatch):
    """YAML reads 2028-12-31 as a date; a case means the phrase (the report would fail to serialise it)."""
    from evals import runner

    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "c.yaml").write_text("- {id: d1, category: policy, q: 有效期到哪天, expect: {contains_any: [2028-12-31]}}\n",
                                           encoding="utf-8")
    monkeypatch.setattr(runner, "CASES_DIR", tmp_path)
    assert runner.load_cases("x")[0].expect["contains_any"] == ["2028-12-31"]
