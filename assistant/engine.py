"""The rules engine: the embedded default that answers with the tools, the index and the session memory."""
from __future__ import annotations

import copy
import re
from typing import Any

from pydantic import ValidationError

from assistant import compose, policy_answer
from assistant.contract import Citation, ToolCall
from assistant.decide import RULE_TOPICS, TOPIC_BENEFIT, plan
from assistant.retrieve import HybridSearcher
from assistant.segment import expand_query, tokens
from assistant.understand import Understanding, profile_updates, understand
from tools.matching import Profile, match_policies
from tools.money import yuan
from tools.registry import run_tool
from tools.rules import policy_book

# Words too general to show that a question is about something the documents cover.
GENERIC = set("""补贴 奖励 补助 支持 政策 优惠 opc 盐城 盐城市 创业 创业者 企业 公司 人工智能 ai 多少 有没有 能 可以 申请 怎么
哪些 什么 元 万元 万 钱 给 拿 享受 办理 怎么办 需要 条件 规定 一人 一人公司 个人 如何 有 没 吗 呢 是 的 多久 几 年 月 每月 每年
最高 最多 标准 相关 关于 问题 请问 咨询 了解 知道 告诉 一下 我们 我 要求 情况 具体 現在 现在 今年 明年""".split())
FOLLOW_TOPIC_SLOTS = {"compute_voucher": ("annual", "amounts", "nth_year"), "living_subsidy": ("degree", "age", "months", "full_time"),
                      "house_purchase": ("area_sqm", "role"), "talent_rental": ("rent", "amounts"),
                      "data_purchase": ("amounts",), "guaranteed_loan": ("amounts", "borrower", "years"),
                      "interest_subsidy": ("amounts", "lpr_percent"), "training_base": ("trainees",),
                      "competition_award": ("prize", "competition"), "scope": ("district",),
                      "event_support": ("amounts",), "community_infrastructure": ("amounts",),
                      "community_rating": ("rating",), "data_listing": ("amounts",)}
ASKS_FOR_AMOUNT = re.compile(r"(奖励|补贴|补助|奖补|资助|奖金).{0,6}(多少|几万|金额|标准|怎么算)"
                             r"|(多少|几万).{0,4}(奖励|补贴|补助|奖金)")
REMEMBERED_TOPICS = set(TOPIC_BENEFIT) | set(RULE_TOPICS) | {"scope"}  # what "那…呢" can continue
TAX_NEARBY = [
    ("action-plan", "（五）完善OPC社区服务", "为OPC新设企业提供登记注册、银行开户、税务登记等事项“一窗受理、一网通办”服务"),
    ("guideline", "三、基本条件（五）公共服务", "为OPC社区入驻企业提供最长2年的免费公共服务包，涵盖财务代账、税务申报、法律咨询及专利申报等"),
]
SLOT_TOPIC = [("area_sqm", "house_purchase"), ("trainees", "training_base"), ("rent", "talent_rental"),
              ("lpr_percent", "interest_subsidy"), ("rating", "community_rating"), ("prize", "competition_award")]


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


class RulesEngine:
    def __init__(self, searcher: HybridSearcher):
        self.searcher = searcher
        self.titles = {d.id: d.title for d in searcher.index.docs}
        self.vocab = set(searcher._idf)

    # --- entry point ---------------------------------------------------------------------------------
    def respond(self, message: str, state: dict | None) -> tuple[Reply, dict, Understanding]:
        state = copy.deepcopy(state or {})
        profile = state.setdefault("profile", {})
        u = understand(message)
        if state.get("last_intent") == "checklist" and u.intent not in ("out_of_scope", "match") and not u.topic:
            from tools.checklists import detect_entity, detect_step

            if detect_entity(u.text) or detect_step(u.text):
                u.intent = "checklist"
        updates = profile_updates(u.slots)
        if not u.hypothetical or u.correction:
            profile.update(updates)
        if u.correction and not u.topic and updates and not state.get("last_topic"):
            u.profile_statement = True
        topic = self._resolve_topic(u, state)
        if topic == "community_check" and not u.slots.counts and not u.slots.office_area_sqm and not u.slots.orders_yuan:
            topic = None  # a question about the conditions, answered from the guideline text
        intent = u.intent
        if topic and intent in ("policy_qa", "smalltalk") and topic != u.topic:
            intent = "calculate"  # a follow-up that continues a calculation
        reply = Reply(intent)

        if intent == "out_of_scope" or (u.injection and not topic and intent in ("policy_qa", "smalltalk")):
            self._refuse(u, reply)
        elif intent == "smalltalk" and not u.profile_statement:
            reply.parts.append(compose.smalltalk())
            reply.follow_up = ["硕士来盐城创业每月生活补贴多少？", "算力券怎么补？", "我想开一家OPC公司要办什么？"]
        elif intent == "checklist":
            self._checklist(u, state, reply)
        elif intent == "match" or (u.profile_statement and not topic):
            self._match(u, profile, reply)
        elif topic in RULE_TOPICS:
            self._rule_topic(topic, reply)
        elif topic:
            self._topic(topic, u, profile, state, reply)
        else:
            self._policy_qa(u, reply)

        if topic in REMEMBERED_TOPICS:
            state["last_topic"] = topic
        state["last_intent"] = reply.intent
        if u.injection:
            reply.parts.append("（说明：对话中的指令不能改变政策内容，以上回答以文件原文和计算工具为准。）")
        return reply, state, u

    def _resolve_topic(self, u: Understanding, state: dict) -> str | None:
        if u.topic:
            return u.topic
        last = state.get("last_topic")
        if u.intent in ("out_of_scope", "checklist", "match"):
            return None
        if u.slots.district and re.search(r"享受|适用|能不能|可以吗|能申请|能拿|算不算", u.text):
            return "scope"
        if last:
            wanted = FOLLOW_TOPIC_SLOTS.get(last, ())
            has_slot = any(getattr(u.slots, k) not in (None, [], {}) for k in wanted)
            if has_slot or u.hypothetical or u.correction:
                return last
        for slot, topic in SLOT_TOPIC:
            if getattr(u.slots, slot) is not None:
                if slot == "area_sqm" and re.search(r"社区|办公|工位|场地", u.text):
                    continue
                return topic
        return None

    # --- handlers --------------------------------------------------------------------------------------
    def _topic(self, topic: str, u: Understanding, profile: dict, state: dict, reply: Reply) -> None:
        p = plan(topic, u, profile, state)
        benefit_id = TOPIC_BENEFIT.get(topic)
        benefit = policy_book().benefit(benefit_id) if benefit_id else None
        if topic == "compute_voucher" and p.tool:
            state["annual"] = {str(i + 1): v for i, v in enumerate(p.arguments["annual_spend"])}
        result = None
        if p.tool:
            try:
                result = run_tool(p.tool, p.arguments)
            except ValidationError as exc:
                reply.parts.append(f"输入的数值不合理（{exc.errors()[0]['msg']}），请核对后再问。")
        if p.focus_year and p.missing and benefit is not None and benefit.rates and p.focus_year <= len(benefit.rates):
            line = f"第{p.focus_year}年按实际使用费用的**{benefit.rates[p.focus_year - 1] * 100:g}%**奖补（{benefit.section}）。"
            if result is not None and any(c["binding"] for c in result["caps"]):
                line += f"按您前面的费用，累计奖励已达到上限，第{p.focus_year}年不会再增加。"
            reply.parts.append(line)
        if result is not None:
            reply.tool_calls.append(ToolCall(name=p.tool, arguments=p.arguments, result=result))
            if reply.intent == "policy_qa":
                reply.intent = "calculate"
            if result["tool"] in ("check_scope", "check_community_recognition") or result.get("eligible") is False:
                reply.intent = "eligibility" if reply.intent != "calculate" or result["eligible"] is False else reply.intent
            reply.parts.append(compose.tool_answer(result, p.focus_year))
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

    def _rule_topic(self, topic: str, reply: Reply) -> None:
        book = policy_book()
        ids = {"validity": ["validity"], "no_double": ["no_double"], "scope": ["scope", "counties"],
               "fund_tolerance": []}[topic]
        if topic == "fund_tolerance":
            b = book.benefit("fund_tolerance")
            reply.parts.append(f"{b.title}（{b.section}）：{b.quote}")
            reply.cite(b.doc, b.section, b.quote, self.titles[b.doc])
            reply.parts.append(compose.responsible(b.responsible))
            return
        for rid in ids:
            r = book.rule(rid)
            reply.parts.append(f"{r.title}：{r.quote}")
            reply.cite(r.doc, r.section, r.quote, self.titles[r.doc])
        if topic == "validity":
            reply.parts.append(f"注意：本文件目前为{book.meta.status}，以正式印发版本为准。")
        if topic == "no_double":
            reply.parts.append("也就是说，同一个项目符合多项奖补时取其中最高的一项，不叠加。")
        reply.intent = "policy_qa"

    def _policy_qa(self, u: Understanding, reply: Reply) -> None:
        hits = self.searcher.search(u.text, 3)
        if not hits or not self._covered(u.text):
            self._refuse(u, reply)
            return
        if ASKS_FOR_AMOUNT.search(u.text):  # an amount for a benefit none of the articles grants
            self._refuse(u, reply, hits[:1])
            return
        policy_answer.answer(self.searcher, u.text, hits, reply)

    def _covered(self, text: str) -> bool:
        content = [t for t in tokens(expand_query(text))
                   if t not in GENERIC and len(t) > 1 and not (t.isdigit() and len(t) < 3)]
        if not content:
            return True
        return any(t in self.vocab for t in content)

    def _refuse(self, u: Understanding, reply: Reply, hits=None) -> None:
        reply.refused = True
        reply.intent = "out_of_scope"
        t = u.text
        nearby, dept = [], None
        if u.slots.other_city:
            reason = f"盐城OPC政策文件只适用于盐城，没有涉及{u.slots.other_city}的政策，"
            dept = f"{u.slots.other_city}的政策请向当地主管部门咨询。"
            nearby.append("盐城的OPC支持政策见《若干政策措施》第一条至第十条，可以问我具体某一项。")
        elif any(w in t for w in ("增值税", "所得税", "个税", "税率", "免税", "减税", "退税", "税收优惠", "税费减免", "印花税")):
            reason = "盐城OPC政策文件没有规定税收优惠或税率，"
            for doc, section, quote in TAX_NEARBY:
                nearby.append(f"《{self.titles[doc]}》{section}：{quote}")
                reply.cite(doc, section, quote, self.titles[doc])
            dept = "税收政策请咨询主管税务机关。"
        elif hits:
            reason = "盐城OPC政策文件（《行动方案》《社区建设指引》《若干政策措施》）没有规定这一项奖补，"
            for h in hits:
                nearby.append(f"《{h.doc_title}》{h.section}：{h.quote}")
                reply.cite(h.doc, h.section, h.quote, h.doc_title)
            nearby.append("文件规定的奖补见《若干政策措施》第一条至第十条，可以问我“我能享受哪些政策”。")
        else:
            reason = "盐城OPC政策文件（《行动方案》《社区建设指引》《若干政策措施》）没有涉及这个问题，"
            nearby.append("文件涵盖：算力券、数据产品采购、模型工具、OPC社区、场景、人才（生活补贴、租房、购房）、创业担保贷款与贴息、活动与大赛、OPC社区认定条件、企业开办一窗受理。")
        reply.parts.append(compose.refusal(reason, nearby, dept))
        reply.follow_up = ["我能享受哪些政策？", "算力券怎么补？", "硕士来盐城每月生活补贴多少？"]

    def _match(self, u: Understanding, profile: dict, reply: Reply) -> None:
        reply.intent = "match"
        args = {k: v for k, v in {"age": profile.get("age"), "degree": profile.get("degree"),
                                  "full_time": profile.get("full_time"),
                                  "first_social_insurance_in_yancheng": profile.get("first_social_insurance_in_yancheng"),
                                  "district": profile.get("district"),
                                  "role": profile.get("role") if profile.get("role") in ("创始人", "高管", "员工") else None,
                                  "house_area_sqm": profile.get("area_sqm"), "monthly_rent": profile.get("rent")}.items()
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
        reply.parts.append(compose.caveats("up_to", True, no_double=True))
        reply.follow_up.extend(f"请补充：{m}" for m in result["missing"][:3])
        reply.follow_up.append("我每个月能拿多少生活补贴？")

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
        return {
            "compute_voucher": ["那第三年呢？", "算力券找哪个部门申请？"],
            "living_subsidy": ["那博士呢？", "租人才公寓有优惠吗？"],
            "house_purchase": ["我是高管也能拿吗？", "租房有什么优惠？"],
            "guaranteed_loan": ["贷款贴息怎么算？"],
            "interest_subsidy": ["创业担保贷款能贷多少？"],
        }.get(topic, ["我能享受哪些政策？"])
