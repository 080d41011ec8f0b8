"""What every command shares: the exit statuses and the catalog the commands answer with.

Kept apart from :mod:`desktop.cli` (which parses the command line and dispatches) so that the commands and
``--self-test`` can use it without importing the command line, and the command line without importing them.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from desktop.core.model import Catalog

EXIT_OK, EXIT_ERRORS, EXIT_USAGE = 0, 1, 2


def load_catalog(data_dir: Path | None) -> Catalog:
    """The catalog the commands answer with: built-in data plus the packs in ``data_dir``."""
    from desktop.core.packs.report import load_report

    report = load_report(data_dir)
    for notice in report.notices:  # an interrupted pack change completed or rolled back at this start
        print(f"guidecode: {notice}", file=sys.stderr)
    for problem in report.problems:
        print(f"guidecode: data pack skipped: {problem}", file=sys.stderr)
    return report.catalog
