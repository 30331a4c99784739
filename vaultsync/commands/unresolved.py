"""What does not resolve in each target's copies (links to private, missing or not carried notes, embeds whose
heading or block is gone, copies a frontmatter operation refuses), for `check` with `targets:` in the config.

The same lines are the warnings of `publish --dry-run`; `check` gathers them per target so that a writer sees
what each site will show as plain text before publishing. It plans each target (reading its repository, never
writing it) and so costs a publish plan per target: only configs with `targets:` pay it.
"""

from __future__ import annotations

from typing import Any

from vaultsync.config import Config
from vaultsync.errors import (
    COPY_REFUSED,
    EMBED_UNRESOLVED,
    LINK_NOT_IN_TARGET,
    LINK_TO_MISSING,
    LINK_TO_PRIVATE,
    UNKNOWN_TARGET,
    UNREADABLE,
    VaultsyncError,
)

UNRESOLVED_KINDS = frozenset(
    {LINK_TO_PRIVATE, LINK_TO_MISSING, LINK_NOT_IN_TARGET, EMBED_UNRESOLVED, COPY_REFUSED, UNKNOWN_TARGET, UNREADABLE}
)


def unresolved_by_target(config: Config) -> list[dict[str, Any]]:
    """One entry per target: `{"target", "unresolved": [problem, ...]}` or `{"target", "error"}`."""
    from vaultsync.publishing.plan import plan_publish
    from vaultsync.store.state import State
    from vaultsync.vault.scan import scan_config_vault

    found: list[dict[str, Any]] = []
    with State.open(config) as state:
        scan = scan_config_vault(config)
        for name in config.target_names():
            try:
                plan = plan_publish(config.for_target(name), state=state, scan=scan)
            except VaultsyncError as exc:
                found.append({"target": name, "error": str(exc)})
                continue
            problems = [p for p in (*plan.warnings, *plan.errors) if p.kind in UNRESOLVED_KINDS]
            found.append({"target": name, "unresolved": [p.as_dict() for p in problems]})
    return found
