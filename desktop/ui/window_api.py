"""What the data-pack and descriptor features may use of the main window: a small typed protocol, so they
depend on these few members instead of reaching into the window's widgets (``window: Any``).

:class:`desktop.ui.main_window.MainWindow` implements it; tests may implement it with anything else.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Protocol

from PySide6.QtCore import SignalInstance
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QListView, QStatusBar, QWidget

from desktop.core.model import Catalog, CodeRecord, Encounter, Resolution


class WindowHost(Protocol):
    """The window as the data-pack and descriptor controllers see it."""

    @property
    def catalog(self) -> Catalog: ...

    @property
    def highlight_changed(self) -> SignalInstance:
        """Emitted when the highlighted procedure of the search list changes."""

    @property
    def answer_changed(self) -> SignalInstance:
        """Emitted after the encounter or its answer changed (and was shown)."""

    def widget(self) -> QWidget:
        """The window itself: the parent for dialogs and controllers."""

    def statusBar(self) -> QStatusBar: ...  # noqa: N802 - QMainWindow's name

    def add_file_action(self, text: str, slot: Callable[[], object],
                        shortcut: QKeySequence | str | None = None) -> QAction: ...

    def set_catalog(self, catalog: Catalog) -> None: ...

    def encounter(self) -> Encounter: ...

    def resolution(self) -> Resolution: ...

    def highlighted_record(self) -> CodeRecord | None: ...

    def procedure_view(self) -> QListView:
        """The search list (the descriptors add their text to its tooltips)."""

    def add_search_widget(self, widget: QWidget) -> None:
        """Show ``widget`` in the search pane, under the preview of what Enter adds."""

    def add_answer_widget(self, widget: QWidget) -> None:
        """Show ``widget`` in the answer pane, under the answer."""

    def set_search_descriptors(self, descriptors: Mapping[str, str] | None) -> None:
        """Make the office's licensed descriptor text searchable (None: no longer)."""
