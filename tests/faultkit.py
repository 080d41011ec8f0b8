"""Shared by the fault tests (tests/test_safe_yaml.py, tests/test_pack_store.py, tests/test_stored_files.py)
and the attack script (bench/attack.py): small packs written on the fly, the hostile YAML inputs of issue 12,
and running GuideCode in a subprocess under a memory cap with its peak RSS measured."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from dataclasses import dataclass
from hashlib import sha256
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MB = 1024 * 1024


def checksum(data: bytes) -> str:
    return sha256(data).hexdigest()


def code_record(code: str = "64405", source_id: str = "L-T-1", state: str = "included") -> str:
    return textwrap.dedent(f"""\
        - code: "{code}"
          guidance:
            - modality: ultrasound
              state: {state}
              reason: A test pack's own note, in plain words.
              sources: [{source_id}]
              confidence: medium
        """)


def write_pack(folder: Path, *, name: str = "Payer notes", version: str = "1", code: str = "64405",
               source_id: str = "L-T-1", codes_text: str | None = None, sources_text: str | None = None,
               manifest_text: str | None = None, extra: dict[str, bytes] | None = None,
               checksums: bool = True) -> Path:
    """A pack folder: one code override citing its own source id, with correct checksums (unless
    ``checksums`` is False). ``codes_text`` / ``sources_text`` replace those files; ``manifest_text``
    replaces pack.yaml whole; ``extra`` adds files (listed with their checksums)."""
    folder.mkdir(parents=True, exist_ok=True)
    files: dict[str, bytes] = {
        "codes/notes.yaml": (codes_text if codes_text is not None else code_record(code, source_id)).encode(
            "utf-8", "surrogateescape"),
        "sources.yaml": (sources_text if sources_text is not None else
                         f'- id: {source_id}\n  title: {json.dumps("A test source for " + name)}\n'
                         '  kind: "Local note"\n  reliability: "Test"\n').encode("utf-8", "surrogateescape"),
    }
    files.update(extra or {})
    for rel, data in files.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_bytes(data)
    if manifest_text is None:
        listed = "".join(f"  {rel}: {checksum(data) if checksums else '0' * 64}\n" for rel, data in files.items())
        manifest_text = (f'name: {json.dumps(name)}\nversion: "{version}"\ncode_set_year: 2026\neffective:\n'
                         f"  from: 2026-01-01\nfiles:\n{listed}")
    (folder / "pack.yaml").write_text(manifest_text, encoding="utf-8")
    return folder


def relist(folder: Path) -> None:
    """Rewrite pack.yaml's ``files:`` block with the checksums of the files as they are now."""
    from desktop.core.packs.reading import compute_checksums

    text = (folder / "pack.yaml").read_text(encoding="utf-8")
    head = text.split("files:")[0]
    listed = "".join(f"  {rel}: {digest}\n" for rel, digest in compute_checksums(folder).items())
    (folder / "pack.yaml").write_text(f"{head}files:\n{listed}", encoding="utf-8")


# ---------------------------------------------------------------------------------------------------------
# Hostile YAML (issue 12): each is refused with a located problem, never a crash, a hang or gigabytes.


def merge_bomb(levels: int = 9, width: int = 9) -> str:
    """The merge-key bomb: each level merges the one below ``width`` times (700 bytes -> 9**9 pairs)."""
    lines = ["a0: &a0 {" + ", ".join(f"k{i}: {i}" for i in range(width)) + "}"]
    for level in range(1, levels + 1):
        lines.append(f"a{level}: &a{level} {{<<: [{', '.join([f'*a{level - 1}'] * width)}]}}")
    return "\n".join(lines) + "\n"


def laughs(levels: int = 9, width: int = 9) -> tuple[str, str]:
    """The anchors of "billion laughs" and the alias of the last level: (definitions, '*lN')."""
    lines = [f"- &l0 [{', '.join(['lol'] * width)}]"]
    for level in range(1, levels):
        lines.append(f"- &l{level} [{', '.join([f'*l{level - 1}'] * width)}]")
    return "\n".join(lines) + "\n", f"*l{levels - 1}"


def laughs_as_key() -> str:
    """Billion laughs used as a mapping key (PyYAML turns a list key into str(list): 9**9 strings)."""
    defs, alias = laughs()
    return "x:\n" + textwrap.indent(defs, "  ") + f"y: {{? {alias} : 1}}\n"


def laughs_as_source_id() -> str:
    """Billion laughs as a source id in sources.yaml."""
    defs, alias = laughs()
    return f"- id: L-T-1\n  title: bombs\n  kind: x\n  reliability: x\n  notes:\n{textwrap.indent(defs, '    ')}" \
           f"- id: {alias}\n  title: t\n  kind: k\n  reliability: r\n"


HOSTILE_YAML: dict[str, str] = {
    "flow nesting 25,000 deep (50 KB)": "[" * 25_000 + "]" * 25_000 + "\n",
    "flow nesting 1,000,000 deep": "[" * 1_000_000 + "\n",
    "block sequences 25,000 deep": "- " * 25_000 + "x\n",
    "mappings 5,000 deep": "{a: " * 5_000 + "1" + "}" * 5_000 + "\n",
    "block mappings 200 deep": "".join(" " * i + f"k{i}:\n" for i in range(200)) + " " * 200 + "x\n",
    "9-level merge-key bomb": merge_bomb(),
    "billion laughs as a mapping key": laughs_as_key(),
    "billion laughs as a source id": laughs_as_source_id(),
    "alias inside its own anchor": "- &a [1, *a]\n",
    "date 2026-02-30": code_record().replace("confidence: medium", "confidence: medium\n      from: 2026-02-30"),
    "5,000-digit year": code_record().replace("confidence: medium",
                                              "confidence: medium\n      from: " + "9" * 5000 + "-01-01"),
    "5,000-digit !!timestamp": "- !!timestamp " + "9" * 5000 + "-01-01\n",
    "5,000-digit integer": "- " + "9" * 5000 + "\n",
    "junk !!float": "- code: !!float junk\n",
    "junk !!int": "- code: !!int 12x\n",
    "junk !!timestamp": "- code: !!timestamp yesterday\n",
    "junk !!bool": "- code: !!bool perhaps\n",
    "!!python tag": "- !!python/object/apply:os.system [echo hi]\n",
    "list as a mapping key": "- {? [a, b] : 1}\n",
    "tab indentation": "- code: 1\n\t name: x\n",
    "NUL byte": "- code: \x00\n",
    "not UTF-8": "- code: \udcff\n",
    "duplicate key": "- code: '64405'\n  code: '64405'\n",
    "two documents": "- a\n---\n- b\n",
    "empty": "",
}


# ---------------------------------------------------------------------------------------------------------
# Running GuideCode in a subprocess


@dataclass(frozen=True)
class Run:
    returncode: int
    stdout: str
    stderr: str
    peak_rss_mb: float
    seconds: float


def env_for(user_dir: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(GUIDECODE_USER_DIR=str(user_dir), QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(ROOT),
               HOME=str(user_dir / "home"), XDG_CONFIG_HOME=str(user_dir / "home" / ".config"))
    env.update(extra)
    return env


# The child measures itself: ru_maxrss from wait4 is no good here, because Linux carries the parent's
# high-water mark into the child across fork/vfork and exec (a 150 MB pytest would make every child "150 MB").
# VmHWM in /proc/self/status belongs to the memory of the program after exec, so the child writes it at exit.
_BOOT = """
import atexit, resource, runpy, sys
cap, out = int(sys.argv[1]), sys.argv[2]
if cap:
    resource.setrlimit(resource.RLIMIT_AS, (cap << 20, cap << 20))

def _hwm():
    with open("/proc/self/status") as fh:
        kb = next(line.split()[1] for line in fh if line.startswith("VmHWM:"))
    with open(out, "w") as fh:
        fh.write(kb)

atexit.register(_hwm)
args = sys.argv[3:]
if args[0] == "-m":
    sys.argv = [args[1], *args[2:]]
    runpy.run_module(args[1], run_name="__main__", alter_sys=True)
else:
    sys.argv = ["-c", *args[2:]]
    exec(compile(args[1], "<string>", "exec"), {"__name__": "__main__"})
"""


def run_measured(args: list[str], *, env: dict[str, str] | None = None, cap_mb: int | None = None,
                 stdin: bytes | None = None, timeout: float = 120, cwd: Path = ROOT) -> Run:
    """Run ``python args...`` (``-m module ...`` or ``-c code ...``) with an address-space cap (RLIMIT_AS,
    ``cap_mb``) and its own peak RSS (VmHWM, written by the child at exit; 0.0 if it died without exiting,
    e.g. a crash). A run past ``timeout`` is killed and returns code -999."""
    import tempfile

    fd, hwm_name = tempfile.mkstemp(prefix="guidecode-hwm-")
    os.close(fd)
    hwm = Path(hwm_name)
    t0 = time.perf_counter()
    try:
        proc = subprocess.run([sys.executable, "-c", _BOOT, str(cap_mb or 0), str(hwm), *args], input=stdin,
                              stdin=None if stdin is not None else subprocess.DEVNULL, capture_output=True, env=env,
                              cwd=cwd, timeout=timeout, check=False)
        code, out, err = proc.returncode, proc.stdout, proc.stderr
    except subprocess.TimeoutExpired as exc:
        code, out, err = -999, exc.stdout or b"", (exc.stderr or b"") + b"\nTIMEOUT"
    seconds = time.perf_counter() - t0
    try:
        kb = int(hwm.read_text() or 0)
    finally:
        hwm.unlink(missing_ok=True)
    return Run(code, out.decode(errors="replace"), err.decode(errors="replace"), kb / 1024, seconds)


def no_traceback(run: Run) -> bool:
    return "Traceback" not in run.stderr and "Traceback" not in run.stdout
