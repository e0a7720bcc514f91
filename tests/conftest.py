"""Shared fixtures. The suite builds its own index once, in a temp data dir, with no network."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

_DATA = Path(tempfile.mkdtemp(prefix="opc-test-data-"))
os.environ["OPC_DATA_DIR"] = str(_DATA)
os.environ.pop("OPENAI_API_KEY", None)
os.environ.pop("OPENAI_BASE_URL", None)
os.environ.setdefault("OPC_STAFF_TOKEN", "test-staff-token-0123456789abcdef")
os.environ.setdefault("OPC_RATE_LIMIT", "100000/minute")  # the suite's own load; tests/test_security.py sets its own
os.environ.setdefault("OPC_RATE_LIMIT_UI", "100000/minute")
# Multi-year benefits count only what falls before 2028-12-31 from a start date that defaults to today (tools/validity.py):
# the suite reads amounts as of the plan's first day, so no test depends on the day it runs.
os.environ.setdefault("OPC_TODAY", "2026-01-01")

import pytest  # noqa: E402
from hypothesis import settings  # noqa: E402

# Property tests explore at random on a developer's machine; CI replays a fixed sequence, so a landing never
# depends on which examples a run happened to draw (a failure found locally becomes a fixed test first).
settings.register_profile("ci", derandomize=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO.parent / "shared" / "corpus" / "000_6882b72d10cd1c8b.txt"
OUTPUT = REPO / "test-output"


@pytest.fixture(scope="session")
def service():
    from assistant.service import get_service

    svc = get_service()
    svc.searcher  # build or load the index once
    return svc


@pytest.fixture(scope="session")
def output_dir() -> Path:
    OUTPUT.mkdir(exist_ok=True)
    return OUTPUT


@pytest.fixture(scope="session")
def server(service):
    """A real uvicorn server on loopback, sharing the suite's index (built once) with its own database."""
    from tests.serving import Server

    srv = Server(_DATA).start()
    yield srv
    srv.stop()


@pytest.fixture(scope="session")
def staff_headers():
    return {"Authorization": f"Bearer {os.environ['OPC_STAFF_TOKEN']}"}
