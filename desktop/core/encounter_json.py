"""The JSON contract of ``python -m desktop resolve``: parse an encounter, print a resolution.

Parsing is strict: an unknown field, a wrong type or a bad value raises :class:`EncounterError` with one
clear sentence (the command line turns it into exit status 2).
"""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Any, TypeVar

from desktop.core import strictjson
from desktop.core.model import (
    LATERALITIES,
    MODALITIES,
    PAYERS,
    REGIONS,
    SETTINGS,
    Encounter,
    Laterality,
    Modality,
    Payer,
    ProcedureEntry,
    Region,
    Resolution,
    Setting,
)

ENCOUNTER_FIELDS = ("date_of_service", "setting", "payer", "modality", "procedures", "images_recorded")
PROCEDURE_FIELDS = ("code", "units", "modifiers", "modality", "regions", "laterality")
MODIFIER_RE = re.compile(r"^[A-Z0-9]{2}$")
INPUT_CODE_RE = re.compile(r"^[A-Z0-9]{5}$")
MAX_PROCEDURES = 200
MAX_UNITS = 999
MAX_INPUT_BYTES = 1024 * 1024  # resolve reads at most this much, in bounded chunks


class EncounterError(ValueError):
    """The input is not a valid encounter."""


_Opt = TypeVar("_Opt", bound=str)


def _choice(value: object, options: tuple[_Opt, ...], where: str) -> _Opt:
    """The option ``value`` names (typed as the options' Literal), or :class:`EncounterError`."""
    for option in options:
        if isinstance(value, str) and value == option:
            return option
    raise EncounterError(f"{where} must be one of {', '.join(options)}; got {json.dumps(value)[:60]}")


def _check_fields(obj: dict[str, Any], allowed: tuple[str, ...], where: str) -> None:
    for key in obj:
        if key not in allowed:
            raise EncounterError(f"unknown field {key!r} in {where} (allowed: {', '.join(allowed)})")


def parse_procedure(obj: Any, n: int) -> ProcedureEntry:
    where = f"procedures[{n}]"
    if not isinstance(obj, dict):
        raise EncounterError(f"{where} must be an object like {{\"code\": \"64405\"}}")
    _check_fields(obj, PROCEDURE_FIELDS, where)
    if "code" not in obj:
        raise EncounterError(f"{where} has no \"code\"")
    code = obj["code"]
    if not isinstance(code, str):
        raise EncounterError(f"{where}.code must be a string such as \"64405\", got {json.dumps(code)[:40]}")
    code = code.strip().upper()
    if not INPUT_CODE_RE.match(code):
        raise EncounterError(f"{where}.code {json.dumps(obj['code'])[:40]} is not a 5-character CPT/HCPCS code")
    units = obj.get("units", 1)
    if isinstance(units, bool) or not isinstance(units, int) or not 1 <= units <= MAX_UNITS:
        raise EncounterError(f"{where}.units must be a whole number from 1 to {MAX_UNITS}")
    mods_raw = obj.get("modifiers", [])
    if not isinstance(mods_raw, list) or not all(isinstance(m, str) for m in mods_raw):
        raise EncounterError(f"{where}.modifiers must be a list of strings such as [\"RT\"]")
    mods = tuple(m.strip().upper() for m in mods_raw)
    for m in mods:
        if not MODIFIER_RE.match(m):
            raise EncounterError(f"{where}.modifiers: {m!r} is not a two-character modifier")
    modality: Modality | None = None
    if obj.get("modality") is not None:
        modality = _choice(obj["modality"], MODALITIES, f"{where}.modality")
    regions_raw = obj.get("regions", [])
    if not isinstance(regions_raw, list):
        raise EncounterError(f"{where}.regions must be a list such as [\"lumbar\"]")
    regions: list[Region] = []
    for r in regions_raw:
        region: Region = _choice(r, REGIONS, f"{where}.regions")
        if region not in regions:
            regions.append(region)
    laterality: Laterality | None = None
    if obj.get("laterality") is not None:
        laterality = _choice(obj["laterality"], LATERALITIES, f"{where}.laterality")
    return ProcedureEntry(code, units, mods, modality, tuple(regions), laterality)


def parse_encounter(obj: Any, *, today: date) -> Encounter:
    """Build an :class:`Encounter` from decoded JSON; raises :class:`EncounterError`."""
    if not isinstance(obj, dict):
        raise EncounterError("the encounter must be a JSON object")
    _check_fields(obj, ENCOUNTER_FIELDS, "the encounter")
    dos = today
    if obj.get("date_of_service") is not None:
        raw = obj["date_of_service"]
        if not isinstance(raw, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
            raise EncounterError("date_of_service must be a string YYYY-MM-DD")
        try:
            dos = date.fromisoformat(raw)
        except ValueError:
            raise EncounterError(f"date_of_service {raw!r} is not a real date") from None
    setting: Setting = _choice(obj.get("setting", "office"), SETTINGS, "setting")
    payer: Payer = _choice(obj.get("payer", "other"), PAYERS, "payer")
    modality: Modality = _choice(obj.get("modality", "fluoroscopy"), MODALITIES, "modality")
    procs = obj.get("procedures", [])
    if not isinstance(procs, list):
        raise EncounterError("procedures must be a list")
    if len(procs) > MAX_PROCEDURES:
        raise EncounterError(f"at most {MAX_PROCEDURES} procedures per encounter")
    entries = tuple(parse_procedure(p, n) for n, p in enumerate(procs))
    recorded = obj.get("images_recorded")
    if recorded is not None and not isinstance(recorded, bool):
        raise EncounterError(f"images_recorded must be true, false or null; got {json.dumps(recorded)[:60]}")
    return Encounter(dos, setting, payer, modality, entries, recorded)


def parse_encounter_text(text: str, *, today: date) -> Encounter:
    """Parse one encounter from JSON text: strict JSON (:mod:`desktop.core.strictjson`: a key written twice,
    a 5,000-digit number or deep nesting is refused, like the YAML loader refuses them), then strict fields."""
    if len(text) > MAX_INPUT_BYTES:
        raise EncounterError(f"the input is larger than {MAX_INPUT_BYTES // 1024} KB; one encounter is far smaller")
    try:
        obj = strictjson.loads(text)
    except strictjson.JsonInputError as exc:
        raise EncounterError(f"not valid JSON: {exc.located}") from None
    return parse_encounter(obj, today=today)


def procedure_to_json(entry: ProcedureEntry) -> dict[str, Any]:
    """One procedure as the ``resolve`` input takes it; fields at their default are left out."""
    out: dict[str, Any] = {"code": entry.code}
    if entry.units != 1:
        out["units"] = entry.units
    if entry.modifiers:
        out["modifiers"] = list(entry.modifiers)
    if entry.modality is not None:
        out["modality"] = entry.modality
    if entry.regions:
        out["regions"] = list(entry.regions)
    if entry.laterality is not None:
        out["laterality"] = entry.laterality
    return out


def encounter_to_json(encounter: Encounter) -> dict[str, Any]:
    """The encounter in the ``resolve`` input format; ``parse_encounter`` reads it back unchanged.
    ``images_recorded`` is written only when stated (true or false)."""
    out: dict[str, Any] = {
        "date_of_service": encounter.date_of_service.isoformat(),
        "setting": encounter.setting,
        "payer": encounter.payer,
        "modality": encounter.modality,
        "procedures": [procedure_to_json(p) for p in encounter.procedures],
    }
    if encounter.images_recorded is not None:
        out["images_recorded"] = encounter.images_recorded
    return out


def encounter_to_text(encounter: Encounter) -> str:
    """:func:`encounter_to_json` as indented JSON text ending in a newline (what Save as writes)."""
    return json.dumps(encounter_to_json(encounter), indent=2, ensure_ascii=True) + "\n"


def resolution_to_json(res: Resolution) -> dict[str, Any]:
    return {
        "procedure_lines": [
            {"code": ln.code, "units": ln.units, "modifiers": list(ln.modifiers)} for ln in res.procedure_lines
        ],
        "guidance_lines": [
            {"code": ln.code, "units": ln.units, "modifiers": list(ln.modifiers), "for": list(ln.for_codes),
             "reason": ln.reason, "sources": list(ln.sources), "confidence": ln.confidence}
            for ln in res.guidance_lines
        ],
        "procedures": [
            {"code": p.code, "guidance": p.state, "reason": p.reason, "sources": list(p.sources),
             "confidence": p.confidence}
            for p in res.procedures
        ],
        "messages": [{"severity": m.severity, "text": m.text, "sources": list(m.sources)} for m in res.messages],
        "data_version": res.data_version,
        "ncci": res.ncci,
        "data_packs": [{"name": p.name, "version": p.version, "code_set_year": p.code_set_year,
                        "builtin": p.builtin} for p in res.packs],
    }
