"""Strict JSON decoding for input GuideCode did not write (``resolve`` input) and for its own state files
(``data-packs.json``, the pack journal, stored descriptors), which a person or a crash may have damaged.

:func:`loads` refuses what ``json.loads`` lets through or crashes on: a key written twice in one object
(``json`` silently keeps the last, the YAML loader refuses it too), a number with more digits than any
GuideCode value needs (``json`` raises ValueError past 4,300 digits and is slow before that), ``NaN`` /
``Infinity`` (not JSON), and nesting deep enough to exhaust the recursion limit (``json`` raises
RecursionError, caught here). Every refusal is a :class:`JsonInputError` with one sentence and, where
known, the line.
"""

from __future__ import annotations

import json
from typing import Any

MAX_DIGITS = 30


class JsonInputError(ValueError):
    """The text is not acceptable JSON; ``message`` says why, ``line`` and ``column`` where (0: unknown)."""

    def __init__(self, message: str, line: int = 0, column: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column

    @property
    def located(self) -> str:
        """The message with its place: ``Expecting value at line 1 column 15``."""
        return f"{self.message} at line {self.line} column {self.column}" if self.line else self.message


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise JsonInputError(f"the key {json.dumps(key)[:40]} is written twice in one object")
        out[key] = value
    return out


def _int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_DIGITS:
        raise JsonInputError(f"a number has more than {MAX_DIGITS} digits")
    return int(text)


def _float(text: str) -> float:
    if len(text) > MAX_DIGITS + 10:
        raise JsonInputError(f"a number has more than {MAX_DIGITS} digits")
    return float(text)


def _constant(name: str) -> Any:
    raise JsonInputError(f"{name} is not a JSON value")


def loads(text: str) -> Any:
    """Decode ``text`` strictly (see the module docstring); raises :class:`JsonInputError`."""
    try:
        return json.loads(text, object_pairs_hook=_no_duplicates, parse_int=_int, parse_float=_float,
                          parse_constant=_constant)
    except JsonInputError:
        raise
    except json.JSONDecodeError as exc:
        raise JsonInputError(exc.msg, exc.lineno, exc.colno) from None
    except RecursionError:
        raise JsonInputError("nested too deeply") from None
    except (ValueError, OverflowError) as exc:
        raise JsonInputError(str(exc)[:100]) from None
