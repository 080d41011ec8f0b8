"""Attack run (not a test): throw the hostile inputs and faults of issue 12 at GuideCode and count, per class,
how many were tried, how many were handled cleanly, and how many failed.

"Handled cleanly" means: no uncaught exception and no traceback; a command exits with its documented status
and one clear stderr line; a refused file gets a located problem (file:line: what); nothing is lost (the
installed packs and stored files are exactly as before, or exactly as after, a change); no run needs more
than 200 MB (peak RSS, os.wait4) or hangs; no socket is opened. Every failure is listed with what happened.

Classes (the reliability part of issue 12; the audit CSV / 837P classes are the audit engineer's
bench): resolve; packs: validate, import, start-up, concurrency, kill at each step, full / read-only disk;
descriptors; settings; network; patient data (file-dialog history); kills (SIGKILL at random moments while
state files and descriptors are written).

    .venv/bin/python bench/attack.py [--seed 12] [--fuzz 2000] [--trials 10] [--only CLASS] [--no-root]

Needs Linux; the tmpfs and unshare cases need root (else they are reported as not run), the network cases
strace. Prints the table (Markdown), the peak RSS of the bombs, and the start-up message after every kill
point; exits 1 if any case failed.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import io
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from faultkit import HOSTILE_YAML, env_for, merge_bomb, run_measured, write_pack  # noqa: E402

RSS_LIMIT_MB = 200.0
CAP_MB = 400


@dataclass
class Tally:
    tried: int = 0
    clean: int = 0
    failures: list[str] = field(default_factory=list)
    not_run: list[str] = field(default_factory=list)


class Attack:
    def __init__(self, work: Path, seed: int) -> None:
        self.work = work
        self.rng = random.Random(seed)
        self.tally: dict[str, Tally] = {}
        self.rss: list[tuple[str, float, str]] = []
        self.kill_messages: list[tuple[str, str, str]] = []
        self.timings: list[tuple[str, float]] = []
        self._n = 0

    def fresh(self, name: str = "case") -> Path:
        self._n += 1
        path = self.work / f"{self._n:05d}-{name}"
        path.mkdir(parents=True)
        return path

    @contextlib.contextmanager
    def case(self, cls: str, name: str) -> Iterator[None]:
        t = self.tally.setdefault(cls, Tally())
        t.tried += 1
        try:
            yield
        except Exception as exc:  # noqa: BLE001 - every failure is recorded, the run goes on
            detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
            t.failures.append(f"{name}: {detail[:300]}")
        else:
            t.clean += 1

    def skip(self, cls: str, name: str, why: str) -> None:
        self.tally.setdefault(cls, Tally()).not_run.append(f"{name}: {why}")


def check(condition: bool, what: str) -> None:
    if not condition:
        raise AssertionError(what)


# ---------------------------------------------------------------------------------------------------------
# Helpers

def snapshot(folder: Path) -> dict[str, bytes | None]:
    from desktop.core.packs.locking import LOCK_FILE

    out: dict[str, bytes | None] = {}
    if not folder.exists():
        return out
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        if rel == LOCK_FILE:
            continue
        out[rel] = None if path.is_dir() else path.read_bytes()
    return out


def consistent_store(data: Path) -> dict[str, tuple[str, str]]:
    """The installed packs (folder -> name, version); raises if anything is half-done or left behind."""
    from desktop.core import atomicfile
    from desktop.core.packs import store
    from desktop.core.packs.reading import read_pack

    root = data / "packs"
    check(not (data / store.JOURNAL_FILE).exists(), "journal left behind")
    check(not [n for n in os.listdir(data) if atomicfile.is_temp_name(n)] if data.exists() else True,
          "temp file left behind")
    out = {}
    if root.is_dir():
        hidden = [p.name for p in root.iterdir() if p.name.startswith(".")]
        check(not hidden, f"hidden leftovers {hidden}")
        for path in sorted(root.iterdir()):
            pack, problems = read_pack(path, f"packs/{path.name}")
            check(pack is not None, f"{path.name} does not read: {problems[:1]}")
            assert pack is not None
            out[path.name] = (pack.manifest.name, pack.manifest.version)
    return out


def one_line(stderr: str) -> bool:
    lines = [ln for ln in stderr.strip().splitlines() if ln.strip()]
    return len(lines) == 1 and "Traceback" not in stderr


def mutate(text: str, rng: random.Random) -> str:
    tokens = ["&a ", "*a", "<<: *a\n", "!!float ", "!!int ", "!!timestamp ", "!!binary ", "? ", "- ", ": ", "[",
              "]", "{", "}", ",", "'", '"', "#", "|\n", ">-\n", "\t", "\n", "  ", "---\n", "%YAML 1.1\n",
              "2026-02-30", "9" * 40, "1e999", "~", "\x00", "\ufeff", "&b [*b]", "*undefined", "\r", "[" * 80]
    for _ in range(rng.randint(1, 8)):
        pos = rng.randint(0, len(text))
        if rng.random() < 0.6:
            text = text[:pos] + rng.choice(tokens) + text[pos:]
        else:
            text = text[:pos] + text[pos + rng.randint(1, 12):]
    return text


# ---------------------------------------------------------------------------------------------------------
# resolve

def attack_resolve(a: Attack, fuzz: int) -> None:
    from desktop.cli import dispatch

    cls = "resolve"
    base = {"date_of_service": "2026-03-02", "setting": "asc", "payer": "medicare", "modality": "fluoroscopy",
            "procedures": [{"code": "64483", "regions": ["lumbar"], "units": 1, "modifiers": ["RT"]}]}
    text = json.dumps(base)

    def in_process(data: bytes, *extra: str) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        stdin = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8")
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            old = sys.stdin
            sys.stdin = stdin
            try:
                code = dispatch(["resolve", *extra, "-"])
            finally:
                sys.stdin = old
        return code, out.getvalue(), err.getvalue()

    named = {
        "5,000-digit integer": b"9" * 5000,
        "5,000-digit units": text.replace('"units": 1', '"units": ' + "1" * 5000).encode(),
        "duplicate keys": b'{"setting": "asc", "setting": "office"}',
        "100,000-deep nesting": b"[" * 100_000,
        "NaN": b'{"procedures": [{"code": "64405", "units": NaN}]}',
        "not UTF-8": b'{"setting": "\xff"}',
        "UTF-8 BOM": b"\xef\xbb\xbf" + text.encode(),
        "2 MB of spaces": b" " * (2 * 1024 * 1024),
        "empty": b"",
        "201 procedures": json.dumps({"procedures": [{"code": "64405"}] * 201}).encode(),
        "units 1000": text.replace('"units": 1', '"units": 1000').encode(),
        "date 2026-02-30": text.replace("2026-03-02", "2026-02-30").encode(),
        "unknown field": text.replace('"setting"', '"settting"').encode(),
    }
    for name, data in named.items():
        with a.case(cls, name):
            code, out, err = in_process(data)
            check(code in (0, 1) and out and not err.strip() if name == "UTF-8 BOM" else code == 2 and one_line(err),
                  f"exit {code}, stderr {err[:200]!r}")
    for value in ("300000000", "-1", "17", "x", "1e3", "\u0663", "0", "16"):
        with a.case(cls, f"--indent {value}"):
            code, out, err = in_process(text.encode(), "--indent", value)
            ok = value in ("0", "16")
            check((code == 0 and json.loads(out)) if ok else (code == 2 and one_line(err)), f"{code} {err[:120]!r}")
    for i in range(fuzz):
        data = mutate(text, a.rng).encode("utf-8", "surrogatepass")
        with a.case(cls, f"fuzzed JSON #{i}"):
            code, out, err = in_process(data)
            check(code in (0, 1, 2), f"exit {code}")
            check("Traceback" not in err and (code != 2 or one_line(err)), f"stderr {err[:200]!r}")
    # Files and streams, as a person runs them.
    env = env_for(a.fresh("resolve-user"))
    runs: dict[str, Callable[[], object]] = {}
    fifo_dir = a.fresh("resolve-fifo")
    fifo = fifo_dir / "enc.json"
    os.mkfifo(fifo)

    def endless() -> None:
        p = subprocess.run(["sh", "-c", f"cat /dev/zero | {sys.executable} -m desktop resolve -"], cwd=ROOT, env=env,
                           capture_output=True, text=True, timeout=60, check=False)
        check(p.returncode == 2 and one_line(p.stderr) and "larger than 1 MB" in p.stderr, p.stderr[:200])

    def dev_zero() -> None:
        r = run_measured(["-m", "desktop", "resolve", "/dev/zero"], env=env, timeout=60)
        check(r.returncode == 2 and one_line(r.stderr) and "a device" in r.stderr, r.stderr[:200])

    def a_folder() -> None:
        r = run_measured(["-m", "desktop", "resolve", str(fifo_dir)], env=env, timeout=60)
        check(r.returncode == 2 and one_line(r.stderr) and "a folder" in r.stderr, r.stderr[:200])

    def a_pipe() -> None:
        writer = subprocess.Popen(["sh", "-c", f"printf '%s' '{text}' > '{fifo}'"])
        r = run_measured(["-m", "desktop", "resolve", str(fifo)], env=env, timeout=60)
        writer.wait(timeout=30)
        check(r.returncode == 0 and json.loads(r.stdout)["procedures"][0]["code"] == "64483", r.stderr[:200])

    def missing() -> None:
        r = run_measured(["-m", "desktop", "resolve", str(fifo_dir / "nope.json")], env=env, timeout=60)
        check(r.returncode == 2 and one_line(r.stderr), r.stderr[:200])

    runs = {"resolve /dev/zero": dev_zero, "cat /dev/zero | resolve -": endless, "resolve FOLDER": a_folder,
            "resolve FIFO (with a writer)": a_pipe, "resolve missing file": missing}
    for name, fn in runs.items():
        with a.case(cls, name):
            fn()


# ---------------------------------------------------------------------------------------------------------
# packs: validate

PLACES = ("codes/notes.yaml", "sources.yaml", "pack.yaml")


def hostile_pack(folder: Path, place: str, text: str) -> Path:
    if place == "codes/notes.yaml":
        return write_pack(folder, codes_text=text)
    if place == "sources.yaml":
        return write_pack(folder, sources_text=text)
    write_pack(folder)
    (folder / "pack.yaml").write_text(text, encoding="utf-8", errors="surrogateescape")
    return folder


def attack_validate(a: Attack, fuzz: int) -> None:
    from desktop.core.data import load_builtin
    from desktop.core.packs.install import validate_pack

    cls = "packs: validate"
    base = load_builtin()
    for name, text in HOSTILE_YAML.items():
        for place in PLACES:
            with a.case(cls, f"{name} in {place}"):
                manifest, problems = validate_pack(hostile_pack(a.fresh("v"), place, text), base=base)
                check(bool(problems) and all(p.line >= 1 and p.message for p in problems), f"{problems[:2]}")
    # The bombs and depth cases in a real process under a memory cap, peak RSS measured.
    env = env_for(a.fresh("validate-user"))
    for name, text in HOSTILE_YAML.items():
        if not any(w in name for w in ("deep", "bomb", "laughs")):
            continue
        with a.case(cls, f"{name} (validate-pack, RLIMIT_AS {CAP_MB} MB)"):
            folder = hostile_pack(a.fresh("cap"), "codes/notes.yaml", text)
            r = run_measured(["-m", "desktop", "validate-pack", str(folder)], env=env, cap_mb=CAP_MB, timeout=120)
            first = r.stdout.splitlines()[0] if r.stdout else r.stderr[-200:]
            a.rss.append((name, r.peak_rss_mb, first))
            check(r.returncode == 1 and "Traceback" not in r.stderr and "codes/notes.yaml:" in r.stdout,
                  f"exit {r.returncode}: {r.stderr[-300:]}")
            check(r.peak_rss_mb < RSS_LIMIT_MB, f"peak RSS {r.peak_rss_mb:.0f} MB")
    for name, text in (("9-level merge-key bomb", merge_bomb()), ("billion laughs as a mapping key",
                                                                   HOSTILE_YAML["billion laughs as a mapping key"])):
        # Not a GuideCode case: plain PyYAML on the same text, to show what the pre-scan prevents.
        src = a.fresh("plain") / "bomb.yaml"
        src.write_text(text, encoding="utf-8")
        code = f"import yaml; yaml.load(open({str(src)!r}).read(), Loader=yaml.CSafeLoader)"
        r = run_measured(["-c", code], env=env, cap_mb=CAP_MB, timeout=300)
        last = (r.stderr.strip().splitlines() or ["(no output)"])[-1]
        a.rss.append((f"{name}, plain yaml.load (no GuideCode), for comparison", r.peak_rss_mb,
                      f"exit {r.returncode}: {last}"))
    with a.case(cls, "valid pack (baseline)"):
        r = run_measured(["-m", "desktop", "validate-pack", str(write_pack(a.fresh("ok")))], env=env, cap_mb=CAP_MB)
        a.rss.append(("valid pack (baseline)", r.peak_rss_mb, r.stdout.strip()[-60:]))
        check(r.returncode == 0, r.stderr)
    # A FIFO and a device in the pack; 100,000 listed files.
    with a.case(cls, "pack.yaml is a FIFO"):
        folder = write_pack(a.fresh("fifo"))
        (folder / "pack.yaml").unlink()
        os.mkfifo(folder / "pack.yaml")
        r = run_measured(["-m", "desktop", "validate-pack", str(folder)], env=env, timeout=60)
        check(r.returncode == 1 and "a pipe (FIFO)" in r.stdout, f"{r.returncode} {r.stdout[:200]}")
    with a.case(cls, "codes/x.yaml is a link to /dev/zero"):
        folder = write_pack(a.fresh("dev"))
        (folder / "codes" / "x.yaml").symlink_to("/dev/zero")
        _, problems = validate_pack(folder, base=base)
        check(any("is a link" in p.message for p in problems), f"{problems[:2]}")
    for n in (4_999, 100_000):
        with a.case(cls, f"{n:,} files listed but missing"):
            folder = write_pack(a.fresh("listed"))
            text = (folder / "pack.yaml").read_text(encoding="utf-8")
            text += "".join(f"  notes/n{i}.md: {'a' * 64}\n" for i in range(n))
            (folder / "pack.yaml").write_text(text, encoding="utf-8")
            t0 = time.perf_counter()
            _, problems = validate_pack(folder, base=base)
            a.timings.append((f"validate a pack listing {n:,} missing files", time.perf_counter() - t0))
            check(bool(problems), "accepted")
    # Mutation fuzzing of real pack files (the Hypothesis test in the suite does the same with shrinking).
    seeds = [(ROOT / "resources/samples/packs/example-payer-notes/codes/payer-notes.yaml").read_text(),
             (ROOT / "resources/samples/packs/example-payer-notes/sources.yaml").read_text(),
             (ROOT / "resources/data/codes/guidance.yaml").read_text()[:4000], merge_bomb(3, 3)]
    for i in range(fuzz):
        text = mutate(a.rng.choice(seeds), a.rng)
        place = a.rng.choice(PLACES[:2])
        with a.case(cls, f"fuzzed {place} #{i}"):
            manifest, problems = validate_pack(hostile_pack(a.fresh("fz"), place, text), base=base)
            check(all(p.line >= 1 and p.message for p in problems), f"{problems[:2]}")


# ---------------------------------------------------------------------------------------------------------
# packs: import and start-up

def attack_import(a: Attack) -> None:
    from desktop.core.data import load_builtin
    from desktop.core.packs import install

    cls = "packs: import"
    base = load_builtin()
    for name, text in HOSTILE_YAML.items():
        for place in PLACES:
            with a.case(cls, f"import {name} in {place}"):
                data = a.fresh("data")
                install.import_pack(write_pack(a.fresh("good")), data, base=base)
                before = snapshot(data)
                try:
                    install.import_pack(hostile_pack(a.fresh("bad"), place, text), data, base=base)
                except install.PackRefused as refused:
                    check(bool(refused.problems), "refused without a problem")
                else:
                    raise AssertionError("a hostile pack was imported")
                check(snapshot(data) == before, "the data folder changed")
    with a.case(cls, "file swapped after validation"):
        data = a.fresh("data")
        source = write_pack(a.fresh("src"))
        real = install.validate_pack

        def swap_after(*args: object, **kwargs: object) -> object:
            out = real(*args, **kwargs)  # type: ignore[arg-type]
            (source / "codes" / "notes.yaml").write_text("- [" * 25_000, encoding="utf-8")
            return out

        install.validate_pack = swap_after  # type: ignore[assignment]
        try:
            install.import_pack(source, data, base=base)
        except install.PackRefused as refused:
            check("changed while" in str(refused.problems[0]), str(refused.problems[0]))
        else:
            raise AssertionError("imported a swapped file")
        finally:
            install.validate_pack = real
        check(consistent_store(data) == {}, "something was installed")
    for names in (("Payer notes", "Payer notes!"), ("Payer notes", "PAYER NOTES"), ("A/B", "A\\B"), ("..", "."),
                  ("Ünïcode", "unicode"), ("x" * 80, "x" * 79 + "!")):
        with a.case(cls, f"folder names for {names[0]!r} then {names[1]!r}"):
            data = a.fresh("data")
            r1 = install.import_pack(write_pack(a.fresh("a"), name=names[0], source_id="L-A-1"), data, base=base)
            r2 = install.import_pack(write_pack(a.fresh("b"), name=names[1], source_id="L-B-1", code="64450"), data,
                                     base=base)
            installed = consistent_store(data)
            same = names[0].casefold() == names[1].casefold()
            check((r2.folder == r1.folder) == same, f"{r1.folder} / {r2.folder}")
            check(len(installed) == (1 if same else 2), f"{installed}")


def attack_startup(a: Attack) -> None:
    from desktop.core.data import load_builtin
    from desktop.core.packs import install, report, store

    cls = "packs: start-up"
    base = load_builtin()
    env = env_for(a.fresh("startup-user"))
    enc = json.dumps({"date_of_service": "2026-03-02", "procedures": [{"code": "64405"}]}).encode()

    def damaged(name: str, damage: Callable[[Path, Path], None]) -> None:
        with a.case(cls, name):
            data = a.fresh("data")
            result = install.import_pack(write_pack(a.fresh("good")), data, base=base)
            damage(data, data / "packs" / result.folder)
            rep = report.load_report(data, base)
            check(rep.catalog is not None, "no catalog")
            r = run_measured(["-m", "desktop", "resolve", "--data-dir", str(data), "-"], env=env, stdin=enc, timeout=60)
            check(r.returncode == 0 and "Traceback" not in r.stderr, f"exit {r.returncode}: {r.stderr[-300:]}")

    for name, text in HOSTILE_YAML.items():
        damaged(f"installed code file replaced: {name}", lambda d, p, t=text: (p / "codes" / "notes.yaml").write_text(
            t, encoding="utf-8", errors="surrogateescape"))
        damaged(f"installed pack.yaml replaced: {name}", lambda d, p, t=text: (p / "pack.yaml").write_text(
            t, encoding="utf-8", errors="surrogateescape"))
    state_damage = {
        "deep": "[" * 100_000, "huge int": '{"disabled": [' + "9" * 5000 + "]}", "duplicate keys":
        '{"disabled": [], "disabled": []}', "binary": "\x00\x01\x02", "wrong shape": '{"disabled": "all"}',
        "NaN": "NaN", "10 MB": " " * (10 * 1024 * 1024)}
    for name, text in state_damage.items():
        damaged(f"data-packs.json {name}", lambda d, p, t=text: (d / "data-packs.json").write_text(t, encoding="utf-8"))
    damaged("data-packs.json is a FIFO", lambda d, p: os.mkfifo(d / "data-packs.json"))
    damaged("data-packs.json is a folder", lambda d, p: (d / "data-packs.json").mkdir())
    damaged("journal damaged", lambda d, p: (d / store.JOURNAL_FILE).write_text("{", encoding="utf-8"))
    damaged("journal is a FIFO", lambda d, p: os.mkfifo(d / store.JOURNAL_FILE))
    damaged("journal names a folder outside", lambda d, p: (d / store.JOURNAL_FILE).write_text(json.dumps(
        {"op": "remove", "folder": "../../etc", "name": "x", "version": "", "token": "0" * 32, "step": "removing"}),
        encoding="utf-8"))
    damaged("pack folder replaced by a file", lambda d, p: (shutil.rmtree(p), p.write_text("x")))
    damaged("a FIFO in the pack folder", lambda d, p: os.mkfifo(p / "codes" / "pipe.yaml"))
    damaged("stale leftovers", lambda d, p: ((d / "packs" / ".import-x").mkdir(), (d / "packs" / ".remove-y").mkdir(),
                                             (d / ".tmp-data-packs.json.zz").write_text("")))


# ---------------------------------------------------------------------------------------------------------
# packs: concurrency and kills

IMPORT_SNIPPET = textwrap.dedent("""
    import json, sys
    from pathlib import Path
    from desktop.core.packs import install
    from desktop.core.packs.locking import StoreError
    op = sys.argv[1]
    try:
        if op == "remove":
            install.remove_pack(Path(sys.argv[2]), sys.argv[3])
            print(json.dumps({"ok": True}))
        else:
            r = install.import_pack(Path(sys.argv[3]), Path(sys.argv[2]))
            print(json.dumps({"ok": True, "folder": r.folder}))
    except install.PackRefused as exc:
        print(json.dumps({"ok": False, "refused": [str(p) for p in exc.problems]}))
    except StoreError as exc:
        print(json.dumps({"ok": False, "error": str(exc)}))
""")


def attack_concurrency(a: Attack, trials: int) -> None:
    cls = "packs: concurrency"
    for trial in range(trials):
        with a.case(cls, f"two imports at once, trial {trial}"):
            data = a.fresh("data")
            env = env_for(a.fresh("user"))
            srcs = [write_pack(a.fresh("a"), name="Payer notes", source_id="L-A-1"),
                    write_pack(a.fresh("b"), name="Payer notes!", source_id="L-B-1", code="64450")]
            procs = [subprocess.Popen([sys.executable, "-c", IMPORT_SNIPPET, "install", str(data), str(s)], cwd=ROOT,
                                      env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for s in srcs]
            results = []
            for p in procs:
                out, err = p.communicate(timeout=180)
                check(p.returncode == 0 and "Traceback" not in err, err[-300:])
                results.append(json.loads(out))
            installed = consistent_store(data)
            names = [n for n, _ in installed.values()]
            for res, name in zip(results, ("Payer notes", "Payer notes!"), strict=True):
                check(res["ok"] == (name in names), f"reported {res} but installed {installed}")
    with a.case(cls, "import while another process holds the lock past the wait"):
        data = a.fresh("data")
        env = env_for(a.fresh("user"))
        holder = subprocess.Popen([sys.executable, "-c", "import sys, time; from pathlib import Path; "
                                   "from desktop.core.packs.locking import store_lock\n"
                                   f"with store_lock(Path({str(data)!r})):\n print('held', flush=True); "
                                   "time.sleep(60)"],
                                  cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
        assert holder.stdout is not None
        check(holder.stdout.readline().strip() == "held", "lock not taken")
        snippet = "import desktop.core.packs.locking as L; L.WAIT_SECONDS = 1.0\n" + IMPORT_SNIPPET
        p = subprocess.run([sys.executable, "-c", snippet, "install", str(data), str(write_pack(a.fresh("s")))],
                           cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False)
        holder.kill()
        holder.wait()
        holder.stdout.close()
        res = json.loads(p.stdout)
        check(not res["ok"] and "another GuideCode" in res.get("error", ""), str(res))
        check(consistent_store(data) == {}, "installed anyway")


def attack_kill_steps(a: Attack) -> None:
    from desktop.core.packs import folders, locking, store

    cls = "packs: kill at each step"
    enc = json.dumps({"date_of_service": "2026-03-02", "procedures": [{"code": "64405"}]}).encode()
    points = [(s, "install") for s in store.INSTALL_STEPS if s != "old-moved"]
    points += [(s, "update") for s in store.INSTALL_STEPS] + [(s, "remove") for s in store.REMOVE_STEPS]
    for step, op in points:
        with a.case(cls, f"{op}: SIGKILL at {step}"):
            data = a.fresh("data")
            env = env_for(a.fresh("user"))

            def run(op_: str, arg: str, kill: str | None, env: dict[str, str] = env,
                    data: Path = data) -> subprocess.CompletedProcess[str]:
                e = {**env, **({locking.KILL_ENV: kill} if kill else {})}
                return subprocess.run([sys.executable, "-c", IMPORT_SNIPPET, op_, str(data), arg], cwd=ROOT, env=e,
                                      capture_output=True, text=True, timeout=120, check=False)

            if op in ("update", "remove"):
                check(json.loads(run("install", str(write_pack(a.fresh("v1"), version="1")), None).stdout)["ok"], "v1")
            if op == "remove":
                folders.set_enabled(data, "payer-notes", False)
                killed = run("remove", "payer-notes", step)
            else:
                killed = run("install", str(write_pack(a.fresh("v2"), version="2")), step)
            check(killed.returncode == -signal.SIGKILL, f"not killed: {killed.returncode} {killed.stderr[-200:]}")
            r = run_measured(["-m", "desktop", "resolve", "--data-dir", str(data), "-"], env=env, stdin=enc, timeout=60)
            check(r.returncode == 0 and "Traceback" not in r.stderr, r.stderr[-300:])
            message = " ".join(ln[len("guidecode: "):] for ln in r.stderr.splitlines() if ln.startswith("guidecode: "))
            a.kill_messages.append((op, step, message or "(nothing to say: the change had finished)"))
            installed = consistent_store(data)
            rolled_back = step in ("begin", "staging", "staged")
            if op == "install":
                want = {} if rolled_back else {"payer-notes": ("Payer notes", "2")}
            elif op == "update":
                want = {"payer-notes": ("Payer notes", "1" if rolled_back else "2")}
            else:
                want = {}
            check(installed == want, f"installed {installed}, wanted {want}")
            check(step in ("done", "remove-done") or "interrupted" in message, f"no message: {r.stderr[-200:]}")


# ---------------------------------------------------------------------------------------------------------
# Full and read-only disks

@contextlib.contextmanager
def tmpfs(path: Path, size: str) -> Iterator[Path]:
    path.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], check=True, capture_output=True)
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def fill(folder: Path) -> None:
    fd = os.open(folder / "filler", os.O_WRONLY | os.O_CREAT)
    try:
        while True:
            os.write(fd, b"\0" * 4096)
    except OSError as exc:
        check(exc.errno == errno.ENOSPC, str(exc))
    finally:
        os.close(fd)


def attack_disks(a: Attack, root_ok: bool) -> None:
    from desktop.core import descriptors
    from desktop.core.data import load_builtin
    from desktop.core.packs import folders, install, locking, store

    cls = "packs: full / read-only disk"
    base = load_builtin()
    actions: dict[str, Callable[[Path, Path], object]] = {
        "import a new pack": lambda d, w: install.import_pack(write_pack(w / "n", name="New", source_id="L-N-1",
                                                                         extra={"README.md": b"x" * 300_000}), d,
                                                              base=base),
        "update the pack": lambda d, w: install.import_pack(write_pack(w / "u", version="2",
                                                                       extra={"README.md": b"x" * 300_000}), d,
                                                            base=base),
        "turn the pack off": lambda d, w: folders.set_enabled(d, "payer-notes", False),
        "remove the pack": lambda d, w: install.remove_pack(d, "payer-notes"),
        "save descriptors": lambda d, w: descriptors.save(d, {"64405": "x" * 1500} | {f"{i:05d}": "y" * 1500
                                                                                      for i in range(10000, 10400)},
                                                          "d.csv"),
    }
    if root_ok:
        for mode in ("full", "read-only"):
            for name, act in actions.items():
                if mode == "full" and name == "remove the pack":
                    continue  # removing frees space: it works on a full disk (checked below)
                with a.case(cls, f"{mode} tmpfs: {name}"):
                    work = a.fresh("w")
                    with tmpfs(a.fresh("mnt"), "512k") as mnt:
                        data = mnt / "data"
                        install.import_pack(write_pack(work / "a"), data, base=base)
                        if mode == "full":
                            fill(mnt)
                        else:
                            subprocess.run(["mount", "-o", "remount,ro", str(mnt)], check=True)
                        before = snapshot(data)
                        try:
                            act(data, work)
                        except OSError as exc:
                            check(any(w in str(exc) for w in ("the disk is full", "the disk is read-only",
                                                              "No space left", "Read-only")), str(exc))
                        else:
                            raise AssertionError("no error on a full / read-only disk")
                        check(snapshot(data) == before, "the data folder changed")
        with a.case(cls, "full tmpfs: remove the pack (frees space)"):
            work = a.fresh("w")
            with tmpfs(a.fresh("mnt"), "512k") as mnt:
                data = mnt / "data"
                install.import_pack(write_pack(work / "a"), data, base=base)
                fill(mnt)
                with contextlib.suppress(OSError):
                    install.remove_pack(data, "payer-notes")
                from desktop.core.packs import report
                report.load_report(data, base)
                left = consistent_store(data)
                check(left in ({}, {"payer-notes": ("Payer notes", "1")}), f"{left}")
    else:
        a.skip(cls, "tmpfs cases", "needs root to mount a tmpfs")
    for err in (errno.ENOSPC, errno.EROFS, errno.EACCES, errno.EIO):
        for where, target, attr in (("staging", store, "write_atomic"), ("journal", store, "write_text_atomic"),
                                    ("state", folders, "write_text_atomic"), ("descriptors", descriptors,
                                                                                "write_text_atomic")):
            with a.case(cls, f"injected {errno.errorcode[err]} at {where}"):
                work = a.fresh("w")
                data = work / "data"
                install.import_pack(write_pack(work / "a"), data, base=base)
                before = snapshot(data)
                real = getattr(target, attr)

                def boom(*args: object, e: int = err, **kwargs: object) -> None:
                    raise OSError(e, os.strerror(e))

                setattr(target, attr, boom)
                try:
                    try:
                        if where == "state":
                            folders.set_enabled(data, "payer-notes", False)
                        elif where == "descriptors":
                            descriptors.save(data, {"64405": "x"}, "d.csv")
                        else:
                            install.import_pack(write_pack(work / "b", version="2"), data, base=base)
                    except (locking.StoreError, OSError):
                        pass
                    else:
                        raise AssertionError("no error")
                finally:
                    setattr(target, attr, real)
                check(snapshot(data) == before, "the data folder changed")


# ---------------------------------------------------------------------------------------------------------
# Descriptors, settings, network, patient data, kills

def attack_descriptors(a: Attack) -> None:
    from desktop.core import descriptors

    cls = "descriptors"
    stores = {"deep": "[" * 100_000, "huge int": '{"format": 1, "descriptors": {}, "n": ' + "9" * 5000 + "}",
              "duplicate keys": '{"format": 1, "format": 1, "descriptors": {}}', "binary": "\x00\x89PNG",
              "wrong shape": '{"format": 1, "descriptors": {"64405": [1]}}', "NaN": "NaN",
              "too long": '{"format": 1, "descriptors": {"64405": "' + "x" * 3000 + '"}}',
              "control chars": '{"format": 1, "descriptors": {"64405": "a\\u0007b"}}', "25 MB": " " * (25 << 20),
              "not UTF-8": "\udcff"}
    for name, text in stores.items():
        with a.case(cls, f"stored file: {name}"):
            d = a.fresh("d")
            path = descriptors.store_path(d)
            path.parent.mkdir(parents=True)
            path.write_bytes(text.encode("utf-8", "surrogateescape"))
            got, problems = descriptors.load_saved(d)
            check(got is None and len(problems) == 1, f"{got} {problems}")
    for name in ("stored file: FIFO", "stored file: folder"):
        with a.case(cls, name):
            d = a.fresh("d")
            path = descriptors.store_path(d)
            path.parent.mkdir(parents=True)
            os.mkfifo(path) if "FIFO" in name else path.mkdir()
            got, problems = descriptors.load_saved(d)
            check(got is None and len(problems) == 1, f"{problems}")
    csvs = {"empty": b"", "header only": b"code,descriptor\n", "blank lines": b"\n\n\n", "binary": bytes(range(256)),
            "UTF-16": "code,descriptor\n64405,x\n".encode("utf-16"), "unterminated quote": b'64405,"abc\n',
            "30 MB": b"6" * (30 << 20)}
    for name, data in csvs.items():
        with a.case(cls, f"CSV: {name}"):
            f = a.fresh("c") / "d.csv"
            f.write_bytes(data)
            result = descriptors.parse_file(f)
            check(bool(result.problems) and not result.good, f"{result.problems[:1]} {len(result.good)}")
    with a.case(cls, "CSV: FIFO"):
        f = a.fresh("c") / "d.csv"
        os.mkfifo(f)
        check(bool(descriptors.parse_file(f).problems), "no problem")
    # The window with a damaged store: starts, the menu is there (real app, first paint, then quits).
    for name, text in (("deep", "[" * 100_000), ("FIFO", None)):
        with a.case(cls, f"window starts with a {name} stored file"):
            user = a.fresh("user")
            path = descriptors.store_path(user)
            path.parent.mkdir(parents=True)
            os.mkfifo(path) if text is None else path.write_text(text, encoding="utf-8")
            r = run_measured(["-m", "desktop", "--no-error-dialogs"], env=env_for(user, GUIDECODE_EXIT_AFTER_PAINT="1"),
                             timeout=120)
            check(r.returncode == 0 and "STARTUP " in r.stdout and "Traceback" not in r.stderr, r.stderr[-300:])
            log = "".join(p.read_text(encoding="utf-8") for p in (user / "logs").glob("*.log"))
            check("licensed descriptors not shown" in log, "no message logged")


def attack_settings(a: Attack) -> None:
    cls = "settings"
    damages: dict[str, Callable[[Path], object]] = {
        "FIFO": lambda f: os.mkfifo(f), "folder": lambda f: f.mkdir(),
        "5 MB": lambda f: f.write_bytes(b"x" * (5 << 20)),
        "binary": lambda f: f.write_bytes(bytes(range(256)) * 64), "bad geometry": lambda f: f.write_text(
            "[window]\ngeometry-qt6.11=@ByteArray(garbage)\n", encoding="utf-8"),
        "wrong types": lambda f: f.write_text("[encounter]\nsetting=42\npayer=@Invalid()\nmodality=\\x0\n"),
        "unclosed group": lambda f: f.write_text("[window\nx=1\n"), "NUL bytes": lambda f: f.write_bytes(b"\0" * 999),
        "org file FIFO": lambda f: os.mkfifo(f.parent.parent / "GuideCode.ini"),
        "dialog history FIFO": lambda f: os.mkfifo(f.parent / "QtProject.conf"),
        "link to /dev/zero": lambda f: f.symlink_to("/dev/zero"),
    }
    for name, damage in damages.items():
        with a.case(cls, f"window starts over a {name} settings file"):
            user = a.fresh("user")
            f = user / "home" / ".config" / "GuideCode" / "GuideCode.ini"
            f.parent.mkdir(parents=True)
            damage(f)
            r = run_measured(["-m", "desktop", "--no-error-dialogs"], env=env_for(user, GUIDECODE_EXIT_AFTER_PAINT="1"),
                             timeout=60)
            check(r.returncode == 0 and "STARTUP " in r.stdout and "Traceback" not in r.stderr,
                  f"exit {r.returncode}: {r.stderr[-300:]}")


def attack_network(a: Attack, root_ok: bool) -> None:
    cls = "network"
    strace, unshare = shutil.which("strace"), shutil.which("unshare")
    work = a.fresh("net")
    enc = json.dumps({"procedures": [{"code": "64405"}]})
    pdf = textwrap.dedent(f"""
        import sys
        from pathlib import Path
        from PySide6.QtWidgets import QApplication
        from desktop.core.data import load_builtin
        from desktop.ui.main_window import MainWindow
        from desktop.ui.settings import Settings
        app = QApplication([])
        w = MainWindow(load_builtin(), Settings.at(Path({str(work)!r}) / "s.ini"))
        w.show(); app.processEvents()
        assert w.save_pdf(Path({str(work)!r}) / "x.pdf").read_bytes()[:5] == b"%PDF-"
        assert "PySide6.QtPrintSupport" not in sys.modules
    """)
    commands = {
        "--self-test": (["-m", "desktop", "--self-test", "--no-error-dialogs"], None, 0),
        "resolve": (["-m", "desktop", "resolve", "-"], enc, 0),
        "audit": (["-m", "desktop", "audit", str(ROOT / "resources/samples/claims-sample.csv"), "--out",
                   str(work / "r.csv")], None, 1),
        "PDF export": (["-c", pdf], None, 0),
        "validate-pack": (["-m", "desktop", "validate-pack", str(ROOT / "resources/samples/packs/example-payer-notes")],
                          None, 0),
        "window start": (["-m", "desktop", "--no-error-dialogs"], None, 0),
    }
    env = {**env_for(a.fresh("user"), GUIDECODE_EXIT_AFTER_PAINT="1"), "CUPS_SERVER": "127.0.0.1:631"}
    for name, (args, stdin, want) in commands.items():
        if strace is None:
            a.skip(cls, f"strace {name}", "strace is not installed")
        else:
            with a.case(cls, f"strace: {name} opens no socket"):
                trace = work / f"{name.strip('-').replace(' ', '_')}.strace"
                p = subprocess.run([strace, "-f", "-qq", "-e", "trace=socket,connect", "-o", str(trace),
                                    sys.executable, *args], input=stdin, env=env, cwd=ROOT, capture_output=True,
                                   text=True, timeout=300, check=False)
                check(p.returncode == want, f"exit {p.returncode}: {p.stderr[-300:]}")
                bad = [ln for ln in trace.read_text(errors="replace").splitlines()
                       if ("socket(" in ln or "connect(" in ln) and ("AF_INET" in ln or "cups" in ln.lower())]
                check(not bad, f"{bad[:3]}")
        if unshare is None or not root_ok:
            a.skip(cls, f"unshare -n {name}", "needs util-linux unshare and root")
        else:
            with a.case(cls, f"unshare -n: {name} works with no network"):
                p = subprocess.run([unshare, "-n", sys.executable, *args], input=stdin, env=env, cwd=ROOT,
                                   capture_output=True, text=True, timeout=300, check=False)
                check(p.returncode == want and "Traceback" not in p.stderr, f"exit {p.returncode}: {p.stderr[-300:]}")


def attack_patient_data(a: Attack) -> None:
    cls = "patient data"
    phi = "DOE_JANE_1961-04-12_MRN4417"
    from test_stored_files import DIALOG_SNIPPET  # the same dialogs the suite drives

    for then in ("keep", "clear"):
        for kind in ("open + save dialogs", "open + save dialogs, twice"):
            with a.case(cls, f"{kind}, then {then}"):
                user = a.fresh("user")
                claims = a.fresh("claims") / phi
                claims.mkdir()
                (claims / "claims.csv").write_text("claim_id,date,code\n1,2026-03-02,64405\n", encoding="utf-8")
                for _ in range(2 if "twice" in kind else 1):
                    p = subprocess.run([sys.executable, "-c", DIALOG_SNIPPET, str(claims), then], cwd=ROOT,
                                       env=env_for(user), capture_output=True, text=True, timeout=60, check=False)
                    check(p.returncode == 0, p.stderr[-300:])
                holding = sorted(q.relative_to(user).as_posix() for q in user.rglob("*")
                                 if q.is_file() and phi.encode() in q.read_bytes())
                allowed = [] if then == "clear" else ["home/.config/GuideCode/QtProject.conf"]
                check(holding == allowed, f"PHI found in {holding}")


KILL_WRITER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from desktop.core import descriptors
    from desktop.core.packs import folders
    data, what = Path(sys.argv[1]), sys.argv[2]
    print("ready", flush=True)
    i = 0
    while True:
        i += 1
        if what == "state":
            folders.set_enabled(data, f"pack-{i % 7}", i % 2 == 0)
        else:
            descriptors.save(data, {f"{64400 + (i % 90):05d}": "An office's own text " * 50 for _ in range(1)} |
                             {f"{10000 + k:05d}": f"row {k} of save {i}" for k in range(2000)}, f"save-{i}.csv")
""")


def attack_kills(a: Attack, trials: int) -> None:
    from desktop.core import descriptors
    from desktop.core.packs import folders

    cls = "kills"
    for what in ("state", "descriptors"):
        for trial in range(trials * 2):
            with a.case(cls, f"SIGKILL while writing {what}, trial {trial}"):
                data = a.fresh("data")
                (data / "packs").mkdir()
                p = subprocess.Popen([sys.executable, "-c", KILL_WRITER, str(data), what], cwd=ROOT,
                                     env=env_for(a.fresh("user")), stdout=subprocess.PIPE, text=True)
                assert p.stdout is not None
                check(p.stdout.readline().strip() == "ready", "writer did not start")
                time.sleep(a.rng.uniform(0.05, 0.6))
                p.send_signal(signal.SIGKILL)
                p.wait()
                p.stdout.close()
                if what == "state":
                    _, problems = folders.read_state(data)
                    check(problems == [], f"{problems}")
                else:
                    got, problems = descriptors.load_saved(data)
                    check(problems == [] and (got is None or len(got) >= 2000), f"{problems}")
                from desktop.core.packs import report
                report.load_report(data)  # the next start cleans the temp file a kill may leave
                names = os.listdir(data) + (os.listdir(data / "descriptors") if (data / "descriptors").is_dir() else [])
                leftovers = [n for n in names if n.startswith(".tmp-")]
                check(not leftovers, f"temp files left: {leftovers}")


# ---------------------------------------------------------------------------------------------------------

ORDER = ["resolve", "packs: validate", "packs: import", "packs: start-up", "packs: concurrency",
         "packs: kill at each step", "packs: full / read-only disk", "descriptors", "settings", "network",
         "patient data", "kills"]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=12)
    ap.add_argument("--fuzz", type=int, default=2000, help="fuzzed inputs for resolve and for pack validation")
    ap.add_argument("--trials", type=int, default=10, help="trials of the concurrent import and of each kill")
    ap.add_argument("--only", action="append", default=None, help="run only this class (repeatable)")
    ap.add_argument("--no-root", action="store_true", help="skip the tmpfs and unshare cases")
    ap.add_argument("--keep", type=Path, default=None, help="work in this folder and keep it")
    ns = ap.parse_args()
    root_ok = os.geteuid() == 0 and not ns.no_root
    work = ns.keep or Path(tempfile.mkdtemp(prefix="guidecode-attack-"))
    os.environ["GUIDECODE_USER_DIR"] = str(work / "in-process-user")
    a = Attack(work, ns.seed)
    steps: dict[str, Callable[[], None]] = {
        "resolve": lambda: attack_resolve(a, ns.fuzz),
        "packs: validate": lambda: attack_validate(a, ns.fuzz),
        "packs: import": lambda: attack_import(a),
        "packs: start-up": lambda: attack_startup(a),
        "packs: concurrency": lambda: attack_concurrency(a, ns.trials),
        "packs: kill at each step": lambda: attack_kill_steps(a),
        "packs: full / read-only disk": lambda: attack_disks(a, root_ok),
        "descriptors": lambda: attack_descriptors(a),
        "settings": lambda: attack_settings(a),
        "network": lambda: attack_network(a, root_ok),
        "patient data": lambda: attack_patient_data(a),
        "kills": lambda: attack_kills(a, ns.trials),
    }
    t_all = time.perf_counter()
    for name in ORDER:
        if ns.only and name not in ns.only:
            continue
        t0 = time.perf_counter()
        steps[name]()
        t = a.tally.get(name, Tally())
        took = time.perf_counter() - t0
        print(f"# {name}: {t.tried} tried, {t.clean} clean, {len(t.failures)} failed ({took:.0f} s)",
              file=sys.stderr, flush=True)
    print("\n| class | tried | handled cleanly | failures |\n|---|---:|---:|---:|")
    total = Tally()
    for name in ORDER:
        if name not in a.tally:
            continue
        t = a.tally[name]
        total.tried += t.tried
        total.clean += t.clean
        total.failures += t.failures
        note = f" ({len(t.not_run)} not run: {t.not_run[0]})" if t.not_run else ""
        print(f"| {name}{note} | {t.tried:,} | {t.clean:,} | {len(t.failures)} |")
    print(f"| **all** | **{total.tried:,}** | **{total.clean:,}** | **{len(total.failures)}** |")
    if a.rss:
        print(f"\nPeak RSS (VmHWM of the child), validate-pack under RLIMIT_AS {CAP_MB} MB; limit "
              f"{RSS_LIMIT_MB:.0f} MB:\n")
        for name, mb, first in a.rss:
            print(f"- {name}: {mb:.1f} MB — {first[:110]}")
    if a.timings:
        print()
        for name, sec in a.timings:
            print(f"- {name}: {sec * 1000:.0f} ms")
    if a.kill_messages:
        print("\nStart-up after each kill point (`resolve --data-dir`), the message on stderr:\n")
        for op, step, message in a.kill_messages:
            print(f"- {op} @ {step}: {message}")
    for name in ORDER:
        for failure in a.tally.get(name, Tally()).failures:
            print(f"FAILED [{name}] {failure}")
    print(f"\n{total.tried:,} cases in {time.perf_counter() - t_all:.0f} s; work folder {work}", file=sys.stderr)
    if ns.keep is None:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if total.failures else 0


if __name__ == "__main__":
    sys.exit(main())
