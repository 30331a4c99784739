"""Shared fixtures: vaults written into tmp_path, and real git repositories in a hermetic git environment."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from targetkit import TargetKit

# vaultsync.store.state.FORBID_DEFAULT_STATE_ENV, spelled out: conftest imports no vaultsync module (tests of what
# an import loads run in this process). tests/test_isolation.py holds the two equal.
FORBID_DEFAULT_STATE_ENV = "VAULTSYNC_FORBID_DEFAULT_STATE"


@pytest.fixture(autouse=True)
def _not_on_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    """vaultsync refuses to stamp when CI is set (runners are in UTC); the suite itself runs on CI, so each test
    starts without it, and the tests of that refusal set it themselves."""
    monkeypatch.delenv("CI", raising=False)


@pytest.fixture(autouse=True, scope="session")
def _real_state_folder_untouched() -> Iterator[None]:
    """After the whole run, the per-user state folder of whoever runs the tests holds no vault it did not hold
    before (a test that escaped `_no_default_state` would leave one there, as two once did)."""
    import platformdirs

    vaults = Path(platformdirs.user_state_dir("vaultsync")) / "vaults"
    before = set(os.listdir(vaults)) if vaults.is_dir() else set()
    yield
    after = set(os.listdir(vaults)) if vaults.is_dir() else set()
    assert after <= before, f"tests left state folders in {vaults}: {sorted(after - before)}"


@pytest.fixture(autouse=True)
def _no_default_state(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test touches the user's state folder: the per-user default is an error (in the processes a test starts
    too, through the environment), and `XDG_STATE_HOME` points at a temp folder in case something ignores that.
    A test of the default folder takes `state_home`, which allows it there. (pre-commit's tests do the same for
    their store.)"""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path_factory.mktemp("no-state-home")))
    monkeypatch.setenv(FORBID_DEFAULT_STATE_ENV, "1")


# -- vaults -------------------------------------------------------------------------------------------------


class VaultBuilder:
    """A vault folder in tmp_path: write notes with exact bytes, move and delete them."""

    def __init__(self, root: Path) -> None:
        self.root = root
        # A real vault has `.obsidian/` (Obsidian writes it on first open); vaultsync refuses a folder without it
        # (or a .vaultsync.yaml).
        (root / ".obsidian").mkdir(parents=True, exist_ok=True)

    def write(self, relpath: str, content: str | bytes) -> Path:
        """Write `content` at `relpath` exactly (str as UTF-8, newlines untouched), creating folders."""
        path = self.root / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
        return path

    def note(self, relpath: str, body: str = "Body text.\n", **fields: str) -> Path:
        """A note whose frontmatter holds `fields` as written: `publish="true"` gives `publish: true`,
        `dg__publish='"true"'` gives `dg-publish: "true"` (a double underscore stands for a dash)."""
        if not fields:
            return self.write(relpath, body)
        block = "".join(f"{key.replace('__', '-')}: {value}\n" for key, value in fields.items())
        return self.write(relpath, f"---\n{block}---\n{body}")

    def move(self, old: str, new: str) -> Path:
        target = self.root / new
        target.parent.mkdir(parents=True, exist_ok=True)
        (self.root / old).rename(target)
        return target

    def remove(self, relpath: str) -> None:
        (self.root / relpath).unlink()


@pytest.fixture
def vault(tmp_path: Path) -> VaultBuilder:
    return VaultBuilder(tmp_path / "vault")


# -- git ----------------------------------------------------------------------------------------------------

# Set by git hooks, `git -c` or a surrounding repository: any of them would point our git at the wrong repo.
_HOSTILE_GIT_ENV = (
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_COMMON_DIR",
    "GIT_PREFIX",
    "GIT_NAMESPACE",
    "GIT_CONFIG_PARAMETERS",
    "GIT_CONFIG_COUNT",
    "GIT_CONFIG",
    "EMAIL",
)


@pytest.fixture
def git_env(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """A hermetic git: an empty global config, no system config, a fixed identity for the tests' own commits."""
    home = tmp_path_factory.mktemp("git-home")
    (home / "gitconfig").write_text("")
    for name in _HOSTILE_GIT_ENV:
        monkeypatch.delenv(name, raising=False)
    env = {
        "GIT_CONFIG_GLOBAL": str(home / "gitconfig"),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "Test Author",
        "GIT_AUTHOR_EMAIL": "author@example.test",
        "GIT_COMMITTER_NAME": "Test Author",
        "GIT_COMMITTER_EMAIL": "author@example.test",
        "GIT_TERMINAL_PROMPT": "0",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


GitRunner = Callable[..., str]


@pytest.fixture
def git(git_env: dict[str, str]) -> GitRunner:
    """`git(repo, *args, input=None, check=True)` -> stdout, for setting scenes and asserting on repositories."""

    def run(repo: Path, *args: str, input: str | None = None, check: bool = True) -> str:
        done = subprocess.run(
            ["git", "-C", str(repo), *args], input=input, capture_output=True, text=True, env=os.environ.copy()
        )
        if check and done.returncode != 0:
            raise AssertionError(f"git {' '.join(args)} failed: {done.stderr}")
        return done.stdout

    return run


@pytest.fixture
def git_repo(tmp_path: Path, git: GitRunner) -> Callable[..., Path]:
    """Factory: `git_repo("site", commit=True)` -> a `git init -b main` repository in tmp_path.

    With `commit`, it holds one commit (a README) made with the test identity; the repository itself has no
    `user.name`, so code under test must bring its own identity.
    """

    def make(name: str = "site", *, commit: bool = False, branch: str = "main") -> Path:
        path = tmp_path / name
        path.mkdir(parents=True)
        git(path, "init", "-q", "-b", branch)
        if commit:
            (path / "README.md").write_text("The site.\n")
            git(path, "add", "README.md")
            git(path, "commit", "-q", "-m", "initial")
        return path

    return make


@pytest.fixture
def bare_remote(tmp_path: Path, git: GitRunner) -> Callable[..., Path]:
    """Factory: `bare_remote("remote.git")` -> an empty bare repository to push to."""

    def make(name: str = "remote.git", *, branch: str = "main") -> Path:
        path = tmp_path / name
        path.mkdir(parents=True)
        git(path, "init", "-q", "--bare", "-b", branch)
        return path

    return make


@pytest.fixture
def state_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """vaultsync's per-user state folder (`XDG_STATE_HOME`) allowed, in a temp folder, and no `CI` variable:
    vaultsync processes a test starts (the CLI, a git hook) stamp as on a writer's machine and never touch the
    real state folder. Without this fixture the default state folder is an error (`_no_default_state`)."""
    home = tmp_path_factory.mktemp("state-home")
    monkeypatch.setenv("XDG_STATE_HOME", str(home))
    monkeypatch.delenv(FORBID_DEFAULT_STATE_ENV)
    monkeypatch.delenv("CI", raising=False)
    return home


@pytest.fixture
def kit(
    tmp_path: Path,
    git: GitRunner,
    capsys: pytest.CaptureFixture[str],
    state_home: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> TargetKit:
    """A vault with publication targets driven through the real command line (tests/targetkit.py). The command
    line keeps its state in `state_home`'s temp folder; anything else per-user stays out of the real home."""
    from targetkit import TargetKit  # here: conftest imports no vaultsync module (see the top of this file)

    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    return TargetKit(tmp_path, git, capsys)
