"""The command line as a newcomer uses it (issue #27): the examples it prints run as printed, `calc list` names
every tool's parameters, and `--server` answers through a running server instead of loading the index each time."""
from __future__ import annotations

import re
import shlex
import subprocess
import sys

from typer.testing import CliRunner

from assistant.cli import app
from tools.registry import TOOLS

runner = CliRunner()


def test_calc_list_names_every_tool_and_its_parameters():
    out = runner.invoke(app, ["calc", "list"], env={"COLUMNS": "200"}).output
    for name, spec in TOOLS.items():
        assert name in out
        for param in spec.json_schema().get("properties", {}):
            assert param in out, (name, param)


def test_the_calc_example_in_help_runs_as_printed():
    """The example is quoted, so a shell does not cut it at ';'."""
    text = runner.invoke(app, ["calc", "--help"], env={"COLUMNS": "300"}).output
    example = re.search(r"calc (compute_voucher_subsidy \"[^\"]+\")", text).group(1)
    argv = shlex.split(example)  # what bash passes
    r = runner.invoke(app, ["calc", *argv])
    assert r.exit_code == 0 and "100万元" in r.output


def test_ask_and_search_through_a_running_server(server):
    cli = [sys.executable, "-m", "assistant.cli"]
    first = subprocess.run(cli + ["ask", "硕士每月生活补贴多少", "--server", server.url], capture_output=True, text=True,
                           timeout=120, env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"})
    assert first.returncode == 0 and "2,000元" in first.stdout
    sid, token = re.search(r"--session (\S+)\s+--token (\S+)", first.stdout).groups()
    again = subprocess.run(cli + ["ask", "28", "--server", server.url, "--session", sid, "--token", token],
                           capture_output=True, text=True, timeout=120, env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"})
    assert again.returncode == 0 and "全日制" in again.stdout  # the bare age answered the open question
    found = subprocess.run(cli + ["search", "算力券", "--k", "2", "--server", server.url, "--json"], capture_output=True,
                           text=True, timeout=120)
    assert found.returncode == 0 and "第一条" in found.stdout
    down = subprocess.run(cli + ["ask", "你好", "--server", "http://127.0.0.1:9"], capture_output=True, text=True, timeout=60)
    assert down.returncode == 2 and "连不上服务" in down.stderr and "Traceback" not in down.stderr
