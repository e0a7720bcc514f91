"""Bounded work per answer. A message is read in one thread; nothing can interrupt a Python thread from outside, so
the reading stages call `check()` in their loops: past the answer's deadline, or once the client has gone away, the
answer stops with `OverBudget` and the service replies politely instead of holding a core for seconds."""
from __future__ import annotations

import contextlib
import threading
import time
from contextvars import ContextVar
from dataclasses import dataclass


class OverBudget(RuntimeError):
    """The answer ran past its deadline or its client went away."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason  # "deadline" | "cancelled"


@dataclass(frozen=True)
class _Budget:
    deadline: float
    cancelled: threading.Event | None


_current: ContextVar[_Budget | None] = ContextVar("opc_budget", default=None)


@contextlib.contextmanager
def budget(seconds: float, cancelled: threading.Event | None = None):
    """Run the block under a deadline of `seconds` (and a cancel event the caller may set). Nested budgets keep
    the tighter deadline, so a replayed history and the answer after it share one allowance."""
    outer = _current.get()
    deadline = time.monotonic() + seconds
    if outer is not None:
        deadline = min(deadline, outer.deadline)
        cancelled = cancelled or outer.cancelled
    token = _current.set(_Budget(deadline, cancelled))
    try:
        yield
    finally:
        _current.reset(token)


def check() -> None:
    """Raise OverBudget when the current answer is past its deadline or cancelled; free when no budget is set."""
    b = _current.get()
    if b is None:
        return
    if b.cancelled is not None and b.cancelled.is_set():
        raise OverBudget("cancelled")
    if time.monotonic() > b.deadline:
        raise OverBudget("deadline")
