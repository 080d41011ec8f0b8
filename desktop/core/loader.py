"""Load and validate GuideCode's YAML data into a frozen :class:`~desktop.core.model.Catalog`.

A data folder holds:

- ``manifest.yaml``: data_version, code_set_year, covers_from;
- ``sources.yaml``: the source key (ids such as ``S10``) that every rule cites;
- ``rules.yaml``: the general billing rules (modifier 26, 59/XS, units, bilateral, NCCI edits);
- ``rule-sets.yaml``: named guidance rule sets that records use (``- use: <id>``);
- ``codes/*.yaml``: one list of code records per file (guidance codes, procedures, imaging codes);
- ``ncci/``: CMS's NCCI pair edits and unit limits (``docs/ncci.md``; read by :mod:`desktop.core.ncci.reader`).

The keys and their types come from the schema declared on the dataclasses (:mod:`desktop.core.schema`);
the rules beyond types from :mod:`desktop.core.invariants`. Every problem is collected, not just the first,
and each names the file, the line and the entry (``codes/nerve.yaml:42: 64405: guidance rule 2: unknown key
'cod'``). See ``docs/data-format.md``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path, PurePosixPath
from typing import Any

from desktop.core import invariants
from desktop.core.model import (
    RULE_SECTIONS,
    Catalog,
    CodeRecord,
    Location,
    Manifest,
    PackInfo,
    Policy,
    Rule,
    RuleBook,
    RuleSet,
    Source,
)
from desktop.core.ncci.model import NcciData
from desktop.core.ncci.reader import NCCI_DIR
from desktop.core.problems import DataError as DataError  # defined there; also the loader's names for them
from desktop.core.problems import Problem as Problem
from desktop.core.safefile import read_regular
from desktop.core.schema import FAILED, SOURCE_ID_RE, Context, Cross, describe, read_object
from desktop.core.yamlsrc import DEFAULT_LIMITS, LineMap, YamlSyntaxError, parse_yaml

MANIFEST_FILE = "manifest.yaml"
SOURCES_FILE = "sources.yaml"
RULES_FILE = "rules.yaml"
RULE_SETS_FILE = "rule-sets.yaml"
CODES_DIR = "codes"

UNREADABLE = object()  # parse_file's answer for a file already reported as unreadable


# ---------------------------------------------------------------------------------------------------------
# Files


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
    ctx = Context(problems, rel, "manifest")
    manifest: Manifest | None = read_object(Manifest, data, ctx, allow=("notes", *extra_keys))
    if manifest is not None and not 2000 <= manifest.code_set_year <= 2100:
        ctx.problem(data, "code_set_year", f"code_set_year {manifest.code_set_year} is not a plausible year")
        return None
    return manifest


def _list_of_mappings(data: Any, rel: str, problems: list[Problem], what: str, first_key: str = "") -> list[LineMap]:
    if data is UNREADABLE:
        return []
    if data is None:
        problems.append(Problem(rel, 1, "", f"the file is empty; it must be a list of {what}"))
        return []
    if not isinstance(data, list):
        line = data.line if isinstance(data, LineMap) else 1
        problems.append(Problem(rel, line, "", f"the file must be a list of {what} (each starting with "
                                f"'- {first_key}')"))
        return []
    out: list[LineMap] = []
    for i, item in enumerate(data, 1):
        if isinstance(item, LineMap):
            out.append(item)
        else:
            problems.append(Problem(rel, 1, f"item {i}", f"each entry must be a mapping, got {describe(item)}"))
    return out


def read_sources(data: Any, rel: str, problems: list[Problem]) -> dict[str, Source]:
    out: dict[str, Source] = {}
    for item in _list_of_mappings(data, rel, problems, "sources"):
        sid = item.get("id")
        ctx = Context(problems, rel, str(sid) if isinstance(sid, str) and sid.strip() else "source")
        src: Source | None = read_object(Source, item, ctx)
        if src is None:
            continue
        if not SOURCE_ID_RE.match(src.id):
            ctx.problem(item, "id", f"source id {src.id!r} must start with a capital letter, no spaces")
        elif src.id in out:
            ctx.problem(item, "id", f"source {src.id} is defined twice")
        else:
            out[src.id] = src
    return out


def _nested_entry(parent: str, cls: type, index: int) -> str:
    if cls is Policy:
        return f"{parent} guidance rule {index}"
    label = getattr(cls, "DOC_TITLE", "")
    if label in ("cautions", "alternatives", "names"):
        return f"{parent} {label[:-1]}"
    return parent


@dataclass(slots=True)
class _Policies:
    """Reads a ``guidance:`` list: rules written out, and ``- use: <set>`` items expanded from rule sets."""

    rel: str
    rule_sets: Mapping[str, RuleSet]

    def __call__(self, raw: Any, data: LineMap, ctx: Context) -> Any:
        if not isinstance(raw, list):
            ctx.problem(data, "guidance", f"'guidance' must be a list of rules, got {describe(raw)}")
            return FAILED
        out: list[Policy] = []
        ok = True
        for i, item in enumerate(raw, 1):
            if not isinstance(item, LineMap):
                ctx.problem(data, "guidance", f"'guidance' item {i} must be a mapping of keys, got {describe(item)}")
                ok = False
                continue
            if "use" in item:
                ok = self._use(item, ctx, i, out) and ok
                continue
            entry = f"{ctx.entry} guidance rule {i}"
            policy = read_policy(item, ctx.at(entry), self.rel)
            if policy is None:
                ok = False
            else:
                out.append(policy)
        return tuple(out) if ok else FAILED

    def _use(self, item: LineMap, ctx: Context, index: int, out: list[Policy]) -> bool:
        name = item["use"]
        extra = [k for k in item if k != "use"]
        if extra:
            ctx.problem(item, extra[0], f"a '- use:' item names a rule set and nothing else (found {extra[0]!r})")
            return False
        rule_set = self.rule_sets.get(name) if isinstance(name, str) else None
        if rule_set is None:
            known = ", ".join(sorted(self.rule_sets)) or "none"
            ctx.problem(item, "use", f"guidance item {index}: no rule set named {describe(name)} in "
                        f"{RULE_SETS_FILE} (sets: {known})")
            return False
        out.extend(rule_set.policies)
        return True


def read_policy(item: LineMap, ctx: Context, rel: str) -> Policy | None:
    """One guidance rule, with its own cross-key checks."""
    policy: Policy | None = read_object(Policy, item, ctx, extra={"location": Location(rel, item.line)},
                                        nested_entry=_nested_entry, cross=_CROSS)
    return policy


def _key_lines(rel: str, item: LineMap) -> invariants.Where:
    return lambda k: (rel, item.line_of(k) if k else item.line)


_CROSS: Cross = {
    Policy: lambda p, data, ctx: invariants.policy_problems(p, _key_lines(ctx.file, data), ctx.entry),
    CodeRecord: lambda r, data, ctx: invariants.record_problems(r, _key_lines(ctx.file, data)),
}


def read_rule_sets(data: Any, rel: str, problems: list[Problem]) -> dict[str, RuleSet]:
    """The named rule sets of a file. A set may use sets defined before it in the file."""
    out: dict[str, RuleSet] = {}
    for item in _list_of_mappings(data, rel, problems, "rule sets"):
        sid = item.get("id")
        ctx = Context(problems, rel, f"rule set {sid}" if isinstance(sid, str) else "rule set")
        rule_set: RuleSet | None = read_object(
            RuleSet, item, ctx, extra={"location": Location(rel, item.line)},
            custom={"guidance": _Policies(rel, out)})
        if rule_set is None:
            continue
        if rule_set.id in out:
            ctx.problem(item, "id", f"rule set {rule_set.id!r} is defined twice")
            continue
        tagged = tuple(p if p.rule_set else _tag(p, rule_set.id) for p in rule_set.policies)
        problems.extend(invariants.overlap_problems(tagged, ctx.entry))
        out[rule_set.id] = RuleSet(id=rule_set.id, title=rule_set.title, policies=tagged,
                                   location=rule_set.location)
    return out


def _tag(policy: Policy, set_id: str) -> Policy:
    from dataclasses import replace

    return replace(policy, rule_set=set_id)


def read_rules(data: Any, rel: str, problems: list[Problem], origin: str = "built-in") -> RuleBook:
    """rules.yaml: a mapping of section name to a list of rules (see :data:`~desktop.core.model.RULE_SECTIONS`)."""
    if data is UNREADABLE:
        return RuleBook()
    if not isinstance(data, LineMap):
        problems.append(Problem(rel, 1, "", "rules.yaml must be a mapping of sections (units:, bilateral:, ...)"))
        return RuleBook()
    sections: dict[str, tuple[Rule, ...]] = {}
    for name, raw in data.items():
        cls = RULE_SECTIONS.get(name)
        if cls is None:
            from desktop.core.schema import close_match

            hint = close_match(name, RULE_SECTIONS)
            problems.append(Problem(rel, data.line_of(name), "", f"unknown section {name!r}"
                                    + (f" (did you mean {hint!r}?)" if hint else "")
                                    + f"; sections: {', '.join(RULE_SECTIONS)}"))
            continue
        if raw is None:
            sections[name] = ()
            continue
        if not isinstance(raw, list):
            problems.append(Problem(rel, data.line_of(name), "", f"section {name!r} must be a list of rules"))
            continue
        rules: list[Rule] = []
        for i, item in enumerate(raw, 1):
            if not isinstance(item, LineMap):
                problems.append(Problem(rel, data.line_of(name), f"{name} rule {i}",
                                        f"each rule must be a mapping, got {describe(item)}"))
                continue
            rid = item.get("id")
            ctx = Context(problems, rel, str(rid) if isinstance(rid, str) else f"{name} rule {i}")
            rule = read_object(cls, item, ctx, extra={"location": Location(rel, item.line), "origin": origin})
            if rule is not None:
                rules.append(rule)
        sections[name] = tuple(rules)
    return RuleBook.from_sections(sections)


def read_record(sink: list[Problem], rel: str, item: LineMap, origin: str,
                rule_sets: Mapping[str, RuleSet] | None = None) -> CodeRecord | None:
    """One code record, with its own cross-key checks (references are checked on the whole data)."""
    raw_code = item.get("code")
    entry = str(raw_code).strip().upper() if isinstance(raw_code, str) else "record"
    ctx = Context(sink, rel, entry)
    before = len(sink)
    if "notes" in item and not isinstance(item["notes"], str):
        ctx.problem(item, "notes", f"'notes' must be text, got {describe(item['notes'])}")
    rec: CodeRecord | None = read_object(
        CodeRecord, item, ctx, allow=("notes",), nested_entry=_nested_entry,
        extra={"location": Location(rel, item.line), "origin": origin, "family": PurePosixPath(rel).stem},
        custom={"guidance": _Policies(rel, rule_sets or {})}, cross=_CROSS)
    return rec if len(sink) == before else None


def record_mappings(data: Any, rel: str, problems: list[Problem]) -> list[LineMap]:
    """The record entries of one parsed code file, after checking that the file is a list of mappings.
    An :data:`UNREADABLE` file (already reported) has none."""
    return _list_of_mappings(data, rel, problems, "code records", "code:")


def read_records(data: Any, rel: str, problems: list[Problem], origin: str,
                 broken: set[str] | None = None, rule_sets: Mapping[str, RuleSet] | None = None
                 ) -> list[CodeRecord]:
    """The valid records of one file. Codes of records refused for a problem go into ``broken`` so that
    references to them are not reported a second time as dangling."""
    out: list[CodeRecord] = []
    for item in record_mappings(data, rel, problems):
        rec = read_record(problems, rel, item, origin, rule_sets)
        if rec is not None:
            out.append(rec)
        elif broken is not None and isinstance(item.get("code"), (str, int)):
            broken.add(str(item["code"]).strip().upper())
    return out


@dataclass(frozen=True, slots=True)
class RawData:
    """Everything read from one data folder, before cross-references are checked."""

    manifest: Manifest | None
    sources: dict[str, Source]
    records: list[CodeRecord]
    problems: list[Problem]
    rules: RuleBook = RuleBook()
    rule_sets: dict[str, RuleSet] = field(default_factory=dict)
    broken_codes: frozenset[str] = frozenset()
    ncci: NcciData = NcciData()


def read_folder(folder: Path, origin: str = "built-in") -> RawData:
    """Read (but do not cross-check) a data folder."""
    problems: list[Problem] = []
    manifest = read_manifest(parse_file(folder / MANIFEST_FILE, MANIFEST_FILE, problems), MANIFEST_FILE, problems)
    sources = read_sources(parse_file(folder / SOURCES_FILE, SOURCES_FILE, problems), SOURCES_FILE, problems)
    rules = read_rules(parse_file(folder / RULES_FILE, RULES_FILE, problems), RULES_FILE, problems, origin)
    rule_sets: dict[str, RuleSet] = {}
    if (folder / RULE_SETS_FILE).exists():
        rule_sets = read_rule_sets(parse_file(folder / RULE_SETS_FILE, RULE_SETS_FILE, problems), RULE_SETS_FILE,
                                   problems)
    records: list[CodeRecord] = []
    code_dir = folder / CODES_DIR
    files = sorted(code_dir.glob("*.yaml")) if code_dir.is_dir() else []
    if not files:
        problems.append(Problem(f"{CODES_DIR}/", 1, "", "no code files (codes/*.yaml) found"))
    broken: set[str] = set()
    for path in files:
        rel = f"{CODES_DIR}/{path.name}"
        records.extend(read_records(parse_file(path, rel, problems), rel, problems, origin, broken, rule_sets))
    ncci = NcciData()
    if (folder / NCCI_DIR).exists():
        from desktop.core.ncci.reader import read_ncci_dir

        tables, ncci_problems = read_ncci_dir(folder / NCCI_DIR, sources=sources, origin=origin)
        problems.extend(ncci_problems)
        ncci = tables or NcciData()
    return RawData(manifest, sources, records, problems, rules, rule_sets, frozenset(broken), ncci)


def build_catalog(manifest: Manifest, sources: dict[str, Source], records: Sequence[CodeRecord],
                  packs: Sequence[PackInfo] = (), rules: RuleBook | None = None,
                  rule_sets: Mapping[str, RuleSet] | None = None, ncci: NcciData | None = None) -> Catalog:
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
        rules=rules or RuleBook(),
        rule_sets=dict(rule_sets or {}),
        ncci=ncci or NcciData(),
    )


def load_folder(folder: Path, origin: str = "built-in") -> Catalog:
    """Load and fully validate one data folder. Raises :class:`DataError` listing every problem."""
    raw = read_folder(folder, origin)
    problems = list(raw.problems)
    covers = raw.manifest.covers_from if raw.manifest is not None else date(2007, 1, 1)
    problems.extend(invariants.catalog_problems(raw.records, raw.sources, raw.rules, covers, raw.broken_codes))
    if problems or raw.manifest is None:
        raise DataError(problems or [Problem(MANIFEST_FILE, 1, "", "manifest could not be read")])
    return build_catalog(raw.manifest, raw.sources, raw.records, rules=raw.rules, rule_sets=raw.rule_sets,
                         ncci=raw.ncci)
