"""The summary-of-findings table in the layout GRADEpro made familiar: one row per outcome with
the number of studies (experiments, animals), the effect with its confidence interval, the
certainty of the evidence as ⊕ symbols with footnotes giving each reason to rate down (or a
reviewer's judgement), and a plain-language statement in GRADE's wording.

Written to `summary_of_findings.docx|md|tex|xlsx|csv` through `review.report.tables`, which
escapes cell text for Markdown, LaTeX and Word and neutralises spreadsheet formulas."""
from __future__ import annotations

import string
from pathlib import Path

import numpy as np
import pandas as pd

from .grade import DOMAIN_NAMES, NOT_JUDGED, Certainty
from .synthesis import OutcomeSynthesis

__all__ = ["SOF_COLUMNS", "SOF_FORMATS", "sof_table", "write_summary_of_findings"]

SOF_COLUMNS = ["Outcome", "Studies (N)", "Effect (95% CI)", "Certainty of the evidence",
               "What happens"]
SOF_FORMATS = (".docx", ".md", ".tex", ".xlsx", ".csv")
_RATED = {"serious": "rated down one level", "very serious": "rated down two levels",
          "not serious": "not rated down", NOT_JUDGED: "not yet judged by a reviewer"}


def _effect(syn: OutcomeSynthesis) -> str:
    if syn.result is None:
        v = syn.votes
        if v is None or v.proportion is None:
            return "Not pooled; no direction of effect reported"
        p = "p < 0.001" if v.p < 0.001 else f"p = {v.p:.2f}"
        return (f"Not pooled: {v.favours_intervention} of {v.favours_intervention + v.favours_control}"
                f" studies favour the intervention (sign test {p})")
    r = syn.result
    b = r.back_transformed()
    text = (f"{r.measure} {b.estimate:.2f} ({b.ci_low:.2f} to {b.ci_high:.2f}); "
            f"prediction interval {b.pi_low:.2f} to {b.pi_high:.2f}")
    if syn.multilevel is not None:
        m = syn.multilevel
        show = np.exp if r.is_ratio else float
        text += (f"; three-level model {float(show(m.estimate)):.2f} "
                 f"({float(show(m.ci_low)):.2f} to {float(show(m.ci_high)):.2f})")
    return text


def _statement(syn: OutcomeSynthesis, certainty: Certainty) -> str:
    """GRADE's plain-language wording: 'reduces' (high), 'probably reduces' (moderate), 'may
    reduce' (low), 'the evidence is very uncertain' (very low)."""
    name = syn.spec.name.lower()
    if certainty.level == "very low":
        return f"The evidence is very uncertain about the effect on {name}."
    if syn.result is not None and syn.result.ci_low <= 0 <= syn.result.ci_high:
        verb, s_form = "make little or no difference to", "makes little or no difference to"
    else:
        if syn.result is not None:
            lower = syn.result.estimate < 0
        else:
            v = syn.votes
            favours = v is not None and v.favours_intervention >= v.favours_control
            lower = favours == (syn.spec.better == "lower")
        verb, s_form = ("reduce", "reduces") if lower else ("increase", "increases")
    lead = {"high": s_form, "moderate": f"probably {s_form}", "low": f"may {verb}"}
    return f"The intervention {lead[certainty.level]} {name}."


def sof_table(rows: list[tuple[OutcomeSynthesis, Certainty]]) -> tuple[pd.DataFrame, list[str]]:
    """The table and its footnotes (letters in the certainty cell point to them)."""
    letters = iter(string.ascii_lowercase)
    table, notes = [], []
    letter_of: dict[str, str] = {}  # one footnote per distinct reason, as GRADEpro does
    for syn, certainty in rows:
        marks = []
        for d in certainty.domains:
            if d.judgement in ("serious", "very serious") or d.source == "reviewer" or \
                    d.judgement == NOT_JUDGED:
                who = f" (judged by {d.reviewer})" if d.source == "reviewer" else ""
                text = f"{DOMAIN_NAMES[d.domain]}, {_RATED[d.judgement]}{who}: {d.reason}"
                if text not in letter_of:
                    letter_of[text] = next(letters)
                    notes.append(f"{letter_of[text]}. {text}")
                marks.append(letter_of[text])
        animals = syn.animals
        studies = f"{syn.studies} stud{'y' if syn.studies == 1 else 'ies'}"
        if syn.experiments > syn.studies:
            studies += f", {syn.experiments} experiments"
        if animals:
            studies += f"; N = {animals}"
        outcome = f"{syn.spec.name} ({syn.spec.importance})"
        table.append({"Outcome": outcome, "Studies (N)": studies,
                      "Effect (95% CI)": _effect(syn),
                      "Certainty of the evidence": f"{certainty.label()}"
                                                   + (f" {','.join(marks)}" if marks else ""),
                      "What happens": _statement(syn, certainty)})
    notes.append("GRADE for animal studies (Hooijmans et al. 2018): evidence starts at high "
                 "certainty and is rated down per domain; \u2295\u2295\u2295\u2295 high, "
                 "\u2295\u2295\u2295\u25ef moderate, \u2295\u2295\u25ef\u25ef low, "
                 "\u2295\u25ef\u25ef\u25ef very low. CI: confidence interval. SMD: standardised "
                 "mean difference (Hedges' g). N: animals (in vitro: samples), the sum of the "
                 "group sizes of every experiment.")
    return pd.DataFrame(table, columns=SOF_COLUMNS), notes


def write_summary_of_findings(rows: list[tuple[OutcomeSynthesis, Certainty]], folder: str | Path,
                              *, caption: str = "Summary of findings") -> list[Path]:
    """`summary_of_findings` in every format of `SOF_FORMATS`; returns the paths."""
    from .latex_symbols import GRADE_SYMBOLS, latex_symbols
    from .tables import write_table
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    frame, notes = sof_table(rows)
    paths = []
    for suffix in SOF_FORMATS:
        path = write_table(frame, folder / f"summary_of_findings{suffix}", caption=caption,
                           footnotes=notes)
        if suffix == ".tex":  # the certainty symbols as math symbols every TeX engine has
            latex_symbols(path, GRADE_SYMBOLS)
        paths.append(path)
    return paths
