"""The protocol's `report.outcomes`: what a reviewer gets wrong is refused naming the field."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from review.errors import ProtocolError
from review.protocol import parse_protocol

EXAMPLE = Path(__file__).parents[1] / "protocols" / "nk-exosomes" / "protocol.yaml"


def _with(outcomes) -> dict:
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    data["report"]["outcomes"] = outcomes
    return data


def test_the_example_names_outcomes_with_thresholds_and_favours_labels():
    protocol = parse_protocol(yaml.safe_load(EXAMPLE.read_text(encoding="utf-8")))
    volume = protocol.report.outcomes[0]
    assert ("tumour volume", "lower", 0.5, "strategy", "knha") == (
        volume.outcome, volume.better, volume.threshold, volume.subgroup_by, volume.test)
    assert ("vesicle therapy", "control") == volume.favours
    survival = protocol.report.outcomes[2]
    assert ("control", "vesicle therapy") == survival.favours  # higher is better: right side


@pytest.mark.parametrize("outcome, message", [
    ({"outcome": "tumour size", "better": "lower", "threshold": 0.5},
     "outcomes[0].outcome: 'tumour size' is not one of the values allowed for 'outcome_measure'"),
    ({"outcome": "survival", "better": "lower", "threshold": 0.5, "subgroup_by": "dose"},
     "outcomes[0].subgroup_by: field 'dose' is in the repeating group 'experiment'"),
    ({"outcome": "survival", "measure": "RR", "better": "higher", "threshold": 0.8},
     "for a ratio measure give the smallest ratio that matters, above 1"),
    ({"outcome": "survival", "better": "sooner", "threshold": 0.5}, "better"),
    ({"outcome": "survival", "better": "higher"}, "threshold"),
])
def test_a_wrong_outcome_is_refused_naming_the_field(outcome, message):
    with pytest.raises(ProtocolError, match=message.replace("(", r"\(").replace(")", r"\)")
                       .replace("[", r"\[").replace("]", r"\]").replace(".", r"\.")):
        parse_protocol(_with([outcome]))


def test_an_outcome_may_be_listed_once():
    twice = [{"outcome": "survival", "better": "higher", "threshold": 0.5}] * 2
    with pytest.raises(ProtocolError, match="each outcome may be listed once"):
        parse_protocol(_with(twice))
