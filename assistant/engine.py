"""The rules engine: the embedded default that answers with the tools, the index and the session memory."""
from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from typing import Any

import jieba.posseg as pseg
from pydantic import ValidationError

from assistant.lexicon import task_reply
from assistant import bare_replies, budget, asked_facts, compose, ledger, policy_answer
from assistant.carry import ITEMS_TOTAL, carry, is_bare_follow_up, items_total, remember_items
from assistant.catalog import (dialogue, filled, gating_check, items_field, per_person_topics, rule_entry,
                               topic_by_fields, topic_cues, topic_fields, topic_tools, with_context_topics)
from assistant.contract import Citation, ToolCall
from assistant.decide import benefit_of, plan
from assistant.retrieve import HybridSearcher
from assistant.questions import asking_sentence, asking_sentences, split as split_questions
from assistant.segment import expand_query, terms, tokens
from assistant.typos import normalize
from assistant.understand import Slots, Understanding, classify, detect_topics, profile_updates, understand
from tools import places
from tools.checklists import detect_entity, detect_step
from tools.matching import Profile, match_policies
from tools.money import yuan
from tools.registry import effective_arguments, get_tool, run_tool
from tools.rules import policy_book

# Words too general to show that a question is about something the documents cover.
GENERIC = set("""补贴 奖励 补助 支持 政策 优惠 opc 盐城 盐城市 创业 创业者 企业 公司 人工智能 ai 多少 有没有 能 可以 申请 怎么
哪些 什么 元 万元 万 钱 给 拿 享受 办理 怎么办 需要 条件 规定 一人 一人公司 个人 如何 有 没 吗 呢 是 的 多久 几 年 月 每月 每年
最高 最多 标准 相关 关于 问题 请问 咨询 了解 知道 告诉 一下 我们 我 要求 情况 具体 現在 现在 今年 明年""".split())
ASKS_FOR_AMOUNT = re.compile(r"(奖励|补贴|补助|奖补|资助|奖金).{0,6}(多少|几万|金额|标准|怎么算)"
                             r"|(多少|几万).{0,4}(奖励|补贴|补助|奖金)")

# A benefit named in a question: its qualifier (the words before 补贴…) must be one the documents or the cue
# phrases use, else the documents grant no such thing.
NAMED_BENEFIT = re.compile(r"([\u4e00-\u9fff]{2,8}?)(?:补贴|补助|奖励|经费|加分)")
LEADING_FILLER = re.compile(r"^.*?(?:有没有|有无|没有|能不能|可不可以|可以|能|有|的|给|拿|申请|享受|什么|哪些|一笔)")

PER_MONTH = re.compile(r"每月|每个月|一个月|月均")  # a joint total asked per month, not over the whole period
FAILED_CHECK = re.compile(r"(认定|申报|评审)[^，,。？?]{0,4}(没通过|未通过|没过|没批|被拒|不通过|没认定上|没评上)"
                          r"|(没|未)(能)?(通过|被)认定")
BOTH_NAMED = re.compile(r"和|与|加上|跟|以及|还有")
TOTAL_ASKED = re.compile(r"一共|总共|合计|加起来|加在一起|两次|两年|几次")
WHOLE_PERIOD = re.compile(r"[0-9一二两三四五六七八九十]+年[^，,。？?]{0,4}(下来|一共|总共|合计|加起来)|全部|整个")
BOLD_AMOUNT = re.compile(r"\*\*([^*\n]*?\d[^*\n]*?元[^*\n]*?)\*\*")  # a headline amount in Markdown bold

def _settle(reply: Reply, eligible: bool | None, reason: str) -> None:
    """The verdict the ledger reached replaces a computed "eligible" (never a ✅ on a condition stated failed or
    unread); a failed condition leaves no amount."""
    for call in reply.tool_calls:
        if call.result.get("eligible") is True or eligible is False:
            call.result = {**call.result, "eligible": eligible, "reason": reason,
                           **({"amount": None} if eligible is False else {})}


def fact_values(slots) -> dict:
    """The understood facts by field name; an office area is the community's, not a flat's."""
    values = {**slots.model_dump(), **slots.counts}
    if slots.office_area_sqm is not None:
        values["area_sqm"] = None
    return values


def _no_cross_benefit_total(text: str, reply: Reply) -> Reply:
    """A total asked over different benefits (生活补贴和购房补贴一共多少): the documents add no two benefits together
    (the same project gets the higher one), so no single benefit's figure may stand as that total."""
    asked = " ".join(asking_sentences(text))
    computed = {c.name for c in reply.tool_calls}
    named = {topic_tools()[t] for t in all_topics(asked) if t in topic_tools()}  # 生活补贴和购房补贴一共
    several = len(computed - {"sum_amounts"}) > 1 or (len(named) > 1 and BOTH_NAMED.search(asked))
    if not TOTAL_ASKED.search(asked) or not several or "sum_amounts" in computed or not computed:
        return reply
    reply.parts = [compose.no_cross_total()] + [p.replace("**", "") for p in reply.parts]
    return reply


def all_topics(text: str) -> list[str]:
    """The topics a text names: by cue phrases, and by words that name one only together."""
    return with_context_topics(text, detect_topics(text))


def _with_context(u: Understanding) -> Understanding:
    """Topics named only by words together (policies.yaml `cues_together`) join the cue topics by rank."""
    topics = with_context_topics(u.text, u.topics)
    if topics != u.topics:
        u.topics, u.topic = topics, topics[0]
        u.intent = classify(u.text, u.slots, topics)
        u.profile_statement = False  # a statement with a topic asks about it
    return u


@dataclass
class Turn:
    """One question read in the session's context (the understanding stage's output)."""
    u: Understanding
    topic: str | None
    intent: str
    profile: dict


@dataclass(frozen=True)
class Route:
    """Which answer a question gets (the plan stage's output); a refusal carries its evidence and the kind of fact
    the documents do not state."""
    name: str  # refuse | smalltalk | checklist | match | rule | topic | policy_qa
    hits: list | None = None
    kind: asked_facts.FactKind | None = None


class Reply:
    def __init__(self, intent: str):
        self.intent = intent
        self.parts: list[str] = []
        self.citations: list[Citation] = []
        self.tool_calls: list[ToolCall] = []
        self.follow_up: list[str] = []
        self.refused = False

    def cite(self, doc: str, section: str, quote: str, doc_title: str) -> None:
        if not any(c.doc == doc and c.section == section and c.quote == quote for c in self.citations):
            self.citations.append(Citation(doc=doc, doc_title=doc_title, section=section, quote=quote[:300]))

    def text(self) -> str:
        body = "\n\n".join(p for p in self.parts if p)
        return body


def merge_replies(replies: list[Reply], questions: list[str]) -> Reply:
    """One answer to a message that asked several things: each part under its question, each with its citation."""
    answered = [r for r in replies if not r.refused] or replies
    out = Reply(answered[0].intent)
    out.refused = all(r.refused for r in replies)
    for i, (r, q) in enumerate(zip(replies, questions), 1):
        out.parts.append(f"**您问**：{q.strip()}")
        out.parts.extend(r.parts)
        for c in r.citations:
            out.cite(c.doc, c.section, c.quote, c.doc_title)
        out.tool_calls.extend(r.tool_calls)
        out.follow_up.extend(r.follow_up)
    return out


class RulesEngine:
    def __init__(self, searcher: HybridSearcher):
        self.searcher = searcher
        self.titles = {d.id: d.title for d in searcher.index.docs}
        self.vocab = set(searcher._idf)
        places.warm()  # the gazetteer and the pinyin table load with the engine, not on the first question
        normalize("预热")
        pseg.lcut("预热")  # jieba's default dictionary (about a second) loads now, not under the first callers' load

    # --- entry point ---------------------------------------------------------------------------------
    def respond(self, message: str, state: dict | None) -> tuple[Reply, dict, Understanding]:
        """Answer each question of the message (at most three) in turn; one question is answered as is."""
        state = copy.deepcopy(state or {})
        text = normalize((message or "").strip())
        text = bare_replies.as_sentence(text, state.pop("open_question", None), state.get("last_topic")) or text
        qs = split_questions(text, all_topics)
        if len(qs) == 1:
            reply, state, u = self._respond_one(qs[0].text, state, qs[0].topic)
            return _no_cross_benefit_total(text, reply), state, u
        replies, first_u = [], None
        for q in qs:
            budget.check()
            reply, state, u = self._respond_one(q.text, state, q.topic)
            replies.append(reply)
            first_u = first_u or u
        return _no_cross_benefit_total(text, merge_replies(replies, [q.asked for q in qs])), state, first_u

    def _respond_one(self, message: str, state: dict, forced_topic: str | None = None
                     ) -> tuple[Reply, dict, Understanding]:
        """One question, one pass: read it in the session's context, route it, act, remember what it continues."""
        turn = self._read(message, state, forced_topic)
        route = self._route(turn)
        reply = self._act(route, turn, state)
        self._remember(turn, reply, state)
        return reply, state, turn.u

    def _read(self, message: str, state: dict, forced_topic: str | None) -> Turn:
        """The understanding stage: the message's facts, the topic it asks about (its own, or the last one it
        continues), the last calculation's facts carried into a what-if, the profile updated."""
        profile = state.setdefault("profile", {})
        u = _with_context(understand(message))
        if forced_topic:
            u.topic, u.topics = forced_topic, [forced_topic] + [t for t in u.topics if t != forced_topic]
            u.one_of_several = True
        if state.get("last_intent") == "checklist" and u.intent not in ("out_of_scope", "match") and not u.topic \
                and (detect_entity(u.text) or detect_step(u.text)):
            u.intent = "checklist"  # 个体工商户 answers the counter's question
        updates = profile_updates(u.slots)
        if u.about_other:  # 她是硕士，她能拿多少: her facts are kept as hers, never the founder's
            other = state.setdefault("other_profile", {})
            for k, v in updates.items():  # 如果她是博士呢 adds what was not known; a what-if changes no known fact
                if not u.hypothetical or u.correction or k not in other:
                    other[k] = v
        elif not u.hypothetical or u.correction:
            profile.update(updates)
        if u.correction and not u.topic and updates and not state.get("last_topic"):
            u.profile_statement = True
        topic = self._resolve_topic(u, state)
        last = state.get("last_call") or {}
        person_changed = bool(last.get("about_other")) != u.about_other  # her facts never become mine, nor mine hers
        if u.about_other and state.get("other_profile"):  # 那如果她是博士呢: her other facts as told before
            known = {k: v for k, v in state["other_profile"].items() if getattr(u.slots, k, None) is None}
            u.slots = u.slots.model_copy(update=known)
        totalled = items_total(state.get("items"), topic, u.slots, u.text)  # 两笔加起来: the items told so far
        if totalled is not u.slots:
            u.slots = totalled
        elif topic and not u.topic and last.get("topic") == topic and not person_changed:
            fields = set(get_tool(topic_tools()[topic]).input_model.model_fields) if topic in topic_tools() else set()
            u.slots = carry(last.get("slots"), u.slots, u.text, fields)  # a what-if or follow-up of the last call
        if topic == "community_check" and not u.slots.counts and not u.slots.office_area_sqm and not u.slots.orders_yuan:
            topic = None  # a question about the conditions, answered from the guideline text
        intent = u.intent
        if topic and intent in ("policy_qa", "smalltalk") and topic != u.topic:
            intent = "calculate"  # a follow-up that continues a calculation
        return Turn(u, topic, intent, profile)

    def _route(self, t: Turn) -> Route:
        """The plan stage: which answer the question gets, decided on the understood turn and the evidence."""
        u, topic, intent = t.u, t.topic, t.intent
        if intent == "out_of_scope" or (u.injection and not topic and intent in ("policy_qa", "smalltalk")):
            return Route("refuse")
        if intent == "smalltalk" and not u.profile_statement:
            return Route("smalltalk")
        if intent == "checklist":
            kind = asked_facts.asked(u.text)  # a rate, a base or a phone number is no step of opening a company
            return Route("policy_qa" if kind and kind[0].not_a_step else "checklist")
        if intent == "match" or (u.profile_statement and not topic):
            return Route("match")
        if topic and u.identifies_policy and intent != "calculate":
            return Route("policy_qa")  # 朋友说…，这是什么政策？ asks where the text says it
        if topic and self._unknown_named_benefit(asking_sentence(u.text)):
            return Route("refuse", hits=self.searcher.search(u.text, 1))  # 每月500元的电费补贴: no such benefit
        if topic and (refusal := self._unstated_on_topic(u, topic)):
            return Route("refuse", hits=refusal[1], kind=refusal[0])  # 算力券几月份开始申报: no date in the article
        if topic:
            return Route("topic" if topic in topic_tools() else "rule")  # a rule, or a benefit with nothing to compute
        return Route("policy_qa")

    def _act(self, route: Route, t: Turn, state: dict) -> Reply:
        """The act and compose stages: run the tools or fetch the evidence the route names, and write the reply."""
        reply = Reply(t.intent)
        if route.name == "refuse":
            self._refuse(t.u, reply, route.hits, route.kind)
        elif route.name == "smalltalk":
            reply.parts.append(compose.smalltalk())
            reply.follow_up = list(dialogue().get("greeting_suggestions", []))
        elif route.name == "checklist":
            self._checklist(t.u, state, reply)
        elif route.name == "match":
            self._match(t.u, t.profile, reply)
        elif route.name == "rule":
            self._rule_topic(t.topic, reply)
        elif route.name == "topic" and t.u.joint and t.topic in per_person_topics():
            self._per_person(t, state, reply)
        elif route.name == "topic" and len(t.u.slots.yearly_ratings) > 1 and TOTAL_ASKED.search(t.u.text) \
                and "rating" in get_tool(topic_tools()[t.topic]).input_model.model_fields:
            self._per_year(t, state, reply)
        elif route.name == "topic":
            self._topic(t.topic, t.u, t.profile, state, reply)
        else:
            self._policy_qa(t.u, reply)
        if route.name == "topic":
            self._review(t, reply)
        if t.u.injection:
            reply.parts.append("（说明：对话中的指令不能改变政策内容，以上回答以文件原文和计算工具为准。）")
        return reply

    @staticmethod
    def _remember(t: Turn, reply: Reply, state: dict) -> None:
        """What a later "那…呢" can continue: the topic, and the facts of the last calculation."""
        if t.topic:
            state["last_topic"] = t.topic
        if t.topic in topic_tools() and reply.tool_calls:
            state["last_call"] = {"topic": t.topic, "slots": t.u.slots.model_dump(mode="json", exclude_defaults=True),
                                  "about_other": t.u.about_other}
            field = items_field(t.topic)
            call = next((c for c in reply.tool_calls if c.name == topic_tools()[t.topic]), None)
            if field and call and not ITEMS_TOTAL.search(t.u.text):
                state["items"] = remember_items(state.get("items"), t.topic, call.arguments.get(field, []), t.u.text)
        state["last_intent"] = reply.intent
        if asked := bare_replies.open_question(reply.follow_up):
            state["open_question"] = asked  # a bare reply next turn answers it

    def _resolve_topic(self, u: Understanding, state: dict) -> str | None:
        """The topic named by a cue; else the last topic when this turn continues it (its facts, a what-if, a
        correction); else the one topic the facts fit best (selection by the tools' fields)."""
        if u.topic:
            return u.topic
        if u.intent in ("out_of_scope", "checklist", "match"):
            return None
        if u.slots.district and re.search(r"享受|适用|能不能|可以吗|能申请|能拿|算不算", u.text):
            return "scope"
        values = fact_values(u.slots)
        last = state.get("last_topic")
        if last:
            wanted = topic_fields().get(last, ())
            told = (state.get("items") or {}).get("topic") == last and ITEMS_TOTAL.search(u.text)  # 两份加起来
            if any(filled(values.get(k)) for k in wanted) or u.hypothetical or u.correction \
                    or is_bare_follow_up(u.text) or told:
                return last
        if u.profile_statement:
            return None
        return topic_by_fields(values)

    # --- handlers --------------------------------------------------------------------------------------
    def _topic(self, topic: str, u: Understanding, profile: dict, state: dict, reply: Reply) -> None:
        benefit = benefit_of(topic)
        if (gate := gating_check(topic)) and benefit is not None and self._check_failed(gate, u, state):
            reply.parts.append(compose.gated(benefit))  # 这样能认定吗？(no) 能拿首次认定的100万吗？: not yet
            reply.cite(benefit.doc, benefit.section, benefit.quote, self.titles[benefit.doc])
            reply.intent = "eligibility"
            return
        p = plan(topic, u, profile, state)
        if topic == "compute_voucher" and p.tool:
            state["annual"] = {str(i + 1): v for i, v in enumerate(p.arguments["annual_spend"])}
        result = None
        if p.tool:
            try:
                result = run_tool(p.tool, p.arguments)
            except ValidationError as exc:
                reply.parts.append(f"输入的数值不合理（{exc.errors()[0]['msg']}），请核对后再问。")
        if p.focus_year and p.missing and benefit is not None:
            capped = result is not None and any(c["binding"] for c in result["caps"])
            reply.parts.append(compose.year_rate(benefit, p.focus_year, capped))
        if result is not None:
            reply.tool_calls.append(ToolCall(name=p.tool, arguments=effective_arguments(p.tool, p.arguments),
                                             result=result))
            if result["tool"] == "check_community_recognition":
                state.setdefault("checks", {})[topic] = result["eligible"]  # a later 首次认定 question waits on it
            if reply.intent == "policy_qa":
                reply.intent = "calculate"
            if result["tool"] in ("check_scope", "check_community_recognition") or result.get("eligible") is False:
                reply.intent = "eligibility" if reply.intent != "calculate" or result["eligible"] is False else reply.intent
            reply.parts.append(compose.tool_answer(result, p.focus_year))
            reply.parts.extend(p.notes)
            art = result["article"]
            reply.parts.append(compose.basis(art["quote"], art["section"], self.titles[art["doc"]]))
            reply.cite(art["doc"], art["section"], art["quote"], self.titles[art["doc"]])
            has_amount = result["amount"] is not None or bool(result.get("max_amount")) or bool(result.get("readings"))
            reply.parts.append(compose.caveats(result["kind"] if has_amount else None, has_amount,
                                               scope=result["tool"] != "check_scope"))
            reply.parts.append(compose.responsible(result.get("responsible", [])))
        elif benefit is not None:
            reply.parts.append(compose.general_rule(benefit, p.focus_year))
            reply.cite(benefit.doc, benefit.section, benefit.quote, self.titles[benefit.doc])
            reply.parts.append(compose.caveats(benefit.kind, True))
            reply.parts.append(compose.responsible(benefit.responsible))
        elif topic == "scope":
            self._rule_topic("scope", reply)
        reply.follow_up.extend(p.missing)
        if topic != "scope":
            self._scope_note(u.slots.district or profile.get("district"), reply)
        if topic == "community_check":
            book = policy_book()
            for cond in book.community_conditions:  # one citation per item of 三、基本条件
                if not any(c.section == cond.section for c in reply.citations):
                    reply.cite("guideline", cond.section, cond.quote, self.titles["guideline"])
            proc = book.recognition_process
            reply.cite(proc.doc, proc.section, proc.quote, self.titles[proc.doc])
            if result is not None:
                todo = [c["condition"] for c in result["conditions"] if c["status"] == "不确定"][:3]
                reply.follow_up.extend(f"请补充您社区的情况：{t}" for t in todo)
        if not p.missing:
            reply.follow_up.extend(self._suggestions(topic))

    def _review(self, t: Turn, reply: Reply) -> None:
        """The ledger's last word on a computed answer: a condition stated failed in words gives ❌ and no figure;
        a word that could change an input or a condition and was not read leaves no figure as the user's result,
        names the word and asks (assistant/ledger.py)."""
        benefit = benefit_of(t.topic)
        failed = ledger.failed_condition(t.u, benefit.id) if benefit is not None else None
        if failed:
            reply.parts = [compose.failed_condition(benefit.title, benefit.section, failed.condition, failed.words,
                                                    failed.note),
                           compose.basis(benefit.quote, benefit.section, self.titles[benefit.doc]),
                           compose.responsible(benefit.responsible)]
            reply.cite(benefit.doc, benefit.section, benefit.quote, self.titles[benefit.doc])
            _settle(reply, False, f"不满足：{failed.condition}")
            reply.intent, reply.follow_up = "eligibility", []
            return
        asked = ledger.Asked(tuple(next((tc.cues for tc in topic_cues() if tc.topic == t.topic), [])),
                             tuple(topic_fields().get(t.topic, ())),
                             benefit.params.get("input_period") if benefit is not None else None)
        if not ledger.has_headline(reply.parts) or not (words := ledger.unread(t.u, asked)):
            return
        reply.parts = [ledger.ask_line(words)] + ledger.unbold(reply.parts)
        reply.follow_up.insert(0, ledger.ask_line(words).split("？")[0] + "？")
        _settle(reply, None, "待确认：" + "、".join(w.word for w in words))

    def _per_person(self, t: Turn, state: dict, reply: Reply) -> None:
        """Two people asked about together (我俩一共, 各自): each one's figure from their own facts, and the sum
        only when both are computed. A person whose facts are missing is asked about, never given the other's."""
        own, other = Reply(reply.intent), Reply(reply.intent)
        self._topic(t.topic, t.u, t.profile, state, own)
        other_facts = t.u.other_slots or Slots(**state.get("other_profile", {}))  # said now, or in an earlier turn
        u2 = t.u.model_copy(update={"slots": other_facts, "about_other": True})
        self._topic(t.topic, u2, {}, {}, other)
        results = [r.tool_calls[0].result if r.tool_calls else None for r in (own, other)]
        # a total needs each person settled: a figure, or a definite "does not qualify" (which adds nothing)
        both = all(r is not None and (r["eligible"] is False or (r["eligible"] is True and r["amount"] is not None))
                   for r in results)
        sums = []
        if t.u.joint == "total" and both:
            asks = [False, True] if PER_MONTH.search(t.u.text) and WHOLE_PERIOD.search(t.u.text) else \
                [bool(PER_MONTH.search(t.u.text))]  # 每月一共？三年下来一共？ both: the whole period leads
            for per_month in asks:
                amounts, monthly = compose.per_person_amounts(results, per_month)
                args = {"item": benefit_of(t.topic).id, "amounts": amounts, "per_month": monthly}
                sums.append(ToolCall(name="sum_amounts", arguments=args, result=run_tool("sum_amounts", args)))
            reply.parts += [compose.joint_total(c.result, results, lead=i == 0) for i, c in enumerate(sums)]
        total = sums[0].result if sums else None
        for r, mine in ((own, True), (other, False)):
            # a total was asked and cannot be given: no single person's figure may stand as the headline
            parts = r.parts if total is not None or t.u.joint != "total" else [p.replace("**", "") for p in r.parts]
            reply.parts += [compose.person_heading(mine), *parts]
            for c in r.citations:
                reply.cite(c.doc, c.section, c.quote, c.doc_title)
            reply.tool_calls.extend(r.tool_calls)
        reply.tool_calls.extend(sums)
        reply.intent = own.intent
        reply.follow_up += own.follow_up + [compose.other_person_ask(q) for q in other.follow_up]

    def _per_year(self, t: Turn, state: dict, reply: Reply) -> None:
        """Several years' awards asked as one total (2027年良好，2028年优秀，一共多少): each year's award from the tool,
        then their sum from the sum tool, which leads."""
        parts: list[Reply] = []
        for rating in t.u.slots.yearly_ratings:
            one = Reply(reply.intent)
            slots = t.u.slots.model_copy(update={"rating": rating, "yearly_ratings": []})
            self._topic(t.topic, t.u.model_copy(update={"slots": slots}), t.profile, state, one)
            parts.append(one)
        results = [r.tool_calls[0].result if r.tool_calls else None for r in parts]
        for r in parts:
            for c in r.citations:
                reply.cite(c.doc, c.section, c.quote, c.doc_title)
            reply.tool_calls.extend(r.tool_calls)
        if any(r is None or r["amount"] is None for r in results):
            reply.parts += [p.replace("**", "") for r in parts for p in r.parts]  # no single year's figure leads
        else:
            args = {"item": benefit_of(t.topic).id, "amounts": [r["amount"] for r in results]}
            total = run_tool("sum_amounts", args)
            reply.parts.append(compose.yearly_total(total, t.u.slots.yearly_ratings))
            reply.parts += [p.replace("**", "") for r in parts for p in r.parts[:2]]
            reply.tool_calls.append(ToolCall(name="sum_amounts", arguments=args, result=total))
        reply.intent = parts[0].intent if parts else reply.intent

    @staticmethod
    def _check_failed(gate: str, u: Understanding, state: dict) -> bool:
        """The check a benefit waits on has failed: said so (认定没通过), found so earlier in the session, or found so
        now from the facts this message gives (专职3人、工位30个…首次认定的100万能拿吗)."""
        if FAILED_CHECK.search(u.text) or state.get("checks", {}).get(gate) is False:
            return True
        p = plan(gate, u, {}, {})
        if not p.tool or not (u.slots.counts or u.slots.office_area_sqm or u.slots.orders_yuan):
            return False
        return run_tool(p.tool, p.arguments)["eligible"] is False

    def _scope_note(self, district: str | None, reply: Reply) -> None:
        """Where the company is decides the scope: outside the 大市区, say so with the closing paragraph."""
        if not district:
            return
        result = run_tool("check_scope", {"district": district})
        if result["eligible"] is True:
            return
        reply.tool_calls.append(ToolCall(name="check_scope", arguments={"district": district}, result=result))
        # Outside the 大市区 the measures are only a reference: no amount is presented as the person's result.
        reply.parts = [BOLD_AMOUNT.sub(r"\1", part) for part in reply.parts]
        reply.parts.append(f"**适用范围**：{result['reason']}")
        art = result["article"]
        reply.cite(art["doc"], art["section"], art["quote"], self.titles[art["doc"]])

    def _rule_topic(self, topic: str, reply: Reply) -> None:
        """A topic answered by the text of its rule (and the rules it names in `also`), or by a benefit's article
        when the benefit has no amount to compute."""
        book = policy_book()
        entry = rule_entry(topic)
        if not entry:
            b = book.benefit(topic)
            reply.parts.append(f"{b.title}（{b.section}）：{b.quote}")
            reply.cite(b.doc, b.section, b.quote, self.titles[b.doc])
            reply.parts.append(compose.responsible(b.responsible))
            return
        for rid in [topic, *entry.get("also", [])]:
            r = book.rule(rid)
            reply.parts.append(f"{r.title}：{r.quote}")
            reply.cite(r.doc, r.section, r.quote, self.titles[r.doc])
        if entry.get("note_status"):
            reply.parts.append(f"注意：本文件目前为{book.meta.status}，以正式印发版本为准。")
        if entry.get("note"):
            reply.parts.append(entry["note"])
        reply.intent = "policy_qa"

    def _policy_qa(self, u: Understanding, reply: Reply) -> None:
        hits = self.searcher.search(u.text, 3)
        if not hits or not self._covered(u.text) or self._unknown_benefit(u.text):
            self._refuse(u, reply)
            return
        if kind := asked_facts.unstated(u.text, [h.quote for h in hits]):
            self._refuse(u, reply, hits[:1], kind)  # a kind of fact the retrieved articles do not state
            return
        if ASKS_FOR_AMOUNT.search(u.text):
            self._refuse(u, reply, hits[:1])  # a benefit figure no article states
            return
        policy_answer.answer(self.searcher, u.text, hits, reply)

    def _unstated_on_topic(self, u: Understanding, topic: str):
        """(kind, hits) when the question asks for a kind of fact (a date, a loan rate, a price) that neither the
        topic's article nor the retrieved text states; None otherwise."""
        if not asked_facts.asked(u.text):
            return None
        benefit = benefit_of(topic)
        hits = self.searcher.search(u.text, 3)
        own = benefit.quote if benefit else rule_entry(topic).get("quote", "")
        kind = asked_facts.unstated(u.text, [h.quote for h in hits], own)
        if not kind:
            return None
        if benefit:
            hits = [h for h in hits if (h.doc, h.section) == (benefit.doc, benefit.section)] or hits
        return kind, hits[:1]

    def _unknown_benefit(self, text: str) -> bool:
        """A benefit named by a qualifier the documents never use (购车补贴, 电费补贴, 入学加分): the documents
        grant no such thing. Colloquial names of real benefits are known through the cue phrases and synonyms."""
        for m in NAMED_BENEFIT.finditer(text):
            qualifier = LEADING_FILLER.sub("", m.group(1))[-2:]
            if len(qualifier) == 2 and not self._known_term(qualifier):
                return True
        return False

    def _unknown_named_benefit(self, text: str) -> bool:
        """A benefit named by a noun the documents never use (每月500元的电费补贴, 科研启动经费), even when a weak
        cue (每月) points at a topic. Only a noun right before the benefit word counts (加起来补贴, 这些补贴 do not)."""
        for m in NAMED_BENEFIT.finditer(text):
            words = pseg.lcut(text[:m.end(1)])
            last = words[-1] if words else None
            if last and len(last.word) >= 2 and last.flag.startswith(("n", "vn")) and not self._known_term(last.word):
                return True
        return False

    def _known_term(self, term: str) -> bool:
        if not hasattr(self, "_known_text"):
            cues = " ".join(c for t in topic_cues() for c in t.cues)
            self._known_text = " ".join([*(s.text for s in self.searcher.sections.values()), cues,
                                         *terms().synonyms.keys()])
        return term in self._known_text

    def covers(self, text: str) -> bool:
        """Whether any content word of the text occurs in the policy documents (a search for 火星移民 has no hit
        worth showing, however the ranking scores it)."""
        return self._covered(text)

    def _covered(self, text: str) -> bool:
        content = [t for t in tokens(expand_query(text))
                   if t not in GENERIC and len(t) > 1 and not (t.isdigit() and len(t) < 3)]
        if not content:
            return True
        return any(t in self.vocab for t in content)

    def _refuse(self, u: Understanding, reply: Reply, hits=None, kind=None) -> None:
        reply.refused = True
        reply.intent = "out_of_scope"
        t = u.text
        nearby, dept = [], None
        if u.task:
            text, reply.follow_up = task_reply(u.task)
            reply.parts.append(text)
            return
        if u.slots.other_city:
            reason = f"盐城OPC政策文件只适用于盐城，没有涉及{u.slots.other_city}的政策，"
            dept = f"{u.slots.other_city}的政策请向当地主管部门咨询。"
            nearby.append("盐城的OPC支持政策见《若干政策措施》第一条至第十条，可以问我具体某一项。")
        elif any(w in t for w in ("增值税", "所得税", "个税", "税率", "免税", "减税", "退税", "税收优惠", "税费减免", "印花税")):
            reason = "盐城OPC政策文件没有规定税收优惠或税率，"
            for q in dialogue().get("tax_nearby", []):
                nearby.append(f"《{self.titles[q['doc']]}》{q['section']}：{q['quote']}")
                reply.cite(q["doc"], q["section"], q["quote"], self.titles[q["doc"]])
            dept = "税收政策请咨询主管税务机关。"
        elif hits:
            reason = (f"盐城OPC政策文件（《行动方案》《社区建设指引》《若干政策措施》）没有写明{kind.label}，" if kind
                      else "盐城OPC政策文件（《行动方案》《社区建设指引》《若干政策措施》）没有规定这一项奖补，")
            for h in hits:
                nearby.append(f"《{h.doc_title}》{h.section}：{h.quote}")
                reply.cite(h.doc, h.section, h.quote, h.doc_title)
            nearby.append("文件规定的奖补见《若干政策措施》第一条至第十条，可以问我“我能享受哪些政策”。")
        else:
            reason = "盐城OPC政策文件（《行动方案》《社区建设指引》《若干政策措施》）没有涉及这个问题，"
            nearby.append(f"文件涵盖：{dialogue().get('coverage', '')}。")
        reply.parts.append(compose.refusal(reason, nearby, dept))
        reply.follow_up = list(dialogue().get("refusal_suggestions", []))

    def _match(self, u: Understanding, profile: dict, reply: Reply) -> None:
        reply.intent = "match"
        args = {k: v for k, v in {"age": profile.get("age"), "degree": profile.get("degree"),
                                  "full_time": profile.get("full_time"),
                                  "first_social_insurance_in_yancheng": profile.get("first_social_insurance_in_yancheng"),
                                  "district": profile.get("district"),
                                  "role": profile.get("role") if profile.get("role") in ("创始人", "高管", "员工") else None,
                                  "house_area_sqm": profile.get("area_sqm"), "monthly_rent": profile.get("rent"),
                                  "new_commercial_housing": profile.get("new_housing")}.items()
                if v is not None}
        result = run_tool("match_policies", args)
        reply.tool_calls.append(ToolCall(name="match_policies", arguments=args, result=result))
        known = "、".join(f"{k}" for k in self._describe_profile(profile))
        lines = []
        if u.profile_statement:
            lines.append(f"好的，已记住您的情况：{known}。")
        lines.append("按您目前提供的信息，可以关注这些政策：" if args else "以下是创业者个人可以关注的主要政策（补充您的情况后我能算得更准）：")
        lines.append("")
        lines.append("| 政策 | 条款 | 判断 | 金额 |")
        lines.append("|---|---|---|---|")
        for it in result["items"]:
            amount = (yuan(it["estimate"]) if it["estimate"] is not None else
                      (f"最高{yuan(it['max_amount'])}" if it["max_amount"] else it.get("amount_note") or "按审核确定"))
            if it["kind"] == "up_to" and it["estimate"] is not None:
                amount = "最高" + amount
            if it["estimate"] is not None and it.get("nature", "grant") != "grant":
                amount += f"（{it.get('amount_note') or '不计入合计'}）"
            lines.append(f"| {it['title']} | {it['section']} | {it['verdict']} | {amount} |")
            b = policy_book().benefit(it["policy_id"])
            reply.cite(b.doc, b.section, b.quote, self.titles[b.doc])
        reply.parts.append("\n".join(lines))
        if result["estimated_total"]:
            reply.parts.append(f"能按公式计算的补贴合计约 **{yuan(result['estimated_total'])}**（以满足全部条件为前提）。"
                               + result.get("total_note", ""))
        reply.parts.extend(f"就高不重复：{line}" for line in result.get("no_double", []))
        if result.get("scope_note"):
            reply.parts.append(f"**适用范围**：{result['scope_note']}")
        else:
            self._scope_note(profile.get("district"), reply)
        reply.parts.append(compose.caveats("up_to", True, no_double=True))
        reply.follow_up.extend(f"请补充：{m}" for m in result["missing"][:3])
        reply.follow_up.append(dialogue().get("match_suggestion", ""))

    def _describe_profile(self, profile: dict) -> list[str]:
        out = []
        if profile.get("age") is not None:
            out.append(f"{profile['age']}岁")
        if profile.get("full_time") is True:
            out.append("全日制")
        elif profile.get("full_time") is False:
            out.append("非全日制")
        if profile.get("degree"):
            out.append(profile["degree"])
        if profile.get("district"):
            out.append(profile["district"])
        if profile.get("role"):
            out.append(profile["role"])
        return out

    def _checklist(self, u: Understanding, state: dict, reply: Reply) -> None:
        from assistant.onewindow import answer_checklist

        answer_checklist(u, state, reply, self.titles)

    def _suggestions(self, topic: str) -> list[str]:
        d = dialogue()
        return list(d.get("suggestions", {}).get(topic) or [d.get("default_suggestion", "")])
