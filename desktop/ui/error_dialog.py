"""The dialog shown for an uncaught exception: what happened, where the log is, copyable details.

:func:`show_error_dialog` is what ``desktop.app_logging.install_excepthook`` calls in the window (unless
``--no-error-dialogs``). The details text (versions, platform, traceback) is selectable and has a *Copy
details* button; the window stays open behind it, so the coder's encounter is not lost.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import Slot
from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop import APP_NAME, app_logging

log = logging.getLogger(__name__)


class ErrorDialog(QDialog):
    """An unexpected error: a plain explanation, the log file, the details and a Copy button."""

    def __init__(self, details: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("errorDialog")
        self.setWindowTitle(f"{APP_NAME}: unexpected error")
        self.details = details
        where = app_logging.log_file()
        logged = f"It was written to the log file:\n{where}" if where else "No log file could be written."
        self.message = QLabel(
            f"Something went wrong inside {APP_NAME}. Your encounter is still open; check the answer before "
            f"you bill.\n\n{logged}\n\nCopy the details below and send them to whoever supports {APP_NAME} "
            "in your office.")
        self.message.setObjectName("errorMessage")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(self.message.textInteractionFlags()
                                             | self.message.textInteractionFlags().TextSelectableByMouse)
        self.text = QPlainTextEdit(details)
        self.text.setObjectName("errorDetails")
        self.text.setAccessibleName("Error details")
        self.text.setReadOnly(True)
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.copy_button = QPushButton("&Copy details")
        self.copy_button.setObjectName("copyDetailsButton")
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.copy_button.clicked.connect(self.copy_details)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.message)
        layout.addWidget(self.text, 1)
        layout.addWidget(buttons)
        self.resize(720, 460)

    @Slot()
    def copy_details(self) -> None:
        QGuiApplication.clipboard().setText(self.details)
        self.copy_button.setText("Copied")


def show_error_dialog(details: str) -> None:
    """Show the error dialog modally over the active window (the excepthook's ``show_dialog``)."""
    if QApplication.instance() is None:
        return
    dialog = ErrorDialog(details, QApplication.activeWindow())
    try:
        dialog.exec()
    finally:
        dialog.deleteLater()
