"""Synthesis of one outcome (pooled or SWiM), GRADE pre-judgements with their reasons, reviewer
overrides, and the summary-of-findings table in every format, escaped for each."""
from __future__ import annotations

import pandas as pd
import pytest
from openpyxl import load_workbook
from scipy import stats

from review.protocol import OutcomeSpec
from review.report.forest import forest_plot
from review.report.forest_subgroups import experiments_forest_plot, subgroup_forest_plot
from review.report.grade import SYMBOLS, DomainJudgement, certainty_for, rate
from review.report.sof import sof_table, write_summary_of_findings
from review.report.tables import escape_markdown
from review.report.swim import effect_direction_plot, swim_table, vote_count
from review.report.synthesis import synthesise


def _spec(**changes) -> OutcomeSpec:
    values = dict(outcome="tumour volume", label="Tumour volume", better="lower", threshold=0.5,
                  favours_intervention="vesicle therapy", favours_control="control",
                  subgroup_by="strategy")
    values.update(changes)
    return OutcomeSpec(**values)


def _rows(studies: dict[str, list[tuple]], strategy: dict[str, str]) -> pd.DataFrame:
    """studies: name -> [(treated_mean, treated_sd, n, control_mean, control_sd), ...]."""
    out = []
    for study, experiments in studies.items():
        for i, (tm, ts, n, cm, cs) in enumerate(experiments, 1):
            out.append({"study": study, "instance": i, "treated_mean": tm, "treated_sd": ts,
                        "treated_n": n, "control_mean": cm, "control_sd": cs, "control_n": n,
                        "unit": "mm3", "time_point": "day 21", "strategy": strategy[study],
                        "experiment": f"{study}, experiment {i}" if len(experiments) > 1 else study})
    return pd.DataFrame(out)


STUDIES = {"Rossi 2016": [(318, 64, 6, 902, 137), (500, 150, 7, 749, 162)],
           "Chen 2021": [(246, 71, 6, 1012, 188)], "Huang 2020": [(352, 79, 6, 1204, 214)],
           "Liu 2024": [(156, 47, 5, 824, 163)], "Park 2023": [(500, 200, 6, 735, 140)]}
STRATEGY = {"Rossi 2016": "native", "Chen 2021": "drug-loaded", "Huang 2020": "drug-loaded",
            "Liu 2024": "surface-modified", "Park 2023": "surface-modified"}


def test_pooled_synthesis_combines_experiments_and_fits_the_three_level_model():
    syn = synthesise(None, _spec(), _rows(STUDIES, STRATEGY))
    assert syn.pooled and (5, 6) == (syn.studies, syn.experiments)
    assert syn.multilevel is not None and 6 == syn.multilevel.k
    assert tuple(STUDIES) == syn.result.labels  # one effect per study, in the order given
    assert "t" == syn.result.prediction and syn.result.pi_low < syn.result.ci_low
    assert 3 == len(syn.subgroups.subgroups)
    assert not syn.egger.done and "fewer than 10" in syn.egger.reason
    assert 5 == len(syn.sensitivity)
    assert 2 * sum(n for e in STUDIES.values() for (_, _, n, _, _) in e) == syn.animals


def test_too_few_studies_are_synthesised_without_meta_analysis():
    rows = _rows({"Wang 2022": [(41.5, 4.2, 8, 27.1, 3.0)], "Novak 2023": [(38.2, 3.9, 8, 29.4, 2.8)],
                  "Lugini 2012": [(None, None, None, None, None)]},
                 {"Wang 2022": "drug-loaded", "Novak 2023": "drug-loaded", "Lugini 2012": "native"})
    syn = synthesise(None, _spec(outcome="survival", label="Survival", better="higher"), rows)
    assert not syn.pooled and syn.result is None
    assert ["\u25b2", "\u25b2", "?"] == sorted(syn.swim["direction"], reverse=True)
    votes = syn.votes
    assert (2, 0, 1) == (votes.favours_intervention, votes.favours_control, votes.unknown)
    assert stats.binomtest(2, 2).pvalue == pytest.approx(votes.p)
    assert "not counted: 1 without a direction" in votes.text()
    certainty = certainty_for(syn)
    assert "serious" == certainty.domain("imprecision").judgement
    assert "not serious" == certainty.domain("inconsistency").judgement


def test_vote_count_and_sign_test_on_mixed_directions():
    table = swim_table(pd.DataFrame({"study": list("ABCDEFG"),
                                     "treated_mean": [1, 1, 1, 1, 1, 3, 2],
                                     "control_mean": [2, 2, 2, 2, 2, 2, 2],
                                     "treated_n": [5] * 7, "control_n": [5] * 7}), better="lower")
    votes = vote_count(table)
    assert (5, 1, 1) == (votes.favours_intervention, votes.favours_control, votes.no_difference)
    assert stats.binomtest(5, 6, 0.5).pvalue == pytest.approx(votes.p)
    figure = effect_direction_plot(table, outcome="Tumour $volume$", favours=("a", "b"))
    assert {"directions"} == {c.get_gid() for c in figure.axes[0].collections}


def _certainty(lo, hi, better="lower", i2=0.0, pi=None, k=5):
    syn = synthesise(None, _spec(better=better), _rows(STUDIES, STRATEGY))
    r = syn.result
    pi = pi or (lo - 0.1, hi + 0.1)
    syn.result = type(r)(**{**r.__dict__, "ci_low": lo, "ci_high": hi, "i2": i2,
                            "pi_low": pi[0], "pi_high": pi[1], "estimate": (lo + hi) / 2})
    return certainty_for(syn)


@pytest.mark.parametrize("lo, hi, expected, words", [
    (-2.0, -1.0, "not serious", "lies entirely beyond the protocol's threshold of 0.5"),
    (-1.0, -0.2, "serious", "crosses the protocol's threshold of 0.5"),
    (-0.4, 0.3, "serious", "includes no effect"),
    (-1.5, 1.0, "very serious", "includes appreciable benefit, no effect and appreciable harm"),
])
def test_imprecision_reads_the_ci_against_the_threshold(lo, hi, expected, words):
    domain = _certainty(lo, hi).domain("imprecision")
    assert expected == domain.judgement and words in domain.reason


def test_inconsistency_reads_i2_and_the_prediction_interval():
    assert "not serious" == _certainty(-2, -1, i2=10, pi=(-2.5, -0.5)).domain("inconsistency").judgement
    wide = _certainty(-2, -1, i2=60, pi=(-3.5, 0.8)).domain("inconsistency")
    assert "very serious" != wide.judgement and "serious" == wide.judgement
    assert "I\u00b2 = 60%" in wide.reason and "includes no effect" in wide.reason
    assert "very serious" == _certainty(-2, -1, i2=80, pi=(-4, 1)).domain("inconsistency").judgement


def test_risk_of_bias_weights_the_stored_judgements_and_overrides_win():
    syn = synthesise(None, _spec(), _rows(STUDIES, STRATEGY))
    rob = pd.DataFrame({"study_id": ["Chen 2021", "Huang 2020", "Liu 2024", "Park 2023",
                                     "Rossi 2016"] * 2,
                        "judgement": ["High risk"] * 3 + ["Low risk"] * 2 + ["Low risk"] * 5})
    domain = certainty_for(syn, rob=rob).domain("risk_of_bias")
    assert "serious" == domain.judgement and "3 of 5 studies have at least one SYRCLE domain at " \
        "high risk" in domain.reason and "% of the weight" in domain.reason
    overrides = pd.DataFrame([{"outcome": "tumour volume", "domain": "indirectness",
                               "judgement": "very serious", "reason": "Mice only <b>",
                               "reviewer": "Ana"}])
    certainty = certainty_for(syn, rob=rob, overrides=overrides)
    assert ("very serious", "reviewer", "Ana") == (certainty.domain("indirectness").judgement,
                                                   certainty.domain("indirectness").source,
                                                   certainty.domain("indirectness").reviewer)


def test_rating_starts_high_and_counts_levels_down():
    def domains(*judgements):
        return [DomainJudgement(f"d{i}", j, "", "data") for i, j in enumerate(judgements)]
    assert "high" == rate("x", domains("not serious", "not yet judged")).level
    assert "moderate" == rate("x", domains("serious")).level
    assert "low" == rate("x", domains("very serious")).level
    assert "very low" == rate("x", domains("very serious", "serious", "serious")).level
    assert "\u2295\u2295\u25ef\u25ef" == SYMBOLS["low"]


def test_summary_of_findings_in_every_format_escaped(tmp_path):
    syn = synthesise(None, _spec(label="=HYPERLINK(1) | 50% & <b>"), _rows(STUDIES, STRATEGY))
    certainty = certainty_for(syn)
    frame, notes = sof_table([(syn, certainty)])
    assert frame.loc[0, "Certainty of the evidence"].startswith(certainty.label())
    assert any(n.startswith("a. ") for n in notes) and "Hooijmans" in notes[-1]
    paths = {p.suffix: p for p in write_summary_of_findings([(syn, certainty)], tmp_path)}
    assert {".docx", ".md", ".tex", ".xlsx", ".csv"} == set(paths)
    tex = paths[".tex"].read_text(encoding="utf-8")
    assert r"\ensuremath{\oplus}" in tex and "\u2295" not in tex
    assert r"50\% \& " in tex
    markdown = paths[".md"].read_text(encoding="utf-8")
    assert escape_markdown("=HYPERLINK(1) | 50% & <b>") in markdown
    sheet = load_workbook(paths[".xlsx"]).active
    cell = sheet.cell(row=2, column=1).value
    assert not cell.startswith("=")


def test_forest_plot_names_the_outcome_and_its_favours_labels():
    syn = synthesise(None, _spec(), _rows(STUDIES, STRATEGY))
    figure = forest_plot(syn.result, outcome="Tumour volume", favours=syn.spec.favours)
    ax = figure.axes[0]
    assert ax.get_xlabel().startswith("Tumour volume: standardised mean difference")
    favours = [t.get_text() for t in ax.texts if t.get_gid() == "favours"]
    assert ["\u2190 Favours vesicle therapy", "Favours control \u2192"] == favours
    pi = [c for c in ax.collections if c.get_gid() == "prediction-interval"][0]
    (x0, _), (x1, _) = pi.get_segments()[0]
    pooled = syn.result
    assert x0 < pooled.ci_low and x1 > pooled.ci_high


def test_repeated_reasons_share_one_footnote():
    syn = synthesise(None, _spec(), _rows(STUDIES, STRATEGY))
    other = synthesise(None, _spec(outcome="tumour weight", label="Tumour weight"),
                       _rows(STUDIES, STRATEGY))
    frame, notes = sof_table([(syn, certainty_for(syn)), (other, certainty_for(other))])
    indirectness = [n for n in notes if n[3:].startswith("Indirectness")]
    assert 1 == len(indirectness)
    letter = indirectness[0][0]
    assert all(letter in cell for cell in frame["Certainty of the evidence"])


def test_summary_of_findings_tex_compiles(tmp_path):
    """Hostile labels and all: compiled with the packages its first line names (a basic TeX
    installation has them), no column narrower than a word, no float taller than its page."""
    import os
    import shutil
    from test_report_latex import compile_table
    found = shutil.which("pdflatex")
    if found is None:
        if os.environ.get("REVIEW_REQUIRE_LATEX") == "1":
            pytest.fail("pdflatex is not installed and CI requires it")
        pytest.skip("pdflatex is not installed (Debian: texlive-latex-base texlive-latex-recommended)")
    syn = synthesise(None, _spec(label="Tumour volume_1 & 50% #2"), _rows(STUDIES, STRATEGY))
    write_summary_of_findings([(syn, certainty_for(syn))], tmp_path)
    compile_table(found, tmp_path / "summary_of_findings.tex")
    assert (tmp_path / "doc-summary_of_findings.pdf").read_bytes()[:5] == b"%PDF-"


def test_block_forest_plots_draw_subgroups_and_experiments():
    syn = synthesise(None, _spec(), _rows(STUDIES, STRATEGY))
    figure = subgroup_forest_plot(syn.subgroups, outcome="Tumour volume", favours=syn.spec.favours)
    ax = figure.axes[0]
    # native has one study (shown, not pooled): two subgroup diamonds
    assert 2 == len([p for p in ax.patches if p.get_gid() == "subgroup-pooled"])
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert ["native", "Rossi 2016"] == labels[:2] and "RE model, all studies (k = 5)" in labels
    test = [t.get_text() for t in ax.texts if t.get_gid() == "subgroup-test"][0]
    assert test.startswith("Test for subgroup differences (strategy): F = ")
    figure = experiments_forest_plot(syn.multilevel, outcome="Tumour volume")
    labels = [t.get_text() for t in figure.axes[0].get_yticklabels()]
    assert ["Rossi 2016", "Rossi 2016, experiment 1", "Rossi 2016, experiment 2", "Chen 2021"] \
        == labels[:4]
    assert "Three-level model (k = 6 in 5 studies)" in labels
