"""Profile the hot paths in-process (cProfile), to say what dominates where a target is missed.

    python -m bench.profile [--notes 10000] [--seed 0] [--limit 20] [--out FILE] [--targets]

Profiles, on one generated vault: a first-sight stamp (cold scan), a warm no-op stamp, a cold publish into a
new repository, a no-op publish plan, a publish after one edit (plan + apply) and the daemon's publish of one
edit (a PublishSession); then the heaviest imports of the CLI (`-X importtime`). The library is called as
the CLI calls it, minus argument parsing and printing. `--targets` profiles the `targets` group's two targets
instead (bench/targets.py): a cold publish of both into new repositories, then an edit of one note that both
hold, then of the note that the most published notes inline, with the copier's reads and shapes counted.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from bench.harness import Env, git
from bench.vaultgen import generate_vault


def profile(action: Callable[[], object], limit: int) -> str:
    profiler = cProfile.Profile()
    profiler.enable()
    action()
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(limit)
    stats.sort_stats("tottime").print_stats(limit)
    return out.getvalue()


def import_times(vault: Path, env: dict[str, str], limit: int) -> str:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "vaultsync", "--vault", str(vault), "-q", "stamp"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    top: list[tuple[int, str]] = []
    for line in done.stderr.splitlines():
        # "import time:  self [us] | cumulative | imported package"; nested imports are indented further.
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _, cumulative, name = line.split("|", 2)
        if not name[1:].startswith(" "):
            top.append((int(cumulative), name.strip()))
    top.sort(reverse=True)
    return "\n".join(f"{cum / 1000:8.1f} ms  {name}" for cum, name in top[:limit])


def run_profiles(notes: int, seed: int, limit: int) -> str:
    from vaultsync.config import load_config
    from vaultsync.publishing.apply import apply_publish
    from vaultsync.publishing.plan import plan_publish
    from vaultsync.publishing.session import PublishSession
    from vaultsync.stamping.apply import apply_stamps
    from vaultsync.stamping.plan import plan_vault_stamps
    from vaultsync.store.state import State
    from vaultsync.text.dates import now_in

    sections: list[str] = []
    with tempfile.TemporaryDirectory(prefix="vaultsync-profile-") as tmp:
        scratch = Path(tmp)
        env = Env(scratch)
        os.environ.update(env.with_state("profile"))  # the library reads its state folder from here
        os.environ.pop("CI", None)
        vault = scratch / "vault"
        stats = generate_vault(vault, notes, seed=seed)
        config = load_config(vault=vault).with_publish_repo(scratch / "site")

        def stamp() -> object:
            with State.open(config) as state:
                plan = plan_vault_stamps(config, state, now=now_in(config.versioning.timezone))
                return apply_stamps(config, plan, state)

        def publish() -> object:
            with State.open(config) as state:
                return apply_publish(config, plan_publish(config, state=state))

        def publish_plan() -> object:
            with State.open(config) as state:
                return plan_publish(config, state=state)

        sections.append(f"# vault: {stats.summary()}\n")
        sections.append("## cold stamp (first sight)\n\n" + profile(stamp, limit))
        sections.append("## warm no-op stamp\n\n" + profile(stamp, limit))
        sections.append("## cold publish (new repository, warm state)\n\n" + profile(publish, limit))
        sections.append("## no-op publish plan\n\n" + profile(publish_plan, limit))
        published = sorted(p for p in git(scratch / "site", env.base, "ls-files").split("\n") if p.endswith(".md"))
        with open(vault / published[0], "ab") as note:
            note.write(b"\nOne edit.\n")
        sections.append("## publish after one edit (plan + apply)\n\n" + profile(publish, limit))
        session = PublishSession()
        with State.open(config) as state:
            session.publish(config, state, None)  # the daemon's first publish: a full one, not profiled
            with open(vault / published[1], "ab") as note:
                note.write(b"\nOne edit for the daemon.\n")

            def daemon_publish() -> object:
                return session.publish(config, state, {published[1]})

            sections.append("## the daemon's publish of one edit (PublishSession)\n\n" + profile(daemon_publish, limit))
        sections.append("## -X importtime of `vaultsync stamp` (top-level imports, cumulative)\n\n")
        sections.append(import_times(vault, env.with_state("profile"), limit) + "\n")
    return "\n".join(sections)


def run_target_profiles(notes: int, seed: int, limit: int) -> str:
    from collections import Counter

    from bench.scenarios import VaultUnderTest
    from bench.targets import NOTE_EMBEDS, TARGETS, TargetsBench, edit_candidates
    from vaultsync.config import load_config
    from vaultsync.publishing import copier
    from vaultsync.publishing.run import publish_targets

    sections: list[str] = []
    with tempfile.TemporaryDirectory(prefix="vaultsync-profile-") as tmp:
        scratch = Path(tmp)
        env = Env(scratch)
        os.environ.update(env.with_state("profile"))
        os.environ.pop("CI", None)
        vault = scratch / "vault"
        stats = generate_vault(vault, notes, seed=seed, note_embeds=NOTE_EMBEDS)
        bench = TargetsBench(VaultUnderTest(notes, vault, stats, env, 0.0), scratch, {}, {})
        bench.point_at({name: scratch / f"warmup-{name}" for name in TARGETS})
        publish_targets(load_config(vault=vault, config_file=bench.config))  # the state's first sight
        bench.point_at({name: scratch / name for name in TARGETS})
        config = load_config(vault=vault, config_file=bench.config)
        counts: Counter[str] = Counter()
        shape, read = copier.Copier._shape, copier.Copier._read

        def counted_shape(self: copier.Copier, path: str, raw: bytes) -> object:
            counts[f"{self.config.target}: shaped"] += 1
            return shape(self, path, raw)

        def counted_read(self: copier.Copier, path: str) -> object:
            counts[f"{self.config.target}: read"] += 1
            return read(self, path)

        # ignored below: the real methods, wrapped to count their calls (a measurement, not a test double)
        copier.Copier._shape, copier.Copier._read = counted_shape, counted_read  # type: ignore[assignment,method-assign]

        def publish() -> object:
            counts.clear()
            return publish_targets(config)

        sections.append(f"# vault: {stats.summary()}, {stats.note_embeds} note embeds\n")
        sections.append("## cold publish of 2 targets (new repositories, warm state)\n\n" + profile(publish, limit))
        sections.append(f"copier: {dict(sorted(counts.items()))}\n")
        bench.held = {name: bench.held_files(name) for name in TARGETS}
        for (note, _), what in zip(edit_candidates(bench), ("a note both hold", "a note others inline"), strict=True):
            with open(vault / note, "ab") as handle:
                handle.write(b"\nOne edit.\n")
            sections.append(f"## publish of 2 targets after an edit of {what}\n\n" + profile(publish, limit))
            sections.append(f"copier: {dict(sorted(counts.items()))}\n")
    return "\n".join(sections)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--notes", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--limit", type=int, default=20, help="Functions listed per profile.")
    parser.add_argument("--out", type=Path, help="Write the profiles here instead of printing them.")
    parser.add_argument("--targets", action="store_true", help="Profile two publication targets instead.")
    args = parser.parse_args(argv)
    text = (run_target_profiles if args.targets else run_profiles)(args.notes, args.seed, args.limit)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text, encoding="utf-8")
    else:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
