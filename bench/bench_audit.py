"""Benchmark (not a test): audit throughput and peak memory, CSV and 837P, 100,000 and 1,000,000 lines.

Generates N claim lines with a realistic pain-practice mix (the makers below: mostly correctly billed
encounters with their guidance, office visits and drug lines GuideCode does not know, a share of the usual
errors and a few malformed rows), as CSV, and the same mix as an ASC X12 837P file (bench/synth_837p.py).
For each it runs, as subprocesses, and reports wall time, lines per second and peak RSS (os.wait4):

- the baseline in the same run: the bare parse of the same file (CSV: Python's csv module reading every row;
  837P: pyx12's segment reader alone, and for full validation pyx12's own validator ``x12n_document`` on
  files up to --validator-max lines);
- the command line end to end: ``python -m desktop audit FILE --out REPORT.csv`` (837P: ``--x12-validation
  full`` and ``envelope``);
- with ``--against SRC_DIR``, the same command run from another source tree on the same file, interleaved with
  this tree's runs (``--repeat`` times each): e.g. an export of the commit before a change
  (``git archive COMMIT | tar -x -C DIR``), to compare before and after on the same machine in the same run.

Targets (issue 16): 1,000,000 CSV lines in <= 15 s end to end with peak RSS <= 400 MB; 837P at >= 25 % of the
CSV throughput. With ``--window`` it also opens the 100,000-line CSV in the audit window (offscreen) and checks
that no note ("modality inferred") is shown by default and that the CSV export is the rows shown, and prints
the findings by severity before and after folding.

    .venv/bin/python bench/bench_audit.py [--lines 100000 1000000] [--formats csv 837p]
                                          [--x12-validation full envelope] [--window] [--seed 6]
                                          [--against SRC_DIR] [--repeat N]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

Lines = list[tuple[str, str, str]]  # (code, modifiers, units)
Maker = Callable[[random.Random, bool], Lines]


def _side(rng: random.Random) -> str:
    return rng.choice(["", "RT", "LT", "50"])


# Correctly billed encounters (facility flag decides 26 on the guidance line) ...
def esi_lumbar(rng: random.Random, fac: bool) -> Lines:
    return [("62323", "", "1")]


def esi_cervical(rng: random.Random, fac: bool) -> Lines:
    return [("62321", "", "1")]


def tfesi(rng: random.Random, fac: bool) -> Lines:
    side = rng.choice(["RT", "LT", "50"])
    out = [("64483", side, "1")]
    if rng.random() < 0.5:
        out.append(("64484", side, "1"))
    return out


def facet(rng: random.Random, fac: bool) -> Lines:
    out = [("64493", "50", "1")]
    if rng.random() < 0.6:
        out.append(("64494", "50", "1"))
    return out


def rfa(rng: random.Random, fac: bool) -> Lines:
    side = rng.choice(["RT", "LT", "50"])
    return [("64635", side, "1"), ("64636", side, "1")]


def si_joint(rng: random.Random, fac: bool) -> Lines:
    return [("27096", rng.choice(["RT", "LT", "50"]), "1")]


def occipital(rng: random.Random, fac: bool) -> Lines:
    return [("64405", rng.choice(["", "50"]), "1"), ("77002", "26" if fac else "", "1")]


def knee_fluoro(rng: random.Random, fac: bool) -> Lines:
    return [("20610", rng.choice(["RT", "LT"]), "1"), ("77002", "26" if fac else "", "1")]


def knee_us(rng: random.Random, fac: bool) -> Lines:
    return [("20611", rng.choice(["RT", "LT"]), "1")]


def trigger_us(rng: random.Random, fac: bool) -> Lines:
    return [(rng.choice(["20552", "20553"]), "", "1"), ("76942", "26" if fac else "", "1")]


def blood_patch(rng: random.Random, fac: bool) -> Lines:
    return [("62273", "", "1"), ("77003", "26" if fac else "", "1")]


def two_regions(rng: random.Random, fac: bool) -> Lines:
    base = "26 " if fac else ""
    return [("62282", "", "1"), ("62281", "", "1"), ("77003", base.strip(), "1"), ("77003", base + "59", "1")]


def visit(rng: random.Random, fac: bool) -> Lines:
    return [(rng.choice(["99213", "99214", "99203"]), "", "1")]


# ... and the usual errors.
def err_included(rng: random.Random, fac: bool) -> Lines:
    return [*tfesi(rng, fac), ("77003", "26" if fac else "", "1")]


def err_per_level(rng: random.Random, fac: bool) -> Lines:
    return [("62273", "", "1"), ("77003", "26" if fac else "", str(rng.choice([2, 3])))]


def err_wrong_fluoro(rng: random.Random, fac: bool) -> Lines:
    return [("64405", "", "1"), ("77003", "26" if fac else "", "1")]


def err_76000(rng: random.Random, fac: bool) -> Lines:
    return [("64405", "", "1"), ("76000", "", "1")]


def err_missing_26(rng: random.Random, fac: bool) -> Lines:
    return [("64405", "", "1"), ("77002", "", "1")]


def err_knee_us(rng: random.Random, fac: bool) -> Lines:
    return [("20610", "RT", "1"), ("76942", "", "1")]


def err_no_59(rng: random.Random, fac: bool) -> Lines:
    return [("62282", "", "1"), ("62281", "", "1"), ("77003", "", "1"), ("77003", "", "1")]


def err_ncci_modifier(rng: random.Random, fac: bool) -> Lines:
    """77002 for an occipital block beside 64483, which bundles it (NCCI 64483/77002): XS missing."""
    return [("64405", "", "1"), ("64483", rng.choice(["RT", "LT"]), "1"), ("77002", "26" if fac else "", "1")]


def err_mue(rng: random.Random, fac: bool) -> Lines:
    """64483 right and left on two lines: 2 units against CMS's MUE of 1 (MAI 2)."""
    return [("64483", "RT", "1"), ("64483", "LT", "1")]


MIX: list[tuple[Maker, int]] = [
    (esi_lumbar, 14), (esi_cervical, 5), (tfesi, 12), (facet, 12), (rfa, 6), (si_joint, 5), (occipital, 6),
    (knee_fluoro, 4), (knee_us, 4), (trigger_us, 3), (blood_patch, 2), (two_regions, 1), (visit, 10),
    (err_included, 4), (err_per_level, 2), (err_wrong_fluoro, 2), (err_76000, 1), (err_missing_26, 2),
    (err_knee_us, 1), (err_no_59, 1), (err_ncci_modifier, 1), (err_mue, 1),
]
# the images column (ultrasound images recorded), on the claims that bill ultrasound: yes, no or not stated
_US_CODES = frozenset({"76942", "20611"})
POS = [("11", 50), ("22", 30), ("24", 20)]


def generate(path: Path, n_lines: int, seed: int) -> int:
    rng = random.Random(seed)
    makers = [m for m, _ in MIX]
    weights = [w for _, w in MIX]
    pos_codes = [p for p, _ in POS]
    pos_w = [w for _, w in POS]
    written = 0
    claim = 0
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write("claim_id,date_of_service,place_of_service,code,modifiers,units,payer,images_recorded\n")
        while written < n_lines:
            claim += 1
            maker = rng.choices(makers, weights)[0]
            pos = rng.choices(pos_codes, pos_w)[0]
            payer = "Medicare" if rng.random() < 0.45 else "Commercial"
            dos = f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
            lines = maker(rng, pos != "11")
            if rng.random() < 0.3:  # a drug or supply line on many injection claims
                lines.append((rng.choice(["J1030", "J3301", "J1100"]), "", str(rng.randint(1, 8))))
            images = rng.choice(["yes", "yes", "no", ""]) if any(c in _US_CODES for c, _, _ in lines) else ""
            for code, mods, units in lines:
                if written >= n_lines:
                    break
                if rng.random() < 0.001:  # a malformed row now and then
                    fh.write(f"CL{claim:07d},2025-02-30,{pos},{code},{mods},{units},{payer},{images}\n")
                else:
                    fh.write(f"CL{claim:07d},{dos},{pos},{code},{mods},{units},{payer},{images}\n")
                written += 1
    return written


# Runs a command inside a Python that writes its own peak RSS (VmHWM) at exit: the rusage of a child counts the
# memory it shared with this process between fork and exec, VmHWM only the command's own.
_WRAP = """
import atexit, runpy, sys
out = sys.argv[1]
def hwm():
    try:
        for line in open('/proc/self/status'):
            if line.startswith('VmHWM:'):
                open(out, 'w').write(line.split()[1])
    except OSError:
        pass
atexit.register(hwm)
args = sys.argv[2:]
if args[0] == '-m':
    sys.argv = [args[1]] + args[2:]
    runpy.run_module(args[1], run_name='__main__', alter_sys=True)
else:
    sys.argv = ['-c'] + args[2:]
    exec(compile(args[1], '<bench>', 'exec'), {'__name__': '__main__'})
"""


def run_measured(cmd: list[str], stdin: Path | None = None, src: Path = ROOT) -> tuple[float, int, int, str]:
    """Run ``cmd`` (``python -m ...`` or ``python -c ...``) from the source tree ``src``; (wall seconds, peak RSS
    in bytes, exit status, stderr tail)."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(src))
    with tempfile.TemporaryDirectory() as tmp:
        hwm = Path(tmp) / "hwm"
        full = [cmd[0], "-c", _WRAP, str(hwm), *cmd[1:]]
        fin = stdin.open("rb") if stdin else subprocess.DEVNULL
        with tempfile.TemporaryFile() as err:
            t0 = time.perf_counter()
            proc = subprocess.Popen(full, cwd=src, env=env, stdin=fin, stdout=subprocess.DEVNULL, stderr=err)
            _, status, usage = os.wait4(proc.pid, 0)
            wall = time.perf_counter() - t0
            err.seek(0)
            tail = err.read().decode("utf-8", "replace")[-600:]
        if stdin:
            fin.close()  # type: ignore[union-attr]
        rss = int(hwm.read_text()) * 1024 if hwm.exists() and hwm.read_text().strip() else usage.ru_maxrss * 1024
    return wall, rss, os.waitstatus_to_exitcode(status), tail


CSV_BASELINE = ("import csv, sys\n"
                "n = sum(1 for _ in csv.reader(open(sys.argv[1], encoding='utf-8', newline='')))\n")
X12_READER_BASELINE = ("import sys, pyx12.x12file\n"
                       "n = sum(1 for _ in pyx12.x12file.X12Reader(open(sys.argv[1], encoding='ascii')))\n")
X12_VALIDATOR_BASELINE = ("import io, logging, sys, pyx12.params, pyx12.x12n_document\n"
                          "logging.getLogger('pyx12').propagate = False\n"
                          "pyx12.x12n_document.x12n_document(pyx12.params.ParamsBase(), sys.argv[1], io.StringIO(),"
                          " None)\n")


def row(label: str, wall: float, rss: int, lines: int, extra: str = "") -> str:
    return (f"  {label:<44} {wall:8.2f} s {lines / wall:11,.0f} lines/s  peak RSS {rss / 1e6:7.1f} MB"
            + (f"  {extra}" if extra else ""))


def window_check(claims: Path) -> None:
    """The 100,000-line CSV in the audit window (offscreen): notes hidden by default, export == rows shown."""
    import csv
    import io

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QLocale
    from PySide6.QtWidgets import QApplication

    from desktop.core.audit import NOTE_KINDS
    from desktop.core.data import load_builtin
    from desktop.ui.audit_dialog import AuditDialog

    app = QApplication.instance() or QApplication([])
    QLocale.setDefault(QLocale(QLocale.Language.English, QLocale.Country.UnitedStates))
    dlg = AuditDialog(load_builtin())
    done: list[object] = []
    dlg.audit_finished.connect(done.append)
    t0 = time.perf_counter()
    dlg.start(claims)
    while not done:
        app.processEvents()
        time.sleep(0.01)
    t_window = time.perf_counter() - t0
    report = dlg.report
    assert report is not None
    s = report.summary
    shown = dlg.visible_findings()
    inferred_shown = sum(1 for f in shown if f.kind == "modality_inferred")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "shown.csv"
        n = dlg.export(out, "csv")
        rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    same = [r["id"] for r in rows] == [f.finding_id for f in shown]
    print(f"window, 100,000-line CSV: audited in {t_window:.2f} s; {dlg.count_label.text()}")
    print(f"  findings before folding by severity: {s.unfolded_by_severity} (total {s.unfolded_findings:,})")
    print(f"  findings after folding by severity:  {s.by_severity} (total {s.findings:,}); "
          f"{s.notes_folded:,} notes in {sum(1 for f in report.findings if f.kind in NOTE_KINDS)} rows")
    print(f"  'modality inferred' rows shown by default: {inferred_shown}; CSV export {n:,} rows == rows shown "
          f"({len(shown):,}), same ids in the same order: {same}")
    dlg.deleteLater()


def single_claim(n: int) -> int:
    """One claim with ``n`` lines: finding text must not repeat per finding (issue 12: 10,000 lines took 1.5 GB
    when every finding repeated the whole expected-lines text)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "one-claim.csv"
        with path.open("w", encoding="utf-8") as fh:
            fh.write("claim_id,date_of_service,place_of_service,code,modifiers,units\n")
            for i in range(n):
                fh.write("BIG,2025-03-03,22," + ("64483,RT,1\n" if i % 2 == 0 else "77003,,1\n"))
        out = Path(tmp) / "report.json"
        wall, rss, code, err = run_measured([sys.executable, "-m", "desktop", "audit", str(path), "--out", str(out),
                                             "--format", "json"])
        report = json.loads(out.read_text(encoding="utf-8")) if out.exists() else {"findings": []}
        longest = max((len(f["message"]) + len(f["expected"]) + len(f["billed"]) for f in report["findings"]),
                      default=0)
        wall0, rss0, _, _ = run_measured([sys.executable, "-c", CSV_BASELINE, str(path)])
    print(f"one claim of {n:,} lines:")
    print(row("baseline: csv module reads every row", wall0, rss0, n))
    print(row("GuideCode audit CLI end to end", wall, rss, n,
              f"(exit {code}; {len(report['findings']):,} findings, longest text {longest:,} characters)"))
    if code not in (0, 1):
        print(err, file=sys.stderr)
    return 0 if code in (0, 1) else 1


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lines", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--formats", nargs="+", choices=("csv", "837p"), default=["csv", "837p"])
    ap.add_argument("--x12-validation", nargs="+", choices=("full", "envelope"), default=["full", "envelope"])
    ap.add_argument("--validator-max", type=int, default=100_000,
                    help="run pyx12's own validator as a baseline on 837P files up to this many lines")
    ap.add_argument("--window", action="store_true", help="also check the audit window on the 100,000-line CSV")
    ap.add_argument("--single-claim", type=int, default=0, metavar="N",
                    help="instead: time one claim of N lines (half 64483, half 77003, a facility claim)")
    ap.add_argument("--seed", type=int, default=6)
    ap.add_argument("--keep", type=Path, default=None, help="keep the generated files in this folder")
    ap.add_argument("--against", type=Path, default=None, metavar="SRC_DIR",
                    help="also run the CSV audit from this source tree (e.g. an export of the commit before a change)")
    ap.add_argument("--repeat", type=int, default=1, help="CSV audit runs per source tree, interleaved")
    args = ap.parse_args()

    from synth_837p import write_bench_file

    py = sys.executable
    if args.single_claim:
        return single_claim(args.single_claim)
    ok = True
    csv_rate: dict[int, float] = {}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = args.keep or Path(tmp_name)
        tmp.mkdir(parents=True, exist_ok=True)
        for n in args.lines:
            for fmt in args.formats:
                path = tmp / (f"claims-{n}.csv" if fmt == "csv" else f"claims-{n}.837")
                t0 = time.perf_counter()
                if fmt == "csv":
                    generate(path, n, args.seed)
                else:
                    write_bench_file(str(path), n, args.seed)
                size = path.stat().st_size / 1e6
                print(f"{fmt.upper()} {n:,} lines, {size:.1f} MB (generated in {time.perf_counter() - t0:.1f} s)")
                out = tmp / "report.csv"
                if fmt == "csv":
                    wall, rss, _, _ = run_measured([py, "-c", CSV_BASELINE, str(path)])
                    print(row("baseline: csv module reads every row", wall, rss, n))
                    trees = [("this tree", ROOT)] + ([("--against", args.against.resolve())] if args.against else [])
                    walls: dict[str, list[float]] = {name: [] for name, _ in trees}
                    for _ in range(max(1, args.repeat)):
                        for name, src in trees:
                            wall, rss, code, err = run_measured(
                                [py, "-m", "desktop", "audit", str(path), "--out", str(out)], src=src)
                            walls[name].append(wall)
                            verdict = ""
                            if name == "this tree" and n == 1_000_000:
                                good = wall <= 15.0 and rss <= 400e6
                                verdict = f"; target <= 15 s and <= 400 MB: {'OK' if good else 'OVER TARGET'}"
                                ok &= good
                            if name == "this tree" and n == 100_000:
                                verdict = f"; target <= 10 s: {'OK' if wall <= 10.0 else 'OVER TARGET'}"
                            label = "GuideCode audit CLI end to end" + ("" if name == "this tree" else
                                                                        f" ({name} {src.name})")
                            print(row(label, wall, rss, n, f"(exit {code}{verdict})"))
                            ok &= code in (0, 1) or name != "this tree"
                            if code not in (0, 1):
                                print(err, file=sys.stderr)
                    csv_rate[n] = n / min(walls["this tree"])
                    if args.against:
                        a, b = min(walls["this tree"]), min(walls["--against"])
                        print(f"  best of {len(walls['this tree'])}: this tree {a:.2f} s, --against {b:.2f} s "
                              f"({a / b:.2f}x)")
                    continue
                wall, rss, _, _ = run_measured([py, "-c", X12_READER_BASELINE, str(path)])
                print(row("baseline: pyx12 segment reader alone", wall, rss, n))
                if "full" in args.x12_validation and n <= args.validator_max:
                    wall, rss, _, _ = run_measured([py, "-c", X12_VALIDATOR_BASELINE, str(path)])
                    print(row("baseline: pyx12 validator (x12n_document)", wall, rss, n))
                for mode in args.x12_validation:
                    wall, rss, code, err = run_measured([py, "-m", "desktop", "audit", str(path), "--out", str(out),
                                                         "--x12-validation", mode])
                    share = (n / wall) / csv_rate[n] if n in csv_rate else None
                    note = f" = {share:.0%} of the CSV's (target >= 25%)" if share is not None else ""
                    print(row(f"GuideCode audit CLI, --x12-validation {mode}", wall, rss, n,
                              f"(exit {code}){note}"))
                    if code not in (0, 1):
                        print(err, file=sys.stderr)
                        ok = False
            if args.window and n == 100_000 and "csv" in args.formats:
                window_check(tmp / f"claims-{n}.csv")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
