"""The user's facts, as the understanding layer extracts them, and the check of a tool call's arguments
against them: the model may not invent a degree, an age or an amount and then quote the tool's answer.

`extract_user_facts` is the one adapter onto the understanding layer (today `assistant.understand.extract_slots`):
it takes the conversation's user messages and returns what they state. Numbers a user typed are facts about
the user's own situation (spend, age, area), usable as tool inputs, never as a policy amount in the answer.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from assistant.grounding import number_values
from assistant.numerals import normalize
from tools.registry import TOOLS

# Arguments that choose what to compute (which benefit, which checklist), not facts about the user.
SELECTORS = {"item", "entity_type", "needs", "plans", "query", "k"}
FACT_KEYS = ("degree", "full_time", "age", "district", "role", "rating", "level", "prize", "competition", "borrower",
             "related_party", "first_listing", "landed_in_yancheng", "first_social_insurance_in_yancheng")


@dataclass
class UserFacts:
    numbers: set[float] = field(default_factory=set)
    values: dict[str, set] = field(default_factory=dict)
    text: str = ""

    def add(self, key: str, value: Any) -> None:
        if value is None:
            return
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            self.numbers.add(round(float(value), 2))
        self.values.setdefault(key, set()).add(value)


def _slots(message: str):
    from assistant.understand import extract_slots  # the understanding layer, behind this one adapter

    return extract_slots(message)


def extract_user_facts(user_messages: list[str], profile: dict | None = None) -> UserFacts:
    facts = UserFacts(text=normalize("\n".join(user_messages)))
    for msg in user_messages:
        msg = normalize(msg)
        facts.numbers |= number_values(msg)
        slots = _slots(msg)
        for key in FACT_KEYS:
            facts.add(key, getattr(slots, key, None))
        for name, value in slots.model_dump().items():
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                facts.numbers.add(round(float(value), 2))
            elif isinstance(value, list):
                facts.numbers |= {round(float(v), 2) for v in value if isinstance(v, (int, float))}
            elif isinstance(value, dict):
                facts.numbers |= {round(float(v), 2) for v in value.values() if isinstance(v, (int, float))}
    for key, value in (profile or {}).items():  # the rules engine's profile, itself built from the user's words
        facts.add(key, value)
    return facts


def _unsupported(key: str, value: Any, facts: UserFacts) -> list[str]:
    if value is None or key in SELECTORS:
        return []
    if isinstance(value, bool):
        return [] if value in facts.values.get(key, set()) else [f"{key}={value}"]
    if isinstance(value, (int, float)):
        return [] if round(float(value), 2) in facts.numbers else [f"{key}={value:g}"]
    if isinstance(value, str):
        ok = value in facts.values.get(key, set()) or (normalize(value) in facts.text and key not in FACT_KEYS[:1])
        return [] if ok else [f"{key}={value}"]
    if isinstance(value, (list, tuple)):
        return [v for item in value for v in _unsupported(key, item, facts)]
    if isinstance(value, dict):
        return [v for k, item in value.items() for v in _unsupported(k, item, facts)]
    return []


def check_arguments(tool: str, arguments: dict, facts: UserFacts) -> list[str]:
    """Arguments no user message supports and no default explains, worded for the retry prompt."""
    fields = TOOLS[tool].input_model.model_fields if tool in TOOLS else {}
    bad = []
    for key, value in arguments.items():
        f = fields.get(key)
        if f is not None and not f.is_required() and value == f.default:
            continue
        bad += _unsupported(key, value, facts)
    return [f"工具 {tool} 的参数 {b} 在用户的话中没有依据" for b in bad]
