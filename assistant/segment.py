"""Chinese tokenization shared by indexing and querying: jieba + the domain dictionary and synonyms."""
from __future__ import annotations

import logging
import re
import threading
from functools import lru_cache
from pathlib import Path

import jieba

from assistant.config import get_settings

jieba.setLogLevel(logging.WARNING)
RE_KEEP = re.compile(r"[\u4e00-\u9fffA-Za-z0-9%]")
_lock = threading.Lock()


class Terms:
    """Parsed knowledge/terms.txt: dictionary entries, query synonyms, stopwords."""

    def __init__(self, path: Path):
        self.path = path
        self.words: list[tuple[str, int | None, str | None]] = []
        self.synonyms: dict[str, list[str]] = {}
        self.stopwords: set[str] = set()
        section = None
        for raw in path.read_text(encoding="utf-8").splitlines():
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            if line.startswith("[") and line.endswith("]"):
                section = line[1:-1]
                continue
            if section == "dict":
                parts = line.split()
                freq = int(parts[1]) if len(parts) > 1 else None
                self.words.append((parts[0], freq, parts[2] if len(parts) > 2 else None))
            elif section == "synonyms" and "=>" in line:
                key, _, vals = line.partition("=>")
                self.synonyms[key.strip()] = [v.strip() for v in vals.split("｜") if v.strip()]
            elif section == "stopwords":
                self.stopwords.update(line.split())


@lru_cache(maxsize=1)
def terms() -> Terms:
    return Terms(get_settings().knowledge_dir / "terms.txt")


@lru_cache(maxsize=1)
def tokenizer() -> jieba.Tokenizer:
    with _lock:
        tk = jieba.Tokenizer()
        cache = get_settings().data_dir / "jieba.cache"
        tk.cache_file = str(cache.resolve())
        tk.tmp_dir = str(cache.parent.resolve())
        tk.initialize()
        for word, freq, tag in terms().words:
            tk.add_word(word, freq, tag)
        return tk


def has_word(text: str, words: list[str]) -> bool:
    """A cue word that starts where a word of the text starts (申报到 does not say 报到; 去税务局报到 does)."""
    found = [w for w in words if w and w in text]
    if not found:
        return False
    starts = {start for _, start, _ in tokenizer().tokenize(text)}
    return any(m.start() in starts for w in found for m in re.finditer(re.escape(w), text))


def expand_query(text: str) -> str:
    """Append the document's wording for colloquial terms (一人公司 -> OPC)."""
    extra = [v for k, vals in terms().synonyms.items() if k.lower() in text.lower() for v in vals]
    return text if not extra else text + " " + " ".join(extra)


def tokens(text: str) -> list[str]:
    """Search-mode jieba tokens, lowercased, without stopwords and punctuation."""
    stop = terms().stopwords
    out = []
    for t in tokenizer().cut_for_search(text):
        t = t.strip().lower()
        if t and t not in stop and RE_KEEP.search(t):
            out.append(t)
    return out
