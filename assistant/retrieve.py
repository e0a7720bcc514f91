"""Hybrid retrieval over two granularities: sections (BM25 and dense over chunks) and their sentences (BM25 over
jieba tokens, e5 vectors, the section title as a field). Every signal ranks sections; the rankings are fused by
weighted reciprocal rank, so a section whose later sentence answers the question still comes first. The best
sentences of the best sections are the evidence answers quote (diversified by MMR, whole sentences only)."""
from __future__ import annotations

import logging
import math
import re
import threading
import time
from collections import Counter, OrderedDict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

import bm25s
import numpy as np
import yaml
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import BaseModel, ConfigDict

from assistant.embed import question_part
from assistant.index import Index
from assistant.ingest import Section, Sentence, text_sections
from assistant.segment import expand_query, tokens

Mode = Literal["hybrid", "bm25", "dense"]
RRF_K = 60
# Weight of each section ranking in the fusion (tuned on the dev retrieval questions only). The section title is
# a field of every sentence's BM25 document, not a ranking of its own: alone it ranks many sections on one word.
WEIGHTS = {"chunk_bm25": 1.0, "chunk_dense": 0.3, "sent_bm25": 1.0, "sent_dense": 0.5, "phrase": 0.5, "cue": 0.5,
           "named_doc": 0.5, "opening": 0.5}
# A run of the question found verbatim in at most PHRASE_SECTIONS sections (一张办公桌一间办公室, 攀峰计划) names
# them: words the tokenizer splits and the vectors blur.
PHRASE_MIN, PHRASE_MAX, PHRASE_SECTIONS = 5, 14, 2
NOT_TEXT = re.compile(r"[^\u4e00-\u9fffA-Za-z0-9]+")
CJK_RUN = re.compile(r"[\u4e00-\u9fff]{%d}" % PHRASE_MIN)
GRAM_CAP, PHRASE_CORPUS_MAX = 8, 300_000
QUOTED = re.compile(r"[“\"「『]([^”\"」』]{2,20})[”\"」』]")
SENTENCE_DENSE_WEIGHT = 0.8  # within the evidence: a sentence's dense rank against its lexical rank
MAX_EMBED_CHARS = 256  # embedding cost grows with length: embed the question's opening only
CANDIDATES = 30
QUOTE_MAX = 300
MMR_LAMBDA = 0.7
CACHE_SIZE = 64
# A question that asks for a quantity is answered by a sentence that states one: its lexical score is lifted.
RE_QUANTITY = re.compile(r"多少|几|比例|最高|最多|上限|至少|百分之|封顶")
QUANTITY_BOOST = 0.4
RETRIEVAL_CUES = Path(__file__).resolve().parent.parent / "knowledge" / "retrieval.yaml"
log = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def _retrieval_cues() -> dict:
    return yaml.safe_load(RETRIEVAL_CUES.read_text(encoding="utf-8")) or {}


def asks_opening(query: str) -> bool:
    """Why a document was made, on what basis, what it opens with: its first paragraph answers."""
    return any(w in query for w in _retrieval_cues().get("opening_asks", []))


def asks_money(query: str) -> bool:
    """A quantity question about money (封顶多少, 能补几成), not about a condition (面积至少多大, 几家金融机构)."""
    cues = _retrieval_cues()
    if not RE_QUANTITY.search(query):
        return False
    about_condition = any(w in query for w in cues.get("condition_measures", []))
    return not about_condition or any(w in query for w in cues.get("money_words", []))


def cued_sections(query: str) -> list[tuple[str, str]]:
    """The articles of the benefits whose cue phrases (policies.yaml) the question uses, in cue order."""
    from assistant.catalog import topic_benefit, topic_cues
    from tools.rules import policy_book

    out: list[tuple[str, str]] = []
    for tc in topic_cues():
        if any(w in query for w in tc.cues) and (bid := topic_benefit(tc.topic)):
            b = policy_book().benefit(bid)
            if (b.doc, b.section) not in out:
                out.append((b.doc, b.section))
    return out
_request = threading.local()  # per-request flag: the dense half failed and BM25 answered alone


class DenseUnavailable(RuntimeError):
    """The vector store or the embeddings endpoint cannot be reached (dense-only search answers 503)."""


def reset_degraded() -> None:
    _request.degraded = False


def was_degraded() -> bool:
    """Whether the last search on this thread ran without its dense half."""
    return getattr(_request, "degraded", False)


class Hit(BaseModel):
    doc: str
    doc_title: str
    section: str
    quote: str
    score: float
    text: str = ""
    responsible: list[str] = []


@dataclass
class Ranked:
    """One query's view of the corpus: fused section scores and every sentence's relevance."""

    q_tokens: list[str]
    sections: list[tuple[tuple[str, str], float]]  # fused, best first
    sentence_rel: np.ndarray  # per sentence, rank-fused lexical + dense (+ its section's rank)


class HybridSearcher:
    def __init__(self, index: Index):
        self.index = index
        self.sections = {(s.doc, s.label): s for s in text_sections(index.sections)}
        self._keys = list(self.sections)
        self._chunk_pos = {c.id: i for i, c in enumerate(index.chunks)}
        self._vocab = set(index.bm25.vocab_dict.keys()) if getattr(index.bm25, "vocab_dict", None) else None
        df: Counter[str] = Counter()
        for s in self.sections.values():
            df.update(set(tokens(s.text)))
        n = len(self.sections)
        self._idf = {t: math.log(1 + (n - c + 0.5) / (c + 0.5)) for t, c in df.items()}
        self.sentences: list[Sentence] = index.sentences
        self._sent_section = np.array([self._keys.index((s.doc, s.section)) for s in self.sentences], dtype=np.int64)
        self.by_section: dict[tuple[str, str], list[int]] = {}
        for i, s in enumerate(self.sentences):
            self.by_section.setdefault((s.doc, s.section), []).append(i)
        self._sent_bm25 = _bm25([tokens(s.text) + tokens(" ".join(s.heading_path[1:])) for s in self.sentences])
        self._sent_vecs = _sentence_vectors(index)
        self._plain = {k: NOT_TEXT.sub("", sec.text) for k, sec in self.sections.items()}
        self._titles = {NOT_TEXT.sub("", sec.doc_title) for sec in self.sections.values()}
        self._grams = self._gram_index()
        self._aliases = {d.id: [str(a) for a in d.meta.get("aliases") or []] for d in index.docs}
        self._first = {}  # each document's first paragraph (its preamble), in document order
        for doc, label in self._keys:
            self._first.setdefault(doc, (doc, label))
        self._has_number = np.array([bool(re.search(r"\d", s.text)) for s in self.sentences], dtype=np.float64)
        self._cache: OrderedDict[tuple[str, str], Ranked] = OrderedDict()
        self._sentence_words: dict[str, frozenset[str]] = {}
        self._cache_lock = threading.Lock()

    # --- single signals, each a ranking of section keys ------------------------------------------------
    def _gram_index(self) -> dict[str, list[tuple[str, str]]] | None:
        """Every PHRASE_MIN-character run -> the sections holding it (at most GRAM_CAP; more means common).
        Built for corpora up to PHRASE_CORPUS_MAX characters, where it costs a few MB; larger ones go without."""
        if sum(len(t) for t in self._plain.values()) > PHRASE_CORPUS_MAX:
            return None
        grams: dict[str, list[tuple[str, str]]] = {}
        for key, text in self._plain.items():
            for i in range(len(text) - PHRASE_MIN + 1):
                where = grams.setdefault(text[i:i + PHRASE_MIN], [])
                if key not in where and len(where) <= GRAM_CAP:
                    where.append(key)
        return grams

    def _holding(self, run: str) -> list[tuple[str, str]]:
        """The sections holding a run, found through its rarest PHRASE_MIN-gram."""
        lists = [self._grams.get(run[i:i + PHRASE_MIN], []) for i in range(len(run) - PHRASE_MIN + 1)]
        rare = min(lists, key=len)
        if not rare or len(rare) > GRAM_CAP:
            return []
        return [k for k in rare if run in self._plain[k]]

    def _phrase(self, query: str) -> list[tuple[str, str]]:
        """Sections holding the longest distinctive verbatim run of the question (punctuation ignored)."""
        if self._grams is None:
            return []
        quoted = self._quoted(query)
        if quoted:
            return quoted
        q = NOT_TEXT.sub("", query)
        for n in range(min(PHRASE_MAX, len(q)), PHRASE_MIN - 1, -1):
            found: list[tuple[str, str]] = []
            for i in range(len(q) - n + 1):
                sub = q[i:i + n]
                if not CJK_RUN.search(sub) or any(sub in t for t in self._titles):
                    continue  # a document's name (若干政策措施) names no section
                where = self._holding(sub)
                if 0 < len(where) <= PHRASE_SECTIONS:
                    found += [k for k in where if k not in found]
            if found:
                return found
        return []

    def _quoted(self, query: str) -> list[tuple[str, str]]:
        """A name the asker put in quotes (“链主+OPC”) is a thing the documents name: the sections holding it,
        when they are few (short or mixed-script names the run search skips)."""
        found: list[tuple[str, str]] = []
        for m in QUOTED.finditer(query):
            name = NOT_TEXT.sub("", m.group(1))
            where = [k for k, text in self._plain.items() if name in text] if len(name) >= 2 else []
            if 0 < len(where) <= PHRASE_SECTIONS:
                found += [k for k in where if k not in found]
        return found

    def _chunk_bm25(self, q_tokens: list[str]) -> list[tuple[str, str]]:
        q = [t for t in q_tokens if self._vocab is None or t in self._vocab]
        if not q:
            return []
        k = min(CANDIDATES, len(self.index.chunks))
        docs, scores = self.index.bm25.retrieve([q], k=k, show_progress=False)
        return self._chunk_keys(int(d) for d, s in zip(docs[0], scores[0]) if s > 0)

    def _dense_query(self, query: str, required: bool) -> tuple[np.ndarray, list[str]] | None:
        """(query embedding, chunk ids nearest to it). When the embedder or the vector store is down: None (BM25
        answers alone, the request is marked degraded and a warning logged) or, for dense-only search,
        DenseUnavailable."""
        try:
            # Embedding cost grows with length and holds a core: embed the question part only (BM25 sees all of it).
            q_vec = np.asarray(self.index.embedder.embed_query([question_part(query, MAX_EMBED_CHARS)])[0],
                               dtype=np.float32)
            k = min(CANDIDATES, len(self.index.chunks))
            ids = self.index.collection.query(query_embeddings=[q_vec.tolist()], n_results=k)["ids"][0]
        except Exception as exc:
            if required:
                raise DenseUnavailable(f"{type(exc).__name__}: {str(exc)[:200]}") from exc
            _request.degraded = True
            now = time.monotonic()
            if now - getattr(self, "_warned_at", -60.0) >= 10:  # one warning per 10 s, not one per query
                self._warned_at = now
                log.warning("dense retrieval unavailable (%s: %s); BM25 answers alone", type(exc).__name__,
                            str(exc)[:200])
            return None
        return q_vec, ids

    def _chunk_keys(self, positions) -> list[tuple[str, str]]:
        out: dict[tuple[str, str], None] = {}
        for ci in positions:
            c = self.index.chunks[ci]
            out.setdefault((c.doc, c.section), None)
        return list(out)

    def _lift(self, sent_scores: np.ndarray, positive_only: bool) -> list[tuple[str, str]]:
        """Section ranking by the best sentence score in each section."""
        best = np.full(len(self._keys), -np.inf)
        np.maximum.at(best, self._sent_section, sent_scores)
        order = np.argsort(-best, kind="stable")[:CANDIDATES]
        return [self._keys[i] for i in order if np.isfinite(best[i]) and (not positive_only or best[i] > 0)]

    # --- fusion ----------------------------------------------------------------------------------------
    def rank(self, query: str, mode: Mode = "hybrid") -> Ranked:
        """Rank sections and sentences for a query (cached: the engine and the answer builder share it)."""
        key = (query, mode)
        with self._cache_lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        before = was_degraded()
        _request.degraded = False
        ranked = self._rank(query, mode)
        if was_degraded():  # a ranking without its dense half is not cached: the next query retries the store
            return ranked
        _request.degraded = before
        with self._cache_lock:
            self._cache[key] = ranked
            while len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
        return ranked

    def _rank(self, query: str, mode: Mode) -> Ranked:
        named = self._named_docs(query)
        query = self._without_names(query, named)  # 附件1出台目的: the name picks the document, not its words
        q_tokens = tokens(expand_query(query))
        n = len(self.sentences)
        lex = _scores(self._sent_bm25, q_tokens, n)
        if RE_QUANTITY.search(query):
            lex = lex * (1 + QUANTITY_BOOST * self._has_number)
        rankings: dict[str, list[tuple[str, str]]] = {}
        if mode in ("hybrid", "bm25"):
            rankings["chunk_bm25"] = self._chunk_bm25(q_tokens)
            rankings["sent_bm25"] = self._lift(lex, positive_only=True)
            rankings["phrase"] = self._phrase(query)
            if asks_money(query):  # 算力券封顶多少: the article of the benefit the question names states it
                rankings["cue"] = cued_sections(query)
        dense = np.zeros(n)
        dense_query = self._dense_query(query, required=mode == "dense") if mode in ("hybrid", "dense") else None
        if dense_query is not None:
            q_vec, ids = dense_query
            rankings["chunk_dense"] = self._chunk_keys(self._chunk_pos[i] for i in ids if i in self._chunk_pos)
            if n:
                dense = self._sent_vecs @ (q_vec / (np.linalg.norm(q_vec) or 1.0))
                rankings["sent_dense"] = self._lift(dense, positive_only=False)
        sections = _fuse(rankings, {})
        if mode in ("hybrid", "bm25"):
            sections = _fuse(self._document_cues(query, named, sections), dict(sections))
            if named and asks_opening(query):  # 附件1出台目的: the named document's first paragraph, whatever else
                first = {self._first[d] for d in named if d in self._first}
                lead = sections[0][1] + 1.0 / RRF_K if sections else 1.0 / RRF_K
                sections = [(k, lead) for k, _ in sections if k in first] + [kv for kv in sections if kv[0] not in first]
        return Ranked(q_tokens, sections, self._sentence_rel(lex, dense, sections, mode))

    def _named_docs(self, query: str) -> list[str]:
        return [d for d, aliases in self._aliases.items() if any(a in query for a in aliases)]

    def _without_names(self, query: str, named: list[str]) -> str:
        names = sorted((a for d in named for a in self._aliases[d]), key=len, reverse=True)
        rest = query
        for a in names:
            rest = rest.replace(a, " ")
        return rest if rest.strip() else query

    def _document_cues(self, query: str, named: list[str], sections: list) -> dict[str, list]:
        """A question that names a document (指引里, 附件2) is about that document's articles; one that asks why a
        document was made (目的, 依据, 开头) is answered by its first paragraph, of the named document if any."""
        cues: dict[str, list] = {}
        if named:
            cues["named_doc"] = [k for k, _ in sections if k[0] in named]
        if asks_opening(query):
            cues["opening"] = [self._first[d] for d in (named or self._first) if d in self._first]
        return cues

    def _sentence_rel(self, lex: np.ndarray, dense: np.ndarray, sections, mode: Mode) -> np.ndarray:
        """Rank-fused relevance of every sentence: its own lexical and dense ranks, plus its section's rank."""
        n = len(self.sentences)
        rel = np.zeros(n)
        if mode in ("hybrid", "bm25"):
            rel += np.where(lex > 0, 1.0 / (RRF_K + _ranks(-lex)), 0.0)
        if mode in ("hybrid", "dense"):
            rel += SENTENCE_DENSE_WEIGHT / (RRF_K + _ranks(-dense))
        sec_rank = {key: r for r, (key, _) in enumerate(sections, 1)}
        prior = np.array([1.0 / (RRF_K + sec_rank.get(self._keys[i], 10 * RRF_K)) for i in range(len(self._keys))])
        return rel + (prior[self._sent_section] if n else 0.0)

    # --- public API ------------------------------------------------------------------------------------
    def search(self, query: str, k: int = 5, mode: Mode = "hybrid") -> list[Hit]:
        query = (query or "").strip()
        if not query:
            return []
        ranked = self.rank(query, mode)
        hits = []
        for (doc, label), score in ranked.sections[:k]:
            s = self.sections[(doc, label)]
            hits.append(Hit(doc=doc, doc_title=s.doc_title, section=label, quote=self.best_sentence(s, ranked),
                            score=round(score, 6), text=s.text, responsible=s.responsible))
        return hits

    def best_sentence(self, section: Section, ranked: Ranked) -> str:
        """The whole sentence of the section that best answers the query, verbatim (never its heading)."""
        idx = self.by_section.get((section.doc, section.label), [])
        if not idx:
            return section.text[:QUOTE_MAX]
        top = max(float(ranked.sentence_rel[i]) for i in idx) or 1.0
        best = max(idx, key=lambda i: (self.coverage(ranked.q_tokens, self.sentences[i])
                                       + 0.3 * float(ranked.sentence_rel[i]) / top, -i))
        return self.sentences[best].text[:QUOTE_MAX]

    def coverage(self, q_tokens: list[str], sentence: Sentence) -> float:
        """Share of the query (idf-weighted) that a sentence and its section title contain: picks the sentence
        that states the asked fact, where BM25's length normalization would prefer a short neighbour."""
        weight = {t: self._idf.get(t, 1.0) for t in set(q_tokens)}
        if not weight:
            return 0.0
        key = sentence.text + " ".join(sentence.heading_path[1:])
        have = self._sentence_words.get(key)
        if have is None:  # a sentence's words never change: tokenized once, not on every question
            have = self._sentence_words[key] = frozenset(tokens(key))
        return sum(w for t, w in weight.items() if t in have) / sum(weight.values())

    def evidence(self, query: str, sections: list[tuple[str, str]], k: int = 4) -> list[tuple[Sentence, float]]:
        """Up to k sentences from the given sections, by relevance diversified with MMR, grouped by section."""
        ranked = self.rank(query)
        pool = [i for key in sections for i in self.by_section.get(key, [])]
        if not pool:
            return []
        rel = ranked.sentence_rel[pool]
        top = float(rel.max()) or 1.0
        chosen: list[int] = []
        while len(chosen) < min(k, len(pool)):
            best, best_val = None, -np.inf
            for j, i in enumerate(pool):
                if i in chosen:
                    continue
                sim = max((float(self._sent_vecs[i] @ self._sent_vecs[c]) for c in chosen), default=0.0)
                val = MMR_LAMBDA * rel[j] / top - (1 - MMR_LAMBDA) * sim
                if val > best_val:
                    best, best_val = i, val
            chosen.append(best)
        order = {key: n for n, key in enumerate(sections)}
        picked = sorted(chosen, key=lambda i: (order[(self.sentences[i].doc, self.sentences[i].section)],
                                               self.sentences[i].position))
        return [(self.sentences[i], float(ranked.sentence_rel[i])) for i in picked]

    def section(self, doc: str, label: str) -> Section | None:
        return self.sections.get((doc, label))

    def section_sentences(self, doc: str, label: str) -> list[Sentence]:
        return [self.sentences[i] for i in self.by_section.get((doc, label), [])]


def _fuse(rankings: dict[str, list[tuple[str, str]]], fused: dict[tuple[str, str], float]) -> list:
    """Weighted reciprocal-rank fusion of section rankings, added to `fused`; sections best first."""
    fused = dict(fused)
    for name, ranking in rankings.items():
        for rank, key in enumerate(ranking, 1):
            fused[key] = fused.get(key, 0.0) + WEIGHTS[name] / (RRF_K + rank)
    return sorted(fused.items(), key=lambda kv: -kv[1])


def _bm25(corpus_tokens: list[list[str]]) -> bm25s.BM25:
    bm = bm25s.BM25()
    bm.index([t or ["_"] for t in corpus_tokens] or [["_"]], show_progress=False)
    return bm


def _scores(bm: bm25s.BM25, q_tokens: list[str], n: int) -> np.ndarray:
    q = [t for t in q_tokens if t in bm.vocab_dict]
    return np.asarray(bm.get_scores(q), dtype=np.float64)[:n] if q and n else np.zeros(n)


def _ranks(neg_scores: np.ndarray) -> np.ndarray:
    """1-based rank of every item when sorted ascending by neg_scores (ties keep document order)."""
    ranks = np.empty(len(neg_scores))
    ranks[np.argsort(neg_scores, kind="stable")] = np.arange(1, len(neg_scores) + 1)
    return ranks


def _sentence_vectors(index: Index) -> np.ndarray:
    """The sentence embeddings computed at index time, read back from Chroma once, unit-normalized."""
    ids = [s.id for s in index.sentences]
    if not ids:
        return np.zeros((0, 1), dtype=np.float32)
    got = index.sentence_collection.get(ids=ids, include=["embeddings"])
    by_id = dict(zip(got["ids"], got["embeddings"]))
    mat = np.asarray([by_id[i] for i in ids], dtype=np.float32)
    return mat / np.maximum(np.linalg.norm(mat, axis=1, keepdims=True), 1e-9)


class PolicyRetriever(BaseRetriever):
    """The hybrid search as a LangChain retriever (used by the LLM agent's search tool)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    searcher: HybridSearcher
    k: int = 5

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        return [
            Document(page_content=h.quote, metadata={"doc": h.doc, "doc_title": h.doc_title,
                                                     "section": h.section, "score": h.score, "text": h.text})
            for h in self.searcher.search(query, self.k)
        ]
