"""One planned edit of one file: the text before and after, its diff, and the atomic write."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from perf_tasks.errors import ConfigError


@dataclass(frozen=True)
class Edit:
    path: Path
    shown: str  # the path as messages show it, relative to the root
    old: str  # "" for a file that does not exist yet
    new: str
    exists: bool
    tables: tuple[str, ...]  # "[profile.ci]": the tables asked for
    changed: tuple[str, ...]  # those of them whose text changes

    @property
    def changes(self) -> bool:
        return self.old != self.new

    def diff(self) -> str:
        import difflib

        lines = difflib.unified_diff(
            self.old.splitlines(keepends=True),
            self.new.splitlines(keepends=True),
            fromfile=f"a/{self.shown}" if self.exists else "/dev/null",
            tofile=f"b/{self.shown}",
        )
        return "".join(line if line.endswith("\n") else line + "\n" for line in lines)

    def write(self) -> None:
        """Atomically, and only when the text changes; the file's mode stays, a symlink stays a
        symlink (its target is written), and a file changed since it was read is refused."""
        if not self.changes:
            return
        from perf_tasks.errors import EditRefused
        from perf_tasks.fs.atomic import write_atomic

        if read(self.path, shown=self.shown) != (self.old, self.exists):
            raise EditRefused(f"{self.shown} changed while it was being edited: run again")
        target = self.path.resolve() if self.exists else self.path
        mode = target.stat().st_mode & 0o7777 if self.exists else None
        write_atomic(target, self.new)
        if mode is not None:
            target.chmod(mode)


def read(path: Path, *, shown: str) -> tuple[str, bool]:
    """The file's text (and whether it exists); one ConfigError if it cannot be read."""
    try:
        return path.read_bytes().decode("utf-8"), True
    except FileNotFoundError:
        return "", False
    except UnicodeDecodeError:
        raise ConfigError(f"{shown} is not UTF-8 text: nothing was changed") from None
    except OSError as exc:
        raise ConfigError(f"cannot read {shown}: {exc.strerror or exc}") from None
