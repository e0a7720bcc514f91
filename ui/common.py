"""What both pages share: the client key, a guard that keeps exception text off the page and in the redacting log,
and the rendering of an answer with its citations."""
from __future__ import annotations

import functools
import html
import inspect
import logging
import traceback
from urllib.parse import quote

import gradio as gr

log = logging.getLogger("opc.ui")
GENERIC_ERROR = "服务出了点问题，请稍后再试。"


def client_of(request: gr.Request | None) -> str:
    """The client key the API guard resolved for this request (assistant/api/clients.py), else the peer."""
    raw = getattr(request, "request", None) if request else None
    key = ((getattr(raw, "scope", None) or {}).get("state") or {}).get("opc_client")
    if key:
        return key
    return request.client.host if request and request.client else "unknown"


def guarded(fn):
    """A UI handler whose unexpected errors go to the process log (redacted like every record) and reach the page
    as one Chinese line: Gradio would otherwise print the traceback to stderr, past the log redaction."""
    if inspect.isgeneratorfunction(fn):
        @functools.wraps(fn)
        def gen(*args, **kwargs):
            try:
                yield from fn(*args, **kwargs)
            except gr.Error:
                raise
            except Exception:  # noqa: BLE001 - the page gets a line, the log gets the trace
                log.exception("web UI handler %s failed", fn.__name__)
                raise gr.Error(GENERIC_ERROR, print_exception=False) from None
        return gen

    @functools.wraps(fn)
    def plain(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except gr.Error:
            raise
        except Exception:  # noqa: BLE001
            log.exception("web UI handler %s failed", fn.__name__)
            raise gr.Error(GENERIC_ERROR, print_exception=False) from None
    return plain


class _LoggedTraceback:
    """Stands in for the `traceback` module inside Gradio's queue and routes: an error Gradio meets before or
    after our handlers (a malformed event, a value a component cannot read) goes to the redacting log instead of
    being printed to stderr with the user's input in it."""

    def print_exc(self, *args, **kwargs) -> None:
        log.error("web UI event failed", exc_info=True)

    def __getattr__(self, name: str):
        return getattr(traceback, name)


def route_gradio_errors_to_the_log() -> None:
    from gradio import queueing, route_utils, routes

    for module in (queueing, route_utils, routes):
        module.traceback = _LoggedTraceback()


SHARE = {  # Gradio's page template names itself in the link preview; a service's page names the service
    'content="Gradio"': 'content="盐城OPC创业助手"',
    "Click to try out the app!": "盐城人工智能OPC创业助手：政策问答、补贴计算、企业开办办事清单（政策为征求意见稿）",
    'content="@Gradio"': 'content=""', 'content="@teamGradio"': 'content=""',
    'content="https://gradio.app/"': 'content=""',
}


class ShareText:
    """Rewrites the share preview (og:/twitter: tags) of the mounted pages' HTML."""

    def __init__(self, app, pages: tuple[str, ...]):
        self.app, self.pages = app, pages

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope.get("method") != "GET" or scope.get("path") not in self.pages:
            return await self.app(scope, receive, send)
        start, chunks = {}, []

        async def capture(message):
            if message["type"] == "http.response.start":
                start.update(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body"):
                return
            body = b"".join(chunks)
            if b"og:title" in body:
                text = body.decode("utf-8", "replace")
                for old, new in SHARE.items():
                    text = text.replace(old, new)
                body = text.encode()
            headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
            await send({**start, "headers": headers + [(b"content-length", str(len(body)).encode())]})
            await send({"type": "http.response.body", "body": body})

        await self.app(scope, receive, capture)


def article_link(doc: str, section: str) -> str:
    return f"/policies/{doc}#{quote(section)}"


# Glyphs a counter PC's fonts may lack (they render as empty boxes); every one is followed by its words in the answer
# (✅ 已满足, ❔ 不确定, ❌ 待完善), so the page shows the words alone.
GLYPHS = {"✅ ": "", "❔ ": "", "❌ ": "", "👉 ": "→ ", "⚠️ ": "", "⚠️": "", "📄 ": ""}


def plain(text: str) -> str:
    for glyph, words in GLYPHS.items():
        text = text.replace(glyph, words)
    return text


def render_answer(text: str, citations: list[dict]) -> str:
    """The answer Markdown plus its citations, each article once, as expandable quotes with a link to the text."""
    text = plain(text)
    seen, cites = set(), []
    for c in citations:
        key = (c["doc"], c["section"])
        if key in seen:
            continue
        seen.add(key)
        cites.append(f"<details><summary>《{html.escape(c['doc_title'])}》{html.escape(c['section'])}</summary>"
                     f"<blockquote>{html.escape(c['quote'])}</blockquote>"
                     f"<a href='{article_link(c['doc'], c['section'])}' target='_blank'>查看原文</a></details>")
    if not cites:
        return text
    return f"{text}\n\n<div class='cite'><b>依据</b>{''.join(cites)}</div>"
