"""Gradio pages mounted into the FastAPI app. They call the same service layer as the API."""
from __future__ import annotations

import collections
import hmac
import html
import logging
import os
import secrets
import threading
import time
from urllib.parse import quote

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr  # noqa: E402
import pandas as pd  # noqa: E402

from assistant.api.deps import print_link  # noqa: E402
from assistant.cases import STATUS_LABEL, public_view  # noqa: E402
from assistant.service import AssistantService, InvalidInput, SessionDenied, encodable, printable  # noqa: E402
from assistant.store import StoreUnavailable  # noqa: E402
from tools import places  # noqa: E402
from tools.checklists import checklist_book  # noqa: E402
from tools.money import yuan  # noqa: E402
from tools.registry import run_tool  # noqa: E402

DRAFT_BANNER = ("<div id='draft-banner' style='background:#fdecea;border-radius:8px;padding:8px 12px'>"
                "⚠️ 政策为<b>征求意见稿（草案）</b>，金额与条件以正式印发版本和主管部门解释为准。</div>")
SUGGESTED = ["硕士来盐城创业每月生活补贴多少？", "算力券第一年50万，第二年80万，能拿多少？", "我想开一家OPC公司要办什么？",
             "OPC社区认定需要什么条件？", "我能享受哪些政策？"]
DEGREES = ["博士", "硕士", "本科", "技师班", "专科", "其他"]
DISTRICTS = places.metro_names() + places.reference_names()  # from knowledge/places.yaml
CSS = """
#draft-banner{margin-bottom:6px}
.cite details{margin:2px 0}
@media (max-width: 640px){ .gradio-container{padding:4px !important} }
"""


log = logging.getLogger("opc.ui")


class StaffLogins:
    """Staff logins of the web UI: each is a random id that expires (it is not the Gradio session hash, which
    travels in URLs). The token is compared in constant time; after repeated failures a client must wait before
    its next try (refused without checking, so no worker is held), and each failure is logged. The client is the
    one the API guard resolved (no header picks it); failures from all clients together have a budget too, so
    neither many addresses nor a flood of new ones (the oldest are dropped, never all) buys more guesses."""

    FREE_TRIES, WINDOW_S, MAX_WAIT_S = 3, 900, 60
    GLOBAL_FREE_TRIES, MAX_CLIENTS = 30, 10000

    def __init__(self, token_getter, hours: float):
        self.token_getter, self.ttl = token_getter, hours * 3600
        self._sessions: dict[str, float] = {}
        self._failures: dict[str, list[float]] = {}  # per client, oldest client first
        self._all_failures: collections.deque[float] = collections.deque(maxlen=self.GLOBAL_FREE_TRIES + 10)
        self._lock = threading.Lock()

    def _backoff(self, times, free: int, now: float) -> int:
        fails = [t for t in times if now - t < self.WINDOW_S]
        if len(fails) < free:
            return 0
        wait = min(2 ** (len(fails) - free), self.MAX_WAIT_S)
        return max(0, int(fails[-1] + wait - now + 0.999))

    def wait_s(self, client: str, now: float) -> int:
        return max(self._backoff(self._failures.get(client, []), self.FREE_TRIES, now),
                   self._backoff(self._all_failures, self.GLOBAL_FREE_TRIES, now))

    def login(self, given: str | None, client: str) -> tuple[str | None, str]:
        """(login id or None, message for the page)."""
        now = time.time()
        with self._lock:
            wait = self.wait_s(client, now)
            if wait:
                log.warning("staff UI login refused for %s: too many failures, retry in %ds", client, wait)
                return None, f"尝试次数过多，请 {wait} 秒后再试。"
            if isinstance(given, str) and encodable(given) and hmac.compare_digest(
                    given.encode(), self.token_getter().encode()):
                self._failures.pop(client, None)
                self._sessions = {k: v for k, v in self._sessions.items() if v > now}
                sid = secrets.token_urlsafe(24)
                self._sessions[sid] = now + self.ttl
                return sid, f"已登录（{self.ttl / 3600:g} 小时内有效）。"
            fails = [t for t in self._failures.pop(client, []) if now - t < self.WINDOW_S] + [now]
            while len(self._failures) >= self.MAX_CLIENTS:  # bounded memory: the longest-quiet client goes
                self._failures.pop(next(iter(self._failures)))
            self._failures[client] = fails[-20:]
            self._all_failures.append(now)
        log.warning("staff UI login failed from %s (%d failures in %d min)", client, len(fails), self.WINDOW_S // 60)
        return None, "令牌不正确。"

    def valid(self, sid: str | None) -> bool:
        return bool(sid) and self._sessions.get(sid, 0) > time.time()


def client_of(request: gr.Request | None) -> str:
    """The client key the API guard resolved for this request (assistant/api/clients.py), else the peer."""
    raw = getattr(request, "request", None) if request else None
    key = ((getattr(raw, "scope", None) or {}).get("state") or {}).get("opc_client")
    if key:
        return key
    return request.client.host if request and request.client else "unknown"


def article_link(doc: str, section: str) -> str:
    return f"/policies/{doc}#{quote(section)}"


def render_answer(ans) -> str:
    """The answer Markdown plus citations as expandable quotes with their article."""
    out = ans.answer
    if ans.citations:
        cites = "".join(
            f"<details><summary>📄 《{html.escape(c.doc_title)}》{html.escape(c.section)}</summary>"
            f"<blockquote>{html.escape(c.quote)}</blockquote>"
            f"<a href='{article_link(c.doc, c.section)}' target='_blank'>查看原文</a></details>" for c in ans.citations)
        out += f"\n\n<div class='cite'>{cites}</div>"
    return out


def build_ui(service: AssistantService, logins: StaffLogins) -> gr.Blocks:
    with gr.Blocks(title="盐城OPC创业助手") as demo:
        gr.Markdown("# 盐城人工智能OPC创业助手")
        gr.HTML(DRAFT_BANNER)
        with gr.Tabs():
            _chat_tab(service)
            _calculator_tab()
            _knowledge_tab(service)
            _staff_tab(service, logins)
    return demo


def _chat_tab(service: AssistantService) -> None:
    with gr.Tab("对话", id="chat"):
        session = gr.State(None)
        turn_ids = gr.State([])
        follow_state = gr.State([])
        chatbot = gr.Chatbot(label="对话", height=520, elem_id="chatbot", feedback_options=("Like", "Dislike"),
                             placeholder="您好！可以问政策、算补贴、查办事清单。")
        with gr.Row():
            box = gr.Textbox(placeholder="请输入问题，例如：硕士来盐城每月生活补贴多少？", show_label=False, scale=5,
                             elem_id="chat-input", max_lines=4)
            send = gr.Button("发送", variant="primary", scale=1, elem_id="chat-send")
        with gr.Row():
            follow_btns = [gr.Button(visible=False, size="sm", elem_classes=["follow-up"]) for _ in range(3)]
        gr.Examples(SUGGESTED, inputs=box, label="试试这些问题")

        def respond(message, history, sid, tids):
            history = list(history or [])
            message = printable(message) if isinstance(message, str) else ""  # what can be shown back and stored
            if not message.strip():
                yield history, sid, tids, "", [], *[gr.update(visible=False)] * 3
                return
            history.append({"role": "user", "content": message})
            try:
                ans = service.chat(message, sid, degrade=True)  # a database outage still gets the policy answer
            except InvalidInput as exc:
                history.append({"role": "assistant", "content": f"⚠️ {exc.message}"})
                yield history, sid, tids, "", [], *[gr.update(visible=False)] * 3
                return
            full = render_answer(ans)
            history.append({"role": "assistant", "content": ""})
            step = max(len(ans.answer) // 6, 40)
            for end in range(step, len(ans.answer), step):  # stream the answer text in parts
                history[-1] = {"role": "assistant", "content": ans.answer[:end]}
                yield history, ans.session_id, tids, "", [], *[gr.update(visible=False)] * 3
            history[-1] = {"role": "assistant", "content": full}
            tids = list(tids) + [ans.turn_id]
            ups = [gr.update(value=f, visible=True) for f in ans.follow_up[:3]]
            ups += [gr.update(visible=False)] * (3 - len(ups))
            yield history, ans.session_id, tids, "", ans.follow_up[:3], *ups

        outputs = [chatbot, session, turn_ids, box, follow_state, *follow_btns]
        send.click(respond, [box, chatbot, session, turn_ids], outputs)
        box.submit(respond, [box, chatbot, session, turn_ids], outputs)
        send_flag = gr.State(False)

        def pick(f, i):
            text = f[i] if i < len(f) else ""
            asks_user = "您" in text or text.startswith("请")  # the assistant's own questions address the user as 您
            # a question put to the user goes into the box to be answered; a suggested question is sent
            return gr.update(value="" if asks_user else text,
                             placeholder=text if asks_user else "请输入问题，例如：硕士来盐城每月生活补贴多少？"), not asks_user

        def maybe_respond(flag, message, history, sid, tids):
            if not flag:
                yield (gr.skip(),) * len(outputs)
                return
            yield from respond(message, history, sid, tids)

        for i, b in enumerate(follow_btns):
            b.click(lambda f, i=i: pick(f, i), follow_state, [box, send_flag]).then(
                maybe_respond, [send_flag, box, chatbot, session, turn_ids], outputs)

        def on_like(data: gr.LikeData, sid, tids):
            if not sid:
                return
            n = data.index[0] if isinstance(data.index, (list, tuple)) else data.index
            answer_no = (n + 1) // 2 - 1
            turn = tids[answer_no] if 0 <= answer_no < len(tids) else None
            helpful = data.liked is True or data.liked in ("有用", "Like")
            try:
                service.feedback(sid, turn, helpful, None if isinstance(data.liked, bool) else str(data.liked))
            except (InvalidInput, SessionDenied, StoreUnavailable) as exc:  # unstored answer or database down: nothing to rate
                log.warning("feedback not stored: %s", exc)

        chatbot.like(on_like, [session, turn_ids], None)


def _calculator_tab() -> None:
    with gr.Tab("政策计算器", id="calculator"):
        gr.Markdown("填写您的情况（不确定的可以不填），列出可享受的政策、条件满足情况和估算金额。")
        with gr.Row():
            age = gr.Number(value=None, label="年龄（周岁）", precision=0, minimum=0, maximum=120, elem_id="calc-age")
            degree = gr.Dropdown(["不确定"] + DEGREES, value="不确定", label="学历", elem_id="calc-degree")
            full_time = gr.Radio(["是", "否", "不确定"], value="不确定", label="全日制")
            first_si = gr.Radio(["是", "否", "不确定"], value="不确定", label="首次在盐参保并正常缴费")
        with gr.Row():
            district = gr.Dropdown(["不确定"] + DISTRICTS, value="不确定", label="企业所在区县")
            role = gr.Dropdown(["不确定", "创始人", "高管", "员工"], value="不确定", label="身份")
            spend = gr.Textbox(label="每年算力费用（元，逗号分隔，如 50万,80万）")
            area = gr.Number(value=None, label="拟购新房面积（平方米）", minimum=0)
        plans = gr.CheckboxGroup(["算力", "数据", "模型", "场景", "大赛", "活动", "贷款", "买房", "租房"], label="计划或已有的事项")
        run = gr.Button("计算", variant="primary", elem_id="calc-run")
        total = gr.Markdown(elem_id="calc-total")
        table = gr.Dataframe(headers=["政策", "条款", "判断", "金额", "条件"], datatype=["str", "markdown", "str", "str", "str"],
                             wrap=True, interactive=False, elem_id="calc-table")
        chart = gr.BarPlot(x="政策", y="金额（元）", title="估算金额（能按公式计算的项目）", elem_id="calc-chart")

        def calculate(age, degree, full_time, first_si, district, role, spend, area, plans):
            yn = {"是": True, "否": False}
            args = {k: v for k, v in {
                "age": int(age) if age else None, "degree": None if degree in (None, "不确定") else degree,
                "full_time": yn.get(full_time), "first_social_insurance_in_yancheng": yn.get(first_si),
                "district": None if district in (None, "不确定") else district,
                "role": None if role in (None, "不确定") else role, "house_area_sqm": area or None, "plans": plans or [],
                "annual_compute_spend": (spend or "").strip() or None,  # the tool reads 1,500,000 as one amount
            }.items() if v is not None}
            try:
                r = run_tool("match_policies", args)
            except Exception as exc:  # validation errors from the form
                return f"⚠️ 输入有误：{exc}", pd.DataFrame(), pd.DataFrame({"政策": [], "金额（元）": []})
            rows, bars = [], []
            for it in r["items"]:
                amount = (yuan(it["estimate"]) if it["estimate"] is not None else
                          (f"最高{yuan(it['max_amount'])}" if it["max_amount"] else it.get("amount_note") or "按审核确定"))
                conds = "；".join(f"{c['status']}：{c['condition']}" for c in it["conditions"])
                rows.append([it["title"], f"[{it['section']}]({article_link(it['doc'], it['section'])})", it["verdict"],
                             amount, conds])
                if it.get("in_total"):  # only grants: a loan or a rent waiver is not money received
                    bars.append({"政策": it["title"], "金额（元）": it["estimate"]})
            head = (f"**能按公式计算的补贴合计约 {yuan(r['estimated_total'])}**（以满足全部条件为前提）。{r.get('total_note', '')}"
                    + ("　待补充：" + "、".join(r["missing"]) if r["missing"] else "") + "\n\n" + " ".join(r["caveats"]))
            return head, pd.DataFrame(rows, columns=["政策", "条款", "判断", "金额", "条件"]), pd.DataFrame(
                bars or [{"政策": "（暂无可计算项）", "金额（元）": 0}])

        run.click(calculate, [age, degree, full_time, first_si, district, role, spend, area, plans], [total, table, chart])


def _knowledge_tab(service: AssistantService) -> None:
    with gr.Tab("知识库", id="knowledge"):
        with gr.Row():
            q = gr.Textbox(label="检索原文", placeholder="例如：算力券", scale=4, elem_id="kb-query")
            go = gr.Button("检索", scale=1)
        hits = gr.Markdown()
        doc = gr.Dropdown([], label="浏览文件", elem_id="kb-doc")
        body = gr.Markdown()

        def do_search(text):
            if not (text or "").strip():
                return "请输入关键词。"
            res = service.search(text, 8)
            if not res.results:
                return "没有找到相关条款。"
            return "\n\n".join(f"**《{h.doc_title}》{h.section}**　得分 {h.score:.4f}　[原文]({article_link(h.doc, h.section)})\n> {h.quote}"
                               for h in res.results)

        def docs():
            return gr.update(choices=[(d.title, d.id) for d in service.index.docs])

        def show(doc_id):
            if not doc_id:
                return ""
            secs = [s for s in service.index.sections if s.doc == doc_id and s.kind == "text"]
            return "\n\n".join(f"#### {s.label}\n{s.text}" + (f"\n\n_{s.responsible[0]}_" if s.responsible else "")
                               for s in secs)

        go.click(do_search, q, hits)
        q.submit(do_search, q, hits)
        doc.focus(docs, None, doc)
        doc.change(show, doc, body)


def _staff_tab(service: AssistantService, logins: StaffLogins) -> None:
    names = {e.id: e.name for e in checklist_book().entity_types}
    with gr.Tab("窗口办件（工作人员）", id="staff"):
        login_id = gr.State(None)  # a StaffLogins id; every staff function checks it is still valid
        loaded = gr.State(None)  # the ticks as loaded, so saving sends only what this page changed
        with gr.Row():
            token = gr.Textbox(label="工作人员令牌", type="password", scale=4, elem_id="staff-token")
            login = gr.Button("登录", scale=1, elem_id="staff-login")
        status_msg = gr.Markdown()
        with gr.Group(visible=False) as panel:
            gr.Markdown("### 新建办件")
            with gr.Row():
                name = gr.Textbox(label="办事人姓名", elem_id="case-name")
                phone = gr.Textbox(label="电话", elem_id="case-phone")
                etype = gr.Dropdown([(v, k) for k, v in names.items()], label="主体类型", value="llc_single",
                                    elem_id="case-type")
            create = gr.Button("生成清单并建档", variant="primary", elem_id="case-create")
            gr.Markdown("### 办件")
            with gr.Row():
                search_q = gr.Textbox(label="搜索（姓名、编号、类型、证件号）", scale=4)
                refresh = gr.Button("刷新列表", scale=1)
            cases_table = gr.Dataframe(headers=["编号", "办事人", "电话", "类型", "状态", "进度"], interactive=False,
                                       elem_id="case-list")
            case_id = gr.Textbox(label="当前办件编号", elem_id="case-id")
            items = gr.CheckboxGroup(label="材料清单（勾选已收齐的）", elem_id="case-items")
            with gr.Row():
                note = gr.Textbox(label="备注", scale=3)
                case_status = gr.Dropdown([(v, k) for k, v in STATUS_LABEL.items()], label="状态", scale=1)
            save = gr.Button("保存", elem_id="case-save")
            links = gr.Markdown(elem_id="case-links")
            delete = gr.Button("删除办件", variant="stop")

        def do_login(tok, request: gr.Request):
            sid, message = logins.login(tok, client_of(request))
            return sid, gr.update(visible=bool(sid)), message, ""

        def listing(sess, q=None):
            if not logins.valid(sess):
                return pd.DataFrame()
            rows = [[c["id"], c["visitor_name"], c["phone"] or "", names[c["entity_type"]], c["status_label"],
                     f"{c['progress']['done']}/{c['progress']['total']}"]
                    for c in (public_view(x) for x in service.list_cases(q or None))]
            return pd.DataFrame(rows, columns=["编号", "办事人", "电话", "类型", "状态", "进度"])

        def load(sess, cid):
            case = service.get_case(cid) if logins.valid(sess) and cid else None
            if not case:
                return (gr.update(choices=[], value=[]), gr.update(value=None),
                        ("没有找到这个办件。" if logins.valid(sess) else "请先登录（登录 8 小时后需重新登录）。") if cid else "",
                        None)
            choices = [(f"{i['step_title']}｜{i['text']}", i["key"]) for i in case["checklist"]]
            done = [i["key"] for i in case["checklist"] if i["done"]]
            notes = "\n".join(f"- {n['text']}" for n in case["notes"])
            token = logins.token_getter()
            return (gr.update(choices=choices, value=done), gr.update(value=case["status"]),
                    f"[打印清单（HTML）]({print_link(token, cid)})　[PDF]({print_link(token, cid, 'pdf')})"
                    f"（链接 1 小时内有效）\n\n{notes}", done)

        def do_create(sess, n, p, t):
            if not logins.valid(sess):
                return "请先登录。", "", pd.DataFrame()
            if not (n or "").strip():
                return "请填写办事人姓名。", "", listing(sess)
            try:
                case = service.create_case(n, t or "llc_single", ["registration", "seal", "bank", "tax", "social",
                                                                 "housing_fund"], (p or "").strip() or None)
            except Exception as exc:  # invalid phone and the like
                return f"输入有误：{exc}", "", listing(sess)
            return f"已建档：{case['id']}（{len(case['checklist'])} 项材料）", case["id"], listing(sess)

        def do_save(sess, cid, checked, n, st, was):
            case = service.get_case(cid) if logins.valid(sess) and cid else None
            if not case:
                return "没有找到这个办件。" if logins.valid(sess) else "请先登录。"
            checked = set(checked or [])
            before = set(was) if was is not None else {i["key"] for i in case["checklist"] if i["done"]}
            # only this page's changes: a colleague's ticks made meanwhile are kept
            tick = {k: True for k in checked - before} | {k: False for k in before - checked}
            service.update_case(cid, tick=tick or None, note=(n or "").strip() or None, status=st or None)
            return "已保存。"

        def do_delete(sess, cid):
            if logins.valid(sess) and cid and service.delete_case(cid):
                return f"已删除 {cid}。", "", listing(sess)
            return "没有找到这个办件。", cid, listing(sess)

        shown = [items, case_status, links, loaded]
        login.click(do_login, token, [login_id, panel, status_msg, token]).then(listing, login_id, cases_table)
        create.click(do_create, [login_id, name, phone, etype], [status_msg, case_id, cases_table]).then(
            load, [login_id, case_id], shown)
        refresh.click(listing, [login_id, search_q], cases_table)
        search_q.submit(listing, [login_id, search_q], cases_table)
        case_id.submit(load, [login_id, case_id], shown)

        def pick(evt: gr.SelectData):
            return evt.row_value[0] if evt.row_value else ""

        cases_table.select(pick, None, case_id).then(load, [login_id, case_id], shown)
        save.click(do_save, [login_id, case_id, items, note, case_status, loaded], status_msg).then(
            load, [login_id, case_id], shown).then(listing, login_id, cases_table)
        delete.click(do_delete, [login_id, case_id], [status_msg, case_id, cases_table])


def mount_ui(app, service: AssistantService) -> None:
    """Errors show a generic message, never exception text; uploads are capped (the UI takes none, and the API
    layer refuses the upload route)."""
    logins = StaffLogins(lambda: app.state.staff_token, service.settings.staff_ui_session_hours)
    app.state.staff_logins = logins
    demo = build_ui(service, logins)
    gr.mount_gradio_app(app, demo, path="/ui", css=CSS, footer_links=[], show_error=False, max_file_size="1mb")
