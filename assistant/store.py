"""Persistence with SQLAlchemy 2: SQLite file by default (WAL), PostgreSQL by URL. Sessions, turns, feedback, cases."""
from __future__ import annotations

import json
import logging
import os
import re
import secrets
import sqlite3
import threading
import time
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

from sqlalchemy import create_engine, event, make_url, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, IntegrityError

from assistant.migrations import migrate
from assistant.privacy import mask_text

log = logging.getLogger(__name__)

SESSION_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
MIN_FREE_BYTES = 16 << 20  # less free space than this next to the SQLite file: not ready (a turn is a few KB)
PROBE_PAD = "x" * 4500  # the readiness row is larger than a page: the probe needs a page, as a real write may
CORRUPT_MARKS = ("malformed", "not a database")
# What an operator reads in /readyz (and, once the API passes it on, a client in the 503 body).
PROBLEMS = {
    "corrupt": "数据库文件已损坏，暂停写入：请从备份恢复后重启服务。",
    "file_replaced": "数据库文件在运行中被替换或删除，暂停读写：请重启服务以打开新的文件。",
    "read_only": "数据库为只读（文件或目录不可写），暂时无法保存；政策问答仍可使用。",
    "disk_full": "数据库所在磁盘空间不足，暂时无法保存。",
    "timeout": "数据库没有在规定时间内响应，请稍后再试。",
    "unavailable": "数据库暂时不可用，请稍后再试。",
}


class StoreUnavailable(RuntimeError):
    """The database cannot be reached, is locked, read-only, corrupt or was replaced; the API answers 503.
    `problem` names which (a key of PROBLEMS), `message` says it in Chinese."""

    def __init__(self, detail: str, problem: str | None = None):
        super().__init__(detail)
        self.problem = problem or classify(detail)
        self.message = PROBLEMS[self.problem]


def classify(detail: str) -> str:
    """The PROBLEMS key a driver's error message points to."""
    d = detail.lower()
    if any(m in d for m in CORRUPT_MARKS):
        return "corrupt"
    if "readonly" in d or "read-only" in d or "read only" in d:
        return "read_only"
    if "disk is full" in d or "no space" in d:
        return "disk_full"
    if "timeout" in d or "timed out" in d or "did not answer" in d:
        return "timeout"
    return "unavailable"


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def new_session_id() -> str:
    return "s-" + secrets.token_hex(12)


def sqlite_file(url: str) -> Path | None:
    u = make_url(url)
    if not u.drivername.startswith("sqlite") or not u.database or u.database == ":memory:":
        return None
    return Path(u.database)


def _private_file(path: Path) -> bool:
    """Create the SQLite file 0600 before SQLite does (its -wal and -shm files copy these permissions). False when
    the file cannot be opened for writing (read-only file, directory or volume): the service starts degraded."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
    except OSError as exc:
        log.warning("database file %s is not writable (%s): starting without storage", path.name, exc.strerror)
        return False
    try:
        path.chmod(0o600)
    except OSError:
        pass
    return True


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


@lru_cache(maxsize=None)
def _timed_connection(answer_within_s: float):
    """A psycopg connection class whose every wait for the server ends after `answer_within_s`: the server-side
    statement_timeout cannot help when the server itself is frozen (SIGSTOP, a hung host), and the kernel keeps
    acknowledging TCP, so only the client can give up. The connection is closed, so the pool discards it."""
    import psycopg

    wait_timeout = getattr(psycopg.errors, "_WaitTimeout", psycopg.errors.OperationalError)

    class TimedConnection(psycopg.Connection):
        def wait(self, gen, interval=0.1, timeout=None):
            try:
                return super().wait(gen, interval, answer_within_s if timeout is None else timeout)
            except wait_timeout:
                self.close()
                raise psycopg.OperationalError(f"database did not answer within {answer_within_s:g} s") from None

    return TimedConnection


def engine_options(url: str, connect_timeout_s: float, statement_timeout_s: float) -> dict[str, Any]:
    """create_engine arguments that bound every wait on PostgreSQL: connecting, a statement (server-side
    statement_timeout, and the client gives up one second later), and waiting for a pooled connection."""
    if not url.startswith(("postgresql", "postgres")):
        return {}
    query = make_url(url).query  # what the URL says itself wins
    args: dict[str, Any] = {} if "connect_timeout" in query else {"connect_timeout": max(1, round(connect_timeout_s))}
    if "options" not in query:
        args["options"] = f"-c statement_timeout={int(statement_timeout_s * 1000)}"
    return {"connect_args": args, "pool_timeout": connect_timeout_s}


def bound_waits(engine: Engine, statement_timeout_s: float) -> None:
    """Connect through _timed_connection (psycopg 3 only; other drivers keep the server-side timeouts)."""
    if engine.dialect.driver != "psycopg":
        return
    cls = _timed_connection(statement_timeout_s + 1.0)

    @event.listens_for(engine, "do_connect")
    def _connect(dialect, conn_rec, cargs, cparams):
        return cls.connect(*cargs, **cparams)


class Store:
    def __init__(self, url: str, busy_timeout_s: float = 15.0, connect_timeout_s: float = 5.0,
                 statement_timeout_s: float = 10.0):
        self.url = url
        self.connect_timeout_s = connect_timeout_s
        # hide_parameters: a failing statement's log line never carries the phone or ID number it was writing
        kwargs: dict[str, Any] = {"pool_pre_ping": True, "hide_parameters": True,
                                  **engine_options(url, connect_timeout_s, statement_timeout_s)}
        self.file = sqlite_file(url)
        if url.startswith("sqlite"):
            kwargs["connect_args"] = {"timeout": busy_timeout_s, "check_same_thread": False}
        self.writable = _private_file(self.file) if self.file is not None else True
        # The file SQLite opens: another file at the path later (a restore, a delete) must not take our writes.
        self._identity = _identity(self.file) if self.file is not None else None
        self._raw: set = set()  # open SQLite connections, all on the file opened
        self.engine: Engine = create_engine(url, **kwargs)
        bound_waits(self.engine, statement_timeout_s)
        if url.startswith("sqlite"):
            self._sqlite_events(busy_timeout_s)
        self._lock = threading.Lock()
        self._sealed = False
        self._migrated = False
        self._checked = self.file is None  # SQLite: quick_check once, before the first use
        self._corrupt = False  # latched until the process restarts: a corrupt file takes no more writes
        self._silent_until = 0.0  # after a timeout: fail at once for a while instead of waiting again
        self._probe_table = False

    def _sqlite_events(self, busy_timeout_s: float) -> None:
        """Pragmas on every new connection, which is refused if the file at the path is no longer ours, and the
        set of open connections (_seal needs one that is on the old file)."""
        @event.listens_for(self.engine, "connect")
        def _pragmas(dbapi_conn, _):
            if self._identity is not None and _identity(self.file) != self._identity:
                raise sqlite3.OperationalError("database file replaced: no new connection to it")
            self._raw.add(dbapi_conn)
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute(f"PRAGMA busy_timeout={int(busy_timeout_s * 1000)}")
            cur.close()

        @event.listens_for(self.engine, "close")
        def _closed(dbapi_conn, _):
            self._raw.discard(dbapi_conn)

    def problem(self) -> str | None:
        """What stops the SQLite file from being used right now (corrupt, file_replaced), else None."""
        if self.file is None:
            return None
        if self._corrupt:
            return "corrupt"
        current = _identity(self.file)
        if self._identity is None:  # it could not be created at start (read-only directory): SQLite will say
            self._identity = current
            return None
        if current == self._identity:
            return None
        self._seal()
        return "file_replaced"

    def _seal(self) -> None:
        """The file at the path is no longer ours: empty our WAL into our (old) file and truncate it. A restore that
        swaps only the main file leaves that WAL beside the new one, and whoever opens the new file next (a
        restarted process, another worker) would replay its frames onto it and corrupt it. Done at every check
        while the swap lasts (a transaction already past its first check may still append a frame), and only on a
        connection already open: a new one would open the new file."""
        with self._lock:
            if not self._sealed:
                self._sealed = True
                log.error("database file %s was replaced or deleted while open: reads and writes stop until the "
                          "service is restarted", self.file.name)
            for raw in list(self._raw):
                if raw.in_transaction:
                    continue
                try:
                    busy = raw.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
                except sqlite3.Error as exc:
                    log.warning("could not empty the old WAL: %s", exc)
                    continue
                if not busy:
                    return

    def _check(self) -> None:
        """Before and after every transaction (two stat calls): never use, nor acknowledge a write to, a file
        that is no longer the one at the configured path, or that was found corrupt."""
        problem = self.problem()
        if problem:
            name = self.file.name if self.file else "database"
            raise StoreUnavailable(f"database file {name}: {problem}", problem)
        if time.monotonic() < self._silent_until:
            raise StoreUnavailable("database did not answer recently", "timeout")

    def _begin(self):
        self._check()
        if not self._checked or not self._migrated:
            with self._lock:
                if not self._checked:
                    self._quick_check()
                    self._checked = True
                if not self._migrated:
                    with self.engine.begin() as db:
                        migrate(db)
                    self._migrated = True
        return self.engine.begin()

    def _quick_check(self) -> None:
        """PRAGMA quick_check (O(file size), at start and when SQLite reports corruption): latch `_corrupt`."""
        try:
            with self.engine.connect() as db:
                rows = [r[0] for r in db.execute(text("PRAGMA quick_check")).all()]
        except DBAPIError as exc:
            if classify(str(exc.orig)) != "corrupt":
                raise
            rows = [str(exc.orig)]
        if rows != ["ok"]:
            self._corrupt = True
            log.error("database file %s is corrupt (%s): writes stop until it is restored and the service "
                      "restarted", self.file.name if self.file else "", "; ".join(rows)[:300])
            raise StoreUnavailable("database file is corrupt", "corrupt")

    def _run(self, fn: Callable):
        """One transaction. Any database failure (down, locked, corrupt, missing, replaced) is StoreUnavailable
        -> 503; IntegrityError stays itself (callers retry on it)."""
        try:
            with self._begin() as db:
                result = fn(db)
        except IntegrityError:
            raise
        except DBAPIError as exc:
            raise self._failure(exc) from exc
        self._check()  # the file was swapped while we wrote: the write may be in the old one, so do not answer it
        return result

    def _failure(self, exc: DBAPIError) -> StoreUnavailable:
        detail = str(getattr(exc, "orig", exc))[:200]
        problem = classify(detail)
        if problem == "corrupt" and self.file is not None and not self._corrupt:
            try:
                self._quick_check()
            except (StoreUnavailable, DBAPIError):
                pass
            problem = "corrupt" if self._corrupt else "unavailable"
        if "did not answer" in detail or "connection timeout" in detail:  # frozen or unreachable, not a slow query
            self._silent_until = time.monotonic() + self.connect_timeout_s
        return StoreUnavailable(detail, problem)

    def ping(self) -> bool:
        """Reads a real table, so a corrupt or replaced file is not reported as healthy."""
        try:
            self._run(lambda db: db.execute(text("SELECT COUNT(*) FROM _migrations")).scalar())
            return True
        except StoreUnavailable:
            return False

    def probe(self) -> str | None:
        """Readiness: None, or the PROBLEMS key of what fails. A real write (a row larger than a page, inserted and
        deleted in one committed transaction) after a read, plus, for SQLite, the file and directory writable and
        enough free space next to them (WAL reuses its space, so a full disk would not fail the write itself)."""
        try:
            self._check()
            if self.file is not None:
                if not (os.access(self.file, os.W_OK) and os.access(self.file.parent, os.W_OK)):
                    return "read_only"
                st = os.statvfs(self.file.parent)
                if st.f_bavail * st.f_frsize < MIN_FREE_BYTES:
                    return "disk_full"
            self._run(self._probe_write)
            self._probe_table = True
            return None
        except StoreUnavailable as exc:
            return exc.problem

    def _probe_write(self, db) -> None:
        db.execute(text("SELECT COUNT(*) FROM _migrations")).scalar()
        if not self._probe_table:
            db.execute(text("CREATE TABLE IF NOT EXISTS _ready_probe (id VARCHAR(24) PRIMARY KEY, pad TEXT)"))
        pid = secrets.token_hex(8)
        db.execute(text("INSERT INTO _ready_probe (id, pad) VALUES (:i, :p)"), {"i": pid, "p": PROBE_PAD})
        db.execute(text("DELETE FROM _ready_probe WHERE id=:i"), {"i": pid})

    # --- sessions and turns ------------------------------------------------------------------------
    def load_state(self, session_id: str) -> dict | None:
        row = self._run(lambda db: db.execute(text("SELECT state FROM sessions WHERE id=:i"), {"i": session_id}).first())
        return None if row is None else json.loads(row[0])

    def session_owner(self, session_id: str) -> tuple[bool, str | None]:
        """(exists, hash of the session secret or None for sessions made without one, e.g. by the CLI)."""
        row = self._run(lambda db: db.execute(text("SELECT token_hash FROM sessions WHERE id=:i"),
                                              {"i": session_id}).first())
        return (False, None) if row is None else (True, row[0])

    def save_turn(self, session_id: str, question: str, answer: dict, state: dict, token_hash: str | None = None) -> str:
        """Append a turn and the session state in one transaction (a turn is never half-written). A new session
        takes `token_hash`, the hash of the secret its creator holds. Phone and ID numbers are stored masked."""
        turn_id = "t-" + secrets.token_hex(8)
        question = mask_text(question)
        answer = {**answer, "turn_id": turn_id}
        if isinstance(answer.get("answer"), str):
            answer["answer"] = mask_text(answer["answer"])

        def tx(db):  # two statements: the session upserted (its owner kept), the turn numbered as it is inserted
            ts = now()
            db.execute(text("INSERT INTO sessions (id, created_at, updated_at, state, token_hash) "
                            "VALUES (:i, :c, :c, :s, :h) "
                            "ON CONFLICT (id) DO UPDATE SET state=excluded.state, updated_at=excluded.updated_at"),
                       {"i": session_id, "c": ts, "s": json.dumps(state, ensure_ascii=False), "h": token_hash})
            db.execute(text("""INSERT INTO turns (id, session_id, idx, question, answer, intent, refused, engine,
                               latency_ms, created_at)
                               SELECT :id, :s, COALESCE(MAX(idx), 0) + 1, :q, :a, :intent, :r, :e, :l, :c
                               FROM turns WHERE session_id=:sid"""),
                       {"id": turn_id, "s": session_id, "sid": session_id, "q": question,
                        "a": json.dumps(answer, ensure_ascii=False), "intent": answer.get("intent"),
                        "r": int(bool(answer.get("refused"))), "e": answer.get("engine"),
                        "l": answer.get("latency_ms"), "c": ts})

        for attempt in range(5):
            try:
                self._run(tx)
                return turn_id
            except IntegrityError:  # two writers raced for the same idx: retry with the next one
                if attempt == 4:
                    raise
        return turn_id

    def turns(self, session_id: str) -> list[dict]:
        rows = self._run(lambda db: db.execute(text(
            "SELECT id, idx, question, answer, created_at FROM turns WHERE session_id=:i ORDER BY idx"),
            {"i": session_id}).all())
        return [{"turn_id": r[0], "idx": r[1], "question": r[2], "answer": json.loads(r[3]), "created_at": r[4]}
                for r in rows]

    def session(self, session_id: str) -> dict | None:
        row = self._run(lambda db: db.execute(text("SELECT id, created_at, updated_at, state FROM sessions WHERE id=:i"),
                                              {"i": session_id}).first())
        if row is None:
            return None
        return {"session_id": row[0], "created_at": row[1], "updated_at": row[2], "state": json.loads(row[3]),
                "turns": self.turns(session_id)}

    def turn_exists(self, turn_id: str, session_id: str | None = None) -> bool:
        sql = "SELECT 1 FROM turns WHERE id=:i" + (" AND session_id=:s" if session_id else "")
        return self._run(lambda db: db.execute(text(sql), {"i": turn_id, "s": session_id}).first()) is not None

    def count(self, table: str) -> int:
        assert table in {"sessions", "turns", "feedback", "cases"}
        return self._run(lambda db: db.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar())

    # --- feedback -------------------------------------------------------------------------------------
    def add_feedback(self, session_id: str, turn_id: str | None, helpful: bool, comment: str | None) -> str:
        """The comment is free text: phone and ID numbers in it are stored masked, as in the turns."""
        fid = "f-" + secrets.token_hex(8)
        comment = mask_text(comment) if comment else comment
        self._run(lambda db: db.execute(text(
            "INSERT INTO feedback (id, session_id, turn_id, helpful, comment, created_at) VALUES (:i,:s,:t,:h,:c,:d)"),
            {"i": fid, "s": session_id, "t": turn_id, "h": int(helpful), "c": comment, "d": now()}))
        return fid

    def feedback(self) -> list[dict]:
        rows = self._run(lambda db: db.execute(text(
            "SELECT id, session_id, turn_id, helpful, comment, created_at FROM feedback ORDER BY created_at")).all())
        return [{"id": r[0], "session_id": r[1], "turn_id": r[2], "helpful": bool(r[3]), "comment": r[4],
                 "created_at": r[5]} for r in rows]

    # --- counter cases --------------------------------------------------------------------------------
    def create_case(self, case: dict) -> dict:
        cid = "c-" + secrets.token_hex(6)
        ts = now()
        row = {"id": cid, "visitor_name": case["visitor_name"], "phone": case.get("phone"),
               "id_number": case.get("id_number"), "id_hash": case.get("id_hash"), "entity_type": case["entity_type"],
               "needs": json.dumps(case.get("needs", []), ensure_ascii=False),
               "checklist": json.dumps(case.get("checklist", []), ensure_ascii=False),
               "notes": "[]", "status": case.get("status", "open"), "created_at": ts, "updated_at": ts}
        self._run(lambda db: db.execute(text(
            """INSERT INTO cases (id, visitor_name, phone, id_number, id_hash, entity_type, needs, checklist, notes,
               status, created_at, updated_at) VALUES (:id, :visitor_name, :phone, :id_number, :id_hash, :entity_type,
               :needs, :checklist, :notes, :status, :created_at, :updated_at)"""), row))
        return self.get_case(cid)

    @staticmethod
    def _case_row(row) -> dict:
        out = dict(row)
        for k in ("needs", "checklist", "notes"):
            out[k] = json.loads(out[k])
        return out

    def get_case(self, case_id: str) -> dict | None:
        row = self._run(lambda db: db.execute(text("SELECT * FROM cases WHERE id=:i"), {"i": case_id}).mappings().first())
        return None if row is None else self._case_row(row)

    def modify_case(self, case_id: str, change: Callable[[dict], dict]) -> dict | None:
        """Read, change and write one case in one transaction that holds the row from its first statement, so two
        staff changing the same case at once both keep their work. `change` returns the fields to write."""
        allowed = {"checklist", "notes", "status", "needs", "entity_type", "visitor_name", "phone"}

        def tx(db):
            ts = now()
            # A write first: PostgreSQL locks the row, SQLite takes its write lock (waiting on busy_timeout) before
            # the read, so no other writer can slip in between the read and the write.
            if not db.execute(text("UPDATE cases SET updated_at=:u WHERE id=:i"), {"u": ts, "i": case_id}).rowcount:
                return None
            case = self._case_row(db.execute(text("SELECT * FROM cases WHERE id=:i"), {"i": case_id}).mappings().one())
            sets = {k: (json.dumps(v, ensure_ascii=False) if k in ("checklist", "notes", "needs") else v)
                    for k, v in change(case).items() if k in allowed}
            if sets:
                assign = ", ".join(f"{k}=:{k}" for k in sets)
                db.execute(text(f"UPDATE cases SET {assign} WHERE id=:case_id"), {**sets, "case_id": case_id})
            return self._case_row(db.execute(text("SELECT * FROM cases WHERE id=:i"), {"i": case_id}).mappings().one())

        return self._run(tx)

    def update_case(self, case_id: str, **fields) -> dict | None:
        return self.modify_case(case_id, lambda _: fields)

    def list_cases(self, q: str | None = None, status: str | None = None, limit: int = 100,
                   q_hash: str | None = None) -> list[dict]:
        """Search by name, type, needs or case id; `q_hash` finds a case by the keyed hash of an ID number."""
        sql = "SELECT * FROM cases WHERE 1=1"
        params: dict[str, Any] = {"limit": limit}
        if q:
            sql += " AND (visitor_name LIKE :q OR entity_type LIKE :q OR needs LIKE :q OR id LIKE :q OR id_hash=:qh)"
            params["q"] = f"%{q}%"
            params["qh"] = q_hash or ""
        if status:
            sql += " AND status=:status"
            params["status"] = status
        sql += " ORDER BY created_at DESC LIMIT :limit"
        rows = self._run(lambda db: db.execute(text(sql), params).mappings().all())
        return [self._case_row(r) for r in rows]

    def delete_case(self, case_id: str) -> bool:
        return bool(self._run(lambda db: db.execute(text("DELETE FROM cases WHERE id=:i"), {"i": case_id}).rowcount))

    # --- retention ------------------------------------------------------------------------------------
    def purge(self, days: int) -> dict[str, int]:
        """Delete what is older than `days`: sessions (with their turns) and feedback untouched since then, and
        closed or finished counter cases. Returns the rows deleted per table."""
        cutoff = (datetime.now(timezone.utc) - timedelta(days=days)).isoformat(timespec="milliseconds")

        def tx(db):
            p = {"c": cutoff}
            old = "SELECT id FROM sessions WHERE updated_at < :c"
            turns = db.execute(text(f"DELETE FROM turns WHERE session_id IN ({old})"), p).rowcount
            sessions = db.execute(text("DELETE FROM sessions WHERE updated_at < :c"), p).rowcount
            feedback = db.execute(text("DELETE FROM feedback WHERE created_at < :c"), p).rowcount
            cases = db.execute(text("DELETE FROM cases WHERE updated_at < :c AND status IN ('done', 'closed')"),
                               p).rowcount
            return {"sessions": sessions, "turns": turns, "feedback": feedback, "cases": cases}

        return self._run(tx)
