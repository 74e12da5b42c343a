"""A reviewer's extraction session: the studies with progress, the study on screen, its values.

Plain Python over the store, so the form widget is a thin view and every behaviour is testable
without a kernel. Each value is committed to the store the moment it is set; a reviewer sees
only their own values (extraction is independent until reconciliation).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from ..errors import ReviewError
from .form import Form, FormGroup, check_required, form_for, same_value
from .studies import studies, study_table
from .values import EXTRACTOR, object_frame, record_values, reviewer_values, store_values, value_event

__all__ = ["ExtractionSession", "StudyProgress"]


@dataclass(frozen=True)
class StudyProgress:
    """How far one reviewer is with one study."""

    study_id: str
    reports: int
    values: int
    missing: tuple[str, ...]

    @property
    def started(self) -> bool:
        return self.values > 0

    @property
    def complete(self) -> bool:
        return self.started and not self.missing


class ExtractionSession:
    """Extract the review's included studies as `reviewer` (role `extractor`)."""

    def __init__(self, review, reviewer: str, *, role: str = EXTRACTOR):
        if not reviewer or not str(reviewer).strip():
            raise ReviewError("an extraction session needs the reviewer's name")
        from .values import _ROLE_ALIASES, ROLES
        role = _ROLE_ALIASES.get(role, role)
        if role not in ROLES:
            raise ReviewError(f"an extraction session's role is {' or '.join(ROLES)}, not {role!r}")
        self.review, self.store = review, review.store
        self.reviewer, self.role = str(reviewer).strip(), role
        self.form: Form = form_for(review)
        self._added: dict[tuple[str, str], int] = {}  # (study, group) -> instances added, still empty
        self.reload()
        self._current = self.study_ids[0] if self.study_ids else None

    # -- studies --------------------------------------------------------------------------------
    def reload(self) -> None:
        """Re-read studies, reports and this reviewer's values from the store."""
        self.reports = study_table(self.review)
        self.studies = studies(self.review, table=self.reports)
        #: label -> surrogate id: values are written under the study's id, never its label
        self._study_of = dict(zip(self.reports["study_id"], self.reports["study"].astype(int)))
        values = reviewer_values(self.review)
        from ..policy import panel
        needed = self.review.protocol.extraction.extractors_per_study
        extractors = values[values["role"] == EXTRACTOR]
        #: study -> its first N extractors (the ones who count)
        self._panels = {study: panel(zip(g["event_id"], g["reviewer"]), needed)
                        for study, g in extractors.groupby("study_id")}
        mine = values[(values["reviewer"] == self.reviewer) & (values["role"] == self.role)]
        # study -> (group, instance, field) -> (value, unit)
        self._values: dict[str, dict[tuple[str, int, str], tuple[Any, Any]]] = {}
        for r in mine.itertuples(index=False):
            if r.value is not None and r.value != []:
                self._values.setdefault(r.study_id, {})[(r.group, int(r.instance), r.field)] = (r.value, r.unit)

    def _put(self, study_id: str, key: tuple[str, int, str], new: tuple[Any, Any] | None) -> None:
        if new is None:
            self._values.get(study_id, {}).pop(key, None)
        else:
            self._values.setdefault(study_id, {})[key] = new

    def outsider(self, study_id: str | None = None) -> str | None:
        """What this reviewer is told when a study already has its extractors and they are not
        one of them (their values would not count); None otherwise."""
        from ..policy import outsider_message
        study_id = study_id or self._current
        members = self._panels.get(study_id, [])
        needed = self.review.protocol.extraction.extractors_per_study
        if self.role != EXTRACTOR or self.reviewer in members or len(members) < needed:
            return None
        return outsider_message("extraction", f"Study {study_id}", members)

    @property
    def study_ids(self) -> list[str]:
        return list(self.studies["study_id"])

    @property
    def current(self) -> str | None:
        """The study on screen."""
        return self._current

    def go(self, study_id: str) -> str:
        if study_id not in self.study_ids:
            raise ReviewError(f"study {study_id!r} is not one of the review's included studies")
        self._current = study_id
        return study_id

    def next(self) -> str | None:
        """Move to the next study (stays on the last); returns the study on screen."""
        ids = self.study_ids
        if self._current in ids and ids.index(self._current) + 1 < len(ids):
            self._current = ids[ids.index(self._current) + 1]
        return self._current

    def previous(self) -> str | None:
        ids = self.study_ids
        if self._current in ids and ids.index(self._current) > 0:
            self._current = ids[ids.index(self._current) - 1]
        return self._current

    def study_reports(self, study_id: str | None = None) -> pd.DataFrame:
        """The reports of a study (default: the one on screen), earliest first."""
        study_id = study_id or self._current
        return self.reports[self.reports["study_id"] == study_id].reset_index(drop=True)

    # -- values ---------------------------------------------------------------------------------
    def _study(self, study_id: str | None) -> str:
        study_id = study_id or self._current
        if study_id is None:
            raise ReviewError("the review has no included studies to extract")
        return study_id

    def value(self, field: str, instance: int = 1, *, study_id: str | None = None) -> tuple[Any, Any]:
        """(value, unit) this reviewer entered, (None, None) if none."""
        spec = self.form.field(field)
        return self._values.get(self._study(study_id), {}).get((spec.group, int(instance), field),
                                                               (None, None))

    def values(self, study_id: str | None = None) -> pd.DataFrame:
        """This reviewer's values of a study: group, instance, field, value, unit."""
        study_id = self._study(study_id)
        rows = [(g, i, f, v, u) for (g, i, f), (v, u) in self._values.get(study_id, {}).items()]
        return object_frame(rows, ["group", "instance", "field", "value", "unit"])

    def set_value(self, field: str, value: Any, unit: Any = None, *, instance: int = 1,
                  study_id: str | None = None) -> int | None:
        """Check and commit one value (None or "" clears it); returns the event id, or None when
        the value is unchanged and nothing was written."""
        study_id = self._study(study_id)
        row = value_event(self.form, reviewer=self.reviewer,
                          study_id=self._study_of.get(study_id, study_id), field=field,
                          value=value, unit=unit, instance=instance, role=self.role)
        key = (row["form_group"], row["instance"], field)
        old = self._values.get(study_id, {}).get(key)
        new = (row["value"], row["unit"]) if row["value"] is not None else None
        if old is None and new is None:
            return None
        if old is not None and new is not None and same_value(old[0], new[0]) and old[1] == new[1]:
            return None
        event_id = store_values(self.review, [row])[0]
        self._put(study_id, key, new)
        return event_id

    # -- repeating groups -----------------------------------------------------------------------
    def _group(self, group: str) -> FormGroup:
        section = self.form.group(group)
        if not section.repeating:
            raise ReviewError(f"{section.describe()} does not repeat")
        return section

    def instances(self, group: str, *, study_id: str | None = None) -> list[int]:
        """Instance numbers of a repeating group (1..n, at least 1: the form always offers a
        first, empty one); a group that does not repeat has [1]."""
        study_id = self._study(study_id)
        if not self.form.group(group).repeating:
            return [1]
        stored = max((i for (g, i, _) in self._values.get(study_id, {}) if g == group), default=0)
        count = max(stored, self._added.get((study_id, group), 0), 1)
        return list(range(1, count + 1))

    def add_instance(self, group: str, *, study_id: str | None = None) -> int:
        """A new, empty instance (another experiment or outcome); stored with its first value."""
        self._group(group)
        study_id = self._study(study_id)
        number = len(self.instances(group, study_id=study_id)) + 1
        self._added[(study_id, group)] = number
        return number

    def remove_instance(self, group: str, instance: int, *, study_id: str | None = None) -> int:
        """Remove one instance; later ones move up a number, so instances stay 1..n. All in one
        transaction; returns how many values were written."""
        section = self._group(group)
        study_id = self._study(study_id)
        numbers = self.instances(group, study_id=study_id)
        if instance not in numbers:
            raise ReviewError(f"{section.describe()}: study {study_id!r} has no {section.noun} {instance}")
        changes: list[dict] = []
        for number in numbers[numbers.index(instance):]:
            for spec in section.fields:
                mine = self._values.get(study_id, {})
                old = mine.get((group, number, spec.name))
                new = mine.get((group, number + 1, spec.name))
                if old == new:
                    continue
                changes.append({"reviewer": self.reviewer, "group": group,
                                "study_id": self._study_of.get(study_id, study_id),
                                "instance": number, "field": spec.name, "role": self.role,
                                "value": new[0] if new else None, "unit": new[1] if new else None})
        written = record_values(self.review, changes, form=self.form) if changes else 0
        for change in changes:  # values the session already holds in their stored form
            self._put(study_id, (group, change["instance"], change["field"]),
                      None if change["value"] is None else (change["value"], change["unit"]))
        added = self._added.get((study_id, group), 0)
        if added:
            self._added[(study_id, group)] = max(0, added - 1)
        return written

    # -- progress -------------------------------------------------------------------------------
    def missing(self, study_id: str | None = None) -> list[str]:
        """Required fields this reviewer has not filled for a study, each named."""
        mine = self._values.get(self._study(study_id), {})
        return check_required(self.form, [{"group": g, "instance": i, "field": f, "value": v}
                                          for (g, i, f), (v, _) in mine.items()])

    def study_progress(self, study_id: str | None = None) -> StudyProgress:
        study_id = self._study(study_id)
        reports = self.studies.loc[self.studies["study_id"] == study_id, "reports"]
        count = len(self._values.get(study_id, {}))
        return StudyProgress(study_id, int(reports.iloc[0]) if len(reports) else 0, count,
                             tuple(self.missing(study_id)))

    @property
    def progress(self) -> list[StudyProgress]:
        """Progress on every study, in the study list's order."""
        return [self.study_progress(s) for s in self.study_ids]

    def summary(self) -> dict[str, int]:
        """Studies complete, started and in total."""
        progress = self.progress
        return {"studies": len(progress), "complete": sum(p.complete for p in progress),
                "started": sum(p.started for p in progress)}

