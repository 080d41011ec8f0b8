"""The data-coverage report (desktop.core.coverage) and ``python -m desktop coverage`` (issue 14): exact counts
on a small hand-made catalog, the three output formats, --data-dir, and the table kept in
docs/data-sources.md, which must match the shipped data."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from desktop.cli import dispatch
from desktop.core.coverage import (
    DOC_END,
    DOC_START,
    TOTAL_LABEL,
    DocTableError,
    build_coverage,
    cited_sources,
    doc_table,
    render_markdown,
    render_text,
    replace_doc_table,
    to_json,
)
from desktop.core.loader import load_folder
from desktop.core.model import Catalog
from desktop.core.packs import install as pack_install

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "data-sources.md"
SAMPLE_PACK = ROOT / "resources" / "samples" / "packs" / "example-payer-notes"

FILES = {
    "manifest.yaml": """
        data_version: "t1"
        code_set_year: 2026
        covers_from: 2007-01-01
    """,
    "sources.yaml": """
        - {id: S1, title: one, kind: k, reliability: r}
        - {id: S5, title: five, kind: k, reliability: r}
        - {id: S6, title: six, kind: k, reliability: r}
        - {id: S7, title: seven, kind: k, reliability: r}
        - {id: S10, title: ten, kind: k, reliability: r}
        - {id: X-A, title: x, kind: k, reliability: r}
        - {id: X-GC-NOSOURCE, title: none, kind: k, reliability: r, placeholder: true}
    """,
    "rules.yaml": """
        units:
          - {id: u, codes: ["77002"], basis: per_encounter, reason: one line., sources: [X-A], confidence: low}
    """,
    "codes/guide.yaml": """
        - code: "77002"
          kind: guidance
          name: Fluoroscopic needle guidance
          guidance_code:
            modality: fluoroscopy
    """,
    "codes/alpha.yaml": """
        - code: "90001"
          name: First alpha procedure
          terms: [alpha one]
          bilateral: unconfirmed
          guidance:
            - modality: fluoroscopy
              state: separate
              code: "77002"
              reason: Separate.
              sources: [S10]
              confidence: high
            - modality: [ct, ultrasound, mri]
              state: unconfirmed
              reason: No source.
              sources: [X-GC-NOSOURCE]
              confidence: low
        - code: "90002"
          name: Second alpha procedure
          terms: [alpha two]
          valid_from: 2020-01-01
          dates_sources: [X-GC-NOSOURCE]
          dates_confidence: low
          cautions:
            - text: A caution.
              sources: [S5]
              confidence: low
          guidance:
            - modality: [fluoroscopy, ct, ultrasound, mri]
              state: included
              reason: Included.
              sources: [S5, S6]
              confidence: medium
    """,
    "codes/beta.yaml": """
        - code: "90003"
          name: Beta file, alpha family
          terms: [beta three]
          family: alpha
          guidance:
            - modality: [fluoroscopy, ct, ultrasound, mri]
              state: unconfirmed
              reason: No source.
              sources: [X-GC-NOSOURCE]
              confidence: low
              alternatives:
                - code: null
                  reason: Maybe bundled.
                  sources: [S7]
                  confidence: low
        - code: "90004"
          name: Beta procedure
          terms: [beta four]
          bilateral: modifier_50
          valid_to: 2019-12-31
          dates_sources: [S1]
          dates_confidence: high
          guidance:
            - modality: [fluoroscopy, ct, ultrasound, mri]
              state: included
              reason: Included.
              sources: [S1]
              confidence: high
    """,
}


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    root = tmp_path_factory.mktemp("coverage")
    for name, text in FILES.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return load_folder(root)


def test_counts_per_family_on_a_small_catalog(small: Catalog) -> None:
    report = build_coverage(small)
    assert [f.family for f in report.families] == ["alpha", "beta", "guide"]  # default: the file's name
    alpha, beta, guide = report.families
    assert alpha.codes == ("90001", "90002", "90003")  # 90003 sits in beta.yaml but names family alpha
    assert (alpha.rules_high, alpha.rules_medium, alpha.rules_low, alpha.rules) == (1, 1, 2, 4)
    assert (alpha.unconfirmed_rules, alpha.unconfirmed_bilateral, alpha.low_confidence_dates) == (2, 1, 1)
    assert alpha.unconfirmed == 4
    assert alpha.sources == ("S5", "S6", "S7", "S10")  # natural order; X-GC-NOSOURCE is not a source
    assert (beta.codes, beta.rules_high, beta.rules, beta.unconfirmed, beta.sources) == (("90004",), 1, 1, 0, ("S1",))
    assert (guide.codes, guide.rules, guide.sources) == (("77002",), 0, ())  # its unit rule is in rules.yaml
    total = report.total
    assert total.family == TOTAL_LABEL
    assert len(total.codes) == len(small.records) == 5
    assert (total.rules_high, total.rules_medium, total.rules_low, total.unconfirmed) == (2, 1, 2, 4)
    assert total.sources == ("S1", "S5", "S6", "S7", "S10")
    assert report.data_label == "built-in t1"


def test_cited_sources_reads_every_place_and_drops_the_no_source_marker(small: Catalog) -> None:
    placeholders = frozenset(s.id for s in small.sources.values() if s.placeholder)
    assert cited_sources(small.by_code["90002"], placeholders) == {"S5", "S6"}  # rule and caution
    assert cited_sources(small.by_code["90003"], placeholders) == {"S7"}  # the alternative's source
    placeholders = frozenset(s.id for s in small.sources.values() if s.placeholder)
    assert placeholders == {"X-GC-NOSOURCE"}
    assert "X-GC-NOSOURCE" in cited_sources(small.by_code["90001"])
    assert "X-GC-NOSOURCE" not in cited_sources(small.by_code["90001"], placeholders)


def test_renderings_carry_the_same_numbers(small: Catalog) -> None:
    report = build_coverage(small)
    md = render_markdown(report).splitlines()
    assert md[0].startswith("| Family | Codes |")
    assert "| `alpha` | 3 | 1 / 1 / 2 | 2 + 1 + 1 = 4 | 4: S5, S6, S7, S10 |" in md
    assert "| `guide` | 1 | 0 / 0 / 0 | 0 + 0 + 0 = 0 | 0 |" in md
    assert md[-1] == f"| **{TOTAL_LABEL}** | 5 | 2 / 1 / 2 | 2 + 1 + 1 = 4 | 5 |"
    text = render_text(report)
    rows = {line.split()[0]: line.split()[1:] for line in text.splitlines() if line.startswith(("alpha", "beta"))}
    assert rows["alpha"] == ["3", "4", "1", "1", "2", "2", "1", "1", "4", "4"]
    assert rows["beta"] == ["1", "1", "1", "0", "0", "0", "0", "0", "0", "1"]
    assert any(line.startswith(TOTAL_LABEL) and line.split()[-1] == "5" for line in text.splitlines())
    data = to_json(report)
    fam = {f["family"]: f for f in data["families"]}  # type: ignore[index, union-attr]
    assert fam["alpha"] == {"family": "alpha", "code_count": 3, "codes": ["90001", "90002", "90003"],
                            "rules": {"high": 1, "medium": 1, "low": 2, "total": 4},
                            "unconfirmed": {"rules": 2, "bilateral": 1, "dates": 1, "total": 4},
                            "sources": ["S5", "S6", "S7", "S10"]}
    assert data["total"]["code_count"] == 5  # type: ignore[index, call-overload]


def test_doc_block_is_found_and_replaced_without_touching_the_rest() -> None:
    text = f"# Title\n\nbefore\n\n{DOC_START}\n| old |\n{DOC_END}\n\nafter\n"
    assert doc_table(text) == "| old |\n"
    new = replace_doc_table(text, "| new |\n|---|\n")
    assert new == f"# Title\n\nbefore\n\n{DOC_START}\n| new |\n|---|\n{DOC_END}\n\nafter\n"
    assert doc_table(new) == "| new |\n|---|\n"
    for bad in ("no markers here\n", f"{DOC_END}\n{DOC_START}\n", f"{DOC_START}\n{DOC_START}\n{DOC_END}\n"):
        with pytest.raises(DocTableError):
            doc_table(bad)


def test_the_table_in_docs_data_sources_matches_the_shipped_data(catalog: Catalog) -> None:
    """Fails whenever a code file changes without regenerating the table:
    run ``python -m desktop coverage --update-doc docs/data-sources.md``."""
    text = DOC.read_text(encoding="utf-8")
    assert "\n## Coverage\n" in text
    assert doc_table(text) == render_markdown(build_coverage(catalog))


def test_the_builtin_report_covers_every_record_and_the_issue_families(catalog: Catalog) -> None:
    report = build_coverage(catalog)
    assert sum(len(f.codes) for f in report.families) == len(report.total.codes) == len(catalog.records)
    names = {f.family for f in report.families}
    assert {"ultrasound-category-iii", "fascial-plane-blocks", "other-blocks-ablations"} <= names
    us = next(f for f in report.families if f.family == "ultrasound-category-iii")
    assert set(us.codes) == {"0213T", "0214T", "0215T", "0216T", "0217T", "0218T", "0228T", "0229T", "0230T",
                             "0231T"}


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = dispatch(["coverage", *args])
    out, err = capsys.readouterr()
    return status, out, err


def test_command_formats_match_the_core(capsys: pytest.CaptureFixture[str], catalog: Catalog) -> None:
    report = build_coverage(catalog)
    status, out, _ = run_cli(capsys)
    assert status == 0 and out == render_text(report)
    status, out, _ = run_cli(capsys, "--format", "markdown")
    assert status == 0 and out == render_markdown(report)
    status, out, _ = run_cli(capsys, "--format", "json")
    assert status == 0 and json.loads(out) == to_json(report)


def test_command_honours_data_dir(capsys: pytest.CaptureFixture[str], catalog: Catalog, tmp_path: Path) -> None:
    data = tmp_path / "data"
    pack_install.import_pack(SAMPLE_PACK, data, base=catalog)

    def nerve_block_sources(*args: str) -> list[str]:
        status, out, _ = run_cli(capsys, "--format", "json", *args)
        assert status == 0
        fam = {f["family"]: f for f in json.loads(out)["families"]}
        return list(fam["nerve-blocks"]["sources"])

    assert "L-EXAMPLE-1" not in nerve_block_sources()
    assert "L-EXAMPLE-1" in nerve_block_sources("--data-dir", str(data))  # an installed pack
    assert "L-EXAMPLE-1" in nerve_block_sources("--data-dir", str(SAMPLE_PACK))  # a pack folder itself
    status, out, err = run_cli(capsys, "--data-dir", str(tmp_path / "missing"))
    assert status == 2 and out == "" and "is not a folder" in err


def test_update_doc_and_check_doc(capsys: pytest.CaptureFixture[str], catalog: Catalog, tmp_path: Path) -> None:
    doc = tmp_path / "doc.md"
    doc.write_text(f"Intro\n\n{DOC_START}\n| stale |\n{DOC_END}\n\nOutro\n", encoding="utf-8")
    status, _, err = run_cli(capsys, "--check-doc", str(doc))
    assert status == 1 and "out of date" in err
    status, out, _ = run_cli(capsys, "--update-doc", str(doc))
    assert status == 0 and "updated" in out
    text = doc.read_text(encoding="utf-8")
    assert text.startswith("Intro\n\n") and text.endswith("\n\nOutro\n")
    assert doc_table(text) == render_markdown(build_coverage(catalog))
    status, out, _ = run_cli(capsys, "--check-doc", str(doc))
    assert status == 0 and "current" in out
    assert [p.name for p in tmp_path.iterdir()] == ["doc.md"]  # the atomic write left no temporary file


def test_update_doc_refuses_a_file_without_markers(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    doc = tmp_path / "plain.md"
    doc.write_text("no table here\n", encoding="utf-8")
    status, out, err = run_cli(capsys, "--update-doc", str(doc))
    assert status == 2 and out == "" and "markers are missing" in err
    assert doc.read_text(encoding="utf-8") == "no table here\n"
    status, _, err = run_cli(capsys, "--check-doc", str(tmp_path / "absent.md"))
    assert status == 2 and "cannot read" in err


def test_python_m_desktop_coverage_runs_as_a_command() -> None:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    proc = subprocess.run([sys.executable, "-m", "desktop", "coverage", "--format", "markdown"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stdout.splitlines()[-1].startswith(f"| **{TOTAL_LABEL}** |")
    help_proc = subprocess.run([sys.executable, "-m", "desktop", "--help"], cwd=ROOT, env=env, capture_output=True,
                               text=True, timeout=120, check=False)
    assert "coverage" in help_proc.stdout
