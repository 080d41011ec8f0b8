"""One encounter being audited (:class:`AuditContext`) and the small text helpers the checks share
(:mod:`~desktop.core.audit.checks` for the guidance rules, :mod:`~desktop.core.audit.ncci` for CMS's pair edits
and unit limits)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Final

from desktop.core.audit.claims import ClaimLine
from desktop.core.audit.findings import KINDS, Finding
from desktop.core.model import (
    MODALITY_LABELS,
    Catalog,
    Confidence,
    GuidanceLine,
    Modality,
    Payer,
    Setting,
    Severity,
)
from desktop.core.ncci.model import NcciTables

MAX_LISTED: Final = 5  # a finding names at most this many lines or codes, then "and N more" (bounded text)


def label(modality: Modality) -> str:
    """Modality as a word inside a sentence: fluoroscopy, CT, ultrasound, MR, no imaging."""
    text = MODALITY_LABELS[modality]
    return text if text.isupper() or modality == "mri" else text.lower()


def bounded(parts: Iterable[str], sep: str = "; ", limit: int = MAX_LISTED) -> str:
    """Join distinct ``parts``, at most ``limit`` of them, then "and N more": a finding's text stays short
    however many lines a claim has (a 50,000-line claim must not give 50,000 findings that each repeat it)."""
    seen = list(dict.fromkeys(parts))
    more = len(seen) - limit
    return sep.join(seen[:limit]) + (f"{sep}and {more} more" if more > 0 else "")


def line_text(ln: GuidanceLine) -> str:
    where = f" {ln.region}" if ln.region else ""
    return f"{ln.display}{where} (for {', '.join(ln.for_codes)})"


def lines_text(lines: Iterable[GuidanceLine]) -> str:
    return bounded(line_text(ln) for ln in lines)


def min_conf(values: Iterable[Confidence]) -> Confidence:
    order: dict[Confidence, int] = {"low": 0, "medium": 1, "high": 2}
    vals = list(values)
    return min(vals, key=lambda c: order[c]) if vals else "high"


def union(groups: Iterable[Iterable[str]]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(s for g in groups for s in g))


@dataclass(slots=True)
class AuditContext:
    """One encounter being audited: the claim lines, what was inferred, the NCCI tables for its date, what the
    checks learnt so far (for the NCCI checks that follow the guidance checks) and the findings."""

    catalog: Catalog
    claim_id: str
    dos: date
    lines: list[ClaimLine]
    setting: Setting
    check_26: bool
    payer: Payer
    out: list[Finding]
    modality_note: str = ""
    images: bool | None = None  # the claim's images column (None: not stated)
    tables: NcciTables | None = None  # the NCCI tables for the date of service (None: the data has none)
    ncci_label: str = ""  # their versions, on every finding of the encounter
    # what the guidance checks found, for the NCCI checks: the billed guidance codes the rules give a line for
    # (code -> the procedure codes those lines are for) and their billed lines; the procedure lines valid on
    # the date; the codes a unit finding was given for (their MUE is named in it, not found again)
    expected: dict[str, set[str]] = field(default_factory=dict)
    guide_lines: dict[str, list[ClaimLine]] = field(default_factory=dict)
    valid_procs: list[ClaimLine] = field(default_factory=list)
    unit_flagged: set[str] = field(default_factory=set)

    def add(self, line: int, kind: str, message: str, *, billed: str = "", expected: str = "", reason: str = "",
            sources: Sequence[str] = (), confidence: Confidence | None = None, severity: Severity | None = None,
            modality: str | None = None) -> None:
        self.out.append(Finding(
            self.claim_id, line, severity or KINDS[kind].severity, kind, message, billed, expected, reason,
            tuple(sources), confidence, self.dos.isoformat(),
            self.modality_note if modality is None else modality, ncci=self.ncci_label))
