import re
from pathlib import Path

import pytest

from assistant.config import KNOWLEDGE_DIR
from assistant.ingest import load_corpus, make_chunks, parse_sections, read_source, text_sections
from tests.conftest import CORPUS

WS = re.compile(r"\s+")


def _squash(text: str) -> str:
    return WS.sub("", text)


@pytest.fixture(scope="module")
def corpus():
    return load_corpus(KNOWLEDGE_DIR / "sources")


def test_indexed_text_reproduces_the_published_file(corpus):
    if not CORPUS.exists():
        pytest.skip(f"published corpus not found at {CORPUS}")
    _, sections = corpus
    assert _squash("".join(s.raw for s in sections)) == _squash(CORPUS.read_text(encoding="utf-8"))


def test_every_chunk_passage_is_verbatim_source_text(corpus):
    _, sections = corpus
    bodies = {s.doc: _squash("".join(x.raw for x in sections if x.doc == s.doc)) for s in sections}
    for c in make_chunks(sections):
        assert _squash(c.passage) in bodies[c.doc]
        assert "〔" not in c.passage, "responsibility brackets belong in metadata, not quotes"


def test_three_documents_with_front_matter(corpus):
    docs, _ = corpus
    assert [d.id for d in docs] == ["action-plan", "guideline", "measures"]
    assert all(d.status == "征求意见稿" for d in docs)
    measures = docs[2]
    assert str(measures.meta["valid_until"]) == "2028-12-31"


def test_section_labels_as_the_documents_write_them(corpus):
    _, sections = corpus
    labels = {(s.doc, s.label) for s in text_sections(sections)}
    for n in "一二三四五六七八九十":
        assert ("measures", f"第{n}条") in labels
    assert ("action-plan", "（五）完善OPC社区服务") in labels
    assert ("guideline", "三、基本条件（二）场地设施") in labels
    assert ("measures", "生态活动及大赛支持（第十条后段）") in labels
    assert ("measures", "施行期限与适用范围（结尾段）") in labels
    for k in "一二三四五六七":
        assert any(s.doc == "guideline" and s.label.startswith(f"三、基本条件（{k}）") for s in sections)


def test_responsible_units_are_metadata(corpus):
    _, sections = corpus
    art9 = next(s for s in sections if s.doc == "measures" and s.label == "第九条")
    assert art9.responsible == ["责任单位：市委人才办、市财政局"]
    assert "责任单位" not in art9.text


def test_a_new_policy_document_is_picked_up_with_its_headings(tmp_path: Path):
    doc = tmp_path / "talent-housing.md"
    doc.write_text(
        "---\nid: talent-housing\ntitle: 某区人才安居办法（试行）\n---\n"
        "某区人才安居办法\n\n为吸引人才，制定本办法。\n\n一、适用对象\n本办法适用于新引进人才。\n\n"
        "二、支持内容\n（一）租房补贴：每月最高1000元。\n（二）购房补贴：最高5万元。\n"
        "第三条 本办法自印发之日起施行。\n",
        encoding="utf-8",
    )
    sections = text_sections(parse_sections(read_source(doc)))
    labels = [s.label for s in sections]
    assert labels == ["前言", "一、适用对象", "二、支持内容（一）租房补贴", "二、支持内容（二）购房补贴", "第三条"]
    assert sections[0].doc == "talent-housing" and sections[0].doc_title == "某区人才安居办法（试行）"


def test_long_sections_split_by_sentence_with_heading_path(corpus):
    _, sections = corpus
    chunks = make_chunks(sections)
    goal = [c for c in chunks if c.doc == "action-plan" and c.section == "一、总体要求"]
    assert len(goal) >= 2
    assert all(c.text.startswith("行动方案 > 一、总体要求") for c in goal)


def test_sentence_units_are_verbatim_ordered_and_never_headings(corpus):
    from assistant.ingest import make_sentences

    _, sections = corpus
    units = make_sentences(sections)
    by_key = {(s.doc, s.label): s for s in text_sections(sections)}
    for u in units:
        assert u.text in by_key[(u.doc, u.section)].text
        assert "〔" not in u.text
    proc = [u.text for u in units if u.doc == "guideline" and u.section == "四、认定流程"]
    assert proc[0] == "市发改委每年发布OPC社区认定通知，明确申报时间、材料要求及流程。" and len(proc) == 4
    assert all(not u.text.startswith(("四、认定流程", "第一条", "（一）畅通数据开放供给")) for u in units)
    plan = [u for u in units if u.doc == "action-plan" and u.section == "（一）畅通数据开放供给"]
    assert [u.position for u in plan] == list(range(len(plan)))
    assert plan[0].heading_path == ["行动方案", "二、实施要素驱动行动，建立人工智能OPC低成本资源供给机制", "（一）畅通数据开放供给"]
    assert any("原始数据不出域，可用不可见" in u.text for u in plan)
    # the units cover a section's text from its first content to its end (only the heading and label left out)
    for key, s in by_key.items():
        mine = "".join(u.text for u in units if (u.doc, u.section) == key)
        assert mine and _squash(s.text).endswith(_squash(mine)), key
