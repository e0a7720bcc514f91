"""Understanding a Chinese message: intent, topic and slots. Pure functions, no I/O."""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any

import cn2an
from pydantic import BaseModel, Field

from assistant import budget, facts
from assistant.catalog import topic_cues, value_in, values_in
from assistant.lexicon import ledger_periods, other_durations
from assistant.onewindow import asks_onewindow
from assistant.lexicon import task_request_pattern
from assistant.place_roles import YANCHENG, find_places, place_facts
from assistant.questions import asking_clause, asking_sentence, asking_sentences
from tools import validity
from tools.money import parse_amount
from tools.values import mentions
from tools.rules import policy_book

CN_DIGITS = "零〇一二两三四五六七八九十百千万亿点"
NUM = rf"(?:[0-9]+(?:[.,][0-9]+)*|[{CN_DIGITS}]+)"
RE_MONEY = re.compile(rf"({NUM})\s*(亿|kw|kW|Kw|KW|万|千|w|W|k|K)?\s*(元|块钱|块|人民币)?")
MEASURE_BLOCK = re.compile(r"[\u4e00-\u9fff](?<![钱左多])")  # 块 before a noun is a measure word, not yuan
COMMUNITY_SPEAKER = re.compile(r"社区的?运营方|社区运营主体|我们是[^，,。]{0,10}社区的?(运营|建设)")
SAME_EACH_YEAR = re.compile(r"连续\s*[两二三23]\s*年|(?:去年和今年|今年和去年|前年和去年|这两年|两年)[^，,。？?]{0,6}都"
                            r"|\d{4}\s*[、和]\s*\d{4}[^，,。？?]{0,8}都")
HELD = re.compile(r"(举|主|承|合)?办(了|过|的)?")
PARTS_AFTER = re.compile(r"^\s*(?:元|块)?\s*[，,]?\s*其中")  # a total whose parts follow
AGE_THRESHOLD = re.compile(r"\s*(以下|以上|以内|之内|之下|上下)")  # 35岁以下 is the rule's line, not an age
AGE_BOUND = re.compile(r"超过|未满|不满|不到|高于|低于|大于|小于")  # 满36周岁 is an age: 36
RE_BARE_AGE = re.compile(r"今年\s*([1-6][0-9])\s*(?:周岁|岁)?\s*了?(?=[，,。；;！!？?]|$)")
# A birth year, with its month when said: 1989年3月生, 九一年12月出生, 95年的, 2001年生的人.
RE_BIRTH_YEAR = re.compile(r"(?<![0-9零〇一二三四五六七八九十])((?:19|20)\d\d|\d\d|[零〇一二三四五六七八九]{2}|[一二][零〇一二三四五六七八九]{3})"
                           r"\s*(?:年|[.．/-](?=\d))\s*(?:(\d{1,2}|[一二三四五六七八九十]{1,3})\s*月?份?)?\s*"
                           r"(?:出生|生(?!产|效|意|活)|的人|的(?=[，,。；;！!？?\s]|$))")
# A start later than today (2027年初才来, 明年才开始用, 2027年3月起租): the year, the part of it, and a start verb.
RE_START = re.compile(r"(?:((?:20)\d\d)\s*年|(明年|后年))\s*(初|开年|年初|上半年|年中|下半年|年底|底|(\d{1,2})\s*月份?)?"
                      r"[^，,。；;？?0-9]{0,4}?(才|开始|起|入驻|落户|搬到|搬来|来盐|到盐)")
START_PART = {"初": 1, "开年": 1, "年初": 1, "上半年": 1, "年中": 7, "下半年": 7, "年底": 12, "底": 12}
CN_YEAR_DIGITS = str.maketrans("零〇一二三四五六七八九", "00123456789")
RE_MARKET = re.compile(r"市场|同类|周边")  # a rent said to be the market's, not the one the user pays
RE_MARKET_RENT = re.compile(rf"(?:市场|同类|周边)[^0-9，,。；;？?]{{0,8}}?(?:租金|月租|房租)[^0-9，,。；;？?]{{0,4}}?([0-9]+(?:\.[0-9]+)?)")
RE_AGE = re.compile(rf"({NUM})\s*(?:周岁|岁)")
RE_AREA = re.compile(rf"({NUM})\s*(?:平方米|平米|平方|㎡|m2|平)(?![台均])")
RE_PEOPLE = re.compile(rf"({NUM})\s*人次")
# A bare number right before an area that shares its unit (89 102平, 89、102平方米): a second area.
RE_AREA_SHARED = re.compile(rf"({NUM})\s*(?:[、,，/或和与]|\s)\s*{NUM}\s*(?:平方米|平米|平方|㎡|m2|平)(?![台均])")
RE_PER_AREA = re.compile(r"(?<![零〇一二两三四五六七八九十百千万])(?=一\s*(?:平方米|平米|平方|㎡|平))|(?<=每)")
BELOW = re.compile(r"(不到|不足|少于|低于|未达到|没到|没有到|不满)\s*$")
RE_PERCENT = re.compile(rf"({NUM})\s*(?:%|％)")
RE_LPR = re.compile(r"(?:LPR|lpr)[^0-9，,。]{0,6}([0-9]+(?:\.[0-9]+)?)(?![0-9.]*\s*(?:万|元|%|％))")
RE_YEAR_AMOUNT = re.compile(rf"第\s*({NUM})\s*年[^0-9{CN_DIGITS}，。,；;]{{0,20}}?({NUM}\s*(?:亿|万|千|w|W|k|K)?\s*(?:元|块)?)")
CALENDAR = {"前年": -2, "去年": -1, "今年": 0, "明年": 1}  # calendar words -> offset from this year
RE_CALENDAR = re.compile("|".join(CALENDAR))
RE_YEAR_LABEL = re.compile(r"((?:19|20)\d\d)\s*年(?!龄|轻|代)|" + "|".join(CALENDAR))
RE_NTH_YEAR = re.compile(rf"第\s*([一二三1-3])\s*年")
RE_REPEAT = re.compile(rf"(?:连续|持续|一共|共)\s*(?:用|花)?了?\s*([一二两三1-3])\s*年")
RE_MONTHS = re.compile(rf"({NUM})\s*个月")
RE_YEARS = re.compile(rf"(?<!第)(?<![0-9{CN_DIGITS}])({NUM})\s*年(?!度|级|内|轻|龄|前|后|底|初|培训|的)")
RE_COUNT = {
    "workstations": re.compile(rf"({NUM})\s*个?(?:OPC)?(?:创业者)?工位|工位(?:数)?[^0-9{CN_DIGITS}，,。；;]{{0,4}}({NUM})\s*个?"),
    "service_staff": re.compile(rf"(?:服务人员|专兼职)[^0-9{CN_DIGITS}]{{0,6}}(?:一共|总共|合计)?({NUM})\s*(?:人|个|名)"),
    "fulltime_staff": re.compile(rf"专职[^0-9{CN_DIGITS}]{{0,6}}({NUM})\s*(?:人|个|名)"),
    "mentors": re.compile(rf"导师[^0-9{CN_DIGITS}]{{0,4}}({NUM})\s*(?:人|个|名|位)?"),
    "ai_companies": re.compile(rf"(?:人工智能|AI)(?:相关)?企业[^0-9{CN_DIGITS}]{{0,4}}({NUM})\s*家"),
    "opc_companies": re.compile(rf"OPC[^0-9{CN_DIGITS}]{{0,4}}({NUM})\s*家"),
    "financial_institutions": re.compile(rf"金融机构[^0-9{CN_DIGITS}]{{0,4}}({NUM})\s*家"),
    "roadshows_per_year": re.compile(rf"路演[^0-9{CN_DIGITS}]{{0,4}}({NUM})\s*场"),
    "events_per_year": re.compile(rf"活动[^0-9{CN_DIGITS}]{{0,4}}({NUM})\s*场"),
    "adopters": re.compile(rf"({NUM})\s*家(?:非关联)?(?:企业|公司)"),
}

# 每份/每笔/每单 or 各 right before a figure, and the count of contracts it multiplies (8份合同, 3笔).
EACH_BEFORE = re.compile(r"(?:每\s*(份|笔|单|张|个)[^0-9，,。；;？?]{0,5}|各(?:为|是|有)?\s*)$")
RE_COUNT_OF = re.compile(rf"({NUM})\s*(份|笔|单|张|个)")
# 没有任何股权或关联关系 / 不存在关联: a negation whose scope reaches over a few words to 关联.
NOT_RELATED = re.compile(r"(没有|没|无|不存在|不是|并非|不属于)[^，,。；;]{0,8}关联")
RATE_IS_LPR = re.compile(r"利率[^，,。；;]{0,6}(按|就按|执行|等于|就是)[^，,。；;]{0,4}(LPR|lpr|贷款市场报价利率)")
# A relative's company (表哥开的公司, 我爸控股的): a related party. 其中一笔是…: which one is not said.
RELATIVE_COMPANY = re.compile(r"(亲戚|表哥|表姐|堂哥|堂姐|表弟|表妹|家里人|亲属|父母|爸|妈|老婆|老公|爱人|哥哥|姐姐)"
                              r"[^，,。；;]{0,3}(开的|的公司|控股|名下|的企业)")
ONE_OF_THEM = re.compile(r"其中(有)?(一|某)(笔|份|单|家|个)")
APPROVED = re.compile(r"核定|核准")
ACTUAL = re.compile(r"实际")
DENIED_AFTER = re.compile(r"^[^，,。；;]{0,3}(没|未|落选|不是)")
# An alternative figure for the same total (要是把赞助也算上就是120万): which one counts is asked about.
ALTERNATIVE = re.compile(r"(要是|如果|若|假如)[^，,。；;]{0,12}(算上|加上|包括|算进)")
OTHER_PURPOSE = re.compile(r"^\s*(?:元|块)?\s*(?:办|发|给员工发|给员工|用于|搞)\s*(?:活动|奖金|工资|福利|团建|年会)")
CLAIMED = re.compile(r"已经申报过|已申报过|已经申请过|申报过了|申请过了|已经拿过|已经领过|已经补过")
ITEM_MARK = re.compile(r"[笔批份单]")  # where one contract's item starts (一笔…, 第二批…)
# N parties each signing (跟7家公司各签了一份): the count of contracts is N times the count each signed.
RE_PARTIES_EACH = re.compile(rf"({NUM})\s*家[^，,。；;？?]{{0,16}}(?:各|每家)[^，,。；;？?0-9]{{0,4}}$")
RE_RENT_BARE = re.compile(rf"(?:月租|租金|房租)[^0-9，,。；;？?]{{0,6}}?({NUM})")
# The user cannot say which amount belongs to which year (哪年多少记不清了, 不确定哪个是第一年): ask, never guess.
ORDER_UNKNOWN = re.compile(r"(记不清|不记得|忘了|不确定|不清楚|分不清|搞不清|说不准|不太确定)[^。；;]{0,10}(哪年|哪一年|哪个是第|第几年|顺序)"
                           r"|(哪年|哪一年|哪个是第|第几年|顺序)[^。；;]{0,10}(记不清|不记得|忘了|不确定|不清楚|分不清|搞不清|说不准)")
# A period of the user's past (在杭州做了两年算法, 干了十年): a biography, not how long a benefit or loan runs.
EXPERIENCE_BEFORE = re.compile(r"(做了|干了|工作了?|待了|呆了|读了|学了|上了|干过|做过|带了|跟了|当了)\s*(整整|快|近|差不多|将近)?$")
# Amounts said to be of successive years: 这两年分别…, 三年依次…, 逐年, 第一年… (without it, 一笔25万一笔40万 may be
# one year's two payments).
YEAR_FRAME = re.compile(r"[两二三俩2-3]\s*年|分别|依次|逐年|每年|各年|历年|第\s*[一二三1-3]\s*年|首年|头一年")
SAME_YEAR = re.compile(r"同一年|同年|都是今年|都是去年|一年之内|一年内")
# 一个月能拿多少 asks the monthly figure: no period of one month.
AMOUNT_BEFORE = re.compile(r"[0-9]\s*(?:万|千|元|块|块钱)?\s*$")  # 6500一个月: a rate, not a period
PER_UNIT_QUESTION = re.compile(r"^\s*(?:能|可以|可|给|补|发|拿|领|有)?[^，,。；;]{0,3}多少")
# A period followed by a salary or any amount is a rate (一个月工资8000, 一年30万), not how long something lasts.
RATE_AFTER = re.compile(rf"^\s*(?:的)?(?:工资|薪|收入|营收|挣|赚|房租|租金|开销|流水|营业额|销售额|利润|产值|进账)"

                        rf"|^\s*(?:花了?|用了?|大概|约)?\s*{NUM}\s*(?:万|千|元|块)")

MATCH_WORDS = ["哪些政策", "什么政策", "能享受哪些", "可以享受哪些", "能申请哪些", "可以申请哪些", "有哪些补贴", "哪些补贴",
               "适合我", "帮我匹配", "政策匹配", "我能拿哪些", "能拿哪些", "都能享受", "有什么优惠"]
# A question about one thing rather than the founder's whole profile: 是什么政策 (which policy is that?), or a
# subject after the match words (能享受哪些场地方面的便利).
NAMES_A_THING = re.compile(r"是什么政策|是哪个政策|(哪些|什么)[\u4e00-\u9fff]{1,6}(方面|上)的")
ELIGIBILITY_WORDS = ["能不能", "可不可以", "可以吗", "能吗", "符合", "有没有资格", "算不算", "够不够", "能享受吗",
                     "能申请吗", "是否可以", "行不行", "算吗", "适用吗", "还能"]
CALC_WORDS = ["多少", "算一下", "算算", "计算", "能拿", "能领", "补多少", "给多少", "合计", "一共", "总共", "几万"]
SMALLTALK = ["你好", "您好", "hi", "hello", "在吗", "谢谢", "感谢", "你是谁", "你能做什么", "怎么用", "帮助", "再见", "早上好",
             "晚上好", "辛苦了"]
OUT_OF_SCOPE_WORDS = ["天气", "股票", "基金净值", "彩票", "菜谱", "写诗", "写一首", "讲个笑话", "足球", "电影", "游戏",
                      "房价", "星座", "翻译", "汇率", "比特币", "减肥", "高考", "考研", "签证", "离婚", "医院挂号"]
# Words that make a place outside Yancheng the venue of one of our benefits' facts (bought, held, landed, led there),
# not the place whose policy is asked: a benefit named beside them is answered with the place as a failed condition.
FAILS_HERE = re.compile(r"买了|买的|购买了|购置了|办的|举办|办了|落地|牵头|注册|交社保|交的社保|参保|那套")
TAX_WORDS = ["增值税", "所得税", "个税", "税率", "免税", "减税", "退税", "税收优惠", "税费减免", "印花税"]
INJECTION = re.compile(r"(忽略|无视|不要管|忘记|forget|ignore).{0,12}(规则|指令|设定|提示|instructions|rules|以上)"
                       r"|(你现在是|扮演|system prompt|系统提示|越狱|jailbreak)", re.I)
# Someone other than the user as the subject of the question: the user's remembered profile is not theirs.
OTHER_PERSON = re.compile(r"(^|[，,。？?])\s*(?:那么?|如果|要是|假如|换成)*\s*(他|她)(?!们)|我(的)?(合伙人|老婆|爱人|妻子|老公|丈夫|朋友|同事|员工|父亲|母亲|爸|妈|哥|姐|弟|妹)")
IDENTIFY = re.compile(r"是什么政策|是哪个政策|是哪条政策|哪个文件(里|中)?(说|提|规定)|出自哪|哪一条规定的")
ASKS_KINDS = re.compile(r"哪些类型|哪些种类|哪几类|什么类型的|哪几种")  # which kinds a benefit covers: the text
HYPOTHETICAL = re.compile(r"^(那|那么|如果|要是|假如|换成|换作)|呢[？?]?$")
CORRECTION = re.compile(r"^(不对|不是|错了|更正|纠正|其实我|说错了)")


class Slots(BaseModel):
    amounts: list[float] = Field(default_factory=list)
    amount_sentences: dict[float, str] = Field(default_factory=dict)  # the sentence each amount was said in
    amount_offsets: dict[float, int] = Field(default_factory=dict)  # where in that sentence
    annual: dict[int, float] = Field(default_factory=dict)
    nth_year: int | None = None
    this_year: int | None = None  # which program year 今年 is, when amounts were labelled 去年/今年/明年
    age: int | None = None
    degree: str | None = None
    full_time: bool | None = None
    first_social_insurance_in_yancheng: bool | None = None
    district: str | None = None
    other_city: str | None = None
    origin: str | None = None
    role: str | None = None
    area_sqm: float | None = None
    trainees: int | None = None
    lpr_percent: float | None = None
    loan_rate_percent: float | None = None
    months: int | None = None
    years: float | None = None
    level: str | None = None
    prize: str | None = None
    competition: str | None = None
    rating: str | None = None
    yearly_ratings: list[str] = Field(default_factory=list)  # 2027年良好，2028年优秀: one rating per year named
    borrower: str | None = None
    related_party: bool | None = None
    first_listing: bool | None = None
    landed_in_yancheng: bool | None = None
    percents: list[float] = Field(default_factory=list)
    counts: dict[str, float] = Field(default_factory=dict)
    orders_yuan: float | None = None
    office_area_sqm: float | None = None
    rent: float | None = None
    market_rent: float | None = None
    interest_paid: float | None = None
    repeat_years: int | None = None
    order_unknown: bool = False
    spend_periods: dict[float, str] = Field(default_factory=dict)  # amount -> its period (每个月2万: month)
    start_date: date | None = None  # a later start said (2027年初才来, 明年才开始用): multi-year benefits count from it
    years_framed: bool = False  # the message says its amounts are of successive years (这两年分别, 三年依次)
    related_excluded: list[float] = Field(default_factory=list)  # contracts the user says are with a related party
    area_ambiguous: bool = False
    amount_years: list[str] = Field(default_factory=list)  # each amount's calendar year, when they differ
    year_amounts: list[float] = Field(default_factory=list)  # the amounts of the one calendar year asked about
    via_platform: bool | None = None  # the compute was rented through the provincial or city dispatch platform
    new_housing: bool | None = None  # the flat is a 新建商品房 (True), second-hand (False)
    related_seller: bool = False
    alternative_figure: bool = False  # a second figure offered for the same total (要是…也算上就是120万)
    actual_spend_only: bool = False  # every amount is labelled as actually spent (实际花了), none as approved
    related_which_unknown: bool = False  # one of several contracts is a related party's, not said which  # every contract stated is a related party's (从我爸控股的子公司买的)
    filed_and_approved: bool | None = None
    in_yancheng: bool | None = None


class Understanding(BaseModel):
    text: str
    intent: str
    topic: str | None
    topics: list[str]
    slots: Slots
    hypothetical: bool = False
    correction: bool = False
    injection: bool = False
    profile_statement: bool = False
    identifies_policy: bool = False  # 这是什么政策 / 出自哪个文件: the text is asked for, not a calculation
    about_other: bool = False  # the question is about someone else (我合伙人…他买房能拿吗): not the user's profile
    joint: str | None = None  # two people asked about together: 'total' (我俩一共) or 'each' (各自)
    other_slots: Slots | None = None  # the other person's facts, for a joint question
    one_of_several: bool = False  # asked together with other topics (A和B各多少): its amounts are the ones said of it
    task: str | None = None  # a request to make something (写商业计划书): refused politely with what it can do


MAX_DIGITS = 15  # a longer run of digits is an ID, a card or noise, never an age, an area or an amount


def to_number(token: str) -> float | None:
    """A numeral as a float, or None: unreadable, non-finite or longer than any quantity a founder states
    ("1"*400 would overflow every int() after it)."""
    token = token.replace(",", "")
    if sum(ch.isdigit() for ch in token) > MAX_DIGITS or len(token) > 4 * MAX_DIGITS:
        return None
    try:
        value = float(token)
    except ValueError:
        try:
            value = float(cn2an.cn2an(token.replace("两", "二"), "smart"))
        except Exception:  # cn2an raises bare ValueError/KeyError variants on odd input
            return None
    return value if math.isfinite(value) else None


def _money_values(text: str) -> list[float]:
    return [v for v, _, _ in _money_spans(text)]


def _money_spans(text: str) -> list[tuple[float, int, int]]:
    """Money amounts in order with their positions (a fresh list of the text's one scan)."""
    return list(_money_scan(text))


def message_load(text: str) -> tuple[int, int]:
    """(amounts, clauses) of a message: the work the understanding stage does grows with both, so the engine
    refuses politely past its caps instead of spending seconds on a message no founder writes."""
    return len(_money_scan(text)), len(facts.CLAUSE_END.findall(text)) + 1


@lru_cache(maxsize=256)
def _money_scan(text: str) -> tuple[tuple[float, int, int], ...]:
    out = []
    for m in RE_MONEY.finditer(text):
        num, unit, yuan_mark = m.group(1), m.group(2), m.group(3)
        if not (unit or yuan_mark) and not re.search(r"[万亿]", num):
            continue
        start, end = m.span()
        tail = text[end:end + 2]
        if yuan_mark == "块" and not unit and MEASURE_BLOCK.match(text[end:end + 1]):
            continue  # 两块公共基础设施 counts things; 两块钱, 3000块 are money
        if tail[:1] in ("%", "％", "岁", "年", "平", "人", "个", "家", "场", "月") and not yuan_mark \
                and not (unit and tail in ("个人", "企业")):  # 30万个人创业担保贷款: money, then who borrows
            continue
        if sum(ch.isdigit() for ch in num) > MAX_DIGITS:
            continue
        try:
            out.append((parse_amount(num + (unit or "")), start, end))
        except ValueError:
            continue
    return tuple(out)


DEGREES = [("博士", "博士"), ("硕士", "硕士"), ("研究生", ""), ("技师", "技师班"), ("本科", "本科"), ("学士", "本科"),
           ("大专", "专科"), ("专科", "专科"), ("高中", "其他"), ("中专", "其他")]
# A later degree after these words is one earned after the first (本科毕业后…读了硕士, 后来又考了博士).
PROGRESSION = re.compile(r"毕业(后|以后|之后)|(之后|以后|后来|然后|接着|再|又)[^。；;？?]{0,12}(读|考|念|拿|获得|取得|攻读)")
STUDYING = re.compile(r"在读|正在读|还在读|读研中|读博中|没毕业|未毕业|还没毕业|尚未毕业|肄业|退学")
SI = r"(交|缴|参)[^，。]{0,4}(社保|保险)|(社保|参保|保险)[^，。]{0,4}(交|缴)"


@dataclass
class _Found:
    """Input amounts of one message, in order, with what is said of each (parallel lists)."""
    amounts: list[float] = field(default_factory=list)
    related: list[bool | None] = field(default_factory=list)
    labels: list[str | None] = field(default_factory=list)
    kinds: list[str | None] = field(default_factory=list)
    ordinals: list[int | None] = field(default_factory=list)  # 第N年 said in the amount's sentence
    sentences: list[int] = field(default_factory=list)  # where the amount's sentence starts
    starts: list[int] = field(default_factory=list)  # where the amount starts
    paid: list[float] = field(default_factory=list)

    def keep(self, flags: list[bool]) -> None:
        for name in ("amounts", "related", "labels", "kinds", "ordinals", "sentences", "starts"):
            setattr(self, name, [x for x, k in zip(getattr(self, name), flags) if k])


def _field_of(t: str, start: int, end: int) -> str | None:
    """The field of one amount: its label, overruled by 核定 (the approved total) or 实际 (the actual use) in
    its clause; None for an amount already claimed or spent on something else (办活动, 发奖金)."""
    if CLAIMED.search(_sentence_of(t, start)) or OTHER_PURPOSE.search(t[end:end + 8]) or _spent_elsewhere(t, start) \
            or _total_with_elsewhere_part(t, end):
        return "skip"
    field_ = facts.bind_money(t, facts.Span(start, end, t[start:end]))
    clause = t[facts.clause_of(t, start)[0]:start]
    if APPROVED.search(clause):
        return "approved"  # 主管部门核定的活动总投入是80万
    if ACTUAL.search(clause) and field_ in (None, "input"):
        return "actual"  # 实际使用费用只有28万
    return field_


def _spent_elsewhere(t: str, start: int) -> bool:
    """An amount in a clause that names a place outside Yancheng (那一年在苏州租算力花了50万), in a message that
    also speaks of Yancheng: spent elsewhere, so no input of a Yancheng benefit."""
    c0, c1 = facts.clause_of(t, start)
    places = find_places(t)
    here = YANCHENG in t or any(p.local for p in places)
    return here and any(not p.local and c0 <= p.start < c1 and not facts.negated(t, p.start) for p in places)


def _total_with_elsewhere_part(t: str, end: int) -> bool:
    """一共48万，其中30万是在盐城租的，另外18万是在杭州租的: the total holds a part spent elsewhere, so the parts
    that count are the input, never the total."""
    if not PARTS_AFTER.match(t[end:end + 6]):
        return False
    stop = min([i for i in (t.find(c, end) for c in "；;。？?") if i >= 0] or [len(t)])
    return any(_spent_elsewhere(t, st) for _, st, _ in _money_spans(t[:stop]) if st > end)


def _collect(s: Slots, t: str) -> _Found:
    found = _Found()
    for value, start, end in _money_spans(t):
        budget.check()
        kind = _field_of(t, start, end)
        if kind == "interest_paid" and s.interest_paid is None:
            s.interest_paid = value
        elif kind == "rent" and RE_MARKET.search(t[facts.clause_of(t, start)[0]:start]):
            s.market_rent = s.market_rent or value  # 市场上同类房子月租2500: the year-3 base, not the rent paid
        elif kind == "rent" and s.rent is None:
            s.rent = value
        elif kind == "paid":
            found.paid.append(value)
        elif kind in (None, "input", "actual", "approved") and not facts.is_result_claim(t, start, end):
            n = _copies(t, start)
            found.amounts += [value] * n
            found.related += [_related_contract(t, start)] * n
            found.labels += [_year_label(t, start)] * n
            found.kinds += [kind] * n
            found.ordinals += [_ordinal_year(t, start)] * n
            found.sentences += [max(t.rfind(c, 0, start) for c in "；;。？?！!")] * n
            found.starts += [start] * n
            if period := _period_before(t, start) or _period_after(t, end):
                s.spend_periods[value] = period
    return found


def _period_before(t: str, start: int) -> str | None:
    """The period an amount is said per (每个月大概2万, 月均1.5w, 每月在平台花1.2w): the last period word of the
    lexicon before it in its clause, with no other amount between them."""
    c0 = facts.clause_of(t, start)[0]
    found = [(t.rfind(w, c0, start), name) for name, spec in ledger_periods().items() for w in spec["words"]]
    at, name = max(found, default=(-1, None))
    if at < 0 or any(at < s0 < start for _, s0, _ in _money_spans(t)):
        return None
    return name


def _period_after(t: str, end: int) -> str | None:
    """The period said right after an amount (8k每个月, 2万/月, 3万一个季度左右): a period word of the lexicon's
    `after` list starting at most one filler character after it."""
    ahead = t[end:end + 8].lstrip(" 左右的")
    return next((name for name, spec in ledger_periods().items() for w in spec.get("after", []) if ahead.startswith(w)),
                None)


def _set_apart_related(s: Slots, t: str, found: _Found) -> None:
    """A related party's contracts are set apart (一笔关联方的100万，一笔非关联方的100万); all of them related
    makes the seller a related party; one of several, not said which, is asked about."""
    if True in found.related and any(r is not True for r in found.related):
        s.related_excluded = [a for a, r in zip(found.amounts, found.related) if r is True]
        found.keep([r is not True for r in found.related])
    elif found.related and all(r is True for r in found.related):
        s.related_seller = True
    if len(found.amounts) > 1 and ONE_OF_THEM.search(t) and (RELATIVE_COMPANY.search(t) or "关联" in t) \
            and not s.related_excluded:
        s.related_which_unknown = True  # 两笔…其中有一笔是跟我表哥开的公司签的


def _by_calendar_year(s: Slots, t: str, labels: list[str | None]) -> None:
    """Amounts of different calendar years keep their years (2026年投了600万，2027年投了1300万); a question
    about one of the years (今年这部分能补多少) keeps that year's amounts for tools capped per year."""
    if None in labels or len(set(labels)) < 2:
        return
    s.amount_years = labels
    clause = asking_clause(t)
    asked = RE_YEAR_LABEL.search(clause) if clause != t else None
    if asked and (year := _year_label(clause, asked.end())) in labels:
        s.year_amounts = [a for a, y in zip(s.amounts, labels) if y == year]


def _money(s: Slots, t: str) -> None:
    """Amounts that are inputs of a calculation, each bound to its label (利息, 月租) or left out when its label
    says it is no input (收入, 预算) or it is the benefit the user guesses (听说能补30万)."""
    found = _collect(s, t)
    s.actual_spend_only = bool(found.kinds) and all(k == "actual" for k in found.kinds)
    s.alternative_figure = bool(ALTERNATIVE.search(t)) and len(_money_spans(t)) > 1
    by_year = len(RE_YEAR_AMOUNT.findall(t)) > 1 or len({y for y in found.labels if y}) > 1 \
        or len({o for o in found.ordinals if o}) > 1  # 第一年实际用了20w，第二年40w
    for preferred in ("approved", "actual"):  # 合同300k，实际只用了220k: the actual use; 核定80万: the approved total
        if not by_year and preferred in found.kinds and any(k != preferred for k in found.kinds):
            # only within the preferred figure's sentence: 实际使用费用9.6万。…申请10万的贷款 keeps the loan
            where = {st for k, st in zip(found.kinds, found.sentences) if k == preferred}
            found.keep([k == preferred or st not in where for k, st in zip(found.kinds, found.sentences)])
    _set_apart_related(s, t, found)
    s.amounts = found.amounts
    for a, at in zip(found.amounts, found.starts):
        if a not in s.amount_sentences:
            sentence = _sentence_of(t, at)
            s.amount_sentences[a], s.amount_offsets[a] = sentence, at - t.rfind(sentence, 0, at + 1)
    _by_calendar_year(s, t, found.labels)
    paid = found.paid
    s.amounts = s.amounts or paid  # a payment is the input only when nothing else is stated
    for m in RE_YEAR_AMOUNT.finditer(t):
        n, amt = to_number(m.group(1)), _money_values(m.group(2))
        if n and 1 <= n <= 3 and amt and amt[0] in s.amounts:  # not a contract the actual use replaced
            s.annual[int(n)] = amt[0]
    _by_ordinal_sentence(s, found)
    _calendar_years(t, s)
    if m := RE_NTH_YEAR.search(t):
        s.nth_year = int(to_number(m.group(1)) or 0) or None
    if len(s.amounts) == 1 and re.search(r"每年|一年", t) and (m := RE_REPEAT.search(t)):
        s.repeat_years = int(to_number(m.group(1)) or 0) or None
    if s.market_rent is None and (m := RE_MARKET_RENT.search(t)) and (v := to_number(m.group(1))) and v >= 100:
        s.market_rent = v  # 市场租金一个月2400: a rent label makes a bare number money
    if s.rent is None and (m := RE_RENT_BARE.search(t)) and not facts.not_money(t, m.start(1), m.end(1)):
        v = to_number(m.group(1))  # 月租1900 / 月租两千: a label makes a bare number money, but not 房租前两年
        s.rent = v if v is not None and (m.group(1)[0].isdigit() or v >= 100) else None
    s.order_unknown = bool(ORDER_UNKNOWN.search(t))
    s.years_framed = bool(YEAR_FRAME.search(t))
    if len(s.amounts) > 1 and not s.annual and SAME_YEAR.search(t):  # 同一年一笔25万、一笔40万: one year's spend
        s.amounts, s.years_framed = [sum(s.amounts)], True


def _by_ordinal_sentence(s: Slots, found: _Found) -> None:
    """Sentences that each name one year of the benefit (第一年实际花了50万。今年是第二年，预计要花80万，如果真花了
    80万) give each year its figure, when every amount has a year and each year one figure."""
    if len({o for o in found.ordinals if o}) < 2 or None in found.ordinals:
        return
    per_year: dict[int, set[float]] = {}
    for a, o in zip(found.amounts, found.ordinals):
        per_year.setdefault(o, set()).add(a)
    one_each = all(len(v) == 1 and 1 <= k <= 3 for k, v in per_year.items())
    if one_each and all(s.annual.get(k, a) == a for k, (a,) in ((k, tuple(v)) for k, v in per_year.items())):
        s.annual = {k: next(iter(v)) for k, v in sorted(per_year.items())}
        s.amounts = [s.annual[k] for k in sorted(s.annual)]


def _sentence_of(t: str, pos: int) -> str:
    stop = max(t.rfind(c, 0, pos) for c in "；;。")
    end = min([i for i in (t.find(c, pos) for c in "；;。") if i >= 0] or [len(t)])
    return t[stop + 1:end]


def _ordinal_year(t: str, start: int) -> int | None:
    """The year of the benefit an amount's sentence is about (第一年…50万。今年是第二年，…80万), if it names one."""
    found = list(RE_NTH_YEAR.finditer(_sentence_of(t, start)))
    return int(to_number(found[-1].group(1)) or 0) or None if len(found) == 1 else None


def _year_label(t: str, start: int) -> str | None:
    """The calendar year an amount is said to belong to (2026年投了600万, 去年花了30万), within its sentence."""
    stop = max(t.rfind(c, 0, start) for c in "；;。")
    found = list(RE_YEAR_LABEL.finditer(t, stop + 1, start))
    if not found:
        return None
    m = found[-1]
    if m.group(1):
        return m.group(1)
    return str(validity.today().year + CALENDAR[m.group(0)])


def _related_contract(t: str, start: int) -> bool | None:
    """Whether the words of one contract's item call it a related party's (一笔是关联方的100万; 第三批是从我自己
    控股的另一家公司买的，合同80万). The words before it in its own clause decide first (跟关联企业签的40万，跟非关联方
    签的100万和20万); else an item runs from its marker (笔, 批, 份) or the clause start to the amount."""
    before = t[facts.clause_of(t, start)[0]:start]
    if NOT_RELATED.search(before) or re.search(r"非关联|无关联|不关联|没有关联", before):
        return False
    if any(not facts.negated(before, m.start()) for w in mentions("related_party") for m in re.finditer(re.escape(w), before)):
        return True
    stop = max(t.rfind(c, 0, start) for c in "；;。")
    marks = [m.end() for m in ITEM_MARK.finditer(t, stop + 1, start)]
    head = t[marks[-1] if marks else max(stop, t.rfind("，", 0, start)) + 1:start]
    alone = len(_money_spans(t[stop + 1:max(t.find("。", start), start + 1) if "。" in t[start:] else len(t)])) == 1
    if not marks and alone:  # the one contract of its sentence: the sentence says whose it is (从集团子公司买的，签了80万)
        head = t[stop + 1:start]
    nxt = [i for i in (t.find(c, start) for c in "；;。") if i >= 0]
    later = ITEM_MARK.search(t, start, min(nxt or [len(t)]))
    head += t[start:later.start() if later else min(nxt or [len(t)])]  # 另一笔50万是从母公司（关联方）买的
    said = [m for w in mentions("related_party") for m in re.finditer(re.escape(w), head)]
    said += list(RELATIVE_COMPANY.finditer(head))
    if not said or NOT_RELATED.search(head):
        return None if not said else False
    return any(not facts.negated(head, m.start()) and head[max(0, m.start() - 1):m.start()] not in ("非", "无")
               for m in said)


def _calendar_years(t: str, s: Slots) -> None:
    """Amounts labelled with calendar years (去年花了100万，今年30万) are ordered by the calendar, not by the order
    they are written in; year 1 is the one the user calls 第一年, else the earliest. 今年's program year is kept."""
    labelled: dict[int, float] = {}
    for value, start, end in _money_spans(t):
        head = t[t.rfind("，", 0, start) + 1:start][-8:]
        if (m := list(RE_CALENDAR.finditer(head))) and not facts.is_result_claim(t, start, end):
            labelled.setdefault(CALENDAR[m[-1].group(0)], value)
    if len(labelled) < 2:
        return
    anchor = re.search(rf"({'|'.join(CALENDAR)})[^，。；;]{{0,8}}第一年", t)
    first = CALENDAR[anchor.group(1)] if anchor else min(labelled)
    annual = {off - first + 1: v for off, v in sorted(labelled.items()) if 1 <= off - first + 1 <= 3}
    if len(annual) <= len(s.annual):  # 第一年30万，第二年… already says which year is which
        return
    s.annual = annual
    if 0 in labelled and 1 <= 0 - first + 1 <= 3:
        s.this_year = 1 - first


def _copies(t: str, start: int) -> int:
    """How many equal amounts one figure stands for: 签了8份合同，每份120万 / 3笔各50万 are N amounts."""
    head = t[max(0, start - 8):start]
    if not (m := EACH_BEFORE.search(head)):
        return 1
    unit = m.group(1)
    counts = [c for c in RE_COUNT_OF.finditer(t[:start]) if not unit or c.group(2) == unit or unit in "个"]
    n = to_number(counts[-1].group(1)) if counts else None
    if n and counts and (each := RE_PARTIES_EACH.search(t[:counts[-1].start()])):
        n *= to_number(each.group(1)) or 1  # 跟7家公司各签了一份，每份150万: seven contracts
    return int(n) if n and n == int(n) and 2 <= n <= 200 else 1


def _start_date(t: str) -> date | None:
    """The first day of a start the user says lies ahead (2027年初才来 -> 2027-01-01, 明年3月开始用 -> 3月1日);
    a start today or earlier is no later start (the tools count from today)."""
    today = validity.today()
    for m in RE_START.finditer(t):
        year = int(m.group(1)) if m.group(1) else today.year + CALENDAR.get(m.group(2), 2)
        month = int(m.group(4)) if m.group(4) else START_PART.get(m.group(3) or "初", 1)
        if 1 <= month <= 12 and (start := date(year, month, 1)) > today:
            return start
    return None


def _birth(m: re.Match) -> tuple[int | None, int | None]:
    """(year, month) of a birth: 95 is 1995 and 05 is 2005 (a two-digit year after this year's is last century);
    九一 is 1991; a month outside 1-12 is no month (the age is then asked for)."""
    raw = m.group(1).translate(CN_YEAR_DIGITS)
    year = int(raw)
    if len(raw) == 2:
        year += 1900 if year > validity.today().year % 100 else 2000
    month = int(to_number(m.group(2)) or 0) if m.group(2) else None
    return year, month if month is None or 1 <= month <= 12 else -1


def _age_from_birth(year: int, month: int | None) -> int | None:
    """The age at today's date (OPC_TODAY): with the month, exact unless the birthday falls in this very month;
    without it (or in that month), given only where both readings agree on every age limit."""
    if month == -1:
        return None  # 13月: not a date; asked, never guessed
    today = validity.today()
    if month is not None and month != today.month:
        age = today.year - year - (1 if today.month < month else 0)
        return age if 16 <= age <= 100 else None
    return _age_from_birth_year(year)


def _age_from_birth_year(year: int) -> int | None:
    """Born in 1989: 36 or 37 today, depending on the birthday. The age is given only where both readings fall on
    the same side of every age limit in the policy data (else the assistant asks for the age)."""
    oldest = validity.today().year - year
    if not 16 <= oldest <= 100:
        return None
    limits = [b.params["max_age"] for b in policy_book().benefits if "max_age" in b.params]
    if not all((oldest - 1 <= lim) == (oldest <= lim) for lim in limits):
        return None
    return oldest if all(oldest <= lim for lim in limits) else oldest - 1  # the reading nearer the limit


def _yearly_ratings(t: str) -> list[str]:
    """Ratings each said with a year of their own (2027年评估良好，2028年评估优秀): several years' awards, not a what-if."""
    found = values_in(t, "rating")
    if len(found) == 1 and (m := SAME_EACH_YEAR.search(t)):  # 连续两年都是良好 / 去年和今年都是优秀
        return [found[0][1]] * (3 if m.group(0)[:3].count("三") or "3" in m.group(0) else 2)
    years = [_year_label(t, at) or (RE_NTH_YEAR.findall(t[facts.clause_of(t, at)[0]:at]) or [None])[-1]
             for at, _ in found]
    if len(found) < 2 or None in years or len(set(years)) < len(years):
        return []
    return [v for _, v in found]


def _stated_age(t: str) -> re.Match | None:
    """The speaker's age: not a threshold (不是35岁以下了, 超过35岁, 未满35岁 say no age), and a bare number after
    今年 (今年37) when no 岁 is written."""
    for m in RE_AGE.finditer(t):
        if AGE_THRESHOLD.match(t[m.end():]) or AGE_BOUND.search(t[max(0, m.start() - 3):m.start()]):
            continue
        return m
    return RE_BARE_AGE.search(t)


def _person(s: Slots, t: str) -> None:
    """Age, degree, full-time, first social insurance in Yancheng, role and places: negation-aware."""
    if m := _stated_age(t):
        s.age = int(to_number(m.group(1)) or 0) or None
    elif m := RE_BIRTH_YEAR.search(t):
        s.age = _age_from_birth(*_birth(m))
    s.degree = _degree(t)
    if re.search(r"非全日制|在职|函授|自考|成人教育|网络教育", t):
        s.full_time = False
    else:
        s.full_time = facts.polar(t, r"全日制|统招")
    s.first_social_insurance_in_yancheng = _first_si(t)
    places = place_facts(t)
    s.district, s.other_city, s.origin = places.district, places.asked_other, places.origin
    if places.event_venue:
        s.in_yancheng = False  # 在上海办的大赛: held elsewhere
    s.role = facts.role(t)
    s.start_date = _start_date(t)
    if re.search(r"二手|存量房", t):
        s.new_housing = False  # 二手房 is no 新建商品房
    elif facts.polar(t, r"新房|新建商品房|一手房|期房") is not None:
        s.new_housing = facts.polar(t, r"新房|新建商品房|一手房|期房")


def _degree(t: str) -> str | None:
    """The degree the user holds: the first one named (a later one is a what-if: 我本科，硕士呢？), unless the
    message tells a progression (本科毕业后…读了全日制硕士), where the higher, later degree is the one held;
    one still being studied for (在读硕士) is not held yet."""
    said = sorted((sp.start, deg) for word, deg in DEGREES for sp in facts.occurrences(t, word)
                  if not facts.negated(t, sp.start))
    if not said:
        return None
    if all(d == "" for _, d in said):
        return None  # 研究生 alone may be 硕士 or 博士: asked, never guessed
    said = [x for x in said if x[1]]
    first, rank = said[0], [d for _, d in DEGREES]
    for at, deg in said[1:]:
        between = t[first[0]:at]
        if deg != first[1] and PROGRESSION.search(between) and rank.index(deg) < rank.index(first[1]) \
                and not STUDYING.search(t[max(0, at - 4):at + 6]):
            first = (at, deg)
    return first[1]


def _first_si(t: str) -> bool | None:
    """首次在盐参保: a first time said outright; an earlier payment in Yancheng (unless denied: 之前从没) says no;
    not paying yet (还没交社保) is a condition still to meet."""
    if re.search(r"不是第一次|不是首次", t):
        return False
    if re.search(rf"(第一次|首次|头一回|头一次|头回|刚)[^，。]{{0,8}}({SI}|社保|参保)|(社保|参保)[^，。]{{0,6}}(第一次|首次)"
                 rf"|(第一次|首次)[^，。]{{0,6}}(在盐|盐城)[^，。]{{0,3}}(交|缴|参保)", t):
        return True
    if m := re.search(rf"(之前|以前|已经|早就|曾经|一直)[^，。]{{0,8}}(在盐|盐城)[^，。]{{0,6}}({SI})", t):
        return bool(re.search(r"没|未|不", m.group(0)))
    if m := re.search(r"(社保|参保|保险)[^，。]{0,4}(在盐|盐城)[^，。]{0,4}(早就|已经|之前|以前|一直|都)[^，。]{0,3}(交|缴)过?", t):
        return bool(re.search(r"没|未|不", m.group(0)))  # 社保在盐城早就交过了: not the first time
    if re.search(rf"(还没|尚未|还未|没有|没)[^，。]{{0,6}}({SI})", t):
        return False
    return None


def _project(s: Slots, t: str) -> None:
    """Facts about a project, a loan, a listing, an event or a community."""
    per_unit = {m.start() for m in RE_PER_AREA.finditer(t)}  # 一平米1000, 每平9000: a price per square metre
    areas = {to_number(m.group(1)) for rx in (RE_AREA, RE_AREA_SHARED) for m in rx.finditer(t) if m.start() not in per_unit}
    areas.discard(None)
    if len(areas) == 1:
        s.area_sqm = areas.pop()
    elif len(areas) > 1:
        s.area_ambiguous = True  # 89 102平 / 89平和102平: which is the flat's area? asked, never guessed
    counts = list(RE_PEOPLE.finditer(t))
    if len({m.group(1) for m in counts}) > 1:  # 去年1800人次，今年2600人次: the year asked about, else asked
        asked = RE_CALENDAR.search(asking_clause(t))  # 去年那一年的奖励: the count said of 去年
        said = [m for m in counts if asked and asked.group(0) in t[facts.clause_of(t, m.start())[0]:m.start()]]
        counts = said if len(said) == 1 else []
    if counts and (v := to_number(counts[0].group(1))) is not None:
        m = counts[0]
        below = BELOW.search(t[max(0, m.start() - 4):m.start()])
        s.trainees = int(v) - 1 if below else int(v)  # 不到1000人次 is fewer than 1000: the band below it
    bound = facts.percents(t, to_number)
    s.lpr_percent = (bound.get("lpr_percent") or [None])[0]
    s.loan_rate_percent = (bound.get("loan_rate_percent") or [None])[0]
    if s.lpr_percent is None and (m := RE_LPR.search(t)):  # "LPR 3.45" written without a percent sign
        s.lpr_percent = float(m.group(1))
    if s.lpr_percent is None and RATE_IS_LPR.search(t) and len(bound.get("", [])) == 1:
        s.lpr_percent = s.loan_rate_percent = bound[""][0]  # 利率按当期LPR执行，是3%: the one percent is both
    s.percents = [v for vals in bound.values() for v in vals]
    if m := _duration(RE_MONTHS, t):
        s.months = int(to_number(m.group(1)) or 0) or None
    if (m := _duration(RE_YEARS, t)) and (v := to_number(m.group(1))) is not None and v < 100:
        s.years = v
    national, provincial = _said(t, "国家级"), _said(t, "省级")  # 国家级的没选上 is not national
    if national or (national is None and "国家" in t and ("试点" in t or "案例" in t or "学院" in t)):
        s.level = "国家级"
    elif provincial or (provincial is None and "省" in t and ("试点" in t or "案例" in t or "学院" in t)):
        s.level = "省级"
    s.prize, s.competition, s.rating = value_in(t, "prize"), value_in(t, "competition"), value_in(t, "rating")
    s.yearly_ratings = _yearly_ratings(t)
    if re.search(r"企业贷|公司贷|以公司|以企业|企业名义|公司名义|给公司|(企业|公司)[^，,。个人]{0,4}贷", t):
        s.borrower = "企业"
    elif re.search(r"个人贷|我个人|以个人|个人名义|创业者", t):
        s.borrower = "个人"
    s.related_party = False if "非关联" in t or NOT_RELATED.search(t) else facts.polar(t, r"关联(方|公司|企业|关系)")
    if s.related_seller:
        s.related_party = True
    elif s.related_excluded:
        s.related_party = None  # the related party's contracts are set apart; the rest are not said to be related
    if re.search(r"(再次|第二次|又|已经|之前|以前)[^，,。]{0,12}挂(过|牌)", t) or (
            "挂" in t and facts.polar(t, r"首次|第一次") is False):  # 这不是首次挂牌了
        s.first_listing = False
    elif re.search(r"(首次|第一次)[^，,。]{0,16}挂", t):
        s.first_listing = True
    if re.search(r"(不是|没有?|并非|未|不)[^，,。；;]{0,10}(调度平台|算力平台)", t):
        s.via_platform = False  # 不是在省市算力调度平台上租的
    elif re.search(r"(通过|在|从|用)[^，,。；;]{0,8}(调度平台|算力平台)", t):
        s.via_platform = True
    _event(s, t)
    _community(s, t)


def _event(s: Slots, t: str) -> None:
    """Where a prize-winning project landed and where an event was held, and whether it was filed."""
    s.landed_in_yancheng = False if re.search(r"(没有?|不|未)(在盐城?)?落地", t) else (True if "落地" in t else None)
    s.filed_and_approved = facts.polar(t, r"报备")
    held_here = re.search(r"在盐(城)?(举|主|承|合)?办", t) or any(  # 在大丰办了一场: a district of Yancheng
        p.local and HELD.match(t[p.end:p.end + 3]) for p in find_places(t))
    s.in_yancheng = True if held_here else s.in_yancheng  # False: held elsewhere


def _said(t: str, word: str) -> bool | None:
    """True if the word is said of the user's case, False if only denied (国家级的没选上, 不是国家级), None if absent."""
    spans = [m.start() for m in re.finditer(word, t)]
    if not spans:
        return None
    return any(not facts.negated(t, i) and not DENIED_AFTER.search(t[i + len(word):i + len(word) + 6]) for i in spans)


def _duration(rx: re.Pattern, t: str) -> re.Match | None:
    """The first period that says how long (三年), skipping periods that are rates (一个月工资8000, 每年30万) and
    birth dates (九一年12月的, 1989年3月生)."""
    births = [b.span() for b in RE_BIRTH_YEAR.finditer(t)]
    for m in rx.finditer(t):
        c0, c1 = facts.clause_of(t, m.start())
        if any(b0 <= m.start(1) < b1 for b0, b1 in births) or any(w in t[c0:c1] for w in other_durations()):
            continue
        per_unit = to_number(m.group(1)) == 1 and (PER_UNIT_QUESTION.search(t[m.end():m.end() + 8])
                                                    or AMOUNT_BEFORE.search(t[max(0, m.start() - 6):m.start()]))
        if t[max(0, m.start() - 1):m.start()] != "每" and not RATE_AFTER.search(t[m.end():m.end() + 8]) \
                and not EXPERIENCE_BEFORE.search(t[max(0, m.start() - 6):m.start()]) and not per_unit:
            return m
    return None


def _community(s: Slots, t: str) -> None:
    for name, rx in RE_COUNT.items():
        if (m := rx.search(t)) and (v := to_number(next(g for g in m.groups() if g))) is not None:
            s.counts[name] = v
    if re.search(r"(办公|面积)", t) and s.area_sqm is not None:
        s.office_area_sqm = s.area_sqm
    if re.search(r"订单", t) and s.amounts:
        s.orders_yuan = s.amounts[-1]


def extract_slots(text: str) -> Slots:
    s = Slots()
    _money(s, text)
    _person(s, text)
    _project(s, text)
    return s


MONEY_CONTEXT = re.compile(r"券|补|费|报销|奖|钱|多少|租|用了|花了|能拿|给不给|有没有|支持|[0-9]|[一二三四五六七八九十]+万")


def detect_topics(text: str) -> list[str]:
    """Topics whose cue phrases (declared in policies.yaml) occur, in tie-break order."""
    found = []
    for tc in topic_cues():
        if any(w in text for w in tc.cues):
            if tc.needs_money and not MONEY_CONTEXT.search(text):
                continue
            found.append(tc)
    if ("社区" in text and not re.search(r"[0-9]", text)) or COMMUNITY_SPEAKER.search(text):
        found = [tc for tc in found if not tc.founder_only]  # a community's facilities or its operator, not a founder
    asked = asking_sentence(text)  # a benefit named in the question outranks a word of the background before it
    named = [tc for tc in found if any(w in asked for w in tc.cues)]
    rest = [tc for tc in found if tc not in named and not _only_claimed(text, tc.cues)]
    return [tc.topic for tc in named + rest]


def _only_claimed(text: str, cues: list[str]) -> bool:
    """A benefit named only in sentences saying it was already received (去年首次认定时已经拿过支持了): background,
    not a question about it."""
    spots = [m.start() for w in cues for m in re.finditer(re.escape(w), text)]
    return bool(spots) and all(CLAIMED.search(_sentence_of(text, i)) for i in spots)


def classify(text: str, slots: Slots, topics: list[str]) -> str:
    t = text.strip()
    low = t.lower()
    if not t:
        return "smalltalk"
    if any(w in asking_clause(t) for w in OUT_OF_SCOPE_WORDS) and not topics:  # a word of the background
        # (我做AI翻译的) never refuses the question asked after it; one in the question itself does
        return "out_of_scope"
    if any(w in t for w in TAX_WORDS) and "登记" not in t and not topics:
        return "out_of_scope"
    if slots.other_city and not re.search(r"科创飞地|创新中心|飞地|联络处|办事处", t) and not (
            topics and FAILS_HERE.search(t)):
        return "out_of_scope"  # another place's own policy is asked about; a benefit of ours whose condition the
        # place fails (南京那套房能拿购房补贴吗, 在南京办的活动能补多少) is answered, the place checked against it
    if asks_onewindow(t, topics):
        return "checklist"
    if any(w in t for w in MATCH_WORDS) and not NAMES_A_THING.search(t) and len(topics) < 2:
        return "match"  # 产业学院和实训基地能拿哪些奖励、各多少 names its benefits: each is answered
    if len(t) <= 12 and any(w in low for w in SMALLTALK) and not topics:
        return "smalltalk"
    if any(w in t for w in ELIGIBILITY_WORDS) and topics:
        return "eligibility"
    if topics and (any(w in t for w in CALC_WORDS) or slots.amounts or slots.area_sqm or slots.trainees
                   or slots.annual or slots.rating or slots.prize):
        return "calculate"
    return "policy_qa"


def _me_then_them(text: str) -> str | None:
    """我能拿多少？他能拿吗？ asks the same for the speaker and for someone else: each one's figure."""
    asks = asking_sentences(text)
    if len(asks) >= 2 and OTHER_PERSON.search(asks[-1]) and "我" in asks[-2] and not OTHER_PERSON.search(asks[-2]):
        return "each"
    return None


def _we_with_someone(text: str) -> str | None:
    """我们一共能拿多少 after a story about the speaker and someone else (我老婆也是本科…): a total of both."""
    asked = " ".join(asking_sentences(text))
    pair = re.search(r"我们|咱们|咱俩", asked) or facts.PAIR.search(text)  # 我和合伙人各租了…一共
    if pair and facts.TOTAL_WORDS.search(asked) and facts.others_text(text).strip():
        return "total"
    return None


def understand(text: str) -> Understanding:
    text = (text or "").strip()
    joint = next((j for j in map(facts.joint_ask, asking_sentences(text)) if j), None) or _me_then_them(text) \
        or _we_with_someone(text)
    about_other = bool(OTHER_PERSON.search(asking_sentence(text))) and not joint
    slots = extract_slots(text if about_other else facts.own_text(text))  # others' figures are not the founder's
    topics = detect_topics(text)
    intent = classify(text, slots, topics)
    task = task_request_pattern().search(asking_sentence(text))
    if task and detect_topics(text.replace(task.group(0), "")):
        task = None  # 帮我写个计划书，另外生活补贴多少: the policy question is answered (a topic inside the thing asked
        # for, 起草一份数据采购合同, is no question about it)
    if task:
        intent = "out_of_scope"
    profile_statement = bool(re.match(r"^(我|本人)", text)) and not topics and intent in ("policy_qa", "smalltalk") and any(
        getattr(slots, k) is not None for k in ("age", "degree", "district", "role", "full_time"))
    return Understanding(
        text=text, intent=intent, topic=topics[0] if topics else None, topics=topics, slots=slots,
        hypothetical=bool(HYPOTHETICAL.search(text)), correction=bool(CORRECTION.search(text)),
        injection=bool(INJECTION.search(text)), profile_statement=profile_statement,
        about_other=about_other, joint=joint, task=task.group("verb") + task.group("thing") if task else None,
        other_slots=extract_slots(facts.others_text(text)) if joint and facts.others_text(text) else None,
        identifies_policy=(bool(IDENTIFY.search(text)) or (bool(ASKS_KINDS.search(text)) and
                                                           not any(w in text for w in CALC_WORDS))) and not slots.amounts,
    )


PROFILE_KEYS = ("age", "degree", "full_time", "first_social_insurance_in_yancheng", "district", "role", "area_sqm",
                "rent", "borrower", "new_housing")


def profile_updates(slots: Slots) -> dict[str, Any]:
    return {k: getattr(slots, k) for k in PROFILE_KEYS if getattr(slots, k) is not None}
