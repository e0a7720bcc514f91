"""`opc-assistant policy diff`: what a revised policy text changes, and what in the project depends on each change.

A revised text (the published one-file layout) is split with the served documents' own markers and parsed by the
same ingest parser, so both sides have the same section labels. Articles are paired by content, not by number, so an
article that only moved (第九条 -> 第十条) is "renumbered", not removed and added. Every quote in knowledge/policies.yaml
that no longer occurs verbatim is read again from the new wording: the numbers of the quote are aligned with the
numbers of the new sentence, and what cannot be aligned is said plainly. Nothing about the policy is written here:
labels, quotes, amounts and document names all come from knowledge/ and the texts themselves.
"""
from __future__ import annotations

import difflib
import re
from collections import Counter
from pathlib import Path
from typing import Any, Iterator

import yaml
from pydantic import BaseModel, Field

from assistant.config import KNOWLEDGE_DIR, REPO_ROOT
from assistant.ingest import (CN_NUM, RE_UNIT, MissingDocument, Section, SourceDoc, load_sources, parse_sections,
                              split_one_file)

CASES_DIR = REPO_ROOT / "evals" / "cases"
MATCH_MIN = 0.5  # bigram similarity from which two articles are taken to be the same article
ENTRY_GROUPS = ("benefits", "rules", "community_conditions")
RE_NUMBER_LABEL = re.compile(rf"^\s*(?:第[{CN_NUM}]+条|（[{CN_NUM}]+）|[{CN_NUM}]+、)")
RE_WS = re.compile(r"\s+")
YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class NotPolicyText(ValueError):
    """The file given is not a revision of the served policy text (the message is one Chinese line)."""


class CaseRef(BaseModel):
    file: str
    id: str
    why: str  # cite | tool


class Depends(BaseModel):
    benefits: list[str] = Field(default_factory=list)
    tools: list[str] = Field(default_factory=list)
    checklists: list[str] = Field(default_factory=list)
    eval_cases: list[CaseRef] = Field(default_factory=list)


class SentenceDiff(BaseModel):
    removed: list[str] = Field(default_factory=list)
    added: list[str] = Field(default_factory=list)
    changed: list[dict[str, str]] = Field(default_factory=list)  # {"old": ..., "new": ...}


class SectionChange(BaseModel):
    doc: str
    doc_title: str
    changes: list[str]  # any of renumbered, changed; or exactly one of added, removed
    old_section: str | None
    new_section: str | None
    similarity: float
    old_text: str
    new_text: str
    sentences: SentenceDiff
    depends: Depends


class FieldChange(BaseModel):
    path: str
    old: Any
    new: Any


class ValueChange(BaseModel):
    kind: str  # rate | cap | tier | amount | period | condition
    old: str
    new: str
    fields: list[FieldChange] = Field(default_factory=list)


class EntryChange(BaseModel):
    group: str
    id: str
    title: str
    doc: str
    doc_title: str
    section: str
    new_section: str | None
    status: str  # changed | removed | moved
    tool: str | None
    quote: str
    new_text: str
    values: list[ValueChange] = Field(default_factory=list)
    unreadable: list[str] = Field(default_factory=list)
    depends: Depends


class PolicyDiff(BaseModel):
    file: str
    served: str
    identical: bool
    summary: dict[str, int]
    sections: list[SectionChange]
    benefits: list[EntryChange]


# ---------------------------------------------------------------------------------------------- reading the texts


def read_revised(path: Path) -> str:
    """The file as text, or NotPolicyText: a policy text is non-empty UTF-8 without NUL bytes."""
    if not path.is_file():
        raise NotPolicyText(f"找不到文件 {path}")
    data = path.read_bytes()
    if not data.strip():
        raise NotPolicyText("文件是空的")
    if b"\x00" in data:
        raise NotPolicyText("文件是二进制文件，不是文本")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise NotPolicyText("文件不是 UTF-8 文本") from exc


def split_revised(text: str, served: list[SourceDoc]) -> list[SourceDoc]:
    """The revised file as documents shaped like the served ones; a missing document is named."""
    try:
        docs = split_one_file(text, served)
    except MissingDocument as exc:
        marker = _start_line(served, str(exc))
        raise NotPolicyText(f"缺少《{exc}》（找不到单独一行的“{marker}”）") from exc
    for doc in docs:
        if not any(s.kind == "text" for s in parse_sections(doc)):
            raise NotPolicyText(f"《{doc.title}》没有正文")
    return docs


def _start_line(served: list[SourceDoc], title: str) -> str:
    doc = next(d for d in served if d.title == title)
    return next(ln.strip() for ln in doc.body.splitlines() if ln.strip())


# ------------------------------------------------------------------------------------------ pairing the articles


def section_body(section: Section) -> str:
    """What an article says, without its number: the text compared, so renumbering alone is not a change."""
    return RE_WS.sub("", RE_NUMBER_LABEL.sub("", section.raw, count=1))


def similarity(a: str, b: str) -> float:
    """Dice coefficient of character bigrams: cheap, order-tolerant, and needs no word splitting for Chinese."""
    if a == b:
        return 1.0
    ga, gb = Counter(zip(a, a[1:])), Counter(zip(b, b[1:]))
    total = sum(ga.values()) + sum(gb.values())
    return 2 * sum((ga & gb).values()) / total if total else 0.0


def match_sections(old: list[Section], new: list[Section]) -> list[tuple[Section | None, Section | None, float]]:
    """Pair old and new articles by content, best pairs first (same label, then nearer position breaks ties).

    Greedy best-first is enough here: identical articles pair at 1.0 before any edited one is considered, so an
    inserted article cannot take the place of the one it pushed down."""
    bodies_old, bodies_new = [section_body(s) for s in old], [section_body(s) for s in new]
    candidates = []
    for i, o in enumerate(old):
        for j, n in enumerate(new):
            score = similarity(bodies_old[i], bodies_new[j])
            if score >= MATCH_MIN:
                candidates.append((-score, o.label != n.label, abs(i - j), i, j))
    pairs, used_old, used_new = [], set(), set()
    for neg, _, _, i, j in sorted(candidates):
        if i not in used_old and j not in used_new:
            used_old.add(i), used_new.add(j)
            pairs.append((old[i], new[j], -neg))
    pairs += [(o, None, 0.0) for i, o in enumerate(old) if i not in used_old]
    pairs += [(None, n, 0.0) for j, n in enumerate(new) if j not in used_new]
    return pairs


def sentence_units(section: Section | None) -> list[str]:
    """A section's sentences as written (responsibility brackets included, so a changed unit shows too)."""
    if section is None:
        return []
    return [u.strip() for line in section.raw.splitlines() for u in (m.group(0) for m in RE_UNIT.finditer(line))
            if u.strip()]


def sentence_diff(old: Section | None, new: Section | None) -> SentenceDiff:
    """Sentences removed, added and rewritten between two versions of one article (a rewrite pairs one to one)."""
    a, b = sentence_units(old), sentence_units(new)
    if old is not None and new is not None:
        a = [RE_NUMBER_LABEL.sub("", a[0], count=1).strip(), *a[1:]] if a else a
        b = [RE_NUMBER_LABEL.sub("", b[0], count=1).strip(), *b[1:]] if b else b
    out = SentenceDiff()
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "replace" and i2 - i1 == j2 - j1:
            out.changed += [{"old": x, "new": y} for x, y in zip(a[i1:i2], b[j1:j2])]
        elif tag != "equal":
            out.removed += a[i1:i2]
            out.added += b[j1:j2]
    return out


def section_kinds(old: Section | None, new: Section | None) -> list[str]:
    """How one pair differs: added, removed, or any of renumbered / changed (empty when the same)."""
    if old is None:
        return ["added"]
    if new is None:
        return ["removed"]
    kinds = ["renumbered"] if old.label != new.label else []
    return kinds + (["changed"] if section_body(old) != section_body(new) else [])


def pair_documents(served: list[SourceDoc], revised: list[SourceDoc]) -> dict[str, list]:
    """Per document id, the article pairs; a document sharing no article with the served one is not a revision."""
    out = {}
    for old_doc, new_doc in zip(served, revised):
        pairs = match_sections(parse_sections(old_doc), parse_sections(new_doc))
        if not any(o is not None and n is not None for o, n, _ in pairs):
            raise NotPolicyText(f"《{old_doc.title}》与当前文本没有一条相近的条款")
        out[old_doc.id] = pairs
    return out


# ------------------------------------------------------------------------------------ reading values from a quote

# A number as the documents write one: a date, a range (1000-2000人次), or a number with its unit.
RE_VALUE = re.compile(r"\d{4}年\d{1,2}月\d{1,2}日|\d+(?:\.\d+)?(?:[-—~～至]\d+(?:\.\d+)?)?"
                      r"(?:%|万元|元/月|元|万|周岁|岁|个月|年|人次|平方米|家|人|场|个|笔|倍)?")
RE_DIGITS = re.compile(r"\d+(?:\.\d+)?")
RE_CAP_WORD = re.compile(r"最高|不超过|不高于|累计|最多|上限")
SCALE = {"%": [0.01], "万元": [10000], "万": [10000], "年": [1, 12]}  # 2年 may be stored as 24 months
KIND_ZH = {"rate": "比例", "cap": "上限", "tier": "分档金额", "amount": "金额", "period": "期限", "condition": "条件"}


def value_kind(text: str, start: int, token: str) -> str:
    """Which kind of rule value a number is, from its unit and the words just before it."""
    if token.endswith("%"):
        return "rate"
    if token.endswith(("年", "个月", "日")):
        return "period"
    if token.endswith(("元", "万", "元/月")):
        clause = re.split(r"[。；，]", text[:start])[-1]
        if "分别" in clause:
            return "tier"
        return "cap" if RE_CAP_WORD.search(text[max(0, start - 8):start]) else "amount"
    return "condition"


def fragment_in(old_text: str, new_text: str, start: int, end: int) -> str:
    """The part of the new article that stands where old_text[start:end] stood (character alignment)."""
    ops = difflib.SequenceMatcher(None, old_text, new_text, autojunk=False).get_opcodes()

    def where(pos: int, at_end: bool) -> int:
        for tag, i1, i2, j1, j2 in ops:
            inside = i1 < pos <= i2 if at_end else i1 <= pos < i2
            if inside:
                return j1 + (pos - i1) if tag == "equal" else (j2 if at_end else j1)
        return len(new_text) if at_end else 0

    return new_text[where(start, False):where(end, True)].strip()


def yaml_fields(entry: Any, token: str, new_token: str, path: str = "") -> list[FieldChange]:
    """Where policies.yaml holds this number (or writes it in a condition), and what it would become."""
    if isinstance(entry, dict):
        return [f for k, v in entry.items() if k not in ("quote", "cue_rank")
                for f in yaml_fields(v, token, new_token, f"{path}.{k}" if path else str(k))]
    if isinstance(entry, list):
        return [f for i, v in enumerate(entry) for f in yaml_fields(v, token, new_token, f"{path}[{i}]")]
    if isinstance(entry, str):
        return [FieldChange(path=path, old=entry, new=entry.replace(token, new_token))] if token in entry else []
    if isinstance(entry, bool) or not isinstance(entry, (int, float)):
        return []
    unit = next((u for u in SCALE if token.endswith(u)), "")
    old_nums, new_nums = RE_DIGITS.findall(token), RE_DIGITS.findall(new_token)
    for factor in SCALE.get(unit, [1]):
        for old_n, new_n in zip(old_nums, new_nums):
            if abs(float(old_n) * factor - entry) < 1e-9:
                return [FieldChange(path=path, old=entry, new=_number(float(new_n) * factor))]
    return []


def _number(x: float) -> int | float:
    return int(x) if float(x).is_integer() else round(x, 6)


def _tokens(text: str) -> list[tuple[str, int]]:
    return [(m.group(0), m.start()) for m in RE_VALUE.finditer(text)]


def read_values(entry: dict, quote: str, fragment: str) -> tuple[list[ValueChange], list[str]]:
    """Align the quote's numbers with the new wording's: exact ones anchor, the ones between pair one to one when
    their counts and units agree. What cannot be paired, and any change in the words, is listed as unreadable."""
    if not fragment:
        return [], ["原句在新文本中已删去，读不出新值"]
    old, new = _tokens(quote), _tokens(fragment)
    values, unreadable = [], []
    matcher = difflib.SequenceMatcher(None, [t for t, _ in old], [t for t, _ in new], autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        if tag == "replace" and i2 - i1 == j2 - j1 and all(_unit(a) == _unit(b) for (a, _), (b, _) in
                                                             zip(old[i1:i2], new[j1:j2])):
            values += [ValueChange(kind=value_kind(quote, at, a), old=a, new=b, fields=yaml_fields(entry, a, b))
                       for (a, at), (b, _) in zip(old[i1:i2], new[j1:j2])]
            continue
        unreadable += [f"原文的“{a}”在新文本中找不到对应的数字" for a, _ in old[i1:i2]]
        unreadable += [f"新文本多了“{b}”，原文没有对应的数字" for b, _ in new[j1:j2]]
    if _masked(quote) != _masked(fragment):
        unreadable.append("文字也有改动（不只是数字），含义需人工核对")
    return values, unreadable


def _unit(token: str) -> str:
    return RE_DIGITS.sub("", token)


def _masked(text: str) -> str:
    return RE_WS.sub("", RE_VALUE.sub("#", text))


# ------------------------------------------------------------------------------------------------ what depends


def load_entries(knowledge_dir: Path, served_sections: list[Section]) -> list[dict]:
    """Every quoted entry of policies.yaml (benefits, rules, community conditions), read raw so every key is seen
    (tool, params); an entry without `doc` gets the served document whose article holds its quote."""
    data = yaml.load((knowledge_dir / "policies.yaml").read_text(encoding="utf-8"), Loader=YAML_LOADER) or {}
    entries = []
    for group in ENTRY_GROUPS:
        for raw in data.get(group) or []:
            if not isinstance(raw, dict) or not raw.get("quote") or not raw.get("section"):
                continue
            doc = raw.get("doc") or next((s.doc for s in served_sections
                                          if s.label == raw["section"] and raw["quote"] in s.text), "")
            entries.append({**raw, "doc": doc, "_group": group})
    return entries


def load_cases(cases_dir: Path) -> list[dict]:
    """Each eval case with what it cites ({doc, section} anywhere in it) and which tools it expects to be called."""
    out = []
    for path in sorted(cases_dir.glob("*/*.yaml")):
        for case in yaml.load(path.read_text(encoding="utf-8"), Loader=YAML_LOADER) or []:
            if not isinstance(case, dict) or "id" not in case:
                continue
            cites, tools = set(), set()
            for node, key in _walk(case):
                if isinstance(node, dict) and "doc" in node and "section" in node:
                    cites.add((str(node["doc"]), str(node["section"])))
                if key == "tool" and isinstance(node, dict) and node.get("name"):
                    tools.add(str(node["name"]))
            out.append({"file": str(path.relative_to(cases_dir)), "id": str(case["id"]), "cites": cites, "tools": tools})
    return out


def _walk(node: Any, key: str = "") -> Iterator[tuple[Any, str]]:
    yield node, key
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else []
    for k, v in items:
        yield from _walk(v, str(k))


def cases_for(cases: list[dict], cites: set[tuple[str, str]], tools: set[str]) -> list[CaseRef]:
    """Eval cases whose expectations cite one of these articles (why=cite) or call one of these tools (why=tool)."""
    out = []
    for c in cases:
        if c["cites"] & cites:
            out.append(CaseRef(file=c["file"], id=c["id"], why="cite"))
        elif c["tools"] & tools:
            out.append(CaseRef(file=c["file"], id=c["id"], why="tool"))
    return out


def checklist_refs(checklists: Any, names: list[str], label: str, entry_ids: set[str]) -> list[str]:
    """Places in checklists.yaml that cite the article: a {doc, section}, a text naming the document and the label
    (《若干政策措施》第九条), an item whose `source` is such a text, or an item for one of the affected benefits."""
    texts = {key for node, key in _walk(checklists)
             if isinstance(node, str) and label in node and any(n and n in node for n in names)}
    found = []
    for path, node in _paths(checklists):
        if isinstance(node, dict) and ((node.get("section") == label and node.get("doc") in names)
                                       or node.get("source") in texts or node.get("benefit") in entry_ids):
            found.append(path)
        elif isinstance(node, str) and label in node and any(n and n in node for n in names):
            found.append(path)
    return [p for p in found if not any(q != p and p.startswith((q + ".", q + "[")) for q in found)]


def _paths(node: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    yield path, node
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, f"{path}.{k}" if path else str(k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            tag = v.get("id") or v.get("benefit") if isinstance(v, dict) else None
            yield from _paths(v, f"{path}[{tag if tag else i}]")


def doc_names(doc: SourceDoc) -> list[str]:
    """How a document is named in knowledge/: its id, titles and aliases from the served front matter."""
    return [doc.id, doc.title, doc.short_title, *map(str, doc.meta.get("aliases") or [])]


# -------------------------------------------------------------------------------------------------- the report


class Known(BaseModel):
    """Everything one comparison reads once: the two texts' article pairs and the project's dependent files."""

    model_config = {"arbitrary_types_allowed": True}
    served: list[SourceDoc]
    pairs: dict[str, list]
    entries: list[dict]
    cases: list[dict]
    checklists: Any


def depends_on(known: Known, doc: str, label: str, entries: list[dict], valued: set[str]) -> Depends:
    """What rests on one article (or one entry of it): entries, checklist items and eval cases citing it, and the
    calculators (with the eval cases calling them) of the entries in `valued`, the ones whose wording changed: a
    calculator reads values, so a renumbering alone leaves it and its cases as they were."""
    ids = [e["id"] for e in entries]
    tools = sorted({e["tool"] for e in entries if e.get("tool") and e["id"] in valued})
    names = doc_names(next(d for d in known.served if d.id == doc))
    return Depends(benefits=ids, tools=tools, checklists=checklist_refs(known.checklists, names, label, set(ids)),
                   eval_cases=cases_for(known.cases, {(doc, label)}, set(tools)))


def section_changes(known: Known, valued: set[str]) -> list[SectionChange]:
    """One record per article that is not the same article under the same number in both texts."""
    out = []
    for doc in known.served:
        for old, new, score in sorted(known.pairs[doc.id], key=lambda p: p[1].order if p[1] else p[0].order):
            kinds = section_kinds(old, new)
            if not kinds:
                continue
            label = old.label if old else new.label
            mine = [e for e in known.entries if old and e["doc"] == doc.id and e["section"] == old.label]
            out.append(SectionChange(
                doc=doc.id, doc_title=doc.short_title or doc.title, changes=kinds,
                old_section=old.label if old else None, new_section=new.label if new else None,
                similarity=round(score, 3), old_text=old.raw if old else "", new_text=new.raw if new else "",
                sentences=sentence_diff(old, new),
                depends=depends_on(known, doc.id, label, mine, valued) if old else Depends()))
    return out


def entry_change(known: Known, entry: dict) -> EntryChange | None:
    """How one quoted entry fares: unchanged (None), moved to another label, changed (values re-read) or removed."""
    pairs = known.pairs.get(entry["doc"], [])
    old, new = next(((o, n) for o, n, _ in pairs if o and o.label == entry["section"]), (None, None))
    quote = entry["quote"]
    if old is None or quote not in old.text:
        return None  # not in the served text either: tests/test_tools.py reports that, not this diff
    home = new if new is not None and quote in new.text else next(
        (n for _, n, _ in pairs if n is not None and quote in n.text), None)
    if home is not None and home.label == old.label:
        return None
    if home is not None:
        status, new_label, fragment, values, unreadable = "moved", home.label, quote, [], []
    else:
        start = old.text.index(quote)
        fragment = fragment_in(old.text, new.text, start, start + len(quote)) if new is not None else ""
        values, unreadable = read_values(entry, quote, fragment)
        status, new_label = ("changed" if fragment else "removed"), (new.label if new is not None else None)
    doc = next(d for d in known.served if d.id == entry["doc"])
    return EntryChange(group=entry["_group"], id=entry["id"], title=str(entry.get("title") or entry.get("text") or ""),
                       doc=entry["doc"], doc_title=doc.short_title or doc.title, section=entry["section"], new_section=new_label, status=status,
                       tool=entry.get("tool"), quote=quote, new_text=fragment, values=values, unreadable=unreadable,
                       depends=depends_on(known, entry["doc"], entry["section"], [entry],
                                          set() if status == "moved" else {entry["id"]}))


def diff_texts(served: list[SourceDoc], revised: list[SourceDoc], knowledge_dir: Path = KNOWLEDGE_DIR,
               cases_dir: Path = CASES_DIR, file: str = "") -> PolicyDiff:
    """Compare two sets of documents and read what the project's knowledge, calculators and evals rest on."""
    served_sections = [s for d in served for s in parse_sections(d)]
    checklists_path = knowledge_dir / "checklists.yaml"
    known = Known(served=served, pairs=pair_documents(served, revised),
                  entries=load_entries(knowledge_dir, served_sections), cases=load_cases(cases_dir),
                  checklists=yaml.load(checklists_path.read_text(encoding="utf-8"), Loader=YAML_LOADER)
                  if checklists_path.exists() else {})
    entries = [c for c in (entry_change(known, e) for e in known.entries) if c is not None]
    sections = section_changes(known, {e.id for e in entries if e.status != "moved"})
    summary = {k: sum(k in s.changes for s in sections) for k in ("changed", "added", "removed", "renumbered")}
    summary |= {f"benefits_{k}": sum(e.status == k for e in entries) for k in ("changed", "removed", "moved")}
    return PolicyDiff(file=file, served=str(knowledge_dir / "sources"), identical=not sections and not entries,
                      summary=summary, sections=sections, benefits=entries)


def diff_file(path: Path, knowledge_dir: Path = KNOWLEDGE_DIR, cases_dir: Path = CASES_DIR) -> PolicyDiff:
    """The whole command: read and check the file, split it like the served documents, compare."""
    served = load_sources(knowledge_dir / "sources")
    revised = split_revised(read_revised(path), served)
    return diff_texts(served, revised, knowledge_dir, cases_dir, file=str(path))


# ------------------------------------------------------------------------------------------ the readable report

SHOW_CASES = 6  # eval case ids shown per change in the readable report (--json lists all)
CHANGE_ZH = {"changed": "内容改动", "renumbered": "编号变动", "added": "新增条款", "removed": "删除条款"}
STATUS_ZH = {"changed": "引文在新文本中已改动", "removed": "引文在新文本中已删去", "moved": "引文未变，但条款编号变了"}
Line = tuple[str, str]  # text, rich style


def render(diff: PolicyDiff) -> list[Line]:
    """The report as lines for a policy officer: what changed in the text, then what the project must follow."""
    head = [(f"政策文本对比：{diff.file} ↔ 当前使用的文本（{diff.served}）", "bold")]
    if diff.identical:
        return head + [("两份文本逐条一致，没有变化。", "green")]
    s = diff.summary
    head.append((f"条款：改动 {s['changed']}，新增 {s['added']}，删除 {s['removed']}，编号变动 {s['renumbered']}；"
                 f"政策项：数值或文字改动 {s['benefits_changed']}，引文删去 {s['benefits_removed']}，"
                 f"条款编号需更新 {s['benefits_moved']}。", ""))
    lines = head + [("", ""), ("一、条款变化", "bold")]
    for change in diff.sections:
        lines += _render_section(change)
    lines += [("", ""), ("二、政策项（knowledge/policies.yaml）", "bold")]
    for entry in diff.benefits:
        lines += _render_entry(entry)
    if not diff.benefits:
        lines.append(("所有政策项的引文在新文本中原样都在，条款编号也未变。", ""))
    return lines


def _render_section(c: SectionChange) -> list[Line]:
    label = c.old_section if c.new_section in (None, c.old_section) else (
        c.new_section if c.old_section is None else f"{c.old_section} → {c.new_section}")
    kinds = "，".join(CHANGE_ZH[k] for k in c.changes) + ("，内容未变" if c.changes == ["renumbered"] else "")
    lines: list[Line] = [(f"【{c.doc_title} {label}】{kinds}", "bold yellow")]
    lines += [(f"  改前：{x['old']}", "red") for x in c.sentences.changed]
    lines += [(f"  改后：{x['new']}", "green") for x in c.sentences.changed]
    lines += [(f"  删去：{x}", "red") for x in c.sentences.removed]
    lines += [(f"  新增：{x}", "green") for x in c.sentences.added]
    return lines + _render_depends(c.depends, c.old_section or "", c.new_section if "renumbered" in c.changes else None)


def _render_entry(e: EntryChange) -> list[Line]:
    where = e.section if e.new_section in (None, e.section) else f"{e.section} → {e.new_section}"
    lines: list[Line] = [(f"【{e.id} {e.title}】{e.doc_title} {where}：{STATUS_ZH[e.status]}", "bold yellow")]
    if e.status == "moved":
        return [*lines, (f"  policies.yaml 中 {e.id} 的 section 需改为 {e.new_section}"
                         "（引用原条款的办事清单与评测用例见上方条款变化）", "")]
    lines += [(f"  原文：{e.quote}", "red"), (f"  新文：{e.new_text or '（无）'}", "green")]
    for v in e.values:
        fields = "；".join(f"{f.path}：{f.old} → {f.new}" for f in v.fields) or "policies.yaml 中未找到这个数"
        lines.append((f"  {KIND_ZH[v.kind]}：{v.old} → {v.new}（policies.yaml {fields}）", "cyan"))
    lines += [(f"  读不出：{u}", "magenta") for u in e.unreadable]
    return lines + _render_depends(e.depends.model_copy(update={"benefits": []}), e.section, None)


def _render_depends(d: Depends, label: str, moved_to: str | None) -> list[Line]:
    lines: list[Line] = []
    if d.benefits:
        lines.append(("  依赖的政策项：" + "、".join(d.benefits), ""))
    if d.tools:
        lines.append(("  计算工具：" + "、".join(d.tools), ""))
    if d.checklists:
        lines.append(("  办事清单（checklists.yaml）：" + "、".join(d.checklists), ""))
    if d.eval_cases:
        cite = sum(c.why == "cite" for c in d.eval_cases)
        shown = "、".join(f"{c.id}（{c.file}）" for c in d.eval_cases[:SHOW_CASES])
        more = f" 等，共 {len(d.eval_cases)} 个" if len(d.eval_cases) > SHOW_CASES else ""
        todo = f"，引用 {label} 的需改引 {moved_to}" if moved_to else ""
        lines.append((f"  评测用例（引用本条 {cite} 个，调用上述工具 {len(d.eval_cases) - cite} 个{todo}）："
                      f"{shown}{more}", ""))
    return lines
