"""The hostile-input corpus through the real CLI, each command a process under a memory and a time cap.

The corpus is the small notes in `tests/hostile/` plus the ones made here (too large to commit, or bytes that are
not text). A vault of all of them, and two ordinary notes, goes through `check`, `stamp`, `status` and
`publish --to` a fresh repository: every command exits 0 or 1 (never a crash, a signal or a MemoryError) within
`TIME_CAP` under `MEMORY_CAP`, every hostile note is reported, and the ordinary notes are stamped and published.
Odd `publish` values stay private and comments stay out of the publication (canaries are searched in its files
and in `git log -p --all`). Publication targets that overlap the vault, and a bare repository, are refused by a
process under the same caps, the vault byte for byte as it was.
"""

from __future__ import annotations

import hashlib
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
    "publish-mixed-case.md": ("ambiguous-publish",),  # tRuE: not a YAML 1.2 boolean
    "publish-padded-capital.md": ("ambiguous-publish",),  # "True "
    "publish-anchored.md": ("ambiguous-publish",),  # &a true
    "publish-anchor.md": ("ambiguous-publish",),  # &p true, and an alias of it
    "publish-tag.md": ("ambiguous-publish",),  # !!bool true
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
# Strings that must never reach the publication repository: in the bodies of the odd-publish notes, in the
# comments of comments.md, and the bytes and name of the attachment embedded only inside a comment there.
CANARIES = (
    "CANARY-PUBLISH-MIXED-CASE",
    "CANARY-PUBLISH-PADDED-CAPITAL",
    "CANARY-PUBLISH-ANCHORED",
    "CANARY-PUBLISH-ANCHOR-ALIAS",
    "CANARY-PUBLISH-TAG",
    "CANARY-PUBLISH-YES",
    "CANARY-COMMENT-INLINE",
    "CANARY-COMMENT-BLOCK",
    "CANARY-COMMENT-ATTACHMENT",
    "secret.png",
)
COMMENT_ONLY_ATTACHMENT = "secret.png", b"\x89PNG\r\n\x1a\nCANARY-COMMENT-ATTACHMENT\n"
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
    name, raw = COMMENT_ONLY_ATTACHMENT
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
    assert "comments.md" in published and "Seen  text." in (repo / "comments.md").read_text(encoding="utf-8")
    assert_no_canary_in(repo)
    print("seconds per command:", {k: round(v, 2) for k, v in timings.items()})


def assert_no_canary_in(repo: Path) -> None:
    """No canary in any file name or file of the work tree, nor in the whole history (`git log -p --all`)."""
    files = [p for p in repo.rglob("*") if p.is_file() and ".git" not in p.relative_to(repo).parts]
    history = subprocess.run(
        ["git", "-C", str(repo), "log", "-p", "--all", "--binary", "--name-status"],
        capture_output=True,
        check=True,
    ).stdout
    for canary in CANARIES:
        for path in files:
            where = path.relative_to(repo).as_posix()
            assert canary not in where and canary.encode() not in path.read_bytes(), f"{canary} in {where}"
        assert canary.encode() not in history, f"{canary} in the history"
    assert not any(p.name == COMMENT_ONLY_ATTACHMENT[0] for p in files)


# -- publication targets that overlap the vault, and a bare repository --------------------------------------


def fingerprint(root: Path) -> dict[str, str]:
    """The sha256 of every file under `root` (and each folder, as an entry): what must stay as it was."""
    out: dict[str, str] = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs:
            out[Path(folder, name).relative_to(root).as_posix() + "/"] = "folder"
        for name in files:
            path = Path(folder, name)
            out[path.relative_to(root).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def small_vault(parent: Path, config: str | None = None) -> Path:
    vault = parent / "vault"
    (vault / ".obsidian").mkdir(parents=True)
    (vault / "public.md").write_text("---\npublish: true\n---\nPublic.\n", encoding="utf-8")
    (vault / "private.md").write_text("---\npublish: false\n---\nPrivate.\n", encoding="utf-8")
    if config is not None:
        (vault / ".vaultsync.yaml").write_text(config, encoding="utf-8")
    return vault


@pytest.mark.parametrize(
    ("config", "to", "error"),
    [
        (None, "VAULT", "error: the publication folder is the vault"),  # `publish --to` the vault itself
        ("publish:\n  repo: site\n", None, "error: the publication folder lies inside the vault"),
        ("publish:\n  repo: ..\n  folder: vault\n", None, "error: the publication folder is the vault"),
        (None, "BARE", "error: the publication repository is a bare repository"),
    ],
    ids=["to-the-vault", "repo-inside-the-vault", "repo-around-the-vault-folder-the-vault", "bare-repository"],
)
def test_a_publication_target_overlapping_the_vault_or_bare_is_refused_and_the_vault_is_unchanged(
    tmp_path: Path, config: str | None, to: str | None, error: str
) -> None:
    outer = tmp_path / "outer"
    vault = small_vault(outer, config)
    bare = tmp_path / "site.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(bare)], check=True)
    targets = {"VAULT": str(vault), "BARE": str(bare)}
    args = ["publish"] if to is None else ["publish", "--to", targets[to]]
    before, bare_before = fingerprint(vault), fingerprint(bare)

    code, out, err, elapsed = vaultsync(vault, *args)

    assert code == 1, out + err
    assert error in err, err
    assert fingerprint(vault) == before, "the vault changed"
    assert fingerprint(bare) == bare_before, "the bare repository changed"
    assert not (outer / ".git").exists(), "the folder around the vault was made a repository"
    assert elapsed < TIME_CAP
