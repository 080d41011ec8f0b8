"""No network at run time: ``resolve``, ``validate-pack`` and ``--self-test`` run in a Python where every
socket call raises and PySide6.QtNetwork cannot be imported, and still work."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "resources" / "samples" / "packs" / "example-payer-notes"

SITECUSTOMIZE = textwrap.dedent('''
    """Installed by tests/test_no_network.py: the network is forbidden in this process."""
    import importlib.abc
    import socket
    import sys


    class NetworkForbidden(OSError):
        pass


    def _forbidden(*args, **kwargs):
        raise NetworkForbidden("network access attempted in a GuideCode process")


    class _NoSocket(socket.socket):
        def __init__(self, *args, **kwargs):
            _forbidden()


    socket.socket = _NoSocket
    socket.create_connection = _forbidden
    socket.getaddrinfo = _forbidden
    socket.gethostbyname = _forbidden
    socket.gethostbyname_ex = _forbidden
    socket.gethostbyaddr = _forbidden
    socket.socketpair = _forbidden
    socket.fromfd = _forbidden


    class _NoQtNetwork(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name == "PySide6.QtNetwork" or name.startswith("PySide6.QtNetwork."):
                raise ImportError("PySide6.QtNetwork is forbidden in a GuideCode process")
            return None


    sys.meta_path.insert(0, _NoQtNetwork())
    sys.modules["guidecode_network_forbidden"] = sys.modules[__name__]
''')


@pytest.fixture
def offline_env(tmp_path: Path) -> dict[str, str]:
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(SITECUSTOMIZE, encoding="utf-8")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(site), str(ROOT)])
    env["QT_QPA_PLATFORM"] = "offscreen"
    for proxy in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY"):
        env.pop(proxy, None)
    return env


def run(env: dict[str, str], *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *args], input=stdin, env=env, cwd=ROOT, capture_output=True, text=True,
                          timeout=180, check=False)


def test_the_guard_is_active(offline_env: dict[str, str]) -> None:
    """Without this the other tests could pass with the guard silently not loaded."""
    probe = run(offline_env, "-c", textwrap.dedent("""
        import socket, sys
        assert "guidecode_network_forbidden" in sys.modules
        for attempt in (lambda: socket.create_connection(("127.0.0.1", 9)), lambda: socket.getaddrinfo("x", 80),
                        lambda: socket.socket()):
            try:
                attempt()
            except OSError as exc:
                assert "network access attempted" in str(exc)
            else:
                raise SystemExit("socket call did not raise")
        try:
            import PySide6.QtNetwork
        except ImportError as exc:
            assert "forbidden" in str(exc)
        else:
            raise SystemExit("QtNetwork imported")
        print("guard ok")
    """))
    assert probe.returncode == 0, probe.stderr
    assert probe.stdout.strip() == "guard ok"


def test_resolve_works_offline_with_a_pack(offline_env: dict[str, str]) -> None:
    enc = json.dumps({"date_of_service": "2026-03-02", "modality": "ultrasound", "setting": "asc",
                      "procedures": [{"code": "64405"}, {"code": "64483", "regions": ["lumbar"]}]})
    out = run(offline_env, "-m", "desktop", "resolve", "--data-dir", str(SAMPLE), "-", stdin=enc)
    assert out.returncode == 0, out.stderr
    answer = json.loads(out.stdout)
    assert [p["name"] for p in answer["data_packs"]] == ["GuideCode built-in data", "Example payer notes"]
    assert answer["procedures"][0]["guidance"] == "included"
    assert "network access attempted" not in out.stderr


def test_validate_pack_works_offline(offline_env: dict[str, str]) -> None:
    out = run(offline_env, "-m", "desktop", "validate-pack", str(SAMPLE))
    assert out.returncode == 0, out.stderr
    assert "valid data pack" in out.stdout


def test_self_test_works_offline(offline_env: dict[str, str]) -> None:
    out = run(offline_env, "-m", "desktop", "--self-test", "--no-error-dialogs")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "SELFTEST ok" in out.stdout
    assert "network access attempted" not in out.stdout + out.stderr
