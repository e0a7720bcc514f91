"""Rate limits shared by every process and host through the PostgreSQL the service already uses (no new service).

Moving windows, like the in-memory limiter: each limited request is one row (kind, client, time by the database's
clock, so hosts with skewed clocks agree); a per-client advisory lock makes check-and-count atomic across processes.
The table is UNLOGGED (counters need not survive a crash) and created at first use.
"""
from __future__ import annotations

import logging
import math

from limits import parse_many
from sqlalchemy import create_engine, text

log = logging.getLogger(__name__)
DDL = ("CREATE UNLOGGED TABLE IF NOT EXISTS opc_rate_hits (kind VARCHAR(8) NOT NULL, client VARCHAR(64) NOT NULL, "
       "at DOUBLE PRECISION NOT NULL)", "CREATE INDEX IF NOT EXISTS ix_opc_rate_hits ON opc_rate_hits (kind, client, at)")
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
        self.engine = create_engine(db_url, pool_size=4, max_overflow=8, pool_pre_ping=True)
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
        longest = max(w for _, w in items)
        with self.engine.begin() as db:
            db.execute(text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": f"{kind}:{key}"})
            now = db.execute(text("SELECT extract(epoch FROM clock_timestamp())::float8")).scalar_one()
            db.execute(text("DELETE FROM opc_rate_hits WHERE kind=:kind AND client=:key AND at <= :old"),
                       {"kind": kind, "key": key, "old": now - longest})
            hits = db.execute(text("SELECT at FROM opc_rate_hits WHERE kind=:kind AND client=:key ORDER BY at DESC"),
                              {"kind": kind, "key": key}).scalars().all()
            for amount, window in items:
                recent = [t for t in hits if t > now - window]
                if len(recent) >= amount:  # the oldest hit still counted leaves the window first
                    return max(1, math.ceil(recent[amount - 1] + window - now))
            db.execute(text("INSERT INTO opc_rate_hits (kind, client, at) VALUES (:kind, :key, :at)"),
                       {"kind": kind, "key": key, "at": now})
        return None
