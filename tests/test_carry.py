"""A turn that continues the last calculation keeps its facts and changes only what it says anew; nothing is carried
into a question the last calculation cannot answer."""
from assistant.carry import carry, is_bare_follow_up
from assistant.understand import extract_slots

LOAN = extract_slots("企业贷款100万，LPR 3.0%，一年利息4万").model_dump(mode="json", exclude_defaults=True)
INTEREST_FIELDS = {"principal", "lpr_percent", "interest_paid", "years", "start_date"}


def test_a_what_if_changes_one_field_and_keeps_the_rest():
    s = carry(LOAN, extract_slots("那三年一共呢？"), "那三年一共呢？", INTEREST_FIELDS)
    assert (s.amounts, s.lpr_percent, s.interest_paid, s.years) == ([1000000], 3.0, 40000, 3)


def test_a_year_named_anew_carries_nothing():
    s = carry(LOAN, extract_slots("第四年还有吗？"), "第四年还有吗？", INTEREST_FIELDS)
    assert s.amounts == [] and s.years is None


def test_a_total_over_periods_is_not_answered_by_a_one_period_tool():
    last = extract_slots("今年投了1500万").model_dump(mode="json", exclude_defaults=True)
    s = carry(last, extract_slots("两年合计多少？"), "两年合计多少？", {"investments"})
    assert s.amounts == []


def test_bare_follow_ups():
    assert is_bare_follow_up("最多能拿多少？") and is_bare_follow_up("第四年还有吗？")
    assert not is_bare_follow_up("OPC社区认定要什么条件，能拿多少？")


def test_items_told_one_by_one_are_totalled_only_within_one_year():
    from assistant.carry import items_total, remember_items
    from assistant.understand import Slots

    ledger = remember_items(None, "data_purchase", [900000], "今年买了90万的数据")
    ledger = remember_items(ledger, "data_purchase", [2000000], "今年又签了一笔200万的")
    assert ledger["items"] == [900000, 2000000]
    assert items_total(ledger, "data_purchase", Slots(), "那今年两笔加起来一共多少？").amounts == [900000, 2000000]
    assert items_total(ledger, "data_purchase", Slots(), "最多能补多少？").amounts == []  # no total of items asked
    other_year = remember_items(ledger, "data_purchase", [1000000], "明年又签了一笔100万的")
    assert other_year["items"] == [1000000]  # another year starts anew: the yearly cap is per year
