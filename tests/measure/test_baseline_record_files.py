"""baseline.json and Baseline.md are one unit: both new, or both as they were.

A private mount namespace puts a tiny tmpfs on the record dir, then fills it so that the new
baseline.json fits and Baseline.md does not, or so that nothing fits (the disk is full).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from measure.test_baseline_cargo import VENV_BIN, needs_nextest, perf_with_nextest

pytestmark = [
    pytest.mark.cargo,
    pytest.mark.slow,
    pytest.mark.skipif(
        os.geteuid() != 0 or shutil.which("unshare") is None,
        reason="mounting a tmpfs needs root and unshare (a private mount namespace)",
    ),
]

PAGE = 4096
FILL = """
import os, sys
folder, keep = sys.argv[1], int(sys.argv[2])
st = os.statvfs(folder)
free = st.f_bavail * st.f_frsize
with open(os.path.join(folder, "filler"), "wb") as f:
    f.write(b"x" * max(0, free - keep))
"""


def _record_on_a_full_disk(root: Path, out: Path, *, free_bytes: int) -> str:
    """Run the baseline with `free_bytes` left on the record dir; copy what it left into `out`."""
    folder = root / "docs" / "performance"
    saved = out.parent / "saved"
    shutil.copytree(folder, saved)
    out.mkdir()
    script = f"""
    mount -t tmpfs -o size=512k none '{folder}'
    cp '{saved}'/* '{folder}'/
    "$PY" -c '{FILL}' '{folder}' {free_bytes}
    set +e
    "$PY" -m perf_tasks baseline --root '{root}' --runs 1 2> '{out}/stderr'
    echo $? > '{out}/rc'
    ls -A '{folder}' > '{out}/listing'
    cp '{folder}/baseline.json' '{folder}/Baseline.md' '{out}'/
    """
    env = {**os.environ, "PY": sys.executable}
    env["PATH"] = os.pathsep.join([VENV_BIN, env.get("PATH", "")])
    proc = subprocess.run(
        ["unshare", "-m", "sh", "-ec", script], env=env, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr
    return (out / "stderr").read_text()


@pytest.mark.parametrize("room", ["for the JSON only", "for nothing"])
def test_a_full_disk_leaves_both_old_files_and_says_so_in_one_line(
    demo_copy: Path, tmp_path: Path, room: str
) -> None:
    needs_nextest()
    folder = demo_copy / "docs" / "performance"
    free = 0
    if room == "for the JSON only":  # as many pages as a new baseline.json takes
        first = perf_with_nextest("baseline", "--root", str(demo_copy), "--runs", "1")
        assert first.returncode == 0, first.stderr
        free = -(-(folder / "baseline.json").stat().st_size // PAGE) * PAGE
    # Small old files: replacing the old JSON frees next to nothing for the new Markdown.
    folder.mkdir(parents=True, exist_ok=True)
    old = {"baseline.json": b'{"old": true}\n', "Baseline.md": b"# old\n"}
    for name, data in old.items():
        (folder / name).write_bytes(data)
    out = tmp_path / "out"
    stderr = _record_on_a_full_disk(demo_copy, out, free_bytes=free)
    assert (out / "rc").read_text().strip() == "1", stderr
    assert "Traceback" not in stderr
    last = stderr.strip().splitlines()[-1]
    assert last.startswith("error: cannot write baseline.json, Baseline.md in "), stderr
    assert "No space left on device" in last and "nothing was changed" in last
    assert (out / "listing").read_text().split() == ["Baseline.md", "baseline.json", "filler"]
    assert {name: (out / name).read_bytes() for name in old} == old  # both old, not one new
