"""Expensive work (an answer) run in a worker thread with two bounds a rate limit cannot give: how many answers one
client may have running at once (a client within its rate still cannot occupy every worker), and cancellation when
the client goes away (the engine stops at its next budget check instead of finishing for nobody)."""
from __future__ import annotations

import asyncio
import threading
from collections import Counter
from typing import Callable, TypeVar

from fastapi import Request
from fastapi.concurrency import run_in_threadpool

from assistant.budget import budget

T = TypeVar("T")
POLL_S = 0.2  # how often a running answer looks for its client's disconnect


class TooManyInFlight(Exception):
    """The client already has its allowance of answers running."""


class InFlight:
    """Per client, at most `per_client` answers run at once; the others wait their turn (up to `wait_s`, then
    429). Waiting, not refusing: a service hall's PCs behind one address still all get answers, one client's
    burst just cannot take every worker from the others."""

    def __init__(self, per_client: int, wait_s: float = 30.0):
        self.per_client, self.wait_s = per_client, wait_s
        self._slots: dict[str, asyncio.Semaphore] = {}
        self._users: Counter[str] = Counter()

    async def _enter(self, client: str) -> None:
        slot = self._slots.setdefault(client, asyncio.Semaphore(self.per_client))
        self._users[client] += 1
        try:
            await asyncio.wait_for(slot.acquire(), self.wait_s)
        except asyncio.TimeoutError:
            self._forget(client)
            raise TooManyInFlight() from None

    def _leave(self, client: str) -> None:
        self._slots[client].release()
        self._forget(client)

    def _forget(self, client: str) -> None:
        """Drop a client's semaphore once nobody holds or waits on it (bounded memory)."""
        self._users[client] -= 1
        if self._users[client] <= 0:
            del self._users[client]
            self._slots.pop(client, None)

    async def run(self, request: Request, deadline_s: float, fn: Callable[..., T], *args) -> T:
        """fn(*args) in a worker thread under the answer's deadline, cancelled if the client disconnects."""
        client = ((request.scope.get("state") or {}).get("opc_client")
                  or (request.client.host if request.client else "unknown"))
        await self._enter(client)
        cancelled = threading.Event()

        def bounded():
            with budget(deadline_s, cancelled):
                return fn(*args)

        watcher = asyncio.create_task(_watch(request, cancelled))
        try:
            return await run_in_threadpool(bounded)
        finally:
            watcher.cancel()
            self._leave(client)


async def _watch(request: Request, cancelled: threading.Event) -> None:
    """Set `cancelled` once the client has gone away."""
    while not cancelled.is_set():
        if await request.is_disconnected():
            cancelled.set()
            return
        await asyncio.sleep(POLL_S)
