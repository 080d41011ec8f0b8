"""Audit mode: check a practice's claim lines for imaging-guidance errors, with the engine that answers one
encounter (:func:`desktop.core.engine.resolve`).

A claims file is CSV with a header row (default ``claim_id,date_of_service,place_of_service,code,modifiers,
units``; common aliases and ``--columns`` overrides are accepted, see :data:`ALIASES`) or an ASC X12 5010 837P
file (:mod:`~desktop.core.audit.x12`, read and validated with pyx12). Lines are grouped into encounters by claim
id and date of service. Each encounter becomes an :class:`~desktop.core.model.Encounter` whose procedures are
the claim's non-guidance lines; the engine's answer is then compared with the guidance lines that were billed,
and every difference becomes a :class:`Finding` that carries the rule's reason, source ids and confidence from
the data (or, for the few modifier and place-of-service rules the engine does not expose, from the cited fact
base; see docs/audit.md), its kind's stable id and what to do.

What a claim does not say is inferred, and the inference is stated in each finding:

- modality, from the billed guidance code's record (77002/77003/76000 fluoroscopy, 77012 CT, 76942
  ultrasound, 77021 MR); no guidance code billed means no imaging (``modality_inferred`` says when that
  changes the answer; such notes are folded into one line per kind);
- spinal regions, from the procedure codes' regions and, when 77003 is billed for more than their implied
  regions, from the 77003 units and lines (each procedure line can justify at most its units in regions);
- whether the ultrasound images were recorded, from the optional ``images_recorded`` column (else not stated).

The NCCI tables the engine answers with (``Catalog.ncci``) are applied to the billed lines too: pair edits by
modifier indicator and MUEs by MAI, as rules.yaml's ``ptp_edits`` and ``mue`` sections say; every finding names
the tables' versions, and claims dated outside their quarter are told once for the whole audit.

Pure Python, no Qt; progress and cancellation are callbacks so the window can run it on a worker thread.

The package follows its seams: :mod:`~desktop.core.audit.findings` (finding kinds and the report's types),
:mod:`~desktop.core.audit.claims` (reading claims CSV), :mod:`~desktop.core.audit.x12` (reading 837P),
:mod:`~desktop.core.audit.checks` (checking an encounter against the rules), :mod:`~desktop.core.audit.ncci`
(CMS's pair edits and MUEs on the billed lines), :mod:`~desktop.core.audit.context` (the encounter being checked),
:mod:`~desktop.core.audit.run` (streaming a whole input through the checks) and :mod:`~desktop.core.audit.report`
(writing the report). The names below are the public ones.
"""

from desktop.core.audit.checks import audit_encounter
from desktop.core.audit.claims import (
    ALIASES,
    DEFAULT_HEADER,
    FIELD_LABELS,
    FIELDS,
    REQUIRED_FIELDS,
    AuditInputError,
    AuditOptions,
    ClaimLine,
    ColumnMap,
    ColumnsNotRecognised,
    TextInput,
    check_encoding,
    columns_spec,
    detect_encoding,
    map_columns,
    open_claims_bytes,
    open_claims_path,
    parse_columns_spec,
    parse_date,
    parse_row,
    read_claims,
    read_claims_file,
)
from desktop.core.audit.findings import (
    KINDS,
    NOTE_KINDS,
    REPORT_COLUMNS,
    SEVERITIES,
    SEVERITY_RANK,
    X12_VALIDATION_LABELS,
    AuditProgress,
    AuditReport,
    AuditSummary,
    CancelFn,
    Finding,
    KindInfo,
    ProgressFn,
    plural,
)
from desktop.core.audit.report import (
    check_output,
    finding_row,
    findings_tsv,
    report_to_json,
    write_csv,
    write_json,
    write_report,
)
from desktop.core.audit.run import audit_bytes, audit_file, audit_input, audit_lines, audit_text, is_x12

__all__ = [
    "ALIASES", "DEFAULT_HEADER", "FIELDS", "FIELD_LABELS", "KINDS", "NOTE_KINDS", "REPORT_COLUMNS",
    "REQUIRED_FIELDS", "SEVERITIES", "SEVERITY_RANK", "X12_VALIDATION_LABELS", "AuditInputError", "AuditOptions",
    "AuditProgress",
    "AuditReport", "AuditSummary", "CancelFn", "ClaimLine", "ColumnMap", "ColumnsNotRecognised", "Finding",
    "KindInfo", "ProgressFn", "TextInput", "audit_bytes", "audit_encounter", "audit_file", "audit_input",
    "audit_lines", "audit_text", "check_encoding", "check_output", "columns_spec", "detect_encoding",
    "finding_row", "findings_tsv", "is_x12", "map_columns", "open_claims_bytes", "open_claims_path",
    "parse_columns_spec", "parse_date", "parse_row", "plural", "read_claims", "read_claims_file",
    "report_to_json", "write_csv", "write_json", "write_report",
]
