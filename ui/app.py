"""The citizens' page (/ui: chat, calculator, knowledge) and the counter staff's page (/staff), both Gradio apps
mounted into the FastAPI app and calling the same service layer as the API.

Nothing on these pages trusts the browser's state: the chat history shown is read from the server's own record of
the session (text only, the last few turns), so no client can hand the server a file path to serve, and a Gradio
session holds little more than a session id."""
from __future__ import annotations

import logging
import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr  # noqa: E402
import pandas as pd  # noqa: E402
from pydantic import ValidationError  # noqa: E402

from assistant.service import AssistantService, InvalidInput, SessionDenied, printable  # noqa: E402
from assistant.store import StoreUnavailable  # noqa: E402
from tools import places  # noqa: E402
from tools.money import yuan  # noqa: E402
from tools.registry import run_tool  # noqa: E402
from ui.common import ShareText, article_link, guarded, plain, render_answer, route_gradio_errors_to_the_log  # noqa: E402
from ui.staff import StaffLogins, build_staff, staff_router  # noqa: E402

HEADER = ("<header id='site-head'><h1>盐城人工智能OPC创业助手</h1>"
          "<p id='draft-banner' role='note'>政策为<b>征求意见稿（草案）</b>，金额与条件以正式印发版本和主管部门解释为准。</p></header>")
FOOTER = ("<footer id='site-foot'><p>隐私提示：您的提问会在服务器保存 {days} 天，用于连续对话和改进服务，期满删除。"
          "请不要输入身份证号、银行卡号、手机号等个人信息。点“新对话”后，本页不再使用之前的对话。</p>"
          "<p>本助手依据盐城市人工智能OPC创新创业行动方案及附件（征求意见稿）作答，具体以各责任部门解释为准。</p></footer>")
SUGGESTED = ["硕士来盐城创业每月生活补贴多少？", "算力券第一年50万，第二年80万，能拿多少？", "我想开一家OPC公司要办什么？",
             "OPC社区认定需要什么条件？", "我能享受哪些政策？"]
PROGRESS = "正在查阅政策原文、核对条件并计算，请稍候……"
DEGREES = ["博士", "硕士", "本科", "技师班", "专科", "其他"]
DISTRICTS = places.metro_names() + places.reference_names()  # from knowledge/places.yaml
HISTORY_TURNS = 10  # turns of a session shown on the page (read from the server's record each time)
MAX_SEARCH_CHARS = 500  # the same cap as GET /api/search
CSS = """
#site-head h1{font-size:1.5rem;margin:0 0 4px}
button.primary{background:#b91c1c !important;border-color:#b91c1c !important;color:#fff !important}
button.primary:hover{background:#991b1b !important}
#draft-banner{background:#fdecea;color:#7f1d1d;border-radius:8px;padding:8px 12px;margin:0}
#site-foot{font-size:.85rem;color:#4b5563;margin-top:8px}
.cite details{margin:2px 0}
#chatbot .message table{display:block;overflow-x:auto;max-width:100%}
#calc-table{overflow-x:auto}
@media (prefers-color-scheme: dark){#draft-banner{background:#4c1d1d;color:#fde2e2}#site-foot{color:#9ca3af}}
.dark #draft-banner{background:#4c1d1d;color:#fde2e2}
@media (max-width: 640px){.gradio-container{padding:4px !important}}
"""
log = logging.getLogger("opc.ui")


def build_ui(service: AssistantService) -> gr.Blocks:
    with gr.Blocks(title="盐城OPC创业助手") as demo:
        gr.HTML(HEADER)
        with gr.Tabs():
            _chat_tab(service)
            _calculator_tab()
            _knowledge_tab(service)
        gr.HTML(FOOTER.format(days=service.settings.retention_days))
    return demo


def _history(service: AssistantService, sid: str | None) -> tuple[list[dict], list[str]]:
    """The last turns of the session as the server stored them (text only), and their turn ids."""
    if not sid:
        return [], []
    try:
        turns = service.store.turns(sid)[-HISTORY_TURNS:]
    except StoreUnavailable:
        return [], []
    messages, ids = [], []
    for t in turns:
        answer = t["answer"]
        messages += [{"role": "user", "content": t["question"]},
                     {"role": "assistant", "content": render_answer(answer.get("answer", ""), answer.get("citations", []))}]
        ids.append(t["turn_id"])
    return messages, ids


def _chat_tab(service: AssistantService) -> None:
    with gr.Tab("对话", id="chat"):
        session, turn_ids, follow_state = gr.State(None), gr.State([]), gr.State([])
        chatbot = gr.Chatbot(label="对话", height="62vh", elem_id="chatbot", feedback_options=("Like", "Dislike"),
                             placeholder="您好！可以问政策、算补贴、查办事清单。")
        with gr.Row():
            box = gr.Textbox(placeholder="请输入问题，例如：硕士来盐城每月生活补贴多少？", show_label=False, scale=5,
                             elem_id="chat-input", max_lines=4, max_length=service.settings.max_message_chars)
            send = gr.Button("发送", variant="primary", scale=1, elem_id="chat-send")
            stop = gr.Button("停止", scale=1, elem_id="chat-stop")
            new = gr.Button("新对话", scale=1, elem_id="chat-new")
        with gr.Row():
            follow_btns = [gr.Button(visible=False, size="sm", elem_classes=["follow-up"]) for _ in range(3)]
        with gr.Row(elem_id="examples"):
            example_btns = [gr.Button(q, size="sm", elem_classes=["example"]) for q in SUGGESTED]
        hide = [gr.update(visible=False)] * 3

        @guarded
        def respond(message, sid):
            """Show the question at once with a progress line, then the answer in parts, then the server's record."""
            message = printable(message) if isinstance(message, str) else ""
            shown, ids = _history(service, sid)
            if not message.strip():
                yield shown, sid, ids, "", [], *hide
                return
            pending = shown + [{"role": "user", "content": message}, {"role": "assistant", "content": PROGRESS}]
            yield pending, sid, ids, "", [], *hide
            try:
                ans = service.chat(message, sid, degrade=True)  # a database outage still gets the policy answer
            except InvalidInput as exc:
                pending[-1] = {"role": "assistant", "content": f"提示：{exc.message}"}
                yield pending, sid, ids, "", [], *hide
                return
            step = max(len(ans.answer) // 6, 40)
            for end in range(step, len(ans.answer), step):  # stream the answer text in parts
                pending[-1] = {"role": "assistant", "content": plain(ans.answer[:end])}
                yield pending, ans.session_id, ids, "", [], *hide
            if ans.turn_id:
                final, ids = _history(service, ans.session_id)
            else:  # not stored (database down): this exchange only
                final = pending[:-1] + [{"role": "assistant", "content": render_answer(
                    ans.answer, [c.model_dump() for c in ans.citations])}]
            ups = [gr.update(value=f, visible=True) for f in ans.follow_up[:3]]
            yield final, ans.session_id, ids, "", ans.follow_up[:3], *ups, *hide[len(ups):]

        outputs = [chatbot, session, turn_ids, box, follow_state, *follow_btns]
        quiet = {"show_progress": "hidden"}  # the progress line is ours, in Chinese (Gradio's timer is English)
        events = [send.click(respond, [box, session], outputs, **quiet), box.submit(respond, [box, session], outputs, **quiet)]
        @guarded
        def follow(text, sid):
            """A suggested question is sent; the assistant's own question to the user (您…？/请…) goes into the
            input's placeholder to be answered, never sent as if the user had asked it."""
            if isinstance(text, str) and ("您" in text or text.startswith("请")):
                yield (*[gr.skip()] * 3, gr.update(value="", placeholder=text), *[gr.skip()] * 4)
                return
            yield from respond(text, sid)

        for b in example_btns:  # an example chip sends its text, as the send button would
            events.append(b.click(respond, [b, session], outputs, **quiet))
        for b in follow_btns:
            events.append(b.click(follow, [b, session], outputs, **quiet))
        stop.click(None, None, None, cancels=events)  # the answer stops showing; the server's budget stops the work
        new.click(lambda: ([], None, [], "", [], *hide), None, outputs)  # the old session no longer answers here
        chatbot.clear(lambda: ([], None, [], "", [], *hide), None, outputs)

        @guarded
        def on_like(data: gr.LikeData, sid, ids):
            if not sid:
                return
            n = data.index[0] if isinstance(data.index, (list, tuple)) else data.index
            turn = ids[n // 2] if isinstance(n, int) and 0 <= n // 2 < len(ids) else None
            helpful = data.liked is True or data.liked in ("有用", "Like")
            try:
                service.feedback(sid, turn, helpful, None if isinstance(data.liked, bool) else str(data.liked))
            except (InvalidInput, SessionDenied, StoreUnavailable) as exc:  # unstored answer or database down
                log.warning("feedback not stored: %s", exc)

        chatbot.like(on_like, [session, turn_ids], None)


def _calc_error(exc: Exception) -> str:
    """One Chinese line for a form value the tool cannot read (never pydantic's English text or a URL)."""
    if isinstance(exc, ValidationError):
        msg = str(exc.errors()[0].get("msg", "")).removeprefix("Value error, ")
        return f"输入有误：{msg}" if any("\u4e00" <= ch <= "\u9fff" for ch in msg) else "输入有误，请检查填写的内容。"
    if isinstance(exc, ValueError) and any("\u4e00" <= ch <= "\u9fff" for ch in str(exc)):
        return f"输入有误：{exc}"
    return "输入有误，请检查填写的内容。"


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
            spend = gr.Textbox(label="每年算力费用（元；几年用 ; 或 、 分隔，如 50万;80万）", max_length=200)
            area = gr.Number(value=None, label="拟购新房面积（平方米）", minimum=0)
        plans = gr.CheckboxGroup(["算力", "数据", "模型", "场景", "大赛", "活动", "贷款", "买房", "租房"], label="计划或已有的事项")
        run = gr.Button("计算", variant="primary", elem_id="calc-run")
        total = gr.Markdown(elem_id="calc-total")
        table = gr.Markdown(elem_id="calc-table")  # one card per policy: readable at any width, nothing cut off
        chart = gr.BarPlot(x="政策", y="金额（元）", title="估算金额（能按公式计算的项目）", elem_id="calc-chart")

        @guarded
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
            except (ValidationError, ValueError, TypeError) as exc:
                return _calc_error(exc), "", pd.DataFrame({"政策": [], "金额（元）": []})
            return _calc_output(r)

        run.click(calculate, [age, degree, full_time, first_si, district, role, spend, area, plans], [total, table, chart])


def _calc_output(r: dict):
    """The total line, one card per matched policy (judgement, amount, each condition on its own line), the chart."""
    cards, bars = [], []
    for it in r["items"]:
        amount = (yuan(it["estimate"]) if it["estimate"] is not None else
                  (f"最高{yuan(it['max_amount'])}" if it["max_amount"] else it.get("amount_note") or "按审核确定"))
        conds = "\n".join(f"  - {c['status']}：{c['condition']}" for c in it["conditions"])
        cards.append(f"**{it['title']}**（[{it['section']}]({article_link(it['doc'], it['section'])})）\n"
                     f"- 判断：{it['verdict']}　金额：{amount}\n- 条件：\n{conds}")
        if it.get("in_total"):  # only grants: a loan or a rent waiver is not money received
            bars.append({"政策": it["title"], "金额（元）": it["estimate"]})
    head = (f"**能按公式计算的补贴合计约 {yuan(r['estimated_total'])}**（以满足全部条件为前提）。{r.get('total_note', '')}"
            + ("　待补充：" + "、".join(r["missing"]) if r["missing"] else "") + "\n\n" + " ".join(r["caveats"]))
    return head, "\n\n".join(cards), pd.DataFrame(bars or [{"政策": "（暂无可计算项）", "金额（元）": 0}])


def _knowledge_tab(service: AssistantService) -> None:
    with gr.Tab("知识库", id="knowledge"):
        with gr.Row():
            q = gr.Textbox(label="检索原文", placeholder="例如：算力券", scale=4, elem_id="kb-query",
                           max_length=MAX_SEARCH_CHARS)
            go = gr.Button("检索", scale=1)
        hits = gr.Markdown()
        doc = gr.Dropdown([], label="浏览文件", elem_id="kb-doc")
        body = gr.Markdown()

        @guarded
        def do_search(text):
            text = printable(text) if isinstance(text, str) else ""
            if not text.strip():
                return "请输入关键词。"
            if len(text) > MAX_SEARCH_CHARS:
                return f"检索词太长了（{len(text)}字），请控制在{MAX_SEARCH_CHARS}字以内。"
            res = service.search(text, 5)
            if not res.results or not service.engine.covers(text):  # a relevance floor: no words of the text, no hits
                return "没有找到相关条款。"
            return "\n\n".join(f"**《{h.doc_title}》{h.section}**　[原文]({article_link(h.doc, h.section)})\n> {h.quote}"
                               for h in res.results)

        def docs():
            return gr.update(choices=[(d.title, d.id) for d in service.index.docs])

        @guarded
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


def mount_ui(app, service: AssistantService) -> None:
    """Both pages, each with a bounded queue (several events at once, a small session store) and no file access:
    the data directory and the process's own files are blocked, and the outer guard lets only the pages' own
    routes through (assistant/api/guards.py)."""
    settings = service.settings
    route_gradio_errors_to_the_log()
    app.add_middleware(ShareText, pages=("/ui/", "/staff/"))
    logins = StaffLogins(lambda: app.state.staff_token, settings.staff_ui_session_hours)
    app.state.staff_logins = logins
    app.include_router(staff_router(logins, settings.staff_ui_session_hours))
    blocked = [str(settings.data_dir.resolve()), "/proc", "/etc", "/dev", "/sys", "/root", "/home"]
    for path, demo in (("/ui", build_ui(service)), ("/staff", build_staff(service, logins))):
        demo.state_session_capacity = settings.ui_session_capacity
        demo.has_launched = True  # mounted, Gradio skips its own path check (blocked_paths, upload folder only) on
        # every file it is handed; the outer guard refuses files too, this keeps the check when a route slips past
        demo.queue(default_concurrency_limit=settings.ui_concurrency, max_size=settings.ui_queue_size)
        gr.mount_gradio_app(app, demo, path=path, css=CSS, footer_links=[], show_error=False, max_file_size="1kb",
                            allowed_paths=[], blocked_paths=blocked)
