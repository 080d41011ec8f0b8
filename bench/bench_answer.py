"""What an encounter edit costs the window, with the answer's NCCI lines, and the time to the first paint (a
benchmark, not a test).

Run:  QT_QPA_PLATFORM=offscreen .venv/bin/python bench/bench_answer.py [--edits 200] [--rounds 3]
      [--startup 10] [--against SRC_DIR] [--json out.json]

1. **Edit -> answer shown.** The real :class:`desktop.ui.main_window.MainWindow`, offscreen at 1280x800, over
   the shipped data, with the worked example of the README on screen (64405 + 62281 cervical + 62282 lumbar,
   fluoroscopy, ASC, Medicare, 2026-03-16: two guidance lines, three procedure cards, NCCI edits between
   them, the date outside the built-in NCCI tables' quarter). Each edit sets the units of the last procedure
   (1 <-> 2, alternating, one undo step each) and is timed from the edit to the answer rebuilt and painted
   (``processEvents()``): the engine, the cards with their NCCI lines, the banner, the status bar.
   ``with_ncci`` is the window as shipped; ``without_ncci`` is the same window with the cards' NCCI lines
   left out (``desktop.ui.present.procedure_ncci`` / ``line_ncci`` return None); with ``--against
   SRC_DIR``, ``against`` is the window of another source tree (e.g. an export of the branch merged into,
   ``git archive main | tar -x -C DIR``) as it is. Each round runs every variant in a fresh process, rounds
   alternating (A B C A B C ...), all in this one run.
2. **Launch -> first paint** (``--startup N``): ``python -m desktop`` with ``GUIDECODE_EXIT_AFTER_PAINT=1``
   (desktop/ui/main.py prints ``STARTUP {json}`` with ``time.time()`` at the first paint), offscreen, from
   this source tree and, with ``--against``, from the other, launches interleaved, each in a fresh user
   folder. Medians and [min-max].
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
from datetime import date
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
SRC = Path(os.environ.get("BENCH_ANSWER_SRC") or ROOT)  # the source tree a child process measures
if str(SRC) not in sys.path:
    sys.path.insert(0, str(SRC))

from PySide6.QtWidgets import QApplication  # noqa: E402


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def edit_times(app: QApplication, edits: int, with_ncci: bool) -> list[float]:
    from desktop.core.data import load_builtin
    from desktop.ui import present
    from desktop.ui.main_window import MainWindow
    from desktop.ui.settings import Settings

    saved = (getattr(present, "procedure_ncci", None), getattr(present, "line_ncci", None))
    if not with_ncci:
        present.procedure_ncci = lambda *a, **k: None  # type: ignore[assignment]
        present.line_ncci = lambda *a, **k: None  # type: ignore[assignment]
    try:
        with tempfile.TemporaryDirectory() as tmp:
            window = MainWindow(load_builtin(), Settings.at(Path(tmp) / "bench.ini"))
            window.resize(1280, 800)
            window.show()
            app.processEvents()
            window.set_date(date(2026, 3, 16))
            window.set_setting("asc")
            window.set_payer("medicare")
            window.set_modality("fluoroscopy")
            window.add_procedure("64405")
            window.add_procedure("62281", regions=("cervical",))
            row = window.add_procedure("62282", regions=("lumbar",))
            app.processEvents()
            assert any(getattr(c, "ncci", None) is not None for c in window.answer.cards) == (
                with_ncci and saved[0] is not None)
            out: list[float] = []
            for n in range(edits):
                start = time.perf_counter()
                window.editor.set_units(2 if n % 2 == 0 else 1, row)
                app.processEvents()
                out.append((time.perf_counter() - start) * 1000)
            lines = window.displayed_lines()
            assert lines == ["77002-26-XS \u00d71", "77003-26-XS \u00d71"], lines
            window.close()
            window.deleteLater()
            app.processEvents()
            return out
    finally:
        if saved[0] is not None:
            present.procedure_ncci, present.line_ncci = saved  # type: ignore[assignment]


def child_edits(src: Path, edits: int, with_ncci: bool) -> list[float]:
    """:func:`edit_times` in a fresh process over the source tree ``src``."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "BENCH_ANSWER_SRC": str(src)}
    with tempfile.TemporaryDirectory() as tmp:
        env.update({"GUIDECODE_USER_DIR": str(Path(tmp) / "user"), "XDG_CONFIG_HOME": str(Path(tmp) / "config")})
        proc = subprocess.run([sys.executable, __file__, "--child", str(edits), *([] if with_ncci else ["--off"])],
                              env=env, capture_output=True, text=True, timeout=600, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"{src}: edit benchmark failed: {proc.stderr[-600:]}")
    return [float(v) for v in json.loads(proc.stdout.strip().splitlines()[-1])]


def first_paint(src: Path) -> float:
    """Seconds from launch to the first paint of ``python -m desktop`` run from the source tree ``src``."""
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "GUIDECODE_EXIT_AFTER_PAINT": "1",
               "GUIDECODE_USER_DIR": str(Path(tmp) / "user"), "XDG_CONFIG_HOME": str(Path(tmp) / "config"),
               "PYTHONPATH": str(src)}
        start = time.time()
        proc = subprocess.run([sys.executable, "-m", "desktop"], cwd=src, env=env, capture_output=True, text=True,
                              timeout=120, check=False)
        line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("STARTUP ")), None)
        if proc.returncode != 0 or line is None:
            raise RuntimeError(f"{src}: no first paint (exit {proc.returncode}): {proc.stderr[-400:]}")
        return float(json.loads(line[len("STARTUP "):])["epoch_paint"]) - start


def summary(values: list[float], unit: str = "ms") -> str:
    return (f"median {statistics.median(values):.2f} {unit}, p95 {percentile(values, 0.95):.2f} {unit} "
            f"[{min(values):.2f}-{max(values):.2f}], n={len(values)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edits", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--startup", type=int, default=0, help="launches per source tree (0: none)")
    parser.add_argument("--against", type=Path, default=None, metavar="SRC_DIR",
                        help="another source tree to measure the same way (e.g. an export of main)")
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--child", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--off", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        app = QApplication.instance() or QApplication(sys.argv[:1])
        assert isinstance(app, QApplication)
        print(json.dumps(edit_times(app, args.child, not args.off)))
        return 0
    variants: dict[str, tuple[Path, bool]] = {"with_ncci": (ROOT, True), "without_ncci": (ROOT, False)}
    if args.against is not None:
        variants["against"] = (args.against.resolve(), True)
    results: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(args.rounds):
        for name, (src, on) in variants.items():
            results[name] += child_edits(src, args.edits, on)
    print(f"edit -> answer shown ({args.rounds} rounds x {args.edits} edits, offscreen 1280x800):")
    for name, values in results.items():
        print(f"  {name:13s} {summary(values)}")
    base = statistics.median(results["without_ncci"])
    print(f"  with / without NCCI lines (medians): {statistics.median(results['with_ncci']) / base:.2f}x")
    if "against" in results:
        print(f"  with / against (medians): "
              f"{statistics.median(results['with_ncci']) / statistics.median(results['against']):.2f}x")
    if args.startup:
        trees = {"this": ROOT}
        if args.against is not None:
            trees["against"] = args.against.resolve()
        paints: dict[str, list[float]] = {name: [] for name in trees}
        for _ in range(args.startup):
            for name, src in trees.items():
                paints[name].append(first_paint(src) * 1000)
        print(f"launch -> first paint (python -m desktop from source, offscreen, {args.startup} launches each, "
              "interleaved):")
        for name, values in paints.items():
            print(f"  {name:8s} {summary(values)}  ({trees[name]})")
        if "against" in paints:
            print(f"  this / against (medians): "
                  f"{statistics.median(paints['this']) / statistics.median(paints['against']):.3f}x")
        results.update({f"first_paint_{k}": v for k, v in paints.items()})
    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
