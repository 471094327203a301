"""perf-tasks: machine-level performance work for a Rust workspace.

Importing this package is cheap on purpose: `invoke --list` loads the task modules, and those only
import the heavy parts (rich, psutil, tomlkit) inside task bodies.
"""

__version__ = "0.1.0"
