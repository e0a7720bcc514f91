"""`opc-assistant`: every command calls the same service layer as the API and the web UI."""
from __future__ import annotations

import json
import sys
import time
from typing import Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

app = typer.Typer(help="盐城人工智能OPC创业助手", no_args_is_help=True, add_completion=False)
eval_app = typer.Typer(help="评测：对话用例、检索", invoke_without_command=True)
app.add_typer(eval_app, name="eval")
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
def search(question: str, k: int = typer.Option(5, "--k", min=1, max=50), as_json: bool = typer.Option(False, "--json")) -> None:
    """检索政策原文，返回条款与原文引文。"""
    from assistant.service import get_service

    result = get_service().search(question, k)
    if as_json:
        _print_json(result.model_dump())
        return
    table = Table("文件", "条款", "得分", "引文")
    for h in result.results:
        table.add_row(h.doc, h.section, f"{h.score:.4f}", h.quote)
    console.print(table)


@eval_app.command("retrieval")
def eval_retrieval(naive: bool = typer.Option(True, "--naive/--no-naive", help="同时评测朴素基线"),
                   as_json: bool = typer.Option(False, "--json")) -> None:
    """检索评测：混合、BM25、向量、朴素基线的 hit@1 / hit@3 / MRR@10。"""
    from assistant.service import get_service
    from evals.retrieval import load_cases, run

    cases = load_cases()
    scores = run(get_service(), cases, with_naive=naive)
    if as_json:
        _print_json([s.model_dump() for s in scores])
        return
    table = Table("方法", "hit@1", "hit@3", "MRR@10", title=f"检索评测（{len(cases)} 题）")
    for s in scores:
        table.add_row(s.method, f"{s.hit_at_1:.3f}", f"{s.hit_at_3:.3f}", f"{s.mrr_at_10:.3f}")
    console.print(table)
    hybrid = scores[0]
    if hybrid.misses_at_3:
        console.print("混合检索前3未命中：" + "；".join(hybrid.misses_at_3))


def main() -> None:  # pragma: no cover
    app()
if __name__ == "__main__":  # pragma: no cover
    main()
