"""Importing CMS's NCCI release files (desktop.core.ncci.cms, .importer; ``python -m desktop import-ncci``).

The fixtures (tests/fixtures/ncci/, README there) are small files written in CMS's layouts: the four parts of
a practitioner PTP table as tab-delimited text, and a practitioner MUE table as CSV; the .xlsx and .zip forms
are built here from the same rows. Good files give a pack with the rows GuideCode can use, the same from
every form; cut, garbled, mis-headed files and bad dates or indicators are refused with their file and line;
a refused import writes and installs nothing (a byte-for-byte snapshot of the data folder)."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import threading
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from desktop.core.ncci import cms
from desktop.core.ncci.importer import ImportOptions, ImportProblems, NcciImport, read_release, write_pack
from desktop.core.ncci.reader import read_ncci_dir
from desktop.core.sha import sha256

ROOT = Path(__file__).resolve().parents[1]
FIX = ROOT / "tests" / "fixtures" / "ncci"
PARTS = [FIX / f"ccipra-v302r0-f{n}.TXT" for n in (1, 2, 3, 4)]
MUE = FIX / "MCR_MUE_PractitionerServices_Eff_07-01-2024.csv"
SAMPLE_PACK = ROOT / "resources" / "samples" / "packs" / "example-payer-notes"


@pytest.fixture(scope="module")
def codes() -> set[str]:
    from desktop.core.data import load_builtin

    return set(load_builtin().by_code)


def problems(paths: list[Path], codes: set[str], **options: object) -> list[str]:
    with pytest.raises(ImportProblems) as caught:
        read_release(paths, codes, ImportOptions(**options))  # type: ignore[arg-type]
    return [str(p) for p in caught.value.problems]


def table_text(imp: NcciImport, table: str) -> str:
    return next(t.text for t in imp.tables if t.version.table == table)


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def run_cli(*args: str | Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "desktop", "import-ncci", *map(str, args)], capture_output=True,
                          text=True, cwd=ROOT, timeout=120, check=False, env=env)


# ---------------------------------------------------------------------------------------------------------
# Spreadsheets and archives in CMS's forms, built from the fixtures


def txt_rows(path: Path) -> list[list[str]]:
    return [line.split("\t") for line in path.read_bytes().decode("ascii").split("\r\n") if line != ""]


def csv_rows(path: Path) -> list[list[str]]:
    import csv

    with path.open(encoding="ascii", newline="") as fh:
        return list(csv.reader(fh))


def _col(n: int) -> str:
    out = ""
    n += 1
    while n:
        n, r = divmod(n - 1, 26)
        out = chr(65 + r) + out
    return out


def make_xlsx(rows: list[list[str]], *, numbers: bool = True, inline_every: int = 3) -> bytes:
    """A minimal .xlsx as Excel writes it: shared strings, some inline strings, numbers for all-digit cells
    (so codes and YYYYMMDD dates come back as numbers, as in CMS's spreadsheets)."""
    strings: list[str] = []
    index: dict[str, int] = {}
    sheet_rows = []
    for r, row in enumerate(rows, 1):
        cells = []
        for c, value in enumerate(row):
            if value == "":
                continue
            ref = f"{_col(c)}{r}"
            if numbers and value.isdigit() and not value.startswith("0"):
                cells.append(f'<c r="{ref}"><v>{value}</v></c>')
            elif (r + c) % inline_every == 0:
                cells.append(f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{escape(value)}</t></is></c>')
            else:
                if value not in index:
                    index[value] = len(strings)
                    strings.append(value)
                cells.append(f'<c r="{ref}" t="s"><v>{index[value]}</v></c>')
        sheet_rows.append(f'<row r="{r}">{"".join(cells)}</row>')
    ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    rel_ns = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
    sheet = (f'<?xml version="1.0" encoding="UTF-8"?><worksheet {ns}><sheetData>{"".join(sheet_rows)}</sheetData>'
             '</worksheet>')
    sst = "".join(f'<si><t xml:space="preserve">{escape(s)}</t></si>' for s in strings)
    shared = f'<?xml version="1.0" encoding="UTF-8"?><sst {ns} count="{len(strings)}">{sst}</sst>'
    workbook = (f'<?xml version="1.0" encoding="UTF-8"?><workbook {ns} {rel_ns}><sheets>'
                '<sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>')
    rels = ('<?xml version="1.0" encoding="UTF-8"?><Relationships '
            'xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            'worksheet" Target="worksheets/sheet1.xml"/></Relationships>')
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types '
                    'xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>')
        zf.writestr("xl/workbook.xml", workbook)
        zf.writestr("xl/_rels/workbook.xml.rels", rels)
        zf.writestr("xl/worksheets/sheet1.xml", sheet)
        zf.writestr("xl/sharedStrings.xml", shared)
    return buf.getvalue()


def make_zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def cms_zips(folder: Path) -> list[Path]:
    """The release as CMS publishes it: one zip per PTP part (the .TXT and the .xlsx), one MUE zip (the .csv,
    the .xlsx and a change report)."""
    out = []
    for n, part in enumerate(PARTS, 1):
        out.append(make_zip(folder / f"medicare-ncci-2024q3-practitioner-ptp-edits-ccipra-v302r0-f{n}.zip", {
            part.name: part.read_bytes(), f"{part.stem}.xlsx": make_xlsx(txt_rows(part))}))
    out.append(make_zip(folder / "medicare-ncci-2024-q3-practitioner-services-mue-table.zip", {
        MUE.name: MUE.read_bytes(), f"{MUE.stem}.xlsx": make_xlsx(csv_rows(MUE)),
        "MCR_MUE_PractitionerServices_Changes_Eff_07-01-2024.xlsx": make_xlsx([["not read"]])}))
    return out


def write(path: Path, text: str) -> Path:
    path.write_bytes(text.encode("ascii"))
    return path


def part_text(n: int) -> str:
    return PARTS[n - 1].read_bytes().decode("ascii")  # CRLF kept


# ---------------------------------------------------------------------------------------------------------
# Good files


def test_the_text_release_gives_the_rows_guidecode_can_use(codes: set[str]) -> None:
    imp = read_release([*PARTS, MUE], codes)
    assert imp.name == "CMS NCCI practitioner 2024Q3 PTP + MUE"
    assert imp.version == "PTP 30.2, MUE 2024Q3"
    assert imp.summary == [
        "NCCI PTP practitioner v30.2 (2024-07-01 to 2024-09-30): 14 rows kept of 16 read (the rows whose codes "
        "GuideCode has records for), from ccipra-v302r0-f1.TXT, ccipra-v302r0-f2.TXT, ccipra-v302r0-f3.TXT, "
        "ccipra-v302r0-f4.TXT",
        "NCCI MUE practitioner 2024Q3 (2024-07-01 to 2024-09-30): 7 rows kept of 9 read (the rows whose codes "
        "GuideCode has records for), from MCR_MUE_PractitionerServices_Eff_07-01-2024.csv",
    ]
    ptp = table_text(imp, "ptp").splitlines()
    assert ptp[0] == "column_1,column_2,effective,deletion,modifier_indicator,rationale"
    assert "62281,76000,1996-01-01,1998-12-31,1,CPT Separate procedure definition" in ptp
    assert "62321,62323,2017-01-01,,1,Mutually exclusive procedures" in ptp  # a procedure pair is kept too
    assert "64405,77002,2007-01-01,2019-12-31,1,Misuse of Column Two code with Column One code" in ptp
    assert not any(line.startswith(("11042", "99213")) for line in ptp)
    mue = table_text(imp, "mue").splitlines()
    assert "64483,1,2,CMS Policy,2024-07-01" in mue
    assert "20610,2,3,Clinical: Data,2024-07-01" in mue
    assert not any(line.startswith(("0001U", "97597")) for line in mue)


def test_the_spreadsheets_give_the_same_tables(codes: set[str], tmp_path: Path) -> None:
    xlsx = []
    for part in PARTS:
        xlsx.append(tmp_path / f"{part.stem}.xlsx")
        rows = txt_rows(part)
        xlsx[-1].write_bytes(make_xlsx([*rows[:7], [""] * 7, *rows[7:], [""]]))  # empty rows are skipped
    mue = tmp_path / f"{MUE.stem}.xlsx"
    mue.write_bytes(make_xlsx(csv_rows(MUE)))
    from_text = read_release([*PARTS, MUE], codes)
    from_xlsx = read_release([*xlsx, mue], codes)
    assert [t.text for t in from_xlsx.tables] == [t.text for t in from_text.tables]
    assert [t.rows_read for t in from_xlsx.tables] == [16, 9]


def test_the_zips_as_cms_publishes_them_give_the_same_tables(codes: set[str], tmp_path: Path) -> None:
    imp = read_release(cms_zips(tmp_path), codes)
    assert [t.text for t in imp.tables] == [t.text for t in read_release([*PARTS, MUE], codes).tables]
    assert imp.tables[0].inputs[0] == ("medicare-ncci-2024q3-practitioner-ptp-edits-ccipra-v302r0-f1.zip/"
                                       "ccipra-v302r0-f1.TXT")
    assert sorted(imp.skipped) == [
        "medicare-ncci-2024-q3-practitioner-services-mue-table.zip/MCR_MUE_PractitionerServices_Changes_Eff_"
        "07-01-2024.xlsx (a change report, not the table)",
        "medicare-ncci-2024-q3-practitioner-services-mue-table.zip/MCR_MUE_PractitionerServices_Eff_07-01-2024."
        "xlsx (the same table as MCR_MUE_PractitionerServices_Eff_07-01-2024.csv)",
        *(f"medicare-ncci-2024q3-practitioner-ptp-edits-ccipra-v302r0-f{n}.zip/ccipra-v302r0-f{n}.xlsx (the same "
          f"table as ccipra-v302r0-f{n}.TXT)" for n in (1, 2, 3, 4)),
    ]


def test_a_spreadsheet_inside_a_zip_is_read_when_it_is_the_only_table(codes: set[str], tmp_path: Path) -> None:
    zips = [make_zip(tmp_path / f"ccipra-v302r0-f{n}.zip", {f"ccipra-v302r0-f{n}.xlsx": make_xlsx(txt_rows(p))})
            for n, p in enumerate(PARTS, 1)]
    imp = read_release(zips, codes)
    assert imp.tables[0].text == read_release(PARTS, codes).tables[0].text


def test_the_pack_is_written_and_reads_back(codes: set[str], tmp_path: Path) -> None:
    from desktop.core.data import load_builtin

    imp = read_release([*PARTS, MUE], codes)
    out = write_pack(imp, tmp_path / "pack", load_builtin().sources)
    assert sorted(snapshot(out)) == ["README.md", "ncci/mue-practitioner-2024q3.csv",
                                     "ncci/ptp-practitioner-v30.2.csv", "ncci/tables.yaml", "pack.yaml",
                                     "sources.yaml"]
    manifest = (out / "pack.yaml").read_text(encoding="utf-8")
    assert 'name: "CMS NCCI practitioner 2024Q3 PTP + MUE"' in manifest
    assert "code_set_year: 2024\neffective:\n  from: 2024-07-01\n" in manifest
    from desktop.core.packs.reading import compute_checksums

    for rel, data in snapshot(out).items():
        if rel != "pack.yaml":
            assert f"  {rel}: {sha256(data).hexdigest()}\n" in manifest
    assert manifest.endswith("files:\n" + "".join(f"  {k}: {v}\n" for k, v in sorted(compute_checksums(out).items())))
    sources = (out / "sources.yaml").read_text(encoding="utf-8")
    data, found = read_ncci_dir(out / "ncci", sources={line.split(": ")[1] for line in sources.splitlines()
                                                        if line.startswith("- id: ")}, origin=imp.name)
    assert found == [] and data is not None
    assert [v.label for v in data.versions] == [
        "NCCI PTP practitioner v30.2 (2024-07-01 to 2024-09-30)",
        "NCCI MUE practitioner 2024Q3 (2024-07-01 to 2024-09-30)"]
    assert all(v.source.startswith("L-NCCI-PRA-2024Q3-") and v.source in sources for v in data.versions)
    assert all(v.scope_codes == frozenset(codes) and v.scope_paired_with is None for v in data.versions)
    t = data.for_date("practitioner", imp.quarter_start).tables
    assert t.knows_pair("62321", "62323") and not t.knows_pair("11042", "97597")  # a code GuideCode lacks
    assert "imported from ccipra-v302r0-f1.TXT, ccipra-v302r0-f2.TXT" in sources
    with pytest.raises(FileExistsError):
        write_pack(imp, out)


# ---------------------------------------------------------------------------------------------------------
# Refused files: cut, garbled, wrong header, bad dates and indicators


def test_cut_and_garbled_files(codes: set[str], tmp_path: Path) -> None:
    text = part_text(4)
    cut = write(tmp_path / "ccipra-v302r0-f4.TXT", text[:text.index("\t20150101")])
    assert problems([*PARTS[:3], cut], codes) == [
        "ccipra-v302r0-f4.TXT:10: the row has 3 fields; a PTP row has 7 (the line is cut short?)"]
    garbled = tmp_path / "g" / "ccipra-v302r0-f4.TXT"
    garbled.parent.mkdir()
    garbled.write_bytes(text.encode()[:300] + bytes(range(256)) + b"\r\n")
    line = text.encode()[:300].count(b"\n") + 1
    assert line == 7  # the first data row
    assert problems([*PARTS[:3], garbled], codes) == [
        f"ccipra-v302r0-f4.TXT:{line}: binary data (a NUL byte): not a text table"]
    mue = tmp_path / MUE.name
    mue.write_bytes(MUE.read_bytes().replace(b"CMS Policy\r\n77012", b'"CMS Policy\r\n77012'))
    assert problems([mue], codes) == [
        f"{MUE.name}:12: not valid CSV (in the record that starts here): unexpected end of data"]


def test_a_cut_zip_and_a_damaged_spreadsheet_are_refused(codes: set[str], tmp_path: Path) -> None:
    zips = cms_zips(tmp_path)
    whole = zips[0].read_bytes()
    zips[0].write_bytes(whole[:len(whole) // 2])
    found = problems(zips, codes)
    assert len(found) == 1
    assert found[0].startswith("medicare-ncci-2024q3-practitioner-ptp-edits-ccipra-v302r0-f1.zip:1: not a readable "
                               "zip archive (damaged or cut short?): ")
    sheet = make_xlsx(txt_rows(PARTS[0]))
    broken = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(sheet)) as src, zipfile.ZipFile(broken, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            dst.writestr(info, data[:len(data) - 40] if info.filename.endswith("sheet1.xml") else data)
    damaged = tmp_path / "ccipra-v302r0-f1.xlsx"
    damaged.write_bytes(broken.getvalue())
    found = problems([damaged, *PARTS[1:]], codes)
    assert len(found) == 1
    assert found[0].startswith("ccipra-v302r0-f1.xlsx:9: the spreadsheet is damaged or cut short after row 9 (XML: ")
    not_xlsx = tmp_path / "x" / "ccipra-v302r0-f1.xlsx"
    not_xlsx.parent.mkdir()
    not_xlsx.write_bytes(b"Column 1\tColumn 2\n")
    assert problems([not_xlsx, *PARTS[1:]], codes) == [
        "ccipra-v302r0-f1.xlsx:1: not a readable .xlsx spreadsheet (damaged or cut short?): File is not a zip file"]


def test_wrong_headers_are_refused(codes: set[str], tmp_path: Path) -> None:
    swapped = write(tmp_path / "ccipra-v302r0-f1.TXT", part_text(1).replace(
        "*=in existence\tEffective\tDeletion", "*=in existence\tDeletion\tEffective"))
    assert problems([swapped, *PARTS[1:]], codes) == [
        "ccipra-v302r0-f1.TXT:3: wrong header: column 4 of the header should be 'Effective Date', found "
        "'deletion date'"]
    short = write(tmp_path / "s.TXT", "Column 1\tColumn 2\tEffective\n64483\t77003\t20110101\n")
    assert problems([short], codes, kind="practitioner", version="30.2", quarter=None, partial=True)[0] == (
        "s.TXT:1: wrong header: the header has 3 columns; a CMS PTP table has 7 (Column 1, Column 2, in existence "
        "before 1996, Effective Date, Deletion Date, Modifier, PTP Edit Rationale)")
    mue = tmp_path / MUE.name
    mue.write_bytes(MUE.read_bytes().replace(b"MUE Adjudication Indicator", b"Indicator"))
    assert problems([mue], codes) == [
        f"{MUE.name}:4: wrong header: column 3 of the header should be 'MUE Adjudication Indicator', found "
        "'indicator'"]
    dme = tmp_path / "d" / MUE.name
    dme.parent.mkdir()
    dme.write_bytes(MUE.read_bytes().replace(b"Practitioner Services MUE Values", b"DME Supplier Services MUE Values"))
    assert problems([dme], codes) == [
        f"{MUE.name}:4: wrong header: this is the DME supplier MUE table; GuideCode reads the practitioner and "
        "outpatient hospital tables"]
    other = write(tmp_path / "claims.csv", "claim_id,code,units\n1,64483,1\n")
    assert problems([other], codes) == [
        "claims.csv:1: no CMS table header in the first 40 rows: a PTP file has a row 'Column 1, Column 2, ...', an "
        "MUE file a row 'HCPCS/CPT Code, ... MUE Values, ...'"]


def test_bad_codes_dates_and_indicators_are_refused(codes: set[str], tmp_path: Path) -> None:
    text = part_text(3)
    bad = (text.replace("64405\t77002\t\t20070101\t20191231\t1", "64405\t77002\t\t20071301\t2019-12-31\t1")
               .replace("64449\t77002\t\t20150101\t*\t1", "64449\t77002\tY\t20150101\t20141231\t2")
               .replace("64483\t77003", "6448\t77003"))
    f3 = write(tmp_path / "ccipra-v302r0-f3.TXT", bad)
    assert problems([*PARTS[:2], f3, PARTS[3]], codes) == [
        "ccipra-v302r0-f3.TXT:7: 64405/77002: the effective date must be a date written YYYYMMDD; got '20071301'",
        "ccipra-v302r0-f3.TXT:7: 64405/77002: the deletion date must be a date written YYYYMMDD or '*' (not "
        "deleted); got '2019-12-31'",
        "ccipra-v302r0-f3.TXT:8: 64449/77002: the 'in existence prior to 1996' column must be '*' or empty; got 'Y'",
        "ccipra-v302r0-f3.TXT:8: 64449/77002: the deletion date 2014-12-31 is before the effective date 2015-01-01",
        "ccipra-v302r0-f3.TXT:8: 64449/77002: the modifier indicator must be 0, 1 or 9; got '2'",
        "ccipra-v302r0-f3.TXT:9: 6448/77003: column 1 '6448' is not a CPT/HCPCS code (5 characters, e.g. 64405, "
        "0213T)",
    ]
    mue = tmp_path / MUE.name
    mue.write_bytes(MUE.read_bytes().replace(b"62321,1,3 Date of Service Edit: Clinical", b"62321,1,4 Date of Service")
                    .replace(b"64483,1,2 Date of Service Edit: Policy", b"64483,1,2 Line Edit")
                    .replace(b"76942,1,", b"76942,one,"))
    assert problems([mue], codes) == [
        f"{MUE.name}:8: 62321: the MUE adjudication indicator must be 1 (Line Edit), 2 (Date of Service Edit: "
        "Policy) or 3 (Date of Service Edit: Clinical); got '4 Date of Service'",
        f"{MUE.name}:9: 64483: the MUE adjudication indicator 2 means 'date of service edit: policy', but the file "
        "says '2 Line Edit'",
        f"{MUE.name}:10: 76942: the MUE value must be a whole number of units; got 'one'",
    ]


def test_rows_of_codes_guidecode_does_not_know_are_checked_too(codes: set[str], tmp_path: Path) -> None:
    """A garbled row is refused even where its codes would not be kept."""
    f4 = write(tmp_path / "ccipra-v302r0-f4.TXT",
               part_text(4).replace("99213\t36415\t\t20150101", "99213\t36415\t\t2015"))
    assert problems([*PARTS[:3], f4], codes) == [
        "ccipra-v302r0-f4.TXT:10: 99213/36415: the effective date must be a date written YYYYMMDD; got '2015'"]


def test_an_edit_after_the_quarter_and_conflicting_repeats(codes: set[str], tmp_path: Path) -> None:
    late = write(tmp_path / "ccipra-v302r0-f4.TXT", part_text(4).replace("77012\t77002\t\t20070101",
                                                                        "77012\t77002\t\t20241001"))
    assert problems([*PARTS[:3], late], codes) == [
        "ccipra-v302r0-f4.TXT:9: 77012/77002: the edit takes effect on 2024-10-01, after the quarter 2024Q3 ends: "
        "is this file of a later quarter?"]
    (tmp_path / "t").mkdir()
    twice = write(tmp_path / "t" / "ccipra-v302r0-f4.TXT",
                  part_text(4) + "77002\t77003\t\t20070101\t*\t0\tMutually exclusive procedures\r\n")
    assert problems([*PARTS[:3], twice], codes) == [
        "ccipra-v302r0-f4.TXT:12: 77002/77003: the same edit is at ccipra-v302r0-f4.TXT:8 with other values"]
    overlap = write(tmp_path / "o.TXT",
                    part_text(4) + "77002\t77003\t\t20200101\t*\t1\tMutually exclusive procedures\r\n")
    assert problems([*PARTS[:3], overlap], codes, version="30.2", partial=True) == [
        "o.TXT:12: 77002/77003: the edit at o.TXT:8 has the same pair (their dates overlap)"]


def test_identical_repeated_rows_are_kept_once(codes: set[str], tmp_path: Path) -> None:
    again = write(tmp_path / "ccipra-v302r0-f4.TXT", part_text(4) + part_text(4).split("\r\n")[7] + "\r\n")
    imp = read_release([*PARTS[:3], again], codes)
    assert imp.tables[0].repeated == 1
    assert imp.tables[0].version.rows == 14
    assert imp.summary[0].endswith("; 1 identical rows were read twice and kept once")


# ---------------------------------------------------------------------------------------------------------
# Version, quarter, kind and parts


def test_version_quarter_and_kind_come_from_the_names_or_the_options(codes: set[str], tmp_path: Path) -> None:
    plain = [write(tmp_path / f"part{n}.txt", part_text(n)) for n in (1, 2, 3, 4)]
    assert problems(plain, codes) == [
        "part1.txt:1: cannot tell the table kind (practitioner or outpatient hospital) from the file name; give "
        "--kind",
        "part1.txt:1: cannot tell the CMS version of the PTP table from the file name; give --version",
        "part1.txt:1: cannot tell the quarter from the file name; give --quarter",
    ]
    from datetime import date

    imp = read_release(plain, codes, ImportOptions(kind="practitioner", version="30.2", quarter=date(2024, 7, 1)))
    assert imp.tables[0].text == read_release(PARTS, codes).tables[0].text
    imp = read_release(plain, codes, ImportOptions(kind="practitioner", version="30.3"))  # the quarter from it
    assert imp.quarter_start == date(2024, 10, 1)
    assert problems(PARTS, codes, kind="outpatient_hospital") == [
        "ccipra-v302r0-f1.TXT:1: the file says the table kind (practitioner or outpatient hospital) is practitioner, "
        "but --kind says outpatient hospital"]
    assert problems(PARTS, codes, quarter=date(2024, 10, 1)) == [
        "ccipra-v302r0-f1.TXT:1: the file says the quarter is 2024Q3, but --quarter says 2024Q4"]
    oph = [write(tmp_path / f"ccioph-v303r0-f{n}.TXT", part_text(n)) for n in (1, 2, 3, 4)]
    imp = read_release(oph, codes)
    assert (imp.kind, imp.tables[0].version.version, imp.quarter_start) == ("outpatient_hospital", "30.3",
                                                                             date(2024, 10, 1))
    assert imp.tables[0].version.file == "ptp-outpatient_hospital-v30.3.csv"


def test_files_of_different_releases_are_refused(codes: set[str], tmp_path: Path) -> None:
    v303 = write(tmp_path / "ccipra-v303r0-f4.TXT", part_text(4))
    assert problems([*PARTS[:3], v303], codes) == [
        "ccipra-v303r0-f4.TXT:1: the PTP version is 30.3 here but 30.2 in ccipra-v302r0-f1.TXT: import the files of "
        "one CMS release at a time",
        "ccipra-v303r0-f4.TXT:1: the quarter is 2024Q4 here but 2024Q3 in ccipra-v302r0-f1.TXT: import the files of "
        "one CMS release at a time",
    ]
    later_mue = tmp_path / "MCR_MUE_PractitionerServices_Eff_10-01-2024.csv"
    later_mue.write_bytes(MUE.read_bytes())
    assert problems([*PARTS, later_mue], codes) == [
        "MCR_MUE_PractitionerServices_Eff_10-01-2024.csv:1: the quarter is 2024Q4 here but 2024Q3 in "
        "ccipra-v302r0-f1.TXT: import the files of one CMS release at a time"]
    odd = tmp_path / "MCR_MUE_PractitionerServices_Eff_07-15-2024.csv"
    odd.write_bytes(MUE.read_bytes())
    assert problems([odd], codes) == [
        "MCR_MUE_PractitionerServices_Eff_07-15-2024.csv:1: the date 07-15-2024 in the file name is not the first "
        "day of a quarter",
        "MCR_MUE_PractitionerServices_Eff_07-15-2024.csv:1: cannot tell the quarter from the file name; give "
        "--quarter",
    ]


def test_every_part_of_the_ptp_table_is_needed(codes: set[str], tmp_path: Path) -> None:
    assert problems(PARTS[:2], codes) == [
        "ccipra-v302r0-f1.TXT:1: part(s) f3, f4 of the PTP table are missing: CMS publishes each quarter in 4 parts "
        "(f1 to f4) and every part holds edits GuideCode needs; give them all, or --partial to import only these "
        "parts"]
    imp = read_release(PARTS[:2], codes, ImportOptions(partial=True))
    assert imp.tables[0].version.rows == 7
    xlsx = tmp_path / "ccipra-v302r0-f1.xlsx"
    xlsx.write_bytes(make_xlsx(txt_rows(PARTS[0])))
    assert problems([*PARTS, xlsx], codes)[0] == (
        "ccipra-v302r0-f1.xlsx:1: part f1 of the PTP table is given twice (also ccipra-v302r0-f1.TXT); give each "
        "part once, in one format")


def test_an_mue_file_alone_needs_no_version(codes: set[str]) -> None:
    imp = read_release([MUE], codes)
    assert imp.name == "CMS NCCI practitioner 2024Q3 MUE"
    assert [t.version.version for t in imp.tables] == ["2024Q3"]


# ---------------------------------------------------------------------------------------------------------
# Bounds


def test_special_files_and_oversized_inputs_are_refused(codes: set[str], tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    if hasattr(os, "mkfifo"):
        fifo = tmp_path / "ccipra-v302r0-f1.TXT"
        os.mkfifo(fifo)
        result: list[list[str]] = []
        worker = threading.Thread(target=lambda: result.append(problems([fifo, *PARTS[1:]], codes)), daemon=True)
        worker.start()
        worker.join(timeout=20)
        assert not worker.is_alive(), "reading blocked on the FIFO"
        assert result[0] == ["ccipra-v302r0-f1.TXT:1: is a FIFO, device or socket, not a regular file; refused"]
    assert problems([tmp_path], codes) == [f"{tmp_path.name}:1: is a folder, not a regular file; refused"]
    assert problems([tmp_path / "nothere.zip"], codes) == ["nothere.zip:1: file is missing"]
    assert problems([write(tmp_path / "notes.pdf", "x")], codes) == [
        "notes.pdf:1: not a CMS release file: give the .zip CMS publishes, or the .txt, .csv or .xlsx inside it"]
    monkeypatch.setattr(cms, "MAX_INPUT_BYTES", 400)
    assert problems(PARTS, codes)[0] == "ccipra-v302r0-f1.TXT:1: file is larger than 400 bytes (569 bytes); refused"
    monkeypatch.setattr(cms, "MAX_INPUT_BYTES", 10_000)
    zipped = make_zip(tmp_path / "ccipra-v302r0-f1.zip", {"ccipra-v302r0-f1.TXT": part_text(1).encode() * 20})
    assert problems([zipped, *PARTS[1:]], codes)[0] == (
        "ccipra-v302r0-f1.zip/ccipra-v302r0-f1.TXT:1: the archive member unpacks to 11 KB, more than 10 KB; refused")


def test_a_lying_archive_member_is_stopped_by_the_bytes_read(codes: set[str], tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """A member whose directory entry claims it is small is read only up to that size (by zipfile), and then
    fails its checksum: refused as damaged, without unpacking the rest."""
    monkeypatch.setattr(cms, "MAX_INPUT_BYTES", 5_000)
    body = part_text(1).encode() * 20
    path = make_zip(tmp_path / "ccipra-v302r0-f1.zip", {"ccipra-v302r0-f1.TXT": body})
    raw = bytearray(path.read_bytes())
    # rewrite the uncompressed size in the central directory (offset 24 of the entry) to 100 bytes
    central = raw.rfind(b"PK\x01\x02")
    raw[central + 24:central + 28] = (100).to_bytes(4, "little")
    path.write_bytes(bytes(raw))
    assert problems([path, *PARTS[1:]], codes) == [
        "ccipra-v302r0-f1.zip/ccipra-v302r0-f1.TXT:1: the archive member is damaged or cut short: Bad CRC-32 for "
        "file 'ccipra-v302r0-f1.TXT'"]


# ---------------------------------------------------------------------------------------------------------
# The command


def test_the_command_writes_the_pack_and_shows_version_quarter_and_rows(tmp_path: Path) -> None:
    proc = run_cli(*PARTS, MUE, "--out", tmp_path / "pack")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [
        "NCCI PTP practitioner v30.2 (2024-07-01 to 2024-09-30): 14 rows kept of 16 read (the rows whose codes "
        "GuideCode has records for), from ccipra-v302r0-f1.TXT, ccipra-v302r0-f2.TXT, ccipra-v302r0-f3.TXT, "
        "ccipra-v302r0-f4.TXT",
        "NCCI MUE practitioner 2024Q3 (2024-07-01 to 2024-09-30): 7 rows kept of 9 read (the rows whose codes "
        "GuideCode has records for), from MCR_MUE_PractitionerServices_Eff_07-01-2024.csv",
        f"data pack 'CMS NCCI practitioner 2024Q3 PTP + MUE' written to {tmp_path / 'pack'}",
    ]
    assert (tmp_path / "pack" / "ncci" / "tables.yaml").is_file()
    proc = run_cli(*PARTS, MUE)
    assert proc.returncode == 0
    assert proc.stdout.splitlines()[-1] == "checked only: give --out DIR to write the pack, or --install to install it"


def test_the_command_refuses_a_malformed_file_with_its_line_and_writes_nothing(tmp_path: Path) -> None:
    cut = write(tmp_path / "ccipra-v302r0-f4.TXT", part_text(4)[:part_text(4).index("\t20150101")])
    proc = run_cli(*PARTS[:3], cut, MUE, "--out", tmp_path / "pack")
    assert proc.returncode == 1
    assert proc.stdout.splitlines() == [
        "ccipra-v302r0-f4.TXT:10: the row has 3 fields; a PTP row has 7 (the line is cut short?)"]
    assert "nothing was written or installed" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ccipra-v302r0-f4.TXT"]


def test_usage_errors(tmp_path: Path) -> None:
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x")
    proc = run_cli(*PARTS, "--out", tmp_path / "full")
    assert proc.returncode == 2
    assert "exists and is not an empty folder" in proc.stderr
    proc = run_cli(*PARTS, "--quarter", "Q3")
    assert proc.returncode == 2
    assert "--quarter 'Q3': write the quarter as 2024Q3" in proc.stderr


def test_a_refused_install_leaves_the_data_folder_byte_for_byte_unchanged(tmp_path: Path) -> None:
    """The data folder holds installed packs and their on/off state; a refused import-ncci --install changes
    no byte of it: a cut file (refused before any pack is made), and a pack the data-pack import refuses (its
    source ids are already taken by an installed pack of another name)."""
    import shutil

    data = tmp_path / "data"
    shutil.copytree(SAMPLE_PACK, data / "packs" / "example-payer-notes")
    (data / "data-packs.json").write_text('{"disabled": []}\n', encoding="utf-8")
    before = snapshot(data)
    cut = write(tmp_path / "ccipra-v302r0-f4.TXT", part_text(4)[:part_text(4).index("\t20150101")])
    proc = run_cli(*PARTS[:3], cut, MUE, "--install", "--data-dir", data)
    assert proc.returncode == 1
    assert proc.stdout.startswith("ccipra-v302r0-f4.TXT:10: the row has 3 fields")
    assert "nothing was written or installed" in proc.stderr
    assert snapshot(data) == before

    assert run_cli(*PARTS, MUE, "--install", "--data-dir", data).returncode == 0
    installed = data / "packs" / "cms-ncci-practitioner-2024q3-ptp-mue" / "pack.yaml"
    installed.write_text(installed.read_text(encoding="utf-8").replace(
        'name: "CMS NCCI practitioner 2024Q3 PTP + MUE"', 'name: "Office copy of the NCCI tables"'), encoding="utf-8")
    before = snapshot(data)
    proc = run_cli(*PARTS, MUE, "--install", "--data-dir", data)
    assert proc.returncode == 1
    assert ("is already defined by data pack 'CMS NCCI practitioner 2024Q3 PTP + MUE'; give this source another id "
            "(installing this pack would make the installed pack 'Office copy of the NCCI tables' fail)") in proc.stdout
    assert "nothing was installed" in proc.stderr
    assert snapshot(data) == before


def test_install_adds_a_pack_that_the_next_resolve_names(tmp_path: Path) -> None:
    import json

    from desktop.core.packs.report import load_report

    data = tmp_path / "data"
    proc = run_cli(*PARTS, MUE, "--install", "--data-dir", data)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.splitlines()[-1] == (f"data pack 'CMS NCCI practitioner 2024Q3 PTP + MUE' installed in {data} "
                                            "(folder packs/cms-ncci-practitioner-2024q3-ptp-mue)")
    report = load_report(data)
    assert report.problems == ()
    assert [p.title for p in report.packs] == ["CMS NCCI practitioner 2024Q3 PTP + MUE PTP 30.2, MUE 2024Q3"]
    assert report.catalog.code_set_year == load_report(None).catalog.code_set_year
    encounter = json.dumps({"date_of_service": "2024-08-01", "payer": "medicare", "setting": "asc",
                            "procedures": [{"code": "62321"}, {"code": "62323"}]})
    done = subprocess.run([sys.executable, "-m", "desktop", "resolve", "-", "--data-dir", str(data)], input=encounter,
                          capture_output=True, text=True, cwd=ROOT, timeout=120, check=False)
    answer = json.loads(done.stdout)
    assert {"name": "CMS NCCI practitioner 2024Q3 PTP + MUE", "version": "PTP 30.2, MUE 2024Q3"}.items() <= \
        answer["data_packs"][-1].items()
    assert answer["ncci"] == ("NCCI PTP practitioner v30.2 (2024-07-01 to 2024-09-30); NCCI MUE practitioner 2024Q3 "
                              "(2024-07-01 to 2024-09-30)")
    # the pack's table answered (the built-in one has no procedure pairs): its 62321/62323 edit puts XS on 62323
    assert answer["procedure_lines"] == [{"code": "62321", "units": 1, "modifiers": []},
                                         {"code": "62323", "units": 1, "modifiers": ["XS"]}]
    assert not any("not checked" in m["text"] for m in answer["messages"])
    assert done.returncode == 0, done.stderr
    proc = subprocess.run([sys.executable, "-m", "desktop", "validate-pack",
                           str(data / "packs" / "cms-ncci-practitioner-2024q3-ptp-mue")],
                          capture_output=True, text=True, cwd=ROOT, timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout
    assert "valid data pack 'CMS NCCI practitioner 2024Q3 PTP + MUE' version PTP 30.2, MUE 2024Q3" in proc.stdout


# ---------------------------------------------------------------------------------------------------------
# The pack side: a pack's ncci/ folder is read, checked and merged


def test_a_pack_s_ncci_tables_are_checked_and_merged(codes: set[str], tmp_path: Path) -> None:
    from datetime import date

    from desktop.core.data import load_builtin
    from desktop.core.packs.install import validate_pack
    from desktop.core.packs.merge import apply_packs
    from desktop.core.packs.reading import read_pack

    base = load_builtin()
    pack = write_pack(read_release([*PARTS, MUE], codes), tmp_path / "pack", base.sources)
    read, found = read_pack(pack, "packs/nc", base)
    assert found == [] and read is not None and read.ncci.versions and read.entries == ()
    catalog, skipped = apply_packs(base, [read])
    assert skipped == {}
    t = catalog.ncci.for_date("practitioner", date(2024, 8, 1)).tables
    assert t.ptp is not None and t.ptp.version.origin == "CMS NCCI practitioner 2024Q3 PTP + MUE"
    assert t.pair("62321", "62323", date(2024, 8, 1)) is not None  # from the pack
    assert t.pair("64530", "77002", date(2024, 8, 1)) is None  # the built-in table of that quarter is replaced
    assert base.ncci.for_date("practitioner", date(2024, 8, 1)).tables.pair("64530", "77002", date(2024, 8, 1))

    def with_file(rel: str, text: str) -> Path:
        from desktop.core.packs.reading import compute_checksums

        folder = tmp_path / f"copy{len(list(tmp_path.iterdir()))}"
        import shutil

        shutil.copytree(pack, folder)
        (folder / rel).write_text(text, encoding="utf-8", newline="")
        manifest = (folder / "pack.yaml").read_text(encoding="utf-8").split("files:")[0] + "files:\n" + "".join(
            f"  {k}: {v}\n" for k, v in compute_checksums(folder).items())
        (folder / "pack.yaml").write_text(manifest, encoding="utf-8")
        return folder

    ptp = (pack / "ncci" / "ptp-practitioner-v30.2.csv").read_text(encoding="utf-8")
    bad = with_file("ncci/ptp-practitioner-v30.2.csv",
                    ptp.replace("62321,62323,2017-01-01,,1", "62321,62323,2017-01-01,,4"))
    line = ptp.splitlines().index(next(x for x in ptp.splitlines() if x.startswith("62321,62323"))) + 1
    assert [str(p) for p in validate_pack(bad, base=base)[1]] == [
        f"ncci/ptp-practitioner-v30.2.csv:{line}: 62321/62323: modifier_indicator must be 0, 1 or 9; got '4'"]
    tables = (pack / "ncci" / "tables.yaml").read_text(encoding="utf-8")
    unknown = with_file("ncci/tables.yaml", tables.replace('source: "L-NCCI-PRA-2024Q3-MUE', 'source: "L-ELSEWHERE'))
    problems_found = [str(p) for p in validate_pack(unknown, base=base)[1]]
    line = 1 + next(i for i, x in enumerate(tables.splitlines()) if 'source: "L-NCCI-PRA-2024Q3-MUE' in x)
    assert len(problems_found) == 1
    assert problems_found[0].startswith(f"ncci/tables.yaml:{line}: source 'L-ELSEWHERE")
    assert problems_found[0].endswith("is not in sources.yaml")


def test_an_ncci_only_pack_does_not_raise_the_code_set_year(codes: set[str], tmp_path: Path) -> None:
    from desktop.core.data import load_builtin
    from desktop.core.packs.merge import apply_packs
    from desktop.core.packs.reading import read_pack

    base = load_builtin()
    later = [write(tmp_path / f"ccipra-v330r0-f{n}.TXT", part_text(n)) for n in (1, 2, 3, 4)]  # 2027Q1
    imp = read_release(later, codes)
    assert imp.quarter_start.year == 2027 > base.code_set_year
    read, found = read_pack(write_pack(imp, tmp_path / "pack", base.sources), "packs/nc")
    assert found == [] and read is not None and read.manifest.code_set_year == 2027
    catalog, skipped = apply_packs(base, [read])
    assert skipped == {}
    assert catalog.code_set_year == base.code_set_year
    assert catalog.packs[-1].name == "CMS NCCI practitioner 2027Q1 PTP"


# ---------------------------------------------------------------------------------------------------------
# Progress and stopping (the window's File → Import NCCI edits… runs the import on a worker thread)


def big_part(folder: Path, rows: int) -> Path:
    """Part f1 with ``rows`` more rows of two codes GuideCode does not know (read and checked, not kept)."""
    path = folder / "ccipra-v302r0-f1.TXT"
    path.write_bytes(PARTS[0].read_bytes() + b"11042\t97598\t\t20130101\t*\t1\tStandards of practice\r\n" * rows)
    return path


def test_progress_is_called_as_the_rows_are_checked_and_the_answer_is_the_same(codes: set[str],
                                                                               tmp_path: Path) -> None:
    from desktop.core.ncci.importer import PROGRESS_EVERY

    files = [big_part(tmp_path, 3 * PROGRESS_EVERY), *PARTS[1:], MUE]
    calls: list[int] = []
    with_progress = read_release(files, codes, progress=calls.append)
    # one look-up per row of an unknown first code (the second is not looked up), two per kept row, and more
    assert len(calls) >= 3 and calls == [PROGRESS_EVERY * n for n in range(1, len(calls) + 1)]
    assert with_progress == read_release(files, codes)


def test_an_exception_raised_by_progress_stops_the_import_and_writes_nothing(codes: set[str],
                                                                             tmp_path: Path) -> None:
    from desktop.core.ncci.importer import PROGRESS_EVERY

    class Stop(Exception):
        pass

    def stop(_: int) -> None:
        raise Stop

    files = [big_part(tmp_path, 2 * PROGRESS_EVERY), *PARTS[1:], MUE]
    before = snapshot(tmp_path)
    with pytest.raises(Stop):
        read_release(files, codes, progress=stop)
    assert snapshot(tmp_path) == before
