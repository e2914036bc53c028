# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The report as one self-contained HTML page: inline style and script, no request to anywhere (a Content-Security-Policy
forbids any), readable without the script for the totals, the chart and the changes.

Device-provided strings (hostnames, reasons, errors) are untrusted: in the markup built here they pass through
html.escape; the grid and the per-machine detail are built by the page's script from the embedded JSON with textContent
only, and the JSON is embedded with <, > and & escaped so that no string can end the script element.
"""

from __future__ import annotations

import json
from html import escape

from ansible_collections.oob.amt.plugins.plugin_utils.baseline_report import build, chart, page_assets

LIST_SHOWN = 200
CHANGE_LISTS = (
    ("newly_drifted", "Newly drifted"),
    ("newly_failed", "Newly failed"),
    ("fixed", "Fixed"),
)
HOST_LISTS = (
    ("newly_unreachable", "Newly unreachable"),
    ("reachable_again", "Reachable again"),
    ("machines_added", "Machines added"),
    ("machines_removed", "Machines removed"),
)

CONTENT_SECURITY_POLICY = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:"


def embedded_json(value):
    """value as JSON that is safe inside a <script> element (no <, >, & or line separators left as such)."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    for character, replacement in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                                   ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(character, replacement)
    return text


def _label(status):
    return status.replace("_", " ")


def _counts_table(caption, key, counts, statuses):
    cells = "".join('<td class="s-%s" data-key="%s.%s">%d</td>' % (status, key, status, counts[status]) for status in statuses)
    heads = "".join('<th scope="col">%s</th>' % _label(status) for status in statuses)
    return ('<table class="totals"><caption>%s</caption><thead><tr>%s</tr></thead><tbody><tr>%s</tr></tbody></table>'
            % (escape(caption), heads, cells))


def _summary(report):
    totals = report["totals"]
    advisories = totals["advisories"]
    rows = "".join('<tr><td>%s</td><td data-key="advisories.%s">%d</td></tr>' % (escape(entry["id"]), escape(entry["id"]), entry["machines"])
                   for entry in advisories["by_advisory"])
    advisory_table = ('<table class="advisories"><caption>Firmware advisories: <span data-key="advisories.machines_affected">%d</span>'
                      ' machine(s) affected</caption><thead><tr><th scope="col">advisory</th><th scope="col">machines</th></tr></thead>'
                      '<tbody>%s</tbody></table>' % (advisories["machines_affected"], rows or '<tr><td colspan="2">none</td></tr>'))
    return ('<section id="summary"><h2>Summary</h2><p><span data-key="totals.machines">%d</span> machine(s),'
            ' <span data-key="totals.controls">%d</span> control(s).</p>%s%s%s</section>'
            % (totals["machines"], len(report["controls"]),
               _counts_table("Machines by status", "machines_by_status", totals["machines_by_status"], build.MACHINE_STATUSES),
               _counts_table("Controls on all machines by status", "controls_by_status", totals["controls_by_status"],
                             build.CONTROL_STATUSES),
               advisory_table))


def _list(data_key, title, entries, describe):
    items = "".join("<li>%s</li>" % describe(entry) for entry in entries[:LIST_SHOWN])
    if len(entries) > LIST_SHOWN:
        items += '<li class="more">and %d more (see the JSON report)</li>' % (len(entries) - LIST_SHOWN)
    return ('<details%s><summary>%s: <span data-key="%s">%d</span></summary><ul>%s</ul></details>'
            % (" open" if entries and len(entries) <= 20 else "", escape(title), data_key, len(entries), items))


def _cell_change(entry):
    return "%s %s: %s &rarr; %s" % (escape(entry["host"]), escape(entry["control"]), escape(_label(entry["before"] or "absent")),
                                    escape(_label(entry["after"] or "absent")))


def _run(report):
    run = report["run"]
    text = ('<p>Run <span data-key="run.id">%s</span>, started <time data-key="run.started_at">%s</time>; this report was'
            ' written <span data-key="run.updates">%d</span> time(s) in it.</p>'
            % (escape(run["id"]), escape(run["started_at"]), run["updates"]))
    if run["not_reached"]:
        text += ("<p>These hosts of the play are in batches the run has not reached (or the play stopped before them): they"
                 " are not in the machines below.</p>" + _list("run.not_reached", "Not reached", run["not_reached"], escape))
    return '<section id="run"><h2>Run</h2>%s</section>' % text


def _changes(report):
    changes = report["changes"]
    previous = changes["previous"]
    if previous is None:
        return '<section id="changes"><h2>Since the previous report</h2><p>No previous report: this is the first.</p></section>'
    parts = [_list("changes." + key, title, changes[key], _cell_change) for key, title in CHANGE_LISTS]
    parts += [_list("changes." + key, title, changes[key], escape) for key, title in HOST_LISTS]
    return ('<section id="changes"><h2>Since the previous report</h2><p>Previous report: %s (%s).</p>%s</section>'
            % (escape(str(previous.get("file") or "unknown file")), escape(str(previous.get("generated_at") or "unknown time")),
               "".join(parts)))


def _grid():
    statuses = "".join('<option value="machine:%s">machine %s</option>' % (status, _label(status)) for status in build.MACHINE_STATUSES)
    statuses += "".join('<option value="cell:%s">any control %s</option>' % (status, _label(status))
                        for status in build.CONTROL_STATUSES)
    return ('<section id="machines"><h2>Machines &times; controls</h2>'
            '<div class="toolbar">'
            '<label>Find <input id="filter-text" type="search" placeholder="host, firmware, group"></label>'
            '<label>Show <select id="filter-status"><option value="">all machines</option>'
            '<option value="advisory">with an affected advisory</option>%s</select></label>'
            '<label>Control <select id="filter-control"><option value="">any</option></select></label>'
            '<label>Group by <select id="group-by"><option value="status">status</option><option value="firmware">firmware</option>'
            '<option value="group">inventory group</option><option value="">nothing</option></select></label>'
            '<label>Sort <select id="sort-by"><option value="host">host</option><option value="worst">most drifted first</option>'
            '<option value="firmware">firmware</option></select></label>'
            '<label>Per page <select id="page-size"><option>50</option><option selected>100</option><option>250</option>'
            '<option>1000</option></select></label>'
            '</div>'
            '<p id="grid-count" aria-live="polite"></p><div class="pager" id="pager-top"></div>'
            '<div class="grid-wrap"><table id="grid"><thead></thead><tbody></tbody></table></div>'
            '<div class="pager" id="pager-bottom"></div>'
            '<noscript><p>The grid and the per-machine detail need the page\'s inline script; the JSON report holds the same data.</p></noscript>'
            '</section>' % statuses)


def page(report):
    """The HTML page (a str) for a report dict that has its `changes` section."""
    title = escape(report["title"] or "AMT hardening baseline")
    return ('<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            '<meta http-equiv="Content-Security-Policy" content="%s">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            '<title id="page-title">%s</title><style>%s</style></head><body>'
            '<header><h1>%s</h1><p>Generated <time data-key="generated_at">%s</time> by %s (schema %s, version %d).</p></header>'
            '<main><div class="columns"><div>%s%s%s</div><div class="chart">%s</div></div>%s'
            '<section id="detail" hidden><h2>Machine <span id="detail-host"></span></h2><div id="detail-body"></div></section></main>'
            '<script type="application/json" id="report-data">%s</script><script>%s</script></body></html>\n'
            % (CONTENT_SECURITY_POLICY, title, page_assets.STYLE, title, escape(report["generated_at"]), escape(report["generator"]),
               escape(report["schema"]), report["schema_version"], _summary(report), _run(report), _changes(report), chart.svg(report),
               _grid(),
               embedded_json(report), page_assets.SCRIPT))
