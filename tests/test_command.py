"""The command layer on real programs: output, failures, missing tools, the environment given."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from perf_tasks import command
from perf_tasks.errors import CommandFailed, ToolMissing

PATH = {"PATH": os.environ["PATH"]}


def test_output_and_first_line(tmp_path: Path) -> None:
    out = command.run(["printf", "one\\ntwo\\n"], cwd=tmp_path, env=PATH)
    assert out.stdout == "one\ntwo\n" and out.first_line == "one"
    assert command.first_line(["printf", "v1.2\\n"], cwd=tmp_path, env=PATH) == "v1.2"


def test_only_the_given_environment_reaches_the_command(tmp_path: Path) -> None:
    out = command.run(["env"], cwd=tmp_path, env={**PATH, "ONLY_THIS": "1"})
    assert sorted(line.split("=")[0] for line in out.stdout.splitlines()) == ["ONLY_THIS", "PATH"]


def test_a_failure_carries_the_tail_of_stderr(tmp_path: Path) -> None:
    script = "for i in 1 2 3 4 5 6 7; do echo line$i >&2; done; exit 3"
    with pytest.raises(CommandFailed) as caught:
        command.run(["sh", "-c", script], cwd=tmp_path, env=PATH, what="`the script`")
    message = str(caught.value)
    assert message.startswith(f"`the script` failed in {tmp_path} (exit 3):")
    assert message.splitlines()[1:] == ["line3", "line4", "line5", "line6", "line7"]
    assert command.first_line(["sh", "-c", script], cwd=tmp_path, env=PATH) is None


def test_a_missing_tool_is_tool_missing(tmp_path: Path) -> None:
    with pytest.raises(ToolMissing, match="no-such-tool-here is not installed"):
        command.run(["no-such-tool-here"], cwd=tmp_path, env=PATH)
    assert command.first_line(["no-such-tool-here"], cwd=tmp_path, env=PATH) is None


def test_a_command_that_hangs_is_stopped(tmp_path: Path) -> None:
    with pytest.raises(CommandFailed, match=r"did not finish within 200 ms"):
        command.run(["sleep", "5"], cwd=tmp_path, env=PATH, timeout_s=0.2)


def test_names_that_are_not_utf8_round_trip(tmp_path: Path) -> None:
    name = b"caf\xe9"
    (tmp_path / os.fsdecode(name)).write_text("x")
    out = command.run(["ls"], cwd=tmp_path, env=PATH)
    assert os.fsencode(out.first_line) == name
