# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""files: the report's file names, latest copies, no overwrite within one second, and reading a previous report back."""

from __future__ import annotations

import datetime
import json

import pytest

from ansible_collections.oob.amt.plugins.plugin_utils.baseline_report import build, diff, files
from ansible_collections.oob.amt.tests.unit.plugins.plugin_utils.baseline_report import synthetic

MOMENT = datetime.datetime(2026, 12, 3, 21, 40, 5, tzinfo=datetime.timezone.utc)


def sample():
    report = build.build({"a": synthetic.result({"AMT-TLS-01": "drifted"}), "b": None}, "2026-12-03T21:40:05Z", "t")
    report["changes"] = diff.changes(report, None)
    return report


def test_write_names_files_by_utc_time_and_copies_latest(tmp_path):
    report = sample()
    paths = files.write(str(tmp_path / "reports"), report, "<html>page</html>", MOMENT)
    directory = tmp_path / "reports"
    assert paths == {"json": str(directory / "amt-baseline-20261203T214005Z.json"),
                     "html": str(directory / "amt-baseline-20261203T214005Z.html"),
                     "latest_json": str(directory / "latest.json"), "latest_html": str(directory / "latest.html")}
    assert json.loads((directory / "latest.json").read_text(encoding="utf-8")) == report
    assert (directory / "latest.json").read_text(encoding="utf-8") == (directory / "amt-baseline-20261203T214005Z.json").read_text(encoding="utf-8")
    assert (directory / "latest.html").read_text(encoding="utf-8") == "<html>page</html>"
    assert sorted(path.name for path in directory.iterdir()) == sorted(
        ["amt-baseline-20261203T214005Z.json", "amt-baseline-20261203T214005Z.html", "latest.json", "latest.html"])


def test_a_second_report_in_the_same_second_gets_its_own_name(tmp_path):
    first = files.write(str(tmp_path), sample(), "1", MOMENT)
    second = files.write(str(tmp_path), sample(), "2", MOMENT)
    assert second["json"].endswith("amt-baseline-20261203T214005Z-2.json")
    assert (tmp_path / "amt-baseline-20261203T214005Z.html").read_text(encoding="utf-8") == "1"
    assert first["latest_html"] == second["latest_html"] and (tmp_path / "latest.html").read_text(encoding="utf-8") == "2"


def test_read_returns_what_write_wrote(tmp_path):
    paths = files.write(str(tmp_path), sample(), "", MOMENT)
    assert files.read(paths["latest_json"]) == sample()


def test_write_into_a_file_fails_naming_it(tmp_path):
    blocker = tmp_path / "reports"
    blocker.write_text("not a directory", encoding="utf-8")
    with pytest.raises(files.ReportFileError, match="reports"):
        files.write(str(blocker), sample(), "", MOMENT)


@pytest.mark.parametrize("content, message", [
    ("{not json", "is not JSON"),
    ('{"schema": "something/else", "schema_version": 1}', "is not a oob.amt/baseline-report document"),
    ('{"schema": "oob.amt/baseline-report", "schema_version": 2}', "has schema_version 2"),
    ('{"schema": "oob.amt/baseline-report", "schema_version": 1, "controls": [], "machines": [{"host": "a"}]}',
     "does not hold the controls and machines"),
    ('[]', "is not a oob.amt/baseline-report document"),
])
def test_read_refuses_what_is_not_a_report(tmp_path, content, message):
    path = tmp_path / "latest.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(files.ReportFileError, match=message):
        files.read(str(path))


def test_read_of_a_missing_file_names_it(tmp_path):
    with pytest.raises(files.ReportFileError, match="cannot read .*missing.json"):
        files.read(str(tmp_path / "missing.json"))
