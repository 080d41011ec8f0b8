"""Finding kinds (stable names and ids, default severity, title, what to do) and what an audit reports:
findings, notes folded into one line per kind, the summary, the report."""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

from desktop.core.model import Confidence, Payer, Severity

# ---------------------------------------------------------------------------------------------------------
# Finding kinds: stable names and ids, default severity, one-line title and what to do
# (docs/audit.md explains each with its rule). The ids never change meaning; a new kind gets a new id.


@dataclass(frozen=True, slots=True)
class KindInfo:
    id: str
    severity: Severity
    title: str
    action: str
    # A note: an inference or reminder repeated on many claims; folded into one line per kind with a count,
    # and hidden in the window until "Show notes" is ticked.
    note: bool = False


KINDS: Final[dict[str, KindInfo]] = {
    "guidance_included": KindInfo(
        "GC-A01", "error", "Guidance code billed with a procedure whose code already includes imaging",
        "Remove the guidance line: the procedure code already pays for the imaging."),
    "per_level_units": KindInfo(
        "GC-A02", "error", "77003 billed per level: more units than spinal regions",
        "Bill 77003 once per spinal region treated, never per level; lower the units."),
    "wrong_fluoro_code": KindInfo(
        "GC-A03", "error", "Wrong fluoroscopy code (77003 where 77002 belongs, or the reverse)",
        "Replace the fluoroscopy code with the one the rules give (Rules say)."),
    "integral_76000": KindInfo(
        "GC-A04", "error", "76000 billed as needle guidance for an injection",
        "Remove 76000; bill the needle-guidance code the rules give, if any."),
    "not_guidance_for_procedure": KindInfo(
        "GC-A05", "error", "A guidance code that never goes with these procedures",
        "Remove the guidance code or correct it to the one the rules give."),
    "deleted_code": KindInfo(
        "GC-A06", "error", "Code billed after it was deleted",
        "Rebill with the replacement code valid on the date of service."),
    "code_not_yet_valid": KindInfo(
        "GC-A07", "error", "Code billed before it existed",
        "Rebill with the code valid on the date of service; check the date."),
    "missing_26": KindInfo(
        "GC-A08", "error", "Facility claim: guidance code without modifier 26",
        "Add modifier 26 to the guidance line (the facility bills the technical part)."),
    "unexpected_26": KindInfo(
        "GC-A09", "warning", "Office claim: guidance code with modifier 26",
        "Remove 26 if the office owns the equipment; keep it only if it does not."),
    "redirect_primary": KindInfo(
        "GC-A10", "error", "A different procedure code should be billed (e.g. 20610 + 76942 -> 20611)",
        "Rebill the procedure with the code the rules give (Rules say)."),
    "missing_distinct_modifier": KindInfo(
        "GC-A11", "error", "A further 77003 region without its own line and 59/XS",
        "Put each further spinal region on its own 77003 line of one unit with 59 (or XS)."),
    "distinct_modifier_choice": KindInfo(
        "GC-A12", "info", "A further spinal region carries a distinct-procedure modifier other than the payer's "
        "(59 where the rules give XS, or the reverse)",
        "Use the distinct modifier the rules give for this payer on the further region's line (Rules say)."),
    "both_59_and_x": KindInfo(
        "GC-A13", "error", "Modifier 59 and an X modifier on the same line",
        "Keep either 59 or the X modifier that applies, not both."),
    "conflicting_sources": KindInfo(
        "GC-A14", "warning", "Billed code follows the other side of a source conflict",
        "Check the payer's policy; GuideCode's preferred answer is in Rules say."),
    "unsupported_guidance": KindInfo(
        "GC-A15", "warning", "Guidance code billed that no procedure on the claim supports",
        "Check the procedure note: remove the guidance line or add the procedure it guided."),
    "units_per_encounter": KindInfo(
        "GC-A28", "error", "More units of a guidance code than the payer's one-per-encounter rule",
        "Bill one unit of the guidance code for the encounter; remove the further units or lines."),
    "units_unconfirmed": KindInfo(
        "GC-A16", "info", "Several units of a guidance code whose unit rule is unconfirmed",
        "Check the payer's unit rule before billing more than one unit."),
    "unconfirmed": KindInfo(
        "GC-A17", "info", "No confirmed rule for this procedure with this imaging",
        "Check the payer's policy for this procedure with this imaging."),
    "modality_inferred": KindInfo(
        "GC-A18", "info", "The answer depends on the modality inferred from the claim",
        "Check the procedure notes for the imaging used; bill as they show.", note=True),
    "caution": KindInfo(
        "GC-A19", "info", "A caution the data attaches to this code",
        "Read the caution; it names what to check for this code.", note=True),
    "unknown_code": KindInfo(
        "GC-A20", "info", "Code not in GuideCode's data: not checked",
        "Nothing to do for imaging guidance; these lines were not checked.", note=True),
    "date_out_of_range": KindInfo(
        "GC-A21", "warning", "Date of service before the data's coverage: claim not checked",
        "Check this claim by hand: GuideCode's data does not cover its date."),
    "date_after_data": KindInfo(
        "GC-A22", "info", "Date of service after the data's code-set year",
        "Check for newer rules or a data update before relying on these findings.", note=True),
    "unsupported_place_of_service": KindInfo(
        "GC-A23", "warning", "Place of service GuideCode's rules do not cover",
        "Check modifier 26 on this claim by hand; the rest was checked."),
    "mixed_place_of_service": KindInfo(
        "GC-A24", "warning", "Lines of one claim and date with different places of service",
        "Correct the place of service so every line of the encounter agrees."),
    "malformed_row": KindInfo(
        "GC-A25", "error", "Row could not be read: skipped",
        "Correct the row in the claims file and audit again."),
    "unreadable_text": KindInfo(
        "GC-A26", "warning", "Bytes that are not valid text in the file's encoding",
        "Audit again with the file's encoding (--encoding, or the Encoding box)."),
    "x12_error": KindInfo(
        "GC-A27", "error", "837P file does not follow the 005010X222A1 structure",
        "Correct the segment named (or have the clearinghouse re-send the file) and audit again."),
    # NCCI (issue 13): CMS's pair edits and unit limits, as rules.yaml's ptp_edits and mue sections apply them
    "ncci_guidance_bundled": KindInfo(
        "GC-A29", "warning", "An NCCI edit bundles the guidance code into the procedure it guides (payer not "
        "Medicare)",
        "Check whether the payer applies NCCI edits; if it does, remove the guidance line."),
    "ncci_missing_modifier": KindInfo(
        "GC-A30", "error", "Two codes with an NCCI edit (modifier indicator 1): the column-two line has no "
        "distinct-procedure modifier",
        "Add the payer's 59/XS to the column-two line if the record shows a separate site; else remove it."),
    "ncci_pair_never": KindInfo(
        "GC-A31", "error", "Two codes with an NCCI edit of modifier indicator 0: never paid together",
        "Remove the column-two line: NCCI never pays it with the column-one code that day."),
    "mue_exceeded": KindInfo(
        "GC-A32", "warning", "Units above the code's NCCI MUE (Medicare)",
        "Bill at most the MUE; more only as its MAI allows (MAI 1 another line, MAI 3 on appeal)."),
    "mue_other_payer": KindInfo(
        "GC-A33", "info", "Units above CMS's MUE on a claim for a payer other than Medicare",
        "Check whether the payer applies CMS's MUEs before billing more units than the MUE.", note=True),
    "ncci_not_checked": KindInfo(
        "GC-A34", "info", "Code pairs outside the NCCI table's scope: pair edits not checked",
        "Import CMS's quarterly NCCI files (import-ncci) to check these pairs.", note=True),
    "ncci_outside_quarter": KindInfo(
        "GC-A35", "warning", "Dates of service outside the quarter of the NCCI tables that answered",
        "Import the NCCI files of those quarters (import-ncci) and audit again."),
    # Documentation prerequisites (issue 14): rules.yaml documentation, from the claims file's images column
    "images_not_recorded": KindInfo(
        "GC-A36", "error", "Ultrasound guidance billed though the claim says the images were not recorded",
        "Remove the ultrasound guidance (bill the code without imaging), or correct the images column."),
    "images_not_stated": KindInfo(
        "GC-A37", "info", "Ultrasound guidance billed; the claim does not say whether images were recorded",
        "Check the record for saved images and a report; give the images column to audit it.", note=True),
}

NOTE_KINDS: Final = frozenset(k for k, info in KINDS.items() if info.note)
SEVERITY_RANK: Final[dict[str, int]] = {"error": 0, "warning": 1, "info": 2}
SEVERITIES: Final[tuple[Severity, ...]] = ("error", "warning", "info")


@dataclass(frozen=True, slots=True)
class Finding:
    claim_id: str
    line: int  # order in the file: physical line (CSV) or segment number (837P)
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
    where: str = ""  # "line 12" (CSV); "service line 2, SV1 at segment 45" (837P)
    count: int = 1  # a folded note stands for this many findings
    ncci: str = ""  # the NCCI tables (versions) that answered for the claim's date; "" for a file-level finding

    @property
    def kind_id(self) -> str:
        return KINDS[self.kind].id

    @property
    def action(self) -> str:
        return KINDS[self.kind].action

    @property
    def finding_id(self) -> str:
        """A stable id for this finding: the kind's id and a checksum of claim, date, line and kind (the same
        file audited twice gives the same ids)."""
        key = f"{self.claim_id}\x1f{self.date_of_service}\x1f{self.line}\x1f{self.kind}".encode()
        return f"{self.kind_id}-{zlib.crc32(key):08X}"

    @property
    def place(self) -> str:
        return self.where or (f"line {self.line}" if self.line else "")

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.finding_id, "kind_id": self.kind_id,
            "claim_id": self.claim_id, "line": self.line, "where": self.place, "severity": self.severity,
            "kind": self.kind, "message": self.message, "billed": self.billed, "expected": self.expected,
            "what_to_do": self.action, "reason": self.reason, "sources": list(self.sources),
            "confidence": self.confidence, "date_of_service": self.date_of_service, "modality": self.modality,
            "count": self.count, "ncci_version": self.ncci,
        }


REPORT_COLUMNS: Final = ("id", "kind_id", "claim_id", "date_of_service", "line", "where", "severity", "kind",
                         "billed", "expected", "what_to_do", "message", "reason", "sources", "confidence",
                         "modality", "count", "ncci_version")


# ---------------------------------------------------------------------------------------------------------
# Counting in words: "1 claim", "2,345 claims" (the window passes the locale's number format)

NumberFormat = Callable[[int], str]


def group(n: int) -> str:
    """1234567 -> '1,234,567' (the command line's format; the window uses the locale's)."""
    return f"{n:,}"


def plural(n: int, word: str, many: str | None = None, fmt: NumberFormat = group) -> str:
    return f"{fmt(n)} {word if n == 1 else (many or word + 's')}"


X12_VALIDATION_LABELS: Final = {
    "full": "every segment validated against the X222A1 map (pyx12)",
    "envelope": "envelope checks only (pyx12's reader: control numbers, counts, HL numbering); "
                "segments not validated against the X222A1 map",
}


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
    # before notes were folded into one line per kind: how many findings of each severity
    unfolded_by_severity: dict[str, int] = field(default_factory=dict)
    unfolded_by_kind: dict[str, int] = field(default_factory=dict)
    notes_folded: int = 0
    source_name: str = ""
    source_format: str = "csv"  # csv | 837p
    # 837P: "full" (every segment validated against pyx12's X222A1 map) or "envelope" (pyx12's reader checks
    # only); "" for a CSV
    x12_validation: str = ""
    first_date: str = ""
    last_date: str = ""
    ncci_version: str = ""  # the NCCI tables that answered the audit's encounters ("; " between them)
    # encounters by the NCCI tables that answered them (their label), and those dated outside those tables'
    # quarter: how many, on how many claims, and the one sentence that warns of it ("" when none)
    ncci_used: dict[str, int] = field(default_factory=dict)
    ncci_outside: int = 0
    ncci_outside_claims: int = 0
    ncci_warning: str = ""

    @property
    def unfolded_findings(self) -> int:
        return sum(self.unfolded_by_severity.values()) if self.unfolded_by_severity else self.findings

    def as_dict(self) -> dict[str, Any]:
        return {
            "claims_checked": self.claims_checked, "encounters_checked": self.encounters_checked,
            "lines_read": self.lines_read, "rows_skipped": self.rows_skipped, "findings": self.findings,
            "by_kind": dict(self.by_kind), "by_severity": dict(self.by_severity),
            "claims_with_errors": self.claims_with_errors, "payer_default": self.payer_default,
            "data_version": self.data_version, "cancelled": self.cancelled, "partial": self.cancelled,
            "findings_before_folding": self.unfolded_findings,
            "by_severity_before_folding": dict(self.unfolded_by_severity or self.by_severity),
            "by_kind_before_folding": dict(self.unfolded_by_kind or self.by_kind),
            "notes_folded": self.notes_folded, "source": self.source_name, "format": self.source_format,
            "x12_validation": self.x12_validation,
            "first_date_of_service": self.first_date, "last_date_of_service": self.last_date,
            "ncci_version": self.ncci_version, "ncci_versions_used": dict(self.ncci_used),
            "ncci_outside_quarter": self.ncci_outside, "ncci_outside_quarter_claims": self.ncci_outside_claims,
            "ncci_warning": self.ncci_warning,
        }

    def headline(self, fmt: NumberFormat = group) -> str:
        """One sentence: 'Cancelled after 86,000 lines: 12,001 claims checked, 91 findings.' or
        '3 claims checked (4 claim-date encounters), 12 lines read, 0 rows skipped: 7 findings (...)'."""
        sev = ", ".join(f"{fmt(n)} {s}" for s, n in self.by_severity.items()) or "none"
        if self.cancelled:
            return (f"Cancelled after {plural(self.lines_read, 'line', fmt=fmt)}: "
                    f"{plural(self.claims_checked, 'claim', fmt=fmt)} checked, "
                    f"{plural(self.findings, 'finding', fmt=fmt)} ({sev}). Partial result.")
        return (f"{plural(self.claims_checked, 'claim', fmt=fmt)} checked "
                f"({plural(self.encounters_checked, 'claim-date encounter', fmt=fmt)}), "
                f"{plural(self.lines_read, 'line', fmt=fmt)} read, "
                f"{plural(self.rows_skipped, 'row', fmt=fmt)} skipped as malformed: "
                f"{plural(self.findings, 'finding', fmt=fmt)} ({sev})")

    def text(self, fmt: NumberFormat = group) -> str:
        kinds = "".join(f"\n  {k} ({KINDS[k].id}): {fmt(n)}" for k, n in self.by_kind.items())
        folded = (f"\n{plural(self.notes_folded, 'note', fmt=fmt)} folded into one line per kind "
                  f"({plural(self.unfolded_findings, 'finding', fmt=fmt)} before folding)"
                  if self.notes_folded else "")
        return (self.headline(fmt) + kinds + folded
                + (f"\n837P validation: {X12_VALIDATION_LABELS[self.x12_validation]}" if self.x12_validation else "")
                + f"\ndata {self.data_version}, default payer {self.payer_default}"
                + f"\nNCCI: {self.ncci_version or 'no NCCI table (pair edits and MUEs not checked)'}"
                + (f"\nWARNING: {self.ncci_warning}" if self.ncci_warning else ""))


@dataclass(frozen=True, slots=True)
class AuditReport:
    findings: tuple[Finding, ...]
    summary: AuditSummary
    # (claim id, date of service) -> that encounter's claim lines, for the encounters with a finding, when the
    # audit was asked to keep them (the window opens a finding's claim from them)
    claims: dict[tuple[str, str], tuple[Any, ...]] = field(default_factory=dict)

    def claim_lines(self, f: Finding) -> tuple[Any, ...]:
        return self.claims.get((f.claim_id, f.date_of_service), ())

    @property
    def has_errors(self) -> bool:
        return self.summary.by_severity.get("error", 0) > 0


@dataclass(frozen=True, slots=True)
class AuditProgress:
    """How far an audit is: lines read so far, and bytes of the input read out of its size (0 if unknown)."""

    lines: int
    bytes_done: int
    bytes_total: int
    claims: int = 0
    findings: int = 0

    @property
    def fraction(self) -> float:
        return min(1.0, self.bytes_done / self.bytes_total) if self.bytes_total > 0 else 0.0


ProgressFn = Callable[[AuditProgress], None]
CancelFn = Callable[[], bool]
