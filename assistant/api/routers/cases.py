"""Counter cases for one-window staff (token required): create, tick, note, status, list, print, delete."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Path, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response

from assistant.api.deps import get_service, require_staff, require_staff_or_link
from assistant.api.errors import error
from assistant.api.schemas import CaseCreate, CaseUpdate
from assistant.cases import public_view, summary_html, summary_pdf
from assistant.contract import ErrorResponse
from assistant.service import AssistantService

router = APIRouter(prefix="/api/cases", tags=["窗口办件（需令牌）"], dependencies=[Depends(require_staff)],
                   responses={401: {"model": ErrorResponse}, 404: {"model": ErrorResponse}})
# Printouts also open from a signed, expiring link (the staff page's 打印 links, which a browser follows without
# a Bearer header).
printouts = APIRouter(prefix="/api/cases", tags=["窗口办件（需令牌）"], dependencies=[Depends(require_staff_or_link)],
                      responses={401: {"model": ErrorResponse}, 404: {"model": ErrorResponse}})
CASE_ID = Path(..., pattern=r"^c-[0-9a-f]{12}$")


def _missing():
    return error(404, "unknown_case", "没有找到这个办件。")


@router.post("", status_code=201, summary="为来访者新建办件（生成清单）")
async def create(body: CaseCreate, service: AssistantService = Depends(get_service)) -> dict:
    case = await run_in_threadpool(service.create_case, body.visitor_name, body.entity_type, body.needs, body.phone,
                                   body.id_number)
    return public_view(case, masked=False)


@router.get("", summary="办件列表（电话、证件号已脱敏）")
async def list_cases(q: str | None = Query(None, max_length=50), status: str | None = Query(None, max_length=20),
                     service: AssistantService = Depends(get_service)) -> dict:
    cases = await run_in_threadpool(service.list_cases, q, status)
    return {"cases": [public_view(c) for c in cases]}


@router.get("/{case_id}", summary="办件详情")
async def get(case_id: str = CASE_ID, service: AssistantService = Depends(get_service)):
    case = await run_in_threadpool(service.get_case, case_id)
    return public_view(case, masked=False) if case else _missing()


@router.patch("/{case_id}", summary="勾选材料、添加备注、修改状态")
async def update(body: CaseUpdate, case_id: str = CASE_ID, service: AssistantService = Depends(get_service)):
    """Each change applies to the case as stored, in one transaction: concurrent edits all take effect."""
    case = await run_in_threadpool(service.update_case, case_id, body.tick, body.note, body.status)
    return public_view(case, masked=False) if case else _missing()


@router.delete("/{case_id}", status_code=204, summary="删除办件")
async def delete(case_id: str = CASE_ID, service: AssistantService = Depends(get_service)):
    ok = await run_in_threadpool(service.delete_case, case_id)
    return Response(status_code=204) if ok else _missing()


@printouts.get("/{case_id}/summary.html", response_class=HTMLResponse, summary="给办事人的可打印清单（HTML）")
async def html(case_id: str = CASE_ID, service: AssistantService = Depends(get_service)):
    case = await run_in_threadpool(service.get_case, case_id)
    return HTMLResponse(summary_html(case)) if case else _missing()


@printouts.get("/{case_id}/summary.pdf", summary="给办事人的可打印清单（PDF）")
async def pdf(case_id: str = CASE_ID, service: AssistantService = Depends(get_service)):
    case = await run_in_threadpool(service.get_case, case_id)
    if not case:
        return _missing()
    data = await run_in_threadpool(summary_pdf, case)
    return Response(data, media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{case_id}.pdf"'})
