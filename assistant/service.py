"""The service layer: the one place the API, CLI, UI, MCP server and evals call into."""
from __future__ import annotations

import fcntl
import hashlib
import hmac
import logging
import os
import secrets
import threading
import time
import unicodedata
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from assistant.budget import OverBudget, budget
from assistant.config import Settings, get_settings, private_dir, secret_file
from assistant.contract import Answer, SearchHit, SearchResponse
from assistant.engine import RulesEngine
from assistant.understand import message_load
from assistant.index import Index, load
from assistant.retrieve import HybridSearcher
from assistant.store import SESSION_ID, Store, StoreUnavailable, new_session_id

log = logging.getLogger(__name__)


class InvalidInput(ValueError):
    """Bad input from a user: the API answers 422 with this message."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


class ReindexRunning(RuntimeError):
    """A rebuild of the index is already running (here or in another worker): the API answers 409."""


@contextmanager
def reindex_lock(data_dir: Path, wait: bool):
    """An exclusive flock on a file in the data dir: it excludes other threads (each opens its own file
    description) and other worker processes on the same data dir alike, and is released if the process dies."""
    fd = os.open(private_dir(data_dir) / ".reindex.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            raise ReindexRunning("a reindex is already running") from None
        yield
    finally:
        os.close(fd)


class SessionDenied(Exception):
    """A session the caller may not use: unknown (404) or not theirs (403, wrong or missing secret)."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def token_hash(token: str) -> str:
    """Session secrets are 192 random bits: a plain SHA-256 is enough to keep the stored form useless."""
    return hashlib.sha256(token.encode()).hexdigest()


def printable(text: str) -> str:
    """The text without control characters and lone surrogates (which cannot be encoded, stored or sent back)."""
    return "".join(ch for ch in text if ch in "\n\t" or ch.isprintable())


def encodable(text: str) -> bool:
    try:
        text.encode()
    except UnicodeEncodeError:  # a lone surrogate ("\ud800"), which JSON can carry
        return False
    return True


def validate_token(token) -> str | None:
    """A session secret as a caller sent it: None, or a short encodable string (anything else is a 422, not a 500)."""
    if token is None or token == "":
        return None
    if not isinstance(token, str) or len(token) > 128 or not encodable(token):
        raise InvalidInput("invalid_session_token", "session_token 格式不正确（应为新建会话时返回的字符串）。")
    return token


def validate_free_text(text: str | None, field: str, max_chars: int = 2000) -> str | None:
    """Free text kept as given (comments, notes, names) must be a string that can be stored."""
    if text is None:
        return None
    if not isinstance(text, str) or not encodable(text) or len(text) > max_chars:
        raise InvalidInput(f"invalid_{field}", f"{field} 必须是不超过{max_chars}字的文本。")
    return text


class AssistantService:
    def __init__(self, settings: Settings | None = None):
        self.settings = settings or get_settings()
        self._lock = threading.Lock()
        self._rebuild_lock = threading.Lock()
        self._index: Index | None = None
        self._searcher: HybridSearcher | None = None
        self._engine: RulesEngine | None = None
        self._store: Store | None = None
        # A fixed pool of locks striped by session id: turns of one session are serialized, memory stays bounded.
        self._session_locks = [threading.Lock() for _ in range(64)]

    # --- knowledge -------------------------------------------------------------------------------
    def index_present(self) -> bool:
        """The index files are on disk (an operator or a cleanup job may delete the directory under us)."""
        d = self.settings.index_dir
        files = [d / "manifest.json", d / "bm25"] + ([] if self.settings.chroma_url else [d / "chroma"])
        return all(f.exists() for f in files)

    def index_ok(self) -> bool:
        """Readiness: loaded, files present, and the vector store answers with every chunk."""
        if self._searcher is None or not self.index_present():
            return False
        try:
            return self._index.collection.count() == len(self._index.chunks)
        except Exception as exc:  # the store is broken: not ready
            log.warning("index check failed: %s", str(exc)[:200])
            return False

    @property
    def searcher(self) -> HybridSearcher:
        if self._searcher is not None and not self.index_present():
            with self._rebuild_lock:  # one rebuild, however many requests notice
                if not self.index_present():
                    log.warning("index files missing under %s: rebuilding", self.settings.index_dir)
                    self.reindex()
        if self._searcher is None:
            with self._lock:
                if self._searcher is None:
                    self._index = load(self.settings)
                    self._searcher = HybridSearcher(self._index)
                    self._engine = RulesEngine(self._searcher)
        return self._searcher

    @property
    def index(self) -> Index:
        return self.searcher.index

    @property
    def engine(self) -> RulesEngine:
        self.searcher
        return self._engine

    @property
    def store(self) -> Store:
        if self._store is None:
            with self._lock:
                if self._store is None:
                    s = self.settings
                    self._store = Store(s.db_url, s.db_busy_timeout_s, s.db_connect_timeout_s, s.db_statement_timeout_s)
        return self._store

    def reindex(self, wait: bool = True) -> Index:
        """Rebuild the index, one rebuild at a time across threads and worker processes (two at once deleted each
        other's files and both failed). With `wait=False` a rebuild already running raises ReindexRunning."""
        with reindex_lock(self.settings.data_dir, wait):
            return self._reindex()

    def _reindex(self) -> Index:
        if not self.settings.chroma_url and not self.index_present():  # the cached client holds deleted files
            from chromadb.api.client import SharedSystemClient

            SharedSystemClient.clear_system_cache()
        index = load(self.settings, rebuild=True)
        searcher = HybridSearcher(index)
        with self._lock:
            self._index, self._searcher, self._engine = index, searcher, RulesEngine(searcher)
        return index

    def search(self, query: str, k: int = 5, mode: str = "hybrid") -> SearchResponse:
        from assistant.retrieve import reset_degraded, was_degraded

        reset_degraded()
        hits = self.searcher.search(query, k, mode=mode)
        return SearchResponse(query=query, degraded=was_degraded(), results=[
            SearchHit(doc=h.doc, doc_title=h.doc_title, section=h.section, quote=h.quote, score=h.score) for h in hits
        ])

    # --- conversation ----------------------------------------------------------------------------
    def validate_message(self, message: str) -> str:
        if not isinstance(message, str):
            raise InvalidInput("invalid_message", "message 必须是字符串")
        cleaned = printable(message)
        if not cleaned.strip():
            raise InvalidInput("empty_message", "请输入问题内容（message 不能为空）。")
        if len(cleaned) > self.settings.max_message_chars:
            raise InvalidInput("message_too_long",
                               f"问题太长了（{len(cleaned)}字），请控制在{self.settings.max_message_chars}字以内。")
        return cleaned.strip()

    def validate_session_id(self, session_id: str | None) -> str | None:
        if session_id is None or session_id == "":
            return None
        if not isinstance(session_id, str) or not SESSION_ID.fullmatch(session_id):
            raise InvalidInput("invalid_session_id", "session_id 只能包含字母、数字、下划线和连字符，长度1–64。")
        return session_id

    # --- session ownership (HTTP callers; in-process callers such as the CLI and the web UI are trusted) ----------
    @staticmethod
    def new_session() -> tuple[str, str]:
        """A server-chosen session id and the secret only its creator receives (stored as a hash)."""
        return new_session_id(), secrets.token_urlsafe(24)

    def authorize_session(self, session_id: str, token: str | None) -> None:
        """Raise SessionDenied unless `token` is the secret of an existing session."""
        self.validate_session_id(session_id)
        token = validate_token(token)
        exists, stored = self.store.session_owner(session_id)
        if not exists:
            raise SessionDenied(404, "unknown_session", "没有找到这个会话。")
        if not (stored and token and hmac.compare_digest(stored, token_hash(token))):
            raise SessionDenied(403, "session_forbidden",
                                "这个会话需要创建时返回的 session_token（请求头 X-Session-Token）。")

    def _session_lock(self, session_id: str) -> threading.Lock:
        return self._session_locks[hash(session_id) % len(self._session_locks)]

    def chat(self, message: str, session_id: str | None = None, persist: bool = True,
             owner_hash: str | None = None, degrade: bool = False) -> Answer:
        """Answer one message. A new session stores `owner_hash`, the hash of its owner's secret. With `degrade`,
        a database outage still gets the answer (policy text needs no database), unstored: turn_id stays None."""
        t0 = time.perf_counter()
        message = self.validate_message(message)
        session_id = self.validate_session_id(session_id) or new_session_id()
        with self._session_lock(session_id):
            try:
                state = (self.store.load_state(session_id) if persist else None) or {}
                turns = self.store.turns(session_id) if persist and self.settings.llm_enabled else []
            except StoreUnavailable:
                if not degrade:
                    raise
                log.warning("database unavailable: answering without the session, not stored")
                persist, state, turns = False, {}, []
            answer = self._answer(message, session_id, state, turns)
            answer.latency_ms = round((time.perf_counter() - t0) * 1000, 2)
            if persist:
                answer.turn_id = self._save(session_id, message, answer, owner_hash, degrade)
        return answer

    def _save(self, session_id: str, message: str, answer: Answer, owner_hash: str | None, degrade: bool) -> str | None:
        """Every string of the turn and of the state is stored masked (the state keeps the user's sentences, so it
        would keep their phone and ID numbers); the state's masks keep their length, so offsets into them hold."""
        from assistant.privacy import mask_data

        state = mask_data(answer.state, keep_length=True)
        record = {**mask_data(answer.model_dump(mode="json", exclude={"state"})), "state": state}
        try:
            return self.store.save_turn(session_id, message, record, state, owner_hash)
        except StoreUnavailable:
            if not degrade:
                raise
            log.warning("database unavailable: answer given, not stored")
            return None

    def chat_conversation(self, user_messages: list[str], session_id: str | None = None,
                          owner_hash: str | None = None, degrade: bool = False) -> Answer:
        """Answer the last user message of a conversation a client sends whole (OpenAI-compatible clients):
        the state is rebuilt by replaying the earlier user messages, so the session follows the client."""
        t0 = time.perf_counter()
        if not user_messages:
            raise InvalidInput("no_user_message", "messages 中至少需要一条 user 消息。")
        last = self.validate_message(user_messages[-1])
        session_id = self.validate_session_id(session_id) or new_session_id()
        with budget(self.settings.answer_deadline_s), self._session_lock(session_id):  # one deadline for it all
            answer = self._answer(last, session_id, self._replay(user_messages[:-1]))
            answer.latency_ms = round((time.perf_counter() - t0) * 1000, 2)
            answer.turn_id = self._save(session_id, last, answer, owner_hash, degrade)
        return answer

    def _over_load(self, message: str) -> str | None:
        """A polite answer for a message with more amounts or clauses than the engine reads (bounded work per
        message), else None."""
        amounts, clauses = message_load(message)
        if amounts > self.settings.max_amounts_per_message:
            return (f"这条消息里有 {amounts} 个金额，超过了一次能核算的上限（{self.settings.max_amounts_per_message} 个）。"
                    "请分几条发送，每条只写与所问补贴有关的金额。")
        if clauses > self.settings.max_clauses_per_message:
            return f"这条消息太长、分句太多（{clauses} 句），请拆成几个简短的问题分别发送。"
        return None

    def _polite(self, session_id: str, text: str, state: dict, intent: str) -> Answer:
        return Answer(session_id=session_id, answer=text, citations=[], tool_calls=[], refused=False, intent=intent,
                      follow_up=[], engine="rules", state=state)

    def _replay(self, earlier_messages: list[str]) -> dict:
        """The state of a conversation a client sends whole, rebuilt from its latest user messages within a cap on
        their number and characters, and within one answer deadline (bounded work per request)."""
        replay, chars = self.settings.max_replay_messages, self.settings.max_replay_chars
        kept: list[str] = []
        for earlier in reversed(earlier_messages[-replay:] if replay > 0 else []):
            if not isinstance(earlier, str) or len(earlier) > chars:
                break
            chars -= len(earlier)
            kept.append(earlier)
        state: dict = {}
        try:
            for earlier in reversed(kept):
                try:
                    message = self.validate_message(earlier)
                    if not self._over_load(message):
                        _, state, _ = self.engine.respond(message, state)
                except InvalidInput:
                    continue
        except OverBudget:
            log.warning("replay stopped past the deadline: the answer uses the state read so far")
        return state

    def _answer(self, message: str, session_id: str, state: dict, turns: list[dict] | None = None) -> Answer:
        """The rules engine always runs (it keeps the session state); the LLM, when configured, phrases the answer
        and falls back to the rules answer on any failure of the endpoint or of the grounding guard. The engine's
        work is bounded: too many amounts or clauses, or past the deadline, get a polite answer and the state
        stays as it was."""
        if over := self._over_load(message):
            return self._polite(session_id, over, state, "too_complex")
        try:
            with budget(self.settings.answer_deadline_s):
                reply, new_state, _ = self.engine.respond(message, state)
        except OverBudget as exc:
            log.warning("answer stopped (%s) after %.1fs: message of %d characters", exc.reason,
                        self.settings.answer_deadline_s, len(message))
            return self._polite(session_id, "这条消息太复杂，没能在规定时间内算完。请拆成几个简短的问题分别发送。",
                                state, "too_complex")
        rules = Answer(session_id=session_id, answer=reply.text(), citations=reply.citations,
                       tool_calls=reply.tool_calls, refused=reply.refused, intent=reply.intent,
                       follow_up=list(dict.fromkeys(reply.follow_up))[:5], engine="rules", state=new_state)
        if not self.settings.llm_enabled or reply.refused or reply.intent in ("smalltalk", "checklist"):
            return rules
        from assistant.agent import LLMAgent, describe_failure

        try:
            result = LLMAgent(self.settings, self.searcher).answer(message, turns or [], new_state.get("profile", {}))
        except Exception as exc:  # endpoint down, timeout, rate limit, malformed tool call, guard failure
            log.warning("LLM answer not used (%s: %s); rules engine answered", describe_failure(exc), str(exc)[:200])
            return rules
        return rules.model_copy(update={"answer": result.answer, "citations": result.citations,
                                        "tool_calls": result.tool_calls, "engine": "llm"})

    def session(self, session_id: str) -> dict | None:
        return self.store.session(self.validate_session_id(session_id) or "")

    def feedback(self, session_id: str, turn_id: str | None, helpful: bool, comment: str | None) -> str:
        self.validate_session_id(session_id)
        if turn_id is not None and not (isinstance(turn_id, str) and SESSION_ID.fullmatch(turn_id)):
            raise InvalidInput("invalid_turn_id", "turn_id 只能包含字母、数字、下划线和连字符，长度1–64。")
        comment = validate_free_text(comment, "comment")
        if not self.store.session_owner(session_id)[0]:
            raise SessionDenied(404, "unknown_session", "没有找到这个会话。")
        if turn_id and not self.store.turn_exists(turn_id, session_id):
            raise InvalidInput("unknown_turn", "没有找到这条回答（turn_id）。")
        return self.store.add_feedback(session_id, turn_id, helpful, comment)

    # --- counter cases (staff) ------------------------------------------------------------------------
    @property
    def pii_key(self) -> str:
        return self.settings.pii_key or secret_file(self.settings, "pii_key", 32)[0]

    def create_case(self, visitor_name: str, entity_type: str, needs: list[str], phone: str | None = None,
                    id_number: str | None = None) -> dict:
        """The ID number is kept only masked (for the printout) plus a keyed hash (to find the case by it); the phone
        is kept as given (the counter calls back), every other number in the free text masked."""
        from assistant.cases import case_items, mask_id, valid_phone
        from assistant.privacy import id_hash, mask_text

        visitor_name = validate_free_text(visitor_name, "visitor_name", 50) or ""
        phone = unicodedata.normalize("NFKC", phone).strip() or None if isinstance(phone, str) else phone
        if phone is not None and not valid_phone(phone):
            raise InvalidInput("invalid_phone", "电话只能包含数字、空格、+ 和 -，5–20 位。")
        return self.store.create_case({"visitor_name": mask_text(visitor_name.strip()), "phone": phone,
                                       "id_number": mask_id(id_number),
                                       "id_hash": id_hash(id_number, self.pii_key) if id_number else None,
                                       "entity_type": entity_type, "needs": needs,
                                       "checklist": case_items(entity_type, needs)})

    def get_case(self, case_id: str) -> dict | None:
        return self.store.get_case(case_id)

    def update_case(self, case_id: str, tick: dict[str, bool] | None = None, note: str | None = None,
                    status: str | None = None) -> dict | None:
        """Only the items ticked, the note added and the status set change: applied to the case as it is in the
        database inside one transaction, so concurrent staff edits never undo each other."""
        from assistant.privacy import mask_text
        from assistant.store import now

        note = validate_free_text(note, "note")
        if tick and not all(isinstance(k, str) and encodable(k) for k in tick):
            raise InvalidInput("unknown_item", "清单项的键必须是清单中的文本。")

        def change(case: dict) -> dict:
            fields: dict = {}
            if tick:
                keys = {i["key"] for i in case["checklist"]}
                unknown = [k for k in tick if k not in keys]
                if unknown:
                    raise InvalidInput("unknown_item", f"清单中没有这些项：{', '.join(unknown[:5])}")
                for item in case["checklist"]:
                    if item["key"] in tick:
                        item["done"] = bool(tick[item["key"]])
                fields["checklist"] = case["checklist"]
            if note:
                fields["notes"] = case["notes"] + [{"text": mask_text(note.strip()), "at": now()}]
            if status:
                fields["status"] = status
            return fields

        return self.store.modify_case(case_id, change)

    def list_cases(self, q: str | None = None, status: str | None = None) -> list[dict]:
        from assistant.privacy import id_hash

        return self.store.list_cases(q, status, q_hash=id_hash(q, self.pii_key) if q else None)

    def delete_case(self, case_id: str) -> bool:
        return self.store.delete_case(case_id)


@lru_cache(maxsize=1)
def get_service() -> AssistantService:
    return AssistantService()
