"""Which machine this is, for `stamping.machine`: the one machine of a file-synced vault that stamps."""

from __future__ import annotations

import os
import socket

MACHINE_ENV = "VAULTSYNC_MACHINE"


def this_machine() -> str:
    """This machine's name: `VAULTSYNC_MACHINE` if set, else the host name up to its first dot."""
    named = os.environ.get(MACHINE_ENV, "").strip()
    if named:
        return named
    return socket.gethostname().split(".", 1)[0]


def same_machine(a: str, b: str) -> bool:
    # Host names are case-insensitive (DNS), and a laptop shows as `Laptop` in one place and `laptop` in another.
    return a.strip().casefold() == b.strip().casefold()
