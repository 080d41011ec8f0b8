"""A claim from an audit as an encounter the window can show: what the audit inferred, made explicit.

:func:`claim_encounter` turns one claim-and-date group of claim lines into an
:class:`~desktop.core.model.Encounter` the way :func:`~desktop.core.audit.checks.audit_encounter` reads it:
setting from the place of service (the most common one), payer from the lines (else the default), modality
from the first billed guidance code's record (none billed: no imaging), and the claim's non-guidance lines as
the procedures (their units and modifiers; 50 / RT / LT become the side), and whether the ultrasound images were
recorded (the claims file's images column, when it has one). The billed lines are kept as text, to show beside
GuideCode's answer.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from desktop.core.audit.claims import ClaimLine, images_of
from desktop.core.model import Catalog, Encounter, Laterality, Modality, Payer, ProcedureEntry


@dataclass(frozen=True)
class AuditClaim:
    """One claim of an audit, to open in the window: the encounter, the billed lines (``77003-26 ×1``, with
    where each is), the place of service, and the codes that could not be put in the encounter (not in the
    data)."""

    claim_id: str
    encounter: Encounter
    billed: tuple[str, ...]
    place_of_service: str
    unknown_codes: tuple[str, ...] = ()


def laterality_of(modifiers: Sequence[str]) -> Laterality | None:
    mods = set(modifiers)
    if "50" in mods or {"RT", "LT"} <= mods:
        return "bilateral"
    if "RT" in mods:
        return "right"
    if "LT" in mods:
        return "left"
    return None


def claim_encounter(catalog: Catalog, lines: Sequence[ClaimLine], default_payer: Payer = "other") -> AuditClaim:
    if not lines:
        raise ValueError("a claim has at least one line")
    first = lines[0]
    pos = Counter(ln.place_of_service for ln in lines).most_common(1)[0][0]
    place = catalog.rules.setting_for(pos, first.date_of_service)  # as the audit reads it (rules.yaml)
    setting = place.setting if place is not None else "office"
    payer = next((ln.payer for ln in lines if ln.payer is not None), default_payer)
    modality: Modality = "none"
    procedures: list[ProcedureEntry] = []
    unknown: list[str] = []
    for ln in lines:
        rec = catalog.get(ln.code)
        if rec is None:
            unknown.append(ln.code)
            continue
        if rec.kind == "guidance" and rec.guidance is not None:
            if modality == "none":
                modality = rec.guidance.modality
            continue
        procedures.append(ProcedureEntry(ln.code, ln.units, ln.modifiers, laterality=laterality_of(ln.modifiers)))
    billed = tuple(f"{ln.billed} ({ln.where or 'line ' + str(ln.line)})" for ln in lines)
    encounter = Encounter(first.date_of_service, setting, payer, modality, tuple(procedures), images_of(lines))
    return AuditClaim(first.claim_id, encounter, billed, pos, tuple(dict.fromkeys(unknown)))
