"""Web of Science tagged reader: Core Collection, MEDLINE-in-WoS and Zoological Record exports."""
from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from conftest import shared_file
from review.errors import ImportFormatError
from review.io import read_bytes, read_file
from review.io.wos import read_wos

SYN = "mjwestgate_synthesisr/tests/testthat/testdata"
#: (folder under ../shared/data/formats, file, records documented in SOURCES.md)
WOS_FILES = [
    ("rafguns_wosfile/data", "wos_plaintext.txt", 50),
    ("mjwestgate_revtools/examples", "restoration_WoS.ciw", 247),
    (SYN, "WoS_ciw_example.ciw", 5),
    (SYN, "WoS_txt_example.txt", 4),
    ("mjwestgate_synthesisr/inst/extdata", "zoorec.txt", 134),
    ("MrTango_rispy/tests/data", "example_wos.ris", 2),
]


@pytest.mark.parametrize("folder,name,count", WOS_FILES, ids=[n for _, n, _ in WOS_FILES])
def test_real_file_count_and_detection(folder, name, count):
    """Every real WoS tagged export (.ciw, .txt, even .ris) is detected and fully read."""
    parsed = read_file(shared_file(folder, name)).parsed
    assert parsed.format == "wos"
    assert len(parsed.records) == count
    assert all(r["raw"].startswith("PT ") and r["raw"].endswith("\nER") for r in parsed.records)
    assert parsed.warnings == []


SPOT_CHECKS = [
    ("rafguns_wosfile/data", "wos_plaintext.txt", 0, dict(
        title="Knowledge networks as channels and conduits: The effects of spillovers in the Boston",
        first_author="Owen-Smith, J", year=2004, doi="10.1287/orsc.1030.0054", pages="5-21",
        abstract="We contend that two important, nonrelational, features", line=3,
        journal="ORGANIZATION SCIENCE", publication_type="Article", language="English")),
    ("mjwestgate_revtools/examples", "restoration_WoS.ciw", 246, dict(
        title="SAR IMAGE RESTORATION VIA A NL APPROACH BASED ON THE KS TEST",
        first_author="Ferraioli, Giampaolo", year=2018, pages="5820-5822",
        abstract="Synthetic Aperture Radar (SAR) image despeckling")),
    (SYN, "WoS_txt_example.txt", 0, dict(
        title="Soil fauna diversity at different stages of reed restoration", first_author="Li, Wei",
        year=2020, doi="10.1080/20964129.2020.1722034", abstract="Introduction: Wetland soil fauna")),
    ("mjwestgate_synthesisr/inst/extdata", "zoorec.txt", 1, dict(
        title="FIRE-BIRD: A GIS-based toolset for applying habitat suitability models",
        first_author="Latif, Quresh S.", year=2019, pages="i-iv, 1-74")),
    ("MrTango_rispy/tests/data", "example_wos.ris", 1, dict(
        title="Proximal and distal influences on ligand binding kinetics", first_author="Cao, WX",
        year=2004, doi="10.1021/bi0497291", pmid="15170339", pages="7017-7027",
        abstract="We use laser flash photolysis")),
]


@pytest.mark.parametrize("folder,name,index,expected", SPOT_CHECKS,
                         ids=[f"{n}#{i}" for _, n, i, _ in SPOT_CHECKS])
def test_spot_check_fields(folder, name, index, expected):
    """Key fields match the file: AF full names, BP-EP pages, DI, PM, DT type."""
    row = read_file(shared_file(folder, name)).parsed.frame().iloc[index]
    for key, value in expected.items():
        if key == "first_author":
            assert row["authors"][0] == value
        elif key in ("title", "abstract"):
            assert row[key].startswith(value)
        else:
            assert row[key] == value, key


SAMPLE = """FN Clarivate Analytics Web of Science
VR 1.0
PT J
AU Doe, J
   Roe, R
AF Doe, Jane
   Roe, Richard
TI A long
   title
DE alpha; beta
   gamma; delta
ID EPSILON
ER

PT J
AU Solo, S
TI Last
EF
"""


def test_lists_continuations_and_missing_er():
    """AF lines are authors, wrapped titles join, DE/ID split on ';', EF closes an open record."""
    parsed = read_wos(SAMPLE, "s.txt")
    first, second = parsed.records
    assert first["authors"] == ["Doe, Jane", "Roe, Richard"]
    assert first["title"] == "A long title"
    assert first["keywords"] == ["alpha", "beta gamma", "delta", "EPSILON"]
    assert (first["line"], second["authors"], second["raw"]) == (3, ["Solo, S"], "PT J\nAU Solo, S\nTI Last")
    assert [(w.message, w.record) for w in parsed.warnings] == [("record has no ER line; kept", 2)]


def test_unindented_non_tag_line_is_an_error():
    """A line that is not a tag and not indented names its line and record."""
    with pytest.raises(ImportFormatError, match=r"w\.ciw, line 3, record 1: expected a Web of "
                       r"Science tag line .* or a continuation line indented by three spaces, "
                       r"found 'broken line here'"):
        read_wos("PT J\nTI x\nbroken line here\nER\n", "w.ciw")


def test_header_only_is_an_error():
    """A header without records is not a readable export."""
    with pytest.raises(ImportFormatError, match=r"expected a Web of Science record"):
        read_wos("FN Clarivate Analytics Web of Science\nVR 1.0\nEF\n", "w.ciw")


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("PTJAUERFNV \n\t1;")), max_size=300))
def test_arbitrary_text_raises_only_import_format_error(text):
    """Whatever the text, read_wos returns records or raises ImportFormatError."""
    try:
        read_wos(text, "h.ciw")
    except ImportFormatError:
        pass


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_arbitrary_bytes_raise_only_import_format_error(data):
    """Arbitrary bytes forced through the WoS reader fail only with ImportFormatError."""
    try:
        read_bytes(data, "h.ciw", format="wos")
    except ImportFormatError:
        pass
