"""The phases of a baseline, named once: the plan, the progress, the record and the comparison."""

from __future__ import annotations

import enum


class PhaseName(str, enum.Enum):
    PREPARE = "prepare"  # untimed: builds what the timed runs need
    BUILD = "build"  # warm: nothing to do
    BUILD_INCREMENTAL = "build.incremental"  # one source touched
    BUILD_COLD = "build.cold"  # from scratch, in scratch dirs
    TESTS = "tests"
    TESTS_DOC = "tests.doc"
    DISK = "disk"  # measured last

    def __str__(self) -> str:
        return self.value

    @property
    def is_build(self) -> bool:
        return self.value.startswith("build")

    @property
    def is_tests(self) -> bool:
        return self.value.startswith("tests")

    @property
    def record_path(self) -> tuple[str, ...]:
        """Where its figures are in the record: `build.incremental` -> build, incremental."""
        return tuple(self.value.split("."))

    @property
    def heading(self) -> str:
        return _TITLES.get(self, self.value)


_TITLES = {
    PhaseName.BUILD: "warm (nothing to do)",
    PhaseName.BUILD_INCREMENTAL: "incremental",
    PhaseName.BUILD_COLD: "cold (scratch dirs)",
    PhaseName.TESTS: "tests",
    PhaseName.TESTS_DOC: "doctests",
}

# The phases with timed runs, in the order they run and appear in a record.
TIMED = (
    PhaseName.BUILD,
    PhaseName.BUILD_INCREMENTAL,
    PhaseName.BUILD_COLD,
    PhaseName.TESTS,
    PhaseName.TESTS_DOC,
)
