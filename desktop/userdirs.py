"""Where GuideCode keeps the office's own files, computed without Qt.

The window asks Qt (``QStandardPaths.AppDataLocation``) for the user data folder; the command line cannot
start Qt just to learn a path, so this module computes the same folder per platform from the environment:

========  ===========================================================  =========================================
Platform  user data folder (data packs, descriptors, pack state)       user log folder
========  ===========================================================  =========================================
Linux     ``$XDG_DATA_HOME/GuideCode/GuideCode`` (``~/.local/share``)   ``$XDG_STATE_HOME/GuideCode/GuideCode/logs``
Windows   ``%APPDATA%\\GuideCode\\GuideCode``                          ``%LOCALAPPDATA%\\GuideCode\\GuideCode\\logs``
macOS     ``~/Library/Application Support/GuideCode/GuideCode``         ``~/Library/Logs/GuideCode``
========  ===========================================================  =========================================

``GUIDECODE_USER_DIR`` overrides both (logs then go to ``$GUIDECODE_USER_DIR/logs``): tests, portable
installs and support sessions use it. Nothing here creates a folder; writers call ``mkdir`` themselves.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ORGANIZATION = "GuideCode"
APPLICATION = "GuideCode"
ENV_USER_DIR = "GUIDECODE_USER_DIR"


def _env_dir(name: str) -> Path | None:
    value = os.environ.get(name, "").strip()
    return Path(value) if value else None


def _home() -> Path:
    return _env_dir("HOME") or Path.home()


def _xdg(name: str, fallback: str) -> Path:
    # The XDG spec ignores relative values ("If $XDG_DATA_HOME is ... not an absolute path, use the default").
    value = _env_dir(name)
    return value if value is not None and value.is_absolute() else _home() / fallback


def user_data_dir(platform: str | None = None) -> Path:
    """The folder for data packs, the pack on/off state and licensed descriptors."""
    override = _env_dir(ENV_USER_DIR)
    if override is not None:
        return override
    plat = platform or sys.platform
    if plat.startswith("win"):
        base = _env_dir("APPDATA") or _home() / "AppData" / "Roaming"
    elif plat == "darwin":
        base = _home() / "Library" / "Application Support"
    else:
        base = _xdg("XDG_DATA_HOME", ".local/share")
    return base / ORGANIZATION / APPLICATION


def user_log_dir(platform: str | None = None) -> Path:
    """The folder for GuideCode's rotating log file."""
    override = _env_dir(ENV_USER_DIR)
    if override is not None:
        return override / "logs"
    plat = platform or sys.platform
    if plat.startswith("win"):
        base = _env_dir("LOCALAPPDATA") or _home() / "AppData" / "Local"
        return base / ORGANIZATION / APPLICATION / "logs"
    if plat == "darwin":
        return _home() / "Library" / "Logs" / APPLICATION
    return _xdg("XDG_STATE_HOME", ".local/state") / ORGANIZATION / APPLICATION / "logs"
