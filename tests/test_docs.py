"""The documentation is tested: every command has `--help` and is in the README; config.example.yaml is the
defaults, key for key."""

from __future__ import annotations

import dataclasses
import re
import warnings
from pathlib import Path
from typing import Any

import click
import pytest
import yaml
from helpers_vault import EXAMPLE_CONFIG, EXAMPLE_VAULT, REPO_ROOT

import vaultsync
from vaultsync.cli.main import cli, run
from vaultsync.config import Config, ConfigWarning, load_config


def _command_paths(command: click.Command, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    paths = [path]
    if isinstance(command, click.Group):
        for name, sub in sorted(command.commands.items()):
            paths += _command_paths(sub, (*path, name))
    return paths


COMMANDS = _command_paths(cli)


@pytest.fixture(autouse=True)
def _private_home(tmp_path: Path, state_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The documented commands use the per-user state folder (conftest's `state_home`); nothing else of the home."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))


def test_the_cli_has_commands_to_document() -> None:
    assert ("check",) in COMMANDS


@pytest.mark.parametrize("path", COMMANDS, ids=lambda p: " ".join(p) or "vaultsync")
def test_every_command_has_help_that_exits_0(path: tuple[str, ...], capsys: pytest.CaptureFixture[str]) -> None:
    assert run([*path, "--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"Usage: vaultsync {' '.join(path)}".rstrip())
    # A docstring, not just the option list: the first line after the usage says what the command does.
    assert len(out.split("\n\n")[1].strip()) > 10


def test_version_prints_the_package_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["--version"]) == 0
    assert vaultsync.__version__ in capsys.readouterr().out


def test_the_console_scripts_version_imports_no_command(tmp_path: Path) -> None:
    """`vaultsync --version` answers before click and the commands are imported (its cost is start-up), and
    says what click's `--version` says."""
    import subprocess
    import sys

    code = (
        "import sys; sys.argv = ['vaultsync', '--version']; from vaultsync.cli.main import main; main(); "
        "print(sorted(m for m in ('click', 'rich', 'yaml', 'sqlite3', 'vaultsync.cli.app') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=tmp_path).stdout
    assert out.splitlines() == [f"vaultsync, version {vaultsync.__version__}", "[]"]
    click_says = subprocess.run(
        [sys.executable, "-m", "vaultsync", "--version", "--version"], capture_output=True, text=True, cwd=tmp_path
    ).stdout  # not exactly `--version`: click's own option answers
    assert click_says.splitlines()[0] == f"vaultsync, version {vaultsync.__version__}"


@pytest.mark.parametrize("name", sorted(cli.commands))
def test_every_top_level_command_is_in_the_readme(name: str) -> None:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    # As a command line (`vaultsync check`, `vaultsync --vault DIR check`) or a reference entry (`check`).
    assert re.search(rf"(vaultsync(\s+-\S+(\s+[^-\s]\S*)?)*\s+|`){re.escape(name)}\b", readme), name


def test_the_example_config_loads_to_exactly_the_defaults_without_a_warning(tmp_path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConfigWarning)
        config = load_config(vault=tmp_path, config_file=EXAMPLE_CONFIG)
    assert config == Config(vault=tmp_path.resolve())


def _keys(cls: type, prefix: str = "") -> set[str]:
    keys: set[str] = set()
    for f in dataclasses.fields(cls):
        keys.add(prefix + f.name)
        default = f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default
        if dataclasses.is_dataclass(default):
            keys |= _keys(type(default), f"{prefix}{f.name}.")
    return keys


def _yaml_keys(data: dict[str, Any], prefix: str = "") -> set[str]:
    keys: set[str] = set()
    for key, value in data.items():
        keys.add(prefix + key)
        if isinstance(value, dict):
            keys |= _yaml_keys(value, f"{prefix}{key}.")
    return keys


def test_the_example_config_documents_every_key() -> None:
    data = yaml.safe_load(EXAMPLE_CONFIG.read_text(encoding="utf-8"))
    assert _yaml_keys(data) == _keys(Config) - {"vault", "target"}  # neither can be set in the file


def test_the_readme_library_example_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO_ROOT)
    config = vaultsync.load_config(vault=EXAMPLE_VAULT)
    assert len(vaultsync.check_vault(config).problems) == 3


def test_every_name_of_the_library_api_resolves() -> None:
    import vaultsync

    for name in vaultsync.__all__:
        assert getattr(vaultsync, name) is not None, name


def test_every_module_of_the_package_has_its_line_in_the_architecture_page() -> None:
    page = (REPO_ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    package = REPO_ROOT / "vaultsync"
    modules = [
        p.relative_to(package).as_posix()
        for p in sorted(package.rglob("*.py"))
        if p.name != "__init__.py" or p.parent == package  # a subpackage's __init__ only names it
    ]
    assert len(modules) > 40
    missing = [m for m in modules if f"- `{m}`" not in page]
    assert missing == [], f"docs/architecture.md has no line for {missing}"
    listed = set(re.findall(r"^- `([\w/]+\.py)`", page, re.M))
    assert listed == set(modules), f"listed but gone: {sorted(listed - set(modules))}"
