"""desktop.core.catalog_cache: the build-time pickle of the built-in catalog is used only when it was made
from exactly the data files beside it, and load_builtin falls back to parsing otherwise."""

from __future__ import annotations

import dataclasses
import pickle
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop import paths
from desktop.core import catalog_cache
from desktop.core import data as core_data
from desktop.core.loader import load_folder

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "resources" / "data"


@pytest.fixture(autouse=True)
def _fresh_builtin_cache() -> Iterator[None]:
    core_data.load_builtin.cache_clear()
    yield
    core_data.load_builtin.cache_clear()


@pytest.fixture
def bundle(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of resources/ that desktop.paths resolves to, like a frozen bundle's."""
    res = tmp_path / "resources"
    shutil.copytree(ROOT / "resources", res)
    monkeypatch.setattr(paths, "resources_dir", lambda: res)
    return res


def write_cache(res: Path, blob: bytes) -> Path:
    path = res / catalog_cache.CACHE_RESOURCE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(blob)
    return path


def test_round_trip_equals_a_fresh_parse(tmp_path: Path) -> None:
    catalog = load_folder(DATA)
    cache = tmp_path / "catalog.pickle"
    cache.write_bytes(catalog_cache.dumps(catalog, DATA))
    assert catalog_cache.load(cache, DATA) == catalog


def test_the_cache_shares_equal_values_and_keeps_every_record_and_table(tmp_path: Path) -> None:
    """catalog_cache.shared_copy: one object per equal string, date or tuple of them, so the pickle holds
    fewer objects; the catalog read back is equal, object for object, to the parsed one."""
    catalog = load_folder(DATA)
    blob = catalog_cache.dumps(catalog, DATA)
    header, cached = pickle.loads(blob)
    assert cached == catalog and cached.ncci == catalog.ncci and cached.rules == catalog.rules
    assert [r.code for r in cached.records] == [r.code for r in catalog.records]
    assert all(cached.by_code[r.code] is r for r in cached.records)  # the index still points at the records

    def cited(cat: object) -> tuple[int, int]:
        ids = [s for r in cat.records for p in r.policies for s in p.sources]  # type: ignore[attr-defined]
        return len(ids), len({id(s) for s in ids})

    n, objects_parsed = cited(catalog)
    _, objects_cached = cited(cached)
    assert objects_cached == len({s for r in catalog.records for p in r.policies for s in p.sources})
    assert objects_cached < objects_parsed <= n
    assert len(blob) < len(pickle.dumps(({**header}, catalog), protocol=pickle.HIGHEST_PROTOCOL))


def test_reading_the_cache_leaves_pickle_and_hashlib_unimported(tmp_path: Path) -> None:
    """The frozen app reads the cache at every start with the C unpickler alone (pickle.py costs ~1.2 ms) and
    checks it with zlib's CRC-32 per file (hashlib would load six hash modules)."""
    cache = tmp_path / "catalog.pickle"
    cache.write_bytes(catalog_cache.dumps(load_folder(DATA), DATA))
    code = ("import sys; from pathlib import Path; from desktop.core import catalog_cache; "
            f"c = catalog_cache.load(Path({str(cache)!r}), Path({str(DATA)!r})); "
            "print(len(c.records), 'pickle' in sys.modules, 'yaml' in sys.modules, 'hashlib' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert out.split() == [str(len(load_folder(DATA).records)), "False", "False", "False"]


def test_sha256_without_hashlib_matches_hashlib() -> None:
    import hashlib

    from desktop.core.sha import sha256

    digest = sha256(b"guide")
    digest.update(b"code")
    assert digest.hexdigest() == hashlib.sha256(b"guidecode").hexdigest()
    assert sha256().hexdigest() == hashlib.sha256().hexdigest()


def test_missing_cache_is_ignored(tmp_path: Path) -> None:
    assert catalog_cache.load(tmp_path / "nope.pickle", DATA) is None


def test_an_edited_data_file_makes_the_cache_stale(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    cache = tmp_path / "catalog.pickle"
    cache.write_bytes(catalog_cache.dumps(load_folder(data), data))
    manifest = data / "manifest.yaml"
    manifest.write_text(manifest.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    assert catalog_cache.load(cache, data) is None


def test_an_edit_that_keeps_a_file_s_size_makes_the_cache_stale(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    cache = tmp_path / "catalog.pickle"
    cache.write_bytes(catalog_cache.dumps(load_folder(data), data))
    record_file = sorted((data / "codes").glob("*.yaml"))[0]
    text = record_file.read_bytes()
    at = text.index(b"77002") if b"77002" in text else text.index(b"name:")
    record_file.write_bytes(text[:at] + bytes([text[at] ^ 1]) + text[at + 1:])  # one bit, same size
    assert len(record_file.read_bytes()) == len(text)
    assert catalog_cache.load(cache, data) is None


def test_an_added_file_makes_the_cache_stale(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    cache = tmp_path / "catalog.pickle"
    cache.write_bytes(catalog_cache.dumps(load_folder(data), data))
    (data / "codes" / "extra.yaml").write_text("[]\n", encoding="utf-8")
    assert catalog_cache.load(cache, data) is None


@pytest.mark.parametrize("blob", [b"", b"not a pickle", pickle.dumps("just a string"),
                                  pickle.dumps(({"format": 1}, "not a catalog"))])
def test_damaged_or_foreign_cache_is_ignored(tmp_path: Path, blob: bytes) -> None:
    cache = tmp_path / "catalog.pickle"
    cache.write_bytes(blob)
    assert catalog_cache.load(cache, DATA) is None


@pytest.mark.parametrize(("field", "value"), [("format", catalog_cache.FORMAT + 1), ("python", [3, 0])])
def test_other_format_or_python_is_ignored(tmp_path: Path, field: str, value: object) -> None:
    catalog = load_folder(DATA)
    header = {"format": catalog_cache.FORMAT, "python": list(sys.version_info[:2]),
              "fingerprint": catalog_cache.fingerprint(DATA), field: value}
    cache = tmp_path / "catalog.pickle"
    cache.write_bytes(pickle.dumps((header, catalog)))
    assert catalog_cache.load(cache, DATA) is None


def test_load_builtin_uses_a_matching_cache(bundle: Path) -> None:
    data = bundle / "data"
    real = load_folder(data)
    # a recognisably different catalog with the right fingerprint proves which path answered
    marked = dataclasses.replace(real, data_version="from-the-cache")
    write_cache(bundle, catalog_cache.dumps(marked, data))
    assert core_data.load_builtin().data_version == "from-the-cache"


def test_load_builtin_parses_when_the_cache_is_stale(bundle: Path) -> None:
    data = bundle / "data"
    marked = dataclasses.replace(load_folder(data), data_version="from-the-cache")
    write_cache(bundle, catalog_cache.dumps(marked, data))
    (data / "codes" / "extra.yaml").write_text("[]\n", encoding="utf-8")
    catalog = core_data.load_builtin()
    assert catalog.data_version != "from-the-cache"
    assert catalog == load_folder(data)
