"""Build vaults in tmp_path for tests: real files with exact bytes, no mocks; the sample note most tests share,
and the environment of the vaultsync processes a test starts."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_VAULT = REPO_ROOT / "examples" / "vault"
EXAMPLE_CONFIG = REPO_ROOT / "config.example.yaml"


def write_note(root: Path, relpath: str, content: str | bytes) -> Path:
    """Write `content` at `root/relpath` exactly (str is UTF-8, newlines untouched), creating folders."""
    path = root / relpath
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def with_frontmatter(fields: str, body: str = "Body text.\n") -> str:
    """A note whose frontmatter block holds `fields` (YAML lines, each ending in a newline)."""
    return f"---\n{fields}---\n{body}"


def sample_note(version: str | None = "0.0.0.1", body: str = "Body.\n") -> str:
    """A plain managed note: a title, its version (none when None) and a date vaultsync stamps forward."""
    line = f"at_semantic_version: {version}\n" if version is not None else ""
    return f"---\ntitle: T\n{line}date_modified: 2025-01-01\n---\n{body}"


def version_of(path: Path) -> str | None:
    """The `at_semantic_version` a note on disk holds, as written (None without one)."""
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("at_semantic_version:"):
            return line.split(":", 1)[1].strip()
    return None


def vaultsync_env(fault: str | None = None) -> dict[str, str]:
    """This process's environment (the tests' hermetic git and state folder, see conftest), this checkout on the
    path, no `CI`, and `VAULTSYNC_FAULT` set to `fault` (or removed): for `python -m vaultsync` subprocesses."""
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "VAULTSYNC_FAULT")}
    env["PYTHONPATH"] = os.pathsep.join([str(REPO_ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    if fault is not None:
        env["VAULTSYNC_FAULT"] = fault
    return env
