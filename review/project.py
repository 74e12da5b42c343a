"""A review folder: its settings, protocol and store, and importing search exports into it."""
from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import sqlalchemy as sa
import yaml

from .errors import ParseWarning, ReviewError, StoreError
from .io import iter_bytes, sha256_of
from .protocol import OTHER_METHOD_KINDS, Protocol, load_protocol, parse_protocol
from .records import normalise_record
from .store import Store
from .store.faults import store_failure

__all__ = ["Review", "ImportResult", "init_review", "open_review", "DATABASE_BY_FORMAT"]

SETTINGS_FILE = "review.yaml"
PROTOCOL_FILE = "protocol.yaml"
#: The database a file most likely came from when neither the user nor the protocol says.
DATABASE_BY_FORMAT = {"medline": "PubMed", "pubmed_xml": "PubMed", "wos": "Web of Science",
                      "webpage": "Other methods"}


@dataclass
class ImportResult:
    file: str
    database: str
    method: str
    format: str
    records: int
    source_id: int | None
    warnings: list[ParseWarning] = field(default_factory=list)
    already_imported: dict | None = None


@dataclass
class Review:
    """An opened review folder."""

    path: Path
    settings: dict
    protocol: Protocol
    store: Store
    #: The version of the protocol in the store that `protocol` is.
    protocol_version: int | None = None
    #: Set when the folder's protocol.yaml differs from the store's (which is in force).
    protocol_notice: str | None = None

    @property
    def protocol_dir(self) -> Path:
        """Where the protocol's search files live (the folder the protocol was taken from)."""
        source = self.settings.get("protocol_source")
        return Path(source).parent if source and Path(source).exists() else self.path

    # -- identification ---------------------------------------------------------------------------
    def _match_protocol(self, path: Path) -> tuple[str, str, object] | None:
        """(database name, method, protocol entry) for a file the protocol names."""
        resolved = path.resolve()
        for search in self.protocol.searches:
            if search.file and ((self.protocol_dir / search.file).resolve() == resolved
                                or Path(search.file).name == path.name):
                return search.name, search.kind, search
        for source in self.protocol.other_methods:
            for name in source.files:
                if (self.protocol_dir / name).resolve() == resolved or Path(name).name == path.name:
                    return source.name, source.kind, source
        return None

    def import_file(self, path: str | Path, *, database: str | None = None,
                    format: str | None = None, method: str | None = None,
                    search_date: str | None = None, query: str | None = None,
                    actor: str | None = None, progress: Callable[[int], None] | None = None,
                    ) -> ImportResult:
        """Parse a file and store it and its records in one transaction.

        Records go from the reader to the store a chunk at a time (`iter_bytes`), so a large
        export is never held whole as text, records and a frame at once; a parse error anywhere
        rolls the transaction back and nothing from the file is stored.
        """
        path = Path(path)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise ReviewError(f"{path}: cannot read the file ({exc.strerror or exc})") from None
        sha = sha256_of(data)
        existing = self.store.source_by_hash(sha)
        if existing is not None:
            return ImportResult(str(path), existing["database"], existing["method"], existing["format"],
                                0, None, already_imported=existing)
        match = self._match_protocol(path)
        entry = match[2] if match else None
        if match and database is None:
            database = match[0]
        if match and method is None:
            method = match[1]
        if format is None and entry is not None and getattr(entry, "format", None):
            format = entry.format
        # Records found by other methods: a recognised export is read as such, anything else as a
        # web page or pasted text.
        fallback = "webpage" if format is None and method in OTHER_METHOD_KINDS else None
        stream = iter_bytes(data, str(path), format, fallback=fallback)
        extra: list[ParseWarning] = []
        if database is None:
            database = DATABASE_BY_FORMAT.get(stream.format) or path.stem
            extra.append(ParseWarning(
                str(path), f"database not given and not named in the protocol; recorded as {database!r}"))
        method = method or ("other" if stream.format == "webpage" else "database")
        if entry is not None:
            search_date = search_date or (str(entry.date) if getattr(entry, "date", None) else None)
            query = query or getattr(entry, "query", None)
        rows = (normalise_record(record, position, source_file=path.name, database=database,
                                 raw_format=stream.format)
                for position, record in enumerate(stream.records, start=1))
        # Read only once the records are exhausted: the reader's warnings, then ours.
        warnings = (warning for group in (stream.warnings, extra) for warning in group)
        try:
            source_id = self.store.add_source(
                rows, file_name=path.name, file_path=str(path.resolve()), sha256=sha,
                format=stream.format, encoding=stream.encoding, database=database, method=method,
                search_date=search_date, query=query, warnings=warnings, actor=actor,
                progress=progress)
        except sa.exc.IntegrityError as exc:
            # The same file imported at the same moment by another program: its copy won.
            existing = self.store.source_by_hash(sha)
            if existing is None:
                raise store_failure(exc, self.store.url) from None
            return ImportResult(str(path), existing["database"], existing["method"],
                                existing["format"], 0, None, already_imported=existing)
        return ImportResult(str(path), database, method, stream.format, stream.count, source_id,
                            stream.warnings + extra)

    def update_protocol(self, path: str | Path, *, actor: str | None = None) -> int:
        """Validate a protocol file and make it the version the whole team works to (an event
        in the store); the folder's copy follows. Returns the version number."""
        from .store import current_user
        path = Path(path)
        protocol = load_protocol(path, check_files=False)
        text = path.read_text(encoding="utf-8-sig")
        version = self.store.save_protocol(text, actor=actor or current_user())
        if path.resolve() != (self.path / PROTOCOL_FILE).resolve():
            (self.path / PROTOCOL_FILE).write_text(text, encoding="utf-8")
        self.protocol, self.protocol_version = protocol, version
        return version

    def protocol_files(self) -> list[tuple[Path, dict]]:
        """Every export the protocol names, with the import options it implies."""
        out = []
        for search in self.protocol.searches:
            if search.file:
                out.append((self.protocol_dir / search.file, {"database": search.name}))
        for source in self.protocol.other_methods:
            for name in source.files:
                out.append((self.protocol_dir / name, {"database": source.name, "method": source.kind}))
        return out


def init_review(folder: str | Path, protocol_file: str | Path, *, database_url: str | None = None,
                name: str | None = None) -> Review:
    """Create a review folder: a copy of the validated protocol, settings and an empty store."""
    folder = Path(folder)
    protocol_file = Path(protocol_file)
    protocol = load_protocol(protocol_file)
    if (folder / SETTINGS_FILE).exists():
        raise ReviewError(f"{folder} already holds a review ({SETTINGS_FILE} exists)")
    folder.mkdir(parents=True, exist_ok=True)
    if not (folder / PROTOCOL_FILE).exists() or \
            not (folder / PROTOCOL_FILE).samefile(protocol_file):  # the template filled in place
        shutil.copyfile(protocol_file, folder / PROTOCOL_FILE)
    settings = {"name": name or protocol.short_name or folder.name,
                "protocol_source": str(protocol_file.resolve())}
    if database_url:
        settings["database_url"] = database_url
    (folder / SETTINGS_FILE).write_text(yaml.safe_dump(settings, sort_keys=False), encoding="utf-8")
    store = Store.for_folder(folder, database_url)
    store.upgrade()
    store.set_setting("review_name", settings["name"])
    from .store import current_user
    version = store.save_protocol(protocol_file.read_text(encoding="utf-8-sig"),
                                  actor=current_user())
    return Review(folder, settings, protocol, store, version)


def _stored_protocol(folder: Path, store: Store) -> tuple[Protocol, int, str | None]:
    """The protocol in force: the store's latest version (the team's one copy). A store without
    one (made before protocols were stored) takes the folder's copy as its first version."""
    stored = store.protocol_text()
    local = folder / PROTOCOL_FILE
    if stored is None:
        from .store import current_user
        version = store.save_protocol(local.read_text(encoding="utf-8-sig"), actor=current_user())
        return load_protocol(local, check_files=False), version, None
    version, text = stored
    from .yaml_text import load_yaml_text
    data = load_yaml_text(text, f"the review store's protocol (version {version})", StoreError)
    protocol = parse_protocol(data, f"protocol version {version} in the review store")
    notice = None
    if not local.exists():
        local.write_text(text, encoding="utf-8")  # the folder's copy follows the store
    elif local.read_text(encoding="utf-8-sig") != text:
        notice = (f"{local} differs from the protocol in the review store (version {version}), "
                  f"which is the one in force; to make your file the team's protocol, run "
                  f"`review protocol --review {folder} --set {local}`")
    return protocol, version, notice


def open_review(folder: str | Path) -> Review:
    from .notebook_errors import install
    install()  # in a notebook, a project error from here on reads as one line, not a traceback
    folder = Path(folder)
    settings_path = folder / SETTINGS_FILE
    if not settings_path.exists():
        raise StoreError(f"{folder}: not a review folder (no {SETTINGS_FILE}); create one with "
                         f"`review init {folder} --protocol FILE`")
    from .yaml_text import read_yaml_file
    settings = read_yaml_file(settings_path, StoreError, "review settings") or {}
    if not isinstance(settings, dict):
        raise StoreError(f"{settings_path}: expected review settings (name, protocol_source, ...)")
    store = Store.for_folder(folder, settings.get("database_url"))
    store.check_version()
    protocol, version, notice = _stored_protocol(folder, store)
    return Review(folder, settings, protocol, store, version, notice)
