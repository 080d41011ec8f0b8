"""``guidecode --self-test``: prove that this installation works, end to end, in a few seconds.

It runs inside the real executable (the frozen build in CI, the installed copy after a .deb / setup.exe /
.dmg install) and checks, in order:

1. the bundled ``resources/`` folder is where :mod:`desktop.paths` says it is, with the data and icons;
2. all rule data loads and validates (the built-in data, plus the data packs in ``--data-dir``); in a
   frozen build the bundled catalog cache (desktop/core/catalog_cache.py) must equal a fresh parse;
3. known encounters resolve to their known answers through the real engine, entered through the same
   JSON contract as ``guidecode resolve`` (64405 + fluoroscopy -> 77002; 62323 + fluoroscopy -> guidance
   included, no line);
4. the real main window is built (offscreen unless ``QT_QPA_PLATFORM`` says otherwise), painted, and the
   same encounters are entered through it the way a coder does (type the code in the search box, Enter,
   pick the modality); the lines it displays must equal the engine's;
5. the window's one-page summary is written as PDF (Qt's print support is in the bundle).

It prints one line, ``SELFTEST ok ...`` on stdout (exit 0) or ``SELFTEST FAIL: <what>`` on stderr
(exit 1). A windowed Windows build has no stdout at all, so when ``GUIDECODE_SELFTEST_OUT`` names a file
the same line is appended there too (CI reads it). User settings are never touched: the window gets a
throw-away settings file.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from desktop import __version__
from desktop.core.model import Modality

ENV_REPORT_FILE = "GUIDECODE_SELFTEST_OUT"


class SelfTestFailure(Exception):
    """One check failed; the message says which and what was seen."""


@dataclass(frozen=True)
class KnownCase:
    """An encounter with one procedure whose answer is settled in the sources (see resources/data)."""

    label: str
    code: str
    modality: Modality
    lines: tuple[str, ...]      # guidance codes billed, in order ("" -> none)
    state: str                  # the procedure's guidance state


KNOWN_CASES = (
    KnownCase("64405 + fluoroscopy", "64405", "fluoroscopy", ("77002",), "separate"),
    KnownCase("62323 + fluoroscopy", "62323", "fluoroscopy", (), "included"),
)


def _check(ok: bool, message: str) -> None:
    if not ok:
        raise SelfTestFailure(message)


def _service_date(catalog: Any) -> date:
    """A date the data covers: today, or the last day of the data's code-set year if today is later."""
    return min(date.today(), date(catalog.code_set_year, 12, 31))


def check_resources() -> Path:
    from desktop.paths import builtin_data_dir, resource, resources_dir

    root = resources_dir()
    _check(root.is_dir(), f"resources folder missing: {root}")
    _check((builtin_data_dir() / "manifest.yaml").is_file(), f"data manifest missing under {builtin_data_dir()}")
    icon = resource("icons/guidecode-256.png")
    _check(icon.is_file(), f"application icon missing: {icon}")
    return root


def load_data(data_dir: Path | None) -> tuple[Any, Any]:
    """(built-in catalog, catalog with the data packs in ``data_dir``); raises SelfTestFailure."""
    from desktop.commands.common import load_catalog
    from desktop.core.data import load_builtin
    from desktop.core.loader import DataError

    try:
        builtin = load_builtin()
        effective = load_catalog(data_dir) if data_dir is not None else builtin
    except DataError as exc:
        raise SelfTestFailure(f"the data does not load: {exc}") from exc
    except SystemExit as exc:       # load_catalog refuses an option this build cannot honour
        raise SelfTestFailure(f"the data packs in {data_dir} cannot be loaded (exit {exc.code})") from exc
    _check(len(builtin.records) > 0, "the built-in data has no code records")
    return builtin, effective


def check_catalog_cache(builtin: Any) -> str:
    """A bundled catalog cache (frozen builds) must equal a fresh parse of the bundled data."""
    from desktop.core import catalog_cache
    from desktop.core.loader import load_folder
    from desktop.paths import builtin_data_dir, resource

    cache = resource(catalog_cache.CACHE_RESOURCE)
    if not cache.is_file():
        return "no catalog cache"
    data_dir = builtin_data_dir()
    _check(catalog_cache.load(cache, data_dir) is not None,
           f"the bundled catalog cache {cache} is stale or unreadable (it does not match the bundled data)")
    _check(load_folder(data_dir) == builtin, "the bundled catalog cache differs from a fresh parse of the data")
    return "catalog cache verified"


def check_engine(catalog: Any, when: date) -> list[str]:
    """Resolve every known case through the JSON contract and the engine; returns a summary per case."""
    from desktop.core.encounter_json import parse_encounter
    from desktop.core.engine import resolve

    out = []
    for case in KNOWN_CASES:
        _check(catalog.get(case.code) is not None, f"{case.label}: {case.code} is not in the data")
        enc = parse_encounter({"date_of_service": when.isoformat(), "setting": "office", "payer": "other",
                               "modality": case.modality, "procedures": [{"code": case.code}]}, today=when)
        res = resolve(catalog, enc)
        got_lines = tuple(line.code for line in res.guidance_lines)
        _check(got_lines == case.lines, f"{case.label}: engine billed {list(got_lines) or 'nothing'}, "
               f"expected {list(case.lines) or 'nothing'}")
        state = res.procedures[0].state if res.procedures else "no result"
        _check(state == case.state, f"{case.label}: engine says {state!r}, expected {case.state!r}")
        errors = [m.text for m in res.messages if m.severity == "error"]
        _check(not errors, f"{case.label}: engine reported errors: {errors}")
        out.append(f"{case.code}\u2192{'+'.join(case.lines) or case.state}")
    return out


def _application() -> Any:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if app is None:
        app = QApplication([sys.argv[0] if sys.argv else "guidecode"])
    return app


def check_window(catalog: Any, when: date, workdir: Path) -> str:
    """Build and paint the real MainWindow and enter every known case through its widgets."""
    from desktop.core.engine import resolve

    app = _application()
    from PySide6.QtCore import QCoreApplication

    from desktop.ui.main_window import MainWindow
    from desktop.ui.settings import Settings

    window = MainWindow(catalog, Settings.at(workdir / "selftest-settings.ini"))
    try:
        window.show()
        QCoreApplication.processEvents()
        pixmap = window.grab()
        _check(not pixmap.isNull() and pixmap.width() > 0, "the main window could not be painted")
        _check(not window.windowIcon().isNull(), "the main window has no icon (resources/icons not bundled?)")
        window.set_date(when)
        window.set_setting("office")
        window.set_payer("other")
        for case in KNOWN_CASES:
            window.clear_encounter()
            window.set_modality(case.modality)
            window.search.search_edit.setText(case.code)          # what typing does: textChanged -> filter
            QCoreApplication.processEvents()
            rec = window.highlighted_record()
            _check(rec is not None and rec.code == case.code,
                   f"window: typing {case.code} highlights {getattr(rec, 'code', 'nothing')}")
            window.add_highlighted()                        # what Enter does
            QCoreApplication.processEvents()
            enc = window.encounter()
            _check([p.code for p in enc.procedures] == [case.code],
                   f"window: the encounter holds {[p.code for p in enc.procedures]}, expected [{case.code}]")
            expected = [line.display for line in resolve(catalog, enc).guidance_lines]
            shown = window.displayed_lines()
            _check(shown == expected, f"{case.label}: window shows {shown}, engine gives {expected}")
            _check([s.split(" ")[0].split("-")[0] for s in shown] == list(case.lines),
                   f"{case.label}: window shows {shown or 'no line'}, expected {list(case.lines) or 'no line'}")
            if case.state == "included":
                text = window.answer_text()
                _check(f"included in {case.code}" in text,
                       f"{case.label}: the answer panel does not say the guidance is included:\n{text}")
        pdf = window.save_pdf(workdir / "selftest-summary.pdf")
        head = pdf.read_bytes()[:5] if pdf.is_file() else b""
        _check(head == b"%PDF-" and pdf.stat().st_size > 1000, f"the summary PDF was not written ({pdf})")
        platform = app.platformName()
    finally:
        window.close()
        window.deleteLater()
        QCoreApplication.processEvents()
    return str(platform)


def _emit(line: str, *, error: bool) -> None:
    stream = sys.stderr if error else sys.stdout
    if stream is not None:
        print(line, file=stream, flush=True)
    report = os.environ.get(ENV_REPORT_FILE)
    if report:
        try:
            with open(report, "a", encoding="utf-8") as fh:
                fh.write(line + "\n")
        except OSError:
            pass


def close_splash() -> None:
    """The portable onefile build shows PyInstaller's splash while it unpacks; the self-test needs none."""
    if "_PYI_SPLASH_IPC" in os.environ:  # set by the bootloader only when a splash screen is up
        import pyi_splash  # type: ignore[import-untyped]  # only inside a --splash build

        pyi_splash.close()


def run_self_test(data_dir: Path | None = None) -> int:
    """Run every check; print one line; 0 if all passed, 1 otherwise."""
    t0 = time.perf_counter()
    close_splash()
    try:
        check_resources()
        builtin, effective = load_data(data_dir)
        cache_note = check_catalog_cache(builtin)
        when = _service_date(builtin)
        cases = check_engine(builtin, when)
        with tempfile.TemporaryDirectory(prefix="guidecode-selftest-") as tmp:
            platform = check_window(builtin, when, Path(tmp))
    except SelfTestFailure as exc:
        _emit(f"SELFTEST FAIL: {exc}", error=True)
        return 1
    except Exception as exc:  # noqa: BLE001 - a crash is a failed self-test, with its traceback
        if sys.stderr is not None:
            traceback.print_exc()
        _emit(f"SELFTEST FAIL: {type(exc).__name__}: {exc}", error=True)
        return 1
    packs = f", {len(effective.packs) - 1} data pack(s)" if effective is not builtin else ""
    frozen = "frozen" if getattr(sys, "frozen", False) else "source"
    _emit(f"SELFTEST ok: GuideCode {__version__}, data {builtin.data_version} ({len(builtin.records)} codes"
          f"{packs}, {cache_note}); engine and window: {', '.join(cases)}; summary PDF written; {platform}, {frozen}, "
          f"{time.perf_counter() - t0:.2f} s", error=False)
    return 0
