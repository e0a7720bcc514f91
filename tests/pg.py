"""A throwaway PostgreSQL cluster on 127.0.0.1 for the storage tests (Debian packages; `.ci/run` installs them)."""
from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile

from tests.serving import free_port


def find_bin(name: str) -> str | None:
    hits = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return hits[-1] if hits else shutil.which(name)


class Postgres:
    def __init__(self):
        self.initdb, self.pg_ctl = find_bin("initdb"), find_bin("pg_ctl")
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="opc-pg-")
        self.url = f"postgresql+psycopg://opc@127.0.0.1:{self.port}/postgres"
        self._as = []
        if os.geteuid() == 0:  # postgres refuses to run as root
            shutil.chown(self.dir, "postgres", "postgres")
            self._as = ["runuser", "-u", "postgres", "--"]

    @classmethod
    def unavailable_reason(cls) -> str | None:
        if not (find_bin("initdb") and find_bin("pg_ctl")):
            return "PostgreSQL server binaries (initdb, pg_ctl) not installed; .ci/run installs the Debian package"
        if os.geteuid() == 0 and not shutil.which("runuser"):
            return "running as root without runuser"
        try:
            import psycopg  # noqa: F401
        except ImportError:
            return "psycopg not installed"
        return None

    def _run(self, *args: str) -> None:
        subprocess.run([*self._as, *args], check=True, capture_output=True, timeout=120)

    def init(self) -> "Postgres":
        self._run(self.initdb, "-D", f"{self.dir}/data", "-U", "opc", "--auth=trust", "-E", "UTF8", "--locale=C")
        return self

    def start(self) -> "Postgres":
        self._run(self.pg_ctl, "-D", f"{self.dir}/data", "-w", "-t", "60", "-l", f"{self.dir}/log", "-o",
                  f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off", "start")
        return self

    def stop(self) -> None:
        try:
            self._run(self.pg_ctl, "-D", f"{self.dir}/data", "-m", "fast", "-w", "stop")
        except subprocess.CalledProcessError:
            pass

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
