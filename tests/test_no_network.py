"""No network at run time: ``resolve``, ``validate-pack`` and ``--self-test`` run in a Python where every
socket call raises and PySide6.QtNetwork cannot be imported, and still work; and at the system-call level
(strace, unshare -n) ``--self-test``, ``resolve``, ``audit`` and the PDF export open no socket at all."""

from __future__ import annotations

import json
import os
import shutil
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


# ---------------------------------------------------------------------------------------------------------
# Below the Python guard: the system calls themselves. Qt opens its own sockets in C++ (the CUPS print plugin
# connected to 127.0.0.1:631 when a PDF was made), which a sitecustomize cannot see. Each command runs under
# strace (every socket() and connect() of every thread and child) with CUPS_SERVER pointing at a local port,
# and again inside a network namespace with no interface at all (unshare -n), where it must still succeed.

STRACE = shutil.which("strace")
UNSHARE = shutil.which("unshare")
PDF_SNIPPET = textwrap.dedent("""
    import sys
    from pathlib import Path
    from PySide6.QtWidgets import QApplication
    from desktop.core.data import load_builtin
    from desktop.ui.main_window import MainWindow
    from desktop.ui.settings import Settings
    app = QApplication([])
    window = MainWindow(load_builtin(), Settings.at(Path(sys.argv[1]) / "s.ini"))
    window.show()
    app.processEvents()
    pdf = window.save_pdf(Path(sys.argv[1]) / "summary.pdf")
    assert pdf.read_bytes()[:5] == b"%PDF-"
    assert "PySide6.QtPrintSupport" not in sys.modules, "print support loaded for a PDF"
    print("pdf ok")
""")


def _commands(tmp: Path) -> dict[str, tuple[list[str], str | None]]:
    """name -> (arguments to python, standard input). Each exits 0, but audit: 1 (the sample has errors)."""
    enc = json.dumps({"date_of_service": "2026-03-02", "setting": "asc", "procedures": [{"code": "64405"}]})
    return {
        "--self-test": (["-m", "desktop", "--self-test", "--no-error-dialogs"], None),
        "resolve": (["-m", "desktop", "resolve", "--data-dir", str(SAMPLE), "-"], enc),
        "audit": (["-m", "desktop", "audit", str(ROOT / "resources" / "samples" / "claims-sample.csv"),
                   "--out", str(tmp / "report.csv")], None),
        "PDF export": (["-c", PDF_SNIPPET, str(tmp)], None),
    }


def _sockets(trace: Path) -> list[str]:
    """The socket() and connect() calls that are not local IPC (AF_UNIX), or that reach CUPS over AF_UNIX."""
    bad = []
    for line in trace.read_text(encoding="utf-8", errors="replace").splitlines():
        if ("socket(" in line or "connect(" in line) and (
                "AF_INET" in line or "AF_PACKET" in line or "cups" in line.lower()):
            bad.append(line.strip())
    return bad


@pytest.mark.skipif(STRACE is None, reason="strace is not installed (the Python-level guard above still runs)")
@pytest.mark.parametrize("name", ["--self-test", "resolve", "audit", "PDF export"])
def test_no_socket_is_opened_at_the_system_call_level(tmp_path: Path, name: str) -> None:
    args, stdin = _commands(tmp_path)[name]
    trace = tmp_path / "strace.log"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "CUPS_SERVER": "127.0.0.1:631",
           "GUIDECODE_USER_DIR": str(tmp_path / "user"), "PYTHONPATH": str(ROOT)}
    out = subprocess.run([str(STRACE), "-f", "-qq", "-e", "trace=socket,connect", "-o", str(trace),
                          sys.executable, *args], input=stdin, env=env, cwd=ROOT, capture_output=True, text=True,
                         timeout=300, check=False)
    assert out.returncode == (1 if name == "audit" else 0), out.stdout + out.stderr
    assert trace.is_file()
    assert _sockets(trace) == []


@pytest.mark.skipif(UNSHARE is None or os.geteuid() != 0, reason="unshare -n needs util-linux and root")
@pytest.mark.parametrize("name", ["--self-test", "resolve", "audit", "PDF export"])
def test_every_command_works_with_no_network_at_all(tmp_path: Path, name: str) -> None:
    args, stdin = _commands(tmp_path)[name]
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "GUIDECODE_USER_DIR": str(tmp_path / "user"),
           "PYTHONPATH": str(ROOT)}
    out = subprocess.run([str(UNSHARE), "-n", sys.executable, *args], input=stdin, env=env, cwd=ROOT,
                         capture_output=True, text=True, timeout=300, check=False)
    assert out.returncode == (1 if name == "audit" else 0), out.stdout + out.stderr
    if name == "audit":
        assert (tmp_path / "report.csv").stat().st_size > 0
    assert "Traceback" not in out.stderr


def test_the_socket_filter_catches_what_cups_did() -> None:
    """The check above must be able to fail: these are the lines strace wrote when the PDF used QPrinter."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        trace = Path(tmp) / "t.log"
        trace.write_text('27449 socket(AF_INET, SOCK_STREAM, IPPROTO_IP) = 6\n'
                         '27449 connect(6, {sa_family=AF_INET, sin_port=htons(631), sin_addr=inet_addr("127.0.0.1")}'
                         ', 16) = -1 EINPROGRESS\n'
                         '27449 connect(6, {sa_family=AF_UNIX, sun_path="/var/run/nscd/socket"}, 110) = -1 ENOENT\n'
                         '27449 connect(7, {sa_family=AF_UNIX, sun_path="/run/cups/cups.sock"}, 110) = 0\n',
                         encoding="utf-8")
        assert len(_sockets(trace)) == 3
