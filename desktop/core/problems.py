"""A problem in a data file (``file:line: entry: message``) and the error that carries them: shared by the
loader, data packs and licensed descriptors, and needed at every start of the window, which does not
otherwise import the loader when the bundled catalog cache is used (desktop/core/catalog_cache.py)."""

from __future__ import annotations

from collections.abc import Sequence

from desktop.core.frozen import frozen


@frozen
class Problem:
    """One thing wrong with a data file."""

    file: str
    line: int
    entry: str
    message: str

    def __str__(self) -> str:
        entry = f" {self.entry}:" if self.entry else ""
        return f"{self.file}:{self.line}:{entry} {self.message}"


class DataError(Exception):
    """The data could not be loaded. ``problems`` lists every problem found."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        head = str(self.problems[0]) if self.problems else "invalid data"
        more = f" (and {len(self.problems) - 1} more)" if len(self.problems) > 1 else ""
        super().__init__(head + more)


@frozen
class Location:
    """Where a record came from: file name (relative to its data folder) and 1-based line."""

    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"
