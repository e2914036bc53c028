# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""files: one pair of files per run, rewritten by its updates, latest copies, no overwrite within one second, keeping a copied
previous report, and reading a report back (file names in it are only ever names of report files)."""

from __future__ import annotations

import json

import pytest

from ansible_collections.oob.amt.plugins.plugin_utils.baseline_report import build, diff, files, runs
from ansible_collections.oob.amt.tests.unit.plugins.plugin_utils.baseline_report import synthetic

GENERATED = "2026-12-03T21:40:05Z"


def sample(run=None):
    report = build.build({"a": synthetic.result({"AMT-TLS-01": "drifted"}), "b": None}, GENERATED, "t", run=run)
    report["changes"] = diff.changes(report, None)
    return report


def test_write_names_files_after_the_run_and_copies_latest(tmp_path):
    report = sample()
    paths = files.write(str(tmp_path / "reports"), report, "<html>page</html>")
    directory = tmp_path / "reports"
    assert paths == {"json": str(directory / "amt-baseline-20261203T214005Z.json"),
                     "html": str(directory / "amt-baseline-20261203T214005Z.html"),
                     "latest_json": str(directory / "latest.json"), "latest_html": str(directory / "latest.html")}
    assert json.loads((directory / "latest.json").read_text(encoding="utf-8")) == report
    assert (directory / "latest.json").read_text(encoding="utf-8") == (directory / "amt-baseline-20261203T214005Z.json").read_text(encoding="utf-8")
    assert (directory / "latest.html").read_text(encoding="utf-8") == "<html>page</html>"
    assert sorted(path.name for path in directory.iterdir()) == sorted(
        ["amt-baseline-20261203T214005Z.json", "amt-baseline-20261203T214005Z.html", "latest.json", "latest.html"])


def test_a_run_starting_in_the_same_second_as_another_gets_its_own_name(tmp_path):
    assert files.free_name(str(tmp_path / "missing"), GENERATED) == "amt-baseline-20261203T214005Z.json"
    files.write(str(tmp_path), sample(), "1")
    name = files.free_name(str(tmp_path), GENERATED)
    assert name == "amt-baseline-20261203T214005Z-2.json"
    second = files.write(str(tmp_path), sample(runs.record("run-2", GENERATED, name, None, [])), "2")
    assert second["json"].endswith(name)
    assert (tmp_path / "amt-baseline-20261203T214005Z.html").read_text(encoding="utf-8") == "1"
    assert (tmp_path / "latest.html").read_text(encoding="utf-8") == "2"
    assert files.free_name(str(tmp_path), GENERATED) == "amt-baseline-20261203T214005Z-3.json"


def test_each_update_of_a_run_rewrites_its_files(tmp_path):
    first = sample(runs.record("run-1", GENERATED, "amt-baseline-20261203T214005Z.json", None, ["c"]))
    files.write(str(tmp_path), first, "first")
    second = sample(runs.record("run-1", "2026-12-03T21:52:00Z", "amt-baseline-20261203T214005Z.json", first, []))
    paths = files.write(str(tmp_path), second, "second")
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(
        ["amt-baseline-20261203T214005Z.json", "amt-baseline-20261203T214005Z.html", "latest.json", "latest.html"])
    assert files.read(paths["json"])["run"] == {"id": "run-1", "started_at": GENERATED, "file": "amt-baseline-20261203T214005Z.json",
                                                "updates": 2, "not_reached": []}
    assert (tmp_path / "amt-baseline-20261203T214005Z.html").read_text(encoding="utf-8") == "second"


def test_keep_writes_a_copied_latest_report_under_its_own_name(tmp_path):
    report = sample()
    path = files.keep(str(tmp_path / "reports"), report)
    assert path == str(tmp_path / "reports" / "amt-baseline-20261203T214005Z.json")
    assert files.read(path) == report
    assert [entry.name for entry in (tmp_path / "reports").iterdir()] == ["amt-baseline-20261203T214005Z.json"]


def test_read_returns_what_write_wrote(tmp_path):
    paths = files.write(str(tmp_path), sample(), "")
    assert files.read(paths["latest_json"]) == sample()


def test_write_into_a_file_fails_naming_it(tmp_path):
    blocker = tmp_path / "reports"
    blocker.write_text("not a directory", encoding="utf-8")
    with pytest.raises(files.ReportFileError, match="reports"):
        files.write(str(blocker), sample(), "")


@pytest.mark.parametrize("change", [
    lambda report: report.pop("run"),
    lambda report: report["run"].update(file="../../etc/amt-baseline-20261203T214005Z.json"),
    lambda report: report["run"].update(file="amt-baseline-20261203T214005Z.json\n"),
    lambda report: report["run"].update(not_reached="c"),
    lambda report: report["changes"].update(previous={"generated_at": GENERATED, "file": "/tmp/x.json"}),
    lambda report: report.pop("changes"),
], ids=["no run", "a path as the run's file", "a file name and more", "not_reached not a list", "a path as the previous file",
        "no changes"])
def test_read_refuses_a_run_section_that_names_anything_but_a_report_file(tmp_path, change):
    report = sample()
    change(report)
    path = tmp_path / "latest.json"
    path.write_text(json.dumps(report), encoding="utf-8")
    with pytest.raises(files.ReportFileError, match="does not hold the controls, machines and run of a report"):
        files.read(str(path))


@pytest.mark.parametrize("content, message", [
    ("{not json", "is not JSON"),
    ('{"schema": "something/else", "schema_version": 1}', "is not a oob.amt/baseline-report document"),
    ('{"schema": "oob.amt/baseline-report", "schema_version": 2}', "has schema_version 2"),
    ('{"schema": "oob.amt/baseline-report", "schema_version": 1, "controls": [], "machines": [{"host": "a"}]}',
     "does not hold the controls, machines and run"),
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
