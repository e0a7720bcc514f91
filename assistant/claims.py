"""Claims without numbers, checked against the data: article labels, departments, absolute phrases, deadlines and
contact details, conditions said not to apply, and which benefit a figure belongs to. Each check returns violations
worded for the retry prompt; the word lists are language conventions in knowledge/guard.yaml."""
from __future__ import annotations

import re

from assistant.evidence import RE_CLAUSE, Corpus
from assistant.numerals import LABEL_ARTICLE, LABEL_ITEM, LABEL_ORDINAL_YEAR, MASK, normalize, rules
from assistant.placeholders import Figure

RE_SENTENCE = re.compile(r"[^。！？\n]+|\n")
RE_URL = re.compile(r"(?:https?://|www\.)[^\s，。；！？）)\]]+|[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.(?:gov\.cn|com\.cn|org\.cn|com|cn|net|org)\b"
                    r"|[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
RE_PHONE = re.compile(r"(?<![0-9])(?:0\d{2,3}[- ]?\d{7,8}|1[3-9]\d{9}|12345|\d{3,4}-\d{3,4}-?\d{3,4})(?![0-9])")


def check_labels(text: str, cited: list[dict], corpus: Corpus) -> tuple[list[str], list[tuple[int, int]]]:
    """Labels written in the answer (第九条, （五）, 三、) must exist and be among the cited sections.
    Returns violations and the spans to mask before the numeral scan (a label is not an amount)."""
    bad, spans = [], []
    cited_labels = [c["section"] for c in cited]
    for rx in (LABEL_ARTICLE, LABEL_ITEM):
        for m in rx.finditer(text):
            label = m.group(0).replace("(", "（").replace(")", "）")
            spans.append(m.span())
            if not corpus.label_exists(label):
                bad.append(f"文件中没有“{label}”这一条款")
            elif not any(label in c for c in cited_labels):
                bad.append(f"“{label}”不在本次回答引用的条款中（先检索或调用工具）")
    for m in LABEL_ORDINAL_YEAR.finditer(text):
        spans.append(m.span())
        if m.group(0) not in corpus.all_text:
            bad.append(f"文件中没有“{m.group(0)}”的规定")
    return bad, spans


def _department_names(text: str) -> set[str]:
    """Names ending in a department word (…局, …委员会, …部门, …中心), each taken from the last preposition or verb
    before it (请到盐都区行政审批局 -> 盐都区行政审批局); words that only look like one (布局, 主办) are not."""
    r = rules()
    not_before = r["department_suffix_not_before"]
    suffixes = "|".join(re.escape(w) + (f"(?![{not_before[w]}])" if w in not_before else "")
                        for w in sorted(r["department_suffixes"], key=len, reverse=True))
    stop, found = set(r["department_boundaries"]), set()
    for m in re.finditer(suffixes, text):
        start = m.start()
        while start > 0 and m.end() - start < 16 and "\u4e00" <= text[start - 1] <= "\u9fff" \
                and text[start - 1] not in stop:
            start -= 1
        name = text[start:m.end()]
        while (lead := next((w for w in r["department_lead_words"] if name.startswith(w) and len(name) > len(w) + 1),
                            None)):
            name = name[len(lead):]
        if len(name) >= 3 and name not in r["generic_departments"] and not any(
                name.endswith(w) for w in r["not_departments"]):
            found.add(name)
    return found


def departments(text: str, corpus: Corpus) -> set[str]:
    found = {u for u in corpus.known_units() if len(u) >= 3 and u in text} | _department_names(text)
    return {d for d in found if not any(d != o and d in o for o in found)}  # keep the longest spelling


def check_departments(text: str, units: set[str], corpus: Corpus, cited_texts: list[str] = ()) -> list[str]:
    """Every department named must be a responsible unit of an article the answer cites, or named in its text."""
    cited = normalize("\n".join(cited_texts))
    ok = lambda d: any(d in u or u in d for u in units if len(u) >= 3) or d in cited  # noqa: E731
    return [f"“{d}”不是所引条款列出的责任单位" for d in sorted(departments(text, corpus)) if not ok(d)]


def _matches(patterns: list[str], text: str, cited: str) -> list[str]:
    return [m.group(0) for pattern in patterns for m in re.finditer(pattern, text) if m.group(0) not in cited]


def check_absolutes(text: str, cited_texts: list[str]) -> list[str]:
    """无需任何条件 / 所有…都适用 / 不设上限 / 铁定能拿到: only when the cited text itself says so."""
    cited = normalize("\n".join(cited_texts))
    return [f"绝对化表述“{p}”没有原文依据" for p in _matches(rules()["absolute_phrases"], text, cited)]


def check_deadlines_and_contacts(text: str, cited_texts: list[str]) -> list[str]:
    """Deadlines (本月底前, 逾期不予受理), web addresses, e-mails and phone numbers: only those the cited text writes."""
    cited = normalize("\n".join(cited_texts))
    bad = [f"期限说法“{p}”没有原文依据" for p in _matches(rules()["deadline_phrases"], text, cited)]
    bad += [f"网址、邮箱或电话“{m.group(0)}”不在所引原文中" for rx in (RE_URL, RE_PHONE) for m in rx.finditer(text)
            if m.group(0) not in cited]
    return bad


def _in_cited(piece: str, cited: str) -> bool:
    return len(piece) >= 2 and all("\u4e00" <= ch <= "\u9fff" for ch in piece) and piece in cited


def check_negated_conditions(text: str, cited_texts: list[str]) -> list[str]:
    """不要求首次在盐参保 / 年龄也不限: a condition the cited article states, said not to apply."""
    cited, r, bad = normalize("\n".join(cited_texts)), rules(), []
    alt = lambda words: "|".join(sorted(map(re.escape, words), key=len, reverse=True))  # noqa: E731
    for clause in RE_CLAUSE.finditer(text):
        c = clause.group(0)
        for m in re.finditer(f"(?:{alt(r['negations_before'])})(?!于)", c):
            rest = c[m.end():].lstrip("也都均并再是")
            phrase = next((rest[:n] for n in range(min(12, len(rest)), 1, -1) if _in_cited(rest[:n], cited)), "")
            if phrase and m.group(0) + phrase not in cited:
                bad.append(f"“{m.group(0)}{phrase}”与所引条款的条件“{phrase}”相反")
        for m in re.finditer(f"(?:{alt(r['negations_after'])})(?!于)", c):
            if re.sub(r"（[^）]*）|\([^)]*\)|[了的啊呢吧哦]", "", c[m.end():]).strip():
                continue  # 年龄不限 ends its clause; 生活补贴不要求… is the other reading
            head = c[:m.start()].rstrip("也都均并亦则")
            phrase = next((head[-n:] for n in range(min(12, len(head)), 1, -1) if _in_cited(head[-n:], cited)), "")
            if phrase and phrase + m.group(0) not in cited:
                bad.append(f"“{phrase}{m.group(0)}”与所引条款的条件“{phrase}”相反")
    return bad


def check_bindings(masked: str, figures: list[Figure], corpus: Corpus) -> list[str]:
    """A benefit named in a sentence must be the one whose tool result or article supplies the sentence's figure;
    a quoted figure stated for 第N年 must come from the clause about that year. `masked` has the placeholders
    blanked (same positions), so a sentence without a benefit name inherits the previous one of its paragraph."""
    bad, named_before = [], set()
    for m in RE_SENTENCE.finditer(masked):
        if m.group(0) == "\n":
            named_before = set()
            continue
        sentence = m.group(0)
        figs = [f for f in figures if f.value and m.start() <= f.span[0] < m.end()]
        named = corpus.named_benefits(sentence) or named_before
        named_before = named
        sources = set().union(*(f.benefits for f in figs)) if figs else set()
        if sources and named - sources:
            titles = "、".join(b.title for b in corpus.benefits if b.id in named - sources)
            bad.append(f"句子“{sentence.replace(MASK, '…').strip()[:30]}”说的是{titles}，但其中的数字不是这项政策的")
        bad += _year_bindings(sentence, figs)
    return bad + _nearby_bindings(masked, figures, corpus)


def _nearby_bindings(masked: str, figures: list[Figure], corpus: Corpus) -> list[str]:
    """The benefit the text nearest a figure talks about, by the policy data's titles, aliases and cue phrases (its
    clause, else the closest earlier clause of the paragraph that names one), must be among the figure's own:
    买新房的安家补助 is about 购房, so the living subsidy's figure cannot stand there."""
    clauses = [(m.start(), m.end(), corpus.mentioned_benefits(m.group(0))) for m in RE_CLAUSE.finditer(masked)]
    bad = []
    for f in figures:
        i = next((k for k, c in enumerate(clauses) if c[0] <= f.span[0] < c[1]), None) if f.benefits else None
        while i is not None and not clauses[i][2]:
            i = i - 1 if i > 0 and "\n" not in masked[clauses[i - 1][1]:clauses[i][0]] else None
        if i is None or clauses[i][2] & f.benefits:
            continue
        said = "、".join(b.title for b in corpus.benefits if b.id in clauses[i][2])
        own = "、".join(b.title for b in corpus.benefits if b.id in f.benefits)
        text = masked[clauses[i][0]:clauses[i][1]].replace(MASK, "…").strip()[:30]
        bad.append(f"“{text}”说的是{said}，但“{f.value}”是{own}的数字")
    return bad


def _year_bindings(sentence: str, figs: list[Figure]) -> list[str]:
    years = set(LABEL_ORDINAL_YEAR.findall(sentence))
    bad = []
    for f in figs:
        clause_years = {y for c in f.clauses for y in LABEL_ORDINAL_YEAR.findall(c)}
        if years and clause_years and not years & clause_years:
            bad.append(f"“{f.value}”在原文中是{'、'.join(sorted(clause_years))}的规定，不是{'、'.join(sorted(years))}")
    return bad
