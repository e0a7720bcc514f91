"""Counter cases (一窗受理): a case per visitor with the generated checklist, ticks, notes, status, printouts."""
from __future__ import annotations

import html
import io
import re
from datetime import datetime

from tools.checklists import build_checklist, checklist_book

STATUS_LABEL = {"open": "受理中", "waiting": "待补材料", "done": "已办结", "closed": "已关闭"}


PHONE_FIELD = re.compile(r"[0-9+\- ]{5,20}")  # the case's callback number, as the API schema accepts it


def valid_phone(phone: str) -> bool:
    return isinstance(phone, str) and PHONE_FIELD.fullmatch(phone) is not None


def mask_phone(phone: str | None) -> str | None:
    if not phone:
        return phone
    digits = phone.replace(" ", "")
    return digits[:3] + "*" * max(len(digits) - 7, 0) + digits[-4:] if len(digits) >= 8 else "*" * len(digits)


def mask_id(number: str | None) -> str | None:
    if not number:
        return number
    return number[:4] + "*" * (len(number) - 8) + number[-4:]


def mask_name(name: str) -> str:
    return name[0] + "*" * (len(name) - 1) if len(name) > 1 else name


def case_items(entity_type: str, needs: list[str]) -> list[dict]:
    cl = build_checklist(entity_type)
    items = []
    for step in cl.steps:
        if step.id not in needs:
            continue
        things = step.materials or step.items or [f"办理：{step.title}"]
        for i, text in enumerate(things):
            items.append({"key": f"{step.id}:{i}", "step": step.id, "step_title": step.title, "text": text, "done": False})
    return items


def public_view(case: dict, masked: bool = True) -> dict:
    out = dict(case)
    if masked:
        out["phone"] = mask_phone(case.get("phone"))
        out["id_number"] = mask_id(case.get("id_number"))
    out["status_label"] = STATUS_LABEL.get(case["status"], case["status"])
    done = sum(1 for i in case["checklist"] if i["done"])
    out["progress"] = {"done": done, "total": len(case["checklist"])}
    return out


def entity_name(entity_type: str) -> str:
    return next(e.name for e in checklist_book().entity_types if e.id == entity_type)


def summary_html(case: dict) -> str:
    e = html.escape
    rows = []
    current = None
    for item in case["checklist"]:
        if item["step_title"] != current:
            current = item["step_title"]
            rows.append(f"<tr class='step'><th colspan='2'>{e(current)}</th></tr>")
        rows.append(f"<tr><td class='box'>{'☑' if item['done'] else '☐'}</td><td>{e(item['text'])}</td></tr>")
    notes = "".join(f"<li>{e(n['text'])}（{e(n['at'][:16])}）</li>" for n in case["notes"])
    book = checklist_book()
    return f"""<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>办事清单 {e(case['id'])}</title>
<style>body{{font-family:"Noto Sans CJK SC","Microsoft YaHei",sans-serif;max-width:760px;margin:24px auto;padding:0 12px}}
table{{width:100%;border-collapse:collapse}}td,th{{border-bottom:1px solid #ddd;padding:6px;text-align:left}}
tr.step th{{background:#f3f6fa}}td.box{{width:2em;font-size:1.2em}}.muted{{color:#666;font-size:.9em}}
@media print{{button{{display:none}}}}</style></head><body>
<h1>企业开办办事清单</h1>
<p>编号：{e(case['id'])}　办事人：{e(mask_name(case['visitor_name']))}　类型：{e(entity_name(case['entity_type']))}
　状态：{e(STATUS_LABEL.get(case['status'], case['status']))}</p>
<p>办理地点：{e(book.where['counter'])}</p>
<table>{''.join(rows)}</table>
{f'<h2>备注</h2><ul>{notes}</ul>' if notes else ''}
<p class="muted">{e(book.notice)}　打印时间：{datetime.now().strftime('%Y-%m-%d %H:%M')}</p>
<button onclick="window.print()">打印</button></body></html>"""


def summary_pdf(case: dict) -> bytes:
    """A printable PDF with Chinese text using reportlab's built-in CID font (no font download)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

    font = "STSong-Light"
    if font not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(font))
    h1 = ParagraphStyle("h1", fontName=font, fontSize=16, leading=22)
    h2 = ParagraphStyle("h2", fontName=font, fontSize=12, leading=18, spaceBefore=6)
    body = ParagraphStyle("body", fontName=font, fontSize=10.5, leading=16)
    e = html.escape
    book = checklist_book()
    story = [Paragraph("企业开办办事清单", h1), Spacer(1, 4 * mm),
             Paragraph(f"编号：{e(case['id'])}　办事人：{e(mask_name(case['visitor_name']))}　"
                       f"类型：{e(entity_name(case['entity_type']))}　状态：{e(STATUS_LABEL.get(case['status'], case['status']))}", body),
             Paragraph(f"办理地点：{e(book.where['counter'])}", body)]
    current = None
    for item in case["checklist"]:
        if item["step_title"] != current:
            current = item["step_title"]
            story.append(Paragraph(e(current), h2))
        story.append(Paragraph(f"{'[√]' if item['done'] else '[  ]'} {e(item['text'])}", body))
    if case["notes"]:
        story.append(Paragraph("备注", h2))
        story.extend(Paragraph(f"· {e(n['text'])}", body) for n in case["notes"])
    story += [Spacer(1, 6 * mm), Paragraph(e(book.notice), body)]
    buf = io.BytesIO()
    SimpleDocTemplate(buf, pagesize=A4, title=f"办事清单 {case['id']}", leftMargin=18 * mm, rightMargin=18 * mm).build(story)
    return buf.getvalue()
