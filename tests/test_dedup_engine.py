"""The deduplication engine: identifier rules, fuzzy rules, kinds kept apart, reviewer overrides."""
from __future__ import annotations

import json

import pandas as pd
import pytest

from review.dedup import DedupOptions, find_duplicates
from review.dedup.merge import merged_records
from review.dedup.normalise import (author_names, doi_identity, record_kind, title_key,
                                    venues_compatible, venue_tokens)

from conftest import SHARED, _need_shared

PAIR_CASES = SHARED / "data" / "dedup" / "CoLRev_bib-dedupe" / "test_cases_pairs.json"


def frame(*records: dict) -> pd.DataFrame:
    rows = []
    for i, rec in enumerate(records, start=1):
        row = {"record_id": rec.pop("record_id", i), "authors": [], "database": "PubMed",
               "source_file": "pubmed.nbib", "position": i}
        row.update(rec)
        rows.append(row)
    return pd.DataFrame(rows)


ARTICLE = dict(title="Exosomes derived from natural killer cells exert therapeutic effect in melanoma",
               authors=["Zhu, Liya", "Kalimuthu, Senthilkumar", "Gangadaran, Prakash"], year=2017,
               journal="Theranostics", volume="7", issue="10", pages="2732-2745")


def same_cluster(result, a, b) -> bool:
    return result.clusters[a] == result.clusters[b]


# -- the labelled pair cases of bib-dedupe -----------------------------------------------------------

def _case_record(fields: dict, record_id: int) -> dict:
    value = lambda k: None if fields.get(k) in (None, "", "None") else fields.get(k)  # noqa: E731
    return dict(record_id=record_id, title=value("title"),
                authors=[value("author")] if value("author") else [], year=value("year"),
                journal=value("journal") or value("booktitle"), volume=value("volume"),
                issue=value("number") or value("issue"), pages=value("pages"), doi=value("doi"),
                publication_type=value("ENTRYTYPE"))


def _pair_cases():
    if not PAIR_CASES.exists():
        return [pytest.param(None, id="shared-data-missing", marks=pytest.mark.shared)]
    cases = json.loads(PAIR_CASES.read_text(encoding="utf-8"))["cases"]
    return [pytest.param(case, id=case["id"], marks=pytest.mark.shared) for case in cases]


@pytest.mark.parametrize("case", _pair_cases())
def test_labelled_pair_cases(case):
    """Each of bib-dedupe's labelled pairs (../shared) gets the expected verdict."""
    if case is None:
        _need_shared(PAIR_CASES)
    records = pd.DataFrame([_case_record(case["record_a"], 1), _case_record(case["record_b"], 2)])
    result = find_duplicates(records)
    assert same_cluster(result, 1, 2) == case["expected_duplicate"], (case["note"], result.pairs)


# -- identifiers -------------------------------------------------------------------------------------

def test_same_doi_merges_despite_formatting():
    result = find_duplicates(frame(dict(ARTICLE, doi="10.7150/thno.18752"),
                                   dict(ARTICLE, title=ARTICLE["title"].upper() + ".",
                                        doi="https://doi.org/10.7150/THNO.18752", authors=["Zhu L"])))
    assert same_cluster(result, 1, 2)
    assert result.pairs.loc[0, "rule"] == "same DOI"


@pytest.mark.parametrize("field,a,b", [("doi", "10.1000/a1", "10.1000/a2"), ("pmid", "111", "222"),
                                       ("pmcid", "PMC1", "PMC2")])
def test_conflicting_identifiers_never_merge(field, a, b):
    """Identical records apart from a different DOI, PMID or PMCID stay apart."""
    result = find_duplicates(frame(dict(ARTICLE, **{field: a}), dict(ARTICLE, **{field: b})))
    assert not same_cluster(result, 1, 2)


def test_conflicting_identifiers_never_merge_through_a_third_record():
    """A record without a DOI that matches two records with different DOIs joins at most one."""
    result = find_duplicates(frame(dict(ARTICLE, doi="10.1000/one"), dict(ARTICLE),
                                   dict(ARTICLE, doi="10.1000/two")))
    assert not same_cluster(result, 1, 3)
    assert same_cluster(result, 1, 2)  # the stronger evidence wins, the earlier record on a tie
    blocked = result.pairs[result.pairs["rule"].str.contains("different DOIs")]
    assert len(blocked) >= 1


def test_cochrane_versions_are_one_review_unless_configured():
    review = dict(title="Air versus oxygen for resuscitation of infants at birth", authors=["Tan A"],
                  journal="Cochrane Database Syst Rev")
    records = frame(dict(review, doi="10.1002/14651858.CD002273.pub2", year=2004),
                    dict(review, doi="10.1002/14651858.CD002273.pub3", year=2005))
    assert same_cluster(find_duplicates(records), 1, 2)
    strict = DedupOptions(cochrane_versions_same=False)
    assert not same_cluster(find_duplicates(records, options=strict), 1, 2)


# -- kinds kept apart --------------------------------------------------------------------------------

@pytest.mark.parametrize("other", [
    dict(title="Correction to: " + ARTICLE["title"], pages="3000"),
    dict(title="Erratum: " + ARTICLE["title"]),
    dict(title="Retraction note: " + ARTICLE["title"]),
    dict(publication_type="Conference Abstract", journal="Theranostics", pages="S12"),
    dict(journal="bioRxiv", volume=None, issue=None, pages=None, year=2016),
    dict(title=ARTICLE["title"] + " (vol 7, pg 2732, 2017)"),
], ids=["correction", "erratum", "retraction", "conference-abstract", "preprint", "wos-correction"])
def test_errata_abstracts_and_preprints_are_kept_apart(other):
    result = find_duplicates(frame(dict(ARTICLE), dict(ARTICLE, **other)))
    assert not same_cluster(result, 1, 2), result.pairs


def test_kept_apart_kinds_are_configurable():
    records = frame(dict(ARTICLE), dict(ARTICLE, publication_type="Conference Abstract"))
    assert not same_cluster(find_duplicates(records), 1, 2)
    merge_all = DedupOptions(keep_apart=frozenset())
    assert same_cluster(find_duplicates(records, options=merge_all), 1, 2)


# -- fuzzy rules -------------------------------------------------------------------------------------

def test_abbreviated_journal_and_author_forms_match():
    a = dict(title="New insights into postrenal transplant hemolytic uremic syndrome",
             authors=["Zuber, J", "Le Quintrec, M", "Sberro-Soussan, R"], year=2011,
             journal="Nature Reviews Nephrology", volume="7", pages="23-35")
    b = dict(a, title="New insights into postrenal transplant hemolytic uremic syndrome.",
             authors=["J. Zuber", "M. Le Quintrec", "R. Sberro Soussan"], journal="Nat Rev Nephrol",
             pages="23-5")
    assert same_cluster(find_duplicates(frame(a, b)), 1, 2)


def test_titles_differing_in_a_number_are_not_merged():
    a = dict(ARTICLE, title="FOCUS 1: a randomised trial of ceftaroline in pneumonia")
    b = dict(ARTICLE, title="FOCUS 2: a randomised trial of ceftaroline in pneumonia")
    result = find_duplicates(frame(a, b))
    assert not same_cluster(result, 1, 2)
    assert result.unsure["rule"].tolist() == ["titles differ in a number"]


def test_same_title_different_authors_and_years_stay_apart():
    a = dict(ARTICLE)
    b = dict(ARTICLE, authors=["Smith, John", "Doe, Jane"], year=2021, volume="11", pages="100-110")
    assert not same_cluster(find_duplicates(frame(a, b)), 1, 2)


def test_grey_band_goes_to_the_queue_not_merged():
    a = dict(ARTICLE)
    b = dict(ARTICLE, title="Exosomes from natural killer cells have a therapeutic effect on melanoma",
             volume=None, pages=None, issue=None)
    result = find_duplicates(frame(a, b))
    assert not same_cluster(result, 1, 2)
    assert len(result.unsure) == 1


# -- reviewer decisions ------------------------------------------------------------------------------

def test_reviewer_decisions_override_the_rules():
    records = frame(dict(ARTICLE), dict(ARTICLE, title="Exosomes from natural killer cells have a "
                                        "therapeutic effect on melanoma", volume=None, pages=None),
                    dict(ARTICLE, authors=["Zhu L", "Kalimuthu S"]))
    automatic = find_duplicates(records)
    assert not same_cluster(automatic, 1, 2) and same_cluster(automatic, 1, 3)
    decisions = pd.DataFrame([(1, 2, "same"), (1, 3, "different")],
                             columns=["record_a", "record_b", "decision"])
    decided = find_duplicates(records, decisions=decisions)
    assert same_cluster(decided, 1, 2) and not same_cluster(decided, 1, 3)
    assert decided.unsure.empty
    assert "reviewer decided: same" in decided.explain(2)


# -- determinism and explanation ---------------------------------------------------------------------

def test_same_input_same_clusters_whatever_the_row_order():
    records = frame(dict(ARTICLE), dict(ARTICLE, doi="10.7150/thno.18752"), dict(ARTICLE, year=2018),
                    dict(ARTICLE, title="Something else entirely about T cells"),
                    dict(ARTICLE, authors=["Zhu L"], journal="Theranostics."))
    first = find_duplicates(records)
    shuffled = find_duplicates(records.sample(frac=1.0, random_state=3))
    pd.testing.assert_series_equal(first.clusters, shuffled.clusters)
    pd.testing.assert_frame_equal(first.pairs, shuffled.pairs)
    assert first.clusters.tolist() == [1, 1, 1, 4, 1]


def test_explain_names_rule_and_scores():
    result = find_duplicates(frame(dict(ARTICLE), dict(ARTICLE, authors=["Zhu L", "Kalimuthu S"])))
    text = result.explain(2)
    assert text.startswith("Record 2: cluster 1 (2 records: 1, 2)")
    assert "1 ~ 2: duplicate — same journal, year, volume and first page" in text
    assert "title 1.0" in text and "first_author True" in text


def test_record_ids_must_be_unique():
    with pytest.raises(ValueError, match="unique"):
        find_duplicates(frame(dict(ARTICLE, record_id=1), dict(ARTICLE, record_id=1)))


# -- provenance --------------------------------------------------------------------------------------

def test_merged_record_lists_every_source_and_takes_the_fullest_values():
    records = frame(dict(ARTICLE, abstract="Short.", database="PubMed", source_file="pubmed.nbib",
                         doi="10.7150/thno.18752"),
                    dict(ARTICLE, abstract="A much longer abstract about NK exosomes in melanoma.",
                         database="Embase", source_file="embase.ris", pages=None,
                         keywords=["exosome"], doi="10.7150/thno.18752"),
                    dict(ARTICLE, database="Scopus", source_file="scopus.csv", pmid="28819459",
                         keywords=["NK cell", "exosome"], doi="10.7150/thno.18752"))
    result = find_duplicates(records)
    merged = merged_records(records, result.clusters)
    assert len(merged) == 1
    row = merged.iloc[0]
    assert row["record_ids"] == [1, 2, 3] and row["n_records"] == 3
    assert row["databases"] == ["Embase", "PubMed", "Scopus"]
    assert row["found_in"] == ["PubMed: pubmed.nbib #1", "Embase: embase.ris #2", "Scopus: scopus.csv #3"]
    assert row["abstract"].startswith("A much longer") and row["pmid"] == "28819459"
    assert row["pages"] == "2732-2745" and row["keywords"] == ["exosome", "NK cell"]


# -- normalisation -----------------------------------------------------------------------------------

@pytest.mark.parametrize("written,surnames", [
    (["Zuna, R E"], [("zuna",)]),
    (["B. Abrahao; P. Parigi"], [("abrahao",), ("parigi",)]),
    (["Adeli K.Lewis G. F."], [("adeli",), ("lewis",)]),
    (["Zuna RE"], [("zuna",)]),
    (["van der Graaf, Y"], [("graaf",)]),
    (["Omulo Sylvia"], [("omulo", "sylvia")]),
    (["Smith, J (j.smith@example.org)"], [("smith",)]),
    (["UNKNOWN"], []),
])
def test_author_names(written, surnames):
    assert list(author_names(written)) == surnames


def test_journal_abbreviations_and_venue_kinds():
    assert venues_compatible(venue_tokens("Nat Rev Nephrol"), venue_tokens("Nature Reviews Nephrology"))
    assert venues_compatible(venue_tokens("Clin Exp Pharmacol Physiol"),
                             venue_tokens("Clinical & Experimental Pharmacology & Physiology"))
    assert not venues_compatible(venue_tokens("Blood"), venue_tokens("Journal of Hepatology"))
    assert venues_compatible(venue_tokens(None), venue_tokens("Blood")) is None


def test_title_key_drops_database_notes_and_spells_greek():
    assert title_key("Interferon-γ (IFN-γ) in HPV. [Review] [33 refs]") == \
        title_key("Interferon-gamma (IFN-gamma) in HPV")
    assert title_key("[Paroxysmal nocturnal hemoglobinuria therapy]. [Spanish]") == \
        "paroxysmal nocturnal hemoglobinuria therapy"
    assert title_key("UNKNOWN") == ""


def test_doi_identity_and_kinds():
    assert doi_identity("10.17705/") == ""  # truncated: names no article
    assert doi_identity("https://doi.org/10.1002/14651858.CD002273.pub3") == "10.1002/14651858.cd002273"
    assert record_kind("Corrigendum: Title", None, "Front Immunol", "") == "erratum"
    assert record_kind("A title", "Meeting Abstract", "Blood", "") == "conference_abstract"
    assert record_kind("A title", "Conference Paper", "Proc IEEE", "") == "article"
    assert record_kind("A title", None, "medRxiv", "") == "preprint"
    assert record_kind("A title", None, None, "10.1101/2020.01.01.123") == "preprint"


def test_a_one_page_item_with_an_articles_title_is_not_merged():
    """An unmarked erratum (one page, the article's title) goes to the queue; a one-page citation
    of the article's last page does not stop a merge."""
    erratum = find_duplicates(frame(dict(ARTICLE), dict(ARTICLE, pages="3001")))
    assert not same_cluster(erratum, 1, 2)
    assert erratum.unsure["rule"].tolist() == ["same title but one is a single page"]
    last_page = find_duplicates(frame(dict(ARTICLE), dict(ARTICLE, pages="2745")))
    assert same_cluster(last_page, 1, 2)


def test_spreadsheet_dates_and_volume_fragments_are_no_evidence():
    """'Nov-19' (Excel's 11-19) and a volume '1)' split from '57(1)' neither match nor clash."""
    a = dict(ARTICLE, volume="57", pages="11-19")
    b = dict(ARTICLE, volume="1)", pages="Nov-19")
    assert same_cluster(find_duplicates(frame(a, b)), 1, 2)


def test_percent_encoded_doi_is_the_same_doi():
    a = dict(ARTICLE, doi="10.1016/s0025-7753(17)30624-3")
    b = dict(ARTICLE, doi="10.1016/s0025-7753%2817%2930624-3", title=ARTICLE["title"] + " in mice")
    result = find_duplicates(frame(a, b))
    assert same_cluster(result, 1, 2) and result.pairs.loc[0, "rule"] == "same DOI"
