"""Data packs: an office's updates (a new year's rules, local payer notes) layered on the built-in data.

A pack is a folder::

    pack.yaml           name, version, code_set_year, effective (from, until), files (sha256 of each file)
    sources.yaml        optional: more source ids, same schema as the built-in sources.yaml
    codes/*.yaml        code records, same schema as the built-in data
    *.md, *.txt         optional notes for people (listed in files like everything else)

Override semantics (``docs/data-packs.md`` has worked examples):

1. Every guidance rule in a pack is limited to the pack's effective dates. A rule without ``from`` starts
   on ``effective.from``; a rule without ``until`` ends on ``effective.until`` (or stays open when the pack
   has no ``until``). A rule date outside the effective dates is a problem.
2. A record whose code the data does not have yet is added as written.
3. A record whose code the data already has is an *override*:

   - each key the pack record writes (``name``, ``terms``, ``spinal``, ``regions``, ``cautions``,
     ``valid_to``, ``guidance_code`` ...) replaces that field; keys it does not write keep the existing
     value (write ``cautions: []`` to clear a list);
   - its guidance rules are *spliced*: for each modality a pack rule names, the existing rules for that
     modality are cut out of the pack rule's date range (an existing rule may be shortened or split in two)
     and the pack rule takes its place; other modalities and other dates keep the existing rules.

4. A pack's source ids must be new (an id the data already has is a problem); its records may cite the
   built-in sources.
5. Packs apply one after another, ordered by ``effective.from``, then name; a later pack overrides an
   earlier one the same way. After each pack the whole merged data is checked again with the loader's
   checks (references, sources, overlapping rules, record consistency). A pack with any problem is
   skipped as a whole and its problems are reported; the data stays as it was before that pack.

Where packs live: a data folder (the user data folder, see :mod:`desktop.userdirs`, or ``--data-dir``)
holds installed packs in ``packs/<folder>/`` and the on/off state in ``data-packs.json``. For the command
line a data folder may also be one pack (it has ``pack.yaml``) or a plain folder of pack folders.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from pathlib import Path, PurePosixPath
from typing import Any

from desktop.core.loader import (
    UNREADABLE,
    DataError,
    Manifest,
    Problem,
    Reader,
    build_catalog,
    check_overlaps,
    check_references,
    describe,
    parse_bytes,
    read_record,
    read_sources,
    record_mappings,
)
from desktop.core.model import Catalog, CodeRecord, Modality, PackInfo, Policy, Source
from desktop.core.pack_report import (  # loading with packs; re-exported here, where they were first
    BUILTIN_LABEL as BUILTIN_LABEL,
)
from desktop.core.pack_report import (
    PACK_MANIFEST,
    display_problem,
    scan_packs,
)
from desktop.core.pack_report import (
    PACKS_SUBDIR as PACKS_SUBDIR,
)
from desktop.core.pack_report import (
    STATE_FILE as STATE_FILE,
)
from desktop.core.pack_report import (
    LoadReport as LoadReport,
)
from desktop.core.pack_report import (
    PackStatus as PackStatus,
)
from desktop.core.pack_report import (
    default_data_dir as default_data_dir,
)
from desktop.core.pack_report import (
    load_report as load_report,
)
from desktop.core.pack_report import (
    load_with_packs as load_with_packs,
)
from desktop.core.pack_report import (
    pack_folders as pack_folders,
)
from desktop.core.pack_report import (
    read_state as read_state,
)
from desktop.core.pack_report import (
    set_enabled as set_enabled,
)
from desktop.core.sha import sha256
from desktop.core.yamlsrc import LineMap

MANIFEST_KEYS = ("name", "version", "code_set_year", "effective", "files", "description")
EFFECTIVE_KEYS = ("from", "until")
SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
NOTE_SUFFIXES = (".md", ".txt")
MAX_FILE_BYTES = 8 * 1024 * 1024

# Pack record key -> CodeRecord field it replaces in an override ("code" is the key itself, "notes" is
# an editor's comment that is not stored, "guidance" is spliced, not replaced).
OVERRIDE_FIELDS: dict[str, str] = {
    "kind": "kind", "name": "name", "terms": "terms", "area": "area", "spinal": "spinal",
    "regions": "regions", "add_on": "add_on", "bilateral": "bilateral", "valid_from": "valid_from",
    "valid_to": "valid_to", "replaced_by": "replaced_by", "cautions": "cautions",
    "guidance_code": "guidance", "covers_guidance": "covers_guidance", "family": "family",
}

_MIN, _MAX = date.min, date.max
_DAY = timedelta(days=1)
_CANDIDATE_TAG = "packs/.candidate"
_KEEP_NAME = "(name kept from the data the pack overrides)"


# ---------------------------------------------------------------------------------------------------------
# Reading one pack


@dataclass(frozen=True, slots=True)
class PackManifest:
    """pack.yaml: the pack's name, version, code-set year, effective dates, description and checksums."""

    name: str
    version: str
    code_set_year: int
    effective_from: date
    effective_until: date | None
    description: str
    files: Mapping[str, str]

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


class _Labels:
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
    digest = sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(65536), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _pack_files(folder: Path) -> list[str]:
    """Every file below ``folder`` as a POSIX path relative to it; hidden names (.DS_Store, .git) skipped."""
    out: list[str] = []
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if any(part.startswith(".") for part in rel.parts):
            continue
        if path.is_symlink() or path.is_file():
            out.append(rel.as_posix())
    return out


def _allowed_file(rel: str) -> bool:
    parts = PurePosixPath(rel).parts
    if rel in (PACK_MANIFEST, "sources.yaml"):
        return True
    if len(parts) == 2 and parts[0] == "codes" and parts[1].endswith(".yaml"):
        return True
    return len(parts) == 1 and rel.endswith(NOTE_SUFFIXES)


def compute_checksums(folder: Path) -> dict[str, str]:
    """The ``files:`` mapping a pack author pastes into pack.yaml: sha256 of every file but pack.yaml."""
    return {rel: sha256_file(folder / rel) for rel in _pack_files(folder)
            if rel != PACK_MANIFEST and _allowed_file(rel) and not (folder / rel).is_symlink()}


def _read_bytes(path: Path, label: str, problems: list[Problem]) -> bytes | None:
    try:
        if path.is_symlink():
            problems.append(Problem(label, 1, "", "is a link; a pack holds plain files only"))
            return None
        if path.stat().st_size > MAX_FILE_BYTES:
            problems.append(Problem(label, 1, "", f"file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB"))
            return None
        return path.read_bytes()
    except FileNotFoundError:
        problems.append(Problem(label, 1, "", "file is missing"))
    except OSError as exc:
        problems.append(Problem(label, 1, "", f"cannot read the file: {exc.strerror or exc}"))
    return None


def _read_manifest(data: Any, label: str, problems: list[Problem]) -> tuple[PackManifest | None, LineMap | None]:
    if not isinstance(data, LineMap):
        problems.append(Problem(label, 1, "", "pack.yaml must be a mapping of keys (name, version, ...)"))
        return None, None
    before = len(problems)
    r = Reader(problems, label, "pack", data, MANIFEST_KEYS)
    name = r.string("name")
    if len(name) > 80:
        r.problem("name", "'name' must be at most 80 characters")
    version = r.string("version")
    year = r.integer("code_set_year")
    if year and not 2000 <= year <= 2100:
        r.problem("code_set_year", f"code_set_year {year} is not a plausible year")
    description = r.string("description", required=False)
    eff_map = r.mapping("effective")
    start: date | None = None
    until: date | None = None
    if eff_map is None:
        if "effective" not in data:
            r.problem(None, "missing required key 'effective' (with 'from' and optional 'until')")
    else:
        e = Reader(problems, label, "pack effective", eff_map, EFFECTIVE_KEYS)
        start = e.day("from", required=True)
        until = e.day("until")
        if start and until and until < start:
            e.problem("until", f"effective dates end ({until}) before they start ({start})")
        if start and year and start.year != year:
            r.problem("code_set_year", f"code_set_year {year} does not match the effective dates: a pack for "
                      f"code set {year} takes effect in {year}, not on {start.isoformat()}")
    files: dict[str, str] = {}
    files_map = r.mapping("files")
    if files_map is None and "files" not in data:
        r.problem(None, "missing required key 'files' (the sha256 checksum of each file in the pack)")
    for rel, value in (files_map or {}).items():
        line = files_map.line_of(rel) if files_map is not None else data.line
        pure = PurePosixPath(rel)
        if "\\" in rel or pure.is_absolute() or ".." in pure.parts or rel != pure.as_posix():
            problems.append(Problem(label, line, "files", f"{rel!r} is not a plain path inside the pack"))
            continue
        if rel == PACK_MANIFEST:
            problems.append(Problem(label, line, "files", "pack.yaml does not list its own checksum"))
            continue
        if not isinstance(value, str) or not SHA256_RE.match(value.strip().lower()):
            problems.append(Problem(label, line, "files", f"the checksum of {rel} must be 64 hexadecimal "
                                    f"digits (sha256), got {describe(value)}"))
            continue
        files[rel] = value.strip().lower()
    if len(problems) > before or start is None:
        return None, files_map
    return PackManifest(name, version, year, start, until, description, files), files_map


def read_pack(folder: Path, tag: str = _CANDIDATE_TAG) -> tuple[Pack | None, list[Problem]]:
    """Read and check one pack folder on its own (manifest, checksums, schema, duplicates, dates).

    Problems name files as ``<tag>/<file>``; references to codes and sources outside the pack are
    checked later, on the merged data (:func:`apply_packs`).
    """
    labels = _Labels(tag)
    problems: list[Problem] = []
    man_label = labels(PACK_MANIFEST)
    if not folder.is_dir():
        problems.append(Problem(man_label, 1, "", f"{folder} is not a folder"))
        return None, problems
    raw_manifest = _read_bytes(folder / PACK_MANIFEST, man_label, problems)
    manifest: PackManifest | None = None
    files_map: LineMap | None = None
    if raw_manifest is not None:
        data = parse_bytes(raw_manifest, man_label, problems)
        if data is not UNREADABLE:
            manifest, files_map = _read_manifest(data, man_label, problems)

    listed = manifest.files if manifest is not None else {}
    present = _pack_files(folder)
    contents: dict[str, bytes] = {}
    for rel in present:
        if rel == PACK_MANIFEST:
            continue
        if not _allowed_file(rel):
            problems.append(Problem(labels(rel), 1, "", "unexpected file: a pack holds pack.yaml, sources.yaml, "
                                    "codes/*.yaml and optional notes (*.md, *.txt) beside pack.yaml"))
            continue
        raw = _read_bytes(folder / rel, labels(rel), problems)
        if raw is None:
            continue
        contents[rel] = raw
        if files_map is None:
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
    if files_map is not None:
        for rel in files_map:
            if rel in listed and rel not in present:
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

    entries: list[PackEntry] = []
    code_files = [rel for rel in contents if rel.startswith("codes/")]
    if not code_files:
        problems.append(Problem(labels("codes/"), 1, "", "no code files (codes/*.yaml) found"))
    for rel in code_files:
        label = labels(rel)
        cdata = parse_bytes(contents[rel], label, problems)
        entries.extend(_read_entries(cdata, label, problems, origin))

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
    if problems or manifest is None:
        return None, problems
    return Pack(folder, tag, manifest, sources, source_lines, tuple(entries)), problems


def _read_entries(data: Any, label: str, problems: list[Problem], origin: str) -> list[PackEntry]:
    out: list[PackEntry] = []
    for item in record_mappings(data, label, problems):
        keys = frozenset(item.keys())
        if "name" not in item:  # an override may keep the existing name; a new code must have one (checked
            item = _with_key(item, "name", _KEEP_NAME)  # on the merged data, where "new" is known)
        rec = read_record(problems, label, item, origin)
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
        if outside:
            problems.append(Problem(p.location.file, p.location.line, f"{rec.code} guidance rule {i}",
                                    f"rule dates {_span(p.start, p.end)} are outside the pack's effective dates "
                                    f"{manifest.effective_label}"))


# ---------------------------------------------------------------------------------------------------------
# Merging


def _clip(policy: Policy, manifest: PackManifest) -> Policy:
    return replace(policy, start=policy.start or manifest.effective_from,
                   end=policy.end if policy.end is not None else manifest.effective_until)


def _subtract(spans: list[tuple[date, date]], cut: tuple[date, date]) -> list[tuple[date, date]]:
    a, b = cut
    out: list[tuple[date, date]] = []
    for s, e in spans:
        if b < s or a > e:
            out.append((s, e))
            continue
        if a > s:
            out.append((s, a - _DAY))
        if b < e:
            out.append((b + _DAY, e))
    return out


def splice_policies(existing: Sequence[Policy], incoming: Sequence[Policy]) -> tuple[Policy, ...]:
    """``existing`` rules with every (modality, date range) of ``incoming`` cut out, then ``incoming``.

    An existing rule for several modalities is split by modality where only some are cut; a rule whose
    range is cut in the middle becomes two rules. Dates are whole days, both ends inclusive.
    """
    cuts: dict[Modality, list[tuple[date, date]]] = {}
    for p in incoming:
        for m in p.modalities:
            cuts.setdefault(m, []).append((p.start or _MIN, p.end or _MAX))
    out: list[Policy] = []
    for p in existing:
        pieces: dict[tuple[date, date], list[Modality]] = {}
        for m in p.modalities:
            spans = [(p.start or _MIN, p.end or _MAX)]
            for cut in cuts.get(m, []):
                spans = _subtract(spans, cut)
            for span in spans:
                pieces.setdefault(span, []).append(m)
        for (s, e), mods in pieces.items():
            out.append(replace(p, modalities=tuple(mods), start=None if s == _MIN else s,
                               end=None if e == _MAX else e))
    out.extend(incoming)
    out.sort(key=lambda p: (p.start or _MIN, p.modalities))
    return tuple(out)


def _check_merged_record(rec: CodeRecord, problems: list[Problem]) -> None:
    """The record-level rules of the loader, again, for a record whose fields came from two places."""
    loc, code = rec.location, rec.code

    def problem(message: str) -> None:
        problems.append(Problem(loc.file, loc.line, code, message))

    if rec.kind == "guidance" and rec.guidance is None:
        problem("after this pack the record is of kind 'guidance' but has no 'guidance_code' section")
    if rec.kind != "guidance" and rec.guidance is not None:
        problem(f"after this pack the record is of kind {rec.kind!r} but keeps a 'guidance_code' section")
    if rec.kind == "guidance" and rec.policies:
        problem("after this pack the record is a guidance code but has guidance rules")
    if rec.regions and not rec.spinal:
        problem("after this pack the record has 'regions' but is not spinal (spinal: true)")
    if rec.valid_from and rec.valid_to and rec.valid_from > rec.valid_to:
        problem(f"after this pack valid_to {rec.valid_to} is before valid_from {rec.valid_from}")
    if rec.replaced_by and rec.valid_to is None:
        problem("after this pack 'replaced_by' has no 'valid_to'")
    check_overlaps(problems, loc.file, code, rec.policies)


def _override(base: CodeRecord, entry: PackEntry, incoming: tuple[Policy, ...], origin: str) -> CodeRecord:
    changes: dict[str, Any] = {OVERRIDE_FIELDS[k]: getattr(entry.record, OVERRIDE_FIELDS[k])
                               for k in entry.keys if k in OVERRIDE_FIELDS}
    return replace(base, **changes, policies=splice_policies(base.policies, incoming),
                   location=entry.record.location, origin=origin)


@dataclass(slots=True)
class _State:
    """The merged data while packs are applied one after another."""

    records: dict[str, CodeRecord]
    sources: dict[str, Source]
    source_owner: dict[str, str]
    code_set_year: int
    applied: list[PackInfo] = field(default_factory=list)


def _apply_one(state: _State, pack: Pack) -> tuple[_State | None, list[Problem]]:
    problems: list[Problem] = []
    labels = _Labels(pack.tag)
    sources = dict(state.sources)
    owners = dict(state.source_owner)
    for sid, src in pack.sources.items():
        if sid in sources:
            problems.append(Problem(labels("sources.yaml"), pack.source_lines.get(sid, 1), sid,
                                    f"source {sid} is already defined by {owners[sid]}; give this source "
                                    "another id"))
        else:
            sources[sid] = src
            owners[sid] = f"data pack {pack.manifest.name!r}"
    records = dict(state.records)
    for entry in pack.entries:
        incoming = tuple(_clip(p, pack.manifest) for p in entry.record.policies)
        base = records.get(entry.record.code)
        if base is None:
            merged = replace(entry.record, policies=incoming)
            if "name" not in entry.keys:
                loc = entry.record.location
                problems.append(Problem(loc.file, loc.line, entry.record.code,
                                        f"missing required key 'name': {entry.record.code} is a new code (only a "
                                        "record that overrides an existing code may leave the name out)"))
        else:
            merged = _override(base, entry, incoming, pack.manifest.name)
            _check_merged_record(merged, problems)
        records[merged.code] = merged
    check_references(list(records.values()), sources, problems)
    if problems:
        return None, problems
    year = max(state.code_set_year, pack.manifest.code_set_year)
    return _State(records, sources, owners, year, [*state.applied, pack.manifest.info]), problems


def _start_state(base: Catalog) -> _State:
    return _State(dict(base.by_code), dict(base.sources), dict.fromkeys(base.sources, "the built-in data"),
                  base.code_set_year)


def _catalog(base: Catalog, state: _State) -> Catalog:
    if not state.applied:
        return base
    manifest = Manifest(base.data_version, state.code_set_year, base.covers_from, "")
    builtin = [p for p in base.packs if p.builtin] or [PackInfo("GuideCode built-in data", base.data_version,
                                                                base.code_set_year, True)]
    return build_catalog(manifest, state.sources, list(state.records.values()), [*builtin, *state.applied])


def _order_key(pack: Pack) -> tuple[date, str, str]:
    return pack.manifest.effective_from, pack.manifest.name.casefold(), pack.folder.name


def apply_packs(base: Catalog, packs: Sequence[Pack]) -> tuple[Catalog, dict[str, list[Problem]]]:
    """Apply ``packs`` to ``base`` in order (effective.from, name). Returns the merged catalog and, for
    every skipped pack (by tag), its problems. Pack problems keep their internal labels."""
    state = _start_state(base)
    skipped: dict[str, list[Problem]] = {}
    names: dict[str, Pack] = {}
    for pack in sorted(packs, key=_order_key):
        other = names.get(pack.manifest.name.casefold())
        if other is not None:
            skipped[pack.tag] = [Problem(f"{pack.tag}/{PACK_MANIFEST}", 1, "name",
                                         f"another pack is already named {pack.manifest.name!r} "
                                         f"(folder {other.folder.name}); only one is used")]
            continue
        new_state, problems = _apply_one(state, pack)
        if new_state is None:
            skipped[pack.tag] = problems
            continue
        state = new_state
        names[pack.manifest.name.casefold()] = pack
    return _catalog(base, state), skipped


# ---------------------------------------------------------------------------------------------------------
# Validating, importing and removing


def validate_pack(folder: Path, *, data_dir: Path | None = None, base: Catalog | None = None,
                  replace_same_name: bool = True) -> tuple[PackManifest | None, list[Problem]]:
    """Check ``folder`` fully, as it would be applied: on the built-in data, and when ``data_dir`` is given
    together with that folder's enabled packs (a pack of the same name is left out: importing replaces it).

    Problems in the pack's own files are named relative to the pack (``codes/x.yaml``); problems the pack
    causes elsewhere name ``built-in/<file>`` or the other pack's folder. The pack is valid if the list is
    empty. Installing it must also not make another installed pack fail; that is reported too.
    """
    if base is None:
        from desktop.core.data import load_builtin

        base = load_builtin()
    pack, problems = read_pack(folder, _CANDIDATE_TAG)
    prefixes: dict[str, str] = {_CANDIDATE_TAG: ""}
    if pack is None:
        return None, [display_problem(p, prefixes) for p in problems]
    others: list[Pack] = []
    if data_dir is not None:
        found, disabled, state_problems = scan_packs(data_dir)
        if not state_problems:
            for path, tag, shown in found:
                if path.name in disabled:
                    continue
                other, other_problems = read_pack(path, tag)
                if other is None:
                    continue
                if replace_same_name and other.manifest.name.casefold() == pack.manifest.name.casefold():
                    continue
                others.append(other)
                prefixes[tag] = shown
    _, before = apply_packs(base, others)
    _, after = apply_packs(base, [*others, pack])
    out = list(after.get(_CANDIDATE_TAG, []))
    for other in others:
        if other.tag in after and other.tag not in before:
            name = other.manifest.name
            out.extend(replace(p, message=f"{p.message} (installing this pack would make the installed pack "
                                          f"{name!r} fail)") for p in after[other.tag])
    return pack.manifest, [display_problem(p, prefixes) for p in out]


class PackRefused(Exception):
    """A pack failed validation; nothing was changed. ``problems`` lists every problem."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__(f"the data pack is not valid ({len(self.problems)} problem(s))")


@dataclass(frozen=True, slots=True)
class ImportResult:
    """An installed pack: the folder it went to, its manifest, and the folder of a pack it replaced."""

    folder: str
    manifest: PackManifest
    replaced: str | None


def _slug(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.casefold()).strip("-")
    return slug[:60] or "pack"


def import_pack(source: Path, data_dir: Path, *, base: Catalog | None = None) -> ImportResult:
    """Validate ``source`` fully, then copy it into ``data_dir/packs/``. A pack with the same name is
    replaced (its folder is swapped only after the copy is complete and checked again). Raises
    :class:`PackRefused` listing every problem, having changed nothing, if the pack is not valid."""
    manifest, problems = validate_pack(source, data_dir=data_dir, base=base)
    if problems or manifest is None:
        raise PackRefused(problems)
    root = data_dir / PACKS_SUBDIR
    replaced: str | None = None
    if root.is_dir():
        for path in sorted(root.iterdir()):
            if path.is_dir() and not path.name.startswith("."):
                other, _ = read_pack(path, f"packs/{path.name}")
                same = other is not None and other.manifest.name.casefold() == manifest.name.casefold()
                if same or (other is None and path.name == _slug(manifest.name)):
                    replaced = path.name
                    break
    target_name = replaced or _slug(manifest.name)
    n = 2
    while replaced is None and (root / target_name).exists():
        target_name = f"{_slug(manifest.name)}-{n}"
        n += 1
    import shutil
    import uuid

    root.mkdir(parents=True, exist_ok=True)
    token = uuid.uuid4().hex
    staging = root / f".import-{token}"
    try:
        for rel in [PACK_MANIFEST, *manifest.files]:
            dest = staging / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source / rel, dest)
        copied, copy_problems = read_pack(staging, _CANDIDATE_TAG)
        if copied is None or copied.manifest != manifest:
            raise PackRefused([display_problem(p, {_CANDIDATE_TAG: ""}) for p in copy_problems] or [
                Problem(PACK_MANIFEST, 1, "", "the pack changed while it was being copied; try again")])
        target = root / target_name
        if target.exists():
            old = root / f".old-{token}"
            os.replace(target, old)
            try:
                os.replace(staging, target)
            except OSError:
                os.replace(old, target)
                raise
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(staging, target)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    disabled, state_problems = read_state(data_dir)
    if target_name in disabled and not state_problems:
        set_enabled(data_dir, target_name, True)
    return ImportResult(target_name, manifest, replaced)


def remove_pack(data_dir: Path, folder: str) -> None:
    """Delete an installed pack folder (and forget its on/off state)."""
    import shutil
    import uuid

    root = data_dir / PACKS_SUBDIR
    target = root / folder
    if folder in ("", ".", "..") or "/" in folder or "\\" in folder or target.parent != root or not target.is_dir():
        raise ValueError(f"no installed data pack in folder {folder!r}")
    trash = root / f".remove-{uuid.uuid4().hex}"
    os.replace(target, trash)
    shutil.rmtree(trash, ignore_errors=True)
    disabled, problems = read_state(data_dir)
    if folder in disabled and not problems:
        set_enabled(data_dir, folder, True)


def format_problems(problems: Iterable[Problem]) -> str:
    return "\n".join(str(p) for p in problems)


__all__ = [
    "DataError", "ImportResult", "LoadReport", "Pack", "PackEntry", "PackManifest", "PackRefused",
    "PackStatus", "apply_packs", "compute_checksums", "format_problems", "import_pack", "load_report",
    "load_with_packs", "pack_folders", "read_pack", "read_state", "remove_pack", "set_enabled",
    "splice_policies", "validate_pack",
]
