"""The ledger: words of a message that could change an input or a condition of the asked benefit but that the
engine did not read into any fact. Exactness comes first: a figure computed while such a word lies unread is not
the user's result, so the answer keeps its arithmetic, names the words it could not place, and asks. Words that
state a condition failed (knowledge/lexicon/conditions.yaml) give the verdict ❌ instead. All vocabulary is data
(knowledge/lexicon/ledger.yaml); only the grammar of the checks lives here."""
from __future__ import annotations

import re
from dataclasses import dataclass
from assistant import facts
from assistant.lexicon import load
from assistant.place_roles import find_places, role_of
from assistant.understand import _money_values  # the one money scanner of the message

BOLD = re.compile(r"\*\*([^*\n]*?)\*\*")
AMOUNT_AHEAD = re.compile(r"^[^，,。；;？?！!]*?[0-9零〇一二两三四五六七八九十百千万]+\s*(?:万|千|w|W|k|K|元|块)")
# Places whose role is where the founder comes from, or an event's venue already read (in_yancheng): background.
BACKGROUND_ROLES = ("origin", "event", "asked")


@dataclass(frozen=True)
class Unread:
    word: str
    kind: str
    label: str
    at: int


@dataclass(frozen=True)
class Asked:
    """What the ledger needs of the asked benefit: its cue words, the facts its tool takes, its input's period."""
    cues: tuple[str, ...] = ()
    fields: tuple[str, ...] = ()
    input_period: str | None = None


@dataclass(frozen=True)
class Failed:
    condition: str
    words: str
    note: str


def lexicon() -> dict:
    return load("ledger")


def condition_words() -> dict:
    return load("conditions")


def _read_facts(slots) -> set[str]:
    """The facts the engine read from this message: a value other than the field's default (related_party False
    is read; a flag left False is not)."""
    values = slots.model_dump()
    fields = type(slots).model_fields
    return {k for k, v in values.items() if v != fields[k].get_default(call_default_factory=True)} | set(slots.counts)


def _set_aside(u, text: str, at: int) -> bool:
    """The word's clause holds an amount the engine set aside (20万给员工发奖金, 在杭州花了40万): background."""
    c0, c1 = facts.clause_of(text, at)
    return any(v not in u.slots.amounts for v in _money_values(text[c0:c1]))


def _negated(text: str, at: int) -> bool:
    """A negation governs the word, not counting the contrast words that only contain 不 (不过)."""
    for w in lexicon()["not_negations"]:
        text = text.replace(w, "但" * len(w))
    return facts.negated(text, at)


def _background(text: str, at: int) -> bool:
    """The words before a place in its clause say it is the past (之前在杭州创业) or background."""
    return any(w in text[facts.clause_of(text, at)[0]:at] for w in lexicon()["background_words"])


def _mine(u, text: str, at: int, own: str) -> bool:
    """The word's clause is about the person asked about (others' clauses are their facts, not these)."""
    c0, c1 = facts.clause_of(text, at)
    return u.about_other or text[c0:c1].strip("，,。；;！!？? ") in own


def _tail_read(text: str, end: int, read: set[str]) -> bool:
    """A negation or contrast is read when the words after it in its clause name a fact the engine read
    (不是关联方 with related_party read)."""
    tail = text[end:facts.clause_of(text, end)[1]]
    return any(w in tail for fact, words in lexicon()["read_by"].items() if fact in read for w in words or [])


def _occurrences(text: str, words: list[str]) -> list[tuple[str, int]]:
    """Each word's places, longest words first, no two overlapping (并不是 is one word, not 不是 again)."""
    taken: set[int] = set()
    out = []
    for w in sorted(words, key=len, reverse=True):
        for m in re.finditer(re.escape(w), text):
            if not taken & set(range(m.start(), m.end())):
                taken |= set(range(m.start(), m.end()))
                out.append((w, m.start()))
    return sorted(out, key=lambda x: x[1])


def _kind_unread(u, kind: str, spec: dict, read: set[str], own: str, asked: Asked) -> list[Unread]:
    """The words of one kind left unread: each kind has its own test of what reads it."""
    text, out = u.text, []
    for word, at in _occurrences(text, spec["words"]):
        end = at + len(word)
        if text[at - 1:at] and text[at - 1:at] in spec.get("before_not", []):
            continue
        if not _mine(u, text, at, own) or _set_aside(u, text, at):
            continue
        tail = text[end:facts.clause_of(text, end)[1]]
        if kind == "contrast" and (_tail_read(text, end, read) or _question(text, end) or _chosen(u, tail)
                                   or (word in spec.get("denies_place", []) and _denied_place(tail))
                                   or any(w in tail for w in lexicon()["dismissals"])):
            continue
        if kind == "status" and not _status_unread(u, word, tail, spec):
            continue
        if kind == "period" and not _period_input(u, text[end:end + spec.get("amount_after", 8)], asked):
            continue  # 每月多少 asks a monthly figure; 每月800块 bound as a rent is read
        if kind == "person" and _person_read(u, text, at, own):
            continue
        out.append(Unread(word, kind, spec["label"], at))
    return out


def _denied_place(tail: str) -> bool:
    """不是在南京: the negation denies a place outside Yancheng, which the place rule already reads as denied."""
    return any(not p.local and p.start <= 2 for p in find_places(tail))


def _chosen(u, tail: str) -> bool:
    """合同300k，但实际只用了220k: the engine chose between the figures (the actual, the approved one), so the
    contrast was read."""
    return any(v in u.slots.amounts for v in _money_values(tail)) and len(set(_money_values(u.text))) > len(set(u.slots.amounts))


def _question(text: str, end: int) -> bool:
    """不是只补50%吗？ asks; it states no fact."""
    return bool(re.match(r"^[^，,。；;！!]*?(吗|么|？|\?)", text[end:]))


def _status_unread(u, word: str, tail: str, spec: dict) -> bool:
    """A status word can be misread only when a number follows it (已经领了两年半); a projected amount used as the
    input (第二年预计40万) is what was asked."""
    if spec.get("needs_number") and not re.search(r"[0-9零〇一二两三四五六七八九十半]", tail):
        return False
    used = set(u.slots.amounts) | set(u.slots.annual.values())
    return not (word in spec.get("projection", []) and any(v in used for v in _money_values(tail)))


def _period_input(u, ahead: str, asked: Asked) -> bool:
    """A per-month or per-quarter amount taken as an input of the asked benefit as it stands: not converted to
    the year's figure (input_period: year), not the benefit's own period (a monthly rent), not bound to a monthly
    field, and the benefit takes amounts at all."""
    values = _money_values(ahead) if AMOUNT_AHEAD.match(ahead) else []
    if not values or values[0] not in u.slots.amounts or not {"amounts", "annual"} & set(asked.fields):
        return False
    monthly = {getattr(u.slots, f) for f in lexicon()["monthly_fields"]}
    period = u.slots.spend_periods.get(values[0])
    return values[0] not in monthly and not (period and asked.input_period in ("year", period))


def _person_read(u, text: str, at: int, own: str) -> bool:
    """Someone else named is read when the question is about them, or their clause was set apart as theirs, or
    the words after them say only whose company or whose help it is (我爸开的公司, 我爸妈给我…)."""
    if u.about_other or u.joint:
        return True
    c0, c1 = facts.clause_of(text, at)
    if text[c0:c1].strip("，,。；;！!？? ") not in own:
        return True
    after = text[at:c1]
    return any(re.search(p, after) for p in lexicon()["person_background"])


def _benefit_clause(text: str, c0: int, c1: int, cues: list[str], amounts: set[float]) -> bool:
    """A clause about the asked benefit: it names the benefit (a cue word), holds one of its input amounts, or is
    the question itself."""
    clause = text[c0:c1]
    return any(c in clause for c in cues) or any(v in amounts for v in _money_values(clause)) \
        or clause.rstrip().endswith(("？", "?", "吗", "呢"))


def _places_unread(u, cues: list[str], own: str) -> list[Unread]:
    """A place outside Yancheng in a clause about the asked benefit that the engine did not read: not where the
    founder comes from, not an event venue already read, not someone else's clause, and not in a clause whose
    amount was set aside as spent elsewhere."""
    text, out = u.text, []
    amounts = set(u.slots.amounts)
    for p in find_places(text):
        if p.local or _negated(text, p.start) or role_of(text, p) in BACKGROUND_ROLES \
                or _background(text, p.start):
            continue
        c0, c1 = facts.clause_of(text, p.start)
        if text[c0:c1].strip("，,。；;！!？? ") not in own or not _benefit_clause(text, c0, c1, cues, amounts):
            continue
        if any(v not in amounts for v in _money_values(text[c0:c1])):
            continue  # 那年在杭州租GPU花了40万: the amount was set aside, so the place was read
        out.append(Unread(p.name, "place", "盐城以外的地点", p.start))
    return out


def unread(u, asked: Asked) -> list[Unread]:
    """Every ledger word of the message the engine did not bind, in order."""
    read = _read_facts(u.slots)
    own = facts.own_text(u.text)
    found = [w for kind, spec in lexicon()["kinds"].items() for w in _kind_unread(u, kind, spec, read, own, asked)]
    found += _places_unread(u, asked.cues, own)
    return sorted(found, key=lambda w: w.at)


def failed_condition(u, benefit_id: str) -> Failed | None:
    """A condition of the benefit the user states failed in words (房子买在上海, 只是参与单位), or None. Words and
    patterns name whose it is themselves (房产证上写的是我妈); a place counts only in the asked person's clauses."""
    own = u.text if u.about_other else facts.own_text(u.text)
    for entry in condition_words().get(benefit_id, []):
        hit = _condition_hit(u.text, own, entry)
        if hit:
            return Failed(entry["condition"], hit, entry.get("note", ""))
    return None


def _condition_hit(text: str, own: str, entry: dict) -> str | None:
    """The words that state this condition failed: a word or a pattern not negated before it, or a place outside
    Yancheng, not the past, in a clause with one of the entry's words."""
    for w in entry.get("words", []):
        for m in re.finditer(re.escape(w), text):
            if not _negated(text, m.start()):
                return w
    if (rx := entry.get("regex")) and (m := re.search(rx, text)) and not _negated(text, m.start()):
        return m.group(0)
    for p in find_places(own) if entry.get("outside_near") else []:
        if p.local or _negated(own, p.start) or _background(own, p.start):
            continue
        c0, c1 = facts.clause_of(own, p.start)
        if any(w in own[c0:c1] for w in entry["outside_near"]) and role_of(own, p) != "asked":
            return own[c0:c1].strip("，,。；;！!？? ")
    return None


def has_headline(parts: list[str]) -> bool:
    return any(re.search(r"\d", m.group(1)) for p in parts for m in BOLD.finditer(p))


def unbold(parts: list[str]) -> list[str]:
    """Amounts stay in the text as arithmetic; none stands in bold as the user's result."""
    return [BOLD.sub(lambda m: m.group(1) if re.search(r"\d", m.group(1)) else m.group(0), p) for p in parts]


def ask_line(words: list[Unread]) -> str:
    """The question back, naming each unread word as the user wrote it."""
    named = "、".join(dict.fromkeys(f"“{w.word}”" for w in words))
    kinds = "、".join(dict.fromkeys(w.label for w in words))
    return (f"您说的{named}（{kinds}）是指什么？这可能改变下面的计算或条件，请说明后我再确认您能拿的金额；"
            "下面的数字只是按已读懂的信息算出的参考，不是您的结果。")
