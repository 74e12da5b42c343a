"""A store that is missing, damaged, busy or of another version, told in a reviewer's words.

SQLite and SQLAlchemy report these as exception classes and engine messages ("database disk image
is malformed", "database is locked"); `store_failure` turns each into a StoreError naming the
store's file, what is wrong and what to do. Who holds a lock is named when the system says
(`/proc` on Linux lists which processes have the file open)."""
from __future__ import annotations

import os
from pathlib import Path

import sqlalchemy as sa

from ..errors import StoreError

__all__ = ["LOCK_WAIT_ENV", "lock_wait", "sqlite_path", "store_failure", "lock_holders",
           "is_locked", "StoreBusy"]

#: Environment variable: seconds a write waits for another program's write lock (default 30).
LOCK_WAIT_ENV = "REVIEW_LOCK_WAIT"
_DEFAULT_WAIT = 30.0


class StoreBusy(StoreError):
    """Another program held the review store's write lock for longer than the bounded wait."""


def lock_wait() -> float:
    """Seconds to wait for the write lock: REVIEW_LOCK_WAIT if set to a number, else 30."""
    try:
        return max(0.0, float(os.environ.get(LOCK_WAIT_ENV, _DEFAULT_WAIT)))
    except ValueError:
        return _DEFAULT_WAIT


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL, or None (another database, or in memory)."""
    try:
        parsed = sa.engine.make_url(url)
    except Exception:
        return None
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database)


def is_locked(exc: BaseException) -> bool:
    text = str(getattr(exc, "orig", exc)).lower()
    return "database is locked" in text or "database table is locked" in text


def lock_holders(path: Path) -> list[str]:
    """Other processes that have the store's file open, as 'pid 123 (review import x.ris)'."""
    holders: list[str] = []
    try:
        target = os.path.realpath(path)
        names = {target, target + "-wal", target + "-shm"}
        for pid in os.listdir("/proc"):
            if not pid.isdigit() or int(pid) == os.getpid():
                continue
            try:
                fds = os.listdir(f"/proc/{pid}/fd")
            except OSError:
                continue
            for fd in fds:
                try:
                    if os.readlink(f"/proc/{pid}/fd/{fd}") in names:
                        break
                except OSError:
                    continue
            else:
                continue
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as handle:
                    words = handle.read().split(b"\0")
                command = " ".join(Path(w.decode(errors="replace")).name if i == 0 else
                                   w.decode(errors="replace") for i, w in enumerate(words) if w)
            except OSError:
                command = "?"
            holders.append(f"pid {pid} ({' '.join(command.split())[:80]})")
    except OSError:
        return holders
    return holders


#: The URL of the store opened last in this process, for a failure caught far from its store.
last_url: str = ""


def store_failure(exc: BaseException, url: str | None = None) -> StoreError:
    """A database engine's failure as one message about the review store."""
    url = url or last_url
    path = sqlite_path(url)
    where = str(path) if path else _hidden(url)
    detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0] if str(exc) else ""
    low = detail.lower()
    if is_locked(exc):
        holders = lock_holders(path) if path else []
        who = (f"; it is open in {', '.join(holders)}" if holders else "")
        return StoreBusy(
            f"{where}: the review store is busy: another program kept it locked for more than "
            f"{lock_wait():.0f} s{who}. Nothing was changed. Wait for that program to finish (or "
            f"close it) and try again; {LOCK_WAIT_ENV}=SECONDS sets how long to wait")
    if "malformed" in low or "not a database" in low or "disk image" in low \
            or "file is encrypted" in low:
        return StoreError(
            f"{where}: the review store is damaged ({detail}). Nothing was changed. Restore "
            f"review.sqlite from a backup, or make a new review with `review init` and import "
            f"the search exports again")
    if "unable to open" in low or "readonly" in low or "read-only" in low \
            or "disk i/o" in low or "no such table" in low:
        return StoreError(f"{where}: cannot use the review store ({detail}); check that the file "
                          f"exists, is a review store and that you may write to its folder")
    if isinstance(exc, sa.exc.IntegrityError):
        return StoreError(f"{where}: the review store refused the change ({detail}); nothing "
                          f"was stored")
    return StoreError(f"{where}: the review store failed ({detail}); nothing was stored")


def _hidden(url: str) -> str:
    try:
        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "the review database"
