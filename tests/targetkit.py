"""A vault with publication targets (issue 16), driven through the real command line: its config, its site
repositories beside it, and the facts the acceptance tests assert about what each target received.

Every publish through `TargetKit.publish` also proves the vault byte-for-byte unchanged: a target only ever
changes copies, never the notes they come from.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote

import pytest
import yaml
from conftest import GitRunner, VaultBuilder

from vaultsync.cli.main import run
from vaultsync.publishing.manifest import MANIFEST_NAME

# Written into every private note (each with its own suffix): none of it may reach any site's files or history.
CANARY = "CANARY-q7Zx"


@dataclass(frozen=True)
class Ran:
    """One command line run: its exit code and what it printed."""

    code: int
    out: str
    err: str


class TargetKit:
    """The vault at `tmp/vault`, its `.vaultsync.yaml`, site repositories at `tmp/<name>` (`../<name>` from the
    vault), and the command line run in this process."""

    def __init__(self, tmp: Path, git: GitRunner, capsys: pytest.CaptureFixture[str]) -> None:
        self.tmp = tmp
        self.vault = VaultBuilder(tmp / "vault")
        self.git = git
        self.capsys = capsys

    def site(self, name: str) -> Path:
        return self.tmp / name

    def configure(self, data: dict[str, Any]) -> None:
        self.vault.write(".vaultsync.yaml", yaml.safe_dump(data, sort_keys=False, allow_unicode=True))

    def cli(self, *args: str) -> Ran:
        self.capsys.readouterr()
        code = run(["--vault", str(self.vault.root), *args])
        captured = self.capsys.readouterr()
        return Ran(code, captured.out, captured.err)

    def publish(self, *args: str) -> Ran:
        """`vaultsync publish ARGS`, with the proof that the vault did not change by one byte."""
        before = self.vault_hashes()
        ran = self.cli("publish", *args)
        assert self.vault_hashes() == before, "publishing changed the vault"
        return ran

    def publish_ok(self, *args: str) -> Ran:
        ran = self.publish(*args)
        assert ran.code == 0, f"publish exited {ran.code}:\n{ran.out}\n{ran.err}"
        return ran

    def vault_hashes(self) -> dict[str, str]:
        """sha256 of every file in the vault (its config and `.obsidian/` included)."""
        root = self.vault.root
        return {
            p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*"))
            if p.is_file()
        }

    # -- what a site repository holds ---------------------------------------------------------------------

    def head(self, repo: Path) -> str | None:
        if not (repo / ".git").exists():
            return None
        out = self.git(repo, "rev-parse", "--verify", "-q", "HEAD", check=False).strip()
        return out or None

    def commits(self, repo: Path) -> int:
        return int(self.git(repo, "rev-list", "--count", "HEAD").strip()) if self.head(repo) else 0

    def tree(self, repo: Path) -> set[str]:
        """Every file at HEAD."""
        return set(self.git(repo, "ls-tree", "-r", "--name-only", "-z", "HEAD").split("\0")) - {""}

    def notes(self, repo: Path, folder: str = "") -> set[str]:
        """The published notes at HEAD under `folder`, as paths relative to it (the manifest left out)."""
        prefix = f"{folder.strip('/')}/" if folder.strip("/") else ""
        return {
            path[len(prefix) :]
            for path in self.tree(repo)
            if path.startswith(prefix) and path.endswith(".md") and MANIFEST_NAME not in path.split("/")
        }

    def copy(self, repo: Path, path: str) -> bytes:
        """A file's exact bytes as committed at HEAD."""
        return _git_bytes(repo, "show", f"HEAD:{path}")

    def changed_by_last_commit(self, repo: Path) -> set[str]:
        return set(self.git(repo, "diff", "--name-only", "-z", "HEAD~1", "HEAD").split("\0")) - {""}

    def history(self, repo: Path) -> str:
        """Every commit of every ref, messages and patches (binary files as full text, not `Binary files differ`)."""
        raw = _git_bytes(repo, "log", "-p", "--all", "--text", "--format=%H%n%an <%ae>%n%B")
        return raw.decode("utf-8", "replace")


def _git_bytes(repo: Path, *args: str) -> bytes:
    """git's stdout as bytes (the `git` fixture decodes text, turning CRLF into LF)."""
    done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, env=os.environ.copy())
    assert done.returncode == 0, f"git {' '.join(args)} failed: {done.stderr.decode(errors='replace')}"
    return done.stdout


def is_manifest(path: str) -> bool:
    return MANIFEST_NAME in path.split("/") or path.endswith(".vaultsync-manifest.json")


# A Markdown link or image: `[text](destination)` / `![alt](destination)`; destinations in `<…>` may hold spaces.
_MD_LINK = re.compile(rb"(!?)\[((?:[^\]\\]|\\.)*)\]\(\s*(<[^>\n]*>|[^)\s]*)(?:\s+\"[^\"]*\")?\s*\)")
_FENCE = re.compile(rb"^(```|~~~)[^\n]*\n.*?^\1[ \t]*$", re.M | re.S)
_CODE_SPAN = re.compile(rb"`[^`\n]+`")


@dataclass(frozen=True)
class MdLink:
    image: bool
    text: str
    destination: str  # as written, `<>` removed


def markdown_links(copy: bytes) -> list[MdLink]:
    """The Markdown links and images of a published copy outside code."""
    body = _CODE_SPAN.sub(b"", _FENCE.sub(b"", copy))
    links = []
    for match in _MD_LINK.finditer(body):
        dest = match.group(3).decode()
        if dest.startswith("<") and dest.endswith(">"):
            dest = dest[1:-1]
        links.append(MdLink(bool(match.group(1)), match.group(2).decode(), dest))
    return links


def is_external(destination: str) -> bool:
    return bool(re.match(r"[A-Za-z][A-Za-z0-9+.-]*:", destination))


def resolve_in_repo(copy_path: str, destination: str) -> str:
    """The repository path a relative link of the copy at `copy_path` points at (anchor and query dropped,
    percent-encoding undone); `#anchor` alone is the copy itself."""
    target = unquote(destination.split("#", 1)[0].split("?", 1)[0])
    if not target:
        return copy_path
    parts: list[str] = []
    for part in (*PurePosixPath(copy_path).parent.parts, *PurePosixPath(target).parts):
        if part == "..":
            assert parts, f"{destination!r} in {copy_path} leaves the repository"
            parts.pop()
        elif part not in (".", ""):
            parts.append(part)
    return "/".join(parts)


def dangling_links(kit: TargetKit, repo: Path) -> list[tuple[str, str]]:
    """(copy, destination) of every non-external Markdown link in every published copy of `repo` whose file is
    not in the repository at HEAD. A link to a site URL (`/…`) counts as dangling: `links: markdown` writes
    links between files."""
    tree = kit.tree(repo)
    bad = []
    for path in sorted(tree):
        if not path.endswith(".md") or is_manifest(path):
            continue
        for link in markdown_links(kit.copy(repo, path)):
            if is_external(link.destination):
                continue
            if link.destination.startswith("/") or resolve_in_repo(path, link.destination) not in tree:
                bad.append((path, link.destination))
    return bad


def frontmatter_lines(raw: bytes) -> list[bytes]:
    """The lines between a note's `---` fences (endings kept); the BOM is not part of the first line."""
    lines = raw.removeprefix(b"\xef\xbb\xbf").splitlines(keepends=True)
    assert lines and lines[0].rstrip(b"\r\n") == b"---", raw[:40]
    end = next(i for i in range(1, len(lines)) if lines[i].rstrip(b"\r\n") == b"---")
    return lines[1:end]


def body_of(raw: bytes) -> bytes:
    """What follows a note's frontmatter."""
    lines = raw.removeprefix(b"\xef\xbb\xbf").splitlines(keepends=True)
    end = next(i for i in range(1, len(lines)) if lines[i].rstrip(b"\r\n") == b"---")
    return b"".join(lines[end + 1 :])
