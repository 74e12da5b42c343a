"""Appraisal tools as data: every shipped tool loads, its overall rule and domain algorithms give
the judgements the tool's guidance gives, and a broken tool file is refused with its problems."""
from __future__ import annotations

import re

import pytest
import yaml

from review.appraisal.tools import (TOOL_FILES, TOOLS_DIR, applicable_questions, load_tool,
                                    load_tool_file, overall_judgement, suggest_judgement)
from review.errors import ReviewError


@pytest.mark.parametrize("name, domains, first, last", [
    ("SYRCLE", 10, "Sequence generation", "Other sources of bias"),
    ("RoB2", 5, "Bias arising from the randomisation process",
     "Bias in selection of the reported result"),
    ("ROBINS-I", 7, "Bias due to confounding", "Bias in selection of the reported result"),
    ("MISEV", 8, "Starting material and collection", "Single-particle size analysis"),
])
def test_every_tool_loads_with_its_domains(name, domains, first, last):
    """Each shipped tool validates, has its number of domains D1..Dn, a citation and a version."""
    tool = load_tool(name)
    assert name == tool.name
    assert [f"D{i}" for i in range(1, domains + 1)] == tool.domain_ids
    assert (first, last) == (tool.domains[0].name, tool.domains[-1].name)
    assert tool.citation and tool.version and tool.applies_to
    assert all(d.questions for d in tool.domains)


def test_protocol_names_are_accepted_in_any_spelling():
    """The protocol's names, any case or spacing, and a file path all find the tool."""
    assert "RoB2" == load_tool("RoB 2").name == load_tool("rob2").name
    assert "ROBINS-I" == load_tool("robins_i").name == load_tool("ROBINS I").name
    assert "SYRCLE" == load_tool("syrcle").name
    assert "MISEV" == load_tool(TOOLS_DIR / TOOL_FILES["MISEV"]).name
    with pytest.raises(ReviewError, match=re.escape(
            "unknown appraisal tool 'QUADAS': expected one of SYRCLE, RoB2, ROBINS-I, MISEV or "
            "the path of a tool YAML file")):
        load_tool("QUADAS")


@pytest.mark.parametrize("name, levels", [
    ("SYRCLE", ["Low", "Unclear", "High"]),
    ("RoB2", ["Low", "Some concerns", "High"]),
    ("ROBINS-I", ["Low", "Moderate", "Serious", "Critical", "No information"]),
    ("MISEV", ["Low", "Some concerns", "High"]),
])
def test_levels_are_spelled_as_robvis_spells_them(name, levels):
    """Each level carries the label robvis' summary table expects."""
    assert levels == [level.robvis for level in load_tool(name).levels]


def _all(tool, value, **others):
    judgements = {d: value for d in load_tool(tool).domain_ids}
    judgements.update(others)
    return judgements


@pytest.mark.parametrize("judgements, expected", [
    (_all("SYRCLE", "low"), "low"),
    (_all("SYRCLE", "low", D4="unclear"), "unclear"),
    (_all("SYRCLE", "unclear", D7="high"), "high"),
    (_all("SYRCLE", "Low", D2="Unclear risk", D9="unclear"), "unclear"),
])
def test_syrcle_overall_is_the_worst_item_with_unclear_between(judgements, expected):
    """SYRCLE: high if any item is high, else unclear if any is unclear, else low."""
    assert expected == overall_judgement("SYRCLE", judgements)


@pytest.mark.parametrize("judgements, expected", [
    (_all("RoB2", "low"), "low"),
    (_all("RoB2", "low", D3="some_concerns"), "some_concerns"),
    (_all("RoB2", "low", D1="some_concerns", D5="some_concerns"), "some_concerns"),
    (_all("RoB2", "low", D1="some_concerns", D2="some_concerns", D5="some_concerns"), "high"),
    (_all("RoB2", "low", D4="high"), "high"),
    (_all("RoB2", "some_concerns", D2="low", D3="low"), "high"),
])
def test_rob2_overall_low_high_or_some_concerns(judgements, expected):
    """RoB 2: all low is low; any high, or some concerns in 3 domains, is high; else some concerns."""
    assert expected == overall_judgement("RoB2", judgements)


@pytest.mark.parametrize("judgements, expected", [
    (_all("ROBINS-I", "low"), "low"),
    (_all("ROBINS-I", "low", D1="moderate", D6="moderate"), "moderate"),
    (_all("ROBINS-I", "moderate", D5="no_information"), "no_information"),
    (_all("ROBINS-I", "low", D5="no_information", D2="serious"), "serious"),
    (_all("ROBINS-I", "serious", D7="critical", D5="no_information"), "critical"),
])
def test_robins_i_overall_is_the_worst_domain(judgements, expected):
    """ROBINS-I: the worst domain; no information only when nothing is serious or critical."""
    assert expected == overall_judgement("ROBINS-I", judgements)


@pytest.mark.parametrize("judgements, expected", [
    (_all("MISEV", "reported"), "adequate"),
    (_all("MISEV", "reported", D6="not_reported"), "adequate"),
    (_all("MISEV", "reported", D6="not_reported", D3="partly"), "partial"),
    (_all("MISEV", "not_reported", D1="reported", D2="reported", D4="reported", D8="reported"),
     "partial"),
    (_all("MISEV", "partly", D1="reported", D2="reported", D4="reported"), "inadequate"),
])
def test_misev_overall_counts_the_items_reported(judgements, expected):
    """MISEV: 7-8 items reported is well, 4-6 partly, 3 or fewer poorly characterised."""
    assert expected == overall_judgement("MISEV", judgements)


def test_overall_needs_every_domain_and_known_levels():
    """A missing domain or an unknown judgement is refused naming the tool and domain."""
    with pytest.raises(ReviewError, match=re.escape(
            "RoB2: the overall judgement needs every domain; no judgement for D4, D5")):
        overall_judgement("RoB2", {"D1": "low", "D2": "low", "D3": "low"})
    with pytest.raises(ReviewError, match=re.escape(
            "SYRCLE, D3 (Allocation concealment): judgement must be one of Low risk, Unclear "
            "risk, High risk, not 'probably fine'")):
        overall_judgement("SYRCLE", _all("SYRCLE", "low", D3="probably fine"))
    with pytest.raises(ReviewError, match=re.escape(
            "ROBINS-I: no domain 'D8'; expected one of D1, D2, D3, D4, D5, D6, D7")):
        overall_judgement("ROBINS-I", _all("ROBINS-I", "low", D8="low"))


@pytest.mark.parametrize("domain, answers, expected", [
    ("D1", {"1.1": "Y", "1.2": "Y", "1.3": "N"}, "low"),
    ("D1", {"1.1": "NI", "1.2": "PY", "1.3": "NI"}, "low"),
    ("D1", {"1.1": "N", "1.2": "Y", "1.3": "N"}, "some_concerns"),
    ("D1", {"1.1": "Y", "1.2": "Y", "1.3": "Y"}, "some_concerns"),
    ("D1", {"1.1": "Y", "1.2": "NI", "1.3": "PN"}, "some_concerns"),
    ("D1", {"1.1": "Y", "1.2": "NI", "1.3": "PY"}, "high"),
    ("D1", {"1.2": "PN"}, "high"),  # concealment failed: nothing else can change it
    ("D1", {"1.1": "Y", "1.2": "Y"}, None),  # baseline question still decides
    ("D2", {"2.1": "N", "2.2": "PN", "2.6": "Y"}, "low"),
    ("D2", {"2.1": "Y", "2.2": "N", "2.3": "N", "2.6": "PY"}, "low"),
    ("D2", {"2.1": "Y", "2.2": "Y", "2.3": "NI", "2.6": "Y"}, "some_concerns"),
    ("D2", {"2.1": "Y", "2.2": "Y", "2.3": "Y", "2.4": "N", "2.6": "Y"}, "some_concerns"),
    ("D2", {"2.1": "Y", "2.2": "Y", "2.3": "Y", "2.4": "Y", "2.5": "Y", "2.6": "Y"},
     "some_concerns"),
    ("D2", {"2.1": "Y", "2.2": "Y", "2.3": "Y", "2.4": "PY", "2.5": "N", "2.6": "Y"}, "high"),
    ("D2", {"2.1": "N", "2.2": "N", "2.6": "N", "2.7": "N"}, "some_concerns"),
    ("D2", {"2.1": "N", "2.2": "N", "2.6": "NI", "2.7": "NI"}, "high"),
    ("D2", {"2.1": "Y", "2.2": "N", "2.6": "Y"}, None),  # 2.3 still open
    ("D3", {"3.1": "Y"}, "low"),
    ("D3", {"3.1": "N", "3.2": "PY"}, "low"),
    ("D3", {"3.1": "N", "3.2": "N", "3.3": "PN"}, "low"),
    ("D3", {"3.1": "NI", "3.2": "N", "3.3": "Y", "3.4": "N"}, "some_concerns"),
    ("D3", {"3.1": "N", "3.2": "N", "3.3": "NI", "3.4": "PY"}, "high"),
    ("D4", {"4.1": "Y"}, "high"),
    ("D4", {"4.1": "N", "4.2": "PY"}, "high"),
    ("D4", {"4.1": "N", "4.2": "N", "4.3": "N"}, "low"),
    ("D4", {"4.1": "N", "4.2": "N", "4.3": "Y", "4.4": "PN"}, "low"),
    ("D4", {"4.1": "N", "4.2": "N", "4.3": "Y", "4.4": "Y", "4.5": "N"}, "some_concerns"),
    ("D4", {"4.1": "N", "4.2": "N", "4.3": "Y", "4.4": "Y", "4.5": "NI"}, "high"),
    ("D4", {"4.1": "N", "4.2": "NI", "4.3": "N"}, "some_concerns"),
    ("D5", {"5.1": "Y", "5.2": "N", "5.3": "PN"}, "low"),
    ("D5", {"5.1": "NI", "5.2": "N", "5.3": "N"}, "some_concerns"),
    ("D5", {"5.1": "Y", "5.2": "NI", "5.3": "N"}, "some_concerns"),
    ("D5", {"5.1": "Y", "5.2": "N", "5.3": "PY"}, "high"),
])
def test_rob2_domain_algorithms_suggest_the_guidance_judgement(domain, answers, expected):
    """RoB 2's decision trees, written as rules, give the guidance's judgement (or wait)."""
    assert expected == suggest_judgement("RoB2", domain, answers)


@pytest.mark.parametrize("tool, domain, answers, expected", [
    ("SYRCLE", "D2", {"2.1": "Y", "2.2": "Y"}, "low"),
    ("SYRCLE", "D2", {"2.1": "Y", "2.2": "U"}, "unclear"),
    ("SYRCLE", "D2", {"2.1": "N"}, "high"),
    ("SYRCLE", "D2", {"2.1": "Y"}, None),
    ("SYRCLE", "Sequence generation", {"1.1": "U"}, "unclear"),
    ("MISEV", "D8", {"8.1": "Y", "8.2": "Y"}, "reported"),
    ("MISEV", "D8", {"8.1": "N", "8.2": "Y"}, "partly"),
    ("MISEV", "D8", {"8.1": "N", "8.2": "N"}, "not_reported"),
    ("MISEV", "D7", {"7.1": "N"}, "not_reported"),
    ("MISEV", "D5", {"5.1": "P"}, "partly"),
    ("ROBINS-I", "D1", {"1.1": "Y", "1.2": "N", "1.3": "Y", "1.4": "N"}, None),
])
def test_syrcle_and_misev_suggest_and_robins_i_does_not(tool, domain, answers, expected):
    """SYRCLE and MISEV items suggest from their answers; ROBINS-I has no algorithm to apply."""
    assert expected == suggest_judgement(tool, domain, answers)


def test_conditional_questions_open_with_the_answers():
    """RoB 2's follow-up questions apply only once the answers before them call for them."""
    assert ["2.1", "2.2", "2.6"] == applicable_questions("RoB2", "D2", {})
    assert ["2.1", "2.2", "2.3", "2.6", "2.7"] == applicable_questions(
        "RoB2", "D2", {"2.1": "Y", "2.6": "NI"})
    assert ["2.1", "2.2", "2.6"] == applicable_questions(
        "RoB2", "D2", {"2.1": "N", "2.2": "N", "2.6": "Y"})
    assert ["2.1", "2.2", "2.3", "2.4", "2.6"] == applicable_questions(
        "RoB2", "D2", {"2.1": "Y", "2.2": "N", "2.3": "Y", "2.4": "N", "2.6": "Y"})


def test_a_tool_file_with_broken_rules_is_refused_with_every_problem(tmp_path):
    """Rules naming unknown levels, questions or answers, or an early fall-through, are listed."""
    data = yaml.safe_load((TOOLS_DIR / "syrcle.yaml").read_text(encoding="utf-8"))
    data["domains"][0]["algorithm"] = [{"then": "unclear"}, {"when": {"q": "9.9", "in": ["X"]},
                                                              "then": "fine"}]
    data["overall"]["rules"] = [{"when": {"any": ["awful"]}, "then": "high"}]
    path = tmp_path / "mine.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    expected = (f"{path}: the appraisal tool is not valid (1 problem(s)):\n  - (top level): "
                "D1 algorithm step 1: a step without 'when' must be last; D1 algorithm step 2: "
                "'then' must be a level (low, unclear, high), not 'fine'; D1 algorithm step 2: "
                "no question 9.9 in this domain; D1 algorithm step 2: unknown answer(s) X; "
                "overall rule 1: unknown level(s) awful; overall: the last rule must have no "
                "'when' (what applies otherwise)")
    with pytest.raises(ReviewError, match=re.escape(expected)):
        load_tool_file(path)


def test_a_tool_file_with_unknown_fields_names_them(tmp_path):
    """A misspelt field is reported with where it is."""
    data = yaml.safe_load((TOOLS_DIR / "misev.yaml").read_text(encoding="utf-8"))
    data["domains"][2]["questoins"] = data["domains"][2].pop("questions")
    path = tmp_path / "misev.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    expected = (f"{path}: the appraisal tool is not valid (2 problem(s)):\n"
                "  - domains.2.questions: required field is missing\n"
                "  - domains.2.questoins: unknown field (check its spelling)")
    with pytest.raises(ReviewError, match=re.escape(expected)):
        load_tool_file(path)
