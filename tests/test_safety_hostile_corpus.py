"""The hostile-input corpus through the real CLI, each command a process under a memory and a time cap.

The corpus is the small notes in `tests/hostile/` plus the ones made here (too large to commit, or bytes that are
not text). A vault of all of them, and two ordinary notes, goes through `check`, `stamp`, `status` and
`publish --to` a fresh repository: every command exits 0 or 1 (never a crash, a signal or a MemoryError) within
`TIME_CAP` under `MEMORY_CAP`, every hostile note is reported, and the ordinary notes are stamped and published.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

CORPUS = Path(__file__).resolve().parent / "hostile"
MEMORY_CAP = 1 << 30  # bytes of address space per command
TIME_CAP = 60.0  # seconds per command

REFUSED = "alias-expansion", "frontmatter-too-large", "frontmatter-too-deep"

# What `check --json` says of each hostile note. A tuple names the accepted kinds (item by item, other changes
# may word a publish value's problem differently); None: nothing to report, the note must only be handled.
EXPECTED: dict[str, tuple[str, ...] | None] = {
    "alias-bomb.md": ("alias-expansion",),
    "merge-key-bomb.md": ("alias-expansion",),
    "recursive-alias.md": ("alias-expansion",),
    "deep-flow-nesting.md": ("invalid-frontmatter", "frontmatter-too-deep"),
    "deep-block-nesting.md": ("frontmatter-too-deep",),
    "huge-frontmatter.md": ("frontmatter-too-large",),
    "comment-in-frontmatter-fence.md": ("invalid-frontmatter",),
    "template-placeholder.md": ("invalid-frontmatter",),
    "no-closing-fence.md": ("invalid-frontmatter",),
    "not-a-mapping.md": ("invalid-frontmatter",),
    "nul-in-frontmatter.md": ("invalid-frontmatter",),
    "invalid-utf8-frontmatter.md": ("invalid-frontmatter",),
    "utf16.md": ("invalid-frontmatter",),
    "publish-yes.md": ("ambiguous-publish",),
    "publish-one.md": ("ambiguous-publish",),
    "publish-padded.md": ("ambiguous-publish",),
    "publish-list.md": ("ambiguous-publish",),
    "publish-empty.md": ("ambiguous-publish",),
    "publish-anchor.md": None,  # reported, under a kind that says what `&p true` is
    "publish-tag.md": None,
    "publish-twice.md": ("duplicate-key", "ambiguous-publish"),
    "comments.md": None,
    "nul-in-body.md": None,
    "invalid-utf8-body.md": None,
    "many-keys.md": None,
    "near-limit-frontmatter.md": None,
    "huge-line-in-frontmatter.md": None,
    "huge-line-in-body.md": None,
    "brackets-line.md": None,
}
REPORTED_ANYHOW = {"publish-anchor.md", "publish-tag.md"}  # some problem, whichever kind
ORDINARY = {"ordinary.md": "publish: true\n", "ordinary-private.md": "publish: false\n"}


def generated() -> dict[str, bytes]:
    """The notes too large to commit, and those whose bytes are not text."""
    keys = "".join(f"key{i}: value number {i} with a few words\n" for i in range(250_000))  # about 9 MB
    near = "".join(f"key{i}: value number {i}\n" for i in range(40_000))  # about 0.9 MB
    return {
        "huge-frontmatter.md": f"---\npublish: true\n{keys}---\nBody.\n".encode(),
        "near-limit-frontmatter.md": f"---\npublish: false\n{near}---\nBody.\n".encode(),
        "many-keys.md": ("---\npublish: false\n" + "".join(f"k{i}: v\n" for i in range(20_000)) + "---\nB.\n").encode(),
        "huge-line-in-frontmatter.md": b"---\npublish: false\ntitle: " + b"y" * 900_000 + b"\n---\nB.\n",
        # A run of spaces not at the end of its line: the body fingerprint once backtracked over it (hours).
        "huge-line-in-body.md": b"---\npublish: true\n---\n" + b" " * 2_000_000 + b"x\n",
        # Markdown-link search once rescanned such a line from every `[` (a 40 KB line: 15 s).
        "brackets-line.md": b"---\npublish: true\n---\n" + b"[" * 200_000 + b"\n[[a|" * 1000 + b"\n",
        "deep-block-nesting.md": b"---\npublish: true\nx:\n"
        + b"".join(b"  " * i + b"k%d:\n" % i for i in range(1, 300))
        + b"---\nB.\n",
        "nul-in-frontmatter.md": b"---\npublish: true\ntitle: a\x00b\n---\nNUL.\n",
        "nul-in-body.md": b"---\npublish: false\n---\nA NUL \x00 in the body.\n",
        "invalid-utf8-frontmatter.md": b"---\npublish: true\ntitle: \xff\xfe\xfd\n---\nBad bytes above.\n",
        "invalid-utf8-body.md": b"---\npublish: false\n---\nBad bytes \xff\xfe here.\n",
        "utf16.md": "---\npublish: true\n---\nUTF-16.\n".encode("utf-16"),
    }


def _cap_resources() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))


def vaultsync(vault: Path, *args: str) -> tuple[int, str, str, float]:
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "vaultsync", "--vault", str(vault), *args],
        capture_output=True,
        text=True,
        errors="replace",
        timeout=TIME_CAP,
        preexec_fn=_cap_resources,
        env={**os.environ},
    )
    elapsed = time.monotonic() - started
    assert done.returncode in (0, 1), f"vaultsync {' '.join(args)} exited {done.returncode}:\n{done.stderr[-3000:]}"
    for text in (done.stdout, done.stderr):
        assert "Traceback" not in text and "MemoryError" not in text, text[-3000:]
    return done.returncode, done.stdout, done.stderr, elapsed


@pytest.fixture(autouse=True)
def _hermetic(state_home: Path, git_env: dict[str, str]) -> None:
    """vaultsync's state in a temp folder, a hermetic git (conftest)."""


@pytest.fixture
def hostile_vault(tmp_path: Path) -> Path:
    vault = tmp_path / "vault"
    (vault / ".obsidian").mkdir(parents=True)
    for note in CORPUS.glob("*.md"):
        shutil.copyfile(note, vault / note.name)
    for name, raw in generated().items():
        (vault / name).write_bytes(raw)
    for name, fields in ORDINARY.items():
        (vault / name).write_text(f"---\ntitle: {name}\n{fields}---\nAn ordinary note.\n", encoding="utf-8")
    assert {p.name for p in vault.glob("*.md")} == set(EXPECTED) | set(ORDINARY), "EXPECTED lists every note"
    return vault


def problems_by_note(out: str) -> dict[str, set[str]]:
    report: dict[str, Any] = json.loads(out)
    found: dict[str, set[str]] = {}
    for problem in report["problems"]:
        found.setdefault(problem["path"], set()).add(problem["kind"])
    return found


def test_the_hostile_corpus_goes_through_every_command_within_the_caps(
    hostile_vault: Path, tmp_path: Path, git_env: dict[str, str]
) -> None:
    vault = hostile_vault
    repo = tmp_path / "site"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    timings: dict[str, float] = {}

    _, _, _, timings["first stamp"] = vaultsync(vault, "stamp")  # first sight: adopts every note as it is
    for name in [*EXPECTED, *ORDINARY]:
        with (vault / name).open("ab") as note:
            note.write(b"\nWords typed since.\n")
    before = {name: (vault / name).read_bytes() for name in EXPECTED}

    code, out, err, timings["check"] = vaultsync(vault, "check", "--json")
    assert code == 1
    found = problems_by_note(out)
    for name, kinds in EXPECTED.items():
        if kinds is not None:
            assert set(kinds) & found.get(name, set()), f"{name}: expected one of {kinds}, got {found.get(name)}"
        elif name in REPORTED_ANYHOW:
            assert found.get(name), f"{name} is not reported"
    assert not found.get("ordinary.md") and not found.get("ordinary-private.md")

    code, out, err, timings["stamp"] = vaultsync(vault, "stamp")
    for name in ORDINARY:
        assert "at_semantic_version: 0.0.0.1" in (vault / name).read_text(encoding="utf-8"), out + err
    for name, kinds in EXPECTED.items():
        if kinds is not None and set(kinds) & {"invalid-frontmatter", *REFUSED}:
            assert (vault / name).read_bytes() == before[name], f"{name} was written"
            assert name in out + err, f"stamp does not name {name}"

    _, _, _, timings["status"] = vaultsync(vault, "status")

    _, out, err, timings["publish"] = vaultsync(vault, "publish", "--to", str(repo))
    published = {p.name for p in repo.rglob("*.md")}
    assert "ordinary.md" in published, out + err
    assert {"huge-line-in-body.md", "brackets-line.md"} <= published
    assert "ordinary-private.md" not in published
    for name, kinds in EXPECTED.items():
        if kinds is not None:
            assert name not in published, f"{name} is published"
    for name, kinds in EXPECTED.items():
        if kinds is not None and set(kinds) & set(REFUSED):
            assert (vault / name).read_bytes() == before[name], f"{name} was written"
    print("seconds per command:", {k: round(v, 2) for k, v in timings.items()})
