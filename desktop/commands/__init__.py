"""Commands that register themselves with the command line (desktop.cli)."""
