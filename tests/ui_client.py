"""A minimal client of a mounted Gradio page over its queue routes, as the browser uses them (no gradio_client:
the page's other routes are closed). Used by the UI security tests and the UI-session benchmark."""
from __future__ import annotations

import json
import secrets

import httpx


class PageClient:
    def __init__(self, base: str, page: str = "/ui", client: httpx.Client | None = None):
        self.base, self.page = base.rstrip("/"), page
        self.http = client or httpx.Client(timeout=60)
        self.session_hash = secrets.token_hex(6)
        self._fns = None

    def fn_index(self, name: str) -> int:
        """The index of the page's event whose function is `name` (from the page's config)."""
        if self._fns is None:
            config = self.http.get(f"{self.base}{self.page}/config").json()
            self._fns = {d.get("api_name"): i for i, d in enumerate(config["dependencies"])}
        return self._fns[name]

    def join(self, name: str, data: list, **extra) -> httpx.Response:
        body = {"data": data, "fn_index": self.fn_index(name), "session_hash": self.session_hash,
                "event_data": None, "trigger_id": None, **extra}
        return self.http.post(f"{self.base}{self.page}/gradio_api/queue/join", json=body)

    def call(self, name: str, data: list) -> list:
        """Run one event and return its final output data (raises on an error event)."""
        r = self.join(name, data)
        r.raise_for_status()
        with self.http.stream("GET", f"{self.base}{self.page}/gradio_api/queue/data",
                              params={"session_hash": self.session_hash}) as stream:
            for line in stream.iter_lines():
                if not line.startswith("data:"):
                    continue
                msg = json.loads(line[5:])
                if msg.get("msg") == "process_completed":
                    if not msg.get("success", True):
                        raise RuntimeError(msg.get("output", {}).get("error") or "event failed")
                    return msg["output"]["data"]
        raise RuntimeError("stream ended without a result")
