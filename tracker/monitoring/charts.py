"""The programme report's charts as SVG: status by group, share reported on time,
indicators against their targets. Plain SVG with text labels, readable without colour and
drawn the same in a browser, in WeasyPrint's PDF and in a file."""

from __future__ import annotations

from html import escape

from tracker.domain.monitoring import GroupSummary, IndicatorLine
from tracker.models import Status

#: The site's status colours (tracker.css), darkest enough for white text where labelled.
STATUS_COLOURS = {
    Status.PLANNED: "#8250df",
    Status.IN_PROGRESS: "#0969da",
    Status.COMPLETED: "#1a7f37",
    Status.DELAYED: "#bc4c00",
    Status.CANCELLED: "#8c959f",
    Status.NOT_REPORTED: "#afb8c1",
}
WIDTH, LABEL, ROW = 640, 90, 26
TRACK = "#f6f8fa"


def _svg(height: int, title: str, body: list[str]) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" role="img" aria-label="{escape(title)}" '
        f'font-family="DejaVu Sans, sans-serif" font-size="11">'
        f"<title>{escape(title)}</title>{''.join(body)}</svg>"
    )


def _bar(x: float, y: int, width: float, fill: str, tip: str = "") -> str:
    """One bar 18 high; a track (the whole scale) gets a border."""
    stroke = ' stroke="#d0d7de"' if fill == TRACK else ""
    title = f"<title>{escape(tip)}</title>" if tip else ""
    return (
        f'<rect x="{x:.1f}" y="{y}" width="{width:.1f}" height="18" fill="{fill}"{stroke}>'
        f"{title}</rect>"
    )


def _label(x: float, y: int, words: str) -> str:
    return f'<text x="{x:.0f}" y="{y + 15}">{escape(words)}</text>'


def status_by_group(groups: list[GroupSummary]) -> str:
    """Stacked bars: each group's activities in the period by status."""
    plot = WIDTH - LABEL - 50
    body: list[str] = []
    y = 8
    for summary in groups:
        total = sum(summary.status_counts.values())
        body.append(_label(0, y, summary.group.short_name))
        x = float(LABEL)
        for status in Status:
            count = summary.status_counts.get(status, 0)
            if not count:
                continue
            width = plot * count / total
            body.append(_bar(x, y, width, STATUS_COLOURS[status], f"{status.label}: {count}"))
            x += width
        body.append(_label(LABEL + plot + 6, y, str(total)))
        y += ROW
    legend_x = 0
    for status in Status:
        body.append(
            f'<rect x="{legend_x}" y="{y + 4}" width="10" height="10" '
            f'fill="{STATUS_COLOURS[status]}"/><text x="{legend_x + 14}" y="{y + 13}">'
            f"{status.label}</text>"
        )
        legend_x += 14 + 7 * len(status.label) + 16
    return _svg(y + 22, "Activities in the period by status, per working group", body)


def reported_on_time(groups: list[GroupSummary]) -> str:
    """Bars: the share of each group's round items reported by the due date."""
    plot = WIDTH - LABEL - 110
    body: list[str] = []
    y = 8
    for summary in groups:
        body.append(_label(0, y, summary.group.short_name))
        body.append(_bar(LABEL, y, plot, TRACK))
        share = summary.on_time_share
        if share is None:
            label = "no round"
        else:
            body.append(_bar(LABEL, y, plot * share, "#1a7f37"))
            label = f"{share:.0%} ({summary.on_time} of {summary.round_items})"
        body.append(_label(LABEL + plot + 6, y, label))
        y += ROW
    return _svg(y + 4, "Share of round items reported by the due date, per working group", body)


def indicators_against_target(lines: list[tuple[str, IndicatorLine]]) -> str:
    """Bars: each indicator's actual as a share of its target, the baseline marked; only
    indicators with a numeric target and actual, since nothing else can be drawn honestly."""
    drawable = [(g, line) for g, line in lines if line.target and line.value is not None]
    if not drawable:
        return _svg(
            24,
            "Indicators against their targets",
            [_label(0, 1, "No indicator has both a target and an actual in this period.")],
        )
    plot = WIDTH - 200
    body: list[str] = []
    y = 8
    for group, line in drawable:
        target, value = line.target or 1.0, line.value or 0.0
        share = max(0.0, min(value / target, 1.5))
        name = f"{group} {line.indicator.code}"
        scale = plot / 1.5
        body.append(_label(0, y, name))
        body.append(_bar(110, y, scale, TRACK))
        body.append(_bar(110, y, scale * share, "#0969da"))
        if line.baseline is not None:
            bx = 110 + scale * max(0.0, min(line.baseline / target, 1.5))
            body.append(
                f'<line x1="{bx:.1f}" x2="{bx:.1f}" y1="{y - 2}" y2="{y + 20}" '
                'stroke="#1b1f24" stroke-width="2"/>'
            )
        shown = line.actual.value if line.actual else ""
        body.append(_label(116 + scale, y, f"{shown} of {line.indicator.target_value}"))
        y += ROW
    return _svg(y + 4, "Indicators: actual against target (the line marks the baseline)", body)
