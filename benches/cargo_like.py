"""A synthetic cargo target dir: the shapes that matter for scanning and deleting.

Per unit: `deps/` artifacts (rlib, rmeta, .d), a `.fingerprint/<unit>/` folder, build-script
folders, and `incremental/` sessions full of small object files. Binaries are hard-linked into the
profile dir, as cargo uplifts them. `link_all` gives every file a second hard link.
"""

from __future__ import annotations

import os
from pathlib import Path

TAG = b"Signature: 8a477f597d28d172789f06886806bc55\n# created by cargo\n"


def make(target: Path, *, files: int = 200_000) -> int:
    """Lay out a target dir of at least `files` files under `target`; returns the count made."""
    debug = target / "debug"
    for sub in ("deps", ".fingerprint", "build", "incremental", "examples"):
        (debug / sub).mkdir(parents=True, exist_ok=True)
    (target / "CACHEDIR.TAG").write_bytes(TAG)
    (debug / ".cargo-lock").write_bytes(b"")
    made = 2
    unit = 0
    while made < files:
        h = f"{unit:016x}"
        name = f"crate{unit}"
        for ext, size in (("rlib", 60_000 + unit % 5000), ("rmeta", 20_000), ("d", 900)):
            (debug / "deps" / f"lib{name}-{h}.{ext}").write_bytes(b"r" * size)
        fp = debug / ".fingerprint" / f"{name}-{h}"
        fp.mkdir()
        for f in ("lib-" + name, "lib-" + name + ".json", "dep-lib-" + name, "invoked.timestamp"):
            (fp / f).write_bytes(b"f" * 64)
        made += 7
        if unit % 10 == 0:  # a build script: its own folder and an out dir
            out = debug / "build" / f"{name}-{h}" / "out"
            out.mkdir(parents=True)
            for i in range(8):
                (out / f"gen{i}.rs").write_bytes(b"g" * 3000)
            (out.parent / "output").write_bytes(b"cargo:rerun-if-changed=build.rs\n")
            made += 9
        if unit % 25 == 0:  # a binary, uplifted by a hard link
            binary = debug / "deps" / f"{name}-{h}"
            binary.write_bytes(b"b" * 400_000)
            os.link(binary, debug / name)
            made += 2
        inc = debug / "incremental" / f"{name}-{h[:13]}" / f"s-{h[:10]}-working"
        inc.mkdir(parents=True)
        for i in range(40):
            (inc / f"{i:04}.o").write_bytes(b"o" * (1000 + i * 37))
        (inc / "dep-graph.bin").write_bytes(b"d" * 8000)
        made += 41
        unit += 1
    return made


def link_all(target: Path) -> int:
    """Give every file under `target` a second hard link next to it; returns the links made."""
    made = 0
    for dirpath, _dirnames, filenames in os.walk(target):
        for name in filenames:
            path = os.path.join(dirpath, name)
            if os.stat(path).st_nlink == 1:
                os.link(path, f"{path}.link")
                made += 1
    return made
