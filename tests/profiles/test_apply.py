"""`profiles.apply`'s edit on real manifests and generated ones: only the profile tables change,
a second run changes nothing, and the result parses (cargo accepts a sample)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import tomlkit
from helpers import REPO_ROOT
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from perf_tasks.edit.tables import set_tables
from perf_tasks.errors import EditRefused
from perf_tasks.profiles import model

FIXTURES = REPO_ROOT / "tests" / "fixtures" / "manifests"
MANIFESTS = sorted(FIXTURES.glob("*.toml"))
TEAM = {("profile", name): keys for name, keys in model.TEAM.items()}
ONE = {("profile", "ci"): model.TEAM["ci"]}


def apply(text: str, changes: Any = TEAM) -> str:
    return set_tables(text, changes, what="Cargo.toml", same=model.same)


def outside_profiles(text: str) -> list[str]:
    """The lines outside `[profile...]` sections, by a naive line reading (a section runs from its
    header to the next header), trailing blank lines dropped: the oracle, independent of ours."""
    kept: list[str] = []
    inside = False
    for line in text.splitlines():
        if line.startswith("["):
            inside = bool(re.match(r"\[\s*profile\s*[.\]]", line))
        if not inside:
            kept.append(line)
    while kept and not kept[-1].strip():
        kept.pop()
    return kept


def data_without_profiles(text: str) -> dict[str, Any]:
    data: dict[str, Any] = tomlkit.parse(text).unwrap()
    data.pop("profile", None)
    return data


def check_result(old: str, new: str, changes: Any) -> None:
    assert outside_profiles(new) == outside_profiles(old)
    assert data_without_profiles(new) == data_without_profiles(old)
    profiles = tomlkit.parse(new).unwrap()["profile"]
    before = tomlkit.parse(old).unwrap().get("profile", {})
    for (_, name), keys in changes.items():
        for key, value in keys.items():
            assert model.same(key, profiles[name][key], value)
        for key, value in before.get(name, {}).items():  # what was there and not ours stays
            if key not in keys:
                assert profiles[name][key] == value
    for name, table in before.items():  # other profiles are untouched
        if ("profile", name) not in changes:
            assert profiles[name] == table
    assert apply(new, changes) == new  # applying twice equals applying once


def test_there_are_real_manifests_of_each_kind() -> None:
    texts = [p.read_text(encoding="utf-8") for p in MANIFESTS]
    assert len(texts) >= 15
    assert sum("[profile." in t for t in texts) >= 5
    assert sum("[workspace]" in t for t in texts) >= 2
    assert sum(" = {" in t for t in texts) >= 3


@pytest.mark.parametrize("path", MANIFESTS, ids=lambda p: p.stem)
def test_real_manifests_change_only_in_their_profile_tables(path: Path) -> None:
    old = path.read_text(encoding="utf-8")
    for changes in (TEAM, ONE):
        new = apply(old, changes)
        check_result(old, new, changes)


def test_an_existing_table_keeps_its_comments_and_other_keys() -> None:
    old = (
        "# top\n[package]\nname = 'x'  # quoted as written\n\n"
        '[profile.ci]   # ours\nopt-level = 3 # was three\nlto = "thin"\n# after\n\n'
        "[dependencies]\nserde = { version = '1', features = [\"derive\"] }\n"
    )
    new = apply(old, ONE)
    assert new == (
        "# top\n[package]\nname = 'x'  # quoted as written\n\n"
        '[profile.ci]   # ours\nopt-level = 1 # was three\nlto = "thin"\ninherits = "dev"\n'
        "incremental = true\ndebug = 0\n# after\n\n"
        "[dependencies]\nserde = { version = '1', features = [\"derive\"] }\n"
    )


def test_values_cargo_reads_alike_are_left_as_written() -> None:
    old = '[profile.ci]\ninherits = "dev"\ndebug = false\nincremental = true\nopt-level = 1\n'
    assert apply(old, ONE) == old


@pytest.mark.parametrize(
    "text",
    [
        "[profile]\nci = { opt-level = 3 }\n",
        "[profile]\nci.opt-level = 3\n",
        "profile.ci.opt-level = 3\n[package]\nname = 'x'\n",
    ],
    ids=["inline", "dotted-in-profile", "dotted-at-top"],
)
def test_dotted_or_inline_profile_tables_are_refused(text: str) -> None:
    with pytest.raises(EditRefused, match=r"dotted keys or an inline table.*nothing was changed"):
        apply(text, ONE)


def test_a_manifest_that_does_not_parse_is_refused() -> None:
    with pytest.raises(EditRefused, match="not valid TOML"):
        apply("[package\nname = 'x'\n", ONE)
    with pytest.raises(EditRefused, match=r"not valid TOML \(Unexpected end of file at line 2"):
        apply("[workspace]\nmembers = [\n", ONE)


# -- generated manifests -------------------------------------------------------------------------

KEY = st.sampled_from(["name", "version", "edition", "a-b", "x_y", '"quoted.key"', "'lit'"])
SCALAR = st.one_of(
    st.integers(-5, 5).map(str),
    st.sampled_from(['"s"', "'lit'", "true", '"""\n[profile.ci]\nnot a header\n"""', "'''x'''"]),
)
ARRAY = st.lists(SCALAR, max_size=3).map(lambda xs: "[\n  " + ",\n  ".join(xs) + ",\n]")
INLINE = st.lists(st.tuples(KEY, SCALAR), max_size=2, unique_by=lambda kv: kv[0]).map(
    lambda kvs: "{ " + ", ".join(f"{k} = {v}" for k, v in kvs) + " }"
)
VALUE = st.one_of(SCALAR, ARRAY, INLINE)
COMMENT = st.sampled_from(["", "  # note", "# [profile.dev]", " #x"])
TRIVIA = st.lists(st.sampled_from(["\n", "# comment\n", "   \n", "#[profile.x]\n"]), max_size=3)


@st.composite
def table(draw: st.DrawFn, header: str) -> str:
    lines = [f"{header}{draw(COMMENT)}\n"]
    keys = draw(st.lists(KEY, max_size=4, unique=True))
    for key in keys:
        dotted = draw(st.booleans())
        lines.append(f"{key}{'.sub' if dotted else ''} = {draw(VALUE)}{draw(COMMENT)}\n")
    return "".join(lines) + "".join(draw(TRIVIA))


PROFILE_VALUES = {
    "opt-level": st.sampled_from(["0", "1", "3", '"s"']),
    "debug": st.sampled_from(["0", "true", "false", '"full"', "1"]),
    "incremental": st.sampled_from(["true", "false"]),
    "lto": st.sampled_from(["true", '"thin"']),
    "inherits": st.sampled_from(['"dev"', '"release"']),
}


@st.composite
def profile_table(draw: st.DrawFn, name: str) -> str:
    keys = draw(st.lists(st.sampled_from(sorted(PROFILE_VALUES)), max_size=4, unique=True))
    body = "".join(f"{k} = {draw(PROFILE_VALUES[k])}{draw(COMMENT)}\n" for k in keys)
    return f"[profile.{name}]{draw(COMMENT)}\n{body}" + "".join(draw(TRIVIA))


@st.composite
def manifest(draw: st.DrawFn) -> str:
    pieces = ["".join(draw(TRIVIA))]
    names = iter(["package", "dependencies", "features", "workspace", "lib", "badges"])
    profiles = draw(
        st.lists(st.sampled_from(["dev", "release", "ci", "dev-fast", "bench"]), unique=True)
    )
    tables = [draw(table(f"[{n}]")) for n in list(names)[: draw(st.integers(0, 5))]]
    tables += [draw(profile_table(n)) for n in profiles]
    order = draw(st.permutations(tables))
    pieces += order
    text = "".join(pieces)
    if draw(st.booleans()):
        text = text.rstrip("\n")  # no final newline
    return text


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(manifest(), st.sampled_from([TEAM, ONE]))
def test_generated_manifests_change_only_in_their_profile_tables(text: str, changes: Any) -> None:
    try:
        tomlkit.parse(text)
    except ValueError:
        return  # a generated file may not be TOML (a key twice): refusing it is tested above
    new = apply(text, changes)
    check_result(text, new, changes)


# -- cargo accepts the result --------------------------------------------------------------------

SAMPLE = ["ahash-0.7.6", "either-1.6.1", "memchr-2.5.0", "syn-1.0.107", "toml-0.5.11-workspace"]


@pytest.mark.cargo
def test_cargo_metadata_accepts_a_sample(tmp_path: Path) -> None:
    for stem in SAMPLE:
        crate = tmp_path / stem
        (crate / "src").mkdir(parents=True)
        (crate / "src" / "lib.rs").write_text("")
        text = apply((FIXTURES / f"{stem}.toml").read_text(encoding="utf-8"))
        (crate / "Cargo.toml").write_text(text, encoding="utf-8")
        proc = subprocess.run(
            ["cargo", "metadata", "--no-deps", "--format-version", "1", "--offline"],
            cwd=crate,
            capture_output=True,
            text=True,
            check=False,
        )
        assert proc.returncode == 0, (stem, proc.stderr)
        assert "profile" not in proc.stderr  # no "unused manifest key" or profile warning
    assert shutil.which("cargo")


def test_a_crlf_manifest_gets_crlf_lines() -> None:
    old = "[package]\r\nname = 'x'\r\n\r\n[profile.dev]\r\nopt-level = 0\r\n"
    new = apply(old)
    assert new.startswith(old) and "\n" not in new.replace("\r\n", "")
    check_result(old, new, TEAM)


def test_the_write_keeps_a_symlink_and_refuses_a_file_changed_meanwhile(tmp_path: Path) -> None:
    from perf_tasks.profiles.apply import plan

    real = tmp_path / "shared" / "Cargo.toml"
    real.parent.mkdir()
    real.write_text("[workspace]\n", encoding="utf-8")
    root = tmp_path / "ws"
    root.mkdir()
    (root / "Cargo.toml").symlink_to(real)
    edit = plan(root, {"ci": model.TEAM["ci"]})
    edit.write(root)
    assert (root / "Cargo.toml").is_symlink()
    assert real.read_text(encoding="utf-8") == edit.new
    edit = plan(root, {"dev-fast": model.TEAM["dev-fast"]})
    real.write_text(edit.old + "# meanwhile\n", encoding="utf-8")
    with pytest.raises(EditRefused, match="changed since perf-tasks read it"):
        edit.write(root)
    assert real.read_text(encoding="utf-8").endswith("# meanwhile\n")
