"""Turn rows into what people read: markdown tables, a JSON file, PNG plots, and the section of docs/performance.md."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from bench.results import Row

GROUPS = {
    "scan": "Scans: stamp, check, status",
    "publish": "Publish",
    "hook": "Git pre-commit hook",
    "targets": "Publication targets: two from one vault, one `publish` (issue 16)",
    "gitsync": "Vault sync through git: `vaultsync sync` (issue 17)",
    "history": "A note's history: `vaultsync log NOTE`",
    "daemon": "Daemon (absolute)",
    "peer": "Peer tool on the same vault",
    "sync": "Two machines and a sync tool (counts, not seconds)",
    "start-up": "Start-up (included in every CLI figure above)",
}
PLOTS = ("scaling-size.png", "scaling-changes.png")
DOCS_START = "<!-- bench:results:start -->"
DOCS_END = "<!-- bench:results:end -->"


def _amount(value: float, unit: str) -> str:
    if unit != "s":
        return f"{value:.1f} {unit}" if unit else f"{value:.3g}"
    if value < 1:
        return f"{value * 1000:.3g} ms"
    return f"{value:.3g} s"


def _spread(row_value: Any, unit: str) -> str:
    if row_value is None:
        return "—"
    if len(row_value.values) == 1:
        return _amount(row_value.median, unit)
    low, high = _amount(row_value.low, unit), _amount(row_value.high, unit)
    return f"{_amount(row_value.median, unit)} ({low} – {high})"


def _ratio(row: Row) -> str:
    if row.ratio is None:
        return "—"
    text = f"{row.ratio:.2f}×" if row.ratio < 10 else f"{row.ratio:.0f}×"
    if row.group == "hook" and row.added is not None:
        text += f" (+{_amount(row.added, 's')})"
    return text


def _verdict(row: Row) -> str:
    if row.target is None:
        return ""
    if row.verdict is None:
        return f"not judged below {row.target.judged_from:,} notes" if row.tool is not None else ""
    if row.verdict:
        return "met"
    margin = row.margin or 0.0
    if row.target.kind == "added":
        return f"**missed** by {margin:.2f} s"
    return f"**missed** ({margin:.1f}× the limit)"


def markdown_tables(rows: list[Row]) -> str:
    out: list[str] = []
    for group, title in GROUPS.items():
        chosen = [r for r in rows if r.group == group]
        if not chosen:
            continue
        out += [f"#### {title}", ""]
        out.append("| scenario | notes | measured: median (min – max) | baseline | baseline: median | ratio | target |")
        out.append("|---|---:|---:|---|---:|---:|---|")
        for row in chosen:
            name = row.scenario if row.who == "vaultsync" else f"{row.who}: {row.scenario}"
            measured = _spread(row.tool, row.unit) if row.tool is not None else row.detail or "not measured"
            detail = f" — {row.detail}" if row.detail and row.tool is not None else ""
            target = f"{row.target.describe(row.unit)}: {_verdict(row)}" if row.target else ""
            baseline = row.baseline_name or "—"
            notes = f"{row.notes:,}" if row.notes else ""
            base = _spread(row.baseline, "s") if row.baseline is not None else "—"
            out.append(f"| {name}{detail} | {notes} | {measured} | {baseline} | {base} | {_ratio(row)} | {target} |")
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def target_summary(rows: list[Row]) -> str:
    """One line per judged target: met, or missed and by how much."""
    lines = []
    for row in rows:
        if row.verdict is None or row.target is None:
            continue
        measured = {
            "ratio": f"{row.ratio or 0:.2f}×",
            "added": f"+{_amount(row.added or 0.0, 's')}",
            "value": _amount(row.tool.median if row.tool else 0.0, row.unit),
        }[row.target.kind]
        lines.append(
            f"- {row.scenario}, {row.notes:,} notes: {measured} against {row.target.describe(row.unit)}: "
            f"{_verdict(row)}"
        )
    lines += scaling_summary(rows)
    return "\n".join(lines) + "\n" if lines else "- no target was judged (vaults below 10,000 notes)\n"


# An incremental run whose cost is independent of vault size may still vary this much between two vaults.
SIZE_INDEPENDENT = 1.5


def _is_incremental_cli(row: Row) -> bool:
    """A `publish` run after k edits through the CLI (the daemon's in-process row is another scenario)."""
    return (
        row.group == "publish"
        and row.who == "vaultsync"
        and bool(row.changed)
        and row.scenario.startswith("incremental")
    )


def scaling_summary(rows: list[Row]) -> list[str]:
    """The issue's "an incremental run grows with the number of changed notes, not with vault size"."""
    times = {(r.notes, r.changed): r.tool.median for r in rows if _is_incremental_cli(r) and r.tool is not None}
    sizes = sorted({n for n, k in times if k == 1})
    if len(sizes) < 2:
        return []
    small, large = sizes[0], sizes[-1]
    growth = times[(large, 1)] / times[(small, 1)]
    verdict = "met" if growth <= SIZE_INDEPENDENT else f"**missed** (×{growth:.2f}, ≤ ×{SIZE_INDEPENDENT:g} expected)"
    line = (
        f"- incremental publish (grows with the edits, not with the vault): 1 edited note takes "
        f"{_amount(times[(small, 1)], 's')} at {small:,} notes, {_amount(times[(large, 1)], 's')} at {large:,} "
        f"(×{growth:.2f} for ×{large / small:g} the notes)"
    )
    changes = sorted(k for n, k in times if n == large and k is not None)
    if len(changes) > 1:
        k_growth = times[(large, changes[-1])] / times[(large, changes[0])]
        line += f"; at {large:,} notes, {changes[0]} → {changes[-1]} edits: ×{k_growth:.2f}"
    return [f"{line}: {verdict}"]


def machine_lines(machine: dict[str, str]) -> str:
    return "\n".join(f"- {key}: {value}" for key, value in machine.items()) + "\n"


def write_results(out: Path, rows: list[Row], machine: dict[str, str], meta: dict[str, Any]) -> Path:
    """results.md, results.json and the plots (when matplotlib is installed) into `out`; returns results.md."""
    out.mkdir(parents=True, exist_ok=True)
    data = {"meta": meta, "machine": machine, "rows": [r.as_dict() for r in rows]}
    (out / "results.json").write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    plotted = plot(rows, out)
    text = [
        "# vaultsync benchmark results",
        "",
        f"Command: `{meta['command']}` — {meta['started']}, {meta['seconds']:.0f} s in all; code {meta['code']}.",
        "",
        "### Machine",
        "",
        machine_lines(machine),
        "### Targets",
        "",
        target_summary(rows),
        markdown_tables(rows),
    ]
    if plotted:
        text += ["", *(f"![{name}]({name})" for name in plotted), ""]
    else:
        text += ["", "(no plots: matplotlib is not installed; `pip install -e '.[bench]'`)", ""]
    path = out / "results.md"
    path.write_text("\n".join(text), encoding="utf-8")
    return path


def update_docs(doc: Path, out: Path, rows: list[Row], machine: dict[str, str], meta: dict[str, Any]) -> None:
    """Replace the generated section of docs/performance.md, and copy the plots next to it."""
    section = [
        DOCS_START,
        f"Latest run: `{meta['command']}` on {meta['started'][:10]} ({meta['seconds']:.0f} s in all), "
        f"code {meta['code']}.",
        "",
        "Machine:",
        "",
        machine_lines(machine),
        "Targets:",
        "",
        target_summary(rows),
        markdown_tables(rows),
    ]
    for name in PLOTS:
        if (out / name).exists():
            shutil.copyfile(out / name, doc.parent / f"perf-{name}")
            section.append(f"![{name}](perf-{name})\n")
    section.append(DOCS_END)
    text = doc.read_text(encoding="utf-8") if doc.exists() else f"# Performance\n\n{DOCS_START}\n{DOCS_END}\n"
    pattern = re.compile(re.escape(DOCS_START) + ".*?" + re.escape(DOCS_END), re.DOTALL)
    if not pattern.search(text):
        text += f"\n{DOCS_START}\n{DOCS_END}\n"
    doc.write_text(pattern.sub(lambda _: "\n".join(section), text), encoding="utf-8")


# -- plots -------------------------------------------------------------------------------------------------

_SIZE_PANELS = (
    (
        "First scan and cold publish",
        (
            ("scan", "cold `stamp` (first sight)", "tool", "cold stamp"),
            ("scan", "cold `check`", "tool", "cold check"),
            ("scan", "cold `stamp` (first sight)", "baseline", "read + yaml.safe_load (floor)"),
            ("publish", "cold `publish` (new repo)", "tool", "cold publish"),
            ("publish", "cold `publish` (new repo)", "baseline", "cp + git add -A + commit"),
        ),
    ),
    (
        "Warm, no-op and one-note runs",
        (
            ("scan", "warm no-op `stamp`", "tool", "warm stamp"),
            ("scan", "warm `status`", "tool", "status"),
            ("publish", "no-op `publish`", "tool", "no-op publish"),
            ("publish", "incremental `publish`, 1 note edited", "tool", "publish after 1 edit"),
            ("publish", "daemon's publish of 1 edited note (`watch --publish`, in-process)", "tool", "daemon: 1 edit"),
            ("hook", "`git commit` of 1 note with the hook", "tool", "1-note commit with hook"),
            ("scan", "warm no-op `stamp`", "baseline", "git status"),
            ("hook", "`git commit` of 1 note with the hook", "baseline", "1-note commit, no hook"),
        ),
    ),
)


def _series(rows: Iterable[Row], group: str, scenario: str, which: str) -> tuple[list[int], list[float]]:
    points = sorted(
        (r.notes, (r.tool if which == "tool" else r.baseline))
        for r in rows
        if r.group == group and r.scenario == scenario and r.who == "vaultsync"
    )
    xs = [n for n, s in points if s is not None]
    ys = [s.median for _, s in points if s is not None]
    return xs, ys


def plot(rows: list[Row], out: Path) -> list[str]:
    """Time against vault size, and against the number of changed notes. Nothing without matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return []
    done = []
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.8))
    for ax, (title, series) in zip(axes, _SIZE_PANELS, strict=True):
        for group, scenario, which, label in series:
            xs, ys = _series(rows, group, scenario, which)
            if xs:
                style = "--" if which == "baseline" else "-"
                ax.plot(xs, ys, style, marker="o", label=label)
        ax.set(xscale="log", yscale="log", xlabel="notes in the vault", ylabel="seconds (median)", title=title)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / PLOTS[0], dpi=110)
    plt.close(fig)
    done.append(PLOTS[0])

    fig, axes = plt.subplots(1, 2, figsize=(12, 4.8))
    panels = (("publish", "incremental publish after k edits"), ("hook", "git commit of k notes"))
    for ax, (group, title) in zip(axes, panels, strict=True):
        sizes = sorted({r.notes for r in rows if r.group == group and r.changed})
        for color, size in enumerate(sizes):
            chosen = sorted(
                (
                    r
                    for r in rows
                    if r.group == group
                    and r.notes == size
                    and r.changed
                    and r.who == "vaultsync"
                    and (group != "publish" or _is_incremental_cli(r))
                ),
                key=lambda r: r.changed or 0,
            )
            xs = [r.changed or 0 for r in chosen]
            tool = "with the hook" if group == "hook" else "vaultsync publish"
            base = "without the hook" if group == "hook" else "cp + git add + commit"
            tool_ys = [r.tool.median for r in chosen if r.tool]
            base_ys = [r.baseline.median for r in chosen if r.baseline]
            ax.plot(xs, tool_ys, "-", marker="o", color=f"C{color}", label=f"{size:,} notes: {tool}")
            ax.plot(xs, base_ys, "--", marker="x", color=f"C{color}", label=f"{size:,}: {base}")
        ax.set(xscale="log", yscale="log", xlabel="notes changed (k)", ylabel="seconds (median)", title=title)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / PLOTS[1], dpi=110)
    plt.close(fig)
    done.append(PLOTS[1])
    return done
