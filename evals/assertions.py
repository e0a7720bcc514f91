"""The assertion vocabulary of the golden cases."""
from __future__ import annotations

import re

from assistant.grounding import UNIT, unsupported  # noqa: F401  (unsupported is re-exported for the runner)

RE_MONEY = re.compile(r"(\d[\d,]*(?:\.\d+)?)\s*(亿|万)?\s*元")
RE_PERCENT = re.compile(r"(\d+(?:\.\d+)?)\s*%")

def money_values(text: str) -> set[float]:
    out = set()
    for num, unit in RE_MONEY.findall(text or ""):
        try:
            out.add(round(float(num.replace(",", "")) * UNIT.get(unit, 1), 2))
        except ValueError:
            continue
    return out


def _as_list(v) -> list:
    return v if isinstance(v, list) else [v]


def check(expect: dict, answer: dict) -> list[dict]:
    """Evaluate every assertion of one turn: [{name, ok, detail}]."""
    text = answer.get("answer", "")
    cites = [(c["doc"], c["section"]) for c in answer.get("citations", [])]
    results = []

    def add(name, ok, detail=""):
        results.append({"name": name, "ok": bool(ok), "detail": detail})

    for key, val in expect.items():
        if key == "contains":
            missing = [s for s in _as_list(val) if s not in text]
            add(key, not missing, f"缺少 {missing}" if missing else "")
        elif key == "contains_any":
            add(key, any(s in text for s in val), f"都没有 {val}")
        elif key == "not_contains":
            present = [s for s in _as_list(val) if s in text]
            add(key, not present, f"不应出现 {present}" if present else "")
        elif key == "regex":
            add(key, re.search(val, text) is not None, val)
        elif key == "amounts":
            have = money_values(text)
            missing = [a for a in _as_list(val) if round(float(a), 2) not in have]
            add(key, not missing, f"缺少金额 {missing}，回答中有 {sorted(have)[:8]}" if missing else "")
        elif key == "not_amounts":
            have = money_values(text)
            bad = [a for a in _as_list(val) if round(float(a), 2) in have]
            add(key, not bad, f"不应出现金额 {bad}" if bad else "")
        elif key == "percents":
            have = {float(x) for x in RE_PERCENT.findall(text)}
            missing = [p for p in _as_list(val) if float(p) not in have]
            add(key, not missing, f"缺少百分比 {missing}" if missing else "")
        elif key == "cite":
            wanted = [(c["doc"], c["section"]) for c in _as_list(val)]
            missing = [w for w in wanted if w not in cites]
            add(key, not missing, f"缺少引用 {missing}，实际 {cites}" if missing else "")
        elif key == "refused":
            add(key, answer.get("refused") is val, f"refused={answer.get('refused')}")
        elif key == "intent":
            add(key, answer.get("intent") in _as_list(val), f"intent={answer.get('intent')}")
        elif key == "tool":
            add(key, *tool_match(val, answer.get("tool_calls", [])))
        elif key == "no_tool":
            add(key, not answer.get("tool_calls"), f"不应调用工具：{[t['name'] for t in answer.get('tool_calls', [])]}")
        elif key == "follow_up":
            fu = " ".join(answer.get("follow_up", []))
            add(key, all(s in fu for s in _as_list(val)), f"follow_up={answer.get('follow_up')}")
        else:
            add(key, False, f"未知断言 {key}")
    return results


def tool_match(spec: dict, calls: list[dict]) -> tuple[bool, str]:
    """BFCL-style: the named tool was called; every listed argument is present and among the allowed values."""
    for call in calls:
        if call["name"] != spec["name"]:
            continue
        bad = []
        for arg, allowed in (spec.get("args") or {}).items():
            if arg not in call["arguments"]:
                bad.append(f"{arg} 缺失")
                continue
            value = call["arguments"][arg]
            listed = isinstance(allowed, list) and (not isinstance(value, list) or (allowed and isinstance(allowed[0], list)))
            options = allowed if listed else [allowed]
            if not any(_same(value, o) for o in options):
                bad.append(f"{arg}={value!r} 不在 {options!r}")
        if "amount" in spec and call["result"].get("amount") != spec["amount"]:
            bad.append(f"amount={call['result'].get('amount')} != {spec['amount']}")
        return (not bad, "；".join(bad))
    return False, f"未调用 {spec['name']}，实际 {[c['name'] for c in calls]}"


def _same(a, b) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return abs(float(a) - float(b)) < 1e-6
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return a == b
