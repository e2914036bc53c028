# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The baseline report's HTML page in headless Chromium: its script builds the grid whose numbers are the JSON's, pages
1,000 machines, shows a machine's detail, keeps hostile device strings as text, and the page renders to a screenshot.

Starts no simulator. Skipped when no Chromium is installed (Debian: apt-get install -y chromium).
"""

from __future__ import annotations

import html.parser
import json
import pathlib
import shutil
import struct
import subprocess
import urllib.parse

import pytest

from ansible_collections.oob.amt.plugins.plugin_utils.baseline_report import build, diff, files, render
from ansible_collections.oob.amt.tests.unit.plugins.plugin_utils.baseline_report import synthetic

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no chromium on PATH (Debian: apt-get install -y chromium)")

HOSTILE_HOST = '<img src=x onerror="document.title=\'pwned\'">.example.net'
HOSTILE_REASON = "</script><script>document.title='pwned'</script><b>bold</b>"
BROWSER_TIMEOUT = 180


class Dom(html.parser.HTMLParser):
    """What the dumped DOM holds: grid rows and cells, element counts, texts of elements with an id or data-key."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.rows, self.groups, self.cells, self.tags, self.texts, self.attributes = [], [], [], [], {}, {}
        self._open = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.tags.append(tag)
        if tag == "tr" and "data-host" in attributes:
            self.rows.append(attributes)
        if tag == "tr" and "data-group" in attributes:
            self.groups.append(attributes["data-group"])
        if tag == "td" and "data-control" in attributes:
            self.cells.append(attributes)
        name = attributes.get("id") or attributes.get("data-key")
        if name:
            self.attributes[name] = attributes
        if tag not in ("meta", "input", "br", "img", "link", "rect"):
            self._open.append(name)

    def handle_endtag(self, tag):
        if self._open:
            self._open.pop()

    def handle_data(self, data):
        for name in self._open:
            if name:
                self.texts[name] = self.texts.get(name, "") + data


def chromium(tmp_path, *arguments):
    command = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
               "--hide-scrollbars", "--user-data-dir=%s" % (tmp_path / "chromium-profile"), *arguments]
    return subprocess.run(command, capture_output=True, timeout=BROWSER_TIMEOUT, check=True)


def dump(tmp_path, page, fragment=""):
    completed = chromium(tmp_path, "--dump-dom", page.as_uri() + fragment)
    dom = Dom()
    dom.feed(completed.stdout.decode("utf-8"))
    return dom


def write_report(directory, count, hostile=False):
    results, groups = synthetic.fleet(count)
    if hostile:
        results[HOSTILE_HOST] = synthetic.result({"AMT-TLS-01": ("drifted", HOSTILE_REASON)}, hostname=HOSTILE_HOST)
        groups[HOSTILE_HOST] = ["<i>lab</i>"]
    previous = build.build(synthetic.fleet(count, seed=3)[0], "2026-12-02T21:40:00Z", "previous", groups)
    report = build.build(results, "2026-12-03T21:40:00Z", "AMT hardening baseline: head office", groups)
    report["changes"] = diff.changes(report, previous)
    paths = files.write(str(directory), report, render.page(report))
    return report, pathlib.Path(paths["html"])


def test_grid_and_totals_show_the_reports_numbers(tmp_path):
    report, page = write_report(tmp_path / "reports", 40, hostile=True)
    dom = dump(tmp_path, page)
    machines = len(report["machines"])
    assert len(dom.rows) == machines == 41
    assert dom.attributes["grid-count"]["data-matching"] == dom.attributes["grid-count"]["data-shown"] == str(machines)
    for status in build.CONTROL_STATUSES:
        shown = sum(cell["data-status"] == status for cell in dom.cells)
        assert shown == report["totals"]["controls_by_status"][status], status
        assert int(dom.texts["controls_by_status." + status]) == shown
    for status in build.MACHINE_STATUSES:
        rows = sum(row["data-status"] == status for row in dom.rows)
        assert rows == report["totals"]["machines_by_status"][status] == int(dom.texts["machines_by_status." + status]), status
    assert len(dom.cells) == machines * len(report["controls"])
    assert int(dom.texts["advisories.machines_affected"]) == report["totals"]["advisories"]["machines_affected"]
    assert int(dom.texts["changes.newly_drifted"]) == len(report["changes"]["newly_drifted"])


def test_hostile_strings_render_as_text(tmp_path):
    report, page = write_report(tmp_path / "reports", 5, hostile=True)
    dom = dump(tmp_path, page, "#host=" + urllib.parse.quote(HOSTILE_HOST))
    assert "img" not in dom.tags and "b" not in dom.tags and "i" not in dom.tags
    assert dom.tags.count("script") == 2
    assert [row["data-host"] for row in dom.rows].count(HOSTILE_HOST) == 1
    assert "hidden" not in dom.attributes["detail"], "#host= opened the machine's detail"
    assert dom.texts["detail-host"] == HOSTILE_HOST
    assert HOSTILE_REASON in dom.texts["detail-body"]
    assert "<i>lab</i>" in dom.texts["detail-body"]
    assert dom.texts["page-title"] == report["title"], "no injected script ran (it would have set the title)"


def test_a_thousand_machines_are_paged(tmp_path):
    report, page = write_report(tmp_path / "reports", 1000)
    dom = dump(tmp_path, page)
    assert len(dom.rows) == 100 and dom.attributes["grid-count"]["data-matching"] == "1000"
    assert dom.texts["grid-count"].startswith("Showing 1\u2013100 of 1000 machine(s)")
    worst_first = [row["data-status"] for row in dom.rows]
    assert worst_first == sorted(worst_first, key=build.MACHINE_STATUSES.index), "grouped by status, worst first"
    assert int(dom.texts["totals.machines"]) == 1000
    dom = dump(tmp_path, page, "#size=250&page=4&group=&sort=host")
    assert dom.texts["grid-count"] == "Showing 751\u20131000 of 1000 machine(s)"
    assert [row["data-host"] for row in dom.rows] == sorted(item["host"] for item in report["machines"])[750:]


def test_views_named_in_the_address_filter_group_and_sort(tmp_path):
    report, page = write_report(tmp_path / "reports", 40)
    totals = report["totals"]
    dom = dump(tmp_path, page, "#show=machine:drifted&group=firmware&sort=worst")
    assert len(dom.rows) == totals["machines_by_status"]["drifted"] > 0
    assert {row["data-status"] for row in dom.rows} == {"drifted"}
    versions = sorted({item["device"]["firmware"] for item in report["machines"] if item["status"] == "drifted"},
                      key=lambda version: tuple(int(part) for part in version.split(".")))
    assert dom.groups == versions, "one group per firmware, oldest first"

    redirection = next(entry for entry in report["controls"] if entry["id"] == "AMT-REDIR-02")
    dom = dump(tmp_path, page, "#show=cell:excepted&control=AMT-REDIR-02&group=")
    assert len(dom.rows) == redirection["counts"]["excepted"] > 0
    assert {(cell["data-control"], cell["data-status"]) for cell in dom.cells} == {("AMT-REDIR-02", "excepted")}
    assert dom.groups == []

    dom = dump(tmp_path, page, "#q=AMT-0001.EXAMPLE&show=nonsense&size=7")
    assert [row["data-host"] for row in dom.rows] == ["amt-0001.example.net"], "unknown settings keep their defaults"


def test_screenshot(tmp_path):
    page = write_report(tmp_path / "reports", 40)[1]
    picture = tmp_path / "report.png"
    chromium(tmp_path, "--screenshot=%s" % picture, "--window-size=1400,1000", page.as_uri())
    data = picture.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", data[16:24]) == (1400, 1000)
    assert len(data) > 20000, "a blank page compresses to a few kilobytes"


def test_json_next_to_the_page_is_the_embedded_report(tmp_path):
    report, page = write_report(tmp_path / "reports", 3)
    assert json.loads(page.with_suffix(".json").read_text(encoding="utf-8")) == report
