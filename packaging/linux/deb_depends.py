"""Work out the .deb ``Depends:`` line from what the frozen onedir build really links to.

    python3 packaging/linux/deb_depends.py dist/guidecode-onedir [--recommends libcups.:libcups2]

For every ELF file in the bundle it reads the direct ``NEEDED`` entries (``objdump -p``). A library that the
bundle itself provides is skipped; the others are resolved the way the app's loader would (``ldd`` with
``LD_LIBRARY_PATH`` set to the bundle's ``_internal``, as PyInstaller's bootloader does) and mapped to the
Debian package that owns the file (``dpkg-query -S``). ``libc6`` gets a ``>=`` version: the highest
``GLIBC_x.y`` symbol version any bundled binary asks for (``objdump -T``).

``--recommends PREFIX:PACKAGE``: a library whose soname starts with PREFIX is optional and goes to
``Recommends: PACKAGE`` (named, not looked up, so the result does not depend on whether the build machine
has it). That is libcups: printing must talk to the user's own CUPS, so the spec never bundles it; without
it the app runs and writes PDFs, only the printer list is empty.

Prints two lines, ``Depends: ...`` and ``Recommends: ...``. Exits 1 if a needed library resolves nowhere.
"""

from __future__ import annotations

import argparse
import functools
import os
import re
import subprocess
import sys
from pathlib import Path


def is_elf(path: Path) -> bool:
    try:
        with path.open("rb") as fh:
            return fh.read(4) == b"\x7fELF"
    except OSError:
        return False


def elf_info(path: Path) -> tuple[list[str], set[tuple[int, ...]]]:
    """Direct NEEDED sonames and the GLIBC_x.y symbol versions the binary asks for."""
    out = subprocess.run(["objdump", "-p", "-T", str(path)], capture_output=True, text=True, check=False).stdout
    sonames = re.findall(r"^\s*NEEDED\s+(\S+)$", out, re.M)
    versions = {tuple(int(x) for x in v.split(".")) for v in re.findall(r"\bGLIBC_([0-9]+(?:\.[0-9]+)+)\b", out)}
    return sonames, versions


def ldd_map(path: Path, libdir: Path) -> dict[str, str | None]:
    env = dict(os.environ, LD_LIBRARY_PATH=str(libdir))
    out = subprocess.run(["ldd", str(path)], capture_output=True, text=True, env=env, check=False).stdout
    res: dict[str, str | None] = {}
    for line in out.splitlines():
        m = re.match(r"^\s*(\S+)\s+=>\s+(not found|\S+)", line)
        if m:
            res[m.group(1)] = None if m.group(2) == "not found" else m.group(2)
    return res


@functools.cache
def owner(lib_path: str) -> str | None:
    candidates = [lib_path, os.path.realpath(lib_path)]
    # merged /usr: dpkg knows some files under /lib, others under /usr/lib
    for c in list(candidates):
        if c.startswith("/usr/lib/"):
            candidates.append(c[len("/usr"):])
        elif c.startswith("/lib/"):
            candidates.append("/usr" + c)
    for c in candidates:
        r = subprocess.run(["dpkg-query", "-S", c], capture_output=True, text=True, check=False)
        if r.returncode == 0 and r.stdout.strip():
            return r.stdout.split(":", 1)[0].split(",")[0].strip()
    return None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("bundle", type=Path)
    ap.add_argument("--recommends", action="append", default=[], metavar="PREFIX:PACKAGE")
    args = ap.parse_args(argv)
    optional_libs = []
    for item in args.recommends:
        prefix, sep, pkg = item.partition(":")
        if not sep or not prefix or not pkg:
            ap.error(f"--recommends wants PREFIX:PACKAGE, got {item!r}")
        optional_libs.append((prefix, pkg))
    internal = args.bundle / "_internal"
    elves = [p for p in sorted(args.bundle.rglob("*")) if p.is_file() and not p.is_symlink() and is_elf(p)]
    if not elves:
        print(f"deb_depends: no ELF files under {args.bundle}", file=sys.stderr)
        return 1
    bundled = {p.name for p in args.bundle.rglob("*")}
    depends: dict[str, str] = {}
    recommends: set[str] = set()
    missing: list[str] = []
    glibc: set[tuple[int, ...]] = set()
    where: dict[str, str | None] = {}          # soname -> system path (the same for every binary)
    for elf in elves:
        sonames, versions = elf_info(elf)
        glibc |= versions
        direct = [n for n in sonames if n not in bundled]
        direct = ["libc.so.6" if n.startswith("ld-linux") else n for n in direct]   # the loader is libc6's
        if any(n not in where for n in direct):
            for name, path in ldd_map(elf, internal).items():
                where.setdefault(name, path)
        for name in direct:
            optional = [pkg for prefix, pkg in optional_libs if name.startswith(prefix)]
            if optional:
                recommends.update(optional)
                continue
            path = where.get(name)
            if path is None:
                missing.append(f"{name} (needed by {elf.relative_to(args.bundle)})")
                continue
            pkg = owner(path)
            if pkg is None:
                missing.append(f"{name} -> {path}: no Debian package owns it")
                continue
            depends.setdefault(pkg, name)
    if missing:
        print("deb_depends: unresolved libraries:\n  " + "\n  ".join(sorted(set(missing))), file=sys.stderr)
        return 1
    recommends -= set(depends)
    libc = max(glibc) if glibc else None
    items = []
    for pkg in sorted(depends):
        if pkg == "libc6" and libc:
            items.append(f"libc6 (>= {'.'.join(map(str, libc))})")
        else:
            items.append(pkg)
    if "libc6" not in depends and libc:
        items.insert(0, f"libc6 (>= {'.'.join(map(str, libc))})")
    print("Depends: " + ", ".join(items))
    print("Recommends: " + ", ".join(sorted(recommends)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
