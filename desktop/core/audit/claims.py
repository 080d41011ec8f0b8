"""Reading claims files: the input's bytes and encoding, header mapping (aliases, ``--columns``), rows into
:class:`ClaimLine`, malformed rows described (never copied: a claims file carries patient columns the audit
does not use, and a report must not repeat them).

Reading streams: :func:`iter_csv_claims` reads one physical line at a time, so memory does not grow with the
file. Every input is bounded: a line longer than :data:`MAX_LINE_CHARS` characters or a quoted field open for
more than :data:`MAX_ROW_LINES` lines is reported as a malformed row and reading goes on after it.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import re
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import IO, Final

from desktop.core.audit.findings import Finding
from desktop.core.model import Payer
from desktop.core.schema import CODE_RE

# ---------------------------------------------------------------------------------------------------------
# Input columns

FIELDS: Final = ("claim_id", "date_of_service", "place_of_service", "code", "modifiers", "units", "payer",
                  "images_recorded")
REQUIRED_FIELDS: Final = ("claim_id", "date_of_service", "place_of_service", "code")
DEFAULT_HEADER: Final = "claim_id,date_of_service,place_of_service,code,modifiers,units"
FIELD_LABELS: Final[dict[str, str]] = {
    "claim_id": "Claim id", "date_of_service": "Date of service", "place_of_service": "Place of service",
    "code": "Procedure code", "modifiers": "Modifiers", "units": "Units", "payer": "Payer",
    "images_recorded": "Images recorded",
}

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
    "images_recorded": ("imagesrecorded", "images", "usimages", "usimagesrecorded", "ultrasoundimages",
                        "imagessaved", "imagesaved", "permanentimages", "imagerecorded"),
}
_EXTRA_MODIFIER_COLUMN = re.compile(r"^(?:mod|modifier)([1-9])$")
_MODIFIER_SPLIT = re.compile(r"[\s,;/|\-]+")
_MODIFIER_RE = re.compile(r"^[A-Z0-9]{2}$")
_POS_RE = re.compile(r"^\d{1,2}$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?$")
_US_DATE = re.compile(r"^(\d{1,2})[/-](\d{1,2})[/-](\d{4})(?: .*)?$")
_COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_UNITS_RE = re.compile(r"^(\d{1,4})(?:\.0*)?$")
# The images column (whether the ultrasound images were permanently recorded, with a report): yes / no, and
# the usual spellings of both; blank is "not stated".
IMAGES_VALUES: Final[dict[str, bool | None]] = {
    "": None, "yes": True, "y": True, "true": True, "1": True, "no": False, "n": False, "false": False, "0": False,
}
MAX_UNITS: Final = 999
MAX_LINE_CHARS: Final = 65_536
MAX_ROW_LINES: Final = 20
MAX_COLUMNS: Final = 1000


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


class AuditInputError(ValueError):
    """The claims file cannot be audited at all (unreadable, no header, a required column missing)."""


@dataclass(frozen=True, slots=True)
class AuditOptions:
    payer: Payer = "other"
    columns: dict[str, tuple[str, ...]] = field(default_factory=dict)
    delimiter: str | None = None
    # 837P: payer ids (NM1*PR NM109) to treat as Medicare besides the claim filing indicator (SBR09 MA/MB)
    medicare_payer_ids: frozenset[str] = frozenset()
    # 837P: validate every segment against the X222A1 map (pyx12's context reader); False: pyx12's segment
    # reader's checks only: envelope, HL, segment ids, empty segments (much faster; see docs/audit.md)
    x12_validate: bool = True


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
            raise AuditInputError(f"--columns: {part[:60]!r} is not FIELD=HEADER (e.g. code=CPT)")
        if key not in FIELDS:
            raise AuditInputError(f"--columns: unknown field {key[:40]!r} (fields: {', '.join(FIELDS)})")
        names = tuple(v.strip() for v in value.split("+") if v.strip())
        if len(names) > 1 and key != "modifiers":
            raise AuditInputError(f"--columns: only modifiers may join several columns with '+', not {key}")
        out[key] = names
    return out


def columns_spec(columns: dict[str, tuple[str, ...]]) -> str:
    """The reverse of :func:`parse_columns_spec`."""
    return ",".join(f"{f}={'+'.join(names)}" for f, names in columns.items() if names)


@dataclass(frozen=True, slots=True)
class ColumnMap:
    indices: dict[str, tuple[int, ...]]
    header: tuple[str, ...]
    # the column of each field when every field has one column at most (the fast path of parse_row)
    fast: tuple[int, int, int, int, int, int, int, int] | None = None

    @staticmethod
    def of(indices: dict[str, tuple[int, ...]], header: Sequence[str]) -> ColumnMap:
        fast = None
        if all(len(v) == 1 for v in indices.values()):
            at = {f: v[0] for f, v in indices.items()}
            fast = (at["claim_id"], at["date_of_service"], at["place_of_service"], at["code"],
                    at.get("modifiers", -1), at.get("units", -1), at.get("payer", -1),
                    at.get("images_recorded", -1))
        return ColumnMap(indices, tuple(header), fast)

    def describe(self) -> str:
        return ", ".join(f"{f}={'+'.join(self.header[i] for i in idx)}" for f, idx in self.indices.items())


class ColumnsNotRecognised(AuditInputError):
    """The header lacks a column for a required field, or two columns could be one field. Carries the header
    so the window can offer the columns beside the fields (the column-mapping step)."""

    def __init__(self, message: str, header: Sequence[str], missing: Sequence[str] = (),
                 ambiguous: dict[str, tuple[str, ...]] | None = None) -> None:
        super().__init__(message)
        self.header = tuple(header)
        self.missing = tuple(missing)
        self.ambiguous = dict(ambiguous or {})


def _col(header: Sequence[str], i: int) -> str:
    return f"{header[i][:40]!r} (column {i + 1})"


def map_columns(header: Sequence[str], overrides: dict[str, tuple[str, ...]] | None = None) -> ColumnMap:
    """Match the header row against the field names, their aliases and ``overrides``. Raises
    :class:`ColumnsNotRecognised` when a required field has no column, or when two columns could both be one
    field (``code,code``; ``cpt,code``): the audit never picks one silently."""
    overrides = overrides or {}
    header = [h.strip() for h in header]
    found = ", ".join(repr(h[:40]) for h in header[:60]) or "none"
    exact: dict[str, list[int]] = {}
    normed: dict[str, list[int]] = {}
    for i, h in enumerate(header):
        exact.setdefault(h, []).append(i)
        normed.setdefault(_norm(h), []).append(i)
    indices: dict[str, tuple[int, ...]] = {}
    taken: set[int] = set()
    for fld, names in overrides.items():
        idx: list[int] = []
        for name in names:
            hits = exact.get(name.strip()) or normed.get(_norm(name))
            if not hits:
                raise ColumnsNotRecognised(
                    f"--columns names {name[:40]!r} for {fld}, but the header has no such column "
                    f"(columns found: {found})", header)
            if len(hits) > 1:
                raise ColumnsNotRecognised(
                    f"the header has {len(hits)} columns named {name[:40]!r} "
                    f"({', '.join(str(i + 1) for i in hits)}): rename one so {fld} is not ambiguous",
                    header, ambiguous={fld: tuple(header[i] for i in hits)})
            idx.append(hits[0])
        indices[fld] = tuple(idx)
        taken.update(idx)
    ambiguous: dict[str, list[int]] = {}
    for fld in FIELDS:
        if fld in indices:
            continue
        hits = []
        for alias in dict.fromkeys((fld.replace("_", ""), *ALIASES[fld])):
            hits.extend(i for i in normed.get(alias, ()) if i not in taken and i not in hits)
        if len(hits) > 1 and fld != "modifiers":
            ambiguous[fld] = hits
        elif len(hits) > 1:  # modifiers, modifier, mods: several modifier columns are joined
            indices[fld] = tuple(sorted(hits))
            taken.update(hits)
        elif hits:
            indices[fld] = (hits[0],)
            taken.add(hits[0])
    if ambiguous:
        parts = [f"{fld}: {' and '.join(_col(header, i) for i in hits)}" for fld, hits in ambiguous.items()]
        first = next(iter(ambiguous))
        raise ColumnsNotRecognised(
            "the header has more than one column that could be " + "; ".join(parts) + ". Name the one to use, "
            f"e.g. --columns {first}={header[ambiguous[first][0]][:40]}",
            header, ambiguous={f: tuple(header[i] for i in h) for f, h in ambiguous.items()})
    if "modifiers" not in overrides:  # Mod1, Mod2, ... columns (numbered modifier fields of claim exports)
        numbered = sorted((int(m.group(1)), i) for i, h in enumerate(header)
                          if (m := _EXTRA_MODIFIER_COLUMN.match(_norm(h))) and i not in taken)
        if numbered:
            indices["modifiers"] = tuple(dict.fromkeys((*indices.get("modifiers", ()), *(i for _, i in numbered))))
    missing = [f for f in REQUIRED_FIELDS if f not in indices]
    if missing:
        raise ColumnsNotRecognised(
            f"the header has no column for {', '.join(missing)} (columns found: {found}); expected a header like "
            f"{DEFAULT_HEADER!r}; pick the columns (in the window) or name them with --columns, e.g. "
            f"--columns {missing[0]}=YOUR_HEADER", header, missing=missing)
    return ColumnMap.of(indices, header)


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
    where: str = ""
    # whether the ultrasound images were permanently recorded with a report (the images column); None: not stated
    images_recorded: bool | None = None

    @property
    def billed(self) -> str:
        return "-".join((self.code, *self.modifiers)) + f" \u00d7{self.units}"


def images_of(lines: Sequence[ClaimLine]) -> bool | None:
    """Whether an encounter's ultrasound images were recorded, from its lines' images column: the value its lines
    state (blank lines say nothing); lines that disagree (yes on one, no on another) count as not stated."""
    stated = {ln.images_recorded for ln in lines if ln.images_recorded is not None}
    return stated.pop() if len(stated) == 1 else None


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


_COMBOS: dict[tuple[str, str, str, str], tuple[str, str, tuple[str, ...], int] | None] = {}
_PAYER_CACHE: dict[str, Payer | None] = {}


def _combo(raw_code: str, raw_mods: str, raw_units: str, raw_pos: str
           ) -> tuple[str, str, tuple[str, ...], int] | None:
    """(place of service, code, modifiers, units) when the four values are in their plain form (a 2-digit POS,
    a code, modifiers separated by spaces, whole units); None sends the row to the full checks."""
    code = raw_code.strip().upper()
    mods_raw = raw_mods.strip().upper()
    units_raw = raw_units.strip()
    pos = raw_pos.strip()
    if not (len(pos) == 2 and pos.isdigit() and CODE_RE.match(code)):
        return None
    if units_raw and not (units_raw.isdigit() and 1 <= int(units_raw) <= MAX_UNITS):
        return None
    mods = mods_raw.split()
    if not all(_MODIFIER_RE.match(m) for m in mods):
        return None
    return pos, code, tuple(dict.fromkeys(mods)), int(units_raw) if units_raw else 1


def parse_payer(raw: str) -> Payer | None:
    text = raw.strip().lower()
    if not text:
        return None
    return "medicare" if "medicare" in text or text in ("mcr", "cms") else "other"


_parse_payer = parse_payer


def parse_row(row: Sequence[str], cols: ColumnMap, line: int) -> ClaimLine:
    """One CSV row -> a :class:`ClaimLine`; raises _RowError with the reason the row is malformed. A value is
    quoted in the reason only when the row has as many fields as the header (so it is surely from the column
    the audit uses, not a patient column shifted by a stray separator)."""
    width = len(cols.header)
    echo = len(row) == width
    if echo and cols.fast is not None:  # the usual row: one column per field, as many fields as the header
        ci, di, pi, ki, mi, ui, yi, ii = cols.fast
        claim_id = row[ci].strip()
        key = (row[ki], row[mi] if mi >= 0 else "", row[ui] if ui >= 0 else "", row[pi])
        combo = _COMBOS.get(key)
        if combo is None:
            combo = _combo(*key)
            if len(_COMBOS) < 50_000:
                _COMBOS[key] = combo
        raw_date = row[di]
        dos = _DATE_CACHE.get(raw_date)
        if dos is None and combo:
            try:
                dos = parse_date(raw_date)
            except _RowError:
                dos = None  # the full checks below describe it
        images: bool | None = None
        images_ok = True
        if ii >= 0:
            raw_images = row[ii]
            images = IMAGES_VALUES.get(raw_images)
            if images is None and raw_images:  # "Yes", " no ", or a bad value (the full checks describe it)
                text = raw_images.strip().lower()
                images_ok = text in IMAGES_VALUES
                images = IMAGES_VALUES.get(text)
        if combo and dos is not None and claim_id and len(claim_id) <= 64 and images_ok:
            payer = None
            if yi >= 0:
                raw_payer = row[yi]
                payer = _PAYER_CACHE.get(raw_payer)
                if payer is None and raw_payer not in _PAYER_CACHE:
                    payer = parse_payer(raw_payer)
                    if len(_PAYER_CACHE) < 1000:
                        _PAYER_CACHE[raw_payer] = payer
            return ClaimLine(line, claim_id, dos, combo[0], combo[1], combo[2], combo[3], payer, "", images)
    if len(row) < width:
        missing = [f for f, idx in cols.indices.items() if any(i >= len(row) for i in idx)]
        if missing:
            raise _RowError(f"row has {len(row)} field(s) but the header has {width}: no value for "
                            f"{', '.join(missing)}")
    elif len(row) > width and any(v.strip() for v in row[width:]):
        raise _RowError(f"row has {len(row)} fields but the header has {width} (an unquoted separator?)")

    def get(fld: str) -> str:
        idx = cols.indices.get(fld, ())
        if len(idx) == 1:
            i = idx[0]
            return row[i].strip() if i < len(row) else ""
        return " ".join(row[i] for i in idx if i < len(row)).strip()

    def shown(value: str, pattern: re.Pattern[str]) -> str:
        """A bad value is quoted only when the row lines up with the header and the value has the short form
        ``pattern`` allows for its field (a few digits: it cannot be a name, a member id or a birth date);
        otherwise it is described."""
        if echo and pattern.match(value):
            return repr(value)
        return f"({_describe(value)}, not shown)"

    claim_id = get("claim_id")
    if not claim_id:
        raise _RowError("claim id is empty")
    if len(claim_id) > 64:
        raise _RowError("claim id is longer than 64 characters")
    raw_date = get("date_of_service")
    try:
        dos = parse_date(raw_date)
    except _RowError as exc:
        if echo and (not raw_date or _SHOW_DATE.match(raw_date)):
            raise
        raise _RowError(f"bad date of service {shown(raw_date, _SHOW_DATE)} (use YYYY-MM-DD or MM/DD/YYYY)") from exc
    pos = get("place_of_service")
    if not _POS_RE.match(pos):
        raise _RowError(f"bad place of service {shown(pos, _SHOW_POS)} (a two-digit code such as 11, 22 or 24)"
                        if pos else "place of service is empty")
    pos = pos.zfill(2)
    raw_code = get("code").upper()
    code, *attached = [p for p in _MODIFIER_SPLIT.split(raw_code) if p] or [""]
    if not CODE_RE.match(code):
        raise _RowError(f"bad code {shown(raw_code, _SHOW_CODE)} (5 characters, e.g. 64405, 0213T, G0260)"
                        if raw_code else "code is empty")
    mods: list[str] = []
    for m in (*attached, *_MODIFIER_SPLIT.split(get("modifiers").upper())):
        if not m:
            continue
        if not _MODIFIER_RE.match(m):
            raise _RowError(f"bad modifier {shown(m, _SHOW_MOD)} (two letters or digits, e.g. 26, XS, RT)")
        if m not in mods:
            mods.append(m)
    units_raw = get("units")
    units = 1
    if units_raw:
        um = _UNITS_RE.match(units_raw)
        if um is None or not 1 <= int(um.group(1)) <= MAX_UNITS:
            raise _RowError(f"bad units {shown(units_raw, _SHOW_UNITS)} (a whole number from 1 to {MAX_UNITS})")
        units = int(um.group(1))
    payer = parse_payer(get("payer")) if "payer" in cols.indices else None
    stated: bool | None = None
    if "images_recorded" in cols.indices:
        raw_images = get("images_recorded")
        if raw_images.lower() not in IMAGES_VALUES:
            raise _RowError(f"bad images recorded value {shown(raw_images, _SHOW_IMAGES)} (yes, no, true, false, 1, "
                            "0, or blank for not stated)")
        stated = IMAGES_VALUES[raw_images.lower()]
    return ClaimLine(line, claim_id, dos, pos, code, tuple(mods), units, payer, "", stated)


# the forms of a bad value that may be quoted (see parse_row): short, digits only (a date: one that cannot be real
# is quoted; a real date never gets here)
_SHOW_DATE = re.compile(r"^[0-9]{1,4}[-/.][0-9]{1,2}[-/.][0-9]{1,4}$|^[0-9]{1,8}$")
_SHOW_POS = re.compile(r"^[0-9]{1,4}$")
_SHOW_CODE = re.compile(r"^[0-9]{1,7}$")
_SHOW_MOD = re.compile(r"^[0-9]{1,3}$")
_SHOW_UNITS = re.compile(r"^[0-9.]{1,6}$")
_SHOW_IMAGES = re.compile(r"^[0-9]{1,3}$")


def _describe(value: str) -> str:
    """What a value looks like, without its content: '7 characters, letters'."""
    kinds = [name for name, test in (("letters", str.isalpha), ("digits", str.isdigit)) if any(map(test, value))]
    if any(not (c.isalnum() or c.isspace()) for c in value):
        kinds.append("other characters")
    n = len(value)
    return f"{n} character{'s' if n != 1 else ''}" + (f": {', '.join(kinds)}" if kinds else "")


def _sniff_delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in (",", "\t", ";", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","


def malformed(line: int, claim_id: str, why: str) -> Finding:
    """A row that could not be read, described (never copied: see the module docstring)."""
    return Finding(claim_id, line, "error", "malformed_row",
                   f"Line {line}: {why}; the row was skipped and the rest of its claim was checked without it.",
                   where=f"line {line}")


# ---------------------------------------------------------------------------------------------------------
# Bytes, encodings and physical lines

_ENCODING_ALIASES: Final = {"auto": None, "": None}
# Codecs Python knows that are not character sets of a text file (they transform text or need exact input)
_NOT_CHARSETS: Final = frozenset({"punycode", "idna", "unicode-escape", "raw-unicode-escape", "undefined",
                                  "utf-7", "mbcs", "oem", "charmap"})


def check_encoding(name: str | None) -> str | None:
    """A valid text encoding name (Python's canonical name), or None for auto-detection; raises
    :class:`AuditInputError` for a name that is not a text file's character set (``punycode``, ``rot13``)."""
    if name is None or name.strip().lower() in _ENCODING_ALIASES:
        return None
    try:
        info = codecs.lookup(name.strip())
    except (LookupError, ValueError):
        raise AuditInputError(f"unknown encoding {name[:40]!r} (e.g. utf-8, cp1252, utf-16)") from None
    if not getattr(info, "_is_text_encoding", True) or info.name in _NOT_CHARSETS:
        raise AuditInputError(f"{name[:40]!r} is not a text file encoding (e.g. utf-8, cp1252, utf-16)")
    try:
        if "claim_id,1\n".encode(info.name).decode(info.name) != "claim_id,1\n":
            raise ValueError
    except (ValueError, UnicodeError):
        raise AuditInputError(f"{name[:40]!r} cannot encode a plain claims header (use e.g. utf-8, cp1252, "
                              "utf-16)") from None
    return info.name


_BOMS: Final = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
                (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def detect_encoding(head: bytes, requested: str | None = None) -> str:
    """The encoding to read a file with, from its first bytes: a byte-order mark (UTF-8, UTF-16, UTF-32), else
    the pattern of zero bytes of UTF-16 or UTF-32 text without one, else ``requested`` or UTF-8."""
    for bom, enc in _BOMS:
        if head.startswith(bom):
            return enc
    sample = head[:4096]
    n = len(sample) - len(sample) % 4
    if requested is None and n >= 4:
        quads = [sample[i:i + 4] for i in range(0, n, 4)]
        if sample.count(0):
            q = len(quads)
            if sum(1 for x in quads if x[1:] == b"\0\0\0" and x[0]) >= 0.9 * q:
                return "utf-32-le"
            if sum(1 for x in quads if x[:3] == b"\0\0\0" and x[3]) >= 0.9 * q:
                return "utf-32-be"
            half = n / 2
            even, odd = sample[0:n:2].count(0), sample[1:n:2].count(0)
            if odd >= 0.4 * half and even < 0.1 * half:
                return "utf-16-le"
            if even >= 0.4 * half and odd < 0.1 * half:
                return "utf-16-be"
    return requested or "utf-8"


@dataclass(slots=True)
class TextInput:
    """An input opened for reading: its text stream (universal newlines: LF, CRLF or CR alone), the encoding
    used, and its binary stream (for progress)."""

    text: IO[str]
    encoding: str
    raw: IO[bytes]
    size: int
    name: str

    @property
    def position(self) -> int:
        try:
            return self.raw.tell()
        except (OSError, ValueError):
            return 0

    def close(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            self.text.close()


HEAD_BYTES: Final = 65_536


def open_text(raw: IO[bytes], name: str, encoding: str | None = None, size: int = 0) -> TextInput:
    """Open ``raw`` as text: the encoding is checked (:func:`check_encoding`), detected where not given, and
    the first 64 KiB must decode strictly (else :class:`AuditInputError`: "not UTF-8 text ... try --encoding
    cp1252"). Later undecodable bytes are replaced and counted (a claims file's patient columns may hold them;
    the audit reports how many lines had them)."""
    requested = check_encoding(encoding)
    head = raw.read(HEAD_BYTES)
    enc = detect_encoding(head, requested)
    try:
        codecs.getincrementaldecoder(enc)("strict").decode(head, final=len(head) < HEAD_BYTES)
    except UnicodeError as exc:
        start = getattr(exc, "start", 0)
        line = head[:start].count(b"\n") + 1
        hint = "; try --encoding cp1252" if enc.startswith("utf-8") else ""
        raise AuditInputError(f"{name} is not {enc} text (byte {start + 1}, line {line}){hint}") from None
    except (ValueError, LookupError) as exc:
        raise AuditInputError(f"{name} cannot be read as {enc}: {exc}") from None
    raw.seek(0)
    text = io.TextIOWrapper(raw, encoding=enc, errors="replace", newline="")
    return TextInput(text, enc, raw, size, name)


def open_claims_path(path: Path, encoding: str | None = None) -> TextInput:
    """Open a claims file; raises :class:`AuditInputError` with one clear sentence."""
    try:
        if path.is_dir():
            raise AuditInputError(f"cannot read {path}: it is a folder")
        if path.exists() and not path.is_file():
            raise AuditInputError(f"cannot read {path}: not a regular file")
        raw = path.open("rb")
    except FileNotFoundError:
        raise AuditInputError(f"cannot read {path}: no such file") from None
    except OSError as exc:
        raise AuditInputError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        size = path.stat().st_size
        return open_text(raw, str(path), encoding, size)
    except BaseException:
        raw.close()
        raise


def open_claims_bytes(data: bytes, name: str = "standard input", encoding: str | None = None) -> TextInput:
    return open_text(io.BytesIO(data), name, encoding, len(data))


def read_claims_file(path: Path, encoding: str | None = None) -> str:
    """The whole text of a claims file (small files and tests; the audit itself streams)."""
    src = open_claims_path(path, encoding)
    try:
        return src.text.read()
    finally:
        src.close()


class _LongLine(Exception):
    pass


class _Runaway(Exception):
    pass


class _PhysicalLines:
    """The physical lines of a text stream, counted, for :mod:`csv` to read rows from; bounded in length, and
    able to push lines back (to read again after a quote that was never closed)."""

    __slots__ = ("_text", "lineno", "pending", "_back", "eof", "replaced", "first_replaced")

    def __init__(self, text: IO[str]) -> None:
        self._text = text
        self.lineno = 0
        self.pending: list[str] = []
        self._back: deque[str] = deque()
        self.eof = False
        self.replaced = 0
        self.first_replaced = 0

    def __iter__(self) -> _PhysicalLines:
        return self

    def __next__(self) -> str:
        if self._back:
            line = self._back.popleft()
        else:
            line = self._text.readline(MAX_LINE_CHARS)
            if not line:
                self.eof = True
                raise StopIteration
            if len(line) >= MAX_LINE_CHARS and line[-1] not in "\r\n":
                while True:  # drop the rest of the line, a bounded piece at a time
                    more = self._text.readline(MAX_LINE_CHARS)
                    if not more or more[-1] in "\r\n":
                        break
                self.lineno += 1
                raise _LongLine
            if "\ufffd" in line:
                self.replaced += 1
                if not self.first_replaced:
                    self.first_replaced = self.lineno + 1
        self.lineno += 1
        self.pending.append(line)
        if len(self.pending) > MAX_ROW_LINES:
            raise _Runaway
        return line

    def push_back(self, lines: Sequence[str]) -> None:
        self._back.extendleft(reversed(lines))
        self.lineno -= len(lines)


def _quote_open(text: str, delimiter: str) -> bool:
    """Whether a quoted field is still open at the end of ``text`` (csv's rules: a quote opens a field only
    at its start; inside, a doubled quote is a literal quote)."""
    in_quotes = False
    at_start = True
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if in_quotes:
            if c == '"':
                if i + 1 < n and text[i + 1] == '"':
                    i += 1
                else:
                    in_quotes = False
        elif c == '"' and at_start:
            in_quotes = True
        at_start = c == delimiter or c in "\r\n"
        i += 1
    return in_quotes


@dataclass(slots=True)
class ReadStats:
    """What reading a claims file counted so far."""

    rows: int = 0  # data rows read (good and malformed; blank lines not counted)
    malformed: int = 0
    physical_lines: int = 0
    replaced_lines: int = 0
    first_replaced_line: int = 0
    encoding: str = ""

    def counted(self, malformed: Iterable[Finding], lines: Iterable[ClaimLine]) -> Iterator[ClaimLine | Finding]:
        """``malformed`` then ``lines`` as audit items, each counted as a row (the malformed ones as such too)."""
        for f in malformed:
            self.rows += 1
            self.malformed += 1
            yield f
        for ln in lines:
            self.rows += 1
            yield ln


def iter_csv_claims(src: TextInput, options: AuditOptions, stats: ReadStats | None = None
                    ) -> Iterator[ClaimLine | Finding]:
    """The claim lines of a claims CSV, one at a time, and a ``malformed_row`` finding for each row that cannot
    be read. Raises :class:`AuditInputError` (before yielding anything) when there is no header or a required
    column is missing or ambiguous."""
    st = stats if stats is not None else ReadStats()
    st.encoding = src.encoding
    lines = _PhysicalLines(src.text)
    # the header: the first line that is not blank (blank lines before it are ignored)
    first = ""
    try:
        for ln in lines:
            if ln.strip().lstrip("\ufeff"):
                first = ln
                break
    except (_LongLine, _Runaway):
        raise AuditInputError("the header row is longer than 64 KiB: this is not a claims CSV file") from None
    if not first:
        raise AuditInputError("the file is empty: no header row (expected e.g. " + DEFAULT_HEADER + ")")
    header_line = lines.lineno
    delimiter = options.delimiter or _sniff_delimiter(first)
    lines.pending.clear()
    try:
        header = next(csv.reader([first.lstrip("\ufeff")], delimiter=delimiter))
    except (csv.Error, StopIteration) as exc:
        raise AuditInputError(f"the header row is not valid CSV: {exc}") from None
    if _quote_open(first, delimiter):
        raise AuditInputError(f"the header row (line {header_line}) opens a quote that is never closed")
    if len(header) > MAX_COLUMNS:
        raise AuditInputError(f"the header has {len(header):,} columns (at most {MAX_COLUMNS:,})")
    cols = map_columns(header, options.columns)
    claim_at = cols.indices["claim_id"][0]
    reader = csv.reader(lines, delimiter=delimiter)
    while True:
        lines.pending.clear()
        start = lines.lineno + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except _LongLine:
            st.rows += 1
            st.malformed += 1
            yield malformed(lines.lineno, "", f"the line is longer than {MAX_LINE_CHARS:,} characters")
            reader = csv.reader(lines, delimiter=delimiter)
            continue
        except _Runaway:
            st.rows += 1
            st.malformed += 1
            rest = lines.pending[1:]
            lines.push_back(rest)
            yield malformed(start, "", f"a quoted field opened on this line is not closed within {MAX_ROW_LINES} "
                                       f"lines; reading went on at line {start + 1}")
            reader = csv.reader(lines, delimiter=delimiter)
            continue
        except csv.Error as exc:
            st.rows += 1
            st.malformed += 1
            yield malformed(start, "", f"not valid CSV ({str(exc)[:80]})")
            reader = csv.reader(lines, delimiter=delimiter)
            continue
        if lines.eof and len(lines.pending) >= 1 and _quote_open("".join(lines.pending), delimiter):
            st.rows += 1
            st.malformed += 1
            rest = lines.pending[1:]
            end = lines.lineno
            if rest:
                lines.push_back(rest)
                lines.eof = False
                reader = csv.reader(lines, delimiter=delimiter)
                yield malformed(start, "", f"a quoted field opened on this line is never closed (the file ends at "
                                           f"line {end}); reading went on at line {start + 1}")
                continue
            yield malformed(start, "", "a quoted field opened on this line is never closed (the file ends here)")
            break
        if not (row and row[0] and not row[0].isspace()) and not any(v.strip() for v in row):
            continue  # a blank line (the usual row has its claim id first: no scan of every field)
        st.rows += 1
        try:
            yield parse_row(row, cols, start)
        except _RowError as exc:
            st.malformed += 1
            echo = len(row) == len(cols.header)
            claim = row[claim_at].strip()[:64] if echo and claim_at < len(row) else ""
            yield malformed(start, claim, str(exc))
    st.physical_lines = lines.lineno
    st.replaced_lines = lines.replaced
    st.first_replaced_line = lines.first_replaced


def read_claims(text: str, options: AuditOptions, *, cancel: object = None
                ) -> tuple[list[ClaimLine], list[Finding], int]:
    """Parse claims CSV text -> (good lines, malformed-row findings, data rows read). Raises AuditInputError
    when there is no header or a required column is missing. (For small inputs and tests; the audit streams
    with :func:`iter_csv_claims`.)"""
    src = TextInput(io.StringIO(text.removeprefix("\ufeff"), newline=""), "utf-8", io.BytesIO(), len(text),
                    "text")
    stats = ReadStats()
    good: list[ClaimLine] = []
    bad: list[Finding] = []
    for item in iter_csv_claims(src, options, stats):
        if isinstance(item, ClaimLine):
            good.append(item)
        else:
            bad.append(item)
    return good, bad, stats.rows
