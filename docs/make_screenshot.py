"""Regenerate the window's screenshots: the real GuideCode window with a worked example.

Run under a real X server (not the offscreen plugin), from the repository root:

    xvfb-run -a -s "-screen 0 1920x1080x24" .venv/bin/python docs/make_screenshot.py            # README
    xvfb-run -a -s "-screen 0 1920x1080x24" .venv/bin/python docs/make_screenshot.py --all      # every one

``--all`` writes, each in its own process (the scale factor is read once, when Qt starts):

- ``docs/screenshot.png``: the README picture (1380x860);
- ``docs/screenshot-1024x700.png``: the smallest supported window, with a deleted code (errors first);
- ``docs/screenshot-1920x1080-scale150.png``: a 1920x1080 screen at 150 % (``QT_SCALE_FACTOR=1.5``, a
  1280x720 logical window);
- ``docs/screenshot-dark.png``: a dark palette (Fusion), bilateral transforaminal injections.

The examples: ``worked`` 64405 (occipital nerve block) + 62281 cervical + 62282 lumbar, fluoroscopy, ASC,
Medicare; ``deleted`` 64405 + 62311 (deleted 2017) + 64483; ``bilateral`` 64483 and 64484 bilateral, ASC,
Medicare. Settings and saved work go to a temporary folder, never the user's.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SHOTS = [
    ("screenshot.png", ["--size", "1380x860", "--example", "worked"]),
    ("screenshot-1024x700.png", ["--size", "1024x700", "--example", "deleted"]),
    ("screenshot-1920x1080-scale150.png", ["--size", "1280x720", "--example", "worked", "--scale", "1.5"]),
    ("screenshot-dark.png", ["--size", "1280x800", "--example", "bilateral", "--dark"]),
]


def dark_palette():  # type: ignore[no-untyped-def]
    from PySide6.QtGui import QColor, QPalette

    p = QPalette()
    colours = {
        QPalette.ColorRole.Window: "#202124", QPalette.ColorRole.WindowText: "#E8EAED",
        QPalette.ColorRole.Base: "#2B2C2F", QPalette.ColorRole.AlternateBase: "#323336",
        QPalette.ColorRole.Text: "#E8EAED", QPalette.ColorRole.Button: "#303134",
        QPalette.ColorRole.ButtonText: "#E8EAED", QPalette.ColorRole.Highlight: "#3B78E7",
        QPalette.ColorRole.HighlightedText: "#FFFFFF", QPalette.ColorRole.ToolTipBase: "#303134",
        QPalette.ColorRole.ToolTipText: "#E8EAED", QPalette.ColorRole.PlaceholderText: "#9AA0A6",
        QPalette.ColorRole.Link: "#8AB4F8", QPalette.ColorRole.BrightText: "#FFFFFF",
        QPalette.ColorRole.Light: "#3C4043", QPalette.ColorRole.Midlight: "#35363A",
        QPalette.ColorRole.Mid: "#2A2B2E", QPalette.ColorRole.Dark: "#18191B", QPalette.ColorRole.Shadow: "#000000",
    }
    for role, colour in colours.items():
        p.setColor(role, QColor(colour))
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.WindowText, QPalette.ColorRole.ButtonText):
        p.setColor(QPalette.ColorGroup.Disabled, role, QColor("#7F8389"))
    return p


def take(args: argparse.Namespace) -> int:
    if args.scale:
        os.environ["QT_SCALE_FACTOR"] = args.scale
    from PySide6.QtCore import QCoreApplication, Qt
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from desktop import APP_NAME, ORG_NAME

    QCoreApplication.setOrganizationName(ORG_NAME)
    QCoreApplication.setApplicationName(APP_NAME)
    app = QApplication(sys.argv[:1] + (["-style", "Fusion"] if args.dark else []))
    if args.dark:
        app.setPalette(dark_palette())
    if QGuiApplication.platformName() in ("offscreen", "minimal"):
        print("warning: not a real display; run under xvfb-run for the documented screenshot", file=sys.stderr)

    from desktop.core.data import load_builtin
    from desktop.core.saved_work import WorkStore
    from desktop.ui.main_window import MainWindow
    from desktop.ui.settings import Settings

    with tempfile.TemporaryDirectory() as tmp:
        window = MainWindow(load_builtin(), Settings.at(Path(tmp) / "screenshot.ini"), store=WorkStore(Path(tmp)))
        width, height = (int(v) for v in args.size.split("x"))
        window.resize(width, height)
        window.move(0, 0)
        window.show()
        QTest.qWaitForWindowExposed(window)
        window.finish_startup()
        window.set_date(date.fromisoformat(args.date))
        window.set_setting("asc")
        window.set_payer("medicare")
        window.set_modality("fluoroscopy")
        examples = {
            "worked": [("occipital", None, None), ("62281", "cervical", None), ("62282", "lumbar", None)],
            "deleted": [("64405", None, None), ("62311", None, None), ("64483", None, None)],
            "bilateral": [("64483", None, "bilateral"), ("64484", None, "bilateral")],
        }
        # Drive it as a coder would: type, Enter, tick.
        for query, region, side in examples[args.example]:
            window.focus_search()
            QTest.keyClicks(window.search.search_edit, query)
            QTest.keyClick(window.search.search_edit, Qt.Key.Key_Return)
            if region is not None:
                window.set_region(region, True)
            if side is not None:
                window.set_laterality(side)
        window.focus_search()
        QTest.keyClicks(window.search.search_edit, "644")
        window.select_procedure(1 if args.example == "deleted" else 2 if args.example == "worked" else 0)
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
        print(f"{args.out.name}: {shot.width()}x{shot.height()} px, window {window.width()}x{window.height()} "
              f"logical, minimum {window.minimumSizeHint().width()}x{window.minimumSizeHint().height()}, on "
              f"{QGuiApplication.platformName()}; lines: {', '.join(window.displayed_lines()) or 'none'}")
        window.close()
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshot.png")
    parser.add_argument("--size", default="1380x860", help="window size WxH in logical pixels (default 1380x860)")
    parser.add_argument("--date", default="2026-03-16", help="date of service (default 2026-03-16)")
    parser.add_argument("--example", choices=("worked", "deleted", "bilateral"), default="worked")
    parser.add_argument("--scale", default="", help="QT_SCALE_FACTOR, e.g. 1.5")
    parser.add_argument("--dark", action="store_true", help="a dark palette (Fusion style)")
    parser.add_argument("--all", action="store_true", help="write every screenshot of docs/ (see above)")
    args = parser.parse_args()
    if not args.all:
        return take(args)
    status = 0
    for name, extra in SHOTS:
        cmd = [sys.executable, __file__, "--out", str(ROOT / "docs" / name), "--date", args.date, *extra]
        status |= subprocess.run(cmd, check=False).returncode
    return status


if __name__ == "__main__":
    sys.exit(main())
