"""Adding a benefit is a YAML entry and one calculator function: loaded from a temporary policies.yaml, it is
routed by its cue phrases, asked about in the words of its input field, computed and cited, with no other code."""
import pytest
import yaml
from pydantic import BaseModel, Field

from tools.money import yuan
from tools.result import Step, ToolResult, base_result
from tools.rules import policy_book

EXTRA = {
    "id": "robot_dog", "title": "巡检机器狗采购补贴", "doc": "measures", "section": "第一条",
    "quote": "对OPC租用（购买）盐城智能算力资源或服务", "kind": "exact", "rate": 0.4, "caps": {"total": 80000},
    "conditions": ["采购巡检机器狗"], "responsible": ["市工信局"],
    "tool": "compute_robot_dog_subsidy", "tool_function": "tests.test_plugin_benefit:compute_robot_dog",
    "cues": ["机器狗"], "cue_rank": 5, "fields": ["amounts"], "arguments": {"price": "amount"},
}


class RobotDogIn(BaseModel):
    model_config = {"extra": "forbid"}
    price: float = Field(..., gt=0, description="巡检机器狗的采购价格（元）")


def compute_robot_dog(inp: RobotDogIn) -> ToolResult:
    b = policy_book().benefit("robot_dog")
    raw = inp.price * b.rate
    amount = min(raw, b.caps["total"])
    return base_result("compute_robot_dog_subsidy", b, amount=amount, breakdown=[
        Step(label="补贴", formula=f"{yuan(inp.price)} × {b.rate:.0%} = {yuan(raw)}", amount=amount)])


@pytest.fixture()
def extra_benefit(tmp_path, monkeypatch):
    from assistant import catalog
    from tools import rules

    data = yaml.safe_load(rules.POLICIES_PATH.read_text(encoding="utf-8"))
    data["benefits"].append(EXTRA)
    path = tmp_path / "policies.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")

    def forget():
        rules.policy_book.cache_clear()
        catalog.clear_caches()

    monkeypatch.setattr(rules, "POLICIES_PATH", path)
    forget()
    yield
    monkeypatch.undo()
    forget()


def test_extra_benefit_is_routed_asked_about_and_computed(service, extra_benefit):
    from tools.registry import TOOLS

    asked = service.chat("买机器狗有补贴吗", None)
    assert not asked.tool_calls and not asked.refused
    assert any("采购价格" in f for f in asked.follow_up), asked.follow_up
    assert asked.citations[0].section == "第一条"

    done = service.chat("我们买了一台机器狗，花了10万元，能补多少", None)
    call = done.tool_calls[0]
    assert (call.name, call.arguments, call.result["amount"]) == ("compute_robot_dog_subsidy", {"price": 100000}, 40000)
    assert done.answer.splitlines()[0].count("**4万元**") == 1

    capped = service.chat("机器狗花了50万呢", done.session_id)
    assert capped.tool_calls[0].result["amount"] == 80000
    assert "巡检机器狗采购补贴" in TOOLS["compute_robot_dog_subsidy"].description


def test_without_the_entry_the_tool_does_not_exist():
    from tools.registry import TOOLS

    assert "compute_robot_dog_subsidy" not in TOOLS
