"""Benchmark (not a test): audit throughput on a synthetic claims file (issue 6).

Generates N claim lines (default 100,000) with a realistic pain-practice mix into a temporary file: mostly
correctly billed encounters (epidurals, transforaminal and facet injections, RFA, SI joint, occipital blocks,
joint and trigger point injections with their guidance), office visits and drug lines GuideCode does not know,
and a share of the usual errors (77003 with imaging-inclusive codes, 77003 per level, 77003 for 77002, 76000,
missing 26, 20610 + 76942, second region without 59/XS) plus a few malformed rows. Then it times:

- reading and parsing the file (core, in process);
- the whole audit in process (parse + group + resolve + compare), lines per second;
- the command line end to end: ``python -m desktop audit FILE --out REPORT.csv`` as a subprocess.

Target: <= 10 s for 100,000 lines on the 2-core build machine.

    .venv/bin/python bench/bench_audit.py [--lines 100000] [--seed 6] [--keep FILE]
"""

from __future__ import annotations

import argparse
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

from desktop.core.audit import AuditOptions, audit_text, read_claims  # noqa: E402
from desktop.core.data import load_builtin  # noqa: E402

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


MIX: list[tuple[Maker, int]] = [
    (esi_lumbar, 14), (esi_cervical, 5), (tfesi, 12), (facet, 12), (rfa, 6), (si_joint, 5), (occipital, 6),
    (knee_fluoro, 4), (knee_us, 4), (trigger_us, 3), (blood_patch, 2), (two_regions, 1), (visit, 10),
    (err_included, 4), (err_per_level, 2), (err_wrong_fluoro, 2), (err_76000, 1), (err_missing_26, 2),
    (err_knee_us, 1), (err_no_59, 1),
]
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
        fh.write("claim_id,date_of_service,place_of_service,code,modifiers,units,payer\n")
        while written < n_lines:
            claim += 1
            maker = rng.choices(makers, weights)[0]
            pos = rng.choices(pos_codes, pos_w)[0]
            payer = "Medicare" if rng.random() < 0.45 else "Commercial"
            dos = f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
            lines = maker(rng, pos != "11")
            if rng.random() < 0.3:  # a drug or supply line on many injection claims
                lines.append((rng.choice(["J1030", "J3301", "J1100"]), "", str(rng.randint(1, 8))))
            for code, mods, units in lines:
                if written >= n_lines:
                    break
                if rng.random() < 0.001:  # a malformed row now and then
                    fh.write(f"CL{claim:07d},2025-02-30,{pos},{code},{mods},{units},{payer}\n")
                else:
                    fh.write(f"CL{claim:07d},{dos},{pos},{code},{mods},{units},{payer}\n")
                written += 1
    return written


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lines", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=6)
    ap.add_argument("--keep", type=Path, default=None, help="also copy the generated claims file here")
    args = ap.parse_args()

    catalog = load_builtin()
    with tempfile.TemporaryDirectory() as tmp:
        claims = Path(tmp) / "claims.csv"
        t0 = time.perf_counter()
        n = generate(claims, args.lines, args.seed)
        t_gen = time.perf_counter() - t0
        size_mb = claims.stat().st_size / 1e6
        if args.keep:
            args.keep.write_bytes(claims.read_bytes())

        text = claims.read_text(encoding="utf-8")
        t0 = time.perf_counter()
        good, bad, read = read_claims(text, AuditOptions())
        t_parse = time.perf_counter() - t0

        t0 = time.perf_counter()
        report = audit_text(catalog, text, AuditOptions())
        t_audit = time.perf_counter() - t0

        out = Path(tmp) / "report.csv"
        env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "desktop", "audit", str(claims), "--out", str(out)],
                              cwd=ROOT, env=env, capture_output=True, text=True, check=False)
        t_cli = time.perf_counter() - t0
        report_rows = max(0, len(out.read_text(encoding="utf-8-sig").splitlines()) - 1) if out.exists() else -1

    s = report.summary
    print(f"claims file: {n:,} lines, {size_mb:.1f} MB, {s.claims_checked:,} claims "
          f"({s.encounters_checked:,} encounters); generated in {t_gen:.2f} s")
    print(f"parse only (in process):  {t_parse:6.2f} s  {read / t_parse:10,.0f} lines/s  "
          f"({len(good):,} good, {len(bad):,} malformed)")
    print(f"audit (in process):       {t_audit:6.2f} s  {n / t_audit:10,.0f} lines/s  "
          f"({s.findings:,} findings: {s.by_severity})")
    print(f"CLI end to end:           {t_cli:6.2f} s  {n / t_cli:10,.0f} lines/s  "
          f"(exit {proc.returncode}, {report_rows:,} report rows)")
    print("findings by kind: " + ", ".join(f"{k} {v:,}" for k, v in s.by_kind.items()))
    target = 10.0 * args.lines / 100_000
    verdict = "OK" if t_cli <= target else "OVER TARGET"
    print(f"target <= {target:.1f} s for {args.lines:,} lines (CLI end to end): {verdict}")
    if proc.returncode not in (0, 1):
        print(proc.stderr, file=sys.stderr)
        return 1
    return 0 if t_cli <= target else 1


if __name__ == "__main__":
    sys.exit(main())
