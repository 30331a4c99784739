"""After a rejected push: move the publication branch to the remote's tip when everything it would leave
behind is vaultsync's own derived commits, so that the next plan is made on top of what the site holds.

The publication repository is derived data: vaultsync's commits ahead of the remote are re-made from the vault
by the next plan, so dropping them loses nothing. A commit someone else made is never dropped nor rebased:
the catch-up stops with an error instead.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from vaultsync.config import Config
from vaultsync.errors import GitError, PushRejectedError
from vaultsync.git.run import decode, run_git

if TYPE_CHECKING:  # apply imports this module's trailer
    from vaultsync.publishing.actions import PublishPlan
    from vaultsync.publishing.apply import PublishResult

PUBLISHED_BY = "Published-by: vaultsync"


def catch_up(repo: Path, remote: str, branch: str) -> str:
    """Fetch `remote`'s `branch` and reset the local branch onto it (`git reset --keep`: uncommitted changes
    elsewhere stay). Returns the new HEAD. Raises GitError when a local commit ahead is not vaultsync's."""
    tracking = f"refs/remotes/{remote}/{branch}"
    fetched = run_git(repo, "fetch", "-q", remote, f"+refs/heads/{branch}:{tracking}", check=False)
    if fetched.returncode != 0:
        raise GitError(
            f"cannot fetch `{branch}` from `{remote}`",
            where=str(repo),
            why=decode(fetched.stderr),
            hint="check the remote's URL and your access to it; the local commit is kept",
        )
    tip = decode(run_git(repo, "rev-parse", "--verify", f"{tracking}^{{commit}}").stdout)
    log = run_git(repo, "log", "-z", "--format=%H%n%B", "HEAD", "--not", tip)
    theirs = []
    for record in filter(None, log.stdout.decode("utf-8", "replace").split("\0")):
        commit, _, body = record.strip("\n").partition("\n")
        if PUBLISHED_BY not in body.splitlines():
            theirs.append(commit)
    if theirs:
        raise GitError(
            f"the publication branch has {len(theirs)} commits not made by vaultsync that `{remote}` lacks",
            where=str(repo),
            why=f"{theirs[0][:12]} is ahead of {remote}/{branch} ({tip[:12]}), and the push was rejected",
            hint=f"merge or rebase them onto {remote}/{branch} yourself (vaultsync never rewrites your commits), "
            "then publish again",
        )
    # vaultsync writes its files and commits without git re-reading them: the index's stat data is stale.
    run_git(repo, "update-index", "-q", "--refresh", check=False)
    reset = run_git(repo, "reset", "-q", "--keep", tip, check=False)
    if reset.returncode != 0:
        raise GitError(
            f"cannot move the publication branch to {remote}/{branch}",
            where=str(repo),
            why=decode(reset.stderr),
            hint="commit or discard the uncommitted changes in the publication repository, then publish again",
        )
    return tip


RETRIES = 3


def publish_until_pushed(
    config: Config,
    plan_once: Callable[[], PublishPlan],
    apply_once: Callable[[PublishPlan], PublishResult],
    *,
    push: bool,
) -> tuple[PublishPlan, PublishResult]:
    """Plan and apply; when the push is rejected (someone else published first), catch up with the remote's
    tip and plan again on top of it (so the rollback guard sees the remote's manifest), up to RETRIES times."""
    for attempt in range(RETRIES + 1):
        plan = plan_once()
        try:
            return plan, apply_once(plan)
        except PushRejectedError:
            if not push or attempt == RETRIES:
                raise
            catch_up(plan.repo, config.publish.remote, config.publish.branch)
    raise AssertionError("unreachable")  # the loop returns or raises
