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


# --------------------------------------------------------------------------------------------- the command

import json  # noqa: E402

from typer.testing import CliRunner  # noqa: E402

from assistant.cli import app  # noqa: E402
from assistant.policy_diff import diff_texts, read_values  # noqa: E402
from tools.rules import policy_book  # noqa: E402

INSERTED = ("第九条  支持OPC创业者参加人工智能职业技能培训，对取得相应职业资格证书的，按培训费用的50%给予补贴，"
            "每人最高5000元。〔责任单位：市人社局、市财政局〕\n")


def _replace(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


def _five_edits(text: str) -> str:
    """A changed rate, a changed cap, a removed sentence, and a new 第九条 pushing 第九条/第十条 down by one."""
    text = _replace(text, "第二年按照实际使用费用的70%奖补", "第二年按照实际使用费用的60%奖补")
    text = _replace(text, "对首次认定的市级OPC社区，给予最高100万元支持", "对首次认定的市级OPC社区，给予最高120万元支持")
    text = _replace(text, policy_book().benefit("data_listing").quote, "")
    text = text.replace("第十条", "第十一条").replace("第九条", "第十条")
    at = text.index("\n第十条  ") + 1
    return text[:at] + INSERTED + text[at:]


def _run(*args: str):
    return CliRunner().invoke(app, ["policy", "diff", *args])


@pytest.fixture()
def seed_copy(tmp_path):
    path = tmp_path / "revised.txt"
    path.write_text(CORPUS.read_text(encoding="utf-8"), encoding="utf-8")
    return path


def test_an_identical_copy_has_no_changes(seed_copy):
    result = _run(str(seed_copy), "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["identical"] is True and report["sections"] == [] and report["benefits"] == []
    assert set(report) == {"file", "served", "identical", "summary", "sections", "benefits"}
    readable = _run(str(seed_copy))
    assert readable.exit_code == 0 and "没有变化" in readable.stdout


@pytest.fixture()
def five_edits(seed_copy):
    seed_copy.write_text(_five_edits(seed_copy.read_text(encoding="utf-8")), encoding="utf-8")
    result = _run(str(seed_copy), "--json")
    assert result.exit_code == 0, result.output
    return seed_copy, json.loads(result.stdout)


def _section(report, old, new):
    return next(s for s in report["sections"] if (s["old_section"], s["new_section"]) == (old, new))


def _benefit(report, benefit_id):
    return next(b for b in report["benefits"] if b["id"] == benefit_id)


def _case_ids(item):
    return {c["id"] for c in item["depends"]["eval_cases"]}


def test_five_edits_are_each_named_with_what_depends_on_them(five_edits):
    _, report = five_edits
    kinds = {(s["old_section"], s["new_section"]): s["changes"] for s in report["sections"]}
    assert kinds == {("第一条", "第一条"): ["changed"], ("第二条", "第二条"): ["changed"], ("第四条", "第四条"): ["changed"],
                     ("第九条", "第十条"): ["renumbered"], ("第十条", "第十一条"): ["renumbered"], (None, "第九条"): ["added"]}
    assert report["summary"]["removed"] == 0  # renumbered articles are not reported as removed and added

    voucher = _benefit(report, "compute_voucher")
    assert [(v["kind"], v["old"], v["new"]) for v in voucher["values"]] == [("rate", "70%", "60%")]
    assert voucher["values"][0]["fields"] == [{"path": "rates[1]", "old": 0.7, "new": 0.6}]
    assert voucher["depends"]["tools"] == ["compute_voucher_subsidy"] and "calc-voucher-below" in _case_ids(voucher)

    first = _benefit(report, "community_first_recognition")
    assert [(v["kind"], v["old"], v["new"]) for v in first["values"]] == [("cap", "100万元", "120万元")]
    assert first["values"][0]["fields"] == [{"path": "caps.total", "old": 1000000, "new": 1200000}]
    assert first["depends"]["tools"] == ["compute_capped_support"] and "t10-pm-004" in _case_ids(first)

    listing = _benefit(report, "data_listing")
    assert listing["status"] == "removed" and listing["new_text"] == "" and listing["unreadable"]
    assert listing["depends"]["tools"] == ["compute_listing_subsidy"] and "calc-listing-below" in _case_ids(listing)
    assert _section(report, "第二条", "第二条")["sentences"]["removed"] == [policy_book().benefit("data_listing").quote]

    moved = _section(report, "第九条", "第十条")
    assert set(moved["depends"]["benefits"]) == {"living_subsidy", "talent_rental", "house_purchase"}
    assert "steps[social].tips[1]" in moved["depends"]["checklists"] and "qa-001" in _case_ids(moved)
    assert all(c["why"] == "cite" for c in moved["depends"]["eval_cases"])  # values unchanged: calculators unaffected
    living = _benefit(report, "living_subsidy")
    assert (living["status"], living["new_section"], living["values"]) == ("moved", "第十条", [])
    assert _section(report, None, "第九条")["new_text"] == INSERTED.strip()


def test_the_readable_report_is_chinese_and_names_old_and_new_values(five_edits):
    path, _ = five_edits
    result = _run(str(path))
    assert result.exit_code == 0, result.output
    out = result.stdout
    for phrase in ("比例：70% → 60%（policies.yaml rates[1]：0.7 → 0.6）", "上限：100万元 → 120万元",
                   "【若干政策措施 第九条 → 第十条】编号变动，内容未变", "【若干政策措施 第九条】新增条款",
                   "读不出：原句在新文本中已删去", "compute_listing_subsidy", "calc-voucher-below"):
        assert phrase in out, phrase


def test_an_article_renumbered_and_changed_is_both():
    served = load_sources(KNOWLEDGE_DIR / "sources")
    text = _five_edits(CORPUS.read_text(encoding="utf-8"))
    text = _replace(text, "每年每家企业最高50万元", "每年每家企业最高80万元")  # in 第十条, now 第十一条
    report = diff_texts(served, split_one_file(text, served))
    kinds = {(s.old_section, s.new_section): s.changes for s in report.sections}
    assert kinds[("第十条", "第十一条")] == ["renumbered", "changed"]
    interest = next(b for b in report.benefits if b.id == "interest_subsidy")
    assert (interest.status, interest.new_section) == ("changed", "第十一条")
    assert [(v.kind, v.old, v.new, [f.path for f in v.fields]) for v in interest.values] == [
        ("cap", "50万元", "80万元", ["caps.per_year"])]


def test_what_cannot_be_read_is_said_plainly():
    entry = policy_book().benefit("competition_award")
    quote = entry.quote
    raw = entry.model_dump() | entry.params
    values, unreadable = read_values(raw, quote, quote.replace("三等奖", "三等奖、优秀奖").replace("20万元。", "20万元、5万元。", 1))
    assert not values
    assert any("新文本多了“5万元”" in u for u in unreadable)
    assert any("文字也有改动" in u for u in unreadable)


def _not_policy_files(tmp_path):
    seed = CORPUS.read_text(encoding="utf-8")
    served = load_sources(KNOWLEDGE_DIR / "sources")
    measures_start = seed.index("\n" + served[2].body.strip().splitlines()[0] + "\n")
    return {
        "empty.txt": b"",
        "binary.bin": bytes(range(256)) * 4,
        "latin1.txt": "Caf\xe9 policy".encode("latin-1"),
        "random.txt": "今天天气不错，我们去公园散步吧。\n明天再说。\n".encode(),
        "no-measures.txt": seed[:measures_start].encode(),
        "alien-measures.txt": (seed[:measures_start] + "\n附件2\n\n第一条 本店周一至周五营业，节假日休息。\n").encode(),
    }


@pytest.mark.parametrize("name", ["empty.txt", "binary.bin", "latin1.txt", "random.txt", "no-measures.txt",
                                  "alien-measures.txt", "missing.txt"])
def test_a_file_that_is_not_a_policy_text_exits_2_with_one_chinese_line(tmp_path, name):
    files = _not_policy_files(tmp_path)
    path = tmp_path / name
    if name in files:
        path.write_bytes(files[name])
    result = _run(str(path))
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("不是可对比的政策文本：") and "Traceback" not in result.output
    assert result.stdout == ""
