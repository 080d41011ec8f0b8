"""Per-keystroke latency of the GuideCode window's procedure search at 10,000 procedures (a benchmark,
not a test).

Run:  QT_QPA_PLATFORM=offscreen .venv/bin/python bench/bench_search.py [--size 10000] [--keys 200]
      [--rounds 3] [--json out.json]          (exit status 0 when both targets are met, 1 otherwise)

What is measured (``time.perf_counter`` around each key; the same key sequence for every method):

- ``window``: the real :class:`desktop.ui.main_window.MainWindow` over a synthetic 10,000-procedure
  catalog (the real records plus clones under synthetic codes and names), shown offscreen at 1280x800,
  with a three-procedure encounter on screen. Each key is a real key event sent into the search box with
  ``QTest.keyClick`` (clearing the field is ``search_edit.clear()``: the same ``textChanged`` slot),
  then ``processEvents()``, by which time the list view has been reset, laid out and painted. The time
  covers ranking (desktop.core.search), the model reset, the highlight and its engine preview. (The answer
  panel depends on the encounter, not on the search text: since the window was split into panes, a
  keystroke no longer re-resolves the encounter; ``close`` checks the answer survived the typing.)
- ``bare_proxy``: ``QStringListModel`` of the same 10,000 display strings + ``QSortFilterProxyModel``,
  case-insensitive ``setFilterFixedString(q)``, no view (as the shared baseline's filter_bench.py does).
- ``proxy_view``: the same proxy with a shown ``QListView`` (uniformItemSizes) + ``processEvents()``:
  the least the proxy alternative would cost inside a window (and it could not rank without a Python
  ``lessThan``, which packaging.md §2.12 rules out).
- ``core_search``: ``SearchIndex.search`` alone (no Qt).

Keys: as the baseline, a 3–8-letter fragment of a random word of a random name typed letter by letter,
then one key clears the field; one fragment in five is a code prefix instead (``644``, ``2709``...).
Each method types the whole sequence alone, in alternating rounds (A B C D A B C D ...), with a fresh
set-up per round and only one window on screen at a time; all rounds' keys are pooled.
Targets: the window's p95 ≤ 8 ms and ≤ 1.5× the bare proxy's p95.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from PySide6 import __version__ as PYSIDE_VERSION  # noqa: E402
from PySide6.QtCore import QSortFilterProxyModel, QStringListModel, Qt  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication, QListView  # noqa: E402

from desktop.core.data import load_builtin  # noqa: E402
from desktop.core.model import Catalog, CodeRecord  # noqa: E402
from desktop.core.search import SearchIndex, tokens  # noqa: E402

TARGET_P95_MS = 8.0
TARGET_RATIO = 1.5
EXTRA_WORDS = ["left", "right", "upper", "lower", "proximal", "distal", "repeat", "staged", "complex", "simple",
               "superficial", "deep", "anterior", "posterior", "lateral", "medial", "single", "multiple"]


def synthetic_catalog(base: Catalog, size: int, seed: int = 11) -> Catalog:
    """Every real record plus procedures cloned from the real ones (their rules intact) under synthetic
    codes and names, ``size`` records in all; the engine answers for them as for the originals."""
    rnd = random.Random(seed)
    procedures = [r for r in base.records if r.kind == "procedure"]
    keep = list(base.records)
    taken = {r.code for r in keep}
    out: list[CodeRecord] = list(keep)
    n = 0
    while len(out) < size:
        src = procedures[n % len(procedures)]
        code = f"{10000 + n * 7 % 89989:05d}"
        n += 1
        if code in taken:
            continue
        taken.add(code)
        words = rnd.sample(EXTRA_WORDS, 2)
        name = f"{src.name}, {words[0]} {words[1]} variant {n}"
        terms = tuple(f"{t} {words[rnd.randrange(2)]}" for t in src.terms)
        out.append(replace(src, code=code, name=name, terms=terms, valid_from=None, valid_to=None,
                           replaced_by=()))
    records = tuple(sorted(out, key=lambda r: r.code))
    return replace(base, records=records, by_code={r.code: r for r in records})


def keystrokes(catalog: Catalog, n_keys: int, seed: int = 7) -> list[str]:
    rnd = random.Random(seed)
    seq: list[str] = []
    records = catalog.records
    while len(seq) < n_keys:
        rec = rnd.choice(records)
        if rnd.random() < 0.2:
            frag = rec.code[: rnd.randint(3, 4)]
        else:
            word = rnd.choice(tokens(rec.name) or ("x",))
            frag = word[: rnd.randint(3, 8)]
        seq.extend(frag[:k] for k in range(1, len(frag) + 1))
        seq.append("")  # one key clears the field
    return seq[:n_keys]


def summarize(times_s: list[float], counts: list[int]) -> dict[str, float]:
    ms = sorted(t * 1e3 for t in times_s)
    p95 = ms[min(len(ms) - 1, int(round(0.95 * (len(ms) - 1))))]
    return {"n_keys": len(ms), "median_ms": round(statistics.median(ms), 3), "p95_ms": round(p95, 3),
            "max_ms": round(ms[-1], 3), "mean_ms": round(statistics.fmean(ms), 3), "hits_total": sum(counts)}


Step = Callable[[str, str], int]


def run_rounds(seq: list[str], makers: dict[str, Callable[[], Step]], rounds: int) -> dict[str, dict[str, float]]:
    """Each method types the whole key sequence on its own (as the baseline harness does), in ``rounds``
    alternating rounds (A B C D A B C D ...) with a fresh set-up each time, so a burst of load from
    elsewhere on the machine is spread over all methods instead of landing on one."""
    times: dict[str, list[float]] = {name: [] for name in makers}
    counts: dict[str, list[int]] = {name: [] for name in makers}
    for _ in range(rounds):
        for name, make in makers.items():
            step = make()
            prev = ""
            for q in seq:
                t0 = time.perf_counter()
                counts[name].append(step(prev, q))
                times[name].append(time.perf_counter() - t0)
                prev = q
            close = getattr(step, "close", None)
            if close is not None:
                close()
    return {name: summarize(times[name], counts[name]) for name in makers}


class WindowSteps:
    """The real window over ``catalog``: keys typed into its search box."""

    def __init__(self, app: QApplication, catalog: Catalog, tmp: Path) -> None:
        from desktop.ui.main_window import MainWindow
        from desktop.ui.settings import Settings

        self.app = app
        self.window = window = MainWindow(catalog, Settings.at(tmp / "bench.ini"))
        window.resize(1280, 800)
        window.show()
        QTest.qWaitForWindowExposed(window)
        window.finish_startup()  # what run_gui does after the first paint: the search's word indexes
        window.set_date(date(2026, 3, 16))
        window.set_setting("asc")
        window.set_payer("medicare")
        for code in ("64405", "62281", "62282"):
            window.add_procedure(code)
        window.set_region("lumbar", True)
        window.focus_search()
        app.processEvents()
        self.lines_before = window.displayed_lines()
        self.checked = False

    def close(self) -> None:
        assert self.window.displayed_lines() == self.lines_before, "the answer must survive typing"
        self.checked = True
        self.window.close()
        self.window.deleteLater()
        self.app.processEvents()

    def __call__(self, prev: str, q: str) -> int:
        edit = self.window.search.search_edit
        if q:
            assert q.startswith(prev) and len(q) == len(prev) + 1
            QTest.keyClick(edit, q[-1])
        else:
            edit.clear()
        self.app.processEvents()
        return self.window.search.proc_model.match_count


class ProxySteps:
    """QStringListModel + QSortFilterProxyModel, fixed-string filter, with or without a shown view."""

    def __init__(self, app: QApplication, strings: list[str], with_view: bool) -> None:
        self.app = app
        self.source = QStringListModel(strings)
        self.proxy = QSortFilterProxyModel()
        self.proxy.setSourceModel(self.source)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.proxy.rowCount()
        self.view: QListView | None = None
        if with_view:
            self.view = QListView()
            self.view.setUniformItemSizes(True)
            self.view.setModel(self.proxy)
            self.view.resize(400, 700)
            self.view.show()
            QTest.qWaitForWindowExposed(self.view)

    def close(self) -> None:
        if self.view is not None:
            self.view.close()
            self.view.deleteLater()
            self.app.processEvents()

    def __call__(self, _prev: str, q: str) -> int:
        self.proxy.setFilterFixedString(q)
        if self.view is not None:
            self.app.processEvents()
        return self.proxy.rowCount()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=10_000)
    ap.add_argument("--keys", type=int, default=200, help="keystrokes per round (at least 200)")
    ap.add_argument("--rounds", type=int, default=3, help="alternating rounds per method (default 3)")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    if args.keys < 200:
        ap.error("--keys must be at least 200")

    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    t0 = time.perf_counter()
    catalog = synthetic_catalog(load_builtin(), args.size)
    build_ms = (time.perf_counter() - t0) * 1e3
    t0 = time.perf_counter()
    SearchIndex(catalog.records).prepare()  # the word indexes too (built lazily otherwise)
    index_ms = (time.perf_counter() - t0) * 1e3
    seq = keystrokes(catalog, args.keys)
    strings = [f"{r.code}   {r.name}" for r in catalog.records]

    index = SearchIndex(catalog.records)
    index.prepare()
    when = date(2026, 3, 16)
    windows: list[WindowSteps] = []
    with tempfile.TemporaryDirectory() as tmp:

        def make_window() -> Step:
            windows.append(WindowSteps(app, catalog, Path(tmp)))
            return windows[-1]

        makers: dict[str, Callable[[], Step]] = {
            "window": make_window,
            "bare_proxy": lambda: ProxySteps(app, strings, with_view=False),
            "proxy_view": lambda: ProxySteps(app, strings, with_view=True),
            "core_search": lambda: lambda _p, q: len(index.search(q, when)),
        }
        results = run_rounds(seq, makers, args.rounds)
    assert windows and all(w.checked for w in windows)
    answer = ", ".join(windows[0].lines_before)
    ours, bare = results["window"], results["bare_proxy"]
    ratio = ours["p95_ms"] / bare["p95_ms"] if bare["p95_ms"] else float("inf")
    ok_abs = ours["p95_ms"] <= TARGET_P95_MS
    ok_rel = ratio <= TARGET_RATIO

    print(f"GuideCode search benchmark: {len(catalog.records):,} records, {len(seq) * args.rounds} keystrokes, "
          f"Python {sys.version.split()[0]}, PySide6 {PYSIDE_VERSION}, platform {app.platformName()}")
    print(f"synthetic catalog built in {build_ms:.0f} ms; search index built in {index_ms:.0f} ms; "
          f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    print(f"encounter on screen throughout: {answer}; {args.rounds} alternating rounds of {len(seq)} keys "
          "per method")
    print()
    labels = {
        "window": "GuideCode window: key event -> ranked list + preview + answer, painted",
        "bare_proxy": "bare QSortFilterProxyModel.setFilterFixedString (no view)",
        "proxy_view": "QSortFilterProxyModel + shown QListView + processEvents",
        "core_search": "desktop.core.search.SearchIndex.search alone",
    }
    print(f"{'method':<72} {'median':>8} {'p95':>8} {'max':>8}")
    for key, res in results.items():
        print(f"{labels[key]:<72} {res['median_ms']:>6.2f}ms {res['p95_ms']:>6.2f}ms {res['max_ms']:>6.2f}ms")
    print()
    print(f"window p95 {ours['p95_ms']:.2f} ms vs target {TARGET_P95_MS:.1f} ms: {'PASS' if ok_abs else 'FAIL'}")
    print(f"window p95 / bare proxy p95 = {ratio:.2f} vs target {TARGET_RATIO:.1f}: {'PASS' if ok_rel else 'FAIL'}")
    verdict = "PASS" if ok_abs and ok_rel else "FAIL"
    print(f"verdict: {verdict}")
    if args.json:
        args.json.write_text(json.dumps({"records": len(catalog.records), "keys": len(seq) * args.rounds,
                                         "results": results,
                                         "ratio_p95": round(ratio, 3), "verdict": verdict}, indent=1))
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
