"""Places in a message and the role each plays: where the company is (decides the 大市区 scope), where the founder
comes from (irrelevant to the policy), or a place whose own policy is asked about (refused, pointed to its
authorities). Every place comes from the gazetteer of tools/places.py (scope from knowledge/places.yaml)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from assistant.facts import clause_of, negated
from assistant.segment import tokenizer
from tools import places

# Words around a place saying the founder comes from there (not where the company is, not what is asked about).
ORIGIN_BEFORE = re.compile(r"(从|之前在|以前在|原来在|曾在|曾经在|老家|老家在|来自|毕业于|户籍在?|出生在)[^，,。；;]{0,2}$")
ORIGIN_AFTER = re.compile(r"^(人(?!才|工)|籍)|^[^，,。；;]{0,3}(回来|交|缴|上班|工作|生活|住过|回到|来的|过来|毕业|读书|上学|上的大学|工作过|待过|干过|打工|离职|辞职)")
# Words saying the founder was employed there (在杭州一家电商公司做了两年): a past employer, not the founder's company.
EMPLOYER_AFTER = re.compile(r"^[^，,。；;]{0,8}(公司|企业|单位|厂|大厂|集团)[^，,。；;]{0,3}(做|干|上班|工作|待|呆|任职|实习|打工)")
# Words saying the company is there.
COMPANY_AFTER = re.compile(r"^[^，,。；;]{0,4}(开|注册|创业|成立|办|落户|设立|经营|的企业|的公司|的OPC|企业|公司)")
# Words after a place (in its clause) saying its OWN policy is asked about: 杭州的OPC补贴, 南京对AI企业有什么人才
# 政策, 苏州那边补多少; or a possessive question about it (杭州的人才公寓能免租吗).
ASKED_AFTER = re.compile(r"政策|补贴|补助|奖励|扶持|优惠|规定|措施|支持|奖补|券|免租|减免|标准|(补|给|发)(多少|几)")
POSSESSIVE_QUESTION = re.compile(r"^(市|那边|当地)?的[^，,。；;]*(吗|？|\?|什么|多少|怎么|哪些|能不能|有没有)")
# Words after a place saying an event is held there (在上海办的国家级大赛): where the event is, not a policy asked.
EVENT_AFTER = re.compile(r"^[^，,。；;]{0,4}(举办|主办|承办|办)[^，,。；;]{0,8}(大赛|比赛|活动|展会|会议|论坛|峰会)")
# An event moved to a place (活动放在苏州办, 大赛改到上海举行): the event's venue.
EVENT_BEFORE = re.compile(r"(活动|大赛|比赛|展会|会议|论坛|峰会)[^，,。；;]{0,4}(放在|放到|改在|改到|挪到|在|去)$"
                          r"|(改到|改在|挪到|换到|放到)$")  # 如果改到南京办呢: the venue moves
EVENT_VERB_AFTER = re.compile(r"^(办|举办|举行|开|搞|承办)")
YANCHENG = "盐城"
LIKE_YANCHENG = re.compile(r"(像|如|跟|和|同|比|like|as)\s*盐城")


@dataclass(frozen=True)
class Place:
    name: str
    start: int
    end: int
    local: bool          # in Yancheng
    district: str | None  # the canonical Yancheng district/county when local


def find_places(text: str) -> list[Place]:
    """Every place the gazetteer finds, left to right (a fresh list of the message's one scan)."""
    return list(_find_places(text))


@lru_cache(maxsize=64)
def _find_places(text: str) -> tuple[Place, ...]:
    """Every place the gazetteer (tools/places.py) finds, left to right; Yancheng itself and Jiangsu are no
    place of their own here (江苏省科技创业大赛 names a competition, 盐城 the policy's own city)."""
    found = []
    starts = None
    for p in places.resolve(text):
        scope = places.scope(p)
        if scope is None:
            continue
        local = scope != "外地"
        if not local:  # a name inside a word is no place (沿海城市 is not 海城市)
            starts = starts if starts is not None else {t[1] for t in tokenizer().tokenize(text)}
            if p.start not in starts:
                continue
        found.append(Place(p.text or p.name, p.start, p.start + len(p.text or p.name), local,
                           p.name if local else None))
    return tuple(found)


def role_of(text: str, p: Place) -> str:
    """'origin', 'company', 'asked' or 'context' for one place mention. A place is 'asked' only when the words
    after it ask for a policy and do not name Yancheng's; a bare mention (在上海干了8年, 先在上海孵化) is context."""
    c0, c1 = clause_of(text, p.start)
    before, after = text[c0:p.start], text[p.end:c1]
    if EVENT_AFTER.search(after) or (EVENT_BEFORE.search(before) and EVENT_VERB_AFTER.search(after)):
        return "event"
    if ORIGIN_AFTER.search(after) or EMPLOYER_AFTER.search(after) or (ORIGIN_BEFORE.search(before) and not COMPANY_AFTER.search(after)):
        return "origin"
    if COMPANY_AFTER.search(after) or re.search(r"(公司|企业|OPC)[^，,。；;]{0,3}(在|位于|注册在)$", before):
        return "company"
    yancheng_named = YANCHENG in LIKE_YANCHENG.sub("", after)  # 像盐城一样 / like 盐城 compares, it names no policy
    if not yancheng_named and (ASKED_AFTER.search(after) or POSSESSIVE_QUESTION.search(after)):
        return "asked"
    return "context"


@dataclass(frozen=True)
class PlaceFacts:
    district: str | None = None      # the company's Yancheng district or county
    asked_other: str | None = None    # another place whose own policy is asked about
    origin: str | None = None         # where the founder comes from (no effect on the policy)
    event_venue: str | None = None    # an event held outside Yancheng (the event support needs 在盐举办)


def place_facts(text: str) -> PlaceFacts:
    district = asked = origin = venue = None
    for p in find_places(text):
        if negated(text, p.start):
            continue
        role = role_of(text, p)
        if p.local:
            if role != "origin":
                district = district or p.district
        elif role == "event":
            venue = venue or p.name
        elif role in ("origin", "context"):
            origin = origin or p.name
        elif role == "company" and YANCHENG in text:
            origin = origin or p.name  # a second office elsewhere; the question is still about Yancheng
        else:
            asked = asked or p.name
    return PlaceFacts(district=district, asked_other=asked, origin=origin, event_venue=venue)
