"""The vault's repository as a sync sees it: its top, the vault's folder in it, the branch and the remote; or
why it cannot be synced (no repository, a detached HEAD, another branch than `sync.branch`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from vaultsync.config import Config
from vaultsync.errors import GitError, VaultsyncError
from vaultsync.git.repo import find_git_dir, path_prefix, repo_state, toplevel
from vaultsync.store.state import state_dir_for


@dataclass(frozen=True)
class VaultRepo:
    """The vault's repository as a sync sees it."""

    top: Path
    git_dir: Path
    under: str  # the vault's folder inside the work tree: "" or "notes/"
    branch: str
    remote: str
    state_dir: Path


SYNC_LOCK = "sync.lock"  # one sync of a vault at a time (in the state folder)


def vault_top(config: Config) -> Path:
    """The top of the work tree that holds the vault, or a VaultsyncError with the commands that make one."""
    vault = config.vault
    if find_git_dir(vault) is None:
        raise VaultsyncError(
            "the vault is not a git repository",
            where=str(vault),
            why="`sync` commits, pulls and pushes the vault's own repository",
            hint=f"make it one: git -C {vault} init -b main && git -C {vault} add -A && "
            f"git -C {vault} commit -m 'vault' && git -C {vault} remote add origin URL",
        )
    return toplevel(vault)


def locate(config: Config, top: Path | None = None) -> VaultRepo:
    """The vault's repository (whose top is `top`, if known), or a VaultsyncError saying why it cannot be synced
    and what to do."""
    vault = config.vault
    top = vault_top(config) if top is None else top
    state = repo_state(top)
    if state.ref is None:
        raise GitError(
            "HEAD is detached in the vault's repository: nothing synced",
            where=str(top),
            why="a sync commits on a branch and pushes it",
            hint=f"check a branch out (git -C {top} switch main), then sync again",
        )
    current = state.ref.removeprefix("refs/heads/")
    branch = config.sync.branch or current
    if branch != current:
        raise GitError(
            f"the vault's repository is on branch `{current}`, not `{branch}`",
            where=str(top),
            hint=f"switch to it (git -C {top} switch {branch}) or set sync.branch: {current}",
        )
    return VaultRepo(top, state.git_dir, path_prefix(vault, top), branch, config.sync.remote, state_dir_for(config))
