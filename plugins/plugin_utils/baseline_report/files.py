# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The report's files in its directory: amt-baseline-<UTC time>.json and .html, their copies latest.json and
latest.html, and reading a previous report back.

Every file is written under a temporary name and renamed into place, so a reader (or the next run looking for
latest.json) never sees half a report.
"""

from __future__ import annotations

import json
import os

from ansible_collections.oob.amt.plugins.plugin_utils.baseline_report import build

PREFIX = "amt-baseline-"
LATEST_JSON = "latest.json"
LATEST_HTML = "latest.html"
PREVIOUS_LIMIT = 256 * 1024 * 1024


class ReportFileError(Exception):
    """A report file that cannot be read or written; the message names the file."""


def stamp(moment):
    """The file-name form of a UTC datetime: 20261203T214000Z."""
    return moment.strftime("%Y%m%dT%H%M%SZ")


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


def _free_base(directory, moment):
    base = PREFIX + stamp(moment)
    candidate, number = base, 1
    while any(os.path.exists(os.path.join(directory, candidate + ext)) for ext in (".json", ".html")):
        number += 1
        candidate = "%s-%d" % (base, number)
    return os.path.join(directory, candidate)


def write(directory, report, page, moment):
    """Write the report (dict) and its page (HTML text); return the four paths written."""
    try:
        os.makedirs(directory, exist_ok=True)
    except OSError as error:
        raise ReportFileError("cannot create %s: %s" % (directory, error.strerror or error)) from error
    base = _free_base(directory, moment)
    document = json.dumps(report, indent=1, sort_keys=False, ensure_ascii=False) + "\n"
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
        raise ReportFileError("%s does not hold the controls and machines of a report" % path)
    return report


def _well_formed(report):
    """The parts of a previous report that diff.changes reads are there and of the right type."""
    controls, machines = report.get("controls"), report.get("machines")
    if not isinstance(controls, list) or not isinstance(machines, list):
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
