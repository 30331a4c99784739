"""The publisher's entry point with every protection: `vaultsync publish` as one call.

The publication target is checked before anything is read or written; the vault lock is held from the scan to
the commit; a run with nothing changed since one that found nothing to do recalls that plan (the memo) instead
of planning again; files someone else changed are left alone unless `force`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from vaultsync.config import Config
from vaultsync.errors import VaultsyncError
from vaultsync.publishing.actions import PublishPlan
from vaultsync.publishing.apply import PublishResult
from vaultsync.store.catalog import Catalog
from vaultsync.store.state import State, vault_lock
from vaultsync.vault.scan import VaultScan


@dataclass(frozen=True)
class PublishRun:
    """What a publish planned and, unless a dry run, did. `config` is the one used (with `to` applied)."""

    config: Config
    plan: PublishPlan
    result: PublishResult | None
    error: VaultsyncError | None = None  # with several targets: this target's failure (the others went on)

    @property
    def target(self) -> str:
        return self.config.target

    @property
    def failed(self) -> bool:
        """A file refused, a plan error, or the target failed: something this run was asked to publish and
        could not."""
        return bool(self.error is not None or self.plan.errors or (self.result is not None and self.result.problems))


def publish_notes(
    config: Config,
    *,
    target: str | None = None,
    to: Path | None = None,
    init: bool = False,
    dry_run: bool = False,
    push: bool = False,
    message: str | None = None,
    force: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> PublishRun:
    """`vaultsync publish` to one target: copy the notes marked `publish: true` that it carries (and the
    attachments they use) into its publication repository `to` (default: its `repo`) and commit; push if `push`
    or its `push`. `target` names one of `targets:`; it may be left out when there is only one.

    `init` makes a folder that holds files a git repository; `force` overwrites files changed by someone else;
    `progress(done, total)` is called as files are written. Raises VaultsyncError when no repository is set or
    the target is refused, BusyError while another process holds the vault lock.
    """
    names = config.target_names()
    if target is None and len(names) > 1:
        raise VaultsyncError(
            "several publication targets",
            why=f"the config has {', '.join(names)}",
            hint="name one (publish_notes(config, target=NAME)), or publish them all with publish_targets",
        )
    (run,) = publish_targets(
        config,
        targets=(target,) if target is not None else (),
        to=to,
        init=init,
        dry_run=dry_run,
        push=push,
        message=message,
        force=force,
        progress=progress,
    )
    if run.error is not None:
        raise run.error
    return run


def publish_targets(
    config: Config,
    *,
    targets: Sequence[str] = (),
    to: Path | None = None,
    init: bool = False,
    dry_run: bool = False,
    push: bool = False,
    message: str | None = None,
    force: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[PublishRun, ...]:
    """`vaultsync publish [--target NAME]...`: `publish_notes` to each of `targets` (default: every target),
    in the config's order, under one vault lock and one scan of the vault.

    Every target is checked before anything is read or written. With one target its failure is raised, as
    `publish_notes` does; with several, a target that fails (a push refused, a busy repository) is reported
    in its run's `error` and the others go on.
    """
    from vaultsync.publishing.outputs import check_publish_target
    from vaultsync.store.catalog import load_catalog
    from vaultsync.vault.scan import scan_config_vault

    configs = [config.for_target(name) for name in chosen_targets(config, targets)]
    if to is not None:
        if len(configs) > 1:
            raise VaultsyncError(
                "--to names one repository, and there are several targets",
                why=f"the targets are {', '.join(c.target for c in configs)}",
                hint="choose one with --target NAME (its repository is then replaced by --to)",
            )
        configs = [configs[0].with_publish_repo(to)]
    for one in configs:
        if one.publish_repo is None:
            raise VaultsyncError(
                "no publication repository",
                why="neither --to nor publish.repo is set",
                hint="run `vaultsync publish --to DIR`, or set publish.repo in .vaultsync.yaml",
            )
        check_publish_target(one, init=init)  # before anything is read or written, a dry run too
    runs: list[PublishRun] = []
    with State.open(config) as state, vault_lock(config):
        scan = scan_config_vault(config)
        catalogs: list[Catalog] = []

        def catalog() -> Catalog:  # described once, and only if some target's memo misses (every target reads
            # the notes alike: `comments` is one setting for the vault)
            if not catalogs:
                catalogs.append(load_catalog(config, scan, state))
            return catalogs[0]

        for one in configs:
            try:
                runs.append(
                    _publish_one(
                        one,
                        state,
                        scan,
                        catalog,
                        init=init,
                        dry_run=dry_run,
                        push=push,
                        message=message,
                        force=force,
                        progress=progress,
                    )
                )
            except VaultsyncError as exc:
                if len(configs) == 1:
                    raise
                runs.append(PublishRun(one, _nothing(one), None, error=exc))
    return tuple(runs)


def chosen_targets(config: Config, targets: Sequence[str]) -> tuple[str, ...]:
    """The targets a run publishes: `targets` (each checked, duplicates dropped), else every target."""
    if not targets:
        return config.target_names()
    for name in targets:
        config.for_target(name)  # an unknown name is a ConfigError naming the targets there are
    return tuple(dict.fromkeys(targets))


def _nothing(config: Config) -> PublishPlan:
    from vaultsync.config import output_folder

    assert config.publish_repo is not None
    return PublishPlan(config.publish_repo, output_folder(config), None, target=config.target)


def _publish_one(
    config: Config,
    state: State,
    scan: VaultScan,
    catalog: Callable[[], Catalog],
    *,
    init: bool,
    dry_run: bool,
    push: bool,
    message: str | None,
    force: bool,
    progress: Callable[[int, int], None] | None,
) -> PublishRun:
    from vaultsync.publishing.apply import apply_publish
    from vaultsync.publishing.catchup import publish_until_pushed
    from vaultsync.publishing.memo import recall, remember
    from vaultsync.publishing.plan import plan_publish

    # Nothing changed since the last run found nothing to do: that plan again, at the cost of the scan.
    # (`force` plans afresh: the recalled plan left refused files alone.)
    plan = (None if force else recall(config, state, scan)) or plan_publish(
        config, state=state, scan=scan, catalog=catalog(), force=force
    )
    remember(config, state, scan, plan)
    if dry_run:
        return PublishRun(config, plan, None)
    push = push or config.publish.push
    plans = iter([plan])  # the first attempt applies the plan above; a retry plans on the remote's tip

    def plan_once() -> PublishPlan:
        return next(plans, None) or plan_publish(config, state=state, scan=scan, catalog=catalog(), force=force)

    def apply_once(planned: PublishPlan) -> PublishResult:
        return apply_publish(config, planned, message=message, push=push, progress=progress, state=state, init=init)

    plan, result = publish_until_pushed(config, plan_once, apply_once, push=push)
    return PublishRun(config, plan, result)
