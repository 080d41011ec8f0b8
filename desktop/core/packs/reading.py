"""Reading one data pack from its folder and checking it on its own: manifest, checksums, schema, dates."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from desktop.core.loader import (
    RULE_SETS_FILE,
    RULES_FILE,
    SOURCES_FILE,
    UNREADABLE,
    Problem,
    parse_bytes,
    read_record,
    read_rule_sets,
    read_rules,
    read_sources,
    record_mappings,
)
from desktop.core.model import Catalog, CodeRecord, PackInfo, RuleBook, RuleSet, Source
from desktop.core.ncci.model import NcciData
from desktop.core.ncci.reader import NCCI_DIR
from desktop.core.packs.folders import PACK_MANIFEST
from desktop.core.safefile import UnreadableFile, read_regular
from desktop.core.schema import FAILED, Context, Cross, describe, key, read_object
from desktop.core.sha import sha256
from desktop.core.yamlsrc import LineMap

if TYPE_CHECKING:
    from desktop.core.ncci.model import NcciData

SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
NOTE_SUFFIXES = (".md", ".txt")
MAX_FILE_BYTES = 8 * 1024 * 1024
MAX_PACK_FILES = 5000
CANDIDATE_TAG = "packs/.candidate"
_KEEP_NAME = "(name kept from the data the pack overrides)"

_MAX = date.max

# ---------------------------------------------------------------------------------------------------------
# Reading one pack


@dataclass(frozen=True, kw_only=True)
class PackEffective:
    """effective: the days a pack's rules apply (both ends included)."""

    DOC_TITLE = "effective"

    start: date = key("from", "date", "the first day the pack's rules apply; a rule without `from` starts here",
                      required=True)
    end: date | None = key("until", "date", "the last day; a rule without `until` ends here (or stays open)",
                           default=None, shown="open")


@dataclass(frozen=True, kw_only=True)
class PackManifest:
    """pack.yaml: the pack's name, version, code-set year, effective dates, description and checksums."""

    DOC_TITLE = "pack.yaml"

    name: str = key("name", "text", "the pack's name (at most 80 characters); a pack of the same name replaces "
                    "it on import", required=True)
    version: str = key("version", "text", "the pack's version, shown with every answer it gives", required=True)
    code_set_year: int = key("code_set_year", "int", "the CPT year the pack is for; its effective dates start "
                             "in that year", required=True)
    effective: PackEffective = key("effective", "mapping", "when the pack's rules apply", required=True)
    description: str = key("description", "text", "for people", default="")
    files: Mapping[str, str] = key("files", "checksums", "the sha256 of every file in the pack but pack.yaml "
                                   "(`validate-pack --checksums` prints it)", required=True)

    @property
    def effective_from(self) -> date:
        return self.effective.start

    @property
    def effective_until(self) -> date | None:
        return self.effective.end

    @property
    def info(self) -> PackInfo:
        return PackInfo(self.name, self.version, self.code_set_year, False)

    @property
    def effective_label(self) -> str:
        return _span(self.effective_from, self.effective_until)


@dataclass(frozen=True, slots=True)
class PackEntry:
    """One record of a pack and the YAML keys it wrote (an override replaces exactly those fields)."""

    record: CodeRecord
    keys: frozenset[str]


@dataclass(frozen=True, slots=True)
class Pack:
    """A pack read from its folder and checked on its own: manifest, sources and entries, with their lines."""

    folder: Path
    tag: str
    manifest: PackManifest
    sources: Mapping[str, Source]
    source_lines: Mapping[str, int]
    entries: tuple[PackEntry, ...]
    rules: RuleBook = RuleBook()
    rule_sets: Mapping[str, RuleSet] = field(default_factory=dict)
    ncci: NcciData = NcciData()


class PackLabels:
    """File labels for one pack: ``<tag>/<file inside the pack>``, so problems never collide with the
    built-in files (``codes/x.yaml``, one slash at most) or with another pack's."""

    def __init__(self, tag: str) -> None:
        self.tag = tag

    def __call__(self, rel: str) -> str:
        return f"{self.tag}/{rel}"

    def rel(self, label: str) -> str:
        prefix = self.tag + "/"
        return label[len(prefix):] if label.startswith(prefix) else label


def sha256_file(path: Path) -> str:
    """The sha256 of a regular file of at most the pack size limit (a FIFO or device raises UnreadableFile)."""
    return sha256(read_regular(path, MAX_FILE_BYTES)).hexdigest()


def _pack_files(folder: Path) -> list[str]:
    """Every file below ``folder`` as a POSIX path relative to it; hidden names (.DS_Store, .git) skipped."""
    out: list[str] = []
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if any(part.startswith(".") for part in rel.parts):
            continue
        if path.is_symlink() or not path.is_dir():  # special files too: they are refused by name, not skipped
            out.append(rel.as_posix())
    return out


def _allowed_file(rel: str) -> bool:
    parts = PurePosixPath(rel).parts
    if rel in (PACK_MANIFEST, SOURCES_FILE, RULES_FILE, RULE_SETS_FILE):
        return True
    if len(parts) == 2 and parts[0] == "codes" and parts[1].endswith(".yaml"):
        return True
    if len(parts) == 2 and parts[0] == NCCI_DIR and (parts[1] == "tables.yaml" or parts[1].endswith(".csv")):
        return True
    return len(parts) == 1 and rel.endswith(NOTE_SUFFIXES)


def compute_checksums(folder: Path) -> dict[str, str]:
    """The ``files:`` mapping a pack author pastes into pack.yaml: sha256 of every file but pack.yaml."""
    out: dict[str, str] = {}
    for rel in _pack_files(folder):
        path = folder / rel
        if rel == PACK_MANIFEST or not _allowed_file(rel) or path.is_symlink():
            continue
        try:
            out[rel] = sha256_file(path)
        except OSError:  # a FIFO, a device, a file too large: validating the pack names it
            continue
    return out


def _read_bytes(path: Path, label: str, problems: list[Problem]) -> bytes | None:
    """The file's bytes; a link, a FIFO, a device or a file over the size limit is refused unopened."""
    try:
        if path.is_symlink():
            problems.append(Problem(label, 1, "", "is a link; a pack holds plain files only"))
            return None
        return read_regular(path, MAX_FILE_BYTES)
    except UnreadableFile as exc:
        problems.append(Problem(label, 1, "", f"cannot read the file: {exc.strerror}"))
    except FileNotFoundError:
        problems.append(Problem(label, 1, "", "file is missing"))
    except OSError as exc:
        problems.append(Problem(label, 1, "", f"cannot read the file: {exc.strerror or exc}"))
    return None


def _read_checksums(raw: Any, data: LineMap, ctx: Context) -> Any:
    if not isinstance(raw, LineMap):
        ctx.problem(data, "files", f"'files' must be a mapping of file: sha256, got {describe(raw)}")
        return FAILED
    files: dict[str, str] = {}
    ok = True
    for rel, value in raw.items():
        pure = PurePosixPath(rel)
        if "\\" in rel or pure.is_absolute() or ".." in pure.parts or rel != pure.as_posix():
            ctx.problem(raw, rel, f"{rel!r} is not a plain path inside the pack")
            ok = False
        elif rel == PACK_MANIFEST:
            ctx.problem(raw, rel, "pack.yaml does not list its own checksum")
            ok = False
        elif not isinstance(value, str) or not SHA256_RE.match(value.strip().lower()):
            ctx.problem(raw, rel, f"the checksum of {rel} must be 64 hexadecimal digits (sha256), got "
                        f"{describe(value)}")
            ok = False
        else:
            files[rel] = value.strip().lower()
    return files if ok else FAILED


def _read_manifest(data: Any, label: str, problems: list[Problem]
                   ) -> tuple[PackManifest | None, LineMap | None, dict[str, str]]:
    """The manifest (None if it has a problem), its ``files:`` mapping, and its checksums (also when another
    part of the manifest is wrong, so that the files can still be checked before they are parsed)."""
    if not isinstance(data, LineMap):
        problems.append(Problem(label, 1, "", "pack.yaml must be a mapping of keys (name, version, ...)"))
        return None, None, {}
    files_map = data.get("files") if isinstance(data.get("files"), LineMap) else None
    if files_map is not None and len(files_map) > MAX_PACK_FILES:
        problems.append(Problem(label, data.line_of("files"), "pack", f"the pack lists {len(files_map):,} files; a "
                                f"pack holds at most {MAX_PACK_FILES:,}"))
        return None, None, {}
    ctx = Context(problems, label, "pack")
    manifest: PackManifest | None = read_object(PackManifest, data, ctx, custom={"files": _read_checksums},
                                                cross=_MANIFEST_CROSS)
    if manifest is not None:
        return manifest, files_map, dict(manifest.files)
    listed: Any = _read_checksums(files_map, data, Context([], label, "pack")) if files_map is not None else FAILED
    return None, files_map, listed if isinstance(listed, dict) else {}


def _manifest_problems(m: PackManifest, data: LineMap, ctx: Context) -> list[Problem]:
    out: list[Problem] = []
    here = Context(out, ctx.file, ctx.entry)
    if len(m.name) > 80:
        here.problem(data, "name", "'name' must be at most 80 characters")
    year, start = m.code_set_year, m.effective_from
    if not 2000 <= year <= 2100:
        here.problem(data, "code_set_year", f"code_set_year {year} is not a plausible year")
    elif start.year != year:
        here.problem(data, "code_set_year", f"code_set_year {year} does not match the effective dates: a pack for "
                     f"code set {year} takes effect in {year}, not on {start.isoformat()}")
    return out


def _effective_problems(e: PackEffective, data: LineMap, ctx: Context) -> list[Problem]:
    if e.end is not None and e.end < e.start:
        return [Problem(ctx.file, data.line_of("until"), "pack effective",
                        f"effective dates end ({e.end}) before they start ({e.start})")]
    return []


_MANIFEST_CROSS: Cross = {PackManifest: _manifest_problems, PackEffective: _effective_problems}


def read_pack(folder: Path, tag: str = CANDIDATE_TAG, base: Catalog | None = None
              ) -> tuple[Pack | None, list[Problem]]:
    """Read and check one pack folder on its own (manifest, checksums, schema, duplicates, dates).

    Problems name files as ``<tag>/<file>``; references to codes and sources outside the pack are
    checked later, on the merged data (:func:`apply_packs`). ``base``: the data the pack goes on, whose
    rule sets the pack's records may use.
    """
    base_sets = base.rule_sets if base is not None else {}
    labels = PackLabels(tag)
    problems: list[Problem] = []
    man_label = labels(PACK_MANIFEST)
    if not folder.is_dir():
        problems.append(Problem(man_label, 1, "", f"{folder} is not a folder"))
        return None, problems
    raw_manifest = _read_bytes(folder / PACK_MANIFEST, man_label, problems)
    manifest: PackManifest | None = None
    files_map: LineMap | None = None
    listed: dict[str, str] = {}
    if raw_manifest is not None:
        data = parse_bytes(raw_manifest, man_label, problems)
        if data is not UNREADABLE:
            manifest, files_map, listed = _read_manifest(data, man_label, problems)

    # Every file's checksum is checked before any of them is parsed, and only a file whose checksum matches
    # pack.yaml is parsed at all: a damaged or swapped file is reported, never fed to the YAML parser.
    present = _pack_files(folder)
    if len(present) > MAX_PACK_FILES:
        problems.append(Problem(man_label, 1, "", f"the pack folder holds {len(present):,} files; a pack holds "
                                f"at most {MAX_PACK_FILES:,}"))
        return None, problems
    present_set = set(present)
    contents: dict[str, bytes] = {}
    for rel in present:
        if rel == PACK_MANIFEST:
            continue
        if not _allowed_file(rel):
            problems.append(Problem(labels(rel), 1, "", "unexpected file: a pack holds pack.yaml, sources.yaml, "
                                    "rules.yaml, rule-sets.yaml, codes/*.yaml, ncci/ tables and optional notes "
                                    "(*.md, *.txt) beside pack.yaml"))
            continue
        raw = _read_bytes(folder / rel, labels(rel), problems)
        if raw is None or files_map is None:
            continue
        if rel not in files_map:
            problems.append(Problem(man_label, files_map.line, "files",
                                    f"{rel} is in the pack but not listed with its sha256 checksum"))
            continue
        want = listed.get(rel)
        got = sha256(raw).hexdigest()
        if want is not None and want != got:
            problems.append(Problem(man_label, files_map.line_of(rel), "files",
                                    f"checksum of {rel} does not match: pack.yaml says {want[:12]}..., the file "
                                    f"is {got[:12]}... (the file was changed or damaged after the pack was made)"))
        elif want is not None:
            contents[rel] = raw
    if files_map is not None:
        for rel in files_map:
            if rel in listed and rel not in present_set:
                problems.append(Problem(man_label, files_map.line_of(rel), "files",
                                        f"{rel} is listed but not in the pack"))

    origin = manifest.name if manifest is not None else folder.name
    sources: dict[str, Source] = {}
    source_lines: dict[str, int] = {}
    if "sources.yaml" in contents:
        slabel = labels("sources.yaml")
        sdata = parse_bytes(contents["sources.yaml"], slabel, problems)
        if sdata is not None and sdata is not UNREADABLE:
            sources = read_sources(sdata, slabel, problems)
            if isinstance(sdata, list):
                for item in sdata:
                    if isinstance(item, LineMap) and isinstance(item.get("id"), str):
                        source_lines.setdefault(item["id"].strip(), item.line_of("id"))

    rules = RuleBook()
    if RULES_FILE in contents:
        rlabel = labels(RULES_FILE)
        rules = read_rules(parse_bytes(contents[RULES_FILE], rlabel, problems), rlabel, problems, origin)
    own_sets: dict[str, RuleSet] = {}
    if RULE_SETS_FILE in contents:
        slabel = labels(RULE_SETS_FILE)
        own_sets = read_rule_sets(parse_bytes(contents[RULE_SETS_FILE], slabel, problems), slabel, problems)
        for sid, rule_set in own_sets.items():
            if base_sets and sid in base_sets:
                problems.append(Problem(rule_set.location.file, rule_set.location.line, f"rule set {sid}",
                                        f"rule set {sid!r} is already defined by the data this pack goes on; "
                                        "give the pack's set another id"))
    sets = {**(base_sets or {}), **own_sets}
    entries: list[PackEntry] = []
    code_files = [rel for rel in contents if rel.startswith("codes/")]
    has_ncci = any(rel.startswith(f"{NCCI_DIR}/") for rel in contents)
    if not code_files and RULES_FILE not in contents and not has_ncci and not any(  # (not: present but unchecked)
            rel.startswith(("codes/", f"{NCCI_DIR}/")) or rel == RULES_FILE for rel in present):
        problems.append(Problem(labels("codes/"), 1, "", "the pack changes nothing: no code files (codes/*.yaml), "
                                "no rules.yaml and no ncci/ tables"))
    ncci = NcciData()
    if has_ncci:  # the sources the tables cite are checked on the merged data (desktop.core.packs.merge)
        from desktop.core.ncci.data import read_pack_ncci

        tables, ncci_problems = read_pack_ncci(contents, tag, None, origin)
        problems.extend(ncci_problems)
        ncci = tables or NcciData()
    for rel in code_files:
        label = labels(rel)
        cdata = parse_bytes(contents[rel], label, problems)
        entries.extend(_read_entries(cdata, label, problems, origin, sets))

    first: dict[str, CodeRecord] = {}
    for entry in entries:
        rec = entry.record
        if rec.code in first:
            where = first[rec.code].location
            problems.append(Problem(rec.location.file, rec.location.line, rec.code,
                                    f"code {rec.code} is defined twice in this pack (first in "
                                    f"{labels.rel(where.file)} line {where.line})"))
        else:
            first[rec.code] = rec
    if manifest is not None:
        for entry in entries:
            _check_window(entry.record, manifest, problems)
        _check_rule_window(rules, manifest, problems)
    if problems or manifest is None:
        return None, problems
    return Pack(folder, tag, manifest, sources, source_lines, tuple(entries), rules, own_sets, ncci), problems


def _check_rule_window(rules: RuleBook, manifest: PackManifest, problems: list[Problem]) -> None:
    lo, hi = manifest.effective_from, manifest.effective_until or _MAX
    for rule in rules.all_rules():
        outside = [d for d in (rule.start, rule.end) if d is not None and not lo <= d <= hi]
        if outside:
            problems.append(Problem(rule.location.file, rule.location.line, rule.id,
                                    f"rule dates {_span(rule.start, rule.end)} are outside the pack's effective "
                                    f"dates {manifest.effective_label}"))


def _read_entries(data: Any, label: str, problems: list[Problem], origin: str,
                  rule_sets: Mapping[str, RuleSet]) -> list[PackEntry]:
    out: list[PackEntry] = []
    for item in record_mappings(data, label, problems):
        keys = frozenset(item.keys())
        if "name" not in item:  # an override may keep the existing name; a new code must have one (checked
            item = _with_key(item, "name", _KEEP_NAME)  # on the merged data, where "new" is known)
        rec = read_record(problems, label, item, origin, rule_sets)
        if rec is not None:
            out.append(PackEntry(rec, keys))
    return out


def _with_key(item: LineMap, key: str, value: Any) -> LineMap:
    copy = LineMap(item)
    copy.line = item.line
    copy.key_lines = dict(item.key_lines)
    copy[key] = value
    return copy


def _span(start: date | None, end: date | None) -> str:
    return f"{start.isoformat() if start else 'start'}..{end.isoformat() if end else 'open'}"


def _check_window(rec: CodeRecord, manifest: PackManifest, problems: list[Problem]) -> None:
    lo, hi = manifest.effective_from, manifest.effective_until or _MAX
    for i, p in enumerate(rec.policies, 1):
        outside = [d for d in (p.start, p.end) if d is not None and not lo <= d <= hi]
        if outside and not p.rule_set:  # a named set's rules are simply limited to the pack's dates
            problems.append(Problem(p.location.file, p.location.line, f"{rec.code} guidance rule {i}",
                                    f"rule dates {_span(p.start, p.end)} are outside the pack's effective dates "
                                    f"{manifest.effective_label}"))


