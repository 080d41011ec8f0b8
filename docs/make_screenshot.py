"""Regenerate docs/screenshot.png: the real GuideCode window with a worked example.

Run under a real X server (not the offscreen plugin), from the repository root:

    xvfb-run -a -s "-screen 0 1400x900x24" .venv/bin/python docs/make_screenshot.py

The example: 64405 (occipital nerve block) + 62281 with the cervical region ticked + 62282 with the lumbar
region ticked, fluoroscopy, ASC, Medicare. Settings go to a temporary file, never the user's.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from PySide6.QtCore import QCoreApplication, Qt  # noqa: E402
from PySide6.QtGui import QGuiApplication  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from desktop import APP_NAME, ORG_NAME  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshot.png")
    parser.add_argument("--size", default="1380x860", help="window size WxH (default 1380x860)")
    parser.add_argument("--date", default="2026-03-16", help="date of service (default 2026-03-16)")
    args = parser.parse_args()

    QCoreApplication.setOrganizationName(ORG_NAME)
    QCoreApplication.setApplicationName(APP_NAME)
    app = QApplication(sys.argv[:1])
    if QGuiApplication.platformName() in ("offscreen", "minimal"):
        print("warning: not a real display; run under xvfb-run for the documented screenshot", file=sys.stderr)

    from desktop.core.data import load_builtin
    from desktop.ui.main_window import MainWindow
    from desktop.ui.settings import Settings

    with tempfile.TemporaryDirectory() as tmp:
        window = MainWindow(load_builtin(), Settings.at(Path(tmp) / "screenshot.ini"))
        width, height = (int(v) for v in args.size.split("x"))
        window.resize(width, height)
        window.move(0, 0)
        window.show()
        QTest.qWaitForWindowExposed(window)
        window.set_date(date.fromisoformat(args.date))
        window.set_setting("asc")
        window.set_payer("medicare")
        window.set_modality("fluoroscopy")
        # Drive it as a coder would: type, Enter, tick.
        for query, region in (("occipital", None), ("62281", "cervical"), ("62282", "lumbar")):
            window.focus_search()
            QTest.keyClicks(window.search.search_edit, query)
            QTest.keyClick(window.search.search_edit, Qt.Key.Key_Return)
            if region is not None:
                window.set_region(region, True)
        window.focus_search()
        QTest.keyClicks(window.search.search_edit, "644")
        window.select_procedure(2)
        for _ in range(10):
            app.processEvents()
            QTest.qWait(30)
        shot = window.screen().grabWindow(window.winId())
        if shot.isNull() or shot.width() < 100:
            shot = window.grab()
        args.out.parent.mkdir(parents=True, exist_ok=True)
        if not shot.save(str(args.out)):
            print(f"could not write {args.out}", file=sys.stderr)
            return 1
        print(f"{args.out}: {shot.width()}x{shot.height()} on {QGuiApplication.platformName()}; "
              f"lines: {', '.join(window.displayed_lines())}")
        window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
