"""One-window assistant in chat: the start-up checklist for the founder's case, step questions, progress.
Checklists come from the get_checklist tool, so every fact in the answer is traceable to its result."""
from __future__ import annotations

import re
from functools import lru_cache

import yaml

from assistant.contract import ToolCall
from assistant.segment import has_word
from tools.checklists import CHECKLISTS_PATH, StepOut, checklist_book, detect_entity, detect_step
from tools.registry import run_tool

DONE = re.compile(r"(办好了|办完了|已经办|拿到了|领到了|搞定了|已办理|完成了|开好了|刻好了)")


@lru_cache(maxsize=1)
def _raw() -> dict:
    return yaml.safe_load(CHECKLISTS_PATH.read_text(encoding="utf-8"))


def _cues() -> dict[str, list[str]]:
    return _raw()["intent_cues"]


DONE_STEP = re.compile(r"办完|办好|办妥|已办|已经办|搞定|弄好|拿到了|领到了")
NEXT_STEP = re.compile(r"下一步|接下来|然后呢|还要办|还需要办|还得办|还要做什么|后续")
CLAUSE = re.compile(r"[^，,。；;！!？?\n]+[，,。；;！!？?\n]*")


def _beyond_done_steps(text: str) -> str:
    """The message without the clauses that report a step already done (税务登记办完了，…代账有没有免费的):
    a finished step is background, unless the question is what comes next."""
    if NEXT_STEP.search(text):
        return text
    kept = [c for c in CLAUSE.findall(text) if not DONE_STEP.search(c)]
    return "".join(kept) if kept else text


def asks_onewindow(text: str, topics: list[str]) -> bool:
    """A question about opening a company, from the cue phrases of checklists.yaml: a strong cue is enough unless
    a benefit is what is asked about; a weak cue (注册, 税务) needs a question word and no benefit topic."""
    cues = _cues()
    if any(w in text for w in cues["benefit_words"]):
        return False
    if any(w in text for w in cues["definition_words"]) and not any(w in text for w in cues["procedure_words"]):
        return False  # OPC到底是什么？一个人开公司就算吗？ asks what an OPC is
    if has_word(_beyond_done_steps(text), cues["strong"]):
        return True
    return not topics and has_word(text, cues["weak"]) and any(w in text for w in cues["asking"])


def render_step(step: dict, full: bool = True) -> str:
    s = StepOut(**step)
    lines = [f"**{'✅ ' if s.done else ''}{s.title}**" + (f"（办理地点：{s.where}）" if full else "")]
    if s.materials:
        lines.append("材料：" + "；".join(s.materials) + "。")
    if s.items:
        lines.append("事项：" + "；".join(s.items) + "。")
    if full:
        lines.extend(f"- {t}" for t in s.tips)
    return "\n".join(lines)


def _checklist(reply, args: dict) -> dict:
    result = run_tool("get_checklist", args)
    reply.tool_calls.append(ToolCall(name="get_checklist", arguments=args, result=result))
    return result


def _mark_done(step_id: str, entity, ow: dict, reply, notice: str) -> None:
    """A step the visitor says is done: ticked, and what remains listed."""
    if step_id not in ow["done"]:
        ow["done"].append(step_id)
    cl = _checklist(reply, {"entity_type": entity, "done": ow["done"]})
    remaining = [s for s in cl["steps"] if not s["done"]]
    done_titles = [s["title"] for s in cl["steps"] if s["done"]]
    reply.parts.append(f"好的，已记下：{'、'.join(done_titles)} 已完成。")
    if remaining:
        reply.parts.append("接下来还需要办：\n" + "\n".join(f"- {s['title']}" for s in remaining))
        reply.follow_up.append(f"{remaining[0]['title'].split('（')[0]}要带什么？")
    else:
        reply.parts.append("企业开办的事项都已办完。接下来可以关注OPC支持政策，例如生活补贴、算力券。")
        reply.follow_up.append("我能享受哪些政策？")
    reply.parts.append(f"_{notice}_")


def _done_and_asked(text: str) -> tuple[str | None, str | None]:
    """The step the message says is done (营业执照拿到了) and the step it asks about (银行开户要带什么), each
    from its own clauses."""
    clauses = CLAUSE.findall(text)
    said_done = "".join(c for c in clauses if DONE.search(c))
    rest = "".join(c for c in clauses if not DONE.search(c))
    done = detect_step(said_done) if said_done else None
    asked = detect_step(rest) if rest else None
    return done, asked if done else (asked or detect_step(text))


def answer_checklist(u, state: dict, reply, titles: dict[str, str]) -> None:
    text = u.text
    book = checklist_book()
    ow = state.setdefault("onewindow", {"entity_type": None, "done": []})
    entity = detect_entity(text) or ow.get("entity_type")
    ow["entity_type"] = entity
    done_step, step_id = _done_and_asked(text)
    reply.intent = "checklist"
    basis = _raw()["citation"]
    reply.cite(basis["doc"], basis["section"], basis["quote"], titles[basis["doc"]])
    if done_step:
        _mark_done(done_step, entity, ow, reply, book.notice)
        if not step_id:
            return

    asks_materials = re.search(r"带什么|材料|要什么|去哪|在哪|怎么办", text)
    if step_id and (step_id != "registration" or asks_materials):
        cl = _checklist(reply, {"entity_type": entity, "step": step_id})
        step = cl["steps"][0]
        if entity:
            reply.parts.append(f"以下按{cl['entity_name']}：")
        reply.parts.append(render_step(step))
        reply.parts.append(f"出处：{'；'.join(step['sources'])}。_{book.notice}_")
        if entity is None and any("（" in m for m in step["materials"]):
            reply.follow_up.append("您要办的是一人有限公司、多人有限公司，还是个体工商户？")
        return

    if entity is None:  # the common steps from the checklist tool; the materials depend on the entity type
        steps = [st["title"] for st in _checklist(reply, {"entity_type": None})["steps"]]
        reply.parts.append(f"办理地点：{book.where['counter']}；也可{book.where['online']}。"
                           f"企业开办“一件事”一般包括：{'、'.join(steps)}。")
        reply.parts.append("不同类型的主体材料不同。请问您要办的是：一人有限公司（一个自然人股东）、多个股东的有限公司，还是个体工商户？")
        reply.follow_up.extend(["一个人的有限公司", "和朋友合伙开的有限公司", "个体工商户"])
        reply.parts.append(f"_{book.notice}_")
        return

    cl = _checklist(reply, {"entity_type": entity, "done": ow["done"]})
    lines = [f"**{cl['entity_name']}开办清单**（{cl['principle']}）", "",
             f"办理地点：{book.where['counter']}；也可{book.where['online']}。", ""]
    for s in cl["steps"]:
        lines.append(render_step(s, full=False))
        lines.append("")
    reply.parts.append("\n".join(lines).strip())
    tips = next(s["tips"] for s in cl["steps"] if s["id"] == "registration")
    if tips:
        reply.parts.append("**提示**\n" + "\n".join(f"- {t}" for t in tips))
    reply.parts.append("**办完之后可以关注的OPC政策**\n" + "\n".join(
        f"- {b['title']}（{b['section']}）：准备 {'、'.join(b['evidence'])}" for b in cl["next_benefits"][:4]))
    reply.parts.append(f"_{cl['notice']}_")
    reply.follow_up.extend(["银行开户要带什么？", "营业执照办好了", "税务要办哪些？"])
