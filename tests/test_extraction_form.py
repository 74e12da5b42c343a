"""The extraction form from the protocol's schema: groups and fields in order, every field type
parsed, and every refusal naming the field and saying what was expected."""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
import yaml

from review.errors import ProtocolError
from review.extraction.form import (
    ExtractionValueError,
    build_form,
    check_required,
    display_value,
    parse_value,
    same_value,
)
from review.protocol import (
    ExtractionField,
    ExtractionSchema,
    load_protocol,
    parse_protocol,
)

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "protocols" / "nk-exosomes" / "protocol.yaml"


@pytest.fixture(scope="module")
def form():
    return build_form(load_protocol(EXAMPLE).extraction)


def _field(**spec):
    return build_form(ExtractionSchema(fields=[ExtractionField(**spec)])).fields[0]


def test_groups_and_fields_follow_the_protocol(form):
    """Groups come in the protocol's order with their fields; units and help carry over."""
    assert [("study", False, 5), ("vesicle", False, 8), ("experiment", True, 7), ("outcome", True, 10)] == \
        [(g.name, g.repeating, len(g.fields)) for g in form.groups]
    assert ["strategy", "cargo", "loading_method", "targeting_ligand", "mechanism"] == \
        [f.name for f in form.group("study").fields]
    size, dose = form.field("mean_size"), form.field("dose")
    assert (("nm",), "nm") == (size.units, size.default_unit)
    assert (("ug protein", "particles", "ug/mL"), None) == (dose.units, dose.default_unit)
    assert "e.g. every 3 days x 5" == form.field("schedule").help
    assert "experiment" == form.group("experiment").noun
    codebook = form.to_frame()
    assert ["group", "repeating", "field", "label", "type", "required", "allowed", "units", "help"] == \
        list(codebook.columns)
    assert 30 == len(codebook)


def test_ungrouped_fields_form_a_general_section():
    """Fields the schema puts in no group come first, in a section called General."""
    schema = ExtractionSchema(groups=[{"name": "arm", "repeating": True}],
                              fields=[{"name": "n", "type": "integer", "group": "arm"},
                                      {"name": "note", "type": "text"}])
    assert [("general", "General", ("note",)), ("arm", "arm", ("n",))] == \
        [(g.name, g.label, tuple(f.name for f in g.fields)) for g in build_form(schema).groups]


def test_numbers_are_refused_by_name(form):
    """A number field names itself and what it expected."""
    size = form.field("mean_size")
    with pytest.raises(ExtractionValueError, match=re.escape(
            "field 'mean_size' (Mean or modal size): expected a number, found 'big'")) as info:
        parse_value(size, "big")
    assert "mean_size" == info.value.field
    assert (128.5, "nm") == parse_value(size, " 128.5 ")
    assert (None, None) == parse_value(size, "  ")
    with pytest.raises(ExtractionValueError, match=re.escape(
            "field 'mean_size' (Mean or modal size): expected a finite number, found 'inf'")):
        parse_value(size, "inf")
    with pytest.raises(ExtractionValueError, match=re.escape(
            "field 'mean_size' (Mean or modal size): expected a number, found True")):
        parse_value(size, True)
    count = form.field("treated_n")
    assert (6, None) == parse_value(count, "6") == parse_value(count, 6.0)
    with pytest.raises(ExtractionValueError, match=re.escape(
            "field 'treated_n' (Treated n): expected a whole number, found '6.5'")):
        parse_value(count, "6.5")


def test_units_must_be_one_the_protocol_allows(form):
    """A unit is required where the protocol lists several, and must be one of them."""
    dose = form.field("dose")
    assert (50.0, "particles") == parse_value(dose, "50", "particles")
    with pytest.raises(ExtractionValueError, match=re.escape(
            "field 'dose' (Dose): expected a unit (ug protein, particles, ug/mL)")):
        parse_value(dose, "50")
    with pytest.raises(ExtractionValueError, match=re.escape(
            "field 'dose' (Dose): expected a unit of ug protein, particles, ug/mL, found 'mg'")):
        parse_value(dose, "50", "mg")
    with pytest.raises(ExtractionValueError, match=re.escape(
            "field 'cargo' (Cargo or drug): expected no unit (the protocol gives it none), found 'mg'")):
        parse_value(form.field("cargo"), "paclitaxel", "mg")


def test_choices_are_matched_to_the_allowed_values(form):
    """Single and multiple choices accept allowed values only, case aside, in protocol order."""
    assert ("NK-92MI", None) == parse_value(form.field("source_cell"), "nk-92mi")
    with pytest.raises(ExtractionValueError, match=re.escape(
            "field 'strategy' (Strategy): expected one of native, drug-loaded, surface-modified, "
            "found 'loaded'")):
        parse_value(form.field("strategy"), "loaded")
    markers = form.field("positive_markers")
    assert (["CD63", "CD81"], None) == parse_value(markers, "cd81; CD63;CD81")
    assert (["CD9", "TSG101"], None) == parse_value(markers, ("TSG101", "CD9"))
    assert (None, None) == parse_value(markers, [])
    with pytest.raises(ExtractionValueError, match=re.escape(
            "field 'positive_markers' (EV markers shown): expected values from CD63, CD9, CD81, "
            "TSG101, ALIX, HSP70, flotillin-1, found 'CD44'")):
        parse_value(markers, "CD63; CD44")


def test_yes_no_text_and_dates():
    """Yes/no is a bool or not reported; text is stripped; dates are ISO YYYY-MM-DD."""
    tem = _field(name="tem", label="TEM shown", type="yes_no")
    assert [(True, None), (False, None), (None, None), (None, None)] == \
        [parse_value(tem, v) for v in ("Yes", False, "not reported", None)]
    with pytest.raises(ExtractionValueError, match=re.escape(
            "field 'tem' (TEM shown): expected yes, no or not reported, found 'maybe'")):
        parse_value(tem, "maybe")
    when = _field(name="checked", type="date")
    assert ("2025-03-01", None) == parse_value(when, "2025-03-01") == parse_value(when, dt.date(2025, 3, 1))
    with pytest.raises(ExtractionValueError, match=re.escape(
            "field 'checked': expected a date as YYYY-MM-DD, found '1 March 2025'")):
        parse_value(when, "1 March 2025")
    with pytest.raises(ExtractionValueError, match=re.escape(
            "field 'checked': expected a date as YYYY-MM-DD, found '2025-02-30'")):
        parse_value(when, "2025-02-30")
    note = _field(name="note", type="text")
    assert ("a b", None) == parse_value(note, "  a b ")
    with pytest.raises(ExtractionValueError, match=re.escape("field 'note': expected text, found ['a']")):
        parse_value(note, ["a"])


def test_schema_errors_name_the_field():
    """Problems the protocol model cannot see are all listed, each naming its field."""
    schema = ExtractionSchema(fields=[
        {"name": "markers", "type": "multiple_choice", "allowed": ["CD63; CD81", "CD9", "CD9"]},
        {"name": "dose", "type": "number", "unit": "mg", "units": ["ug", "particles"]}])
    with pytest.raises(ProtocolError) as info:
        build_form(schema)
    assert (
        "the protocol's extraction schema is not valid:\n"
        "  - extraction.fields: field 'markers': allowed value 'CD63; CD81' contains ';', which "
        "separates multiple choices in CSV files\n"
        "  - extraction.fields: field 'markers': allowed value(s) 'CD9' listed more than once\n"
        "  - extraction.fields: field 'dose': unit 'mg' is not one of its units (ug, particles)"
    ) == str(info.value)


def test_protocol_errors_name_the_extraction_field():
    """A schema the protocol model refuses is reported with the field's path."""
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    data["extraction"]["fields"][4]["type"] = "float"
    with pytest.raises(ProtocolError, match=re.escape(
            "  - extraction.fields[4].type: Input should be 'text', 'number', 'integer', "
            "'single_choice', 'multiple_choice', 'yes_no' or 'date'")):
        parse_protocol(data, "p.yaml")


def test_required_fields_are_checked_per_instance(form):
    """Missing required fields are named, per instance of a repeating group."""
    values = [{"group": "study", "instance": 1, "field": "strategy", "value": "native"},
              {"group": "vesicle", "instance": 1, "field": "isolation_method", "value": []},
              {"group": "experiment", "instance": 1, "field": "tumour_type", "value": "lung"},
              {"group": "experiment", "instance": 1, "field": "model", "value": "xenograft"},
              {"group": "experiment", "instance": 2, "field": "cell_line", "value": "A549"}]
    assert [
        "field 'source_cell' (Source cell): required, no value",
        "field 'isolation_method' (Isolation method): required, no value",
        "field 'tumour_type' (Tumour type), experiment 2: required, no value",
        "field 'model' (Model), experiment 2: required, no value",
        "group 'outcome' (Outcomes (one per measure and time point)): at least one outcome is required",
    ] == check_required(form, values)


def test_same_value_and_display():
    """Values compare as a reviewer would read them, and display that way."""
    assert same_value(["CD9", "CD63"], ["CD63", "CD9"]) and same_value(58.4, 58.40)
    assert same_value("HepG2;  Huh7", "HepG2; Huh7") and same_value(None, [])
    assert not same_value(True, 1) and not same_value("a", "A") and not same_value(6, None)
    assert ["CD63; CD9", "yes", "128 nm", "0.42", ""] == [
        display_value(["CD63", "CD9"]), display_value(True), display_value(128.0, "nm"),
        display_value(0.42), display_value(None)]
