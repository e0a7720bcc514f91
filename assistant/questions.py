"""Splitting one message into the questions it asks (at most three), each with the topic it is about.
Statements without a question ("我是硕士，28岁。") are context and travel with the question after them."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

MAX_QUESTIONS = 3
ANOTHER = re.compile(r"(另外|还有|此外|再问|顺便|以及|第二)(?!呢)")  # a question said to be another one
SENTENCE = re.compile(r"[^？?！!。；;]+[？?！!。；;]*")
CONNECTOR = re.compile(r"[，,]\s*(另外|还有|此外|以及|顺便问一下|顺便问下|再问一下|再问下)")
ASKS = re.compile(r"多少|(?<![十好这那])几(?![十乎百千])|吗|么|怎|什么|哪|呢|能否|是否|可否|有没有|能不能|可不可以|[？?]")
STRONG_ASK = re.compile(r"多少|吗|呢|怎么|什么|哪|能否|是否|可否|有没有|能不能|可不可以|[？?]")
CONTINUES = re.compile(r"^(那|那么|如果|要是|假如|换成|还有呢|然后呢)|呢[？?]?$|^.{0,6}[？?]$")
# A short question for the total of what was just asked (三年一共能拿多少？) adds to it; it names nothing new.
TOTAL_ONLY = re.compile(r"^[^，,。；;]{0,8}(一共|总共|合计|加起来|累计|总计|总额)[^，,。；;]{0,8}(多少|几)[^，,。；;]{0,4}$")
# 分别 before figures (服务费分别8万和3万) distributes the figures, not the topics.
EACH = re.compile(r"分别(?!\s*[0-9零〇一二两三四五六七八九十百千万]+\s*[万千元块%])|各(是|给|有|能|补|奖|多少)|各自")


@dataclass(frozen=True)
class Question:
    text: str
    topic: str | None = None  # set when one sentence asks about several topics (A和B分别多少)
    label: str | None = None  # the question as the asker wrote it, when `text` also carries earlier statements

    @property
    def asked(self) -> str:
        return self.label or self.text


def _sentences(text: str) -> list[str]:
    text = CONNECTOR.sub(lambda m: "。" + m.group(1), text)
    return [s.strip() for s in SENTENCE.findall(text) if s.strip()]


def asks(sentence: str) -> bool:
    """A sentence that asks something; one ending in 。 asks only with a question word (加几个AI agent。 tells)."""
    if sentence.rstrip().endswith(("。", ".")) and not STRONG_ASK.search(sentence):
        return False
    return bool(ASKS.search(sentence))


def asking_clause(text: str) -> str:
    """The last clause (between commas) of the asking sentence that asks something: the question itself."""
    clauses = [c for c in re.split(r"[，,]", asking_sentence(text)) if ASKS.search(c)]
    return clauses[-1] if clauses else text


def asking_sentences(text: str) -> list[str]:
    """The sentences of a message that ask something, in order."""
    return [s for s in _sentences(text) if asks(s)]


def asking_sentence(text: str) -> str:
    """The last sentence of a message that asks something (the background before it only tells)."""
    asking = asking_sentences(text)
    return asking[-1] if asking else text


def _group(sentences: list[str]) -> list[str]:
    """Glue statements to the question that follows them (or the last question when none follows)."""
    groups: list[str] = []
    pending = ""
    for s in sentences:
        pending += s
        if asks(s):
            groups.append(pending)
            pending = ""
    if pending:
        if groups:
            groups[-1] += pending
        else:
            groups.append(pending)
    return groups


def _merge_follow_ups(firsts: list[tuple[str, str | None]]) -> list[tuple[str, str | None]]:
    """A question with no topic of its own that continues the one before (那第三年呢？) stays with it."""
    out: list[tuple[str, str | None]] = []
    for g, topic in firsts:
        if out and topic is None and (CONTINUES.search(g) or TOTAL_ONLY.search(g)):
            out[-1] = (out[-1][0] + g, out[-1][1])
        else:
            out.append((g, topic))
    return out


def _with_background(groups: list[str], topics_of: Callable[[str], list[str]]) -> list[Question]:
    """Each question with the statements said before it in the message (我24岁，技师班…实际使用费用9.6万。…是这样吗？
    生活补贴和算力券各多少？ -> the second question keeps the age and the spend); a question that asks about
    several topics at once (A和B各多少) becomes one question per topic."""
    out: list[Question] = []
    told = ""
    for g in groups:
        text = told + g if told and g not in told else g
        topics = topics_of(g)
        label = g if text != g else None
        if EACH.search(g) and len(topics) > 1:
            out += [Question(text, t, label) for t in topics]
        else:
            out.append(Question(text, label=label))
        told += "".join(s for s in _sentences(g) if not asks(s))
    return out


def split(text: str, topics_of: Callable[[str], list[str]]) -> list[Question]:
    """The questions of a message; a single Question(text) when it asks one thing. Questions about different
    topics, or a question about a topic next to a question about the documents' text, are answered apart."""
    groups = _group(_sentences(text))
    firsts = _merge_follow_ups([(g, (topics_of(g) or [None])[0]) for g in groups])
    distinct = {t for _, t in firsts if t}
    if len(firsts) > 1 and distinct and (len(distinct) > 1 or any(t is None for _, t in firsts)):
        return _with_background([g for g, _ in firsts], topics_of)[:MAX_QUESTIONS]
    if len(firsts) > 1 and not distinct and all(ANOTHER.match(g) for g, _ in firsts[1:]):
        return [Question(g) for g, _ in firsts][:MAX_QUESTIONS]  # 活动至少几场？另外订单额至少多少？
    if len(groups) == 1 and EACH.search(text):
        topics = topics_of(text)
        if len(topics) > 1:
            return [Question(text, t) for t in topics[:MAX_QUESTIONS]]
    return [Question(text)]
