"""Build vaults in tmp_path for tests: real files with exact bytes, no mocks."""

from __future__ import annotations

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
