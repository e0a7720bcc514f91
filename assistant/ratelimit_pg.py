"""Rate limits shared by every process and host through the PostgreSQL the service already uses (no new service).

Moving windows, like the in-memory limiter: each limited request is one row (kind, client, time by the database's
clock, so hosts with skewed clocks agree); a per-client advisory lock makes check-and-count atomic across processes.
The table is UNLOGGED (counters need not survive a crash) and created at first use, with a function that does the
lock, the clean-up, the count and the insert in one round trip: a limited request costs one statement, not seven.
"""
from __future__ import annotations

import logging
import math

from limits import parse_many
from sqlalchemy import create_engine, text

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


def is_postgres(url: str) -> bool:
    return url.startswith(("postgresql", "postgres"))


class PgRateLimiter:
    """Same interface as the in-memory limiter: `retry_after(kind, key)` counts one request, or says how long to
    wait. `blocking`: callers run it off the event loop."""

    blocking = True

    def __init__(self, specs: dict[str, str], db_url: str):
        self.items = {name: [(i.amount, i.get_expiry()) for i in parse_many(spec)] if spec.strip() else []
                      for name, spec in specs.items()}
        self.engine = create_engine(db_url, pool_size=4, max_overflow=8)  # no pre-ping: a dead connection costs one
        # uncounted request (logged), not a round trip on every request
        self._ready = False

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
        try:
            if not self._ready:
                self._create()
            return self._hit(kind, key[:64], items)
        except Exception as exc:  # the database is down: serve (its own routes answer 503), do not lock everyone out
            log.warning("rate limiter unavailable (%s); request not counted", type(exc).__name__)
            return None

    def _hit(self, kind: str, key: str, items: list[tuple[int, int]]) -> int | None:
        with self.engine.begin() as db:
            wait = db.execute(text("SELECT opc_rate_hit(:k, :c, :amounts, :windows)"),
                              {"k": kind, "c": key, "amounts": [a for a, _ in items],
                               "windows": [float(w) for _, w in items]}).scalar_one()
        return None if wait is None else max(1, math.ceil(wait))
