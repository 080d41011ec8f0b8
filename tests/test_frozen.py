"""desktop/core/frozen.py: a @frozen class is made when first used, and is then what @dataclass(frozen=True)
would have made; the start path (unpickling the bundled catalog) leaves the classes unmade."""

from __future__ import annotations

import copy
import dataclasses
import inspect
import json
import subprocess
import sys
import threading
from dataclasses import FrozenInstanceError, field
from pathlib import Path
from typing import Any

import pytest

from desktop.core import frozen as frozen_mod
from desktop.core.frozen import frozen, is_pending, materialize, materialize_all

ROOT = Path(__file__).resolve().parents[1]


def _pair() -> tuple[type, type, type, type]:
    """The same two classes (a base and a subclass, with kw_only, defaults, field() options, a method and a
    property), made once with @frozen and once with @dataclass(frozen=True)."""
    made: list[type] = []
    for deco, sub in ((frozen(kw_only=True), frozen), (dataclasses.dataclass(frozen=True, kw_only=True),
                                                       dataclasses.dataclass(frozen=True))):
        class Base:
            """A base."""

            code: str
            units: int = 1
            tags: tuple[str, ...] = field(default=(), metadata={"k": 1})
            hidden: str = field(default="", repr=False, compare=False)

            def twice(self) -> int:
                return 2 * self.units

            @property
            def label(self) -> str:
                return f"{self.code}x{self.units}"

        class Sub(Base):
            extra: tuple[int, ...] = (1, 2)

        made += [deco(Base), sub(Sub)]
    return made[0], made[1], made[2], made[3]


def _describe(cls: type, **kwargs: Any) -> dict[str, Any]:
    obj = cls(**kwargs)
    other = cls(**kwargs)
    out: dict[str, Any] = {
        "repr": repr(obj), "eq": obj == other, "ne": obj != cls(**{**kwargs, "units": 9}),
        "hash": hash(obj) == hash(other), "fields": [(f.name, f.default, f.repr, f.compare, f.kw_only,
                                                      dict(f.metadata)) for f in dataclasses.fields(cls)],
        "params": repr(cls.__dataclass_params__), "asdict": dataclasses.asdict(obj),
        "replace": repr(dataclasses.replace(obj, units=3)), "signature": str(inspect.signature(cls)),
        "match_args": cls.__match_args__, "doc": cls.__doc__,
        "class_default_units": cls.units, "twice": obj.twice(), "label": obj.label,
        "deepcopy": copy.deepcopy(obj) == obj, "bases": [b.__name__ for b in cls.__mro__],
        "dict": sorted(vars(cls)),
    }
    for attempt in (lambda: setattr(obj, "units", 2), lambda: delattr(obj, "code"),
                    lambda: setattr(obj, "new_name", 1)):
        with pytest.raises(FrozenInstanceError):
            attempt()
    with pytest.raises(TypeError):
        cls("positional")
    return out


def test_a_frozen_class_is_made_on_first_use_and_then_equals_the_eager_dataclass() -> None:
    lazy_base, lazy_sub, eager_base, eager_sub = _pair()
    assert is_pending(lazy_base) and is_pending(lazy_sub)
    assert not isinstance(vars(lazy_base)["__dataclass_fields__"], dict)  # a stand-in, not the fields yet
    lazy = _describe(lazy_sub, code="64483", tags=("a",))  # the subclass makes its base first
    assert not is_pending(lazy_base) and not is_pending(lazy_sub)
    assert lazy == _describe(eager_sub, code="64483", tags=("a",))
    assert _describe(lazy_base, code="1") == _describe(eager_base, code="1")


def test_each_way_into_a_pending_class_makes_it() -> None:
    uses = {
        "init": lambda c: c(code="1"),
        "fields": lambda c: dataclasses.fields(c),
        "is_dataclass": lambda c: dataclasses.is_dataclass(c),
        "eq on an unpickled instance": lambda c: _unpickled(c) == _unpickled(c),
        "hash on an unpickled instance": lambda c: hash(_unpickled(c)),
        "repr on an unpickled instance": lambda c: repr(_unpickled(c)),
        "setattr on an unpickled instance": lambda c: _refused(lambda: setattr(_unpickled(c), "units", 2)),
    }
    for name, use in uses.items():
        base, _sub, eager, _ = _pair()
        assert is_pending(base), name
        use(base)
        assert not is_pending(base), name
        assert repr(_unpickled(base)) == repr(_unpickled(eager)).replace(eager.__qualname__, base.__qualname__)


def _unpickled(cls: type) -> Any:
    """An instance as the catalog cache gives it: pickle's NEWOBJ + BUILD, a __dict__ and no __init__ (a class
    local to a function cannot be pickled; copy.deepcopy takes the same path, __reduce_ex__)."""
    obj = object.__new__(cls)
    obj.__dict__.update(code="1", units=1, tags=(), hidden="")
    return copy.deepcopy(obj)


def _refused(attempt: Any) -> None:
    with pytest.raises(FrozenInstanceError):
        attempt()


def test_copying_an_instance_leaves_its_class_pending() -> None:
    base, _sub, _eager, _ = _pair()
    _unpickled(base)
    assert is_pending(base)


def test_threads_that_make_the_same_class_at_once_make_it_once() -> None:
    # dataclass() run twice on one frozen class raises TypeError (it cannot overwrite __setattr__)
    for _ in range(20):
        _base, sub, _eager, _ = _pair()
        errors: list[BaseException] = []
        start = threading.Barrier(4)

        def make(cls: type = sub, start: threading.Barrier = start, errors: list[BaseException] = errors) -> None:
            start.wait()
            try:
                materialize(cls)
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        threads = [threading.Thread(target=make) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        assert sub(code="1").label == "1x1"


def test_materialize_all_makes_every_pending_class() -> None:
    first, _, _, _ = _pair()
    second, _, _, _ = _pair()
    assert is_pending(first) and is_pending(second)
    materialize_all()
    assert not is_pending(first) and not is_pending(second) and frozen_mod._PENDING == {}


def test_frozen_refuses_what_its_stand_ins_do_not_cover() -> None:
    with pytest.raises(TypeError):
        frozen(order=True)  # type: ignore[call-overload]

    class Slotted:
        __slots__ = ("a",)

    with pytest.raises(TypeError):
        frozen(Slotted)


def test_every_record_class_of_the_schema_is_a_frozen_dataclass_once_made() -> None:
    import desktop.core.model  # noqa: F401 - registers its classes
    import desktop.core.ncci.model  # noqa: F401

    names = {c.__name__ for c in frozen_mod.DECORATED if c.__module__.startswith("desktop.")}
    assert {"CodeRecord", "Policy", "Catalog", "PtpEdit", "Mue", "Location", "RuleBook", "Resolution"} <= names
    for cls in frozen_mod.DECORATED:
        materialize(cls)
        params = cls.__dataclass_params__
        assert params.frozen and params.eq and params.init, cls
        assert "__dataclass_fields__" in vars(cls) and "__init__" in vars(cls), cls
        assert not any(getattr(v, "_frozen_standin", False) for v in vars(cls).values()), cls


def test_unpickling_the_catalog_cache_leaves_the_record_classes_unmade(tmp_path: Path) -> None:
    """What the frozen build does at every start (desktop/core/data.py): the classes wait until used, and
    neither the YAML reader nor the schema's strict reader is imported."""
    code = (
        "import json, sys\n"
        "from pathlib import Path\n"
        "from desktop.core import catalog_cache\n"
        "from desktop.core.frozen import is_pending\n"
        "from desktop.core.model import CodeRecord, Policy, RuleBook, Source\n"
        "from desktop.core.ncci.model import Mue, NcciData, PtpEdit\n"
        "data = Path(sys.argv[1]); cache = Path(sys.argv[2])\n"
        "cat = catalog_cache.load(cache, data)\n"
        "assert cat is not None and len(cat.records) > 100\n"
        "before = {c.__name__: is_pending(c) for c in (CodeRecord, Policy, Source, RuleBook, PtpEdit, Mue, NcciData)}\n"
        "rec = cat.records[0]\n"
        "text = repr(rec)\n"
        "reader = sorted(m for m in ('desktop.core.schema', 'desktop.core.yamlsrc', 'desktop.core.loader', 'difflib', "
        "'yaml') if m in sys.modules)\n"
        "print(json.dumps({'before': before, 'after': is_pending(CodeRecord), 'repr': text[:11], 'reader': reader}))\n"
    )
    from desktop.core import catalog_cache
    from desktop.core.loader import load_folder
    from desktop.paths import builtin_data_dir

    cache = tmp_path / "catalog.pickle"
    cache.write_bytes(catalog_cache.dumps(load_folder(builtin_data_dir()), builtin_data_dir()))
    proc = subprocess.run([sys.executable, "-c", code, str(builtin_data_dir()), str(cache)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["before"] == {"CodeRecord": True, "Policy": True, "Source": True, "RuleBook": True, "PtpEdit": True,
                             "Mue": True, "NcciData": True}
    assert out["after"] is False and out["repr"] == "CodeRecord("
    assert out["reader"] == []  # the model needs desktop/core/schema_keys.py only, not the YAML reader
