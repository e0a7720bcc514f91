"""Evaluation reports: dev and test side by side with the gap, per class, wrong amounts, failed cases; md, html, jsonl."""
from __future__ import annotations

import html
import json
from pathlib import Path

Runs = dict[str, tuple[list[dict], dict]]  # split -> (results, summary)

METRIC_LABELS = [("pass_rate", "通过率"), ("wrong_amounts", "错误金额（门禁：0）"), ("wrong_refusals", "误拒次数"),
                 ("tool_accuracy", "工具调用准确率"), ("tool_arg_accuracy", "工具参数准确率"),
                 ("tool_arg_errors", "工具参数错误"), ("retrieval_hit_at_1", "引用命中@1"),
                 ("retrieval_hit_at_3", "引用命中@3"), ("retrieval_mrr", "引用MRR"),
                 ("citation_precision", "引用精确率"), ("citation_recall", "引用召回率"),
                 ("unsupported_number_rate", "无出处数字比例（目标0）"), ("refusal_recall", "拒答召回率"),
                 ("false_refusal_rate", "误拒率"), ("latency_ms_p50", "延迟p50（ms）"), ("latency_ms_p95", "延迟p95（ms）"),
                 ("llm_judge_mean", "大模型评审均分（仅参考，不把关）")]


def metric_rows(runs: Runs) -> list[tuple[str, list, str]]:
    """(label, value per split, gap test−dev) for every metric."""
    splits = list(runs)
    rows = []
    for key, label in METRIC_LABELS:
        vals = [runs[s][1].get(key) for s in splits]
        gap = ""
        if len(vals) == 2 and all(isinstance(v, (int, float)) for v in vals):
            gap = f"{vals[1] - vals[0]:+.4g}"
        rows.append((label, vals, gap))
    return rows


def class_rows(runs: Runs) -> list[tuple[str, list[str]]]:
    cats = sorted({c for _, s in runs.values() for c in s["by_category"]})
    out = []
    for cat in cats:
        cells = []
        for split in runs:
            v = runs[split][1]["by_category"].get(cat)
            cells.append(f"{v['passed']}/{v['cases']} ({v['pass_rate']:.0%})" if v else "—")
        out.append((cat, cells))
    return out


def _failures(results: list[dict]) -> list[tuple[str, str, str]]:
    return [(r["id"], t["q"], "；".join(f"{c['name']} {c['detail']}" for c in t["checks"] if not c["ok"]))
            for r in results if not r["passed"] for t in r["turns"] if any(not c["ok"] for c in t["checks"])]


def write_report(runs: Runs, out: Path, problems: list[str] | None = None, retrieval: dict | None = None) -> None:
    """results.jsonl, summary.json, report.md and report.html under `out`."""
    out.mkdir(parents=True, exist_ok=True)
    with (out / "results.jsonl").open("w", encoding="utf-8") as f:
        for split, (results, _) in runs.items():
            for r in results:
                clean = {**r, "split": split,
                         "turns": [{k: v for k, v in t.items() if not k.startswith("_")} for t in r["turns"]]}
                f.write(json.dumps(clean, ensure_ascii=False) + "\n")
    summary = {split: s for split, (_, s) in runs.items()}
    (out / "summary.json").write_text(json.dumps({**summary, "retrieval": retrieval or {}, "gate_problems": problems or []},
                                                 ensure_ascii=False, indent=1), encoding="utf-8")
    (out / "report.md").write_text(markdown(runs, problems or [], retrieval or {}), encoding="utf-8")
    (out / "report.html").write_text(page(runs, problems or [], retrieval or {}), encoding="utf-8")


def retrieval_rows(retrieval: dict) -> list[tuple[str, list[str]]]:
    """retrieval: split -> [MethodScore dicts]; rows of method -> 'hit@1 / hit@3 / MRR' per split."""
    methods = list(dict.fromkeys(m["method"] for scores in retrieval.values() for m in scores))
    rows = []
    for method in methods:
        cells = []
        for split in retrieval:
            m = next((x for x in retrieval[split] if x["method"] == method), None)
            cells.append(f"{m['hit_at_1']:.3f} / {m['hit_at_3']:.3f} / {m['mrr_at_10']:.3f}" if m else "—")
        rows.append((method, cells))
    return rows


def markdown(runs: Runs, problems: list[str], retrieval: dict) -> str:
    splits = list(runs)
    head = " | ".join(splits)
    lines = ["# 评测报告", ""]
    lines += [f"- {s}：用例 {runs[s][1]['cases']} 个（{runs[s][1]['turns']} 轮），通过 {runs[s][1]['passed']} 个" for s in splits]
    lines += ["", f"| 指标 | {head} | 差距（test−dev） |", "|---|" + "---|" * len(splits) + "---|"]
    lines += [f"| {label} | {' | '.join(str(v) for v in vals)} | {gap} |" for label, vals, gap in metric_rows(runs)]
    lines += ["", f"| 类别 | {head} |", "|---|" + "---|" * len(splits)]
    lines += [f"| {cat} | {' | '.join(cells)} |" for cat, cells in class_rows(runs)]
    if retrieval:
        lines += ["", "## 检索（hit@1 / hit@3 / MRR@10）", "", f"| 方法 | {' | '.join(retrieval)} |",
                  "|---|" + "---|" * len(retrieval)]
        lines += [f"| {m} | {' | '.join(cells)} |" for m, cells in retrieval_rows(retrieval)]
    if problems:
        lines += ["", "## 门禁未通过", *[f"- {p}" for p in problems]]
    for split in splits:
        failed = _failures(runs[split][0])
        if failed:
            lines += ["", f"## 未通过的用例（{split}）"] + [f"- `{i}` {q}：{d}" for i, q, d in failed]
    return "\n".join(lines) + "\n"


def _bars(summary: dict) -> str:
    e = html.escape
    bars = []
    for i, (cat, v) in enumerate(summary["by_category"].items()):
        w = int(v["pass_rate"] * 400)
        color = "#2e7d32" if v["pass_rate"] == 1 else ("#f9a825" if v["pass_rate"] >= 0.8 else "#c62828")
        bars.append(f"<text x='0' y='{i * 26 + 17}' font-size='13'>{e(cat)}</text>"
                    f"<rect x='150' y='{i * 26 + 4}' width='{w}' height='18' fill='{color}'/>"
                    f"<text x='{156 + w}' y='{i * 26 + 17}' font-size='12'>{v['passed']}/{v['cases']}</text>")
    return f"<svg width='640' height='{len(bars) * 26 + 8}' role='img' aria-label='按类别的通过率'>{''.join(bars)}</svg>"


def _table(header: list[str], rows: list[list]) -> str:
    e = html.escape
    th = "".join(f"<th>{e(str(h))}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{e(str(c))}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><tr>{th}</tr>{body}</table>"


def page(runs: Runs, problems: list[str], retrieval: dict) -> str:
    e = html.escape
    splits = list(runs)
    metrics = _table(["指标", *splits, "差距（test−dev）"], [[label, *vals, gap] for label, vals, gap in metric_rows(runs)])
    classes = _table(["类别", *splits], [[cat, *cells] for cat, cells in class_rows(runs)])
    charts = "".join(f"<h3>{e(s)}</h3>{_bars(runs[s][1])}" for s in splits)
    retr = (f"<h2>检索（hit@1 / hit@3 / MRR@10）</h2>"
            f"{_table(['方法', *retrieval], [[m, *cells] for m, cells in retrieval_rows(retrieval)])}" if retrieval else "")
    gate_html = f"<h2>门禁未通过</h2><ul>{''.join(f'<li>{e(p)}</li>' for p in problems)}</ul>" if problems else ""
    failed = "".join(f"<h2>未通过的用例（{e(s)}）</h2><ul>" + "".join(
        f"<li><code>{e(i)}</code> {e(q)}：{e(d)}</li>" for i, q, d in _failures(runs[s][0])) + "</ul>" for s in splits)
    return f"""<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>评测报告</title>
<style>body{{font-family:sans-serif;max-width:960px;margin:20px auto;padding:0 12px}}td,th{{padding:3px 10px;border-bottom:1px solid #eee;text-align:left}}</style>
</head><body><h1>评测报告</h1><h2>指标（dev 与 test 并列）</h2>{metrics}<h2>按类别的通过率</h2>{classes}{charts}
{retr}{gate_html}{failed}</body></html>"""
