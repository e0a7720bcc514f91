"""Run the golden cases in-process or against a server, score them, write results, and gate against the baseline."""
from __future__ import annotations

import html
import json
import statistics
import time
from pathlib import Path
from typing import Any, Callable

import yaml
from pydantic import BaseModel, Field

from evals.assertions import check, unsupported
from evals.heading_check import no_bare_heading

CASES_DIR = Path(__file__).parent / "cases"
BASELINE = Path(__file__).parent / "baseline.json"
# How far a metric may fall below the baseline before the gate fails (absolute).
TOLERANCES = {"pass_rate": 0.0, "citation_recall": 0.01, "citation_precision": 0.02, "tool_accuracy": 0.0,
              "refusal_recall": 0.0, "retrieval_hit_at_3": 0.01, "retrieval_mrr": 0.02}
CEILINGS = {"unsupported_number_rate": 0.0, "false_refusal_rate": 0.0}  # may not rise above the baseline

Ask = Callable[[str, str | None], dict]


class Turn(BaseModel):
    q: str
    expect: dict[str, Any] = Field(default_factory=dict)


class EvalCase(BaseModel):
    id: str
    category: str
    q: str | None = None
    expect: dict[str, Any] = Field(default_factory=dict)
    turns: list[Turn] | None = None
    note: str = ""

    def all_turns(self) -> list[Turn]:
        return self.turns or [Turn(q=self.q or "", expect=self.expect)]


def load_cases(folder: Path = CASES_DIR) -> list[EvalCase]:
    cases: list[EvalCase] = []
    for path in sorted(folder.glob("*.yaml")):
        for raw in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            cases.append(EvalCase(**raw))
    ids = [c.id for c in cases]
    dup = {i for i in ids if ids.count(i) > 1}
    if dup:
        raise ValueError(f"重复的用例 id：{sorted(dup)}")
    return cases


def in_process(service) -> Ask:
    return lambda q, sid: service.chat(q, sid).model_dump(mode="json")


def over_http(url: str) -> Ask:
    import httpx

    client = httpx.Client(base_url=url.rstrip("/"), timeout=120)

    def ask(q, sid):
        r = client.post("/api/chat", json={"message": q, "session_id": sid})
        r.raise_for_status()
        return r.json()

    return ask


def run_case(case: EvalCase, ask: Ask, judge=None) -> dict:
    sid, turns, users = None, [], []
    for turn in case.all_turns():
        users.append(turn.q)
        t0 = time.perf_counter()
        try:
            ans = ask(turn.q, sid)
        except Exception as exc:  # a crash is a failed case, not a failed run
            ans = {"answer": "", "citations": [], "tool_calls": [], "refused": None, "error": repr(exc)}
        elapsed = (time.perf_counter() - t0) * 1000
        sid = ans.get("session_id", sid)
        checks = check(turn.expect, ans) + no_bare_heading(ans)
        if "error" in ans:
            checks.append({"name": "no_error", "ok": False, "detail": ans["error"]})
        turns.append({"q": turn.q, "expect": turn.expect, "answer": ans.get("answer"), "citations": ans.get("citations"),
                      "tool_calls": [{"name": t["name"], "arguments": t["arguments"]} for t in ans.get("tool_calls", [])],
                      "refused": ans.get("refused"), "intent": ans.get("intent"), "engine": ans.get("engine"),
                      "checks": checks, "unsupported_numbers": unsupported(ans, users) if ans.get("answer") else [],
                      "latency_ms": round(elapsed, 2), "_raw_tools": ans.get("tool_calls", []),
                      "judge_score": judge.score(turn.q, ans.get("answer", ""), ans.get("citations") or [])
                      if judge and ans.get("answer") and not ans.get("refused") else None})
    passed = all(c["ok"] for t in turns for c in t["checks"])
    return {"id": case.id, "category": case.category, "passed": passed, "turns": turns}


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    s = sorted(values)
    return round(s[min(len(s) - 1, int(round(q * (len(s) - 1))))], 2)


def metrics(results: list[dict]) -> dict:
    by_cat: dict[str, list[bool]] = {}
    for r in results:
        by_cat.setdefault(r["category"], []).append(r["passed"])
    turns = [t for r in results for t in r["turns"]]
    cite_turns = [t for t in turns if "cite" in t["expect"]]
    ranks, precisions, recalls = [], [], []
    for t in cite_turns:
        wanted = [(c["doc"], c["section"]) for c in (t["expect"]["cite"] if isinstance(t["expect"]["cite"], list)
                                                    else [t["expect"]["cite"]])]
        got = [(c["doc"], c["section"]) for c in (t["citations"] or [])]
        rank = next((i + 1 for i, g in enumerate(got) if g in wanted), None)
        ranks.append(rank)
        recalls.append(sum(w in got for w in wanted) / len(wanted))
        if got:
            precisions.append(sum(g in wanted for g in dict.fromkeys(got)) / len(dict.fromkeys(got)))
    tool_turns = [t for t in turns if "tool" in t["expect"]]
    tool_ok = [next(c["ok"] for c in t["checks"] if c["name"] == "tool") for t in tool_turns]
    refuse_expected = [t for t in turns if t["expect"].get("refused") is True]
    not_refuse = [t for t in turns if t["expect"].get("refused") is False or
                  ("refused" not in t["expect"] and ("cite" in t["expect"] or "tool" in t["expect"]))]
    answered = [t for t in turns if t["answer"]]
    lat = [t["latency_ms"] for t in turns]
    n = len(results) or 1
    return {
        "cases": len(results), "turns": len(turns), "passed": sum(r["passed"] for r in results),
        "pass_rate": round(sum(r["passed"] for r in results) / n, 4),
        "by_category": {k: {"cases": len(v), "passed": sum(v), "pass_rate": round(sum(v) / len(v), 4)}
                        for k, v in sorted(by_cat.items())},
        "retrieval_hit_at_1": round(sum(1 for r in ranks if r == 1) / (len(ranks) or 1), 4),
        "retrieval_hit_at_3": round(sum(1 for r in ranks if r and r <= 3) / (len(ranks) or 1), 4),
        "retrieval_mrr": round(sum(1 / r for r in ranks if r) / (len(ranks) or 1), 4),
        "citation_precision": round(statistics.mean(precisions), 4) if precisions else 0.0,
        "citation_recall": round(statistics.mean(recalls), 4) if recalls else 0.0,
        "tool_accuracy": round(sum(tool_ok) / (len(tool_ok) or 1), 4),
        "unsupported_number_rate": round(sum(1 for t in answered if t["unsupported_numbers"]) / (len(answered) or 1), 4),
        "refusal_recall": round(sum(1 for t in refuse_expected if t["refused"]) / (len(refuse_expected) or 1), 4),
        "false_refusal_rate": round(sum(1 for t in not_refuse if t["refused"]) / (len(not_refuse) or 1), 4),
        "latency_ms_p50": percentile(lat, 0.5), "latency_ms_p95": percentile(lat, 0.95),
        "llm_judge_mean": (round(statistics.mean(js), 2) if (js := [t["judge_score"] for t in turns
                                                                   if t.get("judge_score")]) else None),
    }


def run(ask: Ask, cases: list[EvalCase] | None = None, progress: Callable[[int, int], None] | None = None,
        judge=None) -> tuple[list[dict], dict]:
    cases = cases if cases is not None else load_cases()
    results = []
    for i, case in enumerate(cases, 1):
        results.append(run_case(case, ask, judge))
        if progress:
            progress(i, len(cases))
    return results, metrics(results)


def gate(results: list[dict], summary: dict, baseline: dict) -> list[str]:
    """What got worse than the committed baseline (empty list: the gate passes)."""
    problems = []
    now_passed = {r["id"] for r in results if r["passed"]}
    known = {r["id"] for r in results}
    for cid in baseline.get("passed", []):
        if cid in known and cid not in now_passed:
            problems.append(f"用例回退：{cid}")
    for key, tol in TOLERANCES.items():
        if key in baseline.get("metrics", {}) and summary[key] < baseline["metrics"][key] - tol:
            problems.append(f"指标下降：{key} {summary[key]} < 基线 {baseline['metrics'][key]}（容差 {tol}）")
    for key, tol in CEILINGS.items():
        if key in baseline.get("metrics", {}) and summary[key] > baseline["metrics"][key] + tol:
            problems.append(f"指标上升：{key} {summary[key]} > 基线 {baseline['metrics'][key]}")
    return problems


def baseline_from(results: list[dict], summary: dict) -> dict:
    keep = set(TOLERANCES) | set(CEILINGS)
    return {"passed": sorted(r["id"] for r in results if r["passed"]),
            "metrics": {k: v for k, v in summary.items() if k in keep}, "tolerances": TOLERANCES}


def write_report(results: list[dict], summary: dict, out: Path, problems: list[str] | None = None) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with (out / "results.jsonl").open("w", encoding="utf-8") as f:
        for r in results:
            clean = {**r, "turns": [{k: v for k, v in t.items() if not k.startswith("_")} for t in r["turns"]]}
            f.write(json.dumps(clean, ensure_ascii=False) + "\n")
    (out / "summary.json").write_text(json.dumps({**summary, "gate_problems": problems or []}, ensure_ascii=False,
                                                 indent=1), encoding="utf-8")
    (out / "report.md").write_text(_markdown(results, summary, problems or []), encoding="utf-8")
    (out / "report.html").write_text(_html(results, summary, problems or []), encoding="utf-8")


METRIC_LABELS = [("pass_rate", "通过率"), ("retrieval_hit_at_3", "引用命中@3"), ("retrieval_mrr", "引用MRR"),
                 ("citation_precision", "引用精确率"), ("citation_recall", "引用召回率"), ("tool_accuracy", "工具调用准确率"),
                 ("unsupported_number_rate", "无出处数字比例（目标0）"), ("refusal_recall", "拒答召回率"),
                 ("false_refusal_rate", "误拒率"), ("latency_ms_p50", "延迟p50（ms）"), ("latency_ms_p95", "延迟p95（ms）"),
                 ("llm_judge_mean", "大模型评审均分（仅参考，不把关）")]


def _markdown(results, s, problems) -> str:
    lines = ["# 评测报告", "", f"用例 {s['cases']} 个（{s['turns']} 轮），通过 {s['passed']} 个。", "", "| 指标 | 数值 |", "|---|---|"]
    lines += [f"| {label} | {s[key]} |" for key, label in METRIC_LABELS]
    lines += ["", "| 类别 | 用例 | 通过 | 通过率 | |", "|---|---|---|---|---|"]
    for cat, v in s["by_category"].items():
        lines.append(f"| {cat} | {v['cases']} | {v['passed']} | {v['pass_rate']:.0%} | {'█' * round(v['pass_rate'] * 20)} |")
    if problems:
        lines += ["", "## 门禁未通过", *[f"- {p}" for p in problems]]
    failed = [r for r in results if not r["passed"]]
    if failed:
        lines += ["", "## 未通过的用例"]
        for r in failed:
            for t in r["turns"]:
                bad = [c for c in t["checks"] if not c["ok"]]
                if bad:
                    lines.append(f"- `{r['id']}` {t['q']}：" + "；".join(f"{c['name']} {c['detail']}" for c in bad))
    return "\n".join(lines) + "\n"


def _html(results, s, problems) -> str:
    e = html.escape
    bars = []
    for i, (cat, v) in enumerate(s["by_category"].items()):
        w = int(v["pass_rate"] * 400)
        color = "#2e7d32" if v["pass_rate"] == 1 else ("#f9a825" if v["pass_rate"] >= 0.8 else "#c62828")
        bars.append(f"<text x='0' y='{i * 26 + 17}' font-size='13'>{e(cat)}</text>"
                    f"<rect x='140' y='{i * 26 + 4}' width='{w}' height='18' fill='{color}'/>"
                    f"<text x='{146 + w}' y='{i * 26 + 17}' font-size='12'>{v['passed']}/{v['cases']}</text>")
    svg = f"<svg width='620' height='{len(bars) * 26 + 8}' role='img' aria-label='按类别的通过率'>{''.join(bars)}</svg>"
    rows = "".join(f"<tr><td>{e(label)}</td><td>{s[key]}</td></tr>" for key, label in METRIC_LABELS)
    failed = "".join(
        f"<li><code>{e(r['id'])}</code> {e(t['q'])}：{e('；'.join(c['name'] + ' ' + c['detail'] for c in t['checks'] if not c['ok']))}</li>"
        for r in results if not r["passed"] for t in r["turns"] if any(not c["ok"] for c in t["checks"]))
    gate_html = "".join(f"<li>{e(p)}</li>" for p in problems)
    return f"""<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>评测报告</title>
<style>body{{font-family:sans-serif;max-width:900px;margin:20px auto;padding:0 12px}}td{{padding:3px 10px;border-bottom:1px solid #eee}}</style>
</head><body><h1>评测报告</h1><p>用例 {s['cases']} 个（{s['turns']} 轮），通过 {s['passed']} 个（{s['pass_rate']:.1%}）。</p>
<h2>按类别的通过率</h2>{svg}<h2>指标</h2><table>{rows}</table>
{f'<h2>门禁未通过</h2><ul>{gate_html}</ul>' if problems else ''}{f'<h2>未通过的用例</h2><ul>{failed}</ul>' if failed else ''}
</body></html>"""
