"""Typed facts bound to their labels: which clause a value sits in, which label is nearest, whether a negation
governs it. Pure functions over the message text; no policy knowledge lives here."""
from __future__ import annotations

import re
from dataclasses import dataclass

# Words a negation can govern on their own, so the negation stops there (非全日制 | 硕士).
ATTRIBUTES = ("全日制", "统招", "关联", "首次", "第一次")
CLAUSE_END = re.compile(r"[，,。；;！!？?\n]")
# A negation that governs the word right after it (allowing a few filler characters: 不是公司创始人).
NEGATION_BEFORE = re.compile(r"(不是|并非|并不是|不算|没有|还没有?|没|尚未|未|非|不)[^，,。；;！!？?不没非未]{0,3}$")
NUMBER = r"(?:[0-9]+(?:[.,][0-9]+)*|[零〇一二两三四五六七八九十百千万亿点]+)"
RE_PERCENT = re.compile(rf"({NUMBER})\s*(?:%|％)")
RE_PERCENT_WORDS = re.compile(rf"百分之({NUMBER})")

# Field -> the words that label a percent (the longest label wins where labels overlap: 报价利率 vs 利率).
PERCENT_LABELS = {
    "lpr_percent": ["LPR", "lpr", "贷款市场报价利率", "报价利率", "市场报价利率"],
    "loan_rate_percent": ["利率", "年利率", "贷款利率", "实际利率", "年化", "合同利率", "执行利率"],
}
# Words before an amount saying it is the benefit the user heard of, not an input of the calculation.
RESULT_WORDS = re.compile(r"(补|补贴|补助|奖励|奖|给|拿到?|领|资助|报销)[^，,。；;！!？?0-9]{0,2}$")
# An amount asked for (申请20万采购支持) is a guess of the benefit when a benefit word follows it.
ASKED_FOR = re.compile(r"(申请|能批|批)[^，,。；;！!？?0-9]{0,2}$")
BENEFIT_AFTER = re.compile(r"^[^，,。；;！!？?]{0,6}(支持|补贴|补助|奖励|资助|奖补)")
# A figure the user works out and asks to have confirmed (30%的话是45万吧？): a guess, unless a label names it.
GUESS_BEFORE = re.compile(r"(是|就是|应该是|大概是|等于|得)\s*$")
GUESS_AFTER = re.compile(r"^\s*(吧|吗|么|嘛|对吧|对吗|没错|不)")
# A number right after these is an ordinal or a span of time (前两年, 第三年, 头两个月), never an amount.
ORDINAL_BEFORE = re.compile(r"(前|第|头|后|近|这|那|满|共|连续)\s*$")
DURATION_AFTER = re.compile(r"^\s*(年|个月|月|天|周|期|次|份|笔|单|家|个|人|岁|%|％)")
# Labels of money amounts: which field a value belongs to; "ignored" ones are no input of any calculation.
MONEY_LABELS = {
    "ignored": ["月薪", "工资", "年薪", "收入", "营收", "营业额", "预算", "总预算", "估值", "注册资本", "认缴", "总价", "房价",
                "计划投资", "计划投入", "拟投资", "拟投入", "预计投资", "预计投入", "打算投", "计划花", "准备投",
                "原计划投", "原计划",  # 原计划投900万，最后实际投了600万: the plan was replaced
                "定价", "售价", "单价", "报价", "标价", "卖价", "奖金", "发奖金", "办活动", "奖金池", "赞助"],
    # What was actually spent, and what an authority approved: where a message gives them beside a contract or a
    # spend, they are the figure the article counts (实际使用费用, 核定总投入).
    "actual": ["实际只用了", "实际用了", "实际只花了", "实际花了", "实际投了", "实际投资了", "实际只投了", "实际使用",
               "实际支出", "实际发生", "实际投资", "实际投入"],
    "approved": ["核定的总投入", "核定总投入", "核定的", "核定", "核准"],
    "interest_paid": ["利息", "付息"],
    # What was paid so far is no contract or spend when one is also stated (合同50万，实际付了40万).
    "paid": ["付了", "已付", "实付", "支付了", "付款", "首付", "预付", "到账", "打款", "付过"],
    "rent": ["月租", "租金", "房租"],
    "input": ["花了", "用了", "费用", "合同", "投资", "投入", "贷", "采购", "买了", "支出", "服务费", "金额", "本金", "成本"],
}
COPULA_BEFORE = re.compile(r"(是|当|做|担任|作为)[^，,。；;是]{0,6}$")
ROLE_WORDS = [("创始人", r"创始人|老板|法人|法定代表人|自己开"), ("高管", r"高管|合伙人|CTO|CEO|总经理|副总"),
              ("员工", r"员工|打工|职员")]


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    text: str


def clause_of(text: str, pos: int) -> tuple[int, int]:
    """The bounds of the clause (between punctuation) that holds position pos."""
    start = max((m.end() for m in CLAUSE_END.finditer(text, 0, pos)), default=0)
    m = CLAUSE_END.search(text, pos)
    return start, (m.start() if m else len(text))


def negated(text: str, start: int) -> bool:
    """True when a negation in the same clause governs the word starting at start (非全日制硕士 negates the
    full-time study, not the degree)."""
    c0, _ = clause_of(text, start)
    m = NEGATION_BEFORE.search(text[c0:start])
    return bool(m) and not any(w in m.group(0) for w in ATTRIBUTES)


def occurrences(text: str, pattern: str) -> list[Span]:
    return [Span(m.start(), m.end(), m.group(0)) for m in re.finditer(pattern, text)]


def polar(text: str, pattern: str) -> bool | None:
    """A yes/no fact: True if the words occur un-negated, False if every occurrence is negated, None if absent."""
    spans = occurrences(text, pattern)
    if not spans:
        return None
    return any(not negated(text, s.start) for s in spans)


def role(text: str) -> str | None:
    """The founder's role; a role that is mentioned only under negation (不是创始人也不是高管) is not given."""
    found: list[tuple[int, str]] = []
    denied = False
    for name, pattern in ROLE_WORDS:
        for s in occurrences(text, pattern):
            if negated(text, s.start):
                denied = True
            else:
                found.append((s.start, name))
    stated = [f for f in found if COPULA_BEFORE.search(text[max(0, f[0] - 8):f[0]])]
    if stated:  # 我合伙人是公司普通员工: the role after 是 is the one stated
        return max(stated)[1]
    if found:
        return min(found)[1]
    return "其他" if denied else None


def _labels(text: str, lo: int, hi: int, labels: dict[str, list[str]]) -> list[tuple[Span, str]]:
    """Label occurrences in text[lo:hi], longest first where they overlap."""
    hits = []
    for field, words in labels.items():
        for w in words:
            for m in re.finditer(re.escape(w), text[lo:hi]):
                hits.append((Span(lo + m.start(), lo + m.end(), w), field))
    hits.sort(key=lambda h: -(h[0].end - h[0].start))
    kept: list[tuple[Span, str]] = []
    for span, field in hits:
        if not any(k.start <= span.start and span.end <= k.end for k, _ in kept):
            kept.append((span, field))
    return kept


def bind(text: str, value: Span, labels: dict[str, list[str]]) -> str | None:
    """The field whose label is nearest to the value in its clause (a label before the value is preferred);
    None when no label decides."""
    lo, hi = clause_of(text, value.start)
    best: tuple[int, str] | None = None
    for span, field in _labels(text, lo, hi, labels):
        if span.end <= value.start:
            dist = value.start - span.end
        elif span.start >= value.end:
            dist = span.start - value.end + 3  # a label after the value binds more weakly
        else:
            continue
        if best is None or dist < best[0]:
            best = (dist, field)
    return best[1] if best else None


def bind_money(text: str, value: Span) -> str | None:
    """The field of a money amount. 付了 says only that it was paid; what was paid (利息付了4.5万, 付了1.2万利息)
    is said by the other label of the clause, so that label decides when it names a field of its own."""
    field = bind(text, value, MONEY_LABELS)
    if field != "paid":
        return field
    other = bind(text, value, {k: v for k, v in MONEY_LABELS.items() if k in ("interest_paid", "rent")})
    return other or field


def percents(text: str, to_number) -> dict[str, list[float]]:
    """Percent values grouped by the field their label binds them to ('' for unlabelled ones)."""
    out: dict[str, list[float]] = {}
    for rx in (RE_PERCENT, RE_PERCENT_WORDS):
        for m in rx.finditer(text):
            v = to_number(m.group(1))
            if v is None:
                continue
            field = bind(text, Span(m.start(), m.end(), m.group(0)), PERCENT_LABELS) or ""
            out.setdefault(field, []).append(v)
    return out


def is_result_claim(text: str, start: int, end: int | None = None) -> bool:
    """An amount introduced as the benefit itself (听说能补30万, 想申请20万采购支持), not as a cost the benefit is
    computed from (申请500万创业担保贷款 is a loan asked for: an input)."""
    c0, c1 = clause_of(text, start)
    before = text[c0:start]
    if RESULT_WORDS.search(before):
        return True
    if end is not None and GUESS_BEFORE.search(before) and GUESS_AFTER.search(text[end:c1]) \
            and bind(text, Span(start, end, text[start:end]), {"input": MONEY_LABELS["input"]}) is None:
        return True
    return bool(end is not None and ASKED_FOR.search(before) and BENEFIT_AFTER.search(text[end:c1]))


def not_money(text: str, start: int, end: int) -> bool:
    """A number that counts time or things (房租前两年, 3个月), so no label may read it as an amount."""
    return bool(ORDINAL_BEFORE.search(text[max(0, start - 2):start]) or DURATION_AFTER.search(text[end:end + 3]))


# Clauses whose subject is someone else (我表哥…, 我女朋友是硕士, 隔壁一家公司…, 一个朋友去年贷了50万): their facts are
# not the founder's. A clause without a subject of its own continues the one before; 我/我自己/本人/我们公司 return.
PERSON = (r"表哥|表姐|堂哥|堂姐|表弟|表妹|哥哥|姐姐|弟弟|妹妹|老婆|妻子|爱人|老公|丈夫|女朋友|男朋友|对象|室友|同学|"
          r"朋友|同事|合伙人|技术总监|总监|设计同事|员工|父母|爸妈|爸爸|妈妈|爸|妈|家人|亲戚|邻居")
OTHER_SUBJECT = re.compile(rf"^(?:另外|还有|此外|而)?(?:我的?|我们的?|我们公司的?)?"
                           rf"(?:一个|有个|还有一个|还有个|另一个)?[^，,。自是在有们]{{0,3}}(?:{PERSON})"
                           rf"|^(?:一个|有个|还有一个|还有个)(?:{PERSON})|^隔壁|^(?:他|她)们?|^别人|^人家")
OTHERS_FACT = re.compile(rf"是我的?(?:{PERSON})|不是我[，,。；;]?$")  # 硕士是我老婆 / 博士不是我: not the founder's
OWN_SUBJECT = re.compile(rf"^[^，,。]{{0,4}}?(?:我自己|本人|我们公司|我公司|我们|我(?!的?(?:{PERSON})))"
                         r"|^(?:咱们?|公司|想问|请问|问下|问一下)")
CLAUSE = re.compile(r"[^，,。；;：:！!？?\n]+[，,。；;：:！!？?\n]*")


# 我和合伙人都是硕士: said of both, so the founder's fact too (and the other person's).
PAIR = re.compile(rf"我(?:和|跟|与|同)我?的?(?:{PERSON})[^，,。；;]{{0,4}}?(?:都|各|分别)")
BOTH_SUBJECT = re.compile(rf"^我(?:和|跟|与|同)我?的?(?:{PERSON})[^，,。；;]{{0,4}}?(?:都|也都|均)")


def own_text(text: str) -> str:
    """The message without the clauses about other people, so their figures never fill the founder's facts."""
    keep, other = [], False
    for clause in CLAUSE.findall(text):
        head = clause.strip()
        if BOTH_SUBJECT.search(head):
            other = False
        elif OTHER_SUBJECT.search(head) or OTHERS_FACT.search(head):
            other = True
        elif OWN_SUBJECT.search(head):
            other = False
        if not other:
            keep.append(clause)
        if head.endswith(("。", "！", "!", "？", "?")):
            other = False  # a new sentence starts with the founder again unless it names someone else
    return "".join(keep)


# Two people asked about together: a total of both (我俩一共多少) or each one's figure (各自能拿多少).
BOTH = re.compile(r"两个人|两人|俩|我们两个|夫妻|两口子|二人")
TOTAL_WORDS = re.compile(r"一共|加起来|合计|总共|加在一起|共计")
EACH_WORDS = re.compile(r"各自|分别|各能|每人|每个人各")
# A clause said of both people (我俩都是第一次交社保): its facts are each one's.
SHARED = re.compile(r"(?:我俩|我们俩|我们两个|我们两人|两个人|两人|俩人|夫妻|我们)[^，,。；;]{0,4}?(?:都|也都|均)")
BARE_AGE = re.compile(rf"^[^，,。0-9]{{0,8}}?(?:他|她|{PERSON})(?:今年)?\d{{2}}(?=[，,。；;]|$)")  # 她29: her age


def joint_ask(asking: str) -> str | None:
    """'total' when the question asks for two people's sum, 'each' for each one's figure, else None."""
    if EACH_WORDS.search(asking) and (BOTH.search(asking) or "各" in asking):
        return "each"
    if BOTH.search(asking) and TOTAL_WORDS.search(asking):
        return "total"
    return None


def others_text(text: str) -> str:
    """The other person's facts: the clauses about them (她29 read as 29岁), and the clauses said of both (我俩都…)
    with what follows them in their sentence."""
    keep, other, shared = [], False, False
    for clause in CLAUSE.findall(text):
        head = clause.strip()
        if BOTH_SUBJECT.search(head) or SHARED.search(head):
            other, shared = False, True
        elif OTHER_SUBJECT.search(head):
            other, shared = True, False
            head = BARE_AGE.sub(r"\g<0>岁", head)  # 她29，全日制本科: 29 is her age
        elif OTHERS_FACT.search(head):
            other, shared = True, False
        elif OWN_SUBJECT.search(head):
            other, shared = False, False
        if other or shared:
            keep.append(head)
        if head.endswith(("。", "！", "!", "？", "?")):
            other, shared = False, False
    return "".join(keep)
