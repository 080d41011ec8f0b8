"""Start-up and size benchmark of GuideCode's frozen builds against the baseline, in one run (not a test).

    python3 packaging/bench_startup.py [--warm 15] [--cold 10] [--work /tmp/guidecode-bench] [--no-build]
                                       [--no-splash] [--json results.json]

What it does, on this machine and in this one run:

1. builds GuideCode's onefile (shipped with PyInstaller's splash screen) and onedir executables with
   packaging/build.sh (packaging/guidecode.spec, the pinned build venv), and the same onefile without the
   splash (GUIDECODE_SPLASH=0) for comparison;
2. copies the shared baseline's app.py and slim.spec (../shared/baseline beside the repository, or
   GUIDECODE_BASELINE_DIR) into a temporary work folder and builds the baseline's reference "slim" onefile
   and onedir (``SLIM_ONEDIR=1``) with the same build venv, so PyInstaller, Qt, Python and the build options
   (windowed, strip, no UPX) are the same for both apps;
3. measures launch -> first painted window (the harness's ``time.time()`` just before ``Popen`` to the app's
   ``time.time()`` at the first Paint of its list view, printed as ``STARTUP {json}`` by
   ``BASELINE_EXIT_AFTER_PAINT=1`` / ``GUIDECODE_EXIT_AFTER_PAINT=1``), offscreen, warm (2 warm-up runs,
   then --warm runs) and cold (``sync; echo 3 > /proc/sys/vm/drop_caches`` before each of --cold runs;
   needs root). Variants are interleaved round by round so drift hits all of them alike;
4. on a private Xvfb server (xcb): time until *anything* of the app is visible (a top-level X window is
   mapped: the Tk splash, or the Qt window itself) and time to first paint, onefile without vs with the
   splash, to show whether the splash pays;
5. sizes (``du -sb``: the onefile executable; the onedir folder) and the ratios GuideCode / baseline slim;
6. the cost of the baseline's own probe: the same baseline onedir is built with its one ``view.viewport()``
   call timed (the first call makes shiboken wrap the viewport, milliseconds before the first paint;
   GuideCode's probe is a paintEvent override and makes no such call), and the start-up ratios are printed
   again with that cost taken off the baseline, so the probes' difference is not counted as GuideCode's gain.

Targets (issue 4): start-up <= 1.15x and size <= 1.2x the baseline's slim build. Medians are printed with
[min-max]. Method as ../shared/baseline/measure.py.
"""

from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _default_baseline() -> Path:
    """The shared baseline beside the repository (../shared/baseline), or, from a git worktree one folder
    further down, ../../shared/baseline; GUIDECODE_BASELINE_DIR overrides both."""
    ups = Path(__file__).resolve().parents
    candidates = [ups[n] / "shared" / "baseline" for n in (2, 3) if n < len(ups)]
    return next((c for c in candidates if c.is_dir()), candidates[0])


BASELINE = Path(os.environ.get("GUIDECODE_BASELINE_DIR") or _default_baseline())
VENV_PY = ROOT / "build" / "venv-build" / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
TARGET_STARTUP, TARGET_SIZE = 1.15, 1.2


# ---------------------------------------------------------------------------------------------- builds
def sh(cmd: list[str], *, env: dict[str, str] | None = None, cwd: Path | None = None, log: Path | None = None) -> None:
    t0 = time.perf_counter()
    with open(log, "w") if log else open(os.devnull, "w") as out:
        rc = subprocess.run(cmd, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT).returncode
    if rc != 0:
        if log:
            sys.stderr.write(log.read_text(errors="replace")[-4000:])
        raise SystemExit(f"bench: command failed ({rc}): {' '.join(cmd)}")
    print(f"  built in {time.perf_counter() - t0:5.1f} s: {' '.join(str(c) for c in cmd[-2:])}", flush=True)


def build_all(work: Path) -> None:
    logs = work / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    print("bench: building GuideCode (packaging/build.sh) ...", flush=True)
    sh(["bash", str(ROOT / "packaging" / "build.sh"), "onefile"], log=logs / "guidecode-onefile.log")
    sh(["bash", str(ROOT / "packaging" / "build.sh"), "onedir"], log=logs / "guidecode-onedir.log")
    # the shipped onefile has the splash (spec default); the same build without it, for comparison
    env = dict(os.environ, GUIDECODE_SPLASH="0")
    sh([str(VENV_PY), "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
        "--distpath", str(work / "dist-nosplash"), "--workpath", str(work / "build-nosplash"),
        str(ROOT / "packaging" / "guidecode.spec")], env=env, log=logs / "guidecode-nosplash.log")
    print("bench: building the baseline slim.spec (onefile, onedir) with the same venv ...", flush=True)
    base = work / "baseline"
    base.mkdir(exist_ok=True)
    for name in ("app.py", "slim.spec"):
        shutil.copy2(BASELINE / name, base / name)
    common = [str(VENV_PY), "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
              "--distpath", str(base / "dist"), "--workpath", str(base / "build"), "slim.spec"]
    sh(common, cwd=base, log=logs / "baseline-slim.log")
    sh(common, cwd=base, env=dict(os.environ, SLIM_ONEDIR="1"), log=logs / "baseline-slim-onedir.log")
    build_probe_timed_baseline(work)


# The baseline stamps its first paint with an event filter on ``view.viewport()``; the first call to viewport()
# makes shiboken wrap the viewport (a private QWidget subclass) for Python, which costs milliseconds before
# that paint. GuideCode's probe is a paintEvent override and calls no viewport(). To say how much of the
# difference is the probes themselves, the same baseline is also built with that one call timed.
PROBE_LINE = "    view.viewport().installEventFilter(fp)\n"
PROBE_TIMED = ("    _t_probe = _time.perf_counter()\n    _viewport = view.viewport()\n"
               "    marks[\"probe_viewport_ms\"] = (_time.perf_counter() - _t_probe) * 1e3\n"
               "    _viewport.installEventFilter(fp)\n")


def build_probe_timed_baseline(work: Path) -> None:
    folder = work / "baseline-probe"
    source = (BASELINE / "app.py").read_text(encoding="utf-8")
    if source.count(PROBE_LINE) != 1:
        print("bench: the baseline's probe line changed; its cost is not measured", flush=True)
        shutil.rmtree(folder, ignore_errors=True)
        return
    folder.mkdir(exist_ok=True)
    (folder / "app.py").write_text(source.replace(PROBE_LINE, PROBE_TIMED), encoding="utf-8")
    shutil.copy2(BASELINE / "slim.spec", folder / "slim.spec")
    sh([str(VENV_PY), "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN", "--distpath", str(folder / "dist"),
        "--workpath", str(folder / "build"), "slim.spec"], cwd=folder, env=dict(os.environ, SLIM_ONEDIR="1"),
       log=work / "logs" / "baseline-probe-timed.log")


def variants(work: Path) -> dict[str, dict[str, object]]:
    d, b = ROOT / "dist", work / "baseline" / "dist"
    out: dict[str, dict[str, object]] = {
        "baseline slim onefile": {"cmd": [str(b / "base_slim")], "size": b / "base_slim"},
        "GuideCode onefile": {"cmd": [str(d / "guidecode")], "size": d / "guidecode"},
        "GuideCode onefile, no splash": {"cmd": [str(work / "dist-nosplash" / "guidecode")],
                                         "size": work / "dist-nosplash" / "guidecode"},
        "baseline slim onedir": {"cmd": [str(b / "base_slim_onedir" / "base_slim_onedir")],
                                 "size": b / "base_slim_onedir"},
        "GuideCode onedir": {"cmd": [str(d / "guidecode-onedir" / "guidecode")], "size": d / "guidecode-onedir"},
    }
    timed = work / "baseline-probe" / "dist" / "base_slim_onedir"
    if (timed / "base_slim_onedir").exists():
        out[PROBE_VARIANT] = {"cmd": [str(timed / "base_slim_onedir")], "size": timed}
    return out


PROBE_VARIANT = "baseline onedir, probe timed"


# ---------------------------------------------------------------------------------------------- runs
def du_bytes(path: Path) -> int:
    return int(subprocess.run(["du", "-sb", str(path)], capture_output=True, text=True, check=True).stdout.split()[0])


def drop_caches() -> bool:
    try:
        subprocess.run(["sync"], check=True)
        with open("/proc/sys/vm/drop_caches", "w") as fh:
            fh.write("3\n")
        return True
    except OSError:
        return False


def app_env(home: Path, platform: str, display: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.update(BASELINE_EXIT_AFTER_PAINT="1", GUIDECODE_EXIT_AFTER_PAINT="1", QT_QPA_PLATFORM=platform,
               HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"), XDG_DATA_HOME=str(home / ".local/share"),
               XDG_CACHE_HOME=str(home / ".cache"), XDG_STATE_HOME=str(home / ".local/state"))
    if display:
        env["DISPLAY"] = display
    return env


def one_run(cmd: list[str], env: dict[str, str], watcher: X11Watcher | None = None) -> dict[str, float]:
    seen_before = watcher.viewable() if watcher else set()
    t0 = time.time()
    p = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    t_visible = None
    if watcher:
        while p.poll() is None and t_visible is None:
            if watcher.viewable() - seen_before:
                t_visible = time.time()
                break
            time.sleep(0.002)
    out = p.stdout.read() if p.stdout else ""
    p.wait()
    t_end = time.time()
    rec: dict[str, float] = {"rc": p.returncode, "wall_ms": (t_end - t0) * 1e3}
    for line in out.splitlines():
        if line.startswith("STARTUP "):
            marks = json.loads(line[8:])
            rec["paint_ms"] = (marks["epoch_paint"] - t0) * 1e3
            if "probe_viewport_ms" in marks:
                rec["probe_viewport_ms"] = marks["probe_viewport_ms"]
    if t_visible is not None:
        rec["visible_ms"] = (t_visible - t0) * 1e3
    if p.returncode != 0 or "paint_ms" not in rec:
        raise SystemExit(f"bench: {' '.join(cmd)} exited {p.returncode} without a STARTUP line "
                         "(is the GUIDECODE_EXIT_AFTER_PAINT hook in desktop/ui/main.py?)")
    return rec


def stats(vals: list[float]) -> dict[str, float]:
    return {"median": round(statistics.median(vals), 1), "min": round(min(vals), 1), "max": round(max(vals), 1),
            "n": len(vals)}


def fmt(s: dict[str, float] | None) -> str:
    return "—" if not s else f"{s['median']:7.1f} [{s['min']:.0f}–{s['max']:.0f}]"


# ---------------------------------------------------------------------------------------------- X11
class X11Watcher:
    """Which top-level windows on an X display are viewable (XQueryTree + XGetWindowAttributes, via ctypes)."""

    class Attrs(ctypes.Structure):
        _fields_ = [("x", ctypes.c_int), ("y", ctypes.c_int), ("width", ctypes.c_int), ("height", ctypes.c_int),
                    ("border_width", ctypes.c_int), ("depth", ctypes.c_int), ("visual", ctypes.c_void_p),
                    ("root", ctypes.c_ulong), ("class_", ctypes.c_int), ("bit_gravity", ctypes.c_int),
                    ("win_gravity", ctypes.c_int), ("backing_store", ctypes.c_int),
                    ("backing_planes", ctypes.c_ulong), ("backing_pixel", ctypes.c_ulong),
                    ("save_under", ctypes.c_int), ("colormap", ctypes.c_ulong), ("map_installed", ctypes.c_int),
                    ("map_state", ctypes.c_int), ("all_event_masks", ctypes.c_long),
                    ("your_event_mask", ctypes.c_long), ("do_not_propagate_mask", ctypes.c_long),
                    ("override_redirect", ctypes.c_int), ("screen", ctypes.c_void_p)]

    IS_VIEWABLE = 2

    def __init__(self, display: str) -> None:
        lib = ctypes.util.find_library("X11")
        if not lib:
            raise OSError("libX11 not found")
        self.x = ctypes.CDLL(lib)
        self.x.XOpenDisplay.restype = ctypes.c_void_p
        self.x.XOpenDisplay.argtypes = [ctypes.c_char_p]
        self.x.XDefaultRootWindow.restype = ctypes.c_ulong
        self.x.XDefaultRootWindow.argtypes = [ctypes.c_void_p]
        self.x.XQueryTree.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.POINTER(ctypes.c_ulong),
                                      ctypes.POINTER(ctypes.c_ulong), ctypes.POINTER(ctypes.POINTER(ctypes.c_ulong)),
                                      ctypes.POINTER(ctypes.c_uint)]
        self.x.XGetWindowAttributes.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.POINTER(self.Attrs)]
        self.x.XFree.argtypes = [ctypes.c_void_p]
        self.x.XSetErrorHandler.argtypes = [ctypes.c_void_p]
        # a window can vanish between XQueryTree and XGetWindowAttributes: ignore BadWindow
        self._handler = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p)(lambda d, e: 0)
        self.x.XSetErrorHandler(ctypes.cast(self._handler, ctypes.c_void_p))
        self.dpy = self.x.XOpenDisplay(display.encode())
        if not self.dpy:
            raise OSError(f"cannot open X display {display}")
        self.root = self.x.XDefaultRootWindow(self.dpy)

    def viewable(self) -> set[int]:
        root, parent, n = ctypes.c_ulong(), ctypes.c_ulong(), ctypes.c_uint()
        children = ctypes.POINTER(ctypes.c_ulong)()
        if not self.x.XQueryTree(self.dpy, self.root, ctypes.byref(root), ctypes.byref(parent),
                                 ctypes.byref(children), ctypes.byref(n)):
            return set()
        out = set()
        attrs = self.Attrs()
        for i in range(n.value):
            w = children[i]
            if self.x.XGetWindowAttributes(self.dpy, w, ctypes.byref(attrs)) and attrs.map_state == self.IS_VIEWABLE \
                    and attrs.width > 1 and attrs.height > 1:
                out.add(int(w))
        if children:
            self.x.XFree(children)
        return out


def start_xvfb() -> tuple[subprocess.Popen[bytes], str]:
    for n in range(87, 120):
        if not os.path.exists(f"/tmp/.X11-unix/X{n}") and not os.path.exists(f"/tmp/.X{n}-lock"):
            disp = f":{n}"
            proc = subprocess.Popen(["Xvfb", disp, "-screen", "0", "1280x1024x24", "-nolisten", "tcp"],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for _ in range(200):
                if os.path.exists(f"/tmp/.X11-unix/X{n}"):
                    time.sleep(0.2)
                    return proc, disp
                time.sleep(0.025)
            proc.kill()
            raise SystemExit("bench: Xvfb did not start")
    raise SystemExit("bench: no free X display number")


def report_probe_cost(table: dict[str, dict[str, object]], timed: dict[str, list[dict[str, float]]],
                      results: dict[str, object]) -> None:
    """What the baseline's own probe (its first ``view.viewport()`` call) costs before its first paint, and
    the start-up ratios once that cost is taken off the baseline (GuideCode's probe makes no such call)."""
    probe = {kind: statistics.median(r["probe_viewport_ms"] for r in timed[kind])
             for kind in ("warm", "cold") if timed[kind] and all("probe_viewport_ms" in r for r in timed[kind])}
    if not probe:
        return
    print()
    print("baseline probe: its first view.viewport() costs " + ", ".join(f"{v:.1f} ms {k}" for k, v in probe.items())
          + " before its first paint (GuideCode's probe, a paintEvent override, makes no such call)")
    fair: dict[str, dict[str, float]] = {}
    for kind, gname, bname in (("onefile", "GuideCode onefile", "baseline slim onefile"),
                               ("onedir", "GuideCode onedir", "baseline slim onedir")):
        r = {}
        for run in probe:
            g, b = table[gname][f"{run}_paint_ms"], table[bname][f"{run}_paint_ms"]
            if g and b:
                r[f"{run}_startup"] = g["median"] / (b["median"] - probe[run])  # type: ignore[index]
        fair[kind] = r
        verdict = [f"{key} {val:.3f}x ({'ok' if val <= TARGET_STARTUP else 'OVER'} ≤{TARGET_STARTUP})"
                   for key, val in r.items()]
        print(f"GuideCode/(baseline - its probe), {kind:9s}: " + "; ".join(verdict))
    results["baseline_probe_ms"] = probe
    results["ratios_without_baseline_probe"] = fair


# ---------------------------------------------------------------------------------------------- main
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--warm", type=int, default=15, help="warm runs per variant (after 2 warm-ups)")
    ap.add_argument("--cold", type=int, default=10, help="cold runs per variant (page cache dropped before each)")
    ap.add_argument("--splash-runs", type=int, default=7)
    ap.add_argument("--work", type=Path, default=None)
    ap.add_argument("--no-build", action="store_true", help="reuse dist/ and the work folder's builds")
    ap.add_argument("--no-splash", action="store_true", help="skip the X11 splash probe")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args(argv)
    if args.warm < 5 or args.cold < 5:
        raise SystemExit("bench: medians need at least 5 runs each")
    work = args.work or Path(tempfile.gettempdir()) / "guidecode-bench"
    work.mkdir(parents=True, exist_ok=True)
    if not args.no_build:
        build_all(work)
    vs = variants(work)
    for name, v in vs.items():
        if not Path(v["cmd"][0]).exists():  # type: ignore[index]
            raise SystemExit(f"bench: {name} is not built ({v['cmd'][0]}); run without --no-build")  # type: ignore[index]
    home = work / "home"
    home.mkdir(exist_ok=True)
    env = app_env(home, "offscreen")
    results: dict[str, object] = {"host": os.uname().release, "cpus": os.cpu_count(), "variants": {}}

    # ---- offscreen start-up, interleaved
    raw: dict[str, dict[str, list[dict[str, float]]]] = {n: {"warm": [], "cold": []} for n in vs}
    print(f"bench: warm runs (2 warm-ups + {args.warm} each, interleaved) ...", flush=True)
    for _ in range(2):
        for v in vs.values():
            one_run(v["cmd"], env)  # type: ignore[arg-type]
    for _ in range(args.warm):
        for name, v in vs.items():
            raw[name]["warm"].append(one_run(v["cmd"], env))  # type: ignore[arg-type]
    cold_ok = drop_caches()
    if cold_ok:
        print(f"bench: cold runs ({args.cold} each, page cache dropped before every run) ...", flush=True)
        for _ in range(args.cold):
            for name, v in vs.items():
                drop_caches()
                raw[name]["cold"].append(one_run(v["cmd"], env))  # type: ignore[arg-type]
    else:
        print("bench: cannot write /proc/sys/vm/drop_caches (not root): no cold runs", flush=True)

    table = {}
    for name, v in vs.items():
        row = {
            "size_bytes": du_bytes(v["size"]),  # type: ignore[arg-type]
            "warm_paint_ms": stats([r["paint_ms"] for r in raw[name]["warm"]]),
            "warm_wall_ms": stats([r["wall_ms"] for r in raw[name]["warm"]]),
            "cold_paint_ms": stats([r["paint_ms"] for r in raw[name]["cold"]]) if raw[name]["cold"] else None,
            "raw": raw[name],
        }
        table[name] = row
    results["variants"] = table

    # ---- splash probe on Xvfb
    splash_res = None
    nosplash_exe = work / "dist-nosplash" / "guidecode"
    if not args.no_splash and shutil.which("Xvfb"):
        xvfb, disp = start_xvfb()
        try:
            watcher = X11Watcher(disp)
            xenv = app_env(home, "xcb", disp)
            pair = {"onefile, no splash": [str(nosplash_exe)], "onefile + splash": [str(ROOT / "dist" / "guidecode")]}
            probe: dict[str, list[dict[str, float]]] = {k: [] for k in pair}
            print(f"bench: splash probe on Xvfb {disp} (xcb; 2 warm-ups + {args.splash_runs} each) ...", flush=True)
            for _ in range(2):
                for cmd in pair.values():
                    one_run(cmd, xenv, watcher)
            for _ in range(args.splash_runs):
                for k, cmd in pair.items():
                    probe[k].append(one_run(cmd, xenv, watcher))
            splash_res = {k: {"visible_ms": stats([r["visible_ms"] for r in v if "visible_ms" in r]),
                              "paint_ms": stats([r["paint_ms"] for r in v]), "raw": v} for k, v in probe.items()}
        finally:
            xvfb.terminate()
            xvfb.wait()
    results["splash"] = splash_res

    # ---- report
    print()
    print(f"{'variant':30s} {'size (B)':>12s}  {'warm launch→paint ms':>24s}  {'cold launch→paint ms':>24s}")
    for name, row in table.items():
        print(f"{name:30s} {row['size_bytes']:12,d}  {fmt(row['warm_paint_ms']):>24s}  "  # type: ignore[str-format]
              f"{fmt(row['cold_paint_ms']):>24s}")  # type: ignore[arg-type]
    ratios = {}
    print()
    for kind, gname, bname in (("onefile", "GuideCode onefile", "baseline slim onefile"),
                               ("onefile, no splash", "GuideCode onefile, no splash", "baseline slim onefile"),
                               ("onedir", "GuideCode onedir", "baseline slim onedir")):
        g, b = table[gname], table[bname]
        r = {"size": g["size_bytes"] / b["size_bytes"],  # type: ignore[operator]
             "warm_startup": g["warm_paint_ms"]["median"] / b["warm_paint_ms"]["median"]}  # type: ignore[index]
        if g["cold_paint_ms"] and b["cold_paint_ms"]:
            r["cold_startup"] = g["cold_paint_ms"]["median"] / b["cold_paint_ms"]["median"]  # type: ignore[index]
        ratios[kind] = r
        verdict = []
        for key, val in r.items():
            target = TARGET_SIZE if key == "size" else TARGET_STARTUP
            verdict.append(f"{key} {val:.3f}x ({'ok' if val <= target else 'OVER'} ≤{target})")
        print(f"GuideCode/baseline slim, {kind:18s}: " + "; ".join(verdict))
    results["ratios"] = ratios
    if PROBE_VARIANT in table:
        report_probe_cost(table, raw[PROBE_VARIANT], results)
    if splash_res:
        print()
        for k, v in splash_res.items():
            print(f"{k:20s} first X window visible {fmt(v['visible_ms'])} ms; first paint {fmt(v['paint_ms'])} ms")
        plain, with_splash = splash_res["onefile, no splash"], splash_res["onefile + splash"]
        gain = plain["visible_ms"]["median"] - with_splash["visible_ms"]["median"]
        cost = with_splash["paint_ms"]["median"] - plain["paint_ms"]["median"]
        print(f"splash: something visible {gain:+.0f} ms sooner; first paint of the window {cost:+.0f} ms later")
        results["splash_gain_ms"], results["splash_cost_ms"] = gain, cost
    out = args.json or work / "results.json"
    out.write_text(json.dumps(results, indent=1, default=str))
    print(f"\nbench: raw results in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
