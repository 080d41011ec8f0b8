"""Check the ``STARTUP {json}`` line of a frozen build started with ``GUIDECODE_EXIT_AFTER_PAINT=1``
(packaging/smoke_test.sh): it painted, from the bundled catalog cache, and left for after its first paint
everything start-up does not need (desktop/ui/main.py ``StartupFinisher``; the start-up time itself is
measured by packaging/bench_startup.py, never asserted).

    python3 packaging/check_first_paint.py OUTPUT_FILE
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

# Not imported before the first paint of a frozen build. tests/test_startup.py checks the same for a run
# from source, which parses the YAML (no cache) and so cannot check yaml, pickle or hashlib.
NOT_BEFORE_FIRST_PAINT = (
    "yaml",                           # the bundled catalog cache is used (desktop/core/catalog_cache.py),
    "desktop.core.loader",            # so neither the YAML loader
    "desktop.core.schema", "desktop.core.yamlsrc", "difflib",  # nor the strict reader (schema_keys is enough)
    "desktop.core.packs.reading",     # nor pack reading is imported when no pack is installed
    "desktop.core.packs.merge", "desktop.core.packs.install",
    "pickle",                         # read with the C unpickler alone
    "hashlib",                        # desktop/core/sha.py
    "logging.handlers", "socket",     # desktop/app_logging.py SizeRotatingFileHandler
    "platform", "html", "uuid", "csv",
    "desktop.ui.descriptors_dialog", "desktop.core.descriptors",
    "desktop.ui.packs_dialog", "desktop.ui.audit_dialog", "desktop.core.audit", "desktop.ui.about",
    "desktop.ui.error_dialog", "desktop.commands.audit", "desktop.commands.validate_pack",
    "desktop.commands.import_ncci", "desktop.ui.ncci_import", "desktop.core.ncci.importer", "desktop.core.ncci.cms",
    "desktop.core.ncci_install",
    "desktop.core.saved_work", "desktop.core.atomicfile", "desktop.ui.source_dialog", "desktop.ui.help",
    "desktop.ui.list_paint", "PySide6.QtPrintSupport",
    "pyx12", "defusedxml", "desktop.core.audit.x12",  # the 837P reader: only when an 837P file is audited
    "xml.etree.ElementTree",
)


def main(argv: list[str]) -> int:
    text = Path(argv[1]).read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if line.startswith("STARTUP ")]
    if len(lines) != 1:
        print(f"check_first_paint: expected one STARTUP line, found {len(lines)}", file=sys.stderr)
        return 1
    marks = json.loads(lines[0][len("STARTUP "):])
    loaded = set(marks.get("modules", ()))
    problems = []
    if not marks.get("frozen"):
        problems.append("not a frozen build")
    if not isinstance(marks.get("epoch_paint"), float):
        problems.append("no first-paint time")
    if "desktop.ui.main_window" not in loaded:
        problems.append("the module list is missing (desktop.ui.main_window not in it)")
    early = [m for m in NOT_BEFORE_FIRST_PAINT if m in loaded]
    if early:
        problems.append("imported before the first paint: " + ", ".join(early))
    if problems:
        print("check_first_paint: " + "; ".join(problems), file=sys.stderr)
        return 1
    print(f"first paint ok: {len(loaded)} modules loaded by then, none of the {len(NOT_BEFORE_FIRST_PAINT)} "
          "left for after it")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
