"""Full-text links: one gate (`review.links.safe_link`) decides what becomes a link."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from review.screening.fulltext import full_text, web_url


@pytest.fixture
def review(tmp_path):
    return SimpleNamespace(path=tmp_path)


@pytest.mark.parametrize("url", [
    "javascript:alert(document.cookie)",
    "JaVaScRiPt:alert(1)",
    " javascript:alert(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "file://remote.example.org/share/paper.pdf",
    "file:///no/such/file/here.pdf",
    "vscode://open?file=/etc/passwd",
    "https://",
    "http://exa\nmple.org/",
])
def test_hostile_record_url_is_never_a_link(review, url):
    assert web_url(url) is None
    found = full_text(review, 1, {"url": url})
    assert found.links == []


def test_web_and_local_file_links_pass(review, tmp_path):
    assert web_url("https://example.org/paper") == "https://example.org/paper"
    pdf = tmp_path / "paper.pdf"
    pdf.write_bytes(b"%PDF-1.4\n")
    assert web_url(str(pdf)) == pdf.resolve().as_uri()
    assert web_url(pdf.resolve().as_uri()) == pdf.resolve().as_uri()


def test_doi_first_then_pmc_then_record_link(review):
    found = full_text(review, 7, {"doi": "10.1000/xyz", "pmcid": "123",
                                  "url": "https://db.example.org/record/7"})
    assert [label for label, _ in found.links] == ["doi:10.1000/xyz", "PubMed Central PMC123",
                                                   "Record's link"]
    assert found.links[0][1] == "https://doi.org/10.1000/xyz"


def test_hostile_url_beside_a_doi_leaves_only_the_doi(review):
    found = full_text(review, 7, {"doi": "10.1000/xyz", "url": "javascript:alert(1)"})
    assert found.links == [("doi:10.1000/xyz", "https://doi.org/10.1000/xyz")]
