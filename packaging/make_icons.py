"""Draw GuideCode's application icon with QPainter and write every format the installers need.

    QT_QPA_PLATFORM=offscreen .venv/bin/python packaging/make_icons.py [--out resources/icons]

Writes (all committed; re-run only when the drawing changes):

- ``guidecode-<N>.png`` for N in 16 24 32 48 64 128 256 512: the Linux hicolor theme sizes (the .deb
  installs them) and the window icon (``guidecode-256.png``);
- ``guidecode.ico``: Windows exe + installer icon, PNG-compressed entries 16..256 (Windows Vista and
  later read PNG entries; GuideCode needs Windows 10 1809+ anyway);
- ``guidecode.icns``: macOS .app icon, PNG entries icp4..ic10 (16..1024 px);
- ``packaging/splash.png`` (``--splash-out``): the image of PyInstaller's optional onefile splash screen
  (a build input, not shipped as a resource).

No downloads and no Pillow: the ICO and ICNS containers are written by hand (both are a small header +
a table of PNG blobs). Each size is drawn from the same vector description, not downscaled, so the
small sizes stay crisp.
"""

from __future__ import annotations

import argparse
import os
import struct
import sys
from pathlib import Path

PNG_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
# ICNS OSType -> pixel size (PNG payloads are valid for all of these since macOS 10.7)
ICNS_TYPES = (("icp4", 16), ("icp5", 32), ("icp6", 64), ("ic07", 128), ("ic08", 256), ("ic09", 512),
              ("ic10", 1024))


def draw_png(size: int) -> bytes:
    """The icon at ``size`` x ``size`` pixels, PNG-encoded: a blue tile, a coding sheet, a guidance target."""
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QPointF, QRectF, Qt
    from PySide6.QtGui import QColor, QImage, QLinearGradient, QPainter, QPainterPath, QPen

    img = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    img.fill(Qt.GlobalColor.transparent)
    p = QPainter(img)
    p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    p.scale(size / 256.0, size / 256.0)          # draw in a 256-unit box

    # tile: rounded square, blue gradient
    tile = QRectF(12, 12, 232, 232)
    grad = QLinearGradient(QPointF(0, 12), QPointF(0, 244))
    grad.setColorAt(0.0, QColor("#2f80d1"))
    grad.setColorAt(1.0, QColor("#1b4f8f"))
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(grad)
    p.drawRoundedRect(tile, 48, 48)

    # coding sheet: white page with a folded corner and three code lines
    page = QPainterPath()
    page.moveTo(58, 44)
    page.lineTo(152, 44)
    page.lineTo(192, 84)
    page.lineTo(192, 210)
    page.lineTo(58, 210)
    page.closeSubpath()
    p.setBrush(QColor("#ffffff"))
    p.drawPath(page)
    fold = QPainterPath()
    fold.moveTo(152, 44)
    fold.lineTo(152, 84)
    fold.lineTo(192, 84)
    fold.closeSubpath()
    p.setBrush(QColor("#c9dcf2"))
    p.drawPath(fold)
    p.setBrush(QColor("#1b4f8f"))
    bar_h = 14 if size >= 32 else 18          # thicker bars so 16/24 px stay legible
    for y, w in ((92, 70), (122, 100), (152, 56)):
        p.drawRoundedRect(QRectF(76, y, w, bar_h), bar_h / 2, bar_h / 2)

    # guidance target (crosshair) overlapping the lower-right corner
    cx, cy, r = 178.0, 178.0, 46.0
    p.setBrush(QColor("#f2a23a"))
    p.setPen(QPen(QColor("#ffffff"), 8))
    p.drawEllipse(QPointF(cx, cy), r, r)
    pen = QPen(QColor("#ffffff"), 9 if size >= 32 else 12)
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    p.setPen(pen)
    p.setBrush(Qt.BrushStyle.NoBrush)
    if size >= 32:
        p.drawEllipse(QPointF(cx, cy), 20, 20)
    for dx, dy in ((0, -1), (0, 1), (-1, 0), (1, 0)):
        p.drawLine(QPointF(cx + dx * 12, cy + dy * 12), QPointF(cx + dx * 34, cy + dy * 34))
    p.end()

    data = QByteArray()
    buf = QBuffer(data)
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    if not img.save(buf, "PNG"):
        raise RuntimeError(f"could not encode the {size}px icon as PNG")
    buf.close()
    return bytes(data.data())


def draw_splash(width: int = 480, height: int = 240) -> bytes:
    """The onefile splash image: the icon, the name and "Starting..." on the icon's blue, PNG-encoded.
    No magenta anywhere: PyInstaller's Windows splash uses #ff00ff as the transparent colour."""
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QPointF, QRectF, Qt
    from PySide6.QtGui import QColor, QFont, QImage, QLinearGradient, QPainter

    img = QImage(width, height, QImage.Format.Format_RGB32)
    p = QPainter(img)
    p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    grad = QLinearGradient(QPointF(0, 0), QPointF(0, height))
    grad.setColorAt(0.0, QColor("#2f80d1"))
    grad.setColorAt(1.0, QColor("#1b4f8f"))
    p.fillRect(0, 0, width, height, grad)
    icon = QImage.fromData(draw_png(128), "PNG")
    p.drawImage(QPointF(32, (height - 128) / 2), icon)
    p.setPen(QColor("#ffffff"))
    title = QFont("DejaVu Sans", 30, QFont.Weight.Bold)
    p.setFont(title)
    left = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
    p.drawText(QRectF(184, 60, width - 200, 60), left, "GuideCode")
    p.setFont(QFont("DejaVu Sans", 13))
    p.drawText(QRectF(186, 124, width - 200, 40), left, "Starting\u2026")
    p.end()
    data = QByteArray()
    buf = QBuffer(data)
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    if not img.save(buf, "PNG"):
        raise RuntimeError("could not encode the splash image as PNG")
    buf.close()
    return bytes(data.data())


def ico_bytes(pngs: dict[int, bytes]) -> bytes:
    """A Windows .ico holding one PNG entry per size (ICONDIR + ICONDIRENTRY table + payloads)."""
    sizes = sorted(pngs)
    out = struct.pack("<HHH", 0, 1, len(sizes))
    offset = 6 + 16 * len(sizes)
    table, blobs = b"", b""
    for s in sizes:
        blob = pngs[s]
        dim = 0 if s >= 256 else s                      # 0 means 256 in the ICO directory
        table += struct.pack("<BBBBHHII", dim, dim, 0, 0, 1, 32, len(blob), offset)
        offset += len(blob)
        blobs += blob
    return out + table + blobs


def icns_bytes(pngs: dict[int, bytes]) -> bytes:
    """A macOS .icns: 'icns' + total length, then (OSType, length incl. 8-byte header, PNG) blocks."""
    body = b""
    for ostype, s in ICNS_TYPES:
        blob = pngs[s]
        body += ostype.encode("ascii") + struct.pack(">I", len(blob) + 8) + blob
    return b"icns" + struct.pack(">I", len(body) + 8) + body


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "resources" / "icons")
    ap.add_argument("--splash-out", type=Path, default=Path(__file__).resolve().parent / "splash.png")
    args = ap.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication

    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    need = sorted(set(PNG_SIZES) | set(ICO_SIZES) | {s for _, s in ICNS_TYPES})
    pngs = {s: draw_png(s) for s in need}
    args.out.mkdir(parents=True, exist_ok=True)
    written = []
    for s in PNG_SIZES:
        path = args.out / f"guidecode-{s}.png"
        path.write_bytes(pngs[s])
        written.append(path)
    (args.out / "guidecode.ico").write_bytes(ico_bytes({s: pngs[s] for s in ICO_SIZES}))
    (args.out / "guidecode.icns").write_bytes(icns_bytes(pngs))
    args.splash_out.write_bytes(draw_splash())
    written += [args.out / "guidecode.ico", args.out / "guidecode.icns", args.splash_out]
    for path in written:
        print(f"{path}  {path.stat().st_size} B")
    del app
    return 0


if __name__ == "__main__":
    sys.exit(main())
