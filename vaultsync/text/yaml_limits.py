"""Limits that keep a hostile YAML block's cost linear in its size, checked on the composed graph before loading.

The composed node graph shares every aliased node, so even a "billion laughs" block composes in microseconds;
expanding it (into Python objects, JSON, a comparison) is what costs. `hostile_graph` counts first.
"""

from __future__ import annotations

import re
from typing import Literal

import yaml

from vaultsync.errors import ALIAS_EXPANSION, FRONTMATTER_TOO_DEEP

# Hostile input costs no more than its size warrants. A frontmatter block over this size is refused unread:
# a person's properties are a few KiB, and parsing costs about 0.5 s per MiB (each stamp parses twice).
MAX_FRONTMATTER_BYTES = 1024 * 1024
# Aliases may add at most this many values to what is written. The composed node graph shares aliased nodes, so
# it is small even for a "billion laughs" block; expanding it (into Python objects, JSON, a comparison) is not.
MAX_ALIAS_EXPANSION = 10_000
# Values nested deeper than this are refused: Obsidian's properties are flat, and Python's own recursion (JSON,
# comparisons) stops near 1,000 levels, which libyaml still accepts.
MAX_NESTING = 100
# Why a block is refused, beyond invalid YAML: vault/problems.py reports these as problem kinds of their own
# (the values of errors.ALIAS_EXPANSION, FRONTMATTER_TOO_LARGE and FRONTMATTER_TOO_DEEP; a test holds them equal).
ErrorKind = Literal["alias-expansion", "frontmatter-too-large", "frontmatter-too-deep"]


_ANCHOR = re.compile(r"&([^\s,\[\]{}]+)")


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [child for pair in node.value for child in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _may_be_hostile(text: str) -> bool:
    """False when the text can neither alias (no `*`) nor nest past `MAX_NESTING`: a cheap test on the text."""
    if "*" in text:
        return True
    flow = text.count("[") + text.count("{")
    if flow >= MAX_NESTING:
        return True
    # A block level needs more indentation, a `- ` or a `? `; the mapping under each adds at most one more.
    # So the block part nests at most 2 * (longest leading run + 1) deep: look for a run long enough to matter.
    run = max(0, (MAX_NESTING - flow + 1) // 2 - 1)
    return re.search(rf"^[ \t?-]{{{run},}}", text, re.MULTILINE) is not None


def hostile_graph(text: str, root: yaml.Node) -> tuple[ErrorKind, str, int] | None:
    """Why the composed graph is refused (kind, why, 0-based line of the culprit node); None when it may load.

    An alias composes to the anchored node itself, so the graph is a DAG (a cycle for a recursive alias). Count
    the values it expands to and its depth, bottom-up and memoised (linear in the graph), before anything is
    constructed.
    """
    if not _may_be_hostile(text):
        return None
    cap = MAX_ALIAS_EXPANSION + 2 * len(text) + 2  # above any count that passes: every node takes some text
    expanded: dict[int, int] = {}
    depth: dict[int, int] = {}
    on_path: set[int] = set()
    distinct = 0
    repeated: yaml.Node | None = None
    stack: list[tuple[yaml.Node, list[yaml.Node] | None]] = [(root, None)]
    while stack:
        node, children = stack.pop()
        key = id(node)
        if children is not None:  # the children are done
            on_path.discard(key)
            # Saturated: a deep bomb's count would be a number with thousands of digits.
            expanded[key] = min(1 + sum([expanded[id(child)] for child in children]), cap)
            depth[key] = 1 + max(depth[id(child)] for child in children)
            continue
        if key in on_path:
            why = f"the frontmatter refers to itself through an alias (*{_anchor(text, node)})"
            return ALIAS_EXPANSION, why, node.start_mark.line
        if key in expanded:
            repeated = repeated or node
            continue
        distinct += 1
        expanded[key], depth[key] = 0, 0  # seen; the real values are set once the children are done
        children = _children(node)
        if children:
            on_path.add(key)
            stack.append((node, children))
            stack.extend((child, None) for child in reversed(children))
        else:
            expanded[key], depth[key] = 1, 1
    if depth[id(root)] > MAX_NESTING:
        # Named by the top-level key that holds the deepest value: where the user looks first.
        line = next(k.start_mark.line for k, v in root.value if max(depth[id(k)], depth[id(v)]) >= MAX_NESTING)
        return FRONTMATTER_TOO_DEEP, f"the frontmatter nests values more than {MAX_NESTING} levels deep", line
    if expanded[id(root)] - distinct > MAX_ALIAS_EXPANSION:
        assert repeated is not None
        why = (
            f"the frontmatter's aliases expand it to more than {MAX_ALIAS_EXPANSION:,} values "
            f"(&{_anchor(text, repeated)} and the aliases of it)"
        )
        return ALIAS_EXPANSION, why, repeated.start_mark.line
    return None


def _anchor(text: str, node: yaml.Node) -> str:
    found = _ANCHOR.match(text, node.start_mark.index)
    return found.group(1) if found else "…"
