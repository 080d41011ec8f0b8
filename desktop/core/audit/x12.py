"""Reading ASC X12 5010 837P (005010X222A1) claim files with pyx12, into the same claim lines as the CSV.

pyx12 (BSD) reads the interchange and validates every segment against its X222A1 map while it goes;
:class:`pyx12.x12context.X12ContextReader` hands over each claim (loop 2300) as a tree once it is complete.
Each service line (loop 2400) becomes a :class:`~desktop.core.audit.claims.ClaimLine`:

- claim id: CLM01;
- procedure code and modifiers: SV101-2 and SV101-3 … SV101-6 (product/service qualifier HC);
- units: SV104 (a whole number; ``1`` when empty);
- date of service: DTP*472 of the line (D8, or the first date of an RD8 range); when a line has none, the
  claim's first line date (the claim's date);
- place of service: SV105 when given, else CLM05-1;
- payer: Medicare when the subscriber's claim filing indicator SBR09 is ``MA`` or ``MB`` (Medicare Part A /
  Part B), when the payer's id (NM1*PR, NM109) is one of ``AuditOptions.medicare_payer_ids``, or when the
  payer's name (NM103) contains "MEDICARE"; else "other".

Its ``line`` is the number of the SV1 segment in the file (the position the findings cite), and ``where``
says "claim X line N (LX*N), SV1 at segment S". A file pyx12 finds structurally wrong is still read: each of
pyx12's errors becomes an ``x12_error`` finding with the segment and its position, and the claims the parser
can recover are audited. The findings describe pyx12's errors in GuideCode's words from the X12 error codes,
the segment id and the element's reference (e.g. DMG02); they quote a value only for the elements the audit
uses, never a patient's (pyx12's own messages can hold the bad value, so they are not copied, and pyx12's log
is silenced).

pyx12 is imported only when an 837P file is audited (the window's start-up never loads it).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import IO, Any, Final

from desktop.core.audit.claims import (
    MAX_UNITS,
    AuditInputError,
    AuditOptions,
    ClaimLine,
    ReadStats,
    TextInput,
)
from desktop.core.audit.findings import Finding
from desktop.core.model import Payer
from desktop.core.schema import CODE_RE

MEDICARE_FILING: Final = frozenset({"MA", "MB"})
_ENVELOPE: Final = frozenset({"ISA", "GS", "ST", "SE", "GE", "IEA"})
MAX_SEGMENT_CHARS: Final = 1_048_576
MAX_ERRORS: Final = 500  # x12_error findings per file; more are counted in the last one
_MODIFIER_RE = re.compile(r"^[A-Z0-9]{2}$")
_USED_ELEMENTS: Final = frozenset({"CLM01", "CLM05", "SV101", "SV104", "SV105", "DTP01", "DTP02", "DTP03",
                                   "SBR09", "LX01"})

# X12 implementation acknowledgment (999) codes: IK3 segment errors, IK4 element errors; in our words
_SEGMENT_ERRORS: Final = {
    "1": "segment not recognised here", "2": "segment not expected here", "3": "a required segment is missing",
    "4": "a loop repeats more often than allowed", "5": "a segment repeats more often than allowed",
    "6": "segment not defined in this transaction", "7": "segment out of order",
    "8": "segment has element errors", "I4": "segment not used in this implementation",
    "I6": "a required segment of this implementation is missing", "I7": "a loop's first segment is wrong",
    "SEG1": "segment ends with empty elements", "HL1": "HL numbering is wrong", "HL2": "HL parent is wrong",
    "LX": "LX numbering is wrong",
}
_ELEMENT_ERRORS: Final = {
    "1": "a required element is missing", "2": "a conditional element is missing", "3": "too many elements",
    "4": "value too short", "5": "value too long", "6": "invalid character", "7": "not a valid code here",
    "8": "not a valid date", "9": "not a valid time", "10": "element not used here",
    "12": "too many repetitions", "13": "too many components", "I10": "element not used in this implementation",
    "I12": "value does not match the implementation's pattern", "I13": "implementation's conditional element",
    "I9": "implementation's dependent element missing",
}

_log = logging.getLogger("pyx12")
_log.addHandler(logging.NullHandler())
_log.propagate = False  # pyx12 logs bad values, which can be patient data: never into GuideCode's log


@dataclass(slots=True)
class X12Problem:
    line: int  # segment number in the file
    segment: str
    text: str


class _Errors:
    """A pyx12 error handler (the interface of :class:`pyx12.error_handler.err_handler`) that keeps each
    error as a :class:`X12Problem` in GuideCode's words (see the module docstring), bounded in number."""

    def __init__(self) -> None:
        self.problems: list[X12Problem] = []
        self.dropped = 0
        self._seg_id = ""
        self._seg_line = 0
        self._seg_data: Any = None
        self._ele: Any = None
        self.cur_line = 0

    def _add(self, line: int, segment: str, text: str) -> None:
        if len(self.problems) < MAX_ERRORS:
            self.problems.append(X12Problem(line, segment, text))
        else:
            self.dropped += 1

    # --- the loops (nothing to keep but the current segment)
    def add_isa_loop(self, seg_data: Any, src: Any) -> None:
        self._at(seg_data, src.get_cur_line())

    def add_gs_loop(self, seg_data: Any, src: Any) -> None:
        self._at(seg_data, src.get_cur_line())

    def add_st_loop(self, seg_data: Any, src: Any) -> None:
        self._at(seg_data, src.get_cur_line())

    def close_isa_loop(self, node: Any, seg: Any, src: Any) -> None:
        pass

    def close_gs_loop(self, node: Any, seg: Any, src: Any) -> None:
        pass

    def close_st_loop(self, node: Any, seg: Any, src: Any) -> None:
        pass

    def add_seg(self, map_node: Any, seg_data: Any, seg_count: int, cur_line: int, ls_id: Any) -> None:
        self._at(seg_data, cur_line)

    def _at(self, seg_data: Any, line: int) -> None:
        self._seg_data = seg_data
        self._seg_id = str(seg_data.get_seg_id() or "") if seg_data is not None else ""
        self._seg_line = int(line or 0)
        self.cur_line = self._seg_line

    def add_ele(self, map_node: Any) -> None:
        self._ele = map_node

    def handle_errors(self, err_list: list[tuple[str, str, str, Any, int | None]]) -> None:
        for err_type, code, text, value, line in err_list:
            if err_type in ("isa", "gs", "st"):
                self._envelope(err_type, code, text)
            else:
                self.seg_error(code, text, value, line)

    def _envelope(self, err_type: str, code: str, text: str) -> None:
        # envelope errors name counts and control numbers (no patient data)
        self._add(self._seg_line, err_type.upper(), f"{err_type.upper()} envelope error {code}: {text[:160]}")

    def isa_error(self, err_cde: str, err_str: str) -> None:
        self._envelope("isa", err_cde, err_str)

    def gs_error(self, err_cde: str, err_str: str) -> None:
        self._envelope("gs", err_cde, err_str)

    def st_error(self, err_cde: str, err_str: str) -> None:
        self._envelope("st", err_cde, err_str)

    def seg_error(self, err_cde: str, err_str: str, err_value: Any = None, src_line: int | None = None) -> None:
        line = int(src_line or self._seg_line)
        what = _SEGMENT_ERRORS.get(err_cde, f"segment error {err_cde}")
        if err_cde == "3" or err_str.startswith("Mandatory"):  # names from the X222 map, not from the data
            what = err_str[:160]
        self._add(line, self._seg_id, f"segment {self._seg_id or '?'}: {what}")

    def ele_error(self, err_cde: str, err_str: str, bad_value: Any, refdes: str | None = None) -> None:
        ref = refdes or (getattr(self._ele, "refdes", None) if self._ele is not None else None) or "?"
        name = getattr(self._ele, "name", "") if self._ele is not None else ""
        what = _ELEMENT_ERRORS.get(err_cde, f"element error {err_cde}")
        base = re.sub(r"-\d+$", "", str(ref))
        shown = (f" ({str(bad_value)[:20]!r})" if bad_value not in (None, "") and base[:5] in _USED_ELEMENTS
                 else "")
        label = f"{ref} ({name})" if name else str(ref)
        self._add(self._seg_line, self._seg_id, f"segment {self._seg_id or '?'}, element {label}: {what}{shown}")

    def get_error_count(self) -> int:
        return len(self.problems) + self.dropped


class _Bounded:
    """The text stream pyx12 reads: leading blank space before ISA skipped, and a segment longer than
    :data:`MAX_SEGMENT_CHARS` (a file without segment terminators) stops the reading with a clear error."""

    def __init__(self, text: IO[str]) -> None:
        self._text = text
        self._since = 0
        self._term = ""
        head = text.read(4096)
        start = len(head) - len(head.lstrip("\ufeff \t\r\n"))
        self._pending = head[start:]
        if len(self._pending) >= 106 and self._pending.startswith("ISA"):
            self._term = self._pending[105]
        self.closed = False

    def read(self, n: int = -1) -> str:
        if self._pending:
            out, self._pending = (self._pending, "") if n < 0 or n >= len(self._pending) else \
                (self._pending[:n], self._pending[n:])
        else:
            out = self._text.read(n)
        if self._term:
            cut = out.rfind(self._term)
            self._since = len(out) - cut - 1 if cut >= 0 else self._since + len(out)
            if self._since > MAX_SEGMENT_CHARS:
                raise _TooLong
        return out

    def close(self) -> None:
        self.closed = True

    @property
    def term(self) -> str:
        return self._term

    def more(self) -> bool:
        """Whether text is left that pyx12 did not read."""
        return bool(self._pending) or bool(self._text.read(1))


class _TooLong(Exception):
    pass


def _isa_problem(message: str) -> str:
    """pyx12's refusal of the interchange header, in GuideCode's words (its message quotes the header's text,
    which is not repeated)."""
    if message.startswith("First line does not begin"):
        return "the file does not start with an ISA segment (the interchange header)"
    if message.startswith("ISA line is only"):
        return "the ISA segment (the interchange header) is shorter than its fixed 106 characters"
    if "Version Number is unknown" in message:
        return "the ISA segment's version (ISA12) is not 00501 or 00401"
    return "pyx12 cannot read its ISA segment (the interchange header)"


@dataclass(slots=True)
class _Subscriber:
    filing: str = ""
    payer_id: str = ""
    payer_name: str = ""


def _d8(value: str | None) -> date | None:
    """CCYYMMDD, or the first date of CCYYMMDD-CCYYMMDD."""
    text = (value or "").strip()[:8]
    if len(text) != 8 or not text.isdigit():
        return None
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        return None


def payer_of(sub: _Subscriber, options: AuditOptions) -> Payer:
    if sub.filing.upper() in MEDICARE_FILING:
        return "medicare"
    if sub.payer_id and sub.payer_id.upper() in options.medicare_payer_ids:
        return "medicare"
    if "MEDICARE" in sub.payer_name.upper():
        return "medicare"
    return "other"


def _problem_finding(p: X12Problem, claim_id: str = "") -> Finding:
    where = f"segment {p.line}" + (f" ({p.segment})" if p.segment else "")
    return Finding(claim_id, p.line, "error", "x12_error",
                   f"pyx12 (005010X222A1 map) at segment {p.line}{' in claim ' + claim_id if claim_id else ''}: "
                   f"{p.text}.", where=where)


class _Plain:
    """A segment that none of pyx12's reader checks reads (see :func:`_reader_class`), kept as its element
    strings: ``els[0]`` is the segment id, ``els[i]`` element ``i``; components split on ``sub`` when asked."""

    __slots__ = ("els", "sub")

    def __init__(self, els: list[str], sub: str) -> None:
        self.els = els
        self.sub = sub

    def get_seg_id(self) -> str:
        return self.els[0]


def _v(seg: Any, i: int, j: int = 0) -> str:
    """Element ``i`` (1-based) of a segment, or its component ``j`` (1-based); "" when absent. (Direct
    access: pyx12's ``get_value`` parses the reference designator into a path each time.)"""
    if j:
        parts = _components(seg, i)
        return parts[j - 1] if j <= len(parts) else ""
    if type(seg) is _Plain:
        return seg.els[i] if i < len(seg.els) else ""
    els = seg.elements
    if i > len(els):
        return ""
    members = els[i - 1].elements
    return str(members[0].value) if len(members) == 1 else str(els[i - 1].format())


def _components(seg: Any, i: int) -> list[str]:
    """The components of element ``i`` (1-based) of a segment; [] when absent."""
    if type(seg) is _Plain:
        return seg.els[i].split(seg.sub) if i < len(seg.els) else []
    els = seg.elements
    return [str(m.value) for m in els[i - 1].elements] if i <= len(els) else []


@dataclass(slots=True)
class _Service:
    seg_no: int
    lx: str
    sv1: Any = None
    date: date | None = None


@dataclass(slots=True)
class _Claim:
    claim_id: str
    pos: str
    payer: Payer
    services: list[_Service] = field(default_factory=list)


_ENDS_CLAIM: Final = frozenset({"CLM", "HL", "SE", "ST", "GE", "IEA", "SBR"})
_FED: Final = _ENDS_CLAIM | {"LX", "SV1", "DTP", "NM1"}  # the segments _ClaimBuilder.feed reads


class _ClaimBuilder:
    """Follows the 837P's segments in order (subscriber SBR and payer NM1*PR, claim CLM, service lines LX with
    their SV1 and DTP*472) and hands over each claim when the next one (or anything after it) begins."""

    def __init__(self, options: AuditOptions) -> None:
        self.options = options
        self.sub = _Subscriber()
        self.claim: _Claim | None = None

    def feed(self, seg_no: int, sid: str, seg: Any) -> _Claim | None:
        """One segment (its id ``sid``); returns a claim that this segment ended, if any."""
        if sid == "LX" and self.claim is not None:
            self.claim.services.append(_Service(seg_no, _v(seg, 1).strip()))
            return None
        if sid == "SV1" and self.claim is not None and self.claim.services:
            svc = self.claim.services[-1]
            if svc.sv1 is None:
                svc.sv1 = seg
                svc.seg_no = seg_no
            return None
        if sid == "DTP" and self.claim is not None and self.claim.services:
            svc = self.claim.services[-1]
            if svc.date is None and _v(seg, 1) == "472":
                svc.date = _d8(_v(seg, 3))
            return None
        if sid in _ENDS_CLAIM:
            done = self.claim
            self.claim = None
            if sid == "CLM":
                self.claim = _Claim(_v(seg, 1).strip()[:64],
                                    _v(seg, 5, 1).strip(), payer_of(self.sub, self.options))
            elif sid == "SBR":
                self.sub = _Subscriber(filing=_v(seg, 9).strip())
            elif sid == "HL":
                pass
            return done
        if sid == "NM1" and _v(seg, 1) == "PR" and self.claim is None:
            self.sub.payer_id = _v(seg, 9).strip()
            self.sub.payer_name = _v(seg, 3).strip()
        return None

    def finish(self) -> _Claim | None:
        done, self.claim = self.claim, None
        return done


_MEMO_MAX = 50_000


def _memoize(cls: Any, name: str, key: Callable[[Any, Any], Hashable],
             handed: Callable[[Any], Any] = lambda hit: hit) -> None:
    """Replace the method ``name`` of the pyx12 class ``cls``, a pure function of its object and its one
    argument (told apart by ``key``), by one that keeps its results, once: at most :data:`_MEMO_MAX` of them
    (the memo is emptied when full). ``handed`` makes what a caller gets from a kept result (a copy of what
    the caller may change). A call that raises keeps nothing and raises as before."""
    real = getattr(cls, name)
    if getattr(real, "_guidecode_memo", False):
        return
    memo: dict[Hashable, Any] = {}

    def memoised(self: Any, arg: Any) -> Any:
        k = key(self, arg)
        hit = memo.get(k)
        if hit is None:
            hit = real(self, arg)
            if len(memo) >= _MEMO_MAX:
                memo.clear()
            memo[k] = hit
        return handed(hit)

    memoised._guidecode_memo = True  # type: ignore[attr-defined]
    setattr(cls, name, memoised)


def _memoize_segment_validation() -> None:
    """pyx12 validates each segment against its map node with a pure function of the two; an 837P repeats
    most segments exactly (LX*1, the same SV1 and DTP lines, the provider's N3/N4), so the result is kept per
    (map node, segment text), at most 50,000 of them (the error list handed out is a copy)."""
    from pyx12.map_if._segment import segment_if

    _memoize(segment_if, "is_valid_errors", lambda node, seg: (id(node), seg.format()),
             lambda hit: (hit[0], list(hit[1])))


def _memoize_refdes() -> None:
    """pyx12 reads an element by its reference designator (``seg.get_value("HL01")``), parsing the designator
    into an X12Path each time: its envelope and HL checks do that three times per HL segment. The parse is a pure
    function of the segment id and the designator, so its result is kept per pair (an invalid designator raises
    as before)."""
    from pyx12.segment import Segment

    _memoize(Segment, "_parse_refdes", lambda seg, ref_des: (seg.seg_id, ref_des))


def iter_837p_claims(src: TextInput, options: AuditOptions, stats: ReadStats | None = None
                     ) -> Iterator[ClaimLine | Finding]:
    """The service lines of an 837P file as claim lines, and ``x12_error`` / ``malformed_row`` findings for
    what pyx12 or the audit cannot read. Raises :class:`AuditInputError` when the input is not an X12
    interchange at all. With ``options.x12_validate`` (the default) every segment is validated against the
    X222A1 map (pyx12's context reader); without it the segments come with the checks of pyx12's segment
    reader only (envelope, HL, segment ids, empty segments: :func:`_reader_class`); LX numbering is checked in
    the full mode only (pyx12's context reader turns that check of its reader on)."""
    import pyx12.errors
    import pyx12.params
    import pyx12.x12context
    import pyx12.x12file

    st = stats if stats is not None else ReadStats()
    st.encoding = src.encoding
    errh = _Errors()
    stream = _Bounded(src.text)
    try:
        _memoize_refdes()
        if options.x12_validate:
            _memoize_segment_validation()
            reader = pyx12.x12context.X12ContextReader(pyx12.params.ParamsBase(), errh, stream)
            nodes: Iterator[tuple[int, str, Any]] = (
                (int(n.cur_line_number or 0), str(n.seg_data.get_seg_id() or ""), n.seg_data)
                for n in reader.iter_segments() if n.seg_data is not None)
        else:
            raw = _reader_class()(stream)
            raw.errh = errh
            nodes = iter(raw)
    except pyx12.errors.X12Error as exc:
        raise AuditInputError(f"not an X12 837P file: {_isa_problem(str(exc))}") from None
    except (pyx12.errors.EngineError, OSError, ValueError) as exc:
        raise AuditInputError(f"pyx12 cannot read this file ({type(exc).__name__}: its X12 map or envelope is "
                              "not one it knows; GuideCode reads ASC X12 5010 837P, 005010X222A1)") from None
    builder = _ClaimBuilder(options)
    emitted = 0
    last_id = ""
    try:
        for seg_no, last_id, seg in nodes:
            if seg_no > errh.cur_line:
                errh.cur_line = seg_no
            done = builder.feed(seg_no, last_id, seg) if last_id in _FED else None
            if len(errh.problems) > emitted:
                current = builder.claim.claim_id if builder.claim is not None else (done.claim_id if done else "")
                for p in errh.problems[emitted:]:
                    yield _problem_finding(p, "" if p.segment in _ENVELOPE else current)
                emitted = len(errh.problems)
            if done is not None:
                yield from _claim_items(done, st)
    except _TooLong:
        yield Finding("", errh.cur_line, "error", "x12_error",
                      f"After segment {errh.cur_line}, no segment terminator for over {MAX_SEGMENT_CHARS:,} "
                      "characters: the rest of the file was not read.", where=f"segment {errh.cur_line}")
    except (pyx12.errors.X12Error, pyx12.errors.EngineError, KeyError, IndexError, AttributeError,
            TypeError, ValueError) as exc:
        # pyx12 could not go on (it lost its place in the map): report where, keep what was read
        yield Finding("", errh.cur_line, "error", "x12_error",
                      f"pyx12 stopped reading after segment {errh.cur_line} ({type(exc).__name__}): the rest of "
                      "the file was not read; the claims before it were audited.",
                      where=f"segment {errh.cur_line}")
    else:
        if stream.more():
            yield Finding("", errh.cur_line, "error", "x12_error",
                          f"pyx12 stopped reading after segment {errh.cur_line}: the next segment has no terminator "
                          f"({stream.term!r}) within pyx12's read buffer, so the rest of the file was not read; the "
                          "claims before it were audited.", where=f"segment {errh.cur_line}")
        elif last_id != "IEA":
            yield Finding("", errh.cur_line, "error", "x12_error",
                          f"The file ends at segment {errh.cur_line} without its interchange trailer (IEA; the "
                          "Transaction Set Trailer SE and group trailer GE may be missing too): it looks cut off. "
                          "The claims before the end were audited; the last one may be incomplete.",
                          where=f"segment {errh.cur_line}")
    last = builder.finish()
    if last is not None:
        yield from _claim_items(last, st)
    for p in errh.problems[emitted:]:
        yield _problem_finding(p)
    if errh.dropped:
        yield Finding("", errh.cur_line, "error", "x12_error",
                      f"{errh.dropped:,} more pyx12 errors were not listed (the first {MAX_ERRORS:,} are).",
                      where=f"segment {errh.cur_line}")
    st.physical_lines = errh.cur_line


# The segments pyx12's reader checks read (X12Base/X12Reader._parse_segment: envelope ids and counts, HL
# numbering and parents; CLM and LX only with check_837_lx, which only its context reader sets).
_READER_CHECKS: Final = frozenset({"ISA", "IEA", "GS", "GE", "ST", "SE", "HL"})
_reader_cls: Any = None


def _reader_class() -> Any:
    """pyx12's segment reader (:class:`pyx12.x12file.X12Reader`: its envelope, HL, segment-id and
    empty-segment checks, unchanged, on pyx12's tokenizer :class:`pyx12.rawx12file.RawX12File`) without
    building pyx12's element objects for the segments those checks never read.

    - For a segment whose id is valid, that is not empty and that is not one of :data:`_READER_CHECKS`,
      pyx12's ``_parse_segment`` does nothing but count it (``seg_count`` for SE01, ``cur_line``); this reader
      counts it the same way and hands it over as a :class:`_Plain` (its element strings, split as pyx12's
      Segment splits them). Every other segment, and any whose first element is empty, goes through pyx12's own
      Segment and ``_parse_segment``.
    - The tokenizer splits each buffer it reads at every terminator at once instead of one segment at a time,
      with RawX12File's rules kept: 8 KiB read only when no terminator is left, CR/LF before a segment dropped,
      an empty segment ends the reading.

    Building the element objects was most of pyx12's reading time (871,026 Segments and 4.1 million Composites
    for a 100,000-line file). ``tests/test_audit_x12.py`` checks that this reader and pyx12's own X12Reader
    give the same segments, claims and errors on every fixture, the broken ones included."""
    global _reader_cls
    if _reader_cls is not None:
        return _reader_cls
    import pyx12.rawx12file
    import pyx12.segment
    import pyx12.x12file

    segment = pyx12.segment.Segment
    valid_id = pyx12.segment.rec_seg_id.match
    bufsize = pyx12.rawx12file.DEFAULT_BUFSIZE

    def raw_lines(raw: Any) -> Iterator[str]:
        term, fd = raw.seg_term, raw.fd
        buf = raw.buffer
        while True:
            if term not in buf:
                buf += fd.read(bufsize)
                if term not in buf:
                    break
            *lines, buf = buf.split(term)
            for at, line in enumerate(lines):
                line = line.lstrip("\n\r")
                if line == "":
                    raw.buffer = term.join([*lines[at + 1:], buf])  # what RawX12File leaves unread
                    return
                yield line
        raw.buffer = buf

    class Reader(pyx12.x12file.X12Reader):  # type: ignore[misc]
        errh: _Errors | None = None

        def __iter__(self) -> Iterator[tuple[int, str, Any]]:
            """(segment number, segment id, segment), and pyx12's errors handed to ``errh`` as they come."""
            self.err_list: list[Any] = []
            errh = self.errh
            ele, sub, term = self.ele_term, self.subele_term, self.seg_term
            checked = _READER_CHECKS
            good_ids: set[str] = set()
            for line in raw_lines(self.raw):
                # pyx12's X12Reader.__iter__ checks, word for word
                if line.startswith(" "):
                    self._seg_error("1", "Segment contains a leading space", None, src_line=self.cur_line + 1)
                    line = line.lstrip()
                if line[-1] == ele:
                    self._seg_error("SEG1", "Segment contains trailing element terminators", None,
                                    src_line=self.cur_line + 1)
                els = line.split(ele)
                sid = els[0]
                seg: Any
                plain = len(els) > 1 and bool(els[1].strip(sub)) and sid not in checked
                if plain and sid not in good_ids:
                    if valid_id(sid):
                        good_ids.add(sid)
                    else:
                        plain = False
                if plain:
                    self.seg_count += 1
                    self.cur_line += 1
                    seg = _Plain(els, sub)
                else:
                    seg = segment(line, term, ele, sub)
                    self._parse_segment(seg)
                    sid = seg.get_seg_id() or ""
                if self.err_list and errh is not None:
                    errh._at(seg, self.cur_line)
                    errh.handle_errors(self.pop_errors())
                yield self.cur_line, sid, seg

    _reader_cls = Reader
    return Reader


def _claim_items(claim: _Claim, st: ReadStats) -> Iterator[ClaimLine | Finding]:
    lines, bad = _claim_lines(claim)
    return st.counted(bad, lines)


def _claim_lines(claim: _Claim) -> tuple[list[ClaimLine], list[Finding]]:
    """One claim -> its service lines, and a malformed finding for each it cannot read."""
    claim_id = claim.claim_id
    bad: list[Finding] = []
    claim_date = next((s.date for s in claim.services if s.date is not None), None)
    out: list[ClaimLine] = []
    for svc in claim.services:
        seg_no, lx_no = svc.seg_no, svc.lx
        if svc.sv1 is None:
            bad.append(_bad(claim_id, seg_no, lx_no, "service line has no SV1 segment"))
            continue
        s = svc.sv1
        sv101 = _components(s, 1) + ["", ""]
        qual = sv101[0].strip()
        code = sv101[1].strip().upper()
        mods = tuple(m for m in (c.strip().upper() for c in sv101[2:6]) if m)
        units_raw = _v(s, 4).strip()
        pos = _v(s, 5).strip() or claim.pos
        where = f"claim {claim_id} line {lx_no or '?'} (LX*{lx_no}), SV1 at segment {seg_no}"
        if not claim_id:
            bad.append(_bad("", seg_no, lx_no, "the claim has no claim id (CLM01)"))
            continue
        if qual and qual != "HC":
            bad.append(_bad(claim_id, seg_no, lx_no, f"SV101-1 is {qual[:4]!r}, not HC (a CPT/HCPCS code)"))
            continue
        if not CODE_RE.match(code):
            shown = repr(code[:12]) if code.isalnum() and any(c.isdigit() for c in code) else "(missing or not a code)"
            bad.append(_bad(claim_id, seg_no, lx_no, f"SV101-2 {shown} is not a CPT/HCPCS code"))
            continue
        bad_mod = next((m for m in mods if not _MODIFIER_RE.match(m)), None)
        if bad_mod is not None:
            bad.append(_bad(claim_id, seg_no, lx_no, "a modifier is not two letters or digits"))
            continue
        units = 1
        if units_raw:
            try:
                value = float(units_raw)
            except ValueError:
                value = -1.0
            if value != int(value) or not 1 <= value <= MAX_UNITS:
                bad.append(_bad(claim_id, seg_no, lx_no, f"SV104 units are not a whole number from 1 to {MAX_UNITS}"))
                continue
            units = int(value)
        if not (len(pos) <= 2 and pos.isdigit()):
            bad.append(_bad(claim_id, seg_no, lx_no, "place of service (CLM05-1 / SV105) is not a two-digit code"))
            continue
        when = svc.date or claim_date
        if when is None:
            bad.append(_bad(claim_id, seg_no, lx_no, "no service date (DTP*472) on the line or the claim"))
            continue
        if svc.date is None:
            where += f"; no DTP*472, the claim's date {when.isoformat()} used"
        out.append(ClaimLine(seg_no, claim_id, when, pos.zfill(2), code, tuple(dict.fromkeys(mods)), units,
                             claim.payer, where))
    return out, bad


def _bad(claim_id: str, seg_no: int, lx_no: str, why: str) -> Finding:
    return Finding(claim_id, seg_no, "error", "malformed_row",
                   f"Claim {claim_id or '(no id)'} service line {lx_no or '?'} (segment {seg_no}): {why}; the line "
                   "was skipped and the rest of its claim was checked without it.",
                   where=f"claim {claim_id} line {lx_no or '?'}, segment {seg_no}")
