"""The fact base lives in the repository (docs/fact-base/) and everything points at it.

(a) No file of the project names an absolute path of a build machine, the shared folder beside the
    repository, or the shared fact-base file; only the shared-NCCI-extract test and the start-up benchmark
    (whose baseline default is relative) may name the shared folder.
(b) Every section a test or document cites as ``docs/fact-base/<page>.md, "<Section>"`` is a heading of
    that page.
(c) Every source id a fact-base page cites (S + 1-3 digits, or X-...) is in resources/data/sources.yaml.
(d) The fact base's README indexes every page of the folder.

Each check is a function over a repository root, run once on this repository and once on a small tree
with the fault planted, so that the test is seen to fail when its rule is broken.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]

# --- (a) machine paths and the shared folder -------------------------------------------------------------

SCANNED = ("desktop", "tests", "scripts", "packaging", "bench", "resources", "docs", "README.md", "pyproject.toml")
SKIPPED_DIRS = {"__pycache__", ".venv", "build", "dist", ".mypy_cache", ".ruff_cache", ".pytest_cache",
                ".hypothesis", "bench-out", "node_modules"}
# Written in pieces so that this file does not contain what it looks for.
ABSOLUTE = re.compile("/" "(?:work|root|home)/" r"|\b[A-Za-z]:[\\/]+Users[\\/]", re.IGNORECASE)
SHARED = re.compile(r"\.\.[\\/]" "shared")
FACTS_FILE = re.compile("domain" "-facts")
# The only files that may name the shared folder (never an absolute path): the test that reads the shared
# NCCI extract on purpose (and says so in its first line) and the benchmark that builds the shared baseline.
SHARED_ALLOWED = {"tests/test_ncci_shared_extract.py", "packaging/bench_startup.py"}


def _files(root: Path) -> Iterator[Path]:
    for name in SCANNED:
        top = root / name
        if top.is_file():
            yield top
        elif top.is_dir():
            for path in sorted(top.rglob("*")):
                parts = set(path.relative_to(root).parts)
                if path.is_file() and not parts & SKIPPED_DIRS and not any(p.endswith(".egg-info") for p in parts):
                    yield path


def _text(path: Path) -> str | None:
    data = path.read_bytes()
    if b"\0" in data[:8192]:
        return None  # binary (icons, the splash image)
    return data.decode("utf-8", errors="replace")


def machine_path_mentions(root: Path) -> list[str]:
    """'file:line: what' for every forbidden path; [] when the tree is clean."""
    found: list[str] = []
    for path in _files(root):
        text = _text(path)
        if text is None:
            continue
        rel = path.relative_to(root).as_posix()
        patterns = [("absolute machine path", ABSOLUTE), ("shared fact-base file", FACTS_FILE)]
        if rel not in SHARED_ALLOWED:
            patterns.append(("shared folder", SHARED))
        for lineno, line in enumerate(text.splitlines(), 1):
            for what, pattern in patterns:
                m = pattern.search(line)
                if m:
                    found.append(f"{rel}:{lineno}: {what} {m.group(0)!r}")
    extract_test = root / "tests" / "test_ncci_shared_extract.py"
    if extract_test.is_file():
        first = extract_test.read_text(encoding="utf-8").splitlines()[:1]
        if not first or "shared NCCI extract" not in first[0]:
            found.append("tests/test_ncci_shared_extract.py:1: the first line must say it reads the shared NCCI "
                         "extract")
    return found


def test_no_machine_path_or_shared_folder_in_the_repository() -> None:
    assert machine_path_mentions(ROOT) == []


# --- (b) cited sections ------------------------------------------------------------------------------------

CITE = re.compile(r"docs/fact-base/([A-Za-z0-9_-]+\.md)`*")
QUOTED = re.compile(r'\s*"([A-Za-z0-9][^"]{0,100})"(?:\s*\([^()]{0,200}\))?')
JOIN = re.compile(r'\s*(?:,\s*and|,|and)(?=\s*")')
BARE = re.compile(r"\s*([A-Z][^,;:.()\"'`\n]{0,100})")
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$")


def _norm(text: str) -> str:
    return " ".join(text.split())


def cited_sections(text: str) -> Iterator[tuple[int, str, list[str]]]:
    """(line, page, sections) for every citation of a fact-base page. A citation is the page path, then
    optionally a comma and either one or more quoted section names (joined by commas or "and", each
    optionally followed by a remark in parentheses) or one unquoted section name starting with a capital."""
    for m in CITE.finditer(text):
        sections: list[str] = []
        pos = m.end()
        if text.startswith(",", pos):
            pos += 1
            q = QUOTED.match(text, pos)
            if q is None:
                b = BARE.match(text, pos)
                if b:
                    sections.append(b.group(1).strip())
            while q is not None:
                sections.append(_norm(q.group(1)))
                j = JOIN.match(text, q.end())
                q = QUOTED.match(text, j.end()) if j else None
        yield text.count("\n", 0, m.start()) + 1, m.group(1), sections


def headings(page: Path) -> set[str]:
    out: set[str] = set()
    fenced = False
    for line in page.read_text(encoding="utf-8").splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
            continue
        m = None if fenced else HEADING.match(line)
        if m:
            out.add(_norm(m.group(1)))
    return out


def _citing_files(root: Path) -> Iterator[Path]:
    yield from sorted((root / "tests").rglob("*.py"))
    yield from sorted((root / "docs").rglob("*.md"))
    for name in ("README.md",):
        if (root / name).is_file():
            yield root / name


def missing_cited_sections(root: Path) -> list[str]:
    """'file:line: what' for every citation of a page or section that does not exist; [] when all exist."""
    found: list[str] = []
    pages = root / "docs" / "fact-base"
    cache: dict[str, set[str] | None] = {}
    for path in _citing_files(root):
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".py":  # a citation in a comment may run over several comment lines
            text = re.sub(r"\n[ \t]*#[ \t]?", "\n", text)
        rel = path.relative_to(root).as_posix()
        for lineno, page, sections in cited_sections(text):
            if page not in cache:
                cache[page] = headings(pages / page) if (pages / page).is_file() else None
            known = cache[page]
            if known is None:
                found.append(f"{rel}:{lineno}: docs/fact-base/{page} does not exist")
                continue
            found += [f"{rel}:{lineno}: docs/fact-base/{page} has no section {s!r}" for s in sections if s not in known]
    return found


def test_every_cited_fact_base_section_exists() -> None:
    assert missing_cited_sections(ROOT) == []


def test_the_tests_cite_the_core_sections() -> None:
    """The parser really reads the repository's citations (so an empty result above is not a parser that
    finds nothing)."""
    cited = {(page, s) for path in (ROOT / "tests").glob("*.py")
             for _, page, sections in cited_sections(re.sub(r"\n[ \t]*#[ \t]?", "\n", path.read_text("utf-8")))
             for s in sections}
    assert {("core.md", "Corrections"), ("core.md", "Modifiers"), ("core.md", "Deleted codes"),
            ("core.md", "Guidance included in the procedure")} <= cited


# --- (c) source ids --------------------------------------------------------------------------------------

# S + 1-3 digits: HCPCS S-codes (S2360) have four digits and are not source ids.
SOURCE_ID = re.compile(r"(?<![A-Za-z0-9-])(S\d{1,3}|X-[A-Z0-9]+(?:-[A-Z0-9]+)*)(?![A-Za-z0-9])")


def unknown_source_ids(root: Path) -> list[str]:
    """'page:line: id' for every source id a fact-base page cites that sources.yaml does not have."""
    entries = yaml.safe_load((root / "resources" / "data" / "sources.yaml").read_text(encoding="utf-8"))
    known = {str(e["id"]) for e in entries}
    found: list[str] = []
    for page in sorted((root / "docs" / "fact-base").glob("*.md")):
        for lineno, line in enumerate(page.read_text(encoding="utf-8").splitlines(), 1):
            found += [f"{page.name}:{lineno}: {m.group(1)}" for m in SOURCE_ID.finditer(line)
                      if m.group(1) not in known]
    return found


def test_every_source_id_of_the_fact_base_is_in_sources_yaml() -> None:
    assert unknown_source_ids(ROOT) == []


def test_the_fact_base_cites_sources() -> None:
    text = (ROOT / "docs" / "fact-base" / "core.md").read_text(encoding="utf-8")
    assert {"S3", "S19", "X-NCCI-PM-IX", "X-NCCI-PTP-302"} <= {m.group(1) for m in SOURCE_ID.finditer(text)}


# --- (d) the index -----------------------------------------------------------------------------------------

def pages_missing_from_index(root: Path) -> list[str]:
    folder = root / "docs" / "fact-base"
    index = (folder / "README.md").read_text(encoding="utf-8")
    return [p.name for p in sorted(folder.glob("*.md")) if p.name != "README.md" and f"]({p.name})" not in index]


def test_the_readme_indexes_every_page() -> None:
    assert pages_missing_from_index(ROOT) == []


# --- each check fails when its rule is broken ----------------------------------------------------------------

def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text, encoding="utf-8")
    return tmp_path


FB = "docs/" "fact-base"  # in pieces, so that the scan of this repository does not read the planted citations
CORE = "# Core\n\n## Corrections\n\nK1 (S3).\n\n## Modifiers\n\nE1 (S19, X-NCCI-PM-IX).\n"
SOURCES = "- id: S3\n- id: S19\n- id: X-NCCI-PM-IX\n"


@pytest.mark.parametrize(("rel", "line", "expected"), [
    ("tests/test_x.py", '"""Facts: ' "/" 'work/shared/reference/x.md."""\n', "absolute machine path"),
    ("docs/x.md", "See " "/" "home/someone/guidecode.\n", "absolute machine path"),
    ("resources/data/x.yaml", "# from " r"C:\Users" r"\coder\x" "\n", "absolute machine path"),
    ("bench/bench_x.py", "# as .." "/shared/baseline/x.py\n", "shared folder"),
    ("README.md", "Facts in domain" "-facts.md.\n", "shared fact-base file"),
    ("packaging/bench_startup.py", 'BASELINE = "' "/" 'work/shared/baseline"\n', "absolute machine path"),
])
def test_machine_path_check_fails_on_a_planted_path(tmp_path: Path, rel: str, line: str, expected: str) -> None:
    root = _tree(tmp_path, {rel: "ok\n" + line})
    assert [f.split(": ", 1)[1].startswith(expected) for f in machine_path_mentions(root)] == [True]
    assert machine_path_mentions(root)[0].startswith(f"{rel}:2: ")


def test_machine_path_check_allows_only_the_two_shared_readers(tmp_path: Path) -> None:
    shared = "# reads .." "/shared/data/ncci\n"
    root = _tree(tmp_path, {"tests/test_ncci_shared_extract.py": '"""Reads the shared NCCI extract on purpose."""\n'
                            + shared, "packaging/bench_startup.py": shared})
    assert machine_path_mentions(root) == []
    (root / "tests" / "test_ncci_shared_extract.py").write_text('"""A test."""\n' + shared, encoding="utf-8")
    assert machine_path_mentions(root) == [
        "tests/test_ncci_shared_extract.py:1: the first line must say it reads the shared NCCI extract"]


def test_section_check_fails_on_a_missing_section(tmp_path: Path) -> None:
    fb = FB
    root = _tree(tmp_path, {f"{fb}/core.md": CORE, "tests/test_a.py": (
        f'"""{fb}/core.md, "Corrections" (K1) and "Modifiers"."""\n'
        f'# see {fb}/core.md, Modifiers\n'
        f'# {fb}/core.md, "Units" and\n'
        '# "Corrections"\n'
        f'"""{fb}/core.md, Guidance codes and units"""\n'
        f'"""{fb}/nothing.md"""\n')})
    assert missing_cited_sections(root) == [
        f"tests/test_a.py:3: {fb}/core.md has no section 'Units'",
        f"tests/test_a.py:5: {fb}/core.md has no section 'Guidance codes and units'",
        f"tests/test_a.py:6: {fb}/nothing.md does not exist",
    ]


def test_source_id_check_fails_on_an_unknown_id(tmp_path: Path) -> None:
    root = _tree(tmp_path, {f"{FB}/core.md": CORE + "\nA HCPCS code S2360 is no id; S999 and X-NEW are.\n",
                            "resources/data/sources.yaml": SOURCES})
    assert unknown_source_ids(root) == ["core.md:11: S999", "core.md:11: X-NEW"]


def test_index_check_fails_on_an_unlisted_page(tmp_path: Path) -> None:
    root = _tree(tmp_path, {f"{FB}/README.md": "| [core.md](core.md) |\n",
                            f"{FB}/core.md": CORE, f"{FB}/family.md": "# Family\n"})
    assert pages_missing_from_index(root) == ["family.md"]
