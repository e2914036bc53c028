# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The report's files in its directory: amt-baseline-<UTC time>.json and .html (one pair per run, rewritten by each
update of the run), their copies latest.json and latest.html, and reading a previous report back.

Every file is written under a temporary name and renamed into place, so a reader (or the next run looking for
latest.json) never sees half a report.
"""

from __future__ import annotations

import json
import os

from ansible_collections.oob.amt.plugins.plugin_utils.baseline_report import build, runs

LATEST_JSON = "latest.json"
LATEST_HTML = "latest.html"
PREVIOUS_LIMIT = 256 * 1024 * 1024


class ReportFileError(Exception):
    """A report file that cannot be read or written; the message names the file."""


def _write_atomically(path, data):
    temporary = "%s.%d.tmp" % (path, os.getpid())
    try:
        with open(temporary, "w", encoding="utf-8") as stream:
            stream.write(data)
        os.replace(temporary, path)
    except OSError as error:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise ReportFileError("cannot write %s: %s" % (path, error.strerror or error)) from error


def free_name(directory, generated_at):
    """The JSON file name for a run starting at generated_at that no report in directory has yet."""
    number = 1
    while True:
        name = runs.file_name(generated_at, number)
        if not any(os.path.exists(os.path.join(directory, name[:-len(".json")] + ext)) for ext in (".json", ".html")):
            return name
        number += 1


def _make_directory(directory):
    try:
        os.makedirs(directory, exist_ok=True)
    except OSError as error:
        raise ReportFileError("cannot create %s: %s" % (directory, error.strerror or error)) from error


def _document(report):
    return json.dumps(report, indent=1, sort_keys=False, ensure_ascii=False) + "\n"


def write(directory, report, page):
    """Write the report (dict) under its run's file name, its page (HTML text) beside it, and both as the latest copies;
    return the four paths written."""
    _make_directory(directory)
    base = os.path.join(directory, report["run"]["file"][:-len(".json")])
    document = _document(report)
    paths = {
        "json": base + ".json",
        "html": base + ".html",
        "latest_json": os.path.join(directory, LATEST_JSON),
        "latest_html": os.path.join(directory, LATEST_HTML),
    }
    _write_atomically(paths["json"], document)
    _write_atomically(paths["html"], page)
    _write_atomically(paths["latest_json"], document)
    _write_atomically(paths["latest_html"], page)
    return paths


def keep(directory, report):
    """Write report (read from a latest.json copied in from elsewhere) under its own file name, so that the later
    updates of a run find the report they compare with once latest.json has become the run's own; return that path."""
    path = os.path.join(directory, report["run"]["file"])
    _make_directory(directory)
    _write_atomically(path, _document(report))
    return path


def read(path):
    """The report stored at path, checked to be this schema's version."""
    try:
        if os.path.getsize(path) > PREVIOUS_LIMIT:
            raise ReportFileError("%s is larger than %d bytes: not a report this collection wrote" % (path, PREVIOUS_LIMIT))
        with open(path, encoding="utf-8") as stream:
            report = json.load(stream)
    except OSError as error:
        raise ReportFileError("cannot read %s: %s" % (path, error.strerror or error)) from error
    except ValueError as error:
        raise ReportFileError("%s is not JSON: %s" % (path, error)) from error
    if not isinstance(report, dict) or report.get("schema") != build.SCHEMA:
        raise ReportFileError("%s is not a %s document" % (path, build.SCHEMA))
    if report.get("schema_version") != build.SCHEMA_VERSION:
        raise ReportFileError("%s has schema_version %r; this collection reads version %d"
                              % (path, report.get("schema_version"), build.SCHEMA_VERSION))
    if not _well_formed(report):
        raise ReportFileError("%s does not hold the controls, machines and run of a report" % path)
    return report


def _well_formed(report):
    """The parts of a report that diff.changes and a later update of its run read are there and of the right type."""
    controls, machines = report.get("controls"), report.get("machines")
    if not isinstance(controls, list) or not isinstance(machines, list) or not _well_formed_run(report):
        return False
    if not all(isinstance(entry, dict) and isinstance(entry.get("id"), str) for entry in controls):
        return False
    for item in machines:
        if not isinstance(item, dict) or not isinstance(item.get("host"), str) or item.get("status") not in build.MACHINE_STATUSES:
            return False
        entries = item.get("controls")
        if not isinstance(entries, list) or not all(isinstance(entry, dict) and "id" in entry and "status" in entry for entry in entries):
            return False
    return True


def _file_name(value):
    return isinstance(value, str) and runs.FILE_NAME.fullmatch(value) is not None


def _well_formed_run(report):
    """The run section, and the previous report the changes name, a later update of the run reads (file names that
    are only names of report files: nothing outside the report directory is ever read or written through them)."""
    run, changes = report.get("run"), report.get("changes")
    if not isinstance(run, dict) or not isinstance(run.get("id"), str) or not _file_name(run.get("file")):
        return False
    if not all(isinstance(value, str) for value in (report.get("generated_at"), run.get("started_at"))):
        return False
    if not isinstance(run.get("updates"), int):
        return False
    if not isinstance(run.get("not_reached"), list) or not all(isinstance(host, str) for host in run["not_reached"]):
        return False
    if not isinstance(changes, dict) or "previous" not in changes:
        return False
    previous = changes["previous"]
    return previous is None or (isinstance(previous, dict) and _file_name(previous.get("file")) and "generated_at" in previous)
