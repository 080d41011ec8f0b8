"""The engine's edge-case decisions (issue 2, item 4), pinned on a small catalog written here, so that the
semantics are tested independently of the shipped data (tests/test_rules_table.py covers that data)."""

from __future__ import annotations

import textwrap
from datetime import date
from pathlib import Path

import pytest

from desktop.core.engine import resolve
from desktop.core.loader import load_folder
from desktop.core.model import Catalog, Encounter, ProcedureEntry

FILES = {
    "manifest.yaml": """
        data_version: "sem-1"
        code_set_year: 2026
        covers_from: 2007-01-01
    """,
    "sources.yaml": """
        - {id: S1, title: one}
        - {id: S2, title: two}
        - {id: S3, title: three}
    """,
    "rules.yaml": """
        professional_component:
          - {id: pc-26, settings: [hospital_outpatient, asc], modifier: "26", reason: facility 26., sources: [S1],
             confidence: high}
          - {id: pc-office, settings: [office], modifier: null, reason: office global., sources: [S1],
             confidence: high}
        distinct_modifier:
          - {id: d-xs, payers: [medicare], from: 2015-01-01, modifier: "XS", never_with: ["59"], reason: xs.,
             sources: [S2], confidence: high}
          - {id: d-59-old, payers: [medicare], until: 2014-12-31, modifier: "59", reason: old 59., sources: [S2],
             confidence: high}
          - {id: d-59, payers: [other], modifier: "59", reason: cpt 59., sources: [S2], confidence: medium}
        units:
          - {id: u-other, codes: ["77002", "76942"], basis: per_encounter, confirmed: false, note: units unknown,
             reason: one line., sources: [S3], confidence: low}
          - {id: u-77003-cpt, codes: ["77003"], payers: [other], basis: per_region, confirmed: true,
             note: per region, reason: per region., sources: [S1], confidence: medium}
          - {id: u-77003-medicare, codes: ["77003"], payers: [medicare], basis: per_encounter, confirmed: true,
             note: one per encounter (NCCI ch. IX; MUE 1), reason: once per encounter., sources: [S2],
             confidence: high}
          - {id: u-76000, codes: ["76000"], basis: per_encounter, confirmed: true, note: once, reason: once.,
             sources: [S1], confidence: medium}
        bilateral:
          - {id: b-50, categories: [modifier_50], report: one_line_50, note: one line with 50, reason: b50.,
             sources: [S1], confidence: high}
          - {id: b-addon-medicare, categories: [addon_conflict], payers: [medicare], report: one_line_50,
             note: add-on once with 50, reason: cms., sources: [S1], confidence: high}
          - {id: b-addon-other, categories: [addon_conflict], payers: [other], report: two_units, severity: warning,
             note: CPT says twice; CMS says 50, reason: cpt., sources: [S2, S3], confidence: low}
          - {id: b-not, categories: [not_bilateral], report: no_sides, severity: warning, note: not sided,
             reason: not sided., sources: [S3], confidence: medium}
          - {id: b-unconfirmed, categories: [unconfirmed], report: unconfirmed, severity: warning,
             note: not confirmed, reason: unknown., sources: [S3], confidence: low}
          - {id: b-na, categories: [not_applicable], report: no_sides, note: sides do not apply, reason: na.,
             sources: [S3], confidence: low}
    """,
    "codes/g.yaml": """
        - code: "77002"
          kind: guidance
          name: fluoro non-spinal
          guidance_code: {modality: fluoroscopy}
        - code: "77003"
          kind: guidance
          name: fluoro spinal
          valid_from: 2007-01-01
          guidance_code: {modality: fluoroscopy}
        - code: "76942"
          kind: guidance
          name: ultrasound
          guidance_code: {modality: ultrasound}
        - code: "76000"
          kind: guidance
          name: fluoroscopy separate
          guidance_code: {modality: fluoroscopy, suggest: false,
                          not_suggested_reason: integral to injections, not_suggested_sources: [S1]}
    """,
    "codes/p.yaml": """
        - code: "64405"
          name: nerve block
          bilateral: modifier_50
          guidance:
            - {modality: fluoroscopy, state: separate, code: "77002", reason: r-fluoro, sources: [S1],
               confidence: high}
            - {modality: ultrasound, state: separate, code: "76942", reason: r-us, sources: [S2],
               confidence: medium}
        - code: "20610"
          name: big joint
          guidance:
            - {modality: fluoroscopy, state: separate, code: "77002", reason: r-joint, sources: [S2],
               confidence: high}
            - {modality: ultrasound, from: 2015-01-01, state: redirect, redirect_to: "20611",
               reason: use 20611, sources: [S2], confidence: high}
            - {modality: ultrasound, until: 2014-12-31, state: separate, code: "76942", reason: old,
               sources: [S2], confidence: medium}
        - code: "20611"
          name: big joint with us
          valid_from: 2015-01-01
          guidance:
            - {modality: ultrasound, state: included, reason: us included, sources: [S2], confidence: high}
        - code: "62282"
          name: neurolytic epidural lumbar
          spinal: true
          regions: [lumbar, sacral]
          guidance:
            - {modality: fluoroscopy, state: separate, code: "77003", reason: r-spine, sources: [S1],
               confidence: medium}
        - code: "62281"
          name: neurolytic epidural cervical thoracic
          spinal: true
          regions: [cervical, thoracic]
          guidance:
            - {modality: fluoroscopy, state: separate, code: "77003", reason: r-spine2, sources: [S1],
               confidence: medium}
        - code: "62323"
          name: epidural with imaging
          spinal: true
          regions: [lumbar, sacral]
          bilateral: not_bilateral
          valid_from: 2017-01-01
          guidance:
            - {modality: fluoroscopy, state: included, reason: imaging included, sources: [S1], confidence: high}
            - {modality: none, state: redirect, redirect_to: "62322", reason: use twin, sources: [S1],
               confidence: high}
        - code: "62322"
          name: epidural without imaging
          valid_from: 2017-01-01
        - code: "64520"
          name: sympathetic block
          spinal: true
          regions: [lumbar]
          guidance:
            - modality: fluoroscopy
              state: separate
              code: "77003"
              reason: preferred newer advice
              sources: [S2]
              confidence: low
              alternatives:
                - {code: "77002", reason: older advice, sources: [S3], confidence: low}
        - code: "64494"
          name: facet add-on
          spinal: true
          regions: [lumbar]
          bilateral: addon_conflict
          guidance:
            - {modality: fluoroscopy, state: included, reason: included, sources: [S1], confidence: high}
        - code: "23350"
          name: shoulder arthrography injection
          guidance:
            - {modality: fluoroscopy, state: separate, code: "77002", reason: ct/mr arthro, sources: [S2],
               confidence: medium}
        - code: "73040"
          kind: imaging
          name: shoulder arthrography S&I
          covers_guidance: {injections: ["23350"], reason: S&I includes fluoro, sources: [S1], confidence: medium}
        - code: "73222"
          kind: imaging
          name: MR arthrography
        - code: "64470"
          name: old facet
          valid_to: 2009-12-31
          replaced_by: ["64494"]
    """,
}


@pytest.fixture(scope="module")
def cat(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    root = tmp_path_factory.mktemp("sem")
    for name, text in FILES.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return load_folder(Path(root))


def run(cat: Catalog, *procs: ProcedureEntry, **kw: object) -> tuple[list[str], dict[str, str], list[str]]:
    enc = Encounter(date_of_service=kw.pop("when", date(2025, 6, 1)), procedures=procs, **kw)  # type: ignore[arg-type]
    res = resolve(cat, enc)
    return ([ln.display for ln in res.guidance_lines], {p.code: p.state for p in res.procedures},
            [f"{m.severity}: {m.text}" for m in res.messages])


P = ProcedureEntry


def test_one_line_per_encounter_for_non_spinal_codes_with_unit_warning(cat: Catalog) -> None:
    lines, states, msgs = run(cat, P("64405"), P("20610"))
    assert lines == ["77002 \u00d71"]
    assert states == {"64405": "separate", "20610": "separate"}
    assert any(m.startswith("warning: 77002: one line of 1 unit") and "UNCONFIRMED" in m for m in msgs)


def test_single_site_has_no_unit_warning(cat: Catalog) -> None:
    lines, _, msgs = run(cat, P("64405"))
    assert lines == ["77002 \u00d71"] and msgs == []


def test_bilateral_counts_as_several_sites(cat: Catalog) -> None:
    _, _, msgs = run(cat, P("64405", modifiers=("50",)), modality="ultrasound")
    assert any("76942: one line of 1 unit" in m for m in msgs)


@pytest.mark.parametrize(("setting", "expected"), [
    ("office", ["77003 \u00d71", "77003-59 \u00d71"]),
    ("hospital_outpatient", ["77003-26 \u00d71", "77003-26-59 \u00d71"]),
])
def test_77003_per_region_rule_one_line_per_region_second_with_the_distinct_modifier(
        cat: Catalog, setting: str, expected: list[str]) -> None:
    lines, _, _ = run(cat, P("62281", regions=("cervical",)), P("62282", regions=("lumbar",)),
                      setting=setting, payer="other")
    assert lines == expected


@pytest.mark.parametrize(("setting", "expected"), [("office", ["77003 \u00d71"]), ("asc", ["77003-26 \u00d71"])])
def test_77003_per_encounter_rule_one_line_whatever_the_regions_and_says_why(
        cat: Catalog, setting: str, expected: list[str]) -> None:
    lines, _, msgs = run(cat, P("62281", regions=("cervical",)), P("62282", regions=("lumbar",)),
                         setting=setting, payer="medicare")
    assert lines == expected
    assert ("warning: 77003: one line of 1 unit for 2 spinal regions (cervical, lumbar). one per encounter (NCCI "
            "ch. IX; MUE 1)") in msgs


def test_77003_same_region_twice_is_one_unit_never_per_level(cat: Catalog) -> None:
    lines, _, _ = run(cat, P("62282", regions=("lumbar",), units=3), P("64520"))
    assert lines == ["77003 \u00d71"]


def test_77003_unticked_procedure_counts_its_implied_region(cat: Catalog) -> None:
    lines, _, msgs = run(cat, P("62282"), P("62281", regions=("cervical",)))
    assert lines == ["77003 \u00d71", "77003-59 \u00d71"]
    assert any("62282: no region ticked; counted as lumbar" in m for m in msgs)


def test_two_regions_ticked_on_one_procedure_count_as_two(cat: Catalog) -> None:
    lines, _, _ = run(cat, P("62282", regions=("lumbar", "sacral")))
    assert lines == ["77003 \u00d71", "77003-59 \u00d71"]


def test_conflict_answers_preferred_and_warns_with_alternative(cat: Catalog) -> None:
    res = resolve(cat, Encounter(date(2025, 1, 2), procedures=(P("64520"),)))
    assert [ln.code for ln in res.guidance_lines] == ["77003"]
    assert res.procedures[0].state == "separate" and res.procedures[0].confidence == "low"
    warn = [m for m in res.messages if m.severity == "warning"]
    assert len(warn) == 1 and "77002" in warn[0].text and "S3" in warn[0].text and "S2" in warn[0].text


def test_invalid_code_does_not_stop_the_rest(cat: Catalog) -> None:
    res = resolve(cat, Encounter(date(2025, 1, 2), procedures=(P("99999"), P("64470"), P("64405"))))
    assert [ln.display for ln in res.guidance_lines] == ["77002 \u00d71"]
    assert [p.state for p in res.procedures] == ["invalid", "invalid", "separate"]
    errors = [m.text for m in res.messages if m.severity == "error"]
    assert errors == ["99999: unknown code; it is not in GuideCode's data (check the number, or load a data "
                      "pack that has it).", "64470 was deleted: valid until 2009-12-31; with fluoroscopy report 64494."]
    assert res.has_errors


def test_not_yet_valid(cat: Catalog) -> None:
    _, states, msgs = run(cat, P("62323"), when=date(2016, 12, 31))
    assert states == {"62323": "invalid"}
    assert msgs == ["error: 62323 was not valid yet on 2016-12-31; it starts 2017-01-01."]


def test_redirect_is_a_warning_without_a_line(cat: Catalog) -> None:
    lines, states, msgs = run(cat, P("20610"), modality="ultrasound")
    assert lines == [] and states == {"20610": "redirect"}
    assert msgs == ["warning: Ultrasound with 20610 \u2192 report 20611 instead. use 20611"]
    lines, states, _ = run(cat, P("20610"), modality="ultrasound", when=date(2014, 12, 31))
    assert lines == ["76942 \u00d71"] and states == {"20610": "separate"}


def test_with_imaging_code_without_imaging_redirects_to_twin(cat: Catalog) -> None:
    lines, states, msgs = run(cat, P("62323"), modality="none")
    assert lines == [] and states == {"62323": "redirect"}
    assert "report 62322 instead" in msgs[0]


def test_no_imaging_means_none_used(cat: Catalog) -> None:
    lines, states, _ = run(cat, P("64405"), modality="none")
    assert lines == [] and states == {"64405": "none_used"}


def test_no_rule_for_modality_is_unconfirmed_not_a_guess(cat: Catalog) -> None:
    lines, states, msgs = run(cat, P("64405"), modality="mri")
    assert lines == [] and states == {"64405": "unconfirmed"}
    assert msgs[0].startswith("warning: GuideCode has no sourced rule for 64405 with mr")


def test_per_procedure_modality_override(cat: Catalog) -> None:
    lines, _, _ = run(cat, P("64405", modality="ultrasound"), P("62282"), modality="fluoroscopy")
    assert lines == ["76942 \u00d71", "77003 \u00d71"]


def test_76000_is_never_suggested_and_explained(cat: Catalog) -> None:
    lines, states, msgs = run(cat, P("76000"), P("64405"))
    assert lines == ["77002 \u00d71"]
    assert states["76000"] == "none_used"
    assert msgs == ["warning: 76000 entered: integral to injections"]


def test_included_gives_no_line(cat: Catalog) -> None:
    lines, states, _ = run(cat, P("62323"))
    assert lines == [] and states == {"62323": "included"}


def test_laterality_modifiers_win_and_mismatch_warns(cat: Catalog) -> None:
    _, _, msgs = run(cat, P("64405", modifiers=("RT",), laterality="left"))
    assert "warning: 64405: modifiers RT say right but laterality says left; the modifiers are used." in msgs
    _, _, msgs = run(cat, P("62323", modifiers=("50",)))
    assert "warning: 62323: not sided (modifier 50 entered.)" in msgs
    _, _, msgs = run(cat, P("62323", modifiers=("RT",)))
    assert "warning: 62323: not sided (modifier RT entered.)" in msgs
    _, _, msgs = run(cat, P("64494", laterality="bilateral"))
    assert "warning: 64494 bilateral: CPT says twice; CMS says 50" in msgs


@pytest.mark.parametrize(("payer", "procedure", "lines"), [
    ("medicare", P("64494", laterality="bilateral"), ["64494-50 \u00d71"]),
    ("other", P("64494", laterality="bilateral"), ["64494 \u00d72"]),
    ("other", P("64405", modifiers=("50",)), ["64405-50 \u00d71"]),
    ("other", P("64405", laterality="left"), ["64405-LT \u00d71"]),
    ("other", P("62323", modifiers=("RT",)), ["62323 \u00d71"]),
    ("other", P("20610", modality="ultrasound"), ["20611 \u00d71"]),
])
def test_procedure_lines_follow_the_payers_bilateral_rule_and_redirects(cat: Catalog, payer: str,
                                                                         procedure: ProcedureEntry,
                                                                         lines: list[str]) -> None:
    res = resolve(cat, Encounter(date(2025, 6, 1), payer=payer, procedures=(procedure,)))  # type: ignore[arg-type]
    assert [ln.display for ln in res.procedure_lines] == lines


def test_si_code_makes_its_injection_included_but_mr_arthrography_does_not(cat: Catalog) -> None:
    lines, states, _ = run(cat, P("23350"), P("73040"))
    assert lines == [] and states == {"23350": "included", "73040": "none_used"}
    lines, states, _ = run(cat, P("23350"), P("73222"))
    assert lines == ["77002 \u00d71"] and states["23350"] == "separate"


def test_26_iff_facility_and_never_59_with_xs(cat: Catalog) -> None:
    for setting in ("office", "hospital_outpatient", "asc"):
        for payer in ("medicare", "other"):
            res = resolve(cat, Encounter(date(2025, 3, 3), setting, payer, "fluoroscopy",  # type: ignore[arg-type]
                                         (P("64405"), P("62282", regions=("lumbar", "sacral")))))
            for line in res.guidance_lines:
                assert ("26" in line.modifiers) == (setting != "office")
                assert not {"59", "XS"} <= set(line.modifiers)


def test_dates_outside_the_data(cat: Catalog) -> None:
    _, states, msgs = run(cat, P("64405"), when=date(2006, 12, 31))
    assert states == {"64405": "invalid"} and msgs[0].startswith("error: Date of service 2006-12-31 is before")
    lines, _, msgs = run(cat, P("64405"), when=date(2027, 1, 1))
    assert lines == ["77002 \u00d71"] and "after code-set year 2026" in msgs[0]


def test_invalid_answer_cites_the_sources_of_the_dates(tmp_path: Path) -> None:
    root = tmp_path
    for name, text in FILES.items():
        if name == "codes/p.yaml":
            text = text.replace('          valid_to: 2009-12-31\n', '          valid_to: 2009-12-31\n'
                                '          dates_sources: [S2]\n          dates_confidence: high\n')
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    res = resolve(load_folder(root), Encounter(date(2025, 1, 2), procedures=(P("64470"),)))
    assert res.procedures[0].state == "invalid"
    assert res.procedures[0].sources == ("S2",) and res.procedures[0].confidence == "high"
    assert res.messages[0].sources == ("S2",)
