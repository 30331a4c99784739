"""`check_vault`: every problem kind, by file, kind and line; across notes; on a 5,000-note vault."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers_vault import with_frontmatter, write_note

from vaultsync.check import check_vault
from vaultsync.config import Config, parse_config
from vaultsync.store.state import State

GOOD = (
    "title: Good\n"
    'publish: "true"\n'
    "site_uuid: 6f1d1e62-3c0c-4a51-9a36-0d3c1f2b7e11\n"
    "slug: good\n"
    "date_modified: 2025-10-01T14:03:22-07:00\n"
    "date_created: 2025-08-02\n"
    "at_semantic_version: '1.0'\n"
)


def _config(vault: Path, **data: object) -> Config:
    return parse_config(data, vault=vault)


def _found(vault: Path, config: Config | None = None) -> list[tuple[str, str, int | None]]:
    report = check_vault(config or _config(vault))
    return [(p.path, p.kind, p.line) for p in report.problems]


def test_a_clean_vault_has_no_problems(tmp_path: Path) -> None:
    write_note(tmp_path, "Good.md", with_frontmatter(GOOD))
    write_note(tmp_path, "Plain.md", "# No frontmatter at all\n")
    write_note(tmp_path, "Empty.md", "---\n---\nEmpty block.\n")
    write_note(tmp_path, "Nulls.md", with_frontmatter("at_semantic_version:\ndate_modified: ~\npublish: false\n"))
    write_note(tmp_path, "Semver.md", with_frontmatter("at_semantic_version: 1.2.3\ndate_modified: 2025-10-10\n"))
    write_note(tmp_path, "Line two.md", "\n---\npublish: yes\n---\nNot frontmatter: the block starts on line 2.\n")
    write_note(tmp_path, "Rules.md", with_frontmatter("title: x\n", "Text\n\n---\n\npublish: yes\n---\n"))
    write_note(tmp_path, "CRLF.md", "---\r\npublish: true\r\nat_semantic_version: 0.0.0.1\r\n---\r\nBody\r\n")
    write_note(tmp_path, "BOM.md", b"\xef\xbb\xbf---\npublish: TRUE\n---\nBody\n")
    write_note(tmp_path, "attachments/chart.png", b"\x89PNG")
    report = check_vault(_config(tmp_path))
    assert report.problems == ()
    assert report.ok
    assert report.notes == 9
    assert report.as_dict() == {"notes": 9, "problem_count": 0, "problems": [], "conflict_copies": []}


@pytest.mark.parametrize(
    ("fields", "kind", "line"),
    [
        ("title: [unclosed\npublish: true\n", "invalid-frontmatter", 3),
        ("title: x\nbroken: a: b\n", "invalid-frontmatter", 3),
        ("title: x\ntags:\n  - a\n - b\n", "invalid-frontmatter", 5),
        ("- just\n- a list\n", "invalid-frontmatter", 2),
        ("site_uuid: {{generate-uuid}}\n", "invalid-frontmatter", 2),
        ("title: a\ntags: x\ntitle: b\n", "duplicate-key", 2),
        ("title: x\nat_semantic_version: 0.0.01.1\n", "malformed-version", 3),
        ("title: x\nat_semantic_version: draft\n", "malformed-version", 3),
        ("title: x\nat_semantic_version: '{{version}}'\n", "malformed-version", 3),
        ("title: x\nat_semantic_version: 1.2.3.4.5\n", "malformed-version", 3),
        ("title: x\nat_semantic_version: [0, 0, 1]\n", "malformed-version", 3),
        ("title: x\nat_semantic_version: |\n  0.0.0.1\n", "malformed-version", 3),
        ("title: x\nat_semantic_version: 1.0\n", "numeric-version", 3),
        ("title: x\nat_semantic_version: 2\n", "numeric-version", 3),
        ("title: x\ndate_modified: yesterday\n", "malformed-date", 3),
        ("title: x\ndate_modified: 10/10/2025\n", "malformed-date", 3),
        ("title: x\ndate_modified: '2025-13-01'\n", "malformed-date", 3),
        ("title: x\ndate_modified: 2025-13-01\n", "malformed-date", 3),  # unquoted: YAML would reject the note
        ("title: x\ndate_modified: 2025-10-10 at noon\n", "malformed-date", 3),
        ("title: x\ndate_modified: [2025-01-01]\n", "malformed-date", 3),
        ("title: x\npublish: yes\n", "ambiguous-publish", 3),
        ("title: x\npublish: 1\n", "ambiguous-publish", 3),
        ('title: x\npublish: "True "\n', "ambiguous-publish", 3),
        ("title: x\npublish:\n", "ambiguous-publish", 3),
        ("title: x\npublish: on\n", "ambiguous-publish", 3),
        ('title: x\npublish: "TRUE"\n', "ambiguous-publish", 3),
        ("title: x\npublish: [true]\n", "ambiguous-publish", 3),
    ],
)
def test_each_problem_kind_is_reported_with_file_kind_and_line(
    tmp_path: Path, fields: str, kind: str, line: int
) -> None:
    write_note(tmp_path, "Good.md", with_frontmatter(GOOD))
    write_note(tmp_path, "Folder/Bad note.md", with_frontmatter(fields))
    report = check_vault(_config(tmp_path))
    assert [(p.path, p.kind, p.line) for p in report.problems] == [("Folder/Bad note.md", kind, line)]
    problem = report.problems[0]
    assert problem.message
    assert problem.hint
    assert not report.ok


def test_a_missing_closing_delimiter_is_invalid_frontmatter(tmp_path: Path) -> None:
    write_note(tmp_path, "Open.md", "---\npublish: true\nNo closing fence.\n")
    report = check_vault(_config(tmp_path))
    assert [(p.path, p.kind) for p in report.problems] == [("Open.md", "invalid-frontmatter")]
    assert "closing" in report.problems[0].message


def test_the_messages_quote_the_value_that_was_seen(tmp_path: Path) -> None:
    write_note(tmp_path, "a.md", with_frontmatter("publish: yes\nat_semantic_version: 0.0.01.1\n"))
    messages = [p.message for p in check_vault(_config(tmp_path)).problems]
    assert messages == [
        "`publish: yes` is neither true nor false; the note stays private",
        "`at_semantic_version: 0.0.01.1` is not a dotted numeric version",
    ]


def test_every_problem_of_one_note_is_reported_in_line_order(tmp_path: Path) -> None:
    write_note(
        tmp_path,
        "Many.md",
        with_frontmatter("publish: yes\ntag: a\nat_semantic_version: 1.0\ndate_modified: soon\ntag: b\n"),
    )
    assert _found(tmp_path) == [
        ("Many.md", "ambiguous-publish", 2),
        ("Many.md", "duplicate-key", 3),
        ("Many.md", "numeric-version", 4),
        ("Many.md", "malformed-date", 5),
    ]


def test_invalid_frontmatter_hides_no_other_file_and_stops_checks_of_that_note(tmp_path: Path) -> None:
    write_note(tmp_path, "A.md", with_frontmatter("publish: yes\nbad: [\n"))
    write_note(tmp_path, "B.md", with_frontmatter("publish: yes\n"))
    assert [(path, kind) for path, kind, _ in _found(tmp_path)] == [
        ("A.md", "invalid-frontmatter"),
        ("B.md", "ambiguous-publish"),
    ]


@pytest.mark.parametrize(("key", "kind"), [("site_uuid", "duplicate-uuid"), ("slug", "duplicate-slug")])
def test_a_value_shared_by_two_notes_is_reported_on_both(tmp_path: Path, key: str, kind: str) -> None:
    write_note(tmp_path, "One.md", with_frontmatter(f"{key}: shared-value\n"))
    write_note(tmp_path, "Sub/Two.md", with_frontmatter(f'{key}: "shared-value"\n'))
    write_note(tmp_path, "Three.md", with_frontmatter(f"{key}: its-own\n"))
    write_note(tmp_path, "Four.md", with_frontmatter(f"{key}:\n"))
    write_note(tmp_path, "Five.md", with_frontmatter(f"{key}:\n"))
    report = check_vault(_config(tmp_path))
    assert [(p.path, p.kind, p.line) for p in report.problems] == [
        ("One.md", kind, None),
        ("Sub/Two.md", kind, None),
    ]
    assert "Sub/Two.md" in report.problems[0].message
    assert "One.md" in report.problems[1].message


def test_problems_use_the_configured_field_names(tmp_path: Path) -> None:
    write_note(tmp_path, "Note.md", with_frontmatter("publish: yes\nshare: yes\nversion: 1.0\n"))
    config = _config(tmp_path, fields={"publish": "share", "version": "version"})
    assert _found(tmp_path, config) == [
        ("Note.md", "ambiguous-publish", 3),
        ("Note.md", "numeric-version", 4),
    ]


def test_unicode_file_names_are_reported_as_written(tmp_path: Path) -> None:
    write_note(tmp_path, "Médecine/Café ☕ notes.md", with_frontmatter("publish: oui\n"))
    assert _found(tmp_path) == [("Médecine/Café ☕ notes.md", "ambiguous-publish", 2)]


def test_crlf_and_bom_notes_are_checked_like_any_other(tmp_path: Path) -> None:
    write_note(tmp_path, "CRLF.md", b"---\r\ntitle: x\r\npublish: yes\r\n---\r\nBody\r\n")
    write_note(tmp_path, "BOM.md", b"\xef\xbb\xbf---\ntitle: x\nat_semantic_version: 0.0.01.1\n---\nBody\n")
    assert _found(tmp_path) == [("BOM.md", "malformed-version", 3), ("CRLF.md", "ambiguous-publish", 3)]


def test_a_symlink_outside_the_vault_is_reported_and_its_target_never_read(tmp_path: Path) -> None:
    vault, outside = tmp_path / "vault", tmp_path / "outside"
    write_note(vault, "Inside.md", with_frontmatter("publish: true\n"))
    write_note(outside, "Bad.md", with_frontmatter("publish: yes\n"))
    (vault / "Bad link.md").symlink_to(outside / "Bad.md")
    report = check_vault(_config(vault))
    assert [(p.path, p.kind, p.line) for p in report.problems] == [("Bad link.md", "symlink-outside", None)]
    assert report.notes == 1


def test_a_symlink_inside_the_vault_is_checked_under_its_own_name(tmp_path: Path) -> None:
    write_note(tmp_path, "Real.md", with_frontmatter("publish: yes\n"))
    (tmp_path / "Alias.md").symlink_to("Real.md")
    assert _found(tmp_path) == [("Alias.md", "ambiguous-publish", 2), ("Real.md", "ambiguous-publish", 2)]


def test_a_dangling_symlink_is_reported_as_unreadable(tmp_path: Path) -> None:
    (tmp_path / "Gone.md").symlink_to(tmp_path / "nowhere.md")
    assert _found(tmp_path) == [("Gone.md", "unreadable", None)]


def test_conflict_copies_are_listed_not_checked(tmp_path: Path) -> None:
    write_note(tmp_path, "Idea.md", with_frontmatter("publish: true\n"))
    write_note(tmp_path, "Idea.sync-conflict-20250101-120000-ABCDEFG.md", with_frontmatter("publish: yes\n"))
    write_note(tmp_path, "Idea (Bob's conflicted copy 2025-01-01).md", with_frontmatter("bad: [\n"))
    report = check_vault(_config(tmp_path))
    assert report.problems == ()
    assert report.notes == 1
    assert report.conflicts == (
        "Idea (Bob's conflicted copy 2025-01-01).md",
        "Idea.sync-conflict-20250101-120000-ABCDEFG.md",
    )


def test_ignored_paths_are_not_checked(tmp_path: Path) -> None:
    write_note(tmp_path, "Templates/New.md", with_frontmatter("at_semantic_version: '{{version}}'\n"))
    write_note(tmp_path, ".obsidian/snippet.md", with_frontmatter("bad: [\n"))
    write_note(tmp_path, ".trash/Old.md", with_frontmatter("publish: yes\n"))
    assert _found(tmp_path, _config(tmp_path, ignore=["Templates/"])) == []


def test_the_cached_check_reports_the_same_and_sees_a_fix(tmp_path: Path) -> None:
    vault = tmp_path / "vault"
    write_note(vault, "A.md", with_frontmatter("publish: yes\n"))
    write_note(vault, "B.md", with_frontmatter("at_semantic_version: 1.0\n"))
    config = _config(vault)
    with State(tmp_path / "state" / "state.db") as state:
        first = check_vault(config, state=state)
        second = check_vault(config, state=state)
        assert second == first
        assert [(p.path, p.kind) for p in first.problems] == [
            ("A.md", "ambiguous-publish"),
            ("B.md", "numeric-version"),
        ]
        write_note(vault, "A.md", with_frontmatter("publish: false\n"))
        (vault / "B.md").unlink()
        third = check_vault(config, state=state)
    assert third.problems == ()
    assert third.notes == 1
    assert not list(vault.rglob("*.db"))


def test_check_writes_nothing_in_the_vault(tmp_path: Path) -> None:
    write_note(tmp_path, "A.md", with_frontmatter("publish: yes\nat_semantic_version: 1.0\n"))
    before = {p: p.read_bytes() for p in tmp_path.rglob("*")}
    check_vault(_config(tmp_path))
    assert {p: p.read_bytes() for p in tmp_path.rglob("*")} == before


BROKEN = {
    "invalid-frontmatter": "title: [unclosed\n",
    "duplicate-key": "title: a\ntitle: b\n",
    "malformed-version": "at_semantic_version: 0.0.01.1\n",
    "numeric-version": "at_semantic_version: 1.0\n",
    "malformed-date": "date_modified: next week\n",
    "ambiguous-publish": "publish: yes\n",
}


def test_a_5000_note_vault_finishes_and_reports_every_bad_note(tmp_path: Path) -> None:
    vault = tmp_path / "vault"
    expected: set[tuple[str, str]] = set()
    for i in range(5000):
        folder = f"Folder {i % 40:02d}"
        path = f"{folder}/Note {i:04d}.md"
        kinds = list(BROKEN)
        if i % 97 == 0:
            kind = kinds[(i // 97) % len(kinds)]
            write_note(vault, path, with_frontmatter(BROKEN[kind], f"Broken {i}\n"))
            expected.add((path, kind))
        elif i % 250 == 1:
            # Pairs of notes that share a uuid (i and i + 1) or a slug (i and i + 2).
            write_note(vault, path, with_frontmatter(f"site_uuid: uuid-{i}\nslug: slug-{i}\n"))
            write_note(vault, f"Pairs/uuid {i}.md", with_frontmatter(f"site_uuid: uuid-{i}\n"))
            write_note(vault, f"Pairs/slug {i}.md", with_frontmatter(f"slug: slug-{i}\n"))
            expected |= {
                (path, "duplicate-uuid"),
                (f"Pairs/uuid {i}.md", "duplicate-uuid"),
                (path, "duplicate-slug"),
                (f"Pairs/slug {i}.md", "duplicate-slug"),
            }
        else:
            fields = f"title: Note {i}\npublish: {'true' if i % 2 else 'false'}\nat_semantic_version: 0.0.{i}.1\n"
            write_note(vault, path, with_frontmatter(fields, f"# Note {i}\n\nText with [[Note {i + 1:04d}]].\n"))
    with State(tmp_path / "state" / "state.db") as state:
        report = check_vault(_config(vault), state=state)
    found = {(p.path, p.kind) for p in report.problems}
    assert found == expected
    assert len(report.problems) == len(expected)
    assert {kind for _, kind in expected} == {*BROKEN, "duplicate-uuid", "duplicate-slug"}
    assert report.notes == 5000 + 2 * len(range(1, 5000, 250))


def test_the_cached_check_follows_a_change_of_field_names(tmp_path: Path) -> None:
    vault = tmp_path / "vault"
    write_note(vault, "A.md", with_frontmatter("publish: yes\nshare: true\n"))
    with State(tmp_path / "state" / "state.db") as state:
        before = check_vault(_config(vault), state=state)
        after = check_vault(_config(vault, fields={"publish": "share"}), state=state)
        back = check_vault(_config(vault), state=state)
    assert [p.kind for p in before.problems] == ["ambiguous-publish"]
    assert after.problems == ()
    assert back == before
