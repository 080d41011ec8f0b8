"""The transactional pack store (desktop/core/packs/store.py, locking.py; issue 12, part 2).

- folder names stay unique when pack names differ only in punctuation;
- the data folder's lock: a second change waits, then fails cleanly;
- two processes importing "Payer notes" and "Payer notes!" at once: both installed (or one refused with a
  clear message), never a reported success that is not installed;
- a subprocess killed (SIGKILL) at every journal step of install, update and remove, then a restart: the
  state is consistent (one whole version installed, nothing hidden left, no journal) and the start-up
  message says whether the change was completed or rolled back;
- a full disk and a read-only disk: a real tiny tmpfs (as root) and an injected OSError; nothing changes and
  the error says why;
- stale staging folders and temp files are cleaned; an ``.old-*`` folder left by an older GuideCode is put
  back.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from faultkit import ROOT, env_for, no_traceback, run_measured, write_pack  # noqa: E402

from desktop.core import atomicfile, descriptors  # noqa: E402
from desktop.core.packs import folders, locking, store  # noqa: E402
from desktop.core.packs import install as pack_install  # noqa: E402
from desktop.core.packs import report as pack_report  # noqa: E402
from desktop.core.packs.reading import read_pack  # noqa: E402

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")  # offscreen dialogs


def _snapshot(data_dir: Path) -> dict[str, bytes | None]:
    """Every entry under the data folder (but the lock file) with its bytes (None for folders)."""
    out: dict[str, bytes | None] = {}
    for path in sorted(data_dir.rglob("*")):
        rel = path.relative_to(data_dir).as_posix()
        if rel == locking.LOCK_FILE:
            continue
        out[rel] = None if path.is_dir() else path.read_bytes()
    return out


def _installed(data_dir: Path) -> dict[str, tuple[str, str]]:
    """folder -> (name, version) of every installed pack that reads cleanly; fails on any hidden leftover."""
    root = data_dir / "packs"
    hidden = [p.name for p in root.iterdir() if p.name.startswith(".")] if root.is_dir() else []
    assert hidden == [], f"left behind: {hidden}"
    assert not (data_dir / store.JOURNAL_FILE).exists(), "journal left behind"
    assert not [n for n in os.listdir(data_dir) if atomicfile.is_temp_name(n)], "temp file left behind"
    out = {}
    for path in sorted(root.iterdir()) if root.is_dir() else []:
        pack, problems = read_pack(path, f"packs/{path.name}")
        assert pack is not None, problems
        out[path.name] = (pack.manifest.name, pack.manifest.version)
    return out


# ---------------------------------------------------------------------------------------------------------
# Folder names and the lock


def test_names_that_differ_only_in_punctuation_get_their_own_folders(tmp_path: Path, catalog) -> None:  # type: ignore[no-untyped-def]
    data = tmp_path / "data"
    a = pack_install.import_pack(write_pack(tmp_path / "a", name="Payer notes", source_id="L-A-1"), data, base=catalog)
    b = pack_install.import_pack(write_pack(tmp_path / "b", name="Payer notes!", source_id="L-B-1", code="64450"),
                                 data, base=catalog)
    assert (a.folder, a.replaced, b.folder, b.replaced) == ("payer-notes", None, "payer-notes-2", None)
    assert _installed(data) == {"payer-notes": ("Payer notes", "1"), "payer-notes-2": ("Payer notes!", "1")}
    report = pack_report.load_report(data, catalog)
    assert [s.applied for s in report.packs] == [True, True]
    # The same name in other letter case is the same pack: it is updated in place.
    c = pack_install.import_pack(write_pack(tmp_path / "c", name="PAYER NOTES!", version="2", source_id="L-B-1",
                                            code="64450"), data, base=catalog)
    assert (c.folder, c.replaced) == ("payer-notes-2", "payer-notes-2")
    assert _installed(data)["payer-notes-2"] == ("PAYER NOTES!", "2")


def test_a_broken_pack_in_the_slug_folder_is_not_replaced_by_another_name(tmp_path: Path, catalog) -> None:  # type: ignore[no-untyped-def]
    data = tmp_path / "data"
    (data / "packs" / "payer-notes").mkdir(parents=True)
    (data / "packs" / "payer-notes" / "pack.yaml").write_text("name: [broken\n", encoding="utf-8")
    result = pack_install.import_pack(write_pack(tmp_path / "a"), data, base=catalog)
    assert result.folder == "payer-notes-2" and result.replaced is None
    assert (data / "packs" / "payer-notes" / "pack.yaml").read_text(encoding="utf-8") == "name: [broken\n"


def _hold_lock(data: Path, seconds: float) -> subprocess.Popen[str]:
    code = textwrap.dedent(f"""
        import sys, time
        from pathlib import Path
        from desktop.core.packs.locking import store_lock
        with store_lock(Path({str(data)!r})):
            print("held", flush=True)
            time.sleep({seconds})
    """)
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE, text=True,
                            env=env_for(data.parent / "user"))
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    return proc


def _stop(proc: subprocess.Popen[str]) -> None:
    proc.kill()
    proc.wait()
    if proc.stdout is not None:
        proc.stdout.close()


def test_a_second_change_waits_for_the_lock_then_fails_cleanly(tmp_path: Path, catalog,  # type: ignore[no-untyped-def]
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    data = tmp_path / "data"
    pack_install.import_pack(write_pack(tmp_path / "a"), data, base=catalog)
    before = _snapshot(data)
    monkeypatch.setattr(locking, "WAIT_SECONDS", 0.5)
    holder = _hold_lock(data, 30)
    try:
        with pytest.raises(locking.StoreBusy, match="another GuideCode window or command is changing the data "
                                                    "packs .* waited 0 s. Try again when it has finished."):
            pack_install.import_pack(write_pack(tmp_path / "b", name="Other", source_id="L-B-1"), data, base=catalog)
        with pytest.raises(locking.StoreBusy):
            folders.set_enabled(data, "payer-notes", False)
        with pytest.raises(locking.StoreBusy):
            pack_install.remove_pack(data, "payer-notes")
        assert _snapshot(data) == before
        # Reading never waits long and never fails: the window still starts.
        report = pack_report.load_report(data, catalog)
        assert [s.folder for s in report.packs] == ["payer-notes"]
    finally:
        _stop(holder)
    pack_install.import_pack(write_pack(tmp_path / "b", name="Other", source_id="L-B-1"), data, base=catalog)
    assert sorted(_installed(data)) == ["other", "payer-notes"]


def test_a_killed_lock_holder_releases_the_lock(tmp_path: Path, catalog) -> None:  # type: ignore[no-untyped-def]
    data = tmp_path / "data"
    data.mkdir()
    _stop(_hold_lock(data, 60))
    with locking.store_lock(data, wait=1.0) as held:
        assert held


# ---------------------------------------------------------------------------------------------------------
# Two imports at once

IMPORT_SNIPPET = textwrap.dedent("""
    import json, sys
    from pathlib import Path
    from desktop.core.packs import install
    from desktop.core.packs.locking import StoreError
    try:
        r = install.import_pack(Path(sys.argv[1]), Path(sys.argv[2]))
        print(json.dumps({"ok": True, "folder": r.folder, "replaced": r.replaced}))
    except install.PackRefused as exc:
        print(json.dumps({"ok": False, "refused": [str(p) for p in exc.problems]}))
    except StoreError as exc:
        print(json.dumps({"ok": False, "error": str(exc)}))
""")


@pytest.mark.parametrize("trial", range(4))
def test_two_imports_at_once_both_install_or_one_is_refused_cleanly(tmp_path: Path, trial: int) -> None:
    """Before the lock, 11 of 12 trials reported two successes with one pack installed."""
    data = tmp_path / "data"
    a = write_pack(tmp_path / "a", name="Payer notes", source_id="L-A-1")
    b = write_pack(tmp_path / "b", name="Payer notes!", source_id="L-B-1", code="64450")
    env = env_for(tmp_path / "user")
    procs = [subprocess.Popen([sys.executable, "-c", IMPORT_SNIPPET, str(src), str(data)], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for src in (a, b)]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0 and "Traceback" not in err, err
        results.append(json.loads(out))
    installed = _installed(data)
    for result, name in zip(results, ("Payer notes", "Payer notes!"), strict=True):
        if result["ok"]:
            assert installed[result["folder"]][0] == name  # a reported success is installed, whole
        else:
            assert result.get("error") or result.get("refused")
            assert name not in [n for n, _ in installed.values()]
    assert all(r["ok"] for r in results), results  # with a 30 s wait, both get through
    assert sorted(installed) == ["payer-notes", "payer-notes-2"]


# ---------------------------------------------------------------------------------------------------------
# Kill at every step

KILL_SNIPPET = textwrap.dedent("""
    import sys
    from pathlib import Path
    from desktop.core.packs import install
    if sys.argv[1] == "remove":
        install.remove_pack(Path(sys.argv[2]), sys.argv[3])
    else:
        install.import_pack(Path(sys.argv[3]), Path(sys.argv[2]))
    print("finished")
""")

ROLLED_BACK = {"begin", "staging", "staged"}  # before the journal says "staged", a change is rolled back
NO_NOTICE = {"done", "remove-done"}  # the journal was already gone: nothing to say


def _kill_at(step: str, op: str, data: Path, arg: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", KILL_SNIPPET, op, str(data), arg], cwd=ROOT,
                          env={**env, locking.KILL_ENV: step}, capture_output=True, text=True, timeout=120,
                          check=False)


def _restart(data: Path, env: dict[str, str]) -> tuple[str, dict[str, object]]:
    """Start the way a command does (``resolve --data-dir``): the notices go to stderr."""
    enc = json.dumps({"date_of_service": "2026-03-02", "modality": "ultrasound", "procedures": [{"code": "64405"}]})
    run = run_measured(["-m", "desktop", "resolve", "--data-dir", str(data), "-"], env=env, stdin=enc.encode())
    assert run.returncode == 0 and no_traceback(run), run.stderr
    return run.stderr, json.loads(run.stdout)


# A first install has no old version to move aside: every other step, for both.
KILL_POINTS = [(step, op) for op in ("install", "update") for step in store.INSTALL_STEPS
               if not (op == "install" and step == "old-moved")]


@pytest.mark.parametrize(("step", "op"), KILL_POINTS)
def test_killed_at_every_install_step_then_restarted(tmp_path: Path, step: str, op: str) -> None:
    data = tmp_path / "data"
    env = env_for(tmp_path / "user")
    if op == "update":
        v1 = _kill_at("none", "install", data, str(write_pack(tmp_path / "v1", version="1")), env)
        assert v1.stdout.strip() == "finished", v1.stderr
    source = write_pack(tmp_path / "v2", version="2", code="64405")
    killed = _kill_at(step, "install", data, str(source), env)
    assert killed.returncode == -9, (killed.returncode, killed.stderr)
    stderr, answer = _restart(data, env)
    installed = _installed(data)
    rolled_back = step in ROLLED_BACK
    if op == "install":
        assert installed == ({} if rolled_back else {"payer-notes": ("Payer notes", "2")})
    else:
        assert installed == {"payer-notes": ("Payer notes", "1" if rolled_back else "2")}
    what = "update" if op == "update" else "import"
    if step in NO_NOTICE:
        assert "interrupted" not in stderr
    elif rolled_back:
        assert f"guidecode: The {what} of data pack \u201cPayer notes\u201d 2 was interrupted before it finished; " \
               "it was rolled back" in stderr, stderr
    else:
        done = "updated" if op == "update" else "installed"
        assert f"guidecode: The {what} of data pack \u201cPayer notes\u201d 2 was interrupted; GuideCode has " \
               f"completed it: the pack is {done}." in stderr, stderr
    packs = [p["name"] for p in answer["data_packs"]]  # type: ignore[index]
    assert packs == (["GuideCode built-in data"] if op == "install" and rolled_back else
                     ["GuideCode built-in data", "Payer notes"])
    # A second start has nothing left to say.
    again, _ = _restart(data, env)
    assert "interrupted" not in again


@pytest.mark.parametrize("step", store.REMOVE_STEPS)
def test_killed_at_every_remove_step_then_restarted(tmp_path: Path, step: str) -> None:
    data = tmp_path / "data"
    env = env_for(tmp_path / "user")
    assert _kill_at("none", "install", data, str(write_pack(tmp_path / "v1")), env).stdout.strip() == "finished"
    folders.set_enabled(data, "payer-notes", False)
    killed = _kill_at(step, "remove", data, "payer-notes", env)
    assert killed.returncode == -9, killed.stderr
    stderr, _ = _restart(data, env)
    assert _installed(data) == {}
    assert folders.read_state(data) == (frozenset(), [])  # its "off" state is forgotten too
    if step not in NO_NOTICE:
        assert "guidecode: The removal of data pack \u201cPayer notes\u201d was interrupted; GuideCode has finished " \
               "it: the pack is removed." in stderr, stderr


def test_the_window_shows_the_start_up_notice(qtbot, tmp_path: Path, catalog, ui_settings) -> None:  # type: ignore[no-untyped-def]
    from desktop.ui import packs_control
    from desktop.ui.main_window import MainWindow

    data = tmp_path / "data"
    env = env_for(tmp_path / "user")
    assert _kill_at("new-moved", "install", data, str(write_pack(tmp_path / "v1")), env).returncode == -9
    report = pack_report.load_report(data, catalog)
    window = MainWindow(report.catalog, ui_settings)
    qtbot.addWidget(window)
    controller = packs_control.attach(window, data, report)
    expected = ("The import of data pack \u201cPayer notes\u201d 1 was interrupted; GuideCode has completed it: the "
                "pack is installed.")
    assert controller.notice_text == expected
    assert window.statusBar().currentMessage() == expected


# ---------------------------------------------------------------------------------------------------------
# Leftovers


def test_stale_leftovers_are_cleaned_and_a_legacy_old_folder_is_put_back(tmp_path: Path, catalog) -> None:  # type: ignore[no-untyped-def]
    data = tmp_path / "data"
    pack_install.import_pack(write_pack(tmp_path / "a", name="Kept"), data, base=catalog)
    root = data / "packs"
    shutil.copytree(write_pack(tmp_path / "lost", name="Lost", source_id="L-L-1", code="64450"),
                    root / ".old-0123456789abcdef0123456789abcdef")  # an older GuideCode killed mid-update
    shutil.copytree(write_pack(tmp_path / "k2", name="Kept", version="0"),
                    root / ".old-ffffffffffffffffffffffffffffffff")
    (root / ".import-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa").mkdir()
    (root / ".import-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" / "pack.yaml").write_text("half", encoding="utf-8")
    (root / ".remove-bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb").mkdir()
    (data / ".tmp-data-packs.json.x1y2").write_bytes(b"")
    (data / ".data-packs.json.0123456789abcdef0123456789abcdef.tmp").write_bytes(b"{")
    (data / "descriptors").mkdir()
    (data / "descriptors" / ".tmp-cpt-descriptors.json.zz").write_bytes(b"")
    report = pack_report.load_report(data, catalog)
    assert report.notices == ("The data pack \u201cLost\u201d had been left hidden by an update that was interrupted "
                              "(by an earlier GuideCode); it was put back as packs/lost.",)
    assert _installed(data) == {"kept": ("Kept", "1"), "lost": ("Lost", "1")}
    assert os.listdir(data / "descriptors") == []
    assert pack_report.load_report(data, catalog).notices == ()


def test_a_damaged_journal_is_reported_and_cleaned(tmp_path: Path, catalog) -> None:  # type: ignore[no-untyped-def]
    data = tmp_path / "data"
    pack_install.import_pack(write_pack(tmp_path / "a"), data, base=catalog)
    (data / store.JOURNAL_FILE).write_text('{"op": "install", "op": "x"}', encoding="utf-8")
    (data / "packs" / ".import-cccccccccccccccccccccccccccccccc").mkdir()
    report = pack_report.load_report(data, catalog)
    assert len(report.notices) == 1 and "found damaged" in report.notices[0]
    assert _installed(data) == {"payer-notes": ("Payer notes", "1")}


def test_a_staged_copy_damaged_before_the_restart_is_rolled_back(tmp_path: Path) -> None:
    data = tmp_path / "data"
    env = env_for(tmp_path / "user")
    assert _kill_at("none", "install", data, str(write_pack(tmp_path / "v1", version="1")), env).returncode == 0
    assert _kill_at("old-moved", "install", data, str(write_pack(tmp_path / "v2", version="2")), env).returncode == -9
    staging = next((data / "packs").glob(".import-*"))
    (staging / "codes" / "notes.yaml").write_text("- code: damaged\n", encoding="utf-8")
    stderr, _ = _restart(data, env)
    assert "was interrupted before it finished; it was rolled back: the version installed before is still in use" \
        in stderr, stderr
    assert _installed(data) == {"payer-notes": ("Payer notes", "1")}


# ---------------------------------------------------------------------------------------------------------
# Full and read-only disks


@pytest.fixture
def tiny_disk(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A 256 KB tmpfs (needs root and mount); skipped elsewhere -- the injected-OSError tests below cover the
    same code on every machine."""
    mnt = tmp_path / "tiny"
    mnt.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a tmpfs needs root")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mnt)], capture_output=True,
                          check=False)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


def _fill(folder: Path) -> None:
    """Write zeros until the disk is full (ENOSPC)."""
    fd = os.open(folder / "filler", os.O_WRONLY | os.O_CREAT)
    try:
        with pytest.raises(OSError, match="No space left") as info:  # noqa: PT012 - ends when the disk is full
            while True:
                os.write(fd, b"\0" * 4096)
        assert info.value.errno == errno.ENOSPC
    finally:
        os.close(fd)


def test_a_full_disk_changes_nothing_and_says_so(tiny_disk: Path, tmp_path: Path, catalog) -> None:  # type: ignore[no-untyped-def]
    data = tiny_disk / "data"
    pack_install.import_pack(write_pack(tmp_path / "a"), data, base=catalog)
    big = write_pack(tmp_path / "b", name="Big", source_id="L-B-1",
                     extra={"README.md": b"x" * 200_000})  # does not fit in what is left
    _fill(tiny_disk)
    before = _snapshot(data)
    with pytest.raises(locking.StoreError, match="could not be installed: the disk is full. Nothing was changed."):
        pack_install.import_pack(big, data, base=catalog)
    with pytest.raises(locking.StoreError, match="could not be turned off: the disk is full. Nothing was changed."):
        folders.set_enabled(data, "payer-notes", False)
    with pytest.raises(OSError, match="No space left on device"):
        descriptors.save(data, {"64405": "An office's own text"}, "x.csv")
    assert _snapshot(data) == before
    assert _installed(data) == {"payer-notes": ("Payer notes", "1")}
    assert pack_report.load_report(data, catalog).packs[0].applied


def test_a_read_only_disk_changes_nothing_and_says_so(tiny_disk: Path, tmp_path: Path, catalog) -> None:  # type: ignore[no-untyped-def]
    data = tiny_disk / "data"
    pack_install.import_pack(write_pack(tmp_path / "a"), data, base=catalog)
    before = _snapshot(data)
    subprocess.run(["mount", "-o", "remount,ro", str(tiny_disk)], check=True)
    with pytest.raises(locking.StoreError, match="the disk is read-only"):
        pack_install.import_pack(write_pack(tmp_path / "b", name="B", source_id="L-B-1"), data, base=catalog)
    with pytest.raises(locking.StoreError, match="the disk is read-only"):
        folders.set_enabled(data, "payer-notes", False)
    with pytest.raises(locking.StoreError, match="the disk is read-only"):
        pack_install.remove_pack(data, "payer-notes")
    assert _snapshot(data) == before
    report = pack_report.load_report(data, catalog)  # reading a read-only data folder works
    assert report.packs[0].applied and report.notices == ()


@pytest.mark.parametrize("fail_at", ["staging", "journal", "swap", "state"])
@pytest.mark.parametrize("err", [errno.ENOSPC, errno.EROFS])
def test_an_injected_disk_error_changes_nothing_and_says_why(tmp_path: Path, catalog,  # type: ignore[no-untyped-def]
                                                             monkeypatch: pytest.MonkeyPatch, fail_at: str,
                                                             err: int) -> None:
    data = tmp_path / "data"
    pack_install.import_pack(write_pack(tmp_path / "v1", version="1"), data, base=catalog)
    before = _snapshot(data)
    reason = {errno.ENOSPC: "the disk is full", errno.EROFS: "the disk is read-only"}[err]

    def boom(*args: object, **kwargs: object) -> None:
        raise OSError(err, os.strerror(err))

    if fail_at == "staging":
        monkeypatch.setattr(store, "write_atomic", boom)
    elif fail_at == "journal":
        monkeypatch.setattr(store, "write_text_atomic", boom)
    elif fail_at == "swap":
        real = os.replace

        def replace(src: object, dst: object) -> None:
            if Path(str(src)).name.startswith(".import-"):
                boom()
            real(src, dst)  # type: ignore[arg-type]

        monkeypatch.setattr(store.os, "replace", replace)
    else:
        monkeypatch.setattr(folders, "write_text_atomic", boom)
    if fail_at == "state":
        with pytest.raises(locking.StoreError, match=f"could not be turned off: {reason}. Nothing was changed."):
            folders.set_enabled(data, "payer-notes", False)
    else:
        with pytest.raises(locking.StoreError, match=f"could not be updated: {reason}. Nothing was changed."):
            pack_install.import_pack(write_pack(tmp_path / "v2", version="2"), data, base=catalog)
    monkeypatch.undo()
    assert _snapshot(data) == before
    assert _installed(data) == {"payer-notes": ("Payer notes", "1")}


def test_the_packs_dialog_keeps_the_stored_state_when_the_disk_refuses(qtbot, tmp_path: Path, catalog,  # type: ignore[no-untyped-def]
                                                                        ui_settings,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from PySide6.QtCore import Qt

    from desktop.ui import packs_control
    from desktop.ui.main_window import MainWindow

    data = tmp_path / "data"
    pack_install.import_pack(write_pack(tmp_path / "a"), data, base=catalog)
    report = pack_report.load_report(data, catalog)
    window = MainWindow(report.catalog, ui_settings)
    qtbot.addWidget(window)
    controller = packs_control.attach(window, data, report)
    dialog = controller.show_packs_dialog()

    def full(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(folders, "write_text_atomic", full)
    dialog.set_checked("payer-notes", False)  # the person unticks the pack
    item = dialog.table.item(dialog.row_of("payer-notes"), 0)
    assert item is not None and item.checkState() == Qt.CheckState.Checked  # still on, as stored
    assert controller.report.packs[0].applied
    assert controller.last_error is not None
    assert controller.last_error.text() == ("The data pack 'payer-notes' could not be turned off: the disk is full. "
                                            "Nothing was changed.")
    assert folders.read_state(data) == (frozenset(), [])
    controller.last_error.done(0)
    dialog.done(0)
