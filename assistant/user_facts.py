"""The user's facts, as the understanding layer extracts them, and the check of a tool call's arguments
against them: the model may not invent a degree, an age or an amount and then quote the tool's answer.

`extract_user_facts` is the one adapter onto the understanding layer (`assistant.understand.extract_slots`): each
fact is typed and labelled (an age is an age, 50万 of spend is money), so a tool argument is checked against the
facts bound to its own field, never against a bag of every number typed (30岁 is not 30个月; 一人公司 says no 1).
Numbers count with their multiplicity: one 50万 is one year's spend, not three. The arguments the rules engine
itself would call the same tool with (`assistant.decide.plan` on the same message) are accepted too.
"""
from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from assistant.numerals import fixed_phrase_spans, mask, normalize, rules
from tools.registry import TOOLS

# Arguments that choose what to compute (which benefit, which checklist), not facts about the user.
SELECTORS = {"item", "entity_type", "needs", "plans", "query", "k", "step", "done"}
MONEY, LOOSE = "money", "loose"  # the pools of numbers a field without a typed fact of its own draws from
NUMBER_SLOTS = {"amounts": MONEY}  # policies.yaml `arguments: {investments: amounts}` means the user's money
RE_ORDINAL = re.compile(r"第\s*[0-9零〇一二两三四五六七八九十百]+")
RE_NUMBER = re.compile(r"[0-9][0-9,]*(?:\.[0-9]+)?|[零〇一二两三四五六七八九十百千万亿]+")


def _key(value: Any) -> Any:
    return round(float(value), 2) if isinstance(value, (int, float)) and not isinstance(value, bool) else value


@dataclass
class UserFacts:
    values: dict[str, Counter] = field(default_factory=dict)  # typed facts by understanding field name
    money: Counter = field(default_factory=Counter)  # amounts of money the user stated, with multiplicity
    loose: Counter = field(default_factory=Counter)  # numbers with no typed reading, outside fixed words
    messages: list[str] = field(default_factory=list)
    profile: dict = field(default_factory=dict)
    text: str = ""
    _references: dict[str, dict] = field(default_factory=dict)

    def add(self, key: str, value: Any) -> None:
        if value is None or value == [] or value == {}:
            return
        if key == "counts" and isinstance(value, dict):
            for name, v in value.items():
                self.add(name, v)
            return
        items = value.values() if isinstance(value, dict) else value if isinstance(value, (list, tuple)) else [value]
        self.values.setdefault(key, Counter()).update(_key(v) for v in items)

    def reference(self, tool: str) -> dict[str, list]:
        """The arguments the rules engine would call `tool` with for the latest message (and the profile)."""
        if tool not in self._references:
            self._references[tool] = _rules_arguments(tool, self.messages[-1] if self.messages else "", self.profile)
        return self._references[tool]


def _slots(message: str):
    from assistant.understand import extract_slots  # the understanding layer, behind this one adapter

    return extract_slots(message)


def _money(slots) -> Counter:
    """The money of one message: inputs, per-year amounts (the same figures again), rents, interest paid."""
    named = [slots.rent, slots.market_rent, slots.interest_paid, slots.orders_yuan]
    per = Counter(_key(a) for a in slots.amounts) | Counter(_key(a) for a in slots.annual.values())
    per |= Counter(_key(a) for a in named + list(slots.related_excluded) if a is not None)
    if slots.repeat_years and len(slots.amounts) == 1:  # 连续三年每年50万: three years of 50万
        per[_key(slots.amounts[0])] = max(per[_key(slots.amounts[0])], slots.repeat_years)
    return per


def _loose_numbers(message: str) -> Counter:
    """Numbers that no typed fact reads (3个场景), with fixed words (一人公司, 一网通办) and ordinals (第一) left
    out, and numbers with a unit left out (their typed fact is the only reading: 30岁 is an age)."""
    from assistant.understand import to_number

    spans = fixed_phrase_spans(message) + [m.span() for m in RE_ORDINAL.finditer(message)]
    text = mask(message, spans)
    units = rules()["quantity_units"] + ["个月", "平方", "平米", "㎡", "w", "W", "k", "K"]
    out: Counter = Counter()
    for m in RE_NUMBER.finditer(text):
        if any(text[m.end():].lstrip().startswith(u) for u in units):
            continue
        v = to_number(m.group(0))
        if v is not None:
            out[_key(v)] += 1
    return out


def extract_user_facts(user_messages: list[str], profile: dict | None = None) -> UserFacts:
    msgs = [normalize(m) for m in user_messages]
    facts = UserFacts(text="\n".join(msgs), messages=msgs, profile=dict(profile or {}))
    for msg in msgs:
        slots = _slots(msg)
        for key, value in slots.model_dump().items():
            facts.add(key, value)
        facts.money += _money(slots)
        facts.loose += _loose_numbers(msg)
    for key, value in facts.profile.items():  # the rules engine's profile, itself built from the user's words
        if key not in facts.values:
            facts.add(key, value)
    return facts


def _rules_arguments(tool: str, message: str, profile: dict) -> dict[str, list]:
    """What the rules engine's planner would pass to `tool` for this message, for every topic served by it."""
    from assistant.catalog import topic_tools
    from assistant.decide import plan
    from assistant.understand import understand

    u, out = understand(message), {}
    for topic, t in topic_tools().items():
        if t != tool:
            continue
        try:
            args = plan(topic, u, profile, {}).arguments
        except Exception:  # a planner that cannot plan this message gives no reference
            continue
        for k, v in args.items():
            out.setdefault(k, []).append(v)
    return out


def _binding(tool: str, key: str) -> list[str]:
    """Where a field's value may come from: typed facts by name (guard.yaml `argument_facts`, the benefit's
    `arguments` in policies.yaml, else the same name), or, for a field no fact is typed for, the money or loose pool."""
    from assistant.understand import RE_COUNT, Slots
    from tools.rules import policy_book

    mapped = rules().get("argument_facts", {}).get(key)
    for b in policy_book().benefits:
        if not mapped and b.params.get("tool") == tool and key in (b.params.get("arguments") or {}):
            mapped = [b.params["arguments"][key]]
    if mapped:
        return [NUMBER_SLOTS.get(m, m) for m in mapped]
    if key in Slots.model_fields or key in RE_COUNT:
        return [key]
    info = TOOLS[tool].input_model.model_fields.get(key) if tool in TOOLS else None
    return [MONEY] if info is not None and "float" in str(info.annotation) else [LOOSE]


def _flat(values: list) -> list:
    return [x for v in values for x in (v if isinstance(v, (list, tuple)) else [v])]


def _stated(key: str, value: Any, facts: UserFacts, ref: dict) -> bool:
    """A yes/no, a name or a date: one the user's facts (or the rules engine's own call) give for this field."""
    if value in facts.values.get(key, ()) or value in _flat(ref.get(key, [])):
        return True
    if isinstance(value, bool):
        return False
    if isinstance(value, (dt.date, dt.datetime)):
        return f"{value.year}年{value.month}月" in facts.text or value.isoformat()[:7] in facts.text
    return isinstance(value, str) and key != "degree" and normalize(value) in facts.text


def _number(tool: str, key: str, value: float, facts: UserFacts, ref: dict, used: dict[str, Counter]) -> bool:
    """A typed fact of this field, the rules engine's own argument, or one use of a number from the field's pool."""
    where = _binding(tool, key)
    typed = [w for w in where if w not in (MONEY, LOOSE)]
    if any(value in facts.values.get(t, ()) for t in typed):
        return True
    pools = [w for w in where if w in (MONEY, LOOSE)]
    if not pools:
        return value in [_key(x) for x in _flat(ref.get(key, []))]
    used.setdefault(pools[0], Counter())[(key, value)] += 1
    return True


def _pool_allowance(tool: str, facts: UserFacts, ref: dict) -> dict[str, Counter]:
    """How often each number may be used per pool: as often as the user said it, or the rules engine uses it."""
    allowed = {MONEY: Counter(facts.money), LOOSE: Counter(facts.loose)}
    for key, calls in ref.items():
        for pool in (w for w in _binding(tool, key) if w in allowed):
            for call in calls:
                allowed[pool] |= Counter(_key(x) for x in _flat([call]) if isinstance(x, (int, float)))
    return allowed


def check_arguments(tool: str, arguments: dict, facts: UserFacts) -> list[str]:
    """Arguments no user message supports and no default explains, worded for the retry prompt."""
    fields = TOOLS[tool].input_model.model_fields if tool in TOOLS else {}
    ref = facts.reference(tool) if tool in TOOLS else {}
    bad, used = [], {}
    for key, value in arguments.items():
        f = fields.get(key)
        if value is None or key in SELECTORS or (f is not None and not f.is_required() and value == f.default):
            continue
        for item in _flat([value]):
            if isinstance(item, (int, float)) and not isinstance(item, bool):
                ok = _number(tool, key, _key(item), facts, ref, used)
            else:
                ok = _stated(key, item, facts, ref)
            if not ok:
                bad.append(f"{key}={item:g}" if isinstance(item, float) else f"{key}={item}")
    allowed = _pool_allowance(tool, facts, ref)
    for pool, counts in used.items():
        total, keys = Counter(), {}
        for (key, value), n in counts.items():
            total[value] += n
            keys.setdefault(value, key)
            if value not in allowed[pool]:
                bad.append(f"{key}={value:g}")
        bad += [f"{keys[value]} 中的 {value:g}（用了{n}次，用户只说过{allowed[pool][value]}次）"
                for value, n in total.items() if value in allowed[pool] and n > allowed[pool][value]]
    return [f"工具 {tool} 的参数 {b} 在用户的话中没有依据" for b in dict.fromkeys(bad)]
