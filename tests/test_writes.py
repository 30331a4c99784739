"""Compare-and-swap writes of a user's note: the user's bytes always win, and a failed write leaves no trace."""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import textwrap
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from helpers_vault import REPO_ROOT as REPO

from vaultsync.cli.main import run
from vaultsync.config import parse_config
from vaultsync.errors import NoteError
from vaultsync.stamping.apply import apply_stamps
from vaultsync.stamping.plan import plan_vault_stamps
from vaultsync.store.state import State
from vaultsync.vault import writes
from vaultsync.vault.writable import real_target
from vaultsync.vault.writes import (
    TEMP_MARK,
    is_temp_name,
    remove_stale_temps,
    sha256,
    temp_name,
    write_if_unchanged,
)

NOW = datetime(2025, 11, 25, 9, 41, 7, 123456, tzinfo=timezone(timedelta(hours=-8)))

OURS = b"---\nat_semantic_version: 0.0.0.1\n---\nBody.\n"
STAMPED = b"---\nat_semantic_version: 0.0.0.2\n---\nBody.\n"
USERS = b"---\nat_semantic_version: 0.0.0.1\n---\nThe user's newer text.\n"


def note(tmp_path: Path, raw: bytes = OURS, name: str = "note.md") -> Path:
    path = tmp_path / name
    path.write_bytes(raw)
    return path


def save_in_place(path: Path, raw: bytes) -> None:
    """What most editors (and Obsidian) do: truncate and write the same inode."""
    with open(path, "r+b") as f:
        f.truncate(0)
        f.write(raw)


def save_atomically(path: Path, raw: bytes) -> None:
    """What careful editors do: a temp file renamed over the note (a new inode)."""
    temp = path.with_name(path.name + ".saving")
    temp.write_bytes(raw)
    os.replace(temp, path)


def folder_names(folder: Path) -> list[str]:
    return sorted(os.listdir(folder))


# -- compare and swap -----------------------------------------------------------------------------------------


def test_an_unchanged_file_is_replaced_with_the_new_bytes(tmp_path: Path) -> None:
    path = note(tmp_path)
    inode = path.stat().st_ino
    result = write_if_unchanged(path, sha256(OURS), STAMPED, relpath="note.md")
    assert (result.outcome, result.path) == ("written", "note.md")
    assert path.read_bytes() == STAMPED
    assert path.stat().st_ino != inode  # a new file swapped in, never written in place
    assert folder_names(tmp_path) == ["note.md"]


def test_a_file_changed_since_planning_is_left_as_the_user_wrote_it(tmp_path: Path) -> None:
    path = note(tmp_path)
    expected = sha256(OURS)
    save_in_place(path, USERS)

    result = write_if_unchanged(path, expected, STAMPED, relpath="note.md")

    assert result.outcome == "changed"
    assert path.read_bytes() == USERS
    assert folder_names(tmp_path) == ["note.md"]


def test_a_file_deleted_since_planning_is_not_recreated(tmp_path: Path) -> None:
    path = note(tmp_path)
    path.unlink()
    assert write_if_unchanged(path, sha256(OURS), STAMPED, relpath="note.md").outcome == "changed"
    assert folder_names(tmp_path) == []


@pytest.mark.parametrize(
    "save",
    [
        pytest.param(lambda p: save_in_place(p, USERS), id="in-place"),
        pytest.param(lambda p: save_atomically(p, USERS), id="atomic-rename"),
        # Same size, same inode, likely the same mtime tick: only the content tells.
        pytest.param(lambda p: save_in_place(p, OURS.replace(b"Body.", b"Bodx.")), id="same-size-in-place"),
    ],
)
def test_a_save_between_the_last_check_and_the_swap_is_detected_and_the_users_bytes_win(
    tmp_path: Path, save: object
) -> None:
    path = note(tmp_path)
    saved: list[bytes] = []

    def editor_saves() -> None:
        save(path)  # type: ignore[operator]  # the parametrised `save` fixture is a callable, typed object
        saved.append(path.read_bytes())

    result = write_if_unchanged(path, sha256(OURS), STAMPED, relpath="note.md", before_replace=editor_saves)

    assert result.outcome == "changed"
    assert saved and path.read_bytes() == saved[0]
    assert folder_names(tmp_path) == ["note.md"]


def test_a_late_write_to_the_old_inode_after_the_swap_is_restored(tmp_path: Path) -> None:
    path = note(tmp_path)
    held = open(path, "r+b")  # noqa: SIM115 - an editor that opened the note before our swap keeps it open, no `with`
    try:

        def editor_writes_late(seconds: float) -> None:
            assert seconds == 0.25
            assert path.read_bytes() == STAMPED  # our swap happened
            held.seek(0)
            held.truncate(0)
            held.write(USERS)
            held.flush()

        result = write_if_unchanged(
            path, sha256(OURS), STAMPED, relpath="note.md", grace=0.25, sleep=editor_writes_late
        )
    finally:
        held.close()

    assert result.outcome == "restored"
    assert path.read_bytes() == USERS
    assert [n for n in folder_names(tmp_path) if is_temp_name(n)] == []


def test_a_grace_period_without_a_late_write_keeps_the_stamp(tmp_path: Path) -> None:
    path = note(tmp_path)
    slept: list[float] = []
    result = write_if_unchanged(path, sha256(OURS), STAMPED, relpath="note.md", grace=0.1, sleep=slept.append)
    assert result.outcome == "written"
    assert slept == [0.1]
    assert path.read_bytes() == STAMPED


@pytest.mark.parametrize("mode", [0o600, 0o640, 0o664, 0o755])
def test_the_file_mode_is_kept(tmp_path: Path, mode: int) -> None:
    path = note(tmp_path)
    path.chmod(mode)
    assert write_if_unchanged(path, sha256(OURS), STAMPED, relpath="note.md").outcome == "written"
    assert path.stat().st_mode & 0o7777 == mode


def replace_then(path: Path, monkeypatch: pytest.MonkeyPatch, save: object) -> list[bytes]:
    """Make the user save `path` at the worst instant: after vaultsync's last check, just before its swap.

    vaultsync's swap (an atomic exchange, or `os.replace`) is where that instant is; the user's save runs once,
    then the real swap.
    """
    real_swap = writes._swap
    saved: list[bytes] = []

    def swap(src: Path, dst: Path) -> bool:
        if Path(dst) == path and not saved:
            saved.append(b"")
            save(path)  # type: ignore[operator]  # the parametrised `save` fixture is a callable, typed object
            saved[0] = path.read_bytes()
        return real_swap(src, dst)

    monkeypatch.setattr(writes, "_swap", swap)
    return saved


def test_an_in_place_save_just_before_the_swap_is_never_lost(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = note(tmp_path)
    saved = replace_then(path, monkeypatch, lambda p: save_in_place(p, USERS))

    result = write_if_unchanged(path, sha256(OURS), STAMPED, relpath="note.md", grace=0.05, sleep=lambda _: None)

    assert saved == [USERS]
    # With an atomic exchange the save is caught before our stamp is committed ("changed"); with a plain
    # replace it is caught by the old-inode re-check and put back ("restored"). Either way the user's bytes win.
    assert result.outcome == ("changed" if writes.exchange_function() is not None else "restored")
    assert path.read_bytes() == USERS


def test_an_atomic_save_just_before_the_swap_is_not_lost(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = note(tmp_path)
    saved = replace_then(path, monkeypatch, lambda p: save_atomically(p, USERS))

    result = write_if_unchanged(path, sha256(OURS), STAMPED, relpath="note.md", grace=0.05, sleep=lambda _: None)

    assert saved == [USERS]
    assert path.read_bytes() == USERS
    assert result.outcome in ("changed", "restored")


@pytest.mark.parametrize(
    "save",
    [
        pytest.param(lambda p: save_in_place(p, USERS), id="in-place"),
        pytest.param(lambda p: save_atomically(p, USERS), id="atomic-rename"),
    ],
)
def test_vaultsync_stamp_never_loses_a_save_made_just_before_its_swap(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, save: object
) -> None:
    monkeypatch.delenv("CI", raising=False)
    vault = tmp_path / "vault"
    vault.mkdir()
    path = note(vault)
    (vault / ".vaultsync.yaml").write_text("state_dir: ../state\n", encoding="utf-8")
    assert run(["--vault", str(vault), "-q", "init"]) == 0
    path.write_bytes(OURS.replace(b"Body.", b"Edited body."))
    saved = replace_then(path, monkeypatch, save)

    run(["--vault", str(vault), "-q", "stamp"])

    assert saved == [USERS]
    assert path.read_bytes() == USERS


# -- links ------------------------------------------------------------------------------------------------------


def test_a_symlinked_note_inside_the_vault_is_edited_at_its_target_and_the_link_is_kept(tmp_path: Path) -> None:
    vault = tmp_path / "vault"
    (vault / "real").mkdir(parents=True)
    target = note(vault / "real", name="Note.md")
    link = vault / "link.md"
    link.symlink_to(Path("real") / "Note.md")

    real = real_target(vault, "link.md")
    result = write_if_unchanged(real, sha256(OURS), STAMPED, relpath="link.md")

    assert real == target.resolve()
    assert result.outcome == "written"
    assert link.is_symlink()
    assert os.readlink(link) == os.path.join("real", "Note.md")
    assert target.read_bytes() == STAMPED


def test_stamp_edits_a_symlinked_note_once_and_keeps_the_link(tmp_path: Path) -> None:
    vault = tmp_path / "vault"
    (vault / "real").mkdir(parents=True)
    target = note(vault / "real", name="Note.md")
    link = vault / "link.md"
    link.symlink_to(Path("real") / "Note.md")
    config = parse_config({"state_dir": str(tmp_path / "state")}, vault=vault)
    for _ in range(2):  # first sight, then the edit
        with State.open(config) as state:
            apply_stamps(config, plan_vault_stamps(config, state, now=NOW), state)
        target.write_bytes(OURS.replace(b"Body.", b"Edited body."))

    for _ in range(2):  # stamping twice: one bump, whichever of the two names reached it first
        with State.open(config) as state:
            apply_stamps(config, plan_vault_stamps(config, state, now=NOW), state)

    assert link.is_symlink()
    assert target.read_bytes() == (b"---\nat_semantic_version: 0.0.0.2\ndate_modified: 2025-11-25\n---\nEdited body.\n")


def test_a_symlink_pointing_outside_the_vault_is_refused(tmp_path: Path) -> None:
    vault = tmp_path / "vault"
    vault.mkdir()
    outside = note(tmp_path, name="outside.md")
    (vault / "escape.md").symlink_to(outside)

    with pytest.raises(NoteError) as caught:
        real_target(vault, "escape.md")

    assert caught.value.where == "escape.md"
    assert "symlink that leaves the vault" in str(caught.value)
    assert outside.read_bytes() == OURS


def test_stamp_never_writes_through_a_symlink_that_leaves_the_vault(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("CI", raising=False)
    vault = tmp_path / "vault"
    vault.mkdir()
    (vault / ".vaultsync.yaml").write_text("state_dir: ../state\n", encoding="utf-8")
    outside = note(tmp_path, name="outside.md")
    (vault / "escape.md").symlink_to(outside)
    assert run(["--vault", str(vault), "init"]) == 0
    outside.write_bytes(OURS.replace(b"Body.", b"Edited outside."))
    mtime = outside.stat().st_mtime_ns

    assert run(["--vault", str(vault), "stamp"]) == 0

    assert outside.read_bytes() == OURS.replace(b"Body.", b"Edited outside.")
    assert outside.stat().st_mtime_ns == mtime
    assert (vault / "escape.md").is_symlink()
    capsys.readouterr()
    assert run(["--vault", str(vault), "status", "--json"]) == 0
    problems = json.loads(capsys.readouterr().out)["problems"]
    assert [(p["path"], p["kind"]) for p in problems] == [("escape.md", "symlink-outside")]


def test_a_hard_linked_note_is_refused(tmp_path: Path) -> None:
    vault = tmp_path / "vault"
    vault.mkdir()
    first = note(vault, name="a.md")
    os.link(first, vault / "b.md")

    with pytest.raises(NoteError) as caught:
        real_target(vault, "b.md")

    assert caught.value.where == "b.md"
    assert "hard-linked" in str(caught.value)
    assert caught.value.hint


def test_stamp_skips_a_hard_linked_note_and_says_so(tmp_path: Path) -> None:
    vault = tmp_path / "vault"
    vault.mkdir()
    first = note(vault, name="a.md")
    config = parse_config({"state_dir": str(tmp_path / "state")}, vault=vault)
    with State.open(config) as state:
        apply_stamps(config, plan_vault_stamps(config, state, now=NOW), state)
    edited = OURS.replace(b"Body.", b"Edited.")
    first.write_bytes(edited)
    os.link(first, tmp_path / "elsewhere.md")  # e.g. a backup tool's hard link outside the vault

    with State.open(config) as state:
        result = apply_stamps(config, plan_vault_stamps(config, state, now=NOW), state)

    assert result.written == []
    assert [(p.path, "hard-linked" in p.message) for p in result.problems] == [("a.md", True)]
    assert first.read_bytes() == edited
    assert first.stat().st_nlink == 2


# -- failed writes --------------------------------------------------------------------------------------------

_FULL_DISK = textwrap.dedent(
    """
    import json, resource, signal, sys
    from pathlib import Path
    from vaultsync.errors import NoteError
    from vaultsync.vault.writes import sha256, write_if_unchanged

    path = Path(sys.argv[1])
    old = path.read_bytes()
    new = old + b"x" * 100_000
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of being killed
    resource.setrlimit(resource.RLIMIT_FSIZE, (len(old) + 10_000, resource.RLIM_INFINITY))
    try:
        write_if_unchanged(path, sha256(old), new, relpath="Folder/note.md")
    except NoteError as exc:
        print(json.dumps({"error": str(exc), "where": exc.where, "hint": exc.hint}))
    else:
        print(json.dumps({"error": None}))
    """
)


def test_a_disk_full_write_leaves_the_original_intact_and_no_temp_file(tmp_path: Path) -> None:
    folder = tmp_path / "Folder"
    folder.mkdir()
    path = note(folder)
    mtime = path.stat().st_mtime_ns
    env = {**os.environ, "PYTHONPATH": str(REPO)}

    done = subprocess.run(
        [sys.executable, "-c", _FULL_DISK, str(path)], capture_output=True, text=True, env=env, check=True
    )

    report = json.loads(done.stdout)
    assert report["where"] == "Folder/note.md"
    assert report["error"] == "cannot write the note (Folder/note.md): File too large"
    assert "unchanged" in report["hint"]
    assert path.read_bytes() == OURS
    assert path.stat().st_mtime_ns == mtime
    assert folder_names(folder) == ["note.md"]


# -- temp files ------------------------------------------------------------------------------------------------


def test_temp_files_are_hidden_next_to_the_note_and_only_they_are_cleaned_up(tmp_path: Path) -> None:
    path = note(tmp_path)
    temp = temp_name(path)
    assert temp.parent == path.parent
    assert temp.name.startswith(".") and TEMP_MARK in temp.name
    temp.write_bytes(b"half")
    other = tmp_path / ".note.md.swp"
    other.write_bytes(b"vim")

    removed = remove_stale_temps([temp, other, path])

    assert removed == [temp]
    assert folder_names(tmp_path) == [".note.md.swp", "note.md"]


# -- a concurrent writer -----------------------------------------------------------------------------------------

# The other process: on each "go" line it saves the note a few times (read-modify-write of the body, as an
# editor holding the file open would, in one of three save styles), then reports the bytes of its last save.
_WRITER = textwrap.dedent(
    """
    import os, random, sys, time
    path = sys.argv[1]
    rng = random.Random(int(sys.argv[2]))
    for line in sys.stdin:
        rnd = int(line.split()[1])
        last = b""
        for i in range(rng.randint(1, 4)):
            time.sleep(rng.random() * 0.002)
            with open(path, "rb") as f:
                current = f.read()
            head, sep, _ = current.partition(b"\\n---\\n")
            if not sep:
                head, sep = b"---\\nat_semantic_version: 0.0.0.1\\n", b"\\n---\\n"
            last = head + sep + b"round %d save %d " % (rnd, i) + b"x" * rng.randint(0, 40) + b"\\n"
            style = rng.choice(("in-place", "chunked", "atomic"))
            if style == "atomic":
                tmp = path + ".saving"
                with open(tmp, "wb") as f:
                    f.write(last)
                os.replace(tmp, path)
            elif style == "chunked":
                with open(path, "r+b") as f:
                    f.truncate(0)
                    f.write(last[:20])
                    f.flush()
                    time.sleep(rng.random() * 0.001)
                    f.write(last[20:])
            else:
                with open(path, "r+b") as f:
                    f.truncate(0)
                    f.write(last)
        sys.stdout.write(last.hex() + "\\n")
        sys.stdout.flush()
    """
)

MANAGED = (b"at_semantic_version:", b"date_modified:")


def without_managed_lines(raw: bytes) -> list[bytes]:
    return [line for line in raw.split(b"\n") if not line.startswith(MANAGED)]


def run_concurrent_writer(tmp_path: Path, rounds: int, *, seed: int = 7) -> None:
    vault = tmp_path / "vault"
    vault.mkdir()
    path = note(vault)
    (vault / ".vaultsync.yaml").write_text("state_dir: ../state\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    writer = subprocess.Popen(
        [sys.executable, "-c", _WRITER, str(path), str(seed)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env=env,
    )
    assert writer.stdin is not None and writer.stdout is not None

    def stamp() -> None:
        # `vaultsync stamp` itself (in-process for speed); exit 1 is fine: a partial save may not parse.
        assert run(["--vault", str(vault), "-q", "stamp"]) in (0, 1)

    stamped_rounds = 0
    try:
        for rnd in range(rounds):
            writer.stdin.write(f"go {rnd}\n".encode())
            writer.stdin.flush()
            while True:  # stamp again and again while the other process saves
                stamp()
                ready, _, _ = select.select([writer.stdout], [], [], 0)
                if ready:
                    break
            last = bytes.fromhex(writer.stdout.readline().decode().strip())
            if rnd % 2:  # and sometimes once more after its last save
                stamp()
            final = path.read_bytes()
            assert final == last or without_managed_lines(final) == without_managed_lines(last), (
                f"round {rnd}: the writer's last save was lost\nwriter: {last!r}\nfile:   {final!r}"
            )
            stamped_rounds += final != last
    finally:
        writer.stdin.close()
        writer.wait(timeout=30)
    assert stamped_rounds > rounds // 10  # the stamper did get its writes in between the other's saves


def test_a_concurrent_writer_never_loses_its_last_save(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    run_concurrent_writer(tmp_path, rounds=300)


@pytest.mark.slow
def test_a_concurrent_writer_never_loses_its_last_save_over_thousands_of_rounds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CI", raising=False)
    run_concurrent_writer(tmp_path, rounds=2500)
