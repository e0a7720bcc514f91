"""Tools: the YAML situations (exact amounts at, below and above every cap), properties, and the rules file."""
import copy
import re

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from assistant.config import KNOWLEDGE_DIR
from assistant.ingest import load_corpus, text_sections
from tools import calculators as calc
from tools.matching import Profile, match_policies
from tools.money import parse_amount, yuan
from tools.registry import TOOLS, run_tool
from tools.rules import POLICIES_PATH, PolicyFileError, parse_policy_book, policy_book
from tools.worked_examples import load_situations, render
from tests.conftest import REPO

SITUATIONS = load_situations()


@pytest.mark.parametrize("case", SITUATIONS, ids=[c["name"] for c in SITUATIONS])
def test_situation(case):
    r = run_tool(case["tool"], case["input"])
    exp = case["expect"]
    for key in ("amount", "max_amount", "eligible", "kind"):
        if key in exp:
            assert r[key] == exp[key], f"{key}: {r[key]!r} != {exp[key]!r}"
    if "binding" in exp:
        assert [c["name"] for c in r["caps"] if c["binding"]] == [exp["binding"]]
    elif r["eligible"] is not False:
        assert not any(c["binding"] for c in r["caps"]), "a cap binds that the situation does not expect"
    if "readings" in exp:
        assert [x["amount"] for x in r["readings"]] == exp["readings"]
    if "breakdown_contains" in exp:
        assert any(exp["breakdown_contains"] in s["formula"] for s in r["breakdown"])
    if "condition" in exp:
        name, status = exp["condition"]
        assert {c["condition"]: c["status"] for c in r["conditions"]}[name] == status
    if "section" in exp:
        assert r["article"]["section"] == exp["section"]
    assert r["caveats"][0].startswith("本政策为征求意见稿")


def test_every_situation_cites_an_article_that_exists():
    _, sections = load_corpus(KNOWLEDGE_DIR / "sources")
    labels = {(s.doc, s.label) for s in sections}
    for case in SITUATIONS:
        r = run_tool(case["tool"], case["input"])
        assert (r["article"]["doc"], r["article"]["section"]) in labels


def test_every_quote_in_policies_yaml_is_verbatim_source_text():
    _, sections = load_corpus(KNOWLEDGE_DIR / "sources")
    by_label = {(s.doc, s.label): s.text for s in text_sections(sections)}
    book = policy_book()
    for entry in [*book.benefits, *book.rules]:
        assert entry.quote in by_label[(entry.doc, entry.section)], entry.id
    for cond in book.community_conditions:
        assert cond.quote in by_label[("guideline", cond.section)], cond.id
    rp = book.recognition_process
    assert rp.quote in by_label[(rp.doc, rp.section)]


def test_policies_cover_every_article_of_the_measures_and_every_guideline_condition():
    book = policy_book()
    sections = {b.section for b in book.benefits} | {r.section for r in book.rules}
    for n in "一二三四五六七八九十":
        assert f"第{n}条" in sections
    assert "生态活动及大赛支持（第十条后段）" in sections and "施行期限与适用范围（结尾段）" in sections
    cond_sections = {c.section for c in book.community_conditions}
    assert {f"三、基本条件（{k}）" + t for k, t in zip("一二三四五六七", ["运营管理", "场地设施", "金融服务", "生活配套",
                                                                "公共服务", "场景对接", "生态活动"])} <= cond_sections


def test_a_bad_policy_file_fails_naming_the_entry():
    data = yaml.safe_load(POLICIES_PATH.read_text(encoding="utf-8"))
    bad = copy.deepcopy(data)
    next(b for b in bad["benefits"] if b["id"] == "data_purchase")["rate"] = 30
    with pytest.raises(PolicyFileError, match="data_purchase"):
        parse_policy_book(bad)
    bad = copy.deepcopy(data)
    del next(b for b in bad["benefits"] if b["id"] == "house_purchase")["quote"]
    with pytest.raises(PolicyFileError, match="house_purchase"):
        parse_policy_book(bad)


def test_changing_one_rate_in_yaml_moves_the_result(monkeypatch):
    data = yaml.safe_load(POLICIES_PATH.read_text(encoding="utf-8"))
    next(b for b in data["benefits"] if b["id"] == "compute_voucher")["rates"] = [1.0, 0.6, 0.5]
    book = parse_policy_book(data)
    monkeypatch.setattr(calc, "policy_book", lambda: book)
    r = calc.compute_voucher_subsidy(calc.VoucherIn(annual_spend=[100000, 100000]))
    assert r.amount == 160000


def test_missing_inputs_give_null_with_a_reason_never_a_guess():
    r = run_tool("compute_living_subsidy", {})
    assert r["amount"] is None and r["eligible"] is None and "学历" in r["reason"]
    r = run_tool("compute_training_base_award", {"trainees_per_year": 2000})
    assert r["amount"] is None and "两档" in r["reason"]


def test_bad_tool_input_is_a_validation_error():
    with pytest.raises(ValidationError):
        run_tool("compute_voucher_subsidy", {"annual_spend": [1, 2, 3, 4]})
    with pytest.raises(ValidationError):
        run_tool("compute_voucher_subsidy", {"annual_spend": ["很多钱"]})
    with pytest.raises(ValidationError):
        run_tool("compute_house_subsidy", {"area_sqm": -5})
    with pytest.raises(ValidationError):
        run_tool("compute_living_subsidy", {"degree": "硕士", "unknown": 1})


def test_registry_publishes_a_json_schema_and_chinese_description_for_every_tool():
    assert len(TOOLS) >= 18
    for spec in TOOLS.values():
        schema = spec.json_schema()
        assert schema["type"] == "object" and re.search(r"[\u4e00-\u9fff]", spec.description)


@pytest.mark.parametrize("text,value", [("50万", 500000), ("五十万", 500000), ("1.5万元", 15000),
                                        ("1,500,000元", 1500000), ("三千", 3000), ("12.5w", 125000), (800, 800)])
def test_parse_amount(text, value):
    assert parse_amount(text) == value


def test_yuan_format():
    assert yuan(1000000) == "100万元" and yuan(23450) == "23,450元" and yuan(15000) == "15,000元"


def test_match_policies_splits_conditions_and_applies_no_double():
    r = match_policies(Profile(age=28, degree="硕士", full_time=True, first_social_insurance_in_yancheng=True,
                               district="盐都区", role="创始人", annual_compute_spend=[500000, 800000],
                               house_area_sqm=90, plans=["场景", "大赛"]))
    items = {i.policy_id: i for i in r.items}
    assert items["living_subsidy"].verdict == "可申请" and items["living_subsidy"].estimate == 72000
    assert items["compute_voucher"].estimate == 1000000
    assert items["house_purchase"].estimate == 90000
    noted = [i for i in r.items if "就高不重复" in i.note]
    assert noted and all(i.policy_id in {"typical_case", "demonstration", "competition_award", "pilot_lead"} for i in noted)
    assert r.estimated_total == 72000 + 1000000 + 90000


def test_match_policies_county_is_marked_to_do():
    r = match_policies(Profile(age=30, degree="博士", full_time=True, district="东台市"))
    living = next(i for i in r.items if i.policy_id == "living_subsidy")
    assert living.verdict == "待完善"
    assert any(c.condition == "企业位于盐城大市区" and c.status == "待完善" for c in living.conditions)


def test_docs_tools_md_is_generated_from_the_code():
    assert (REPO / "docs" / "tools.md").read_text(encoding="utf-8") == render(SITUATIONS), \
        "docs/tools.md is stale: python -m tools.worked_examples > docs/tools.md"


# --- properties ------------------------------------------------------------------------------------
money = st.floats(min_value=0, max_value=5e7, allow_nan=False, allow_infinity=False)


@settings(max_examples=150, deadline=None)
@given(st.lists(money, min_size=1, max_size=3))
def test_voucher_never_above_cumulative_cap_and_never_above_rate(spend):
    r = calc.compute_voucher_subsidy(calc.VoucherIn(annual_spend=spend))
    assert 0 <= r.amount <= 1_000_000 + 1e-6
    assert r.amount <= sum(s * k for s, k in zip(spend, [1, 0.7, 0.5])) + 0.03  # inputs rounded to the fen
    assert r.amount == round(sum(s.amount for s in r.breakdown), 2)  # the printed steps add up to the total
    assert all(s.amount == round(s.amount, 2) for s in r.breakdown)


@settings(max_examples=150, deadline=None)
@given(st.lists(money, min_size=1, max_size=3), st.integers(0, 2), st.floats(0, 1e6))
def test_voucher_monotone_in_spend(spend, idx, extra):
    idx = min(idx, len(spend) - 1)
    more = list(spend)
    more[idx] += extra
    a = calc.compute_voucher_subsidy(calc.VoucherIn(annual_spend=spend)).amount
    b = calc.compute_voucher_subsidy(calc.VoucherIn(annual_spend=more)).amount
    assert b >= a - 1e-6


@settings(max_examples=150, deadline=None)
@given(st.lists(money, min_size=1, max_size=30))
def test_data_purchase_caps_hold_across_contracts(contracts):
    r = calc.compute_data_purchase_subsidy(calc.DataPurchaseIn(contract_amounts=contracts))
    assert r.amount <= 2_000_000 + 1e-6
    assert all(s.amount <= 300_000 + 1e-6 for s in r.breakdown)
    assert r.amount <= sum(parse_amount(c) for c in contracts) * 0.3 + 0.005 * len(contracts) + 1e-9  # fen rounding
    assert r.amount == round(sum(s.amount for s in r.breakdown), 2)  # the printed steps add up to the total


@settings(max_examples=100, deadline=None)
@given(money, money)
def test_infrastructure_monotone_and_capped(a, extra):
    x = calc.compute_infrastructure_subsidy(calc.InfrastructureIn(investments=[a])).amount
    y = calc.compute_infrastructure_subsidy(calc.InfrastructureIn(investments=[a + extra])).amount
    assert x <= y + 1e-6 <= 2_000_000 + 1e-5


@settings(max_examples=100, deadline=None)
@given(st.floats(min_value=0.01, max_value=1e5), money)
def test_house_and_rental_caps(area, rent):
    assert calc.compute_house_subsidy(calc.HouseIn(area_sqm=area)).amount <= 100_000
    r = calc.compute_rental_relief(calc.RentalIn(monthly_rent=rent))
    assert r.breakdown[0].amount <= 2000


@settings(max_examples=100, deadline=None)
@given(st.floats(min_value=1, max_value=1e9), st.floats(min_value=0.1, max_value=19), st.integers(1, 10))
def test_interest_subsidy_caps(principal, lpr, years):
    r = calc.compute_interest_subsidy(calc.InterestIn(principal=principal, lpr_percent=lpr, years=years))
    assert r.amount <= 500_000 * 3 + 1e-6
    assert r.amount <= principal * lpr / 100 * 0.5 * min(years, 3) + 0.03  # rounded to the fen


# --- shared readers: places and values (issue 13, items 1, 2, 6) -------------------------------------
from tools import places  # noqa: E402
from tools.values import parse_amount_list, parse_bool, parse_int  # noqa: E402


@pytest.mark.parametrize("text,expected", [
    ("亭湖区", ("亭湖区", "大市区")), ("亭湖", ("亭湖区", "大市区")), ("经开区", ("市开发区", "大市区")),
    ("盐城经济技术开发区", ("市开发区", "大市区")), ("盐南", ("盐南高新区", "大市区")), ("东台", ("东台市", "参照")),
    ("滨海县", ("滨海县", "参照")), ("滨海", ("滨海县", "参照")), ("滨海新区", ("滨海新区", "外地")),
    ("南京市鼓楼区", ("鼓楼区", "外地")), ("区", None), ("湖区", None), ("城区", None), ("新区", None),
])
def test_places_match_whole_names_and_known_short_forms_only(text, expected):
    found = places.resolve(text)
    got = (found[-1].name, places.scope(found[-1])) if found else None
    assert got == expected


def test_places_in_a_sentence_and_the_city_alone():
    found = places.resolve("我在天津滨海新区开公司，老家盐城市盐都区")
    assert [(p.name, places.scope(p)) for p in found] == [("天津市", "外地"), ("滨海新区", "外地"),
                                                          ("盐城市", None), ("盐都区", "大市区")]
    assert places.resolve("我们和平相处") == [] and places.lookup("和平") is not None
    assert places.metro_names() == ["亭湖区", "盐都区", "大丰区", "市开发区", "盐南高新区"]


@pytest.mark.parametrize("district,eligible,says", [
    ("区", None, "无法确认"), ("湖区", None, "无法确认"), ("滨海新区", False, "天津市滨海新区不在盐城市"),
    ("滨海县", False, "参照"), ("盐都", True, "盐都区属于盐城大市区"), ("盐城", None, "哪个区县"),
])
def test_check_scope_never_matches_by_substring(district, eligible, says):
    r = run_tool("check_scope", {"district": district})
    assert r["eligible"] is eligible and says in r["reason"]
    assert "亭湖区属于" not in r["reason"]


@pytest.mark.parametrize("text,amounts", [
    ("1,500,000元", [1500000]), ("1,000,000", [1000000]), ("1,000万", [10000000]), ("50万,80万,120万", [5e5, 8e5, 12e5]),
    ("50万;80万", [5e5, 8e5]), ("50万、80万", [5e5, 8e5]), ("50万 80万", [5e5, 8e5]), ("50 万 80 万", [5e5, 8e5]),
    (["50万", "80万"], [5e5, 8e5]), ("500000,800000", [5e5, 8e5]), ("57.142857万", [571428.57]),
])
def test_amount_lists_keep_thousands_separators_inside_one_amount(text, amounts):
    assert parse_amount_list(text) == amounts


@pytest.mark.parametrize("text", ["1,000万,2,000万", "很多钱", "-5", "nan", "1e5", ""])
def test_ambiguous_or_bad_amounts_are_errors(text):
    with pytest.raises(ValueError):
        parse_amount_list(text)
    with pytest.raises(ValueError):
        parse_amount(text)


def test_one_amount_rejects_a_comma_that_is_not_a_thousands_separator():
    with pytest.raises(ValueError, match="千位分隔"):
        parse_amount("1,50")


@pytest.mark.parametrize("field,text,value", [
    ("full_time", "全日制", True), ("full_time", "非全日制", False), ("first_listing", "首次", True),
    ("landed_in_yancheng", "落地", True), ("landed_in_yancheng", "未落地", False), (None, "已参保", True),
    (None, "是", True), (None, "无", False), (None, "不确定", None), ("first_social_insurance_in_yancheng", "是", True),
])
def test_yes_no_vocabulary(field, text, value):
    assert parse_bool(text, field) is value


@pytest.mark.parametrize("field,text", [("related_party", "maybe"), ("related_party", "全日制"), (None, "非常好")])
def test_unknown_yes_no_words_are_errors_never_no(field, text):
    with pytest.raises(ValueError, match="是"):
        parse_bool(text, field)


def test_whole_numbers_are_read_strictly():
    assert parse_int("30") == 30 and parse_int("三十") == 30 and parse_int("30岁") == 30
    for bad in ("thirty", "2.5", "3岁半"):
        with pytest.raises(ValueError):
            parse_int(bad)


# --- calc CLI: any text in any argument gives a result or one Chinese line, never a traceback (item 12) ----
from typer.testing import CliRunner  # noqa: E402

from assistant.cli import app as cli_app  # noqa: E402

VALID_ARGS = {
    "compute_voucher_subsidy": {"annual_spend": "50万"}, "compute_data_purchase_subsidy": {"contract_amounts": "50万"},
    "compute_listing_subsidy": {"listing_fee": "5万"}, "compute_capped_support": {"item": "model_filing"},
    "compute_tiered_award": {"item": "pilot_lead", "level": "省级"}, "compute_community_rating_award": {"rating": "优秀"},
    "compute_infrastructure_subsidy": {"investments": "100万"}, "compute_training_base_award": {"trainees_per_year": "1500"},
    "compute_living_subsidy": {}, "compute_rental_relief": {"monthly_rent": "2000"}, "compute_house_subsidy": {"area_sqm": "90"},
    "check_guaranteed_loan": {"borrower": "个人", "amount": "10万"},
    "compute_interest_subsidy": {"principal": "100万", "lpr_percent": "3"},
    "compute_event_support": {"approved_total_investment": "100万"},
    "compute_competition_award": {"competition": "国家创新创业大赛", "prize": "一等奖"},
    "check_scope": {"district": "盐都区"}, "check_community_recognition": {}, "get_checklist": {}, "match_policies": {},
    "sum_amounts": {"item": "living_subsidy", "amounts": "108000,72000"},
}
FIELDS = [(tool, field) for tool, spec in TOOLS.items() for field in spec.json_schema().get("properties", {})]


def _calc(tool: str, args: dict):
    return CliRunner().invoke(cli_app, ["calc", tool, *[f"{k}={v}" for k, v in args.items()]])


def test_every_tool_has_valid_cli_args():
    assert set(VALID_ARGS) == set(TOOLS)
    for tool, args in VALID_ARGS.items():
        r = _calc(tool, args)
        assert r.exit_code == 0, (tool, r.output)


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(FIELDS), st.text(max_size=30) | st.from_regex(r"[0-9,，.万元亿;、 -]{1,20}", fullmatch=True))
def test_calc_cli_never_prints_a_traceback(tool_field, text):
    tool, field = tool_field
    r = _calc(tool, {**VALID_ARGS[tool], field: text})
    assert r.exception is None or isinstance(r.exception, SystemExit), (tool, field, text, r.exception)
    assert r.exit_code in (0, 2), (tool, field, text, r.output)
    assert "Traceback" not in r.output
    if r.exit_code == 2:
        lines = [x for x in r.stderr.splitlines() if x.strip()]
        assert len(lines) == 1 and lines[0].startswith("输入有误") and re.search(r"[\u4e00-\u9fff]", lines[0])


@pytest.mark.parametrize("args,says", [
    (["compute_capped_support", "item=dataset_development", "adopters=three"], "adopters"),
    (["compute_living_subsidy", "age=thirty"], "age"),
    (["compute_interest_subsidy", "principal=100万", "lpr_percent=3", "years=2.5"], "years"),
    (["compute_data_purchase_subsidy", "contract_amounts=50万", "related_party=maybe"], "related_party"),
    (["compute_data_purchase_subsidy", "contract_amounts=1,000万,2,000万"], "有歧义"),
])
def test_calc_bad_values_name_the_field_and_exit_2(args, says):
    r = CliRunner().invoke(cli_app, ["calc", *args])
    assert r.exit_code == 2 and says in r.stderr and len(r.stderr.strip().splitlines()) == 1


# --- matching: only grants are summed; 就高不重复; benefits without an amount (items 3, 9, 10) -------------
def test_match_never_adds_a_loan_to_the_money_received():
    r = match_policies(Profile(age=30, degree="硕士", full_time="是", first_social_insurance_in_yancheng="是",
                               district="盐都区", role="创始人", loan_amount="30万"))
    items = {i.policy_id: i for i in r.items}
    assert items["guaranteed_loan"].estimate == 300000 and not items["guaranteed_loan"].in_total
    assert r.estimated_total == 72000 == sum(i.estimate for i in r.items if i.in_total)
    assert r.total_covers == ["青年人才生活补贴"] and "创业担保贷款（贷款，需要归还）" in r.total_note


def test_match_total_is_the_sum_of_the_grants_it_lists_and_rent_relief_is_not_cash():
    r = match_policies(Profile(age=28, degree="博士", full_time=True, first_social_insurance_in_yancheng=True,
                               district="亭湖区", role="创始人", annual_compute_spend=["30万"], house_area_sqm=90,
                               monthly_rent=1500))
    counted = {i.policy_id: i.estimate for i in r.items if i.in_total}
    assert counted == {"living_subsidy": 108000, "compute_voucher": 300000, "house_purchase": 90000}
    assert r.estimated_total == sum(counted.values())
    assert next(i for i in r.items if i.policy_id == "talent_rental").nature == "in_kind"


def test_match_no_double_names_the_award_that_applies_and_leaves_the_others_out():
    r = match_policies(Profile(role="创始人", plans=["场景", "大赛"]))
    group = {i.policy_id: i for i in r.items if i.policy_id in {"pilot_lead", "typical_case", "demonstration",
                                                                 "competition_award"}}
    assert set(group) == {"pilot_lead", "typical_case", "demonstration", "competition_award"}
    assert "就高不重复" not in group["pilot_lead"].note
    for pid in ("typical_case", "demonstration", "competition_award"):
        assert "只取较高的“国家、省级场景重大试点牵头项目支持”（最高200万元）" in group[pid].note
        assert not group[pid].in_total
    assert len(r.no_double) == 1 and "只取“国家、省级场景重大试点牵头项目支持”" in r.no_double[0]


def test_match_lists_benefits_without_an_amount_with_their_source():
    r = match_policies(Profile(age=28))
    unpriced = {i.policy_id: i for i in r.items if i.amount_note == "文件未规定金额"}
    assert {k: (v.doc, v.section) for k, v in unpriced.items()} == {
        "shanghai_zero_rent_desk": ("action-plan", "（九）创新场景跨域转化"),
        "community_service_package": ("guideline", "三、基本条件（五）公共服务"),
        "shared_model_tools": ("action-plan", "（二）推动模型工具共享")}
    assert all(i.estimate is None and i.max_amount is None and not i.in_total for i in unpriced.values())


def test_loan_cites_article_ten_and_invents_no_counter_guarantee():
    r = run_tool("check_guaranteed_loan", {"borrower": "个人", "amount": "100000.01"})
    text = " ".join(s["formula"] for s in r["breakdown"])
    assert "需按经办机构要求提供反担保" not in text and "不适用“10万元以下免除反担保要求”" in text
    assert r["article"]["section"] == "第十条" and "对10万元以下的创业担保贷款免除反担保要求" in r["article"]["quote"]
    assert "后段" not in r["article"]["section"]
    r = run_tool("check_guaranteed_loan", {"borrower": "个人", "amount": "10万"})
    assert any("免除反担保要求" in s["formula"] for s in r["breakdown"])


def test_data_purchase_rounding_shows_no_false_cap():
    r = run_tool("compute_data_purchase_subsidy", {"contract_amounts": "1000000.01"})
    assert r["amount"] == 300000 and "→" not in r["breakdown"][0]["formula"]


def test_validity_defaults_to_today(monkeypatch):
    monkeypatch.setenv("OPC_TODAY", "2026-11-29")
    r = run_tool("compute_living_subsidy", {"degree": "硕士", "age": 30, "full_time": True,
                                            "first_social_insurance_in_yancheng": True})
    assert r["amount"] == 2000 * 26 and "2028年12月31日" in r["reason"] and "最新规定" in r["reason"]


@pytest.mark.parametrize("args,amount", [
    (["compute_voucher_subsidy", "annual_spend=1,500,000元"], 1000000),
    (["compute_data_purchase_subsidy", "contract_amounts=1,000,000"], 300000),
    (["compute_infrastructure_subsidy", "investments=1,000万"], 2000000),
    (["compute_voucher_subsidy", "annual_spend=50万", "annual_spend=80万", "annual_spend=120万"], 1000000),
    (["compute_voucher_subsidy", "annual_spend=30万;40万;20万"], 680000),
    (["compute_living_subsidy", "degree=硕士", "age=30", "full_time=全日制", "first_social_insurance_in_yancheng=是"], 72000),
    (["compute_listing_subsidy", "listing_fee=5万", "first_listing=首次"], 40000),
])
def test_calc_reads_amounts_and_yes_words_like_people_write_them(args, amount):
    r = CliRunner().invoke(cli_app, ["calc", *args, "--json"])
    assert r.exit_code == 0, r.output
    import json
    assert json.loads(r.stdout)["result"]["amount"] == amount


def test_calc_headline_of_an_ineligible_result_is_not_a_cap():
    r = CliRunner().invoke(cli_app, ["calc", "compute_capped_support", "item=dataset_development", "adopters=3"])
    assert r.exit_code == 0 and "不符合条件" in r.stdout.splitlines()[0] and "最高200万元" not in r.stdout


def test_match_counts_only_what_falls_inside_the_validity_period():
    r = match_policies(Profile(age=30, degree="硕士", full_time=True, first_social_insurance_in_yancheng=True,
                               annual_compute_spend="10万;10万;10万", start_date="2027-07-01"))
    items = {i.policy_id: i for i in r.items}
    assert items["living_subsidy"].estimate == 2000 * 18 and items["compute_voucher"].estimate == 170000
    assert r.estimated_total == 36000 + 170000 and "2028年12月31日" in items["compute_voucher"].note


def test_match_for_a_county_says_it_may_only_refer():
    r = match_policies(Profile(age=30, degree="博士", full_time=True, district="东台"))
    assert "东台市不在盐城大市区" in r.scope_note and "参照" in r.scope_note
    assert match_policies(Profile(district="盐都区")).scope_note == ""


def test_compute_bought_outside_the_dispatch_platform_gets_no_voucher():
    from tools.registry import run_tool

    r = run_tool("compute_voucher_subsidy", {"annual_spend": [500000], "via_dispatch_platform": False})
    assert r["amount"] == 0 and r["eligible"] is False
    assert run_tool("compute_voucher_subsidy", {"annual_spend": [500000], "via_dispatch_platform": True})["amount"] == 500000


def test_a_second_hand_flat_is_not_in_the_match_total():
    from tools.registry import run_tool

    r = run_tool("match_policies", {"age": 29, "degree": "本科", "full_time": True, "role": "创始人",
                                    "first_social_insurance_in_yancheng": True, "house_area_sqm": 100,
                                    "new_commercial_housing": False})
    house = next(i for i in r["items"] if i["policy_id"] == "house_purchase")
    assert not house["in_total"] and r["estimated_total"] == 54000


def test_infrastructure_is_capped_year_by_year():
    from tools.registry import run_tool

    two_years = {"investments": [6000000, 13000000], "investment_years": ["2026", "2027"]}
    assert run_tool("compute_infrastructure_subsidy", two_years)["amount"] == 3200000  # 120万 + min(260万, 200万)
    assert run_tool("compute_infrastructure_subsidy", {"investments": [6000000, 13000000]})["amount"] == 2000000
