"""`review simulate`: replaying labelled data, the comparison figures, and reading the CSVs."""
from __future__ import annotations

import argparse
import json
import re

import pandas as pd
import pytest

from conftest import SHARED, _need_shared
from review.errors import ReviewError
from review.screening.simulate import load_labelled_csv, screening_metrics, simulate
from review.screening.simulate_command import configure_parser, run

KEYS = ["n_records", "n_relevant", "records_to_95pct_recall", "records_to_100pct_recall",
        "wss95", "recall_at_10pct", "seconds"]
SCREENING = SHARED / "data" / "screening" / "asreview_systematic-review-datasets"


def small_frame() -> pd.DataFrame:
    """Six records on NK-cell exosomes (relevant) among eighteen on farming and freight."""
    relevant = [f"Natural killer cell exosomes kill tumour cells, study {i}" for i in range(6)]
    other = [f"{a} yield and {b} in {c}" for a, b, c in
             [("Wheat", "drought", "Kenya"), ("Maize", "nitrogen", "Peru"),
              ("Barley", "irrigation", "Spain"), ("Rice", "flooding", "Vietnam"),
              ("Diesel", "freight", "Germany"), ("Lorry", "fuel", "France")] * 3]
    titles = relevant + other
    return pd.DataFrame({"title": titles, "abstract": [""] * len(titles),
                         "label_included": [1] * 6 + [0] * 18})


def test_metrics_of_a_hand_made_ranking():
    """N=20, R=4, relevant screened at positions 1, 3, 6 and 12."""
    labels = [1, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 1]  # the other 8 records never screened
    m = screening_metrics(labels, 20)
    # ceil(0.95 * 4) = 4: the 4th relevant is at position 12, so 95 % and 100 % need 12 records
    assert 12 == m["records_to_95pct_recall"] == m["records_to_100pct_recall"]
    # WSS@95 = (20 - 12) / 20 - 0.05 = 0.40 - 0.05 = 0.35
    assert m["wss95"] == pytest.approx(0.35)
    # first ceil(0.1 * 20) = 2 records hold 1 of the 4 relevant: 0.25
    assert m["recall_at_10pct"] == pytest.approx(0.25)
    assert (20, 4) == (m["n_records"], m["n_relevant"])


def test_metrics_when_95_and_100_percent_differ():
    """N=40, R=20: 19 relevant first, the last at 30; ceil(0.95*20) = 19."""
    labels = [1] * 19 + [0] * 10 + [1]
    m = screening_metrics(labels, 40)
    assert (19, 30) == (m["records_to_95pct_recall"], m["records_to_100pct_recall"])
    assert m["wss95"] == pytest.approx((40 - 19) / 40 - 0.05)  # 0.525 - 0.05 = 0.475
    assert m["recall_at_10pct"] == pytest.approx(4 / 20)        # ceil(4.0) = 4 records, 4 found
    with pytest.raises(ValueError, match="only 1 of the 2 relevant"):
        screening_metrics([1, 0], 5, n_relevant=2)


def test_simulate_with_explicit_priors_finds_the_relevant_records_first():
    """Starting from one include and one exclude, the five other includes come next."""
    result = simulate(small_frame(), seed=0, prior_included=[0], prior_excluded=[6])
    assert [0, 6] == result.order[:2] and [0] == result.prior_included
    assert 7 == result.records_to_100pct_recall  # 2 priors + 5 relevant, nothing wasted
    assert result.labels[:7] == [1, 0, 1, 1, 1, 1, 1]
    assert KEYS == list(json.loads(result.to_json()))


def test_simulate_default_priors_depend_on_the_seed_only():
    """Without priors one relevant and one irrelevant row are drawn with the seed."""
    a, b = simulate(small_frame(), seed=5), simulate(small_frame(), seed=5)
    assert (a.prior_included, a.prior_excluded, a.order) == (b.prior_included, b.prior_excluded, b.order)
    assert a.prior_included[0] < 6 <= a.prior_excluded[0]


def test_simulate_without_an_excluded_prior_screens_at_random_until_one_appears():
    """An empty prior list means none: the random start runs until an exclude is seen."""
    result = simulate(small_frame(), seed=2, prior_included=[0, 1], prior_excluded=[])
    assert [0, 1] == result.order[:2] and result.records_to_100pct_recall <= 24


@pytest.mark.parametrize("kwargs, message", [
    ({"prior_included": [6]}, "prior included row 6 is labelled 0 (label_included), not 1"),
    ({"prior_excluded": [0]}, "prior excluded row 0 is labelled 1 (label_included), not 0"),
    ({"prior_included": [24]}, "prior included row 24 is out of range: rows are numbered 0 to 23"),
    ({"prior_excluded": [-1]}, "prior excluded row -1 is out of range"),
    ({"prior_included": [1, 1]}, "prior included rows repeat a row: [1, 1]"),
])
def test_simulate_rejects_bad_priors(kwargs, message):
    """Bad prior rows are a ReviewError saying which row and why."""
    with pytest.raises(ReviewError, match=re.escape(message)):
        simulate(small_frame(), seed=0, **kwargs)


def test_simulate_needs_the_columns():
    with pytest.raises(ReviewError, match="lacks the column.s. abstract"):
        simulate(small_frame().drop(columns=["abstract"]), seed=0)


def test_load_labelled_csv_reads_cp1252_empty_abstracts_and_the_included_alias(tmp_path):
    """A Windows-encoded file with `included` and an empty abstract reads as our three columns."""
    path = tmp_path / "w.csv"
    path.write_bytes("id,Title,abstract,included\r\n1,Caf\xe9 study,,1\r\n2,\"Other, one\",Text,0\r\n"
                     .encode("cp1252"))
    frame = load_labelled_csv(path)
    assert ["Café study", "Other, one"] == frame["title"].tolist()
    assert ["", "Text"] == frame["abstract"].tolist()
    assert [1, 0] == frame["label_included"].tolist()


def test_load_labelled_csv_names_the_file_and_the_missing_column(tmp_path):
    path = tmp_path / "no_labels.csv"
    path.write_text("title,abstract\nA,B\n", encoding="utf-8")
    with pytest.raises(ReviewError, match=r"no_labels.csv: missing column\(s\) label_included; "
                                          r"found title, abstract"):
        load_labelled_csv(path)
    bad = tmp_path / "bad.csv"
    bad.write_text("title,abstract,label_included\nA,B,1\nC,D,yes\n", encoding="utf-8")
    with pytest.raises(ReviewError, match=r"bad.csv: row 1 \(0-based, line 3\) has label 'yes'"):
        load_labelled_csv(bad)
    with pytest.raises(ReviewError, match="absent.csv: cannot read the file"):
        load_labelled_csv(tmp_path / "absent.csv")


def test_cli_prints_a_summary_and_the_json_last(tmp_path, capsys):
    """`review simulate DATA --seed 1 --prior-included 0 --prior-excluded 6 7 --json`."""
    path = tmp_path / "small.csv"
    small_frame().to_csv(path, index=False)
    parser = argparse.ArgumentParser()
    configure_parser(parser)
    args = parser.parse_args([str(path), "--seed", "1", "--prior-included", "0",
                              "--prior-included", "1", "--prior-excluded", "6", "7", "--json"])
    assert ([0, 1], [6, 7]) == (args.prior_included, args.prior_excluded)
    assert 0 == run(args)
    lines = capsys.readouterr().out.strip().splitlines()
    assert "small.csv: 24 records, 6 relevant" in lines[0]
    figures = json.loads(lines[-1])
    assert KEYS == list(figures) and 8 == figures["records_to_100pct_recall"]
    assert parser.parse_args([str(path), "--seed", "2"]).prior_included is None
    with pytest.raises(SystemExit):
        parser.parse_args([str(path)])  # --seed is required


def test_cli_without_json_prints_no_json(tmp_path, capsys):
    path = tmp_path / "small.csv"
    small_frame().to_csv(path, index=False)
    assert 0 == run(argparse.Namespace(data=str(path), seed=3, prior_included=None,
                                       prior_excluded=None, json=False))
    assert not capsys.readouterr().out.strip().splitlines()[-1].startswith("{")


@pytest.mark.shared
def test_simulate_a_real_dataset():
    """Cohen's urinary incontinence review (327 records, 40 included): sane figures."""
    path = _need_shared(SCREENING / "Cohen_2006" / "UrinaryIncontinence.csv")
    frame = load_labelled_csv(path)
    result = simulate(frame, seed=1)
    figures = json.loads(result.to_json())
    assert KEYS == list(figures)
    assert (327, 40) == (figures["n_records"], figures["n_relevant"])
    assert 2 < figures["records_to_95pct_recall"] <= figures["records_to_100pct_recall"] <= 327
    assert figures["records_to_95pct_recall"] < 0.6 * 327  # far better than random order
    assert 0 < figures["wss95"] < 0.95 and 0.25 < figures["recall_at_10pct"] <= 1
    assert sorted(result.order) == sorted(set(result.order)) and figures["seconds"] > 0


# ASReview LAB 3.0.8 (ELAS u4) on the same dataset and priors (rows 102 included, 176 excluded;
# seed 1): records to 95 % recall, from /work/shared/peers/asreview_simulate.sh as cached by
# benchmarks/screening_simulation.py (~/.cache/review-peers/results/UrinaryIncontinence_1_*.json).
ASREVIEW_URINARY_SEED1 = 172


@pytest.mark.shared
@pytest.mark.slow
def test_simulate_needs_no_more_records_than_asreview_on_urinary_incontinence():
    """From ASReview's priors, our prioritiser reaches 95 % recall no later than ASReview did."""
    path = _need_shared(SCREENING / "Cohen_2006" / "UrinaryIncontinence.csv")
    result = simulate(load_labelled_csv(path), seed=1)
    assert ([102], [176]) == (result.prior_included, result.prior_excluded)
    assert result.records_to_95pct_recall <= ASREVIEW_URINARY_SEED1


def test_cli_model_option_chooses_the_model_and_keeps_the_json_line(tmp_path, capsys):
    """`--model elas-u4` (ASReview's default, reproduced) and the others; an unknown name is a
    usage error naming the choices."""
    path = tmp_path / "small.csv"
    small_frame().to_csv(path, index=False)
    parser = argparse.ArgumentParser()
    configure_parser(parser)
    assert "fused" == parser.parse_args([str(path), "--seed", "1"]).model
    for name in ("elas-u4", "fused"):
        args = parser.parse_args([str(path), "--seed", "1", "--model", name, "--json"])
        assert 0 == run(args)
        lines = capsys.readouterr().out.strip().splitlines()
        assert f"model {name}:" in lines[1]
        assert KEYS == list(json.loads(lines[-1]))
    with pytest.raises(SystemExit):
        parser.parse_args([str(path), "--seed", "1", "--model", "bert"])
    assert "invalid choice: 'bert'" in capsys.readouterr().err


def test_models_differ_only_in_their_opinions():
    from review.screening.models import make_prioritiser
    texts = small_frame()["title"].tolist()
    u4 = make_prioritiser(texts, model="elas-u4", seed=1)
    assert 1 == len(u4.opinion_weights)
    assert 3 == len(make_prioritiser(texts, model="fused", seed=1).opinion_weights)
    with pytest.raises(ValueError, match="unknown model 'x'; choose one of elas-u4"):
        make_prioritiser(texts, model="x")


@pytest.mark.shared
def test_elas_u4_orders_adhd_exactly_as_asreview_did():
    """ASReview LAB 3.0.8 (ELAS u4) on ADHD, seed 1, priors 333 (included) and 440 (excluded),
    from ../shared/peers/asreview_simulate.sh: 95 % recall after 351 records, all after 584. The
    `elas-u4` model reproduces both."""
    path = _need_shared(SCREENING / "Cohen_2006" / "ADHD.csv")
    result = simulate(load_labelled_csv(path), seed=1, model="elas-u4")
    assert ([333], [440]) == (result.prior_included, result.prior_excluded)
    assert (351, 584) == (result.records_to_95pct_recall, result.records_to_100pct_recall)


def _benchmark():
    import importlib.util
    from pathlib import Path
    path = Path(__file__).resolve().parents[1] / "benchmarks" / "screening_simulation.py"
    spec = importlib.util.spec_from_file_location("screening_simulation_benchmark", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_benchmark_measures_each_review_with_a_model_chosen_without_it():
    """Model a is brilliant on one review only: chosen on all three it looks fine in sample,
    but out of sample each review is measured with the choice the other two made."""
    bench = _benchmark()
    table = [{"dataset": d, "ratio95": {"a": a, "b": b}}
             for d, a, b in (("d1", 0.5, 0.9), ("d2", 1.2, 0.95), ("d3", 1.2, 0.95))]
    cv = bench.cross_validate(table, ["a", "b"])
    assert "b" == cv["in_sample_model"] and cv["in_sample_mean"] == pytest.approx(0.9333, abs=1e-4)
    assert [f["chosen"] for f in cv["folds"]] == ["b", "a", "a"]
    assert [f["out_of_sample"] for f in cv["folds"]] == [0.9, 1.2, 1.2]
    assert cv["out_of_sample_mean"] == pytest.approx(1.1) and cv["out_of_sample_max"] == 1.2
    assert not cv["targets_met"]


def test_benchmark_stopping_summary_on_a_simulated_order():
    bench = _benchmark()
    labels = [1] * 20 + [0] * 30 + [1] + [0] * 100
    rows = [{"dataset": "d", "seed": 1, "n_records": 1000, "n_relevant": 21,
             "ours": {"m": {"labels": labels}}}]
    (summary,) = bench.stopping_summary(rows, ["m"])
    run = summary["detail"][0]
    assert 151 <= run["stopped_at"] < 1000 and run["recall"] == 1.0
    assert summary["share_reaching_target"] == 1.0 and 0 < summary["mean_saved"] < 0.85
    assert run["sample"] > 0 and run["sample_passed"]


def test_benchmark_weight_grid_names_every_pair_and_keeps_the_named_models():
    """The fused opinions' weights are candidates of the cross-validation too; the pairs that
    are named models keep their names, so their cached runs count."""
    bench = _benchmark()
    grid = bench.weight_grid()
    assert len(grid) == len(bench.CHAR_WEIGHTS) * len(bench.NEAREST_WEIGHTS)
    assert grid["fused"] == {"char_weight": 0.9, "nearest_weight": 0.5}
    assert grid["elas-u4"] == {"char_weight": 0.0, "nearest_weight": 0.0}
    assert grid["c0.45+n0.25"] == {"char_weight": 0.45, "nearest_weight": 0.25}
    table = [{"dataset": f"d{i}", "ratio95": {m: 1.0 for m in grid} | {"c0.45+n0.25": 0.9}}
             for i in range(3)]
    cv = bench.cross_validate(table, list(grid))
    assert {f["chosen"] for f in cv["folds"]} == {"c0.45+n0.25"}
    lines = bench.grid_table(cv, grid).splitlines()
    assert len(lines) == 2 + len(bench.CHAR_WEIGHTS)
    assert "| 0.45 | 1.000 | 0.900 (chosen 3x) | 1.000 |" in lines[3]
