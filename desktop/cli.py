"""Command-line interface: ``resolve`` and the global options; the window when no command is given.

Exit statuses: 0 resolved (warnings allowed), 1 an error message in the answer (unknown or deleted code),
2 the input is not valid (bad JSON, unknown field, wrong type, bad option) — always with one clear line
on stderr and never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import json
import re
import sys
from collections.abc import Collection, Sequence
from datetime import date
from pathlib import Path

from desktop import __version__
from desktop.commands.common import EXIT_ERRORS, EXIT_OK, EXIT_USAGE, load_catalog


class _Parser(argparse.ArgumentParser):
    """argparse that prints one line and exits 2 on a usage error."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see --help)\n")


def _fail(message: str, status: int = EXIT_USAGE) -> int:
    print(f"guidecode: {message}", file=sys.stderr)
    return status


MAX_INDENT = 16


def _indent(text: str) -> int:
    """``--indent``: a whole number from 0 to MAX_INDENT (argparse turns the error into one usage line)."""
    if not re.fullmatch(r"[0-9]{1,3}", text.strip()) or not 0 <= int(text) <= MAX_INDENT:
        raise argparse.ArgumentTypeError(f"must be a whole number from 0 to {MAX_INDENT}, got {text[:20]!r}")
    return int(text)


def build_parser(wanted: Collection[str] | None = None) -> argparse.ArgumentParser:
    """The command-line parser. ``wanted``: the words of the command line, so that only the command
    modules named there are imported (None imports them all, e.g. for --help)."""
    parser = _Parser(prog="guidecode", description="GuideCode: which imaging-guidance code to bill, if any.")
    parser.add_argument("--version", action="store_true", help="print the app and data versions and exit")
    parser.add_argument("--self-test", action="store_true",
                        help="load all data, build the window offscreen, resolve known encounters, exit 0/1")
    parser.add_argument("--data-dir", type=Path, default=None,
                        help="folder of data packs to apply on top of the built-in data")
    parser.add_argument("--no-error-dialogs", action="store_true",
                        help="never show an error dialog (for scripts and CI); errors go to the log")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    p = sub.add_parser("resolve", help="resolve one encounter given as JSON (a file or - for stdin)")
    p.add_argument("file", help="JSON file with one encounter, or - to read standard input")
    p.add_argument("--data-dir", type=Path, default=argparse.SUPPRESS,
                   help="folder of data packs to apply on top of the built-in data")
    p.add_argument("--indent", type=_indent, default=2, metavar="N",
                   help=f"JSON indentation, 0 to {MAX_INDENT} (0: one line; default 2)")
    for name, (module, help_text) in COMMAND_MODULES.items():
        if wanted is None or name in wanted:
            importlib.import_module(module).register(sub)
        else:  # listed in --help, imported only when used: opening the window stays fast
            sub.add_parser(name, help=help_text, add_help=False)
    return parser


# Commands that live in their own modules; each has ``register(subparsers)`` setting ``run=``.
COMMAND_MODULES: dict[str, tuple[str, str]] = {
    "validate-pack": ("desktop.commands.validate_pack", "check a data pack folder; print every problem, exit 0/1"),
    "audit": ("desktop.commands.audit", "check a claims CSV file for imaging-guidance errors"),
    "import-pack": ("desktop.commands.import_pack", "install a data pack into the user data folder"),
    "coverage": ("desktop.commands.coverage",
                 "report per code family: codes, rules by confidence, unconfirmed points, sources"),
    "import-ncci": ("desktop.commands.import_ncci", "import CMS's quarterly NCCI PTP and MUE files as a data pack"),
}


def cmd_resolve(ns: argparse.Namespace) -> int:
    from desktop.core.encounter_json import MAX_INPUT_BYTES, EncounterError, parse_encounter_text, resolution_to_json
    from desktop.core.engine import resolve
    from desktop.core.loader import DataError
    from desktop.core.safefile import read_regular, read_stream

    try:  # at most MAX_INPUT_BYTES, read in bounded chunks: `resolve /dev/zero` or an endless pipe ends cleanly
        if ns.file == "-":
            stdin = getattr(sys.stdin, "buffer", None)
            if stdin is None:
                return _fail("cannot read standard input: there is none")
            raw = read_stream(stdin, MAX_INPUT_BYTES)
        else:
            raw = read_regular(Path(ns.file), MAX_INPUT_BYTES, allow_pipe=True)
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return _fail(f"cannot read {ns.file}: it is not UTF-8 text (byte {exc.start})")
    except OSError as exc:
        return _fail(f"cannot read {ns.file}: {exc.strerror or exc}")
    try:
        encounter = parse_encounter_text(text, today=date.today())
    except EncounterError as exc:
        return _fail(f"invalid encounter: {exc}")
    try:
        catalog = load_catalog(ns.data_dir)
    except DataError as exc:
        return _fail(f"the built-in data is broken: {exc}", EXIT_ERRORS)
    resolution = resolve(catalog, encounter)
    indent = ns.indent if ns.indent > 0 else None
    print(json.dumps(resolution_to_json(resolution), indent=indent, ensure_ascii=False))
    return EXIT_ERRORS if resolution.has_errors else EXIT_OK


def cmd_version() -> int:
    from desktop.core.loader import DataError

    try:
        catalog = load_catalog(None)
        data = f"data {catalog.data_version} (code set {catalog.code_set_year})"
    except DataError as exc:
        data = f"data unavailable ({exc})"
    print(f"GuideCode {__version__}, {data}")
    return EXIT_OK


# Qt's own command-line options (QGuiApplication / QApplication), passed through to QApplication untouched:
# those taking a value (``-style Fusion`` or ``-style=Fusion``) and those without one.
QT_VALUE_OPTIONS = frozenset({
    "-platform", "-platformpluginpath", "-platformtheme", "-plugin", "-qwindowgeometry", "-qwindowicon",
    "-qwindowtitle", "-style", "-stylesheet", "-session", "-display", "-geometry", "-name", "-title",
    "-icon", "-visual", "-ncols", "-cmap", "-qmljsdebugger",
})
QT_FLAG_OPTIONS = frozenset({"-reverse", "-widgetcount", "-nograb", "-dograb", "-sync", "-testability"})


def _qt_option(words: Sequence[str], i: int) -> int:
    """How many words at ``words[i]`` are one Qt option (with its value), or 0 if it is not one. Qt takes a
    leading ``--`` as ``-`` too."""
    word = words[i]
    name = word[1:] if word.startswith("--") else word
    head, eq, value = name.partition("=")
    if head in QT_VALUE_OPTIONS:
        if eq:
            return 1 if value else 0
        return 2 if i + 1 < len(words) and words[i + 1] and not words[i + 1].startswith("-") else 0
    return 1 if not eq and head in QT_FLAG_OPTIONS else 0


def _plain_gui_start(words: Sequence[str]) -> tuple[Path | None, bool, list[str]] | None:
    """``(data_dir, no_error_dialogs, qt_args)`` when the command line only opens the window (nothing, or only
    ``--no-error-dialogs`` and ``--data-dir DIR`` / ``--data-dir=DIR``, each at most once, spelled out in
    full, and Qt's own options such as ``-style Fusion``), so the usual start skips building the parser; None
    for anything else, which argparse handles."""
    data_dir: Path | None = None
    no_dialogs = False
    qt_args: list[str] = []
    seen: set[str] = set()
    i = 0
    while i < len(words):
        word = words[i]
        qt = _qt_option(words, i)
        if qt:
            qt_args += words[i:i + qt]
            i += qt
            continue
        if word == "--no-error-dialogs":
            option, value = word, None
        elif word == "--data-dir" and i + 1 < len(words):
            option, value = word, words[i + 1]
            i += 1
        elif word.startswith("--data-dir="):
            option, value = "--data-dir", word[len("--data-dir="):]
        else:
            return None
        if option in seen or (value is not None and (not value or value.startswith("-"))):
            return None
        seen.add(option)
        if value is None:
            no_dialogs = True
        else:
            data_dir = Path(value)
        i += 1
    return data_dir, no_dialogs, qt_args


def _run_gui(data_dir: Path | None, no_error_dialogs: bool, qt_args: Sequence[str] = ()) -> int:
    gui = importlib.import_module("desktop.ui.main")
    return int(gui.run_gui(data_dir=data_dir, error_dialogs=not no_error_dialogs, qt_args=list(qt_args)))


def dispatch(argv: Sequence[str]) -> int:
    words = list(argv)
    plain = _plain_gui_start(words)
    if plain is not None:  # the window with at most --data-dir/--no-error-dialogs and Qt's options: no parser
        return _run_gui(*plain)
    parser = build_parser(None if {"-h", "--help"} & set(words) else words)
    try:
        ns = parser.parse_args(list(argv))
    except SystemExit as exc:  # --help or a usage error: argparse has printed its line
        return int(exc.code or 0) if not isinstance(exc.code, str) else EXIT_USAGE
    if ns.version:
        return cmd_version()
    if ns.self_test:
        return int(importlib.import_module("desktop.selftest").run_self_test(data_dir=ns.data_dir))
    if ns.command == "resolve":
        return cmd_resolve(ns)
    if ns.command is not None:
        return int(ns.run(ns))
    return _run_gui(ns.data_dir, ns.no_error_dialogs)
