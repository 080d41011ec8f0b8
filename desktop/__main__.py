"""``python -m desktop``: the GuideCode window, or a command (resolve, validate-pack, audit)."""

import sys

from desktop.app import main

if __name__ == "__main__":
    sys.exit(main())
