"""Deduplication speed and memory at 10k / 30k / 100k records built from REAL records.

    python benchmarks/dedup_speed.py [--sizes 10000,30000,100000] [--seed 13] [--peer] [--shared PATH]

The distinct works are real records: the CoLRev and ASySD dedup sets (one record per true work)
and the screening sets (Cohen 2006, Bannach-Brown, Kitchenham, Nagtegaal, ASReview thesis sets),
de-duplicated among themselves by title, DOI and PubMed id; only records with authors and a year
(title/abstract-only screening exports are no bibliographic records to deduplicate). Beyond their number, each further
copy of a real work is made a DIFFERENT work (40 % of title and abstract words replaced, other
authors, year moved 2-6 years, another DOI and pages) so the truth stays true. About 30 % of works
then get 1-3 duplicates with the variations real exports show: case, punctuation, trailing
period, '[...]' translated-title brackets, author formats 'Surname, A. B.' / 'A B Surname' /
'Surname AB', journal abbreviated or spelled out, DOI dropped / upper-cased / as URL, pages
'123-9' vs '123-129', year +-1 (online first), a typo in the title, abstract dropped.

Each size runs in a fresh process; time is find_duplicates alone, memory the child's peak RSS
(os.wait4 ru_maxrss: data loading included, so it is an upper bound). Target: 100k <= 60 s, <= 2 GB.
"""
from __future__ import annotations

import argparse
import os
import pickle
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from dedup_evaluate import (  # noqa: E402
    load_asysd, load_labelled_set, pairwise_scores, true_pair_count,
)
from review.records import RECORD_FIELDS, parse_year, records_frame  # noqa: E402

DEFAULT_SHARED = Path(os.environ.get("REVIEW_SHARED", ROOT.parent / "shared"))
DEFAULT_SIZES = (10_000, 30_000, 100_000)
DUPLICATED_SHARE = 0.30
TARGET_SECONDS, TARGET_BYTES = 60.0, 2 * 1024 ** 3
FIELDS = ("title", "abstract", "authors", "year", "journal", "volume", "issue", "pages", "doi")

# -- the pool of real, distinct works -----------------------------------------------------------

_NON_ALNUM = re.compile(r"[^0-9a-z]+")


def title_key(title: Any) -> str:
    return _NON_ALNUM.sub(" ", str(title).lower()).strip() if isinstance(title, str) else ""


def _screening_rows(shared: Path) -> list[dict[str, Any]]:
    """Screening sets: title/abstract (+ authors, year where present); own known duplicates dropped."""
    base = shared / "data" / "screening"
    rows: list[dict[str, Any]] = []
    files = sorted((base / "asreview_systematic-review-datasets").rglob("*.csv"))
    files += sorted((base / "GerbrichFerdinands_asreview-thesis").glob("*.csv"))
    for path in files:
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
        if "title" not in table.columns or "abstract" not in table.columns:
            continue  # index.csv and the like
        if "duplicate_record_id" in table.columns:
            table = table[table["duplicate_record_id"].str.strip() == ""]
        for rec in table.to_dict("records"):
            authors = rec.get("authors", "")
            # Cohen: 'E J Reimer; G S Dunn'; Bannach-Brown: 'H. Dong, Z. Gao and X. Zhang'
            names = re.split(r"\s*;\s*" if ";" in authors else r"\s*,\s*|\s+and\s+", authors)
            rows.append({"title": rec["title"], "abstract": rec["abstract"], "authors": names,
                         "year": rec.get("year", "").split(".")[0], "pmid": rec.get("pubmedID", "")})
            rows[-1]["authors"] = [name for name in rows[-1]["authors"] if name.strip()]
    return rows


def _dedup_set_rows(shared: Path) -> list[dict[str, Any]]:
    """Dedup sets: one record per true work (journals, pages and DOIs come from here)."""
    rows: list[dict[str, Any]] = []
    colrev = shared / "data" / "dedup" / "CoLRev_bib-dedupe"
    for folder in sorted(p for p in colrev.iterdir() if p.is_dir()):
        labelled = load_labelled_set(folder)
        drop = {rid for group in labelled.groups for rid in group[1:]}
        rows += _frame_rows(labelled.records[~labelled.records["record_id"].isin(drop)])
    path = shared / "data" / "dedup" / "camaradesuk_ASySD" / "labelled_test_set.csv"
    asysd = load_asysd(path)
    source = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="cp1252")["source"]
    rows += _frame_rows(asysd.records[(source == "unique").to_numpy()])
    return rows


def _frame_rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{k: (None if not isinstance(v, list) and pd.isna(v) else v) for k, v in rec.items()
             if k in FIELDS} for rec in frame.to_dict("records")]


def real_pool(shared: Path) -> list[dict[str, Any]]:
    """Distinct real works with authors and year; later copies of a title, title start, DOI or
    PubMed id are dropped."""
    pool, seen = [], set()
    for rec in _dedup_set_rows(shared) + _screening_rows(shared):
        key = title_key(rec.get("title"))
        if len(key.split()) < 4 or not rec.get("authors") or not parse_year(rec.get("year")):
            continue  # too generic to be sure of distinctness, or no bibliographic record at all
        keys = {("t", key), ("p", key.replace(" ", "")[:60])}
        if rec.get("doi"):
            keys.add(("d", str(rec["doi"]).lower()))
        if rec.get("pmid"):
            keys.add(("m", rec["pmid"]))
        if keys & seen:
            continue
        seen |= keys
        pool.append({**{k: rec.get(k) for k in FIELDS}, "year": parse_year(rec.get("year"))})
    return pool


# -- variations that real exports introduce -----------------------------------------------------

_INITIALS = re.compile(r"^(?:[A-Z]\.?-?){1,3}$")
JOURNAL_WORDS = {
    "journal": "J", "american": "Am", "clinical": "Clin", "medicine": "Med", "medical": "Med",
    "research": "Res", "international": "Int", "science": "Sci", "sciences": "Sci",
    "biology": "Biol", "chemistry": "Chem", "physiology": "Physiol", "pharmacology": "Pharmacol",
    "cardiology": "Cardiol", "review": "Rev", "reviews": "Rev", "society": "Soc", "annals": "Ann",
    "archives": "Arch", "british": "Br", "european": "Eur", "nutrition": "Nutr", "surgery": "Surg",
    "psychology": "Psychol", "association": "Assoc", "proceedings": "Proc", "national": "Natl",
    "academy": "Acad", "experimental": "Exp", "molecular": "Mol", "endocrinology": "Endocrinol",
    "metabolism": "Metab", "neurology": "Neurol", "oncology": "Oncol", "pediatrics": "Pediatr",
    "epidemiology": "Epidemiol", "disease": "Dis", "diseases": "Dis", "therapy": "Ther",
    "therapeutics": "Ther", "pathology": "Pathol", "respiratory": "Respir", "critical": "Crit",
    "internal": "Intern", "hepatology": "Hepatol", "gastroenterology": "Gastroenterol",
    "nephrology": "Nephrol", "transplantation": "Transplant", "hematology": "Hematol",
    "immunology": "Immunol", "infectious": "Infect", "microbiology": "Microbiol",
    "applied": "Appl", "letters": "Lett", "information": "Inf", "technology": "Technol",
    "management": "Manag", "systems": "Syst", "computer": "Comput", "engineering": "Eng",
    "software": "Softw", "cytology": "Cytol", "cytopathology": "Cytopathol", "obstetrics": "Obstet",
    "gynecology": "Gynecol", "diagnostic": "Diagn", "pharmaceutical": "Pharm", "veterinary": "Vet",
}
_JOURNAL_STOP = {"of", "the", "and", "&", "for", "in", "on"}


def split_name(name: str) -> tuple[str, str]:
    """'Zuna, R E' / 'Adeli K.' / 'E J Reimer' / 'Chaoqun Deng' -> (surname, initials 'RE')."""
    name = name.strip()
    if "," in name:
        surname, given = (part.strip() for part in name.split(",", 1))
    else:
        tokens = name.split()
        if len(tokens) > 1 and all(_INITIALS.match(t) for t in tokens[1:]):
            surname, given = tokens[0], " ".join(tokens[1:])
        elif len(tokens) > 1 and _INITIALS.match(tokens[-1]) and not _INITIALS.match(tokens[0]):
            cut = max(i for i, t in enumerate(tokens) if not _INITIALS.match(t)) + 1
            surname, given = " ".join(tokens[:cut]), " ".join(tokens[cut:])
        else:
            surname, given = (tokens[-1], " ".join(tokens[:-1])) if tokens else ("", "")
    initials = "".join(part[0] for part in re.split(r"[\s.\-]+", given) if part and part[0].isalpha())
    return surname, initials.upper()


def author_variant(names: list[str], style: int) -> list[str]:
    """0 'Surname, A. B.'   1 'A B Surname'   2 'Surname AB'   3 'SURNAME, A.B.'"""
    out = []
    for name in names:
        surname, initials = split_name(name)
        if not surname:
            continue
        if style == 0:
            out.append(f"{surname}, " + " ".join(f"{c}." for c in initials) if initials else surname)
        elif style == 1:
            out.append(" ".join([*initials, surname]))
        elif style == 2:
            out.append(f"{surname} {initials}".strip())
        else:
            out.append(f"{surname.upper()}, " + "".join(f"{c}." for c in initials) if initials else surname)
    return out


def journal_variant(journal: str, rng: random.Random) -> str:
    words = journal.replace(":", " ").replace(".", " ").split()
    if any(w.lower() in JOURNAL_WORDS for w in words):  # full name -> abbreviation
        return " ".join(JOURNAL_WORDS.get(w.lower(), w) for w in words if w.lower() not in _JOURNAL_STOP)
    if rng.random() < 0.5:  # abbreviation -> dotted abbreviation
        return " ".join(w + "." if len(w) > 2 and w[-1].isalpha() else w for w in words)
    return journal.upper()


def pages_variant(pages: str) -> str:
    """'123-129' <-> '123-9'; 'e001469' unchanged."""
    match = re.fullmatch(r"\s*(\d+)\s*-+\s*(\d+)\s*", pages)
    if not match:
        return pages
    first, last = match.groups()
    if len(last) < len(first):  # 123-9 -> 123-129
        return f"{first}-{first[:len(first) - len(last)]}{last}"
    common = 0
    while common < len(first) - 1 and len(first) == len(last) and first[common] == last[common]:
        common += 1
    return f"{first}-{last[common:]}"


def typo(title: str, rng: random.Random) -> str:
    words = title.split()
    long = [i for i, w in enumerate(words) if len(w) >= 6 and w.isalpha()]
    if not long:
        return title
    i = rng.choice(long)
    w, j = words[i], rng.randrange(1, len(words[i]) - 2)
    words[i] = rng.choice([w[:j] + w[j + 1] + w[j] + w[j + 2:], w[:j] + w[j + 1:], w[:j] + w[j] + w[j:]])
    return " ".join(words)


def title_variant(title: str, rng: random.Random) -> str:
    change = rng.randrange(6)
    if change == 0:
        return rng.choice([title.upper(), title.lower(), title[:1] + title[1:].lower()])
    if change == 1:
        return re.sub(r"\s+", " ", re.sub(r"[^\w\s]", " ", title)).strip()
    if change == 2:
        return title[:-1] if title.endswith(".") else title + "."
    if change == 3:  # MEDLINE brackets translated titles; other databases drop the brackets
        return title.strip("[].") if title.startswith("[") else f"[{title.rstrip('.')}]"
    if change == 4:
        return title.replace(": ", " - ").replace(",", "")
    return typo(title, rng)


def duplicate_of(work: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """Another database's export of the same work: 2-4 independent variations."""
    rec = dict(work)
    fields = ("title", "authors", "journal", "doi", "pages", "year", "title", "abstract")
    possible = [change for change, name in enumerate(fields) if rec[name]]
    for change in rng.sample(possible, min(len(possible), rng.randint(2, 4))):
        if change == 0 and rec["title"]:
            rec["title"] = title_variant(rec["title"], rng)
        elif change == 1 and rec["authors"]:
            rec["authors"] = author_variant(rec["authors"], rng.randrange(4))
        elif change == 2 and rec["journal"]:
            rec["journal"] = journal_variant(rec["journal"], rng)
        elif change == 3 and rec["doi"]:
            rec["doi"] = rng.choice([None, rec["doi"].upper(), f"https://doi.org/{rec['doi']}"])
        elif change == 4 and rec["pages"]:
            rec["pages"] = pages_variant(rec["pages"])
        elif change == 5 and rng.random() < 0.3:
            rec["year"] = int(rec["year"]) + rng.choice((-1, 1))
        elif change == 6 and rec["title"]:
            rec["title"] = typo(rec["title"], rng)
        elif change == 7 and rec["abstract"]:
            rec["abstract"] = None
    return rec


# -- distinct works beyond the real ones --------------------------------------------------------

def distinct_copy(work: dict[str, Any], copy: int, vocabulary: list[str], surnames: list[str],
                  rng: random.Random) -> dict[str, Any]:
    """A different work derived from a real one: 40 % of title and abstract words replaced,
    other authors, year moved 2-6 years, a distinct DOI and pages."""
    def reword(text: str | None, share: float) -> str | None:
        if not text:
            return text
        words = text.split()
        for i in rng.sample(range(len(words)), max(3, round(len(words) * share)) if len(words) > 3 else len(words)):
            words[i] = rng.choice(vocabulary)
        return " ".join(words)
    rec = dict(work)
    rec["title"] = reword(work["title"], 0.4)
    rec["abstract"] = reword(work["abstract"], 0.4)
    rec["authors"] = [f"{rng.choice(surnames)}, {rng.choice('ABCDEFGHJKLMNPRSTW')}. "
                      f"{rng.choice('ABCDEFGHJKLMNPRSTW')}." for _ in range(max(1, len(work["authors"] or [])))]
    if work["year"]:
        rec["year"] = int(work["year"]) + rng.choice((-6, -5, -4, -3, -2, 2, 3, 4, 5, 6))
    if work["doi"]:
        rec["doi"] = f"{work['doi']}.c{copy}"
    if work["pages"]:
        start = rng.randint(1, 2000)
        rec["pages"] = f"{start}-{start + rng.randint(3, 15)}"
    if work["volume"]:
        rec["volume"] = str(rng.randint(1, 120))
    return rec


def build_dataset(size: int, seed: int, pool: list[dict[str, Any]]) -> tuple[pd.DataFrame, list[list[int]]]:
    """`size` records in shuffled order with their true duplicate groups (record ids 1..size)."""
    rng = random.Random(seed)
    vocabulary = sorted({w for rec in pool for w in (rec["title"] or "").split() if w.isalpha() and len(w) > 3})
    surnames = sorted({split_name(n)[0] for rec in pool for n in rec["authors"] or [] if split_name(n)[0].isalpha()})
    works: list[list[dict[str, Any]]] = []
    titles = {title_key(rec["title"]) for rec in pool}
    total, copy = 0, 0
    while total < size:
        order = list(range(len(pool)))
        rng.shuffle(order)
        for index in order:
            work = pool[index]
            if copy:
                work = distinct_copy(work, copy, vocabulary, surnames, rng)
                while title_key(work["title"]) in titles:
                    work = distinct_copy(pool[index], copy, vocabulary, surnames, rng)
                titles.add(title_key(work["title"]))
            group = [work]
            if rng.random() < DUPLICATED_SHARE:
                group += [duplicate_of(work, rng) for _ in range(rng.randint(1, 3))]
            group = group[:size - total]
            works.append(group)
            total += len(group)
            if total >= size:
                break
        copy += 1
    slots = list(range(1, size + 1))
    rng.shuffle(slots)
    rows, groups, next_slot = [None] * size, [], iter(slots)
    for group in works:
        ids = [next(next_slot) for _ in group]
        for rid, rec in zip(ids, group):
            rows[rid - 1] = {**rec, "record_id": rid}
        if len(ids) > 1:
            groups.append(ids)
    frame = records_frame(rows, database="synthetic")[["record_id", *RECORD_FIELDS]]
    return frame, groups


# -- runs ---------------------------------------------------------------------------------------

def child(data: Path, out: Path) -> None:
    """In a fresh process: load the frame, time find_duplicates, save the clusters."""
    import resource
    from review.dedup.engine import find_duplicates
    records = pickle.loads(data.read_bytes())
    loaded_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    result = find_duplicates(records)
    seconds = time.perf_counter() - start
    unsure = list(zip(result.unsure["record_a"], result.unsure["record_b"]))
    out.write_bytes(pickle.dumps({"clusters": result.clusters, "seconds": seconds, "loaded_kb": loaded_kb,
                                  "unsure": unsure}))


def store_child(data: Path, out: Path) -> None:
    """In a fresh process: the records in a review store, then `review dedup` as a reviewer runs
    it (read records and decisions, cluster, write clusters and pairs in one transaction)."""
    from review.dedup.run import deduplicate_review
    from review.project import init_review
    records = pickle.loads(data.read_bytes()).drop(columns=["record_id"])
    records["position"] = range(1, len(records) + 1)
    review = init_review(out.parent / "review", ROOT / "protocols" / "nk-exosomes" / "protocol.yaml")
    review.store.add_source(records, file_name="bench.ris", file_path=None, sha256="0" * 64,
                            format="ris", encoding="utf-8", database="Bench", method="database",
                            actor="bench")
    start = time.perf_counter()
    deduplicate_review(review, actor="bench")
    out.write_bytes(pickle.dumps({"seconds": time.perf_counter() - start}))


def run_child(data: Path, workdir: Path, mode: str = "--child") -> dict[str, Any]:
    out, log = workdir / f"out{mode}.pkl", workdir / "child.log"
    with open(log, "w") as sink:
        proc = subprocess.Popen([sys.executable, __file__, mode, str(data), str(out)],
                                stdout=sink, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"child failed ({proc.returncode}):\n{log.read_text()[-2000:]}")
    result = pickle.loads(out.read_bytes())
    result["peak_bytes"] = usage.ru_maxrss * 1024  # Linux reports kilobytes
    return result


def after_review(clusters: pd.Series, unsure: list, groups: list[list[Any]]) -> pd.Series:
    """The clusters once a reviewer has said 'same' to every unsure pair that truly is one work
    (and 'different' to the rest): what the queue recovers of the recall the rules leave."""
    work = {rid: i for i, group in enumerate(groups) for rid in group}
    name = clusters.to_dict()
    parent = {c: c for c in set(name.values())}

    def find(c):
        while parent[c] != c:
            c = parent[c]
        return c

    for a, b in unsure:
        if a in work and work.get(a) == work.get(b):
            ra, rb = find(name[a]), find(name[b])
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
    return pd.Series({rid: find(c) for rid, c in name.items()})


def measure(size: int, seed: int, pool: list[dict[str, Any]], peer: bool,
            store: bool = False) -> dict[str, Any]:
    records, groups = build_dataset(size, seed, pool)
    with tempfile.TemporaryDirectory(prefix="dedup-speed-") as tmp:
        data = Path(tmp) / "records.pkl"
        data.write_bytes(pickle.dumps(records))
        ours = run_child(data, Path(tmp))
        stored = run_child(data, Path(tmp), "--store-child") if store else None
    scores = pairwise_scores(groups, ours["clusters"])
    reviewed = pairwise_scores(groups, after_review(ours["clusters"], ours["unsure"], groups))
    row = {"store": stored, "unsure": len(ours["unsure"]), "recall_after_review": reviewed["recall"],"size": size, "works": size - sum(len(g) - 1 for g in groups), "true_pairs": true_pair_count(groups),
           "seconds": ours["seconds"], "peak_bytes": ours["peak_bytes"],
           "loaded_bytes": ours["loaded_kb"] * 1024, **scores, "peer": None}
    if peer:
        from dedup_quality import PeerUnavailable, peer_python, run_peer
        try:
            run = run_peer(peer_python(), records)
            row["peer"] = {**pairwise_scores(groups, run["clusters"]), "seconds": run["seconds"],
                           "peak_bytes": run["max_rss_kb"] * 1024}
        except PeerUnavailable as exc:
            print(f"peer: NOT AVAILABLE - {exc}", file=sys.stderr)
    return row


def report(rows: list[dict[str, Any]]) -> str:
    head = ("records", "works", "true pairs", "seconds", "s/1k rec", "peak MB", "P", "R", "F1", "FM",
            "unsure", "R queue",
            "peer s", "peer MB", "peer P", "peer R")
    lines = [head]
    for r in rows:
        p = r["peer"] or {}
        lines.append((f"{r['size']:,}", f"{r['works']:,}", f"{r['true_pairs']:,}", f"{r['seconds']:.2f}",
                      f"{1000 * r['seconds'] / r['size']:.3f}", f"{r['peak_bytes'] / 2**20:.0f}",
                      f"{r['precision']:.4f}", f"{r['recall']:.4f}", f"{r['f1']:.4f}", str(r["false_merges"]),
                      f"{r['unsure']:,}", f"{r['recall_after_review']:.4f}",
                      f"{p['seconds']:.1f}" if p else "-", f"{p['peak_bytes'] / 2**20:.0f}" if p else "-",
                      f"{p['precision']:.4f}" if p else "-", f"{p['recall']:.4f}" if p else "-"))
    widths = [max(len(line[i]) for line in lines) for i in range(len(head))]
    out = ["  ".join(c.rjust(w) for c, w in zip(line, widths)) for line in lines]
    out.insert(1, "  ".join("-" * w for w in widths))
    for a, b in zip(rows, rows[1:]):
        out.append(f"growth {a['size']:,} -> {b['size']:,}: records x{b['size'] / a['size']:.2f}, "
                   f"time x{b['seconds'] / a['seconds']:.2f}, peak memory x{b['peak_bytes'] / a['peak_bytes']:.2f}")
    for r in rows:
        if r["size"] >= 100_000:
            ok = r["seconds"] <= TARGET_SECONDS * r["size"] / 100_000 and r["peak_bytes"] <= TARGET_BYTES
            out.append(f"target at {r['size']:,} (<= {TARGET_SECONDS * r['size'] / 100_000:.0f} s, <= 2 GB): "
                       + ("met" if ok else "NOT met"))
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        child(Path(argv[1]), Path(argv[2]))
        return 0
    if argv[:1] == ["--store-child"]:
        store_child(Path(argv[1]), Path(argv[2]))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default=",".join(map(str, DEFAULT_SIZES)),
                        help="comma-separated record counts, e.g. 10000,30000 or 10k,30k")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--peer", action="store_true", help="also time bib-dedupe at each size")
    parser.add_argument("--store", action="store_true",
                        help="also time `review dedup` on a SQLite review store at each size")
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED)
    args = parser.parse_args(argv)
    sizes = [int(float(s.lower().replace("k", "e3"))) for s in args.sizes.split(",") if s.strip()]
    pool = real_pool(args.shared)
    print(f"{len(pool):,} distinct real works in the pool (seed {args.seed})")
    rows = []
    for size in sizes:
        rows.append(measure(size, args.seed, pool, args.peer, args.store))
        r = rows[-1]
        print(f"  {size:,} records: {r['seconds']:.2f} s, peak {r['peak_bytes'] / 2**20:.0f} MB, "
              f"P {r['precision']:.4f} R {r['recall']:.4f}"
              + (f"; review dedup on the store {r['store']['seconds']:.2f} s, peak "
                 f"{r['store']['peak_bytes'] / 2**20:.0f} MB" if r["store"] else ""), flush=True)
    print()
    print(report(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
