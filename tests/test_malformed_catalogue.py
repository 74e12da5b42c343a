"""The catalogue of malformed files from issue 20: each gives its exact warning or message, and
none yields a silently wrong record."""
from __future__ import annotations

import pytest

from review.cli import main
from review.errors import ImportFormatError
from review.io import read_bytes


def _read(data: bytes, name: str):
    parsed = read_bytes(data, name)
    return parsed.frame(), [str(w) for w in parsed.warnings]


def test_csv_quote_closing_on_the_next_line_is_reported():
    data = (b'title,authors,year,abstract\n"A title, with comma,Doe J,2020,abs\n'
            b'Second",Roe,2021,abs2\n"Third",Poe,2022,abs3\n')
    frame, warnings = _read(data, "q.csv")
    assert warnings == [
        "q.csv, line 2, record 1: the quoted 'title' cell opened on line 2 closes on line 3 "
        "although line 2 alone holds the whole row; read as one cell (check the quotes on line 2)"]
    assert list(frame["title"]) == ["A title, with comma,Doe J,2020,abs Second", "Third"]


def test_csv_multiline_abstract_is_not_reported():
    data = (b'title,abstract,year\n"One","First paragraph, with a comma.\nSecond paragraph.",2020\n')
    _, warnings = _read(data, "ok.csv")
    assert warnings == []


def test_bibtex_unbalanced_brace_keeps_every_field_and_warns():
    data = (b"@article{key1,\n  title = {An unbalanced} title}},\n  author = {Doe, John and Roe, "
            b"Jane},\n  year = {2020},\n  journal = {J Test}\n}\n")
    frame, warnings = _read(data, "b.bib")
    assert warnings == [
        "b.bib, line 1, record 1: the entry's braces do not balance: it closes on line 2 before "
        "fields that follow (author = ...); read one 'key = value' line at a time, unpaired "
        "braces dropped: check it"]
    row = frame.iloc[0]
    assert row["title"] == "An unbalanced title"
    assert row["authors"] == ["Doe, John", "Roe, Jane"] and row["year"] == 2020
    assert row["journal"] == "J Test"


def test_medline_cut_mid_line_warns_about_the_cut_value():
    data = b"PMID- 1\nTI  - A\nLID - 10.1000/abc [doi]\n\nPMID- 2\nTI  - B\nLID - 10.1000/ab"
    frame, warnings = _read(data, "t.nbib")
    assert warnings == [
        "t.nbib, line 7, record 2: the file ends in the middle of line 7 (no line end after it): "
        "its LID value '10.1000/ab' may be cut short; kept as read"]
    assert frame["doi"].tolist()[0] == "10.1000/abc"
    assert frame["doi"].isna().tolist() == [False, True]  # no truncated DOI stored


def test_mixed_utf8_and_cp1252_is_decoded_line_by_line():
    data = ("TY  - JOUR\nTI  - Café utf8 title\nER  - \n\n".encode("utf-8")
            + "TY  - JOUR\nTI  - Café cp1252 title\nER  - \n".encode("cp1252"))
    parsed = read_bytes(data, "mix.ris")
    assert parsed.encoding == "utf-8+cp1252"
    assert [str(w) for w in parsed.warnings] == [
        "mix.ris, line 6: the file mixes encodings: 1 line(s) are not valid UTF-8 (lines 6); "
        "those were read as Windows-1252 (cp1252), the others as UTF-8: check their accented "
        "letters"]
    assert parsed.frame()["title"].tolist() == ["Café utf8 title", "Café cp1252 title"]


def test_medline_glued_soft_hyphen_line_does_not_hang():
    lines = "".join("      continuation of a long abstract\n" for _ in range(400))
    data = f"PMID- 1\nTI  - T\nAB  - x\n{lines}DEP -\u00ad20200101\n\n".encode("utf-8")
    try:
        read_bytes(data, "hang.nbib")
    except ImportFormatError:
        pass


@pytest.mark.parametrize("name, data, expected", [
    ("g.ris", b"TY  - JOUR\nTI  - A title\nAUGilles, H\nAU  - Roe, J\nPY  - 2020\nER  - \n",
     "g.ris, line 3, record 1: tag AU is glued to its value ('AUGilles, H'); read as "
     "'AU  - Gilles, H'"),
    ("g.txt", b"FN Clarivate Analytics Web of Science\nVR 1.0\nPT J\nAUGilles, H\nAU Roe, J\n"
              b"TI A title\nPY 2020\nER\n\nEF\n",
     "g.txt, line 4, record 1: tag AU is glued to its value ('AUGilles, H'); read as "
     "'AU Gilles, H'"),
    ("g.nbib", b"PMID- 1\nTI  - A title\nAUGilles H\nAU  - Roe J\nDP  - 2020\n\n",
     "g.nbib, line 3, record 1: tag AU is glued to its value ('AUGilles H'); read as "
     "'AU  - Gilles H'"),
    ("d.nbib", "PMID- 1\nTI  - A title\nAU  - Roe J\nDEP -\u00ad20200101\n\n".encode("utf-8"),
     "d.nbib, line 4, record 1: tag DEP is glued to its value ('DEP -\\xad20200101'); read as "
     "'DEP - 20200101'"),
])
def test_glued_tag_is_read_with_a_warning(name, data, expected):
    frame, warnings = _read(data, name)
    assert warnings == [expected]
    assert len(frame) == 1 and frame["title"][0] == "A title"
    if not name.startswith("d."):
        assert "Gilles" in " ".join(frame["authors"][0]) or name.endswith(".nbib")


def test_real_wos_file_with_one_glued_line_imports_whole():
    """A real Web of Science export with one tag glued to its value is read whole, not refused."""
    from pathlib import Path
    path = Path(__file__).resolve().parents[2] / "shared" / "data" / "formats" / "rafguns_wosfile" \
        / "data" / "wos_plaintext.txt"
    if not path.exists():
        pytest.skip("../shared/data is absent")
    text = path.read_text(encoding="utf-8-sig")
    lines = text.split("\n")
    at = next(i for i, line in enumerate(lines) if line.startswith("AU "))
    lines[at] = "AU" + lines[at][3:]
    frame, warnings = _read("\n".join(lines).encode("utf-8"), "glued.txt")
    assert len(frame) == 50
    assert any(f"line {at + 1}, record 1: tag AU is glued" in w for w in warnings)


# ------------------------------------------------------------------ protocols
def _protocol_variant(tmp_path, change):
    from pathlib import Path
    source = Path(__file__).resolve().parents[1] / "protocols" / "nk-exosomes" / "protocol.yaml"
    text = source.read_text(encoding="utf-8")
    path = tmp_path / "protocol.yaml"
    data = change(text)
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return path


@pytest.mark.parametrize("change, message", [
    (lambda t: t.replace("title:", "title: Café", 1).encode("latin-1", "replace"),
     "protocol.yaml, line 4: not UTF-8 text (byte 0xe9); save the file as UTF-8"),
    (lambda t: t.replace("title:", "title: One\ntitle:", 1),
     "protocol.yaml, line 5: the key 'title' appears twice (first on line 4); keep one"),
    (lambda t: t + "\nextra: " + "[" * 10000 + "]" * 10000 + "\n",
     "nested more than 50 levels deep"),
    (lambda t: t.replace("file: searches/pubmed.nbib", "file: /etc/passwd"),
     "searches[0].file: /etc/passwd is outside the protocol's folder"),
    (lambda t: t.replace("file: searches/embase.ris", "file: searches/../../secret.ris"),
     "searches[1].file: searches/../../secret.ris is outside the protocol's folder"),
])
def test_bad_protocol_is_one_message(tmp_path, capsys, change, message):
    path = _protocol_variant(tmp_path, change)
    assert main(["init", str(tmp_path / "rev"), "--protocol", str(path)]) == 1
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "rev" / "review.sqlite").exists()


# ------------------------------------------------------------------ spreadsheets and links
@pytest.mark.parametrize("title", ["=1+1", "＝HYPERLINK(\"http://x\")", "＋1", "－1", "＠SUM(A1)"])
def test_formula_prefixes_include_full_width_forms(title):
    from review.io.table import neutralise_formula
    assert neutralise_formula(title) == "'" + title


def _workbook_bytes(shared_strings: int | None = None) -> bytes:
    """A real workbook; with `shared_strings`, its sharedStrings part replaced by that many
    copies of one string (a "shared-string bomb")."""
    import io
    import zipfile
    from openpyxl import Workbook
    book = Workbook()
    book.active.append(["Title", "Year"])
    book.active.append(["A record", 2020])
    buffer = io.BytesIO()
    book.save(buffer)
    if shared_strings is None:
        return buffer.getvalue()
    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for info in source.infolist():
            if info.filename != "xl/sharedStrings.xml":
                archive.writestr(info, source.read(info.filename))
        with archive.open("xl/sharedStrings.xml", "w", force_zip64=True) as part:
            part.write(b'<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/'
                       b'spreadsheetml/2006/main">')
            block = b"<si><t>x</t></si>" * 100_000
            for _ in range(shared_strings // 100_000):
                part.write(block)
            part.write(b"</sst>")
    return out.getvalue()


def test_xlsx_shared_string_bomb_fails_fast_with_a_clear_message():
    import time
    data = _workbook_bytes(shared_strings=2_000_000)  # ~100 KB expanding to 34 MB
    start = time.perf_counter()
    with pytest.raises(ImportFormatError) as caught:
        read_bytes(data, "bomb.xlsx")
    assert time.perf_counter() - start < 2
    assert str(caught.value).startswith(
        "bomb.xlsx: expected an Excel workbook whose parts expand at most 100 times and to at "
        "most 128 MB (export the records as CSV instead), found 'sharedStrings.xml of ")


def test_xlsx_ordinary_workbook_still_reads():
    frame, warnings = _read(_workbook_bytes(), "ok.xlsx")
    assert frame["title"].tolist() == ["A record"] and warnings == []


def test_zip_renamed_ris_is_one_clear_message(tmp_path, capsys):
    import zipfile
    path = tmp_path / "export.ris"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("savedrecs.ris", "TY  - JOUR\nTI  - A\nER  - \n")
    assert main(["parse", str(path)]) == 1
    err = capsys.readouterr().err
    assert (f"{path}: expected an Excel workbook (.xlsx) or a text export (RIS, CSV, ...); unzip "
            f"the archive and import the files inside, found 'a ZIP archive of savedrecs.ris'") in err


@pytest.mark.parametrize("target, safe", [
    ("https://doi.org/10.1000/x", True), ("http://example.org/a.pdf", True),
    ("javascript:alert(1)", False), ("JavaScript:alert(1)", False), ("data:text/html,<b>", False),
    ("vbscript:x", False), ("vscode://open", False), ("ftp://example.org/x", False),
    ("file://attacker/share/x.pdf", False), ("http://", False), ("/no/such/file.pdf", False),
])
def test_only_http_https_and_local_files_become_links(target, safe):
    from review.links import safe_link
    assert (safe_link(target) is not None) == safe


def test_local_file_becomes_a_file_uri(tmp_path):
    from review.links import safe_link
    pdf = tmp_path / "12.pdf"
    pdf.write_bytes(b"%PDF-1.4")
    assert safe_link(str(pdf)) == pdf.resolve().as_uri()
    assert safe_link(pdf.resolve().as_uri()) == pdf.resolve().as_uri()


def test_a_records_javascript_url_is_never_its_full_text_link(tmp_path):
    from types import SimpleNamespace
    from review.screening.records import pdf_for
    review = SimpleNamespace(path=tmp_path)
    assert pdf_for(review, 1, {"url": "javascript:alert(document.cookie)", "doi": None}) is None
    assert pdf_for(review, 1, {"url": "javascript:alert(1)", "doi": "10.1/x"}) == \
        "https://doi.org/10.1/x"
    assert pdf_for(review, 1, {"url": "https://example.org/a", "doi": None}) == \
        "https://example.org/a"


def test_unknown_wos_tag_is_read_with_a_warning():
    data = b"FN x\nVR 1.0\nPT J\nTI A title\nQQ odd\nER\nEF\n"
    frame, warnings = _read(data, "u.txt")
    assert warnings == ["u.txt, line 5: 1 tag(s) Web of Science does not define (QQ): read, kept "
                        "in each record's raw text only"]
    assert frame["title"].tolist() == ["A title"]


def test_unknown_medline_tag_is_read_with_a_warning():
    data = b"PMID- 1\nTI  - A title QQQ\nQQQ - odd\n\nPMID- 2\nTI  - B\n\n"
    frame, warnings = _read(data, "u.nbib")
    assert warnings == ["u.nbib, line 3: 1 tag(s) MEDLINE does not define (QQQ): read, kept in "
                        "each record's raw text only"]
    assert frame["title"].tolist() == ["A title QQQ", "B"]
