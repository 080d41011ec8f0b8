"""PyInstaller's entry script for GuideCode: the same ``main()`` as the ``guidecode`` console script.

Kept outside the ``desktop`` package so the frozen ``__main__`` is this file, not ``desktop/__main__.py``.
"""

import sys

from desktop.app import main

if __name__ == "__main__":
    sys.exit(main())
