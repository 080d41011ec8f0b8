"""Independent, table-driven check of the built-in data + engine against the cited fact base.

Every expected answer below comes from the fact base, never from the YAML: docs/fact-base/core.md,
"Corrections", "Guidance codes and units", "Guidance included in the procedure", "Guidance reported
separately", "Modifiers", "Deleted codes", "Forum confusions" and "Open questions". Each case names its source
ids (the ids of resources/data/sources.yaml, or, where the fact base itself is the authority, ``Qn`` for
question Qn of docs/fact-base/core.md, "Open questions", ``Sec10`` for docs/fact-base/core.md, "Deleted
codes", and ``Sec8.n`` for item n of docs/fact-base/core.md, "Forum confusions"); the ids appear in the
pytest ids. Where the fact base says UNCONFIRMED the expected state is ``unconfirmed`` (and no guidance line).

The one exception is :func:`test_data_date_boundary`, which is generated from the loaded catalog on
purpose: it walks every dated policy and every valid_from/valid_to and checks that the engine switches
its answer on exactly the day the data says.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pytest

from desktop.core.encounter_json import parse_encounter
from desktop.core.engine import resolve
from desktop.core.model import SETTINGS, Catalog, CodeRecord, Resolution

# Fact base, modifier 26 (docs/fact-base/core.md, "Modifiers", row E5): the physician's guidance line carries 26 in a
# hospital outpatient department or an ASC, and no modifier in the office (S23, S24, S25). The expectation is
# written here, independently of rules.yaml, so that a wrong rule in the data fails this table.
FACILITY_SETTINGS = frozenset({"hospital_outpatient", "asc"})

NOW = "2025-06-01"  # a date after every change in the fact base and inside the 2026 code set
FC = ("fluoroscopy", "ct")


# --------------------------------------------------------------------------------------------------------
# The case type and its checker
# --------------------------------------------------------------------------------------------------------


def P(code: str, *, mods: Iterable[str] = (), regions: Iterable[str] = (), lat: str | None = None,
      units: int = 1, modality: str | None = None) -> dict[str, Any]:
    """One procedure as the JSON contract spells it."""
    out: dict[str, Any] = {"code": code}
    if units != 1:
        out["units"] = units
    if mods:
        out["modifiers"] = list(mods)
    if regions:
        out["regions"] = list(regions)
    if lat is not None:
        out["laterality"] = lat
    if modality is not None:
        out["modality"] = modality
    return out


@dataclass(frozen=True, eq=False)
class Case:
    """One encounter and what the fact base says about it.

    lines:       expected guidance-line codes as a multiset; () = no guidance line; None = not checked.
    line_mods:   expected (code, modifiers) pairs as a multiset (exact modifiers, order-insensitive).
    states:      code -> expected state for every result of that code. "a|b" = either; "!a" = anything but a.
    redirects:   code -> expected redirect_to ("a|b" = either).
    warn:        each tuple: substrings that must all occur in ONE warning (text + its source ids).
    no_warn:     each tuple: substrings that must NOT all occur together in any warning.
    errors:      expected ``resolution.has_errors`` (None = not checked).
    error_names: code -> an error message naming that code must also name one of these codes.
    """

    name: str
    src: str
    procs: tuple[Any, ...]
    modality: str = "fluoroscopy"
    date: str = NOW
    setting: str = "office"
    payer: str = "other"
    lines: tuple[str, ...] | None = None
    line_mods: tuple[tuple[str, tuple[str, ...]], ...] | None = None
    states: dict[str, str] = field(default_factory=dict)
    redirects: dict[str, str] = field(default_factory=dict)
    warn: tuple[tuple[str, ...], ...] = ()
    no_warn: tuple[tuple[str, ...], ...] = ()
    errors: bool | None = False
    error_names: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def id(self) -> str:
        when = "" if self.date == NOW or self.date in self.name else f" @{self.date}"
        return f"{self.src}|{self.name}{when}"

    def encounter_json(self) -> dict[str, Any]:
        procs = [P(p) if isinstance(p, str) else p for p in self.procs]
        return {"date_of_service": self.date, "setting": self.setting, "payer": self.payer,
                "modality": self.modality, "procedures": procs}


def _describe(res: Resolution) -> str:
    lines = ", ".join(ln.display for ln in res.guidance_lines) or "(none)"
    procs = "; ".join(f"{p.code}={p.state}" + (f"->{p.guidance_code}" if p.guidance_code else "")
                      + (f" redirect {p.redirect_to}" if p.redirect_to else "") for p in res.procedures)
    msgs = "\n    ".join(f"[{m.severity}] {m.text} {list(m.sources) if m.sources else ''}" for m in res.messages)
    return f"  lines: {lines}\n  procedures: {procs}\n  messages:\n    {msgs or '(none)'}"


def _matches(expected: str, actual: str | None) -> bool:
    if expected.startswith("!"):
        return actual not in expected[1:].split("|")
    return actual in expected.split("|")


def _has_message(res: Resolution, severity: str, parts: tuple[str, ...]) -> bool:
    for m in res.messages:
        if m.severity != severity:
            continue
        hay = (m.text + " " + " ".join(m.sources) + " " + (m.code or "")).lower()
        if all(p.lower() in hay for p in parts):
            return True
    return False


def run_case(case: Case, catalog: Catalog) -> Resolution:
    enc = parse_encounter(case.encounter_json(), today=date.fromisoformat(NOW))
    return resolve(catalog, enc)


def check_case(case: Case, catalog: Catalog) -> None:
    res = run_case(case, catalog)
    problems: list[str] = []
    if case.lines is not None:
        got = Counter(ln.code for ln in res.guidance_lines)
        if got != Counter(case.lines):
            problems.append(f"guidance lines: expected {sorted(case.lines) or 'none'}, got {sorted(got.elements())}")
    if case.line_mods is not None:
        got_m = Counter((ln.code, tuple(sorted(ln.modifiers))) for ln in res.guidance_lines)
        want_m = Counter((c, tuple(sorted(m))) for c, m in case.line_mods)
        if got_m != want_m:
            problems.append(f"lines with modifiers: expected {sorted(want_m.elements())}, "
                            f"got {sorted(got_m.elements())}")
    for ln in res.guidance_lines:
        if "59" in ln.modifiers and any(m.startswith("X") and m in {"XE", "XS", "XP", "XU"} for m in ln.modifiers):
            problems.append(f"{ln.display}: both 59 and an X modifier on one line (S49)")
        if ("26" in ln.modifiers) != (case.setting in FACILITY_SETTINGS):
            problems.append(f"{ln.display}: modifier 26 must be present iff the setting is a facility (S23, S24, S25)")
        if ln.code == "76000":
            problems.append("a 76000 guidance line was produced (S41: never for injections)")
    by_code: dict[str, list[Any]] = {}
    for p in res.procedures:
        by_code.setdefault(p.code, []).append(p)
    for code, want in case.states.items():
        got_r = by_code.get(code)
        if not got_r:
            problems.append(f"{code}: no result")
            continue
        for r in got_r:
            if not _matches(want, r.state):
                problems.append(f"{code}: expected state {want}, got {r.state}")
    for code, want in case.redirects.items():
        for r in by_code.get(code, []):
            if not _matches(want, r.redirect_to):
                problems.append(f"{code}: expected redirect to {want}, got {r.redirect_to}")
    for parts in case.warn:
        if not _has_message(res, "warning", parts):
            problems.append(f"no warning naming all of {parts}")
    for parts in case.no_warn:
        if _has_message(res, "warning", parts):
            problems.append(f"unexpected warning naming {parts}")
    if case.errors is not None and res.has_errors != case.errors:
        problems.append(f"has_errors: expected {case.errors}, got {res.has_errors}")
    for code, names in case.error_names.items():
        ok = any(m.severity == "error" and code in m.text and any(n in m.text for n in names) for m in res.messages)
        if not ok:
            problems.append(f"no error message naming {code} and one of its replacements {names}")
    assert not problems, f"{case.id}\n  " + "\n  ".join(problems) + "\n" + _describe(res)


def params(cases: Iterable[Case]) -> list[Any]:
    return [pytest.param(c, id=c.id) for c in cases]


# --------------------------------------------------------------------------------------------------------
# Case builders
# --------------------------------------------------------------------------------------------------------


def included(codes: Iterable[str], modalities: Iterable[str], src: str, *, when: str = NOW) -> Iterator[Case]:
    for code in codes:
        for mod in modalities:
            yield Case(f"{code} {mod} -> included", src, (code,), mod, when, lines=(), states={code: "included"})


def redirected(mapping: dict[str, str], modalities: Iterable[str], src: str, *, when: str = NOW) -> Iterator[Case]:
    for code, target in mapping.items():
        for mod in modalities:
            yield Case(f"{code} {mod} -> redirect {target}", src, (code,), mod, when, lines=(),
                       states={code: "redirect"}, redirects={code: target})


def separate(codes: Iterable[str], by_modality: dict[str, str], src: str, *, when: str = NOW) -> Iterator[Case]:
    for code in codes:
        for mod, gcode in by_modality.items():
            yield Case(f"{code} {mod} -> {gcode}", src, (code,), mod, when, lines=(gcode,),
                       states={code: "separate"})


def unconfirmed(codes: Iterable[str], modalities: Iterable[str], src: str, *, when: str = NOW) -> Iterator[Case]:
    for code in codes:
        for mod in modalities:
            yield Case(f"{code} {mod} -> UNCONFIRMED", src, (code,), mod, when, lines=(),
                       states={code: "unconfirmed"})


def rng(first: int, last: int) -> list[str]:
    return [str(n) for n in range(first, last + 1)]


# --------------------------------------------------------------------------------------------------------
# docs/fact-base/core.md, "Guidance included in the procedure" (and the redirects it implies)
# --------------------------------------------------------------------------------------------------------

RADIOGRAPHIC_ARTHROGRAPHY_SI = ("73040", "73085", "73115", "73525", "73580", "73615")

TABLE_C: list[Case] = [
    # 62321/62323/62325/62327: fluoroscopy or CT and contrast included (CPT 2017)
    *included(["62321", "62323", "62325", "62327"], FC, "S6"),
    # 62320/62322/62324/62326: without-imaging twins -> report the with-imaging code instead
    *redirected({"62320": "62321", "62322": "62323", "62324": "62325", "62326": "62327"}, FC, "S6"),
    # ... and whether ultrasound with them is billable is UNCONFIRMED (docs/fact-base/core.md, "Open questions", Q10)
    *unconfirmed(["62320", "62322", "62324", "62326"], ["ultrasound"], "S6,Q10"),
    # transforaminal epidurals (S38 names the four real codes of the 64479-64484 range)
    *included(["64479", "64480", "64483", "64484"], FC, "S5,S6,S34"),
    # facet joint / medial branch injections; with ultrasound use 0213T-0218T instead
    *included(rng(64490, 64495), FC, "S7,S8"),
    *redirected({"64490": "0213T", "64491": "0214T", "64492": "0215T",
                 "64493": "0216T", "64494": "0217T", "64495": "0218T"}, ["ultrasound"], "S7,S8,S31"),
    *included(["0213T", "0214T", "0215T", "0216T", "0217T", "0218T"], ["ultrasound"], "S31"),
    # facet RFA (CPT 2012)
    *included(rng(64633, 64636), FC, "S8"),
    # SI joint injection (CPT 2012), and the Medicare facility code G0260
    *included(["27096"], FC, "S1,S52"),
    *included(["G0260"], FC, "S9,S52"),
    # CPT 2020 codes
    *included(["64451"], FC, "S5,S9"),
    *included(["64625"], FC, "S5"),
    *included(["64454"], ("ultrasound", "fluoroscopy", "ct"), "S5"),
    *included(["64624"], ("ultrasound", "fluoroscopy", "ct"), "S5,S32"),
    # paravertebral, TAP and plexus/large nerve blocks
    *included(["64461", "64462", "64463"], ("ultrasound", "fluoroscopy"), "S5"),
    *included(rng(64486, 64489), ("ultrasound",), "S5"),
    *included(["64415", "64416", "64417", "64445", "64446", "64447", "64448"], ("ultrasound", "fluoroscopy"), "S33"),
    # vertebroplasty / augmentation: all imaging guidance
    *included(rng(22510, 22515), FC, "S28"),
    *included(["62287"], FC, "S29"),
    *included(["62263", "62264"], ("fluoroscopy",), "S3,S37"),
    *included(["64561"], ("fluoroscopy",), "S30"),
    # arthrocentesis with ultrasound (CPT 2015)
    *included(["20604", "20606", "20611"], ("ultrasound",), "S13"),
    # lumbar puncture with fluoroscopy/CT (CPT 2020)
    *included(["62328", "62329"], FC, "S17"),
    # discography S&I: fluoroscopy is part of the S&I -> no 77003
    *[Case(f"{si} alone fluoroscopy -> no guidance line", "S36,S51", (si,), lines=(),
           states={si: "included|none_used"}) for si in ("72285", "72295")],
    Case("62290 + 72295 fluoroscopy -> 62290 included, no 77003", "S36,S37,S51", ("62290", "72295"),
         lines=(), states={"62290": "included"}),
    Case("62291 + 72285 fluoroscopy -> 62291 included, no 77003", "S36,S37,S51", ("62291", "72285"),
         lines=(), states={"62291": "included"}),
    # formerly 72275 (epidurography S&I) included 77003: 62311 + 72275 in 2015
    Case("2015 62311 + 72275 fluoroscopy -> no 77003", "S37,S48,S36", ("62311", "72275"), date="2015-06-01",
         lines=(), states={"62311": "included"}),
    # radiographic arthrography S&I: its fluoroscopy covers the injection -> no 77002
    *[Case(f"{si} alone fluoroscopy -> no guidance line", "S27,S37", (si,), lines=(),
           states={si: "included|none_used"}) for si in RADIOGRAPHIC_ARTHROGRAPHY_SI],
    # (73040 + 23350 is in MISC with the S&I rule)
    Case("73525 + 27093 fluoroscopy -> 27093 included", "S27,S37", ("73525", "27093"), lines=(),
         states={"27093": "included"}),
    Case("73525 + 27095 fluoroscopy -> 27095 included", "S27,S37", ("73525", "27095"), lines=(),
         states={"27095": "included"}),
    Case("73580 + 27369 fluoroscopy -> 27369 included", "S27,S37", ("73580", "27369"), lines=(),
         states={"27369": "included"}),
]

# --------------------------------------------------------------------------------------------------------
# docs/fact-base/core.md, "Guidance reported separately"
# --------------------------------------------------------------------------------------------------------

PERIPHERAL_NERVES = ["64400", "64405", "64408", "64418", "64420", "64421", "64425", "64430", "64435", "64449",
                     "64450"]
SYMPATHETIC = ["64510", "64517", "64520"]

TABLE_D: list[Case] = [
    *separate(PERIPHERAL_NERVES, {"fluoroscopy": "77002", "ct": "77012", "ultrasound": "76942"}, "S5,S10,S2,S45"),
    *unconfirmed(PERIPHERAL_NERVES, ["mri"], "S5,S10"),
    *separate(["64505", "64530"], {"fluoroscopy": "77002", "ct": "77012", "ultrasound": "76942"}, "S10"),
    *separate(SYMPATHETIC, {"ct": "77012", "ultrasound": "76942"}, "S10,S11"),
    *separate(["62273"], {"fluoroscopy": "77003", "ct": "77012"}, "S35,S3"),
    *unconfirmed(["62273"], ["ultrasound"], "S35"),
    *separate(["62280", "62281", "62282"], {"fluoroscopy": "77003", "ct": "77012"}, "S35"),
    *separate(["62284"], {"fluoroscopy": "77003"}, "S39,S40"),
    *separate(["96450"], {"fluoroscopy": "77003"}, "S39"),
    *separate(["62267"], {"fluoroscopy": "77003", "ct": "77012"}, "S2,S39"),
    # lumbar puncture without imaging: fluoroscopy/CT -> use 62328/62329; ultrasound -> 76942; MR UNCONFIRMED
    *redirected({"62270": "62328", "62272": "62329"}, FC, "S17"),
    *separate(["62270", "62272"], {"ultrasound": "76942"}, "S17,S18"),
    *unconfirmed(["62270", "62272"], ["mri"], "S17,S18"),
    # arthrocentesis without ultrasound
    *separate(["20600", "20605", "20610"], {"fluoroscopy": "77002"}, "S12,S2"),
    *separate(["20600", "20605", "20610"], {"ct": "77012", "mri": "77021"}, "S12,S2,S13"),
    *redirected({"20600": "20604", "20605": "20606", "20610": "20611"}, ["ultrasound"], "S13"),
    # trigger points
    *separate(["20552", "20553"], {"fluoroscopy": "77002", "ultrasound": "76942", "mri": "77021"}, "S14,S55"),
    # arthrography injections for CT/MR arthrography (no radiographic S&I in the encounter)
    *separate(["23350"], {"fluoroscopy": "77002"}, "S26,S27"),
    *separate(["27093", "27095", "27369"], {"fluoroscopy": "77002"}, "S27,S37"),
    # unit counts for both sides / several joints: UNCONFIRMED -> one code, a warning saying so
    Case("64405-50 fluoroscopy -> 77002 and units UNCONFIRMED warning", "S42,Q7", (P("64405", mods=["50"]),),
         states={"64405": "separate"}, warn=(("77002", "UNCONFIRMED"),)),
    Case("20610 twice fluoroscopy -> 77002 and units UNCONFIRMED warning", "S42,Q7", ("20610", "20610"),
         states={"20610": "separate"}, warn=(("77002", "UNCONFIRMED"),)),
]


# --------------------------------------------------------------------------------------------------------
# docs/fact-base/core.md, "Modifiers"
# --------------------------------------------------------------------------------------------------------


def _facility(setting: str) -> tuple[str, ...]:
    return ("26",) if setting in FACILITY_SETTINGS else ()


TWO_REGIONS = (P("62281", regions=["cervical"]), P("62282", regions=["lumbar"]))

_26_ENCOUNTERS: list[tuple[str, str, tuple[Any, ...], tuple[str, ...]]] = [
    ("64405 fluoroscopy", "fluoroscopy", ("64405",), ("77002",)),
    ("64405 ct", "ct", ("64405",), ("77012",)),
    ("64405 ultrasound", "ultrasound", ("64405",), ("76942",)),
    ("20610 mri", "mri", ("20610",), ("77021",)),
    ("62282 lumbar fluoroscopy", "fluoroscopy", (P("62282", regions=["lumbar"]),), ("77003",)),
]

TABLE_E: list[Case] = []
for _setting in SETTINGS:
    for _name, _mod, _procs, _codes in _26_ENCOUNTERS:
        TABLE_E.append(Case(f"{_name} {_setting} -> 26 iff facility", "S23,S24,S25", _procs, _mod, setting=_setting,
                            line_mods=tuple((c, _facility(_setting)) for c in _codes)))
    TABLE_E.append(Case(
        f"62281 cervical + 62282 lumbar {_setting} other -> 77003 and 77003-59", "S3,S4,S19,S49",
        TWO_REGIONS, setting=_setting, payer="other",
        line_mods=(("77003", _facility(_setting)), ("77003", (*_facility(_setting), "59")))))
    # docs/fact-base/core.md, "Corrections" (K1, K2): Medicare reports 77003 once per encounter whatever the regions
    # (NCCI Policy Manual ch. IX; MUE 1, MAI 3); the answer says what happens to the second region.
    TABLE_E.append(Case(
        f"62281 cervical + 62282 lumbar {_setting} medicare -> one 77003, the per-encounter rule and the MUE",
        "X-NCCI-PM-IX,X-NCCI-MUE-2024Q3", TWO_REGIONS, setting=_setting, payer="medicare",
        line_mods=(("77003", _facility(_setting)),),
        warn=(("77003", "one unit per patient encounter", "MUE", "X-NCCI-PM-IX", "X-NCCI-MUE-2024Q3"),)))
TABLE_E += [
    # 77003 per region, not per level
    Case("62282 lumbar + 62273 lumbar -> one 77003", "S3,S4", (P("62282", regions=["lumbar"]),
         P("62273", regions=["lumbar"])), line_mods=(("77003", ()),)),
    Case("62282 lumbar x3 units -> one 77003 x1", "S3,S4", (P("62282", regions=["lumbar"], units=3),),
         line_mods=(("77003", ()),)),
    Case("62281 cervical + 62282 lumbar -> two 77003 lines", "S3,S4", TWO_REGIONS, lines=("77003", "77003")),
    # bilateral add-ons: CPT (twice, no 50) vs CMS (-50 x1) -> a warning naming both answers
    *[Case(f"{c}-50 -> CPT vs CMS bilateral add-on warning", "S20,S22", (P(c, mods=["50"]),),
           warn=((c, "CPT", "CMS"),)) for c in ("64421", "64462", "64480", "64484", "64491", "64492", "64494",
                                                 "64495")],
    Case("64494 RT+LT -> CPT vs CMS bilateral add-on warning", "S20,S22,S21", (P("64494", mods=["RT", "LT"]),),
         warn=(("64494", "CPT", "CMS"),)),
    # interlaminar/caudal epidurals are not bilateral: no 50/RT/LT
    *[Case(f"{c}-50 -> not-bilateral warning", "S54", (P(c, mods=["50"]),), warn=((c, "not", "bilateral"),))
      for c in rng(62320, 62327)],
    Case("62323 laterality bilateral -> not-bilateral warning", "S54", (P("62323", lat="bilateral"),),
         warn=(("62323", "not", "bilateral"),)),
    Case("62323-RT -> warning that RT does not apply", "S54", (P("62323", mods=["RT"]),), warn=(("62323", "RT"),)),
    # codes that do take modifier 50: no not-bilateral warning
    *[Case(f"{c}-50 -> accepted, no not-bilateral warning", "S21,S7,S53", (P(c, mods=["50"]),),
           no_warn=(("not a bilateral",), ("not bilateral",))) for c in ("64490", "64483", "64633", "27096", "64405")],
    # 59/XS may not force payment of guidance that the primary code includes
    Case("64483 + 77003-59 entered -> still no guidance line", "S19,S5", ("64483", P("77003", mods=["59"])),
         lines=(), states={"64483": "included"}),
    Case("62323 + 77003-XS entered medicare -> still no guidance line", "S19,S6",
         ("62323", P("77003", mods=["XS"])), payer="medicare", lines=(), states={"62323": "included"}),
    # RT/LT/50 modifiers win over the laterality field, with a mismatch warning
    Case("64405-RT laterality left -> mismatch warning", "S21", (P("64405", mods=["RT"], lat="left"),),
         lines=("77002",), warn=(("64405", "RT", "left"),)),
    Case("64494-50 laterality left -> mismatch warning, 50 wins", "S21,S20,S22",
         (P("64494", mods=["50"], lat="left"),), warn=(("64494", "50", "left"), ("64494", "CPT", "CMS"))),
    Case("64494-LT laterality bilateral -> mismatch warning, LT wins", "S21,S20,S22",
         (P("64494", mods=["LT"], lat="bilateral"),), warn=(("64494", "LT", "bilateral"),),
         no_warn=(("64494", "CPT", "CMS"),)),
]

# --------------------------------------------------------------------------------------------------------
# docs/fact-base/core.md, "Deleted codes" (case ids: Sec10)
# --------------------------------------------------------------------------------------------------------

# code, first day deleted, replacement codes (an error must name one), guidance on the last valid day, sources
DELETED: list[tuple[str, str, tuple[str, ...], str | None, str]] = [
    ("76001", "2019-01-01", (), None, "S16"),
    ("71023", "2018-01-01", ("71045", "71046", "71047", "71048"), None, "S15"),
    ("71034", "2018-01-01", ("71045", "71046", "71047", "71048"), None, "S15"),
    ("73542", "2012-01-01", ("27096",), None, "S1"),
    ("62310", "2017-01-01", ("62320", "62321"), "77003", "S6,S2"),
    ("62311", "2017-01-01", ("62322", "62323"), "77003", "S6,S2"),
    ("62318", "2017-01-01", ("62324", "62325"), "77003", "S6,S2"),
    ("62319", "2017-01-01", ("62326", "62327"), "77003", "S6,S2"),
    ("64470", "2010-01-01", ("64490",), "77003", "S7,S3"),
    ("64472", "2010-01-01", ("64491", "64492"), "77003", "S7,S3"),
    ("64475", "2010-01-01", ("64493",), "77003", "S7,S3"),
    ("64476", "2010-01-01", ("64494", "64495"), "77003", "S7,S3"),
    ("64622", "2012-01-01", ("64635",), None, "S8"),
    ("64623", "2012-01-01", ("64636",), None, "S8"),
    ("64626", "2012-01-01", ("64633",), None, "S8"),
    ("64627", "2012-01-01", ("64634",), None, "S8"),
    ("64402", "2020-01-01", (), "77002", "S5,S10"),
    ("64410", "2020-01-01", (), "77002", "S5,S10"),
    ("64413", "2020-01-01", (), "77002", "S5,S10"),
]


def _day_before(iso: str) -> str:
    return (date.fromisoformat(iso) - timedelta(days=1)).isoformat()


DELETED_CASES: list[Case] = []
for _code, _gone, _repl, _pre, _src in DELETED:
    _src10 = f"Sec10,{_src}"
    DELETED_CASES.append(Case(
        f"{_code} {NOW} with 64405 -> invalid, error, 64405 still 77002", _src10, (_code, "64405"),
        states={_code: "invalid", "64405": "separate"}, lines=("77002",), errors=True,
        error_names={_code: _repl} if _repl else {}))
    DELETED_CASES.append(Case(f"{_code} first day deleted {_gone} -> invalid", _src10, (_code,), date=_gone,
                              states={_code: "invalid"}, lines=(), errors=True,
                              error_names={_code: _repl} if _repl else {}))
    _last = _day_before(_gone)
    if _pre is None:
        DELETED_CASES.append(Case(f"{_code} last valid day {_last} -> valid", _src10, (_code,), date=_last,
                                  states={_code: "!invalid"}, errors=False))
    else:
        DELETED_CASES.append(Case(f"{_code} last valid day {_last} fluoroscopy -> {_pre}", _src10, (_code,),
                                  date=_last, states={_code: "separate"}, lines=(_pre,), errors=False))
DELETED_CASES += [
    Case("2016 62311 fluoroscopy -> 77003", "Sec10,S2,S3", ("62311",), date="2016-06-01", lines=("77003",),
         states={"62311": "separate"}),
    Case("2009 64475 fluoroscopy -> 77003", "Sec10,S3", ("64475",), date="2009-06-01", lines=("77003",),
         states={"64475": "separate"}),
    Case("2008 27096 sacral + 64475 lumbar fluoroscopy -> 77003 twice (obsolete thread answer)", "S3,Sec8.2",
         (P("27096", regions=["sacral"]), P("64475", regions=["lumbar"])), date="2008-06-01",
         line_mods=(("77003", ()), ("77003", ("59",)))),
    Case("2025 27096 + 64493 fluoroscopy -> no guidance (thread answer obsolete)", "S1,S7,Sec8.2", ("27096", "64493"),
         lines=(), states={"27096": "included", "64493": "included"}),
    Case("deleted 62311 + deleted 64476 + valid 62282 -> 62282 still 77003", "Sec10,S6,S35",
         ("62311", "64476", P("62282", regions=["lumbar"])), states={"62311": "invalid", "64476": "invalid",
                                                                     "62282": "separate"},
         lines=("77003",), errors=True),
]

# --------------------------------------------------------------------------------------------------------
# 76000 (S41) and the S&I rule
# --------------------------------------------------------------------------------------------------------

MISC: list[Case] = [
    Case("64405 + 76000 -> 77002 only, 76000 warning", "S41,S3", ("64405", "76000"), lines=("77002",),
         states={"64405": "separate"}, warn=(("76000", "S41"),)),
    Case("62323 + 76000 -> nothing, 76000 warning", "S41,S6", ("62323", "76000"), lines=(),
         states={"62323": "included"}, warn=(("76000", "S41"),)),
    Case("64483 + 76000 -> nothing, 76000 warning", "S41,S5", ("64483", "76000"), lines=(),
         states={"64483": "included"}, warn=(("76000", "S41"),)),
    Case("62282 + 76000 -> 77003 only, 76000 warning", "S41,S3", (P("62282", regions=["lumbar"]), "76000"),
         lines=("77003",), warn=(("76000", "S41"),)),
    Case("20610 + 76000 asc medicare -> 77002-26 only", "S41,S12", ("20610", "76000"), setting="asc",
         payer="medicare", line_mods=(("77002", ("26",)),), warn=(("76000", "S41"),)),
    Case("2010 62311 + 76000 -> 77003 only", "S41,S3", ("62311", "76000"), date="2010-06-01", lines=("77003",),
         warn=(("76000", "S41"),)),
    # S&I: a full radiographic arthrogram's fluoroscopy covers the injection; CT/MR arthrography does not
    Case("73040 + 23350 fluoroscopy -> 23350 included", "S27,S37", ("73040", "23350"), lines=(),
         states={"23350": "included"}),
    Case("73222 + 23350 fluoroscopy -> 23350 gets 77002", "S26,S27", ("73222", "23350"), lines=("77002",),
         states={"23350": "separate"}),
    Case("2011 73542 + 27096 fluoroscopy -> no 77003", "S36,S1", ("73542", "27096"), date="2011-06-01", lines=(),
         states={"27096": "included"}),
]

# --------------------------------------------------------------------------------------------------------
# Hand-written date boundaries from docs/fact-base/core.md, "Guidance included in the procedure" ("Since")
# --------------------------------------------------------------------------------------------------------

BOUNDARIES: list[Case] = [
    Case("27096 2011-12-31 fluoroscopy -> 77003", "S1", ("27096",), date="2011-12-31", lines=("77003",),
         states={"27096": "separate"}),
    Case("27096 2011-12-31 ct -> 77012", "S1", ("27096",), "ct", "2011-12-31", lines=("77012",),
         states={"27096": "separate"}),
    *included(["27096"], FC, "S1", when="2012-01-01"),
    Case("64483 2010-12-31 fluoroscopy -> 77003", "S34,S5", ("64483",), date="2010-12-31", lines=("77003",),
         states={"64483": "separate"}),
    *included(["64483"], ["fluoroscopy"], "S34,S5", when="2011-01-01"),
    Case("62323 2016-12-31 -> invalid (not yet valid)", "S6", ("62323",), date="2016-12-31", lines=(),
         states={"62323": "invalid"}, errors=True),
    *included(["62323"], ["fluoroscopy"], "S6", when="2017-01-01"),
    Case("62320 2016-12-31 -> invalid (not yet valid)", "S6", ("62320",), date="2016-12-31", lines=(),
         states={"62320": "invalid"}, errors=True),
    Case("64633 2011-12-31 -> invalid (not yet valid)", "S8", ("64633",), date="2011-12-31", lines=(),
         states={"64633": "invalid"}, errors=True),
    *included(["64633"], ["fluoroscopy"], "S8", when="2012-01-01"),
    Case("20611 2014-12-31 ultrasound -> invalid (not yet valid)", "S13", ("20611",), "ultrasound", "2014-12-31",
         lines=(), states={"20611": "invalid"}, errors=True),
    *included(["20611"], ["ultrasound"], "S13", when="2015-01-01"),
    Case("20610 2014-12-31 ultrasound -> 76942", "S13", ("20610",), "ultrasound", "2014-12-31", lines=("76942",),
         states={"20610": "separate"}),
    *redirected({"20610": "20611"}, ["ultrasound"], "S13", when="2015-01-01"),
    Case("62328 2019-12-31 -> invalid (not yet valid)", "S17", ("62328",), date="2019-12-31", lines=(),
         states={"62328": "invalid"}, errors=True),
    *included(["62328"], ["fluoroscopy"], "S17", when="2020-01-01"),
    Case("62270 2019-12-31 fluoroscopy -> 77003", "S40,Q2", ("62270",), date="2019-12-31", lines=("77003",),
         states={"62270": "separate"}),
    *redirected({"62270": "62328"}, ["fluoroscopy"], "S17", when="2020-01-01"),
    Case("64490 2009-12-31 -> invalid (not yet valid)", "S7", ("64490",), date="2009-12-31", lines=(),
         states={"64490": "invalid"}, errors=True),
    *included(["64490"], ["fluoroscopy"], "S7", when="2010-01-01"),
    *[Case(f"{c} 2019-12-31 -> invalid (not yet valid)", "S5", (c,), date="2019-12-31", lines=(),
           states={c: "invalid"}, errors=True) for c in ("64451", "64454", "64624", "64625")],
    *included(["64451", "64454", "64624", "64625"], ["fluoroscopy"], "S5", when="2020-01-01"),
    *included(["22510"], ["fluoroscopy"], "S28", when="2015-01-01"),
]


@pytest.mark.parametrize("case", params(TABLE_C))
def test_table_c_included(case: Case, catalog: Catalog) -> None:
    check_case(case, catalog)


@pytest.mark.parametrize("case", params(TABLE_D))
def test_table_d_separate(case: Case, catalog: Catalog) -> None:
    check_case(case, catalog)


@pytest.mark.parametrize("code", SYMPATHETIC)
@pytest.mark.parametrize("units", [1, 3])
def test_table_d_sympathetic_conflict(code: str, units: int, catalog: Catalog) -> None:
    """S10/S11 (Q3): CPT Assistant Jul 2008 says 77002, Dec 2010 says 77003 (64520, per level, fluoro once).
    Expect one guidance line for the preferred code and a warning naming the other code and S10."""
    case = Case(f"{code} x{units} fluoroscopy -> 77002/77003 conflict", "S10,S11,Q3", (P(code, units=units),))
    res = run_case(case, catalog)
    codes = [ln.code for ln in res.guidance_lines]
    assert len(codes) == 1 and codes[0] in ("77002", "77003"), f"{case.id}: one 77002/77003 line\n" + _describe(res)
    assert res.guidance_lines[0].units == 1, f"{case.id}: fluoroscopy once (S11)\n" + _describe(res)
    other = "77002" if codes[0] == "77003" else "77003"
    assert _has_message(res, "warning", (other, "S10")), (
        f"{case.id}: no warning naming the alternative {other} and S10\n" + _describe(res))
    assert [p.state for p in res.procedures] == ["separate"], _describe(res)
    assert not res.has_errors, _describe(res)


@pytest.mark.parametrize("case", params(TABLE_E))
def test_table_e_modifiers(case: Case, catalog: Catalog) -> None:
    check_case(case, catalog)


# Fee-schedule bilateral indicators (docs/fact-base/bilateral-indicators.md, "Facts" (B1-B3); S100, S21): 1 -> both
# sides on one claim line with 50 x1 (Medicare); indicator 0 on a sided structure -> no 50/RT/LT on the line, with
# a warning that Medicare pays both sides as one code; indicator 0 midline or indicator 2 -> sides do not apply.
# code, payer, the procedure as entered, the claim lines expected as (modifiers, units), words of one warning
BILATERAL_LINES: list[tuple[str, str, dict[str, Any], list[tuple[tuple[str, ...], int]], tuple[str, ...]]] = [
    ("64450", "medicare", P("64450", lat="bilateral"), [(("50",), 1)], ("64450", "modifier 50")),
    ("64510", "medicare", P("64510", mods=["RT", "LT"]), [(("50",), 1)], ("64510", "modifier 50")),
    ("64624", "other", P("64624", lat="bilateral"), [(("50",), 1)], ("64624", "RT line")),
    ("64450", "medicare", P("64450", lat="left"), [(("LT",), 1)], ()),
    ("20551", "medicare", P("20551", lat="bilateral"), [((), 1)], ("20551", "indicator 0", "paid as one", "S100")),
    ("64620", "medicare", P("64620", mods=["RT"], units=2), [((), 2)], ("64620", "without 50, RT or LT")),
    ("64630", "other", P("64630", mods=["50"]), [((), 1)], ("64630", "check the payer")),
    ("64530", "medicare", P("64530", mods=["50"]), [((), 1)], ()),
    ("64600", "medicare", P("64600", lat="bilateral"), [((), 1)], ()),
]


@pytest.mark.parametrize(("code", "payer", "proc", "want", "words"), BILATERAL_LINES,
                         ids=[f"S100,S21|{c} {p} {sorted(e.items())}" for c, p, e, _, _ in BILATERAL_LINES])
def test_bilateral_claim_lines_follow_the_fee_schedule_indicator(code: str, payer: str, proc: dict[str, Any],
                                                                 want: list[tuple[tuple[str, ...], int]],
                                                                 words: tuple[str, ...], catalog: Catalog) -> None:
    case = Case(f"{code} both sides", "S100,S21", (proc,), modality="none", payer=payer)
    res = run_case(case, catalog)
    got = [(tuple(sorted(pl.modifiers)), pl.units) for pl in res.procedure_lines if pl.code == code]
    assert got == [(tuple(sorted(m)), u) for m, u in want], _describe(res)
    if words:
        assert _has_message(res, "warning", words) or _has_message(res, "info", words), _describe(res)
    assert not any("UNCONFIRMED" in m.text or "not confirmed" in m.text for m in res.messages), _describe(res)


@pytest.mark.parametrize("case", params(DELETED_CASES))
def test_deleted_codes(case: Case, catalog: Catalog) -> None:
    check_case(case, catalog)


@pytest.mark.parametrize("case", params(MISC))
def test_76000_and_si(case: Case, catalog: Catalog) -> None:
    check_case(case, catalog)


@pytest.mark.parametrize("case", params(BOUNDARIES))
def test_fact_base_boundaries(case: Case, catalog: Catalog) -> None:
    check_case(case, catalog)


def test_case_ids_are_unique_and_cited() -> None:
    every = [*TABLE_C, *TABLE_D, *TABLE_E, *DELETED_CASES, *MISC, *BOUNDARIES]
    ids = [c.id for c in every]
    dupes = [i for i, n in Counter(ids).items() if n > 1]
    assert not dupes, dupes
    assert all(c.src and c.src[0] in "SQX" for c in every), "every case names a source id (S.., X-.., Q.., Sec..)"


# --------------------------------------------------------------------------------------------------------
# Every date boundary in the loaded data (generated from the catalog on purpose)
# --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Boundary:
    code: str
    modality: str
    day: str
    what: str


def _expected_answer(catalog: Catalog, rec: CodeRecord, modality: str, day: date) -> tuple[str, str | None]:
    """(state, guidance code or redirect target) the data prescribes for one procedure on one day."""
    if day < catalog.covers_from or not rec.valid_on(day):
        return "invalid", None
    if rec.kind != "procedure":
        return "none_used", None
    policy = rec.policy_for(modality, day)  # type: ignore[arg-type]
    if policy is None:
        return ("none_used" if modality == "none" else "unconfirmed"), None
    if policy.state == "separate":
        grec = catalog.get(policy.code or "")
        if grec is not None and not grec.valid_on(day):
            return "invalid", None
        return "separate", policy.code
    if policy.state == "redirect":
        return "redirect", policy.redirect_to
    if policy.state == "unconfirmed":
        return "unconfirmed", policy.code
    return policy.state, None


def _boundaries() -> list[Any]:
    from desktop.core.data import load_builtin

    try:
        catalog = load_builtin()
    except Exception as exc:  # the data helper may be mid-edit: make it one visible failure
        return [pytest.param(None, id=f"catalog-does-not-load:{type(exc).__name__}")]
    seen: set[tuple[str, str, str]] = set()
    out: list[Any] = []

    def add(code: str, modality: str, day: date, what: str) -> None:
        for d in (day - timedelta(days=1), day):
            key = (code, modality, d.isoformat())
            if key in seen:
                continue
            seen.add(key)
            b = Boundary(code, modality, d.isoformat(), what)
            out.append(pytest.param(b, id=f"{code}-{modality}-{d.isoformat()}-{what}"))

    for rec in catalog.records:
        mod = "fluoroscopy"
        if rec.policies:
            mod = rec.policies[0].modalities[0]
        if rec.valid_from is not None:
            add(rec.code, mod, rec.valid_from, "valid_from")
        if rec.valid_to is not None:
            add(rec.code, mod, rec.valid_to + timedelta(days=1), "after_valid_to")
        for pol in rec.policies:
            for m in pol.modalities:
                if pol.start is not None:
                    add(rec.code, m, pol.start, "policy_start")
                if pol.end is not None:
                    add(rec.code, m, pol.end + timedelta(days=1), "after_policy_end")
    return out


BOUNDARY_PARAMS = _boundaries()


@pytest.mark.parametrize("boundary", BOUNDARY_PARAMS)
def test_data_date_boundary(boundary: Boundary | None, catalog: Catalog) -> None:
    assert boundary is not None, "the built-in catalog did not load at collection time"
    rec = catalog.get(boundary.code)
    assert rec is not None
    day = date.fromisoformat(boundary.day)
    want_state, want_code = _expected_answer(catalog, rec, boundary.modality, day)
    enc = parse_encounter({"date_of_service": boundary.day, "modality": boundary.modality,
                           "procedures": [{"code": boundary.code}]}, today=day)
    res = resolve(catalog, enc)
    (result,) = res.procedures
    assert result.state == want_state, f"{boundary}: expected {want_state}, got {result.state}\n" + _describe(res)
    if want_state == "separate":
        assert [ln.code for ln in res.guidance_lines] == [want_code], _describe(res)
        assert result.guidance_code == want_code
    else:
        assert res.guidance_lines == (), _describe(res)
    if want_state == "redirect":
        assert result.redirect_to == want_code, _describe(res)
    if want_state == "invalid":
        assert res.has_errors, _describe(res)
        if rec.valid_to is not None and day > rec.valid_to and rec.replaced_by:
            assert any(m.severity == "error" and rec.replaced_by[0] in m.text for m in res.messages), _describe(res)


def test_data_has_date_boundaries() -> None:
    """The generated walk found boundaries (it would pass vacuously on an empty catalog)."""
    assert len(BOUNDARY_PARAMS) >= 10
