"""Typos and other scripts before understanding: a misspelt term that sounds like a term of the domain (算利券,
贴细, 人词) becomes that term; a question typed in pinyin (suanli quan) or English gets the domain's Chinese words.
The vocabulary is the cue phrases of knowledge/ and the jieba dictionary of knowledge/terms.txt."""
from __future__ import annotations

import contextlib
import io
import re
from functools import lru_cache

from assistant.catalog import topic_cues
from assistant.segment import terms, tokenizer
from tools.checklists import CHECKLISTS_PATH

CJK = re.compile(r"[\u4e00-\u9fff]")
LATIN = re.compile(r"[A-Za-z]")
# A run of numeral characters longer than any quantity (an ID number is 18): noise, a pasted table or an attack.
# Every number pattern would rescan it from each of its positions, so it is blanked (same length, spans stay
# aligned) before anything reads the message, and never becomes a fact.
NUMERAL_CHARS = "0-9.,零〇一二两三四五六七八九十百千万亿点"
LONG_NUMERAL_RUN = re.compile(rf"[{NUMERAL_CHARS}]{{25,}}")
BLANK = "\u25a1"
MAX_LEN = 6


@lru_cache(maxsize=1)
def _jio():
    with contextlib.redirect_stdout(io.StringIO()):
        import jionlp

    return jionlp


@lru_cache(maxsize=20000)
def _syllable(ch: str) -> str:
    """The toneless pinyin of one character ('' for anything that is not Chinese)."""
    if not CJK.match(ch):
        return ""
    return re.sub(r"\d", "", _jio().pinyin(ch, formater="simple")[0])


@lru_cache(maxsize=1)
def _vocabulary() -> dict[tuple[str, ...], str]:
    """Toneless pinyin of every domain term -> the term (the first spelling wins)."""
    import yaml

    words = [w for tc in topic_cues() for w in tc.cues]
    words += yaml.safe_load(CHECKLISTS_PATH.read_text(encoding="utf-8"))["intent_cues"]["strong"]
    words += [w for w, _, _ in terms().words]
    out: dict[tuple[str, ...], str] = {}
    for w in words:
        if 2 <= len(w) <= MAX_LEN and all(CJK.match(c) for c in w):
            out.setdefault(tuple(_syllable(c) for c in w), w)
    return out


def _known(word: str) -> bool:
    return word in set(_vocabulary().values()) or bool(tokenizer().FREQ.get(word))


def fix_homophones(text: str) -> str:
    """Replace a run of characters that is no word but sounds exactly like a domain term."""
    vocab, out, i = _vocabulary(), [], 0
    inside = {k for w, a, b in tokenizer().tokenize(text) if len(w) > 1 and _known(w) for k in range(a + 1, b)}
    while i < len(text):
        for n in range(min(MAX_LEN, len(text) - i), 1, -1) if i not in inside else ():
            piece = text[i:i + n]
            if not all(CJK.match(c) for c in piece):
                continue
            term = vocab.get(tuple(_syllable(c) for c in piece))
            if term and term != piece and not _known(piece):
                out.append(term)
                i += n
                break
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


@lru_cache(maxsize=1)
def _english() -> list[tuple[str, str]]:
    pairs, section = [], None
    for raw in terms().path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
        elif section == "english" and "=>" in line and not line.startswith("#"):
            en, _, zh = line.partition("=>")
            pairs.append((en.strip().lower(), zh.strip()))
    return sorted(pairs, key=lambda p: -len(p[0]))


@lru_cache(maxsize=1)
def _pinyin_terms() -> list[tuple[str, str]]:
    """Domain terms by their pinyin written without spaces (suanliquan -> 算力券), longest first."""
    return sorted({("".join(k), w) for k, w in _vocabulary().items()}, key=lambda p: -len(p[0]))


@lru_cache(maxsize=1)
def _pinyin_places() -> list[tuple[str, str]]:
    """Cities and provinces by their pinyin (hangzhou -> 杭州). A spelling two places share (suzhou: 苏州, 宿州)
    takes the one in the home province: either way it is another city than Yancheng."""
    from tools.places import city_names, home_province, lookup

    by_py: dict[str, list[str]] = {}
    for name in city_names():
        by_py.setdefault("".join(_syllable(c) for c in name), []).append(name)
    home = home_province()
    out = []
    for py, names in by_py.items():
        if len(py) >= 5:
            names.sort(key=lambda n: (getattr(lookup(n), "province", None) != home, n))
            out.append((py, names[0]))
    return sorted(out, key=lambda p: -len(p[0]))


def from_latin(text: str) -> str:
    """An English or pinyin question with the domain's Chinese words put in (unknown words are kept)."""
    low = f" {text.lower()} "
    for en, zh in _english():
        low = re.sub(rf"(?<![a-z]){re.escape(en)}(?:e?s)?(?![a-z])", zh, low)  # vouchers, subsidies
    for run in sorted(set(re.findall(r"[a-z]+(?: [a-z]+)*", low)), key=len, reverse=True):
        joined = run.replace(" ", "")
        for py, word in [*_pinyin_terms(), *_pinyin_places()]:
            if len(py) >= 4 and py in joined:
                joined = joined.replace(py, word)
        low = low.replace(run, joined)
    return low.strip()


def pinyin_words(text: str) -> str:
    """A pinyin word typed among characters (生活butie) that spells a domain term exactly becomes the term;
    any other Latin word (GPU, AI) stays as it is."""
    terms = {**dict(_pinyin_terms()), **{en: zh for en, zh in _english() if en.isalpha() and " " not in en}}

    def swap(m: re.Match) -> str:
        return terms.get(m.group(0).lower(), m.group(0))

    return re.sub(r"(?<![A-Za-z])[A-Za-z]{4,}(?![A-Za-z])", swap, text)


def normalize(text: str) -> str:
    """The message as the understanding should read it."""
    text = LONG_NUMERAL_RUN.sub(lambda m: BLANK * len(m.group(0)), text)
    if LATIN.search(text) and len(LATIN.findall(text)) > len(CJK.findall(text)):
        text = from_latin(text)
    elif LATIN.search(text):
        text = pinyin_words(text)
    return fix_homophones(text)
