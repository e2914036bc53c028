# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The report page's summary chart: inline SVG, one stacked bar of machines by status, then one bar per control
with its machines by status. Every number drawn is also a data-count attribute, so a test can read them back."""

from __future__ import annotations

from html import escape

from ansible_collections.oob.amt.plugins.plugin_utils.baseline_report import build

COLOURS = {
    "compliant": "#2e7d32",
    "changed": "#1565c0",
    "drifted": "#ef6c00",
    "not_applicable": "#9e9e9e",
    "manual": "#6a1b9a",
    "excepted": "#00838f",
    "failed": "#c62828",
    "unreachable": "#424242",
}

LABEL_WIDTH = 96
BAR_WIDTH = 380
ROW = 13
GAP = 3


def _bar(y, counts, order, label, key):
    total = sum(counts.get(status, 0) for status in order)
    parts = ['<g class="bar" data-bar="%s" data-total="%d">' % (escape(key), total),
             '<text x="0" y="%d" class="chart-label">%s</text>' % (y + ROW - 3, escape(label))]
    x = float(LABEL_WIDTH)
    for status in order:
        count = counts.get(status, 0)
        if not count:
            continue
        width = BAR_WIDTH * count / total
        parts.append('<rect x="%.1f" y="%d" width="%.1f" height="%d" fill="%s" data-status="%s" data-count="%d">'
                     '<title>%s: %s %d</title></rect>'
                     % (x, y, width, ROW, COLOURS[status], status, count, escape(label), status.replace("_", " "), count))
        if width >= 24:
            parts.append('<text x="%.1f" y="%d" class="chart-count">%d</text>' % (x + width / 2, y + ROW - 3, count))
        x += width
    parts.append('<text x="%d" y="%d" class="chart-label">%d</text>' % (LABEL_WIDTH + BAR_WIDTH + 6, y + ROW - 3, total))
    parts.append("</g>")
    return "".join(parts)


def _legend(y):
    parts = []
    x = 0
    for status in build.CONTROL_STATUSES:
        label = status.replace("_", " ")
        parts.append('<rect x="%d" y="%d" width="10" height="10" fill="%s"></rect><text x="%d" y="%d" class="chart-label">%s</text>'
                     % (x, y, COLOURS[status], x + 14, y + 9, label))
        x += 20 + 7 * len(label)
        if x > LABEL_WIDTH + BAR_WIDTH - 120:
            x, y = 0, y + 14
    return "".join(parts)


def svg(report):
    """The chart for a report dict (build.build's output)."""
    rows = [_bar(0, report["totals"]["machines_by_status"], build.MACHINE_STATUSES[::-1], "machines", "machines")]
    y = ROW + 2 * GAP
    for entry in report["controls"]:
        rows.append(_bar(y, entry["counts"], build.CONTROL_STATUSES, entry["id"], "control:" + entry["id"]))
        y += ROW + GAP
    height = y + 40
    return ('<svg id="summary-chart" xmlns="http://www.w3.org/2000/svg" role="img" aria-label="Machines and controls by status" '
            'width="%d" height="%d" viewBox="0 0 %d %d">%s%s</svg>'
            % (LABEL_WIDTH + BAR_WIDTH + 50, height, LABEL_WIDTH + BAR_WIDTH + 50, height, "".join(rows), _legend(y + 6)))
