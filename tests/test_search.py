"""The procedure search's ranking and robustness (desktop.core.search; no Qt)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from desktop.core.model import CodeRecord, Location
from desktop.core.search import (
    MAX_TOKENS,
    TIER_CODE_PREFIX,
    TIER_EXACT,
    TIER_NAME,
    TIER_PHRASE,
    TIER_SPREAD,
    TIER_TERM,
    SearchIndex,
    deleted_year,
    tokens,
    validity_note,
)


def rec(code: str, name: str, terms: tuple[str, ...] = (), *, valid_from: date | None = None,
        valid_to: date | None = None, replaced_by: tuple[str, ...] = ()) -> CodeRecord:
    return CodeRecord(code=code, kind="procedure", name=name, terms=terms, area="test", spinal=False, regions=(),
                      add_on=False, bilateral="not_applicable", valid_from=valid_from, valid_to=valid_to,
                      replaced_by=replaced_by, policies=(), cautions=(), guidance=None, covers_guidance=None,
                      location=Location("test.yaml", 1))


RECORDS = [
    rec("64405", "Nerve block injection of the greater occipital nerve",
        ("GON block", "occipital nerve block", "headache injection")),
    rec("64400", "Nerve block injection of a trigeminal branch", ("trigeminal block",)),
    rec("64450", "Nerve block injection of another peripheral nerve", ("peripheral nerve block",)),
    rec("64495", "Facet joint injection, lumbar, third level", ("facet injection",)),
    rec("27096", "Sacroiliac joint injection under imaging", ("SI joint injection", "sacroiliac injection")),
    rec("20610", "Large joint injection without ultrasound", ("knee injection", "shoulder injection")),
    rec("20611", "Large joint injection with ultrasound", ("knee injection ultrasound",)),
    rec("62323", "Lumbar or caudal interlaminar epidural injection with imaging",
        ("ESI", "lumbar ESI", "epidural steroid injection lumbar")),
    rec("62311", "Lumbar epidural injection (old code)", ("ESI",), valid_to=date(2016, 12, 31),
        replaced_by=("62322", "62323")),
    rec("76001", "Fluoroscopy over an hour assisting a physician", ("long fluoroscopy",),
        valid_to=date(2018, 12, 31), replaced_by=()),
    rec("62328", "Lumbar puncture with imaging", ("spinal tap",), valid_from=date(2020, 1, 1)),
    rec("77003", "Fluoroscopic guidance for an epidural or subarachnoid needle", ("spinal fluoroscopy",)),
]
INDEX = SearchIndex(RECORDS)


def codes(query: str) -> list[str]:
    return [r.code for r in INDEX.search_records(query)]


def test_blank_query_lists_every_record_in_code_order() -> None:
    assert codes("") == sorted(r.code for r in RECORDS)
    assert codes("   ") == codes("")


def test_code_prefix_lists_the_codes_in_order() -> None:
    assert codes("644") == ["64400", "64405", "64450", "64495"]
    assert codes("6449") == ["64495"]


def test_exact_code_ranks_first_then_prefix_matches() -> None:
    ranked = INDEX.ranked("64405")
    assert ranked[0] == (TIER_EXACT, INDEX.records.index(RECORDS[0]))
    assert codes("64405") == ["64405"]


@pytest.mark.parametrize(("query", "expected_first"), [
    ("occipital", "64405"),
    ("OCCIPITAL", "64405"),
    ("gon", "64405"),
    ("Gon Block", "64405"),
    ("block occipital", "64405"),  # words in any order
    ("si joint", "27096"),
    ("SI JOINT", "27096"),
    ("esi lumbar", "62323"),
    ("lumbar esi", "62323"),
    ("spinal tap", "62328"),
])
def test_words_of_names_and_lay_terms_match_in_any_order(query: str, expected_first: str) -> None:
    assert codes(query)[0] == expected_first


def test_knee_inj_finds_both_knee_injection_codes() -> None:
    assert codes("knee inj") == ["20610", "20611"]


def test_every_token_must_match() -> None:
    assert codes("occipital lumbar") == []
    assert codes("zzzz") == []
    assert codes("644 occipital") == ["64405"]  # code prefix and a word together


def test_tokens_match_word_starts_not_the_middle_of_words() -> None:
    assert "64405" not in codes("cipital")
    assert codes("ccipital") == []


def test_tiers_order_code_then_phrase_then_name_then_terms() -> None:
    ranked = INDEX.ranked("injection")
    tiers = [t for t, _ in ranked]
    assert tiers == sorted(tiers), "tiers must come in order"
    by_code = {INDEX.records[p].code: t for t, p in INDEX.ranked("lumbar")}
    assert by_code["62323"] == TIER_PHRASE  # the name starts with "Lumbar"
    assert by_code["64495"] == TIER_NAME  # "lumbar" is a word of the name, not its start
    by_code = {INDEX.records[p].code: t for t, p in INDEX.ranked("headache")}
    assert by_code == {"64405": TIER_PHRASE}  # a lay term that starts with the query
    by_code = {INDEX.records[p].code: t for t, p in INDEX.ranked("steroid")}
    assert by_code == {"62323": TIER_TERM}  # only inside a lay term
    by_code = {INDEX.records[p].code: t for t, p in INDEX.ranked("6")}
    assert set(by_code.values()) == {TIER_CODE_PREFIX}


def test_all_words_in_one_lay_term_beat_words_spread_over_name_and_terms() -> None:
    by_code = {INDEX.records[p].code: t for t, p in INDEX.ranked("esi lumbar")}
    assert by_code == {"62323": TIER_TERM, "62311": TIER_SPREAD}
    assert codes("esi lumbar") == ["62323", "62311"]


def test_with_a_date_codes_not_valid_on_it_come_last_in_their_tier_but_stay_listed() -> None:
    assert codes("esi") == ["62311", "62323"]  # no date: code order
    today = [r.code for r in INDEX.search_records("esi", date(2026, 1, 5))]
    assert today == ["62323", "62311"]
    in_2016 = [r.code for r in INDEX.search_records("esi", date(2016, 6, 1))]
    assert in_2016 == ["62311", "62323"]  # both valid then: code order
    everything = [r.code for r in INDEX.search_records("", date(2026, 1, 5))]
    assert everything[-2:] == ["62311", "76001"] and len(everything) == len(RECORDS)
    assert INDEX.search_records("62311", date(2026, 1, 5))[0].code == "62311"  # an exact code stays first


def test_inside_a_tier_records_are_in_code_order() -> None:
    found = codes("injection")
    ranked = INDEX.ranked("injection")
    for tier in {t for t, _ in ranked}:
        in_tier = [INDEX.records[p].code for t, p in ranked if t == tier]
        assert in_tier == sorted(in_tier)
    assert len(found) == len(set(found))


def test_deleted_codes_are_still_found() -> None:
    assert codes("62311") == ["62311"]
    assert "62311" in codes("esi")


def test_code_with_modifiers_pasted_from_a_claim_finds_the_code() -> None:
    assert codes("77003-26") == ["77003"]
    assert codes(" 64405-50-RT ") == ["64405"]


def test_full_width_input_is_folded() -> None:
    assert codes("\uff27\uff2f\uff2e") == ["64405"]  # "GON" typed in full-width
    assert codes("\uff16\uff14\uff14\uff10\uff15") == ["64405"]


def test_tokens_normalise_case_and_punctuation() -> None:
    assert tokens("  SI-Joint (inj.) ") == ("si", "joint", "inj")
    assert tokens("Stra\u00dfe") == ("strasse",)
    assert tokens("a_b") == ("a", "b")
    assert len(tokens(" ".join(["w"] * 100))) == MAX_TOKENS


@pytest.mark.parametrize("query", [
    ".*", "(", ")", "[", "]", "\\", "^$", "a|b", "+?", "{2,}", "(?P<x>", "\\d+", "%s", "{}", "'; DROP TABLE--",
    "\x00", "\x1b[31m", "\t\n\r", "\u200b", "\ufeff", "\ud800", "x" * 100_000, "644" * 10_000,
    "\u0645\u0641\u0635\u0644", "\u819d\u6ce8\u5c04", "\u043a\u043e\u043b\u0435\u043d\u043e", "\U0001F489 knee",
])
def test_hostile_text_never_raises(query: str) -> None:
    result = INDEX.search(query)
    assert all(0 <= p < len(INDEX) for p in result)
    assert len(result) == len(set(result))


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=300))
def test_fuzzed_text_never_raises_and_results_are_valid(query: str) -> None:
    ranked = INDEX.ranked(query)
    positions = [p for _, p in ranked]
    assert len(positions) == len(set(positions))
    assert all(0 <= p < len(INDEX) for p in positions)
    assert [t for t, _ in ranked] == sorted(t for t, _ in ranked)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(RECORDS), st.integers(min_value=1, max_value=5))
def test_every_code_prefix_finds_its_record(record: CodeRecord, n: int) -> None:
    assert record.code in codes(record.code[:n])


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(RECORDS), st.data())
def test_any_word_prefix_of_a_name_finds_the_record(record: CodeRecord, data: st.DataObject) -> None:
    words = tokens(record.name)
    word = data.draw(st.sampled_from(words))
    prefix = word[: data.draw(st.integers(min_value=1, max_value=len(word)))]
    assert record.code in codes(prefix)


def test_validity_note_for_deleted_and_future_codes() -> None:
    by_code = {r.code: r for r in RECORDS}
    today = date(2026, 3, 1)
    assert validity_note(by_code["64405"], today) is None
    assert validity_note(by_code["62311"], today) == "deleted 2017 \u2192 use 62322 / 62323"
    assert validity_note(by_code["62311"], date(2016, 12, 31)) is None
    assert validity_note(by_code["76001"], today) == "deleted 2019, no direct replacement"
    assert deleted_year(by_code["76001"]) == 2019
    assert validity_note(by_code["62328"], date(2019, 6, 1)) == "new in 2020, not valid yet on this date"
    assert validity_note(by_code["62328"], date(2020, 1, 1)) is None


def test_real_catalog_search(catalog) -> None:  # type: ignore[no-untyped-def]
    """The shipped data: the searches coders actually type."""
    index = SearchIndex(catalog.records)
    found = [r.code for r in index.search_records("644")]
    assert found and all(c.startswith("644") for c in found)
    assert found == sorted(found)
    assert index.search_records("occipital")[0].code == "64405"
    assert index.search_records("gon")[0].code == "64405"
    assert index.search_records("si joint")[0].code == "27096"
    assert "62323" in [r.code for r in index.search_records("esi lumbar")]
    assert index.search_records("77003")[0].code == "77003"


def test_word_indexes_wait_for_the_first_typed_query_or_prepare(catalog) -> None:  # type: ignore[no-untyped-def]
    """The blank list (all the window shows at start-up) needs no word index; the first typed query builds
    it; prepare() builds it ahead (the window calls it after its first paint). The answers are the same."""
    lazy, ready = SearchIndex(catalog.records), SearchIndex(catalog.records)
    assert [r.code for r in lazy.search_records("")] == sorted(r.code for r in catalog.records)
    assert lazy._text_index is None and ready._text_index is None
    ready.prepare()
    built = ready._text_index
    assert built is not None
    ready.prepare()
    assert ready._text_index is built  # once
    for query in ("occipital", "si joint", "esi lumbar", "644", "knee inj", "zzz"):
        assert lazy.ranked(query, date(2026, 3, 2)) == ready.ranked(query, date(2026, 3, 2)), query
    assert lazy._text_index is not None


def _brute_force(records: list[CodeRecord], query: str) -> set[str]:
    """What should match, by the definition, scanning every record: each token starts the code or a word."""
    toks = tokens(query)
    out = set()
    for r in records:
        words = tuple(w for t in [r.name, *r.terms] for w in _all_words(t))
        if all(r.code.casefold().startswith(t) or any(w.startswith(t) for w in words) for t in toks):
            out.add(r.code)
    return out


def _all_words(text: str) -> list[str]:
    import re
    import unicodedata

    return re.findall(r"[^\W_]+", unicodedata.normalize("NFKC", text).casefold())


MANY = [rec(f"{10000 + i:05d}", f"Synthetic injection number {i} of the {w} nerve", (f"{w} block", f"lay term {i % 7}"))
        for i, w in zip(range(3000), ["occipital", "genicular", "median", "femoral", "\u00e9paule"] * 600, strict=True)]
MANY_INDEX = SearchIndex(MANY)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(["s", "syn", "nerve", "n", "occ", "gen", "1", "12", "105", "lay", "term", "3",
                                 "block", "\u00c9PA", "of", "x", "injection", "10"]), max_size=3))
def test_the_index_finds_exactly_what_a_full_scan_finds(parts: list[str]) -> None:
    query = " ".join(parts)
    found = [r.code for r in MANY_INDEX.search_records(query)]
    assert len(found) == len(set(found))
    assert set(found) == _brute_force(MANY, query)


def test_loaded_descriptor_text_is_searchable_after_guidecode_s_own_words(catalog) -> None:  # type: ignore[no-untyped-def]
    from desktop.core.search import TIER_DESCRIPTOR

    plain = SearchIndex(catalog.records)
    assert plain.search_records("quuxvertebral") == []
    texts = {"64490": "Made-up licensed text about quuxvertebral joints, cervical",
             "64405": "Made-up text naming the greater occipital nerve"}
    index = SearchIndex(catalog.records, descriptors=texts)
    assert [r.code for r in index.search_records("quuxvertebral")] == ["64490"]
    assert [r.code for r in index.search_records("quuxver cervical")] == ["64490"]  # any order, prefixes
    ranked = index.ranked("occipital")
    own = [pos for tier, pos in ranked if tier != TIER_DESCRIPTOR]
    assert index.records[ranked[0][1]].code == "64405"  # its own name matches: not pushed to the last tier
    assert all(index.records[p].code != "64405" for tier, p in ranked if tier == TIER_DESCRIPTOR)
    assert own == [pos for tier, pos in plain.ranked("occipital")]  # GuideCode's own matches are unchanged
    assert index.search("64405") == plain.search("64405")
