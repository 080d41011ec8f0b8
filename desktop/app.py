"""GuideCode's entry point: parses the command line and starts the window or runs a command.

``guidecode`` (or ``python -m desktop``) with no command opens the window. Commands:

- ``resolve FILE|-``: one encounter as JSON in, one resolution as JSON out (see desktop/cli.py);
- ``--self-test``: load all data, build the window offscreen, resolve known encounters, exit 0/1;
- ``--version``: app and data versions.

Heavy modules (Qt) are imported only when the window is needed, so the commands start fast.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    from desktop.streams import ensure_std_streams

    ensure_std_streams()
    args = list(sys.argv[1:] if argv is None else argv)
    from desktop import cli

    try:
        return cli.dispatch(args)
    except BrokenPipeError:
        # The reader of a pipe went away (``guidecode resolve - | head``): nothing more can be said there.
        # Point stdout at devnull so the interpreter's final flush does not raise again, and exit as a
        # command killed by SIGPIPE would, without a traceback (the Python docs' recipe for SIGPIPE).
        import contextlib
        import os

        with contextlib.suppress(OSError, ValueError, AttributeError):  # no real file behind stdout: nothing to do
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
