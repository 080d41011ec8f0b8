"""The one-page summary as a PDF, made with :class:`QPdfWriter` (Qt GUI) and never with ``QPrinter``.

``QPrinter`` loads Qt's print support and its platform print plugin, which on Linux and macOS asks CUPS for
the printers: a connection to 127.0.0.1:631, or to whatever ``CUPS_SERVER`` names, just to write a file.
GuideCode promises no network use, so writing a PDF (File → Save as PDF, ``--self-test``) uses QPdfWriter,
which needs no printer system at all; only File → Print, when the person asks for a printer, loads print
support (``MainWindow.print_summary``).

The PDF is rendered into memory and written with :func:`desktop.core.atomicfile.write_atomic`: a partial
PDF never appears under the chosen name, and a full disk leaves the previous file as it was.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QLocale
from PySide6.QtGui import QPagedPaintDevice, QPageSize, QPdfWriter

from desktop.core.atomicfile import write_atomic

RESOLUTION_DPI = 1200  # what QPrinter's HighResolution mode gives a PDF


def page_size() -> QPageSize:
    """Letter where the locale measures in US units, else A4 (what QPrinter picks from the locale)."""
    us = QLocale().measurementSystem() == QLocale.MeasurementSystem.ImperialUSSystem
    return QPageSize(QPageSize.PageSizeId.Letter if us else QPageSize.PageSizeId.A4)


def pdf_bytes(render: Callable[[QPagedPaintDevice], None], *, title: str, creator: str) -> bytes:
    """The PDF that ``render(device)`` paints, as bytes."""
    data = QByteArray()
    buffer = QBuffer(data)
    if not buffer.open(QIODevice.OpenModeFlag.WriteOnly):
        raise OSError("could not prepare the PDF in memory")
    writer = QPdfWriter(buffer)
    writer.setResolution(RESOLUTION_DPI)
    writer.setPageSize(page_size())
    writer.setTitle(title)
    writer.setCreator(creator)
    render(writer)
    del writer  # ends the PDF (writes its trailer into the buffer)
    buffer.close()
    return bytes(data.data())


def save_pdf(path: Path | str, render: Callable[[QPagedPaintDevice], None], *, title: str, creator: str) -> Path:
    """Render and write the PDF to ``path`` atomically. Raises OSError (the previous file is kept)."""
    target = Path(path)
    write_atomic(target, pdf_bytes(render, title=title, creator=creator))
    return target
