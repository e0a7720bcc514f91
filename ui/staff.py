"""The counter staff's screen, on its own path (/staff), apart from the citizens' page. A login is an HttpOnly
cookie holding a random id that expires: every staff handler reads it from the request, so neither the Gradio
session hash (which travels in URLs) nor a page left open grants anything once the login is gone."""
from __future__ import annotations

import asyncio
import hmac
import html
import logging
import secrets
import threading
import time
from types import SimpleNamespace
from urllib.parse import parse_qs

import gradio as gr
import pandas as pd
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from assistant.api.deps import print_link
from assistant.cases import STATUS_LABEL, public_view
from assistant.service import AssistantService, encodable
from tools.checklists import checklist_book
from ui.common import client_of, guarded

log = logging.getLogger("opc.ui")
COOKIE = "opc_staff"
NEEDS = ["registration", "seal", "bank", "tax", "social", "housing_fund"]


class StaffLogins:
    """Staff logins: random ids that expire. The token is always checked (constant time), so a correct token is
    never refused; wrong tries are counted per client and each one past the free ones waits longer before its
    answer (asynchronously, holding no worker), and every failure is logged. The per-client table is bounded."""

    FREE_TRIES, WINDOW_S, MAX_WAIT_S, MAX_CLIENTS = 3, 900, 30, 10000

    def __init__(self, token_getter, hours: float):
        self.token_getter, self.ttl = token_getter, hours * 3600
        self._sessions: dict[str, float] = {}
        self._failures: dict[str, list[float]] = {}  # per client, the longest-quiet client first
        self._lock = threading.Lock()

    def wait_s(self, client: str, now: float | None = None) -> float:
        """How long this client's next try waits before it is answered."""
        now = now or time.time()
        fails = [t for t in self._failures.get(client, []) if now - t < self.WINDOW_S]
        return 0.0 if len(fails) < self.FREE_TRIES else float(min(2 ** (len(fails) - self.FREE_TRIES), self.MAX_WAIT_S))

    def check(self, given: str | None, client: str) -> str | None:
        """A new login id for the right token, else None (the failure counted and logged)."""
        now = time.time()
        with self._lock:
            if isinstance(given, str) and encodable(given) and hmac.compare_digest(
                    given.encode(), self.token_getter().encode()):
                self._failures.pop(client, None)
                self._sessions = {k: v for k, v in self._sessions.items() if v > now}
                sid = secrets.token_urlsafe(24)
                self._sessions[sid] = now + self.ttl
                return sid
            fails = [t for t in self._failures.pop(client, []) if now - t < self.WINDOW_S] + [now]
            while len(self._failures) >= self.MAX_CLIENTS:
                self._failures.pop(next(iter(self._failures)))
            self._failures[client] = fails[-20:]
        log.warning("staff login failed from %s (%d failures in %d min)", client, len(fails), self.WINDOW_S // 60)
        return None

    def valid(self, sid: str | None) -> bool:
        return bool(sid) and self._sessions.get(sid, 0) > time.time()

    def logout(self, sid: str | None) -> None:
        with self._lock:
            self._sessions.pop(sid or "", None)


def login_page(message: str = "", status: int = 200) -> HTMLResponse:
    note = f"<p class='msg' role='alert'>{html.escape(message)}</p>" if message else ""
    return HTMLResponse(LOGIN_HTML.replace("{note}", note), status_code=status)


LOGIN_HTML = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1"><title>窗口工作人员登录 · 盐城OPC创业助手</title>
<style>body{font-family:system-ui,"Noto Sans CJK SC","WenQuanYi Zen Hei",sans-serif;background:#f4f6f9;color:#1f2937;margin:0}
main{max-width:360px;margin:12vh auto;background:#fff;border-radius:10px;padding:28px;box-shadow:0 2px 10px #0001}
h1{font-size:20px;margin:0 0 16px}label{display:block;margin-bottom:6px}input{width:100%;box-sizing:border-box;
padding:10px;font-size:16px;border:1px solid #9ca3af;border-radius:6px}button{margin-top:14px;width:100%;padding:10px;
font-size:16px;background:#b91c1c;color:#fff;border:0;border-radius:6px}.msg{color:#b91c1c}
@media (prefers-color-scheme: dark){body{background:#111827;color:#e5e7eb}main{background:#1f2937}
input{background:#111827;color:#e5e7eb}}</style></head><body><main><h1>窗口工作人员登录</h1>{note}
<form method="post" action="/staff/login"><label for="token">工作人员令牌</label>
<input id="token" name="token" type="password" autocomplete="current-password" required>
<button type="submit">登录</button></form></main></body></html>"""


def staff_router(logins: StaffLogins, hours: float) -> APIRouter:
    """GET/POST /staff/login and POST /staff/logout: the cookie is set and cleared here, never by the page."""
    router = APIRouter(include_in_schema=False)

    @router.get("/staff/login")
    async def show_login():
        return login_page()

    @router.post("/staff/login")
    async def do_login(request: Request):
        client = (request.scope.get("state") or {}).get("opc_client") or "unknown"
        await asyncio.sleep(logins.wait_s(client))
        given = parse_qs((await request.body()).decode("utf-8", "replace")).get("token", [""])[0].strip()
        sid = logins.check(given, client)
        if not sid:
            return login_page("令牌不正确。", 401)
        out = RedirectResponse("/staff/", status_code=303)
        out.set_cookie(COOKIE, sid, max_age=int(hours * 3600), httponly=True, samesite="strict", path="/",
                       secure=request.url.scheme == "https")
        return out

    @router.get("/staff/logout")  # the cookie is SameSite=Strict: another site's link cannot log anyone out
    @router.post("/staff/logout")
    async def do_logout(request: Request):
        logins.logout(request.cookies.get(COOKIE))
        out = RedirectResponse("/staff/login", status_code=303)
        out.delete_cookie(COOKIE, path="/")
        return out

    return router


def _logged_in(logins: StaffLogins, request: gr.Request | None) -> bool:
    cookies = getattr(getattr(request, "request", None), "cookies", None) or {}
    return logins.valid(cookies.get(COOKIE))


LOGIN_FIRST = "请先登录：[窗口工作人员登录](/staff/login)（登录 8 小时后需重新登录）。"


def build_staff(service: AssistantService, logins: StaffLogins) -> gr.Blocks:
    """The counter screen: new case, case list, the checklist grouped by step, note, status, print, delete."""
    names = {e.id: e.name for e in checklist_book().entity_types}
    steps = [(s.id, s.title) for s in checklist_book().steps]
    p = SimpleNamespace()
    with gr.Blocks(title="窗口办件 · 盐城OPC创业助手") as demo:
        with gr.Row(elem_id="staff-head"):
            gr.Markdown("# 窗口办件（工作人员）")
            gr.HTML("<a id='staff-logout' href='/staff/logout'>退出登录</a>")
        p.status = gr.Markdown(elem_id="staff-status")
        with gr.Group(visible=False) as p.panel:
            gr.Markdown("### 新建办件")
            with gr.Row():
                p.name = gr.Textbox(label="办事人姓名", elem_id="case-name")
                p.phone = gr.Textbox(label="电话", elem_id="case-phone")
                p.etype = gr.Dropdown([(v, k) for k, v in names.items()], label="主体类型", value="llc_single",
                                      elem_id="case-type")
            p.create = gr.Button("生成清单并建档", variant="primary", elem_id="case-create")
            gr.Markdown("### 办件")
            with gr.Row():
                p.search = gr.Textbox(label="搜索（姓名、编号、类型、证件号）", scale=4)
                p.refresh = gr.Button("刷新列表", scale=1)
            p.table = gr.Dataframe(headers=COLUMNS, interactive=False, elem_id="case-list")
            p.case_id = gr.Textbox(label="当前办件编号", elem_id="case-id")
            p.groups = [gr.CheckboxGroup(label=title, visible=False, elem_id=f"case-items-{sid}",
                                         elem_classes=["case-items"]) for sid, title in steps]
            with gr.Row():
                p.note = gr.Textbox(label="新增备注（保存后清空）", scale=3, elem_id="case-note")
                p.case_status = gr.Dropdown([(v, k) for k, v in STATUS_LABEL.items()], label="状态", scale=1)
            p.save = gr.Button("保存", elem_id="case-save")
            p.links = gr.Markdown(elem_id="case-links")
            with gr.Row():
                p.delete = gr.Button("删除办件", variant="stop", elem_id="case-delete")
                p.confirm = gr.Button("确认删除（不可恢复）", variant="stop", visible=False, elem_id="case-delete-confirm")
        p.loaded = gr.State(None)  # the ticks as loaded, so saving sends only what this page changed
        _wire(demo, StaffActions(service, logins, names, [sid for sid, _ in steps]), p)
    return demo


COLUMNS = ["编号", "办事人", "电话", "类型", "状态", "进度"]


class StaffActions:
    """The staff handlers; each checks the login cookie of its own request first."""

    def __init__(self, service: AssistantService, logins: StaffLogins, names: dict, step_ids: list[str]):
        self.service, self.logins, self.names, self.step_ids = service, logins, names, step_ids

    def ok(self, request) -> bool:
        return _logged_in(self.logins, request)

    def opened(self, request: gr.Request):
        if not self.ok(request):
            return gr.update(visible=False), LOGIN_FIRST
        return gr.update(visible=True), "已登录。"

    def listing(self, q, request: gr.Request):
        if not self.ok(request):
            return pd.DataFrame(columns=COLUMNS)
        rows = [[c["id"], c["visitor_name"], c["phone"] or "", self.names[c["entity_type"]], c["status_label"],
                 f"{c['progress']['done']}/{c['progress']['total']}"]
                for c in (public_view(x) for x in self.service.list_cases((q or "").strip()[:100] or None))]
        return pd.DataFrame(rows, columns=COLUMNS)

    def load(self, cid, request: gr.Request):
        """The case's checklist in one group per step (short labels), its status, print links and notes."""
        case = self.service.get_case(cid) if self.ok(request) and cid else None
        if not case:
            msg = ("没有找到这个办件。" if self.ok(request) else LOGIN_FIRST) if cid else ""
            return (*[gr.update(choices=[], value=[], visible=False)] * len(self.step_ids), gr.update(value=None),
                    msg, None)
        ups = []
        for sid in self.step_ids:
            items = [i for i in case["checklist"] if i["step"] == sid]
            ups.append(gr.update(choices=[(i["text"], i["key"]) for i in items], visible=bool(items),
                                 value=[i["key"] for i in items if i["done"]]))
        done = [i["key"] for i in case["checklist"] if i["done"]]
        notes = "\n".join(f"- {n['text']}" for n in case["notes"])
        token = self.logins.token_getter()
        return (*ups, gr.update(value=case["status"]),
                f"[打印清单（HTML）]({print_link(token, cid)})　[PDF]({print_link(token, cid, 'pdf')})"
                f"（链接 1 小时内有效）\n\n{notes}", done)

    def create(self, n, ph, t, request: gr.Request):
        """A new case; the form is cleared so the next visitor's details start blank."""
        if not self.ok(request):
            return LOGIN_FIRST, "", gr.skip(), gr.skip()
        if not (n or "").strip():
            return "请填写办事人姓名。", "", gr.skip(), gr.skip()
        try:
            case = self.service.create_case(n, t or "llc_single", NEEDS, (ph or "").strip() or None)
        except ValueError as exc:  # an invalid phone number and the like: the service's own Chinese message
            return f"输入有误：{getattr(exc, 'message', None) or '请检查姓名和电话。'}", "", gr.skip(), gr.skip()
        return f"已建档：{case['id']}（{len(case['checklist'])} 项材料）", case["id"], "", ""

    def save(self, request: gr.Request, cid, n, st, was, *ticked):
        case = self.service.get_case(cid) if self.ok(request) and cid else None
        if not case:
            return ("没有找到这个办件。" if self.ok(request) else LOGIN_FIRST), gr.skip()
        checked = {k for group in ticked for k in (group or [])}
        before = set(was) if was is not None else {i["key"] for i in case["checklist"] if i["done"]}
        tick = {k: True for k in checked - before} | {k: False for k in before - checked}  # a colleague's ticks stay
        self.service.update_case(cid, tick=tick or None, note=(n or "").strip() or None, status=st or None)
        return "已保存。", ""

    def delete(self, cid, request: gr.Request):
        if self.ok(request) and cid and self.service.delete_case(cid):
            return f"已删除 {cid}。", ""
        return ("没有找到这个办件。" if self.ok(request) else LOGIN_FIRST), cid


def _picked(evt: gr.SelectData) -> str:
    return evt.row_value[0] if evt.row_value else ""


def _wire(demo: gr.Blocks, a: StaffActions, p: SimpleNamespace) -> None:
    shown = [*p.groups, p.case_status, p.links, p.loaded]
    g = guarded
    demo.load(g(a.opened), None, [p.panel, p.status]).then(g(a.listing), p.search, p.table)
    p.create.click(g(a.create), [p.name, p.phone, p.etype], [p.status, p.case_id, p.name, p.phone]).then(
        g(a.load), p.case_id, shown).then(g(a.listing), p.search, p.table)
    p.refresh.click(g(a.listing), p.search, p.table)
    p.search.submit(g(a.listing), p.search, p.table)
    p.case_id.submit(g(a.load), p.case_id, shown)
    p.table.select(_picked, None, p.case_id).then(
        g(a.load), p.case_id, shown)
    p.save.click(g(a.save), [p.case_id, p.note, p.case_status, p.loaded, *p.groups], [p.status, p.note]).then(
        g(a.load), p.case_id, shown).then(g(a.listing), p.search, p.table)
    p.delete.click(lambda: (gr.update(visible=True), "再点一次“确认删除”才会删除，删除后不可恢复。"), None,
                   [p.confirm, p.status])
    p.confirm.click(g(a.delete), p.case_id, [p.status, p.case_id]).then(
        lambda: gr.update(visible=False), None, p.confirm).then(g(a.listing), p.search, p.table).then(
        g(a.load), p.case_id, shown)
