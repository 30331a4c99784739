"""The `targets` group of the benchmark runs on its own at a tiny size, checks the incremental property of a
one-edit publish of two targets, and leaves the other groups' generated vault as it was. No timing is asserted."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from helpers_vault import REPO_ROOT

OTHER_GROUPS = "scan,publish,hook,daemon,peer,sync"


@pytest.fixture(scope="module")
def targets_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], str]:
    tmp = tmp_path_factory.mktemp("bench-targets")
    out = tmp / "results"
    env = {k: v for k, v in os.environ.items() if k not in ("BENCH_PEER_PYTHON", "CI")}
    args = ["--sizes", "200", "--repeat", "1", "--skip", OTHER_GROUPS, "--out", str(out), "--workdir", str(tmp)]
    done = subprocess.run(
        [sys.executable, "-m", "bench.run", *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads((out / "results.json").read_text(encoding="utf-8")), done.stderr


def test_two_targets_are_measured_cold_unchanged_and_after_one_edit_against_baselines(
    targets_run: tuple[dict[str, Any], str],
) -> None:
    data, _ = targets_run
    rows = {r["scenario"]: r for r in data["rows"] if r["group"] == "targets"}
    assert set(rows) == {
        "cold `publish` of 2 targets (new repos)",
        "no-change `publish` of 2 targets (memo)",
        "one-edit `publish` of 2 targets: a published note's body edited",
        "one-edit `publish` of 2 targets: a note that others inline edited",
    }
    for row in rows.values():
        assert row["notes"] == 200
        assert row["tool"]["median"] > 0 and row["baseline"]["median"] > 0
        assert row["ratio"] == pytest.approx(row["tool"]["median"] / row["baseline"]["median"])
    assert not [r for r in data["rows"] if r["group"] in ("scan", "publish", "hook", "daemon", "peer", "sync")]
    site, docs = (int(n) for n in rows["cold `publish` of 2 targets (new repos)"]["detail"].split()[:3:2])
    assert 0 < docs < site  # the second target narrows the first one's set


def test_each_one_edit_commit_is_checked_and_printed_per_target(targets_run: tuple[dict[str, Any], str]) -> None:
    data, stderr = targets_run
    lines = [line for line in stderr.splitlines() if "git diff --name-only HEAD~1 →" in line]
    for what in ("a published note's body edited", "a note that others inline edited"):
        for target in ("site", "docs"):
            assert any(f"{what}: target {target}:" in line for line in lines)
    inlined = next(
        r for r in data["rows"] if r["scenario"] == "one-edit `publish` of 2 targets: a note that others inline edited"
    )
    site_copies = int(inlined["detail"].split()[2])
    assert site_copies >= 2  # the edited note and at least one published note that inlines it
    assert inlined["detail"].endswith("(checked: only these)")


def _vault_digest(root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if path.is_file():
            digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def test_without_note_embeds_the_generated_vault_is_byte_for_byte_what_it_was(tmp_path: Path) -> None:
    from bench.vaultgen import generate_vault

    generate_vault(tmp_path / "plain", 200, seed=3)
    # The digest of this vault before note embeds existed: the other groups' figures stay comparable.
    assert _vault_digest(tmp_path / "plain") == "85f04ede2e9fe0dd61e975c53c0999cf59cd4a3aef83bd2998aa481596e22bcb"
    stats = generate_vault(tmp_path / "embeds", 200, seed=3, note_embeds=0.05)
    assert stats.note_embeds > 0
