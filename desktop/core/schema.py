"""The data schema, declared once: each YAML key is a field of a frozen dataclass in :mod:`desktop.core.model`
whose metadata (made by :func:`key`) gives the key's name, what kind of value it takes and one line of
documentation.

Everything else derives from those declarations:

- the loader's strict reader (:func:`read_object`): which keys a mapping may have, their types, defaults,
  and every problem as ``file:line: entry: message``;
- the fields a data pack may override (:func:`override_fields`);
- the key tables of ``docs/data-format.md`` (:func:`markdown_table`; ``tests/test_schema_docs.py`` fails
  when the document and the schema differ).

Cross-field rules ("``regions`` only with ``spinal: true``") are not types; they live in
:mod:`desktop.core.invariants`, applied alike to the built-in data and to every merged data pack.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
import typing
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from desktop.core.problems import Problem
from desktop.core.schema_keys import KeySpec as KeySpec
from desktop.core.schema_keys import Kind as Kind
from desktop.core.schema_keys import key as key
from desktop.core.schema_keys import spec_of as spec_of
from desktop.core.yamlsrc import LineMap

CODE_RE = re.compile(r"^[0-9]{4}[0-9FTU]$|^[A-Z][0-9]{4}$")
SOURCE_ID_RE = re.compile(r"^[A-Z][A-Za-z0-9_.-]{0,40}$")
RULE_ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,60}$")
MODIFIER_RE = re.compile(r"^[A-Z0-9]{2}$")

_KIND_TEXT: dict[str, str] = {
    "text": "text", "id": "name (a-z, 0-9, -)", "code": "quoted code", "codes": "list of quoted codes",
    "sources": "list of source ids", "strings": "list of text", "modifier": "modifier (two characters)",
    "modifiers": "list of modifiers", "bool": "true/false", "int": "whole number", "date": "date",
    "mapping": "section", "mappings": "list", "checksums": "mapping of file: sha256",
}


# ---------------------------------------------------------------------------------------------------------
# Compiled per class, once


@dataclass(frozen=True, slots=True)
class _FieldInfo:
    name: str
    spec: KeySpec
    options: tuple[Any, ...]          # for choice / choices
    nested: type | None               # for mapping / mappings


_COMPILED: dict[type, tuple[_FieldInfo, ...]] = {}


def _literal_args(hint: Any) -> tuple[Any, ...]:
    """The options of a Literal, of ``Literal | None``, or of ``tuple[Literal, ...]``."""
    origin = typing.get_origin(hint)
    if origin is Literal:
        return typing.get_args(hint)
    for arg in typing.get_args(hint):
        if arg is type(None) or arg is Ellipsis:
            continue
        found = _literal_args(arg)
        if found:
            return found
    return ()


def _nested_class(hint: Any) -> type | None:
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        return hint
    for arg in typing.get_args(hint):
        found = _nested_class(arg)
        if found is not None:
            return found
    return None


def fields_of(cls: type) -> tuple[_FieldInfo, ...]:
    """The YAML-backed fields of a schema class, in declaration order."""
    hit = _COMPILED.get(cls)
    if hit is not None:
        return hit
    hints = typing.get_type_hints(cls)
    out: list[_FieldInfo] = []
    for f in dataclasses.fields(cls):
        spec = spec_of(f)
        if spec is None:
            continue
        hint = hints[f.name]
        options = _literal_args(hint) if spec.kind in ("choice", "choices") else ()
        nested = _nested_class(hint) if spec.kind in ("mapping", "mappings") else None
        if spec.kind in ("choice", "choices") and not options:
            raise TypeError(f"{cls.__name__}.{f.name}: a choice needs a Literal type")
        if spec.kind in ("mapping", "mappings") and nested is None:
            raise TypeError(f"{cls.__name__}.{f.name}: a section needs a dataclass type")
        out.append(_FieldInfo(f.name, spec, options, nested))
    result = tuple(out)
    _COMPILED[cls] = result
    return result


def yaml_keys(cls: type) -> tuple[str, ...]:
    return tuple(fi.spec.yaml for fi in fields_of(cls))


def override_fields(cls: type) -> dict[str, str]:
    """YAML key -> field name for every field a data pack's record may replace."""
    return {fi.spec.yaml: fi.name for fi in fields_of(cls) if fi.spec.override}


# ---------------------------------------------------------------------------------------------------------
# Reading


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


_ABSENT = _Missing()


def describe(value: Any) -> str:
    """A value as a problem message names it."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"{str(value).lower()} (true/false)"
    if isinstance(value, (int, float)):
        text = repr(value)
        return f"the number {text if len(text) < 30 else text[:27] + '...'}"
    if isinstance(value, str):
        return repr(value) if len(value) < 60 else repr(value[:57] + "...")
    if isinstance(value, date):
        return f"the date {value.isoformat()}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def close_match(word: str, allowed: Iterable[str]) -> str | None:
    hits = difflib.get_close_matches(word, sorted(allowed), n=1, cutoff=0.75)
    return hits[0] if hits else None


@dataclass(slots=True)
class Context:
    """Where problems go while one file is read: the sink, the file label and the entry being read."""

    sink: list[Problem]
    file: str
    entry: str

    def problem(self, data: LineMap, yaml_key: str | None, message: str) -> None:
        line = data.line_of(yaml_key) if yaml_key else data.line
        self.sink.append(Problem(self.file, line, self.entry, message))

    def at(self, entry: str) -> Context:
        return Context(self.sink, self.file, entry)


NestedName = Callable[[str, type, int], str]
Custom = Callable[[Any, LineMap, "Context"], Any]
Cross = Mapping[type, Callable[[Any, LineMap, "Context"], list[Problem]]]


def _default_nested_name(parent: str, cls: type, index: int) -> str:
    return parent


FAILED = _ABSENT  # what a custom reader returns after recording its problem


def read_object(cls: type, data: LineMap, ctx: Context, *, extra: dict[str, Any] | None = None,
                allow: Iterable[str] = (), nested_entry: NestedName = _default_nested_name,
                custom: dict[str, Custom] | None = None, cross: Cross | None = None) -> Any:
    """Read ``data`` into an instance of the schema class ``cls``; every problem goes to ``ctx``.

    Returns None when the mapping has a problem (so that one broken record does not produce follow-on
    problems elsewhere). ``extra`` supplies the fields that are not in YAML (``location``, ``origin``...);
    ``allow`` names further keys the caller reads itself (``notes``); ``custom`` maps a YAML key to a function
    ``(raw value, mapping, context)`` that reads it instead (returning :data:`FAILED` after a problem);
    ``nested_entry(parent entry, class, i)`` gives the entry label of the ``i``-th item of a nested list
    (``"64405 guidance rule 2"``). ``cross[cls](obj, mapping, context)`` gives the problems between the keys
    of an object of that class, at any depth (an invariant of :mod:`desktop.core.invariants`); it runs
    whenever every required key of the object could be read, even if another key had a problem, so that
    every problem of a mapping is reported at once."""
    before = len(ctx.sink)
    infos = fields_of(cls)
    allowed = {fi.spec.yaml for fi in infos} | set(allow)
    for k in data:
        if k not in allowed:
            hint = close_match(k, allowed)
            ctx.problem(data, k, f"unknown key {k!r}" + (f" (did you mean {hint!r}?)" if hint else ""))
    values: dict[str, Any] = dict(extra or {})
    complete = True
    for fi in infos:
        raw = data.get(fi.spec.yaml, _ABSENT)
        reader = custom.get(fi.spec.yaml) if custom else None
        if reader is not None and raw is not _ABSENT and raw is not None:
            value = reader(raw, data, ctx)
        else:
            value = _convert(fi, raw, data, ctx, nested_entry, cross)
        if value is not _ABSENT:
            values[fi.name] = value
        elif fi.spec.required:
            complete = False
    if not complete:
        return None
    obj = cls(**values)
    check = cross.get(cls) if cross else None
    if check is not None:
        ctx.sink.extend(check(obj, data, ctx))
    return obj if len(ctx.sink) == before else None


def _convert(fi: _FieldInfo, raw: Any, data: LineMap, ctx: Context, nested_entry: NestedName,
             cross: Cross | None) -> Any:
    spec = fi.spec
    k = spec.yaml
    if raw is _ABSENT:
        if spec.required:
            ctx.problem(data, None, f"missing required key {k!r}")
        return _ABSENT
    kind = spec.kind
    if raw is None and not spec.required and kind not in ("mapping",):
        return _ABSENT
    if kind == "text":
        if not isinstance(raw, str):
            ctx.problem(data, k, f"{k!r} must be text, got {describe(raw)}")
            return _ABSENT
        text = raw.strip()
        if spec.required and not text:
            ctx.problem(data, k, f"{k!r} must not be empty")
        return text
    if kind == "id":
        if not isinstance(raw, str) or not RULE_ID_RE.match(raw.strip()):
            ctx.problem(data, k, f"{k!r} must be a name of lower-case letters, digits and '-', got {describe(raw)}")
            return _ABSENT
        return raw.strip()
    if kind == "bool":
        if not isinstance(raw, bool):
            ctx.problem(data, k, f"{k!r} must be true or false, got {describe(raw)}")
            return _ABSENT
        return raw
    if kind == "int":
        if isinstance(raw, bool) or not isinstance(raw, int):
            ctx.problem(data, k, f"{k!r} must be a whole number, got {describe(raw)}")
            return _ABSENT
        return raw
    if kind == "date":
        return _date(raw, data, ctx, k)
    if kind == "code":
        return _code(raw, data, ctx, k)
    if kind == "modifier":
        return _modifier(raw, data, ctx, k)
    if kind in ("codes", "modifiers", "sources", "strings"):
        return _list(kind, raw, data, ctx, k, spec.required)
    if kind == "checksums":  # read by the caller's custom reader (packs/reading.py)
        raise TypeError(f"{k!r} needs a custom reader")
    if kind == "choice":
        if not _is_option(raw, fi.options):
            ctx.problem(data, k, f"{k!r} must be one of {', '.join(map(str, fi.options))}; got {describe(raw)}")
            return _ABSENT
        return raw
    if kind == "choices":
        items = raw if isinstance(raw, list) else [raw]
        out: list[Any] = []
        for item in items:
            if not _is_option(item, fi.options):
                ctx.problem(data, k, f"{k!r} values must be among {', '.join(map(str, fi.options))}; "
                            f"got {describe(item)}")
            elif item in out:
                ctx.problem(data, k, f"{k!r} lists {item!r} twice")
            else:
                out.append(item)
        if spec.required and not out and not items:
            ctx.problem(data, k, f"{k!r} must list at least one value")
        return tuple(out)
    assert fi.nested is not None
    if kind == "mapping":
        if raw is None:
            return None
        if not isinstance(raw, LineMap):
            ctx.problem(data, k, f"{k!r} must be a mapping of keys, got {describe(raw)}")
            return _ABSENT
        return read_object(fi.nested, raw, ctx.at(nested_entry(ctx.entry, fi.nested, 0)),
                           nested_entry=nested_entry, cross=cross)
    # mappings
    if not isinstance(raw, list):
        ctx.problem(data, k, f"{k!r} must be a list of entries, got {describe(raw)}")
        return _ABSENT
    objs: list[Any] = []
    ok = True
    for i, item in enumerate(raw, 1):
        if not isinstance(item, LineMap):
            ctx.problem(data, k, f"{k!r} item {i} must be a mapping of keys, got {describe(item)}")
            ok = False
            continue
        obj = read_object(fi.nested, item, ctx.at(nested_entry(ctx.entry, fi.nested, i)),
                          nested_entry=nested_entry, cross=cross)
        if obj is None:
            ok = False
        else:
            objs.append(obj)
    return tuple(objs) if ok else _ABSENT


def _is_option(value: Any, options: tuple[Any, ...]) -> bool:
    """``value`` is one of ``options`` (true/false never stand for the numbers 1/0)."""
    if not isinstance(value, (str, int)) or (isinstance(value, bool) and not isinstance(options[0], bool)):
        return False
    return value in options


def _date(raw: Any, data: LineMap, ctx: Context, k: str) -> Any:
    if isinstance(raw, date):
        return raw
    if isinstance(raw, str):
        try:
            return date.fromisoformat(raw)
        except ValueError:
            pass
    ctx.problem(data, k, f"{k!r} must be a date written YYYY-MM-DD, got {describe(raw)}")
    return _ABSENT


def _code(raw: Any, data: LineMap, ctx: Context, k: str) -> Any:
    if isinstance(raw, bool) or not isinstance(raw, str):
        ctx.problem(data, k, f"{k!r}: codes must be quoted text such as \"64405\", got {describe(raw)}")
        return _ABSENT
    code = raw.strip().upper()
    if not CODE_RE.match(code):
        ctx.problem(data, k, f"{k!r}: {raw!r} is not a CPT/HCPCS code (5 characters, e.g. 64405, 0213T, G0260)")
        return _ABSENT
    return code


def _modifier(raw: Any, data: LineMap, ctx: Context, k: str) -> Any:
    text = raw.strip().upper() if isinstance(raw, str) else None
    if text is None or not MODIFIER_RE.match(text):
        ctx.problem(data, k, f"{k!r}: a modifier is two quoted letters or digits such as \"26\" or \"XS\", "
                    f"got {describe(raw)}")
        return _ABSENT
    return text


def _list(kind: str, raw: Any, data: LineMap, ctx: Context, k: str, required: bool) -> Any:
    if kind in ("codes", "modifiers") and not isinstance(raw, list):
        raw = [raw]
    if not isinstance(raw, list):
        ctx.problem(data, k, f"{k!r} must be a list of text, got {describe(raw)}")
        return _ABSENT
    out: list[str] = []
    before = len(ctx.sink)
    for item in raw:
        if kind == "codes":
            value = _code(item, data, ctx, k)
        elif kind == "modifiers":
            value = _modifier(item, data, ctx, k)
        elif not isinstance(item, str) or not item.strip():
            ctx.problem(data, k, f"{k!r} must contain only non-empty text, got {describe(item)}")
            continue
        else:
            value = item.strip()
            if kind == "sources" and not SOURCE_ID_RE.match(value):
                ctx.problem(data, k, f"{k!r}: {value!r} is not a source id (a capital letter first, no spaces)")
                continue
        if value is not _ABSENT:
            out.append(value)
    if len(ctx.sink) > before:
        return _ABSENT
    if required and not out:
        ctx.problem(data, k, f"{k!r} must list at least one item")
        return _ABSENT
    return tuple(out)


# ---------------------------------------------------------------------------------------------------------
# Documentation


def type_text(fi: _FieldInfo) -> str:
    """A field's type as the docs state it."""
    spec = fi.spec
    if spec.kind == "choice":
        text = " / ".join(f"`{o}`" for o in fi.options)
    elif spec.kind == "choices":
        text = "one or a list of " + ", ".join(f"`{o}`" for o in fi.options)
    elif spec.kind in ("mapping", "mappings"):
        assert fi.nested is not None
        text = f"{_KIND_TEXT[spec.kind]} (see {doc_title(fi.nested)})"
    else:
        text = _KIND_TEXT[spec.kind]
    return text + (", required" if spec.required else "")


def doc_title(cls: type) -> str:
    doc = (cls.__doc__ or cls.__name__).strip().splitlines()[0]
    return getattr(cls, "DOC_TITLE", doc)


def markdown_table(cls: type, *, without: type | None = None) -> str:
    """The key table of ``cls`` for docs/data-format.md: key, type, default, meaning. ``without``: a base
    class whose keys are documented once elsewhere (the keys every rule of rules.yaml has)."""
    skip = {fi.spec.yaml for fi in fields_of(without)} if without is not None else set()
    rows = ["| Key | Type | Default | Meaning |", "|---|---|---|---|"]
    for fi in fields_of(cls):
        if fi.spec.yaml in skip:
            continue
        s = fi.spec
        rows.append(f"| `{s.yaml}` | {type_text(fi)} | {s.shown_default} | {s.doc} |")
    return "\n".join(rows)


DOC_MARK = re.compile(r"<!-- schema: (\w+) -->\n(.*?)<!-- /schema -->", re.S)


def doc_tables(text: str, classes: Mapping[str, tuple[type, type | None]]) -> str:
    """``text`` with every ``<!-- schema: Name -->`` ... ``<!-- /schema -->`` block replaced by the table of
    ``classes[Name]`` (a class, and the base class whose keys it leaves out). An unknown name is an error."""
    def table(m: re.Match[str]) -> str:
        cls, without = classes[m.group(1)]
        return f"<!-- schema: {m.group(1)} -->\n{markdown_table(cls, without=without)}\n<!-- /schema -->"
    return DOC_MARK.sub(table, text)
