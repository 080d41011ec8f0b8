"""Fault table for the audit (issue 12, "Must show"): class × (tried, handled cleanly, failures) for audit CSV,
837P and patient data in the audit's output. Reproducible: every input is built here from a fixed seed.

"Handled cleanly" means, per class: the expected findings or refusal (one line, exit 2, no traceback), nothing
lost that the class promises to keep, no file changed that must not be, and no fake patient data in any file or
stream the audit writes. Anything else, including any uncaught exception, is a failure (listed after the table).

    .venv/bin/python bench/audit_faults.py [--fuzz 3000] [--seed 12]
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from desktop.core.audit import (  # noqa: E402
    AuditInputError,
    AuditOptions,
    ColumnsNotRecognised,
    audit_bytes,
    check_encoding,
    write_report,
)
from desktop.core.data import load_builtin  # noqa: E402

HEADER = "claim_id,date_of_service,place_of_service,code,modifiers,units"
ROWS = "A,2025-03-03,11,64483,,1\nA,2025-03-03,11,77003,,1\nB,2025-03-04,22,64405,,1\nB,2025-03-04,22,77002,,1\n"
EXPECTED = [("A", "guidance_included"), ("B", "missing_26")]
PHI = ("Zebulon Quixote", "QX99887766", "1931-07-04", "Marigold Fennimore", "MF55443322", "1947-12-25",
       "TESTPATIENT", "ZZ0000002A", "19410202", "1 TEST STREET")


class Table:
    def __init__(self) -> None:
        self.rows: dict[tuple[str, str], list[int]] = {}
        self.failures: list[str] = []

    def case(self, area: str, cls: str, fn: Callable[[], bool], label: str = "") -> None:
        r = self.rows.setdefault((area, cls), [0, 0, 0])
        r[0] += 1
        try:
            ok = fn()
        except Exception as exc:  # an uncaught exception is a failure of the audit, never of this script
            ok = False
            label = f"{label} raised {type(exc).__name__}: {exc}\n{traceback.format_exc(limit=3)}"
        if ok:
            r[1] += 1
        else:
            r[2] += 1
            self.failures.append(f"{area} / {cls}: {label}")

    def print(self) -> None:
        print("| Area | Class | Tried | Handled cleanly | Failures |")
        print("|---|---|---:|---:|---:|")
        for (area, cls), (t, h, f) in self.rows.items():
            print(f"| {area} | {cls} | {t:,} | {h:,} | {f:,} |")
        tot = [sum(v[i] for v in self.rows.values()) for i in range(3)]
        print(f"| **all** | | **{tot[0]:,}** | **{tot[1]:,}** | **{tot[2]:,}** |")
        if self.failures:
            print("\nFailures:")
            for f in self.failures[:50]:
                print(" -", f)


def cli(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "desktop", "audit", *args], input=stdin, capture_output=True,
                          cwd=ROOT, env=env, timeout=600, check=False)


def one_line_refusal(p: subprocess.CompletedProcess[bytes]) -> bool:
    return (p.returncode == 2 and b"Traceback" not in p.stderr and len(p.stderr.strip().splitlines()) == 1
            and not p.stdout)


# Findings about the whole audit rather than a claim: the rows are dated 2025, outside the quarter of the
# built-in NCCI tables (2024Q3), which the audit says once (GC-A35). The faults here are about reading.
AUDIT_WIDE = frozenset({"malformed_row", "ncci_outside_quarter"})


def pairs(report) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    return [(f.claim_id, f.kind) for f in report.findings if f.kind not in AUDIT_WIDE]


def no_phi(*texts: str) -> bool:
    return not any(p in t for t in texts for p in PHI)


def main() -> int:  # noqa: C901 - one list of cases
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--fuzz", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=12)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    cat = load_builtin()
    t = Table()
    tmp = Path(tempfile.mkdtemp(prefix="audit-faults-"))
    t0 = time.perf_counter()

    # ---------------------------------------------------------------- audit CSV
    area = "audit CSV"
    for enc in ("utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be"):
        for nl in ("\n", "\r\n", "\r"):
            data = (HEADER + "\n" + ROWS).replace("\n", nl).encode(enc)
            t.case(area, "UTF-16/UTF-32 with or without BOM; LF/CRLF/CR-only", lambda d=data: pairs(
                audit_bytes(cat, d)) == EXPECTED, f"{enc} {nl!r}")
    for name in ("punycode", "idna", "rot13", "base64", "hex", "unicode_escape", "raw_unicode_escape", "utf-7",
                 "undefined", "no-such-codec", "../../etc", "\x00"):
        t.case(area, "--encoding name validated (library)", lambda n=name: _refuses(lambda: check_encoding(n)), name)
    cp = (HEADER + "\nCl\u00e9-1,2025-03-03,11,64483,,1\nCl\u00e9-1,2025-03-03,11,77003,,1\n").encode("cp1252")
    for name in ("punycode", "rot13", "nonsense"):
        t.case(area, "--encoding name validated (CLI, stdin)", lambda n=name: one_line_refusal(
            cli("-", "--encoding", n, stdin=cp)), name)
    t.case(area, "audit - honours --encoding", lambda: [f for f in json.loads(cli(
        "-", "--encoding", "cp1252", "--format", "json", stdin=cp).stdout)["findings"]
           if f["kind"] not in AUDIT_WIDE][0]["claim_id"] == "Cl\u00e9-1")
    t.case(area, "audit - honours --encoding", lambda: one_line_refusal(cli("-", stdin=cp)), "undeclared cp1252")
    for pos in range(2, 7):
        lines = (HEADER + "\n" + ROWS).splitlines()
        broken = lines[:pos] + ['Q,2025-03-05,11,"64405,,1'] + lines[pos:]
        text = "\n".join(broken) + "\n"

        def unterminated(text: str = text, at: int = len(lines[:pos]) + 1) -> bool:
            r = audit_bytes(cat, text.encode())
            bad = [f for f in r.findings if f.kind == "malformed_row"]
            return (pairs(r) == EXPECTED and len(bad) == 1 and bad[0].line == at and "never closed" in bad[0].message)
        t.case(area, "unterminated quote: its line reported, the rest read", unterminated,
               f"at line {len(lines[:pos]) + 1}")
    for blanks in ("\n", "\n\n", "  \n\t\n", "\r\n"):
        for delim in (",", ";", "\t", "|"):
            text = blanks + (HEADER + "\n" + ROWS).replace(",", delim)
            t.case(area, "blank leading lines before any header", lambda x=text: pairs(audit_bytes(cat, x.encode()))
                   == EXPECTED, f"{blanks!r} {delim!r}")
    for header in ("claim_id,date_of_service,place_of_service,code,code,units",
                   "claim_id,date_of_service,place_of_service,cpt,code,units",
                   "claim_id,date_of_service,place_of_service,hcpcs,procedure code,units",
                   "claim,encounter id,dos,pos,cpt", "claim_id,dos,date,pos,cpt", "claim_id,dos,pos,cpt,units,qty",
                   "claim_id,dos,pos,cpt,payer,insurance", "claim_id,DOS,dos,pos,cpt"):
        def ambiguous(h: str = header) -> bool:
            try:
                audit_bytes(cat, (h + "\nA,2025-03-03,11,64483,64483,1\n").encode())
            except ColumnsNotRecognised as exc:
                return bool(exc.ambiguous) and "(column" in str(exc)
            return False
        t.case(area, "duplicate or ambiguous headers refused, columns named", ambiguous, header)
    claims = tmp / "c.csv"
    claims.write_text(HEADER + "\n" + ROWS, encoding="utf-8")
    before = claims.read_bytes()
    link = tmp / "link.csv"
    link.symlink_to(claims)
    packs = tmp / "packs" / "p"
    packs.mkdir(parents=True)
    (packs / "pack.yaml").write_text("x: 1\n", encoding="utf-8")
    manifest = ROOT / "resources" / "data" / "manifest.yaml"
    for out, extra in ((claims, ()), (tmp / "." / "c.csv", ()), (link, ()), (manifest, ()),
                       (packs / "pack.yaml", ("--data-dir", str(tmp / "packs")))):
        def refused(out: Path = out, extra: tuple[str, ...] = extra) -> bool:
            was = out.read_bytes()
            p = cli(str(claims), "--out", str(out), *extra)
            return one_line_refusal(p) and b"a file the audit reads" in p.stderr and out.read_bytes() == was
        t.case(area, "--out equal to a file the audit reads refused", refused, str(out))
    t.case(area, "--out equal to a file the audit reads refused", lambda: claims.read_bytes() == before, "input kept")
    big = tmp / "big.csv"
    big.write_text(HEADER + "\n" + "".join(f"C{i},2025-03-03,11,64483,,1\nC{i},2025-03-03,11,77003,,1\n"
                                           for i in range(60_000)), encoding="utf-8")
    report_path = tmp / "r.csv"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(ROOT))
    # the report a run that is not killed writes (a kill that comes after the end must find exactly this)
    subprocess.run([sys.executable, "-m", "desktop", "audit", str(big), "--out", str(report_path)], cwd=ROOT, env=env,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=300)
    complete = report_path.read_text(encoding="utf-8-sig")
    assert complete.startswith("id,kind_id") and complete.count("\nGC-A01-") == 60_000, "uninterrupted audit"
    for i, delay in enumerate([0.2 + 0.25 * k for k in range(12)]):
        def killed(delay: float = delay, sig: int = signal.SIGKILL if i % 2 else signal.SIGTERM) -> bool:
            report_path.write_text("previous\n", encoding="utf-8")
            proc = subprocess.Popen([sys.executable, "-m", "desktop", "audit", str(big), "--out", str(report_path)],
                                    cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(delay)
            proc.send_signal(sig)
            proc.wait(timeout=120)
            text = report_path.read_text(encoding="utf-8-sig")
            whole = text in ("previous\n", complete)
            # SIGTERM: the command removes its temporary file; SIGKILL cannot be caught, and leaves at most a
            # ".tmp-" file beside the report, never a partial file under the report's name
            temps = [p for p in tmp.iterdir() if p.name.startswith(".tmp-r.csv")]
            for p in temps:
                p.unlink()
            return whole and (sig == signal.SIGKILL or not temps)
        t.case(area, "report killed mid-write: old or whole, never partial", killed, f"kill after {delay:.2f} s")
    rep = audit_bytes(cat, (HEADER + "\n" + ROWS * 200).encode())
    import desktop.core.audit.report as report_mod
    for fmt in ("csv", "json"):
        for at in (1, 50, 400):
            def full_disk(fmt: str = fmt, at: int = at) -> bool:
                folder = tmp / f"disk-{fmt}-{at}"
                folder.mkdir()
                out = folder / f"full.{fmt}"
                out.write_text("previous\n", encoding="utf-8")
                real = report_mod.finding_row
                real_json = report_mod.write_json
                calls = {"n": 0}

                def dying_row(f):  # type: ignore[no-untyped-def]
                    calls["n"] += 1
                    if calls["n"] == at:
                        raise OSError(28, "No space left on device")
                    return real(f)

                def dying_json(*a: object, **k: object) -> None:
                    raise OSError(28, "No space left on device")
                report_mod.finding_row = dying_row  # type: ignore[assignment]
                report_mod.write_json = dying_json  # type: ignore[assignment]
                try:
                    write_report(rep, out, fmt)
                    return False
                except OSError:
                    return out.read_text(encoding="utf-8") == "previous\n" and [p.name for p in folder.iterdir()] == [
                        out.name]
                finally:
                    report_mod.finding_row = real  # type: ignore[assignment]
                    report_mod.write_json = real_json  # type: ignore[assignment]
            t.case(area, "full disk while writing: previous report kept, no temp left", full_disk, f"{fmt} row {at}")
    for n in (1_000, 10_000, 50_000):
        def one_claim(n: int = n) -> bool:
            text = HEADER + "\n" + "".join("BIG,2025-03-03,22," + ("64483,RT,1\n" if i % 2 == 0 else "77003,,1\n")
                                           for i in range(n))
            r = audit_bytes(cat, text.encode())
            longest = max(len(f.message) + len(f.expected) + len(f.billed) for f in r.findings)
            per_line = [f for f in r.findings if f.kind == "guidance_included"]
            # besides one finding per guidance line: the audit-wide NCCI quarter warning and one MUE note
            return len(per_line) == n // 2 and len(r.findings) <= n // 2 + 2 and longest < 1000
        t.case(area, "one claim of many lines: text bounded per finding", one_claim, f"{n} lines")
    for size in (70_000, 1_000_000):
        t.case(area, "a line longer than 64 KiB", lambda s=size: pairs(audit_bytes(
            cat, (HEADER + ",note\nA,2025-03-03,11,64483,,1,x\nZ," + "y" * s + "\nA,2025-03-03,11,77003,,1,x\n")
            .encode())) == [("A", "guidance_included")], f"{size} characters")
    pool = ["", "A", "64405", "77003", "77002", "26", "59 XS", "2025-03-03", "11", "22", "3", "0", '"', '""', "\r",
            "\n", ",", ";", "\t", "\ufeff", "\x00", "2025-02-30", "62273", "ISA", "=1+1", "\ufffd", "é", "99999"]
    for i in range(args.fuzz):
        header = rng.choice([HEADER, HEADER + ",payer", HEADER.replace(",", ";"), "code,code", "x", "",
                             "claim,dos,pos,cpt,mod1,mod2"])
        rows = ["".join(rng.choice(pool) if rng.random() < 0.8 else chr(rng.randrange(1, 0x3000))
                        for _ in range(rng.randrange(0, 9))) for _ in range(rng.randrange(0, 12))]
        text = header + "\n" + "\n".join(",".join(r.split(",")) for r in rows)
        enc = rng.choice(["utf-8", "utf-16", "utf-16-le", "utf-32-be", "cp1252"])
        data = text.encode(enc, errors="replace") + bytes(rng.randrange(256) for _ in range(rng.randrange(0, 20)))

        def fuzz(data: bytes = data) -> bool:
            try:
                r = audit_bytes(cat, data)
            except AuditInputError as exc:
                return bool(str(exc)) and "\n" not in str(exc)
            buf = io.StringIO()
            from desktop.core.audit import write_csv, write_json
            write_csv(r.findings, buf, r.summary)
            write_json(r, io.StringIO())
            return len(list(csv.reader(io.StringIO(buf.getvalue())))) == len(r.findings) + 1
        t.case(area, f"fuzzed CSV bytes ({args.fuzz:,} seeded inputs)", fuzz, f"input {i}")

    # ---------------------------------------------------------------- 837P
    area = "audit 837P"
    import synth_837p as synth

    good = synth.interchange(synth.fixture_claims())
    t.case(area, "fixture accepted by pyx12's validator and audited", lambda: _pyx12_accepts(tmp, good) and pairs(
        audit_bytes(cat, good.encode())) == [
        ("X12-001", "guidance_included"), ("X12-003", "ncci_not_checked"), ("X12-003", "units_per_encounter"),
        ("X12-004", "missing_26"), ("X12-005", "redirect_primary")])
    for mode in (True, False):
        for name, text in synth.broken_variants().items():
            def broken(text: str = text, mode: bool = mode) -> bool:
                r = audit_bytes(cat, text.encode(), AuditOptions(x12_validate=mode))
                errs = [f for f in r.findings if f.kind in ("x12_error", "malformed_row") and f.claim_id != "X12-001"]
                return (bool(errs) and all("segment " in f.where for f in errs)
                        and ("X12-001", "guidance_included") in pairs(r))
            t.case(area, "broken file: pyx12's error with its segment, other claims audited", broken,
                   f"{name} validate={mode}")
    segs = good.split("~\n")
    for i in range(400):
        s = list(segs)
        op = rng.choice(["drop", "dup", "swap", "cut", "garble", "bytes", "element"])
        k = rng.randrange(3, len(s) - 2)
        if op == "drop":
            del s[k]
        elif op == "dup":
            s.insert(k, s[k])
        elif op == "swap":
            s[k], s[k + 1] = s[k + 1], s[k]
        elif op == "element":
            parts = s[k].split("*")
            parts[rng.randrange(len(parts))] = rng.choice(["", "X" * 90, "19XX0101", "ZZ", "-1", "1.5", "é"])
            s[k] = "*".join(parts)
        text = "~\n".join(s)
        if op == "cut":
            text = text[:rng.randrange(110, len(text))]
        elif op == "garble":
            j = rng.randrange(110, len(text))
            text = text[:j] + rng.choice(["~", "*", ":", "^", "\x00", "\r"]) + text[j:]
        data = text.encode("utf-8")
        if op == "bytes":
            j = rng.randrange(110, len(data))
            data = data[:j] + bytes(rng.randrange(256) for _ in range(8)) + data[j:]
        mode = bool(i % 2)

        def mutated(data: bytes = data, mode: bool = mode) -> bool:
            try:
                r = audit_bytes(cat, data, AuditOptions(x12_validate=mode))
            except AuditInputError as exc:
                return bool(str(exc)) and "\n" not in str(exc)
            return all(f.where for f in r.findings if f.kind == "x12_error")
        t.case(area, "mutated 837P (drop/dup/swap/cut/garble/bytes/element), both readers", mutated, f"{op} {i}")
    for text in (b"ISA*00*short~", b"ISA" + b"x" * 200, b"NOTX12", b"ISA*00*" + b"A" * 2_000_000):
        def not_x12(text: bytes = text) -> bool:
            try:
                r = audit_bytes(cat, text)
            except AuditInputError:
                return True
            return bool(r.findings) and all(f.kind in ("x12_error", "malformed_row") for f in r.findings)
        t.case(area, "not an interchange / no terminator", not_x12, repr(text[:12]))
    fx = ROOT / "tests" / "fixtures" / "x12" / "claims-837p.txt"
    t.case(area, "CLI detects 837P by content (stdin)", lambda: json.loads(cli("-", "--format", "json",
                                                                                stdin=fx.read_bytes()).stdout)
           ["summary"]["format"] == "837p")

    # ---------------------------------------------------------------- patient data
    area = "patient data in audit output"
    phi_csv = tmp / "phi.csv"
    phi_csv.write_text(
        "claim_id,patient_name,member_id,patient_dob,date_of_service,place_of_service,code,modifiers,units\n"
        "P1,Zebulon Quixote,QX99887766,1931-07-04,2025-03-03,11,64483,,1\n"
        "P1,Zebulon Quixote,QX99887766,1931-07-04,2025-03-03,11,77003,,1\n"
        "P2,Fennimore, Marigold,MF55443322,1947-12-25,2025-03-04,22,64405,,1\n"
        "P3,Marigold Fennimore,MF55443322,1947-12-25,2025-02-30,22,64405,,1\n"
        "P4,Marigold Fennimore,MF55443322,1947-12-25,2025-03-05,22,MF554,,1\n"
        "P5,Marigold Fennimore,MF55443322,1947-12-25,2025-03-05,22,64405,,Zebulon\n"
        "P6,Marigold Fennimore,MF55443322\n"
        '"P7,Marigold Fennimore,MF55443322,1947-12-25,2025-03-05,22,64405,,1\n', encoding="utf-8")
    phi_x12 = tmp / "phi.837"
    bad_dmg = good.replace("DMG*D8*19410202*F", "DMG*D8*19410202X*F").replace(
        "NM1*IL*1*TESTPATIENT*CHARLIE", "NM1*IL*1*TESTPATIENT" + "Q" * 70 + "*CHARLIE")
    phi_x12.write_text(bad_dmg, encoding="ascii")
    home = Path(tempfile.mkdtemp(prefix="audit-home-"))
    penv = dict(env, HOME=str(home), XDG_CONFIG_HOME=str(home / "cfg"), XDG_DATA_HOME=str(home / "data"),
                XDG_STATE_HOME=str(home / "state"), XDG_CACHE_HOME=str(home / "cache"),
                GUIDECODE_USER_DIR=str(home / "gc"))
    for src in (phi_csv, phi_x12):
        for fmt in ("csv", "json"):
            def file_out(src: Path = src, fmt: str = fmt) -> bool:
                out = tmp / f"out-{src.stem}.{fmt}"
                p = subprocess.run([sys.executable, "-m", "desktop", "audit", str(src), "--out", str(out), "--format",
                                    fmt], cwd=ROOT, env=penv, capture_output=True, timeout=300, check=False)
                return p.returncode == 1 and no_phi(out.read_text(encoding="utf-8-sig"), p.stdout.decode(),
                                                    p.stderr.decode())
            t.case(area, "CLI report file, summary and errors (fake PHI columns)", file_out, f"{src.name} {fmt}")

            def stdout_out(src: Path = src, fmt: str = fmt) -> bool:
                p = subprocess.run([sys.executable, "-m", "desktop", "audit", "-", "--format", fmt],
                                   input=src.read_bytes(), cwd=ROOT, env=penv, capture_output=True, timeout=300,
                                   check=False)
                return p.returncode == 1 and no_phi(p.stdout.decode(), p.stderr.decode())
            t.case(area, "CLI report on standard output (fake PHI columns)", stdout_out, f"{src.name} {fmt}")
    for src in (phi_csv, phi_x12):
        t.case(area, "window exports CSV/JSON/PDF, log and settings (fake PHI)", lambda s=src: _window_phi(
            cat, s, tmp, home), src.name)
    t.case(area, "files under the user's home after all runs", lambda: no_phi(*(
        p.read_bytes().decode("utf-8", "replace") for p in home.rglob("*") if p.is_file())))
    for i in range(300):
        name = rng.choice(PHI[:6])
        # patient values in the columns the audit uses (place of service, code, modifiers, units), or a bad date
        # that is a patient's (a valid date there is, by definition, the date of service)
        fields = [name, "11", rng.choice(["64483", name[:5], "", "644"]), rng.choice(["", name[:2], "26"]),
                  rng.choice(["1", name, "0", ""])]
        rng.shuffle(fields)
        when = rng.choice(["2025-03-03", name[:4] + "-13-45"] + ([] if name[:4].isdigit() else [name]))
        row = ["P9", fields[0], when, *fields[1:]]
        data = ("claim_id,patient,date_of_service,place_of_service,code,modifiers,units\n" + ",".join(row) +
                "\n").encode()

        def shifted(data: bytes = data) -> bool:
            try:
                r = audit_bytes(cat, data)
            except AuditInputError as exc:
                return no_phi(str(exc))
            buf = io.StringIO()
            from desktop.core.audit import write_csv
            write_csv(r.findings, buf, r.summary)
            return no_phi(buf.getvalue())
        t.case(area, "malformed rows with patient values in used columns: described", shifted, f"{i}")

    t.print()
    print(f"\n(run in {time.perf_counter() - t0:.0f} s, seed {args.seed})")
    return 1 if t.failures else 0


def _refuses(fn: Callable[[], object]) -> bool:
    try:
        fn()
    except AuditInputError:
        return True
    return False


def _pyx12_accepts(tmp: Path, text: str) -> bool:
    import logging

    import pyx12.params
    import pyx12.x12n_document

    logging.getLogger("pyx12").propagate = False
    path = tmp / "fixture.837"
    path.write_text(text, encoding="ascii")
    return bool(pyx12.x12n_document.x12n_document(pyx12.params.ParamsBase(), str(path), io.StringIO(), None))


def _window_phi(cat, src: Path, tmp: Path, home: Path) -> bool:  # type: ignore[no-untyped-def]
    from PySide6.QtWidgets import QApplication

    from desktop.ui.audit_dialog import AuditDialog
    from desktop.ui.settings import Settings

    app = QApplication.instance() or QApplication([])
    settings = Settings.at(home / "GuideCode.ini")
    dlg = AuditDialog(cat, settings=settings)
    done: list[object] = []
    dlg.audit_finished.connect(done.append)
    dlg.audit_failed.connect(done.append)
    dlg.start(src)
    while not done:
        app.processEvents()
        time.sleep(0.01)
    dlg.set_show_notes(True)
    texts = []
    for fmt in ("csv", "json", "pdf"):
        out = tmp / f"win-{src.stem}.{fmt}"
        dlg.export(out, fmt)
        if fmt == "pdf":
            texts.append(subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True,
                                        check=False).stdout)
        else:
            texts.append(out.read_text(encoding="utf-8-sig"))
    dlg.table.selectAll()
    texts.append(dlg.copy_selected())
    settings.sync()
    with contextlib.suppress(OSError):
        texts.append((home / "GuideCode.ini").read_text(encoding="utf-8"))
    dlg.deleteLater()
    return len(texts[0]) > 100 and no_phi(*texts)


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)  # without Qt's teardown of the window checks' objects at interpreter exit
