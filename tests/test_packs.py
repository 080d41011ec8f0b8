"""Data packs (desktop.core.packs): the sample pack changes an answer; every broken fixture is refused with
exactly its problems and leaves the installed data as it was; override and splice semantics; on/off state."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from desktop.core.engine import resolve
from desktop.core.loader import Problem
from desktop.core.model import Catalog, Encounter, Location, Policy, ProcedureEntry
from desktop.core.packs import folders as pack_folders
from desktop.core.packs import install as pack_install
from desktop.core.packs import merge as pack_merge
from desktop.core.packs import reading as pack_reading
from desktop.core.packs import report as pack_report

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "packs"
SAMPLE = ROOT / "resources" / "samples" / "packs" / "example-payer-notes"

# The exact problems each broken fixture must produce, as `validate-pack` prints them (pack-relative files).
BROKEN: dict[str, list[str]] = {
    "bad-checksum": [
        "pack.yaml:8: files: checksum of codes/notes.yaml does not match: pack.yaml says 2a719eb67976..., the "
        "file is 1d934ea02138... (the file was changed or damaged after the pack was made)",
    ],
    "bad-manifest": [
        "pack.yaml:7: pack: unknown key 'publisher'",
        "pack.yaml:2: pack: missing required key 'version'",
        "pack.yaml:6: pack effective: effective dates end (2025-12-31) before they start (2026-01-01)",
    ],
    "code-set-year-mismatch": [
        "pack.yaml:4: pack: code_set_year 2027 does not match the effective dates: a pack for code set 2027 "
        "takes effect in 2027, not on 2026-01-01",
    ],
    "dangling-reference": [
        "codes/notes.yaml:3: 64405: source 'L-NOWHERE' is not in sources.yaml",
        "codes/notes.yaml:3: 64405: guidance rule names 77999, which has no record",
    ],
    "duplicate-code": [
        "codes/b.yaml:1: 64405: code 64405 is defined twice in this pack (first in codes/a.yaml line 1)",
    ],
    "missing-file": [
        "pack.yaml:9: files: codes/gone.yaml is listed but not in the pack",
    ],
    "missing-manifest": [
        "pack.yaml:1: file is missing",
    ],
    "new-code-without-name": [
        "codes/notes.yaml:1: 0999T: missing required key 'name': 0999T is a new code (only a record that "
        "overrides an existing code may leave the name out)",
    ],
    "outside-effective-dates": [
        "codes/notes.yaml:3: 64405 guidance rule 1: rule dates 2025-07-01..open are outside the pack's "
        "effective dates 2026-01-01..open",
    ],
    "overlapping-dates": [
        "codes/notes.yaml:9: 64405: guidance rules for ultrasound overlap in dates with the rule at line 3 "
        "(start..2026-06-30 and 2026-06-01..open)",
    ],
    "source-id-taken": [
        "sources.yaml:1: S10: source S10 is already defined by the built-in data; give this source another id",
    ],
    "unexpected-file": [
        "codes/more.yml:1: unexpected file: a pack holds pack.yaml, sources.yaml, rules.yaml, rule-sets.yaml, "
        "codes/*.yaml, ncci/ tables and optional notes (*.md, *.txt) beside pack.yaml",
    ],
    "unknown-key": [
        "codes/notes.yaml:8: 64405: unknown key 'cautons' (did you mean 'cautions'?)",
    ],
    "unlisted-file": [
        "pack.yaml:8: files: codes/extra.yaml is in the pack but not listed with its sha256 checksum",
    ],
    "wrong-type": [
        "pack.yaml:3: pack: 'version' must be text, got the number 1.5",
        "codes/notes.yaml:2: 64405: 'terms' must be a list of text, got 'occipital block'",
        "codes/notes.yaml:3: 64405: 'spinal' must be true or false, got 'no'",
    ],
    "yaml-syntax": [
        "codes/notes.yaml:5: not valid YAML: did not find expected '-' indicator (while parsing a block collection)",
    ],
}


def expected_problems(name: str, catalog: Catalog) -> list[str]:
    if name != "breaks-builtin":
        return BROKEN[name]
    # Turning 77002 into a procedure breaks every built-in rule that names it: worked out from the data
    # the same way the loader's reference check walks it, so the test follows the data as codes are added.
    out = ["codes/notes.yaml:1: 77002: 'guidance_code' is only for records of kind 'guidance'"]
    for rec in catalog.records:
        for policy in rec.policies:
            for ref in [policy.code, *(a.code for a in policy.alternatives)]:
                if ref == "77002":
                    loc = policy.location
                    out.append(f"built-in/{loc.file}:{loc.line}: {rec.code}: guidance rule names 77002, which "
                               "is not a guidance code")
    for rule in catalog.rules.units:
        if "77002" in rule.codes:
            out.append(f"built-in/{rule.location.file}:{rule.location.line}: {rule.id}: names 77002, which is not "
                       "a guidance code")
    assert len(out) > 1, "the built-in data no longer names 77002 anywhere; pick another code for this fixture"
    return out


BROKEN_NAMES = [*sorted(BROKEN), "breaks-builtin"]


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def sonogram(day: str = "2026-03-02") -> Encounter:
    return Encounter(date.fromisoformat(day), modality="ultrasound", procedures=(ProcedureEntry("64405"),))


def run_cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "desktop", *args], input=stdin, capture_output=True, text=True,
                          cwd=ROOT, timeout=120, check=False)


# ---------------------------------------------------------------------------------------------------------
# The sample pack


def test_at_least_eight_broken_fixtures_exist() -> None:
    folders = {p.name for p in FIXTURES.iterdir() if p.is_dir()}
    assert set(BROKEN_NAMES) <= folders
    assert len(BROKEN_NAMES) >= 8


def test_sample_pack_is_valid(catalog: Catalog) -> None:
    manifest, problems = pack_install.validate_pack(SAMPLE, base=catalog)
    assert problems == []
    assert manifest is not None
    assert (manifest.name, manifest.version, manifest.code_set_year) == ("Example payer notes", "2026.1-sample", 2026)


def test_sample_pack_changes_the_answer_and_names_itself(catalog: Catalog) -> None:
    before = resolve(catalog, sonogram())
    assert [ln.code for ln in before.guidance_lines] == ["76942"]
    merged, problems = pack_report.load_with_packs(SAMPLE)
    assert problems == []
    after = resolve(merged, sonogram())
    assert after.guidance_lines == ()
    assert after.procedures[0].state == "included"
    assert after.procedures[0].sources == ("L-EXAMPLE-1",)
    assert [(p.name, p.version, p.builtin) for p in after.packs] == [
        ("GuideCode built-in data", catalog.data_version, True), ("Example payer notes", "2026.1-sample", False)]
    assert merged.version_label == f"built-in {catalog.data_version} + Example payer notes 2026.1-sample"
    # Dates before the pack takes effect keep the built-in answer.
    assert [ln.code for ln in resolve(merged, sonogram("2025-06-02")).guidance_lines] == ["76942"]


def test_resolve_command_with_data_dir_applies_the_sample_pack() -> None:
    enc = json.dumps({"date_of_service": "2026-03-02", "modality": "ultrasound", "procedures": [{"code": "64405"}]})
    plain = run_cli("resolve", "-", stdin=enc)
    assert plain.returncode == 0, plain.stderr
    with_pack = run_cli("resolve", "--data-dir", str(SAMPLE), "-", stdin=enc)
    assert with_pack.returncode == 0, with_pack.stderr
    a, b = json.loads(plain.stdout), json.loads(with_pack.stdout)
    assert [ln["code"] for ln in a["guidance_lines"]] == ["76942"]
    assert b["guidance_lines"] == []
    assert b["procedures"][0]["guidance"] == "included"
    assert [p["name"] for p in a["data_packs"]] == ["GuideCode built-in data"]
    assert [(p["name"], p["version"]) for p in b["data_packs"]] == [
        ("GuideCode built-in data", a["data_version"]), ("Example payer notes", "2026.1-sample")]


def test_resolve_command_reads_the_installed_packs_of_the_user_data_folder(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    pack_install.import_pack(SAMPLE, tmp_path)
    enc = json.dumps({"date_of_service": "2026-03-02", "modality": "ultrasound", "procedures": [{"code": "64405"}]})
    out = run_cli("resolve", "--data-dir", str(tmp_path), "-", stdin=enc)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["guidance_lines"] == []
    # Without --data-dir: the user data folder, the same one the window uses.
    monkeypatch.setenv("GUIDECODE_USER_DIR", str(tmp_path))
    default = run_cli("resolve", "-", stdin=enc)
    assert default.returncode == 0, default.stderr
    assert [p["name"] for p in json.loads(default.stdout)["data_packs"]] == [
        "GuideCode built-in data", "Example payer notes"]


def test_resolve_command_says_when_the_data_dir_does_not_exist(tmp_path: Path) -> None:
    enc = json.dumps({"date_of_service": "2026-03-02", "procedures": [{"code": "64405"}]})
    out = run_cli("resolve", "--data-dir", str(tmp_path / "nope"), "-", stdin=enc)
    assert out.returncode == 0
    assert f"{tmp_path / 'nope'}:1: the data folder does not exist; no data pack was applied" in out.stderr


# ---------------------------------------------------------------------------------------------------------
# Broken packs: refused with exactly their problems, nothing changes


@pytest.mark.parametrize("name", BROKEN_NAMES)
def test_validate_pack_lists_exactly_the_problems(name: str, catalog: Catalog) -> None:
    manifest, problems = pack_install.validate_pack(FIXTURES / name, base=catalog)
    assert [str(p) for p in problems] == expected_problems(name, catalog)


@pytest.mark.parametrize("name", BROKEN_NAMES)
def test_import_refuses_a_broken_pack_and_changes_nothing(name: str, catalog: Catalog, tmp_path: Path) -> None:
    pack_install.import_pack(SAMPLE, tmp_path, base=catalog)
    before = snapshot(tmp_path)
    answer_before = resolve(pack_report.load_report(tmp_path, catalog).catalog, sonogram())
    with pytest.raises(pack_install.PackRefused) as err:
        pack_install.import_pack(FIXTURES / name, tmp_path, base=catalog)
    assert [str(p) for p in err.value.problems] == expected_problems(name, catalog)
    assert snapshot(tmp_path) == before
    report = pack_report.load_report(tmp_path, catalog)
    assert [s.title for s in report.packs] == ["Example payer notes 2026.1-sample"]
    assert resolve(report.catalog, sonogram()) == answer_before


@pytest.mark.parametrize("name", BROKEN_NAMES)
def test_validate_pack_command_prints_the_problems_and_exits_1(name: str, catalog: Catalog,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    from desktop.cli import dispatch

    assert dispatch(["validate-pack", str(FIXTURES / name)]) == 1
    out, err = capsys.readouterr()
    assert out.splitlines() == expected_problems(name, catalog)
    assert "is not a valid data pack" in err


def test_validate_pack_command_in_a_real_process() -> None:
    bad = run_cli("validate-pack", str(FIXTURES / "duplicate-code"))
    assert bad.returncode == 1
    assert bad.stdout.splitlines() == BROKEN["duplicate-code"]
    good = run_cli("validate-pack", str(SAMPLE))
    assert good.returncode == 0, good.stdout + good.stderr
    assert "valid data pack 'Example payer notes' version 2026.1-sample" in good.stdout
    assert run_cli("validate-pack", str(FIXTURES / "no-such-pack")).returncode == 2


def test_checksums_option_prints_the_files_block(capsys: pytest.CaptureFixture[str]) -> None:
    from desktop.cli import dispatch

    assert dispatch(["validate-pack", "--checksums", str(SAMPLE)]) == 0
    out = capsys.readouterr().out
    manifest_text = (SAMPLE / "pack.yaml").read_text(encoding="utf-8")
    assert out.startswith("files:\n")
    assert out.splitlines()[1:] and all(line in manifest_text for line in out.splitlines())


# ---------------------------------------------------------------------------------------------------------
# Override and splice semantics


def _policy(mods: tuple[str, ...], start: str | None, end: str | None, state: str = "included") -> Policy:
    return Policy(modalities=mods, start=date.fromisoformat(start) if start else None,  # type: ignore[arg-type]
                  end=date.fromisoformat(end) if end else None, state=state, reason="r",  # type: ignore[arg-type]
                  sources=("S1",), confidence="high", location=Location("x", 1))


def _spans(policies: tuple[Policy, ...]) -> list[tuple[tuple[str, ...], str, str]]:
    return [(p.modalities, str(p.start or "start"), str(p.end or "open")) for p in policies]


def test_splice_cuts_a_rule_in_the_middle_and_keeps_other_modalities() -> None:
    base = (_policy(("fluoroscopy", "ct"), None, None),)
    new = (_policy(("fluoroscopy",), "2026-01-01", "2026-06-30", "separate"),)
    out = pack_merge.splice_policies(base, new)
    assert _spans(out) == [
        (("ct",), "start", "open"),
        (("fluoroscopy",), "start", "2025-12-31"),
        (("fluoroscopy",), "2026-01-01", "2026-06-30"),
        (("fluoroscopy",), "2026-07-01", "open"),
    ]
    assert out[2].state == "separate"


def test_splice_removes_a_rule_that_is_covered_entirely() -> None:
    base = (_policy(("mri",), "2026-02-01", "2026-03-01"), _policy(("mri",), "2026-03-02", None))
    out = pack_merge.splice_policies(base, (_policy(("mri",), "2026-01-01", None, "unconfirmed"),))
    assert _spans(out) == [(("mri",), "2026-01-01", "open")]


def test_override_replaces_written_keys_and_keeps_the_rest(catalog: Catalog) -> None:
    merged, problems = pack_report.load_with_packs(SAMPLE)
    assert problems == []
    old, new = catalog.get("64405"), merged.get("64405")
    assert old is not None and new is not None
    # Keys the sample does not write are kept.
    assert (new.name, new.terms, new.bilateral, new.cautions, new.area) == (
        old.name, old.terms, old.bilateral, old.cautions, old.area)
    assert new.origin == "Example payer notes"
    # Only ultrasound from 2026-01-01 changed; every other modality keeps its built-in rules.
    for modality in ("fluoroscopy", "ct", "mri", "none"):
        for day in (date(2019, 5, 1), date(2026, 3, 2)):
            assert new.policy_for(modality, day) == old.policy_for(modality, day)  # type: ignore[arg-type]
    assert new.policy_for("ultrasound", date(2025, 12, 31)) is not None
    assert new.policy_for("ultrasound", date(2025, 12, 31)).state == old.policy_for(  # type: ignore[union-attr]
        "ultrasound", date(2025, 12, 31)).state  # type: ignore[union-attr]
    assert new.policy_for("ultrasound", date(2026, 1, 1)).state == "included"  # type: ignore[union-attr]
    # Other records are untouched.
    assert {r.code for r in merged.records} == {r.code for r in catalog.records}
    assert all(merged.get(r.code) == r for r in catalog.records if r.code != "64405")


def _write_pack(folder: Path, name: str, start: str, codes: str, sources: str | None = None,
                version: str = "1") -> Path:
    (folder / "codes").mkdir(parents=True, exist_ok=True)
    (folder / "codes" / "c.yaml").write_text(codes, encoding="utf-8")
    if sources is not None:
        (folder / "sources.yaml").write_text(sources, encoding="utf-8")
    sums = pack_reading.compute_checksums(folder)
    lines = [f"name: {name}", f'version: "{version}"', f"code_set_year: {start[:4]}", "effective:",
             f"  from: {start}", "files:", *(f"  {k}: {v}" for k, v in sums.items())]
    (folder / "pack.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


RULE = """- code: "64405"
  guidance:
    - modality: ultrasound
      state: {state}
      reason: {reason}
      sources: [S10]
      confidence: low
"""


def test_later_pack_wins_where_packs_overlap(tmp_path: Path, catalog: Catalog) -> None:
    early = _write_pack(tmp_path / "src-a", "Alpha", "2026-01-01", RULE.format(state="included", reason="Alpha."))
    late = _write_pack(tmp_path / "src-b", "Beta", "2026-04-01",
                       RULE.format(state="unconfirmed", reason="Beta."))
    data = tmp_path / "data"
    pack_install.import_pack(late, data, base=catalog)  # installation order does not matter; effective dates do
    pack_install.import_pack(early, data, base=catalog)
    merged = pack_report.load_report(data, catalog).catalog
    assert [p.name for p in merged.packs] == ["GuideCode built-in data", "Alpha", "Beta"]
    assert resolve(merged, sonogram("2026-03-31")).procedures[0].reason == "Alpha."
    assert resolve(merged, sonogram("2026-04-01")).procedures[0].reason == "Beta."
    assert resolve(merged, sonogram("2025-12-31")).procedures[0].state == "separate"


def test_a_broken_installed_pack_is_skipped_and_the_others_still_apply(tmp_path: Path, catalog: Catalog) -> None:
    pack_install.import_pack(SAMPLE, tmp_path, base=catalog)
    shutil.copytree(FIXTURES / "bad-checksum", tmp_path / "packs" / "damaged")
    report = pack_report.load_report(tmp_path, catalog)
    assert [p.name for p in report.catalog.packs] == ["GuideCode built-in data", "Example payer notes"]
    assert [str(p) for p in report.problems] == ["packs/damaged/" + BROKEN["bad-checksum"][0]]
    status = {s.folder: s for s in report.packs}
    assert status["damaged"].enabled and not status["damaged"].applied
    assert status["example-payer-notes"].applied
    assert [s.folder for s in report.skipped] == ["damaged"]


def test_disabled_pack_is_not_applied_and_can_be_enabled_again(tmp_path: Path, catalog: Catalog) -> None:
    result = pack_install.import_pack(SAMPLE, tmp_path, base=catalog)
    pack_folders.set_enabled(tmp_path, result.folder, False)
    assert json.loads((tmp_path / pack_folders.STATE_FILE).read_text()) == {"disabled": ["example-payer-notes"]}
    report = pack_report.load_report(tmp_path, catalog)
    assert report.catalog is catalog
    assert [(s.folder, s.enabled, s.applied, s.title) for s in report.packs] == [
        ("example-payer-notes", False, False, "Example payer notes 2026.1-sample")]
    pack_folders.set_enabled(tmp_path, result.folder, True)
    assert len(pack_report.load_report(tmp_path, catalog).catalog.packs) == 2


def test_broken_on_off_settings_start_on_the_built_in_data_and_say_so(tmp_path: Path, catalog: Catalog) -> None:
    pack_install.import_pack(SAMPLE, tmp_path, base=catalog)
    (tmp_path / pack_folders.STATE_FILE).write_text('{"disabled": [', encoding="utf-8")
    report = pack_report.load_report(tmp_path, catalog)
    assert report.catalog is catalog
    assert [str(p) for p in report.problems] == [
        "data-packs.json:1: the pack on/off settings are not valid JSON: Expecting value"]
    (tmp_path / pack_folders.STATE_FILE).write_text('{"disabled": "all"}', encoding="utf-8")
    assert [str(p) for p in pack_report.load_report(tmp_path, catalog).problems] == [
        'data-packs.json:1: the pack on/off settings must look like {"disabled": ["folder", ...]}']


def test_import_replaces_the_pack_of_the_same_name(tmp_path: Path, catalog: Catalog) -> None:
    v1 = _write_pack(tmp_path / "v1", "Office rules", "2026-01-01", RULE.format(state="included", reason="One."))
    v2 = _write_pack(tmp_path / "v2", "Office rules", "2026-01-01", RULE.format(state="included", reason="Two."),
                     version="2")
    data = tmp_path / "data"
    first = pack_install.import_pack(v1, data, base=catalog)
    second = pack_install.import_pack(v2, data, base=catalog)
    assert (first.folder, first.replaced, second.folder, second.replaced) == (
        "office-rules", None, "office-rules", "office-rules")
    assert [p.name for p in (data / "packs").iterdir()] == ["office-rules"]
    merged = pack_report.load_report(data, catalog).catalog
    assert [(p.name, p.version) for p in merged.packs[1:]] == [("Office rules", "2")]
    assert resolve(merged, sonogram()).procedures[0].reason == "Two."


def test_import_refuses_a_pack_that_would_break_an_installed_one(tmp_path: Path, catalog: Catalog) -> None:
    src = "- id: L-SHARED\n  title: A local source\n"
    late = _write_pack(tmp_path / "a", "Late", "2026-06-01", RULE.format(state="included", reason="L.")
                       .replace("[S10]", "[L-SHARED]"), sources=src)
    early = _write_pack(tmp_path / "b", "Early", "2026-01-01", RULE.format(state="included", reason="E."),
                        sources=src)
    data = tmp_path / "data"
    pack_install.import_pack(late, data, base=catalog)
    before = snapshot(data)
    with pytest.raises(pack_install.PackRefused) as err:
        pack_install.import_pack(early, data, base=catalog)
    assert [str(p) for p in err.value.problems] == [
        "packs/late/sources.yaml:1: L-SHARED: source L-SHARED is already defined by data pack 'Early'; give this "
        "source another id (installing this pack would make the installed pack 'Late' fail)"]
    assert snapshot(data) == before


def test_remove_pack(tmp_path: Path, catalog: Catalog) -> None:
    result = pack_install.import_pack(SAMPLE, tmp_path, base=catalog)
    pack_folders.set_enabled(tmp_path, result.folder, False)
    pack_install.remove_pack(tmp_path, result.folder)
    assert list((tmp_path / "packs").iterdir()) == []
    assert pack_folders.read_state(tmp_path) == (frozenset(), [])
    with pytest.raises(ValueError, match="no installed data pack"):
        pack_install.remove_pack(tmp_path, "../outside")


def test_pack_folders_layouts(tmp_path: Path) -> None:
    assert pack_folders.pack_folders(SAMPLE) == [(SAMPLE, "")]
    (tmp_path / "packs" / "x").mkdir(parents=True)
    (tmp_path / "packs" / ".import-123").mkdir()
    assert pack_folders.pack_folders(tmp_path) == [(tmp_path / "packs" / "x", "packs/x/")]
    plain = tmp_path / "plain"
    shutil.copytree(SAMPLE, plain / "one")
    (plain / "logs").mkdir()
    assert pack_folders.pack_folders(plain) == [(plain / "one", "one/")]


def test_problem_str_is_file_line_entry_message() -> None:
    assert str(Problem("codes/a.yaml", 3, "64405", "bad")) == "codes/a.yaml:3: 64405: bad"
