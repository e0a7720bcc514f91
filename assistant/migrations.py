"""Versioned schema: an ordered list of small migration functions, applied once each, recorded in `_migrations`."""
from __future__ import annotations

from typing import Callable

from sqlalchemy import Connection, text

MIGRATIONS: list[tuple[str, Callable[[Connection], None]]] = []


def migration(fn: Callable[[Connection], None]) -> Callable[[Connection], None]:
    MIGRATIONS.append((fn.__name__, fn))
    return fn


@migration
def m001_sessions_and_turns(db: Connection) -> None:
    db.execute(text("""CREATE TABLE sessions (
        id VARCHAR(64) PRIMARY KEY,
        created_at VARCHAR(32) NOT NULL,
        updated_at VARCHAR(32) NOT NULL,
        state TEXT NOT NULL DEFAULT '{}')"""))
    db.execute(text("""CREATE TABLE turns (
        id VARCHAR(40) PRIMARY KEY,
        session_id VARCHAR(64) NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        idx INTEGER NOT NULL,
        question TEXT NOT NULL,
        answer TEXT NOT NULL,
        intent VARCHAR(32),
        refused INTEGER NOT NULL DEFAULT 0,
        engine VARCHAR(16),
        latency_ms FLOAT,
        created_at VARCHAR(32) NOT NULL,
        UNIQUE (session_id, idx))"""))


@migration
def m002_feedback(db: Connection) -> None:
    db.execute(text("""CREATE TABLE feedback (
        id VARCHAR(40) PRIMARY KEY,
        session_id VARCHAR(64) NOT NULL,
        turn_id VARCHAR(40),
        helpful INTEGER NOT NULL,
        comment TEXT,
        created_at VARCHAR(32) NOT NULL)"""))


@migration
def m003_cases(db: Connection) -> None:
    db.execute(text("""CREATE TABLE cases (
        id VARCHAR(40) PRIMARY KEY,
        visitor_name VARCHAR(100) NOT NULL,
        phone VARCHAR(40),
        id_number VARCHAR(40),
        entity_type VARCHAR(40) NOT NULL,
        needs TEXT NOT NULL DEFAULT '[]',
        checklist TEXT NOT NULL DEFAULT '[]',
        notes TEXT NOT NULL DEFAULT '[]',
        status VARCHAR(20) NOT NULL,
        created_at VARCHAR(32) NOT NULL,
        updated_at VARCHAR(32) NOT NULL)"""))
    db.execute(text("CREATE INDEX ix_turns_session ON turns (session_id, idx)"))


@migration
def m004_owned_sessions_and_masked_ids(db: Connection) -> None:
    """Sessions get the hash of their owner's secret (older sessions have none and stay closed to the API);
    cases keep the ID number masked plus a keyed hash for lookup (older rows are masked, without a hash)."""
    db.execute(text("ALTER TABLE sessions ADD COLUMN token_hash VARCHAR(64)"))
    db.execute(text("ALTER TABLE cases ADD COLUMN id_hash VARCHAR(64)"))
    db.execute(text("CREATE INDEX ix_sessions_updated ON sessions (updated_at)"))
    db.execute(text("CREATE INDEX ix_cases_id_hash ON cases (id_hash)"))
    rows = db.execute(text("SELECT id, id_number FROM cases WHERE id_number IS NOT NULL")).all()
    for cid, number in rows:
        if "*" not in number:
            masked = number[:4] + "*" * max(len(number) - 8, 0) + number[-4:]
            db.execute(text("UPDATE cases SET id_number=:m WHERE id=:i"), {"m": masked, "i": cid})


def migrate(db: Connection) -> list[str]:
    """Apply pending migrations in order; returns the names applied."""
    db.execute(text("CREATE TABLE IF NOT EXISTS _migrations (name VARCHAR(100) PRIMARY KEY, applied_at VARCHAR(32))"))
    done = {r[0] for r in db.execute(text("SELECT name FROM _migrations"))}
    applied = []
    for name, fn in MIGRATIONS:
        if name in done:
            continue
        fn(db)
        db.execute(text("INSERT INTO _migrations (name, applied_at) VALUES (:n, CURRENT_TIMESTAMP)"), {"n": name})
        applied.append(name)
    return applied
