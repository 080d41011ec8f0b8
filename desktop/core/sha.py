"""SHA-256 for the catalog cache and data-pack checksums, without importing :mod:`hashlib` at start-up.

``hashlib`` prefers OpenSSL's ``_hashlib``; the frozen build leaves OpenSSL out (GuideCode never talks to a
network), and then importing ``hashlib`` loads all six of CPython's own hash modules (md5, sha1, sha256,
sha512, blake2, sha3: six shared libraries, ~1 ms warm and more from a cold disk) at every start, to use one.
:func:`sha256` takes CPython's own SHA-256 module directly and falls back to ``hashlib`` where that module
is named differently (``_sha2`` from Python 3.12). Same algorithm, same digests.
"""

from __future__ import annotations

from typing import Protocol


class Digest(Protocol):
    def update(self, data: bytes, /) -> None: ...

    def hexdigest(self) -> str: ...


def sha256(data: bytes = b"") -> Digest:
    """A SHA-256 digest object, fed ``data`` to start with."""
    try:
        from _sha256 import sha256 as builtin  # type: ignore[import-not-found]  # CPython 3.11
    except ImportError:
        from hashlib import sha256 as builtin
    digest: Digest = builtin(data)
    return digest
