"""Correction notices exported by several databases: one notice under Embase's and Web of
Science's dress is one record; two notices of one article, or a notice and its article, are not.
A record published ahead of print under a title the print issue changed goes to a reviewer, and
an article under its own title and under MEDLINE's bracketed translation is one work; two
unmarked one-page notices under an article's title, in different issues, are not merged.
Records are shaped like the exports (Embase "Erratum: Title (Journal (Year) Vol (Pages))", its
unlabelled form, Web of Science "Title (vol V, pg P, YEAR)", titles cut at 200 characters)."""
from __future__ import annotations

import pandas as pd

from review.dedup import DedupOptions, find_duplicates
from review.dedup.compare import (RULE_CORRECTION_APART, RULE_CORRECTION_SAME,
                                  RULE_CORRECTION_UNKNOWN, RULE_ONE_PAGE_ITEMS, RULE_RETITLED,
                                  RULE_TRANSLATED, compare)
from review.dedup.corrections import cites_corrected_article, correction_title
from review.dedup.normalise import (record_key, record_kind, translated_title, venue_tokens,
                                    venues_compatible)

TITLE = "Rituximab maintenance after induction in follicular lymphoma (FL-M2): a randomised trial"
ARTICLE = dict(title=TITLE, authors=["Marchetti, Paola", "Okafor, Chidi", "Lindqvist, Anna"],
               year=2011, journal="Blood", volume="118", issue="9", pages="2401-2409",
               database="MEDLINE")
# the notice corrects the author list: the databases give only its first author, or none
NOTICE = dict(authors=["Marchetti, P."], year=2011, volume="118", issue="21", pages="5864")


def frame(*records: dict) -> pd.DataFrame:
    rows = []
    for i, rec in enumerate(records, start=1):
        row = {"record_id": i, "authors": [], "database": "Embase", "source_file": "export.ris",
               "position": i, "doi": None, "issue": None, "pages": None, "volume": None}
        row.update(rec)
        rows.append(row)
    return pd.DataFrame(rows)


def rule_of(result, a: int, b: int) -> tuple[str, str]:
    pairs = result.pairs
    row = pairs[(pairs["record_a"] == a) & (pairs["record_b"] == b)]
    assert len(row) == 1, f"pair {a}-{b} was not compared"
    return row["decision"].iloc[0], row["rule"].iloc[0]


def test_the_corrected_articles_title_is_read_out_of_each_dress():
    embase = f"Erratum: {TITLE} (Blood (2011) 118:9 (2401-2409))"
    cut = f"Erratum: {TITLE} (Blood (Augu"  # exports cut long titles mid-citation
    unlabelled = f"{TITLE} (Blood (2011) 118 (2401-2409))"
    wos = f"{TITLE} (vol 118, pg 2401, 2011)"
    for title in (embase, cut, unlabelled, wos, f"Correction to: {TITLE}"):
        assert correction_title(title) == TITLE, title
    # nothing is left to compare of a bare label, and a title's own brackets stay
    assert correction_title("Erratum") == "Erratum"
    assert correction_title("Correction of scoliosis in children (ages 3 to 5)") == \
        "Correction of scoliosis in children (ages 3 to 5)"


def test_embase_citation_without_a_label_makes_a_correction_notice():
    unlabelled = f"{TITLE} (Blood (2011) 118 (2401-2409))"
    assert cites_corrected_article(unlabelled)
    assert record_kind(unlabelled, "article", "Blood", "") == "erratum"
    for title in (TITLE, "Outcomes in adults (aged 18-65 years) (the ADAPT study)",
                  "Quality of life (EQ-5D (2005 version)) after transplant"):
        assert not cites_corrected_article(title), title
        assert record_kind(title, "article", "Blood", "") == "article"
    key = record_key({"title": unlabelled, "journal": "Blood"})
    assert key.kind == "erratum" and key.title == record_key({"title": TITLE}).title


def test_one_notice_from_three_databases_is_one_record_and_stays_apart_from_its_article():
    result = find_duplicates(frame(
        ARTICLE,
        {**NOTICE, "title": f"Erratum: {TITLE} (Blood (Augu", "journal": "Blood."},
        {**NOTICE, "title": f"{TITLE} (vol 118, pg 2401, 2011)", "journal": "BLOOD",
         "database": "Web of Science", "pages": "5864-5864"},
        {**NOTICE, "title": f"{TITLE} (Blood (2011) 118 (2401-2409))", "journal": "Blood"},
    ))
    clusters = result.clusters
    assert clusters[2] == clusters[3] == clusters[4]
    assert clusters[1] != clusters[2]
    assert rule_of(result, 2, 3) == ("duplicate", RULE_CORRECTION_SAME)
    assert rule_of(result, 3, 4) == ("duplicate", RULE_CORRECTION_SAME)


def test_two_notices_of_one_article_are_told_apart_by_issue_and_page():
    first = {**NOTICE, "title": f"Erratum: {TITLE}", "journal": "Blood"}
    second = {**first, "issue": "25", "pages": "6702"}  # a second correction, weeks later
    result = find_duplicates(frame(first, {**second, "title": f"{TITLE} (vol 118, pg 2401, 2011)"}))
    assert result.clusters[1] != result.clusters[2]
    assert rule_of(result, 1, 2) == ("distinct", RULE_CORRECTION_APART)


def test_a_notice_without_issue_or_page_goes_to_a_reviewer():
    known = {**NOTICE, "title": f"Erratum: {TITLE}", "journal": "Blood"}
    bare = {**known, "issue": None, "pages": None,
            "title": f"{TITLE} (Blood (2011) 118 (2401-2409))"}
    result = find_duplicates(frame(known, bare))
    assert result.clusters[1] != result.clusters[2]
    assert rule_of(result, 1, 2) == ("unsure", RULE_CORRECTION_UNKNOWN)
    assert len(result.unsure) == 1


# -- a record published ahead of print under the title the print issue later changed ----------

PRINTED = dict(title="Rituximab in refractory warm autoimmune haemolytic anaemia",
               authors=["Brennan, Ciara M.", "Tanaka, Hiroshi", "Osei, Kwame", "Duval, Lea",
                        "Novak, Petr", "Ibarra, Sofia"],
               year=2021, journal="New England Journal of Medicine", volume="384",
               issue="12", pages="1168-1170", database="Embase")
# PubMed's ahead-of-print record: the online title, five authors kept, no volume or pages
ONLINE = dict(title="B-Cell Depletion in Refractory Warm Autoimmune Haemolytic Anaemia",
              authors=["Brennan CM", "Tanaka H", "Osei K", "Duval L", "Novak P"], year=2021,
              journal="N Engl J Med", database="PubMed")


def test_an_online_first_record_under_another_title_goes_to_a_reviewer():
    result = find_duplicates(frame(PRINTED, ONLINE))
    assert result.clusters[1] != result.clusters[2]  # a reviewer decides, nothing is merged
    assert rule_of(result, 1, 2) == ("unsure", RULE_RETITLED)
    assert 0.7 <= result.pairs["details"].iloc[0]["title"] < 0.85  # below "similar titles"
    assert len(result.unsure) == 1


def test_retitled_needs_one_record_ahead_of_print_the_same_team_and_year():
    printed_too = {**ONLINE, "volume": "384", "issue": "14", "pages": "1350"}
    other_team = {**ONLINE, "authors": ["Osei K", "Brennan CM", "Tanaka H", "Novak P"]}
    next_year = {**ONLINE, "year": 2022}
    printed = record_key(PRINTED)
    for other in (printed_too, other_team, next_year):
        assert compare(printed, record_key(other), DedupOptions()).decision == "distinct", other
        result = find_duplicates(frame(PRINTED, other))
        assert result.clusters[1] != result.clusters[2] and result.unsure.empty


# -- a title translated by one database: MEDLINE's brackets -------------------------------------

# MEDLINE gives a French article's title in English, in brackets; the journal's own record (or
# Embase's) has the French title; the authors, journal, volume and page range are the same
FRENCH = dict(title="Thrombolyse précoce de l'embolie pulmonaire submassive : étude multicentrique",
              authors=["Lefèvre, Hélène", "Garnier, Benoît", "Roussel, Anaïs", "Mercier, Yves"],
              year=1998, journal="Revue des Maladies Respiratoires", volume="15",
              issue="4", pages="412-418", database="Embase")
BRACKETED = dict(title="[Early thrombolysis in submassive pulmonary embolism. A multicentre study]",
                 authors=["Lefevre, H.", "Garnier, B.", "Roussel, A.", "Mercier, Y."], year=1998,
                 journal="Rev Mal Respir", volume="15", issue="4", pages="412-8",
                 database="MEDLINE")


def test_translated_titles_are_recognised_by_their_brackets():
    assert translated_title(BRACKETED["title"])
    assert translated_title("[Comparison of two regimens in children].")
    for title in (FRENCH["title"], "[Review]", "Outcomes of surgery [in German]",
                  "Pleurodesis with talc.[Erratum appears in Chest 2001;120:1]"):
        assert not translated_title(title), title


def test_an_article_under_its_own_and_its_translated_title_is_one_work():
    result = find_duplicates(frame(FRENCH, BRACKETED))
    assert result.clusters[1] == result.clusters[2]
    assert result.pairs["details"].iloc[0]["title"] < 0.6  # the titles alone say little
    assert rule_of(result, 1, 2) == ("duplicate", RULE_TRANSLATED)


def test_a_translated_title_alone_merges_nothing_without_the_same_authors_and_page_range():
    others = (
        {**BRACKETED, "authors": ["Lefevre, H.", "Dubois, P.", "Caron, M.", "Vidal, S."]},
        {**BRACKETED, "pages": "412-420"},  # another item starting on that page
        # two one-page meeting abstracts printed on one page share a first author
        {**BRACKETED, "pages": "412"},
    )
    for other in others:
        single = other["pages"] == "412"
        result = find_duplicates(frame({**FRENCH, "pages": "412"} if single else FRENCH, other))
        assert result.clusters[1] != result.clusters[2], other
        assert rule_of(result, 1, 2)[0] == "unsure", other


def test_iso4_contractions_of_journal_names_match_their_full_names():
    def same(a: str, b: str):
        return venues_compatible(venue_tokens(a), venue_tokens(b))
    assert same("Dtsch Med Wochenschr", "Deutsche Medizinische Wochenschrift")
    assert same("Dtsch-Med-Wochenschr", "Deutsche medizinische Wochenschrift (1946)")
    assert same("Z Gastroenterol", "Zeitschrift für Gastroenterologie")
    assert same("Rev Mal Respir", "Revue des Maladies Respiratoires")
    assert same("Br J Haematol", "British Journal of Haematology")
    # a contraction keeps the first letter and the order of the others; other journals differ
    assert same("Dtsch Arztebl", "Deutsche Medizinische Wochenschrift") is False
    assert same("Pediatr Nephrol", "Pediatric Research") is False
    assert same("Am J Med", "American Journal of Hematology") is False


# -- unmarked notices: one-page items under the article's title -----------------------------------

def test_two_one_page_items_of_different_issues_under_an_articles_title_go_to_a_reviewer():
    # a correction adding a co-author, then another fixing his name's spelling, each indexed
    # under the article's title without a label
    notice = dict(title=TITLE, authors=["Marchetti, P.", "Okafor, C.", "Lindqvist, A."],
                  year=2011, journal="Blood", volume="118")
    first, second = {**notice, "issue": "21", "pages": "5864-5864"}, {**notice, "issue": "25",
                                                                       "pages": "6702"}
    result = find_duplicates(frame(first, second, {**first, "database": "Web of Science",
                                                   "pages": "5864", "journal": "BLOOD"}))
    assert result.clusters[1] != result.clusters[2]
    assert rule_of(result, 1, 2) == ("unsure", RULE_ONE_PAGE_ITEMS)
    assert result.clusters[1] == result.clusters[3]  # one item from two databases stays one


def test_one_page_items_without_a_volume_are_not_told_apart_by_this_rule():
    abstract = dict(title=TITLE, authors=["Marchetti, P."], year=2011, journal="Blood")
    result = find_duplicates(frame({**abstract, "issue": "21", "pages": "5864", "volume": "118"},
                                   {**abstract, "issue": "1", "pages": "9"}))
    assert rule_of(result, 1, 2)[1] != RULE_ONE_PAGE_ITEMS
