"""`status`: what `stamp` would do, what `check` would say, the publish plan in brief, and the daemon's state."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from vaultsync.config import Config
from vaultsync.errors import VaultsyncError

if TYPE_CHECKING:
    from vaultsync.store.catalog import Catalog
    from vaultsync.store.state import State
    from vaultsync.vault.scan import VaultScan


def collect_status(config: Config, *, now: datetime | None = None) -> dict[str, Any]:
    """Everything `status` shows, as plain data (the `--json` output), as of `now` (default: this instant in the
    vault's time zone, as a stamp would write it). Writes nothing to the vault."""
    from vaultsync.check import check_catalog
    from vaultsync.daemon.status_file import read_daemon_status
    from vaultsync.stamping.plan import plan_vault_stamps
    from vaultsync.stamping.run import now_for
    from vaultsync.store.catalog import load_catalog
    from vaultsync.store.state import State
    from vaultsync.syncing.status import sync_status
    from vaultsync.vault.scan import conflict_list, scan_config_vault

    if now is None:
        now = now_for(config)
    with State.open(config) as state:
        scan = scan_config_vault(config)
        catalog = load_catalog(config, scan, state)
        plan = plan_vault_stamps(config, state, now=now, catalog=catalog)
        report = check_catalog(config, scan, catalog)
        targets = [_target_status(t, state, scan, catalog) for t in map(config.for_target, config.target_names())]
        initialized = state.initialized
    return {
        "vault": str(config.vault),
        "notes": len(scan.notes),
        "attachments": len(scan.attachments),
        "initialized": initialized,
        "stamping": stamping_status(config),
        "would_stamp": [s.as_dict() for s in plan.stamps],
        "would_adopt": len(plan.adopt),
        # What `stamp` would skip, with the reason (a hard-linked note, a malformed version): never "would stamp".
        "would_skip": [p.as_dict() for p in plan.problems],
        "problems": [p.as_dict() for p in report.problems],
        "conflict_copies": conflict_list(scan),
        # One target: its plan in brief. With `targets:`, {"configured": true, "targets": [one per target]}.
        "publish": targets[0] if not config.targets else {"configured": True, "targets": targets},
        "daemon": read_daemon_status(config, now=now),
        # The vault's own repository (docs/sync.md); None where it was never synced and watch.sync is off.
        "sync": sync_status(config),
    }


def _target_status(config: Config, state: State, scan: VaultScan, catalog: Catalog) -> dict[str, Any]:
    """One target's publish plan in brief (`config` is set to that target)."""
    from vaultsync.publishing.memo import recall
    from vaultsync.publishing.plan import plan_publish

    named = {"target": config.target} if config.targets else {}
    if config.publish_repo is None:
        return {**named, "configured": False}
    try:
        # Unchanged since a publish found nothing to do: that plan (status records nothing itself).
        same = (
            catalog if config.publish.comments == config.for_target(config.target_names()[0]).publish.comments else None
        )
        plan = recall(config, state, scan) or plan_publish(config, state=state, scan=scan, catalog=same)
    except VaultsyncError as exc:
        return {**named, "configured": True, "repo": str(config.publish_repo), "error": str(exc)}
    return {
        **named,
        "configured": True,
        "repo": str(config.publish_repo),
        "folder": plan.folder,
        "summary": plan.summary(),
        "errors": len(plan.errors),
        "warnings": len(plan.warnings),
    }


def stamping_status(config: Config) -> dict[str, Any]:
    """Which machine stamps (`stamping.machine`), and whether this one does."""
    from vaultsync.config.machine import this_machine

    machine, here = config.stamping.machine, config.stamping.here()
    if machine is None or not machine.strip():
        summary = "every machine (stamping.machine is not set)"
    elif here:
        summary = f"this machine ({this_machine()}) stamps; the others watch and publish only"
    else:
        summary = f"by {machine} only; this machine ({this_machine()}) watches and publishes"
    return {"machine": machine or None, "this_machine": this_machine(), "stamps_here": here, "summary": summary}


def format_status(report: dict[str, Any]) -> list[str]:
    lines = [f"vault: {report['vault']} ({report['notes']} notes, {report['attachments']} attachments)"]
    if not report["initialized"]:
        lines.append("state: new (the first `stamp` or `init` adopts every note as it is; nothing is bumped)")
    stamping = report["stamping"]
    if stamping["machine"] is not None:
        lines.append(f"stamping: {stamping['summary']}")
    stamps = report["would_stamp"]
    lines.append(f"changed since baseline: {len(stamps)} note(s) would be stamped")
    for s in stamps:
        v, d = s["version"], s["date_modified"]
        lines.append(f"  {s['path']}: {v['old'] or '(none)'} -> {v['new']}, date {d['new']} ({s['reason']})")
    for p in report.get("would_skip", ()):
        lines.append(f"  skipped: {p['path']}: {p['message']}")
    problems = report["problems"]
    if problems:
        files = len({p["path"] for p in problems})
        lines.append(f"problems: {len(problems)} in {files} file(s) (run `vaultsync check` for details)")
    else:
        lines.append("problems: none")
    for copy in report["conflict_copies"]:
        belongs = copy["belongs_to"] or "(original not found)"
        lines.append(f"  conflict copy (never stamped or published): {copy['path']} -> {belongs}")
    publish = report["publish"]
    for target in publish.get("targets", [publish]):
        name = f"publish to {target['target']}" if "target" in target else "publish"
        if not target["configured"]:
            lines.append(f"{name}: no publication repo configured (publish --to DIR, or publish.repo)")
        elif "error" in target:
            lines.append(f"{name}: {target['error']}")
        else:
            folder = f" (folder {target['folder']})" if target.get("folder") else ""
            lines.append(f"{name}: {target['repo']}{folder}: {target['summary']}")
    lines += _sync_lines(report.get("sync"))
    daemon = report["daemon"]
    lines.append(f"daemon: {daemon['state']}" + (f" ({daemon['detail']})" if daemon.get("detail") else ""))
    return lines


def _sync_lines(sync: dict[str, Any] | None) -> list[str]:
    if sync is None:
        return []
    if sync["last_at"] is None:
        last = "never synced"
    else:
        when = datetime.fromtimestamp(sync["last_at"]).astimezone().isoformat(timespec="seconds")
        pushed = "up to date with the remote" if sync["last_pushed"] else "not pushed"
        last = f"last synced {when} ({sync['last_commit'][:12] if sync['last_commit'] else 'no commit'}, {pushed})"
    lines = [f"sync: {last}; {len(sync['to_commit'])} file(s) to commit at the next sync"]
    if sync.get("problem"):
        lines.append(f"  {sync['problem']}")
    if sync["error"]:
        lines.append(f"  the last sync stopped: {sync['error']}")
    conflict = sync["conflict"]
    if conflict is not None:
        lines.append(
            f"  conflict with the remote's {conflict['remote'][:12]} in: {', '.join(conflict['paths']) or '(see git)'}"
        )
        lines.append(
            "  to finish by hand: git pull --rebase --autostash, keep the text you want in each note, `git add` it, "
            "`git rebase --continue`; the next sync pushes"
        )
    for left in sync["left"]:
        lines.append(f"  left out: {left['path']} ({left['why']})")
    return lines
