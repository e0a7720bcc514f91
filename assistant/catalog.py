"""What the understanding needs from knowledge/policies.yaml: for each topic (a benefit, a rule, the community
check) the facts that belong to it. Selection by evidence reads this instead of hand-kept maps."""
from __future__ import annotations

import re
from functools import lru_cache

import yaml

from tools import rules

COMMUNITY_CHECK = "community_check"
# Facts too common to pick a topic by themselves (a bare amount or a year fits many benefits).
GENERIC_FIELDS = frozenset({"amounts", "nth_year", "years", "months", "role", "borrower", "district"})


@lru_cache(maxsize=1)
def _raw() -> dict:
    return yaml.safe_load(rules.POLICIES_PATH.read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def topic_fields() -> dict[str, tuple[str, ...]]:
    """topic -> the understood facts its tool takes (benefits and rules from their `fields`, the community check
    from the fields of the guideline's conditions)."""
    raw = _raw()
    out = {e["id"]: tuple(e["fields"]) for group in ("benefits", "rules") for e in raw.get(group) or []
           if e.get("fields")}
    cond = []
    for c in raw.get("community_conditions") or []:
        cond += [c["field"]] if c.get("field") else []
        cond += [a["field"] for a in c.get("any_of") or []]
    out[COMMUNITY_CHECK] = tuple(dict.fromkeys(cond))
    return out


def filled(value) -> bool:
    return value not in (None, [], {}, "")


def topic_by_fields(values: dict[str, object]) -> str | None:
    """The one topic whose distinctive fields the facts fill best; None when nothing fits or two fit equally
    (then the question is answered from the text, never guessed)."""
    scores: dict[str, int] = {}
    for topic, fields in topic_fields().items():
        n = sum(1 for f in fields if f not in GENERIC_FIELDS and filled(values.get(f)))
        if n:
            scores[topic] = n
    if not scores:
        return None
    ranked = sorted(scores.items(), key=lambda kv: -kv[1])
    if len(ranked) > 1 and ranked[0][1] == ranked[1][1]:
        return None
    return ranked[0][0]


class TopicCues:
    """The cue phrases of one topic, as declared next to its rule in policies.yaml."""

    def __init__(self, topic: str, entry: dict):
        self.topic = topic
        self.cues: list[str] = list(entry.get("cues") or [])
        self.rank: int = entry.get("cue_rank", 1000)
        self.needs_money: bool = bool(entry.get("cue_needs_money"))  # 算力/大赛 also name things that are no benefit
        self.founder_only: bool = bool(entry.get("founder_only"))    # not asked about a community's facilities
        # Word groups that name the topic together (who, what, which act) though no single cue does.
        self.together: list[list[str]] = [list(g) for g in entry.get("cues_together") or []]

    def named_together(self, text: str) -> bool:
        return bool(self.together) and all(any(w in text for w in group) for group in self.together)


@lru_cache(maxsize=1)
def topic_cues() -> list[TopicCues]:
    """Every topic with cue phrases, in the order that breaks ties (cue_rank)."""
    raw = _raw()
    out = [TopicCues(e["id"], e) for group in ("benefits", "rules") for e in raw.get(group) or [] if e.get("cues")]
    if (proc := raw.get("recognition_process") or {}).get("cues"):
        out.append(TopicCues(COMMUNITY_CHECK, proc))
    return sorted(out, key=lambda t: t.rank)


def with_context_topics(text: str, topics: list[str]) -> list[str]:
    """The cue topics plus those whose word groups all occur (a community investing in a platform is 第五条,
    though 算力/标注 alone name other benefits), in cue_rank order."""
    ranked = topic_cues()
    extra = {tc.topic for tc in ranked if tc.named_together(text)}
    if not extra - set(topics):
        return topics
    order = {tc.topic: i for i, tc in enumerate(ranked)}
    return sorted(set(topics) | extra, key=lambda t: order.get(t, len(order)))


@lru_cache(maxsize=1)
def per_person_topics() -> set[str]:
    """Topics whose amount belongs to one person (policies.yaml `per_person`): two people get one figure each."""
    raw = _raw()
    return {e["id"] for group in ("benefits", "rules") for e in raw.get(group) or [] if e.get("per_person")}


@lru_cache(maxsize=1)
def topic_tools() -> dict[str, str]:
    """topic -> the tool that answers it, as declared in policies.yaml."""
    raw = _raw()
    out = {e["id"]: e["tool"] for group in ("benefits", "rules") for e in raw.get(group) or [] if e.get("tool")}
    if (proc := raw.get("recognition_process") or {}).get("tool"):
        out[COMMUNITY_CHECK] = proc["tool"]
    return out


def topic_benefit(topic: str) -> str | None:
    """The benefit id whose article states a topic's general rule."""
    raw = _raw()
    if topic == COMMUNITY_CHECK:
        return (raw.get("recognition_process") or {}).get("benefit")
    return topic if any(b["id"] == topic for b in raw.get("benefits") or []) else None


def items_field(topic: str) -> str | None:
    """The tool field that lists a topic's items of one year (policies.yaml `items_field`: 每笔合同), which a user
    may tell one by one over several turns."""
    return next((e.get("items_field") for group in ("benefits", "rules") for e in _raw().get(group) or []
                 if e["id"] == topic), None)


def gating_check(topic: str) -> str | None:
    """The check a benefit waits on (社区认定 before 首次认定的支持): the check topic whose `benefit` it is."""
    raw = _raw()
    proc = raw.get("recognition_process") or {}
    return COMMUNITY_CHECK if proc.get("benefit") == topic and proc.get("tool") else None


def clear_caches() -> None:
    """Forget what was read from policies.yaml (a test that swaps the file calls this)."""
    for f in (_raw, topic_fields, topic_cues, topic_tools, value_vocab):
        f.cache_clear()


def dialogue() -> dict:
    """Suggested questions, the coverage line and the nearby quotes of refusals (policies.yaml `dialogue`)."""
    return _raw().get("dialogue") or {}


def rule_entry(rule_id: str) -> dict:
    return next((r for r in _raw().get("rules") or [] if r["id"] == rule_id), {})


@lru_cache(maxsize=1)
def value_vocab() -> dict[str, dict[str, list[str]]]:
    """field -> canonical value -> the words that name it (from the benefits' `values`)."""
    out: dict[str, dict[str, list[str]]] = {}
    for b in _raw().get("benefits") or []:
        for field, values in (b.get("values") or {}).items():
            out.setdefault(field, {}).update(values)
    return out


def values_in(text: str, field: str) -> list[tuple[int, str]]:
    """Every canonical value of a field named in the text, with where (negated ones left out), in order."""
    from assistant.facts import negated

    found: dict[int, tuple[int, str]] = {}
    for canonical, words in value_vocab().get(field, {}).items():
        for w in words:
            for m in re.finditer(re.escape(w), text):
                if not negated(text, m.start()) and len(w) > found.get(m.start(), (0, ""))[0]:
                    found[m.start()] = (len(w), canonical)
    return [(at, v) for at, (_, v) in sorted(found.items())]


def value_in(text: str, field: str) -> str | None:
    """The canonical value of a field named in the text: the first one named (the user's own; a later one is a
    what-if: 评估良好，奖励多少？优秀呢？), the longest naming word at the same place."""
    from assistant.facts import negated

    best: tuple[int, int, str] | None = None
    for canonical, words in value_vocab().get(field, {}).items():
        for w in words:
            for m in re.finditer(re.escape(w), text):
                at = m.start()
                if negated(text, at):  # 没评上优秀 names the value the user did not get
                    continue
                if best is None or (at, -len(w)) < best[:2]:
                    best = (at, -len(w), canonical)
                break
    return best[2] if best else None
