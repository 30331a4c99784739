"""A no-op `publish` at the cost of a vault scan: the inputs of the last publish that found nothing to do.

A full plan reads every published note's cached facts, resolves their links and parses the manifest, only to
find, most of the time, that nothing changed. Everything it depends on is in one fingerprint: the config,
every file's stat in the vault scan (a note's bytes change its stat), HEAD of the publication repository (the
committed manifest), and the stat of every folder holding a published file and of the manifest's files (a
file deleted, added or replaced there changes its folder). When the fingerprint is the one recorded after
the last empty plan, the plan is that empty plan again, warnings included. Any doubt is a full plan: a memo
that misses costs one plan, one that hits wrongly would skip a publish, so every input is in the key.
"""

from __future__ import annotations

import hashlib
import json
import os
import posixpath
from pathlib import Path

from vaultsync._version import __version__
from vaultsync.config import Config
from vaultsync.errors import Problem
from vaultsync.git.repo import head_commit
from vaultsync.publishing.actions import PublishPlan
from vaultsync.publishing.manifest import manifest_dir, manifest_files
from vaultsync.store.state import State, target_key
from vaultsync.vault.scan import VaultScan

_MEMO = "publish.empty_plan"


def _memo_key(config: Config) -> str:
    # One record per target: two targets recalling one record would each find the other's and never hit.
    return target_key(_MEMO, config.target)


def recall(config: Config, state: State, scan: VaultScan) -> PublishPlan | None:
    """The empty plan recorded for exactly these inputs, or None (plan in full)."""
    repo = config.publish_repo
    try:
        memo = json.loads(state.get_meta(_memo_key(config)) or "null")
    except ValueError:
        return None
    if repo is None or not isinstance(memo, dict) or memo.get("repo") != str(repo):
        return None
    head = head_commit(repo)
    if head is None or head != memo.get("base"):
        return None
    try:
        if _fingerprint(config, scan, repo, head, memo["folder"], memo["folders"]) != memo["key"]:
            return None
        return PublishPlan(
            repo,
            memo["folder"],
            head,
            unchanged=memo["unchanged"],
            warnings=tuple(Problem(**p) for p in memo["warnings"]),
            target=config.target,
            quick=True,  # nothing to repair: a run killed midway would have moved HEAD or touched a folder
        )
    except (KeyError, TypeError, ValueError):  # a record some other version wrote: plan in full
        return None


def remember(config: Config, state: State, scan: VaultScan, plan: PublishPlan) -> None:
    """Record an empty plan (with its warnings) for the next run; any other plan clears the record."""
    if plan.quick:
        return  # a recalled plan (or the daemon's): the record stands
    repo = config.publish_repo
    memo = None
    if repo is not None and plan.base is not None and plan.is_empty and not plan.errors:
        folders = sorted(_folders(plan))
        memo = {
            "repo": str(repo),
            "folder": plan.folder,
            "base": plan.base,
            "unchanged": plan.unchanged,
            "warnings": [p.as_dict() for p in plan.warnings],
            "folders": folders,
            "key": _fingerprint(config, scan, repo, plan.base, plan.folder, folders),
        }
    with state.transaction():
        state.set_meta(_memo_key(config), json.dumps(memo))


def _folders(plan: PublishPlan) -> set[str]:
    """Every folder above a published file, up to the repository's root (a deleted folder changes its parent)."""
    found = {"", manifest_dir(plan.folder)}
    for output in plan.manifest.files:
        folder = posixpath.dirname(output)
        while folder not in found:
            found.add(folder)
            folder = posixpath.dirname(folder)
    return found


def _fingerprint(config: Config, scan: VaultScan, repo: Path, head: str, folder: str, folders: list[str]) -> str:
    head_line = f"{__version__}\0{config!r}\0{head}\0{scan.attachment_folder!r}\0"
    digest = hashlib.blake2b(head_line.encode("utf-8", "surrogateescape"))
    for files in (scan.notes, scan.attachments):
        digest.update(
            "\n".join(f"{p}\t{s[0]}\t{s[1]}\t{s[2]}\t{s[3]}\t{s[4]:d}\t{s[5]}" for p, s in files.items()).encode(
                "utf-8", "surrogateescape"
            )
        )
        digest.update(b"\0")
    digest.update(repr((scan.skipped, scan.conflicts)).encode("utf-8", "surrogateescape"))
    root = str(repo)
    stats = []
    for path in [*folders, *manifest_files(folder)]:
        try:
            st = os.lstat(os.path.join(root, path))
        except OSError:
            stats.append(f"{path}\tmissing")
            continue
        stats.append(f"{path}\t{st.st_mode}\t{st.st_size}\t{st.st_mtime_ns}\t{st.st_ino}")
    digest.update("\n".join(stats).encode("utf-8", "surrogateescape"))
    return digest.hexdigest()
