"""Exclusion by automation only where the protocol allows it, counted apart from reviewers'."""
from __future__ import annotations

import pytest
import yaml

from conftest import copy_review
from review.cli import main
from review.errors import ReviewError
from review.project import open_review
from review.screening.decisions import exclude_by_automation, final_decisions, record_decision


@pytest.fixture(scope="module")
def example(worked_example, tmp_path_factory):
    return copy_review(worked_example, tmp_path_factory.mktemp("ex") / "nk")


def test_refused_when_the_protocol_does_not_allow_it(example):
    with pytest.raises(ReviewError, match="automation_may_exclude is false"):
        exclude_by_automation(open_review(example), [1], reviewer="model")


def test_counted_apart_and_overridden_by_a_reviewer(example, tmp_path):
    protocol = example / "protocol.yaml"
    data = yaml.safe_load(protocol.read_text(encoding="utf-8"))
    data["screening"]["automation_may_exclude"] = True
    allowed = tmp_path / "rev"
    assert main(["init", str(allowed), "--protocol", str(_write(tmp_path, data))]) == 0
    assert main(["import", str(_ris(tmp_path)), "--review", str(allowed), "--database", "Embase"]) == 0
    review = open_review(allowed)
    assert exclude_by_automation(review, [1, 2], reviewer="stopping rule") == 2
    finals = final_decisions(review.store, "title_abstract").set_index("record_id")["final"]
    assert finals.to_dict() == {1: "ineligible_by_automation", 2: "ineligible_by_automation"}
    record_decision(review.store, stage="title_abstract", record_id=2, reviewer="ana", decision="include")
    record_decision(review.store, stage="title_abstract", record_id=2, reviewer="ben", decision="include")
    finals = final_decisions(review.store, "title_abstract").set_index("record_id")["final"]
    assert finals.to_dict() == {1: "ineligible_by_automation", 2: "include"}


def _write(tmp_path, data):
    for search in data["searches"]:  # the copy lives apart from the example's export files
        search.pop("file", None)
    data["other_methods"] = []
    path = tmp_path / "protocol.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def _ris(tmp_path):
    path = tmp_path / "two.ris"
    path.write_text("TY  - JOUR\nTI  - One\nPY  - 2020\nER  - \n\nTY  - JOUR\nTI  - Two\nPY  - 2021\nER  - \n",
                    encoding="utf-8")
    return path
