"""Git's conflict markers in a note: the sign of a merge (or stash pop, rebase step) left half done."""

from __future__ import annotations

_OPEN = b"<<<<<<< "
_BASE = b"|||||||"
_SPLIT = b"======="
_CLOSE = b">>>>>>> "


def conflict_marker_line(raw: bytes) -> int | None:
    """The 1-based line of the first `<<<<<<< ` that a `=======` and then a `>>>>>>> ` line follow, else None.

    Only the whole sequence counts: a lone `=======` line is a Markdown (Setext) heading underline, and a lone
    `<<<<<<< ` line is just text. The substring test first keeps this free for the notes without one.
    """
    if not raw.startswith(_OPEN) and b"\n" + _OPEN not in raw:
        return None
    lines = raw.split(b"\n")
    start: int | None = None
    split = False
    for number, line in enumerate(lines, 1):
        line = line.removesuffix(b"\r")
        if line.startswith(_OPEN):
            if start is None or not split:  # a new hunk, or an opening line with no `=======` yet
                start, split = number, False
        elif start is None:
            continue
        elif line == _SPLIT:
            split = True
        elif split and line.startswith(_CLOSE):
            return start
        elif line.startswith(_BASE) and split:
            start, split = None, False  # `|||||||` belongs before `=======` (diff3): this is no hunk
    return None
