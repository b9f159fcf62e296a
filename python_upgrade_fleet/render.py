"""The fleet's status as Markdown and as one self-contained HTML page (no script, no network), both
made from the JSON that `status` returns."""

from __future__ import annotations

import collections
import datetime
import html

# "finished": the answers say so, but the census still finds the old version where the app runs (or
# the cutover is not finalized); "done": it is not there any more.
PHASES = ("not rendered", "dual", "finished", "done")
COLORS = {"not rendered": "#a0aec0", "dual": "#2b6cb0", "finished": "#b7791f", "done": "#2f855a"}


def phase_of(row: dict) -> str:
    if not row["rendered"]:
        return "not rendered"
    return row.get("state") or row["phase"]


def versions_of(row: dict) -> str:
    if not row["rendered"]:
        return ""
    if row["phase"] == "finished":
        return str(row["target_python"])
    return f"{row['current_python']} → {row['target_python']}"


def traffic_of(row: dict) -> str:
    """The cutover in a few words: which Python serves how much, from the blue-green state file."""
    state = row.get("bluegreen")
    if not state or state.get("problem"):
        return ""
    text = f"{state['phase']}: {state['target_share']}% on {row['target_python']}"
    if state["promoted_at"]:
        text += f" (promoted {state['promoted_at']})"
    return text


def markdown(report: dict) -> str:
    lines = [
        f"# Python upgrade: {len(report['repos'])} repositories ({report['generated']})",
        "",
        *[f"Note: {note}.\n" for note in report.get("notes", [])],
        "| repository | phase | versions | template | dual since | retire due | audit | traffic | needs "
        "action |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in report["repos"]:
        template = row["template_version"] or ""
        if row["behind"]:
            template += f" (behind {row['latest_template_version']})"
        audit = (
            ""
            if not row["audit"]
            else ("ready" if row["audit"]["ready"] else f"{row['audit']['blockers']} blocker(s)")
        )
        lines.append(
            f"| {row['path']} | {phase_of(row)} | {versions_of(row)} | {template} | "
            f"{row['dual_since'] or ''} | {row['retire_due'] or ''} | {audit} | {traffic_of(row)} | "
            f"{'; '.join(row['needs_action']) or 'none'} |"
        )
    return "\n".join(lines) + "\n"


def bars(title: str, counts: dict, colors: dict | None = None) -> str:
    """A horizontal bar chart as inline SVG."""
    width, row_height, left = 420, 26, 130
    height = 30 + row_height * max(len(counts), 1)
    peak = max(counts.values(), default=1) or 1
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
        f'aria-label="{html.escape(title)}">',
        f'<text x="0" y="16" class="title">{html.escape(title)}</text>',
    ]
    for i, (label, count) in enumerate(counts.items()):
        y = 26 + i * row_height
        w = (width - left - 40) * count / peak
        color = (colors or {}).get(label, "#4a5568")
        parts += [
            f'<text x="0" y="{y + 15}">{html.escape(str(label))}</text>',
            f'<rect x="{left}" y="{y + 2}" width="{w:.1f}" height="18" fill="{color}"/>',
            f'<text x="{left + w + 6:.1f}" y="{y + 15}">{count}</text>',
        ]
    return "\n".join(parts + ["</svg>"])


def timeline(report: dict) -> str:
    """End-of-life and retire deadlines of the dual repositories on one line of time, today marked."""
    today = datetime.date.fromisoformat(report["generated"])
    events = [
        (row["path"].rsplit("/", 1)[-1], kind, datetime.date.fromisoformat(day))
        for row in report["repos"]
        for kind, day in (("retire", row["retire_due"]), ("end of life", row["end_of_life"]))
        if day
    ]
    width, left, row_height = 760, 170, 22
    height = 50 + row_height * max(len(events), 1)
    days = [d for *_, d in events] + [today]
    start, end = min(days) - datetime.timedelta(days=7), max(days) + datetime.timedelta(days=7)
    span = (end - start).days or 1

    def x(day):
        return left + (width - left - 20) * (day - start).days / span

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
        'aria-label="deadlines">',
        '<text x="0" y="16" class="title">deadlines: retire (blue), end of life (red)</text>',
        f'<line x1="{x(today):.1f}" y1="24" x2="{x(today):.1f}" y2="{height - 18}" stroke="#000" '
        'stroke-dasharray="4,3"/>',
        f'<text x="{x(today) + 4:.1f}" y="{height - 6}">today {today.isoformat()}</text>',
    ]
    for i, (name, kind, day) in enumerate(sorted(events, key=lambda e: e[2])):
        y = 30 + i * row_height
        color = "#c53030" if kind == "end of life" else "#2b6cb0"
        late = " (past)" if day < today else ""
        parts += [
            f'<text x="0" y="{y + 12}">{html.escape(name)}</text>',
            f'<circle cx="{x(day):.1f}" cy="{y + 8}" r="6" fill="{color}"/>',
            # the label on the side of the dot with room for it
            (
                f'<text x="{x(day) + 10:.1f}" y="{y + 12}">'
                if x(day) < (left + width) / 2
                else f'<text x="{x(day) - 10:.1f}" y="{y + 12}" text-anchor="end">'
            )
            + f"{kind} {day.isoformat()}{late}</text>",
        ]
    if not events:
        parts.append('<text x="0" y="44">no repository in the dual phase</text>')
    return "\n".join(parts + ["</svg>"])


def page(report: dict) -> str:
    repos = report["repos"]
    by_phase = {phase: sum(phase_of(r) == phase for r in repos) for phase in PHASES}
    by_version = collections.Counter(
        str(r["current_python"] if r["phase"] == "dual" else r["target_python"])
        for r in repos
        if r["rendered"]
    )
    acting = sum(bool(r["needs_action"]) for r in repos)
    rows = []
    for row in repos:
        cells = [
            row["path"],
            phase_of(row),
            versions_of(row),
            (row["template_version"] or "")
            + (f" (behind {row['latest_template_version']})" if row["behind"] else ""),
            row["dual_since"] or "",
            row["retire_due"] or "",
            traffic_of(row),
            "; ".join(row["needs_action"]) or "none",
        ]
        css = ' class="act"' if row["needs_action"] else ""
        rows.append(f"<tr{css}>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in cells) + "</tr>")
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Python upgrade: {len(repos)} repositories</title>
<style>
body {{ font-family: sans-serif; margin: 2em; color: #1a202c; }}
svg {{ font-family: sans-serif; font-size: 13px; margin: 0 2em 1.5em 0; }}
svg .title {{ font-weight: bold; }}
table {{ border-collapse: collapse; }}
td, th {{ border: 1px solid #cbd5e0; padding: 4px 8px; text-align: left; font-size: 14px; }}
tr.act td:last-child {{ color: #c53030; font-weight: bold; }}
</style>
</head>
<body>
<h1>Python upgrade: {len(repos)} repositories, {acting} need action</h1>
<p>Generated {html.escape(report["generated"])} by python-upgrade-fleet status.</p>
{"".join(f"<p>Note: {html.escape(note)}.</p>" for note in report.get("notes", []))}
{bars("repositories by phase", by_phase, COLORS)}
{bars("repositories by Python in production", dict(sorted(by_version.items())))}
{timeline(report)}
<table>
<thead><tr><th>repository</th><th>phase</th><th>versions</th><th>template</th><th>dual since</th>
<th>retire due</th><th>traffic</th><th>needs action</th></tr></thead>
<tbody>
{chr(10).join(rows)}
</tbody>
</table>
</body>
</html>
"""
