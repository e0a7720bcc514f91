"""Personal data and the staff token (issue 23): which numbers are masked before anything is stored or logged (phones
in any spacing or in Chinese digits, landlines, bank cards, passports and permits) and which stay as written (amounts,
years, dates, contract numbers); session state and turns hold no phone or ID number, and a conversation computes the
same amounts as before; the staff token is long, may come from a private file, and wrong guesses are counted."""
from __future__ import annotations

import copy
import logging
import re
import sqlite3
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assistant.privacy import fold, mask_text
from tests.conftest import _DATA

CHINESE_DIGITS = str.maketrans("〇零幺一二三四五六七八九", "001123456789")


def digits_of(text: str) -> str:
    """Every digit of `text` as ASCII, Chinese numerals included: a number survives masking iff it is in here."""
    return re.sub(r"[^0-9]", "", fold(text).translate(CHINESE_DIGITS))


def luhn_complete(body: str) -> str:
    """`body` with the check digit that makes it a valid card number."""
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return body + str((10 - total % 10) % 10)


CARD16, CARD19 = luhn_complete("622202123456789"), luhn_complete("621700001234567890")


def grouped(number: str, sep: str = " ") -> str:
    return sep.join(number[i:i + 4] for i in range(0, len(number), 4))


# --- which numbers are masked --------------------------------------------------------------------------------------
MASKED = {  # text -> the number that must not survive
    "电话 138 1234 5678，算力券怎么补": "13812345678",
    "电话138.1234.5678": "13812345678",
    "电话１３８．１２３４．５６７８": "13812345678",
    "手机138－1234－5678": "13812345678",
    "手机138　1234　5678": "13812345678",
    "手机138·1234·5678": "13812345678",
    "我的手机一三八一二三四五六七八，谢谢": "13812345678",
    "手机幺三八幺二三四五六七八": "13812345678",
    "手机号一三九〇〇〇〇一一一一": "13900001111",
    "手机号一三九零零零零一一一一": "13900001111",
    "+86 138 1234 5678": "13812345678",
    "座机0515-88888888": "051588888888",
    "电话(0515)8888 8888": "051588888888",
    "电话（0515）8888-8888": "051588888888",
    "电话0515 88888888转": "051588888888",
    "电话051588888888": "051588888888",
    "北京010-62345678": "01062345678",
    "电话0515-8888888": "05158888888",
    "电话０５１５－８８８８８８８８": "051588888888",
    f"卡号{CARD16}": CARD16,
    f"卡号{CARD19}，开户行盐城": CARD19,
    f"银行卡 {grouped(CARD16)} 收款": CARD16,
    f"银行卡{grouped(CARD19, '-')}": CARD19,
    "护照E12345678": "12345678",
    "护照号G12345678，": "12345678",
    "护照EA1234567": "1234567",
    "港澳通行证C12345678": "12345678",
    "身份证三二〇九〇二一九九〇〇一〇一一二三四": "320902199001011234",
}


@pytest.mark.parametrize("text,number", MASKED.items())
def test_personal_numbers_are_masked(text, number):
    masked = mask_text(text)
    assert number not in digits_of(masked), masked
    assert "*" in masked


KEPT = [
    "第一年花了1500000元", "2026年", "100万", "36个月", "1,500,000", "合同编号2026-001", "2026-01-01", "2026.01.01",
    "2026年1月1日至2028年12月31日", "2024 2025 2026", "一百五十万", "二〇二六年一月一日", "第一年50万，第二年80万，第三年120万",
    "1500000元和2000000元", "投资了1500万，面积120平方米", "ISO9001认证", "订单A123456", "合同金额12,345,678.90元",
    "13.8万", "1380000元", "编号20260101001", "工作时间08:30-17:30", "0.5万", "2026-01-01至2028-12-31",
    "2026-01-01 2028-12-31", "第1年、第2年、第3年", "60万、80万、100万、120万", "社保缴了36个月，28岁",
    "编号 " + grouped(CARD16[:-1] + str((int(CARD16[-1]) + 1) % 10)),  # 16 digits failing the card check digit
]


@pytest.mark.parametrize("text", KEPT)
def test_ordinary_numbers_stay_as_written(text):
    assert mask_text(text) == text


SEPARATORS = st.sampled_from(["", " ", "-", ".", "－", "．", "\u3000", "·", "  "])
CONTEXT = st.sampled_from(["", "我的电话是", "手机：", "联系方式 ", "请回电"])
AFTER = st.sampled_from(["", "，谢谢", "。算力券怎么补？", " 随时联系"])


def styled(digits: str, style: str) -> str:
    if style == "fullwidth":
        return digits.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    if style == "chinese":
        return digits.translate(str.maketrans("0123456789", "〇幺二三四五六七八九"))
    return digits


@given(st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True), SEPARATORS, SEPARATORS,
       st.sampled_from(["ascii", "fullwidth", "chinese"]), CONTEXT, AFTER)
def test_any_mobile_number_is_masked(number, sep1, sep2, style, before, after):
    text = before + styled(number[:3], style) + sep1 + styled(number[3:7], style) + sep2 + styled(number[7:], style) + after
    assert number not in digits_of(mask_text(text))


@given(st.sampled_from(["010", "021", "025", "0515", "0517", "0755"]), st.from_regex(r"[2-9][0-9]{6,7}", fullmatch=True),
       st.sampled_from(["{a}-{l}", "({a}){l}", "（{a}）{l}", "{a} {l}", "{a}{l}", "{a}-{l1}-{l2}", "({a}) {l1} {l2}"]),
       CONTEXT, AFTER)
def test_any_landline_is_masked(area, local, form, before, after):
    half = len(local) - 4
    text = before + form.format(a=area, l=local, l1=local[:half], l2=local[half:]) + after
    assert area + local not in digits_of(mask_text(text)), mask_text(text)


@given(st.sampled_from(["62", "4", "5", "3"]), st.integers(16, 19), st.randoms(use_true_random=False),
       st.sampled_from(["", " ", "-"]), CONTEXT, AFTER)
def test_any_bank_card_is_masked(prefix, length, rnd, sep, before, after):
    number = luhn_complete(prefix + "".join(str(rnd.randrange(10)) for _ in range(length - len(prefix) - 1)))
    text = before + (grouped(number, sep) if sep else number) + after
    assert number not in digits_of(mask_text(text))


@given(st.integers(0, 10 ** 9), st.sampled_from(["{n}元", "{n:,}元", "{n}万", "第{k}年{n}元", "花了{n}", "{n:,}",
                                              "{n}元和{m}元", "{n}万、{m}万", "{n:,}元，{m:,}元"]),
       st.integers(1, 5), st.integers(0, 10 ** 7))
def test_amounts_are_never_masked(n, form, k, m):
    text = form.format(n=n, m=m, k=k)
    assert mask_text(text) == text


DAYS = st.dates(date(1900, 1, 1), date(2100, 12, 31))


@given(DAYS, DAYS, st.sampled_from(["%Y-%m-%d", "%Y.%m.%d", "%Y/%m/%d", "%Y年%m月%d日", "%Y%m%d", "%Y年"]),
       st.sampled_from(["至", " ", "—", "~", "，", " - "]))
def test_dates_and_years_are_never_masked(d1, d2, form, joiner):
    text = d1.strftime(form) + joiner + d2.strftime(form)
    assert mask_text(text) == text


# --- session state and turns hold no phone or ID number ----------------------------------------------------------------
PII = "我手机 138 1234 5678，身份证320902199001011234"
SECRETS = ("13812345678", "320902199001011234")


@pytest.fixture
def fresh_service(service, tmp_path):
    """A service of its own database sharing the suite's loaded index."""
    from assistant.config import Settings
    from assistant.service import AssistantService

    svc = AssistantService(Settings(data_dir=_DATA, database_url=f"sqlite:///{tmp_path / 'privacy.sqlite3'}"))
    svc._index, svc._searcher, svc._engine = service._index, service._searcher, service._engine
    return svc


def database_text(svc) -> str:
    con = sqlite3.connect(svc.settings.db_url.removeprefix("sqlite:///"))
    try:
        return "\n".join(con.iterdump())
    finally:
        con.close()


def test_session_state_and_turns_hold_no_phone_or_id_number(fresh_service):
    first = fresh_service.chat(f"{PII}，算力券第一年花了150万，第二年80万，能补多少？")
    assert first.tool_calls  # the amounts were understood
    fresh_service.chat("那第三年120万呢？我电话一三八一二三四五六七八", first.session_id)
    dump = digits_of(database_text(fresh_service))
    for secret in SECRETS:
        assert secret not in dump
    state = fresh_service.store.load_state(first.session_id)
    sentences = state["last_call"]["slots"].get("amount_sentences") or {}
    assert sentences and all(re.search(r"138\*{4,}5678", s) for s in sentences.values()), sentences


CONVERSATIONS = [
    [f"{PII}，算力券第一年花了150万，第二年80万，能补多少？", "那第三年120万呢？", "三年加起来一共多少？"],
    [f"{PII}，全日制硕士，28岁，第一次在盐城交社保，生活补贴每月多少？", "那如果是博士呢？", "一共能拿多少？"],
    ["电话 138 1234 5678 ，数据采购合同20万、首次挂牌服务费9万，各补多少？", "那挂牌服务费5万呢？"],
    [f"我签了一份90万的数据采购合同，电话0515-8888 8888", "又签了一笔200万的，手机138-1234-5678", "两笔加起来一共多少？"],
]


@pytest.mark.parametrize("turns", CONVERSATIONS)
def test_masked_state_computes_the_same_amounts(fresh_service, turns):
    """Each turn answered from the stored (masked) state equals the answer from the unmasked state kept in memory."""
    sid, state = None, {}
    for message in turns:
        stored = fresh_service.chat(message, sid)
        sid = stored.session_id
        reply, state, _ = fresh_service.engine.respond(message, copy.deepcopy(state))
        assert stored.answer == reply.text()
        assert [c.model_dump() for c in stored.tool_calls] == [c.model_dump() for c in reply.tool_calls]


# --- the staff token: length, a private file, guesses counted --------------------------------------------------------
GOOD = "staff-token-for-the-privacy-tests-0123"


def app_client(tmp_path, client=("203.0.113.5", 1234), **settings):
    from fastapi.testclient import TestClient

    from assistant.api.app import create_app
    from assistant.config import Settings
    from assistant.service import AssistantService

    s = Settings(data_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 'staff.sqlite3'}",
                 **{"staff_token": GOOD, **settings})
    app = create_app(s, AssistantService(s), with_ui=False, warm=False)
    return app, TestClient(app, base_url="http://127.0.0.1", client=client)


def test_short_staff_token_is_refused(tmp_path):
    from assistant.api.deps import staff_token
    from assistant.config import Settings

    with pytest.raises(RuntimeError, match=r"OPC_STAFF_TOKEN.*24"):
        staff_token(Settings(data_dir=tmp_path, staff_token="x" * 23))
    assert staff_token(Settings(data_dir=tmp_path, staff_token="x" * 24)) == ("x" * 24, False)
    generated, made = staff_token(Settings(data_dir=tmp_path, staff_token=None))
    assert made and len(generated) >= 24


def test_staff_token_from_a_private_file(tmp_path):
    from assistant.api.deps import staff_token
    from assistant.config import Settings

    path = tmp_path / "staff.secret"
    path.write_text(GOOD + "\n")
    path.chmod(0o600)
    assert staff_token(Settings(data_dir=tmp_path, staff_token=None, staff_token_file=path)) == (GOOD, False)
    _, client = app_client(tmp_path, staff_token=None, staff_token_file=str(path))
    assert client.get("/api/cases", headers={"Authorization": f"Bearer {GOOD}"}).status_code == 200
    assert client.get("/api/cases", headers={"Authorization": "Bearer wrong"}).status_code == 401
    path.chmod(0o640)
    with pytest.raises(RuntimeError, match=r"OPC_STAFF_TOKEN_FILE.*(group|others)"):
        staff_token(Settings(data_dir=tmp_path, staff_token=None, staff_token_file=path))
    path.chmod(0o600)
    with pytest.raises(RuntimeError, match="OPC_STAFF_TOKEN_FILE"):  # both set: which one is meant?
        staff_token(Settings(data_dir=tmp_path, staff_token=GOOD, staff_token_file=path))
    with pytest.raises(RuntimeError, match="OPC_STAFF_TOKEN_FILE"):
        staff_token(Settings(data_dir=tmp_path, staff_token=None, staff_token_file=tmp_path / "missing"))
    path.write_text("short\n")
    with pytest.raises(RuntimeError, match="24"):
        staff_token(Settings(data_dir=tmp_path, staff_token=None, staff_token_file=path))


def test_wrong_staff_tokens_are_counted_per_client_and_logged(tmp_path, caplog):
    app, attacker = app_client(tmp_path)
    from fastapi.testclient import TestClient

    colleague = TestClient(app, base_url="http://127.0.0.1", client=("198.51.100.7", 4321))
    caplog.set_level(logging.WARNING, logger="opc.api")
    wrong = {"Authorization": "Bearer guess-0000000000000000000000"}
    paths = ["/api/cases", "/api/admin/feedback", "/api/sessions/s-nosuchsession", "/api/cases/c-1/summary.html"]
    codes = [attacker.get(paths[i % len(paths)], headers=wrong).status_code for i in range(10)]
    assert set(codes) <= {401, 404} and codes.count(401) >= 7  # a wrong token on a session read falls to its secret
    limited = attacker.get("/api/cases", headers=wrong)
    assert limited.status_code == 429 and 1 <= int(limited.headers["retry-after"]) <= 300
    assert limited.json()["error"]["code"] == "staff_token_locked"
    assert attacker.get("/api/cases", headers={"Authorization": f"Bearer {GOOD}"}).status_code == 429
    assert colleague.get("/api/cases", headers={"Authorization": f"Bearer {GOOD}"}).status_code == 200
    assert attacker.get("/healthz").status_code == 200  # only staff requests wait
    failures = [r for r in caplog.records if "staff token" in r.getMessage()]
    assert len(failures) >= 10
    assert all("203.0.113.*" in r.getMessage() and "203.0.113.5" not in r.getMessage() for r in failures)
    assert not any("guess-" in r.getMessage() for r in caplog.records)


def test_wrong_guesses_leave_the_window():
    """The moving window: the lock lifts when the oldest counted failure is five minutes old; clients are apart."""
    from assistant.api.deps import StaffGuesses
    from assistant.privacy import mask_address

    guesses = StaffGuesses()
    for i in range(StaffGuesses.LIMIT):
        assert guesses.wait("10.0.0.1", now=i) is None
        guesses.fail("10.0.0.1", now=i)
    assert guesses.wait("10.0.0.1", now=100) == 200 and guesses.wait("10.0.0.2", now=100) is None
    assert guesses.wait("10.0.0.1", now=300.5) is None  # the first failure left; nine remain
    guesses.fail("10.0.0.1", now=300.5)  # ten again: locked until the failure at 1 s leaves
    assert guesses.wait("10.0.0.1", now=300.6) == 1 and guesses.wait("10.0.0.1", now=301) is None
    assert mask_address("2001:db8:1:2::/64") == "2001:0db8:0001:*" and mask_address("testclient") == "testclient"


@pytest.mark.parametrize("text", ["1 3 8 1 2 3 4 5 6 7 8", "138 12 34 56 78", "一三八 1234 5678", "138一二三四5678",
                                  "138，1234，5678", "138/1234/5678", "138_1234_5678", "壹叁捌壹贰叁肆伍陆柒捌"])
def test_a_mobile_number_written_any_way_the_reprobe_tried_is_masked(text):
    """The re-probe stored these in the clear (each failed before this change)."""
    assert mask_text(text).endswith("****5678") and "1234" not in mask_text(text)


def test_passports_and_cards_with_spaces_or_dots_are_masked():
    assert "1234" not in mask_text("护照 E 1234 5678")
    assert "0212" not in mask_text("卡6222.0212.3456.7890.128")
