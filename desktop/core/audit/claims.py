"""Reading claims files: header mapping (aliases, ``--columns``), rows into :class:`ClaimLine`, malformed rows."""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Final

from desktop.core.audit.findings import CancelFn, Finding
from desktop.core.model import Payer
from desktop.core.schema import CODE_RE

# ---------------------------------------------------------------------------------------------------------
# Input columns

FIELDS: Final = ("claim_id", "date_of_service", "place_of_service", "code", "modifiers", "units", "payer")
REQUIRED_FIELDS: Final = ("claim_id", "date_of_service", "place_of_service", "code")
DEFAULT_HEADER: Final = "claim_id,date_of_service,place_of_service,code,modifiers,units"

# Header names are compared after lower-casing and dropping everything but letters and digits.
ALIASES: Final[dict[str, tuple[str, ...]]] = {
    "claim_id": ("claimid", "claim", "claimno", "claimnumber", "claimnum", "claimnbr", "encounterid",
                 "encounter", "encounterno", "encounternumber", "visitid", "icn"),
    "date_of_service": ("dateofservice", "dos", "servicedate", "svcdate", "dosfrom", "fromdate", "datefrom",
                        "fromdos", "linedos", "date"),
    "place_of_service": ("placeofservice", "pos", "poscode", "place", "placeofsvc"),
    "code": ("code", "cpt", "hcpcs", "cptcode", "hcpcscode", "cpthcpcs", "hcpcscpt", "cpthcpcscode",
             "procedurecode", "proccode", "procedure", "proc", "billingcode", "servicecode"),
    "modifiers": ("modifiers", "modifier", "mods", "mod", "modifiercodes"),
    "units": ("units", "unit", "qty", "quantity", "serviceunits", "unitsofservice", "daysunits", "daysorunits",
              "billedunits"),
    "payer": ("payer", "payor", "payertype", "payortype", "payerclass", "financialclass", "insurance"),
}
_EXTRA_MODIFIER_COLUMN = re.compile(r"^(?:mod|modifier)([1-9])$")
_MODIFIER_SPLIT = re.compile(r"[\s,;/|\-]+")
_MODIFIER_RE = re.compile(r"^[A-Z0-9]{2}$")
_POS_RE = re.compile(r"^\d{1,2}$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?$")
_US_DATE = re.compile(r"^(\d{1,2})[/-](\d{1,2})[/-](\d{4})(?: .*)?$")
_COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_UNITS_RE = re.compile(r"^(\d{1,4})(?:\.0*)?$")
MAX_UNITS: Final = 999


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


class AuditInputError(ValueError):
    """The claims file cannot be audited at all (unreadable, no header, a required column missing)."""


@dataclass(frozen=True, slots=True)
class AuditOptions:
    payer: Payer = "other"
    columns: dict[str, tuple[str, ...]] = field(default_factory=dict)
    delimiter: str | None = None


def parse_columns_spec(spec: str) -> dict[str, tuple[str, ...]]:
    """``claim_id=ClaimNo,code=CPT,modifiers=Mod1+Mod2`` -> {field: header names}; raises AuditInputError."""
    out: dict[str, tuple[str, ...]] = {}
    for part in spec.split(","):
        part = part.strip()
        if not part:
            continue
        key, sep, value = part.partition("=")
        key = key.strip().lower()
        if not sep or not value.strip():
            raise AuditInputError(f"--columns: {part!r} is not FIELD=HEADER (e.g. code=CPT)")
        if key not in FIELDS:
            raise AuditInputError(f"--columns: unknown field {key!r} (fields: {', '.join(FIELDS)})")
        names = tuple(v.strip() for v in value.split("+") if v.strip())
        if len(names) > 1 and key != "modifiers":
            raise AuditInputError(f"--columns: only modifiers may join several columns with '+', not {key}")
        out[key] = names
    return out


@dataclass(frozen=True, slots=True)
class ColumnMap:
    indices: dict[str, tuple[int, ...]]
    header: tuple[str, ...]

    def describe(self) -> str:
        return ", ".join(f"{f}={'+'.join(self.header[i] for i in idx)}" for f, idx in self.indices.items())


def map_columns(header: Sequence[str], overrides: dict[str, tuple[str, ...]] | None = None) -> ColumnMap:
    """Match the header row against the field names, their aliases and ``overrides``."""
    overrides = overrides or {}
    exact = {h.strip(): i for i, h in reversed(list(enumerate(header)))}
    normed: dict[str, int] = {}
    for i, h in enumerate(header):
        normed.setdefault(_norm(h), i)
    found = ", ".join(repr(h) for h in header) or "none"
    indices: dict[str, tuple[int, ...]] = {}
    taken: set[int] = set()
    for fld, names in overrides.items():
        idx: list[int] = []
        for name in names:
            at = exact.get(name.strip(), normed.get(_norm(name)))
            if at is None:
                raise AuditInputError(f"--columns names {name!r} for {fld}, but the header has no such column "
                                      f"(columns found: {found})")
            idx.append(at)
        indices[fld] = tuple(idx)
        taken.update(idx)
    for fld in FIELDS:
        if fld in indices:
            continue
        for alias in (fld.replace("_", ""), *ALIASES[fld]):
            hit = normed.get(alias)
            if hit is not None and hit not in taken:
                indices[fld] = (hit,)
                taken.add(hit)
                break
    if "modifiers" not in overrides:  # Mod1, Mod2, ... columns (numbered modifier fields of claim exports)
        numbered = sorted((int(m.group(1)), i) for i, h in enumerate(header)
                          if (m := _EXTRA_MODIFIER_COLUMN.match(_norm(h))) and i not in taken)
        if numbered:
            indices["modifiers"] = tuple(dict.fromkeys((*indices.get("modifiers", ()), *(i for _, i in numbered))))
    missing = [f for f in REQUIRED_FIELDS if f not in indices]
    if missing:
        raise AuditInputError(
            f"the header has no column for {', '.join(missing)} (columns found: {found}); expected a header like "
            f"{DEFAULT_HEADER!r} or name the columns with --columns, e.g. --columns {missing[0]}=YOUR_HEADER")
    return ColumnMap(indices, tuple(header))



@dataclass(frozen=True, slots=True)
class ClaimLine:
    line: int
    claim_id: str
    date_of_service: date
    place_of_service: str
    code: str
    modifiers: tuple[str, ...]
    units: int
    payer: Payer | None

    @property
    def billed(self) -> str:
        return "-".join((self.code, *self.modifiers)) + f" \u00d7{self.units}"



# ---------------------------------------------------------------------------------------------------------
# Reading rows


class _RowError(ValueError):
    pass


_DATE_CACHE: dict[str, date] = {}


def parse_date(raw: str) -> date:
    """YYYY-MM-DD (an Excel time after it is ignored), MM/DD/YYYY, MM-DD-YYYY or YYYYMMDD."""
    text = raw.strip()
    hit = _DATE_CACHE.get(text)
    if hit is not None:
        return hit
    if not text:
        raise _RowError("date of service is empty")
    if m := _ISO_DATE.match(text):
        y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
    elif m := _US_DATE.match(text):
        mo, d, y = int(m.group(1)), int(m.group(2)), int(m.group(3))
    elif m := _COMPACT_DATE.match(text):
        y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
    else:
        raise _RowError(f"bad date of service {text[:30]!r} (use YYYY-MM-DD or MM/DD/YYYY)")
    try:
        value = date(y, mo, d)
    except ValueError:
        raise _RowError(f"date of service {text[:30]!r} is not a real date") from None
    if len(_DATE_CACHE) < 20000:
        _DATE_CACHE[text] = value
    return value


def _parse_payer(raw: str) -> Payer | None:
    text = raw.strip().lower()
    if not text:
        return None
    return "medicare" if "medicare" in text or text in ("mcr", "cms") else "other"


def parse_row(row: Sequence[str], cols: ColumnMap, line: int) -> ClaimLine:
    """One CSV row -> a :class:`ClaimLine`; raises _RowError with the reason the row is malformed."""
    width = len(cols.header)
    if len(row) < width:
        missing = [f for f, idx in cols.indices.items() if any(i >= len(row) for i in idx)]
        if missing:
            raise _RowError(f"row has {len(row)} field(s) but the header has {width}: no value for "
                            f"{', '.join(missing)}")
    elif len(row) > width and any(v.strip() for v in row[width:]):
        raise _RowError(f"row has {len(row)} fields but the header has {width} (an unquoted comma?)")

    def get(fld: str) -> str:
        idx = cols.indices.get(fld, ())
        return " ".join(row[i] for i in idx if i < len(row)).strip()

    claim_id = get("claim_id")
    if not claim_id:
        raise _RowError("claim id is empty")
    dos = parse_date(get("date_of_service"))
    pos = get("place_of_service")
    if not _POS_RE.match(pos):
        raise _RowError(f"bad place of service {pos[:20]!r} (a two-digit code such as 11, 22 or 24)"
                        if pos else "place of service is empty")
    pos = pos.zfill(2)
    raw_code = get("code").upper()
    code, *attached = [p for p in _MODIFIER_SPLIT.split(raw_code) if p] or [""]
    if not CODE_RE.match(code):
        raise _RowError(f"bad code {raw_code[:20]!r} (5 characters, e.g. 64405, 0213T, G0260)"
                        if raw_code else "code is empty")
    mods: list[str] = []
    for m in (*attached, *_MODIFIER_SPLIT.split(get("modifiers").upper())):
        if not m:
            continue
        if not _MODIFIER_RE.match(m):
            raise _RowError(f"bad modifier {m[:10]!r} (two letters or digits, e.g. 26, XS, RT)")
        if m not in mods:
            mods.append(m)
    units_raw = get("units")
    units = 1
    if units_raw:
        um = _UNITS_RE.match(units_raw)
        if um is None or not 1 <= int(um.group(1)) <= MAX_UNITS:
            raise _RowError(f"bad units {units_raw[:12]!r} (a whole number from 1 to {MAX_UNITS})")
        units = int(um.group(1))
    payer = _parse_payer(get("payer")) if "payer" in cols.indices else None
    return ClaimLine(line, claim_id, dos, pos, code, tuple(mods), units, payer)


def _sniff_delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in (",", "\t", ";", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","


def read_claims(text: str, options: AuditOptions, *, cancel: CancelFn | None = None
                ) -> tuple[list[ClaimLine], list[Finding], int]:
    """Parse claims CSV text -> (good lines, malformed-row findings, data rows read). Raises AuditInputError
    when there is no header or a required column is missing."""
    if text.startswith("\ufeff"):
        text = text[1:]
    first = text.split("\n", 1)[0]
    delimiter = options.delimiter or _sniff_delimiter(first)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header: list[str] | None = None
    header_line = 0
    try:
        for row in reader:
            if any(v.strip() for v in row):
                header = row
                header_line = reader.line_num
                break
    except csv.Error as exc:
        raise AuditInputError(f"the header row is not valid CSV: {exc}") from None
    if header is None:
        raise AuditInputError("the file is empty: no header row (expected e.g. " + DEFAULT_HEADER + ")")
    cols = map_columns(header, options.columns)
    good: list[ClaimLine] = []
    bad: list[Finding] = []
    read = 0
    prev = header_line
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            read += 1
            line = prev + 1
            bad.append(_malformed(line, "", f"not valid CSV ({exc})", ""))
            prev = reader.line_num
            continue
        line = prev + 1
        prev = reader.line_num
        if not any(v.strip() for v in row):
            continue
        read += 1
        if cancel is not None and read % 2000 == 0 and cancel():
            break
        try:
            good.append(parse_row(row, cols, line))
        except _RowError as exc:
            claim = row[cols.indices["claim_id"][0]].strip() if cols.indices["claim_id"][0] < len(row) else ""
            bad.append(_malformed(line, claim, str(exc), delimiter.join(row)))
    return good, bad, read


def _malformed(line: int, claim_id: str, why: str, raw: str) -> Finding:
    return Finding(claim_id, line, "error", "malformed_row",
                   f"Line {line}: {why}; the row was skipped and the rest of its claim was checked without it.",
                   billed=raw[:120])



def read_claims_file(path: Path, encoding: str = "utf-8-sig") -> str:
    """The text of a claims file; raises :class:`AuditInputError` with one clear sentence."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise AuditInputError(f"cannot read {path}: no such file") from None
    except IsADirectoryError:
        raise AuditInputError(f"cannot read {path}: it is a folder") from None
    except OSError as exc:
        raise AuditInputError(f"cannot read {path}: {exc.strerror or exc}") from None
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):  # "Unicode text" saved by a spreadsheet
        encoding = "utf-16"
    try:
        return data.decode(encoding)
    except LookupError:
        raise AuditInputError(f"unknown encoding {encoding!r}") from None
    except UnicodeDecodeError as exc:
        raise AuditInputError(f"{path} is not {encoding} text (byte {exc.start}); try --encoding cp1252") from None


