"""Hybrid retrieval: BM25 and dense hits fused by reciprocal rank, grouped per article, with a verbatim quote."""
from __future__ import annotations

import logging
import math
import re
import threading
import time
from collections import Counter
from typing import Literal

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import BaseModel, ConfigDict

from assistant.embed import question_part
from assistant.index import Index
from assistant.ingest import RE_ARTICLE, RE_ITEM, Section, text_sections
from assistant.segment import expand_query, tokens

Mode = Literal["hybrid", "bm25", "dense"]
RRF_K = 60
WEIGHTS = {"bm25": 1.0, "dense": 0.8}  # BM25 is the stronger single method on the retrieval set
MAX_EMBED_CHARS = 256
CANDIDATES = 30
QUOTE_MAX = 300
CLAUSE_WINDOW = 120
RE_LEAD_LABEL = re.compile(rf"^({RE_ARTICLE.pattern[1:]}|{RE_ITEM.pattern[1:]}[^：:。，]{{0,20}}[：:。])\s*")
RE_CLAUSE = re.compile(r"[^，；]*[，；]?")
log = logging.getLogger(__name__)
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


class HybridSearcher:
    def __init__(self, index: Index):
        self.index = index
        self.sections = {(s.doc, s.label): s for s in text_sections(index.sections)}
        self._chunk_pos = {c.id: i for i, c in enumerate(index.chunks)}
        self._vocab = set(index.bm25.vocab_dict.keys()) if getattr(index.bm25, "vocab_dict", None) else None
        df: Counter[str] = Counter()
        for s in self.sections.values():
            df.update(set(tokens(s.text)))
        n = len(self.sections)
        self._idf = {t: math.log(1 + (n - c + 0.5) / (c + 0.5)) for t, c in df.items()}

    def _bm25_ranked(self, q_tokens: list[str]) -> list[int]:
        q = [t for t in q_tokens if self._vocab is None or t in self._vocab]
        if not q:
            return []
        k = min(CANDIDATES, len(self.index.chunks))
        docs, scores = self.index.bm25.retrieve([q], k=k, show_progress=False)
        return [int(d) for d, s in zip(docs[0], scores[0]) if s > 0]

    def _dense_ranked(self, query: str, required: bool = False) -> list[int]:
        """Dense ranking; when the embedder or the vector store is down, an empty ranking (BM25 answers alone,
        the request is marked degraded and a warning logged) or, for dense-only search, DenseUnavailable."""
        try:
            # Embedding cost grows with length and holds a core: embed the question part only (BM25 sees all of it).
            emb = self.index.embedder.embed_query([question_part(query, MAX_EMBED_CHARS)])
            k = min(CANDIDATES, len(self.index.chunks))
            res = self.index.collection.query(query_embeddings=[list(map(float, emb[0]))], n_results=k)
        except Exception as exc:
            if required:
                raise DenseUnavailable(f"{type(exc).__name__}: {str(exc)[:200]}") from exc
            _request.degraded = True
            now = time.monotonic()
            if now - getattr(self, "_warned_at", -60.0) >= 10:  # one warning per 10 s, not one per query
                self._warned_at = now
                log.warning("dense retrieval unavailable (%s: %s); BM25 answers alone", type(exc).__name__,
                            str(exc)[:200])
            return []
        return [self._chunk_pos[i] for i in res["ids"][0] if i in self._chunk_pos]

    def search(self, query: str, k: int = 5, mode: Mode = "hybrid") -> list[Hit]:
        query = (query or "").strip()
        if not query:
            return []
        expanded = expand_query(query)
        q_tokens = tokens(expanded)
        rankings: list[tuple[float, list[int]]] = []
        if mode in ("hybrid", "bm25"):
            rankings.append((WEIGHTS["bm25"], self._bm25_ranked(q_tokens)))
        if mode in ("hybrid", "dense"):
            rankings.append((WEIGHTS["dense"], self._dense_ranked(query, required=mode == "dense")))
        fused: dict[tuple[str, str], float] = {}
        for weight, ranking in rankings:
            seen: set[tuple[str, str]] = set()
            rank = 0
            for ci in ranking:
                c = self.index.chunks[ci]
                key = (c.doc, c.section)
                if key in seen:  # a section counts once per method, at its best chunk
                    continue
                seen.add(key)
                rank += 1
                fused[key] = fused.get(key, 0.0) + weight / (RRF_K + rank)
        ordered = sorted(fused.items(), key=lambda kv: -kv[1])[:k]
        hits = []
        for (doc, label), score in ordered:
            s = self.sections[(doc, label)]
            hits.append(Hit(doc=doc, doc_title=s.doc_title, section=label, quote=self.quote(s, q_tokens),
                            score=round(score, 6), text=s.text, responsible=s.responsible))
        return hits

    def quote(self, section: Section, q_tokens: list[str]) -> str:
        """The sentence (or clause window of a long sentence) that best matches the query, verbatim."""
        sents = [RE_LEAD_LABEL.sub("", s) for s in section.sentences()]
        sents = [s for s in sents if s]
        if not sents:
            return section.text[:QUOTE_MAX]
        qset = set(q_tokens)

        def score(text: str) -> float:
            return sum(self._idf.get(t, 0.5) for t in set(tokens(text)) & qset)

        scores = [score(x) for x in sents]
        best = sents[max(range(len(sents)), key=lambda i: (scores[i], -i))]
        if len(best) <= CLAUSE_WINDOW:
            return best
        clauses = [c for c in RE_CLAUSE.findall(best) if c]
        c_scores = [score(c) for c in clauses]
        window, top = best[:CLAUSE_WINDOW], -1.0
        for i in range(len(clauses)):
            length, total = 0, 0.0
            for j in range(i, len(clauses)):
                length += len(clauses[j])
                if length > CLAUSE_WINDOW:
                    break
                total += c_scores[j]
                if total > top:
                    top, window = total, "".join(clauses[i:j + 1])
        return window.rstrip("，、")[:QUOTE_MAX]

    def section(self, doc: str, label: str) -> Section | None:
        return self.sections.get((doc, label))


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
