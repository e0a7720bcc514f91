"""`opc-assistant policy diff`: a revised one-file text compared article by article with the text being served."""
import re

import pytest

from assistant.config import KNOWLEDGE_DIR
from assistant.ingest import MissingDocument, load_sources, parse_sections, split_one_file
from tests.conftest import CORPUS

pytestmark = pytest.mark.skipif(not CORPUS.exists(), reason=f"published corpus not found at {CORPUS}")
WS = re.compile(r"\s+")


def _squash(text: str) -> str:
    return WS.sub("", text)


def test_the_one_file_corpus_splits_into_the_served_documents():
    served = load_sources(KNOWLEDGE_DIR / "sources")
    parts = split_one_file(CORPUS.read_text(encoding="utf-8"), served)
    assert [p.id for p in parts] == [d.id for d in served]
    for old, new in zip(served, parts):
        assert _squash(new.body) == _squash(old.body)
        assert [s.label for s in parse_sections(new)] == [s.label for s in parse_sections(old)]


def test_a_file_without_an_attachment_names_the_missing_document():
    served = load_sources(KNOWLEDGE_DIR / "sources")
    text = CORPUS.read_text(encoding="utf-8")
    cut = text[:text.index("\n" + served[2].body.strip().splitlines()[0] + "\n")]
    with pytest.raises(MissingDocument) as err:
        split_one_file(cut, served)
    assert str(err.value) == served[2].title
