"""One planned edit of one file: the text before and after, its diff, and the guarded write."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from perf_tasks.fs import guarded
from perf_tasks.text import keep_ends


@dataclass(frozen=True)
class Planned:
    """A file's text when the change was planned (`before`), and the text planned for it."""

    before: guarded.Snapshot
    new: str

    @property
    def path(self) -> Path:
        return self.before.path

    @property
    def shown(self) -> str:
        return self.before.shown

    @property
    def exists(self) -> bool:
        return self.before.exists

    @property
    def changes(self) -> bool:
        """The planned text differs from the file there (a file not there yet always does)."""
        return self.before.text != self.new

    def unified_diff(self) -> str:
        """From the file there (from /dev/null when there is none) to the new text."""
        import difflib

        lines = difflib.unified_diff(
            keep_ends(self.before.text or ""),
            keep_ends(self.new),
            fromfile=f"a/{self.shown}" if self.exists else "/dev/null",
            tofile=f"b/{self.shown}",
        )
        return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


@dataclass(frozen=True)
class Edit(Planned):
    tables: tuple[str, ...]  # "[profile.ci]": the tables asked for
    changed: tuple[str, ...]  # those of them whose text changes

    @property
    def old(self) -> str:
        """ "" for a file that does not exist yet."""
        return self.before.text or ""

    @property
    def changes(self) -> bool:
        return self.old != self.new

    def diff(self) -> str:
        return self.unified_diff()

    def write(self, root: Path) -> None:
        """Only when the text changes, through the one guarded writer (fs/guarded.py): under the
        run lock, refused if the file changed since it was read, atomic, mode and BOM kept."""
        if self.changes:
            guarded.write(root, [(self.before, self.new)])


def read(path: Path, *, shown: str, bom: bool = False) -> guarded.Snapshot:
    """The file as it is now (see `guarded.read`)."""
    return guarded.read(path, shown=shown, bom=bom)
