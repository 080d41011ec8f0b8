"""What the audit tests share: the reminders the NCCI tables and the images column add to most claims.

The built-in NCCI tables are for 2024Q3 and hold only the pairs with an imaging code, so a claim dated 2025 is
outside their quarter (one ``ncci_outside_quarter`` row per audit) and two procedures on one claim are a pair
the tables cannot answer (an ``ncci_not_checked`` note); a claims file without the images column gives an
``images_not_stated`` note for ultrasound guidance, and 77003 for two regions for a payer that follows CPT
an ``mue_other_payer`` note. Tests about a claim's billing leave these out (:func:`billing`); the tests of
tests/test_audit_ncci.py check each of them.
"""

from __future__ import annotations

from desktop.core.audit import AuditReport, Finding

REMINDER_KINDS = frozenset({"ncci_outside_quarter", "ncci_not_checked", "mue_other_payer", "images_not_stated"})


def billing(report: AuditReport) -> list[Finding]:
    """The report's findings without the reminders above."""
    return [f for f in report.findings if f.kind not in REMINDER_KINDS]
