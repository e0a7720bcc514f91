"""The understanding path holds no policy knowledge: benefit names, district names, article quotes and amounts live in
knowledge/*.yaml, so a changed policy is a YAML change. String literals of the path are checked (docstrings and
comments may show examples of what users write; a question back may show an example of the input form)."""
import ast
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
PATH_FILES = ["understand.py", "decide.py", "engine.py", "facts.py", "carry.py", "questions.py", "place_roles.py",
              "asked_facts.py", "catalog.py", "onewindow.py"]
MONEY = re.compile(r"(?<![.\d])\d+(\.\d+)?\s*(万元|万|元|%)")


def _literals(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
            skip.add(id(body[0].value))  # a docstring
        if isinstance(node, ast.FormattedValue) and node.format_spec is not None:
            skip.update(id(n) for n in ast.walk(node.format_spec))
    return [(n.lineno, n.value) for n in ast.walk(tree)
            if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in skip]


def _knowledge() -> list[str]:
    pol = yaml.safe_load((ROOT / "knowledge" / "policies.yaml").read_text(encoding="utf-8"))
    places = yaml.safe_load((ROOT / "knowledge" / "places.yaml").read_text(encoding="utf-8"))
    return ([b["title"] for b in pol["benefits"]] + [b["quote"][:12] for b in pol["benefits"]]
            + [e["name"] for e in places["metro"] + places["reference"]])


@pytest.mark.parametrize("name", PATH_FILES)
def test_no_policy_facts_in_the_understanding_path(name):
    known = _knowledge()
    found = []
    for line, text in _literals(ROOT / "assistant" / name):
        if "例如" in text:  # an example of the input form in a question back
            continue
        found += [(line, k) for k in known if k in text]
        if m := MONEY.search(text):
            found.append((line, m.group(0)))
    assert not found, found


@pytest.mark.parametrize("name", PATH_FILES)
def test_functions_of_the_understanding_path_stay_short(name):
    """One job per function: none over 60 lines (issue #14)."""
    tree = ast.parse((ROOT / "assistant" / name).read_text(encoding="utf-8"))
    long = [(n.name, n.end_lineno - n.lineno + 1) for n in ast.walk(tree)
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.end_lineno - n.lineno + 1 > 60]
    assert not long, long
