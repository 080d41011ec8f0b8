"""Broken data is refused with a message naming file, line and entry (issue 2, item 3).

Each case starts from a small valid data folder and breaks one thing; the expected problem is written out
in full, so a vaguer message (no line, no entry) fails the test.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from desktop.core.loader import DataError, Problem, load_folder

MANIFEST = """\
data_version: "t1"
code_set_year: 2026
covers_from: 2007-01-01
"""
SOURCES = """\
- id: S1
  title: A test source
- id: S2
  title: Another test source
"""
GUIDANCE = """\
- code: "77002"
  kind: guidance
  name: Fluoroscopic needle guidance, non-spinal
  guidance_code:
    modality: fluoroscopy
"""
RULES = """\
units:
  - id: units-77002
    codes: ["77002"]
    basis: per_encounter
    reason: One line of one unit per encounter.
    sources: [S1]
    confidence: high
"""
NERVE = """\
- code: "64405"
  name: Occipital nerve block
  terms: [GON block]
  guidance:
    - modality: fluoroscopy
      state: separate
      code: "77002"
      reason: Peripheral nerve blocks take non-spinal fluoroscopy.
      sources: [S1]
      confidence: high
    - modality: [ct, mri]
      state: unconfirmed
      reason: Not confirmed.
      sources: [S2]
      confidence: low
- code: "64402"
  name: Old facial nerve block
  valid_to: 2019-12-31
  replaced_by: ["64405"]
"""


def write_folder(root: Path, **files: str) -> Path:
    content = {"manifest.yaml": MANIFEST, "sources.yaml": SOURCES, "rules.yaml": RULES, "codes/guidance.yaml": GUIDANCE,
               "codes/nerve.yaml": NERVE}
    for name, text in files.items():
        content[name.replace("__", "/").replace("_yaml", ".yaml")] = text
    for name, text in content.items():
        if text is None:
            continue
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return root


def problems_for(tmp_path: Path, **files: str) -> list[str]:
    with pytest.raises(DataError) as info:
        load_folder(write_folder(tmp_path, **files))
    return [str(p) for p in info.value.problems]


def test_the_valid_folder_loads(tmp_path: Path) -> None:
    catalog = load_folder(write_folder(tmp_path))
    assert sorted(catalog.by_code) == ["64402", "64405", "77002"]
    assert catalog.by_code["64405"].location.line == 1


def test_yaml_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    broken = NERVE.replace("  terms: [GON block]", "  terms: [GON block")
    problems = problems_for(tmp_path, codes__nerve_yaml=broken)
    assert len(problems) == 1
    assert problems[0].startswith("codes/nerve.yaml:4: not valid YAML: ")


def test_unknown_key_names_line_and_entry_and_suggests(tmp_path: Path) -> None:
    broken = NERVE.replace('      code: "77002"', '      cod: "77002"')
    problems = problems_for(tmp_path, codes__nerve_yaml=broken)
    assert "codes/nerve.yaml:7: 64405 guidance rule 1: unknown key 'cod' (did you mean 'code'?)" in problems
    assert "codes/nerve.yaml:5: 64405 guidance rule 1: state 'separate' needs 'code': the guidance code " \
           "that is reported" in problems


def test_unquoted_code_is_a_wrong_type(tmp_path: Path) -> None:
    broken = NERVE.replace('- code: "64405"', "- code: 64405")
    problems = problems_for(tmp_path, codes__nerve_yaml=broken)
    assert problems == ["codes/nerve.yaml:1: record: 'code': codes must be quoted text such as \"64405\", "
                        "got the number 64405"]


def test_wrong_type_for_a_flag(tmp_path: Path) -> None:
    broken = NERVE.replace("  terms: [GON block]", "  terms: [GON block]\n  spinal: sometimes")
    assert problems_for(tmp_path, codes__nerve_yaml=broken) == [
        "codes/nerve.yaml:4: 64405: 'spinal' must be true or false, got 'sometimes'"]


def test_duplicate_code_across_files(tmp_path: Path) -> None:
    extra = '- code: "64405"\n  name: The same code again\n'
    assert problems_for(tmp_path, codes__zz_yaml=extra) == [
        "codes/zz.yaml:1: 64405: code 64405 is defined twice (first at codes/nerve.yaml:1)"]


def test_duplicate_key_inside_one_record(tmp_path: Path) -> None:
    broken = NERVE.replace("  terms: [GON block]", "  terms: [GON block]\n  name: Again")
    problems = problems_for(tmp_path, codes__nerve_yaml=broken)
    assert len(problems) == 1
    assert problems[0].startswith("codes/nerve.yaml:4: not valid YAML: found duplicate key 'name'")


def test_overlapping_date_ranges(tmp_path: Path) -> None:
    broken = NERVE.replace("    - modality: [ct, mri]", "    - modality: [ct, mri, fluoroscopy]\n"
                           "      from: 2020-01-01")
    assert problems_for(tmp_path, codes__nerve_yaml=broken) == [
        "codes/nerve.yaml:11: 64405: guidance rules for fluoroscopy overlap in dates with "
        "the rule at line 5 (start..open and 2020-01-01..open)"]


def test_dangling_guidance_code(tmp_path: Path) -> None:
    broken = NERVE.replace('code: "77002"', 'code: "77003"')
    assert problems_for(tmp_path, codes__nerve_yaml=broken) == [
        "codes/nerve.yaml:5: 64405: guidance rule names 77003, which has no record"]


def test_guidance_rule_naming_a_procedure(tmp_path: Path) -> None:
    broken = NERVE.replace('code: "77002"', 'code: "64402"')
    assert problems_for(tmp_path, codes__nerve_yaml=broken) == [
        "codes/nerve.yaml:5: 64405: guidance rule names 64402, which is not a guidance code"]


def test_dangling_replacement(tmp_path: Path) -> None:
    broken = NERVE.replace('replaced_by: ["64405"]', 'replaced_by: ["64999"]')
    assert problems_for(tmp_path, codes__nerve_yaml=broken) == [
        "codes/nerve.yaml:16: 64402: replaced_by names 64999, which has no record"]


def test_unknown_source_id(tmp_path: Path) -> None:
    broken = NERVE.replace("sources: [S1]", "sources: [S99]")
    assert problems_for(tmp_path, codes__nerve_yaml=broken) == [
        "codes/nerve.yaml:5: 64405: source 'S99' is not in sources.yaml"]


def test_bad_enum_value(tmp_path: Path) -> None:
    broken = NERVE.replace("- modality: fluoroscopy", "- modality: xray")
    assert problems_for(tmp_path, codes__nerve_yaml=broken) == [
        "codes/nerve.yaml:5: 64405 guidance rule 1: 'modality' values must be among "
        "fluoroscopy, ct, ultrasound, mri, none; got 'xray'"]


def test_missing_required_reason(tmp_path: Path) -> None:
    broken = NERVE.replace("      reason: Peripheral nerve blocks take non-spinal fluoroscopy.\n", "")
    assert problems_for(tmp_path, codes__nerve_yaml=broken) == [
        "codes/nerve.yaml:5: 64405 guidance rule 1: missing required key 'reason'"]


def test_reversed_and_impossible_dates(tmp_path: Path) -> None:
    broken = NERVE.replace("  valid_to: 2019-12-31", "  valid_from: 2020-01-01\n  valid_to: 2019-12-31")
    assert problems_for(tmp_path, codes__nerve_yaml=broken) == [
        "codes/nerve.yaml:19: 64402: valid_to 2019-12-31 is before valid_from 2020-01-01"]
    broken = NERVE.replace("  valid_to: 2019-12-31", '  valid_to: "2019-02-30"')
    assert problems_for(tmp_path / "b", codes__nerve_yaml=broken) == [
        "codes/nerve.yaml:18: 64402: 'valid_to' must be a date written YYYY-MM-DD, got '2019-02-30'",
        "codes/nerve.yaml:19: 64402: 'replaced_by' needs 'valid_to': the last day the code was valid"]


def test_file_that_is_not_a_list(tmp_path: Path) -> None:
    assert problems_for(tmp_path, codes__nerve_yaml="code: '64405'\nname: x\n") == [
        "codes/nerve.yaml:1: the file must be a list of code records (each starting with '- code:')"]


def test_missing_manifest_and_bad_manifest(tmp_path: Path) -> None:
    folder = write_folder(tmp_path)
    (folder / "manifest.yaml").unlink()
    with pytest.raises(DataError) as info:
        load_folder(folder)
    assert [str(p) for p in info.value.problems] == ["manifest.yaml:1: file is missing"]
    bad = MANIFEST.replace('data_version: "t1"', "data_version: 3")
    assert problems_for(tmp_path / "m", manifest_yaml=bad) == [
        "manifest.yaml:1: manifest: 'data_version' must be text, got the number 3"]


def test_every_problem_is_reported_not_just_the_first(tmp_path: Path) -> None:
    broken = NERVE.replace("sources: [S1]", "sources: [S99]").replace('replaced_by: ["64405"]',
                                                                      'replaced_by: ["64999"]')
    assert len(problems_for(tmp_path, codes__nerve_yaml=broken)) == 2


def test_not_utf8(tmp_path: Path) -> None:
    folder = write_folder(tmp_path)
    (folder / "codes" / "nerve.yaml").write_bytes(b"- code: \"64405\"\n  name: caf\xe9\n")
    with pytest.raises(DataError) as info:
        load_folder(folder)
    assert str(info.value.problems[0]).startswith("codes/nerve.yaml:1: file is not UTF-8 text")


def test_problem_format() -> None:
    assert str(Problem("codes/a.yaml", 3, "64405", "bad")) == "codes/a.yaml:3: 64405: bad"
    assert str(Problem("codes/a.yaml", 3, "", "bad")) == "codes/a.yaml:3: bad"
