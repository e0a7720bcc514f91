"""Rate limits shared by every process and host through the PostgreSQL the service already uses (no new service).

Moving windows, like the in-memory limiter: each limited request is one row (kind, client, time by the database's
clock, so hosts with skewed clocks agree); a per-client advisory lock makes check-and-count atomic across processes.
The table is UNLOGGED (counters need not survive a crash) and created at first use, with a function that does the
lock, the clean-up, the count and the insert in one round trip: a limited request costs one statement, not seven.

When the database cannot be reached (down, frozen, refusing), the limits still hold: an in-process moving-window
limiter with the same limits counts instead (per process), the outage is logged once, and the database is tried
again by one request every RETRY_S seconds. Failing open would let anyone flood the service during an outage.
"""
from __future__ import annotations

import logging
import math
import threading
import time

from limits import parse_many
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from sqlalchemy import create_engine, text

from assistant.store import bound_waits, engine_options

log = logging.getLogger(__name__)
DDL = ("CREATE UNLOGGED TABLE IF NOT EXISTS opc_rate_hits (kind VARCHAR(8) NOT NULL, client VARCHAR(64) NOT NULL, "
       "at DOUBLE PRECISION NOT NULL)", "CREATE INDEX IF NOT EXISTS ix_opc_rate_hits ON opc_rate_hits (kind, client, at)",
       # seconds to wait (the oldest hit still counted leaves its window first), or NULL once the hit is counted
       """CREATE OR REPLACE FUNCTION opc_rate_hit(k TEXT, c TEXT, amounts INT[], windows FLOAT8[]) RETURNS FLOAT8
       LANGUAGE plpgsql AS $$
       DECLARE t FLOAT8 := extract(epoch FROM clock_timestamp()); nth FLOAT8;
       BEGIN
         PERFORM pg_advisory_xact_lock(hashtext(k || ':' || c));
         DELETE FROM opc_rate_hits WHERE kind = k AND client = c
           AND at <= t - (SELECT max(w) FROM unnest(windows) AS w);
         FOR i IN 1 .. array_length(amounts, 1) LOOP
           SELECT at INTO nth FROM opc_rate_hits WHERE kind = k AND client = c AND at > t - windows[i]
             ORDER BY at DESC OFFSET amounts[i] - 1 LIMIT 1;
           IF FOUND THEN RETURN nth + windows[i] - t; END IF;
         END LOOP;
         INSERT INTO opc_rate_hits (kind, client, at) VALUES (k, c, t);
         RETURN NULL;
       END $$""")
DDL_LOCK = 815_001  # advisory lock id serializing the one-time CREATE across processes
# A rate-limit check sits in front of every limited request: it waits far less than a route may.
CONNECT_TIMEOUT_S, STATEMENT_TIMEOUT_S = 2.0, 1.0
RETRY_S = 5.0  # during an outage, how long the in-process limiter counts before the database is tried again


def is_postgres(url: str) -> bool:
    return url.startswith(("postgresql", "postgres"))


class PgRateLimiter:
    """Same interface as the in-memory limiter: `retry_after(kind, key)` counts one request, or says how long to
    wait. `blocking`: callers run it off the event loop."""

    blocking = True

    def __init__(self, specs: dict[str, str], db_url: str):
        self.limits = {name: parse_many(spec) if spec.strip() else [] for name, spec in specs.items()}
        self.items = {name: [(i.amount, i.get_expiry()) for i in items] for name, items in self.limits.items()}
        # no pre-ping: a dead connection costs one request counted in-process, not a round trip on every request
        self.engine = create_engine(db_url, pool_size=4, max_overflow=8,
                                    **engine_options(db_url, CONNECT_TIMEOUT_S, STATEMENT_TIMEOUT_S))
        bound_waits(self.engine, STATEMENT_TIMEOUT_S)
        self.local = MovingWindowRateLimiter(MemoryStorage())
        self._ready = False
        self._outage = False
        self._retry_at = 0.0  # monotonic time after which one request tries the database again
        self._trying = threading.Lock()  # held by the one request trying the database during an outage

    def _create(self) -> None:
        with self.engine.begin() as db:
            db.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": DDL_LOCK})
            for stmt in DDL:
                db.execute(text(stmt))
        self._ready = True

    def retry_after(self, kind: str, key: str) -> int | None:
        items = self.items.get(kind) or []
        if not items:
            return None
        key = key[:64]
        if self._outage and (time.monotonic() < self._retry_at or not self._trying.acquire(blocking=False)):
            return self._local_hit(kind, key)
        trying = self._outage  # the lock is held only when trying during an outage
        try:
            if not self._ready:
                self._create()
            wait = self._hit(kind, key, items)
        except Exception as exc:  # down, frozen or refusing: keep limiting in-process, say so once per outage
            if not self._outage:
                log.warning("rate limiter database unavailable (%s: %s); counting in-process until it is back",
                            type(exc).__name__, str(exc)[:120])
            self._outage, self._retry_at = True, time.monotonic() + RETRY_S
            return self._local_hit(kind, key)
        finally:
            if trying:
                self._trying.release()
        if self._outage:
            log.info("rate limiter database reachable again; counting there")
            self._outage = False
        return wait

    def _local_hit(self, kind: str, key: str) -> int | None:
        """The same limits, counted in this process (the in-memory limiter of assistant/api/guards.py)."""
        for item in self.limits[kind]:
            if not self.local.hit(item, "opc", kind, key):
                reset, _ = self.local.get_window_stats(item, "opc", kind, key)
                return max(1, math.ceil(reset - time.time()))
        return None

    def _hit(self, kind: str, key: str, items: list[tuple[int, int]]) -> int | None:
        with self.engine.begin() as db:
            wait = db.execute(text("SELECT opc_rate_hit(:k, :c, :amounts, :windows)"),
                              {"k": kind, "c": key, "amounts": [a for a, _ in items],
                               "windows": [float(w) for _, w in items]}).scalar_one()
        return None if wait is None else max(1, math.ceil(wait))
