"""Frozen dataclasses for GuideCode's rule data and for encounters and their resolutions.

Nothing here imports Qt. The loader (``desktop.core.loader``) builds a :class:`Catalog` from YAML; the
engine (``desktop.core.engine``) turns an :class:`Encounter` into a :class:`Resolution`.

The classes are frozen but not ``slots=True``: the frozen build unpickles ~1,400 of them at every start
(desktop/core/catalog_cache.py), and pickle restores a plain instance dictionary in C, where a slotted
frozen dataclass goes through a Python ``__setstate__`` per object (~1.3 ms more per start).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal, get_args

Modality = Literal["fluoroscopy", "ct", "ultrasound", "mri", "none"]
Region = Literal["cervical", "thoracic", "lumbar", "sacral"]
Setting = Literal["office", "hospital_outpatient", "asc"]
Payer = Literal["medicare", "other"]
Confidence = Literal["high", "medium", "low"]
State = Literal["separate", "included", "none_used", "redirect", "unconfirmed", "not_applicable", "invalid"]
PolicyState = Literal["separate", "included", "redirect", "unconfirmed", "none_used", "not_applicable"]
Kind = Literal["procedure", "guidance", "imaging"]
Laterality = Literal["left", "right", "bilateral"]
BilateralRule = Literal["not_applicable", "modifier_50", "not_bilateral", "addon_conflict", "unconfirmed"]
UnitBasis = Literal["per_encounter", "per_region"]
Severity = Literal["error", "warning", "info"]

MODALITIES: tuple[Modality, ...] = get_args(Modality)
REGIONS: tuple[Region, ...] = get_args(Region)
SETTINGS: tuple[Setting, ...] = get_args(Setting)
PAYERS: tuple[Payer, ...] = get_args(Payer)
CONFIDENCES: tuple[Confidence, ...] = get_args(Confidence)
POLICY_STATES: tuple[PolicyState, ...] = get_args(PolicyState)
KINDS: tuple[Kind, ...] = get_args(Kind)
LATERALITIES: tuple[Laterality, ...] = get_args(Laterality)
BILATERAL_RULES: tuple[BilateralRule, ...] = get_args(BilateralRule)
UNIT_BASES: tuple[UnitBasis, ...] = get_args(UnitBasis)

FACILITY_SETTINGS: frozenset[Setting] = frozenset({"hospital_outpatient", "asc"})

MODALITY_LABELS: dict[Modality, str] = {
    "fluoroscopy": "Fluoroscopy",
    "ct": "CT",
    "ultrasound": "Ultrasound",
    "mri": "MR",
    "none": "No imaging",
}
SETTING_LABELS: dict[Setting, str] = {
    "office": "Office (POS 11)",
    "hospital_outpatient": "Hospital outpatient (POS 19/22)",
    "asc": "ASC (POS 24)",
}
PAYER_LABELS: dict[Payer, str] = {"medicare": "Medicare", "other": "Other payer"}


@dataclass(frozen=True)
class Location:
    """Where a record came from: file name (relative to its data folder) and 1-based line."""

    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True)
class Source:
    """One entry of sources.yaml: a citable document, what kind it is and how far it can be relied on."""

    id: str
    title: str
    kind: str
    reliability: str
    url: str = ""


@dataclass(frozen=True)
class Alternative:
    """The other answer where sources disagree (the preferred answer is the policy itself)."""

    code: str | None
    reason: str
    sources: tuple[str, ...]
    confidence: Confidence


@dataclass(frozen=True)
class Policy:
    """How guidance by some modalities is treated for one code over one date range (inclusive)."""

    modalities: tuple[Modality, ...]
    start: date | None
    end: date | None
    state: PolicyState
    code: str | None
    redirect_to: str | None
    reason: str
    sources: tuple[str, ...]
    confidence: Confidence
    alternatives: tuple[Alternative, ...]
    location: Location

    def applies(self, modality: Modality, when: date) -> bool:
        return (
            modality in self.modalities
            and (self.start is None or self.start <= when)
            and (self.end is None or when <= self.end)
        )


@dataclass(frozen=True)
class Note:
    """A caution shown whenever a code is entered (uncertain status, year in doubt, ...)."""

    text: str
    sources: tuple[str, ...]
    confidence: Confidence


@dataclass(frozen=True)
class GuidanceInfo:
    """The part of a record that only guidance codes (77002, 77003, ...) have."""

    modality: Modality
    pc_tc_split: bool
    unit_basis: UnitBasis
    units_confirmed: bool
    units_note: str
    units_sources: tuple[str, ...]
    suggest: bool
    not_suggested_reason: str
    not_suggested_sources: tuple[str, ...]


@dataclass(frozen=True)
class SIInfo:
    """An imaging supervision-and-interpretation code whose fluoroscopy covers an injection's guidance."""

    injections: tuple[str, ...]
    reason: str
    sources: tuple[str, ...]
    confidence: Confidence


@dataclass(frozen=True)
class CodeRecord:
    """One code of the data: what it is, when it is valid, and its guidance policy per imaging modality."""

    code: str
    kind: Kind
    name: str
    terms: tuple[str, ...]
    area: str
    spinal: bool
    regions: tuple[Region, ...]
    add_on: bool
    bilateral: BilateralRule
    valid_from: date | None
    valid_to: date | None
    replaced_by: tuple[str, ...]
    policies: tuple[Policy, ...]
    cautions: tuple[Note, ...]
    guidance: GuidanceInfo | None
    covers_guidance: SIInfo | None
    location: Location
    origin: str = "built-in"
    dates_sources: tuple[str, ...] = ()
    dates_confidence: Confidence = "medium"
    family: str = ""

    def valid_on(self, when: date) -> bool:
        return (self.valid_from is None or self.valid_from <= when) and (
            self.valid_to is None or when <= self.valid_to
        )

    def policy_for(self, modality: Modality, when: date) -> Policy | None:
        for policy in self.policies:
            if policy.applies(modality, when):
                return policy
        return None


@dataclass(frozen=True)
class PackInfo:
    """One data set that answered: the built-in data or an office's data pack."""

    name: str
    version: str
    code_set_year: int
    builtin: bool


@dataclass(frozen=True)
class Catalog:
    """All the rule data the engine answers from: every record by code, the sources, versions and packs."""

    records: tuple[CodeRecord, ...]
    by_code: dict[str, CodeRecord]
    sources: dict[str, Source]
    data_version: str
    code_set_year: int
    covers_from: date
    packs: tuple[PackInfo, ...] = ()

    def get(self, code: str) -> CodeRecord | None:
        return self.by_code.get(code)

    @property
    def version_label(self) -> str:
        extra = [f"{p.name} {p.version}" for p in self.packs if not p.builtin]
        base = f"built-in {self.data_version}"
        return base + (" + " + ", ".join(extra) if extra else "")


@dataclass(frozen=True)
class ProcedureEntry:
    """One procedure of an encounter as entered: code, units, modifiers, its own modality, regions, side."""

    code: str
    units: int = 1
    modifiers: tuple[str, ...] = ()
    modality: Modality | None = None
    regions: tuple[Region, ...] = ()
    laterality: Laterality | None = None


@dataclass(frozen=True)
class Encounter:
    """What the coder describes: date of service, setting, payer, modality and the procedures done."""

    date_of_service: date
    setting: Setting = "office"
    payer: Payer = "other"
    modality: Modality = "fluoroscopy"
    procedures: tuple[ProcedureEntry, ...] = ()


@dataclass(frozen=True)
class GuidanceLine:
    """One billable imaging-guidance claim line, with why, the sources that say so and how sure they are."""

    code: str
    units: int
    modifiers: tuple[str, ...]
    for_codes: tuple[str, ...]
    region: Region | None
    reason: str
    sources: tuple[str, ...]
    confidence: Confidence

    @property
    def display(self) -> str:
        """The line as a coder writes it: ``77003-26-XS ×1``."""
        return "-".join((self.code, *self.modifiers)) + f" \u00d7{self.units}"


@dataclass(frozen=True)
class ProcedureResult:
    """The answer for one procedure of the encounter: separate, included, redirect, unconfirmed ..."""

    index: int
    code: str
    name: str
    state: State
    modality: Modality
    reason: str
    sources: tuple[str, ...]
    confidence: Confidence
    guidance_code: str | None = None
    redirect_to: str | None = None
    alternatives: tuple[Alternative, ...] = ()


@dataclass(frozen=True)
class Message:
    """An error, warning or note from the engine, with the code it concerns and its sources."""

    severity: Severity
    text: str
    code: str | None = None
    sources: tuple[str, ...] = ()


@dataclass(frozen=True)
class Resolution:
    """Everything the engine says about one encounter: the lines to bill, each procedure, the messages."""

    guidance_lines: tuple[GuidanceLine, ...]
    procedures: tuple[ProcedureResult, ...]
    messages: tuple[Message, ...]
    data_version: str
    packs: tuple[PackInfo, ...] = field(default=())

    @property
    def has_errors(self) -> bool:
        return any(m.severity == "error" for m in self.messages)
