"""`opc-assistant`: every command calls the same service layer as the API and the web UI."""
from __future__ import annotations

import json
import os
import sys
import time
from typing import Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

app = typer.Typer(help="盐城人工智能OPC创业助手", no_args_is_help=True, add_completion=False)
eval_app = typer.Typer(help="评测：对话用例（默认）与检索（eval retrieval）", invoke_without_command=True)
app.add_typer(eval_app, name="eval")
policy_app = typer.Typer(help="政策文本：对比修订稿与当前使用的文本（policy diff）", no_args_is_help=True)
app.add_typer(policy_app, name="policy")
console = Console()


def _print_json(obj) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, indent=1) + "\n")


@app.command()
def index(rebuild: bool = typer.Option(False, "--rebuild", help="强制重建")) -> None:
    """建立（或复用）检索索引：BM25 + 向量。"""
    from assistant import index as ix

    if not rebuild and ix.is_current():
        t0 = time.perf_counter()
        loaded = ix.load()
        console.print(f"索引已是最新（{loaded.fingerprint}，{len(loaded.chunks)} 个片段），"
                      f"加载用时 {time.perf_counter() - t0:.2f} 秒")
        return
    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                  TimeElapsedColumn(), console=console) as bar:
        tasks: dict[str, int] = {}

        def step(name: str, done: int, total: int) -> None:
            if name not in tasks:
                tasks[name] = bar.add_task({"bm25": "BM25 关键词索引", "dense": "向量索引"}.get(name, name), total=total)
            bar.update(tasks[name], completed=done)

        built = ix.load(rebuild=True, progress=step)
    console.print(f"索引已建立（{built.fingerprint}，{len(built.chunks)} 个片段），用时 {built.build_seconds:.2f} 秒")


@app.command()
def search(question: str, k: int = typer.Option(5, "--k", min=1, max=50), as_json: bool = typer.Option(False, "--json"),
           server: Optional[str] = typer.Option(None, "--server", help="已在运行的服务地址（不必每次加载索引）")) -> None:
    """检索政策原文，返回条款与原文引文。"""
    from assistant.contract import SearchResponse
    from assistant.service import get_service

    result = (SearchResponse.model_validate(_server_call("GET", server, "/api/search", params={"q": question, "k": k}))
              if server else get_service().search(question, k))
    if as_json:
        _print_json(result.model_dump())
        return
    table = Table("文件", "条款", "得分", "引文")
    for h in result.results:
        table.add_row(h.doc, h.section, f"{h.score:.4f}", h.quote)
    console.print(table)


@eval_app.callback()
def eval_cases(ctx: typer.Context,
               url: Optional[str] = typer.Option(None, "--url", help="评测运行中的服务，例如 http://127.0.0.1:8000"),
               report: str = typer.Option("evals/out", "--report", help="结果与报告目录"),
               split: str = typer.Option("all", "--split", help="dev、test 或 all"),
               gate: bool = typer.Option(True, "--gate/--no-gate", help="错误金额或低于 evals/baseline.json 则失败"),
               update_baseline: bool = typer.Option(False, "--update-baseline", help="用本次结果更新基线"),
               category: Optional[str] = typer.Option(None, "--category", help="只跑某一类"),
               retrieval: bool = typer.Option(True, "--retrieval/--no-retrieval", help="同时跑检索评测（四种方法）"),
               judge: bool = typer.Option(False, "--judge", help="配置了大模型时，附加大模型评审分（仅报告）")) -> None:
    """运行 dev 与 test 两个用例集：并列报告、差距、错误金额，并按基线把关。"""
    if ctx.invoked_subcommand is not None:
        return
    from pathlib import Path

    from evals import report as rep
    from evals import runner

    splits = runner.SPLITS if split == "all" else (split,)
    ask, judge_model = _eval_target(url, judge)
    runs = {s: _run_split(runner, s, category, ask, judge_model) for s in splits}
    baseline = runner.load_baseline()
    problems = [] if not gate or update_baseline or category else [
        f"[{s}] {p}" for s in splits for p in runner.gate(runs[s][1], baseline.get(s, {}))]
    scores = _retrieval_scores(splits) if retrieval and not url and not category else {}
    rep.write_report(runs, Path(report), problems, scores)
    _print_eval(rep, runs, scores)
    for s in splits:
        flips = runner.regressions(runs[s][0], baseline.get(s, {}))
        if flips:
            console.print(f"[yellow][{s}] 基线中通过、本次未通过：{'、'.join(flips)}[/yellow]")
    console.print(f"报告：{Path(report) / 'report.html'}")
    if update_baseline:
        runner.save_baseline(runs)
        console.print(f"已更新基线 {runner.BASELINE}")
    if problems:
        for p in problems:
            console.print(f"[red]{p}[/red]")
        raise typer.Exit(1)


def _eval_target(url: Optional[str], judge: bool):
    from evals import runner

    judge_model = None
    if judge:
        from assistant.config import get_settings
        from evals.judge import Judge

        judge_model = Judge(get_settings()) if get_settings().llm_enabled else None
        if judge_model is None:
            console.print("[yellow]未配置大模型（OPENAI_API_KEY），跳过评审分[/yellow]")
    if url:
        return runner.over_http(url), judge_model
    from assistant.service import get_service

    return runner.in_process(get_service()), judge_model


def _run_split(runner, split: str, category: Optional[str], ask, judge_model):
    cases = [c for c in runner.load_cases(split) if not category or c.category == category]
    with Progress(TextColumn(f"评测 {split}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                  TimeElapsedColumn(), console=console) as bar:
        task = bar.add_task(split, total=len(cases))
        return runner.run(ask, cases, progress=lambda i, n: bar.update(task, completed=i), judge=judge_model)


def _retrieval_scores(splits) -> dict:
    from assistant.service import get_service
    from evals.retrieval import load_cases, run

    return {s: [m.model_dump() for m in run(get_service(), cases)] for s in splits if (cases := load_cases(s))}


def _print_eval(rep, runs, scores) -> None:
    splits = list(runs)
    table = Table("指标", *splits, "差距", title="评测：" + "；".join(
        f"{s} {runs[s][1]['passed']}/{runs[s][1]['cases']}" for s in splits))
    for label, vals, gap in rep.metric_rows(runs):
        table.add_row(label, *[str(v) for v in vals], gap)
    console.print(table)
    cats = Table("类别", *splits)
    for cat, cells in rep.class_rows(runs):
        cats.add_row(cat, *cells)
    console.print(cats)
    if scores:
        rt = Table("检索方法", *[f"{s}：hit@1 / hit@3 / MRR" for s in scores])
        for method, cells in rep.retrieval_rows(scores):
            rt.add_row(method, *cells)
        console.print(rt)


@eval_app.command("retrieval")
def eval_retrieval(naive: bool = typer.Option(True, "--naive/--no-naive", help="同时评测朴素基线"),
                   split: str = typer.Option("all", "--split", help="dev、test 或 all"),
                   as_json: bool = typer.Option(False, "--json")) -> None:
    """检索评测：混合、BM25、向量、朴素基线的 hit@1 / hit@3 / MRR@10，dev 与 test 分开。"""
    from assistant.service import get_service
    from evals.retrieval import SPLITS, load_cases, run

    out = {}
    for s in (SPLITS if split == "all" else (split,)):
        cases = load_cases(s)
        if cases:
            out[s] = run(get_service(), cases, with_naive=naive)
    if as_json:
        _print_json({s: [m.model_dump() for m in scores] for s, scores in out.items()})
        return
    for s, scores in out.items():
        table = Table("方法", "hit@1", "hit@3", "MRR@10", title=f"检索评测 {s}（{len(load_cases(s))} 题）")
        for m in scores:
            table.add_row(m.method, f"{m.hit_at_1:.3f}", f"{m.hit_at_3:.3f}", f"{m.mrr_at_10:.3f}")
        console.print(table)
        if scores[0].misses_at_3:
            console.print(f"{s} 混合检索前3未命中：" + "；".join(scores[0].misses_at_3))


@app.command()
def serve(host: str = typer.Option("127.0.0.1", "--host"), port: int = typer.Option(8000, "--port"),
          workers: int = typer.Option(1, "--workers", min=1, max=16)) -> None:
    """启动 API 与网页（/ui/），/healthz 就绪后返回 200。"""
    import uvicorn

    from assistant import index as ix
    from assistant.api.deps import staff_token
    from assistant.config import ConfigError, get_settings

    os.environ["OPC_HOST"] = host  # the app answers to loopback Host names only when bound to loopback
    get_settings.cache_clear()
    settings = get_settings()
    if not ix.is_current(settings):
        console.print("正在建立索引……")
        built = ix.load(settings)
        console.print(f"索引已建立（{len(built.chunks)} 个片段，{built.build_seconds:.1f} 秒）")
    try:
        token, generated = staff_token(settings)
    except ConfigError as exc:  # a short token, a readable token file…: one line, not a traceback
        console.print(f"[red]无法启动：{exc}[/red]")
        raise typer.Exit(2) from None
    console.print(f"[bold green]盐城OPC创业助手[/bold green]  网页：http://{host}:{port}/ui/  "
                  f"工作人员：http://{host}:{port}/staff/  API 文档：http://{host}:{port}/docs")
    if generated:
        console.print(f"已生成工作人员令牌（保存在 {settings.data_dir / 'staff_token'}）：[bold]{token}[/bold]")
    else:
        console.print("工作人员令牌：" + ("来自 OPC_STAFF_TOKEN" if settings.staff_token else
                                   "来自 OPC_STAFF_TOKEN_FILE" if settings.staff_token_file else
                                   f"见 {settings.data_dir / 'staff_token'}"))
    if settings.llm_enabled:
        console.print(f"大模型：{settings.openai_base_url or 'OpenAI'} / {settings.llm_model}（规则引擎兜底）")
    else:
        console.print("大模型：未配置，由规则引擎作答（无需联网）")
    # X-Forwarded-For is handled by the app, from OPC_TRUSTED_PROXIES only (uvicorn would believe any loopback peer)
    uvicorn.run("assistant.api.server:app", host=host, port=port, workers=workers, log_level="info",
                factory=False, timeout_graceful_shutdown=5, proxy_headers=False)


@app.command()
def mcp() -> None:
    """通过 stdio 提供 MCP 服务（search_policy 与全部计算工具）。"""
    import logging

    from assistant.mcp_server import run_stdio
    from assistant.service import get_service

    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)  # stdout belongs to the protocol
    svc = get_service()
    svc.searcher
    run_stdio(svc)


def _print_answer(ans) -> None:
    from rich.markdown import Markdown

    console.print(Markdown(ans.answer))
    if ans.citations:
        console.print("[dim]引用：" + "；".join(f"《{c.doc_title}》{c.section}" for c in ans.citations) + "[/dim]")
    if ans.follow_up:
        console.print("[cyan]接下来可以问：" + " | ".join(ans.follow_up) + "[/cyan]")
    console.print(f"[dim]会话 {ans.session_id} · {ans.intent} · {ans.engine} · {ans.latency_ms:.0f} ms[/dim]")


@app.command()
def ask(question: str, session: Optional[str] = typer.Option(None, "--session", help="会话ID，多次调用可接着聊"),
        token: Optional[str] = typer.Option(None, "--token", help="与 --server 同用：会话密钥（第一次回答时给出）"),
        server: Optional[str] = typer.Option(None, "--server", help="已在运行的服务地址，如 http://127.0.0.1:8000（不必每次加载索引）"),
        as_json: bool = typer.Option(False, "--json")) -> None:
    """问一个问题；用 --session 接着上一轮对话；用 --server 交给已在运行的服务回答。"""
    if server:
        return _ask_server(server, question, session, token, as_json)
    from assistant.service import InvalidInput, get_service

    try:
        ans = get_service().chat(question, session)
    except InvalidInput as exc:
        if as_json:
            _print_json({"error": {"code": exc.code, "message": exc.message}})
        else:
            console.print(f"[red]{exc.message}[/red]")
        raise typer.Exit(2)
    if as_json:
        _print_json(ans.model_dump(mode="json"))
    else:
        _print_answer(ans)


def _ask_server(server: str, question: str, session: str | None, token: str | None, as_json: bool) -> None:
    """The same question through a running server's API (one HTTP call instead of loading the index)."""
    from assistant.contract import Answer

    body = _server_call("POST", server, "/api/chat",
                        json={"message": question, "session_id": session, "session_token": token})
    if as_json:
        return _print_json(body)
    _print_answer(Answer.model_validate({k: v for k, v in body.items() if k in Answer.model_fields}))
    if body.get("session_token"):
        console.print(f"[dim]接着问：--server {server} --session {body['session_id']} --token {body['session_token']}[/dim]")


def _server_call(method: str, server: str, path: str, **kw) -> dict:
    """One call to a running server; its error (or an unreachable server) is one Chinese line and exit 2."""
    import httpx

    try:
        r = httpx.request(method, server.rstrip("/") + path, timeout=60, **kw)
    except httpx.HTTPError as exc:
        typer.echo(f"连不上服务 {server}：{exc.__class__.__name__}", err=True)
        raise typer.Exit(2)
    body = r.json() if r.headers.get("content-type", "").startswith("application/json") else {}
    if r.status_code >= 400:
        typer.echo((body.get("error") or {}).get("message") or f"服务返回 {r.status_code}", err=True)
        raise typer.Exit(2)
    return body


@app.command()
def chat(session: Optional[str] = typer.Option(None, "--session")) -> None:
    """交互式对话（输入 exit 退出）。"""
    from assistant.service import InvalidInput, get_service

    svc = get_service()
    console.print("盐城OPC创业助手（输入 exit 退出）")
    while True:
        try:
            q = console.input("[bold]你：[/bold]")
        except (EOFError, KeyboardInterrupt):
            break
        if q.strip().lower() in {"exit", "quit", "退出"}:
            break
        if not q.strip():
            continue
        try:
            ans = svc.chat(q, session)
        except InvalidInput as exc:
            console.print(f"[red]{exc.message}[/red]")
            continue
        session = ans.session_id
        _print_answer(ans)


def _field_kind(field_schema: dict) -> str | None:
    kind = field_schema.get("type")
    return kind or next((a.get("type") for a in field_schema.get("anyOf", []) if a.get("type") != "null"), None)


def _cli_args(pairs: list[str], props: dict) -> dict:
    """key=value pairs from the shell. Values stay text: the tool inputs read amounts (1,500,000元 is one amount;
    lists split on ; 、 or spaces), yes/no words and whole numbers with the shared vocabulary (tools.values).
    A repeated key adds an item to a list."""
    args: dict = {}
    for item in pairs:
        key, sep, value = item.partition("=")
        if not sep or key not in props:
            raise _CalcInputError(f"参数应为 key=value，可用：{', '.join(props)}（收到“{item}”）")
        if _field_kind(props[key]) == "array":
            args.setdefault(key, []).append(value)
        elif key in args:
            raise _CalcInputError(f"参数 {key} 只能给一次（收到“{args[key]}”和“{value}”）")
        else:
            args[key] = value
    return args


class _CalcInputError(ValueError):
    pass


def _one_line(msg: str) -> str:
    """Input echoed in an error may hold newlines or control characters: show them escaped, keep one line."""
    import re

    return re.sub(r"[\x00-\x1f\x7f\x85\u2028\u2029]", lambda m: repr(m.group())[1:-1], msg)


_EXPECTED = {"int_parsing": "整数", "int_from_float": "整数", "float_parsing": "数字", "bool_parsing": "是 或 否",
             "missing": "必填", "list_type": "列表", "string_type": "文字", "finite_number": "有限的数字"}


def _validation_line(exc, props: dict) -> str:
    """One Chinese line naming the field and the form it expects."""
    err = exc.errors()[0]
    field = str(err["loc"][0]) if err["loc"] else ""
    desc = props.get(field, {}).get("description", "")
    kind, ctx = err["type"], err.get("ctx") or {}
    if kind == "value_error":
        what = str(ctx.get("error", err["msg"])).removeprefix("Value error, ")
    elif kind == "literal_error":
        what = f"应为以下之一：{ctx.get('expected', '')}".replace("'", "").replace(" or ", ", ")
    elif kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        rel = {"greater_than": "大于", "greater_than_equal": "不小于", "less_than": "小于", "less_than_equal": "不大于"}[kind]
        limit = next(iter(ctx.values()), "")
        what = f"应{rel}{limit}"
    elif kind in ("too_long", "too_short"):
        what = f"应有{ctx.get('min_length', 1)}–{ctx.get('max_length', '')}项".rstrip("–")
    elif kind in ("string_too_short", "string_too_long"):
        what = "不能为空" if kind == "string_too_short" else f"最多{ctx.get('max_length')}个字"
    elif kind == "missing":
        what = "缺少这个必填参数"
    elif kind.startswith("date"):
        what = "应为日期（YYYY-MM-DD），如 2027-01-01"
    else:
        what = f"应为{_EXPECTED.get(kind, '正确的格式')}"
    got = err.get("input")
    shown = isinstance(got, (str, int, float)) and kind not in ("missing", "value_error")
    got = f"（收到“{got}”）" if shown else ""
    return f"输入有误：参数 {field}{f'（{desc}）' if desc else ''}：{what}{got}"


def _head(result: dict) -> str:
    """The headline: never a positive amount for an ineligible result; a cap is written as a cap."""
    from tools.money import yuan

    if result.get("eligible") is False:
        return "不符合条件"
    if result["tool"] == "check_guaranteed_loan":
        return f"贷款{yuan(result['amount'])}（借款，需要归还，不是补贴）"
    if result["amount"] is not None:
        return ("最高" if result["kind"] == "up_to" else "") + yuan(result["amount"])
    if result.get("max_amount"):
        return f"最高{yuan(result['max_amount'])}（上限，不是承诺）"
    return "无法给出金额"


def _print_match(result: dict) -> None:
    from tools.money import yuan

    table = Table("政策", "条款", "判断", "估算/上限", "计入合计")
    for it in result["items"]:
        if it["estimate"] is not None:
            est = ("最高" if it["kind"] == "up_to" else "") + yuan(it["estimate"])
            est += f"（{it['amount_note']}）" if it.get("amount_note") else ""
        else:
            est = f"最高{yuan(it['max_amount'])}" if it["max_amount"] else (it.get("amount_note") or "按审核确定")
        table.add_row(it["title"], it["section"], it["verdict"], est, "是" if it.get("in_total") else "否")
    console.print(table)
    console.print(f"估算合计：{yuan(result['estimated_total'])}" + (f"（{result['total_note']}）" if result.get("total_note") else ""),
                  soft_wrap=True)
    for line in result.get("no_double", []):
        console.print(f"  就高不重复：{line}", soft_wrap=True)
    if result.get("scope_note"):
        console.print(f"  适用范围：{result['scope_note']}", soft_wrap=True)
    for note in result.get("caveats", []):
        console.print(f"  [dim]{note}[/dim]")


def _print_result(result: dict) -> None:
    from tools.result import Cap

    console.print(f"[bold]{result['title']}[/bold]（{result['article']['section']}）：{_head(result)}", soft_wrap=True)
    for step in result["breakdown"]:
        console.print(f"  · {step['label']}：{step['formula']}", soft_wrap=True)
    for cap in result["caps"]:
        console.print(f"  · 上限 {cap['name']}：{Cap(**cap).display()}" + ("（已触及）" if cap["binding"] else ""))
    for c in result["conditions"]:
        console.print(f"  · [{c['status']}] {c['condition']} {c['note']}", soft_wrap=True)
    if result.get("reason"):
        console.print(f"  说明：{result['reason']}", soft_wrap=True)
    for note in result["caveats"]:
        console.print(f"  [dim]{note}[/dim]", soft_wrap=True)


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def calc(ctx: typer.Context, tool: str = typer.Argument(..., help="工具名，见 `opc-assistant calc list`"),
         as_json: bool = typer.Option(False, "--json")) -> None:
    """运行任一计算/判断工具，例如：calc compute_voucher_subsidy "annual_spend=50万;80万;120万"
    （一个金额可写 1,500,000元 或 150万；几个金额用 ; 、 或空格分隔（用 ; 时整个参数加引号），或重复写同一个参数）"""
    from pydantic import ValidationError

    from tools.registry import TOOLS

    if tool == "list" or tool not in TOOLS:
        _print_tools(TOOLS)
        if tool != "list":
            typer.echo(f"未知工具：{tool}", err=True)
            raise typer.Exit(2)
        return
    spec = TOOLS[tool]
    props = spec.json_schema().get("properties", {})
    try:
        args = _cli_args(ctx.args, props)
        result = spec.run(args)
    except _CalcInputError as exc:
        typer.echo(_one_line(f"输入有误：{exc}"), err=True)
        raise typer.Exit(2)
    except ValidationError as exc:
        typer.echo(_one_line(_validation_line(exc, props)), err=True)
        raise typer.Exit(2)
    if as_json or "breakdown" not in result and "items" not in result:  # get_checklist: a structure, not an amount
        _print_json({"name": tool, "arguments": args, "result": result})
    elif "items" in result:  # match_policies
        _print_match(result)
    else:
        _print_result(result)


def _print_tools(tools: dict) -> None:
    """Every tool with its whole description and its parameters (* marks a required one)."""
    table = Table("工具", "说明", "参数（*必填）", show_lines=True)
    for column in table.columns:
        column.overflow = "fold"  # whole descriptions and names, wrapped, never cut
    for spec in tools.values():
        schema = spec.json_schema()
        required = set(schema.get("required", []))
        params = "\n".join(f"{'*' if n in required else ''}{n}" for n in schema.get("properties", {}))
        table.add_row(spec.name, spec.description, params)
    console.print(table)


@app.command()
def purge(days: Optional[int] = typer.Option(None, "--days", min=1,
                                              help="保留天数；默认取 OPC_RETENTION_DAYS（180）"),
          as_json: bool = typer.Option(False, "--json")) -> None:
    """按保留期限删除旧会话、对话记录、评价和已办结/关闭的办件（可放进每日定时任务）。"""
    from assistant.config import get_settings
    from assistant.store import Store, StoreUnavailable

    settings = get_settings()
    keep = days or settings.retention_days
    try:
        deleted = Store(settings.db_url, settings.db_busy_timeout_s).purge(keep)
    except StoreUnavailable as exc:
        console.print(f"[red]数据库不可用：{exc}[/red]")
        raise typer.Exit(3)
    if as_json:
        _print_json({"retention_days": keep, "deleted": deleted})
    else:
        console.print(f"已删除 {keep} 天以前的记录：" + "，".join(f"{k} {v} 条" for k, v in deleted.items()))


@app.command()
def migrate() -> None:
    """Apply pending database migrations once (before starting several processes on one PostgreSQL)."""
    from assistant.config import get_settings
    from assistant.migrations import migrate as apply
    from assistant.store import Store

    settings = get_settings()
    with Store(settings.db_url, settings.db_busy_timeout_s).engine.begin() as db:
        applied = apply(db)
    console.print("已应用迁移：" + "，".join(applied) if applied else "数据库已是最新，无需迁移。")


@policy_app.command("diff")
def policy_diff(file: str = typer.Argument(..., help="修订稿：与原稿相同的单文件格式（行动方案 + 附件1 + 附件2）"),
                as_json: bool = typer.Option(False, "--json", help="输出机器可读的 JSON")) -> None:
    """逐条对比修订稿与当前使用的政策文本：改动、新增、删除、编号变动的条款，受影响的政策项、计算工具、办事清单和评测用例。"""
    from pathlib import Path

    from rich.text import Text

    from assistant import policy_diff as pd

    try:
        report = pd.diff_file(Path(file))
    except pd.NotPolicyText as exc:
        typer.echo(f"不是可对比的政策文本：{exc}。", err=True)
        raise typer.Exit(2)
    if as_json:
        _print_json(report.model_dump(mode="json"))
        return
    for text, style in pd.render(report):
        console.print(Text(text, style=style), soft_wrap=True)


def main() -> None:  # pragma: no cover
    app()
if __name__ == "__main__":  # pragma: no cover
    main()
