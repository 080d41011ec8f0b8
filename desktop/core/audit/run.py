"""Auditing a whole input, streaming: claim lines in (from CSV or 837P), findings and a summary out.

Lines are grouped into encounters by claim id and date of service. Claims files list a claim's lines
together, so a group is checked as soon as the next line belongs to another claim or date, and memory stays
flat with the file's size: what is kept is the findings, and a set of the encounters already checked (as
hashes). When an encounter's lines turn out not to be together (a claim id and date seen again after it was
checked), the audit is run a second time over the input, holding the lines of just those encounters until the
end, so the result is the same as if the file had been sorted.

Notes (inferences and reminders repeated on many claims: ``modality_inferred``, ``caution``,
``unknown_code``, ``date_after_data``) are folded into one finding per kind (per code for cautions and
unknown codes) with a count; the summary keeps the counts before folding.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Final

from desktop.core.audit.checks import audit_encounter
from desktop.core.audit.claims import (
    AuditInputError,
    AuditOptions,
    ClaimLine,
    ReadStats,
    TextInput,
    iter_csv_claims,
    open_claims_bytes,
    open_claims_path,
)
from desktop.core.audit.findings import (
    KINDS,
    NOTE_KINDS,
    SEVERITIES,
    SEVERITY_RANK,
    AuditProgress,
    AuditReport,
    AuditSummary,
    CancelFn,
    Finding,
    ProgressFn,
    group,
    plural,
)
from desktop.core.audit.ncci import choice_for
from desktop.core.model import Catalog, Payer

PROGRESS_EVERY: Final = 1000
MAX_EXAMPLES: Final = 5
MAX_KEPT_CLAIMS: Final = 500_000
_PER_CODE_FOLD: Final = frozenset({"caution", "unknown_code"})
_PER_ENCOUNTER_FOLD: Final = frozenset({"ncci_not_checked", "mue_other_payer"})


# ---------------------------------------------------------------------------------------------------------
# Folding notes


@dataclass(slots=True)
class _Fold:
    first: Finding
    count: int = 0
    claims: int = 0  # distinct claims, counted as the claim id changes (a claim's findings come together)
    last_claim: str = "\x00"
    codes: Counter[str] = field(default_factory=Counter)
    code_expected: dict[str, str] = field(default_factory=dict)
    sources: dict[str, None] = field(default_factory=dict)
    examples: list[str] = field(default_factory=list)

    def note(self, t: Finding, claim: str) -> None:
        """One more occurrence like ``t`` (a template) on ``claim``, after the fold's first."""
        self.count += t.count
        if claim != self.last_claim:
            self.claims += 1
            self.last_claim = claim
        code = _code_of(t)
        self.codes[code] += t.count
        if t.expected and code not in self.code_expected:
            self.code_expected[code] = t.expected
        for s in t.sources:
            if s not in self.sources:
                self.sources[s] = None
        if claim and len(self.examples) < MAX_EXAMPLES and claim not in self.examples:
            self.examples.append(claim)

    def add(self, f: Finding) -> None:
        self.count += f.count
        if f.claim_id != self.last_claim:
            self.claims += 1
            self.last_claim = f.claim_id
        code = _code_of(f)
        self.codes[code] += f.count
        if f.expected and code not in self.code_expected:
            self.code_expected[code] = f.expected
        for s in f.sources:
            self.sources[s] = None
        if f.claim_id and len(self.examples) < MAX_EXAMPLES and f.claim_id not in self.examples:
            self.examples.append(f.claim_id)
        if f.line < self.first.line:
            self.first = f


_CODES_OF: dict[str, str] = {}


def _code_of(f: Finding) -> str:
    """The code a finding's ``billed`` starts with (``77003-26 ×1`` -> 77003), remembered per text (notes repeat
    the same few texts on many claims)."""
    code = _CODES_OF.get(f.billed)
    if code is None:
        code = f.billed.split(" ", 1)[0].split("-", 1)[0] if f.billed else ""
        if len(_CODES_OF) < 10_000:
            _CODES_OF[f.billed] = code
    return code


def _codes_text(fold: _Fold, arrow: bool, limit: int = 8) -> str:
    parts = []
    for code, n in fold.codes.most_common(limit):
        if not code:
            continue
        to = fold.code_expected.get(code)
        parts.append(f"{code} \u00d7{group(n)}" + (f" (no imaging: {to})" if arrow and to else ""))
    more = len(fold.codes) - limit
    return ", ".join(parts) + (f" and {plural(more, 'other code')}" if more > 0 else "")


def _folded(kind: str, fold: _Fold) -> Finding:
    f = fold.first
    n, claims = fold.count, fold.claims
    where = f"{plural(n, 'line')} on {plural(claims, 'claim')}; first at {f.place or 'line ' + str(f.line)}"
    examples = f" Claims: {', '.join(fold.examples)}{' …' if claims > len(fold.examples) else ''}."
    if kind == "modality_inferred":
        msg = (f"No guidance code was billed with these procedures, so no imaging was inferred ({where}): "
               f"{_codes_text(fold, True)}. With no imaging the rules give the code in brackets; if imaging was "
               "used (the claim cannot show it), the code is right as billed. Check the procedure notes."
               + examples)
    elif kind == "unknown_code":
        code = _code_of(f)
        msg = (f"{code} is not in GuideCode's data, so it was not checked ({where}); the other lines of those "
               "claims were." if n > 1 else f.message)
    elif kind == "caution":
        msg = f.message if n == 1 else f"{f.message} ({where}.)"
    elif kind == "date_after_data":
        msg = (f.message if n == 1 else
               f"{plural(n, 'encounter')} ({plural(claims, 'claim')}) are dated after the data's code-set year: "
               f"the rules may have changed since. First: {f.message}")
    elif kind in _PER_ENCOUNTER_FOLD:  # one finding per pair or code of an encounter, not per line
        where = f"{plural(n, 'time')} on {plural(claims, 'claim')}; first at {f.place or 'line ' + str(f.line)}"
        if kind == "ncci_not_checked":
            msg = (f.message if n == 1 else
                   f"NCCI pair edits not checked for {plural(n, 'code pair')} on {plural(claims, 'claim')} (first "
                   f"at {f.place or 'line ' + str(f.line)}): {_codes_text(fold, False)}. {f.reason}" + examples)
        else:
            msg = (f.message if n == 1 else
                   f"Units above CMS's MUE on {plural(claims, 'claim')} of payers other than Medicare ({where}): "
                   f"{_codes_text(fold, False)}. First: {f.message}" + examples)
    elif kind == "images_not_stated":
        msg = (f.message if n == 1 else
               f"Ultrasound guidance is billed on {plural(claims, 'claim')} that do not say whether the images "
               f"were recorded ({where}): {_codes_text(fold, False)}. {f.message.split(': ', 1)[-1]}" + examples)
    else:
        msg = f"{f.message} ({where})"
    return replace(f, message=msg, expected="" if kind == "modality_inferred" else f.expected,
                   billed=f.billed if n == 1 or kind in _PER_CODE_FOLD else _codes_text(fold, False, 4), count=n,
                   sources=tuple(fold.sources), where=f.place if n == 1 else where,
                   modality="" if n > 1 else f.modality)


class _Collector:
    """Findings as they come: notes folded, every other finding kept; counts before folding."""

    def __init__(self) -> None:
        self.findings: list[Finding] = []
        self.raw_by_kind: Counter[str] = Counter()
        self.raw_by_severity: Counter[str] = Counter()
        self.folds: dict[tuple[str, str], _Fold] = {}
        self.error_claims = 0
        self._last_error_claim = "\x00"

    def add(self, f: Finding) -> None:
        self.raw_by_kind[f.kind] += f.count
        self.raw_by_severity[f.severity] += f.count
        if f.severity == "error" and f.claim_id != self._last_error_claim:
            self.error_claims += 1  # counted as the claim id changes (a claim's findings come together)
            self._last_error_claim = f.claim_id
        if f.kind in NOTE_KINDS:
            key = (f.kind, _code_of(f) if f.kind in _PER_CODE_FOLD else "")
            fold = self.folds.get(key)
            if fold is None:
                fold = self.folds[key] = _Fold(f)
            fold.add(f)
        else:
            self.findings.append(f)

    def add_note(self, t: Finding, claim: str, line: int, iso: str, billed: str) -> None:
        """A note from a cached template: folded without building a finding unless it becomes the fold's first."""
        key = (t.kind, _code_of(t) if t.kind in _PER_CODE_FOLD else "")
        fold = self.folds.get(key)
        self.raw_by_kind[t.kind] += t.count
        self.raw_by_severity[t.severity] += t.count
        if fold is not None and line >= fold.first.line:
            fold.note(t, claim)
            return
        self.add(Finding(claim, line, t.severity, t.kind, t.message, billed, t.expected, t.reason, t.sources,
                         t.confidence, iso, t.modality, "", t.count, t.ncci))
        self.raw_by_kind[t.kind] -= t.count  # counted once, above
        self.raw_by_severity[t.severity] -= t.count

    @property
    def count(self) -> int:
        return len(self.findings) + len(self.folds)

    def result(self) -> list[Finding]:
        out = list(self.findings)
        out.extend(_folded(kind, fold) for (kind, _), fold in self.folds.items())
        out.sort(key=lambda f: (f.line, SEVERITY_RANK[f.severity], f.kind))
        return out


# ---------------------------------------------------------------------------------------------------------
# Checking encounters, with a cache: a practice bills the same few shapes of encounter over and over


def _dates_in(obj: object, out: set[date], depth: int = 0) -> None:
    if depth > 12:
        return
    if isinstance(obj, date):
        out.add(obj)
    elif isinstance(obj, (str, int, float, bytes, type(None))):
        return
    elif isinstance(obj, dict):
        for v in obj.values():
            _dates_in(v, out, depth + 1)
    elif isinstance(obj, (tuple, list, frozenset, set)):
        for v in obj:
            _dates_in(v, out, depth + 1)
    elif hasattr(obj, "__dataclass_fields__"):
        for name in obj.__dataclass_fields__:
            _dates_in(getattr(obj, name, None), out, depth + 1)


def date_boundaries(catalog: Catalog) -> list[date]:
    """Every date at which some rule of the catalog starts or ends (each date the data holds, the day after
    it, the coverage start and the first day after the code-set year): between two of them, the rules answer
    an encounter the same way whatever its date."""
    found: set[date] = set()
    _dates_in(catalog, found)
    edges = set(found)
    for d in found:
        with contextlib.suppress(ValueError, OverflowError):
            edges.add(date.fromordinal(d.toordinal() + 1))
    edges.add(catalog.covers_from)
    edges.add(date(min(catalog.code_set_year + 1, 9999), 1, 1))
    return sorted(edges)


Templates = tuple[tuple[int, Finding, bool], ...]
_CLAIM_MARK: Final = "\u2063claim\u2063"
_LINE_BASE: Final = 987_650_000
_CACHE_MAX: Final = 50_000


class EncounterChecker:
    """:func:`~desktop.core.audit.checks.audit_encounter` with a cache keyed by the encounter's shape (every
    line's place of service, code, modifiers, units and payer, in order, the default payer) and the span of
    dates between two rule boundaries (:func:`date_boundaries`). A shape is checked once with a marked claim id
    and marked line numbers; when no finding's text names the claim, a line number or the date, its findings
    are kept as templates and given each later encounter's claim id, lines and date. Otherwise that shape is
    always checked afresh."""

    def __init__(self, catalog: Catalog, payer: Payer) -> None:
        self.catalog = catalog
        self.payer = payer
        self._edges = date_boundaries(catalog)
        self._cache: dict[tuple[object, ...], Templates | None] = {}
        self.hits = 0
        self.misses = 0

    def __call__(self, group: Sequence[ClaimLine]) -> list[Finding]:
        templates = self.templates(group)
        if templates is None:
            out: list[Finding] = []
            audit_encounter(self.catalog, group, self.payer, out)
            return out
        claim, iso = group[0].claim_id, group[0].date_of_service.isoformat()
        return [Finding(claim, group[i].line, f.severity, f.kind, f.message, group[i].billed if rebill else f.billed,
                        f.expected, f.reason, f.sources, f.confidence, iso, f.modality, group[i].where, f.count,
                        f.ncci)
                for i, f, rebill in templates]

    def templates(self, group: Sequence[ClaimLine]) -> Templates | None:
        """The cached findings of this encounter's shape, as (index of the line, finding with marked claim id
        and line, whether its ``billed`` is that line's), or None when the shape must be checked afresh.

        The shape leaves out the units of a code the data does not know (a drug line's 1 to 8 units): such a
        line only ever gives findings about itself, whose billed text is taken from the line."""
        from bisect import bisect_right

        dos = group[0].date_of_service
        known = self.catalog.by_code
        key = (bisect_right(self._edges, dos), self.payer,
               tuple((ln.place_of_service, ln.code, ln.modifiers, ln.units if ln.code in known else 0, ln.payer,
                      ln.images_recorded) for ln in group))
        if key in self._cache:
            templates = self._cache[key]
            self.hits += 1
        else:
            self.misses += 1
            templates = self._learn(group, dos)
            if len(self._cache) < _CACHE_MAX:
                self._cache[key] = templates
        return templates

    def _learn(self, group: Sequence[ClaimLine], dos: date) -> Templates | None:
        marked = [replace(ln, claim_id=_CLAIM_MARK, line=_LINE_BASE + i, where="") for i, ln in enumerate(group)]
        out: list[Finding] = []
        audit_encounter(self.catalog, marked, self.payer, out)
        iso = dos.isoformat()
        mark_line = str(_LINE_BASE)[:4]
        known = self.catalog.by_code
        unknown_billed = {ln.billed for ln in marked if ln.code not in known}
        templates: list[tuple[int, Finding, bool]] = []
        for f in out:
            text = "\x1f".join((f.message, f.billed, f.expected, f.reason, f.modality))
            if _CLAIM_MARK in text or mark_line in text or iso in text or not (
                    _LINE_BASE <= f.line < _LINE_BASE + len(group)) or f.claim_id != _CLAIM_MARK:
                return None
            i = f.line - _LINE_BASE
            rebill = marked[i].code not in known
            if rebill and f.billed != marked[i].billed:
                return None  # a finding on an unknown code's line that does not bill that line: check afresh
            other = "\x1f".join((f.message, f.expected, f.reason, f.modality) if rebill else (text,))
            if any(b in other for b in unknown_billed):
                return None  # a text that quotes an unknown code's units: they are not in the shape
            templates.append((i, f, rebill))
        return tuple(templates)


# ---------------------------------------------------------------------------------------------------------
# Driving the audit

ItemSource = Callable[[ReadStats], Iterator[ClaimLine | Finding]]


@dataclass(slots=True)
class _TablesUsed:
    """NCCI tables that answered some of the audit's dates (all dates outside their quarter, or all inside), and
    how many encounters they answered."""

    label: str
    outside: bool
    sources: tuple[str, ...]
    encounters: int = 0


@dataclass(slots=True)
class _NcciCount:
    """Which NCCI tables answered the audit's encounters, and which encounters are dated outside those tables'
    quarter (the engine warns on each; the report says it once, with the count)."""

    groups: dict[tuple[str, bool], _TablesUsed] = field(default_factory=dict)
    by_date: dict[date, _TablesUsed] = field(default_factory=dict)  # a cache of the group of each date
    outside: int = 0
    outside_claims: int = 0  # counted as the claim id changes (a claim's encounters come together), no set kept
    last_claim: str = "\x00"
    outside_first: ClaimLine | None = None
    outside_from: date | None = None
    outside_to: date | None = None

    def _group(self, catalog: Catalog, d: date) -> _TablesUsed:
        choice = choice_for(catalog, d) if d >= catalog.covers_from else None
        key = (choice.tables.label, choice.outside_quarter) if choice is not None else ("", False)
        group = self.groups.get(key)
        if group is None:
            sources = tuple(v.source for v in choice.tables.versions) if choice is not None else ()
            group = self.groups[key] = _TablesUsed(key[0], key[1], sources)
        return group

    def note(self, catalog: Catalog, first: ClaimLine) -> None:
        d = first.date_of_service
        group = self.by_date.get(d)
        if group is None:
            group = self._group(catalog, d)
            if len(self.by_date) < 100_000:
                self.by_date[d] = group
        group.encounters += 1
        if not group.outside:
            return
        self.outside += 1
        if first.claim_id != self.last_claim:
            self.outside_claims += 1
            self.last_claim = first.claim_id
        if self.outside_first is None or first.line < self.outside_first.line:
            self.outside_first = first
        if self.outside_from is None or d < self.outside_from:
            self.outside_from = d
        if self.outside_to is None or d > self.outside_to:
            self.outside_to = d

    @property
    def used(self) -> dict[str, int]:
        """Tables' label -> the encounters they answered."""
        out: dict[str, int] = {}
        for g in self.groups.values():
            if g.label and g.encounters:
                out[g.label] = out.get(g.label, 0) + g.encounters
        return out

    @property
    def outside_labels(self) -> dict[str, tuple[str, ...]]:
        return {g.label: g.sources for g in self.groups.values() if g.outside and g.encounters}

    def _span(self) -> tuple[str, str]:
        return (self.outside_from.isoformat() if self.outside_from else "",
                self.outside_to.isoformat() if self.outside_to else "")

    def warning(self) -> str:
        if not self.outside:
            return ""
        lo, hi = self._span()
        span = f"date of service {lo}" if lo == hi else f"dates of service {lo} to {hi}"
        return (f"{plural(self.outside, 'encounter')} on {plural(self.outside_claims, 'claim')} ({span}) "
                f"{'is' if self.outside == 1 else 'are'} outside the quarter of the NCCI tables that "
                f"answered {'it' if self.outside == 1 else 'them'} ({' | '.join(self.outside_labels)}): the edits "
                "and MUEs may differ on those dates. Import the NCCI files of those quarters (python -m desktop "
                "import-ncci, or File \u2192 Import NCCI edits\u2026 in the window) and audit again.")

    def finding(self) -> Finding | None:
        """The one finding that says how many encounters are outside the quarter (not one per claim)."""
        first = self.outside_first
        if not self.outside or first is None:
            return None
        where = f"first: {first.where}" if first.where else f"first: claim {first.claim_id}, line {first.line}"
        return Finding("", first.line, "warning", "ncci_outside_quarter", self.warning(), where=where,
                       sources=tuple(dict.fromkeys(s for v in self.outside_labels.values() for s in v)),
                       confidence="high", reason="CMS changes the NCCI edits and MUEs every quarter; a date of "
                       "service is answered by the tables of the quarter that covers it, else by the nearest earlier "
                       "quarter's, with this warning (docs/ncci.md).", count=self.outside,
                       ncci=" | ".join(self.outside_labels))


@dataclass(slots=True)
class _Pass:
    """One pass over the input."""

    catalog: Catalog
    payer: Payer
    hold: frozenset[int]  # encounters (key hashes) whose lines are not together: checked at the end
    progress: ProgressFn | None
    progress_every: int
    cancel: CancelFn | None
    position: Callable[[], int]
    size: int
    collector: _Collector = field(default_factory=_Collector)
    checker: EncounterChecker | None = None
    keep: dict[tuple[str, str], tuple[ClaimLine, ...]] | None = None
    seen: set[int] = field(default_factory=set)
    split: set[int] = field(default_factory=set)
    claims: set[int] = field(default_factory=set)
    encounters: int = 0
    lines: int = 0
    first: date | None = None
    last: date | None = None
    cancelled: bool = False
    ncci: _NcciCount = field(default_factory=lambda: _NcciCount())

    def check(self, group: list[ClaimLine]) -> None:
        if self.checker is None:
            self.checker = EncounterChecker(self.catalog, self.payer)
        templates = self.checker.templates(group)
        if templates is not None and not group[0].where:  # the usual case: reuse the shape's findings
            self._check_cached(group, templates)
            return
        out = self.checker(group)
        self.encounters += 1
        self.claims.add(hash(group[0].claim_id))
        self.ncci.note(self.catalog, group[0])
        d = group[0].date_of_service
        if self.first is None or d < self.first:
            self.first = d
        if self.last is None or d > self.last:
            self.last = d
        if out and self.keep is not None and len(self.keep) < MAX_KEPT_CLAIMS:
            self.keep[(group[0].claim_id, d.isoformat())] = tuple(group)
        where = {ln.line: ln.where for ln in group if ln.where} if group[0].where else None
        add = self.collector.add
        for f in out:
            if where and not f.where and f.line in where:
                f = replace(f, where=where[f.line])
            add(f)

    def _check_cached(self, group: list[ClaimLine], templates: Templates) -> None:
        self.encounters += 1
        first = group[0]
        self.claims.add(hash(first.claim_id))
        self.ncci.note(self.catalog, first)
        d = first.date_of_service
        if self.first is None or d < self.first:
            self.first = d
        if self.last is None or d > self.last:
            self.last = d
        if not templates:
            return
        if self.keep is not None and len(self.keep) < MAX_KEPT_CLAIMS:
            self.keep[(first.claim_id, d.isoformat())] = tuple(group)
        claim, iso = first.claim_id, d.isoformat()
        c = self.collector
        for i, t, rebill in templates:
            if t.kind in NOTE_KINDS:
                c.add_note(t, claim, group[i].line, iso, group[i].billed if rebill else t.billed)
            else:
                c.add(Finding(claim, group[i].line, t.severity, t.kind, t.message,
                              group[i].billed if rebill else t.billed, t.expected, t.reason, t.sources, t.confidence,
                              iso, t.modality, "", t.count, t.ncci))

    def tick(self, stats: ReadStats) -> None:
        if self.progress is not None:
            self.progress(AuditProgress(stats.rows, self.position(), self.size, len(self.claims),
                                        self.collector.count))

    def run(self, items: Iterable[ClaimLine | Finding], stats: ReadStats) -> None:
        current: list[ClaimLine] = []
        key: tuple[str, date] | None = None
        held: dict[tuple[str, date], list[ClaimLine]] = {}
        next_tick = self.progress_every
        for item in items:
            if isinstance(item, Finding):
                self.collector.add(item)
                continue
            self.lines += 1
            k = (item.claim_id, item.date_of_service)
            if k == key:
                current.append(item)
            else:
                if current:
                    self.check(current)
                h = hash(k)
                if self.hold and h in self.hold:
                    held.setdefault(k, []).append(item)
                    current, key = [], None
                else:
                    if h in self.seen:
                        self.split.add(h)
                    self.seen.add(h)
                    current, key = [item], k
            if self.lines >= next_tick:
                next_tick += self.progress_every
                self.tick(stats)
                if self.cancel is not None and self.cancel():
                    self.cancelled = True
                    break
        if current and not self.cancelled:
            self.check(current)
        if not self.cancelled:
            for lines in held.values():
                if self.cancel is not None and self.cancel():
                    self.cancelled = True
                    break
                self.check(lines)
        if not self.cancelled:
            self.tick(stats)


def _ncci_label(catalog: Catalog) -> str:
    """The NCCI tables the engine answered with (it applies their edits to what the rules give), or ""."""
    ncci = getattr(catalog, "ncci", None)
    versions = getattr(ncci, "versions", ()) if ncci is not None else ()
    return "; ".join(str(getattr(v, "label", v)) for v in versions)


def _unreadable(stats: ReadStats) -> Finding | None:
    if not stats.replaced_lines:
        return None
    line = stats.first_replaced_line
    return Finding("", line, "warning", "unreadable_text",
                   f"{plural(stats.replaced_lines, 'line')} (first: line {line}) had bytes that are not valid "
                   f"{stats.encoding} text; they were read with a replacement character. If claim ids, codes or "
                   "dates on those lines look wrong, audit again with the file's encoding (e.g. --encoding "
                   "cp1252).", where=f"line {line}", count=stats.replaced_lines)


def audit_items(catalog: Catalog, source: ItemSource, *, payer: Payer = "other",
                progress: ProgressFn | None = None, progress_every: int = PROGRESS_EVERY,
                cancel: CancelFn | None = None, position: Callable[[], int] = lambda: 0, size: int = 0,
                rewind: Callable[[], None] | None = None, name: str = "", fmt: str = "csv",
                keep_claims: bool = False, x12_validation: str = "") -> AuditReport:
    """Audit the claim lines ``source`` yields (called again, after ``rewind``, if a second pass is needed).
    ``keep_claims``: keep the lines of each encounter that has a finding (:attr:`AuditReport.claims`)."""
    stats = ReadStats()
    p = _Pass(catalog, payer, frozenset(), progress, progress_every, cancel, position, size,
              keep={} if keep_claims else None)
    p.run(source(stats), stats)
    if p.split and not p.cancelled and rewind is not None:
        rewind()
        stats = ReadStats()
        p = _Pass(catalog, payer, frozenset(p.split), progress, progress_every, cancel, position, size,
                  keep={} if keep_claims else None)
        p.run(source(stats), stats)
    extra = _unreadable(stats)
    if extra is not None:
        p.collector.add(extra)
    outside = p.ncci.finding()
    if outside is not None:  # one finding for the whole audit (its count is the encounters it speaks for)
        p.collector.add(replace(outside, count=1))
        p.collector.findings[-1] = outside
    findings = p.collector.result()
    c = p.collector
    used = p.ncci.used
    by_kind = Counter(f.kind for f in findings)
    by_sev = Counter(f.severity for f in findings)
    summary = AuditSummary(
        claims_checked=len(p.claims),
        encounters_checked=p.encounters,
        lines_read=stats.rows,
        rows_skipped=stats.malformed,
        findings=len(findings),
        by_kind={k: by_kind[k] for k in KINDS if by_kind[k]},
        by_severity={s: by_sev[s] for s in SEVERITIES if by_sev[s]},
        claims_with_errors=c.error_claims,
        payer_default=payer,
        data_version=catalog.version_label,
        cancelled=p.cancelled,
        unfolded_by_severity={s: c.raw_by_severity[s] for s in SEVERITIES if c.raw_by_severity[s]},
        unfolded_by_kind={k: c.raw_by_kind[k] for k in KINDS if c.raw_by_kind[k]},
        notes_folded=sum(f.count for f in findings if f.kind in NOTE_KINDS),
        source_name=name,
        source_format=fmt,
        x12_validation=x12_validation,
        first_date=p.first.isoformat() if p.first else "",
        last_date=p.last.isoformat() if p.last else "",
        ncci_version=" | ".join(used) or _ncci_label(catalog),
        ncci_used=used,
        ncci_outside=p.ncci.outside,
        ncci_outside_claims=p.ncci.outside_claims,
        ncci_warning=p.ncci.warning(),
    )
    return AuditReport(tuple(findings), summary, dict(p.keep or {}))


# ---------------------------------------------------------------------------------------------------------
# Inputs: CSV or 837P, from a file, bytes or text


def is_x12(head: str) -> bool:
    """Whether text looks like an X12 interchange (it starts with an ISA segment)."""
    return head.lstrip("\ufeff \t\r\n")[:3] == "ISA"


def _peek(src: TextInput) -> str:
    head = src.text.read(512)
    src.text.seek(0)
    return head


def audit_input(catalog: Catalog, src: TextInput, options: AuditOptions | None = None, *,
                progress: ProgressFn | None = None, progress_every: int = PROGRESS_EVERY,
                cancel: CancelFn | None = None, fmt: str | None = None, keep_claims: bool = False) -> AuditReport:
    """Audit an opened input (:func:`~desktop.core.audit.claims.open_claims_path` or ``open_claims_bytes``):
    CSV, or an 837P file when it starts with an ISA segment (or ``fmt="837p"``)."""
    opts = options or AuditOptions()
    kind = fmt or ("837p" if is_x12(_peek(src)) else "csv")

    def source(stats: ReadStats) -> Iterator[ClaimLine | Finding]:
        if kind == "837p":
            from desktop.core.audit.x12 import iter_837p_claims

            return iter_837p_claims(src, opts, stats)
        return iter_csv_claims(src, opts, stats)

    def rewind() -> None:
        src.text.seek(0)

    return audit_items(catalog, source, payer=opts.payer, progress=progress, progress_every=progress_every,
                       cancel=cancel, position=lambda: src.position, size=src.size, rewind=rewind,
                       name=src.name, fmt=kind, keep_claims=keep_claims,
                       x12_validation=("full" if opts.x12_validate else "envelope") if kind == "837p" else "")


def audit_file(catalog: Catalog, path: Path, options: AuditOptions | None = None, *, encoding: str | None = None,
               progress: ProgressFn | None = None, progress_every: int = PROGRESS_EVERY,
               cancel: CancelFn | None = None, keep_claims: bool = False) -> AuditReport:
    """Audit a claims file (CSV or 837P), streaming. Raises :class:`AuditInputError` if it cannot be
    audited at all."""
    src = open_claims_path(path, encoding)
    try:
        return audit_input(catalog, src, options, progress=progress, progress_every=progress_every,
                           cancel=cancel, keep_claims=keep_claims)
    finally:
        src.close()


def audit_bytes(catalog: Catalog, data: bytes, options: AuditOptions | None = None, *,
                encoding: str | None = None, name: str = "standard input", progress: ProgressFn | None = None,
                progress_every: int = PROGRESS_EVERY, cancel: CancelFn | None = None) -> AuditReport:
    src = open_claims_bytes(data, name, encoding)
    try:
        return audit_input(catalog, src, options, progress=progress, progress_every=progress_every,
                           cancel=cancel)
    finally:
        src.close()


def audit_text(catalog: Catalog, text: str, options: AuditOptions | None = None, *,
               progress: ProgressFn | None = None, progress_every: int = PROGRESS_EVERY,
               cancel: CancelFn | None = None) -> AuditReport:
    """Audit claims text (CSV or 837P). Raises :class:`AuditInputError` if it cannot be audited at all."""
    return audit_bytes(catalog, text.encode("utf-8"), options, encoding="utf-8", name="text", progress=progress,
                       progress_every=progress_every, cancel=cancel)


def audit_lines(catalog: Catalog, lines: Sequence[ClaimLine], *, payer: Payer = "other",
                malformed: Sequence[Finding] = (), progress: ProgressFn | None = None,
                progress_every: int = PROGRESS_EVERY, cancel: CancelFn | None = None) -> AuditReport:
    """Audit claim lines already read (grouped by claim and date, in order)."""

    def source(stats: ReadStats) -> Iterator[ClaimLine | Finding]:
        return stats.counted(malformed, lines)

    return audit_items(catalog, source, payer=payer, progress=progress, progress_every=progress_every,
                       cancel=cancel, rewind=lambda: None)


__all__ = ["AuditInputError", "audit_bytes", "audit_file", "audit_input", "audit_items", "audit_lines",
           "audit_text", "is_x12"]
