"""Reading values the way people write them: yes/no words, amounts, lists of amounts, whole numbers.

One vocabulary (knowledge/values.yaml) for the calc CLI, the tool inputs and the chat extractor. Anything that is not
clearly one reading is a ValueError with a Chinese message, never a silent "no" or a guessed number.
"""
from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from types import UnionType
from typing import Union, get_args, get_origin

import cn2an
import yaml
from pydantic import BaseModel, ValidationInfo, field_validator

VALUES_PATH = Path(__file__).resolve().parent.parent / "knowledge" / "values.yaml"
UNITS = {"亿": 100_000_000, "万": 10_000, "千": 1_000, "k": 1_000, "K": 1_000, "w": 10_000, "W": 10_000}
# Two-letter units as founders type them: kw/KW is 千万 (1.2kw = 1200万), read before the one-letter ones.
UNITS2 = {"kw": 10_000_000, "kW": 10_000_000, "Kw": 10_000_000, "KW": 10_000_000, "千万": 10_000_000}
MAX_AMOUNT = 1e13  # 10万亿元: anything larger is a typo, and floats stop holding fen exactly
RE_PLAIN = re.compile(r"^[0-9]+(?:\.[0-9]+)?$")
RE_THOUSANDS = re.compile(r"^[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?$")
RE_SUFFIX = re.compile(r"(人民币|块钱|块|元整|元)$")
RE_LIST_SEP = re.compile(r"[;；、\s]+")
RE_UNIT_ONLY = re.compile(r"^(万元|亿元|万|亿|千|元)$")
RE_THREE_DIGITS = re.compile(r"^[0-9]{3}(?:\.[0-9]+)?(?:[万亿千kKwW])?(?:元)?$")
AMOUNT_FORM = "金额，如 300000、30万、1,500,000元；多个金额用 ; 或 、 分隔"


@lru_cache(maxsize=1)
def _vocab() -> dict:
    return yaml.safe_load(VALUES_PATH.read_text(encoding="utf-8"))


def mentions(field: str) -> list[str]:
    """Phrases that say a fact in running text (跟我自己控股的公司买的 says related party), from values.yaml."""
    return list((_vocab().get("fields", {}).get(field) or {}).get("mentions") or [])


def fen(x: float) -> float:
    """Round to the fen (0.01元), half up: every amount the tools print and add is rounded this one way."""
    return float(Decimal(repr(float(x))).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def parse_bool(text, field: str | None = None) -> bool | None:
    """是/否/有/无/全日制/非全日制/首次/落地/已…/未… -> True/False; 不确定/不知道 -> None. Else ValueError."""
    if isinstance(text, bool) or text is None:
        return text
    s = str(text).strip().strip("。.!！").lower()
    v = _vocab()
    specific = (v.get("fields") or {}).get(field or "", {})
    if s in v["unknown"]:
        return None
    for words, answer in ((specific.get("yes_words", []), True), (specific.get("no_words", []), False),
                          (v["yes_words"], True), (v["no_words"], False)):
        if s in [str(w).lower() for w in words]:
            return answer
    yes_words = set(v["yes_words"]) | set(specific.get("yes_words", []))
    for neg in v["negations"]:
        if s.startswith(neg) and s[len(neg):] in yes_words:
            return False
    for prefixes, answer in ((v["no_prefixes"], False), (v["yes_prefixes"], True)):
        for p in prefixes:
            rest = s[len(p):]
            if s.startswith(p) and 0 < len(rest) <= 8 and re.fullmatch(r"[\u4e00-\u9fff]+", rest):
                return answer
    raise ValueError(f"无法判断“{text}”是“是”还是“否”，请写 是 或 否（不确定可写 不确定）")


def _number(s: str, original) -> float:
    """A bare number: 1500000, 1,500,000, 1.5, or Chinese numerals (五十万)."""
    if "," in s:
        if not RE_THOUSANDS.match(s):
            raise ValueError(f"“{original}”中的逗号不是千位分隔（应每3位一个，如 1,500,000）；多个金额请用 ; 或 、 分隔")
        s = s.replace(",", "")
    if RE_PLAIN.match(s):
        return float(s)
    if re.search(r"[0-9]", s) and re.search(r"[^0-9.]", s) and not re.fullmatch(r"[0-9.]+[十百千万亿]+", s):
        raise ValueError(f"无法识别的金额：“{original}”，应为{AMOUNT_FORM}")
    try:
        return float(cn2an.cn2an(s, "smart"))
    except (ValueError, KeyError, TypeError, IndexError, AttributeError) as exc:
        raise ValueError(f"无法识别的金额：“{original}”，应为{AMOUNT_FORM}") from exc


def parse_amount(text) -> float:
    """'50万' / '五十万' / '1.5万元' / '1,500,000元' / '1,000万' / 300000 -> yuan, rounded to the fen."""
    if isinstance(text, bool):
        raise ValueError(f"无法识别的金额：“{text}”，应为{AMOUNT_FORM}")
    if isinstance(text, (int, float)):
        value = float(text)
    else:
        s = str(text).strip().replace("，", ",").replace(" ", "").replace("\u3000", "")
        s = RE_SUFFIX.sub("", s)
        if not s:
            raise ValueError(f"金额为空，应为{AMOUNT_FORM}")
        if s.startswith("-") or s.startswith("负"):
            raise ValueError(f"金额不能为负数：“{text}”")
        mult = 1
        if s[-2:] in UNITS2 and s[:-2] and re.fullmatch(r"[0-9.,]+", s[:-2]):
            s, mult = s[:-2], UNITS2[s[-2:]]
        elif s[-1] in UNITS and s[:-1] and re.fullmatch(r"[0-9.,]+", s[:-1]):
            s, mult = s[:-1], UNITS[s[-1]]
        value = _number(s, text) * mult
    if value != value or abs(value) > MAX_AMOUNT:
        raise ValueError(f"金额无效或过大：“{text}”")
    if value < 0:
        raise ValueError(f"金额不能为负数：“{text}”")
    return fen(value)


def _split_commas(piece: str) -> list[str]:
    """'50万,80万' is a list; '1,500,000' is one amount; '1,000万,2,000万' could be either, so it is an error."""
    if "," not in piece or RE_THOUSANDS.match(RE_SUFFIX.sub("", piece).rstrip("万亿千kKwW")):
        return [piece]
    parts = piece.split(",")
    for a, b in zip(parts, parts[1:]):
        if a[-1:].isdigit() and RE_THREE_DIGITS.match(b):
            raise ValueError(f"“{piece}”有歧义：逗号可能是千位分隔，也可能分隔几个金额。一个金额请写成 1500000 或 150万，"
                             "几个金额请用 ; 或 、 分隔")
    return parts


def parse_amount_list(value) -> list[float]:
    """Several amounts: '50万;80万;120万', '50万、80万', '50万 80万', '50万,80万', or a list (repeated keys)."""
    if isinstance(value, (list, tuple)):
        return [a for v in value for a in parse_amount_list(v)]
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return [parse_amount(value)]
    s = str(value).replace("，", ",").strip()
    tokens: list[str] = []
    for tok in RE_LIST_SEP.split(s):
        if not tok:
            continue
        if RE_UNIT_ONLY.match(tok) and tokens:  # "50 万" written with a space
            tokens[-1] += tok
        else:
            tokens.append(tok)
    pieces = [p for tok in tokens for p in _split_commas(tok)]
    if not pieces or any(not p for p in pieces):
        raise ValueError(f"金额列表为空或有空项：“{value}”，应为{AMOUNT_FORM}")
    return [parse_amount(p) for p in pieces]


def parse_int(text, what: str = "整数") -> int:
    """Whole numbers: '30', '三十', 30.0. '2.5' or 'three' is an error (a count or an age is never guessed)."""
    if isinstance(text, bool):
        raise ValueError(f"应为{what}，收到“{text}”")
    if isinstance(text, int):
        return text
    s = str(text).strip()
    s = re.sub(r"(周岁|岁|人次|人|家|个|年|个月|场|平方米|㎡)$", "", s)
    try:
        if re.fullmatch(r"[0-9]+", s):
            return int(s)
        if re.fullmatch(r"[零〇一二两三四五六七八九十百千万]+", s):
            n = cn2an.cn2an(s, "normal")
            if float(n) == int(n):
                return int(n)
        d = Decimal(s)
        if d == d.to_integral_value() and d.is_finite():
            return int(d)
    except (ValueError, InvalidOperation, KeyError, TypeError, IndexError, AttributeError):
        pass
    raise ValueError(f"应为{what}，收到“{text}”")


def _is_bool(annotation) -> bool:
    return annotation is bool or (get_origin(annotation) in (Union, UnionType) and bool in get_args(annotation))


def _is_int(annotation) -> bool:
    return annotation is int or (get_origin(annotation) in (Union, UnionType) and int in get_args(annotation)
                                 and float not in get_args(annotation))


class ToolInput(BaseModel):
    """Base of every tool input: yes/no words and whole numbers are read with the shared vocabulary above, so
    "全日制", "首次" or "落地" mean yes, and "maybe", "thirty" or "2.5" (for a count) are input errors."""

    model_config = {"extra": "forbid", "allow_inf_nan": False}

    @field_validator("*", mode="before")
    @classmethod
    def _read_words(cls, value, info: ValidationInfo):
        annotation = cls.model_fields[info.field_name].annotation
        if isinstance(value, str) and _is_bool(annotation):
            return parse_bool(value, info.field_name)
        if isinstance(value, (str, float)) and not isinstance(value, bool) and _is_int(annotation):
            return parse_int(value)
        return value
