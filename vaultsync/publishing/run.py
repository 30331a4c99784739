"""The publisher's entry point with every protection: `vaultsync publish` as one call.

The publication target is checked before anything is read or written; the vault lock is held from the scan to
the commit; a run with nothing changed since one that found nothing to do recalls that plan (the memo) instead
of planning again; files someone else changed are left alone unless `force`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from vaultsync.config import Config
from vaultsync.errors import VaultsyncError
from vaultsync.publishing.actions import PublishPlan
from vaultsync.publishing.apply import PublishResult
from vaultsync.store.state import State, vault_lock


@dataclass(frozen=True)
class PublishRun:
    """What a publish planned and, unless a dry run, did. `config` is the one used (with `to` applied)."""

    config: Config
    plan: PublishPlan
    result: PublishResult | None

    @property
    def failed(self) -> bool:
        """A file refused, or a plan error: something this run was asked to publish and could not."""
        return bool(self.plan.errors or (self.result is not None and self.result.problems))


def publish_notes(
    config: Config,
    *,
    to: Path | None = None,
    init: bool = False,
    dry_run: bool = False,
    push: bool = False,
    message: str | None = None,
    force: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> PublishRun:
    """`vaultsync publish`: copy the notes marked `publish: true` (and the attachments they use) into the
    publication repository `to` (default `publish.repo`) and commit; push if `push` or `publish.push`.

    `init` makes a folder that holds files a git repository; `force` overwrites files changed by someone else;
    `progress(done, total)` is called as files are written. Raises VaultsyncError when no repository is set or
    the target is refused, BusyError while another process holds the vault lock.
    """
    from vaultsync.publishing.apply import apply_publish
    from vaultsync.publishing.catchup import publish_until_pushed
    from vaultsync.publishing.memo import recall, remember
    from vaultsync.publishing.outputs import check_publish_target
    from vaultsync.publishing.plan import plan_publish
    from vaultsync.vault.scan import scan_config_vault

    if to is not None:
        config = config.with_publish_repo(to)
    if config.publish_repo is None:
        raise VaultsyncError(
            "no publication repository",
            why="neither --to nor publish.repo is set",
            hint="run `vaultsync publish --to DIR`, or set publish.repo in .vaultsync.yaml",
        )
    check_publish_target(config, init=init)  # before anything is read or written, a dry run too
    with State.open(config) as state, vault_lock(config):
        scan = scan_config_vault(config)
        # Nothing changed since the last run found nothing to do: that plan again, at the cost of the scan.
        # (`force` plans afresh: the recalled plan left refused files alone.)
        plan = (None if force else recall(config, state, scan)) or plan_publish(
            config, state=state, scan=scan, force=force
        )
        remember(config, state, scan, plan)
        if dry_run:
            return PublishRun(config, plan, None)
        push = push or config.publish.push
        plans = iter([plan])  # the first attempt applies the plan above; a retry plans on the remote's tip

        def plan_once() -> PublishPlan:
            return next(plans, None) or plan_publish(config, state=state, scan=scan, force=force)

        def apply_once(planned: PublishPlan) -> PublishResult:
            return apply_publish(config, planned, message=message, push=push, progress=progress, state=state, init=init)

        plan, result = publish_until_pushed(config, plan_once, apply_once, push=push)
    return PublishRun(config, plan, result)
