"""Benchmark (not a test): how long GuideCode's core takes to load its data and to resolve an encounter.

Targets (issue 2): resolve <= 1 ms median, load <= 150 ms. For scale, the same run also times the floor
under the loader: libyaml parsing the same files with no validation (``yaml.load`` with CSafeLoader).

    .venv/bin/python bench/bench_core.py [--loads 30] [--resolves 5000]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import date
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from desktop.core.engine import resolve  # noqa: E402
from desktop.core.loader import load_folder  # noqa: E402
from desktop.core.model import Encounter, ProcedureEntry  # noqa: E402
from desktop.paths import builtin_data_dir  # noqa: E402

try:  # absent before the safe reader (so that this script also runs on an older tree, for comparison)
    from desktop.core.yamlsrc import parse_yaml
except ImportError:  # pragma: no cover
    parse_yaml = None  # type: ignore[assignment]

ENCOUNTERS = [
    Encounter(date(2025, 6, 1), "office", "other", "fluoroscopy", (ProcedureEntry("64405"),)),
    Encounter(date(2025, 6, 1), "asc", "medicare", "fluoroscopy",
              (ProcedureEntry("62281", regions=("cervical",)), ProcedureEntry("62282", regions=("lumbar",)),
               ProcedureEntry("64405", modifiers=("50",)))),
    Encounter(date(2011, 6, 1), "hospital_outpatient", "other", "fluoroscopy",
              (ProcedureEntry("27096"), ProcedureEntry("64483"), ProcedureEntry("64484", units=2))),
    Encounter(date(2025, 6, 1), "office", "other", "ultrasound",
              (ProcedureEntry("20610"), ProcedureEntry("64520"), ProcedureEntry("76000"),
               ProcedureEntry("99999"))),
]


def ms(seconds: float) -> float:
    return seconds * 1000.0


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--loads", type=int, default=30)
    ap.add_argument("--resolves", type=int, default=5000)
    ns = ap.parse_args()
    folder = builtin_data_dir()
    files = sorted(folder.rglob("*.yaml"))
    texts = [f.read_text(encoding="utf-8") for f in files]

    # Interleaved (floor, safe reader, load) rounds, so that a busy machine slows all three alike; the ratio
    # is taken per round as well as of the medians. "safe reader" is desktop.core.yamlsrc.parse_yaml on the
    # same texts (limits checked; the built-in files take its quick path, see depth_bound).
    raw: list[float] = []
    safe: list[float] = []
    loads: list[float] = []
    catalog = None
    for _ in range(ns.loads):
        t0 = time.perf_counter()
        for text in texts:
            yaml.load(text, Loader=yaml.CSafeLoader)  # noqa: S506 - the safe libyaml loader
        t1 = time.perf_counter()
        if parse_yaml is not None:
            for text in texts:
                parse_yaml(text)
        t2 = time.perf_counter()
        catalog = load_folder(folder)
        t3 = time.perf_counter()
        raw.append(t1 - t0)
        safe.append(t2 - t1)
        loads.append(t3 - t2)
    assert catalog is not None

    per_encounter: dict[int, list[float]] = {i: [] for i in range(len(ENCOUNTERS))}
    for n in range(ns.resolves):
        i = n % len(ENCOUNTERS)
        t0 = time.perf_counter()
        resolve(catalog, ENCOUNTERS[i])
        per_encounter[i].append(time.perf_counter() - t0)
    every = [v for vs in per_encounter.values() for v in vs]

    print(f"data: {len(catalog.records)} records in {len(files)} files, version {catalog.data_version}")
    print(f"{'measure':44} {'median ms':>10} {'p95 ms':>9}")
    print(f"{'load + validate (load_folder)':44} {ms(statistics.median(loads)):10.2f} {ms(pct(loads, .95)):9.2f}")
    print(f"{'  floor: libyaml parse only, same files':44} {ms(statistics.median(raw)):10.2f} "
          f"{ms(pct(raw, .95)):9.2f}")
    if parse_yaml is not None:
        print(f"{'  safe YAML reader alone, same files':44} {ms(statistics.median(safe)):10.2f} "
              f"{ms(pct(safe, .95)):9.2f}")
    for i, enc in enumerate(ENCOUNTERS):
        label = f"resolve: {' + '.join(p.code for p in enc.procedures)}"[:44]
        vals = per_encounter[i]
        print(f"{label:44} {ms(statistics.median(vals)):10.4f} {ms(pct(vals, .95)):9.4f}")
    print(f"{'resolve: all encounters':44} {ms(statistics.median(every)):10.4f} {ms(pct(every, .95)):9.4f}")
    load_ok = ms(statistics.median(loads)) <= 150
    resolve_ok = ms(statistics.median(every)) <= 1
    print(f"targets: load median <= 150 ms: {'met' if load_ok else 'MISSED'}; "
          f"resolve median <= 1 ms: {'met' if resolve_ok else 'MISSED'}; "
          f"loader/libyaml-floor ratio {statistics.median(loads) / statistics.median(raw):.2f}x "
          f"(median of per-round ratios {statistics.median(a / b for a, b in zip(loads, raw, strict=True)):.2f}x; "
          "target <= 2x)")
    return 0 if load_ok and resolve_ok else 1


if __name__ == "__main__":
    sys.exit(main())
