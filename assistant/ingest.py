"""Structure-aware ingestion: policy sources -> sections (one per article/item) -> index chunks.

Sections carry the citation label exactly as the document writes it (第九条, （五）完善OPC社区服务,
三、基本条件（二）场地设施); responsible units in 〔…〕 are kept as metadata, never mixed into quotes.
Works on any .md/.txt dropped into knowledge/sources/ (front matter optional).
"""
from __future__ import annotations

import hashlib
import re
from pathlib import Path

import yaml
from pydantic import BaseModel, Field

CN_NUM = "一二三四五六七八九十百零〇"
RE_ARTICLE = re.compile(rf"^第[{CN_NUM}]+条")
RE_ITEM = re.compile(rf"^（[{CN_NUM}]+）")
RE_L1 = re.compile(rf"^[{CN_NUM}]+、")
RE_MD_HEADING = re.compile(r"^#{1,6}\s+")
RE_BRACKET = re.compile(r"〔([^〔〕]*)〕")
RE_SENTENCE = re.compile(r"[^。；！？\n]*[。；！？]?")
# A sentence or clause ends at 。；！？ or the end of a line; a new one starts before an enumeration marker.
RE_UNIT = re.compile(r"[^。；！？\n]+?(?:[。；！？]+|(?=\n)|$|(?=[①②③④⑤⑥⑦⑧⑨⑩]|[（(][0-9]{1,2}[)）]))")
# The label a line starts with (第一条 / （一）畅通数据开放供给。 / （二）场地设施：), not part of the quotable text.
RE_LEAD_LABEL = re.compile(rf"^(?:第[{CN_NUM}]+条|（[{CN_NUM}]+）[^：:。，；]{{0,20}}[：:。])\s*")
CHUNK_MAX_CHARS = 320


class SourceDoc(BaseModel):
    id: str
    title: str
    short_title: str = ""
    status: str = ""
    order: int = 99
    meta: dict = Field(default_factory=dict)
    body: str
    path: str


class Section(BaseModel):
    doc: str
    doc_title: str
    label: str
    kind: str  # title | heading | text
    heading_path: list[str]
    raw: str  # verbatim lines of the source, brackets included
    text: str  # raw without the 〔…〕 responsibility brackets
    responsible: list[str] = Field(default_factory=list)
    order: int

    def sentences(self) -> list[str]:
        return split_sentences(self.text)


class Chunk(BaseModel):
    id: str
    doc: str
    doc_title: str
    section: str
    text: str  # heading path + passage, what gets embedded/indexed
    passage: str  # verbatim part of the section text


class Sentence(BaseModel):
    """One sentence or clause of a section: the unit answers quote and sentence-level retrieval ranks."""

    id: str
    doc: str
    section: str  # the section label it belongs to
    heading_path: list[str]
    position: int  # order within its section, from 0
    text: str  # verbatim substring of the section text, never a heading


def split_sentences(text: str) -> list[str]:
    return [s for s in (m.group(0).strip() for m in RE_SENTENCE.finditer(text)) if s]


def read_source(path: Path) -> SourceDoc:
    raw = path.read_text(encoding="utf-8")
    meta: dict = {}
    body = raw
    if raw.startswith("---\n"):
        end = raw.find("\n---\n", 4)
        if end != -1:
            meta = yaml.safe_load(raw[4:end]) or {}
            body = raw[end + 5:]
    doc_id = str(meta.get("id") or path.stem)
    title = str(meta.get("title") or _first_line(body) or doc_id)
    return SourceDoc(
        id=doc_id, title=title, short_title=str(meta.get("short_title") or title),
        status=str(meta.get("status") or ""), order=int(meta.get("order") or 99),
        meta=meta, body=body, path=str(path),
    )


def load_sources(sources_dir: Path) -> list[SourceDoc]:
    files = sorted(p for p in sources_dir.iterdir() if p.suffix in {".md", ".txt"} and not p.name.startswith("."))
    docs = [read_source(p) for p in files]
    return sorted(docs, key=lambda d: (d.order, d.id))


def _first_line(body: str) -> str:
    for line in body.splitlines():
        line = RE_MD_HEADING.sub("", line).strip()
        if line:
            return line
    return ""


def _is_title_line(line: str) -> bool:
    return "。" not in line and "，" not in line and len(line) <= 40


def _is_heading_line(line: str) -> bool:
    return bool(RE_L1.match(line)) and "。" not in line and len(line) <= 60


def parse_sections(doc: SourceDoc) -> list[Section]:
    """Assign every non-empty line of the body to exactly one section."""
    labels_by_prefix: dict[str, str] = doc.meta.get("paragraph_labels") or {}
    lines = [ln.strip() for ln in doc.body.splitlines()]
    lines = [ln for ln in lines if ln]
    item_numbers_local = _items_restart_per_heading(lines)

    sections: list[Section] = []
    l1 = ""
    current: dict | None = None
    seen_content = False

    def start(label: str, kind: str, path: list[str]) -> dict:
        nonlocal current
        current = {"label": label, "kind": kind, "path": path, "lines": []}
        sections_raw.append(current)
        return current

    sections_raw: list[dict] = []
    for line in lines:
        md = RE_MD_HEADING.match(line)
        if md:
            l1 = RE_MD_HEADING.sub("", line).strip()
            start(l1, "heading", [l1])["lines"].append(line)
            continue
        override = next((lab for pre, lab in labels_by_prefix.items() if line.startswith(pre)), None)
        if override:
            start(override, "text", [override])["lines"].append(line)
            seen_content = True
            continue
        m_art = RE_ARTICLE.match(line)
        m_item = RE_ITEM.match(line)
        if m_art:
            label = m_art.group(0)
            start(label, "text", [p for p in (l1, label) if p])["lines"].append(line)
            seen_content = True
        elif m_item:
            rest = line[m_item.end():]
            title = re.split(r"[：:。]", rest, maxsplit=1)[0]
            label = m_item.group(0) + title if len(title) <= 20 else m_item.group(0)
            if item_numbers_local and l1:
                label = l1 + label
            start(label, "text", [p for p in (l1, label) if p])["lines"].append(line)
            seen_content = True
        elif _is_heading_line(line):
            l1 = line
            start(l1, "heading", [l1])["lines"].append(line)
        elif not seen_content and _is_title_line(line):
            if current is None or current["kind"] != "title":
                start("标题", "title", ["标题"])
            current["lines"].append(line)
        else:
            seen_content = True
            if current is None or current["kind"] == "title":
                start("前言", "text", ["前言"])
            elif current["kind"] == "heading":
                current["kind"] = "text"
            current["lines"].append(line)

    for i, s in enumerate(sections_raw):
        raw = "\n".join(s["lines"])
        responsible = [m.group(1) for m in RE_BRACKET.finditer(raw)]
        text = RE_BRACKET.sub("", raw).strip()
        sections.append(Section(
            doc=doc.id, doc_title=doc.title, label=s["label"], kind=s["kind"],
            heading_path=[doc.short_title, *s["path"]], raw=raw, text=text,
            responsible=responsible, order=i,
        ))
    return _dedupe_labels(sections)


def _items_restart_per_heading(lines: list[str]) -> bool:
    """True when （一）… numbering restarts under each 一、 heading (then labels need the heading)."""
    firsts: list[str] = []
    after_heading = False
    for line in lines:
        if _is_heading_line(line):
            after_heading = True
        elif after_heading and (m := RE_ITEM.match(line)):
            firsts.append(m.group(0))
            after_heading = False
    return bool(firsts) and all(f == "（一）" for f in firsts)


def _dedupe_labels(sections: list[Section]) -> list[Section]:
    seen: dict[str, int] = {}
    for s in sections:
        if s.kind != "text":
            continue
        n = seen.get(s.label, 0) + 1
        seen[s.label] = n
        if n > 1:
            s.label = f"{s.label}（{n}）"
    return sections


def text_sections(sections: list[Section]) -> list[Section]:
    return [s for s in sections if s.kind == "text"]


def make_chunks(sections: list[Section]) -> list[Chunk]:
    """One chunk per section; long ones split by sentence with the heading path repeated."""
    chunks: list[Chunk] = []
    for s in text_sections(sections):
        prefix = " > ".join(s.heading_path)
        windows = _windows(s.sentences()) if len(s.text) > CHUNK_MAX_CHARS else [s.text]
        for j, w in enumerate(windows):
            cid = hashlib.sha1(f"{s.doc}|{s.label}|{j}".encode()).hexdigest()[:16]
            chunks.append(Chunk(id=cid, doc=s.doc, doc_title=s.doc_title, section=s.label,
                                text=f"{prefix}\n{w}", passage=w))
    return chunks


def _windows(sentences: list[str]) -> list[str]:
    out: list[str] = []
    cur = ""
    for sent in sentences:
        if cur and len(cur) + len(sent) > CHUNK_MAX_CHARS:
            out.append(cur)
            cur = ""
        cur += sent
    if cur:
        out.append(cur)
    return out


def section_units(section: Section) -> list[str]:
    """The quotable sentences/clauses of a section, in order: heading lines and lead labels left out."""
    units: list[str] = []
    for line in section.text.splitlines():
        line = line.strip()
        if not line or RE_MD_HEADING.match(line) or _is_heading_line(line) or line == section.label:
            continue
        lead = RE_LEAD_LABEL.match(line)  # 第一条 / （一）畅通数据开放供给。: the label, already in the citation
        if lead:
            line = line[lead.end():]
        units.extend(u for u in (m.group(0).strip() for m in RE_UNIT.finditer(line)) if u)
    return units


def make_sentences(sections: list[Section]) -> list[Sentence]:
    out: list[Sentence] = []
    for s in text_sections(sections):
        for i, text in enumerate(section_units(s)):
            sid = hashlib.sha1(f"{s.doc}|{s.label}|s{i}".encode()).hexdigest()[:16]
            out.append(Sentence(id=sid, doc=s.doc, section=s.label, heading_path=s.heading_path, position=i, text=text))
    return out


def load_corpus(sources_dir: Path) -> tuple[list[SourceDoc], list[Section]]:
    docs = load_sources(sources_dir)
    sections = [s for d in docs for s in parse_sections(d)]
    return docs, sections


class MissingDocument(ValueError):
    """A one-file corpus lacks the start line of one of its documents (the document is named)."""


def split_one_file(text: str, templates: list[SourceDoc]) -> list[SourceDoc]:
    """Split a one-file corpus (the published layout: a plan, then its attachments) into its documents.

    The served documents say where each one starts: an attachment's body opens with its own marker line (附件1 …), so
    a line equal to that first line starts it and the first document is everything before. Each part keeps the front
    matter of the served document it revises (paragraph labels, titles), so both texts parse the same way.
    """
    lines = text.splitlines()
    starts = [0]
    for tpl in templates[1:]:
        marker = _first_line(tpl.body)
        at = next((i for i in range(starts[-1] + 1, len(lines)) if lines[i].strip() == marker), None)
        if at is None:
            raise MissingDocument(tpl.title)
        starts.append(at)
    ends = [*starts[1:], len(lines)]
    return [tpl.model_copy(update={"body": "\n".join(lines[a:b]) + "\n", "path": ""})
            for tpl, a, b in zip(templates, starts, ends)]
