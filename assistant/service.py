"""The service layer: the one place the API, CLI, UI, MCP server and evals call into."""
from __future__ import annotations

import threading
from functools import lru_cache

from assistant.config import Settings, get_settings
from assistant.contract import SearchHit, SearchResponse
from assistant.index import Index, load
from assistant.retrieve import HybridSearcher


class AssistantService:
    def __init__(self, settings: Settings | None = None):
        self.settings = settings or get_settings()
        self._lock = threading.Lock()
        self._index: Index | None = None
        self._searcher: HybridSearcher | None = None

    # --- knowledge -------------------------------------------------------------------------------
    @property
    def searcher(self) -> HybridSearcher:
        if self._searcher is None:
            with self._lock:
                if self._searcher is None:
                    self._index = load(self.settings)
                    self._searcher = HybridSearcher(self._index)
        return self._searcher

    @property
    def index(self) -> Index:
        return self.searcher.index

    def reindex(self) -> Index:
        with self._lock:
            self._index = load(self.settings, rebuild=True)
            self._searcher = HybridSearcher(self._index)
        return self._index

    def search(self, query: str, k: int = 5) -> SearchResponse:
        hits = self.searcher.search(query, k)
        return SearchResponse(query=query, results=[
            SearchHit(doc=h.doc, doc_title=h.doc_title, section=h.section, quote=h.quote, score=h.score) for h in hits
        ])


@lru_cache(maxsize=1)
def get_service() -> AssistantService:
    return AssistantService()
