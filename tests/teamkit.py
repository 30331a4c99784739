"""A team around one vault: a bare origin and clones, each with its own vaultsync state and hook, driven by
real `git` commands (every commit runs the installed hook, every merge the installed driver)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

SEED = """---
title: Field Notes
tags: [garden]
at_semantic_version: 0.0.0.1
date_modified: 2025-01-01
---
# Field Notes

Paragraph one.

filler a
filler b
filler c
filler d
filler e
filler f

Paragraph two.

filler g
filler h
filler i
filler j

Paragraph three.
"""

_VERSION = re.compile(r"^at_semantic_version: (.*)$", re.MULTILINE)
_DATE = re.compile(r"^date_modified: (.*)$", re.MULTILINE)


def version_of(text: str) -> str:
    found = _VERSION.search(text)
    assert found is not None, text
    return found.group(1).strip().strip('"')


def date_of(text: str) -> str:
    found = _DATE.search(text)
    assert found is not None, text
    return found.group(1).strip()


def version_key(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in version.split("."))


def body_of(text: str) -> str:
    return text.split("\n---\n", 1)[1]


@dataclass
class Clone:
    name: str
    top: Path

    def git(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        env = {
            **os.environ,
            "GIT_AUTHOR_NAME": self.name,
            "GIT_AUTHOR_EMAIL": f"{self.name}@example.test",
            "GIT_COMMITTER_NAME": self.name,
            "GIT_COMMITTER_EMAIL": f"{self.name}@example.test",
            "GIT_EDITOR": "true",
        }
        done = subprocess.run(["git", *args], cwd=self.top, capture_output=True, text=True, env=env)
        if check and done.returncode != 0:
            raise AssertionError(f"{self.name}: git {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
        return done

    def vaultsync(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "vaultsync", "--vault", str(self.top), *args],
            cwd=self.top,
            capture_output=True,
            text=True,
        )

    def read(self, rel: str = "note.md") -> str:
        return (self.top / rel).read_bytes().decode()

    def write(self, text: str, rel: str = "note.md") -> None:
        (self.top / rel).write_bytes(text.encode())

    def edit(self, old: str, new: str, rel: str = "note.md") -> None:
        text = self.read(rel)
        assert old in text, (old, text)
        self.write(text.replace(old, new, 1), rel)

    def commit(self, message: str = "edit", *extra: str) -> None:
        self.git("commit", "-q", "-a", "-m", message, *extra)

    def committed(self, rev: str = "HEAD", rel: str = "note.md") -> str:
        return self.git("show", f"{rev}:{rel}").stdout

    def status(self) -> str:
        return self.git("status", "--porcelain").stdout

    def history(self, rel: str = "note.md") -> list[str]:
        """The note's text at each first-parent commit that changed it, oldest first."""
        revs = self.git("log", "--first-parent", "--format=%H", "--", rel).stdout.split()
        return [self.committed(rev, rel) for rev in reversed(revs)]


def make_team(tmp_path: Path, *names: str, hook: bool = True) -> list[Clone]:
    """A bare origin seeded with SEED (and `.obsidian/`), and one clone per name, each with the hook installed."""
    origin = tmp_path / "origin.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(origin)], check=True)
    seed = Clone("seed", tmp_path / "seed")
    subprocess.run(["git", "clone", "-q", str(origin), str(seed.top)], check=True, capture_output=True)
    seed.write(SEED)
    (seed.top / ".obsidian").mkdir()
    (seed.top / ".obsidian" / "app.json").write_text("{}\n")
    seed.git("add", "-A")
    seed.git("commit", "-q", "-m", "seed")
    seed.git("push", "-q", "origin", "HEAD:main")
    clones = []
    for name in names:
        clone = Clone(name, tmp_path / name)
        subprocess.run(["git", "clone", "-q", str(origin), str(clone.top)], check=True, capture_output=True)
        if hook:
            done = clone.vaultsync("hook", "install")
            assert done.returncode == 0, done.stderr
        clones.append(clone)
    return clones
