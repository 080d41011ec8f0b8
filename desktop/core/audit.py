"""Audit mode: check a practice's claim lines for imaging-guidance errors, with the engine that answers one
encounter (:func:`desktop.core.engine.resolve`).

A claims file is CSV with a header row (default ``claim_id,date_of_service,place_of_service,code,modifiers,
units``; common aliases and ``--columns`` overrides are accepted, see :data:`ALIASES`). Lines are grouped into
encounters by claim id and date of service. Each encounter becomes an :class:`~desktop.core.model.Encounter`
whose procedures are the claim's non-guidance lines; the engine's answer is then compared with the guidance
lines that were billed, and every difference becomes a :class:`Finding` that carries the rule's reason, source
ids and confidence from the data (or, for the few modifier and place-of-service rules the engine does not
expose, from the cited fact base; see the ``_RULE_*`` constants and docs/audit.md).

What a claim does not say is inferred, and the inference is stated in each finding:

- modality, from the billed guidance code's record (77002/77003/76000 fluoroscopy, 77012 CT, 76942
  ultrasound, 77021 MR); no guidance code billed means no imaging (``modality_inferred`` says when that
  changes the answer);
- spinal regions, from the procedure codes' regions and, when 77003 is billed for more than their implied
  regions, from the 77003 units and lines (each procedure line can justify at most its units in regions).

Pure Python, no Qt; progress and cancellation are callbacks so the window can run it on a worker thread.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any, Final, TextIO

from desktop.core.engine import resolve
from desktop.core.loader import CODE_RE
from desktop.core.model import (
    FACILITY_SETTINGS,
    MODALITY_LABELS,
    Catalog,
    CodeRecord,
    Confidence,
    Encounter,
    GuidanceLine,
    Modality,
    Payer,
    ProcedureEntry,
    ProcedureResult,
    Region,
    Resolution,
    Setting,
    Severity,
)

# ---------------------------------------------------------------------------------------------------------
# Finding kinds: stable names, default severity, one-line title (docs/audit.md explains each with its rule)


@dataclass(frozen=True, slots=True)
class KindInfo:
    severity: Severity
    title: str


KINDS: Final[dict[str, KindInfo]] = {
    "guidance_included": KindInfo("error", "Guidance code billed with a procedure whose code already includes imaging"),
    "per_level_units": KindInfo("error", "77003 billed per level: more units than spinal regions"),
    "wrong_fluoro_code": KindInfo("error", "Wrong fluoroscopy code (77003 where 77002 belongs, or the reverse)"),
    "integral_76000": KindInfo("error", "76000 billed as needle guidance for an injection"),
    "not_guidance_for_procedure": KindInfo("error", "A guidance code that never goes with these procedures"),
    "deleted_code": KindInfo("error", "Code billed after it was deleted"),
    "code_not_yet_valid": KindInfo("error", "Code billed before it existed"),
    "missing_26": KindInfo("error", "Facility claim: guidance code without modifier 26"),
    "unexpected_26": KindInfo("warning", "Office claim: guidance code with modifier 26"),
    "redirect_primary": KindInfo("error", "A different procedure code should be billed (e.g. 20610 + 76942 -> 20611)"),
    "missing_distinct_modifier": KindInfo("error", "A further 77003 region without its own line and 59/XS"),
    "xs_preferred": KindInfo("info", "Medicare: XS preferred over 59 for a further spinal region"),
    "both_59_and_x": KindInfo("error", "Modifier 59 and an X modifier on the same line"),
    "conflicting_sources": KindInfo("warning", "Billed code follows the other side of a source conflict"),
    "unsupported_guidance": KindInfo("warning", "Guidance code billed that no procedure on the claim supports"),
    "units_unconfirmed": KindInfo("info", "Several units of a guidance code whose unit rule is unconfirmed"),
    "unconfirmed": KindInfo("info", "No confirmed rule for this procedure with this imaging"),
    "modality_inferred": KindInfo("info", "The answer depends on the modality inferred from the claim"),
    "caution": KindInfo("info", "A caution the data attaches to this code"),
    "unknown_code": KindInfo("info", "Code not in GuideCode's data: not checked"),
    "date_out_of_range": KindInfo("warning", "Date of service before the data's coverage: claim not checked"),
    "date_after_data": KindInfo("info", "Date of service after the data's code-set year"),
    "unsupported_place_of_service": KindInfo("warning", "Place of service GuideCode's rules do not cover"),
    "mixed_place_of_service": KindInfo("warning", "Lines of one claim and date with different places of service"),
    "malformed_row": KindInfo("error", "Row could not be read: skipped"),
}

SEVERITY_RANK: Final[dict[str, int]] = {"error": 0, "warning": 1, "info": 2}

# Rules the audit applies that the engine does not expose, with their fact-base sources
# (/work/shared/reference/domain-facts.md; the ids are in resources/data/sources.yaml).
# Fact table E, "59 vs X{EPSU}": never put both 59 and an X modifier on the same line (S19, S49), high.
_RULE_59_X: Final[tuple[str, tuple[str, ...], Confidence]] = (
    "CMS created XE, XS, XP and XU as more specific subsets of modifier 59; a line takes 59 or an X modifier, "
    "never both.",
    ("S19", "S49"), "high")
# Fact table B, "26 in facilities" (S25, S24, S23), high: physician in POS 19/22/24 on facility equipment
# reports the guidance code with 26; in an office that owns the equipment, the code with no modifier.
_RULE_26: Final[tuple[str, tuple[str, ...], Confidence]] = (
    "In a hospital outpatient department (POS 19/22) or an ASC (POS 24) the physician reports only the "
    "professional part of the guidance code, with modifier 26; the facility bills the technical part on its "
    "own claim. In an office that owns the equipment the code is reported without a modifier (global).",
    ("S25", "S24", "S23"), "high")
# Fact table E, "26" row: office-owned equipment -> no modifier (S23, S24, S25). The same sources as above.

POS_SETTINGS: Final[dict[str, Setting]] = {"11": "office", "19": "hospital_outpatient", "22": "hospital_outpatient",
                                           "24": "asc"}
X_MODIFIERS: Final = frozenset({"XE", "XS", "XP", "XU"})
DISTINCT_MODIFIERS: Final = frozenset({"59", "XS"})
IMAGING_MODALITIES: Final[tuple[Modality, ...]] = ("fluoroscopy", "ct", "ultrasound", "mri")

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


def _label(modality: Modality) -> str:
    """Modality as a word inside a sentence: fluoroscopy, CT, ultrasound, MR, no imaging."""
    text = MODALITY_LABELS[modality]
    return text if text.isupper() or modality == "mri" else text.lower()


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


# ---------------------------------------------------------------------------------------------------------
# Claim lines and findings


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


@dataclass(frozen=True, slots=True)
class Finding:
    claim_id: str
    line: int
    severity: Severity
    kind: str
    message: str
    billed: str = ""
    expected: str = ""
    reason: str = ""
    sources: tuple[str, ...] = ()
    confidence: Confidence | None = None
    date_of_service: str = ""
    modality: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "claim_id": self.claim_id, "line": self.line, "severity": self.severity, "kind": self.kind,
            "message": self.message, "billed": self.billed, "expected": self.expected, "reason": self.reason,
            "sources": list(self.sources), "confidence": self.confidence,
            "date_of_service": self.date_of_service, "modality": self.modality,
        }


REPORT_COLUMNS: Final = ("claim_id", "date_of_service", "line", "severity", "kind", "billed", "expected",
                         "message", "reason", "sources", "confidence", "modality")


@dataclass(frozen=True, slots=True)
class AuditSummary:
    claims_checked: int
    encounters_checked: int
    lines_read: int
    rows_skipped: int
    findings: int
    by_kind: dict[str, int]
    by_severity: dict[str, int]
    claims_with_errors: int
    payer_default: Payer
    data_version: str
    cancelled: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "claims_checked": self.claims_checked, "encounters_checked": self.encounters_checked,
            "lines_read": self.lines_read, "rows_skipped": self.rows_skipped, "findings": self.findings,
            "by_kind": dict(self.by_kind), "by_severity": dict(self.by_severity),
            "claims_with_errors": self.claims_with_errors, "payer_default": self.payer_default,
            "data_version": self.data_version, "cancelled": self.cancelled,
        }

    def text(self) -> str:
        head = (f"{self.claims_checked} claim(s) checked ({self.encounters_checked} claim-date encounter(s)), "
                f"{self.lines_read} line(s) read, {self.rows_skipped} skipped as malformed; {self.findings} "
                f"finding(s): " + ", ".join(f"{n} {s}" for s, n in self.by_severity.items()))
        if self.cancelled:
            head = "CANCELLED: partial result. " + head
        kinds = "".join(f"\n  {k}: {n}" for k, n in self.by_kind.items())
        return head + kinds + f"\ndata {self.data_version}, default payer {self.payer_default}"


@dataclass(frozen=True, slots=True)
class AuditReport:
    findings: tuple[Finding, ...]
    summary: AuditSummary

    @property
    def has_errors(self) -> bool:
        return self.summary.by_severity.get("error", 0) > 0


ProgressFn = Callable[[int, int], None]
CancelFn = Callable[[], bool]


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


# ---------------------------------------------------------------------------------------------------------
# Auditing encounters


def _line_text(ln: GuidanceLine) -> str:
    where = f" {ln.region}" if ln.region else ""
    return f"{ln.display}{where} (for {', '.join(ln.for_codes)})"


def _lines_text(lines: Iterable[GuidanceLine]) -> str:
    return "; ".join(_line_text(ln) for ln in lines)


def _min_conf(values: Iterable[Confidence]) -> Confidence:
    order: dict[Confidence, int] = {"low": 0, "medium": 1, "high": 2}
    vals = list(values)
    return min(vals, key=lambda c: order[c]) if vals else "high"


def _union(groups: Iterable[Iterable[str]]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(s for g in groups for s in g))


@dataclass(slots=True)
class _Ctx:
    """One encounter being audited: the claim lines, what was inferred, and the findings so far."""

    catalog: Catalog
    claim_id: str
    dos: date
    lines: list[ClaimLine]
    setting: Setting
    check_26: bool
    payer: Payer
    out: list[Finding]
    modality_note: str = ""

    def add(self, line: int, kind: str, message: str, *, billed: str = "", expected: str = "", reason: str = "",
            sources: Sequence[str] = (), confidence: Confidence | None = None, severity: Severity | None = None,
            modality: str | None = None) -> None:
        self.out.append(Finding(
            self.claim_id, line, severity or KINDS[kind].severity, kind, message, billed, expected, reason,
            tuple(sources), confidence, self.dos.isoformat(),
            self.modality_note if modality is None else modality))


def audit_encounter(catalog: Catalog, lines: Sequence[ClaimLine], default_payer: Payer,
                    out: list[Finding]) -> None:
    """Check one claim-and-date group of lines; append its findings to ``out``."""
    first = lines[0]
    pos_counts = Counter(ln.place_of_service for ln in lines)
    pos = pos_counts.most_common(1)[0][0]
    setting = POS_SETTINGS.get(pos)
    payer = next((ln.payer for ln in lines if ln.payer is not None), default_payer)
    ctx = _Ctx(catalog, first.claim_id, first.date_of_service, list(lines), setting or "office",
               setting is not None, payer, out)
    if len(pos_counts) > 1:
        odd = next(ln for ln in lines if ln.place_of_service != pos)
        ctx.add(odd.line, "mixed_place_of_service",
                f"Lines of claim {ctx.claim_id} on {ctx.dos.isoformat()} name places of service "
                f"{', '.join(sorted(pos_counts))}; the claim was checked as POS {pos}, the most common.",
                billed=f"POS {odd.place_of_service}", expected=f"POS {pos}", modality="")
    if setting is None:
        ctx.add(first.line, "unsupported_place_of_service",
                f"Place of service {pos} is not one GuideCode's rules cover (11 office, 19/22 hospital "
                "outpatient, 24 ASC): modifier 26 was not checked on this claim; the rest was.",
                billed=f"POS {pos}", reason=_RULE_26[0], sources=_RULE_26[1], confidence=_RULE_26[2], modality="")

    for ln in lines:  # fact table E: 59 and an X modifier never share a line (S19, S49)
        if "59" in ln.modifiers and X_MODIFIERS & set(ln.modifiers):
            xs = "/".join(m for m in ln.modifiers if m in X_MODIFIERS)
            ctx.add(ln.line, "both_59_and_x",
                    f"{ln.code} carries both 59 and {xs}: use the X modifier that applies (XS for a separate "
                    "structure such as another spinal region) or 59 for a payer that takes no X modifiers, "
                    "not both.", billed=ln.billed, expected=f"{ln.code} with 59 or {xs}, not both",
                    reason=_RULE_59_X[0], sources=_RULE_59_X[1], confidence=_RULE_59_X[2], modality="")

    if ctx.dos < catalog.covers_from:
        ctx.add(first.line, "date_out_of_range",
                f"Date of service {ctx.dos.isoformat()} is before {catalog.covers_from.isoformat()}, the earliest "
                "date GuideCode's data covers; this claim's guidance was not checked.", modality="")
        return
    if ctx.dos.year > catalog.code_set_year:
        ctx.add(first.line, "date_after_data",
                f"Date of service {ctx.dos.isoformat()} is after code-set year {catalog.code_set_year}, the last "
                "year GuideCode's data was checked against; the rules may have changed since.", modality="")

    procs: list[ClaimLine] = []
    guides: list[tuple[ClaimLine, CodeRecord]] = []
    for ln in lines:
        rec = catalog.get(ln.code)
        if rec is not None and rec.kind == "guidance" and rec.guidance is not None:
            guides.append((ln, rec))
        else:
            procs.append(ln)
    entries = tuple(ProcedureEntry(ln.code, ln.units, ln.modifiers) for ln in procs)

    by_modality: dict[Modality, list[tuple[ClaimLine, CodeRecord]]] = {}
    for ln, rec in guides:
        assert rec.guidance is not None
        by_modality.setdefault(rec.guidance.modality, []).append((ln, rec))

    if not by_modality:
        ctx.modality_note = "none (no guidance code billed)"
        res = _resolve(ctx, "none", entries)
        _procedure_findings(ctx, procs, res)
        _no_guidance_findings(ctx, procs, res)
        return

    first_res = True
    for modality, billed in by_modality.items():
        codes = ", ".join(dict.fromkeys(ln.code for ln, _ in billed))
        ctx.modality_note = f"{modality} (inferred from {codes} on the claim)"
        res = _resolve(ctx, modality, entries)
        res = _infer_regions(ctx, modality, entries, res, billed)
        if first_res:
            _procedure_findings(ctx, procs, res)
            first_res = False
        _guidance_findings(ctx, modality, procs, res, billed)


def _resolve(ctx: _Ctx, modality: Modality, entries: tuple[ProcedureEntry, ...]) -> Resolution:
    return resolve(ctx.catalog, Encounter(ctx.dos, ctx.setting, ctx.payer, modality, entries))


def _record_sources(rec: CodeRecord | None) -> tuple[tuple[str, ...], Confidence | None]:
    if rec is None or not rec.cautions:
        return (), None
    return _union(n.sources for n in rec.cautions), _min_conf(n.confidence for n in rec.cautions)


def _validity_finding(ctx: _Ctx, ln: ClaimLine, rec: CodeRecord | None, pr: ProcedureResult) -> None:
    """A code the engine refused on this date: unknown, deleted, or not yet valid."""
    if rec is None:
        ctx.add(ln.line, "unknown_code",
                f"{ln.code} is not in GuideCode's data, so it was not checked (the claim's other lines were).",
                billed=ln.billed, reason=pr.reason, sources=pr.sources, confidence=None, modality="")
        return
    srcs, conf = _record_sources(rec)
    if rec.valid_to is not None and ctx.dos > rec.valid_to:
        use = (f"; report {' or '.join(rec.replaced_by)} instead" if rec.replaced_by
               else "; it has no replacement code")
        ctx.add(ln.line, "deleted_code",
                f"{ln.code} was deleted: it was valid until {rec.valid_to.isoformat()}, before this date of "
                f"service{use}.", billed=ln.billed, expected=" or ".join(rec.replaced_by),
                reason=pr.reason, sources=srcs, confidence=conf or pr.confidence, modality="")
    else:
        ctx.add(ln.line, "code_not_yet_valid",
                f"{ln.code} was not valid yet on {ctx.dos.isoformat()}: {pr.reason}", billed=ln.billed,
                reason=pr.reason, sources=pr.sources or srcs, confidence=pr.confidence, modality="")


def _procedure_findings(ctx: _Ctx, procs: list[ClaimLine], res: Resolution) -> None:
    """Modality-independent findings for the procedure lines: validity and the data's cautions."""
    for pr in res.procedures:
        ln = procs[pr.index]
        rec = ctx.catalog.get(ln.code)
        if pr.state == "invalid":
            _validity_finding(ctx, ln, rec, pr)
        elif rec is not None:
            _caution_findings(ctx, ln, rec)


def _caution_findings(ctx: _Ctx, ln: ClaimLine, rec: CodeRecord) -> None:
    for note in rec.cautions:
        ctx.add(ln.line, "caution", f"{rec.code}: {note.text}", billed=ln.billed, reason=note.text,
                sources=note.sources, confidence=note.confidence, modality="")


def _no_guidance_findings(ctx: _Ctx, procs: list[ClaimLine], res: Resolution) -> None:
    """No guidance code billed, so no imaging is inferred; say where that assumption changes the answer."""
    for pr in res.procedures:
        if pr.state != "redirect":
            continue
        ln = procs[pr.index]
        rec = ctx.catalog.get(ln.code)
        with_imaging: list[Modality] = []
        for m in IMAGING_MODALITIES:
            policy = rec.policy_for(m, ctx.dos) if rec is not None else None
            if policy is not None and policy.state in ("included", "separate"):
                with_imaging.append(m)
        tail = (f" If {' or '.join(_label(m) for m in with_imaging)} was used (the claim "
                f"cannot show it), {ln.code} is right as billed." if with_imaging else "")
        ctx.add(ln.line, "modality_inferred",
                f"No guidance code is billed with {ln.code}, so no imaging is inferred; with no imaging the rules "
                f"say report {pr.redirect_to} instead.{tail} Check the procedure note.",
                billed=ln.billed, expected=pr.redirect_to or "", reason=pr.reason, sources=pr.sources,
                confidence=pr.confidence)


def _infer_regions(ctx: _Ctx, modality: Modality, entries: tuple[ProcedureEntry, ...], res: Resolution,
                   billed: list[tuple[ClaimLine, CodeRecord]]) -> Resolution:
    """For a per-region code (77003) billed for more units than the procedures' implied regions, tick the
    further regions the procedures can cover (each line at most its units) and resolve again."""
    wanted: dict[str, int] = {}
    for ln, rec in billed:
        if rec.guidance is not None and rec.guidance.unit_basis == "per_region" and rec.valid_on(ctx.dos):
            wanted[rec.code] = wanted.get(rec.code, 0) + ln.units
    new = list(entries)
    changed = False
    for gcode, units in wanted.items():
        have = sum(1 for gl in res.guidance_lines if gl.code == gcode)
        if units <= have:
            continue
        cands: dict[int, tuple[Region, ...]] = {}
        for pr in res.procedures:
            prec = ctx.catalog.get(pr.code)
            if pr.state == "separate" and pr.guidance_code == gcode and prec is not None and prec.regions:
                cands[pr.index] = prec.regions
        if not cands:
            continue
        order = sorted(cands, key=lambda i: (len(cands[i]), i))
        used: list[Region] = []
        assigned: dict[int, list[Region]] = {i: [] for i in cands}
        for i in order:
            pick = next((r for r in cands[i] if r not in used), cands[i][0])
            assigned[i].append(pick)
            if pick not in used:
                used.append(pick)
        grew = True
        while len(used) < units and grew:
            grew = False
            for i in order:
                if len(used) >= units:
                    break
                if len(assigned[i]) >= entries[i].units:
                    continue
                extra = next((r for r in cands[i] if r not in used), None)
                if extra is not None:
                    assigned[i].append(extra)
                    used.append(extra)
                    grew = True
        for i, regions in assigned.items():
            new[i] = replace(new[i], regions=tuple(regions))
        changed = True
    return _resolve(ctx, modality, tuple(new)) if changed else res


def _guidance_findings(ctx: _Ctx, modality: Modality, procs: list[ClaimLine], res: Resolution,
                       billed: list[tuple[ClaimLine, CodeRecord]]) -> None:
    cat = ctx.catalog
    label = _label(modality)
    expected_all = [gl for gl in res.guidance_lines]
    expected_text = _lines_text(expected_all) or "no guidance line"
    valid_procs = [pr for pr in res.procedures if pr.state != "invalid"]
    only_invalid = bool(res.procedures) and not valid_procs

    by_code: dict[str, list[ClaimLine]] = {}
    for ln, rec in billed:
        assert rec.guidance is not None
        _caution_findings(ctx, ln, rec)
        if not rec.valid_on(ctx.dos) or not rec.guidance.suggest:
            _refused_guidance(ctx, ln, rec, expected_text)
            continue
        by_code.setdefault(ln.code, []).append(ln)
    justified = any(gl.code in by_code for gl in res.guidance_lines)
    billed_codes = " + ".join(by_code) or " + ".join(dict.fromkeys(ln.code for ln, _ in billed))

    for pr in valid_procs:
        ln = procs[pr.index]
        if pr.state == "redirect":
            sev: Severity = "warning" if justified else "error"
            maybe = (f" (if {ln.code} was the procedure done under {label}; another procedure on the claim does "
                     "take the guidance line)" if justified else "")
            ctx.add(ln.line, "redirect_primary",
                    f"{ln.code} billed with {billed_codes} ({label}): the rules say report {pr.redirect_to} "
                    f"instead{maybe}.", billed=f"{ln.billed} + {billed_codes}", expected=pr.redirect_to or "",
                    reason=pr.reason, sources=pr.sources, confidence=pr.confidence, severity=sev)
        elif pr.state == "unconfirmed":
            cand = f" ({pr.guidance_code} is the candidate code)" if pr.guidance_code else ""
            ctx.add(ln.line, "unconfirmed",
                    f"{ln.code} with {label}: no confirmed rule{cand}; {billed_codes} is billed. Check the "
                    "payer's policy.", billed=f"{ln.billed} + {billed_codes}", expected=pr.guidance_code or "",
                    reason=pr.reason, sources=pr.sources, confidence=pr.confidence)

    for gcode, glines in by_code.items():
        grec = cat.get(gcode)
        assert grec is not None and grec.guidance is not None
        expected = [gl for gl in res.guidance_lines if gl.code == gcode]
        if expected:
            _check_units_and_modifiers(ctx, grec, glines, expected, res)
            continue
        for ln in glines:
            _explain_unsupported(ctx, ln, gcode, modality, procs, valid_procs, expected_text, only_invalid)


def _refused_guidance(ctx: _Ctx, ln: ClaimLine, rec: CodeRecord, expected_text: str) -> None:
    """A billed guidance code that is deleted, not yet valid, or never suggested (76000, 77001): the engine's
    verdict on that code alone gives the reason and sources."""
    res = resolve(ctx.catalog, Encounter(ctx.dos, ctx.setting, ctx.payer, "none", (ProcedureEntry(ln.code),)))
    pr = res.procedures[0]
    if pr.state == "invalid":
        _validity_finding(ctx, ln, rec, pr)
        return
    assert rec.guidance is not None
    kind = "integral_76000" if rec.code == "76000" else "not_guidance_for_procedure"
    ctx.add(ln.line, kind, f"{ln.code} billed: {rec.guidance.not_suggested_reason} What the rules give for this "
            f"claim: {expected_text}.", billed=ln.billed, expected=expected_text, reason=pr.reason,
            sources=pr.sources, confidence=pr.confidence)


def _explain_unsupported(ctx: _Ctx, ln: ClaimLine, gcode: str, modality: Modality, procs: list[ClaimLine],
                         valid: list[ProcedureResult], expected_text: str, only_invalid: bool) -> None:
    """A billed guidance line the engine gives no line for: say why, from the procedures' answers."""
    cat = ctx.catalog
    label = _label(modality)
    included = [pr for pr in valid if pr.state == "included"]
    wrong = [pr for pr in valid if pr.state == "separate" and pr.guidance_code and pr.guidance_code != gcode
             and gcode not in {a.code for a in pr.alternatives}]
    alt = [pr for pr in valid if pr.state in ("separate", "unconfirmed")
           and gcode in {a.code for a in pr.alternatives}]
    explained = False
    if included:
        names = ", ".join(pr.code for pr in included)
        ctx.add(ln.line, "guidance_included",
                f"{gcode} billed with {names}: {'its' if len(included) == 1 else 'their'} code already includes "
                f"{label} guidance, so {gcode} is not reported. " + " ".join(f"{pr.code}: {pr.reason}"
                                                                            for pr in included),
                billed=ln.billed, expected=f"no {gcode} (included in {names})",
                reason=included[0].reason, sources=_union(pr.sources for pr in included),
                confidence=_min_conf(pr.confidence for pr in included))
        explained = True
    if wrong:
        fluoro = all((r := cat.get(c)) is not None and r.guidance is not None and r.guidance.modality == "fluoroscopy"
                     for c in (gcode, *(pr.guidance_code or "" for pr in wrong)))
        names = ", ".join(f"{pr.guidance_code} for {pr.code}" for pr in wrong)
        ctx.add(ln.line, "wrong_fluoro_code" if fluoro else "unsupported_guidance",
                f"{gcode} billed, but the rules give {names}. " + " ".join(f"{pr.code}: {pr.reason}" for pr in wrong),
                billed=ln.billed, expected=expected_text, reason=wrong[0].reason,
                sources=_union(pr.sources for pr in wrong), confidence=_min_conf(pr.confidence for pr in wrong),
                severity="error" if fluoro else None)
        explained = True
    for pr in alt:
        a = next(a for a in pr.alternatives if a.code == gcode)
        preferred = pr.guidance_code or "no separate guidance code"
        ctx.add(ln.line, "conflicting_sources",
                f"{gcode} billed with {pr.code}: sources disagree. GuideCode's preferred answer is {preferred} "
                f"({', '.join(pr.sources)}, {pr.confidence}); {gcode} is the other answer ({', '.join(a.sources)}, "
                f"{a.confidence}): {a.reason}", billed=ln.billed, expected=preferred,
                reason=a.reason, sources=_union((pr.sources, a.sources)), confidence=a.confidence)
        explained = True
    if explained or only_invalid:
        return
    if any(pr.state in ("redirect", "unconfirmed") for pr in valid):
        return  # the procedure line's own finding says what to do
    if not valid:
        ctx.add(ln.line, "unsupported_guidance",
                f"{gcode} billed with no procedure on this claim and date for it to guide (is the procedure on "
                "another claim?).", billed=ln.billed, expected="a procedure line that takes guidance")
        return
    ctx.add(ln.line, "unsupported_guidance",
            f"{gcode} billed, but no procedure on the claim takes {label} guidance: "
            + " ".join(f"{pr.code}: {pr.reason}" for pr in valid), billed=ln.billed, expected=expected_text,
            reason=valid[0].reason, sources=_union(pr.sources for pr in valid),
            confidence=_min_conf(pr.confidence for pr in valid))


def _has_distinct(ln: ClaimLine) -> bool:
    return bool(DISTINCT_MODIFIERS & set(ln.modifiers))


def _check_units_and_modifiers(ctx: _Ctx, grec: CodeRecord, glines: list[ClaimLine], expected: list[GuidanceLine],
                               res: Resolution) -> None:
    g = grec.guidance
    assert g is not None
    code = grec.code
    units = sum(ln.units for ln in glines)
    first = glines[0]
    lines_no = ", ".join(str(ln.line) for ln in glines)
    billed = "; ".join(ln.billed for ln in glines) + (f" (lines {lines_no})" if len(glines) > 1 else "")
    exp_text = _lines_text(expected)
    conf = _min_conf(gl.confidence for gl in expected)
    if g.unit_basis == "per_region":
        regions = [gl.region for gl in expected if gl.region]
        if units > len(expected):
            included = [pr.code for pr in res.procedures if pr.state == "included"]
            one = len(included) == 1
            inc = (f" ({', '.join(included)} include{'s' if one else ''} {'its' if one else 'their'} own "
                   f"guidance and justif{'ies' if one else 'y'} no unit.)" if included else "")
            where = ", ".join(regions) if regions else "an unnamed region"
            ctx.add(first.line, "per_level_units",
                    f"{code} billed \u00d7{units} but the claim's procedures justify {len(expected)} spinal "
                    f"region(s) ({where}): {code} is reported once per region, never per level.{inc}",
                    billed=billed, expected=exp_text, reason=g.units_note, sources=g.units_sources,
                    confidence=conf)
        elif len(expected) > 1:
            ordered = sorted(glines, key=lambda ln: ln.line)
            multi = [ln for ln in ordered if ln.units > 1]
            lacking = [ln for ln in ordered if not _has_distinct(ln)]
            extra = expected[1]
            for ln in multi:
                ctx.add(ln.line, "missing_distinct_modifier",
                        f"{code} \u00d7{ln.units} on one line: each further spinal region goes on its own line of "
                        f"one unit with {'XS' if ctx.payer == 'medicare' else '59'}.", billed=ln.billed,
                        expected=exp_text, reason=extra.reason, sources=extra.sources, confidence=extra.confidence)
            if not multi:
                for ln in lacking[1:]:
                    ctx.add(ln.line, "missing_distinct_modifier",
                            f"A further {code} line (another spinal region) has neither 59 nor XS.",
                            billed=ln.billed, expected=exp_text, reason=extra.reason, sources=extra.sources,
                            confidence=extra.confidence)
            if ctx.payer == "medicare":
                for ln in ordered:
                    if "59" in ln.modifiers and "XS" not in ln.modifiers and not X_MODIFIERS & set(ln.modifiers):
                        ctx.add(ln.line, "xs_preferred",
                                f"Medicare claim: the further {code} region carries 59; CMS prefers the more "
                                "specific XS (separate structure).", billed=ln.billed,
                                expected=f"{code}-XS" if "26" not in ln.modifiers else f"{code}-26-XS",
                                reason=extra.reason, sources=extra.sources, confidence=extra.confidence)
    elif (units > 1 or len(glines) > 1) and not g.units_confirmed:
        ctx.add(first.line, "units_unconfirmed",
                f"{code} billed \u00d7{units}; GuideCode gives one line of one unit. The unit rule for several sites "
                f"is UNCONFIRMED: {g.units_note}", billed=billed, expected=exp_text, reason=g.units_note,
                sources=g.units_sources, confidence="low")
    if not ctx.check_26:
        return
    facility = ctx.setting in FACILITY_SETTINGS
    wants_26 = "26" in expected[0].modifiers
    for ln in glines:
        has_26 = "26" in ln.modifiers
        if facility and wants_26 and not has_26 and "TC" not in ln.modifiers:
            ctx.add(ln.line, "missing_26",
                    f"{code} on a facility claim (POS {ln.place_of_service}) without modifier 26: the physician "
                    "reports the professional component only.", billed=ln.billed, expected=exp_text,
                    reason=_RULE_26[0], sources=_RULE_26[1], confidence=_RULE_26[2])
        elif not facility and has_26:
            ctx.add(ln.line, "unexpected_26",
                    f"{code} with modifier 26 on an office claim (POS {ln.place_of_service}): an office that owns "
                    "the equipment reports the code without 26 (global). Keep 26 only if the equipment is not the "
                    "practice's.", billed=ln.billed, expected=exp_text, reason=_RULE_26[0], sources=_RULE_26[1],
                    confidence=_RULE_26[2])


# ---------------------------------------------------------------------------------------------------------
# Whole files


def audit_lines(catalog: Catalog, lines: Sequence[ClaimLine], *, payer: Payer = "other",
                malformed: Sequence[Finding] = (), rows_read: int | None = None,
                progress: ProgressFn | None = None, progress_every: int = 1000,
                cancel: CancelFn | None = None) -> AuditReport:
    """Group lines into claim-and-date encounters (in file order) and audit each."""
    groups: dict[tuple[str, date], list[ClaimLine]] = {}
    for ln in lines:
        groups.setdefault((ln.claim_id, ln.date_of_service), []).append(ln)
    total = len(lines)
    findings: list[Finding] = list(malformed)
    done = 0
    next_report = progress_every
    reported = -1
    cancelled = False
    checked = 0
    for group in groups.values():
        if cancel is not None and cancel():
            cancelled = True
            break
        audit_encounter(catalog, group, payer, findings)
        checked += 1
        done += len(group)
        if progress is not None and done >= next_report:
            progress(done, total)
            reported = done
            next_report = (done // progress_every + 1) * progress_every
    if progress is not None and not cancelled and reported != total:
        progress(total, total)
    findings = _collapse_unknown(findings)
    findings.sort(key=lambda f: (f.line, SEVERITY_RANK[f.severity], f.kind))
    by_kind = Counter(f.kind for f in findings)
    by_sev = Counter(f.severity for f in findings)
    error_claims = {f.claim_id for f in findings if f.severity == "error"}
    summary = AuditSummary(
        claims_checked=len({cid for cid, _ in list(groups)[:checked]}),
        encounters_checked=checked,
        lines_read=rows_read if rows_read is not None else total + len(malformed),
        rows_skipped=len(malformed),
        findings=len(findings),
        by_kind={k: by_kind[k] for k in KINDS if by_kind[k]},
        by_severity={s: by_sev[s] for s in ("error", "warning", "info") if by_sev[s]},
        claims_with_errors=len(error_claims),
        payer_default=payer,
        data_version=catalog.version_label,
        cancelled=cancelled,
    )
    return AuditReport(tuple(findings), summary)


def _collapse_unknown(findings: list[Finding]) -> list[Finding]:
    """One ``unknown_code`` finding per distinct code, at its first line, with how often it occurs: a
    practice's file is full of office-visit and drug codes GuideCode has no data for, and one finding per
    line would bury the guidance errors."""
    seen: dict[str, list[Finding]] = {}
    rest: list[Finding] = []
    for f in findings:
        if f.kind == "unknown_code":
            seen.setdefault(re.split(r"[- ]", f.billed, maxsplit=1)[0], []).append(f)
        else:
            rest.append(f)
    for code, group in seen.items():
        first = min(group, key=lambda f: f.line)
        claims = len({f.claim_id for f in group})
        where = (f"{len(group)} lines on {claims} claim(s), first on line {first.line}" if len(group) > 1
                 else "1 line")
        rest.append(replace(first, message=(
            f"{code} is not in GuideCode's data, so it was not checked ({where}); the other lines of those "
            "claims were.")))
    return rest


def audit_text(catalog: Catalog, text: str, options: AuditOptions | None = None, *,
               progress: ProgressFn | None = None, progress_every: int = 1000,
               cancel: CancelFn | None = None) -> AuditReport:
    """Audit claims CSV text. Raises :class:`AuditInputError` if it cannot be audited at all."""
    opts = options or AuditOptions()
    lines, bad, read = read_claims(text, opts, cancel=cancel)
    if cancel is not None and cancel():
        lines = []
    report = audit_lines(catalog, lines, payer=opts.payer, malformed=bad, rows_read=read, progress=progress,
                         progress_every=progress_every, cancel=cancel)
    if cancel is not None and cancel() and not report.summary.cancelled:
        report = AuditReport(report.findings, replace(report.summary, cancelled=True))
    return report


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


def audit_file(catalog: Catalog, path: Path, options: AuditOptions | None = None, *, encoding: str = "utf-8-sig",
               progress: ProgressFn | None = None, progress_every: int = 1000,
               cancel: CancelFn | None = None) -> AuditReport:
    return audit_text(catalog, read_claims_file(path, encoding), options, progress=progress,
                      progress_every=progress_every, cancel=cancel)


# ---------------------------------------------------------------------------------------------------------
# Output

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: str) -> str:
    """Keep a spreadsheet from running a claim file's text as a formula."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def finding_row(f: Finding) -> list[str]:
    return [_cell(f.claim_id), f.date_of_service, str(f.line), f.severity, f.kind, _cell(f.billed),
            _cell(f.expected), _cell(f.message), _cell(f.reason), " ".join(f.sources), f.confidence or "",
            f.modality]


def write_csv(findings: Iterable[Finding], stream: TextIO) -> None:
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(REPORT_COLUMNS)
    for f in findings:
        writer.writerow(finding_row(f))


def report_to_json(report: AuditReport) -> dict[str, Any]:
    return {"findings": [f.as_dict() for f in report.findings], "summary": report.summary.as_dict()}


def write_json(report: AuditReport, stream: TextIO, indent: int | None = 2) -> None:
    json.dump(report_to_json(report), stream, indent=indent, ensure_ascii=False)
    stream.write("\n")
