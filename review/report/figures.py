"""The review's figures: evidence map, studies per year, and risk-of-bias plots in robvis' manner.

Each plot function checks its input first (an error names the missing column, the unknown
judgement and its study), tidies it to long form, then draws a `matplotlib.figure.Figure` in the
project's style (`review.figures.style`: Okabe-Ito colours). Colour is never the only cue:
judgements also carry a symbol (+, −, ×, !, ?) and summary bars a hatching, so the figures read
in greyscale. `write_figures` draws every figure the review's data allow and saves each as SVG,
PNG and PDF.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator, PercentFormatter

from ..errors import ReviewError
from ..figures.style import JUDGEMENT_COLOURS, PALETTE, figure_style, save_figure

__all__ = ["JUDGEMENTS", "SYMBOLS", "HATCHES", "evidence_map", "studies_per_year",
           "rob_traffic_light", "rob_summary", "check_robvis", "tool_title", "write_figures"]

#: Judgements as robvis spells them, from best to worst (the order of stacks and legends).
JUDGEMENTS = ("Low", "Some concerns", "Moderate", "Unclear", "High", "Serious", "Critical",
              "No information", "Not applicable")
#: The symbol in each traffic light, after robvis.
SYMBOLS = {"Low": "+", "Some concerns": "−", "Moderate": "−", "Unclear": "?", "High": "×",
           "Serious": "×", "Critical": "!", "No information": "?", "Not applicable": ""}
#: Hatching of each judgement in the summary bars.
HATCHES = {"Low": "", "Some concerns": "..", "Moderate": "..", "Unclear": "\\\\", "High": "//",
           "Serious": "//", "Critical": "xx", "No information": "--", "Not applicable": ""}
#: Symbols drawn as markers (paths, not text: fast to draw and save).
_SYMBOL_MARKERS = {"+": "+", "−": "_", "×": "x", "!": "$!$", "?": "$?$"}
ROBVIS_COLUMNS = "Study, D1 ... Dn, Overall, Weight"
#: Tools that judge risk of bias (the others, such as MISEV, appraise reporting).
RISK_OF_BIAS = ("SYRCLE", "RoB2", "ROBINS-I")
_DOMAIN = re.compile(r"^D(\d+)$")
_EDGE = "#333333"


def _text_colour(colour: str) -> str:
    """Black or white, whichever reads on `colour` (relative luminance)."""
    r, g, b = (int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5))
    return "black" if 0.2126 * r + 0.7152 * g + 0.0722 * b > 0.4 else "white"


def _need(frame, columns: Sequence[str], what: str, expected: Sequence[str]) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise ReviewError(f"{what}: expected a table (DataFrame), found {type(frame).__name__}")
    for column in columns:
        if column not in frame.columns:
            raise ReviewError(f"{what}: missing column {column!r}; expected columns "
                              f"{', '.join(expected)}")


def _label(name: str) -> str:
    return name.replace("_", " ").capitalize()


def _tidy(frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """One row per study and value: lists exploded, missing values and repeats dropped."""
    tidy = frame[list(dict.fromkeys(["study_id", *columns]))].copy()
    for column in columns:
        tidy = tidy.explode(column)
    tidy = tidy.dropna(subset=list(columns))
    tidy = tidy[~tidy[list(columns)].map(lambda v: isinstance(v, str) and not v.strip()).any(axis=1)]
    return tidy.drop_duplicates().reset_index(drop=True)


def _categories(present: Sequence, order: Sequence | None) -> list:
    present = list(dict.fromkeys(present))
    if order is None:
        return sorted(present, key=lambda v: str(v).casefold())
    return list(order) + [v for v in present if v not in set(order)]


# -- evidence map -----------------------------------------------------------------------------------
def evidence_map(frame: pd.DataFrame, rows: str = "strategy", columns: str = "tumour_type", *,
                 row_order: Sequence | None = None, column_order: Sequence | None = None,
                 row_label: str | None = None, column_label: str | None = None) -> Figure:
    """A bubble grid of how many studies report each combination of `rows` and `columns`
    (e.g. strategy × tumour type); `frame` has study_id and both columns (lists allowed), and a
    study counts once per cell. Categories in `*_order` are all shown, so gaps in the evidence
    are visible."""
    what = "evidence map"
    _need(frame, ["study_id", rows, columns], what, ["study_id", rows, columns])
    tidy = _tidy(frame, [rows, columns])
    if tidy.empty:
        raise ReviewError(f"{what}: no study has both {rows!r} and {columns!r}")
    counts = tidy.groupby([rows, columns])["study_id"].nunique()
    row_values = _categories(tidy[rows], row_order)
    column_values = _categories(tidy[columns], column_order)
    most = counts.max()
    with figure_style():
        figure = Figure(figsize=(1.8 + 0.55 * len(column_values), 1.3 + 0.5 * len(row_values)))
        ax = figure.subplots()
        for y, row_value in enumerate(row_values):
            colour = PALETTE[y % len(PALETTE)]
            for x, column_value in enumerate(column_values):
                count = int(counts.get((row_value, column_value), 0))
                if not count:
                    continue
                ax.scatter([x], [y], s=60 + 540 * count / most, color=colour, alpha=0.9,
                           edgecolors=_EDGE, linewidths=0.5, zorder=3)
                ax.text(x, y, str(count), ha="center", va="center", fontsize=8, zorder=4,
                        color=_text_colour(colour))
        ax.set_xticks(range(len(column_values)), [str(v) for v in column_values],
                      rotation=45, ha="right", rotation_mode="anchor")
        ax.set_yticks(range(len(row_values)), [str(v) for v in row_values])
        ax.set_xlim(-0.6, len(column_values) - 0.4)
        ax.set_ylim(len(row_values) - 0.4, -0.6)
        ax.set_axisbelow(True)
        ax.grid(True, color="#DDDDDD", linewidth=0.6)
        ax.tick_params(length=0)
        for spine in ax.spines.values():
            spine.set_visible(False)
        ax.set_xlabel(column_label or _label(columns))
        ax.set_ylabel(row_label or _label(rows))
        ax.set_title(f"Evidence map: number of studies ({tidy['study_id'].nunique()} studies)",
                     loc="left")
    return figure


# -- studies per year -------------------------------------------------------------------------------
def studies_per_year(frame: pd.DataFrame, by: str = "strategy", *, order: Sequence | None = None,
                     by_label: str | None = None, missing: str = "not reported") -> Figure:
    """Stacked bars of studies per year (every year in the range, empty ones too), split by
    `by`; a study without a `by` value counts under `missing`, one without a year is left out
    and said so under the plot."""
    what = "studies per year"
    _need(frame, ["study_id", "year", by], what, ["study_id", "year", by])
    years = pd.to_numeric(frame["year"], errors="coerce")
    bad = frame[years.isna() & frame["year"].notna() & (frame["year"].astype(str).str.strip() != "")]
    if not bad.empty:
        study, value = bad.iloc[0]["study_id"], bad.iloc[0]["year"]
        raise ReviewError(f"{what}: study {study!r} has year {value!r}; expected a year such as 2018")
    data = frame.assign(year=years)
    undated = data.loc[data["year"].isna(), "study_id"].nunique()
    data = data.dropna(subset=["year"]).explode(by)
    if data.empty:
        raise ReviewError(f"{what}: no study has a year")
    data[by] = data[by].map(lambda v: missing if v is None or (isinstance(v, float) and np.isnan(v))
                            or (isinstance(v, str) and not v.strip()) else v)
    data = data.drop_duplicates(["study_id", "year", by])
    counts = data.groupby(["year", by])["study_id"].nunique().unstack(fill_value=0)
    span = range(int(data["year"].min()), int(data["year"].max()) + 1)
    counts = counts.reindex(span, fill_value=0)
    series = [s for s in _categories(counts.columns, order) if s in counts.columns]
    with figure_style():
        figure = Figure(figsize=(max(4.0, 1.5 + 0.32 * len(span)), 3.2))
        ax = figure.subplots()
        bottom = np.zeros(len(span))
        for i, name in enumerate(series):
            values = counts[name].to_numpy()
            ax.bar(list(span), values, bottom=bottom, color=PALETTE[i % len(PALETTE)],
                   hatch=("", "//", "..", "\\\\", "xx", "--", "oo", "++")[i % 8],
                   edgecolor="white", linewidth=0.6, label=str(name))
            bottom += values
        ax.set_xticks(list(span), [str(y) for y in span], rotation=90 if len(span) > 12 else 0)
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("Year (earliest report of the study)")
        ax.set_ylabel("Studies")
        ax.legend(title=by_label or _label(by), loc="upper left", bbox_to_anchor=(1.0, 1.0))
        ax.set_title(f"Included studies per year ({data['study_id'].nunique()} studies)", loc="left")
        if undated:
            ax.annotate(f"{undated} stud{'y' if undated == 1 else 'ies'} without a year not shown",
                        xy=(0, 0), xycoords="axes fraction", xytext=(0, -34),
                        textcoords="offset points", va="top", fontsize=8)
    return figure


# -- risk of bias -----------------------------------------------------------------------------------
def check_robvis(frame: pd.DataFrame, *, weighted: bool = False) -> pd.DataFrame:
    """The robvis table in long form (study, domain, judgement, weight), judgements spelled as
    robvis does; empty cells (not yet judged) are left out. Errors name the problem exactly."""
    what = "robvis table"
    _need(frame, ["Study"], what, [ROBVIS_COLUMNS])
    domains = sorted((c for c in frame.columns if _DOMAIN.match(str(c))),
                     key=lambda c: int(_DOMAIN.match(c).group(1)))
    if not domains:
        raise ReviewError(f"{what}: no domain columns (D1, D2, ...); expected columns {ROBVIS_COLUMNS}")
    _need(frame, ["Overall"] + (["Weight"] if weighted else []), what, [ROBVIS_COLUMNS])
    if frame.empty:
        raise ReviewError(f"{what}: no studies to plot")
    spelling = {j.casefold(): j for j in JUDGEMENTS}
    rows = []
    for record in frame.to_dict("records"):
        study = record["Study"]
        weight = 1.0
        if weighted:
            try:
                weight = float(record["Weight"])
                if not weight >= 0:
                    raise ValueError
            except (TypeError, ValueError):
                raise ReviewError(f"{what}, study {study!r}: Weight must be a number of 0 or more, "
                                  f"found {record['Weight']!r}") from None
        for domain in domains + ["Overall"]:
            value = record[domain]
            if value is None or (isinstance(value, float) and np.isnan(value)) \
                    or (isinstance(value, str) and not value.strip()):
                continue
            judgement = spelling.get(str(value).strip().casefold())
            if judgement is None:
                raise ReviewError(f"{what}, study {study!r}, {domain}: unknown judgement {value!r}; "
                                  f"expected one of {', '.join(JUDGEMENTS)}")
            rows.append((str(study), domain, judgement, weight))
    return pd.DataFrame(rows, columns=["study", "domain", "judgement", "weight"]).assign(
        domain=lambda f: pd.Categorical(f["domain"], categories=domains + ["Overall"]))


def _judgement_handles(present: Sequence[str], labels: Mapping[str, str]) -> list:
    return [Line2D([], [], marker="o", linestyle="", markersize=9,
                   markerfacecolor=JUDGEMENT_COLOURS[j.casefold()], markeredgecolor=_EDGE,
                   label=f"{SYMBOLS[j]}  {labels.get(j, j)}" if SYMBOLS[j] else labels.get(j, j))
            for j in JUDGEMENTS if j in present]


def _heading_handle(text: str) -> Line2D:
    """A legend entry without a marker: the heading of a section of the legend."""
    return Line2D([], [], linestyle="", marker="", label=text)


def _caption(ax, text: str | None, offset: float) -> None:
    """A note under the plot (such as how the overall judgement is reached), wrapped."""
    if text:
        import textwrap
        ax.annotate("\n".join(textwrap.wrap(text, 120)), xy=(0, 0), xycoords="axes fraction",
                    xytext=(0, offset), textcoords="offset points", va="top", ha="left",
                    fontsize=7.5, fontstyle="italic")


def _note_height(domains: Sequence[str], names: Mapping[str, str] | None) -> float:
    """Points taken by `_domain_note` below the axes (lines of 7.5-pt text)."""
    lines = len([d for d in domains if names and d in names])
    lines = (lines + 1) // 2 if lines > 5 else lines
    return lines * 9.5


def _domain_note(ax, domains: Sequence[str], names: Mapping[str, str] | None, offset: float) -> None:
    """The domains' names below the plot, as robvis writes them."""
    if not names:
        return
    lines = [f"{d}: {names[d]}" for d in domains if d in names]
    half = (len(lines) + 1) // 2 if len(lines) > 5 else len(lines)     # two columns when long
    for x, part in ((0.0, lines[:half]), (0.5, lines[half:])):
        if part:
            ax.annotate("\n".join(part), xy=(x, 0), xycoords="axes fraction", xytext=(0, offset),
                        textcoords="offset points", va="top", ha="left", fontsize=7.5)


def rob_traffic_light(robvis_frame: pd.DataFrame, *, domains: Mapping[str, str] | None = None,
                      title: str | None = None,
                      judgement_labels: Mapping[str, str] | None = None,
                      overall_labels: Mapping[str, str] | None = None,
                      caption: str | None = None) -> Figure:
    """One row per study, one circle per domain and overall, coloured and marked with a symbol
    per judgement; `domains` (D1 -> name) are listed below the plot. `judgement_labels` (robvis
    judgement -> wording) name the legend's entries in the tool's own words, such as "Reported"
    for a reporting checklist; `overall_labels` name the Overall column's levels where the tool
    words them apart ("Well characterised"), in a section of the legend of their own.
    `caption` (e.g. how the overall judgement is reached) is written under the plot."""
    long = check_robvis(robvis_frame)
    studies = list(dict.fromkeys(str(s) for s in robvis_frame["Study"]))
    columns = list(long["domain"].cat.categories)
    place = {c: i for i, c in enumerate(columns)}
    with figure_style():
        width = 1.0 + 0.075 * max(len(s) for s in studies) + 0.45 * len(columns) + 1.6
        figure = Figure(figsize=(width, 1.0 + 0.3 * len(studies)))
        ax = figure.subplots()
        row_of = {s: i for i, s in enumerate(studies)}
        for judgement, cells in long.groupby("judgement", sort=False):   # one call per kind: fast
            x = cells["domain"].map(place).astype(float).to_numpy()
            y = cells["study"].map(row_of).to_numpy()
            colour = JUDGEMENT_COLOURS[judgement.casefold()]
            ax.scatter(x, y, s=190, color=colour, edgecolors=_EDGE, linewidths=0.6, zorder=3)
            if SYMBOLS[judgement]:
                ax.scatter(x, y, s=42 if SYMBOLS[judgement] in "!?" else 40, zorder=4,
                           marker=_SYMBOL_MARKERS[SYMBOLS[judgement]], linewidths=1.6,
                           color=_text_colour(colour))
        ax.set_xlim(-0.6, len(columns) - 0.4)
        ax.set_ylim(len(studies) - 0.5, -0.5)
        ax.xaxis.tick_top()
        ax.set_xticks(range(len(columns)), columns)
        ax.set_yticks(range(len(studies)), studies)
        ax.axvline(len(columns) - 1.5, color="#888888", linewidth=0.6)
        ax.tick_params(length=0)
        for spine in ax.spines.values():
            spine.set_visible(False)
        ax.set_ylabel("Study")
        ax.set_title(title or "Risk of bias", loc="left", pad=22)
        ax.legend(handles=_legend_handles(long, judgement_labels, overall_labels),
                  title="Judgement", alignment="left",
                  loc="upper left", bbox_to_anchor=(1.02, 1.0))
        _domain_note(ax, columns[:-1], domains, offset=-8)
        _caption(ax, caption, offset=-14 - _note_height(columns[:-1], domains))
    return figure


def _legend_handles(long: pd.DataFrame, judgement_labels: Mapping[str, str] | None,
                    overall_labels: Mapping[str, str] | None) -> list:
    """One legend section per kind of judgement: the domains' (items') and, where the tool
    names its overall levels apart, the overall column's."""
    if not overall_labels:
        return _judgement_handles(set(long["judgement"]), judgement_labels or {})
    overall = long["domain"] == "Overall"
    return ([_heading_handle("Items")]
            + _judgement_handles(set(long.loc[~overall, "judgement"]), judgement_labels or {})
            + [_heading_handle("Overall")]
            + _judgement_handles(set(long.loc[overall, "judgement"]), overall_labels))


def rob_summary(robvis_frame: pd.DataFrame, weighted: bool = True, *,
                domains: Mapping[str, str] | None = None, title: str | None = None,
                overall_label: str = "Overall risk of bias",
                judgement_labels: Mapping[str, str] | None = None,
                overall_labels: Mapping[str, str] | None = None,
                caption: str | None = None) -> Figure:
    """Per domain and overall, the share of studies (weighted by `Weight` when `weighted`) with
    each judgement, as stacked horizontal bars coloured and hatched per judgement. Studies not
    yet judged in a domain are left out of that domain's bar. `judgement_labels`,
    `overall_labels` and `caption` as in `rob_traffic_light`. The axis says "weighted" only
    when the weights differ (equal weights are each study counted once)."""
    judgement_labels = judgement_labels or {}
    long = check_robvis(robvis_frame, weighted=weighted)
    weighted = weighted and long["weight"].nunique() > 1
    columns = list(long["domain"].cat.categories)
    totals = long.groupby(["domain", "judgement"], observed=True)["weight"].sum().unstack(fill_value=0)
    totals = totals.reindex(columns, fill_value=0)
    shares = totals.div(totals.sum(axis=1).replace(0, np.nan), axis=0).fillna(0) * 100
    present = [j for j in JUDGEMENTS if j in shares.columns]
    labels = [f"{c}: {domains[c]}" if domains and c in domains else c for c in columns[:-1]]
    labels.append(overall_label)
    with figure_style():
        figure = Figure(figsize=(7.0, 1.2 + 0.32 * len(columns)))
        ax = figure.subplots()
        left = np.zeros(len(columns))
        for judgement in present:
            values = shares[judgement].to_numpy()
            ax.barh(range(len(columns)), values, left=left, height=0.7, label=judgement,
                    color=JUDGEMENT_COLOURS[judgement.casefold()], hatch=HATCHES[judgement],
                    edgecolor=_EDGE, linewidth=0.5)
            left += values
        ax.set_yticks(range(len(columns)), labels)
        ax.get_yticklabels()[-1].set_fontweight("bold")
        ax.set_ylim(len(columns) - 0.5, -0.5)
        ax.set_xlim(0, 100)
        ax.xaxis.set_major_formatter(PercentFormatter())
        ax.set_xticks([0, 25, 50, 75, 100])
        ax.set_xlabel("Share of studies" + (" (weighted)" if weighted else ""))
        ax.set_title(title or "Risk of bias summary", loc="left")
        overall = long["domain"] == "Overall"
        in_items = set(long.loc[~overall, "judgement"]) if overall_labels else set(present)
        in_overall = set(long.loc[overall, "judgement"]) if overall_labels else set()

        def patches(kinds, labels):
            return [Patch(facecolor=JUDGEMENT_COLOURS[j.casefold()], hatch=HATCHES[j],
                          edgecolor=_EDGE, label=labels.get(j, j)) for j in present if j in kinds]
        handles = patches(in_items, judgement_labels)
        ncol = len(handles)
        if overall_labels:
            # two rows, items above and overall below (the legend fills column by column)
            items = [_heading_handle("Items:")] + handles
            totals = [_heading_handle("Overall:")] + patches(in_overall, overall_labels)
            ncol = max(len(items), len(totals))
            items += [_heading_handle("")] * (ncol - len(items))
            totals += [_heading_handle("")] * (ncol - len(totals))
            handles = [h for pair in zip(items, totals) for h in pair]
        below = -0.28 if len(columns) < 6 else -0.15
        legend = ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, below),
                           ncol=ncol)
        if caption:
            rows = -(-len(handles) // legend._ncols)
            _caption(ax, caption, offset=below * ax.bbox.height / figure.dpi * 72
                     - 16 * rows - 8)
    return figure


# -- the review's figures ---------------------------------------------------------------------------
def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.casefold()).strip("_")


def _save(figure: Figure, folder: Path, name: str) -> list[Path]:
    try:
        return save_figure(figure, folder, name)
    finally:
        figure.clear()


def write_figures(review, figures_dir: str | Path, *,
                  echo: Callable[[str], None] = print) -> list[Path]:
    """Draw and save (SVG, PNG, PDF) every figure the review's data allow: evidence_map,
    studies_per_year, and rob_traffic_light_<tool> and rob_summary_<tool> for the protocol's
    risk-of-bias tools. A figure without data is skipped with the reason printed."""
    from ..extraction.studies import studies as study_rows
    from ..extraction.studies import study_table
    from ..extraction.values import extraction_wide
    from ..protocol import CATEGORICAL_TYPES, EvidenceMapSpec
    from .evidence import study_level

    folder, written = Path(figures_dir), []
    protocol, schema = review.protocol, review.protocol.extraction
    fields = {f.name: f for f in schema.fields}
    spec = protocol.report.evidence_map or EvidenceMapSpec()
    table = study_table(review)
    wide, studies = extraction_wide(review), study_rows(review, table=table)
    usable = [n for n in (spec.rows, spec.columns)
              if n in fields and fields[n].type in CATEGORICAL_TYPES]
    if studies.empty:
        echo("evidence_map skipped: the review has no included studies")
    elif len(usable) < 2:
        echo(f"evidence_map skipped: the extraction schema has no choice fields "
             f"{spec.rows!r} and {spec.columns!r} (set report.evidence_map in the protocol)")
    else:
        frame = study_level(wide, schema, [spec.rows, spec.columns], studies)
        try:
            figure = evidence_map(frame, spec.rows, spec.columns,
                                  row_order=fields[spec.rows].allowed,
                                  column_order=fields[spec.columns].allowed,
                                  row_label=fields[spec.rows].label,
                                  column_label=fields[spec.columns].label)
            written += _save(figure, folder, "evidence_map")
        except ReviewError as exc:
            echo(f"evidence_map skipped: {exc}")
    if studies.empty:
        echo("studies_per_year skipped: the review has no included studies")
    elif spec.rows in fields:
        frame = study_level(wide, schema, ["year", spec.rows], studies)
        try:
            figure = studies_per_year(frame, spec.rows, order=fields[spec.rows].allowed,
                                      by_label=fields[spec.rows].label)
            written += _save(figure, folder, "studies_per_year")
        except ReviewError as exc:
            echo(f"studies_per_year skipped: {exc}")
    for tool in (protocol.risk_of_bias.tool, protocol.risk_of_bias.second_tool):
        if not tool or tool == "none":
            continue
        written += _rob_figures(review, tool, list(studies["study_id"]), folder, echo)
    return written


def _rob_figures(review, tool: str, studies: list[str], folder: Path,
                 echo: Callable[[str], None]) -> list[Path]:
    """Traffic light and summary of one tool, for the included studies it has judgements of."""
    from ..appraisal import robvis_table
    from ..appraisal.tools import load_tool
    definition = load_tool(tool)
    frame = robvis_table(review, tool)
    frame = frame[frame["Study"].isin(studies)] if studies else frame
    judged = [c for c in frame.columns if _DOMAIN.match(str(c))]
    frame = frame[frame[judged].notna().any(axis=1)].reset_index(drop=True)
    if frame.empty:
        echo(f"rob_traffic_light_{_slug(tool)} and rob_summary_{_slug(tool)} skipped: no "
             f"{tool} judgements of included studies are agreed or reconciled yet")
        return []
    names = {d.id: d.name for d in definition.domains}
    title = tool_title(definition.name, definition.title)
    # A risk-of-bias tool speaks robvis' words; a reporting checklist its own ("Reported"), and
    # its overall column its own levels ("Well characterised")
    labels = {} if tool in RISK_OF_BIAS else {lv.robvis: lv.label for lv in definition.levels}
    overall_labels = None
    if tool not in RISK_OF_BIAS and definition.overall_levels:
        overall_labels = {lv.robvis: lv.label for lv in definition.overall_levels}
    rule = definition.overall.description.strip()
    caption = "Overall: " + (rule[:1].lower() + rule[1:] if rule[1:2].islower() else rule)
    weighted = "Weight" in frame.columns and pd.to_numeric(frame["Weight"], errors="coerce") \
        .dropna().nunique() > 1
    written = _save(rob_traffic_light(frame, domains=names, title=title, judgement_labels=labels,
                                      overall_labels=overall_labels, caption=caption), folder,
                    f"rob_traffic_light_{_slug(tool)}")
    overall = "Overall risk of bias" if tool in RISK_OF_BIAS else "Overall"
    written += _save(rob_summary(frame, weighted=weighted, domains=names, title=title,
                                 overall_label=overall, judgement_labels=labels,
                                 overall_labels=overall_labels, caption=caption),
                     folder, f"rob_summary_{_slug(tool)}")
    return written


def tool_title(name: str, title: str) -> str:
    """A figure's title from a tool's name and title, the name said once: "SYRCLE's risk of bias
    tool for animal studies", not "SYRCLE: SYRCLE's risk of bias tool ..."."""
    if name.casefold() in title.casefold():
        return title
    return f"{name}: {title}"
