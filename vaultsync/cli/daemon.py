"""The triggers' commands: `watch` (the daemon) and `hook install | uninstall | run`."""

from __future__ import annotations

import logging
from pathlib import Path

import click

from vaultsync.cli.options import Context, pass_context, vault_options
from vaultsync.cli.render import log_problems

log = logging.getLogger("vaultsync")


@click.command()
@click.option("--publish", "auto_publish", is_flag=True, help="Also publish after a quiet period (watch.publish).")
@click.option(
    "--sync",
    "auto_sync",
    is_flag=True,
    help="Also commit, pull and push the vault's own git repository after each quiet period (watch.sync, "
    "sync.quiet); with --publish, publish after each sync.",
)
@vault_options
@pass_context
def watch(ctx: Context, auto_publish: bool, auto_sync: bool) -> None:
    """Run the daemon in the foreground: stamp each real edit after it settles.

    Reconciles what changed while it was stopped before it says "ready"; pauses while the vault's git is busy
    or a commit hook runs; rescans periodically; keeps a status file that `vaultsync status` reads.
    SIGTERM or Ctrl-C finish the write in flight and exit 0. One daemon per vault. An edited config file is
    applied without a restart (an invalid edit is logged and the config in use kept).
    """
    from vaultsync.commands.watch import watch_vault

    raise SystemExit(watch_vault(ctx.config, config_file=ctx.config_file, publish=auto_publish, sync=auto_sync))


@click.group()
def hook() -> None:
    """The git pre-commit hook of the vault's repository: every commit carries stamped versions."""


@hook.command("install")
@vault_options
@pass_context
def hook_install(ctx: Context) -> None:
    """Install the pre-commit hook and the merge driver for notes (an existing hook is kept and run first;
    idempotent).

    Honours core.hooksPath (husky) and worktrees. The script calls this Python interpreter directly, falling
    back to `vaultsync` on PATH, so GUI git clients with a minimal PATH work too.
    """
    from vaultsync.git.merge_setup import attributes_file
    from vaultsync.hook.install import install_hook, locate_hook

    outcome = install_hook(ctx.config)
    paths = locate_hook(ctx.config)
    log.info("%s: %s", outcome, paths.hook)
    log.info(
        "merge driver for notes: merge.vaultsync in the repository's config, *.md in %s", attributes_file(paths.repo)
    )


@hook.command("uninstall")
@vault_options
@pass_context
def hook_uninstall(ctx: Context) -> None:
    """Remove vaultsync's pre-commit hook and put back the one that was there before."""
    from vaultsync.hook.install import locate_hook, uninstall_hook

    outcome = uninstall_hook(ctx.config)
    log.info("%s: %s", outcome, locate_hook(ctx.config).hook)


@hook.command("run")
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
@vault_options
@pass_context
def hook_run(ctx: Context, files: tuple[Path, ...]) -> None:
    """Stamp the notes of the commit being made (what the installed script calls).

    Without FILES: stamps the staged blobs and updates the index, then the working files where safe.
    With FILES (the pre-commit framework passes them): stamps those working files only; the framework then
    reports them as modified, and after `git add -u` the next commit passes.
    """
    from vaultsync.hook.run import commit_blocked, run_commit_hook

    # The hook is opted into for this repository (`hook install`, or the pre-commit framework's config): a
    # worktree or clone where `.obsidian/` is not committed is still the vault.
    ctx.require_vault = False
    config = ctx.config
    result = run_commit_hook(config, files=[str(f) for f in files] if files else None)
    if result.skipped_reason:
        log.info("vaultsync hook: nothing stamped (%s)", result.skipped_reason)
    for stamp in result.stamped:
        log.info("vaultsync: stamped %s", stamp.describe())
    for notice in result.notices:
        log.warning("%s", notice)
    log_problems(result.problems)
    blocked = commit_blocked(config, result)
    if blocked is not None:
        raise blocked


@click.command("merge-file")
@click.option(
    "--vault-in-repo",
    default=".",
    show_default=True,
    help="The vault's folder, relative to the top of the repository (what `hook install` writes).",
)
@click.argument("base", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.argument("ours", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.argument("theirs", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.argument("path")
@click.argument("marker_size", type=int, default=7, required=False)
def merge_file(vault_in_repo: str, base: Path, ours: Path, theirs: Path, path: str, marker_size: int) -> None:
    """git's merge driver for notes: `vaultsync merge-file %O %A %B %P %L`.

    Merges the body and the other frontmatter lines as `git merge-file` does (a real conflict keeps its markers
    and exits 1) and settles the managed lines itself: the higher version, bumped once more when both sides
    revised the body; the later `date_modified`. The result is written to OURS (%A). `hook install` sets it
    up; to use only the driver, see docs/teams.md.
    """
    from vaultsync.hook.merge_driver import DriverCall, run_merge_driver

    call = DriverCall(base, ours, theirs, path, marker_size=marker_size, vault_in_repo=vault_in_repo)
    raise SystemExit(run_merge_driver(call))
