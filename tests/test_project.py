"""The project's own rules, checked: every declared dependency is imported and named in the README, every lint
or type-check exception carries its reason, every exported name resolves, and no module imports the package root."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

from helpers_vault import REPO_ROOT, vaultsync_env

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


# -- the package root is the public API, and nothing inside the package imports it --------------------------


def test_every_exported_name_resolves_in_a_fresh_interpreter() -> None:
    """`vaultsync.__all__` re-exports lazily: each name is imported from its module on first use, so a module
    that moved would only show up there. A fresh interpreter, so no other test has imported the module first."""
    script = (
        "import vaultsync\n"
        "names = vaultsync.__all__\n"
        "assert len(names) == len(set(names)), names\n"
        "missing = [n for n in names if getattr(vaultsync, n, None) is None]\n"
        "assert not missing, missing\n"
        "assert set(vaultsync._EXPORTS) | {'__version__'} == set(names)\n"
        "print(len(names))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], env=vaultsync_env(), capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) >= 18


def _submodules() -> set[str]:
    return {p.stem for p in PACKAGE.glob("*.py")} | {p.parent.name for p in PACKAGE.glob("*/__init__.py")}


def _root_imports(path: Path, *, at: Path | None = None) -> list[str]:
    """`import vaultsync`, or `from vaultsync import NAME` where NAME is not a submodule (relative forms too), in
    the module `path` (read as if it were at `at`, for relative imports)."""
    package = (at or path).relative_to(REPO_ROOT).parts[:-1]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [f"import {a.name}" for a in node.names if a.name == "vaultsync"]
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                base = package[: len(package) - node.level + 1]
                module = ".".join([*base, *filter(None, [node.module])])
            if module == "vaultsync":
                found += [f"from vaultsync import {a.name}" for a in node.names if a.name not in _submodules()]
    return found


def test_no_module_inside_the_package_imports_the_package_root() -> None:
    modules = [p for p in PACKAGE.rglob("*.py") if p != PACKAGE / "__init__.py"]
    assert len(modules) > 40
    assert [f"{p.relative_to(REPO_ROOT)}: {line}" for p in modules for line in _root_imports(p)] == []


def test_the_root_import_check_sees_the_forms_it_forbids(tmp_path: Path) -> None:
    sample = PACKAGE / "store" / "state.py"
    forms = "import vaultsync\nfrom vaultsync import __version__\nfrom .. import Config\nfrom vaultsync import text\n"
    copy = tmp_path / "state.py"
    copy.write_text(forms)
    assert _root_imports(copy, at=sample) == [
        "import vaultsync",
        "from vaultsync import __version__",
        "from vaultsync import Config",
    ]
