"""`python -m benches [NAME] [OPTIONS]` runs one benchmark with its options, or all by default."""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path

args = sys.argv[1:]
if args and not args[0].startswith("-"):
    importlib.import_module(f"benches.{args[0]}").main(args[1:])
else:
    for module in sorted(pkgutil.iter_modules([str(Path(__file__).parent)]), key=lambda m: m.name):
        if module.name.startswith("bench_"):
            importlib.import_module(f"benches.{module.name}").main(args)
