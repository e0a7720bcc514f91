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


def article_link(doc: str, section: str) -> str:
    return f"/policies/{doc}#{quote(section)}"


def render_answer(text: str, citations: list[dict]) -> str:
    """The answer Markdown plus its citations, each article once, as expandable quotes with a link to the text."""
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
