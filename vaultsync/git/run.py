"""Running git: every call a fresh `git` subprocess in a clean environment, with a timeout that kills it all.

GitPython keeps `cat-file` processes and caches alive in long-running programs (its README warns of the
leaks), commits silently as `user@hostname` without an identity, sweeps the user's staged files into commits
and reports rejected pushes in flags. A subprocess per call has none of that.
"""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterable, Mapping
from pathlib import Path

from vaultsync.errors import GitError

# Environment a git hook (or `git -c`) hands down describes *another* repository: GIT_DIR, GIT_INDEX_FILE and
# friends would make our commands act on the vault's repo instead of the publication repo. Keep only what
# configures transport and configuration files (the list pre-commit keeps in `no_git_env`, for the same bug).
_KEEP_ENV = frozenset(
    {
        "GIT_EXEC_PATH",
        "GIT_SSH",
        "GIT_SSH_COMMAND",
        "GIT_SSH_VARIANT",
        "GIT_SSL_CAINFO",
        "GIT_SSL_NO_VERIFY",
        "GIT_ASKPASS",
        "GIT_HTTP_PROXY_AUTHMETHOD",
        "GIT_ALLOW_PROTOCOL",
        "GIT_CONFIG_GLOBAL",
        "GIT_CONFIG_SYSTEM",
        "GIT_CONFIG_NOSYSTEM",
        "GIT_CONFIG_COUNT",
        "GIT_TERMINAL_PROMPT",
        "GIT_TRACE",
        "GIT_TRACE_PERFORMANCE",
    }
)


def git_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The process environment minus everything that would point git at another repository or identity."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("GIT_") or k in _KEEP_ENV or k.startswith(("GIT_CONFIG_KEY_", "GIT_CONFIG_VALUE_"))
    }
    if extra:
        env.update(extra)
    return env


def decode(data: bytes) -> str:
    """git's output as text, trimmed."""
    return data.decode("utf-8", "replace").strip()


def run_git(
    repo: Path,
    *args: str,
    stdin: bytes | None = None,
    env: Mapping[str, str] | None = None,
    check: bool = True,
    timeout: float | None = None,
) -> subprocess.CompletedProcess[bytes]:
    """Run `git -C repo args...` and return its output; a failure raises GitError with git's own words.

    With a timeout the command runs in its own session, and the whole group (git, ssh, helpers) is killed
    when time runs out: nothing is left behind waiting for a password.
    """
    cmd = ["git", "-C", str(repo), *args]
    try:
        proc = subprocess.Popen(
            cmd,
            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=git_env(env),
            start_new_session=timeout is not None,
        )
    except FileNotFoundError as exc:
        raise GitError("git is not installed", why=str(exc), hint="install git and make sure it is on PATH") from exc
    try:
        out, err = proc.communicate(stdin, timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        raise GitError(
            f"`git {args[0]}` did not finish in {timeout:g} s",
            where=str(repo),
            why="the remote did not answer, or git wanted a password it cannot ask for here",
            hint="check the remote URL and credentials (a credential helper or an SSH agent), then run again",
        ) from None
    result = subprocess.CompletedProcess(cmd, proc.returncode, out, err)
    if check and proc.returncode != 0:
        raise GitError(f"`git {' '.join(args[:2])}` failed", where=str(repo), why=decode(err) or decode(out))
    return result


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except OSError:
        proc.kill()
    proc.communicate()


def git_text(repo: Path, *args: str, env: Mapping[str, str] | None = None, stdin: bytes | None = None) -> str:
    """The output of `git -C repo args...` as text, trimmed."""
    return decode(run_git(repo, *args, env=env, stdin=stdin).stdout)


def nul_split(listing: bytes) -> list[str]:
    """The paths of a `-z` listing."""
    return [os.fsdecode(p) for p in listing.split(b"\0") if p]


def nul_joined(paths: Iterable[str]) -> bytes:
    """Paths as a `-z` input."""
    # fsencode: a file name that is not UTF-8 arrives from os.scandir with surrogate escapes.
    return b"".join(os.fsencode(p) + b"\0" for p in paths)


def literal_paths(paths: Iterable[str]) -> list[str]:
    """Paths as pathspecs that match only themselves (no globbing of `*` or `[`)."""
    return [f":(literal){p}" for p in paths]
