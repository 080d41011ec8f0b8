"""Finding kinds (stable names, default severity, title) and what an audit reports: findings, summary, report."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from desktop.core.model import Confidence, Payer, Severity

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
    "distinct_modifier_choice": KindInfo("info", "A further spinal region carries a distinct-procedure modifier "
                                         "other than the payer's (59 where the rules give XS, or the reverse)"),
    "both_59_and_x": KindInfo("error", "Modifier 59 and an X modifier on the same line"),
    "conflicting_sources": KindInfo("warning", "Billed code follows the other side of a source conflict"),
    "unsupported_guidance": KindInfo("warning", "Guidance code billed that no procedure on the claim supports"),
    "units_per_encounter": KindInfo("error", "More units of a guidance code than the payer's one-per-encounter rule"),
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


