"""The project's own rules, checked: every declared dependency is imported and named in the README, and every
lint or type-check exception carries its reason."""

from __future__ import annotations

import re

from helpers_vault import REPO_ROOT

PACKAGE = REPO_ROOT / "vaultsync"
SOURCES = [p for folder in ("vaultsync", "tests", "bench") for p in sorted((REPO_ROOT / folder).rglob("*.py"))]
# A distribution's name -> the module it is imported as.
_MODULE = {"pyyaml": "yaml"}


def _dependencies() -> list[str]:
    # Read by hand: tomllib is Python 3.11+, and vaultsync supports 3.10.
    text = (REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8")
    block = text.split("\ndependencies = [", 1)[1].split("]", 1)[0]
    specs = re.findall(r'"([^"]+)"', block)
    return [re.split(r"[<>=!~\[; ]", spec, maxsplit=1)[0].lower() for spec in specs]


def test_every_declared_dependency_is_imported_by_the_package() -> None:
    code = "\n".join(p.read_text(encoding="utf-8") for p in PACKAGE.rglob("*.py"))
    for name in _dependencies():
        module = _MODULE.get(name, name)
        assert re.search(rf"^\s*(import|from) {module}\b", code, re.M), f"{name} is declared but never imported"


def test_the_readme_says_what_each_dependency_is_for() -> None:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Dependencies", 1)[1].split("\n## ", 1)[0]
    for name in _dependencies():
        assert f"**{name}**" in section, name


def _lines_without_a_reason() -> list[str]:
    missing = []
    for path in SOURCES:
        lines = path.read_text(encoding="utf-8").splitlines()
        for i, line in enumerate(lines):
            found = re.search(r"#\s*(type:\s*ignore(\[[^\]]*\])?|noqa(:\s*[A-Z0-9, ]+)?)(.*)$", line)
            if found is None:
                continue
            after = found.group(4).strip(" -#")
            above = lines[i - 1].strip() if i else ""
            if not after and not above.startswith("# ignored below:"):
                missing.append(f"{path.relative_to(REPO_ROOT)}:{i + 1}: {line.strip()}")
    return missing


def test_every_type_ignore_and_noqa_gives_its_reason() -> None:
    """On the same line after the directive, or on the line above as `# ignored below: <why>`."""
    assert _lines_without_a_reason() == []


def test_every_ignored_lint_rule_of_the_config_gives_its_reason() -> None:
    text = (REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8")
    block = text.split("[tool.ruff.lint]", 1)[1].split("\n[", 1)[0]
    ignored = block.split("ignore = [", 1)[1].split("]", 1)[0]
    for line in filter(None, (raw.strip() for raw in ignored.splitlines())):
        assert "#" in line and line.split("#", 1)[1].strip(), f"no reason for {line}"
