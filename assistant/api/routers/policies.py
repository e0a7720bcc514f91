"""The policy documents as readable pages with an anchor per article (linked from the calculator and citations)."""
from __future__ import annotations

import html

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse

from assistant.api.deps import get_service
from assistant.api.errors import error
from assistant.service import AssistantService

router = APIRouter(tags=["政策原文"])


@router.get("/api/documents", summary="文件与条款目录")
async def documents(service: AssistantService = Depends(get_service)) -> dict:
    idx = service.index
    return {"documents": [{"doc": d.id, "title": d.title, "status": d.status,
                           "sections": [s.label for s in idx.sections if s.doc == d.id and s.kind == "text"]}
                          for d in idx.docs]}


@router.get("/policies/{doc}", response_class=HTMLResponse, summary="阅读文件原文（每条有锚点）")
async def page(doc: str, service: AssistantService = Depends(get_service)):
    idx = service.index
    d = next((x for x in idx.docs if x.id == doc), None)
    if d is None:
        return error(404, "unknown_document", "没有这个文件。")
    e = html.escape
    parts = []
    for s in idx.sections:
        if s.doc != doc:
            continue
        body = "<br>".join(e(line) for line in s.raw.split("\n"))
        tag = "h2" if s.kind in ("heading", "title") else "p"
        parts.append(f'<{tag} id="{e(s.label)}">{body}</{tag}>')
    return HTMLResponse(f"""<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{e(d.title)}</title>
<style>body{{font-family:sans-serif;max-width:820px;margin:20px auto;padding:0 14px;line-height:1.8}}
:target{{background:#fff6d5}}.draft{{background:#fdecea;padding:6px 10px;border-radius:6px}}</style></head><body>
<p class="draft">本文件为{e(d.status or "文件")}，以正式印发版本为准。</p>{''.join(parts)}</body></html>""")
