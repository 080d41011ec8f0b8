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

The package follows its seams: :mod:`~desktop.core.audit.findings` (finding kinds and the report's types),
:mod:`~desktop.core.audit.claims` (reading claims files), :mod:`~desktop.core.audit.checks` (checking them
against the rules) and :mod:`~desktop.core.audit.report` (writing the report). The names below are the
public ones.
"""

from desktop.core.audit.checks import audit_encounter, audit_file, audit_lines, audit_text
from desktop.core.audit.claims import (
    ALIASES,
    DEFAULT_HEADER,
    FIELDS,
    REQUIRED_FIELDS,
    AuditInputError,
    AuditOptions,
    ClaimLine,
    ColumnMap,
    map_columns,
    parse_columns_spec,
    parse_date,
    parse_row,
    read_claims,
    read_claims_file,
)
from desktop.core.audit.findings import (
    KINDS,
    REPORT_COLUMNS,
    SEVERITY_RANK,
    AuditReport,
    AuditSummary,
    CancelFn,
    Finding,
    KindInfo,
    ProgressFn,
)
from desktop.core.audit.report import finding_row, report_to_json, write_csv, write_json

__all__ = [
    "ALIASES", "DEFAULT_HEADER", "FIELDS", "KINDS", "REPORT_COLUMNS", "REQUIRED_FIELDS", "SEVERITY_RANK",
    "AuditInputError", "AuditOptions", "AuditReport", "AuditSummary", "CancelFn", "ClaimLine", "ColumnMap",
    "Finding", "KindInfo", "ProgressFn", "audit_encounter", "audit_file", "audit_lines", "audit_text",
    "finding_row", "map_columns", "parse_columns_spec", "parse_date", "parse_row", "read_claims",
    "read_claims_file", "report_to_json", "write_csv", "write_json",
]
