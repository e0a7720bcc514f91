"""One place-name resolver for chat, tools and UI.

Names of China's provinces, cities and counties (with their official short forms) come from jionlp's gazetteer;
which districts form 盐城大市区 and which counties only 参照 comes from knowledge/places.yaml. Only whole names and
known short forms match: "区" or "湖区" is no place, and 滨海新区 is Tianjin's, not 滨海县.
"""
from __future__ import annotations

import contextlib
import io
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml

PLACES_PATH = Path(__file__).resolve().parent.parent / "knowledge" / "places.yaml"
Level = Literal["province", "city", "county"]
Scope = Literal["大市区", "参照", "外地"]
_RANK = {"province": 0, "city": 1, "county": 2}


@dataclass(frozen=True)
class Place:
    """A resolved place. `name` is written as the measures write it when they name it (市开发区), else the official name."""

    name: str
    level: Level
    city: str | None = None          # parent city (for a county), or the city itself
    province: str | None = None
    full_name: str = ""              # official name in the gazetteer
    text: str = ""                   # the words in the input that named it
    start: int = 0
    alternatives: tuple[str, ...] = field(default=())  # other places the same words can name


@dataclass
class _Gazetteer:
    forms: dict[str, list[Place]]          # whole names and short forms usable inside a longer text
    exact_only: dict[str, list[Place]]     # forms that match only when they are the whole input
    lengths: list[int]
    home: dict
    metro: list[str]
    reference: list[str]


def _load_jionlp() -> dict:
    """jionlp prints a banner on import; keep it off stdout (the CLI prints JSON there)."""
    with contextlib.redirect_stdout(io.StringIO()):
        from jionlp.dictionary.dictionary_loader import china_location_loader

        return china_location_loader()


def _aliases(entry: dict) -> list[str]:
    raw = entry.get("_alias") or []
    raw = raw if isinstance(raw, list) else str(raw).split("/")  # cities carry a list, others a string
    return [a for a in raw if len(a) >= 2]


def _walk(tree: dict):
    """Yield (Place, aliases) for every province, city and county of the gazetteer."""
    for prov, pdata in tree.items():
        if prov.startswith("_"):
            continue
        yield Place(prov, "province", None, prov, prov), _aliases(pdata)
        for city, cdata in pdata.items():
            if city.startswith("_"):
                continue
            yield Place(city, "city", city, prov, city), _aliases(cdata)
            for county, kdata in cdata.items():
                if not county.startswith("_"):
                    yield Place(county, "county", city, prov, county), _aliases(kdata)


def _add(index: dict, form: str, place: Place) -> None:
    bucket = index.setdefault(form, [])
    if place not in bucket:
        bucket.append(place)


@lru_cache(maxsize=1)
def _gazetteer() -> _Gazetteer:
    data = yaml.safe_load(PLACES_PATH.read_text(encoding="utf-8"))
    home = data["home"]
    official = {e.get("gazetteer", e["name"]): e["name"] for e in data["metro"] + data["reference"]}
    generic = set(data.get("generic_names") or [])
    forms: dict[str, list[Place]] = {}
    exact: dict[str, list[Place]] = {}
    by_name: dict[str, Place] = {}
    for place, aliases in _walk(_load_jionlp()):
        local = place.city == home["city"] and place.level == "county"
        if local and place.full_name in official:
            place = Place(official[place.full_name], "county", place.city, place.province, place.full_name)
        by_name.setdefault(place.name, place)
        for form in [place.full_name, *aliases]:
            if form in generic:  # 城区、新区…: common words and many places; never a place on their own
                continue
            # other counties' short forms (和平, 城中…) are common words: they count only as a whole input
            whole_only = form != place.full_name and place.level == "county" and not local
            _add(exact if whole_only else forms, form, place)
    for e in data.get("extra_places") or []:
        place = Place(e["name"], e["level"], home["city"], home["province"], e["full_name"])
        by_name[place.name] = place
        _add(forms, e["full_name"], place)
    for form, name in (data.get("short_forms") or {}).items():
        (exact if form in generic else forms)[form] = [by_name[name]]
    lengths = sorted({len(f) for f in forms}, reverse=True)
    return _Gazetteer(forms, exact, lengths, home, [e["name"] for e in data["metro"]],
                      [e["name"] for e in data["reference"]])


def _choose(candidates: list[Place], text: str, start: int) -> Place:
    """Several places share a name (滨海 = 滨海县 / 滨海新区): prefer the home city, then the home province."""
    g = _gazetteer()
    ranked = sorted(candidates, key=lambda p: (p.city != g.home["city"], p.province != g.home["province"],
                                               _RANK[p.level]))
    best = ranked[0]
    others = tuple("".join(dict.fromkeys(x for x in (p.province, p.city, p.name) if x)) for p in ranked[1:])
    return Place(best.name, best.level, best.city, best.province, best.full_name, text, start, others)


def lookup(name: str) -> Place | None:
    """The place a whole input names (a form field, a tool argument), or None. No partial matches."""
    g = _gazetteer()
    key = (name or "").strip()
    found = g.forms.get(key, []) + [p for p in g.exact_only.get(key, []) if p not in g.forms.get(key, [])]
    return _choose(found, key, 0) if found else None


def resolve(text: str) -> list[Place]:
    """Every place named in a free text, left to right, longest name first (盐城市亭湖区 -> 盐城市, 亭湖区)."""
    g = _gazetteer()
    text = text or ""
    whole = lookup(text)
    if whole:
        return [whole]
    out, i = [], 0
    while i < len(text):
        for n in g.lengths:
            cands = g.forms.get(text[i:i + n]) if i + n <= len(text) else None
            if cands:
                out.append(_choose(cands, text[i:i + n], i))
                i += n
                break
        else:
            i += 1
    return out


def scope(place: Place) -> Scope | None:
    """大市区 (the measures apply), 参照 (a county that may issue its own rules), 外地; None = in 盐城 but which
    district is not known (the city or the province itself)."""
    g = _gazetteer()
    if place.level == "county" and place.city == g.home["city"]:
        return "大市区" if place.name in g.metro else ("参照" if place.name in g.reference else None)
    if place.name in (g.home["city"], g.home["province"]):
        return None
    return "外地"


def home_province() -> str:
    """The province of the policy's own city (knowledge/places.yaml `home`)."""
    return _gazetteer().home["province"]


def city_names() -> list[str]:
    """Provinces and cities by their usual short forms (杭州, 江苏): the names a romanised question may use."""
    g = _gazetteer()
    return sorted({f for f, ps in g.forms.items() if len(f) == 2 and any(p.level in ("province", "city") for p in ps)})


def metro_names() -> list[str]:
    """大市区 as the measures list them."""
    return list(_gazetteer().metro)


def reference_names() -> list[str]:
    """The counties (市) that may only refer to the measures."""
    return list(_gazetteer().reference)


def warm() -> None:
    """Load the gazetteer now (servers call this at start so the first question is not slower)."""
    _gazetteer()
