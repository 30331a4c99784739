"""Where git learns of vaultsync's merge driver: a `merge.vaultsync` section in the repository's own config and
`*.md merge=vaultsync` in its `info/attributes` (both local to the clone, never committed).

Removal is the exact inverse of adding: the config section goes with `git config --remove-section`, and the
attributes lines we wrote (marked by a comment) are cut out, so the files are byte for byte as they were.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from vaultsync.git.run import git_text, run_git

DRIVER = "vaultsync"
ATTRIBUTE_LINE = f"*.md merge={DRIVER}"
_COMMENT = "# vaultsync: notes merge through vaultsync's driver (`vaultsync hook uninstall` removes these lines)"
# Written instead of _COMMENT when the file did not end with a line end, or did not exist: removal then takes
# that line end, or the file, back too.
_COMMENT_AFTER_ADDED_EOL = _COMMENT[:-1] + ", and the line end before them)"
_COMMENT_IN_NEW_FILE = _COMMENT[:-1] + ", and the file they made)"


def _common_dir(repo: Path) -> Path:
    return Path(git_text(repo, "rev-parse", "--path-format=absolute", "--git-common-dir"))


def attributes_file(repo: Path) -> Path:
    return _common_dir(repo) / "info" / "attributes"


def driver_command(python: str, vault_rel: str) -> str:
    """The shell command git runs for a conflicting note. Without this interpreter (a venv since removed) it
    falls back to git's own merge, so a merge is never worse than without vaultsync."""
    import shlex

    py = shlex.quote(python)
    rel = shlex.quote(vault_rel)
    return (
        f"if [ -x {py} ]; then exec {py} -m vaultsync merge-file --vault-in-repo {rel} %O %A %B %P %L; "
        'else exec git merge-file --marker-size="%L" %A %O %B; fi'
    )


def configured_driver(repo: Path) -> str | None:
    proc = run_git(repo, "config", "--local", "--get", f"merge.{DRIVER}.driver", check=False)
    return proc.stdout.decode("utf-8", "surrogateescape").rstrip("\n") if proc.returncode == 0 else None


def add_merge_driver(repo: Path, command: str) -> bool:
    """Set up the driver; returns whether anything changed."""
    changed = False
    if configured_driver(repo) != command:
        run_git(repo, "config", "--local", f"merge.{DRIVER}.name", "vaultsync: notes merge, versions settled")
        run_git(repo, "config", "--local", f"merge.{DRIVER}.driver", command)
        changed = True
    path = attributes_file(repo)
    try:
        text: str | None = path.read_bytes().decode("utf-8", "surrogateescape")
    except FileNotFoundError:
        text = None
    if text is None or ATTRIBUTE_LINE not in text.splitlines():
        if text is None:
            text, comment = "", _COMMENT_IN_NEW_FILE
        else:
            comment = _COMMENT if not text or text.endswith("\n") else "\n" + _COMMENT_AFTER_ADDED_EOL
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes((text + f"{comment}\n{ATTRIBUTE_LINE}\n").encode("utf-8", "surrogateescape"))
        changed = True
    return changed


def remove_merge_driver(repo: Path) -> bool:
    """Take back what `add_merge_driver` wrote; returns whether anything was there."""
    removed = False
    if run_git(repo, "config", "--local", "--get-regexp", rf"^merge\.{DRIVER}\.", check=False).returncode == 0:
        run_git(repo, "config", "--local", "--remove-section", f"merge.{DRIVER}")
        removed = True
    path = attributes_file(repo)
    try:
        text = path.read_bytes().decode("utf-8", "surrogateescape")
    except FileNotFoundError:
        return removed
    for comment, before in ((_COMMENT_IN_NEW_FILE, ""), (_COMMENT_AFTER_ADDED_EOL, "\n"), (_COMMENT, "")):
        block = f"{before}{comment}\n{ATTRIBUTE_LINE}\n"
        if block in text:
            text = text.replace(block, "", 1)
            break
    else:
        return removed
    if text or comment != _COMMENT_IN_NEW_FILE:
        path.write_bytes(text.encode("utf-8", "surrogateescape"))
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()  # we made it: nothing else was ever in it
    return True
