"""Load and validate GuideCode's YAML data into a frozen :class:`~desktop.core.model.Catalog`.

A data folder holds:

- ``manifest.yaml``: data_version, code_set_year, covers_from;
- ``sources.yaml``: the source key (ids such as ``S10``) that every rule cites;
- ``codes/*.yaml``: one list of code records per file (guidance codes, procedures, imaging codes).

Every problem is collected, not just the first, and each names the file, the line and the entry
(``codes/nerve.yaml:42: 64405: policy 2: unknown key 'cod'``). See ``docs/data-format.md``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path, PurePosixPath
from typing import Any, TypeVar

from desktop.core.model import (
    BILATERAL_RULES,
    CONFIDENCES,
    KINDS,
    MODALITIES,
    POLICY_STATES,
    REGIONS,
    UNIT_BASES,
    Alternative,
    BilateralRule,
    Catalog,
    CodeRecord,
    Confidence,
    GuidanceInfo,
    Kind,
    Location,
    Modality,
    Note,
    PackInfo,
    Policy,
    PolicyState,
    Region,
    SIInfo,
    Source,
    UnitBasis,
)
from desktop.core.problems import DataError as DataError  # defined there; also the loader's names for them
from desktop.core.problems import Problem as Problem
from desktop.core.safefile import read_regular
from desktop.core.yamlsrc import DEFAULT_LIMITS, LineMap, YamlSyntaxError, parse_yaml

CODE_RE = re.compile(r"^[0-9]{4}[0-9FTU]$|^[A-Z][0-9]{4}$")
SOURCE_ID_RE = re.compile(r"^[A-Z][A-Za-z0-9_.-]{0,40}$")

T = TypeVar("T")


class _Missing:
    pass


MISSING = _Missing()


class _Reader:
    """Reads one YAML mapping with strict typing, recording problems instead of raising."""

    def __init__(self, sink: list[Problem], file: str, entry: str, data: LineMap, allowed: Iterable[str]):
        self.sink = sink
        self.file = file
        self.entry = entry
        self.data = data
        allowed_set = set(allowed)
        for key in data:
            if key not in allowed_set:
                hint = _close_match(key, allowed_set)
                self.problem(key, f"unknown key {key!r}" + (f" (did you mean {hint!r}?)" if hint else ""))

    @property
    def line(self) -> int:
        return self.data.line

    def problem(self, key: str | None, message: str) -> None:
        line = self.data.line_of(key) if key else self.data.line
        self.sink.append(Problem(self.file, line, self.entry, message))

    def _get(self, key: str, required: bool) -> Any:
        if key not in self.data:
            if required:
                self.problem(None, f"missing required key {key!r}")
            return MISSING
        return self.data[key]

    def string(self, key: str, *, required: bool = True, default: str = "") -> str:
        value = self._get(key, required)
        if value is MISSING or (value is None and not required):
            return default
        if not isinstance(value, str):
            self.problem(key, f"{key!r} must be text, got {_describe(value)}")
            return default
        if required and not value.strip():
            self.problem(key, f"{key!r} must not be empty")
        return value.strip()

    def code(self, key: str, *, required: bool = True) -> str | None:
        value = self._get(key, required)
        if value is MISSING or value is None:
            return None
        return _check_code(self, key, value)

    def codes(self, key: str) -> tuple[str, ...]:
        value = self._get(key, False)
        if value is MISSING or value is None:
            return ()
        items = value if isinstance(value, list) else [value]
        out = [_check_code(self, key, item) for item in items]
        return tuple(c for c in out if c is not None)

    def boolean(self, key: str, *, default: bool) -> bool:
        value = self._get(key, False)
        if value is MISSING:
            return default
        if not isinstance(value, bool):
            self.problem(key, f"{key!r} must be true or false, got {_describe(value)}")
            return default
        return value

    def integer(self, key: str, *, required: bool = True, default: int = 0) -> int:
        value = self._get(key, required)
        if value is MISSING:
            return default
        if isinstance(value, bool) or not isinstance(value, int):
            self.problem(key, f"{key!r} must be a whole number, got {_describe(value)}")
            return default
        return value

    def day(self, key: str, *, required: bool = False) -> date | None:
        value = self._get(key, required)
        if value is MISSING or value is None:
            return None
        if isinstance(value, date):
            return value
        if isinstance(value, str):
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
        self.problem(key, f"{key!r} must be a date written YYYY-MM-DD, got {_describe(value)}")
        return None

    def choice(self, key: str, options: Sequence[T], *, default: T | None = None) -> T:
        value = self._get(key, default is None)
        if value is MISSING:
            return default if default is not None else options[0]
        if value not in options:
            self.problem(key, f"{key!r} must be one of {', '.join(map(str, options))}; got {_describe(value)}")
            return default if default is not None else options[0]
        return value  # type: ignore[no-any-return]

    def choices(self, key: str, options: Sequence[T], *, required: bool = False) -> tuple[T, ...]:
        value = self._get(key, required)
        if value is MISSING or value is None:
            return ()
        items = value if isinstance(value, list) else [value]
        out: list[T] = []
        for item in items:
            if item not in options:
                self.problem(key, f"{key!r} values must be among {', '.join(map(str, options))}; "
                             f"got {_describe(item)}")
            elif item in out:
                self.problem(key, f"{key!r} lists {item!r} twice")
            else:
                out.append(item)
        return tuple(out)

    def strings(self, key: str, *, required: bool = False) -> tuple[str, ...]:
        value = self._get(key, required)
        if value is MISSING or value is None:
            return ()
        if not isinstance(value, list):
            self.problem(key, f"{key!r} must be a list of text, got {_describe(value)}")
            return ()
        out: list[str] = []
        for item in value:
            if not isinstance(item, str) or not item.strip():
                self.problem(key, f"{key!r} must contain only non-empty text, got {_describe(item)}")
            else:
                out.append(item.strip())
        if required and not out:
            self.problem(key, f"{key!r} must list at least one item")
        return tuple(out)

    def mappings(self, key: str, *, required: bool = False) -> list[LineMap]:
        value = self._get(key, required)
        if value is MISSING or value is None:
            return []
        if not isinstance(value, list):
            self.problem(key, f"{key!r} must be a list of entries, got {_describe(value)}")
            return []
        out: list[LineMap] = []
        for i, item in enumerate(value, 1):
            if isinstance(item, LineMap):
                out.append(item)
            else:
                self.problem(key, f"{key!r} item {i} must be a mapping of keys, got {_describe(item)}")
        return out

    def mapping(self, key: str) -> LineMap | None:
        value = self._get(key, False)
        if value is MISSING or value is None:
            return None
        if not isinstance(value, LineMap):
            self.problem(key, f"{key!r} must be a mapping of keys, got {_describe(value)}")
            return None
        return value


def _check_code(reader: _Reader, key: str, value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, str):
        reader.problem(key, f"{key!r}: codes must be quoted text such as \"64405\", got {_describe(value)}")
        return None
    code = value.strip().upper()
    if not CODE_RE.match(code):
        reader.problem(key, f"{key!r}: {value!r} is not a CPT/HCPCS code (5 characters, e.g. 64405, 0213T, G0260)")
        return None
    return code


def _describe(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"{str(value).lower()} (true/false)"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, str):
        return repr(value) if len(value) < 60 else repr(value[:57] + "...")
    if isinstance(value, date):
        return f"the date {value.isoformat()}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def _close_match(key: str, allowed: set[str]) -> str | None:
    import difflib

    hits = difflib.get_close_matches(key, sorted(allowed), n=1, cutoff=0.75)
    return hits[0] if hits else None


# ---------------------------------------------------------------------------------------------------------
# Files

MANIFEST_KEYS = ("data_version", "code_set_year", "covers_from", "title", "notes")
SOURCE_KEYS = ("id", "title", "kind", "reliability", "url")
RECORD_KEYS = (
    "code", "kind", "name", "terms", "area", "spinal", "regions", "add_on", "bilateral", "valid_from",
    "valid_to", "replaced_by", "dates_sources", "dates_confidence", "guidance", "cautions", "guidance_code",
    "covers_guidance", "notes", "family",
)
POLICY_KEYS = (
    "modality", "from", "until", "state", "code", "redirect_to", "reason", "sources", "confidence",
    "alternatives",
)
ALTERNATIVE_KEYS = ("code", "reason", "sources", "confidence")
NOTE_KEYS = ("text", "sources", "confidence")
GUIDANCE_KEYS = (
    "modality", "pc_tc_split", "unit_basis", "units_confirmed", "units_note", "units_sources", "suggest",
    "not_suggested_reason", "not_suggested_sources",
)
SI_KEYS = ("injections", "reason", "sources", "confidence")


@dataclass(frozen=True, slots=True)
class Manifest:
    """manifest.yaml of a data folder: the data's version, code-set year, first covered date and title."""

    data_version: str
    code_set_year: int
    covers_from: date
    title: str


@dataclass(frozen=True, slots=True)
class RawData:
    """Everything read from one data folder, before cross-references are checked."""

    manifest: Manifest | None
    sources: dict[str, Source]
    records: list[CodeRecord]
    problems: list[Problem]
    broken_codes: frozenset[str] = frozenset()


UNREADABLE = object()  # parse_file's answer for a file already reported as unreadable


def parse_bytes(raw: bytes, rel: str, problems: list[Problem]) -> Any:
    """Parsed YAML from a file's bytes, or :data:`UNREADABLE` after recording why it could not be read."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        problems.append(Problem(rel, 1, "", f"file is not UTF-8 text ({exc.reason} at byte {exc.start})"))
        return UNREADABLE
    try:
        return parse_yaml(text)
    except YamlSyntaxError as exc:
        problems.append(Problem(rel, exc.line, "", f"not valid YAML: {exc.message}"))
        return UNREADABLE


def parse_file(path: Path, rel: str, problems: list[Problem]) -> Any:
    """The parsed YAML, or :data:`UNREADABLE` after recording why the file could not be read. Only a regular
    file within the size limit is opened (:mod:`desktop.core.safefile`); a FIFO or device is refused."""
    try:
        raw = read_regular(path, DEFAULT_LIMITS.max_chars)
    except FileNotFoundError:
        problems.append(Problem(rel, 1, "", "file is missing"))
        return UNREADABLE
    except OSError as exc:
        problems.append(Problem(rel, 1, "", f"cannot read the file: {exc.strerror or exc}"))
        return UNREADABLE
    return parse_bytes(raw, rel, problems)


def read_manifest(data: Any, rel: str, problems: list[Problem], *, extra_keys: Sequence[str] = ()) -> Manifest | None:
    if data is UNREADABLE:
        return None
    if not isinstance(data, LineMap):
        problems.append(Problem(rel, 1, "", "the manifest must be a mapping of keys"))
        return None
    r = _Reader(problems, rel, "manifest", data, (*MANIFEST_KEYS, *extra_keys))
    version = r.string("data_version")
    year = r.integer("code_set_year")
    if year and not 2000 <= year <= 2100:
        r.problem("code_set_year", f"code_set_year {year} is not a plausible year")
    covers = r.day("covers_from", required=True)
    title = r.string("title", required=False)
    r.string("notes", required=False)
    if covers is None:
        return None
    return Manifest(version, year, covers, title)


def read_sources(data: Any, rel: str, problems: list[Problem]) -> dict[str, Source]:
    out: dict[str, Source] = {}
    if data is UNREADABLE:
        return out
    if not isinstance(data, list):
        problems.append(Problem(rel, 1, "", "the file must be a list of sources"))
        return out
    for item in data:
        if not isinstance(item, LineMap):
            problems.append(Problem(rel, 1, "", f"each source must be a mapping, got {_describe(item)}"))
            continue
        sid = item.get("id")
        r = _Reader(problems, rel, str(sid) if sid else "source", item, SOURCE_KEYS)
        source_id = r.string("id")
        if source_id and not SOURCE_ID_RE.match(source_id):
            r.problem("id", f"source id {source_id!r} must start with a capital letter, no spaces")
        src = Source(source_id, r.string("title"), r.string("kind", required=False),
                     r.string("reliability", required=False), r.string("url", required=False))
        if source_id in out:
            r.problem("id", f"source {source_id} is defined twice")
        elif source_id:
            out[source_id] = src
    return out


def _read_alternatives(r: _Reader) -> tuple[Alternative, ...]:
    out: list[Alternative] = []
    for item in r.mappings("alternatives"):
        a = _Reader(r.sink, r.file, r.entry + " alternative", item, ALTERNATIVE_KEYS)
        out.append(Alternative(a.code("code", required=False), a.string("reason"),
                               a.strings("sources", required=True), a.choice("confidence", CONFIDENCES)))
    return tuple(out)


def _read_policy(sink: list[Problem], rel: str, entry: str, item: LineMap) -> Policy | None:
    r = _Reader(sink, rel, entry, item, POLICY_KEYS)
    before = len(sink)
    modalities: tuple[Modality, ...] = r.choices("modality", MODALITIES, required=True)
    start = r.day("from")
    end = r.day("until")
    state: PolicyState = r.choice("state", POLICY_STATES)
    code = r.code("code", required=False)
    redirect_to = r.code("redirect_to", required=False)
    reason = r.string("reason")
    sources = r.strings("sources", required=True)
    confidence: Confidence = r.choice("confidence", CONFIDENCES)
    alternatives = _read_alternatives(r)
    if start and end and start > end:
        r.problem("until", f"date range ends ({end}) before it starts ({start})")
    if state == "separate" and code is None:
        r.problem(None, "state 'separate' needs 'code': the guidance code that is reported")
    if state == "redirect" and redirect_to is None:
        r.problem(None, "state 'redirect' needs 'redirect_to': the code to report instead")
    if state != "redirect" and redirect_to is not None:
        r.problem("redirect_to", "'redirect_to' is only for state 'redirect'")
    if state in ("included", "none_used", "redirect", "not_applicable") and code is not None:
        r.problem("code", f"'code' does not go with state {state!r}")
    if alternatives and state not in ("separate", "unconfirmed"):
        r.problem("alternatives", "'alternatives' are only for state 'separate' or 'unconfirmed'")
    if "none" in modalities and state in ("separate", "included"):
        r.problem("modality", f"modality 'none' cannot be {state!r}: no imaging means no guidance")
    if len(sink) > before:
        return None
    return Policy(modalities, start, end, state, code, redirect_to, reason, sources, confidence,
                  alternatives, Location(rel, item.line))


def _read_guidance_info(r: _Reader, item: LineMap) -> GuidanceInfo:
    g = _Reader(r.sink, r.file, r.entry, item, GUIDANCE_KEYS)
    modality: Modality = g.choice("modality", MODALITIES)
    basis: UnitBasis = g.choice("unit_basis", UNIT_BASES)
    info = GuidanceInfo(
        modality=modality,
        pc_tc_split=g.boolean("pc_tc_split", default=True),
        unit_basis=basis,
        units_confirmed=g.boolean("units_confirmed", default=False),
        units_note=g.string("units_note", required=False),
        units_sources=g.strings("units_sources"),
        suggest=g.boolean("suggest", default=True),
        not_suggested_reason=g.string("not_suggested_reason", required=False),
        not_suggested_sources=g.strings("not_suggested_sources"),
    )
    if not info.suggest and not info.not_suggested_reason:
        g.problem("suggest", "a code with 'suggest: false' needs 'not_suggested_reason'")
    return info


def read_record(sink: list[Problem], rel: str, item: LineMap, origin: str) -> CodeRecord | None:
    raw_code = item.get("code")
    entry = str(raw_code).strip().upper() if isinstance(raw_code, str) else "record"
    r = _Reader(sink, rel, entry, item, RECORD_KEYS)
    before = len(sink)
    code = r.code("code")
    kind: Kind = r.choice("kind", KINDS, default="procedure")
    name = r.string("name")
    terms = r.strings("terms")
    area = r.string("area", required=False, default="other")
    spinal = r.boolean("spinal", default=False)
    regions: tuple[Region, ...] = r.choices("regions", REGIONS)
    add_on = r.boolean("add_on", default=False)
    bilateral: BilateralRule = r.choice("bilateral", BILATERAL_RULES, default="not_applicable")
    valid_from = r.day("valid_from")
    valid_to = r.day("valid_to")
    replaced_by = r.codes("replaced_by")
    dates_sources = r.strings("dates_sources")
    dates_confidence: Confidence = r.choice("dates_confidence", CONFIDENCES, default="medium")
    r.string("notes", required=False)
    family = r.string("family", required=False) or PurePosixPath(rel).stem
    policies: list[Policy] = []
    for i, p in enumerate(r.mappings("guidance"), 1):
        policy = _read_policy(sink, rel, f"{entry} guidance rule {i}", p)
        if policy is not None:
            policies.append(policy)
    cautions: list[Note] = []
    for c in r.mappings("cautions"):
        n = _Reader(sink, rel, f"{entry} caution", c, NOTE_KEYS)
        cautions.append(Note(n.string("text"), n.strings("sources", required=True),
                             n.choice("confidence", CONFIDENCES)))
    ginfo_map = r.mapping("guidance_code")
    ginfo = _read_guidance_info(r, ginfo_map) if ginfo_map is not None else None
    si_map = r.mapping("covers_guidance")
    si: SIInfo | None = None
    if si_map is not None:
        s = _Reader(sink, rel, f"{entry} covers_guidance", si_map, SI_KEYS)
        injections = s.codes("injections")
        if not injections:
            s.problem("injections", "'injections' must list at least one code")
        si = SIInfo(injections, s.string("reason"), s.strings("sources", required=True),
                    s.choice("confidence", CONFIDENCES))

    if kind == "guidance" and ginfo is None:
        r.problem("kind", "a record of kind 'guidance' needs a 'guidance_code' section")
    if kind != "guidance" and ginfo is not None:
        r.problem("guidance_code", "'guidance_code' is only for records of kind 'guidance'")
    if kind == "guidance" and policies:
        r.problem("guidance", "a guidance code has no guidance rules of its own")
    if regions and not spinal:
        r.problem("regions", "'regions' is only for spinal codes (spinal: true)")
    if valid_from and valid_to and valid_from > valid_to:
        r.problem("valid_to", f"valid_to {valid_to} is before valid_from {valid_from}")
    if replaced_by and valid_to is None:
        r.problem("replaced_by", "'replaced_by' needs 'valid_to': the last day the code was valid")
    if dates_sources and valid_from is None and valid_to is None:
        r.problem("dates_sources", "'dates_sources' cites the valid_from/valid_to dates, but there are none")
    if code is not None and code in replaced_by:
        r.problem("replaced_by", f"{code} cannot replace itself")
    _check_overlaps(sink, rel, entry, policies)
    if len(sink) > before or code is None:
        return None
    return CodeRecord(
        code=code, kind=kind, name=name, terms=terms, area=area, spinal=spinal, regions=regions,
        add_on=add_on, bilateral=bilateral, valid_from=valid_from, valid_to=valid_to,
        replaced_by=replaced_by, policies=tuple(policies), cautions=tuple(cautions), guidance=ginfo,
        covers_guidance=si, location=Location(rel, item.line), origin=origin,
        dates_sources=dates_sources, dates_confidence=dates_confidence, family=family,
    )


def _check_overlaps(sink: list[Problem], rel: str, entry: str, policies: Sequence[Policy]) -> None:
    lo, hi = date.min, date.max
    for i, a in enumerate(policies):
        for b in policies[i + 1:]:
            shared = set(a.modalities) & set(b.modalities)
            if not shared:
                continue
            if (a.start or lo) <= (b.end or hi) and (b.start or lo) <= (a.end or hi):
                sink.append(Problem(
                    rel, b.location.line, entry,
                    f"guidance rules for {', '.join(sorted(shared))} overlap in dates with the rule at "
                    f"line {a.location.line} ({_span(a)} and {_span(b)})",
                ))


def _span(p: Policy) -> str:
    return f"{p.start or 'start'}..{p.end or 'open'}"


def record_mappings(data: Any, rel: str, problems: list[Problem]) -> list[LineMap]:
    """The record entries of one parsed code file, after checking that the file is a list of mappings.
    An :data:`UNREADABLE` file (already reported) has none."""
    if data is UNREADABLE:
        return []
    if data is None:
        problems.append(Problem(rel, 1, "", "the file is empty; it must be a list of code records"))
        return []
    if not isinstance(data, list):
        line = data.line if isinstance(data, LineMap) else 1
        problems.append(Problem(rel, line, "",
                                "the file must be a list of code records (each starting with '- code:')"))
        return []
    out: list[LineMap] = []
    for i, item in enumerate(data, 1):
        if isinstance(item, LineMap):
            out.append(item)
        else:
            problems.append(Problem(rel, 1, f"item {i}", f"each record must be a mapping, got {_describe(item)}"))
    return out


def read_records(data: Any, rel: str, problems: list[Problem], origin: str,
                 broken: set[str] | None = None) -> list[CodeRecord]:
    """The valid records of one file. Codes of records refused for a problem go into ``broken`` so that
    references to them are not reported a second time as dangling."""
    out: list[CodeRecord] = []
    for item in record_mappings(data, rel, problems):
        rec = read_record(problems, rel, item, origin)
        if rec is not None:
            out.append(rec)
        elif broken is not None and isinstance(item.get("code"), (str, int)):
            broken.add(str(item["code"]).strip().upper())
    return out


def read_folder(folder: Path, origin: str = "built-in", *, manifest_required: bool = True) -> RawData:
    """Read (but do not cross-check) a data folder."""
    problems: list[Problem] = []
    manifest: Manifest | None = None
    man_path = folder / "manifest.yaml"
    if manifest_required or man_path.exists():
        manifest = read_manifest(parse_file(man_path, "manifest.yaml", problems), "manifest.yaml", problems)
    sources: dict[str, Source] = {}
    if (folder / "sources.yaml").exists() or manifest_required:
        sources = read_sources(parse_file(folder / "sources.yaml", "sources.yaml", problems), "sources.yaml", problems)
    records: list[CodeRecord] = []
    code_dir = folder / "codes"
    files = sorted(code_dir.glob("*.yaml")) if code_dir.is_dir() else []
    if manifest_required and not files:
        problems.append(Problem("codes/", 1, "", "no code files (codes/*.yaml) found"))
    broken: set[str] = set()
    for path in files:
        rel = f"codes/{path.name}"
        records.extend(read_records(parse_file(path, rel, problems), rel, problems, origin, broken))
    return RawData(manifest, sources, records, problems, frozenset(broken))


def check_references(records: Sequence[CodeRecord], sources: dict[str, Source], problems: list[Problem],
                     broken: frozenset[str] = frozenset()) -> None:
    """Refuse duplicate codes and any reference to a code or source id that does not exist.

    ``broken`` holds codes whose records were already refused: references to them are not reported again.
    """
    by_code: dict[str, CodeRecord] = {}
    for rec in records:
        if rec.code in by_code:
            first = by_code[rec.code].location
            problems.append(Problem(rec.location.file, rec.location.line, rec.code,
                                    f"code {rec.code} is defined twice (first at {first})"))
        else:
            by_code[rec.code] = rec

    def need_source(loc: Location, entry: str, ids: Iterable[str]) -> None:
        for sid in ids:
            if sid not in sources:
                problems.append(Problem(loc.file, loc.line, entry, f"source {sid!r} is not in sources.yaml"))

    for rec in records:
        loc = rec.location
        for other in rec.replaced_by:
            if other not in by_code and other not in broken:
                problems.append(Problem(loc.file, loc.line, rec.code,
                                        f"replaced_by names {other}, which has no record"))
        need_source(loc, rec.code, rec.dates_sources)
        for note in rec.cautions:
            need_source(loc, rec.code, note.sources)
        if rec.guidance is not None:
            need_source(loc, rec.code, rec.guidance.units_sources)
            need_source(loc, rec.code, rec.guidance.not_suggested_sources)
        if rec.covers_guidance is not None:
            need_source(loc, rec.code, rec.covers_guidance.sources)
            for inj in rec.covers_guidance.injections:
                if inj not in by_code and inj not in broken:
                    problems.append(Problem(loc.file, loc.line, rec.code,
                                            f"covers_guidance names {inj}, which has no record"))
        for policy in rec.policies:
            ploc = policy.location
            need_source(ploc, rec.code, policy.sources)
            for alt in policy.alternatives:
                need_source(ploc, rec.code, alt.sources)
            for ref in [policy.code, *(a.code for a in policy.alternatives)]:
                if ref is None:
                    continue
                target = by_code.get(ref)
                if target is None and ref in broken:
                    continue
                if target is None:
                    problems.append(Problem(ploc.file, ploc.line, rec.code,
                                            f"guidance rule names {ref}, which has no record"))
                elif target.kind != "guidance":
                    problems.append(Problem(ploc.file, ploc.line, rec.code,
                                            f"guidance rule names {ref}, which is not a guidance code"))
                elif target.guidance is not None and target.guidance.modality not in policy.modalities:
                    problems.append(Problem(ploc.file, ploc.line, rec.code,
                                            f"{ref} is a {target.guidance.modality} code but the rule is for "
                                            f"{', '.join(policy.modalities)}"))
            if policy.redirect_to is not None:
                if policy.redirect_to not in by_code and policy.redirect_to not in broken:
                    problems.append(Problem(ploc.file, ploc.line, rec.code,
                                            f"redirect_to names {policy.redirect_to}, which has no record"))
                elif policy.redirect_to == rec.code:
                    problems.append(Problem(ploc.file, ploc.line, rec.code, "a code cannot redirect to itself"))


def build_catalog(manifest: Manifest, sources: dict[str, Source], records: Sequence[CodeRecord],
                  packs: Sequence[PackInfo] = ()) -> Catalog:
    ordered = tuple(sorted(records, key=lambda r: r.code))
    pack_list = tuple(packs) or (PackInfo("GuideCode built-in data", manifest.data_version,
                                          manifest.code_set_year, True),)
    return Catalog(
        records=ordered,
        by_code={r.code: r for r in ordered},
        sources=dict(sources),
        data_version=manifest.data_version,
        code_set_year=manifest.code_set_year,
        covers_from=manifest.covers_from,
        packs=pack_list,
    )


def load_folder(folder: Path, origin: str = "built-in") -> Catalog:
    """Load and fully validate one data folder. Raises :class:`DataError` listing every problem."""
    raw = read_folder(folder, origin)
    problems = list(raw.problems)
    check_references(raw.records, raw.sources, problems, raw.broken_codes)
    if problems or raw.manifest is None:
        raise DataError(problems or [Problem("manifest.yaml", 1, "", "manifest could not be read")])
    return build_catalog(raw.manifest, raw.sources, raw.records)


def with_origin(records: Iterable[CodeRecord], origin: str) -> list[CodeRecord]:
    return [replace(r, origin=origin) for r in records]


def map_problems(problems: Iterable[Problem], prefix: str) -> list[Problem]:
    """Prefix file names (e.g. with a pack's folder name) for messages about several folders."""
    return [replace(p, file=f"{prefix}/{p.file}") for p in problems]


Loader = Callable[[Path], Catalog]


# Public names for the data-pack layer (desktop.core.packs), which reads pack files with the same strict
# reader and re-runs the per-record overlap check on merged records. Behaviour is unchanged.
Reader = _Reader
check_overlaps = _check_overlaps
describe = _describe
