"""Generate docs/tools.md, the table of worked examples, from the YAML situations by running the tools.

    python -m tools.worked_examples > docs/tools.md
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

import yaml

from tools.money import yuan
from tools.registry import TOOLS, run_tool

SITUATIONS = Path(__file__).resolve().parent.parent / "tests" / "situations"


def load_situations(folder: Path = SITUATIONS) -> list[dict]:
    cases = []
    for path in sorted(folder.glob("*.yaml")):
        cases.extend(yaml.safe_load(path.read_text(encoding="utf-8")) or [])
    return cases


def _headline(r: dict) -> str:
    if r["tool"].startswith("check_") and r["tool"] != "check_guaranteed_loan":
        return {True: "符合", False: "不符合", None: "待确认"}[r["eligible"]]
    if r["eligible"] is False:
        return "不符合"
    if r.get("readings"):
        return "；".join(f"{x['reading']}最高{yuan(x['amount'])}" for x in r["readings"])
    if r["amount"] is not None:
        return ("最高" if r["kind"] == "up_to" else "") + yuan(r["amount"])
    if r.get("max_amount"):
        return f"最高{yuan(r['max_amount'])}"
    return "—"


def render(cases: list[dict]) -> str:
    lines = ["# 工具与算例", "", "本页由 `python -m tools.worked_examples` 根据 `tests/situations/*.yaml` 运行工具生成，请勿手改。",
             "金额单位：元，每一步都按分（0.01元）四舍五入，所以列出的各步相加等于合计。本政策为征求意见稿。",
             "多年的项目（算力券、生活补贴、免租、贴息）从开始日期（不填按当天）起只计到有效期末2028年12月31日；"
             "本页未写开始日期的算例按2026年1月1日起算。", ""]
    lines += ["| 工具 | 说明 |", "|---|---|"]
    lines += [f"| `{t.name}` | {t.description} |" for t in TOOLS.values()]
    lines += ["", "| 情形 | 工具 | 输入 | 结果 | 计算过程 | 条款 |", "|---|---|---|---|---|---|"]
    for c in cases:
        r = run_tool(c["tool"], c["input"])
        args = "，".join(f"{k}={'、'.join(map(str, v)) if isinstance(v, list) else v}"
                        for k, v in c["input"].items()) or "（无）"
        steps = "；".join(f"{s['label']}：{s['formula']}" for s in r["breakdown"]) or (r.get("reason") or "")
        if r["conditions"] and r["tool"] == "check_community_recognition":
            steps = r.get("reason") or ""
        lines.append(f"| {c['name']} | `{c['tool']}` | {args} | {_headline(r)} | {steps.replace('|', '/')} | "
                     f"{r['article']['section']} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    os.environ.setdefault("OPC_TODAY", "2026-01-01")  # the same as-of date as the tests (tests/conftest.py)
    sys.stdout.write(render(load_situations()))
