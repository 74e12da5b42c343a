"""Works: stable identities of deduplicated bibliographic items, and the deduplication runs and
reviewers' pair verdicts that shape them.

An import makes each new record a work of its own. A deduplication run maps its clusters onto the
existing works: a cluster keeps the work whose first record (the one reviewers were shown) it
holds; a cluster holding several such works merges them into the oldest; records that left their
work's cluster move to the work of the cluster they joined, or split off into a new work. Every
change is an event, written with the state it changes."""
from __future__ import annotations

import json
from typing import Any

import pandas as pd
import sqlalchemy as sa

from ..errors import ReviewError
from ._log import chunked, insert_event, insert_events, next_id
from .schema import (dedup_pairs, events, record_clusters, record_works, records,
                     study_reports, studies, works)

__all__ = ["IdentityMixin", "PAIR_VERDICTS", "PAIR_DECISIONS"]


def revive_from(connection, revived: list[int]) -> list[int]:
    """The live works revived works had been merged into (their finals change too)."""
    if not revived:
        return []
    query = (sa.select(events.c.work_id).where(
        events.c.stage == "works", events.c.action == "merge",
        events.c.other_work_id.in_(revived)))
    survivors = [int(w) for w in connection.execute(query).scalars()]
    return [int(w) for w in connection.execute(
        sa.select(works.c.current_work_id).where(works.c.work_id.in_(survivors))).scalars()]

#: What a reviewer can say about a pair of records ("skip" is "not now").
PAIR_DECISIONS = ("same", "different", "skip")
#: Pair decisions a dedup run respects.
PAIR_VERDICTS = ("same", "different")


class IdentityMixin:
    # -- works ------------------------------------------------------------------------------------
    def _works_for_import(self, connection, source_id: int, first_work: int, event_id: int) -> None:
        ids = [int(r) for r in connection.execute(
            sa.select(records.c.record_id).where(records.c.source_id == source_id)
            .order_by(records.c.record_id)).scalars()]
        rows = [{"work_id": first_work + i, "head_record_id": r, "current_work_id": first_work + i,
                 "created_event_id": event_id, "origin": "import"} for i, r in enumerate(ids)]
        for chunk in chunked(rows, 20_000):
            connection.execute(works.insert(), chunk)
            connection.execute(record_works.insert(),
                               [{"record_id": w["head_record_id"], "work_id": w["work_id"]}
                                for w in chunk])

    def work_of_records(self) -> pd.Series:
        """Each record's live work: the one answer to "which work is this record in"."""
        with self.engine.connect() as connection:
            frame = pd.read_sql(sa.select(record_works).order_by(record_works.c.record_id),
                                connection)
        return pd.Series(frame["work_id"].to_numpy(), index=pd.Index(
            frame["record_id"].to_numpy(), name="record_id"), name="work_id")

    def works(self, *, live: bool = True) -> pd.DataFrame:
        """Works (only those not merged into another, unless `live=False`)."""
        query = sa.select(works).order_by(works.c.work_id)
        if live:
            query = query.where(works.c.current_work_id == works.c.work_id)
        with self.engine.connect() as connection:
            return pd.read_sql(query, connection)

    def current_work(self, work_id: int) -> int | None:
        """The live work a work id stands for now (itself, or the work it was merged into)."""
        with self.engine.connect() as connection:
            return self._current_work(connection, work_id)

    @staticmethod
    def _current_work(connection, work_id: int) -> int | None:
        found = connection.execute(sa.select(works.c.current_work_id)
                                   .where(works.c.work_id == int(work_id))).scalar()
        return None if found is None else int(found)

    def last_dedup(self) -> dict | None:
        """The latest deduplication run: event id, when, by whom and its summary."""
        query = (sa.select(events.c.event_id, events.c.at, events.c.actor, events.c.payload)
                 .where(events.c.stage == "dedup", events.c.action == "run")
                 .order_by(events.c.event_id.desc()).limit(1))
        with self.engine.connect() as connection:
            row = connection.execute(query).first()
        if row is None:
            return None
        return {"event_id": int(row.event_id), "at": row.at, "by": row.actor,
                "summary": json.loads(row.payload)}

    def records_since_dedup(self) -> int:
        """Records the latest deduplication run did not cluster (all of them if none ran):
        those imported after it, or while it ran."""
        query = (sa.select(sa.func.count()).select_from(records)
                 .where(records.c.record_id.not_in(sa.select(record_clusters.c.record_id))))
        with self.engine.connect() as connection:
            return int(connection.execute(query).scalar())

    # -- deduplication runs ---------------------------------------------------------------------------
    def apply_deduplication(self, clusters: pd.Series, rules: dict, pairs: pd.DataFrame, *,
                            actor: str, summary: dict) -> dict[str, Any]:
        """Store a deduplication run: map its clusters (record id -> any cluster label) onto the
        works, logging every merge, move and split, and keep its pairs for --explain and the
        queue. All or nothing. Returns what changed: merged, moved, split (work ids) and the
        run's event id."""
        members: dict[Any, list[int]] = {}
        for record, label in clusters.items():
            members.setdefault(label, []).append(int(record))
        label_of = {int(r): label for r, label in clusters.items()}
        with self._write() as connection:
            current = dict(connection.execute(sa.select(record_works.c.record_id,
                                                        record_works.c.work_id)).all())
            heads = dict(connection.execute(
                sa.select(works.c.work_id, works.c.head_record_id)
                .where(works.c.current_work_id == works.c.work_id)).all())
            keeper = {w: label_of.get(h) for w, h in heads.items()}
            claims: dict[Any, list[int]] = {}
            for work, label in keeper.items():
                if label is not None:
                    claims.setdefault(label, []).append(work)
            survivor = {label: min(ws) for label, ws in claims.items()}
            revive = self._revivals(connection, members, label_of, claims, heads)
            changes: dict[str, Any] = {"merged": [], "moved": [], "split": [], "revived": []}
            next_work = next_id(connection, works.c.work_id)
            # Records leaving their work first, so that a merge moves only what stays together.
            for label in sorted(members, key=lambda lab: min(members[lab])):
                leaving: dict[int | None, list[int]] = {}
                for record in sorted(members[label]):
                    work = current.get(record)
                    if work is not None and keeper.get(work) == label:
                        continue
                    leaving.setdefault(work, []).append(record)
                if not leaving:
                    continue
                target = survivor.get(label)
                created = target is None
                revived = revive.get(label) if created else None
                if revived is not None:
                    target = revived
                elif created:
                    target, next_work = next_work, next_work + 1
                head = min(members[label])
                for position, (source, moving) in enumerate(sorted(
                        leaving.items(), key=lambda item: min(item[1]))):
                    split = created and position == 0
                    payload = {"records": moving}
                    if split:
                        payload.update({"head": head} if revived is None else {"revive": True})
                    event_id = insert_event(
                        connection, actor=actor, stage="works", action="split" if split else "move",
                        work_id=target, other_work_id=source, payload=payload)
                    if split and revived is not None:
                        # the work merged away comes back with its own id and its decisions
                        connection.execute(works.update().where(works.c.work_id == revived)
                                           .values(current_work_id=revived))
                        changes["revived"].append(revived)
                    elif split:
                        connection.execute(works.insert().values(
                            work_id=target, head_record_id=head, current_work_id=target,
                            created_event_id=event_id, origin="split"))
                        changes["split"].append(target)
                    else:
                        changes["moved"].append(target)
                    self._move_records(connection, moving, target, current)
            merges = [(survivor[label], absorbed) for label, claimed in claims.items()
                      for absorbed in sorted(claimed)[1:]]
            self._merge_many(connection, merges, actor)
            changes["merged"] += [absorbed for _, absorbed in merges]
            self._store_run(connection, clusters, rules, pairs)
            changes["event_id"] = insert_event(
                connection, actor=actor, stage="dedup", action="run",
                payload={**summary, "merged": len(changes["merged"]),
                         "split": len(changes["split"]), "moved": len(changes["moved"])})
            touched = {survivor[label] for label, claimed in claims.items() if len(claimed) > 1}
            touched |= set(changes["revived"]) | set(revive_from(connection, changes["revived"]))
            self._refresh_screening(connection, touched)
        return changes

    @staticmethod
    def _revivals(connection, members: dict, label_of: dict, claims: dict, heads: dict) -> dict:
        """Clusters that hold no live work's first record but do hold the first record of a
        work merged away earlier (a "same" verdict undone, say), while the work it was merged
        into lives on elsewhere: that work comes back (label -> work id)."""
        retired = connection.execute(
            sa.select(works.c.work_id, works.c.head_record_id, works.c.current_work_id)
            .where(works.c.current_work_id != works.c.work_id)).all()
        out: dict = {}
        for work, head, live in sorted(retired):
            label = label_of.get(int(head))
            if label is None or label in claims or label in out:
                continue
            if label_of.get(heads.get(int(live))) == label:
                continue  # still together with the work it was merged into
            out[label] = int(work)
        return out

    @staticmethod
    def _move_records(connection, moving: list[int], target: int, current: dict) -> None:
        for chunk in chunked(moving):
            known = [r for r in chunk if r in current]
            if known:
                connection.execute(record_works.update().where(record_works.c.record_id.in_(known))
                                   .values(work_id=target))
            fresh = [{"record_id": r, "work_id": target} for r in chunk if r not in current]
            if fresh:
                connection.execute(record_works.insert(), fresh)
        for record in moving:
            current[record] = target

    def _merge_many(self, connection, merges: list[tuple[int, int]], actor: str) -> None:
        """`_merge_works` for many (survivor, absorbed) pairs of one run: the merges of works
        without a study link (an update's copies of works, nearly all of them) in a few
        statements, the others one by one. Each merge is its own event, as before."""
        absorbed_ids = sorted({a for _, a in merges})
        linked: set[int] = set()
        for chunk in chunked(absorbed_ids):
            linked |= {int(w) for w in connection.execute(
                sa.select(study_reports.c.work_id).where(study_reports.c.work_id.in_(chunk)))
                .scalars()}
        simple = [(s, a) for s, a in merges if a not in linked]
        if simple:
            insert_events(connection, [{"actor": actor, "stage": "works", "action": "merge",
                                        "work_id": s, "other_work_id": a} for s, a in simple])
            rows = [{"survivor": s, "absorbed": a} for s, a in simple]
            connection.execute(record_works.update()
                               .where(record_works.c.work_id == sa.bindparam("absorbed"))
                               .values(work_id=sa.bindparam("survivor")), rows)
            connection.execute(works.update()
                               .where(works.c.current_work_id == sa.bindparam("absorbed"))
                               .values(current_work_id=sa.bindparam("survivor")), rows)
        for s, a in merges:
            if a in linked:
                self._merge_works(connection, s, a, actor)

    def _merge_works(self, connection, survivor: int, absorbed: int, actor: str) -> None:
        """Merge `absorbed` into `survivor`: its records, its decisions (they stay keyed by the
        work they were made on, which now points at the survivor) and its study link."""
        insert_event(connection, actor=actor, stage="works", action="merge", work_id=survivor,
                     other_work_id=absorbed)
        connection.execute(record_works.update().where(record_works.c.work_id == absorbed)
                           .values(work_id=survivor))
        connection.execute(works.update().where(works.c.current_work_id == absorbed)
                           .values(current_work_id=survivor))
        links = dict(connection.execute(sa.select(study_reports.c.work_id, study_reports.c.study_id)
                                        .where(study_reports.c.work_id.in_([survivor, absorbed])))
                     .all())
        if absorbed not in links:
            return
        connection.execute(study_reports.delete().where(study_reports.c.work_id == absorbed))
        if survivor not in links:
            connection.execute(study_reports.insert().values(work_id=survivor,
                                                             study_id=links[absorbed]))
            return
        left = connection.execute(sa.select(sa.func.count()).select_from(study_reports)
                                  .where(study_reports.c.study_id == links[absorbed])).scalar()
        if not left and links[absorbed] != links[survivor]:
            self._merge_studies(connection, links[survivor], links[absorbed], actor)
            self._refresh_studies(connection, {links[survivor]})

    @staticmethod
    def _merge_studies(connection, study: int, absorbed: int, actor: str) -> None:
        """A study left without reports joins the study its reports went to, with its values
        and judgements."""
        insert_event(connection, actor=actor, stage="extraction", action="merge_study",
                     study_id=study, other_study_id=absorbed)
        connection.execute(studies.update().where(studies.c.current_study_id == absorbed)
                           .values(current_study_id=study))

    @staticmethod
    def _store_run(connection, clusters: pd.Series, rules: dict, pairs: pd.DataFrame) -> None:
        head = {}
        for record, label in clusters.items():
            head[label] = min(head.get(label, int(record)), int(record))
        cluster_rows = [{"record_id": int(r), "cluster_id": head[label], "rule": rules.get(r)}
                        for r, label in clusters.items()]
        pair_rows = [{"record_a": int(p.record_a), "record_b": int(p.record_b),
                      "decision": p.decision, "rule": p.rule[:200], "score": float(p.score),
                      "details": json.dumps(p.details, ensure_ascii=False)}
                     for p in pairs.itertuples(index=False)]
        connection.execute(dedup_pairs.delete())
        connection.execute(record_clusters.delete())
        for chunk in chunked(cluster_rows, 20_000):
            connection.execute(record_clusters.insert(), chunk)
        for chunk in chunked(pair_rows, 20_000):
            connection.execute(dedup_pairs.insert(), chunk)

    # -- reviewers' verdicts on pairs ------------------------------------------------------------------
    def record_pair_verdict(self, record_a: int, record_b: int, decision: str, reviewer: str,
                            note: str = "") -> int:
        """One reviewer's answer on a pair of records; returns its event id once committed."""
        if decision not in PAIR_DECISIONS:
            raise ValueError(f"decision must be one of {', '.join(map(repr, PAIR_DECISIONS))}, "
                             f"not {decision!r}")
        if not reviewer:
            raise ValueError("a decision needs the reviewer's name")
        low, high = sorted((int(record_a), int(record_b)))
        if low == high:
            raise ValueError(f"a pair needs two different records, not {low} twice")
        with self._write() as connection:
            found = set(connection.execute(sa.select(records.c.record_id)
                                           .where(records.c.record_id.in_([low, high]))).scalars())
            missing = sorted({low, high} - found)
            if missing:
                raise ValueError(f"no record {', '.join(map(str, missing))} in this review")
            return insert_event(connection, actor=reviewer, stage="dedup", action=decision,
                                record_id=low, other_record_id=high, payload={"note": note or ""})

    def undo_pair_verdict(self, event_id: int, reviewer: str) -> int:
        """Take back a pair decision; the check and the undo are one transaction."""
        with self._write() as connection:
            target = connection.execute(sa.select(events).where(
                events.c.event_id == int(event_id), events.c.stage == "dedup")).mappings().first()
            if target is None or target["other_record_id"] is None:
                raise ValueError(f"event {event_id} is not a pair decision in the 'dedup' log")
            if target["action"] not in PAIR_DECISIONS:
                raise ValueError(f"event {event_id} is a {target['action']!r} event; only a pair "
                                 f"decision ({', '.join(PAIR_DECISIONS)}) can be undone")
            if connection.execute(sa.select(events.c.event_id)
                                  .where(events.c.undoes == int(event_id))).first():
                raise ValueError(f"event {event_id} has already been undone")
            return insert_event(connection, actor=reviewer, stage="dedup", action="undo",
                                record_id=target["record_id"],
                                other_record_id=target["other_record_id"], undoes=int(event_id))

    def record_pair_verdicts(self, pairs, decision: str, reviewer: str, note: str = "") -> list[int]:
        """One answer on several pairs (a record against each member of a cluster), all in one
        transaction: every pair gets its event, or none does. Returns the event ids."""
        if decision not in PAIR_DECISIONS:
            raise ValueError(f"decision must be one of {', '.join(map(repr, PAIR_DECISIONS))}, "
                             f"not {decision!r}")
        if not reviewer:
            raise ValueError("a decision needs the reviewer's name")
        keys = [tuple(sorted((int(a), int(b)))) for a, b in pairs]
        if any(low == high for low, high in keys):
            raise ValueError("a pair needs two different records")
        with self._write() as connection:
            wanted = sorted({r for key in keys for r in key})
            found = set(connection.execute(sa.select(records.c.record_id)
                                           .where(records.c.record_id.in_(wanted))).scalars())
            missing = sorted(set(wanted) - found)
            if missing:
                raise ValueError(f"no record {', '.join(map(str, missing))} in this review")
            return [insert_event(connection, actor=reviewer, stage="dedup", action=decision,
                                 record_id=low, other_record_id=high, payload={"note": note or ""})
                    for low, high in keys]

    def undo_pair_verdicts(self, event_ids, reviewer: str) -> list[int]:
        """Take back several pair decisions in one transaction (all or none)."""
        ids = [int(e) for e in event_ids]
        with self._write() as connection:
            targets = {row["event_id"]: row for row in connection.execute(sa.select(events).where(
                events.c.event_id.in_(ids), events.c.stage == "dedup")).mappings()}
            undone = set(connection.execute(sa.select(events.c.undoes)
                                            .where(events.c.undoes.in_(ids))).scalars())
            out = []
            for event_id in ids:
                target = targets.get(event_id)
                if target is None or target["other_record_id"] is None \
                        or target["action"] not in PAIR_DECISIONS:
                    raise ValueError(f"event {event_id} is not a pair decision in the 'dedup' log")
                if event_id in undone:
                    raise ValueError(f"event {event_id} has already been undone")
                out.append(insert_event(connection, actor=reviewer, stage="dedup", action="undo",
                                        record_id=target["record_id"],
                                        other_record_id=target["other_record_id"],
                                        undoes=event_id))
            return out

    def pair_verdicts(self) -> pd.DataFrame:
        """The verdict in force for each pair: its latest same/different not undone (a later
        skip leaves it standing). Sorted by pair."""
        columns = ["record_a", "record_b", "decision", "reviewer", "at", "event_id", "note"]
        undone = sa.select(events.c.undoes).where(events.c.undoes.is_not(None),
                                                  events.c.stage == "dedup")
        query = (sa.select(events.c.record_id.label("record_a"),
                           events.c.other_record_id.label("record_b"),
                           events.c.action.label("decision"), events.c.actor.label("reviewer"),
                           events.c.at, events.c.event_id, events.c.payload)
                 .where(events.c.stage == "dedup", events.c.action.in_(PAIR_VERDICTS),
                        events.c.event_id.not_in(undone))
                 .order_by(events.c.event_id))
        with self.engine.connect() as connection:
            frame = pd.read_sql(query, connection)
        if frame.empty:
            return pd.DataFrame(columns=columns)
        frame["note"] = frame.pop("payload").map(lambda p: json.loads(p).get("note") or "")
        frame = frame.drop_duplicates(["record_a", "record_b"], keep="last")
        return frame.sort_values(["record_a", "record_b"])[columns].reset_index(drop=True)

    def _require_records(self, ids) -> None:
        with self.engine.connect() as connection:
            found = set(connection.execute(sa.select(records.c.record_id)
                                           .where(records.c.record_id.in_(list(ids)))).scalars())
        missing = sorted(set(ids) - found)
        if missing:
            raise ReviewError(f"no record {', '.join(map(str, missing))} in this review")
