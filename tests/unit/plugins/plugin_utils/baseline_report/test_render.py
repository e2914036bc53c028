# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""render.page: one self-contained page whose numbers are the report's, with every device string kept as text.

The page's script is exercised in headless Chromium by tests/integration/test_report_browser.py.
"""

from __future__ import annotations

import html.parser
import json
import re

from ansible_collections.oob.amt.plugins.plugin_utils.baseline_report import build, diff, render, runs
from ansible_collections.oob.amt.tests.unit.plugins.plugin_utils.baseline_report import synthetic

HOSTILE_HOST = '<img src=x onerror="document.title=1">.example.net'
HOSTILE_REASON = "</script><script>document.title='pwned'</script>&amp; \u2028"


class Page(html.parser.HTMLParser):
    """Elements, data-key texts and the embedded JSON of a page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags, self.keyed, self.json_text = [], {}, None
        self._open_key, self._in_json = None, False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if "data-key" in attributes:
            self._open_key = attributes["data-key"]
        self._in_json = tag == "script" and attributes.get("id") == "report-data"

    def handle_endtag(self, tag):
        self._open_key = None
        self._in_json = False

    def handle_data(self, data):
        if self._open_key:
            self.keyed[self._open_key] = self.keyed.get(self._open_key, "") + data
        if self._in_json:
            self.json_text = (self.json_text or "") + data


def report_with_hostile_strings(previous=True):
    results = {
        HOSTILE_HOST: synthetic.result({"AMT-TLS-01": ("drifted", HOSTILE_REASON)}, hostname=HOSTILE_HOST),
        "b.example.net": {"failed": True, "msg": HOSTILE_REASON, "error": "auth"},
        "c.example.net": None,
    }
    # The run id and the hosts not reached come from the play (a task argument, inventory names): untrusted too.
    run = runs.record(HOSTILE_REASON, "2026-12-03T21:40:00Z", "amt-baseline-20261203T214000Z.json", None, ["later-" + HOSTILE_HOST])
    built = build.build(results, "2026-12-03T21:40:00Z", "<b>title</b>", {HOSTILE_HOST: ["<i>group</i>"]}, run)
    earlier = build.build({HOSTILE_HOST: synthetic.result({})}, "2026-12-02T21:40:00Z", "t") if previous else None
    built["changes"] = diff.changes(built, earlier)
    return built


def parse(page):
    parser = Page()
    parser.feed(page)
    parser.close()
    return parser


def test_device_strings_never_become_markup():
    page = render.page(report_with_hostile_strings())
    parsed = parse(page)
    assert [entry for entry in parsed.tags if entry[0] == "img"] == []
    assert len([entry for entry in parsed.tags if entry[0] == "script"]) == 2, "the data element and the page's own script"
    assert "<img" not in page and "<b>title" not in page and "<i>group" not in page
    assert "</script><script>document" not in page
    assert "&lt;img src=x onerror=&quot;document.title=1&quot;&gt;.example.net" in page, "the change list shows the host as text"
    assert "later-&lt;img src=x" in page, "the hosts not reached are text"
    assert parsed.keyed["run.not_reached"] == "1" and parsed.keyed["run.updates"] == "1"
    assert "\u2028" not in page.split('id="report-data">', 1)[1].split("</script>", 1)[0]


def test_embedded_json_is_the_report():
    report = report_with_hostile_strings()
    assert json.loads(parse(render.page(report)).json_text) == report


def test_the_page_fetches_nothing():
    page = render.page(report_with_hostile_strings())
    assert render.CONTENT_SECURITY_POLICY.startswith("default-src 'none'")
    assert 'http-equiv="Content-Security-Policy"' in page
    # The SVG namespace is a name, not a request; nothing else may name a URL or a file to load.
    assert re.findall(r"(?:https?:)?//[\w.-]+", page.replace('xmlns="http://www.w3.org/2000/svg"', "")) == []
    assert not re.search(r"<(?:link|img|iframe|object|embed)\b|<[^>]*\bsrc=|@import|url\(", page)


def test_numbers_shown_are_the_reports():
    results, groups = synthetic.fleet(40)
    report = build.build(results, "2026-12-03T21:40:00Z", "Forty", groups)
    report["changes"] = diff.changes(report, build.build(synthetic.fleet(40, seed=3)[0], "2026-12-02T21:40:00Z", "t"))
    keyed = parse(render.page(report)).keyed
    totals = report["totals"]
    assert int(keyed["totals.machines"]) == 40
    for status in build.MACHINE_STATUSES:
        assert int(keyed["machines_by_status." + status]) == totals["machines_by_status"][status]
    for status in build.CONTROL_STATUSES:
        assert int(keyed["controls_by_status." + status]) == totals["controls_by_status"][status]
    assert int(keyed["advisories.machines_affected"]) == totals["advisories"]["machines_affected"] > 0
    for key in ("newly_drifted", "newly_failed", "fixed", "newly_unreachable", "reachable_again"):
        assert int(keyed["changes." + key]) == len(report["changes"][key])


def test_chart_bars_carry_the_counts():
    results, groups = synthetic.fleet(40)
    report = build.build(results, "2026-12-03T21:40:00Z", "Forty", groups)
    report["changes"] = diff.changes(report, None)
    tags = parse(render.page(report)).tags
    machine_bars = {attributes["data-status"]: int(attributes["data-count"]) for tag, attributes in tags
                    if tag == "rect" and "data-count" in attributes}
    assert machine_bars  # per status, the last bar drawn wins; check the per-bar totals instead
    bars = {attributes["data-bar"]: int(attributes["data-total"]) for tag, attributes in tags if tag == "g" and "data-bar" in attributes}
    assert bars["machines"] == 40
    assert all(bars["control:" + entry["id"]] == 40 for entry in report["controls"])


def test_first_report_says_so():
    page = render.page(report_with_hostile_strings(previous=False))
    assert "No previous report: this is the first." in page
