"""The actions the workflows use, each pinned to a full commit SHA with its release tag.

A tag can be moved to other code; a commit cannot. Update a pin by replacing both the SHA and the
tag, from the action's release page.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Action:
    name: str  # "actions/cache/restore"
    sha: str  # the full 40-hex commit
    tag: str  # "v4.2.3": the release that commit is

    @property
    def uses(self) -> str:
        return f"{self.name}@{self.sha}"


CHECKOUT = Action("actions/checkout", "11bd71901bbe5b1630ceea73d27597364c9af683", "v4.2.2")
SETUP_PYTHON = Action("actions/setup-python", "a26af69be951a213d495a4c3e4e4022e16d87065", "v5.6.0")
CACHE_RESTORE = Action(
    "actions/cache/restore", "5a3ec84eff668545956fd18022155c47e93e2684", "v4.2.3"
)
CACHE_SAVE = Action("actions/cache/save", "5a3ec84eff668545956fd18022155c47e93e2684", "v4.2.3")
UPLOAD_ARTIFACT = Action(
    "actions/upload-artifact", "ea165f8d65b6e75b540449e92b4886f43607fa02", "v4.6.2"
)
DOWNLOAD_ARTIFACT = Action(
    "actions/download-artifact", "d3f86a106a0bac45b974a628896c90dbdf5c8093", "v4.3.0"
)

ALL = (CHECKOUT, SETUP_PYTHON, CACHE_RESTORE, CACHE_SAVE, UPLOAD_ARTIFACT, DOWNLOAD_ARTIFACT)
