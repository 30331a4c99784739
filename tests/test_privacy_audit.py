"""The privacy audit: every private note and private-only attachment carries a unique secret, the vault goes
through every change that publishing must follow, and after each `vaultsync publish` no secret is anywhere in
the publication repository (work tree, `.git`, every object) and the published set is exactly the notes whose
flag is strictly true.

tests/test_publish.py has the first privacy test; this one goes wider: more near-miss flags, every ignored
place, symlinks both ways, moves in and out of the vault, and three publishing configurations.
"""

from __future__ import annotations

import os
import random
import secrets
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from conftest import VaultBuilder
from crashkit import MANIFEST, collapse_manifest

from vaultsync.cli.main import run

# Frontmatter a writer might believe publishes a note, and that must not (`{s}` is the secret).
PRIVATE_FORMS: dict[str, str | bytes] = {
    "false": "---\npublish: false\n---\n{s}\n",
    "missing": "---\ntitle: No flag\n---\n{s}\n",
    "no-frontmatter": "{s}\npublish: true\n",
    "yes": "---\npublish: yes\n---\n{s}\n",
    "Yes": "---\npublish: Yes\n---\n{s}\n",
    "on": "---\npublish: on\n---\n{s}\n",
    "one": "---\npublish: 1\n---\n{s}\n",
    "True-space": '---\npublish: "True "\n---\n{s}\n',
    "space-true": "---\npublish: ' true'\n---\n{s}\n",
    "truee": "---\npublish: truee\n---\n{s}\n",
    "empty": "---\npublish:\n---\n{s}\n",
    "null": "---\npublish: ~\n---\n{s}\n",
    "list": "---\npublish: [true]\n---\n{s}\n",
    "mapping": "---\npublish: {really: true}\n---\n{s}\n",
    "tagged": "---\npublish: !!bool true\n---\n{s}\n",
    "anchored": "---\npublish: &p true\n---\n{s}\n",
    "alias": "---\nother: &p true\npublish: *p\n---\n{s}\n",
    "duplicate-true-last": "---\npublish: false\npublish: true\n---\n{s}\n",
    "duplicate-true-first": "---\npublish: true\npublish: false\n---\n{s}\n",
    "key-case": "---\nPublish: true\n---\n{s}\n",
    "folded": "---\npublish: >\n  true\n---\n{s}\n",
    "nested": "---\nmeta:\n  publish: true\n---\n{s}\n",
    "commented": "---\n# publish: true\ntitle: x\n---\n{s}\n",
    "in-body": "---\ntitle: x\n---\npublish: true\n{s}\n",
    "blank-line-first": "\n---\npublish: true\n---\n{s}\n",
    "unclosed": "---\npublish: true\n{s}\n",
    "invalid-yaml": "---\npublish: true\ntitle: [unclosed\n---\n{s}\n",
    "bad-indent": "---\npublish: true\n  title: x\n---\n{s}\n",
    "tab-indent": "---\npublish: true\n\ttitle: x\n---\n{s}\n",
    "not-a-mapping": "---\n- publish: true\n---\n{s}\n",
    "nul-byte": b"---\npublish: true\x00\n---\n{s}\n",
    "non-utf8": b"---\npublish: true\ntitle: \xff\xfe\n---\n{s}\n",
    "toml": "+++\npublish = true\n+++\n{s}\n",
}
# Forms that publish (the flag strictly true): the YAML 1.2 boolean (true, True, TRUE), or the string "true".
PUBLIC_FORMS: dict[str, str | bytes] = {
    "true": "---\npublish: true\n---\n{b}\n",
    "capitalised": "---\npublish: True\ntitle: x\n---\n{b}\n",
    "upper-case": "---\ntitle: x\npublish: TRUE\n---\n{b}\n",
    "double-quoted": '---\npublish: "true"\n---\n{b}\n',
    "single-quoted": "---\npublish: 'true'\n---\n{b}\n",
    "commented": "---\npublish: true   # yes, really\n---\n{b}\n",
    "crlf-bom": b"\xef\xbb\xbf---\r\npublish: true\r\n---\r\n{b}\r\n",
}
# Places where a note is never part of the vault, whatever its flag says.
IGNORED_PLACES = (
    ".obsidian/plugin.md",
    ".trash/deleted.md",
    ".hidden/note.md",
    "Folder/.hidden-note.md",
    "node_modules/pkg/readme.md",
    ".stversions/old.md",
    "Folder/note.sync-conflict-20240101-120000-ABCDEFG.md",
    "Folder/note (Someone's conflicted copy 2024-01-01).md",
    "Drafts/draft.md",  # ignored by the config below
    "Folder/.n.md.vaultsync-tmp-999999999-0badf00d",  # a stale temp file of a killed stamp
)
CONFIG = "state_dir: ../state\nignore: [Drafts/]\n"


def fill(form: str | bytes, text: str) -> bytes:
    raw = form.encode("utf-8") if isinstance(form, str) else form
    return raw.replace(b"{s}", text.encode()).replace(b"{b}", text.encode())


@dataclass
class Audit:
    """A vault, its publication repository, every secret ever written, and what must be published."""

    vault: VaultBuilder
    repo: Path
    outside: Path
    folder: str
    options: list[str]
    unlink: bool = False
    secrets: list[str] = field(default_factory=list)
    public: dict[str, bytes] = field(default_factory=dict)  # vault path -> bytes, the strictly-true notes
    attachments: set[str] = field(default_factory=set)  # vault paths of attachments public notes use
    steps: int = 0

    def secret(self, label: str) -> str:
        value = f"SECRET-{label}-{secrets.token_hex(6)}"
        self.secrets.append(value)
        return value

    def private(self, path: str, form: str | bytes, *, label: str = "private") -> str:
        secret = self.secret(label)
        self.vault.write(path, fill(form, secret))
        self.public.pop(path, None)
        return secret

    def publish_note(self, path: str, form: str | bytes = PUBLIC_FORMS["true"], body: str = "Public text.") -> None:
        self.public[path] = self.vault.write(path, fill(form, body)).read_bytes()

    def remove(self, path: str) -> None:
        self.vault.remove(path)
        self.public.pop(path, None)

    def move(self, old: str, new: str) -> None:
        self.vault.move(old, new)
        if old in self.public:
            self.public[new] = self.public.pop(old)

    def output(self, path: str) -> str:
        return f"{self.folder}/{path}" if self.folder else path

    def publish_and_check(self, step: str) -> None:
        code = run(["-q", "--vault", str(self.vault.root), "publish", "--to", str(self.repo), *self.options])
        assert code == 0, f"{step}: publish exited {code}"
        self.steps += 1
        assert leaks(self.repo, self.secrets) == [], f"{step}: secrets reached the publication repository"
        published = committed_files(self.repo)
        notes = {p for p in published if p.endswith(".md")}
        assert notes == {self.output(p) for p in self.public}, f"{step}: the published notes are not the public ones"
        for path, raw in self.public.items():
            copy = published[self.output(path)]
            if self.unlink:  # links to private notes became text: the frontmatter at least is as written
                assert copy[: raw.index(b"---", 3)] == raw[: raw.index(b"---", 3)], f"{step}: {path}"
            else:
                assert copy == raw, f"{step}: {path} is not published byte for byte"
        others = {p for p in published if not p.startswith(self.output(MANIFEST) + "/")} - notes
        assert others == {self.output(p) for p in self.attachments}, f"{step}: wrong attachments published"
        on_disk = {p for p in files_under(self.repo) if not p.startswith(".git/")}
        assert on_disk == set(published), f"{step}: the work tree holds other files than the commit"


def files_under(root: Path) -> dict[str, bytes]:
    found = {}
    for folder, _dirs, names in os.walk(root):
        for name in names:
            path = Path(folder) / name
            found[path.relative_to(root).as_posix()] = b"" if path.is_symlink() else path.read_bytes()
    return found


def committed_files(repo: Path) -> dict[str, bytes]:
    if not (repo / ".git").is_dir():
        return {}
    names = subprocess.run(
        ["git", "-C", str(repo), "ls-tree", "-r", "-z", "--name-only", "HEAD"], capture_output=True, check=True
    ).stdout.split(b"\0")
    return {
        n.decode(): subprocess.run(
            ["git", "-C", str(repo), "cat-file", "blob", f"HEAD:{n.decode()}"], capture_output=True, check=True
        ).stdout
        for n in names
        if n
    }


def leaks(repo: Path, wanted: list[str]) -> list[str]:
    """The secrets found anywhere in the repository: in a file or a file name of the work tree or of `.git`
    (refs, logs, the index), or in any object, reachable or not (`git cat-file --batch-all-objects`)."""
    if not (repo / ".git").is_dir():
        return []  # nothing was ever published
    objects = subprocess.run(
        ["git", "-C", str(repo), "cat-file", "--batch-all-objects", "--batch"], capture_output=True, check=True
    ).stdout
    haystack = [objects]
    for path, raw in files_under(repo).items():
        haystack += [path.encode(), raw]
    everything = b"\n".join(haystack)
    return [s for s in wanted if s.encode() in everything]


def make_audit(tmp_path: Path, *, folder: str, unlink: bool) -> Audit:
    vault = VaultBuilder(tmp_path / "vault")
    vault.write(
        ".vaultsync.yaml", CONFIG + f"publish:\n  folder: '{folder}'\n  unlink_private: {str(unlink).lower()}\n"
    )
    outside = tmp_path / "outside"
    outside.mkdir()
    return Audit(vault, tmp_path / "site", outside, folder, [], unlink=unlink)


def build_vault(a: Audit) -> None:
    """Every kind of private note, every ignored place, every way an attachment could sneak in."""
    for name, form in PUBLIC_FORMS.items():
        a.publish_note(f"pub/{name}.md", form, body=f"Public {name}. [[private/false]] [[private/yes|a link]]")
    for name, form in PRIVATE_FORMS.items():
        a.private(f"private/{name}.md", form, label=name)
    for place in IGNORED_PLACES:
        a.private(place, PUBLIC_FORMS["true"], label="ignored")
    # Attachments: one shared with public notes; the rest used only privately, or reachable only through
    # hidden folders, ignored folders, the outside world, or a link dressed up as an image.
    a.vault.write("img/shared.png", b"\x89PNG shared image")
    a.attachments.add("img/shared.png")
    for i in range(3):
        a.vault.write(f"img/private-{i}.png", a.secret("attachment").encode())
    a.private("private/uses-attachments.md", "---\npublish: false\n---\n{s} ![[private-0.png]] ![[shared.png]]\n")
    a.private("private/uses-more.md", "---\npublish: yes\n---\n{s} ![](../img/private-1.png)\n")
    a.vault.write(".hidden/secret.png", a.secret("hidden-attachment"))
    a.vault.write("Drafts/secret.png", a.secret("ignored-attachment"))
    (a.outside / "secret.png").write_text(a.secret("outside-attachment"))
    (a.outside / "secret.md").write_text(f"---\npublish: true\n---\n{a.secret('outside-note')}\n")
    (a.vault.root / "img" / "outside.png").symlink_to(a.outside / "secret.png")
    (a.vault.root / "img" / "a-note.png").symlink_to(a.vault.root / "private" / "false.md")
    a.publish_note(
        "pub/embeds.md",
        body=(
            "![[shared.png]] ![](../.hidden/secret.png) ![[Drafts/secret.png]] ![](../../outside/secret.png) "
            "![[outside.png]] ![[a-note.png]] ![[private/false]] ![[false.md]] [[yes#Heading]]"
        ),
    )
    (a.vault.root / "pub" / "outside-link.md").symlink_to(a.outside / "secret.md")


STEPS: list[tuple[str, Callable[[Audit], None]]] = []


def step(name: str) -> Callable[[Callable[[Audit], None]], Callable[[Audit], None]]:
    def register(fn: Callable[[Audit], None]) -> Callable[[Audit], None]:
        STEPS.append((name, fn))
        return fn

    return register


@step("flags flip true -> false with a secret in the same edit")
def _flip_to_private(a: Audit) -> None:
    a.private("pub/true.md", "---\npublish: false\n---\nNow private: {s}\n", label="flip")
    a.private("pub/capitalised.md", PRIVATE_FORMS["yes"], label="flip-yes")
    a.private("pub/upper-case.md", PRIVATE_FORMS["True-space"], label="flip-spaced")
    a.private("pub/double-quoted.md", PRIVATE_FORMS["one"], label="flip-one")
    a.private("pub/single-quoted.md", PRIVATE_FORMS["invalid-yaml"], label="flip-invalid")
    a.private("pub/commented.md", PRIVATE_FORMS["duplicate-true-last"], label="flip-duplicate")


@step("flags flip back false -> true (the secret taken out)")
def _flip_back(a: Audit) -> None:
    a.publish_note("pub/true.md", body="Public again.")
    a.publish_note("pub/single-quoted.md", PUBLIC_FORMS["single-quoted"], body="Fixed YAML, public again.")


@step("renames: public, private, into a hidden folder, private onto a public note's old path")
def _renames(a: Audit) -> None:
    a.move("pub/true.md", "pub/renamed/true.md")
    a.move("private/false.md", "pub/was-private.md")
    a.move("pub/crlf-bom.md", ".archive/crlf-bom.md")
    a.public.pop(".archive/crlf-bom.md")  # a hidden folder is not part of the vault
    a.remove("pub/single-quoted.md")
    a.move("private/yes.md", "pub/single-quoted.md")


@step("deletions: public notes, private notes, the last public user of an attachment")
def _deletions(a: Audit) -> None:
    a.remove("pub/renamed/true.md")
    a.remove("private/one.md")
    a.remove("pub/embeds.md")
    a.attachments.discard("img/shared.png")


@step("moves out of the vault and into it")
def _moves(a: Audit) -> None:
    a.publish_note("pub/sub/leaving.md", body="Public, then moved out of the vault.")
    a.publish_and_check("a folder about to leave")
    shutil.move(a.vault.root / "pub" / "sub", a.outside / "sub")
    a.public.pop("pub/sub/leaving.md")
    arriving = a.outside / "arriving"
    (arriving / "deep").mkdir(parents=True)
    (arriving / "public.md").write_bytes(fill(PUBLIC_FORMS["true"], "Arrived public."))
    (arriving / "deep" / "private.md").write_bytes(fill(PRIVATE_FORMS["yes"], a.secret("arriving")))
    shutil.move(arriving, a.vault.root / "arrived")
    a.public["arrived/public.md"] = (a.vault.root / "arrived" / "public.md").read_bytes()


@step("symlinks in and out")
def _symlinks(a: Audit) -> None:
    # A public note replaced by a link to a flagged note outside; a folder link out; links to notes inside.
    a.remove("pub/upper-case.md")
    (a.vault.root / "pub" / "upper-case.md").symlink_to(a.outside / "secret.md")
    linked = a.outside / "linked-folder"
    linked.mkdir()
    (linked / "flagged.md").write_bytes(fill(PUBLIC_FORMS["true"], a.secret("linked-folder")))
    (a.vault.root / "pub" / "linked-folder").symlink_to(linked)
    (a.vault.root / "pub" / "alias-of-private.md").symlink_to(a.vault.root / "private" / "on.md")
    (a.vault.root / "pub" / "folder-alias").symlink_to(a.vault.root / "private")


@step("a public note turned invalid, with the secret added in the same save")
def _invalid(a: Audit) -> None:
    a.private("pub/was-private.md", "---\npublish: true\ntitle: [oops\n---\n{s}\n", label="broken")
    a.private("arrived/public.md", "---\npublish: true\npublish: true\n---\n{s}\n", label="duplicated")


@step("a private edit of the same size and mtime, which the stat cache cannot see, then any later touch")
def _racy(a: Audit) -> None:
    path = a.vault.root / "pub" / "double-quoted.md"
    a.publish_note("pub/double-quoted.md", PUBLIC_FORMS["double-quoted"], body="x" * 40)
    a.publish_and_check("before the racy edit")
    before = path.stat()
    secret = a.secret("racy")
    raw = fill('---\npublish: "fals"\n---\n{s}\n', secret)
    raw = raw.replace(secret.encode(), (secret + "y" * (before.st_size - len(raw))).encode())
    assert len(raw) == before.st_size
    with open(path, "r+b") as f:  # in place: same inode, and the mtime put back: the cache still matches
        f.write(raw)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    a.public.pop("pub/double-quoted.md")
    # The stale cache keeps the old public copy published (docs/reliability.md: known limits), but the new
    # bytes are read before anything is written, so the secret cannot follow.
    assert run(["-q", "--vault", str(a.vault.root), "publish", "--to", str(a.repo)]) == 0
    assert leaks(a.repo, a.secrets) == []
    os.utime(path)  # any later save or touch: the next publish sees it


@pytest.mark.parametrize(
    ("folder", "unlink"),
    [
        pytest.param("", False, id="mirrored-paths"),
        pytest.param("content/notes", False, id="in-a-folder"),
        pytest.param("", True, id="unlink-private"),
    ],
)
def test_no_secret_ever_reaches_the_publication_repository_through_any_change(
    tmp_path: Path, git_env: dict[str, str], state_home: Path, folder: str, unlink: bool
) -> None:
    a = make_audit(tmp_path, folder=folder, unlink=unlink)
    build_vault(a)
    a.publish_and_check("first publish")
    for name, change in STEPS:
        change(a)
        a.publish_and_check(name)
    assert a.steps == len(STEPS) + 3 and len(a.secrets) > 60


def test_under_slug_naming_unsafe_slugs_publish_nothing_and_no_secret_follows(
    tmp_path: Path, git_env: dict[str, str], state_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a = make_audit(tmp_path, folder="content", unlink=False)
    a.vault.write(".vaultsync.yaml", CONFIG + "publish:\n  folder: content\n  naming: slug\n")
    a.repo.mkdir()
    subprocess.run(["git", "-C", str(a.repo), "init", "-q", "-b", "main"], check=True)
    (a.repo / "private").mkdir()
    (a.repo / "private" / "keep.md").write_text("The site's own file.\n")
    unsafe = ["..", "../private/keep", "a/../../b", ".hidden", "con", "x\\\\y", "", "'../../etc/passwd'", "'..'"]
    for i, slug in enumerate(unsafe):
        a.vault.write(f"pub/unsafe-{i}.md", f"---\npublish: true\nslug: {slug}\n---\nUnsafe slug {i}.\n")
    a.vault.write("pub/ok.md", "---\npublish: true\nslug: a-safe-slug\n---\nSafe.\n")
    a.private("private/p.md", "---\npublish: false\nslug: private-slug\n---\n{s}\n")
    a.private("private/q.md", "---\npublish: yes\nslug: a-safe-slug-too\n---\n{s}\n")

    code = run(["-q", "--vault", str(a.vault.root), "publish", "--to", str(a.repo)])

    assert code == 1  # the unsafe slugs are errors, each naming its note; the rest is published
    err = capsys.readouterr().err
    assert all(f"pub/unsafe-{i}.md" in err for i in range(len(unsafe))), err
    assert collapse_manifest(committed_files(a.repo)) == {"content/a-safe-slug.md", f"content/{MANIFEST}"}
    assert leaks(a.repo, a.secrets) == []
    assert (a.repo / "private" / "keep.md").read_text() == "The site's own file.\n"
    outside = {p for p in files_under(tmp_path) if not p.startswith(("vault/", "site/", "state/"))}
    assert outside == set(), f"written outside the vault and the repository: {outside}"


def test_an_attachment_swapped_for_a_link_to_a_private_note_after_planning_is_not_published(
    tmp_path: Path, git_env: dict[str, str]
) -> None:
    from vaultsync.config import load_config
    from vaultsync.publishing.apply import apply_publish
    from vaultsync.publishing.plan import plan_publish

    a = make_audit(tmp_path, folder="", unlink=False)
    a.publish_note("pub/page.md", body="![[pic.png]]")
    a.vault.write("img/pic.png", b"\x89PNG a picture")
    a.private("private/diary.md", PRIVATE_FORMS["false"], label="diary")
    config = load_config(vault=a.vault.root).with_publish_repo(a.repo)
    plan = plan_publish(config)
    assert [x.output for x in plan.add] == ["img/pic.png", "pub/page.md"]
    a.vault.remove("img/pic.png")
    (a.vault.root / "img" / "pic.png").symlink_to(a.vault.root / "private" / "diary.md")

    result = apply_publish(config, plan)

    assert leaks(a.repo, a.secrets) == []
    assert [(p.path, p.message) for p in result.problems] == [
        ("img/pic.png", "it is a link to a note, and a note is published only by its own flag; not published")
    ]
    assert collapse_manifest(committed_files(a.repo)) == {"pub/page.md", MANIFEST}


# -- a random walk through every kind of change ----------------------------------------------------------------

FOLDERS = ("", "pub/", "notes/deep/", "Drafts/", ".archive/", "private/")
SHARED = tuple(f"img/shared-{i}.png" for i in range(3))
PRIVATE_ONLY = tuple(f"img/secret-{i}.png" for i in range(3))


def _visible(path: str) -> bool:
    """Whether a path is part of the vault (not hidden, not ignored by the config of these tests)."""
    return not path.startswith(("Drafts/", ".archive/"))


def random_walk(tmp_path: Path, steps: int, seed: int) -> int:
    """`steps` random changes, each followed by a publish and the full audit; returns the secrets planted."""
    rng = random.Random(seed)
    a = make_audit(tmp_path, folder="site-notes" if seed % 2 else "", unlink=bool(seed % 3 == 0))
    for shared in SHARED:
        a.vault.write(shared, f"shared image {shared}")
    for private in PRIVATE_ONLY:
        a.vault.write(private, a.secret("private-attachment"))
    notes: set[str] = set()  # real files that are notes (a note replaced by a symlink leaves this set)
    flagged: dict[str, str] = {}  # notes whose flag is strictly true, wherever they are -> the image they embed
    links: dict[str, str] = {}  # a note that is a symlink to another note of the vault -> that note
    counter = 0

    def new_path() -> str:
        nonlocal counter
        counter += 1
        return f"{rng.choice(FOLDERS)}n{counter}.md"

    def make_public(path: str) -> None:
        flagged[path] = rng.choice(SHARED)
        form = rng.choice(list(PUBLIC_FORMS.values()))
        a.vault.write(path, fill(form, f"Public {path} ![[{flagged[path]}]]"))
        notes.add(path)

    def make_private(path: str) -> None:
        form = rng.choice(list(PRIVATE_FORMS.values()))
        a.vault.write(path, fill(form, f"{a.secret('walk')} ![[{rng.choice(PRIVATE_ONLY)}]]"))
        flagged.pop(path, None)
        notes.add(path)

    def forget(path: str) -> None:
        flagged.pop(path, None)
        notes.discard(path)

    for step_no in range(steps):
        op = rng.choice(["add-public", "add-private", "flip", "flip", "rename", "delete", "out-and-in", "symlink"])
        if op not in ("add-public", "add-private") and not notes:
            op = "add-public"
        path = rng.choice(sorted(notes)) if notes else ""
        if op == "add-public":
            make_public(new_path())
        elif op == "add-private":
            make_private(new_path())
        elif op == "flip":
            (make_private if path in flagged else make_public)(path)
        elif op == "rename":
            target, shared = new_path(), flagged.get(path)
            a.vault.move(path, target)
            forget(path)
            notes.add(target)
            if shared is not None:
                flagged[target] = shared
        elif op == "delete":
            a.vault.remove(path)
            forget(path)
        elif op == "out-and-in":
            outside, shared = a.outside / f"moved-{step_no}.md", flagged.get(path)
            shutil.move(a.vault.root / path, outside)
            forget(path)
            if rng.random() < 0.5:  # and back in, somewhere else, as it is
                target = new_path()
                (a.vault.root / target).parent.mkdir(parents=True, exist_ok=True)
                shutil.move(outside, a.vault.root / target)
                notes.add(target)
                if shared is not None:
                    flagged[target] = shared
        else:  # a note replaced by a link: to a private note inside, or to a flagged secret outside
            a.vault.remove(path)
            forget(path)
            inside = [p for p in sorted(notes) if p not in flagged and _visible(p)]
            if not (a.outside / "secret.md").exists():
                (a.outside / "secret.md").write_text(f"---\npublish: true\n---\n{a.secret('outside')}\n")
            if inside and rng.random() < 0.5:
                (a.vault.root / path).symlink_to(a.vault.root / inside[0])
                links[path] = inside[0]  # private now; it follows its target's flag from here on
            else:
                (a.vault.root / path).symlink_to(a.outside / "secret.md")
        # A linked note is published as its own copy when its target is (its flag is the target's).
        visible = [p for p in flagged if _visible(p)]
        visible += [link for link, target in links.items() if target in flagged and _visible(link)]
        a.public = {p: (a.vault.root / p).read_bytes() for p in visible}
        a.attachments = {flagged[links.get(p, p)] for p in visible}
        a.publish_and_check(f"step {step_no}: {op} {path}")
    return len(a.secrets)


def test_a_random_walk_of_flips_renames_moves_deletions_and_links_never_leaks(
    tmp_path: Path, git_env: dict[str, str], state_home: Path
) -> None:
    assert random_walk(tmp_path, steps=25, seed=1) > 5


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(6))
def test_long_random_walks_never_leak(tmp_path: Path, git_env: dict[str, str], state_home: Path, seed: int) -> None:
    planted = random_walk(tmp_path, steps=150, seed=seed)
    print(f"[privacy walk seed {seed}] steps=150 secrets={planted}")
