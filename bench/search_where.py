"""Where a keystroke's time goes in the search pane (a benchmark, not a test): bench_search.py's window and
keys, each key's time split in three.

Run:  QT_QPA_PLATFORM=offscreen .venv/bin/python bench/search_where.py [--size 10000] [--keys 200]
      [--rounds 3] [--against SRC_DIR]

- ``slot``: the key event sent (``QTest.keyClick``, or ``search_edit.clear()``) until it returns: the
  ``textChanged`` slot, i.e. ranking, the model reset, the highlight (with the list's layout it forces) and
  the engine preview;
- ``list paint``: inside ``ProcedureListView.paintEvent`` during the following ``processEvents()``;
- ``other events``: the rest of that ``processEvents()`` (the other widgets' layout and paint, timers).

Each round runs the whole key sequence in a fresh process over this source tree and, with ``--against``,
over another one (e.g. ``git archive main | tar -x -C DIR``), rounds alternating; medians, means and p95
of the pooled keys, per tree.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
PARTS = ("slot", "list paint", "other events", "total")


def child(size: int, n_keys: int) -> dict[str, list[float]]:
    """The split of every key, in this process, over the source tree on sys.path."""
    import bench_search as bench  # the measured tree's own bench (its catalog, keys and window set-up)
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from desktop.core.data import load_builtin
    from desktop.ui import search_pane

    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    painting = [0.0]
    paint_event = search_pane.ProcedureListView.paintEvent

    def timed_paint(self, event):  # type: ignore[no-untyped-def]
        t0 = time.perf_counter()
        paint_event(self, event)
        painting[0] += time.perf_counter() - t0

    search_pane.ProcedureListView.paintEvent = timed_paint  # type: ignore[method-assign]
    catalog = bench.synthetic_catalog(load_builtin(), size)
    seq = bench.keystrokes(catalog, n_keys)
    out: dict[str, list[float]] = {part: [] for part in PARTS}
    with tempfile.TemporaryDirectory() as tmp:
        steps = bench.WindowSteps(app, catalog, Path(tmp))
        edit = steps.window.search.search_edit
        for q in seq:
            painting[0] = 0.0
            t0 = time.perf_counter()
            if q:
                QTest.keyClick(edit, q[-1])
            else:
                edit.clear()
            t1 = time.perf_counter()
            app.processEvents()
            t2 = time.perf_counter()
            out["slot"].append((t1 - t0) * 1e3)
            out["list paint"].append(painting[0] * 1e3)
            out["other events"].append((t2 - t1 - painting[0]) * 1e3)
            out["total"].append((t2 - t0) * 1e3)
        steps.close()
    return out


def run_child(src: Path, size: int, n_keys: int) -> dict[str, list[float]]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "SEARCH_WHERE_SRC": str(src)}
    proc = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child", "--size", str(size),
                           "--keys", str(n_keys)], env=env, capture_output=True, text=True, check=True)
    line = next(x for x in proc.stdout.splitlines() if x.startswith("SPLIT "))
    result: dict[str, list[float]] = json.loads(line[6:])
    return result


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=10_000)
    ap.add_argument("--keys", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--against", type=Path, help="another source tree measured the same way")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        src = Path(os.environ.get("SEARCH_WHERE_SRC") or ROOT)
        sys.path[:0] = [str(src), str(src / "bench")]
        print("SPLIT " + json.dumps(child(args.size, args.keys)))
        return 0
    trees = {"this tree": ROOT}
    if args.against is not None:
        trees["against"] = args.against.resolve()
    pooled: dict[str, dict[str, list[float]]] = {name: {part: [] for part in PARTS} for name in trees}
    for _ in range(args.rounds):
        for name, src in trees.items():
            for part, values in run_child(src, args.size, args.keys).items():
                pooled[name][part] += values
    print(f"search pane, {args.size:,} records, {args.rounds} rounds of {args.keys} keys per tree, load average "
          f"{os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs; ms per key")
    for name, src in trees.items():
        print(f"{name} ({src}):")
        for part in PARTS:
            values = pooled[name][part]
            print(f"  {part:<14} median {statistics.median(values):6.2f}  mean {statistics.fmean(values):6.2f}  "
                  f"p95 {p95(values):6.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
