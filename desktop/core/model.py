"""Frozen dataclasses for GuideCode's rule data and for encounters and their resolutions.

Nothing here imports Qt. The loader (``desktop.core.loader``) builds a :class:`Catalog` from YAML; the
engine (``desktop.core.engine``) turns an :class:`Encounter` into a :class:`Resolution`.

The data classes declare the YAML schema once (:func:`desktop.core.schema_keys.key` on each field); see
:mod:`desktop.core.schema`. They are keyword-only, frozen, and not ``slots=True``: the frozen build unpickles
~1,400 of them at every start (desktop/core/catalog_cache.py), and pickle restores a plain instance
dictionary in C, where a slotted frozen dataclass goes through a Python ``__setstate__`` per object (~1.3 ms
more per start). They are made with :func:`desktop.core.frozen.frozen`, ``@dataclass(frozen=True)`` whose
methods are generated when a class is first used, not when this module is imported (~20 ms of every start).
"""

from __future__ import annotations

from dataclasses import field
from datetime import date
from typing import Any, ClassVar, Literal, TypeVar, get_args

from desktop.core.frozen import frozen
from desktop.core.ncci.model import Mai as Mai
from desktop.core.ncci.model import ModifierIndicator as ModifierIndicator
from desktop.core.ncci.model import NcciData
from desktop.core.problems import Location as Location
from desktop.core.schema_keys import key

Modality = Literal["fluoroscopy", "ct", "ultrasound", "mri", "none"]
Region = Literal["cervical", "thoracic", "lumbar", "sacral"]
Setting = Literal["office", "hospital_outpatient", "asc"]
Payer = Literal["medicare", "other"]
Confidence = Literal["high", "medium", "low"]
State = Literal["separate", "included", "none_used", "redirect", "unconfirmed", "not_applicable", "invalid"]
PolicyState = Literal["separate", "included", "redirect", "unconfirmed", "none_used", "not_applicable"]
Kind = Literal["procedure", "guidance", "imaging"]
Laterality = Literal["left", "right", "bilateral"]
BilateralCategory = Literal["not_applicable", "modifier_50", "not_bilateral", "addon_conflict", "sides_paid_as_one",
                            "unconfirmed"]
BilateralReport = Literal["one_line_50", "two_units", "rt_lt", "no_sides", "unconfirmed"]
UnitBasis = Literal["per_encounter", "per_region", "per_procedure_unit"]
Severity = Literal["error", "warning", "info"]
PtpSituation = Literal["guidance_into_procedure", "guidance_with_other_procedure", "two_guidance_codes",
                       "two_procedures"]
PtpAction = Literal["withhold", "distinct", "warn", "note"]
DocAction = Literal["withhold", "twin", "warn", "note"]
MueAction = Literal["cap", "split", "appeal", "note"]
Recorded = Literal["yes", "no", "unstated"]
DocTarget = Literal["guidance_line", "included"]

MODALITIES: tuple[Modality, ...] = get_args(Modality)
REGIONS: tuple[Region, ...] = get_args(Region)
SETTINGS: tuple[Setting, ...] = get_args(Setting)
PAYERS: tuple[Payer, ...] = get_args(Payer)
CONFIDENCES: tuple[Confidence, ...] = get_args(Confidence)
POLICY_STATES: tuple[PolicyState, ...] = get_args(PolicyState)
KINDS: tuple[Kind, ...] = get_args(Kind)
LATERALITIES: tuple[Laterality, ...] = get_args(Laterality)
BILATERAL_CATEGORIES: tuple[BilateralCategory, ...] = get_args(BilateralCategory)
UNIT_BASES: tuple[UnitBasis, ...] = get_args(UnitBasis)

MODALITY_LABELS: dict[Modality, str] = {
    "fluoroscopy": "Fluoroscopy",
    "ct": "CT",
    "ultrasound": "Ultrasound",
    "mri": "MR",
    "none": "No imaging",
}
SETTING_LABELS: dict[Setting, str] = {
    "office": "Office (POS 11)",
    "hospital_outpatient": "Hospital outpatient (POS 19/22)",
    "asc": "ASC (POS 24)",
}
PAYER_LABELS: dict[Payer, str] = {"medicare": "Medicare", "other": "Other payer"}


NOWHERE = Location("", 0)

# ---------------------------------------------------------------------------------------------------------
# The data files' schema. Each field made with key() is a YAML key; desktop/core/schema.py reads them,
# derives what a data pack may override, and writes the key tables of docs/data-format.md.


@frozen(kw_only=True)
class Manifest:
    """manifest.yaml"""

    DOC_TITLE = "manifest.yaml"

    data_version: str = key("data_version", "text", "the version shown in the app and in every answer "
                            "(\"2026.1\"); bump it on every change", required=True)
    code_set_year: int = key("code_set_year", "int", "the CPT year the data was last checked against; dates "
                             "after that year get a warning", required=True)
    covers_from: date = key("covers_from", "date", "the first date of service the data answers for "
                            "(2007-01-01, when 77002/77003 began); earlier dates get an error", required=True)
    title: str = key("title", "text", "for people", default="")


@frozen(kw_only=True)
class Source:
    """One entry of sources.yaml: a citable document, what kind it is and how far it can be relied on."""

    DOC_TITLE = "sources.yaml"

    id: str = key("id", "text", "starts with a capital letter, no spaces; the fact base (docs/fact-base/) cites "
                  "sources by these ids: `S...` and `X-...`; a data pack's own sources use further ids",
                  required=True)
    title: str = key("title", "text", "what the source is, in paraphrase", required=True)
    kind: str = key("kind", "text", "newsletter, MAC article, forum, CMS table, ...", default="")
    reliability: str = key("reliability", "text", "how far to trust it (High, Medium, Low, with a word why)",
                           default="")
    url: str = key("url", "text", "the address of the source, when it has one (shown selectable in the window)",
                   default="")
    placeholder: bool = key("placeholder", "bool", "true for the one id that means \"no source was found\" "
                            "(`X-GC-NOSOURCE`): a rule citing only it cannot be `high`", default=False,
                            shown="false")


@frozen(kw_only=True)
class Alternative:
    """An alternative: the other answer where sources disagree (the preferred answer is the rule itself)."""

    DOC_TITLE = "alternatives"

    code: str | None = key("code", "code", "the other answer's guidance code, or null for \"no separate "
                           "guidance code\"", default=None)
    reason: str = key("reason", "text", "the other answer in one sentence", required=True)
    sources: tuple[str, ...] = key("sources", "sources", "where the other answer comes from", required=True)
    confidence: Confidence = key("confidence", "choice", "how sure the other answer is", required=True)


@frozen(kw_only=True)
class Policy:
    """A guidance rule: how guidance by some modalities is treated for one code over one date range."""

    DOC_TITLE = "guidance rules"

    modalities: tuple[Modality, ...] = key("modality", "choices", "the imaging used; combine modalities in "
                                           "one rule when the answer is the same", required=True)
    start: date | None = key("from", "date", "the first day the rule applies (inclusive)", default=None,
                             shown="always")
    end: date | None = key("until", "date", "the last day the rule applies (inclusive)", default=None,
                           shown="open")
    state: PolicyState = key("state", "choice", "the answer, see the table below", required=True)
    code: str | None = key("code", "code", "the guidance code (with `separate`), or the candidate guidance code "
                           "(with `unconfirmed`)", default=None)
    redirect_to: str | None = key("redirect_to", "code", "with `redirect` only: the procedure code to report "
                                  "instead", default=None)
    reason: str = key("reason", "text", "one sentence in GuideCode's own words, ending with a full stop (at "
                      "most 400 characters); it is shown with the answer", required=True)
    sources: tuple[str, ...] = key("sources", "sources", "where the answer comes from", required=True)
    confidence: Confidence = key("confidence", "choice", "how sure the answer is (see data-sources.md for the "
                                 "scale)", required=True)
    alternatives: tuple[Alternative, ...] = key("alternatives", "mappings", "only with `separate` or "
                                                "`unconfirmed`: the other answer(s) where sources disagree",
                                                default=())
    location: Location = NOWHERE
    rule_set: str = ""
    origin: str = "built-in"

    def applies(self, modality: Modality, when: date) -> bool:
        return (
            modality in self.modalities
            and (self.start is None or self.start <= when)
            and (self.end is None or when <= self.end)
        )


@frozen(kw_only=True)
class Note:
    """A caution: shown whenever a code is entered (uncertain status, year in doubt, ...)."""

    DOC_TITLE = "cautions"

    text: str = key("text", "text", "what the coder must see every time", required=True)
    sources: tuple[str, ...] = key("sources", "sources", "where it comes from", required=True)
    confidence: Confidence = key("confidence", "choice", "how sure it is", required=True)


@frozen(kw_only=True)
class DatedName:
    """A name for a date range: a code whose meaning changed keeps the name that matches its rules."""

    DOC_TITLE = "names"

    start: date | None = key("from", "date", "the first day the name applies", default=None, shown="always")
    end: date | None = key("until", "date", "the last day the name applies", default=None, shown="open")
    name: str = key("name", "text", "the name in those years, in GuideCode's own words", required=True)
    sources: tuple[str, ...] = key("sources", "sources", "where the change of meaning comes from", required=True)

    def covers(self, when: date) -> bool:
        return (self.start is None or self.start <= when) and (self.end is None or when <= self.end)


@frozen(kw_only=True)
class GuidanceInfo:
    """guidance_code: the part of a record that only guidance codes (77002, 77003, ...) have."""

    DOC_TITLE = "guidance_code"

    modality: Modality = key("modality", "choice", "the imaging this code is for", required=True)
    pc_tc_split: bool = key("pc_tc_split", "bool", "the code has a professional part (26) and a technical "
                            "part (PFS PC/TC indicator 1): the modifier-26 rule of rules.yaml applies to it",
                            default=True, shown="true")
    suggest: bool = key("suggest", "bool", "false for codes that are never the answer (76000, 77001)",
                        default=True, shown="true")
    not_suggested_reason: str = key("not_suggested_reason", "text", "required when `suggest: false`: why",
                                    default="")
    not_suggested_sources: tuple[str, ...] = key("not_suggested_sources", "sources", "its sources", default=())


@frozen(kw_only=True)
class SIInfo:
    """covers_guidance: an imaging supervision-and-interpretation code whose fluoroscopy covers an injection's
    guidance."""

    DOC_TITLE = "covers_guidance"

    injections: tuple[str, ...] = key("injections", "codes", "the injection codes whose fluoroscopic guidance "
                                      "it includes", required=True)
    reason: str = key("reason", "text", "why, in one sentence", required=True)
    sources: tuple[str, ...] = key("sources", "sources", "where it comes from", required=True)
    confidence: Confidence = key("confidence", "choice", "how sure it is", required=True)


@frozen(kw_only=True)
class CodeRecord:
    """One code of the data: what it is, when it is valid, and its guidance policy per imaging modality."""

    DOC_TITLE = "code records"

    code: str = key("code", "code", "the CPT/HCPCS code", required=True, override=False)
    kind: Kind = key("kind", "choice", "`procedure`: a service that may need guidance; `guidance`: a guidance "
                     "code (77002 ...), needs a `guidance_code` section and has no rules; `imaging`: an imaging "
                     "code that is not needle guidance, may have `covers_guidance`", default="procedure",
                     shown="`procedure`")
    name: str = key("name", "text", "a short plain-language name in GuideCode's own words (5-120 characters); "
                    "**never paste CPT descriptor text**: it is AMA-copyrighted", required=True)
    names: tuple[DatedName, ...] = key("names", "mappings", "other names for date ranges, where the code's "
                                       "meaning changed (the rule shown and the name then agree)", default=())
    terms: tuple[str, ...] = key("terms", "strings", "words coders type to find the code (\"ESI\", \"TFESI\", "
                                 "\"GON block\", \"botox\", ...); every current procedure needs some", default=())
    family: str = key("family", "text", "the code family, for the data-coverage report (e.g. `neurostimulators`)",
                      default="", shown="the file's name")
    area: str = key("area", "text", "the body area for grouping: `spine`, `head_neck`, `upper_limb`, "
                    "`lower_limb`, `pelvis_hip`, `trunk`, `abdomen_pelvis`, `imaging`, `other`", default="other",
                    shown="`other`")
    spinal: bool = key("spinal", "bool", "a spine code: the app offers the region checklist for it",
                       default=False, shown="false")
    regions: tuple[Region, ...] = key("regions", "choices", "only with `spinal: true`: the regions the code can "
                                      "apply to; **the first is counted when the coder ticks none**",
                                      default=())
    add_on: bool = key("add_on", "bool", "an add-on code (reported with a primary code)", default=False,
                       shown="false")
    bilateral: BilateralCategory = key("bilateral", "choice", "how both sides are reported: the `bilateral` "
                                       "rules of rules.yaml for this category apply", default="not_applicable",
                                       shown="`not_applicable`")
    bilateral_sources: tuple[str, ...] = key("bilateral_sources", "sources", "where the bilateral category "
                                             "comes from (e.g. the PFS bilateral indicator)", default=())
    valid_from: date | None = key("valid_from", "date", "first day the code exists; leave out for long-standing "
                                  "codes", default=None)
    valid_to: date | None = key("valid_to", "date", "last day the code was valid (deleted codes)", default=None)
    replaced_by: tuple[str, ...] = key("replaced_by", "codes", "the code(s) to use after `valid_to`; each must "
                                       "have its own record", default=())
    dates_sources: tuple[str, ...] = key("dates_sources", "sources", "where `valid_from`, `valid_to` and "
                                         "`replaced_by` come from; required with any of them", default=())
    dates_confidence: Confidence = key("dates_confidence", "choice", "how sure those dates are",
                                       default="medium", shown="`medium`")
    cautions: tuple[Note, ...] = key("cautions", "mappings", "warnings shown every time the code is entered on "
                                     "a date it is valid", default=())
    policies: tuple[Policy, ...] = key("guidance", "mappings", "how each kind of imaging guidance is treated; "
                                       "an item `- use: <set>` stands for a named rule set of rule-sets.yaml",
                                       default=())
    guidance: GuidanceInfo | None = key("guidance_code", "mapping", "only for `kind: guidance`", default=None)
    covers_guidance: SIInfo | None = key("covers_guidance", "mapping", "only for imaging S&I codes",
                                         default=None)
    location: Location = NOWHERE
    origin: str = "built-in"

    def valid_on(self, when: date) -> bool:
        return (self.valid_from is None or self.valid_from <= when) and (
            self.valid_to is None or when <= self.valid_to
        )

    def policy_for(self, modality: Modality, when: date) -> Policy | None:
        for policy in self.policies:
            if policy.applies(modality, when):
                return policy
        return None

    def name_on(self, when: date) -> str:
        """The code's name on a date: a dated name that covers it, else :attr:`name`."""
        for dated in self.names:
            if dated.covers(when):
                return dated.name
        return self.name


@frozen(kw_only=True)
class RuleSet:
    """A named rule set: guidance rules written once and used by several records (``- use: <id>``)."""

    DOC_TITLE = "rule sets"

    id: str = key("id", "id", "the name records use", required=True)
    title: str = key("title", "text", "what the set says, for people", required=True)
    policies: tuple[Policy, ...] = key("guidance", "mappings", "the rules, as in a record; an item `- use: "
                                       "<set>` includes another set", required=True)
    location: Location = NOWHERE


# ---------------------------------------------------------------------------------------------------------
# General billing rules (rules.yaml). Every rule has an id (a data pack replaces the rule of the same id over
# the pack's dates), dates, a reason, sources and a confidence; each section adds its own conditions (an
# empty list means "any") and its answer. In one section, no two rules may match the same case on one day.


@frozen(kw_only=True)
class Rule:
    """The keys every rule of rules.yaml has."""

    DOC_TITLE = "every rule"
    CONDITIONS: ClassVar[tuple[str, ...]] = ()

    id: str = key("id", "id", "a stable name; a data pack replaces the rule with the same id", required=True)
    start: date | None = key("from", "date", "the first day the rule applies", default=None, shown="always")
    end: date | None = key("until", "date", "the last day the rule applies", default=None, shown="open")
    reason: str = key("reason", "text", "the rule in one sentence, shown with the answer", required=True)
    sources: tuple[str, ...] = key("sources", "sources", "where the rule comes from", required=True)
    confidence: Confidence = key("confidence", "choice", "how sure the rule is", required=True)
    location: Location = NOWHERE
    origin: str = "built-in"

    def in_force(self, when: date) -> bool:
        return (self.start is None or self.start <= when) and (self.end is None or when <= self.end)


@frozen(kw_only=True)
class PlaceRule(Rule):
    """places_of_service: which setting a place-of-service code is (the audit reads claims by POS)."""

    DOC_TITLE = "places_of_service"
    CONDITIONS = ("codes",)

    codes: tuple[str, ...] = key("pos", "strings", "the CMS place-of-service codes (\"11\", \"22\" ...)",
                                 required=True)
    setting: Setting = key("setting", "choice", "the setting those codes are", required=True)


@frozen(kw_only=True)
class ComponentRule(Rule):
    """professional_component: the modifier a guidance code with a PC/TC split takes in each setting."""

    DOC_TITLE = "professional_component"
    CONDITIONS = ("settings",)

    settings: tuple[Setting, ...] = key("settings", "choices", "where the rule applies", default=(),
                                        shown="any")
    modifier: str | None = key("modifier", "modifier", "`\"26\"` (the physician reports the professional "
                               "part only), or null (the global code, no modifier)", default=None, shown="null")


@frozen(kw_only=True)
class DistinctRule(Rule):
    """distinct_modifier: the modifier that marks a distinct procedural service, by payer."""

    DOC_TITLE = "distinct_modifier"
    CONDITIONS = ("payers",)

    payers: tuple[Payer, ...] = key("payers", "choices", "the payers the rule is for", default=(), shown="any")
    modifier: str = key("modifier", "modifier", "`\"XS\"` (separate structure) or `\"59\"`", required=True)
    never_with: tuple[str, ...] = key("never_with", "modifiers", "modifiers that must not be on the same line "
                                      "as this one (59 and the X modifiers exclude each other)", default=())


@frozen(kw_only=True)
class UnitRule(Rule):
    """units: how a guidance code is counted, by payer."""

    DOC_TITLE = "units"
    CONDITIONS = ("codes", "payers")

    codes: tuple[str, ...] = key("codes", "codes", "the guidance codes", required=True)
    payers: tuple[Payer, ...] = key("payers", "choices", "the payers", default=(), shown="any")
    basis: UnitBasis = key("basis", "choice", "`per_region`: one unit per spinal region, each further region "
                           "on its own line with the distinct modifier; `per_encounter`: one line of one unit "
                           "for the encounter, whatever the sites; `per_procedure_unit`: one line with as many "
                           "units as the procedures it guides (one per vertebral body)", required=True)
    confirmed: bool = key("confirmed", "bool", "false: no source settles the units for several sites, and the "
                          "answer says so", default=False, shown="false")
    note: str = key("note", "text", "what the answer says when several sites or regions are guided (e.g. "
                    "what happens to the second region)", default="")


@frozen(kw_only=True)
class BilateralReportRule(Rule):
    """bilateral: how a procedure of a bilateral category is reported when both sides are done."""

    DOC_TITLE = "bilateral"
    CONDITIONS = ("categories", "payers")

    categories: tuple[BilateralCategory, ...] = key("categories", "choices", "the records' `bilateral` values "
                                                    "the rule is for", required=True)
    payers: tuple[Payer, ...] = key("payers", "choices", "the payers", default=(), shown="any")
    report: BilateralReport = key("report", "choice", "`one_line_50`: one line with 50 and 1 unit; "
                                  "`two_units`: the code twice (2 units) without 50; `rt_lt`: one line RT and one "
                                  "LT; `no_sides`: 50/RT/LT do not apply; `unconfirmed`: no source says",
                                  required=True)
    note: str = key("note", "text", "what the answer says", default="")
    severity: Severity = key("severity", "choice", "how the note is shown", default="info", shown="`info`")


@frozen(kw_only=True)
class PtpRule(Rule):
    """ptp_edits: what an NCCI procedure-to-procedure edit does to the answer, by situation and payer."""

    DOC_TITLE = "ptp_edits"
    CONDITIONS = ("situations", "indicators", "payers")

    situations: tuple[PtpSituation, ...] = key(
        "situations", "choices", "`guidance_into_procedure`: a guidance line and the procedure it guides are a "
        "pair; `guidance_with_other_procedure`: a guidance line for one procedure and another procedure of the "
        "claim are a pair; `two_guidance_codes`: two guidance lines are a pair; `two_procedures`: two procedures "
        "are a pair", required=True)
    indicators: tuple[ModifierIndicator, ...] = key("indicators", "choices", "the edits' modifier indicators",
                                                    required=True)
    payers: tuple[Payer, ...] = key("payers", "choices", "the payers", default=(), shown="any")
    action: PtpAction = key("action", "choice", "`withhold`: the column-two line is not billed; `distinct`: the "
                            "column-two line takes the payer's distinct modifier; `warn`: the line stays, with a "
                            "warning; `note`: a note only", required=True)
    severity: Severity = key("severity", "choice", "how the message is shown", default="warning",
                             shown="`warning`")
    documentation: str = key("documentation", "text", "what the record must show for the modifier to be right",
                             default="")


@frozen(kw_only=True)
class MueRule(Rule):
    """mue: what a unit count above a code's MUE does to the answer, by MUE adjudication indicator."""

    DOC_TITLE = "mue"
    CONDITIONS = ("mais", "payers")

    mais: tuple[Mai, ...] = key("mais", "choices", "the MUE adjudication indicators: 1 line edit, 2 date of "
                                "service (policy), 3 date of service (clinical)", required=True)
    payers: tuple[Payer, ...] = key("payers", "choices", "the payers", default=(), shown="any")
    action: MueAction = key("action", "choice", "`cap`: no more units are paid; `split`: more units only on "
                            "further lines where CMS allows them; `appeal`: more only with documentation on "
                            "appeal; `note`: a note only", required=True)
    severity: Severity = key("severity", "choice", "how the message is shown", default="warning",
                             shown="`warning`")


@frozen(kw_only=True)
class DocumentationRule(Rule):
    """documentation: what a guidance answer needs on record (ultrasound: permanently recorded images and a
    report), and what the answer does when the encounter says they are missing or does not say."""

    DOC_TITLE = "documentation"
    CONDITIONS = ("modalities", "recorded", "applies_to")

    modalities: tuple[Modality, ...] = key("modalities", "choices", "the imaging the rule is for", required=True)
    recorded: tuple[Recorded, ...] = key("recorded", "choices", "the encounter's `images_recorded`: `no` (the "
                                         "images were not saved), `unstated` (the coder did not say)",
                                         required=True)
    applies_to: tuple[DocTarget, ...] = key("applies_to", "choices", "`guidance_line`: a separate guidance line "
                                            "(76942); `included`: a procedure whose code includes that imaging",
                                            required=True)
    action: DocAction = key("action", "choice", "`withhold`: no guidance line; `twin`: report the procedure's "
                            "code for no imaging (its `none` redirect, e.g. 20611 -> 20610); `warn`: keep the "
                            "answer, with a warning; `note`: a note", required=True)
    severity: Severity = key("severity", "choice", "how the message is shown", default="warning",
                             shown="`warning`")
    note: str = key("note", "text", "what the answer says", required=True)


RULE_SECTIONS: dict[str, type[Rule]] = {
    "places_of_service": PlaceRule,
    "professional_component": ComponentRule,
    "distinct_modifier": DistinctRule,
    "units": UnitRule,
    "bilateral": BilateralReportRule,
    "ptp_edits": PtpRule,
    "mue": MueRule,
    "documentation": DocumentationRule,
}


_R = TypeVar("_R", bound=Rule)


def _hits(values: tuple[Any, ...], want: object) -> bool:
    return not values or want in values


@frozen
class RuleBook:
    """Every general rule of rules.yaml, by section, with the look-ups the engine and the audit share."""

    places: tuple[PlaceRule, ...] = ()
    components: tuple[ComponentRule, ...] = ()
    distinct: tuple[DistinctRule, ...] = ()
    units: tuple[UnitRule, ...] = ()
    bilateral: tuple[BilateralReportRule, ...] = ()
    ptp: tuple[PtpRule, ...] = ()
    mue: tuple[MueRule, ...] = ()
    documentation: tuple[DocumentationRule, ...] = ()

    @classmethod
    def from_sections(cls, sections: dict[str, tuple[Rule, ...]]) -> RuleBook:
        """A rule book from rules.yaml's sections (section name -> its rules)."""
        def pick(name: str, kind: type[_R]) -> tuple[_R, ...]:
            return tuple(r for r in sections.get(name, ()) if isinstance(r, kind))

        return cls(places=pick("places_of_service", PlaceRule), components=pick("professional_component",
                   ComponentRule), distinct=pick("distinct_modifier", DistinctRule), units=pick("units", UnitRule),
                   bilateral=pick("bilateral", BilateralReportRule), ptp=pick("ptp_edits", PtpRule),
                   mue=pick("mue", MueRule), documentation=pick("documentation", DocumentationRule))

    def sections(self) -> dict[str, tuple[Rule, ...]]:
        """Section name -> its rules (the inverse of :meth:`from_sections`)."""
        return {"places_of_service": self.places, "professional_component": self.components,
                "distinct_modifier": self.distinct, "units": self.units, "bilateral": self.bilateral,
                "ptp_edits": self.ptp, "mue": self.mue, "documentation": self.documentation}

    def all_rules(self) -> tuple[Rule, ...]:
        return tuple(r for rules in self.sections().values() for r in rules)

    def setting_for(self, pos: str, when: date) -> PlaceRule | None:
        return next((r for r in self.places if pos in r.codes and r.in_force(when)), None)

    def component(self, setting: Setting, when: date) -> ComponentRule | None:
        return next((r for r in self.components if _hits(r.settings, setting) and r.in_force(when)), None)

    def distinct_for(self, payer: Payer, when: date) -> DistinctRule | None:
        return next((r for r in self.distinct if _hits(r.payers, payer) and r.in_force(when)), None)

    def units_for(self, code: str, payer: Payer, when: date) -> UnitRule | None:
        return next((r for r in self.units if code in r.codes and _hits(r.payers, payer) and r.in_force(when)),
                    None)

    def bilateral_for(self, category: BilateralCategory, payer: Payer, when: date) -> BilateralReportRule | None:
        return next((r for r in self.bilateral if category in r.categories and _hits(r.payers, payer)
                     and r.in_force(when)), None)

    def ptp_for(self, situation: PtpSituation, indicator: ModifierIndicator, payer: Payer,
                when: date) -> PtpRule | None:
        return next((r for r in self.ptp if situation in r.situations and indicator in r.indicators
                     and _hits(r.payers, payer) and r.in_force(when)), None)

    def documentation_for(self, modality: Modality, recorded: Recorded, target: DocTarget,
                          when: date) -> DocumentationRule | None:
        return next((r for r in self.documentation if modality in r.modalities and recorded in r.recorded
                     and target in r.applies_to and r.in_force(when)), None)

    def mue_for(self, mai: Mai, payer: Payer, when: date) -> MueRule | None:
        return next((r for r in self.mue if mai in r.mais and _hits(r.payers, payer) and r.in_force(when)), None)


@frozen
class PackInfo:
    """One data set that answered: the built-in data or an office's data pack."""

    name: str
    version: str
    code_set_year: int
    builtin: bool


@frozen
class Catalog:
    """All the rule data the engine answers from: every record by code, the sources, versions and packs."""

    records: tuple[CodeRecord, ...]
    by_code: dict[str, CodeRecord]
    sources: dict[str, Source]
    data_version: str
    code_set_year: int
    covers_from: date
    packs: tuple[PackInfo, ...] = ()
    # (factories, not shared instances made at import: a start from the catalog cache never needs them)
    rules: RuleBook = field(default_factory=RuleBook)
    rule_sets: dict[str, RuleSet] = field(default_factory=dict)
    ncci: NcciData = field(default_factory=NcciData)

    def get(self, code: str) -> CodeRecord | None:
        return self.by_code.get(code)

    @property
    def version_label(self) -> str:
        extra = [f"{p.name} {p.version}" for p in self.packs if not p.builtin]
        base = f"built-in {self.data_version}"
        return base + (" + " + ", ".join(extra) if extra else "")


@frozen
class ProcedureEntry:
    """One procedure of an encounter as entered: code, units, modifiers, its own modality, regions, side."""

    code: str
    units: int = 1
    modifiers: tuple[str, ...] = ()
    modality: Modality | None = None
    regions: tuple[Region, ...] = ()
    laterality: Laterality | None = None


@frozen
class Encounter:
    """What the coder describes: date of service, setting, payer, modality and the procedures done, and
    whether the ultrasound images were permanently recorded with a report (None: not stated)."""

    date_of_service: date
    setting: Setting = "office"
    payer: Payer = "other"
    modality: Modality = "fluoroscopy"
    procedures: tuple[ProcedureEntry, ...] = ()
    images_recorded: bool | None = None


@frozen
class GuidanceLine:
    """One billable imaging-guidance claim line, with why, the sources that say so and how sure they are."""

    code: str
    units: int
    modifiers: tuple[str, ...]
    for_codes: tuple[str, ...]
    region: Region | None
    reason: str
    sources: tuple[str, ...]
    confidence: Confidence

    @property
    def display(self) -> str:
        """The line as a coder writes it: ``77003-26-XS ×1``."""
        return "-".join((self.code, *self.modifiers)) + f" \u00d7{self.units}"


@frozen
class ProcedureLine:
    """One procedure claim line as the payer wants it: code, modifiers and units (both sides of a bilateral
    procedure on one line with 50, or twice, by the payer's bilateral rule)."""

    index: int
    code: str
    units: int
    modifiers: tuple[str, ...]
    reason: str = ""
    sources: tuple[str, ...] = ()
    confidence: Confidence = "high"

    @property
    def display(self) -> str:
        """The line as a coder writes it: ``64483-50 ×1``."""
        return "-".join((self.code, *self.modifiers)) + f" \u00d7{self.units}"


@frozen
class ProcedureResult:
    """The answer for one procedure of the encounter: separate, included, redirect, unconfirmed ..."""

    index: int
    code: str
    name: str
    state: State
    modality: Modality
    reason: str
    sources: tuple[str, ...]
    confidence: Confidence
    guidance_code: str | None = None
    redirect_to: str | None = None
    alternatives: tuple[Alternative, ...] = ()


@frozen
class Message:
    """An error, warning or note from the engine, with the code it concerns and its sources."""

    severity: Severity
    text: str
    code: str | None = None
    sources: tuple[str, ...] = ()


@frozen
class Resolution:
    """Everything the engine says about one encounter: the lines to bill, each procedure, the messages."""

    guidance_lines: tuple[GuidanceLine, ...]
    procedures: tuple[ProcedureResult, ...]
    messages: tuple[Message, ...]
    data_version: str
    packs: tuple[PackInfo, ...] = field(default=())
    procedure_lines: tuple[ProcedureLine, ...] = ()
    ncci: str = ""

    @property
    def has_errors(self) -> bool:
        return any(m.severity == "error" for m in self.messages)
