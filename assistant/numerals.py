"""Finding numerals the model wrote itself, in any script: the LLM may not state a figure, only name one.

Every check runs on `normalize(text)`: NFKC (full-width digits, circled digits, full-width braces become plain) and
no invisible characters, so `1\u200b00亿`, `１００` and `100 亿` are all seen as numbers.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import yaml

from assistant.config import KNOWLEDGE_DIR

INVISIBLE = re.compile("[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e"
                       "\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0]")
CN_NUMERAL = "〇零一二两兩三四五六七八九十百千万萬亿億壹贰貳叁參肆伍陆陸柒捌玖拾佰仟廿卅兆"
LONE_WORDLIKE = set("一陆伍拾")  # these alone are usually part of a word (陆续, 队伍, 收拾), not a quantity
RE_CN_RUN = re.compile(f"[{CN_NUMERAL}]+")
RE_EN_NUMBER = re.compile(r"\b(?:zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|"
                          r"forty|fifty|hundred|thousand|million|billion|half|double|twice|percent|dozen)\b", re.I)
LABEL_ARTICLE = re.compile(r"第[〇零一二三四五六七八九十百]+条")
LABEL_ORDINAL_YEAR = re.compile(r"第[一二三四五六七八九十]+年")
LABEL_ITEM = re.compile(r"（[一二三四五六七八九十]+）")
# Markdown and Chinese list markers at the start of a line, and 第一，第二： as ordinals of a list: not amounts.
LIST_MARKER = re.compile(r"(?m)^[ \t>*-]*(?:\d{1,2}[.)](?=[ \t])|[一二三四五六七八九十]{1,2}、)"
                         r"|第[一二三四五六七八九十]{1,2}(?=[，、：:])|(?:^|(?<=[。；，：\n]))[一二三四五六七八九十]是")
MASK = "\ue000"


KEEP_PUNCT = set("，：；（）？！～＂＇")  # Chinese punctuation stays as written; digits, letters, %, braces fold
ROMAN = {chr(c) for c in range(0x2160, 0x2189)}  # Ⅿ stays a numeral (NFKC would make it the letter M)


def normalize(text: str) -> str:
    """NFKC per character (full-width and circled digits, ％, ｛｝ fold to ASCII) with Chinese punctuation kept,
    and no invisible characters."""
    text = INVISIBLE.sub("", text or "")
    return "".join(ch if ch in KEEP_PUNCT or ch in ROMAN else unicodedata.normalize("NFKC", ch) for ch in text)


@lru_cache(maxsize=1)
def rules() -> dict:
    return yaml.safe_load((KNOWLEDGE_DIR / "guard.yaml").read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Numeral:
    text: str
    at: int


def mask(text: str, spans: list[tuple[int, int]]) -> str:
    """Blank spans out with a private-use char (same length, so positions stay valid)."""
    chars = list(text)
    for a, b in spans:
        for i in range(a, b):
            chars[i] = MASK
    return "".join(chars)


def fixed_phrase_spans(text: str) -> list[tuple[int, int]]:
    spans = []
    for phrase in sorted(rules()["fixed_phrases"], key=len, reverse=True):
        spans += [(m.start(), m.end()) for m in re.finditer(re.escape(phrase), text)]
    return spans


def _followed_by_unit(text: str, end: int) -> bool:
    tail = text[end:end + 3].lstrip()
    return any(tail.startswith(u) for u in rules()["quantity_units"])


def _is_ideograph(ch: str) -> bool:
    """CJK ideographs with a numeric value (参, 陆) are mostly words; the Chinese numerals are handled as runs."""
    return "\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff" or ch >= "\U00020000"


def find_numerals(text: str) -> list[Numeral]:
    """Numerals in already-normalized, placeholder-masked text. Labels (第九条, （五）) must be masked by the caller
    once they have been checked; fixed words (一人公司, 一次性) are not quantities."""
    found: list[Numeral] = []
    t = mask(text, fixed_phrase_spans(text) + [m.span() for m in LIST_MARKER.finditer(text)])
    for word in rules()["quantity_words"]:
        found += [Numeral(m.group(0), m.start()) for m in re.finditer(re.escape(word), t)]
    t = mask(t, [(n.at, n.at + len(n.text)) for n in found])
    for m in RE_CN_RUN.finditer(t):
        run = m.group(0)
        if len(run) == 1 and run in LONE_WORDLIKE and not _followed_by_unit(t, m.end()):
            continue
        found.append(Numeral(run, m.start()))
    for i, ch in enumerate(t):
        if ch in CN_NUMERAL or ch == MASK or _is_ideograph(ch):
            continue
        if ch.isdigit() or unicodedata.numeric(ch, None) is not None:
            last = found[-1] if found else None
            if last and last.at + len(last.text) == i and last.text[-1:].isdigit():
                found[-1] = Numeral(last.text + ch, last.at)
            else:
                found.append(Numeral(ch, i))
    found += [Numeral(m.group(0), m.start()) for m in RE_EN_NUMBER.finditer(t)]
    return sorted(found, key=lambda n: n.at)
