"""Start a real uvicorn server on 127.0.0.1 for the tests (its own process, its own database file)."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, data_dir: Path, db_url: str | None = None, workers: int = 1, env: dict | None = None,
                 log_level: str = "warning", cli: bool = False):
        self.data_dir = data_dir
        self.db_url = db_url or f"sqlite:///{data_dir / 'server.sqlite3'}"
        self.workers = workers
        self.extra_env = env or {}
        self.log_level = log_level
        self.cli = cli  # started as `opc-assistant serve` (as make run does) instead of `python -m uvicorn`
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None
        self.log = data_dir / f"server-{self.port}.log"

    def start(self, timeout: float = 180) -> "Server":
        env = {**os.environ, "OPC_DATA_DIR": str(self.data_dir), "OPC_DATABASE_URL": self.db_url,
               "OPC_STAFF_TOKEN": os.environ.get("OPC_STAFF_TOKEN", "test-staff-token-0123456789abcdef"), **self.extra_env}
        cmd = [sys.executable, "-m", "uvicorn", "assistant.api.server:app", "--host", "127.0.0.1",
               "--port", str(self.port), "--workers", str(self.workers), "--log-level", self.log_level]
        if self.cli:
            cmd = [sys.executable, "-m", "assistant.cli", "serve", "--host", "127.0.0.1", "--port", str(self.port),
                   "--workers", str(self.workers)]
        self.proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=self.log.open("ab"), stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.log.read_text()[-3000:]}")
            try:
                if httpx.get(self.url + "/healthz", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise RuntimeError("server did not become healthy in time")

    def stop(self, kill: bool = False) -> None:
        if self.proc and self.proc.poll() is None:
            if kill:
                self.proc.kill()
            else:
                self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
