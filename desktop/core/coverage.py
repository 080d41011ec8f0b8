"""The data-coverage report: per code family, how much the data knows and how sure it is (issue 14).

For every family (a record's ``family``, by default the name of the code file it sits in) the report counts:

- **codes**: the records of the family (procedures, guidance and imaging codes alike);
- **rules by confidence**: the entries of the records' ``guidance`` lists, each counted once whatever the
  number of modalities it names, split by its confidence (high / medium / low);
- **unconfirmed points**: rules whose state is ``unconfirmed``, records whose ``bilateral`` is
  ``unconfirmed``, and records that have a validity date with ``dates_confidence: low``;
- **sources**: the distinct source ids the family's records cite anywhere (rules and their alternatives,
  cautions, dates, S&I covers, guidance-code unit notes). ``X-GC-NOSOURCE`` ("no source was found") is not
  a source and is not listed.

Pure Python, no Qt: the command ``python -m desktop coverage`` (:mod:`desktop.commands.coverage`) renders it
as a text table, Markdown or JSON, and the Markdown table is kept in ``docs/data-sources.md`` between the
markers :data:`DOC_START` and :data:`DOC_END`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TypeAlias

from desktop.core.model import Catalog, CodeRecord

TOTAL_LABEL = "All families"
DOC_START = ("<!-- coverage-table:start (generated: python -m desktop coverage --update-doc docs/data-sources.md;"
             " do not edit by hand) -->")
DOC_END = "<!-- coverage-table:end -->"

JsonValue: TypeAlias = str | int | list["JsonValue"] | dict[str, "JsonValue"]


class DocTableError(ValueError):
    """The document has no (or a malformed) generated-table block."""


@dataclass(frozen=True)
class FamilyCoverage:
    """The counts for one family (or, with ``family == TOTAL_LABEL``, for the whole catalog)."""

    family: str
    codes: tuple[str, ...]
    rules_high: int
    rules_medium: int
    rules_low: int
    unconfirmed_rules: int
    unconfirmed_bilateral: int
    low_confidence_dates: int
    sources: tuple[str, ...]

    @property
    def rules(self) -> int:
        return self.rules_high + self.rules_medium + self.rules_low

    @property
    def unconfirmed(self) -> int:
        return self.unconfirmed_rules + self.unconfirmed_bilateral + self.low_confidence_dates


@dataclass(frozen=True)
class CoverageReport:
    """Every family in name order, and the totals over the catalog."""

    families: tuple[FamilyCoverage, ...]
    total: FamilyCoverage
    data_label: str


def _source_key(source_id: str) -> tuple[str, int, str]:
    """Natural order: S2 before S10, then the X-... ids alphabetically."""
    match = re.fullmatch(r"([A-Z]+)(\d+)", source_id)
    if match:
        return (match.group(1), int(match.group(2)), "")
    return ("~" + source_id, 0, source_id)


def cited_sources(rec: CodeRecord, placeholders: frozenset[str] = frozenset()) -> set[str]:
    """Every source id ``rec`` cites, less the ``placeholders`` (the id that means "no source found")."""
    ids: set[str] = set(rec.dates_sources) | set(rec.bilateral_sources)
    for dated in rec.names:
        ids.update(dated.sources)
    for policy in rec.policies:
        ids.update(policy.sources)
        for alt in policy.alternatives:
            ids.update(alt.sources)
    for note in rec.cautions:
        ids.update(note.sources)
    if rec.covers_guidance is not None:
        ids.update(rec.covers_guidance.sources)
    if rec.guidance is not None:
        ids.update(rec.guidance.not_suggested_sources)
    return ids - placeholders


def family_of(rec: CodeRecord) -> str:
    """The record's family; a record built without one (not through the loader) falls back to its file."""
    if rec.family:
        return rec.family
    stem = rec.location.file.rsplit("/", 1)[-1]
    return stem[:-5] if stem.endswith(".yaml") else stem


def _summarise(family: str, records: Iterable[CodeRecord], placeholders: frozenset[str]) -> FamilyCoverage:
    recs = list(records)
    confidences = [p.confidence for r in recs for p in r.policies]
    sources: set[str] = set()
    for rec in recs:
        sources |= cited_sources(rec, placeholders)
    return FamilyCoverage(
        family=family,
        codes=tuple(sorted(r.code for r in recs)),
        rules_high=confidences.count("high"),
        rules_medium=confidences.count("medium"),
        rules_low=confidences.count("low"),
        unconfirmed_rules=sum(1 for r in recs for p in r.policies if p.state == "unconfirmed"),
        unconfirmed_bilateral=sum(1 for r in recs if r.bilateral == "unconfirmed"),
        low_confidence_dates=sum(1 for r in recs if (r.valid_from or r.valid_to) and r.dates_confidence == "low"),
        sources=tuple(sorted(sources, key=_source_key)),
    )


def build_coverage(catalog: Catalog) -> CoverageReport:
    """The coverage of every family of ``catalog`` (built-in data plus whatever packs it holds)."""
    by_family: dict[str, list[CodeRecord]] = {}
    for rec in catalog.records:
        by_family.setdefault(family_of(rec), []).append(rec)
    placeholders = frozenset(s.id for s in catalog.sources.values() if s.placeholder)
    families = tuple(_summarise(name, by_family[name], placeholders) for name in sorted(by_family))
    return CoverageReport(families=families, total=_summarise(TOTAL_LABEL, catalog.records, placeholders),
                          data_label=catalog.version_label)


def _rows(report: CoverageReport) -> Iterator[FamilyCoverage]:
    yield from report.families
    yield report.total


TEXT_LEGEND = (
    "Rules: guidance rules, one per entry of a record's guidance list whatever its modalities.",
    "Unconfirmed: rules in state unconfirmed + records with bilateral unconfirmed + records with a",
    "low-confidence validity date. Sources: distinct source ids cited (X-GC-NOSOURCE not counted);",
    "--format markdown or --format json lists them.",
)
TEXT_HEADER = ("Family", "Codes", "Rules", "High", "Medium", "Low", "Unconf. rules", "Unconf. bilateral",
               "Low-conf. dates", "Unconf. total", "Sources")


def render_text(report: CoverageReport) -> str:
    """A fixed-width table, one line per family and a totals line; the legend below it."""
    table = [TEXT_HEADER]
    for row in _rows(report):
        table.append((row.family, str(len(row.codes)), str(row.rules), str(row.rules_high), str(row.rules_medium),
                      str(row.rules_low), str(row.unconfirmed_rules), str(row.unconfirmed_bilateral),
                      str(row.low_confidence_dates), str(row.unconfirmed), str(len(row.sources))))
    widths = [max(len(line[i]) for line in table) for i in range(len(TEXT_HEADER))]

    def fmt(line: tuple[str, ...]) -> str:
        cells = [line[0].ljust(widths[0])] + [cell.rjust(w) for cell, w in zip(line[1:], widths[1:], strict=True)]
        return "  ".join(cells).rstrip()

    out = [f"GuideCode data coverage ({report.data_label})", "", fmt(table[0]),
           "  ".join("-" * w for w in widths)]
    out += [fmt(line) for line in table[1:-1]]
    out += ["  ".join("-" * w for w in widths), fmt(table[-1]), "", *TEXT_LEGEND]
    return "\n".join(out) + "\n"


MARKDOWN_HEADER = ("| Family | Codes | Rules: high / medium / low | Unconfirmed: rules + bilateral + dates | "
                   "Sources cited |")


def render_markdown(report: CoverageReport) -> str:
    """A Markdown table (the one kept in docs/data-sources.md), one row per family and a totals row."""
    out = [MARKDOWN_HEADER, "|---|---:|---|---|---|"]
    for row in _rows(report):
        name = f"**{row.family}**" if row.family == TOTAL_LABEL else f"`{row.family}`"
        sources = f"{len(row.sources)}" if row.family == TOTAL_LABEL else (
            f"{len(row.sources)}: {', '.join(row.sources)}" if row.sources else "0")
        out.append(f"| {name} | {len(row.codes)} | {row.rules_high} / {row.rules_medium} / {row.rules_low} | "
                   f"{row.unconfirmed_rules} + {row.unconfirmed_bilateral} + {row.low_confidence_dates} = "
                   f"{row.unconfirmed} | {sources} |")
    return "\n".join(out) + "\n"


def _family_json(row: FamilyCoverage) -> dict[str, JsonValue]:
    return {
        "family": row.family,
        "code_count": len(row.codes),
        "codes": list(row.codes),
        "rules": {"high": row.rules_high, "medium": row.rules_medium, "low": row.rules_low, "total": row.rules},
        "unconfirmed": {"rules": row.unconfirmed_rules, "bilateral": row.unconfirmed_bilateral,
                        "dates": row.low_confidence_dates, "total": row.unconfirmed},
        "sources": list(row.sources),
    }


def to_json(report: CoverageReport) -> dict[str, JsonValue]:
    """The report as plain JSON data (every family, then the totals)."""
    return {"data": report.data_label, "families": [_family_json(r) for r in report.families],
            "total": _family_json(report.total)}


def _block_bounds(text: str) -> tuple[int, int]:
    start = text.find(DOC_START)
    end = text.find(DOC_END)
    if start < 0 or end < 0:
        raise DocTableError(f"the generated coverage table's markers are missing ({DOC_START!r} ... {DOC_END!r})")
    if text.find(DOC_START, start + 1) >= 0 or text.find(DOC_END, end + 1) >= 0:
        raise DocTableError("the generated coverage table's markers appear more than once")
    if end < start:
        raise DocTableError("the end marker of the generated coverage table comes before its start marker")
    return start + len(DOC_START), end


def doc_table(text: str) -> str:
    """The Markdown table currently kept between the markers of ``text``."""
    start, end = _block_bounds(text)
    return text[start:end].strip("\n") + "\n"


def replace_doc_table(text: str, table: str) -> str:
    """``text`` with the block between the markers replaced by ``table`` (everything else unchanged)."""
    start, end = _block_bounds(text)
    return text[:start] + "\n" + table.rstrip("\n") + "\n" + text[end:]
