"""The floor of a first scan in plain Python: read every note and `yaml.safe_load` its frontmatter, nothing else.

    python -m bench.floor VAULT

Run as a subprocess, like the CLI it is compared with, so both pay interpreter start-up. Uses PyYAML's C
loader when it is built with libyaml (as vaultsync does), and prints which one it used.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import yaml

_FENCE = re.compile(rb"\A---[ \t]*\r?\n(.*?)^---[ \t]*\r?$", re.DOTALL | re.MULTILINE)
LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_and_parse(vault: Path) -> tuple[int, int, int]:
    """Notes read, frontmatter blocks parsed, blocks that were not valid YAML."""
    notes = parsed = invalid = 0
    for folder, dirs, files in os.walk(vault):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in files:
            if not name.endswith(".md") or name.startswith("."):
                continue
            with open(os.path.join(folder, name), "rb") as handle:
                raw = handle.read()
            notes += 1
            match = _FENCE.match(raw)
            if match is None:
                continue
            try:
                yaml.load(match.group(1).decode("utf-8"), Loader=LOADER)
                parsed += 1
            except (yaml.YAMLError, UnicodeDecodeError):
                invalid += 1
    return notes, parsed, invalid


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    notes, parsed, invalid = read_and_parse(Path(args[0]))
    print(f"{notes} notes read, {parsed} frontmatter blocks parsed, {invalid} invalid, loader {LOADER.__name__}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
