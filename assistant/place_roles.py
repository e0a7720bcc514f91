"""Places in a message and the role each plays: where the company is (decides the 大市区 scope), where the founder
comes from (irrelevant to the policy), or a place whose own policy is asked about (refused, pointed to its
authorities). Yancheng's districts come from knowledge/policies.yaml; other places from the gazetteer."""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from assistant.facts import clause_of, negated
from tools.rules import policy_book

# Words around a place saying the founder comes from there (not where the company is, not what is asked about).
ORIGIN_BEFORE = re.compile(r"(从|之前在|以前在|原来在|曾在|曾经在|老家|老家在|来自|毕业于|户籍在?|出生在)[^，,。；;]{0,2}$")
ORIGIN_AFTER = re.compile(r"^(人(?!才|工)|籍)|^[^，,。；;]{0,3}(回来|回到|来的|过来|毕业|读书|上学|上的大学|工作过|待过|干过|打工|离职|辞职)")
# Words saying the company is there.
COMPANY_AFTER = re.compile(r"^[^，,。；;]{0,4}(开|注册|创业|成立|办|落户|设立|经营|的企业|的公司|的OPC|企业|公司)")
YANCHENG = "盐城"


@dataclass(frozen=True)
class Place:
    name: str
    start: int
    end: int
    local: bool          # in Yancheng
    district: str | None  # the canonical Yancheng district/county when local


@lru_cache(maxsize=1)
def _local_names() -> dict[str, str]:
    """Every way the message may name a Yancheng district or county -> its canonical name (from the YAML)."""
    meta = policy_book().meta
    names: dict[str, str] = {}
    for full in [*meta.scope_direct, *meta.scope_reference]:
        names[full] = full
        if len(full) == 3 and full[-1] in "区县市":
            names.setdefault(full[:2], full)
    for alias, full in meta.scope_aliases.items():
        names[alias] = full
    return names


def _other_names() -> list[str]:
    """Places outside Yancheng: the gazetteer of tools.places when present, else the fallback list."""
    try:
        from tools.places import other_place_names  # type: ignore[attr-defined]
        return list(other_place_names())
    except Exception:  # the gazetteer module is optional
        return list(_FALLBACK_OTHER)


_FALLBACK_OTHER = ("苏州", "南京", "上海", "北京", "杭州", "深圳", "广州", "无锡", "常州", "南通", "扬州", "泰州", "连云港",
                   "淮安", "宿迁", "徐州", "镇江", "合肥", "成都", "武汉", "西安", "重庆", "天津", "青岛", "厦门", "宁波",
                   "长沙", "郑州", "济南", "福州", "昆明", "沈阳", "大连", "哈尔滨", "长春", "石家庄", "南昌", "贵阳", "南宁",
                   "海口", "兰州", "太原", "呼和浩特", "乌鲁木齐", "拉萨", "银川", "西宁", "香港", "澳门", "台北")


def find_places(text: str) -> list[Place]:
    """Every place named in the text, longest name first where names overlap, in order of appearance."""
    found: list[Place] = []
    local = _local_names()
    candidates = [(n, True) for n in local] + [(n, False) for n in _other_names()]
    candidates.sort(key=lambda c: -len(c[0]))
    taken: list[tuple[int, int]] = []
    for name, is_local in candidates:
        for m in re.finditer(re.escape(name), text):
            if any(a < m.end() and m.start() < b for a, b in taken):
                continue
            taken.append((m.start(), m.end()))
            found.append(Place(name, m.start(), m.end(), is_local, local.get(name) if is_local else None))
    return sorted(found, key=lambda p: p.start)


def role_of(text: str, p: Place) -> str:
    """'origin', 'company' or 'asked' for one place mention."""
    c0, c1 = clause_of(text, p.start)
    before, after = text[c0:p.start], text[p.end:c1]
    if ORIGIN_AFTER.search(after) or (ORIGIN_BEFORE.search(before) and not COMPANY_AFTER.search(after)):
        return "origin"
    if COMPANY_AFTER.search(after) or re.search(r"(公司|企业|OPC)[^，,。；;]{0,3}(在|位于|注册在)$", before):
        return "company"
    return "asked"


@dataclass(frozen=True)
class PlaceFacts:
    district: str | None = None      # the company's Yancheng district or county
    asked_other: str | None = None    # another place whose own policy is asked about
    origin: str | None = None         # where the founder comes from (no effect on the policy)


def place_facts(text: str) -> PlaceFacts:
    district = asked = origin = None
    for p in find_places(text):
        if negated(text, p.start):
            continue
        role = role_of(text, p)
        if p.local:
            if role != "origin":
                district = district or p.district
        elif role == "origin":
            origin = origin or p.name
        elif role == "company" and YANCHENG in text:
            origin = origin or p.name  # a second office elsewhere; the question is still about Yancheng
        else:
            asked = asked or p.name
    return PlaceFacts(district=district, asked_other=asked, origin=origin)
