"""The rule book (issue "One rule book"): every billing rule lives in the data, the schema is declared once,
guidance lists are written once, the same invariants guard the built-in data and every data pack, and the
packages keep their layers.

Facts cited: docs/fact-base/core.md, "Corrections" (Medicare guidance units) and "Modifiers".
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

from desktop.core.data import load_builtin
from desktop.core.model import Catalog, CodeRecord
from desktop.core.packs import merge as pack_merge
from desktop.core.packs import reading as pack_reading
from desktop.core.packs.install import validate_pack
from desktop.core.schema import doc_tables, override_fields
from desktop.core.schema_docs import DOCUMENTED, DOCUMENTS

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "resources" / "data"
RULES_PACK = ROOT / "resources" / "samples" / "packs" / "example-payer-rules"


# --- no billing rule in Python ------------------------------------------------------------------------------


def source_id_literals(root: Path) -> list[str]:
    """Every string constant under ``root`` that looks like a source id: S12, X-NCCI-PM-IX, L-PLAN-2026."""
    import re

    pattern = re.compile(r"^(S\d+|[XL]-[A-Za-z0-9.-]*[A-Za-z0-9])$")
    hits = []
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and pattern.match(node.value):
                hits.append(f"{path.relative_to(root)}:{node.lineno}: {node.value!r}")
    return hits


def test_no_source_id_is_written_in_the_program() -> None:
    """Rules, their reasons and their sources are data (resources/data/rules.yaml): a source id in the code
    would be a rule the data cannot change and the loader never checks."""
    assert source_id_literals(ROOT / "desktop") == []


def test_the_source_id_check_finds_one(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text('RULE = ("Never both 59 and XS.", ("S19", "S49"))\nOTHER = "X-NCCI-PM-IX"\n')
    assert sorted(source_id_literals(tmp_path)) == ["m.py:1: 'S19'", "m.py:1: 'S49'", "m.py:2: 'X-NCCI-PM-IX'"]


# --- one schema ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("doc", DOCUMENTS)
def test_the_documented_key_tables_are_the_schema(doc: str) -> None:
    """docs/data-format.md and docs/data-packs.md show the schema's tables (scripts/schema_docs.py writes them)."""
    text = (ROOT / doc).read_text(encoding="utf-8")
    assert "<!-- schema:" in text
    assert doc_tables(text, DOCUMENTED) == text, f"{doc} differs from the schema: run scripts/schema_docs.py"


def test_a_documented_table_that_differs_is_found() -> None:
    text = (ROOT / "docs" / "data-format.md").read_text(encoding="utf-8")
    broken = text.replace("| `spinal` | true/false |", "| `spinal` | yes/no |", 1)
    assert broken != text and doc_tables(broken, DOCUMENTED) == text


def test_every_schema_class_the_loader_reads_is_documented() -> None:
    from desktop.core import model

    documented = {cls for cls, _ in DOCUMENTED.values()}
    for cls in (model.Manifest, model.Source, model.CodeRecord, model.Policy, model.Alternative, model.Note,
                model.DatedName, model.GuidanceInfo, model.SIInfo, model.RuleSet, *model.RULE_SECTIONS.values()):
        assert cls in documented, cls.__name__
    text = "".join((ROOT / d).read_text(encoding="utf-8") for d in DOCUMENTS)
    for name in DOCUMENTED:
        assert f"<!-- schema: {name} -->" in text, name


def test_the_fields_a_pack_may_override_come_from_the_schema() -> None:
    keys = override_fields(CodeRecord)
    assert {k: v for k, v in keys.items() if k != "guidance"} == pack_merge.OVERRIDE_FIELDS
    assert "code" not in keys and keys["guidance_code"] == "guidance" and keys["bilateral_sources"]


# --- guidance lists written once -----------------------------------------------------------------------------


def written_lists(root: Path) -> dict[str, list[str]]:
    """Each guidance list written out in records or rule sets (a list of only ``- use:`` items is a
    reference, not a copy), by its canonical JSON, with where it is written."""
    out: dict[str, list[str]] = {}

    def add(where: str, guidance: object) -> None:
        if isinstance(guidance, list) and any(isinstance(i, dict) and "use" not in i for i in guidance):
            out.setdefault(json.dumps(guidance, sort_keys=True, default=str), []).append(where)

    for path in sorted((root / "codes").glob("*.yaml")):
        for rec in yaml.safe_load(path.read_text(encoding="utf-8")):
            add(f"codes/{path.name} {rec['code']}", rec.get("guidance"))
    sets = root / "rule-sets.yaml"
    if sets.exists():
        for rule_set in yaml.safe_load(sets.read_text(encoding="utf-8")):
            add(f"rule-sets.yaml {rule_set['id']}", rule_set.get("guidance"))
    return out


def test_no_guidance_list_is_written_word_for_word_twice() -> None:
    copies = {k: v for k, v in written_lists(DATA).items() if len(v) > 1}
    assert copies == {}, "write it once in rule-sets.yaml and `- use:` it: " + "; ".join(map(str, copies.values()))


def test_the_copy_check_finds_a_copy(tmp_path: Path) -> None:
    (tmp_path / "codes").mkdir()
    rule = {"modality": "ct", "state": "unconfirmed", "reason": "r.", "sources": ["S1"], "confidence": "low"}
    (tmp_path / "codes" / "a.yaml").write_text(yaml.safe_dump([
        {"code": "64400", "guidance": [rule]}, {"code": "64405", "guidance": [rule]},
        {"code": "64408", "guidance": [{"use": "x"}]}, {"code": "64418", "guidance": [{"use": "x"}]}]))
    copies = [v for v in written_lists(tmp_path).values() if len(v) > 1]
    assert copies == [["codes/a.yaml 64400", "codes/a.yaml 64405"]]


def test_the_transforaminal_history_is_one_rule_set(catalog: Catalog) -> None:
    rule_set = catalog.rule_sets["transforaminal-imaging-history"]
    for code in ("64479", "64480", "64483", "64484"):
        rec = catalog.by_code[code]
        assert [p for p in rec.policies if p.rule_set == rule_set.id] == list(rule_set.policies), code


# --- the same invariants on every pack -------------------------------------------------------------------------


def write_pack(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True)
    for rel, text in files.items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    sums = pack_reading.compute_checksums(folder)
    manifest = ("name: Test pack\nversion: \"1\"\ncode_set_year: 2026\neffective:\n  from: 2026-01-01\nfiles:\n"
                + "".join(f"  {rel}: {digest}\n" for rel, digest in sums.items()))
    (folder / "pack.yaml").write_text(manifest, encoding="utf-8")
    return folder


def test_a_pack_that_redirects_to_a_deleted_code_is_refused_with_its_line(tmp_path: Path) -> None:
    """62311 was deleted after 2016 (replaced by 62322/62323): a 2026 rule may not send the coder to it."""
    pack = write_pack(tmp_path / "p", {"codes/x.yaml": """\
        - code: "62322"
          guidance:
            - modality: fluoroscopy
              state: redirect
              redirect_to: "62311"
              reason: A bad redirect to a deleted code.
              sources: [S6]
              confidence: medium
        """})
    _, problems = validate_pack(pack)
    assert [str(p) for p in problems] == [
        "codes/x.yaml:3: 62322: the rule answers 62311 with no end date, but 62311 was deleted after 2016-12-31"]


def test_a_pack_rule_claiming_high_with_no_source_is_refused(tmp_path: Path) -> None:
    pack = write_pack(tmp_path / "p", {"codes/x.yaml": """\
        - code: "64405"
          guidance:
            - modality: mri
              state: separate
              code: "77021"
              reason: A sure answer with no source.
              sources: [X-GC-NOSOURCE]
              confidence: high
        """})
    _, problems = validate_pack(pack)
    assert [str(p) for p in problems] == [
        "codes/x.yaml:3: 64405: confidence 'high' needs a real source: X-GC-NOSOURCE means that no source was "
        "found"]


def test_a_merged_record_is_checked_with_the_loaders_record_rules(tmp_path: Path) -> None:
    """The pack's record is fine on its own; merged with the built-in 62282 (regions lumbar, sacral) it breaks
    the loader's record rule, and the same invariant refuses it."""
    pack = write_pack(tmp_path / "p", {"codes/x.yaml": """\
        - code: "62282"
          spinal: false
        """})
    _, problems = validate_pack(pack)
    assert [str(p) for p in problems] == ["codes/x.yaml:1: 62282: 'regions' is only for spinal codes (spinal: true)"]


# --- a pack that changes only rules.yaml -----------------------------------------------------------------------


TWO_REGIONS_MEDICARE = {"date_of_service": "2026-03-02", "setting": "asc", "payer": "medicare",
                        "modality": "fluoroscopy", "procedures": [{"code": "62281", "regions": ["cervical"]},
                                                                  {"code": "62282", "regions": ["lumbar"]}]}


def resolve_cli(*args: str) -> dict[str, object]:
    proc = subprocess.run([sys.executable, "-m", "desktop", "resolve", *args, "-"], cwd=ROOT, capture_output=True,
                          text=True, input=json.dumps(TWO_REGIONS_MEDICARE), timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)  # type: ignore[no-any-return]


def lines_of(out: dict[str, object]) -> list[str]:
    return ["-".join([ln["code"], *ln["modifiers"]]) + f" x{ln['units']}" for ln in out["guidance_lines"]]  # type: ignore[attr-defined, index]


def test_a_pack_with_only_rules_changes_the_answer_in_resolve() -> None:
    """Built-in: Medicare pays 77003 once per encounter (corrections, NCCI ch. IX). The sample pack's plan
    pays it per region, and the answer follows."""
    assert lines_of(resolve_cli()) == ["77003-26 x1"]
    out = resolve_cli("--data-dir", str(RULES_PACK))
    assert lines_of(out) == ["77003-26 x1", "77003-26-XS x1"]
    assert [p["name"] for p in out["data_packs"]] == ["GuideCode built-in data", "Example payer rules"]  # type: ignore[attr-defined, index]


def test_a_pack_with_only_rules_changes_the_answer_in_the_window(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from datetime import date

    from desktop.core.packs.report import load_report
    from desktop.ui.main_window import MainWindow
    from desktop.ui.settings import Settings

    report = load_report(RULES_PACK)
    assert report.problems == ()
    window = MainWindow(report.catalog, Settings.at(tmp_path / "s.ini"))
    qtbot.addWidget(window)
    window.set_date(date(2026, 3, 2))
    window.set_setting("asc")
    window.set_payer("medicare")
    window.set_modality("fluoroscopy")
    window.add_procedure("62281")
    window.set_region("cervical", True)
    window.add_procedure("62282")
    window.set_region("lumbar", True)
    assert window.displayed_lines() == ["77003-26 \u00d71", "77003-26-XS \u00d71"]


def test_a_rules_only_pack_keeps_the_built_in_rule_before_its_dates() -> None:
    from datetime import date

    from desktop.core.packs.report import load_report

    catalog = load_report(RULES_PACK).catalog
    before = catalog.rules.units_for("77003", "medicare", date(2025, 12, 31))
    after = catalog.rules.units_for("77003", "medicare", date(2026, 1, 1))
    assert before is not None and before.basis == "per_encounter" and before.origin == "built-in"
    assert after is not None and after.basis == "per_region" and after.origin == "Example payer rules"


# --- layers and import circles ----------------------------------------------------------------------------------


def test_the_import_contracts_hold() -> None:
    """import-linter (pyproject.toml): no Qt in the core, commands above the window above the core, and no
    import circle between the modules of any package (acyclic_siblings)."""
    proc = subprocess.run([str(Path(sys.executable).with_name("lint-imports"))], cwd=ROOT, capture_output=True,
                          text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert proc.stdout.count("KEPT") == 3


def test_the_catalog_keeps_the_rule_book(catalog: Catalog) -> None:
    assert catalog.rules == load_builtin().rules
    sections = catalog.rules.sections()
    assert all(sections[name] for name in ("places_of_service", "professional_component", "distinct_modifier",
                                           "units", "bilateral", "ptp_edits", "mue"))


# --- the code-set warning follows the data that answered (issue "Nothing lost", part 8) ---------------------


def test_a_packs_code_set_year_counts_only_for_the_rules_it_wrote(tmp_path: Path) -> None:
    from datetime import date

    from desktop.core.engine import resolve
    from desktop.core.model import Encounter, ProcedureEntry
    from desktop.core.packs.merge import apply_packs

    folder = write_pack(tmp_path / "p", {"codes/x.yaml": """\
        - code: "64405"
          guidance:
            - modality: fluoroscopy
              state: separate
              code: "77002"
              reason: Checked again for 2027.
              sources: [S10]
              confidence: high
        """})
    text = (folder / "pack.yaml").read_text().replace("code_set_year: 2026", "code_set_year: 2027").replace(
        "from: 2026-01-01", "from: 2027-01-01")
    (folder / "pack.yaml").write_text(text)
    base = load_builtin()
    pack, problems = pack_reading.read_pack(folder, "packs/p", base)
    assert problems == [] and pack is not None
    catalog, skipped = apply_packs(base, [pack])
    assert skipped == {}

    def warned(code: str, when: date) -> bool:
        res = resolve(catalog, Encounter(when, procedures=(ProcedureEntry(code),)))
        return any("after code-set year" in m.text for m in res.messages)

    assert not warned("64405", date(2027, 6, 1))   # answered by the pack, checked for 2027
    assert warned("20610", date(2027, 6, 1))       # answered by the built-in data, checked for 2026
    assert warned("64405", date(2028, 1, 2))       # after the pack's year too
    assert not warned("20610", date(2026, 6, 1))
