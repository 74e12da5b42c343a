"""The protocol the team works to, versioned in the store (each change an event), and the
number of reviewers per stage it sets."""
from __future__ import annotations

import hashlib

import sqlalchemy as sa

from ._log import insert_event
from .schema import protocol_versions, screening_decisions, works
from .state import Needed

__all__ = ["ProtocolMixin"]


class ProtocolMixin:
    _needed_cache: tuple[int, Needed] | None = None

    # -- the protocol ------------------------------------------------------------------------------------
    def save_protocol(self, text: str, *, actor: str) -> int:
        """Store a version of the protocol (the team's one copy); returns its version number.
        The same text as the version in force stores nothing new."""
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
        with self._write() as connection:
            latest = connection.execute(sa.select(protocol_versions.c.version,
                                                  protocol_versions.c.sha256)
                                        .order_by(protocol_versions.c.version.desc())
                                        .limit(1)).first()
            if latest is not None and latest.sha256 == digest:
                return int(latest.version)
            version = 1 if latest is None else int(latest.version) + 1
            event_id = insert_event(connection, actor=actor, stage="protocol", action="protocol",
                                    payload={"version": version, "text": text, "sha256": digest})
            connection.execute(protocol_versions.insert().values(
                version=version, event_id=event_id, text=text, sha256=digest))
            self._refresh_all_finals(connection)
        return version

    def protocol_text(self) -> tuple[int, str] | None:
        """(version, text) of the protocol in force, or None for a store without one."""
        with self.engine.connect() as connection:
            row = connection.execute(sa.select(protocol_versions.c.version,
                                               protocol_versions.c.text)
                                     .order_by(protocol_versions.c.version.desc()).limit(1)).first()
        return None if row is None else (int(row.version), row.text)

    def _needed(self, connection) -> Needed:
        """Reviewers per stage from the protocol in force (parsed once per version)."""
        row = connection.execute(sa.select(protocol_versions.c.version, protocol_versions.c.text)
                                 .order_by(protocol_versions.c.version.desc()).limit(1)).first()
        if row is None:
            return Needed()
        if self._needed_cache is None or self._needed_cache[0] != row.version:
            import yaml
            data = yaml.safe_load(row.text) or {}
            screening = (data.get("screening") or {}).get("reviewers_per_record", 2)
            extraction = (data.get("extraction") or {}).get("extractors_per_study", 2)
            appraisal = (data.get("risk_of_bias") or {}).get("assessors_per_study", 2)
            self._needed_cache = (row.version, Needed(int(screening), int(extraction),
                                                      int(appraisal)))
        return self._needed_cache[1]

    def needed(self) -> Needed:
        with self.engine.connect() as connection:
            return self._needed(connection)

    def _refresh_all_finals(self, connection) -> None:
        live = [int(w) for w in connection.execute(
            sa.select(works.c.current_work_id)
            .join(screening_decisions, screening_decisions.c.work_id == works.c.work_id)
            .distinct()).scalars()]
        self._refresh_screening(connection, live)
        self._refresh_studies(connection, self._live_studies(connection))

