"""Small charts drawn on the server as SVG: no JavaScript, no CDN, nothing for the CSP to refuse.

Each function returns markup safe to put in a template; labels are escaped. Every chart carries a
<title> and <desc> for screen readers, and the numbers are also in the tables next to it.
"""

from __future__ import annotations

from decimal import Decimal

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from marketplace.money import format_baht

BAR_COLOUR = "#2e7d32"
NEGATIVE_COLOUR = "#c62828"
STATUS_COLOURS = {"very_poor": "#b71c1c", "poor": "#ef6c00", "above": "#2e7d32", "unknown": "#9e9e9e"}


LABEL_CHARACTERS = 24  # what fits the label column at font-size 12


def _fit(label: str) -> str:
    """A label cut to the label column with an ellipsis; the full text is the label's tooltip (and
    in the table beside the chart)."""
    label = str(label)
    return label if len(label) <= LABEL_CHARACTERS else label[: LABEL_CHARACTERS - 1].rstrip() + "…"


def bar_chart(items: list[tuple[str, Decimal]], *, title: str, width: int = 640, bar_height: int = 22) -> SafeString:
    """Horizontal bars, one per (label, amount); negative amounts (a month of refunds) drawn red
    from the same axis."""
    if not items:
        return SafeString("")
    label_width = 170
    value_width = 110
    plot = width - label_width - value_width
    largest = max(abs(amount) for _label, amount in items) or Decimal("1")
    height = bar_height * len(items) + 8
    bars = []
    for index, (label, amount) in enumerate(items):
        y = 4 + index * bar_height
        length = int(plot * abs(amount) / largest)
        colour = NEGATIVE_COLOUR if amount < 0 else BAR_COLOUR
        bars.append(
            format_html(
                '<text x="{}" y="{}" text-anchor="end" font-size="12"><title>{}</title>{}</text>'
                '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}: {}</title></rect>'
                '<text x="{}" y="{}" font-size="12">{}</text>',
                label_width - 6,
                y + bar_height - 8,
                label,
                _fit(label),
                label_width,
                y + 2,
                max(length, 1),
                bar_height - 6,
                colour,
                label,
                format_baht(amount),
                label_width + max(length, 1) + 4,
                y + bar_height - 8,
                format_baht(amount),
            )
        )
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {} {}" width="100%" '
        'style="max-width:{}px" class="impact-chart"><title>{}</title>{}</svg>',
        width,
        height,
        width,
        title,
        mark_safe("".join(bars)),  # noqa: S308 (each part built with format_html)
    )


def stacked_status_bars(
    rows: list[tuple[str, dict[str, int]]], *, labels: dict[str, str], title: str, width: int = 640
) -> SafeString:
    """One horizontal bar per row (e.g. "baseline", "now"), split by poverty status in the
    same order and colours, with a legend."""
    if not rows or not any(sum(counts.values()) for _label, counts in rows):
        return SafeString("")
    label_width = 110
    plot = width - label_width - 10
    bar_height = 30
    parts = []
    for index, (row_label, counts) in enumerate(rows):
        y = 6 + index * (bar_height + 10)
        total = sum(counts.values()) or 1
        x = label_width
        parts.append(
            format_html(
                '<text x="{}" y="{}" text-anchor="end" font-size="12">{}</text>', label_width - 6, y + 19, row_label
            )
        )
        for status, colour in STATUS_COLOURS.items():
            count = counts.get(status, 0)
            if not count:
                continue
            length = max(int(plot * count / total), 1)
            parts.append(
                format_html(
                    '<rect x="{}" y="{}" width="{}" height="{}" fill="{}" data-status="{}">'
                    "<title>{}: {}</title></rect>",
                    x,
                    y,
                    length,
                    bar_height,
                    colour,
                    status,
                    labels.get(status, status),
                    count,
                )
            )
            if length > 24:
                parts.append(
                    format_html('<text x="{}" y="{}" font-size="12" fill="#fff">{}</text>', x + 4, y + 19, count)
                )
            x += length
    legend_y = 6 + len(rows) * (bar_height + 10) + 4
    legend = format_html_join(
        "",
        '<rect x="{}" y="{}" width="12" height="12" fill="{}"></rect><text x="{}" y="{}" font-size="12">{}</text>',
        (
            (
                label_width + i * 130,
                legend_y,
                colour,
                label_width + i * 130 + 16,
                legend_y + 11,
                labels.get(status, status),
            )
            for i, (status, colour) in enumerate(STATUS_COLOURS.items())
        ),
    )
    height = legend_y + 20
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {} {}" width="100%" '
        'style="max-width:{}px" class="impact-chart"><title>{}</title>{}{}</svg>',
        width,
        height,
        width,
        title,
        mark_safe("".join(parts)),  # noqa: S308 (each part built with format_html)
        legend,
    )
