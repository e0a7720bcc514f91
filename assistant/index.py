"""Build and load the two indexes (BM25 over jieba tokens, dense vectors in Chroma), cached on disk.

Both are keyed by a fingerprint of the sources, terms.txt and the embedder setting, so a start-up or
`opc-assistant index` rebuilds only when something changed; a missing or unreadable index is rebuilt.
"""
from __future__ import annotations

import hashlib
import json
import logging
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import bm25s
import chromadb
from chromadb.config import Settings as ChromaSettings

from assistant.config import Settings, get_settings
from assistant.embed import make_embedder
from assistant.ingest import Chunk, Section, Sentence, SourceDoc, load_corpus, make_chunks, make_sentences
from assistant.segment import tokens

log = logging.getLogger(__name__)
INDEX_VERSION = "4"  # 4: sentence units in their own collection
Progress = Callable[[str, int, int], None]


@dataclass
class Index:
    fingerprint: str
    docs: list[SourceDoc]
    sections: list[Section]
    chunks: list[Chunk]
    bm25: bm25s.BM25
    collection: chromadb.Collection
    embedder: object
    sentences: list[Sentence]
    sentence_collection: chromadb.Collection
    build_seconds: float | None = None


def fingerprint(settings: Settings) -> str:
    h = hashlib.sha256(INDEX_VERSION.encode())
    for p in sorted(settings.sources_dir.iterdir()):
        if p.suffix in {".md", ".txt"}:
            h.update(p.name.encode())
            h.update(p.read_bytes())
    h.update((settings.knowledge_dir / "terms.txt").read_bytes())
    h.update(settings.embedder.encode())
    if settings.embedder.startswith("openai:") and not settings.embedder_input_type:  # other vectors, other index
        h.update(b"no-input-type")
    return h.hexdigest()[:16]


def chroma_client(settings: Settings):
    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_url:
        from urllib.parse import urlparse

        u = urlparse(settings.chroma_url)
        return chromadb.HttpClient(host=u.hostname, port=u.port or 8000, ssl=u.scheme == "https",
                                   settings=chroma_settings)
    path = settings.index_dir / "chroma"
    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path), settings=chroma_settings)


def _collection_name(fp: str) -> str:
    return f"opc_{fp}"


def _drop_old_collections(settings: Settings, client) -> None:
    """Embedded store: older fingerprints' collections go. A Chroma server is shared by every process, so older
    fingerprints stay for processes still running on them (drop them once all are restarted)."""
    if settings.chroma_url:
        return
    for c in client.list_collections():
        old = c if isinstance(c, str) else c.name
        if old.startswith("opc_"):
            client.delete_collection(old)


def _collection_to_fill(client, name: str, embedder, n_items: int):
    """(collection, first item to embed). On a shared Chroma server another process may have built it already:
    a complete collection is reused as is, an incomplete one is completed by idempotent upserts."""
    coll = client.get_or_create_collection(name, embedding_function=embedder, metadata={"hnsw:space": "cosine"})
    count = coll.count()
    if count not in (0, n_items):
        log.info("dense collection %s has %d of %d items; filling it", name, count, n_items)
    return coll, (n_items if count == n_items else 0)


def _sentence_collection_name(fp: str) -> str:
    return f"opc_s_{fp}"


def sentence_passage(s: Sentence) -> str:
    """What a sentence is embedded as: its section path, then the sentence (the path says what it is about)."""
    return f"{' > '.join(s.heading_path)}\n{s.text}"


def _fill(client, name: str, embedder, items: list, texts: list[str], metas: list[dict], step: Progress, label: str):
    """Create or complete one dense collection in batches (upserts are idempotent on a shared server)."""
    coll, start = _collection_to_fill(client, name, embedder, len(items))
    batch = 16
    for i in range(start, len(items), batch):
        coll.upsert(ids=[x.id for x in items[i:i + batch]], documents=texts[i:i + batch], metadatas=metas[i:i + batch])
        step(label, min(i + batch, len(items)), len(items))
    return coll


def build(settings: Settings | None = None, progress: Progress | None = None) -> Index:
    settings = settings or get_settings()
    t0 = time.perf_counter()
    fp = fingerprint(settings)
    docs, sections = load_corpus(settings.sources_dir)
    chunks = make_chunks(sections)
    sentences = make_sentences(sections)
    step = progress or (lambda *_: None)

    bm_dir = settings.index_dir / "bm25"
    if bm_dir.exists():
        shutil.rmtree(bm_dir)
    retriever = bm25s.BM25()
    retriever.index([tokens(c.text) for c in chunks], show_progress=False)
    bm_dir.mkdir(parents=True, exist_ok=True)
    retriever.save(str(bm_dir), show_progress=False)
    step("bm25", len(chunks), len(chunks))

    client = chroma_client(settings)
    embedder = make_embedder(settings.embedder, settings.embedder_base_url)
    _drop_old_collections(settings, client)
    coll = _fill(client, _collection_name(fp), embedder, chunks, [c.text for c in chunks],
                 [{"doc": c.doc, "section": c.section} for c in chunks], step, "dense")
    scoll = _fill(client, _sentence_collection_name(fp), embedder, sentences, [sentence_passage(s) for s in sentences],
                  [{"doc": s.doc, "section": s.section, "position": s.position} for s in sentences], step, "sentences")

    seconds = time.perf_counter() - t0
    manifest = {"fingerprint": fp, "chunks": len(chunks), "sentences": len(sentences), "sections": len(sections),
                "built_at": time.strftime("%Y-%m-%dT%H:%M:%S"), "build_seconds": round(seconds, 3),
                "embedder": settings.embedder}
    (settings.index_dir / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1))
    return Index(fp, docs, sections, chunks, retriever, coll, embedder, sentences, scoll, seconds)


def load(settings: Settings | None = None, rebuild: bool = False, progress: Progress | None = None) -> Index:
    """Open the cached index if its fingerprint matches, else (re)build it."""
    settings = settings or get_settings()
    if not rebuild:
        try:
            return _open(settings)
        except Exception as exc:  # stale, missing or corrupt: rebuild instead of failing
            log.info("index not usable (%s); rebuilding", exc)
    return build(settings, progress)


def _open(settings: Settings) -> Index:
    manifest = json.loads((settings.index_dir / "manifest.json").read_text())
    fp = fingerprint(settings)
    if manifest.get("fingerprint") != fp:
        raise LookupError("fingerprint changed")
    docs, sections = load_corpus(settings.sources_dir)
    chunks = make_chunks(sections)
    if manifest.get("chunks") != len(chunks):
        raise LookupError("chunk count changed")
    retriever = bm25s.BM25.load(str(settings.index_dir / "bm25"), show_progress=False)
    embedder = make_embedder(settings.embedder, settings.embedder_base_url)
    sentences = make_sentences(sections)
    client = chroma_client(settings)
    coll = client.get_collection(_collection_name(fp), embedding_function=embedder)
    scoll = client.get_collection(_sentence_collection_name(fp), embedding_function=embedder)
    if coll.count() != len(chunks) or scoll.count() != len(sentences):
        raise LookupError("dense index incomplete")
    return Index(fp, docs, sections, chunks, retriever, coll, embedder, sentences, scoll)


def is_current(settings: Settings | None = None) -> bool:
    settings = settings or get_settings()
    try:
        manifest = json.loads((settings.index_dir / "manifest.json").read_text())
    except (OSError, ValueError):
        return False
    return manifest.get("fingerprint") == fingerprint(settings)
