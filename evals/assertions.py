"""The assertion vocabulary of the golden cases."""
from __future__ import annotations

import re

from assistant.grounding import UNIT, unsupported  # noqa: F401  (unsupported is re-exported for the runner)

RE_MONEY = re.compile(r"(\d[\d,]*(?:\.\d+)?)\s*(亿|万)?\s*元")
RE_PERCENT = re.compile(r"(\d+(?:\.\d+)?)\s*%")
RE_BOLD = re.compile(r"\*\*(.+?)\*\*", re.S)
# The assistant asked something back: a question mark addressed to the user, or a follow-up it needs answered.
RE_QUESTION = re.compile(r"[？?]")

def money_values(text: str) -> set[float]:
    out = set()
    for num, unit in RE_MONEY.findall(text or ""):
        try:
            out.add(round(float(num.replace(",", "")) * UNIT.get(unit, 1), 2))
        except ValueError:
            continue
    return out


def headline_amounts(text: str) -> set[float]:
    """Amounts the answer presents as results: money inside **bold** (the headline convention of every surface)."""
    out: set[float] = set()
    for seg in RE_BOLD.findall(text or ""):
        out |= money_values(seg)
    return out


def wrong_amount(expect: dict, answer: dict) -> str:
    """Why the answer presents a wrong amount as its result ('' when it does not).

    Wrong means: a result is expected and the answer's headline amounts exist but none is it; or the person does not
    qualify / a question back is expected and the answer presents a positive amount as the result anyway."""
    heads = {a for a in headline_amounts(answer.get("answer", "")) if a > 0}
    if "result" in expect:
        wanted = {round(float(a), 2) for a in _as_list(expect["result"])}
        if heads and not wanted & heads:
            return f"标题金额 {sorted(heads)} 不是 {sorted(wanted)}"
        return ""
    if (expect.get("eligible") is False or expect.get("asks") is True) and heads:
        return f"不应给出金额结果，却给了 {sorted(heads)}"
    return ""


def _cites(val) -> list[tuple[str, str]]:
    return [(c["doc"], c["section"]) for c in _as_list(val)]


def _asked(answer: dict) -> bool:
    return bool(answer.get("follow_up")) or bool(RE_QUESTION.search(answer.get("answer", "")))


def _as_list(v) -> list:
    return v if isinstance(v, list) else [v]


def _texts(v) -> list[str]:
    """Expected phrases as strings (YAML reads a bare 1000 as a number)."""
    return [str(x) for x in _as_list(v)]


def check(expect: dict, answer: dict) -> list[dict]:
    """Evaluate every assertion of one turn: [{name, ok, detail}]."""
    text = answer.get("answer", "")
    cites = [(c["doc"], c["section"]) for c in answer.get("citations", [])]
    results = []

    def add(name, ok, detail=""):
        results.append({"name": name, "ok": bool(ok), "detail": detail})

    for key, val in expect.items():
        if key == "contains":
            missing = [s for s in _texts(val) if s not in text]
            add(key, not missing, f"缺少 {missing}" if missing else "")
        elif key == "contains_any":
            add(key, any(s in text for s in _texts(val)), f"都没有 {val}")
        elif key == "not_contains":
            present = [s for s in _texts(val) if s in text]
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
        elif key in ("cite", "cite_all"):
            missing = [w for w in _cites(val) if w not in cites]
            add(key, not missing, f"缺少引用 {missing}，实际 {cites}" if missing else "")
        elif key == "cite_any":
            add(key, any(w in cites for w in _cites(val)), f"引用应含其一 {_cites(val)}，实际 {cites}")
        elif key == "result":
            heads = headline_amounts(text) or money_values(text)
            missing = [a for a in _as_list(val) if round(float(a), 2) not in heads]
            add(key, not missing and not wrong_amount(expect, answer),
                wrong_amount(expect, answer) or (f"缺少结果金额 {missing}" if missing else ""))
        elif key == "asks":
            add(key, _asked(answer) is bool(val) and not wrong_amount(expect, answer),
                wrong_amount(expect, answer) or f"应{'追问' if val else '直接回答'}，follow_up={answer.get('follow_up')}")
        elif key == "eligible":
            positive = any(a > 0 for a in headline_amounts(text))
            tool_says = [t.get("result", {}).get("eligible") for t in answer.get("tool_calls", [])]
            ok = (not positive and True not in tool_says) if val is False else (positive or True in tool_says)
            add(key, ok, wrong_amount(expect, answer) or f"eligible 应为 {val}")
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
