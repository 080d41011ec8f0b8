"""Safe YAML parsing that keeps line numbers, so every data error can name file, line and entry.

Only ``yaml.SafeLoader`` (or its libyaml twin ``CSafeLoader``) is used: no Python object tags.
Mappings come back as :class:`LineMap` (a dict that knows the line of itself and of each key);
duplicate keys inside one mapping are refused instead of silently keeping the last one.

Every file GuideCode parses (the built-in data, data packs) goes through :func:`parse_yaml`, which refuses
a document *before* PyYAML builds it when it is too big, too deep or expands too far through aliases
(:class:`Limits`). libyaml's event parser keeps its nesting on the heap, but PyYAML's node composer and its
constructor recurse once per level, so a 50 KB file of 25,000 nested ``[`` crashes the process (a C stack
overflow) and a 700-byte merge-key or "billion laughs" bomb needs gigabytes. So a document is read as a
stream of parser events first (:func:`prescan`), counting nesting depth, aliases and the size the aliases
expand to (each anchored node's size and height are known when it closes; an alias adds them at the place
it is used); the scan stops at the first limit crossed, so it costs a few milliseconds whatever the input.
Only a document within the limits is composed and constructed. A document that a cheap look at its text
proves alias-free and shallow enough for the C composer (:func:`depth_bound`; all of the built-in data) skips
the event scan: it is composed at once and its depth checked on the node tree, with the same limits and
the same messages (a test compares the two ways on fuzzed input).

Every error a constructor can raise on a bad value (``2026-02-30``, ``!!int junk``, ``!!float junk``, an
unparseable ``!!timestamp``, a 5,000-digit number; ValueError, OverflowError, TypeError, ...) becomes a
:class:`YamlSyntaxError` with the line of the value; RecursionError and MemoryError are caught as well.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import yaml

# PyYAML is imported on the first parse, not with this module: the window starts from the bundled
# catalog cache (desktop/core/catalog_cache.py) and needs no YAML unless a data pack is installed.


@dataclass(frozen=True, slots=True)
class Limits:
    """What one YAML document may hold. The built-in data needs depth 7, no alias, at most 3,341 values a file."""

    max_chars: int = 8 * 1024 * 1024
    max_depth: int = 64
    max_aliases: int = 10_000
    # Nodes after aliases are expanded; a scalar counts one node per 64 characters (at least one).
    max_nodes: int = 200_000  # ~90 MB once built; the largest built-in file has 3,341
    max_digits: int = 30  # in one integer: no count, year or unit needs more


DEFAULT_LIMITS = Limits()


class LineMap(dict[str, Any]):
    """A YAML mapping with the 1-based line of the mapping and of each of its keys."""

    line: int
    key_lines: dict[str, int]

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


class YamlSyntaxError(Exception):
    """A file that is not well-formed YAML, or that GuideCode refuses to build: carries the 1-based line."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode, deep: bool = False) -> LineMap:
    result = LineMap()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    loader.flatten_mapping(node)
    scalar = _Loader.scalar_node
    for key_node, value_node in node.value:
        if key_node.__class__ is not scalar:  # a list or mapping as a key: nothing in GuideCode's data is one
            raise _Loader.value_error(None, None, "a mapping key must be a plain value, not a list or mapping",
                                      key_node.start_mark)
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str):
            key = str(key)
        if key in result:
            raise _Loader.duplicate_key_error(
                "while constructing a mapping",
                node.start_mark,
                f"found duplicate key {key!r}",
                key_node.start_mark,
            )
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = key_node.start_mark.line + 1
    return result


_TAG = "tag:yaml.org,2002:"
_STR_TAG, _SEQ_TAG, _MAP_TAG = _TAG + "str", _TAG + "seq", _TAG + "map"
_PLAIN_SCALAR_TAGS = frozenset(_TAG + t for t in ("int", "float", "bool", "null", "timestamp"))


def _construct_tree(loader: yaml.SafeLoader, root: Any) -> Any:
    """The document of an alias-free node tree, built directly: the same values as
    ``loader.construct_document(root)`` (a test compares the two on every built-in file and on fuzzed input)
    without PyYAML's per-node bookkeeping, which exists for aliases and recursive structures and costs more
    than half of the construction. Plain strings, sequences and mappings (the built-in data is nothing
    else) are built here; each other scalar goes to its registered (checked) constructor; any other node (an
    explicit collection tag, a merge key ``<<``) to PyYAML's own constructor, as before."""
    scalar = _Loader.scalar_node
    sequence = _Loader.sequence_node
    constructors = loader.yaml_constructors
    str_tag, seq_tag, map_tag, plain = _STR_TAG, _SEQ_TAG, _MAP_TAG, _PLAIN_SCALAR_TAGS
    duplicate = _Loader.duplicate_key_error

    def build(node: Any) -> Any:
        cls = node.__class__
        tag = node.tag
        if cls is scalar:
            if tag == str_tag:
                return node.value
            if tag in plain:
                return constructors[tag](loader, node)
        elif cls is sequence:
            if tag == seq_tag:
                return [build(child) for child in node.value]
        elif tag == map_tag:
            result = LineMap()
            result.line = node.start_mark.line + 1
            key_lines: dict[str, int] = {}
            result.key_lines = key_lines
            for key_node, value_node in node.value:
                if key_node.__class__ is not scalar or (key_node.tag != str_tag and key_node.tag not in plain):
                    return _construct_mapping(loader, node)  # a merge key, a tagged or collection key
                key = build(key_node)
                if not isinstance(key, str):
                    key = str(key)
                if key in result:
                    raise duplicate("while constructing a mapping", node.start_mark, f"found duplicate key {key!r}",
                                    key_node.start_mark)
                result[key] = build(value_node)
                key_lines[key] = key_node.start_mark.line + 1
            return result
        return loader.construct_object(node, deep=True)

    return build(root)


def _shown(value: Any) -> str:
    text = str(value)
    return repr(text if len(text) <= 40 else text[:37] + "...")


# What a value of each tag is called in a message, for the constructors that can fail on a bad value.
_CHECKED_TAGS = {"int": "a whole number", "float": "a number", "bool": "true or false", "timestamp": "a date",
                 "binary": "base64 data", "null": "null", "omap": "an ordered mapping", "pairs": "a list of pairs",
                 "set": "a set"}
_RAISED = (ValueError, OverflowError, TypeError, AttributeError, KeyError, IndexError, ArithmeticError)


def _checked(tag: str, what: str, construct: Callable[[Any, Any], Any], limits: Limits) -> Callable[[Any, Any], Any]:
    """``construct`` for ``tag``, turning whatever it raises on a bad value into a located YAML error."""
    max_digits = limits.max_digits
    is_int = tag == "int"

    def checked(loader: Any, node: Any) -> Any:
        value = node.value
        if is_int and len(value) > max_digits and sum(c.isdigit() for c in value) > max_digits:
            raise _Loader.value_error(None, None, f"the number {_shown(value)} has more than {max_digits} "
                                      "digits", node.start_mark)
        try:
            return construct(loader, node)
        except _RAISED as exc:
            reason = f" ({exc})" if isinstance(exc, ValueError) and str(exc) and len(str(exc)) < 80 else ""
            if tag == "timestamp" and isinstance(value, str) and "-" in value:
                message = f"{_shown(value)} is not a real date{reason}"
            else:
                message = f"{_shown(value)} cannot be read as {what}{reason}"
            raise _Loader.value_error(None, None, message, node.start_mark) from None

    return checked


class _Loader:
    """The line-keeping SafeLoader and its error classes, built on the first :func:`parse_yaml` call."""

    loader: type[yaml.SafeLoader] | None = None
    duplicate_key_error: type[yaml.MarkedYAMLError]
    value_error: type[yaml.MarkedYAMLError]
    scalar_node: type[yaml.ScalarNode]
    sequence_node: type[yaml.SequenceNode]
    events: tuple[type[yaml.Event], ...]


def _line_loader() -> type[yaml.SafeLoader]:
    if _Loader.loader is not None:
        return _Loader.loader
    import yaml

    try:  # libyaml is several times faster; the pure-Python loader gives the same result
        base: type[yaml.SafeLoader] = yaml.CSafeLoader  # type: ignore[assignment,unused-ignore]
    except AttributeError:  # pragma: no cover - depends on how PyYAML was built
        base = yaml.SafeLoader

    class DuplicateKeyError(yaml.MarkedYAMLError):
        pass

    class BadValueError(yaml.MarkedYAMLError):
        pass

    class _LineLoader(base):  # type: ignore[misc,valid-type,unused-ignore]
        pass

    _LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
    for name, what in _CHECKED_TAGS.items():
        tag = f"tag:yaml.org,2002:{name}"
        _LineLoader.add_constructor(tag, _checked(name, what, base.yaml_constructors[tag], DEFAULT_LIMITS))
    _Loader.duplicate_key_error = DuplicateKeyError
    _Loader.value_error = BadValueError
    _Loader.scalar_node = yaml.ScalarNode
    _Loader.sequence_node = yaml.SequenceNode
    _Loader.events = (yaml.ScalarEvent, yaml.SequenceStartEvent, yaml.MappingStartEvent, yaml.SequenceEndEvent,
                      yaml.MappingEndEvent, yaml.AliasEvent, yaml.DocumentStartEvent)
    _Loader.loader = _LineLoader
    return _LineLoader


def prescan(text: str, limits: Limits = DEFAULT_LIMITS) -> None:
    """Read ``text`` as parser events only and raise :class:`YamlSyntaxError` at the first limit crossed
    (depth, aliases, expanded size) or at the first syntax error. Builds nothing; stops early."""
    loader = _line_loader()
    import yaml

    scalar_ev, seq_start, map_start, seq_end, map_end, alias_ev, doc_start = _Loader.events
    max_depth, max_aliases, max_nodes = limits.max_depth, limits.max_aliases, limits.max_nodes
    parser = loader(text)
    get_event = parser.get_event
    depth = 0
    expanded = 0
    aliases = 0
    frames: list[str | None] = []  # the anchor (or None) of each open collection
    anchored: list[list[Any]] = []  # each open anchored collection: [anchor, depth, expanded at start, deepest]
    sizes: dict[str, tuple[int, int]] = {}  # closed anchor -> (expanded size, height)
    try:
        while True:
            ev = get_event()  # type: ignore[no-untyped-call]
            if ev is None:
                return
            cls = ev.__class__
            if cls is scalar_ev:
                weight = 1 + (len(ev.value) >> 6)
                expanded += weight
                if ev.anchor is not None:
                    sizes[ev.anchor] = (weight, 0)
            elif cls is seq_start or cls is map_start:
                depth += 1
                expanded += 1
                if depth > max_depth:
                    raise YamlSyntaxError(ev.start_mark.line + 1, f"nested more than {max_depth} levels deep")
                if anchored and depth > anchored[-1][3]:
                    anchored[-1][3] = depth
                anchor = ev.anchor
                frames.append(anchor)
                if anchor is not None:
                    anchored.append([anchor, depth, expanded - 1, depth])
            elif cls is seq_end or cls is map_end:
                if frames.pop() is not None:
                    anchor, at, start, deepest = anchored.pop()
                    sizes[anchor] = (expanded - start, deepest - at + 1)
                    if anchored and deepest > anchored[-1][3]:
                        anchored[-1][3] = deepest
                depth -= 1
            elif cls is alias_ev:
                aliases += 1
                if aliases > max_aliases:
                    raise YamlSyntaxError(ev.start_mark.line + 1, f"more than {max_aliases} aliases (*name)")
                anchor = ev.anchor
                if anchor not in sizes and any(a is not None and a[0] == anchor for a in anchored):
                    raise YamlSyntaxError(ev.start_mark.line + 1, f"the alias *{anchor} is used inside the node it "
                                          "names (a structure that contains itself)")
                weight, height = sizes.get(anchor, (1, 0))
                expanded += weight
                if depth + height > max_depth:
                    raise YamlSyntaxError(ev.start_mark.line + 1, f"the alias *{anchor} makes the data nested "
                                          f"more than {max_depth} levels deep")
                if anchored and depth + height > anchored[-1][3]:
                    anchored[-1][3] = depth + height
            elif cls is doc_start:
                sizes.clear()
            else:
                continue
            if expanded > max_nodes:
                raise YamlSyntaxError(ev.start_mark.line + 1, f"the data holds more than {max_nodes:,} values "
                                      "once its aliases (*name) and merge keys (<<) are expanded")
    except yaml.MarkedYAMLError as exc:
        raise _syntax_error(exc) from None
    except yaml.YAMLError as exc:  # ReaderError: a character YAML does not allow (NUL, other controls)
        raise _reader_error(exc, text) from None
    finally:
        parser.dispose()


def _reader_error(exc: yaml.YAMLError, text: str) -> YamlSyntaxError:
    position = getattr(exc, "position", None)
    line = text.count("\n", 0, position) + 1 if isinstance(position, int) else 1
    reason = getattr(exc, "reason", None)
    character = getattr(exc, "character", None)
    code = ord(character) if isinstance(character, str) and len(character) == 1 else character
    what = str(reason or exc)
    if isinstance(code, int):
        what += f" (U+{code:04X})"
    return YamlSyntaxError(line, what)


def _syntax_error(exc: yaml.MarkedYAMLError) -> YamlSyntaxError:
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + 1 if mark is not None else 1
    problem = exc.problem or "not valid YAML"
    context = f" ({exc.context})" if exc.context else ""
    return YamlSyntaxError(line, f"{problem}{context}")


# The quick path (see depth_bound): a document whose nesting is provably at most this deep is composed by
# libyaml's C composer at once; its recursion needs ~340 bytes of C stack a level (it crashed at ~25,000 on
# an 8 MB stack), so 400 levels fit in any thread's stack, even a 512 KB one.
QUICK_DEPTH = 400
_LINE_BREAKS_OTHER = ("\r", "\x85", "\u2028", "\u2029")  # YAML line breaks other than \n
_ENTRY_COLUMN = re.compile(r"^[ \t]*(?:(?:[-?:]|---|[&!][^ \t\n]*)(?:[ \t]+|$))*", re.MULTILINE)


def depth_bound(text: str, limits: Limits = DEFAULT_LIMITS) -> int | None:
    """A cheap upper bound on the nesting depth of ``text``, or None when the text may hold an alias (any
    ``*``), more values than the limit, or a line break other than \n (then only :func:`prescan` can tell).

    The bound: every flow collection needs its own ``[`` or ``{``; block collections nest only at strictly
    greater columns (libyaml rolls the indent only forward), an indentless sequence at most once per mapping,
    and a block collection starts only where a line's indentation and its leading ``- ``, ``? ``, ``: ``,
    ``---``, anchors and tags end. So depth <= (number of ``[`` and ``{``) + 2 * (largest such column + 1)."""
    if "*" in text or len(text) > limits.max_nodes * 9 // 10 or any(b in text for b in _LINE_BREAKS_OTHER):
        return None
    flow = text.count("[") + text.count("{")
    if flow >= QUICK_DEPTH:
        return flow
    column = max(map(len, _ENTRY_COLUMN.findall(text)), default=0)  # (no capturing group: whole matches)
    return flow + 2 * (column + 1)


def _check_depth(node: Any, max_depth: int) -> None:
    """The nesting depth of a composed document without aliases (a tree), walked in document order."""
    scalar = _Loader.scalar_node
    stack = [(node, 1)] if node is not None and node.__class__ is not scalar else []
    while stack:
        current, depth = stack.pop()
        if depth > max_depth:
            raise YamlSyntaxError(current.start_mark.line + 1, f"nested more than {max_depth} levels deep")
        value = current.value
        children = [c for pair in value for c in pair] if value and isinstance(value[0], tuple) else value
        for child in reversed(children):
            if child.__class__ is not scalar:
                stack.append((child, depth + 1))


def parse_yaml(text: str, limits: Limits = DEFAULT_LIMITS, *, quick: bool = True) -> Any:
    """Parse YAML text safely. Raises :class:`YamlSyntaxError` with a line number on bad input, on a
    document beyond ``limits`` (checked before anything is built) and on a value no constructor can read.

    Two ways to the same limits: a document that :func:`depth_bound` proves alias-free and at most
    :data:`QUICK_DEPTH` deep (all of the built-in data) is composed by libyaml at once and its depth checked
    on the node tree; any other is first read as events by :func:`prescan` (``quick=False``: always, for the
    tests that compare the two). Either way nothing is constructed beyond the limits."""
    if len(text) > limits.max_chars:
        raise YamlSyntaxError(1, f"the file is larger than {limits.max_chars // (1024 * 1024)} MB")
    loader_class = _line_loader()
    import yaml

    bound = depth_bound(text, limits) if quick else None
    quick = bound is not None and bound <= QUICK_DEPTH
    if not quick:
        prescan(text, limits)
    loader = loader_class(text)
    try:
        try:
            node = loader.get_single_node()
        except yaml.YAMLError:
            if quick:  # report what the pre-scan would have met first (a limit before the error), like the long way
                prescan(text, limits)
            raise
        if node is None:
            return None
        if quick:  # a tree (no alias): built directly
            _check_depth(node, limits.max_depth)
            return _construct_tree(loader, node)
        return loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        raise _syntax_error(exc) from exc
    except yaml.YAMLError as exc:
        raise _reader_error(exc, text) from exc
    except RecursionError:
        raise YamlSyntaxError(1, "nested too deeply to read") from None
    except MemoryError:
        raise YamlSyntaxError(1, "too large to read (out of memory)") from None
    except _RAISED as exc:  # a constructor not covered by _checked; no line is known
        raise YamlSyntaxError(1, f"a value cannot be read ({type(exc).__name__}: {str(exc)[:80]})") from None
    finally:
        loader.dispose()
