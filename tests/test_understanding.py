"""The understanding stage alone: facts bound to their labels, negation scope, places with a role, questions split,
one-window cues, typos. Pure functions: no index, no session."""
import pytest

from assistant.questions import split
from assistant.understand import extract_slots, understand


@pytest.mark.parametrize("text,lpr,loan_rate", [
    ("贷款利率3.5%，LPR是3.1%，贷了200万", 3.1, 3.5),
    ("LPR 3.0%，实际贷款利率4.2%，贷款100万", 3.0, 4.2),
    ("贷款200万，利率3.5%", None, 3.5),           # no label says LPR: nothing is guessed
])
def test_percent_binds_to_the_nearest_label(text, lpr, loan_rate):
    s = extract_slots(text)
    assert (s.lpr_percent, s.loan_rate_percent) == (lpr, loan_rate)


@pytest.mark.parametrize("text,amounts,extra", [
    ("数据产品采购合同额100万，听说能补30万", [1000000], {}),
    ("数据产品采购合同60万，我想申请20万采购支持", [600000], {}),
    ("以公司名义申请500万创业担保贷款", [5000000], {"borrower": "企业"}),
    ("我公司年收入50万，算力第一年花了20万", [200000], {}),
    ("企业贷款300万，LPR 3%，当年实际付了利息4万", [3000000], {"interest_paid": 40000}),
    ("算力每年大概30万，连续用三年", [300000], {"repeat_years": 3}),
])
def test_money_is_an_input_only_when_its_label_says_so(text, amounts, extra):
    s = extract_slots(text)
    assert s.amounts == amounts
    assert {k: getattr(s, k) for k in extra} == extra


@pytest.mark.parametrize("text,role", [
    ("我不是创始人也不是高管，只是公司员工，买了100平的新房", "员工"),
    ("我并非创始人，也不是高管，买了90平新房", "其他"),
    ("我不是员工，是公司创始人", "创始人"),
])
def test_negation_clears_the_role_it_governs(text, role):
    assert extract_slots(text).role == role


@pytest.mark.parametrize("text,field,value", [
    ("我是硕士，但不是全日制的", "full_time", False),
    ("非全日制硕士", "degree", "硕士"),
    ("我是大专毕业，不是本科", "degree", "专科"),
    ("之前从没在盐城交过社保", "first_social_insurance_in_yancheng", True),
    ("来盐城创业但还没交社保", "first_social_insurance_in_yancheng", False),
    ("社保以前一直在南京交，来盐城第一次在盐城交", "first_social_insurance_in_yancheng", True),
    ("大赛没有经过报备", "filed_and_approved", False),
    ("之前已经在盐城专版挂过一次了，这次又挂牌", "first_listing", False),
])
def test_negation_and_yes_no_facts(text, field, value):
    assert getattr(extract_slots(text), field) == value


@pytest.mark.parametrize("text,district,asked,origin", [
    ("我之前在杭州工作，现在回来在盐都区开了一家OPC", "盐都区", None, "杭州"),
    ("我是南京人，公司注册在亭湖区", "亭湖区", None, "南京"),
    ("杭州对认定的OPC社区给多少支持", None, "杭州", None),
    ("沿海城市大学生OPC创新创业大赛", None, None, None),
    ("公司在东台", "东台市", None, None),
])
def test_places_have_a_role(text, district, asked, origin):
    s = extract_slots(text)
    assert (s.district, s.other_city, s.origin) == (district, asked, origin)


def test_another_places_policy_is_refused_but_an_origin_is_not():
    assert understand("杭州对认定的OPC社区给多少支持？").intent == "out_of_scope"
    assert understand("我之前在杭州工作，现在在盐都区开了OPC，算力券第一年30万能补多少").intent == "calculate"
    assert understand("我们公司是做翻译软件的，算力券第一年用了40万能补多少").intent == "calculate"


def test_questions_are_split_and_statements_travel_with_them():
    topics = lambda t: understand(t).topics  # noqa: E731
    qs = split("我是全日制硕士。算力券第一年50万能补多少？另外每个月生活补贴多少？", topics)
    assert [q.asked for q in qs] == ["我是全日制硕士。算力券第一年50万能补多少？", "另外每个月生活补贴多少？"]
    assert qs[1].text == "我是全日制硕士。另外每个月生活补贴多少？"  # what was told before is known to every later question
    assert [q.topic for q in split("社区首次认定和年度评估优秀分别给多少？", topics)] == \
        ["community_rating", "community_first_recognition"]
    assert len(split("算力券第一年30万能补多少？那第二年呢？", topics)) == 1


@pytest.mark.parametrize("text", ["我想新办一家OPC公司，需要哪些手续？", "注册一人公司在哪办", "开办OPC要准备哪些材料"])
def test_one_window_from_cue_phrases(text):
    assert understand(text).intent == "checklist"


def test_typos_sound_like_domain_terms():
    from assistant.typos import normalize

    assert normalize("算利券第一年50万") == "算力券第一年50万"
    assert normalize("贷款贴细怎么算") == "贷款贴息怎么算"
    assert normalize("网信办备案") == "网信办备案"   # a real word is never "corrected"
    assert "算力券" in normalize("suanli quan zenme bu")


@pytest.mark.parametrize("text,amounts", [
    ("合同150万，30%的话是45万吧？", [1500000]),           # a figure worked out and asked back is a guess
    ("数据采购合同80万，能补24万吗", [800000]),
    ("合同金额50万，目前实际付了40万", [500000]),          # a payment is no contract when one is stated
    ("算力第一年实际付了30万", [300000]),                  # ... but is the input when it is all there is
    ("签了8份合同，每份120万", [1200000] * 8),             # N contracts of one amount each
    ("采购数据产品3笔各50万", [500000] * 3),
    ("每份合同120万", [1200000]),                          # no count stated: one amount
])
def test_list_inputs_hold_only_the_inputs(text, amounts):
    assert extract_slots(text).amounts == amounts


@pytest.mark.parametrize("text,rent", [
    ("房租前两年能免多少", None),                          # 两 counts years, it is no rent of 2元
    ("月租1900，房租头两年能减免多少", 1900),
    ("人才公寓月租两千", 2000),
])
def test_rent_needs_money_not_an_ordinal(text, rent):
    assert extract_slots(text).rent == rent


@pytest.mark.parametrize("text,months,years", [
    ("我一个月工资8000块，三年生活补贴一共多少", None, 3),   # a monthly salary is a rate, not a period
    ("每个月收入6000，两年能拿多少", None, 2),
    ("生活补贴领了6个月", 6, None),
])
def test_a_rate_is_not_a_period(text, months, years):
    s = extract_slots(text)
    assert (s.months, s.years) == (months, years)


@pytest.mark.parametrize("text,unknown", [
    ("一年30万一年60万，具体哪年多少记不清了", True),
    ("算力两年40万和10万，不确定哪个是第一年", True),
    ("第一年30万，第二年60万", False),
])
def test_unknown_year_order_is_noticed(text, unknown):
    assert extract_slots(text).order_unknown is unknown


@pytest.mark.parametrize("text,interest", [
    ("贷款100万，一年利息付了4.5万", 45000),               # what was paid is the interest
    ("贷了100万，一年实际只付了1.2万利息", 12000),
])
def test_paid_interest_stays_interest(text, interest):
    s = extract_slots(text)
    assert (s.interest_paid, s.amounts) == (interest, [1000000])


@pytest.mark.parametrize("text,n,amount", [
    ("和5家供应商各签了一份数据产品采购合同，每份80万", 5, 800000),
    ("跟3家数据公司每家签了两笔采购合同，每笔50万", 6, 500000),
    ("签了一份数据采购合同，150万", 1, 1500000),
])
def test_parties_each_signing_multiply_the_contracts(text, n, amount):
    assert extract_slots(text).amounts == [amount] * n


@pytest.mark.parametrize("text,degree", [
    ("本科毕业后在杭州做了两年算法，后来辞职读了全日制硕士，去年毕业", "硕士"),
    ("专科毕业后干了三年，后来又考了全日制本科", "本科"),
    ("本科毕业，现在在读硕士还没毕业", "本科"),       # a degree still being studied for is not held
    ("我是本科，硕士呢？", "本科"),                  # a later degree without a progression is a what-if
    ("我是硕士，本科是在南京读的", "硕士"),
])
def test_a_biography_gives_the_degree_held(text, degree):
    assert extract_slots(text).degree == degree


@pytest.mark.parametrize("text,years", [
    ("在上海一家大厂做了五年算法，全日制硕士", None),  # work history, not the benefit's period
    ("我在公司干了整整5年，贷款3年", 3),
    ("补贴能拿两年吗", 2),
])
def test_past_experience_is_no_benefit_period(text, years):
    assert extract_slots(text).years == years


@pytest.mark.parametrize("text,kept,excluded", [
    ("买了三批数据：第一批从数据公司买的，合同50万；第二批是从我自己控股的另一家公司买的，合同80万。",
     [500000], [800000]),
    ("一笔关联方的100万，一笔非关联方的100万", [1000000], [1000000]),
    ("一笔是关联方的100万，另一笔不是关联方的60万", [600000], [1000000]),
    ("签了两份合同，50万和80万，都不是关联方", [500000, 800000], []),
])
def test_a_related_party_contract_is_read_per_item(text, kept, excluded):
    s = extract_slots(text)
    assert (s.amounts, s.related_excluded) == (kept, excluded)


@pytest.mark.parametrize("text,rating", [
    ("没评上优秀，也没评上良好，结果是及格", "及格"),
    ("年度评估不是优秀，是良好", "良好"),
    ("评估良好，优秀呢？", "良好"),
])
def test_a_negated_value_is_not_the_users(text, rating):
    assert extract_slots(text).rating == rating


@pytest.mark.parametrize("text,framed", [
    ("一笔25万，一笔40万", False),
    ("前两年分别花了30万和45万", True),
    ("三年依次是10万、20万、30万", True),
])
def test_amounts_are_of_successive_years_only_when_said(text, framed):
    assert extract_slots(text).years_framed is framed


def test_same_year_payments_add_up():
    assert extract_slots("第一年同一年里付了两次，30万和45万").amounts == [750000]


def test_the_benefit_named_in_the_question_outranks_the_background():
    u = understand("我做数据标注外包。想问下那个本科每月1500的生活补贴我能不能拿？")
    assert u.topic == "living_subsidy"


def test_a_total_asked_right_after_stays_with_its_question():
    qs = split("生活补贴每月多少？三年总共多少？", lambda t: understand(t).topics)
    assert len(qs) == 1


def test_an_approximate_number_is_no_question():
    qs = split("我在盐城干了十几年，今年41岁，全日制本科。生活补贴我能不能拿？", lambda t: understand(t).topics)
    assert len(qs) == 1


def test_a_romanised_city_is_a_place():
    from assistant.typos import normalize

    assert "杭州" in normalize("Tell me Hangzhou's compute voucher rate.")
    assert understand(normalize("Tell me Hangzhou's compute voucher rate.")).slots.other_city == "杭州"


@pytest.mark.parametrize("text,area,ambiguous", [
    ("我是OPC高管，买了新房95平，单价9000一平，购房补贴多少", 95, False),   # 一平 is per square metre
    ("创始人买了140平的新房，一平米1000的话是14万？", 140, False),
    ("创始人 新建商品房 89 102平 购房补贴多少", None, True),              # which is the flat's? ask
    ("看了两套新房，95和130平", None, True),
])
def test_two_areas_are_asked_about(text, area, ambiguous):
    s = extract_slots(text)
    assert (s.area_sqm, s.area_ambiguous) == (area, ambiguous)


def test_a_planned_investment_is_no_input():
    assert extract_slots("立项时计划投资1500万，到年底实际投资了800万").amounts == [8000000]


def test_fewer_than_a_band_edge_is_below_it():
    assert extract_slots("今年培训不到1000人次").trainees == 999


def test_the_one_contract_of_a_sentence_is_read_with_its_sentence():
    s = extract_slots("训练数据是从我爸集团另一家子公司买的，签了80万的合同。")
    assert s.related_party is True


def test_a_comparison_with_yancheng_still_asks_about_the_other_city():
    assert understand("南京是不是也像盐城一样给OPC发算力券？").slots.other_city == "南京"


@pytest.mark.parametrize("text,role", [
    ("我合伙人是公司普通员工，他买房能拿吗？", "员工"),   # the role after 是 is the one stated
    ("我是公司高管，合伙人也买了房", "高管"),
])
def test_the_role_stated_after_the_copula(text, role):
    assert extract_slots(text).role == role


def test_a_question_about_someone_else():
    assert understand("我老婆是博士，她能拿生活补贴吗").about_other
    assert not understand("我是博士，能拿多少").about_other


def test_amounts_of_different_calendar_years_keep_their_years():
    s = extract_slots("2026年在算力调度平台建设上投资了600万，2027年又在数据标注服务平台上投了1300万")
    assert (s.amounts, s.amount_years) == ([6000000, 13000000], ["2026", "2027"])


def test_a_wide_negation_of_a_related_party():
    s = extract_slots("从两家外部数据公司（跟我们没有任何股权或关联关系）采购，一份合同一百万整，另一份五十万")
    assert (s.amounts, s.related_party) == ([1000000, 500000], False)


def test_a_loan_rate_said_to_be_the_lpr():
    s = extract_slots("贷了100万，贷款利率就按当期LPR执行，是3%，一年付了3万利息")
    assert (s.lpr_percent, s.loan_rate_percent) == (3.0, 3.0)


def test_which_policy_is_a_question_for_the_text():
    assert understand("朋友说金融机构对OPC可以用更灵活的利率定价，这是什么政策？").identifies_policy
    assert not understand("贷了100万，LPR 3%，这是什么政策能补多少？").identifies_policy


@pytest.mark.parametrize("text,amounts", [
    ("挂牌一个数据产品，产品定价20万一套，挂牌服务费交了六万五千块", [65000]),      # a price is no fee
    ("跟盐城智算签的合同是300k，但实际只用了220k", [220000]),                    # the actual use
    ("实际前前后后花了150万，但是部门核定的总投入只有80万", [800000]),            # the approved total
    ("第一年实际用了20w，第二年40w，第三年预计60w", [200000, 400000, 600000]),   # years, not a contrast
])
def test_the_figure_the_article_counts(text, amounts):
    assert extract_slots(text).amounts == amounts


def test_one_of_two_contracts_is_a_relatives_company():
    s = extract_slots("签了两笔合同，一笔40万一笔120万，其中有一笔是跟我表哥开的公司签的")
    assert s.related_which_unknown


def test_a_monthly_question_is_no_period():
    s = extract_slots("我妈开小超市一年流水八十万。生活补贴一个月能拿多少？")
    assert (s.months, s.years) == (None, None)


def test_figures_after_fenbie_do_not_split_topics():
    qs = split("我们在盐城专版挂了两个数据产品，服务费分别8万和3万，挂牌补助多少？", lambda t: understand(t).topics)
    assert len(qs) == 1 and qs[0].topic is None


def test_other_peoples_clauses_are_not_the_founders_facts():
    from assistant.facts import own_text

    text = "我女朋友是硕士，在上海上班，月薪两万多。我自己今年27岁，全日制本科。"
    assert own_text(text) == "我自己今年27岁，全日制本科。"
    assert extract_slots(own_text(text)).degree == "本科"
    assert understand("我表哥在苏州开公司，拿了50万补贴。我自己全日制本科，生活补贴多少？").slots.degree == "本科"


@pytest.mark.parametrize("text,amounts", [
    ("去年投了400万，那笔去年已经申报过了。今年投了600万，另外还花了50万办活动、20万给员工发奖金。", [6000000]),
    ("我们实际花了120万左右，主管部门核定的活动总投入是80万。", [800000]),
])
def test_claimed_and_other_purposes_are_no_input(text, amounts):
    assert extract_slots(text).amounts == amounts


def test_postgraduate_alone_is_asked_about():
    assert extract_slots("全日制研究生毕业，26岁").degree is None
    assert extract_slots("我是博士研究生").degree == "博士"


def test_the_count_of_the_year_asked_about():
    assert extract_slots("实训基地去年培训了2600人次，今年预计3200人次，去年那一年的奖励最多多少？").trainees == 2600
    assert extract_slots("去年培训了1800人次，今年2600人次，能奖多少？").trainees is None


def test_community_counts_with_a_total_word():
    assert extract_slots("专兼职服务人员一共12人，其中专职的4个").counts.get("service_staff") == 12


def test_batch8_classes():
    assert extract_slots("生活补贴一个月多少？3年拿满一共多少？").months is None
    assert extract_slots("今年入选了省级典型案例，国家级的没选上").level == "省级"
    assert extract_slots("第一年签了40万的年度合同，实际使用费用只有28万，剩下的没用完。").amounts == [280000]
    s = extract_slots("一笔是跟非关联的数据服务商签的，80万；另一笔50万是从我们母公司（关联方）买的。")
    assert (s.amounts, s.related_excluded, s.related_party) == ([800000], [500000], None)
    assert extract_slots("总投入大概80万，要是把赞助商出的钱也算上就是120万").alternative_figure
    assert extract_slots("第一次在省数据交易所盐城专版挂数据产品，挂牌服务费交了八万块").first_listing is True


def test_batch9_classes():
    assert understand("我不是硕士哈，硕士是我老婆，她在上海。我自己是全日制本科，27岁，生活补贴多少？").slots.degree == "本科"
    s = extract_slots("平台总预算900万，分两年投，今年实际投了400万，明年再投500万。今年这部分能补多少？")
    assert (s.amounts, s.year_amounts) == ([4000000, 5000000], [4000000])
    assert extract_slots("工资自己给自己开6500一个月。我的生活补贴3年一共多少？").years == 3
    assert understand("如果改到南京办呢？").slots.in_yancheng is False


def test_a_cue_word_counts_only_where_a_word_starts():
    """申报到认定 does not say 报到 (a tax-registration step); 去税务局报到 does."""
    from assistant.onewindow import asks_onewindow
    from assistant.segment import has_word

    assert not has_word("OPC社区从申报到正式认定，要走哪些程序？", ["报到"])
    assert has_word("新公司去税务局报到要带什么", ["报到"])
    assert not asks_onewindow("OPC社区从申报到正式认定，要走哪些程序？", [])
    assert asks_onewindow("新公司去税务局报到要带什么", [])


def test_a_pilot_phrase_is_not_rewritten_into_a_place_word():
    """The homophone fixer maps non-words that sound like a cue onto the cue: no cue may capture 先行先试."""
    from assistant.typos import normalize

    assert "先行先试" in normalize("行动方案里说哪几个地区先行先试？")


def test_joint_questions_and_the_other_persons_facts():
    from assistant.facts import joint_ask, others_text, own_text

    assert joint_ask("生活补贴3年下来两个人一共多少？") == "total"
    assert joint_ask("我们俩各自能拿多少购房补贴？") == "each"
    assert joint_ask("我一共能拿多少？") is None
    text = "我和老婆一起回盐城。我35周岁，全日制硕士；她29，全日制本科。我俩都是第一次在盐城交社保。两个人一共多少？"
    assert "29岁，全日制本科" in others_text(text) and "第一次在盐城交社保" in others_text(text)
    assert "硕士" not in others_text(text) and "本科" not in own_text(text)
    both = "我和合伙人都是全日制硕士，我28岁，他37岁，我们俩一共多少？"
    assert "全日制硕士" in own_text(both) and "全日制硕士" in others_text(both)  # said of both


def test_an_amount_spent_in_another_city_is_no_input_here():
    s = extract_slots("我以前在杭州干过一年，那年在杭州租GPU花了40万。今年公司迁到亭湖区，这是在盐城的头一年，花了30万。")
    assert s.amounts == [300000]


def test_kuai_before_a_noun_counts_things_not_yuan():
    from assistant.understand import _money_values

    assert _money_values("投了两块公共基础设施：平台六百万，基地五百万") == [6000000, 5000000]
    assert _money_values("月租3000块，花了两块钱") == [3000, 2]


def test_each_year_named_in_its_own_sentence_keeps_its_figure():
    s = extract_slots("第一年实际用了40万，补了40万。今年是第二年，估计要花70万，要是真花了70万，今年补多少？")
    assert s.annual == {1: 400000, 2: 700000}


def test_an_age_threshold_is_no_age():
    assert extract_slots("我已经不是35岁以下了，今年37，全日制硕士").age == 37
    assert extract_slots("超过35岁了还能拿吗").age is None
    assert extract_slots("我刚好满35周岁").age == 35


def test_a_pinyin_word_among_characters_is_read_as_the_term():
    from assistant.typos import normalize

    assert normalize("生活butie还能拿吗") == "生活补贴还能拿吗"
    assert "GPU" in normalize("我们租GPU做训练，算力券怎么申请")


def test_every_kind_of_fact_asked_is_checked():
    from assistant.asked_facts import unstated

    quote = "第3年按照不高于市场上同类房产租金的70%缴纳租金。"
    assert unstated("医保最低缴费基数多少？按什么比例缴？", [quote]).name == "base"


def test_a_done_step_is_background_and_the_asked_step_is_answered():
    from assistant.onewindow import _done_and_asked, asks_onewindow

    assert _done_and_asked("营业执照拿到了，银行开户要带什么") == ("registration", "bank")
    assert not asks_onewindow("公司把税务登记办完了，入驻社区以后代账有免费的吗？", [])


def test_a_total_with_a_part_spent_elsewhere_is_no_input_and_its_other_parts_are():
    s = extract_slots("第一年算力一共花了50万，其中35万是通过市算力调度平台租的盐城智算，另外15万是在上海的云厂商租的。")
    assert s.amounts == [350000]
    assert extract_slots("合同总额100万，其中首付30万，采购支持多少").amounts == [1000000]  # parts of a payment: kept


def test_held_in_a_district_is_held_in_yancheng_and_yearly_ratings_are_read():
    assert extract_slots("我们在亭湖办了一场省级品牌活动").in_yancheng is True
    assert extract_slots("我们在上海办了一场比赛").in_yancheng is False
    assert extract_slots("2027年评估优秀，2028年评估良好，一共多少").yearly_ratings == ["优秀", "良好"]
    assert extract_slots("评估良好，奖励多少？优秀呢？").yearly_ratings == []  # a what-if, not two years


def test_a_community_operator_asks_about_the_community_not_a_founders_voucher():
    assert "compute_voucher" not in understand("我们是盐都一个OPC社区的运营方，建了算力调度平台，投了1000万，补助多少？").topics


def test_a_contracts_own_clause_says_whose_it_is():
    s = extract_slots("今年签了三份数据采购合同：跟关联公司签的30万，跟非关联方签的80万和50万，采购支持总共多少？")
    assert s.amounts == [800000, 500000] and s.related_excluded == [300000]
    s = extract_slots("今年数据采购：关联方一笔60万，非关联方两笔分别30万和70万，能补多少？")
    assert s.amounts == [300000, 700000] and s.related_excluded == [600000]
    assert extract_slots("我们社区连续两年年度评估都是良好，一共多少").yearly_ratings == ["良好", "良好"]
