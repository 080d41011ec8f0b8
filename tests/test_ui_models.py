"""The window's item models under Qt's model tester (pytest-qt's qtmodeltester), while they change."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from PySide6.QtCore import QModelIndex, Qt

from desktop.core.search import SearchIndex
from desktop.ui.models import (
    FETCH_BATCH,
    CodeRole,
    EncounterModel,
    EntryRole,
    NoteRole,
    ProcedureListModel,
    RecordRole,
    RegionModel,
    RegionRole,
    RowRole,
    ValidRole,
)

DOS = date(2026, 3, 16)


def test_procedure_list_model_passes_the_model_tester_while_filtering(qtmodeltester, catalog) -> None:
    model = ProcedureListModel(SearchIndex(catalog.records), DOS)
    qtmodeltester.check(model)
    for query in ["6", "64", "644", "6440", "64405", "", "occipital", "zzz", "si joint", "(", "esi lumbar", ""]:
        model.set_query(query)
        qtmodeltester.check(model)
    model.set_date(date(2012, 1, 1))
    model.set_date(DOS)
    qtmodeltester.check(model)
    model.set_index(SearchIndex(catalog.records[:10]))
    qtmodeltester.check(model)


def test_procedure_list_model_roles(catalog) -> None:
    model = ProcedureListModel(SearchIndex(catalog.records), DOS)
    # The view gets the first batch; scrolling fetches the rest (the catalog outgrew one batch in issue 14).
    assert model.rowCount() == min(FETCH_BATCH, len(catalog.records))
    while model.canFetchMore(QModelIndex()):
        model.fetchMore(QModelIndex())
    assert model.rowCount() == len(catalog.records)
    assert model.rowCount(model.index(0)) == 0  # a list: no children
    model.set_query("64405")
    idx = model.index(0)
    rec = catalog.get("64405")
    assert idx.data(RecordRole) is rec
    assert idx.data(CodeRole) == "64405"
    assert idx.data(ValidRole) is True
    assert idx.data(NoteRole) == ""
    assert idx.data(Qt.ItemDataRole.DisplayRole) == f"64405   {rec.name}"
    assert "occipital" in idx.data(Qt.ItemDataRole.ToolTipRole).lower()
    names = model.roleNames()
    assert bytes(names[RecordRole].data()) == b"record" and bytes(names[CodeRole].data()) == b"code"
    assert model.data(QModelIndex(), RecordRole) is None
    assert model.data(model.index(5, 0), RecordRole) is None  # past the end of the filtered rows


def test_encounter_model_passes_the_model_tester_while_editing(qtmodeltester, catalog) -> None:
    model = EncounterModel()
    qtmodeltester.check(model)
    model.add(catalog.get("64405"))
    model.add(catalog.get("62281"), regions=("cervical",))
    model.add(catalog.get("62323"), units=2)
    qtmodeltester.check(model)
    model.update(1, regions=("cervical", "thoracic"), laterality="left", modality="ct")
    model.remove(0)
    model.remove(7)  # out of range: ignored
    qtmodeltester.check(model)
    assert [e.code for e in model.entries()] == ["62281", "62323"]
    entry = model.index(0).data(EntryRole)
    assert entry.regions == ("cervical", "thoracic") and entry.laterality == "left" and entry.modality == "ct"
    assert model.index(0).data(RowRole).record is catalog.get("62281")
    model.replace_records(catalog.get)
    model.clear()
    qtmodeltester.check(model)
    assert model.rowCount() == 0


def test_encounter_rows_send_regions_only_for_spinal_codes_in_spine_order(catalog) -> None:
    model = EncounterModel()
    model.add(catalog.get("64405"), regions=("cervical",))
    model.add(catalog.get("62282"), regions=("sacral", "lumbar"))
    first, second = model.entries()
    assert first.regions == ()
    assert second.regions == ("lumbar", "sacral")


def test_region_model_passes_the_model_tester_and_reports_ticks(qtmodeltester, qtbot) -> None:
    model = RegionModel()
    qtmodeltester.check(model)
    assert [model.item(n).data(RegionRole) for n in range(4)] == ["cervical", "thoracic", "lumbar", "sacral"]
    with qtbot.waitSignal(model.itemChanged):
        model.toggle("lumbar")
    assert model.checked() == ("lumbar",)
    ticks: list[str] = []
    model.itemChanged.connect(lambda item: ticks.append(item.data(RegionRole)) if not model.updating else None)
    model.set_checked(("cervical",), enabled=True)  # showing a procedure's regions is not a tick
    assert ticks == [] and model.checked() == ("cervical",)
    model.set_checked((), enabled=False)
    model.toggle("sacral")  # disabled: a non-spinal procedure
    assert model.checked() == ()
    qtmodeltester.check(model)


def _big_catalog(catalog, n: int):  # type: ignore[no-untyped-def]
    """The shipped catalog plus ``n`` clones of 64405 under synthetic codes 10000, 10001, ..."""
    base = catalog.get("64405")
    extra = [replace(base, code=f"{10000 + i:05d}", name=f"Synthetic nerve block {i}") for i in range(n)]
    records = tuple(sorted((*catalog.records, *extra), key=lambda r: r.code))
    return replace(catalog, records=records, by_code={r.code: r for r in records})


def test_the_list_hands_the_view_batches_and_fetches_more_on_demand(qtmodeltester, catalog) -> None:
    big = _big_catalog(catalog, 2 * FETCH_BATCH + 50)
    model = ProcedureListModel(SearchIndex(big.records), DOS)
    qtmodeltester.check(model)
    model.set_query("synthetic")
    assert model.match_count == 2 * FETCH_BATCH + 50
    assert model.rowCount() == FETCH_BATCH
    assert model.canFetchMore(QModelIndex())
    model.fetchMore(QModelIndex())
    assert model.rowCount() == 2 * FETCH_BATCH
    assert model.row_of("10449") == 2 * FETCH_BATCH + 49  # a code past the fetched rows is fetched for it
    assert model.rowCount() == 2 * FETCH_BATCH + 50 and not model.canFetchMore(QModelIndex())
    assert model.record_at(2 * FETCH_BATCH + 49).code == "10449"
    qtmodeltester.check(model)
    model.set_query("synthetic nerve block 7")  # "7" starts the words 7 and 70-79
    assert model.rowCount() == model.match_count == 11
    model.set_query("")
    assert model.rowCount() == FETCH_BATCH and model.match_count == len(big.records)


def test_greyed_rows_follow_the_palette_of_the_moment(qapp, catalog) -> None:
    """Light or dark theme: the grey of a not-valid code is the palette's disabled text, read when painted."""
    from PySide6.QtGui import QColor, QGuiApplication, QPalette

    model = ProcedureListModel(SearchIndex(catalog.records), DOS)
    model.set_query("62311")
    idx = model.index(0)
    before = QGuiApplication.palette()
    try:
        dark = QPalette(before)
        dark.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text, QColor("#7a7a7a"))
        qapp.setPalette(dark)
        assert idx.data(Qt.ItemDataRole.ForegroundRole).color() == QColor("#7a7a7a")
        light = QPalette(before)
        light.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text, QColor("#a0a0a0"))
        qapp.setPalette(light)
        assert idx.data(Qt.ItemDataRole.ForegroundRole).color() == QColor("#a0a0a0")
    finally:
        qapp.setPalette(before)
