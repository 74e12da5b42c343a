"""Risk-of-bias and appraisal tools as data: one YAML file per tool under `appraisal/tools/`.

A tool lists its judgement levels (best to worst, each with the label robvis spells), its domains
with their signalling questions and allowed answers, and two sets of first-match rules: per
domain an optional algorithm suggesting a judgement from the answers, and the rule turning the
domain judgements into the overall judgement. Keeping these as data lets a review team read,
cite and adapt a tool (e.g. RoB 2's "several domains with some concerns" count) without code.
"""
from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Mapping, Optional

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ..errors import ReviewError, validation_report

__all__ = [
    "Tool", "Level", "Domain", "Question", "Answer", "Condition", "AlgorithmRule",
    "OverallCondition", "OverallRule", "OverallSpec", "TOOL_FILES", "TOOLS_DIR", "ROBVIS_LABELS",
    "load_tool", "load_tool_file", "tool_names", "overall_judgement", "suggest_judgement",
    "applicable_questions", "check_answers",
]

#: Where the shipped tool files live.
TOOLS_DIR = Path(__file__).resolve().parent / "tools"
#: The protocol's tool names (`risk_of_bias.tool`) and their files.
TOOL_FILES = {"SYRCLE": "syrcle.yaml", "RoB2": "rob2.yaml", "ROBINS-I": "robins_i.yaml",
              "MISEV": "misev.yaml"}
#: Judgement labels robvis accepts in its summary tables.
ROBVIS_LABELS = ("Low", "Some concerns", "High", "Unclear", "No information", "Moderate",
                 "Serious", "Critical")

_CODE = re.compile(r"^[a-z][a-z0-9_]*$")
_DOMAIN_ID = re.compile(r"^D[1-9][0-9]*$")


def _key(name: str) -> str:
    """'RoB 2', 'rob2', 'ROBINS-I', 'robins_i' -> one spelling to look names up by."""
    return re.sub(r"[^a-z0-9]", "", name.casefold())


_ALIASES = {_key(name): name for name in TOOL_FILES}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True,
                              populate_by_name=True)


class Answer(_Strict):
    code: str = Field(min_length=1)
    label: str = Field(min_length=1)


class Level(_Strict):
    """A judgement a reviewer can give: a code stored in the log, a label, robvis' spelling."""

    code: str
    label: str = Field(min_length=1)
    robvis: str

    @model_validator(mode="after")
    def _check(self):
        if not _CODE.match(self.code):
            raise ValueError(f"level code {self.code!r} must be lower-case letters, digits and '_'")
        if self.robvis not in ROBVIS_LABELS:
            raise ValueError(f"level {self.code!r}: robvis label must be one of "
                             f"{', '.join(ROBVIS_LABELS)}, not {self.robvis!r}")
        return self


class Condition(_Strict):
    """`{q: "1.2", in: [Y, PY]}`, `{all: [...]}` or `{any: [...]}` over signalling answers."""

    q: Optional[str] = None
    in_: Optional[list[str]] = Field(default=None, alias="in")
    all: Optional[list["Condition"]] = None
    any: Optional[list["Condition"]] = None

    @model_validator(mode="after")
    def _one_form(self):
        forms = [self.q is not None or self.in_ is not None, self.all is not None,
                 self.any is not None]
        if sum(forms) != 1 or (forms[0] and (self.q is None or not self.in_)):
            raise ValueError("a condition is {q: <question>, in: [answers]}, {all: [...]} or "
                             "{any: [...]}")
        return self

    def questions(self) -> set[str]:
        if self.q is not None:
            return {self.q}
        return set().union(*(c.questions() for c in (self.all or self.any)))

    def answers(self) -> set[str]:
        if self.q is not None:
            return set(self.in_)
        return set().union(*(c.answers() for c in (self.all or self.any)))

    def evaluate(self, answers: Mapping[str, str]) -> bool | None:
        """True, False, or None when an unanswered question decides it (three-valued logic)."""
        if self.q is not None:
            given = answers.get(self.q)
            return None if given in (None, "") else given in self.in_
        values = [c.evaluate(answers) for c in (self.all or self.any)]
        if self.all is not None:
            if any(v is False for v in values):
                return False
            return None if any(v is None for v in values) else True
        if any(v is True for v in values):
            return True
        return None if any(v is None for v in values) else False


class AlgorithmRule(_Strict):
    """One step of a domain's algorithm; without `when` it is the fall-through (last) step."""

    when: Optional[Condition] = None
    then: str


class Question(_Strict):
    id: str = Field(min_length=1)
    text: str = Field(min_length=1)
    answers: Optional[list[str]] = None
    asked_if: Optional[Condition] = None


class Domain(_Strict):
    id: str
    name: str = Field(min_length=1)
    bias: Optional[str] = None
    guidance: Optional[str] = None
    questions: list[Question] = Field(min_length=1)
    algorithm: Optional[list[AlgorithmRule]] = None


class OverallCondition(_Strict):
    """Over domain judgements: every one in `all`, one in `any`, or `at_least` N `of` levels."""

    all: Optional[list[str]] = None
    any: Optional[list[str]] = None
    at_least: Optional[int] = Field(default=None, ge=1)
    of: Optional[list[str]] = None

    @model_validator(mode="after")
    def _one_form(self):
        forms = [self.all is not None, self.any is not None,
                 self.at_least is not None or self.of is not None]
        if sum(forms) != 1 or (forms[2] and (self.at_least is None or not self.of)):
            raise ValueError("an overall condition is {all: [levels]}, {any: [levels]} or "
                             "{at_least: N, of: [levels]}")
        return self

    def levels(self) -> set[str]:
        return set(self.all or self.any or self.of)

    def holds(self, judgements: list[str]) -> bool:
        if self.all is not None:
            return all(j in self.all for j in judgements)
        if self.any is not None:
            return any(j in self.any for j in judgements)
        return sum(j in self.of for j in judgements) >= self.at_least


class OverallRule(_Strict):
    when: Optional[OverallCondition] = None
    then: str


class OverallSpec(_Strict):
    description: str = Field(min_length=1)
    rules: list[OverallRule] = Field(min_length=1)


class Tool(_Strict):
    """One appraisal tool, validated so every rule names levels, questions and answers it has."""

    name: str = Field(min_length=1)
    title: str = Field(min_length=1)
    version: str = Field(min_length=1)
    citation: str = Field(min_length=1)
    applies_to: str = Field(min_length=1)
    note: Optional[str] = None
    answers: list[Answer] = Field(min_length=1)
    levels: list[Level] = Field(min_length=2)
    overall_levels: Optional[list[Level]] = None
    domains: list[Domain] = Field(min_length=1)
    overall: OverallSpec

    @model_validator(mode="after")
    def _consistent(self):
        problems: list[str] = []
        answer_codes = {a.code for a in self.answers}
        for what, levels in (("levels", self.levels), ("overall_levels", self.overall_levels or [])):
            codes = [lv.code for lv in levels]
            dupes = sorted({c for c in codes if codes.count(c) > 1})
            if dupes:
                problems.append(f"{what}: duplicate code(s) {', '.join(dupes)}")
        for i, domain in enumerate(self.domains, start=1):
            if domain.id != f"D{i}":
                problems.append(f"domain {i} must have id D{i} (robvis columns), not {domain.id!r}")
            ids = [q.id for q in domain.questions]
            if len(set(ids)) != len(ids):
                problems.append(f"{domain.id}: duplicate question id(s)")
            for question in domain.questions:
                unknown = sorted(set(question.answers or ()) - answer_codes)
                if unknown:
                    problems.append(f"{domain.id} question {question.id}: unknown answer(s) "
                                    f"{', '.join(unknown)}")
                if question.asked_if is not None:
                    problems += self._check_condition(domain, question.asked_if,
                                                      f"question {question.id} asked_if")
            rules = domain.algorithm or []
            for j, rule in enumerate(rules):
                where = f"algorithm step {j + 1}"
                if rule.then not in self.level_codes:
                    problems.append(f"{domain.id} {where}: 'then' must be a level "
                                    f"({', '.join(self.level_codes)}), not {rule.then!r}")
                if rule.when is None and j != len(rules) - 1:
                    problems.append(f"{domain.id} {where}: a step without 'when' must be last")
                if rule.when is not None:
                    problems += self._check_condition(domain, rule.when, where)
        rules = self.overall.rules
        for j, rule in enumerate(rules):
            where = f"overall rule {j + 1}"
            if rule.then not in self.overall_codes:
                problems.append(f"{where}: 'then' must be an overall level "
                                f"({', '.join(self.overall_codes)}), not {rule.then!r}")
            if rule.when is None and j != len(rules) - 1:
                problems.append(f"{where}: a rule without 'when' must be last")
            if rule.when is not None:
                unknown = sorted(rule.when.levels() - set(self.level_codes))
                if unknown:
                    problems.append(f"{where}: unknown level(s) {', '.join(unknown)}")
                if rule.when.at_least is not None and rule.when.at_least > len(self.domains):
                    problems.append(f"{where}: at_least {rule.when.at_least} is more than the "
                                    f"{len(self.domains)} domains")
        if rules[-1].when is not None:
            problems.append("overall: the last rule must have no 'when' (what applies otherwise)")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def _check_condition(self, domain: Domain, condition: Condition, where: str) -> list[str]:
        problems = []
        known = {q.id for q in domain.questions}
        unknown = sorted(condition.questions() - known)
        if unknown:
            problems.append(f"{domain.id} {where}: no question {', '.join(unknown)} in this domain")
        bad = sorted(condition.answers() - {a.code for a in self.answers})
        if bad:
            problems.append(f"{domain.id} {where}: unknown answer(s) {', '.join(bad)}")
        return problems

    # -- lookups ----------------------------------------------------------------------------------
    @property
    def level_codes(self) -> list[str]:
        return [lv.code for lv in self.levels]

    @property
    def overall_codes(self) -> list[str]:
        return [lv.code for lv in self.overall_levels or self.levels]

    @property
    def domain_ids(self) -> list[str]:
        return [d.id for d in self.domains]

    def domain(self, name: str) -> Domain:
        """A domain by id ('D3') or name (any case)."""
        wanted = str(name).strip().casefold()
        for domain in self.domains:
            if wanted in (domain.id.casefold(), domain.name.casefold()):
                return domain
        raise ReviewError(f"{self.name}: no domain {name!r}; expected one of "
                          f"{', '.join(self.domain_ids)}")

    def level(self, value: str, *, overall: bool = False) -> Level:
        """A level by code, label or robvis label (any case); ValueError naming the choices."""
        levels = (self.overall_levels or self.levels) if overall else self.levels
        wanted = str(value).strip().casefold()
        for level in levels:
            if wanted in (level.code, level.label.casefold(), level.robvis.casefold()):
                return level
        raise ValueError(f"judgement must be one of {', '.join(lv.label for lv in levels)}, "
                         f"not {value!r}")

    def answer_codes(self, question: Question) -> list[str]:
        return list(question.answers or [a.code for a in self.answers])

    def answer_label(self, code: str) -> str:
        return next((a.label for a in self.answers if a.code == code), code)


def _dotted(loc: tuple) -> str:
    return ".".join(str(p) for p in loc) or "(top level)"


def load_tool_file(path: str | Path) -> Tool:
    """Read and validate a tool YAML file (a shipped one or a team's own adaptation)."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ReviewError(f"{path}: cannot read the appraisal tool ({exc.strerror or exc})") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f", line {mark.line + 1}" if mark is not None else ""
        raise ReviewError(f"{path}{where}: not valid YAML ({getattr(exc, 'problem', exc)})") from None
    if not isinstance(data, dict):
        raise ReviewError(f"{path}: expected a mapping of tool fields at the top level")
    try:
        return Tool.model_validate(data)
    except ValidationError as error:
        raise ReviewError(validation_report(str(path), "appraisal tool", error, path=_dotted)) from None


@functools.lru_cache(maxsize=None)
def _shipped(name: str) -> Tool:
    return load_tool_file(TOOLS_DIR / TOOL_FILES[name])


def tool_names() -> list[str]:
    return list(TOOL_FILES)


def load_tool(name: str | Path | Tool) -> Tool:
    """A tool by the protocol's name ('SYRCLE', 'RoB2', 'ROBINS-I', 'MISEV'; spacing and case
    do not matter) or by the path of a YAML file."""
    if isinstance(name, Tool):
        return name
    text = str(name)
    if text.endswith((".yaml", ".yml")):
        return load_tool_file(text)
    canonical = _ALIASES.get(_key(text))
    if canonical is None:
        raise ReviewError(f"unknown appraisal tool {text!r}: expected one of "
                          f"{', '.join(TOOL_FILES)} or the path of a tool YAML file")
    return _shipped(canonical)


def _domain_codes(tool: Tool, judgements: Mapping[str, str]) -> dict[str, str]:
    """Domain judgements keyed by domain id, as level codes; errors name domain and choices."""
    codes: dict[str, str] = {}
    for name, value in judgements.items():
        domain = tool.domain(name)
        try:
            codes[domain.id] = tool.level(value).code
        except ValueError as exc:
            raise ReviewError(f"{tool.name}, {domain.id} ({domain.name}): {exc}") from None
    return codes


def overall_judgement(tool: Tool | str, domain_judgements: Mapping[str, str]) -> str:
    """The overall judgement (an overall level code) from one judgement per domain, by the
    tool's first-match rules. Domains may be named by id or name, judgements by code or label."""
    tool = load_tool(tool)
    codes = _domain_codes(tool, domain_judgements)
    missing = [d for d in tool.domain_ids if d not in codes]
    if missing:
        raise ReviewError(f"{tool.name}: the overall judgement needs every domain; no judgement "
                          f"for {', '.join(missing)}")
    values = [codes[d] for d in tool.domain_ids]
    for rule in tool.overall.rules:
        if rule.when is None or rule.when.holds(values):
            return rule.then
    raise AssertionError("validated tools end with an unconditional rule")  # pragma: no cover


def applicable_questions(tool: Tool | str, domain: str, answers: Mapping[str, str]) -> list[str]:
    """The domain's questions to answer given the answers so far: a conditional question once
    the answers it follows from call for it."""
    tool = load_tool(tool)
    known = dict(answers)
    shown = []
    for question in tool.domain(domain).questions:
        if question.asked_if is not None and question.asked_if.evaluate(known) is not True:
            known[question.id] = "NA"  # so questions that follow from it are not asked either
        else:
            shown.append(question.id)
    return shown


def suggest_judgement(tool: Tool | str, domain: str, answers: Mapping[str, str]) -> str | None:
    """The judgement (level code) the domain's algorithm suggests, or None when the tool has no
    algorithm for it or an unanswered question still decides the outcome. A suggestion only:
    the reviewer judges and writes the support."""
    tool = load_tool(tool)
    target = tool.domain(domain)
    for rule in target.algorithm or []:
        verdict = True if rule.when is None else rule.when.evaluate(answers)
        if verdict is None:
            return None
        if verdict:
            return rule.then
    return None


def check_answers(tool: Tool, domain: Domain, answers: Mapping[str, str] | None) -> dict[str, str]:
    """Answers with blanks dropped; ValueError naming an unknown question or answer."""
    clean: dict[str, str] = {}
    questions = {q.id: q for q in domain.questions}
    for qid, value in (answers or {}).items():
        if value in (None, ""):
            continue
        question = questions.get(str(qid))
        if question is None:
            raise ValueError(f"no signalling question {qid!r} in this domain; expected one of "
                             f"{', '.join(questions)}")
        allowed = tool.answer_codes(question)
        if str(value) not in allowed:
            raise ValueError(f"question {qid}: answer must be one of {', '.join(allowed)}, "
                             f"not {value!r}")
        clean[str(qid)] = str(value)
    return clean

