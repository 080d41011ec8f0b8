"""Regenerate docs/audit-report.png: the summary page of the audit's PDF report, rendered by pdftoppm.

The input is the 100,000-line synthetic benchmark file of bench/bench_audit.py (seed 6); the PDF is made the
way the audit window's Export → PDF report makes it (desktop/ui/audit_pdf.py, QPdfWriter). From the repository
root (needs poppler-utils' pdftoppm):

    QT_QPA_PLATFORM=offscreen .venv/bin/python docs/make_audit_report.py [--pdf keep.pdf]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pdf", type=Path, default=None, help="also keep the PDF here")
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "audit-report.png")
    args = ap.parse_args()

    from bench_audit import generate  # type: ignore[import-not-found]
    from PySide6.QtCore import QLocale
    from PySide6.QtWidgets import QApplication

    from desktop.core.audit import NOTE_KINDS, audit_file
    from desktop.core.data import load_builtin
    from desktop.ui.audit_pdf import write_pdf

    app = QApplication.instance() or QApplication([])
    QLocale.setDefault(QLocale(QLocale.Language.English, QLocale.Country.UnitedStates))
    catalog = load_builtin()
    with tempfile.TemporaryDirectory() as tmp:
        claims = Path(tmp) / "claims-100000.csv"
        generate(claims, 100_000, 6)
        report = audit_file(catalog, claims)
        shown = [f for f in report.findings if f.kind not in NOTE_KINDS]  # the window's default view
        pdf = args.pdf or Path(tmp) / "audit.pdf"
        write_pdf(pdf, report, shown, catalog,
                  shown_note=f"{len(shown):,} of {len(report.findings):,} findings (the rows shown; notes hidden)")
        stem = Path(tmp) / "page"
        subprocess.run(["pdftoppm", "-r", "110", "-f", "1", "-l", "1", "-png", "-singlefile", str(pdf), str(stem)],
                       check=True)
        args.out.write_bytes(stem.with_suffix(".png").read_bytes())
    print(f"wrote {args.out}")
    _ = app
    return 0


if __name__ == "__main__":
    sys.exit(main())
