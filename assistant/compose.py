"""Composing answers in Chinese Markdown: the direct answer first, then the basis, caveats, and a next step.
Every number written here comes from a tool result, a quoted article, or the user's own message."""
from __future__ import annotations

from tools.money import yuan
from tools.places import metro_names
from tools.rules import Benefit

DRAFT = "（本政策为征求意见稿，金额以正式印发版本为准。）"


def failed_condition(title: str, section: str, condition: str, words: str, note: str) -> str:
    """A condition the user states failed: the verdict and the condition, never a figure."""
    return f"❌ **不符合**{title}（{section}）的条件：{condition}。您说的“{words}”不满足这一条。" + (f"{note}。" if note else "")


def headline(result: dict) -> str:
    if result.get("readings"):
        return "；".join(f"{r['reading']}最高**{yuan(r['amount'])}**" for r in result["readings"])
    if result["amount"] is not None:
        prefix = "最高" if result["kind"] == "up_to" else ""
        return f"{prefix}**{yuan(result['amount'])}**"
    if result.get("max_amount"):
        return f"最高**{yuan(result['max_amount'])}**"
    return ""


def _per_month(step: dict) -> bool:
    """A first step that states a monthly figure: it is asked about as often as the total, so both are results."""
    return bool(step["amount"]) and (step["label"].endswith("每月") or f"{yuan(step['amount'])}/月" in step["formula"])


def _lead(result: dict) -> list[str]:
    """The first line: the verdict or the amount. An amount is bold only when it is the person's result."""
    title, section, head = result["title"], result["article"]["section"], headline(result)
    if result["tool"] == "check_scope":
        return [result["reason"]]
    if result["tool"] == "check_community_recognition":
        verdict = {True: "按您提供的数据，**全部基本条件已满足**。", False: "按您提供的数据，**还有条件未满足**。",
                   None: "按您提供的数据，**暂时无法判断全部条件**。"}[result["eligible"]]
        return [f"{verdict}{result['reason']}"]
    if result["eligible"] is False and not result.get("readings"):
        return [f"**不符合**{title}（{section}）的条件：{result['reason']}"]
    steps = result["breakdown"]
    if result["amount"] and len(steps) >= 2 and _per_month(steps[0]):
        most = "最高" if result["kind"] == "up_to" else ""
        lines = [f"{title}（{section}）：每月{most}**{yuan(steps[0]['amount'])}**，"
                 f"{steps[1]['label']}**{yuan(result['amount'])}**。"]
        lines += [result["reason"]] if result.get("reason") else []
    elif head:
        lines = [f"{title}（{section}）：{head}。"]
        if result.get("reason") and (result["amount"] is None or result["eligible"] is None):
            lines.append(result["reason"])
    else:
        return [f"{title}（{section}）：{result.get('reason') or '文件未规定具体金额。'}"]
    if result["eligible"] is None and any(c["status"] == "不确定" for c in result["conditions"]):
        lines[0] = "若满足全部条件，" + lines[0].replace("**", "")  # not yet the person's result: no headline
    return lines


def _year_lead(result: dict, year: int) -> list[str] | None:
    """The lead for a question about one year: that year's amount is the result, the cumulative total is not."""
    step = next((st for st in result["breakdown"] if st["label"] == f"第{year}年"), None)
    if step is None or step["amount"] is None or result["amount"] is None:
        return None
    n = len(result["breakdown"])
    return [f"{result['title']}（{result['article']['section']}）：第{year}年**{yuan(step['amount'])}**"
            f"（{n}年累计{yuan(result['amount'])}）。"]


def _part_of_year(result: dict, year: int) -> dict | None:
    """The step of a benefit in parts that covers one year (第二部分：第3年…), when it is no year of a sum."""
    return next((st for st in result["breakdown"] if f"第{year}年" in st["label"] and st["label"] != f"第{year}年"
                 and st["amount"] is not None), None)


def _part_lead(result: dict, year: int) -> list[str] | None:
    """The lead for a question about one part: that part's figure is bold; the amount of the others is context."""
    step = _part_of_year(result, year)
    if step is None:
        return None
    shown = yuan(step["amount"])
    formula = step["formula"].replace(shown, f"**{shown}**", 1) if shown in step["formula"] else f"**{shown}**"
    lines = [f"{result['title']}（{result['article']['section']}）{step['label']}：{formula}。"]
    others = [st for st in result["breakdown"] if st is not step and st["amount"] == result["amount"]]
    if result["amount"] and others:
        lines.append(f"另一部分：{others[0]['label']}{yuan(result['amount'])}，与上面分开计算、不相加。")
    return lines


def _focus_lead(result: dict, focus_year: int | None) -> list[str] | None:
    if not focus_year or result["eligible"] is False:
        return None
    return _year_lead(result, focus_year) or _part_lead(result, focus_year)


def _marked(label: str, focus_year: int | None) -> bool:
    return bool(focus_year) and (label == f"第{focus_year}年" or f"第{focus_year}年" in label)


def tool_answer(result: dict, focus_year: int | None = None) -> str:
    from tools.result import Cap

    lines = _focus_lead(result, focus_year) or _lead(result)
    ineligible = result["eligible"] is False and not result.get("readings")
    if result["breakdown"] and result["tool"] != "check_community_recognition" and not ineligible:
        lines.append("")
        lines.append("**计算过程**")
        for step in result["breakdown"]:
            mark = "👉 " if _marked(step["label"], focus_year) else ""
            lines.append(f"- {mark}{step['label']}：{step['formula']}")
    binding = [c for c in result["caps"] if c["binding"]]
    if binding and not ineligible:
        lines.append("- 触及上限：" + "；".join(f"{c['name']}{Cap(**c).display()}" for c in binding))
    if result["conditions"]:
        lines.append("")
        lines.append("**条件核对**")
        for c in result["conditions"]:
            icon = {"已满足": "✅", "待完善": "❌", "不确定": "❔"}[c["status"]]
            lines.append(f"- {icon} {c['status']}：{c['condition']}" + (f"（{c['note']}）" if c["note"] else ""))
    return "\n".join(lines)


def basis(quote: str, section: str, doc_title: str) -> str:
    return f"**依据**：《{doc_title}》{section}\n> {quote}"


def caveats(kind: str | None, has_amount: bool, scope: bool = True, no_double: bool = False) -> str:
    notes = []
    if kind == "up_to":
        notes.append("“最高”是上限，不是承诺，实际金额经审核确定")
    if no_double:
        notes.append("同一企业同一项目涉及多项奖补的，按“就高不重复”执行")
    if scope:
        notes.append(f"主要支持盐城大市区（{'、'.join(metro_names())}）")
    text = "；".join(notes) + "。" if notes else ""
    if has_amount:
        text += DRAFT
    return f"**注意**：{text}" if text else ""


def responsible(units: list[str]) -> str:
    return f"**咨询/受理部门**：{'、'.join(units)}（责任单位）。" if units else ""


def year_rate(b: Benefit, year: int, capped: bool) -> str:
    """The rate of one year of a benefit paid by year (第N年按…%), and whether the cap already stops it."""
    if not b.rates or not 1 <= year <= len(b.rates):
        return ""
    line = f"第{year}年按实际使用费用的**{b.rates[year - 1] * 100:g}%**奖补（{b.section}）。"
    if capped:
        line += f"按您前面的费用，累计奖励已达到上限，第{year}年不会再增加。"
    return line


def general_rule(b: Benefit, focus_year: int | None = None) -> str:
    """The rule stated from the article itself, when the tool cannot run yet."""
    lines = [f"{b.title}（{b.section}）：{b.quote}"]
    if focus_year and b.rates and 1 <= focus_year <= len(b.rates):
        lines.insert(0, f"第{focus_year}年按实际使用费用的**{b.rates[focus_year - 1] * 100:g}%**奖补。")
    if b.conditions:
        lines.append("")
        lines.append("**条件**")
        lines.extend(f"- {c}" for c in b.conditions)
    return "\n".join(lines)


def smalltalk() -> str:
    return ("您好！我是盐城人工智能OPC创业助手，可以：\n"
            "- 解答《行动方案》《社区建设指引》《若干政策措施》中的政策问题，并给出条款原文；\n"
            "- 按您的情况计算算力券、生活补贴、购房补贴、数据采购、贷款贴息等金额，列出计算过程和上限；\n"
            "- 判断条件是否满足，匹配您可能享受的政策；\n"
            "- 提供企业开办（登记注册、银行开户、税务登记）“一窗受理、一网通办”的办事清单。\n\n"
            "您可以直接问，例如“硕士来盐城创业每月生活补贴多少？”")


def refusal(reason: str, nearby: list[str], department: str | None = None) -> str:
    lines = [f"抱歉，{reason}我不能凭空给出答案。"]
    if nearby:
        lines.append("")
        lines.append("文件中相关的内容有：")
        lines.extend(f"- {n}" for n in nearby)
    if department:
        lines.append("")
        lines.append(department)
    return "\n".join(lines)


def per_person_amounts(results: list[dict], monthly: bool) -> tuple[list[float], bool]:
    """Each person's figure for a sum (the monthly one when asked per month and every figure has one; 0 for a
    person who does not qualify), and whether the figures are monthly."""
    counted = [r for r in results if r["eligible"] is not False]
    monthly = monthly and all(r["breakdown"] and _per_month(r["breakdown"][0]) for r in counted)
    return [0.0 if r["eligible"] is False else r["breakdown"][0]["amount"] if monthly else r["amount"]
            for r in results], monthly


def joint_total(total: dict, results: list[dict], lead: bool = True) -> str:
    """The sum (the headline when it leads, from the sum tool), then whose figure is whose."""
    steps = total["breakdown"][:-1]
    parts = [f"{who}{yuan(st['amount'])}" + ("（不符合条件）" if r["eligible"] is False else "")
             for who, st, r in zip(("您本人", "另一位"), steps, results)]
    unit = "每月" if steps and steps[0]["label"].endswith("每月") else ""
    figure = f"**{yuan(total['amount'])}**" if lead else yuan(total["amount"])
    return f"两人{unit}合计：{figure}（{' + '.join(parts)}）。"


def person_heading(own: bool) -> str:
    return "**您本人**" if own else "**另一位**（按您说的他/她的情况计算）"


def other_person_ask(question: str) -> str:
    return f"另一位：{question}"


def gated(b: Benefit) -> str:
    """A benefit asked about after its check said no: the rule, and that it applies only once the check is met."""
    return (f"按您前面提供的数据，社区**还不满足认定的基本条件**，{b.title}（{b.section}）要在认定之后才能申请。"
            f"原文：{b.quote}。")


def yearly_total(total: dict, labels: list[str]) -> str:
    """Several years' awards and their sum (from the sum tool); the sum is the headline."""
    parts = [f"{label}{yuan(st['amount'])}" for label, st in zip(labels, total["breakdown"][:-1])]
    return f"{len(parts)}次合计：**{yuan(total['amount'])}**（{' + '.join(parts)}）。"


def no_cross_total() -> str:
    return ("您问的是几项奖补的合计：下面逐项计算。文件没有把不同奖补相加的规定，同一企业同一项目按“就高不重复”执行，"
            "能否同时享受、合计多少以受理部门审核为准。")
