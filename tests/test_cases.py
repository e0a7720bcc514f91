"""One-window counter cases over the API: lifecycle with the token, masking, printable HTML and PDF."""
import io
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from pypdf import PdfReader

from tools.checklists import build_checklist, detect_entity


def test_checklist_selection_per_entity_type():
    single = build_checklist("llc_single")
    reg = next(s for s in single.steps if s.id == "registration")
    assert "公司章程" in reg.materials and any("一人有限责任公司" in t for t in reg.tips)
    multi = next(s for s in build_checklist("llc_multi").steps if s.id == "registration")
    assert "公司章程" in multi.materials and not any("一人有限责任公司" in t for t in multi.tips)
    indiv = build_checklist("individual")
    assert "公司章程" not in next(s for s in indiv.steps if s.id == "registration").materials
    assert "公司章程" not in next(s for s in indiv.steps if s.id == "bank").materials
    assert [s.id for s in single.steps] == ["registration", "seal", "bank", "tax", "social", "housing_fund"]
    living = next(b for b in single.next_benefits if b.benefit == "living_subsidy")
    assert any("社保" in e or "参保" in e for e in living.evidence)
    assert detect_entity("就我自己一个人开") == "llc_single" and detect_entity("个体户") == "individual"


def test_case_lifecycle(server, staff_headers):
    base = server.url + "/api/cases"
    r = httpx.post(base, json={"visitor_name": "王小明", "phone": "13812345678", "id_number": "320902199001011234",
                               "entity_type": "llc_single"}, headers=staff_headers)
    assert r.status_code == 201, r.text
    case = r.json()
    cid = case["id"]
    keys = [i["key"] for i in case["checklist"]]
    assert "registration:0" in keys and case["status"] == "open" and case["progress"]["done"] == 0

    r = httpx.patch(f"{base}/{cid}", json={"tick": {"registration:0": True, "registration:1": True},
                                           "note": "住所证明下次补交"}, headers=staff_headers)
    assert r.status_code == 200 and r.json()["progress"]["done"] == 2
    assert r.json()["notes"][0]["text"] == "住所证明下次补交"
    assert httpx.patch(f"{base}/{cid}", json={"tick": {"nope:9": True}}, headers=staff_headers).status_code == 422

    listed = httpx.get(base, params={"q": "王小明"}, headers=staff_headers).json()["cases"]
    row = next(c for c in listed if c["id"] == cid)
    assert row["phone"] == "138****5678" and row["id_number"] == "3209**********1234"

    page = httpx.get(f"{base}/{cid}/summary.html", headers=staff_headers)
    assert page.status_code == 200 and "公司章程" in page.text and "☑" in page.text and "王*" in page.text
    pdf = httpx.get(f"{base}/{cid}/summary.pdf", headers=staff_headers)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "企业开办办事清单" in text and "公司章程" in text and cid in text

    r = httpx.patch(f"{base}/{cid}", json={"status": "closed"}, headers=staff_headers)
    assert r.json()["status"] == "closed"
    assert httpx.delete(f"{base}/{cid}", headers=staff_headers).status_code == 204
    assert httpx.get(f"{base}/{cid}", headers=staff_headers).status_code == 404
    assert httpx.delete(f"{base}/{cid}", headers=staff_headers).status_code == 404


def test_cases_need_the_token_and_valid_input(server, staff_headers):
    base = server.url + "/api/cases"
    assert httpx.post(base, json={"visitor_name": "a", "entity_type": "llc_single"}).status_code == 401
    assert httpx.get(base + "/c-000000000000").status_code == 401
    bad = httpx.post(base, json={"visitor_name": "", "entity_type": "llc_single"}, headers=staff_headers)
    assert bad.status_code == 422
    bad = httpx.post(base, json={"visitor_name": "张三", "entity_type": "公司"}, headers=staff_headers)
    assert bad.status_code == 422
    bad = httpx.post(base, json={"visitor_name": "张三", "entity_type": "individual", "phone": "call me"},
                     headers=staff_headers)
    assert bad.status_code == 422


def test_phone_is_masked_in_the_server_log(server, staff_headers):
    httpx.post(server.url + "/api/cases", json={"visitor_name": "李四", "phone": "13900001111",
                                               "entity_type": "individual"}, headers=staff_headers)
    assert "13900001111" not in server.log.read_text(errors="ignore")


@pytest.fixture(scope="module")
def pg_server(service, tmp_path_factory):
    """The app on a real PostgreSQL (the SQLite case uses the suite's server)."""
    from tests.pg import Postgres
    from tests.serving import Server
    from tests.conftest import _DATA

    reason = Postgres.unavailable_reason()
    if reason:
        pytest.skip(reason)
    pg = Postgres().init().start()
    srv = Server(_DATA, db_url=pg.url).start()
    yield srv
    srv.stop()
    pg.destroy()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_concurrent_staff_keep_every_note_and_tick(backend, request, staff_headers):
    """Eight clients add notes and tick items on one case at once: every acknowledged change is stored."""
    srv = request.getfixturevalue("server" if backend == "sqlite" else "pg_server")
    base = srv.url + "/api/cases"
    case = httpx.post(base, json={"visitor_name": "并发", "entity_type": "llc_single"}, headers=staff_headers).json()
    keys = [i["key"] for i in case["checklist"]]

    def work(n):
        acked_notes, acked_ticks = [], []
        with httpx.Client(timeout=60, headers=staff_headers) as c:
            for i in range(12):
                note = f"客户{n}-备注{i}"
                if c.patch(f"{base}/{case['id']}", json={"note": note}).status_code == 200:
                    acked_notes.append(note)
            for key in keys[n::8]:
                if c.patch(f"{base}/{case['id']}", json={"tick": {key: True}}).status_code == 200:
                    acked_ticks.append(key)
        return acked_notes, acked_ticks

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(work, range(8)))
    notes = [x for r in results for x in r[0]]
    ticks = [x for r in results for x in r[1]]
    assert len(notes) == 96 and sorted(ticks) == sorted(keys)
    stored = httpx.get(f"{base}/{case['id']}", headers=staff_headers).json()
    assert sorted(n["text"] for n in stored["notes"]) == sorted(notes)
    assert sorted(i["key"] for i in stored["checklist"] if i["done"]) == sorted(keys)
