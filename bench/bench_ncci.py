"""Benchmark (not a test): GuideCode's NCCI tables, loaded, looked up, and imported from a CMS-sized file.

1. Loading the built-in tables (resources/data/ncci/, checked as desktop.core.ncci.data loads them), against
   the floor: the csv module reading the same files with no check.
2. Look-ups on the built-in practitioner table: ``pair`` and ``edits_for`` per call (the engine asks them for
   each procedure of an encounter).
3. Importing one CMS-sized PTP part (``--rows``, default 650,000: a 2024 practitioner part has about that
   many), written in CMS's tab-delimited layout with random codes, against the floor: reading and splitting
   its lines with no check. Peak memory of the import is printed too.

    .venv/bin/python bench/bench_ncci.py [--loads 30] [--lookups 20000] [--rows 650000]
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from desktop.core.data import load_builtin  # noqa: E402
from desktop.core.ncci.cms import read_cms_files  # noqa: E402
from desktop.core.ncci.reader import read_ncci_dir  # noqa: E402
from desktop.paths import builtin_data_dir  # noqa: E402

HEAD = ("CPT only copyright 2023 American Medical Association.  All rights reserved.\t\t\t\t\t\t\r\n"
        "Column1/Column2 Edits\t\t\t\t\t\t\r\n"
        "Column 1\tColumn 2\t*=in existence\tEffective\tDeletion\tModifier\tPTP Edit Rationale\r\n"
        "\t\tprior to 1996\tDate\tDate\t0=not allowed\t\r\n"
        "\t\t\t\t*=no data\t1=allowed\t\r\n"
        "\t\t\t\t\t9=not applicable\t\r\n")


def _max_rss_mb() -> float:
    try:
        import resource
    except ImportError:  # Windows: not measured
        return 0.0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def ms(seconds: float) -> float:
    return seconds * 1000.0


def timed(fn, runs: int) -> list[float]:  # type: ignore[no-untyped-def]
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--loads", type=int, default=30)
    ap.add_argument("--lookups", type=int, default=20000)
    ap.add_argument("--rows", type=int, default=650_000)
    ns = ap.parse_args()
    catalog = load_builtin()
    folder = builtin_data_dir() / "ncci"
    texts = [p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.csv"))]

    floor = timed(lambda: [list(csv.reader(io.StringIO(t))) for t in texts], ns.loads)
    load = timed(lambda: read_ncci_dir(folder, sources=catalog.sources), ns.loads)
    print(f"load built-in NCCI tables: median {ms(statistics.median(load)):.2f} ms (floor, csv only: "
          f"{ms(statistics.median(floor)):.2f} ms; ratio {statistics.median(load) / statistics.median(floor):.1f}x)")

    data, _ = read_ncci_dir(folder, sources=catalog.sources)
    assert data is not None
    tables = data.for_date("practitioner", date(2024, 8, 1)).tables
    codes = sorted(catalog.by_code)
    rng = random.Random(1)
    pairs = [(rng.choice(codes), rng.choice(codes)) for _ in range(ns.lookups)]
    when = date(2024, 8, 1)
    t0 = time.perf_counter()
    hits = sum(tables.pair(a, b, when) is not None for a, b in pairs)
    per_pair = (time.perf_counter() - t0) / len(pairs)
    t0 = time.perf_counter()
    listed = sum(len(tables.edits_for(a, when)) for a, _ in pairs)
    per_code = (time.perf_counter() - t0) / len(pairs)
    print(f"pair(): {per_pair * 1e6:.2f} us per call ({hits} of {len(pairs)} random pairs have an edit); "
          f"edits_for(): {per_code * 1e6:.2f} us per call ({listed / len(pairs):.1f} edits on average)")

    pool = sorted({f"{rng.randint(10000, 99999)}" for _ in range(20000)} | set(codes))
    with tempfile.TemporaryDirectory() as tmp:
        part = Path(tmp) / "ccipra-v302r0-f1.TXT"
        with part.open("w", encoding="ascii", newline="") as fh:
            fh.write(HEAD)
            for _ in range(ns.rows):
                a, b = rng.sample(pool, 2)
                fh.write(f"{a}\t{b}\t\t20150101\t*\t1\tMisuse of Column Two code with Column One code\r\n")
        size = part.stat().st_size
        t0 = time.perf_counter()
        with part.open("rb") as fh:
            n = sum(len(line.decode().rstrip("\r\n").split("\t")) for line in fh)
        base = time.perf_counter() - t0
        known = frozenset(catalog.by_code)
        before = _max_rss_mb()
        t0 = time.perf_counter()
        read = read_cms_files([part], known.__contains__)
        took = time.perf_counter() - t0
        grew = _max_rss_mb() - before
        table = read.tables[0]
        assert not read.all_problems and table.rows_read == ns.rows and n > 0, read.all_problems[:3]
        print(f"import one PTP part: {ns.rows:,} rows ({size / 1e6:.0f} MB), {took:.2f} s, {len(table.ptp):,} rows "
              f"kept (floor, read and split only: {base:.2f} s; ratio {took / base:.1f}x); the process's peak memory "
              f"grew by {grew:.1f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
