"""actionlint and zizmor as the user has them: a broken one on PATH is one note, never a silent
gap or a traceback; and they are given only the files the audit itself could read, so that one
damaged workflow does not take their findings on every other file with it."""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import pytest
from helpers import perf
from workflow_fixtures import workspace

WF = ".github/workflows"
GOOD = """\
on: push
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - run: echo hi
"""

# A stand-in for the real linter that behaves as the real one does on what it is given: it reads
# each file (a FIFO, a non-UTF-8 file make it fail as zizmor 1.x does: fatal, exit 1, nothing on
# stdout), then prints one finding per file in the linter's own JSON.
FAKE = """\
import json, os, stat, sys
name = os.path.basename(sys.argv[0])
files = [a for a in sys.argv[1:] if a.endswith((".yml", ".yaml"))]
for f in files:
    if not stat.S_ISREG(os.stat(f).st_mode):
        sys.exit(f"fatal: {f} is not a regular file")
    try:
        open(f, encoding="utf-8").read()
    except UnicodeDecodeError:
        sys.exit(f"fatal: failed to load {f}: stream did not contain valid UTF-8")
if name == "actionlint":
    out = [{"kind": "expression", "filepath": f, "line": 1, "message": "fake"} for f in files]
    print(json.dumps(out))
    sys.exit(1 if out else 0)
out = [
    {
        "ident": "fake-audit",
        "desc": "fake",
        "determinations": {"severity": "Medium"},
        "locations": [
            {
                "symbolic": {"kind": "Primary", "key": {"Local": {"verbatim_path": f}}},
                "concrete": {"location": {"start_point": {"row": 0}}},
            }
        ],
    }
    for f in files
]
print(json.dumps(out))
sys.exit(13 if out else 0)
"""


def tool(bin_dir: Path, name: str, body: str) -> None:
    path = bin_dir / name
    bin_dir.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!{sys.executable}\n{body}", encoding="utf-8")
    path.chmod(0o755)


def path_with(bin_dir: Path) -> dict[str, str]:
    """`bin_dir` first, then cargo's folder (doctor asks cargo), then the system's."""
    cargo = shutil.which("cargo")
    dirs = [str(bin_dir), *([str(Path(cargo).parent)] if cargo else []), "/usr/bin", "/bin"]
    return {"PATH": os.pathsep.join(dirs)}


def audited(root: Path, bin_dir: Path, *args: str) -> tuple[int, dict[str, object], str]:
    proc = perf("ci.audit", "--root", str(root), "--json", *args, env=path_with(bin_dir))
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc.returncode, json.loads(proc.stdout), proc.stderr


def ids(doc: dict[str, object]) -> list[tuple[str, str]]:
    return [(f["id"], f["message"]) for f in doc["findings"]]  # type: ignore[attr-defined, index]


BROKEN = {
    "exits 3 with a message": "import sys\nsys.exit('actionlint: could not start: boom')\n",
    "prints no JSON": "print('this is not JSON')\n",
    "is killed by a signal": "import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)\n",
}


@pytest.mark.parametrize("how", list(BROKEN))
@pytest.mark.parametrize("name", ["actionlint", "zizmor"])
def test_a_broken_linter_on_path_is_one_note(tmp_path: Path, name: str, how: str) -> None:
    root = workspace(tmp_path / "ws", {f"{WF}/ci.yml": GOOD})
    bin_dir = tmp_path / "bin"
    tool(bin_dir, name, BROKEN[how])
    code, doc, _ = audited(root, bin_dir)
    failed = [f for f in doc["findings"] if f["id"] == "ci.linter-failed"]  # type: ignore[attr-defined]
    assert len(failed) == 1, ids(doc)
    assert failed[0]["level"] == "note"
    assert name in failed[0]["message"] and "skipped" in failed[0]["message"], failed[0]
    assert code == 0, doc  # a note: the audit's own verdict stands


def test_the_broken_linter_is_noted_by_doctor_too(tmp_path: Path) -> None:
    root = workspace(tmp_path / "ws", {f"{WF}/ci.yml": GOOD})
    bin_dir = tmp_path / "bin"
    tool(bin_dir, "actionlint", BROKEN["exits 3 with a message"])
    proc = perf("doctor", "--root", str(root), "--json", env=path_with(bin_dir))
    assert "Traceback" not in proc.stderr, proc.stderr
    doc = json.loads(proc.stdout)
    assert [f["id"] for f in doc["findings"]].count("ci.linter-failed") == 1, doc["findings"]


@pytest.mark.parametrize("damage", ["not UTF-8", "a FIFO"])
def test_linters_get_only_the_files_the_audit_could_read(tmp_path: Path, damage: str) -> None:
    root = workspace(tmp_path / "ws", {f"{WF}/ci.yml": GOOD})
    bad = root / WF / "bad.yml"
    if damage == "a FIFO":
        os.mkfifo(bad)
    else:
        bad.write_bytes(b"on: push\nname: caf\xe9\n")
    bin_dir = tmp_path / "bin"
    tool(bin_dir, "actionlint", FAKE)
    tool(bin_dir, "zizmor", FAKE)
    _, doc, _ = audited(root, bin_dir)
    found = ids(doc)
    assert any(i == "ci.invalid-yaml" for i, _ in found), found  # the audit's word on bad.yml
    assert not [i for i, _ in found if i == "ci.linter-failed"], found
    linted = sorted(
        (f["id"], f["file"])  # type: ignore[index]
        for f in doc["findings"]  # type: ignore[attr-defined]
        if f["id"] in ("ci.actionlint", "ci.zizmor")  # type: ignore[index]
    )
    assert linted == [("ci.actionlint", f"{WF}/ci.yml"), ("ci.zizmor", f"{WF}/ci.yml")]
