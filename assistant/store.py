"""Persistence with SQLAlchemy 2: SQLite file by default (WAL), PostgreSQL by URL. Sessions, turns, feedback, cases."""
from __future__ import annotations

import json
import re
import secrets
import threading
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, OperationalError

from assistant.migrations import migrate

SESSION_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class StoreUnavailable(RuntimeError):
    """The database cannot be reached or is locked; the API answers 503."""


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def new_session_id() -> str:
    return "s-" + secrets.token_hex(8)


class Store:
    def __init__(self, url: str, busy_timeout_s: float = 15.0):
        self.url = url
        kwargs: dict[str, Any] = {"pool_pre_ping": True}
        if url.startswith("sqlite"):
            kwargs["connect_args"] = {"timeout": busy_timeout_s, "check_same_thread": False}
        self.engine: Engine = create_engine(url, **kwargs)
        if url.startswith("sqlite"):
            @event.listens_for(self.engine, "connect")
            def _pragmas(dbapi_conn, _):
                cur = dbapi_conn.cursor()
                cur.execute("PRAGMA journal_mode=WAL")
                cur.execute("PRAGMA synchronous=NORMAL")
                cur.execute("PRAGMA foreign_keys=ON")
                cur.execute(f"PRAGMA busy_timeout={int(busy_timeout_s * 1000)}")
                cur.close()
        self._lock = threading.Lock()
        self._migrated = False

    def _begin(self):
        if not self._migrated:
            with self._lock:
                if not self._migrated:
                    try:
                        with self.engine.begin() as db:
                            migrate(db)
                    except OperationalError as exc:
                        raise StoreUnavailable(str(exc.orig)) from exc
                    self._migrated = True
        return self.engine.begin()

    def _run(self, fn):
        try:
            with self._begin() as db:
                return fn(db)
        except OperationalError as exc:
            raise StoreUnavailable(str(getattr(exc, "orig", exc))) from exc

    def ping(self) -> bool:
        try:
            self._run(lambda db: db.execute(text("SELECT 1")).scalar())
            return True
        except StoreUnavailable:
            return False

    # --- sessions and turns ------------------------------------------------------------------------
    def load_state(self, session_id: str) -> dict | None:
        row = self._run(lambda db: db.execute(text("SELECT state FROM sessions WHERE id=:i"), {"i": session_id}).first())
        return None if row is None else json.loads(row[0])

    def save_turn(self, session_id: str, question: str, answer: dict, state: dict) -> str:
        """Append a turn and the session state in one transaction (a turn is never half-written)."""
        turn_id = "t-" + secrets.token_hex(8)
        answer = {**answer, "turn_id": turn_id}

        def tx(db):
            ts = now()
            exists = db.execute(text("SELECT 1 FROM sessions WHERE id=:i"), {"i": session_id}).first()
            if exists:
                db.execute(text("UPDATE sessions SET state=:s, updated_at=:u WHERE id=:i"),
                           {"s": json.dumps(state, ensure_ascii=False), "u": ts, "i": session_id})
            else:
                db.execute(text("INSERT INTO sessions (id, created_at, updated_at, state) VALUES (:i, :c, :c, :s)"),
                           {"i": session_id, "c": ts, "s": json.dumps(state, ensure_ascii=False)})
            idx = db.execute(text("SELECT COALESCE(MAX(idx), 0) + 1 FROM turns WHERE session_id=:i"),
                             {"i": session_id}).scalar()
            db.execute(text("""INSERT INTO turns (id, session_id, idx, question, answer, intent, refused, engine,
                               latency_ms, created_at) VALUES (:id, :s, :idx, :q, :a, :intent, :r, :e, :l, :c)"""),
                       {"id": turn_id, "s": session_id, "idx": idx, "q": question,
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

    def turn_exists(self, turn_id: str) -> bool:
        return self._run(lambda db: db.execute(text("SELECT 1 FROM turns WHERE id=:i"), {"i": turn_id}).first()) is not None

    def count(self, table: str) -> int:
        assert table in {"sessions", "turns", "feedback", "cases"}
        return self._run(lambda db: db.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar())

    # --- feedback -------------------------------------------------------------------------------------
    def add_feedback(self, session_id: str, turn_id: str | None, helpful: bool, comment: str | None) -> str:
        fid = "f-" + secrets.token_hex(8)
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
               "id_number": case.get("id_number"), "entity_type": case["entity_type"],
               "needs": json.dumps(case.get("needs", []), ensure_ascii=False),
               "checklist": json.dumps(case.get("checklist", []), ensure_ascii=False),
               "notes": "[]", "status": case.get("status", "open"), "created_at": ts, "updated_at": ts}
        self._run(lambda db: db.execute(text(
            """INSERT INTO cases (id, visitor_name, phone, id_number, entity_type, needs, checklist, notes, status,
               created_at, updated_at) VALUES (:id, :visitor_name, :phone, :id_number, :entity_type, :needs,
               :checklist, :notes, :status, :created_at, :updated_at)"""), row))
        return self.get_case(cid)

    def get_case(self, case_id: str) -> dict | None:
        row = self._run(lambda db: db.execute(text("SELECT * FROM cases WHERE id=:i"), {"i": case_id}).mappings().first())
        if row is None:
            return None
        out = dict(row)
        for k in ("needs", "checklist", "notes"):
            out[k] = json.loads(out[k])
        return out

    def update_case(self, case_id: str, **fields) -> dict | None:
        allowed = {"checklist", "notes", "status", "needs", "entity_type", "visitor_name", "phone"}
        sets = {k: (json.dumps(v, ensure_ascii=False) if k in ("checklist", "notes", "needs") else v)
                for k, v in fields.items() if k in allowed}
        if not sets:
            return self.get_case(case_id)
        sets["updated_at"] = now()
        assign = ", ".join(f"{k}=:{k}" for k in sets)
        n = self._run(lambda db: db.execute(text(f"UPDATE cases SET {assign} WHERE id=:case_id"),
                                            {**sets, "case_id": case_id}).rowcount)
        return self.get_case(case_id) if n else None

    def list_cases(self, q: str | None = None, status: str | None = None, limit: int = 100) -> list[dict]:
        sql = "SELECT * FROM cases WHERE 1=1"
        params: dict[str, Any] = {"limit": limit}
        if q:
            sql += " AND (visitor_name LIKE :q OR entity_type LIKE :q OR needs LIKE :q OR id LIKE :q)"
            params["q"] = f"%{q}%"
        if status:
            sql += " AND status=:status"
            params["status"] = status
        sql += " ORDER BY created_at DESC LIMIT :limit"
        rows = self._run(lambda db: db.execute(text(sql), params).mappings().all())
        out = []
        for r in rows:
            d = dict(r)
            for k in ("needs", "checklist", "notes"):
                d[k] = json.loads(d[k])
            out.append(d)
        return out

    def delete_case(self, case_id: str) -> bool:
        return bool(self._run(lambda db: db.execute(text("DELETE FROM cases WHERE id=:i"), {"i": case_id}).rowcount))
