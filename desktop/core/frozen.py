"""``@frozen``: ``@dataclass(frozen=True)`` whose generated methods are made when the class is first used.

``dataclasses.dataclass`` writes each class's ``__init__``, ``__repr__``, ``__eq__``, ``__hash__``,
``__setattr__`` and ``__delattr__`` as source text and compiles it with ``exec``, six compilations per class,
when the class statement runs. GuideCode's schema and NCCI classes are ~40 frozen dataclasses, and the window
imports them at every start: ~20 ms of the start-up (packaging/bench_startup.py), although the start, which
unpickles the bundled catalog (:mod:`desktop.core.catalog_cache`: instances get their ``__dict__``, no method
runs), needs none of those methods before the window has painted.

A class decorated with :func:`frozen` gets small stand-ins for those methods and for ``__dataclass_fields__``
instead. The first of them to be used (creating an instance, comparing, hashing, printing, setting an
attribute, ``dataclasses.fields`` / ``replace`` / ``is_dataclass`` / ``asdict``) calls the real
``dataclass(frozen=True, ...)`` on the class — and on its decorated base classes first — which replaces every
stand-in, then the call goes on to the real method. From then on the class is exactly what ``@dataclass``
would have made when it was defined; before then, only the class's own namespace differs: its fields'
``key()``/``field()`` markers are still class attributes (the instances hold every field themselves).

The type checker sees ``dataclasses.dataclass`` itself (``TYPE_CHECKING`` below), so typing is unchanged.
Only for frozen, eq classes without ``slots`` (``slots=True`` makes a new class, which cannot be deferred).
tests/test_frozen.py checks that each such class of the schema, once used, is the same as the eager one, and
that the start path leaves them unmade.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar, dataclass_transform, overload

_T = TypeVar("_T", bound=type)

#: class -> its dataclass() options, for the classes whose methods are not made yet
_PENDING: dict[type, dict[str, Any]] = {}
DECORATED: list[type] = []  # every class decorated with frozen, in definition order (for the tests)
_LOCK = threading.RLock()  # the NCCI import runs on a worker thread: one thread makes a class, once
_FIELDS = "__dataclass_fields__"
_STANDINS = ("__init__", "__repr__", "__eq__", "__hash__", "__setattr__", "__delattr__")


def is_pending(cls: type) -> bool:
    """True if ``cls`` is a :func:`frozen` class whose dataclass methods have not been made yet."""
    return cls in _PENDING


def materialize(cls: type) -> None:
    """Make the dataclass methods of ``cls`` and of its pending base classes now (no-op once made)."""
    with _LOCK:
        for klass in reversed(cls.__mro__):  # bases first: dataclass() reads their fields
            options = _PENDING.pop(klass, None)
            if options is None:
                continue
            for name in (*_STANDINS, _FIELDS):
                if getattr(klass.__dict__.get(name), "_frozen_standin", False):
                    delattr(klass, name)
            dataclasses.dataclass(klass, frozen=True, **options)


def materialize_all() -> None:
    """Make every pending class now. Called before a worker thread starts (the audit, the NCCI import), so
    that no class is ever made while another thread may be using it: between the removal of a class's
    stand-ins and the end of ``dataclass()`` the class has neither."""
    with _LOCK:
        for cls in list(_PENDING):
            materialize(cls)


class _FieldsStandIn:
    """``__dataclass_fields__`` until the class is made: reading it (``dataclasses.fields``, ``replace``,
    ``is_dataclass``) makes the class and answers with the real fields."""

    _frozen_standin = True

    def __get__(self, obj: object, owner: type) -> Any:
        materialize(owner)  # replaces this stand-in (on ``owner`` or on the base class it came from)
        return getattr(owner, _FIELDS)


def _standin(name: str) -> Callable[..., Any]:
    def method(self: Any, *args: Any, **kwargs: Any) -> Any:
        materialize(type(self))
        return getattr(type(self), name)(self, *args, **kwargs)

    method.__name__ = method.__qualname__ = name
    method._frozen_standin = True  # type: ignore[attr-defined]
    return method


_METHODS = {name: _standin(name) for name in _STANDINS}


def _frozen(cls: _T | None = None, /, **options: Any) -> Any:
    if set(options) - {"kw_only"}:  # the stand-ins cover the methods of frozen=True, eq=True, init=True only
        raise TypeError(f"frozen(): unsupported options {sorted(set(options) - {'kw_only'})}")

    def wrap(klass: _T) -> _T:
        for name in ("__setattr__", "__delattr__", "__slots__"):
            if name in klass.__dict__:  # dataclass(frozen=True) refuses these too
                raise TypeError(f"frozen(): {klass.__name__} defines {name}")
        if klass.__dict__.get("__hash__", 0) is None and "__eq__" in klass.__dict__:
            del klass.__hash__  # Python's None for a class defining __eq__: dataclass() replaces it too
        for name in _STANDINS:
            if name not in klass.__dict__:
                setattr(klass, name, _METHODS[name])
        setattr(klass, _FIELDS, _FieldsStandIn())
        _PENDING[klass] = dict(options)
        DECORATED.append(klass)
        return klass

    return wrap if cls is None else wrap(cls)


if TYPE_CHECKING:
    @overload
    @dataclass_transform(frozen_default=True, field_specifiers=(dataclasses.field, dataclasses.Field))
    def frozen(cls: _T, /) -> _T: ...

    @overload
    @dataclass_transform(frozen_default=True, field_specifiers=(dataclasses.field, dataclasses.Field))
    def frozen(*, kw_only: bool = ...) -> Callable[[_T], _T]: ...

    def frozen(cls: Any = None, /, **options: Any) -> Any: ...
else:
    frozen = _frozen
