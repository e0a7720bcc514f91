"""Plain policy answers built from the sentences that answer the question.

The answer starts with one direct line (the best sentence for what was asked: what it is, how many, who, where,
when, which steps), then the supporting quotes with their labels. A list question (条件, 流程, 功能, 哪些…) gets the
whole enumeration of its section, in order. Quotes are whole sentences from the index's sentence units, so a
heading is never quoted alone and no sentence is cut in the middle of the fact that was asked.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from cn2an import an2cn

from assistant.ingest import Sentence
from assistant.retrieve import Hit, HybridSearcher

# What a question asks for, and what a sentence that answers it contains (language cues, not policy facts).
# Checked in this order: a steps or list question often also says 是什么 (认定流程是什么).
KINDS: list[tuple[str, re.Pattern, re.Pattern]] = [
    ("steps", re.compile(r"流程|步骤|程序|怎么申请|如何申请|怎么认定|如何认定|怎么办理|如何办理"), re.compile(r".")),
    ("where", re.compile(r"哪里|哪儿|在哪|哪些(?:区|县|地区|园区|地方|城市)|什么地方|哪个区|地点"),
     re.compile(r"区|县|园|中心|地区")),
    ("list", re.compile(r"条件|功能|哪些|包括什么|包括哪|有什么(?:内容|服务|措施|任务|要求)|几个方面|几项"), re.compile(r".")),
    ("what", re.compile(r"什么是|是什么|是指|啥是|是啥|定义|什么意思|啥意思|含义|指的是"), re.compile(r"是指|所称")),
    ("who", re.compile(r"谁|哪个部门|哪些部门|什么部门|哪家单位|由哪|主体"), re.compile(r"负责|牵头|统筹|主体|由")),
    ("when", re.compile(r"什么时候|何时|哪一?年|期限|到期|有效期|多久|多长时间|截止"), re.compile(r"\d{4}年|年|月|日|期")),
    ("howmany", re.compile(r"多少|几个|几家|几场|几年|几项|比例|上限|最高|最多|至少|不少于|多大|百分之"),
     re.compile(r"\d|[一二三四五六七八九十百千万]+(?:个|家|场|年|项|人|元|倍)")),
]
LIST_KINDS = ("steps", "list")
PARENT_MAX_CHARS = 12  # a short heading over numbered items (三、基本条件) names what they enumerate
SECOND_SECTION_RATIO = 0.97  # show a second section only when it ranks about as high as the first
MAX_QUOTES = 4


@dataclass
class Quote:
    doc: str
    doc_title: str
    section: str
    sentences: list[Sentence]


@dataclass
class PolicyAnswer:
    kind: str
    direct: Sentence | None
    quotes: list[Quote] = field(default_factory=list)
    enumerated: bool = False
    responsible: list[str] = field(default_factory=list)


def question_kind(question: str) -> str:
    return next((name for name, asks, _ in KINDS if asks.search(question)), "fact")


def build(searcher: HybridSearcher, question: str, hits: list[Hit]) -> PolicyAnswer:
    """Choose the sections, the direct sentence and the quotes for a plain policy question."""
    kind = question_kind(question)
    top = hits[0]
    keys = [(top.doc, top.section)] + [(h.doc, h.section) for h in hits[1:2]
                                       if h.score >= top.score * SECOND_SECTION_RATIO and h.section != top.section]
    evidence = searcher.evidence(question, keys, k=MAX_QUOTES)
    direct = _direct(searcher, kind, question, [s for s, _ in evidence], [r for _, r in evidence])
    answer = PolicyAnswer(kind=kind, direct=direct, responsible=list(top.responsible))
    if kind in LIST_KINDS:
        group = _enumeration(searcher, top, question)
        answer.enumerated = True
        answer.quotes = [Quote(d, searcher.section(d, lab).doc_title, lab, searcher.section_sentences(d, lab))
                         for d, lab in group]
        return answer
    by_section: dict[tuple[str, str], list[Sentence]] = {}
    for s, _ in evidence:
        by_section.setdefault((s.doc, s.section), []).append(s)
    answer.quotes = [Quote(d, searcher.section(d, lab).doc_title, lab, sents) for (d, lab), sents in by_section.items()]
    return answer


def _direct(searcher: HybridSearcher, kind: str, question: str, sentences: list[Sentence],
            rel: list[float]) -> Sentence | None:
    """The best sentence for what was asked: how much of the question it covers (idf-weighted, with its section
    title), lifted when it has what the question kind needs (a number for 多少, 是指 for 是什么…)."""
    if not sentences:
        return None
    cue = next((c for name, _, c in KINDS if name == kind), None)
    q_tokens = searcher.rank(question).q_tokens
    top = max(rel) or 1.0

    def value(i: int) -> float:
        s = sentences[i]
        bonus = 0.3 if cue is not None and cue.search(s.text) else 0.0
        return searcher.coverage(q_tokens, s) + 0.3 * rel[i] / top + bonus

    return sentences[max(range(len(sentences)), key=lambda i: (value(i), -i))]


def _enumeration(searcher: HybridSearcher, top: Hit, question: str) -> list[tuple[str, str]]:
    """The section asked about, or all its sibling items when the question names their common heading
    (社区的基本条件 -> 三、基本条件（一）…（七）)."""
    section = searcher.section(top.doc, top.section)
    path = section.heading_path
    own = set(re.findall(r"[\u4e00-\u9fff]{2}", _item_name(top.section).strip("（）一二三四五六七八九十")))
    if len(path) >= 3 and len(path[-2]) <= PARENT_MAX_CHARS and not any(w in question for w in own):
        parent = path[-2]
        words = set(re.findall(r"[\u4e00-\u9fff]{2}", re.sub(r"^[一二三四五六七八九十]+、", "", parent)))
        if any(w in question for w in words):
            return [key for key, s in searcher.sections.items()
                    if s.doc == top.doc and len(s.heading_path) >= 3 and s.heading_path[-2] == parent]
    return [(top.doc, top.section)]


def render(answer: PolicyAnswer) -> tuple[str, list[tuple[str, str, str, str]]]:
    """Markdown and the citations (doc, doc_title, section, quote) of a built answer: every quoted sentence is
    cited, so every figure in the text is in a citation."""
    lines: list[str] = []
    if answer.enumerated:
        first = answer.quotes[0]
        multi = len(answer.quotes) > 1
        head = _common_heading(first.section) if multi else first.section
        count = len(answer.quotes) if multi else len(first.sentences)
        lines.append(f"《{first.doc_title}》{head}的规定如下（共{an2cn(count)}项）：")
        for q in answer.quotes:
            if multi:
                lines.append(f"- {_item_name(q.section)}：{''.join(s.text for s in q.sentences)}")
            else:
                lines.extend(f"- {s.text}" for s in q.sentences)
    else:
        if answer.direct is not None:
            d = answer.direct
            title = next(q.doc_title for q in answer.quotes if q.doc == d.doc and q.section == d.section)
            lines.append(f"{d.text}（《{title}》{d.section}）")
        support = [(q, s) for q in answer.quotes for s in q.sentences if s is not answer.direct]
        if support:
            lines += ["", "相关原文："]
            lines.extend(f"- 《{q.doc_title}》{q.section}：{s.text}" for q, s in support)
    cites = []
    for q in answer.quotes:
        ordered = sorted(q.sentences, key=lambda s: s is not answer.direct)  # the direct sentence first
        cites.extend((q.doc, q.doc_title, q.section, s.text) for s in ordered)
    return "\n".join(lines), cites


def _common_heading(label: str) -> str:
    i = label.find("（")
    return label[:i] if i > 0 else label


def _item_name(label: str) -> str:
    i = label.find("（")
    return label[i:] if i > 0 else label


def answer(searcher: HybridSearcher, question: str, hits: list[Hit], reply) -> None:
    """The one call the engine makes for a plain policy question: fills the reply's text, citations, next step."""
    from assistant.compose import DRAFT

    built = build(searcher, question, hits)
    text, cites = render(built)
    reply.parts.append(text)
    for doc, title, section, quote in cites:
        reply.cite(doc, section, quote, title)
    if built.responsible:
        reply.parts.append(f"**责任单位**：{built.responsible[0].replace('责任单位：', '')}")
    if "元" in text:
        reply.parts.append(DRAFT)
    reply.follow_up.append("需要我按您的情况算一算能拿多少吗？")
