"""The daemon's status file (outside the vault): heartbeat, state, recent actions, errors, degraded reasons."""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path
from typing import Any

from vaultsync.config import Config
from vaultsync.locks import process_alive

HEARTBEAT_SECONDS = 5.0
STALE_AFTER = 4 * HEARTBEAT_SECONDS


def status_file(config: Config) -> Path:
    from vaultsync.store.state import state_dir_for

    return state_dir_for(config) / "daemon.json"


def write_daemon_status(path: Path, data: dict[str, Any]) -> None:
    """Atomic replace, so `status` never reads half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temp.write_text(json.dumps(data, indent=1, default=str), encoding="utf-8")
    os.replace(temp, path)


def read_daemon_status(config: Config, *, now: datetime) -> dict[str, Any]:
    """`state` is one of: not running, running, degraded, stale (alive but no heartbeat: stopped or hung)."""
    path = status_file(config)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {"state": "not running"}
    pid = int(data.get("pid", 0))
    if not pid or not process_alive(pid) or data.get("state") == "stopped":
        return {"state": "not running", "last": data}
    raw_age = now.timestamp() - float(data.get("heartbeat", 0))
    age = max(0.0, raw_age)  # a heartbeat "in the future" is clock skew (the clock was set back), not a negative age
    out: dict[str, Any] = {"state": data.get("state", "running"), "pid": pid, "heartbeat_age": round(age, 1)}
    out.update({k: data[k] for k in ("degraded", "errors", "recent", "started", "waiting") if k in data})
    if age > STALE_AFTER:
        out["state"] = "stale"
        out["detail"] = f"no heartbeat for {age:.0f} s: the daemon (pid {pid}) is stopped or hung"
    elif out["state"] == "degraded":
        out["detail"] = "; ".join(str(r) for r in data.get("degraded", []))
    elif out["state"] == "waiting" and data.get("waiting"):
        waiting = data["waiting"]
        if isinstance(waiting, dict):
            reason, hint = waiting.get("reason", ""), waiting.get("hint")
            out["detail"] = f"{reason} (hint: {hint})" if hint else str(reason)
        else:
            out["detail"] = str(waiting)
    elif raw_age < -1.0:
        out["detail"] = f"pid {pid}, heartbeat {-raw_age:.0f} s in the future (the clock was set back?)"
    else:
        out["detail"] = f"pid {pid}, heartbeat {age:.0f} s ago"
    return out
