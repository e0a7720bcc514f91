"""The web UI in real Debian Chromium through Playwright (never a downloaded browser)."""
import os
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed (.ci/run installs it)")]
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, server):
    ctx = browser.new_context(viewport={"width": 1200, "height": 1000}, locale="zh-CN")
    pg = ctx.new_page()
    pg.set_default_timeout(30000)
    pg.goto(server.url + "/ui/", wait_until="load")
    pg.wait_for_selector("#chat-input textarea")
    yield pg
    ctx.close()


def test_chat_page_answers_with_a_citation(page, output_dir):
    page.locator("#chat-input textarea").fill("硕士毕业来盐城每月生活补贴多少")
    page.locator("#chat-send").click()
    bot = page.locator("#chatbot")
    bot.get_by_text("2,000元", exact=False).first.wait_for()
    bot.locator("details summary", has_text="第九条").first.wait_for()
    assert page.locator("#draft-banner").inner_text().count("征求意见稿") == 1
    page.locator("button.follow-up:visible").first.wait_for()
    page.screenshot(path=str(output_dir / "chat.png"), full_page=True)


def test_feedback_button_stores_not_helpful(page, server, staff_headers):
    import httpx

    before = len(httpx.get(server.url + "/api/admin/feedback", headers=staff_headers).json()["feedback"])
    page.locator("#chat-input textarea").fill("算力券怎么补")
    page.locator("#chat-send").click()
    page.locator("#chatbot").get_by_text("100%", exact=False).first.wait_for()
    page.locator("button.follow-up:visible").first.wait_for()  # the answer is complete
    page.locator("#chatbot").hover()
    # Gradio labels the thumbs in the browser's language: 踩/赞 under zh-CN, Dislike/Like otherwise
    page.locator("#chatbot button[aria-label='踩'], #chatbot button[aria-label='Dislike']").last.click()
    for _ in range(50):
        rows = httpx.get(server.url + "/api/admin/feedback", headers=staff_headers).json()["feedback"]
        if len(rows) > before:
            break
        page.wait_for_timeout(200)
    assert rows[-1]["helpful"] is False and rows[-1]["turn_id"]


def test_calculator_lists_matched_benefits(page, output_dir):
    page.get_by_role("tab", name="政策计算器").click()
    page.locator("#calc-age input").fill("28")
    page.locator("#calc-run").click()
    page.locator("#calc-table").get_by_text("青年人才生活补贴").first.wait_for()
    assert "合计" in page.locator("#calc-total").inner_text()
    page.screenshot(path=str(output_dir / "calculator.png"), full_page=True)


def test_phone_width_chat(browser, server, output_dir):
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    pg = ctx.new_page()
    pg.goto(server.url + "/ui/", wait_until="load")
    pg.locator("#chat-input textarea").fill("算力券第一年50万能拿多少")
    pg.locator("#chat-send").click()
    pg.locator("#chatbot").get_by_text("50万元", exact=False).first.wait_for(timeout=30000)
    width = pg.evaluate("document.documentElement.scrollWidth")
    assert width <= 420
    pg.screenshot(path=str(output_dir / "chat-phone.png"), full_page=True)
    ctx.close()


def test_staff_page_is_its_own_and_creates_a_case(browser, server, output_dir):
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    pg = ctx.new_page()
    pg.set_default_timeout(30000)
    pg.goto(server.url + "/staff/", wait_until="load")
    pg.get_by_text("请先登录", exact=False).first.wait_for()  # nothing before the login
    pg.goto(server.url + "/staff/login")
    pg.locator("#token").fill(os.environ["OPC_STAFF_TOKEN"])
    pg.locator("button[type=submit]").click()
    pg.wait_for_url("**/staff/")
    pg.locator("#case-name textarea, #case-name input").first.fill("赵六")
    pg.locator("#case-phone textarea, #case-phone input").first.fill("13812345678")
    pg.locator("#case-create").click()
    pg.get_by_text("已建档", exact=False).first.wait_for()
    pg.locator("#case-items-registration").get_by_text("公司章程", exact=False).first.wait_for()
    assert pg.locator("#case-name textarea, #case-name input").first.input_value() == ""  # the next visitor starts blank
    pg.locator("#case-delete").click()
    pg.locator("#case-delete-confirm").wait_for(state="visible")  # deleting asks first
    pg.screenshot(path=str(output_dir / "staff.png"), full_page=True)
    pg.goto(server.url + "/staff/logout")
    pg.wait_for_url("**/staff/login")
    pg.goto(server.url + "/staff/")
    pg.get_by_text("请先登录", exact=False).first.wait_for()
    assert "窗口办件" not in pg.goto(server.url + "/ui/").text()  # the citizens' page holds no staff screen
    ctx.close()


@pytest.mark.parametrize("path, ready", [("/ui/", "#chat-input textarea"), ("/staff/login", "#token"),
                                         ("/staff/", "#staff-status")])
def test_pages_have_no_serious_accessibility_violations(browser, server, path, ready):
    """axe-core (bundled in axe-playwright-python, no network) on each page: no serious or critical violation."""
    from axe_playwright_python.sync_playwright import Axe

    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    pg = ctx.new_page()
    pg.goto(server.url + path, wait_until="load")
    pg.wait_for_selector(ready)  # the Gradio app renders after load
    violations = Axe().run(pg).response["violations"]
    ctx.close()
    bad = [(v["id"], v["impact"], [n["html"][:80] for n in v["nodes"]]) for v in violations
           if v["impact"] in ("serious", "critical")]
    assert not bad, bad
