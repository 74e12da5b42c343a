"""Write the worked example's screening decisions (screening/decisions.csv) from its answer key.

Two reviewers screen every work at title/abstract and full text, independently and blinded; they
disagree on a few works, and a third reviewer resolves those conflicts as the answer key says.
Deterministic (no randomness): run `python generate_decisions.py` after changing the answer key.
Records are named by file and position, so the decisions survive rebuilding the review.
"""
from __future__ import annotations

import csv
from pathlib import Path

HERE = Path(__file__).resolve().parent
REVIEWERS = ("Amara Okafor", "Bruno Lindqvist")
RESOLVER = "Chen Wei"
#: Works on which the second reviewer first disagrees, and what they said (TA, then FT).
TA_CONFLICTS = {"W003": ("exclude", "wrong_outcome"), "W021": ("maybe", None),
                "W044": ("include", None), "W067": ("include", None), "W090": ("maybe", None)}
FT_CONFLICTS = {"W008": ("exclude", "wrong_outcome"), "W024": ("include", None),
                "W016": ("maybe", None)}
#: Pages found by other methods that are not database records of any work.
OTHER_PAGES = {
    "000-yang-nk-exos-review-summary.md": ("exclude", "not_primary_research",
                                           "AI summary of a review article, not primary research"),
    "001-nk-exosome-infusion-blog.txt": ("exclude", "not_primary_research",
                                         "Blog post without original data"),
}
COLUMNS = ["stage", "file", "position", "work_id", "reviewer", "role", "decision", "reason", "note"]


def _first_records(rows: list[dict]) -> dict[str, dict]:
    """Each work's first record in import order (PubMed, Embase, Web of Science, Scopus)."""
    order = {"pubmed": 0, "embase": 1, "wos": 2, "scopus": 3}
    first: dict[str, dict] = {}
    for row in sorted(rows, key=lambda r: (order[r["database"]], int(r["position"]))):
        first.setdefault(row["work_id"], row)
    return first


def _truth(row: dict, stage: str) -> tuple[str, str | None]:
    if stage == "title_abstract":
        if row["relevant_title_abstract"] == "1":
            return "include", None
        return "exclude", row["exclusion_reason_title_abstract"] or None
    if row["included"] == "1":
        return "include", None
    if row["exclusion_reason_full_text"] == "full_text_not_retrieved":
        return "not_retrieved", None
    return "exclude", row["exclusion_reason_full_text"]


def decisions() -> list[dict]:
    with open(HERE / "searches" / "answer_key.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    works = _first_records(rows)
    out = []
    for stage, conflicts in (("title_abstract", TA_CONFLICTS), ("full_text", FT_CONFLICTS)):
        for work_id, row in sorted(works.items()):
            if stage == "full_text" and row["relevant_title_abstract"] != "1":
                continue
            decision, reason = _truth(row, stage)
            base = {"stage": stage, "file": row["file"], "position": row["position"], "work_id": work_id}
            first_b = conflicts.get(work_id, (decision, reason))
            out.append(dict(base, reviewer=REVIEWERS[0], role="screener", decision=decision,
                            reason=reason or "", note=""))
            out.append(dict(base, reviewer=REVIEWERS[1], role="screener", decision=first_b[0],
                            reason=first_b[1] or "", note="unsure" if first_b[0] == "maybe" else ""))
            if work_id in conflicts:
                out.append(dict(base, reviewer=RESOLVER, role="resolver", decision=decision,
                                reason=reason or "", note="conflict resolved by discussion"))
    for file, (decision, reason, note) in OTHER_PAGES.items():
        for reviewer in REVIEWERS:
            out.append({"stage": "title_abstract", "file": file, "position": "1", "work_id": "",
                        "reviewer": reviewer, "role": "screener", "decision": decision,
                        "reason": reason, "note": note})
    return out


def main() -> None:
    target = HERE / "screening" / "decisions.csv"
    target.parent.mkdir(exist_ok=True)
    with open(target, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(decisions())
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
