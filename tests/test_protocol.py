"""Protocol validation: the worked example validates; every error names its field exactly."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from review.errors import ProtocolError
from review.protocol import load_protocol, parse_protocol

EXAMPLE = Path(__file__).resolve().parents[1] / "protocols" / "nk-exosomes" / "protocol.yaml"


def example_data() -> dict:
    return yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))


def test_example_protocol_validates():
    """The worked example's protocol is valid and its search files exist."""
    protocol = load_protocol(EXAMPLE)
    assert [s.name for s in protocol.searches] == ["PubMed", "Embase", "Web of Science", "Scopus"]
    assert "wrong_population" in protocol.reason_codes("full_text")
    assert protocol.risk_of_bias.tool == "SYRCLE"
    assert {f.name for f in protocol.extraction.fields} >= {"source_cell", "strategy", "tumour_type"}


def test_missing_field_is_named():
    """A missing required field is reported with its path."""
    data = example_data()
    del data["review_question"]
    with pytest.raises(ProtocolError) as info:
        parse_protocol(data, "p.yaml")
    assert str(info.value) == (
        "p.yaml: the protocol is not valid (1 problem(s)):\n"
        "  - review_question: required field is missing")


def test_nested_errors_are_all_listed():
    """Several problems are listed together, each with its full field path."""
    data = example_data()
    data["searches"][1]["date"] = "last spring"
    data["extraction"]["fields"][0]["allowed"] = None
    data["keywords"]["includ"] = ["x"]
    with pytest.raises(ProtocolError) as info:
        parse_protocol(data, "p.yaml")
    assert str(info.value) == (
        "p.yaml: the protocol is not valid (3 problem(s)):\n"
        "  - searches[1].date: Input should be a valid date or datetime, invalid character in year\n"
        "  - keywords.includ: unknown field (check its spelling)\n"
        "  - extraction.fields[0]: a single_choice field needs 'allowed' values")


def test_unit_on_text_field_is_refused():
    """Units belong to number fields only."""
    data = example_data()
    data["extraction"]["fields"] = [{"name": "cargo", "type": "text", "unit": "mg"}]
    with pytest.raises(ProtocolError, match=r"extraction\.fields\[0\]: 'unit' only applies to number fields, not text"):
        parse_protocol(data, "p.yaml")


def test_duplicate_reason_codes_are_refused():
    """Exclusion reason codes must be unique within a stage."""
    data = example_data()
    data["exclusion_reasons"]["full_text"].append({"code": "wrong_outcome", "label": "again"})
    with pytest.raises(ProtocolError, match=r"exclusion_reasons: full_text: duplicate reason code\(s\) wrong_outcome"):
        parse_protocol(data, "p.yaml")


def test_bad_reason_code_names_the_field():
    """A reason code that is not a slug is refused with its path."""
    data = example_data()
    data["exclusion_reasons"]["title_abstract"][0]["code"] = "Wrong population"
    with pytest.raises(ProtocolError, match=r"exclusion_reasons\.title_abstract\[0\]\.code: must be lower-case"):
        parse_protocol(data, "p.yaml")


def test_pico_needs_intervention():
    """A PICO framework without an intervention is refused."""
    data = example_data()
    del data["framework"]["intervention"]
    with pytest.raises(ProtocolError, match=r"framework: a PICO framework needs 'intervention'"):
        parse_protocol(data, "p.yaml")


def test_yaml_syntax_error_names_the_line(tmp_path):
    """Broken YAML is reported with its line number, not a traceback."""
    path = tmp_path / "protocol.yaml"
    path.write_text("title: x\nsearches: [\n  - a\n", encoding="utf-8")
    with pytest.raises(ProtocolError, match=r"protocol\.yaml, line \d+: not valid YAML"):
        load_protocol(path)


def test_missing_search_file_is_named(tmp_path):
    """A search export the protocol names must exist beside it."""
    data = example_data()
    path = tmp_path / "protocol.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(ProtocolError) as info:
        load_protocol(path)
    assert "  - searches[0].file: searches/pubmed.nbib does not exist" in str(info.value)


def test_top_level_must_be_a_mapping():
    """A protocol that is a list, not a mapping, is refused plainly."""
    with pytest.raises(ProtocolError, match="expected a mapping of protocol fields"):
        parse_protocol(["title"], "p.yaml")


def _with_deduplication(tmp_path, settings: dict) -> Path:
    source = Path(__file__).resolve().parents[1] / "protocols" / "nk-exosomes" / "protocol.yaml"
    data = yaml.safe_load(source.read_text(encoding="utf-8"))
    data["deduplication"] = settings
    path = tmp_path / "protocol.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


@pytest.mark.parametrize("settings,problem", [
    ({"keep_apart": ["erratum", "letters"]},
     "  - deduplication.keep_apart[1]: Input should be 'erratum', 'retraction', 'comment', "
     "'preprint' or 'conference_abstract'"),
    ({"title_same": 0.9, "title_unsure": 0.95},
     "  - deduplication: title_unsure must not be above title_same"),
])
def test_deduplication_settings_are_validated(tmp_path, settings, problem):
    """An unknown kind to keep apart, or a grey band upside down, is refused naming the field."""
    with pytest.raises(ProtocolError) as error:
        load_protocol(_with_deduplication(tmp_path, settings), check_files=False)
    assert str(error.value).splitlines()[-1] == problem


def test_deduplication_defaults_keep_every_kind_apart():
    protocol = load_protocol(Path(__file__).resolve().parents[1] / "protocols" / "nk-exosomes"
                             / "protocol.yaml", check_files=False)
    assert protocol.deduplication.keep_apart == ["erratum", "retraction", "comment", "preprint",
                                                 "conference_abstract"]
