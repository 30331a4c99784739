"""Code as CommonMark reads it (markdown-it is the oracle): what is code stays as written, so nothing outside
code may be taken for code."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapekit import rendered_outside_code

from vaultsync.text.code import code_spans


def ours_outside_code(body: bytes) -> bytes:
    kept, pos = [], 0
    for start, end in code_spans(body):
        kept.append(body[pos:start])
        kept.append(b" ")
        pos = end
    kept.append(body[pos:])
    return b"".join(kept)


LEAKS = [
    b"```\r\ncode\r\n```\r\nsee [[Private|nice]] ![[Private]]\r\n```\r\nmore\r\n```",
    b"``a`` ![[Private]] `b`",
    b"\\` ![[Private]] `b`",
    b"```x``` ![[Private]]\nthen\n```\ny\n```",
    b"````\n```\ncode\n````\n![[Private]]\n```\nx\n```\n",
    b"```\n```js\ncode\n```\n![[Private]]\n```\nx\n```\n",
    b"```\ncode\n   ```\n![[Private]]\n```\nx\n```\n",
    b"~~~\ncode\n~~~~ \n![[Private]] `x\n~~~\n",
]


@pytest.mark.parametrize("body", LEAKS)
def test_what_commonmark_shows_outside_code_is_outside_code_here(body: bytes) -> None:
    assert "Private" in rendered_outside_code(body)
    assert b"Private" in ours_outside_code(body)


def test_a_fence_never_closed_is_not_code_the_safe_side() -> None:
    assert code_spans(b"```\nnever closed\n![[Private]]\n") == []


def test_code_is_found_as_commonmark_finds_it() -> None:
    body = b"a `x` b ``y ` z`` c\n ~~~ info `ok`\n[[in]]\n ~~~\n``` j\n[[in2]]\n```\r\nend"
    spans = [body[s:e] for s, e in code_spans(body)]
    assert spans == [b"`x`", b"``y ` z``", b" ~~~ info `ok`\n[[in]]\n ~~~", b"``` j\n[[in2]]\n```"]
    assert code_spans(body, inline=False) == [s for s in code_spans(body) if b"\n" in body[s[0] : s[1]]]
    assert code_spans(b"no code here") == []


def test_a_note_of_unclosed_fences_is_read_in_linear_time() -> None:
    assert code_spans(b"```a\n" * 200_000) == []
    assert code_spans(b"`" * 3000 + b"\n" + b"~" * 3000) == []


PIECES = [b"`", b"``", b"```", b"````", b"~~~", b"~~~~", b"\\", b" ", b"   ", b"\n", b"\r\n", b"x", b"js", b"[[",
          b"]]", b"-", b"> ", b"\t"]  # fmt: skip


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(PIECES) | st.integers(0, 99).map(lambda n: b"Mark%02dq" % n), max_size=40))
def test_a_word_commonmark_shows_outside_code_is_never_taken_for_code(pieces: list[bytes]) -> None:
    body = b"".join(pieces)
    ours = ours_outside_code(body).decode()
    shown = rendered_outside_code(body)
    for word in set(re.findall(r"Mark\d\dq", shown)):
        assert ours.count(word) >= shown.count(word), word


def test_backticks_that_pair_across_lines_leave_no_code_the_other_reading_sees_as_text() -> None:
    body = b"a `\n`[[Private|y]]`\n"
    assert "Private" in rendered_outside_code(body)
    assert b"Private" in ours_outside_code(body)


def test_a_comment_is_found_where_code_began_inside_an_earlier_comment() -> None:
    from vaultsync.text.comments import strip_comments

    assert strip_comments(b"%% ` %% a %% b ` c\n") == b" a "
    assert strip_comments(b"a `%%` b %% c %%\n") == b"a `%%` b \n"
