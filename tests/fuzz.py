"""Mutated real exports for the fuzz suite (tests/test_fuzz_readers.py, benchmarks/fuzz_readers.py).

Every file in ../shared/data/formats is a seed. A case is a seed changed by one to three
mutations (byte flips, truncation, line deletion, duplication and swapping, a splice of two
seeds, format tokens inserted) with a fixed random seed, so a failure is reproducible from its
case number. Cases run in a child process with a per-case time limit: a reader stuck inside a
regular expression holds the interpreter in C code, where no signal can interrupt it.

Each case is read in process (`read_bytes`, detected and with the seed's format forced), through
`review parse` and `review parse --json` (`main()`, in process), and, for some cases, through
`review import` into a real review, after which the store must hold the whole file or nothing.
The outcome is records or the project's own error; anything else is a failure.
"""
from __future__ import annotations

import contextlib
import io
import multiprocessing
import random
import sqlite3
import tempfile
import traceback
import zipfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROTOCOL = ROOT / "protocols" / "nk-exosomes" / "protocol.yaml"
#: Seeds are cut to this many bytes (the whole file is still a case when it is smaller).
SEED_BYTES = 60_000
#: Seconds a case may take before it counts as a hang.
CASE_LIMIT = 10.0  # the issue: a case over 10 s is a hang (checked twice, see run_cases)
_SKIP_SUFFIXES = {".json", ".sqlite", ".md", ".rst", ".vec", ""}
_SUFFIX = {"ris": ".ris", "medline": ".nbib", "pubmed_xml": ".xml", "endnote_xml": ".xml",
           "bibtex": ".bib", "wos": ".txt", "table": ".csv", "xlsx": ".xlsx", "webpage": ".html"}
#: Tokens of each format's structure, inserted at line starts or at random places.
TOKENS = {
    "ris": [b"TY  - ", b"ER  - ", b"AU  - ", b"TI  - ", b"AUGilles, H", b"  - ", b"DO  - 10.",
            b"\nER  -\n", b"    LK  - "],
    "medline": [b"PMID- ", b"      ", b"AB  - ", b"DEP -\xc2\xad", b"LID - 10.1/x [doi]", b"FAU - ",
                b"AUGilles H", b"\n\n"],
    "wos": [b"PT J", b"ER", b"EF", b"AU ", b"   ", b"AUGilles, H", b"FN ", b"VR 1.0"],
    "bibtex": [b"@article{", b"}", b"{", b'"', b"=", b"@string{x = ", b"#", b"\\", b"@comment{",
               b"title = {", b",\n"],
    "table": [b'"', b",", b"\t", b";", b'="', b"\n", b'""', b"=HYPERLINK(", b"\r"],
    "pubmed_xml": [b"<", b"</", b"<!DOCTYPE x [<!ENTITY a \"aaaa\">]>", b"&a;", b"<![CDATA[",
                   b"]]>", b"<PubmedArticle>", b"&#0;", b"&#x110000;"],
    "endnote_xml": [b"<", b"</", b"<record>", b"</record>", b"<![CDATA[", b"&", b"<style>"],
    "webpage": [b"<", b"<script>", b"<!--", b"<meta name=\"citation_title\" content=\"", b"&",
                b"<h1>", b"doi:10."],
    "xlsx": [b"<", b"</", b"<c t=\"s\"><v>99999</v></c>", b"<v>", b"&", b"<row r=\"0\">"],
}
_ANY_TOKENS = [b"\x00", b"\xef\xbb\xbf", b"\xff\xfe", b"\xe9", b"\xc3", b"\r", b"\r\n", b"\t",
               b"\xc2\xad", "\u202e".encode("utf-8"), b"\x1a"]


@dataclass
class Seed:
    path: Path
    data: bytes
    format: str


#: Closing tags that keep an XML seed cut after a record readable.
_XML_CLOSERS = {b"</record>": b"</records></xml>\n", b"</PubmedArticle>": b"</PubmedArticleSet>\n"}


def _cut(path: Path, data: bytes) -> list[bytes]:
    """Candidate seeds from a file: whole when small, else cut at a line end, or for XML after
    the last whole record with the closing tags added."""
    if path.suffix.lower() == ".xlsx" or len(data) <= SEED_BYTES:
        return [data]
    out = []
    for record_end, closer in _XML_CLOSERS.items():
        at = data.rfind(record_end, 0, SEED_BYTES)
        if at > 0:
            out.append(data[: at + len(record_end)] + closer)
    cut = data.rfind(b"\n", 0, SEED_BYTES)
    out.append(data[: cut + 1 if cut > 0 else SEED_BYTES])
    return out


def seeds(formats_dir: Path, webpages: tuple[Path, ...] = ()) -> dict[str, list[Seed]]:
    """The seed files readable today, by the format they are read as; files under `webpages`
    are read as web pages or pasted text (their format is not detected from content)."""
    from review.errors import ReviewError
    from review.io import read_bytes
    found: dict[str, list[Seed]] = {}
    paths = [(p, None) for p in sorted(formats_dir.rglob("*"))]
    paths += [(p, "webpage") for folder in webpages for p in sorted(folder.rglob("*"))]
    for path, forced in paths:
        if not path.is_file() or path.name.startswith("LICENSE") \
                or path.suffix.lower() in _SKIP_SUFFIXES:
            continue
        for data in _cut(path, path.read_bytes()):
            try:
                fmt = read_bytes(data, path.name, forced).format
            except ReviewError:
                continue
            found.setdefault(fmt, []).append(Seed(path, data, fmt))
            break
    return found


# -- mutations --------------------------------------------------------------------------------
def _lines(data: bytes) -> list[bytes]:
    return data.split(b"\n")


def flip(data: bytes, rng: random.Random, fmt: str) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        if out:
            out[rng.randrange(len(out))] = rng.randrange(256)
    return bytes(out)


def truncate(data: bytes, rng: random.Random, fmt: str) -> bytes:
    return data[: rng.randrange(len(data) + 1)] if data else data


def delete_line(data: bytes, rng: random.Random, fmt: str) -> bytes:
    lines = _lines(data)
    for _ in range(rng.randint(1, 3)):
        if len(lines) > 1:
            del lines[rng.randrange(len(lines))]
    return b"\n".join(lines)


def duplicate_line(data: bytes, rng: random.Random, fmt: str) -> bytes:
    lines = _lines(data)
    i = rng.randrange(len(lines))
    lines[i:i] = [lines[i]] * rng.randint(1, 3)
    return b"\n".join(lines)


def swap_lines(data: bytes, rng: random.Random, fmt: str) -> bytes:
    lines = _lines(data)
    if len(lines) > 1:
        i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
        lines[i], lines[j] = lines[j], lines[i]
    return b"\n".join(lines)


def token(data: bytes, rng: random.Random, fmt: str) -> bytes:
    pool = TOKENS.get(fmt, []) + _ANY_TOKENS
    lines = _lines(data)
    for _ in range(rng.randint(1, 4)):
        chosen = rng.choice(pool) * (rng.choice([1, 1, 1, 2, 50]))
        i = rng.randrange(len(lines))
        if rng.random() < 0.5:
            lines[i] = chosen + lines[i]
        else:
            at = rng.randrange(len(lines[i]) + 1)
            lines[i] = lines[i][:at] + chosen + lines[i][at:]
    return b"\n".join(lines)


MUTATIONS = [flip, truncate, delete_line, duplicate_line, swap_lines, token]


def splice(data: bytes, other: bytes, rng: random.Random) -> bytes:
    return data[: rng.randrange(len(data) + 1)] + other[rng.randrange(len(other) + 1):]


def _mutate_xlsx(data: bytes, rng: random.Random, pool: list[bytes]) -> bytes:
    """An XLSX case: mutate one XML part and zip it again (raw flips would only break the CRC),
    or, one case in five, mutate the archive's bytes themselves."""
    if rng.random() < 0.2:
        return rng.choice(MUTATIONS)(data, rng, "xlsx")
    source = zipfile.ZipFile(io.BytesIO(data))
    names = [n for n in source.namelist() if n.endswith(".xml")]
    target = rng.choice(names)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            part = source.read(info.filename)
            if info.filename == target:
                for _ in range(rng.randint(1, 3)):
                    part = rng.choice(MUTATIONS)(part, rng, "xlsx")
            archive.writestr(info.filename, part)
    return out.getvalue()


def make_case(number: int, fmt: str, pool: dict[str, list[Seed]], base_seed: int = 20
              ) -> tuple[str, bytes, str]:
    """Case `number` of format `fmt`: (description, bytes, file name)."""
    rng = random.Random(f"{base_seed}:{fmt}:{number}")
    seed = rng.choice(pool[fmt])
    if fmt == "xlsx":
        data, what = _mutate_xlsx(seed.data, rng, []), "xml-part"
    else:
        data, steps = seed.data, []
        for _ in range(rng.randint(1, 3)):
            if rng.random() < 0.1:
                other_fmt = fmt if rng.random() < 0.7 else rng.choice(sorted(pool))
                other = rng.choice(pool[other_fmt])
                if other.format == "xlsx":
                    continue
                data = splice(data, other.data, rng)
                steps.append(f"splice({other.path.name})")
            else:
                mutation = rng.choice(MUTATIONS)
                data = mutation(data, rng, fmt)
                steps.append(mutation.__name__)
        what = "+".join(steps)
    return f"{fmt} #{number}: {seed.path.name} {what}", data, f"case{number}{_SUFFIX[fmt]}"


# -- running ----------------------------------------------------------------------------------
@dataclass
class Outcome:
    case: str
    kind: str   # "records", "refused", "traceback", "hang", "half-stored", "mismatch"
    detail: str = ""


def _cli(argv: list[str]) -> tuple[int | None, str, str, str]:
    """Run `review ARGV` in process: (exit status, stdout, stderr, traceback or '')."""
    from review.cli import main
    out, err = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(argv)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:  # noqa: BLE001 - exactly what the suite looks for
        return None, out.getvalue(), err.getvalue(), traceback.format_exc()
    return code, out.getvalue(), err.getvalue(), ""


def run_case(description: str, data: bytes, name: str, fmt: str, work: Path,
             review_dir: Path | None) -> Outcome:
    """One case through every entry point; the first failure found is the outcome."""
    from review.errors import ReviewError
    from review.io import read_bytes, sha256_of
    records = None
    for forced in (None, fmt):
        try:
            parsed = read_bytes(data, name, forced)
            if forced is None:
                records = len(parsed.records)
        except ReviewError:
            pass
        except Exception:  # noqa: BLE001
            return Outcome(description, "traceback",
                           f"read_bytes(format={forced}): {traceback.format_exc(limit=-3)}")
    path = work / name
    path.write_bytes(data)
    for argv in (["parse", str(path)], ["parse", str(path), "--json"]):
        code, _, err, trace = _cli(argv)
        if trace or code not in (0, 1) or "Traceback" in err:
            return Outcome(description, "traceback", f"review {' '.join(argv[:1] + argv[2:])}: "
                                                     f"{trace or err}")
    if review_dir is not None:
        code, out, err, trace = _cli(["import", str(path), "--review", str(review_dir),
                                      "--database", "Fuzz"])
        if trace or code not in (0, 1):
            return Outcome(description, "traceback", f"review import: {trace or err}")
        with sqlite3.connect(review_dir / "review.sqlite") as connection:
            row = connection.execute(
                "SELECT s.record_count, (SELECT count(*) FROM records r WHERE r.source_id = "
                "s.source_id) FROM sources s WHERE s.sha256 = ?", (sha256_of(data),)).fetchone()
        if code == 1 and row is not None and "already imported" not in out:
            return Outcome(description, "half-stored", f"import failed but stored {row}: {err}")
        if code == 0 and "already imported" not in out:
            if row is None or row[0] != row[1] or (records is not None and row[1] != records):
                return Outcome(description, "mismatch",
                               f"parse read {records} records, the store holds {row}")
    return Outcome(description, "records" if records is not None else "refused")


def _child(cases: list[tuple[str, str, int]], pool, start: int, conn, imports_every: int,
           base_seed: int) -> None:
    from review.cli import main
    work = Path(tempfile.mkdtemp(prefix="review-fuzz-"))
    review_dir = None
    if imports_every:
        review_dir = work / "review"
        with contextlib.redirect_stdout(io.StringIO()):
            main(["init", str(review_dir), "--protocol", str(PROTOCOL)])
    for index in range(start, len(cases)):
        fmt, _, number = cases[index]
        conn.send(("start", index))
        description, data, name = make_case(number, fmt, pool, base_seed)
        use_review = review_dir if imports_every and number % imports_every == 0 else None
        try:
            outcome = run_case(description, data, name, fmt, work, use_review)
        except BaseException:  # noqa: BLE001 - the suite's own failure, reported as such
            outcome = Outcome(description, "traceback", traceback.format_exc(limit=-3))
        conn.send(("done", index, outcome))
    conn.send(("end", None))


def run_cases(pool: dict[str, list[Seed]], per_format: int, *, imports_every: int = 4,
              base_seed: int = 20, limit: float = CASE_LIMIT, formats=None) -> list[Outcome]:
    """`per_format` cases of each format, in a child process restarted after a hang."""
    cases = [(fmt, f"{fmt}#{n}", n) for fmt in sorted(formats or pool) for n in range(per_format)]
    context = multiprocessing.get_context("fork")
    outcomes: list[Outcome] = []
    start = 0
    retried: set[int] = set()  # cases that ran over the limit once (a loaded machine stalls too)
    while start < len(cases):
        receive, send = context.Pipe(duplex=False)
        child = context.Process(target=_child, args=(cases, pool, start, send, imports_every,
                                                     base_seed), daemon=True)
        child.start()
        send.close()
        current, waited = start, False
        while True:
            if not receive.poll(limit if waited else 120):  # the first wait includes `init`
                child.kill()
                child.join()
                if current not in retried:  # once more in a fresh child before calling it a hang
                    retried.add(current)
                    start = current
                    break
                fmt, _, number = cases[current]
                description = make_case(number, fmt, pool, base_seed)[0]
                outcomes.append(Outcome(description, "hang", f"over {limit:.0f} s, twice"))
                start = current + 1
                break
            try:
                message = receive.recv()
            except EOFError:
                fmt, _, number = cases[current]
                outcomes.append(Outcome(f"{fmt} #{number}", "traceback", "the child died"))
                child.join()
                start = current + 1
                break
            if message[0] == "start":
                current, waited = message[1], True
            elif message[0] == "done":
                if message[1] in retried:
                    message[2].detail = (message[2].detail + " (ran over the limit once, then "
                                         "finished in time: machine load)").strip()
                outcomes.append(message[2])
            else:
                child.join()
                start = len(cases)
                break
    return outcomes
