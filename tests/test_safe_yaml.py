"""The safe YAML reader (desktop/core/yamlsrc.py) and the files around it (issue 12, part 1).

Every hostile input of the issue (25,000-deep nesting that crashed libyaml's composer, merge-key and
"billion laughs" bombs, 2026-02-30, a 5,000-digit year, junk !!float/!!int/!!timestamp, ...) is refused with
a located problem; the bombs and the depth cases are also run in a subprocess under a memory cap and their
peak RSS is measured; a FIFO is refused unopened; an installed pack's checksums are checked before its
files are parsed; and Hypothesis throws mutated pack YAML at the pack reader (GUIDECODE_FUZZ_EXAMPLES
examples, 300 by default; the issue's 3,000-example run: GUIDECODE_FUZZ_EXAMPLES=3000).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).parent))

from faultkit import HOSTILE_YAML, ROOT, env_for, no_traceback, run_measured, write_pack  # noqa: E402

from desktop.core.packs import folders as pack_folders  # noqa: E402
from desktop.core.packs import install as pack_install  # noqa: E402
from desktop.core.packs import reading as pack_reading  # noqa: E402
from desktop.core.packs import report as pack_report  # noqa: E402
from desktop.core.yamlsrc import (  # noqa: E402
    DEFAULT_LIMITS,
    QUICK_DEPTH,
    LineMap,
    YamlSyntaxError,
    depth_bound,
    parse_yaml,
    prescan,
)

FUZZ_EXAMPLES = int(os.environ.get("GUIDECODE_FUZZ_EXAMPLES", "300"))
MEMORY_CAP_MB = 400  # address space for the capped runs (Python + PyYAML + the built-in data need ~120 MB)
RSS_LIMIT_MB = 200  # issue 12: the bombs are refused below this peak RSS

# What each hostile input must be refused with (the message names the line; "" = any located problem).
REFUSED = {
    "flow nesting 25,000 deep (50 KB)": "nested more than 64 levels deep",
    "flow nesting 1,000,000 deep": "nested more than 64 levels deep",
    "block sequences 25,000 deep": "nested more than 64 levels deep",
    "mappings 5,000 deep": "nested more than 64 levels deep",
    "block mappings 200 deep": "nested more than 64 levels deep",
    "9-level merge-key bomb": "once its aliases (*name) and merge keys (<<) are expanded",
    "billion laughs as a mapping key": "once its aliases (*name) and merge keys (<<) are expanded",
    "billion laughs as a source id": "once its aliases (*name) and merge keys (<<) are expanded",
    "alias inside its own anchor": "a structure that contains itself",
    "date 2026-02-30": "'2026-02-30' is not a real date",
    "5,000-digit year": "must be a date written YYYY-MM-DD",
    "5,000-digit !!timestamp": "is not a real date",
    "5,000-digit integer": "has more than 30 digits",
    "junk !!float": "'junk' cannot be read as a number",
    "junk !!int": "'12x' cannot be read as a whole number",
    "junk !!timestamp": "'yesterday' cannot be read as a date",
    "junk !!bool": "'perhaps' cannot be read as true or false",
    "!!python tag": "could not determine a constructor",
    "list as a mapping key": "a mapping key must be a plain value",
    "tab indentation": "found a tab character",
    "NUL byte": "control characters are not allowed (U+0000)",
    "not UTF-8": "file is not UTF-8 text",
    "duplicate key": "found duplicate key 'code'",
    "two documents": "expected a single document",
    "empty": "the file is empty",
}
BOMBS_AND_DEPTH = [name for name in HOSTILE_YAML if "deep" in name or "bomb" in name or "laughs" in name]


def test_every_hostile_input_has_an_expected_refusal() -> None:
    assert set(REFUSED) == set(HOSTILE_YAML)


@pytest.mark.parametrize("name", list(HOSTILE_YAML))
def test_hostile_pack_yaml_is_refused_with_a_located_problem(tmp_path: Path, name: str) -> None:
    folder = write_pack(tmp_path / "pack", codes_text=HOSTILE_YAML[name])
    pack, problems = pack_reading.read_pack(folder)
    assert pack is None
    shown = [str(p) for p in problems]
    assert any(s.startswith("packs/.candidate/codes/notes.yaml:") and REFUSED[name] in s for s in shown), shown


@pytest.mark.parametrize("name", [n for n in HOSTILE_YAML if n not in ("not UTF-8", "empty", "5,000-digit year")])
def test_parse_yaml_raises_only_its_own_error(name: str) -> None:
    text = HOSTILE_YAML[name]
    with pytest.raises(YamlSyntaxError) as info:
        parse_yaml(text)
    assert info.value.line >= 1
    assert REFUSED[name] in info.value.message


def test_the_prescan_stops_at_the_limit_however_deep_the_input() -> None:
    """libyaml's event parser keeps its nesting on the heap; the scan stops at level 65, so a million
    levels cost no more than a hundred."""
    for depth in (65, 25_000, 1_000_000):
        with pytest.raises(YamlSyntaxError, match="nested more than 64 levels deep"):
            prescan("[" * depth)
    prescan("[" * 64 + "]" * 64)  # the limit itself is fine
    assert parse_yaml("[" * 64 + "1" + "]" * 64) is not None


def test_aliases_count_their_expanded_size_and_depth() -> None:
    # 2 ** 10 values through aliases: fine; an alias chain deeper than the limit: refused.
    doc = "a0: &a0 [1, 1]\n" + "".join(f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}]\n" for i in range(1, 10))
    assert len(parse_yaml(doc)) == 10
    chain = "a0: &a0 [1]\n" + "".join(f"a{i}: &a{i} [*a{i - 1}]\n" for i in range(1, 70))
    with pytest.raises(YamlSyntaxError, match="makes the data nested more than 64 levels deep"):
        parse_yaml(chain)


def test_an_over_long_file_is_refused_before_it_is_scanned() -> None:
    with pytest.raises(YamlSyntaxError, match="larger than 8 MB"):
        parse_yaml("#" * (DEFAULT_LIMITS.max_chars + 1))


def test_the_built_in_data_is_far_inside_the_limits() -> None:
    for path in sorted((ROOT / "resources" / "data").rglob("*.yaml")):
        prescan(path.read_text(encoding="utf-8"))  # raises if a limit is crossed


@pytest.mark.parametrize("name", BOMBS_AND_DEPTH)
def test_bombs_and_depth_are_refused_under_a_memory_cap(tmp_path: Path, name: str) -> None:
    """validate-pack in a subprocess with RLIMIT_AS = 400 MB: exit 1 with the located problem, no crash
    (the 25,000-deep file segfaulted before), and a peak RSS under 200 MB (the merge bomb needed 3.3 GB)."""
    folder = write_pack(tmp_path / "pack", codes_text=HOSTILE_YAML[name])
    run = run_measured(["-m", "desktop", "validate-pack", str(folder)], env=env_for(tmp_path / "user"),
                       cap_mb=MEMORY_CAP_MB, timeout=120)
    assert run.returncode == 1, run.stderr
    assert no_traceback(run), run.stderr
    assert REFUSED[name] in run.stdout, run.stdout
    assert 5 < run.peak_rss_mb < RSS_LIMIT_MB, f"{name}: peak RSS {run.peak_rss_mb:.0f} MB"


def test_an_installed_pack_damaged_later_is_never_parsed(tmp_path: Path, catalog, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A good pack, installed, then its code file replaced by the 25,000-deep one: every start used to
    segfault. Now the checksum is checked first and the file is never handed to the parser."""
    data_dir = tmp_path / "data"
    result = pack_install.import_pack(write_pack(tmp_path / "src"), data_dir, base=catalog)
    installed = data_dir / "packs" / result.folder
    (installed / "codes" / "notes.yaml").write_text(HOSTILE_YAML["flow nesting 25,000 deep (50 KB)"],
                                                    encoding="utf-8")
    parsed: list[str] = []
    real = pack_reading.parse_bytes

    def spy(raw: bytes, rel: str, problems: list) -> object:  # type: ignore[type-arg]
        parsed.append(rel)
        return real(raw, rel, problems)

    monkeypatch.setattr(pack_reading, "parse_bytes", spy)
    report = pack_report.load_report(data_dir, catalog)
    assert report.catalog is catalog
    assert any("checksum of codes/notes.yaml does not match" in str(p) for p in report.problems)
    assert not any(rel.endswith("codes/notes.yaml") for rel in parsed), parsed
    assert any(rel.endswith("pack.yaml") for rel in parsed)  # pack.yaml holds the checksums: read first


def test_a_fifo_in_a_pack_is_refused_without_opening_it(tmp_path: Path) -> None:
    folder = write_pack(tmp_path / "pack")
    os.unlink(folder / "pack.yaml")
    os.mkfifo(folder / "pack.yaml")
    os.mkfifo(folder / "codes" / "more.yaml")
    run = run_measured(["-m", "desktop", "validate-pack", str(folder)], env=env_for(tmp_path / "user"), timeout=60)
    assert run.returncode == 1, run.stderr
    assert "pack.yaml:1: cannot read the file: it is a pipe (FIFO), not a regular file" in run.stdout
    assert "codes/more.yaml:1: cannot read the file: it is a pipe (FIFO), not a regular file" in run.stdout
    assert no_traceback(run)


def test_compute_checksums_skips_special_files(tmp_path: Path) -> None:
    folder = write_pack(tmp_path / "pack")
    os.mkfifo(folder / "codes" / "pipe.yaml")
    assert sorted(pack_reading.compute_checksums(folder)) == ["codes/notes.yaml", "sources.yaml"]


@pytest.mark.parametrize(("text", "expected"), [
    ("[" * 100_000 + "]" * 100_000, "not valid JSON: nested too deeply"),
    ('{"disabled": [' + "9" * 5000 + "]}", "a number has more than 30 digits"),
    ('{"disabled": [], "disabled": ["x"]}', 'the key "disabled" is written twice'),
    ("NaN", "NaN is not a JSON value"),
])
def test_a_damaged_pack_state_file_is_one_problem(tmp_path: Path, catalog, text: str, expected: str) -> None:  # type: ignore[no-untyped-def]
    pack_install.import_pack(write_pack(tmp_path / "src"), tmp_path / "data", base=catalog)
    (tmp_path / "data" / pack_folders.STATE_FILE).write_text(text, encoding="utf-8")
    report = pack_report.load_report(tmp_path / "data", catalog)
    assert report.catalog is catalog
    assert [p.file for p in report.problems] == ["data-packs.json"]
    assert expected in report.problems[0].message


def test_a_fifo_pack_state_file_does_not_block(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    (data_dir / "packs").mkdir(parents=True)
    os.mkfifo(data_dir / pack_folders.STATE_FILE)
    disabled, problems = pack_folders.read_state(data_dir)
    assert disabled == frozenset()
    assert [str(p) for p in problems] == ["data-packs.json:1: cannot read the pack on/off settings: it is a pipe "
                                          "(FIFO), not a regular file"]


# ---------------------------------------------------------------------------------------------------------
# Fuzzing the pack reader

_TOKENS = ["&a ", "*a", "<<: *a\n", "!!float ", "!!int ", "!!timestamp ", "!!binary ", "!!python/name:os ", "? ",
           "- ", ": ", "[", "]", "{", "}", ",", "'", '"', "#", "|\n", ">-\n", "\t", "\n", "  ", "---\n", "...\n",
           "%YAML 1.1\n", "2026-02-30", "2026-13-01", "9" * 40, "1e999", ".nan", "~", "\x00", "\ufeff", "\u2028",
           "&b [*b]", "*undefined", "@", "`", "%", "\\", "\r", "[" * 70, "{a: " * 30, "- " * 40, "? - ",
           "\n" + " " * 50 + "- ", "--- - - ", "&x - ", "!!seq - ", "'[[[[", '"]]]]"', "# [[[[\n"]
_KEYS = ["code", "name", "guidance", "modality", "state", "reason", "sources", "confidence", "from", "until",
         "kind", "terms", "spinal", "regions", "valid_from", "valid_to", "guidance_code", "alternatives", "x"]
_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-10**20, 10**20), st.floats(allow_nan=True),
                     st.dates(), st.text(max_size=20), st.sampled_from(["64405", "ultrasound", "included",
                                                                         "L-T-1", "S10", "high", "2026-01-01"]))
_VALUES = st.recursive(_SCALARS, lambda kids: st.one_of(
    st.lists(kids, max_size=4), st.dictionaries(st.sampled_from(_KEYS), kids, max_size=5)), max_leaves=25)


@st.composite
def pack_yaml(draw: st.DrawFn) -> str:
    """A pack code file: a YAML dump of random record-like data, then cut and spliced with YAML's
    special characters and known-bad values."""
    import yaml

    text = yaml.safe_dump(draw(st.lists(_VALUES, max_size=4)), allow_unicode=True, sort_keys=False)
    for _ in range(draw(st.integers(0, 6))):
        pos = draw(st.integers(0, len(text)))
        if draw(st.booleans()):
            text = text[:pos] + draw(st.sampled_from(_TOKENS)) + text[pos:]
        else:
            text = text[:pos] + text[pos + draw(st.integers(0, 8)):]
    return text


@settings(max_examples=FUZZ_EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                 HealthCheck.data_too_large])
@given(codes=pack_yaml(), manifest_noise=st.sampled_from([""] * 6 + ["x", "&a ", "!!int ", "[", "*a"]))
def test_fuzzed_pack_yaml_never_raises(tmp_path_factory: pytest.TempPathFactory, catalog, codes: str,  # type: ignore[no-untyped-def]
                                       manifest_noise: str) -> None:
    """Read and apply a pack whose code file (and sometimes pack.yaml) is fuzzed: problems, never an
    exception. The pack reader and the merge are what validate-pack, import and every start run."""
    from desktop.core.packs.merge import apply_packs

    folder = write_pack(tmp_path_factory.mktemp("fuzz") / "pack", codes_text=codes)
    if manifest_noise:
        text = (folder / "pack.yaml").read_text(encoding="utf-8")
        cut = len(text) // 3
        (folder / "pack.yaml").write_text(text[:cut] + manifest_noise + text[cut:], encoding="utf-8")
    pack, problems = pack_reading.read_pack(folder)
    assert (pack is None) == bool(problems)
    first = problems[0].message if problems else ""
    event("pack read" if pack is not None else "refused: not valid YAML" if "not valid YAML" in first
          else "refused: pack.yaml" if problems[0].file.endswith("pack.yaml") else "refused: schema")
    for problem in problems:
        assert problem.line >= 1 and problem.message
    if pack is not None:
        _, skipped = apply_packs(catalog, [pack])
        assert all(isinstance(p.message, str) for ps in skipped.values() for p in ps)



def test_the_peak_rss_measure_sees_a_big_child(tmp_path: Path) -> None:
    """The memory check above can fail: a child that really takes 300 MB is measured as such."""
    run = run_measured(["-c", "b = bytearray(300 * 1024 * 1024); b[::4096] = b'x' * len(b[::4096])"],
                       env=env_for(tmp_path / "user"), timeout=60)
    assert run.returncode == 0, run.stderr
    assert run.peak_rss_mb > 290
    capped = run_measured(["-c", "b = bytearray(300 * 1024 * 1024)"], env=env_for(tmp_path / "user"),
                          cap_mb=MEMORY_CAP_MB - 200, timeout=60)
    assert capped.returncode == 1 and "MemoryError" in capped.stderr


# ---------------------------------------------------------------------------------------------------------
# The quick path (no event pre-scan for documents proved shallow and alias-free) and the pre-scan agree


def _true_depth(text: str) -> int:
    import yaml

    depth = deepest = 0
    for ev in yaml.parse(text, Loader=yaml.CSafeLoader):
        if isinstance(ev, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
            depth += 1
            deepest = max(deepest, depth)
        elif isinstance(ev, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
            depth -= 1
    return deepest


def _shape(value: object) -> object:
    """A parsed value with everything the loader promises made comparable: types, and each mapping's line
    and key lines (dict equality alone would miss a wrong line or a dict that is not a LineMap)."""
    if isinstance(value, LineMap):
        return ("map", value.line, sorted(value.key_lines.items()), [(k, _shape(v)) for k, v in value.items()])
    if isinstance(value, dict):
        return ("dict", [(k, _shape(v)) for k, v in value.items()])
    if isinstance(value, list):
        return ("list", [_shape(v) for v in value])
    return (type(value).__name__, value)


def _outcome(text: str, quick: bool) -> tuple[str, object]:
    try:
        return "ok", _shape(parse_yaml(text, quick=quick))
    except YamlSyntaxError as exc:
        return "refused", (exc.line, exc.message)


def test_the_built_in_data_takes_the_quick_path() -> None:
    for path in sorted((ROOT / "resources" / "data").rglob("*.yaml")):
        bound = depth_bound(path.read_text(encoding="utf-8"))
        assert bound is not None and bound <= QUICK_DEPTH, (path.name, bound)


@pytest.mark.parametrize("text", [
    "[" * 100 + "]" * 100,  # 100 deep, provably at most 102: quick, then refused on the node tree
    "".join(" " * i + f"k{i}:\n" for i in range(70)) + " " * 70 + "x\n",
    "- " * 70 + "x\n",
    "a: [b, {c: [d, {e: f}]}]\n",
    "- &a [1]\n- *a\n",  # an alias: the long way
    "a: 1\rb: 2\r",  # CR line breaks: the long way
    # the quick path builds plain values itself and hands anything else to PyYAML's constructors:
    "a: 1\nb: 2.5\nc: true\nd: ~\ne: 2024-07-01\nf: '007'\n1: x\nnull: y\n",
    "base: &b {x: 1}\nm:\n  <<: {y: 2}\n  z: 3\n",  # a merge key without an alias
    "s: !!set {a, b}\no: !!omap [{a: 1}]\np: !!pairs [{a: 1}]\nbin: !!binary aGVsbG8=\n",
    "q: !!str 12\nr: !!int '12'\nt: !!seq [1]\nu: !!map {k: v}\n",
    "a: 1\na: 2\n",  # a duplicate key
    "a: 2026-02-30\n", "a: !!int junk\n", "a: " + "9" * 40 + "\n",  # values no constructor can read
    "[1, [2, [3]]]\n", "plain\n", "",
])
def test_both_paths_give_the_same_answer(text: str) -> None:
    assert _outcome(text, quick=True) == _outcome(text, quick=False)


def test_the_built_in_data_is_built_alike_both_ways() -> None:
    """The quick path's direct constructor against PyYAML's, on every built-in file: the same values, types,
    lines and key lines."""
    paths = sorted((ROOT / "resources" / "data").rglob("*.yaml"))
    assert len(paths) > 20
    for path in paths:
        text = path.read_text(encoding="utf-8")
        quick = _outcome(text, quick=True)
        assert quick[0] == "ok", path.name
        assert quick == _outcome(text, quick=False), path.name


def test_a_deep_document_on_the_quick_path_is_refused_at_its_line() -> None:
    text = "".join(" " * i + f"k{i}:\n" for i in range(70)) + " " * 70 + "x\n"
    bound = depth_bound(text)
    assert bound is not None and bound <= QUICK_DEPTH
    assert _outcome(text, quick=True) == ("refused", (65, "nested more than 64 levels deep"))


@settings(max_examples=FUZZ_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                            HealthCheck.data_too_large])
@given(text=pack_yaml())
def test_the_depth_bound_is_an_upper_bound_and_the_paths_agree(text: str) -> None:
    """Soundness of the cheap bound on fuzzed YAML: never below the real depth (the C composer may only be
    trusted with what the bound admits), and the quick path answers exactly like the pre-scan path."""
    bound = depth_bound(text)
    try:
        real = _true_depth(text)
    except Exception:  # noqa: BLE001 - not YAML at all: the paths must still agree below
        real = None
    if bound is not None and real is not None:
        assert real <= bound
    event("quick path" if bound is not None and bound <= QUICK_DEPTH else "pre-scan")
    assert _outcome(text, quick=True) == _outcome(text, quick=False)
