"""Safe YAML parsing that keeps line numbers, so every data error can name file, line and entry.

Only ``yaml.SafeLoader`` (or its libyaml twin ``CSafeLoader``) is used: no Python object tags.
Mappings come back as :class:`LineMap` (a dict that knows the line of itself and of each key);
duplicate keys inside one mapping are refused instead of silently keeping the last one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import yaml

# PyYAML is imported on the first parse, not with this module: the window starts from the bundled
# catalog cache (desktop/core/catalog_cache.py) and needs no YAML unless a data pack is installed.


class LineMap(dict[str, Any]):
    """A YAML mapping with the 1-based line of the mapping and of each of its keys."""

    line: int
    key_lines: dict[str, int]

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode, deep: bool = False) -> LineMap:
    result = LineMap()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    loader.flatten_mapping(node)
    for key_node, value_node in node.value:
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


class _Loader:
    """The line-keeping SafeLoader and DuplicateKeyError, built on the first :func:`parse_yaml` call."""

    loader: type[yaml.SafeLoader] | None = None
    duplicate_key_error: type[yaml.MarkedYAMLError]


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

    class _LineLoader(base):  # type: ignore[misc,valid-type,unused-ignore]
        pass

    _LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
    _Loader.duplicate_key_error = DuplicateKeyError
    _Loader.loader = _LineLoader
    return _LineLoader


class YamlSyntaxError(Exception):
    """A file that is not well-formed YAML: carries the 1-based line of the problem."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


def parse_yaml(text: str) -> Any:
    """Parse YAML text safely. Raises :class:`YamlSyntaxError` with a line number on bad input."""
    loader = _line_loader()
    import yaml

    try:
        return yaml.load(text, Loader=loader)  # noqa: S506 - _LineLoader derives from SafeLoader
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        problem = exc.problem or "not valid YAML"
        context = f" ({exc.context})" if exc.context else ""
        raise YamlSyntaxError(line, f"{problem}{context}") from exc
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(1, f"not valid YAML: {exc}") from exc
