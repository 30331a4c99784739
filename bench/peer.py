"""A peer tool on the same vault: obs2mk (PyPI), which shares the notes of an Obsidian vault flagged in their
frontmatter into an MkDocs site repository, with git.

It is not a dependency of vaultsync (AGPL, and it pulls in linters): install it in a venv of its own and pass
that interpreter, e.g. `python -m venv ~/obs2mk-venv && ~/obs2mk-venv/bin/pip install obs2mk==5.0.0`, then
`python -m bench.run --peer-python ~/obs2mk-venv/bin/python`. Without it the report says "not installed".

Run headless through a small wrapper (written next to the vault, not into the peer's install): obs2mk keeps
its configuration inside its own package folder and asks for paths with a Tk dialog on first use, so the
wrapper points it at a prepared configuration; and 5.0.0 joins its image folder as an absolute `/docs/...`
path (every note with an image fails), so the wrapper sets the folder it evidently means, `<blog>/docs/assets/img`;
and after sharing a single note it copies the note's URL to the clipboard, which a headless machine lacks.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

from bench.harness import BenchError, Sample, git, measure_interleaved, remove_tree, run
from bench.results import Row
from bench.scenarios import VaultUnderTest

NAME = "obs2mk 5.0.0"
PACKAGE = "obs2mk"
PEER_TIMEOUT = 180.0

_WRAPPER = """\
import sys
from pathlib import Path

import mkdocs_obsidian.common.config as config
import mkdocs_obsidian.common.conversion as conversion

config_dir = Path(sys.argv[1])
open_value = config.open_value
config.get_obs2mk_dir = lambda *args, **kwargs: config_dir


def open_fixed(*args, **kwargs):
    configuration = open_value(*args, **kwargs)
    configuration.img = Path(configuration.output, "docs", "assets", "img")
    return configuration


config.open_value = open_fixed
conversion.clipboard = lambda *args, **kwargs: None  # no clipboard on a headless machine
sys.argv = ["obs2mk", "--use", "default", "all"]  # no --meta: that flag rewrites the vault's frontmatter

from mkdocs_obsidian.__main__ import main

main()
"""

_CONFIG = """\
default:
  weblink: https://example.com/
  configuration:
    input: {vault}
    output: {blog}
  frontmatter:
    share: publish
    index: (i)
    category:
      key: category
      default value: notes
  convert:
    admonition: true
    hashtags: true
"""


def find_peer(python: str | None) -> str | None:
    """The peer's interpreter if obs2mk is importable there, else None."""
    if not python:
        return None
    try:
        probe = run([python, "-c", "import mkdocs_obsidian"], env={"PATH": "/usr/bin:/bin"}, timeout=60)
    except (BenchError, OSError):
        return None
    return python if probe.returncode == 0 else None


class Peer:
    """One vault, one blog repository (with a bare `origin` on disk, since obs2mk pulls and pushes)."""

    def __init__(self, python: str, vut: VaultUnderTest):
        self.python = python
        self.vut = vut
        self.scratch = vut.env.scratch / f"peer-{vut.notes}"
        remove_tree(self.scratch)
        self.scratch.mkdir(parents=True)
        self.wrapper = self.scratch / "run_obs2mk.py"
        self.wrapper.write_text(_WRAPPER, encoding="utf-8")
        self.rounds = 0

    @property
    def blog(self) -> Path:
        return self.scratch / f"blog-{self.rounds}"

    def new_blog(self) -> None:
        remove_tree(self.blog)
        remove_tree(self.scratch / f"origin-{self.rounds}.git")
        self.rounds += 1
        blog, origin, env = self.blog, self.scratch / f"origin-{self.rounds}.git", self.vut.env.base
        run(["git", "init", "-q", "--bare", "-b", "main", str(origin)], env=env)
        (blog / "docs" / "assets" / "img").mkdir(parents=True)
        (blog / "docs" / "assets" / "img" / ".keep").write_text("", encoding="utf-8")
        (blog / "mkdocs.yml").write_text("site_name: bench\nsite_url: https://example.com/\n", encoding="utf-8")
        git(blog, env, "init", "-q", "-b", "main")
        git(blog, env, "remote", "add", "origin", str(origin))
        git(blog, env, "add", "-A")
        git(blog, env, "commit", "-q", "-m", "site")
        git(blog, env, "push", "-q", "-u", "origin", "main")
        config = self.scratch / "config"
        config.mkdir(exist_ok=True)
        (config / "configuration.yml").write_text(_CONFIG.format(vault=self.vut.root, blog=blog), encoding="utf-8")

    def publish(self) -> str:
        done = run(
            [self.python, str(self.wrapper), str(self.scratch / "config")],
            cwd=self.scratch,
            env=self.vut.env.base,
            timeout=PEER_TIMEOUT,
        )
        return done.stdout.decode(errors="replace")

    def describe(self, output: str) -> str:
        docs = self.blog / "docs"
        notes = sum(1 for _ in (docs / "notes").rglob("*.md")) if (docs / "notes").is_dir() else 0
        images = sum(1 for p in (docs / "assets" / "img").iterdir() if p.name != ".keep")
        skipped = output.count("Skip ")
        text = f"{notes} notes + {images} images published"
        return text + (f"; {skipped} notes skipped with an error" if skipped else "")


def peer_rows(python: str | None, vut: VaultUnderTest, baselines: dict[str, Sample], repeat: int) -> list[Row]:
    """The peer's cold, no-op and 1-edit runs, each against the baseline vaultsync's own row used."""
    if python is None:
        hint = f"not installed (install `{PACKAGE}` in a venv and pass --peer-python)"
        return [Row("peer", "cold publish", vut.notes, None, who=NAME, detail=hint)]
    peer = Peer(python, vut)
    repeat = min(repeat, 3)
    outputs: list[str] = []
    try:
        cold = measure_interleaved({"peer": lambda: outputs.append(peer.publish())}, repeat, before_each=_fresh(peer))
    except BenchError as exc:
        return [Row("peer", "cold publish", vut.notes, None, who=NAME, detail=str(exc)[:300])]
    if git(vut.root, vut.env.base, "status", "--porcelain"):
        raise BenchError(f"{NAME} changed the vault: " + git(vut.root, vut.env.base, "status", "--porcelain")[:500])
    rows = [
        Row("peer", "cold publish", vut.notes, cold["peer"], "cp + `git add -A` + `git commit`",
            baselines.get("cold"), who=NAME, detail=peer.describe(outputs[-1])),
    ]  # fmt: skip
    noop = measure_interleaved({"peer": peer.publish}, repeat)
    rows.append(
        Row("peer", "no-op publish", vut.notes, noop["peer"], "`git status --porcelain` of the vault",
            baselines.get("noop"), changed=0, who=NAME)
    )  # fmt: skip
    notes = sorted(p for p in vut.published if p.endswith(".md"))
    rng = random.Random(1)
    one = measure_interleaved({"peer": peer.publish}, repeat, before_each=lambda _: vut.edit(rng.sample(notes, 1)))
    vut.commit_vault()
    rows.append(
        Row("peer", "incremental publish, 1 note edited", vut.notes, one["peer"],
            "cp + `git add` + `git commit` of those files", baselines.get("one"), changed=1, who=NAME)
    )  # fmt: skip
    return rows


def _fresh(peer: Peer) -> Callable[[int], None]:
    return lambda _: peer.new_blog()
