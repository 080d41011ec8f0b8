"""Ranked procedure search over the catalog: pure Python, no Qt, built once per catalog.

A query is split into tokens (letters and digits, case-folded, in any order). A record matches when
every token is a prefix of its code or of a word of its plain name or lay terms. Matches are ranked in
tiers, and by code inside a tier:

0. the code itself (``64405``);
1. a code prefix (``644`` lists 64400...64495);
2. the whole query starts the name or one of the lay terms (``si joint`` -> "SI joint injection");
3. every token starts a word of the plain name;
4. every token starts a word of one lay term (``esi lumbar`` -> "lumbar ESI");
5. the rest (the tokens are spread over the name and several terms);
6. records found only through the office's licensed CPT descriptor text (File → Load CPT descriptors…),
   when one is loaded: GuideCode's own words rank first.

Given a date of service, records not valid on it come after the valid ones of the same tier (they are
still listed: the window greys them). The index is a sorted word list with posting sets, searched with
:mod:`bisect`, so a keystroke costs a few set operations instead of a scan (measured in
``bench/bench_search.py``). Any text is accepted: regex metacharacters are just punctuation here,
control characters are dropped, very long queries are cut, other scripts are case-folded like Latin.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left
from collections.abc import Iterable, Mapping
from datetime import date, timedelta

from desktop.core.model import CodeRecord

MAX_QUERY_CHARS = 200
MAX_TOKENS = 12
MAX_TOKEN_CHARS = 40
_TOKEN_RE = re.compile(r"[^\W_]+")
# "77003-26" or "64405-50-RT" as pasted from a claim: search for the code.
_CODE_WITH_MODIFIERS_RE = re.compile(r"^\s*([0-9a-z]{5})(?:\s*-\s*[0-9a-z]{2})+\s*$", re.IGNORECASE)
_MAX_CHAR = chr(0x10FFFF)
_CACHE_LIMIT = 512

TIER_EXACT, TIER_CODE_PREFIX, TIER_PHRASE, TIER_NAME, TIER_TERM, TIER_SPREAD, TIER_DESCRIPTOR = range(7)


def tokens(text: str) -> tuple[str, ...]:
    """The search tokens of ``text``: case-folded runs of letters and digits, at most 12 of 40 chars."""
    text = text[:MAX_QUERY_CHARS]
    match = _CODE_WITH_MODIFIERS_RE.match(text)
    if match:
        text = match.group(1)
    # NFKC folds full-width digits and letters (e.g. from an IME) onto the ASCII ones codes use.
    folded = unicodedata.normalize("NFKC", text).casefold()
    found = _TOKEN_RE.findall(folded)
    return tuple(t[:MAX_TOKEN_CHARS] for t in found[:MAX_TOKENS])


def _words(text: str) -> list[str]:
    return _TOKEN_RE.findall(unicodedata.normalize("NFKC", text).casefold())


def _phrase(words: list[str]) -> str:
    """A name or term as the query it would start: its words, cut as :func:`tokens` cuts a query."""
    return " ".join(w[:MAX_TOKEN_CHARS] for w in words[:MAX_TOKENS])


class _PrefixIndex:
    """Sorted unique keys with the set of record positions behind each; prefix lookups by bisect."""

    def __init__(self) -> None:
        self._postings: dict[str, set[int]] = {}
        self.keys: list[str] = []
        self.sets: list[frozenset[int]] = []
        self._cache: dict[str, frozenset[int]] = {}

    def add(self, keys: Iterable[str], pos: int) -> None:
        postings = self._postings
        for key in keys:
            bucket = postings.get(key)
            if bucket is None:
                postings[key] = {pos}
            else:
                bucket.add(pos)

    def freeze(self) -> _PrefixIndex:
        self.keys = sorted(self._postings)
        self.sets = [frozenset(self._postings[k]) for k in self.keys]
        self._postings = {}
        return self

    def prefixed(self, prefix: str) -> frozenset[int]:
        """Positions of the records having a key that starts with ``prefix``."""
        hit = self._cache.get(prefix)
        if hit is not None:
            return hit
        lo = bisect_left(self.keys, prefix)
        hi = bisect_left(self.keys, prefix + _MAX_CHAR, lo)
        if hi - lo == 1:
            hit = self.sets[lo]
        elif hi == lo:
            hit = frozenset()
        else:
            hit = frozenset().union(*self.sets[lo:hi])
        if len(self._cache) >= _CACHE_LIMIT:
            self._cache.clear()
        self._cache[prefix] = hit
        return hit


class _TextIndex:
    """The word and phrase indexes over names and lay terms (what a typed query needs, not the blank list)."""

    def __init__(self, records: tuple[CodeRecord, ...], descriptors: Mapping[str, str] | None = None) -> None:
        self.name = _PrefixIndex()
        self.words = _PrefixIndex()
        self.term_words = _PrefixIndex()  # keyed by term id, not record position
        self.phrases = _PrefixIndex()
        term_owner: list[int] = []  # term id -> record position
        for pos, rec in enumerate(records):
            name_words = _words(rec.name)
            self.name.add(name_words, pos)
            every = set(name_words)
            phrases = {_phrase(name_words)}
            for term in (*rec.terms, *(d.name for d in rec.names)):  # a name of other years finds it too
                words = _words(term)
                self.term_words.add(words, len(term_owner))
                term_owner.append(pos)
                every.update(words)
                phrases.add(_phrase(words))
            self.words.add(every, pos)
            self.phrases.add(phrases, pos)
        for index in (self.name, self.words, self.term_words, self.phrases):
            index.freeze()
        self.term_owner = term_owner
        # The office's licensed descriptors: their words find a record too, in a tier of their own.
        self.extra: _PrefixIndex | None = None
        if descriptors:
            extra = _PrefixIndex()
            for pos, rec in enumerate(records):
                text = descriptors.get(rec.code)
                if text:
                    extra.add(_words(text), pos)
            self.extra = extra.freeze()


class SearchIndex:
    """The catalog's records in code order, searchable by code prefix and by words in any order.

    The word indexes are built on the first typed query, or by :meth:`prepare` (the window calls it right
    after its first paint): listing every record, all the window shows at start-up, does not need them.
    ``descriptors`` (code -> licensed descriptor text) makes that text searchable too (tier 6)."""

    def __init__(self, records: Iterable[CodeRecord], descriptors: Mapping[str, str] | None = None) -> None:
        self.records: tuple[CodeRecord, ...] = tuple(sorted(records, key=lambda r: r.code))
        self.descriptors = dict(descriptors) if descriptors else None
        codes = [r.code.casefold() for r in self.records]
        self._codes = codes
        self._position = {c: i for i, c in enumerate(codes)}
        self._text_index: _TextIndex | None = None
        self._invalid: tuple[date, frozenset[int]] | None = None
        self._everything: dict[date | None, list[tuple[int, list[int]]]] = {}

    def prepare(self) -> None:
        """Build the word indexes now (they are otherwise built by the first typed query)."""
        self._text()

    def _text(self) -> _TextIndex:
        if self._text_index is None:
            self._text_index = _TextIndex(self.records, self.descriptors)
        return self._text_index

    def __len__(self) -> int:
        return len(self.records)

    def position_of(self, code: str) -> int | None:
        """The position of ``code`` in :attr:`records`, or None."""
        return self._position.get(code.casefold())

    def _code_range(self, prefix: str) -> range:
        lo = bisect_left(self._codes, prefix)
        hi = bisect_left(self._codes, prefix + _MAX_CHAR, lo)
        return range(lo, hi)

    def search(self, query: str, when: date | None = None) -> list[int]:
        """Positions in :attr:`records` matching ``query``, best first; every record for a blank query."""
        out: list[int] = []
        for _, group in self._tiers(query, when):
            out += group
        return out

    def ranked(self, query: str, when: date | None = None) -> list[tuple[int, int]]:
        """``(tier, position)`` pairs for ``query``, best first (tiers: see the module docstring)."""
        return [(tier, pos) for tier, group in self._tiers(query, when) for pos in group]

    def _tiers(self, query: str, when: date | None) -> list[tuple[int, list[int]]]:
        # Plain lists of ints, no per-record tuples: a keystroke allocates nothing the GC must track.
        toks = tokens(query)
        if not toks:
            everything = self._everything.get(when)
            if everything is None:
                everything = self._order([(TIER_SPREAD, set(range(len(self.records))))], when)
                self._everything = {when: everything}
            return everything
        text = self._text()
        code_hits: set[int] = set()
        matched: set[int] | None = None
        extra = text.extra
        own: set[int] | None = None  # with descriptors loaded: the matches on GuideCode's own words
        for tok in toks:
            in_code = self._code_range(tok)
            hits = text.words.prefixed(tok)
            if in_code:
                code_hits.update(in_code)
                hits = hits.union(in_code)
            if extra is not None:
                own = set(hits) if own is None else own & hits
                hits = hits.union(extra.prefixed(tok))
            matched = set(hits) if matched is None else matched & hits
            if not matched:
                return []
        assert matched is not None
        described: set[int] = set()
        if own is not None:
            described = matched - own
            matched -= described
        tiers: list[tuple[int, set[int]]] = []
        exact = self._position.get(toks[0]) if len(toks) == 1 else None
        if exact is not None and exact in matched:
            tiers.append((TIER_EXACT, {exact}))
            matched.discard(exact)
        by_code = matched & code_hits
        tiers.append((TIER_CODE_PREFIX, by_code))
        rest = matched - by_code
        if rest:
            phrase = rest & text.phrases.prefixed(" ".join(toks))
            rest -= phrase
            name = set(rest)
            for tok in toks:
                name &= text.name.prefixed(tok)
            rest -= name
            term: set[int] = set()
            if rest and len(toks) == 1:
                term, rest = rest, set()  # one token not in the name: it is a word of some lay term
            elif rest:
                term_ids: set[int] | frozenset[int] = text.term_words.prefixed(toks[0])
                for tok in toks[1:]:
                    term_ids = term_ids & text.term_words.prefixed(tok)
                term = rest & {text.term_owner[t] for t in term_ids}
                rest -= term
            tiers += [(TIER_PHRASE, phrase), (TIER_NAME, name), (TIER_TERM, term), (TIER_SPREAD, rest)]
        if described:
            tiers.append((TIER_DESCRIPTOR, described))
        return self._order(tiers, when)

    def _order(self, tiers: list[tuple[int, set[int]]], when: date | None) -> list[tuple[int, list[int]]]:
        """Each tier in code order; with a date, the records valid on it first."""
        invalid = self._invalid_on(when) if when is not None else frozenset()
        out: list[tuple[int, list[int]]] = []
        for tier, group in tiers:
            if not group:
                continue
            stale = group & invalid if invalid else None
            if stale:
                out.append((tier, sorted(group - stale) + sorted(stale)))
            else:
                out.append((tier, sorted(group)))
        return out

    def _invalid_on(self, when: date) -> frozenset[int]:
        """Positions of the records not valid on ``when`` (few: deleted or not-yet-valid codes)."""
        if self._invalid is None or self._invalid[0] != when:
            self._invalid = (when, frozenset(p for p, r in enumerate(self.records) if not r.valid_on(when)))
        return self._invalid[1]

    def search_records(self, query: str, when: date | None = None) -> list[CodeRecord]:
        return [self.records[pos] for pos in self.search(query, when)]


def deleted_year(record: CodeRecord) -> int | None:
    """The code-set year a code was deleted in (valid to 2018-12-31 -> deleted 2019), if it was."""
    if record.valid_to is None:
        return None
    return (record.valid_to + timedelta(days=1)).year


def validity_note(record: CodeRecord, when: date) -> str | None:
    """Why ``record`` cannot be billed on ``when`` ("deleted 2019 → use 77002"), or None if it can."""
    if record.valid_on(when):
        return None
    if record.valid_to is not None and when > record.valid_to:
        note = f"deleted {deleted_year(record)}"
        if record.replaced_by:
            return f"{note} \u2192 use {' / '.join(record.replaced_by)}"
        return f"{note}, no direct replacement"
    assert record.valid_from is not None
    return f"new in {record.valid_from.year}, not valid yet on this date"
