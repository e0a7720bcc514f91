"""Optional LLM-judged faithfulness score (1–5) per answer: reported in the summary, never gated.
Needs OPENAI_API_KEY (and OPENAI_BASE_URL / OPC_LLM_MODEL); without them it is simply not run."""
from __future__ import annotations

import json
import re

from assistant.config import Settings

PROMPT = """你是评审。根据“引用原文”判断“回答”是否忠实：数字和结论都能在原文或工具结果中找到为5分，有无出处的内容酌情扣分，
编造政策为1分。只输出 JSON：{{"score": 1到5的整数, "reason": "一句话"}}。

问题：{q}
引用原文：{quotes}
回答：{a}"""


class Judge:
    def __init__(self, settings: Settings):
        from langchain_openai import ChatOpenAI

        self.model = ChatOpenAI(model=settings.llm_model, base_url=settings.openai_base_url,
                                api_key=settings.openai_api_key, timeout=settings.llm_timeout_s, max_retries=0,
                                temperature=0)

    def score(self, question: str, answer: str, citations: list[dict]) -> int | None:
        quotes = "\n".join(f"{c['section']}：{c['quote']}" for c in citations) or "（无）"
        try:
            text = self.model.invoke(PROMPT.format(q=question, quotes=quotes, a=answer)).content
            m = re.search(r"\{.*\}", str(text), re.S)
            score = int(json.loads(m.group(0))["score"]) if m else None
        except Exception:  # the judge is advisory: a failed call is a missing score
            return None
        return score if score in range(1, 6) else None
