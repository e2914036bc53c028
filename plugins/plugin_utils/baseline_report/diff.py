# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What changed since the previous report: the `changes` section of docs/baseline-report-schema.md.

A cell is out of the baseline when it is drifted or failed, and in it when it is compliant or changed (enforced this
run). not_applicable, manual, excepted and unreachable say nothing either way, so a move to or from them is neither
drift nor a fix: it is left out rather than guessed.

Hosts that one of the two reports lists as not reached (a serial batch that had not run) are neither added nor removed.
"""

from __future__ import annotations

from ansible_collections.oob.amt.plugins.plugin_utils.baseline_report import build

IN_BASELINE = ("compliant", "changed")


def _cells(report):
    catalog = report.get("controls", [])
    return {item["host"]: build.cells(item, catalog) for item in report.get("machines", [])}


def _statuses(report):
    return {item["host"]: item["status"] for item in report.get("machines", [])}


def changes(report, previous):
    """The changes from previous (the previous run's report dict, or None for the first report) to report."""
    if previous is None:
        return {"previous": None, "newly_drifted": [], "newly_failed": [], "fixed": [], "newly_unreachable": [],
                "reachable_again": [], "machines_added": [], "machines_removed": []}
    now, before = _cells(report), _cells(previous)
    now_status, before_status = _statuses(report), _statuses(previous)
    newly_drifted, newly_failed, fixed = [], [], []
    for host in sorted(now):
        earlier = before.get(host, {})
        for control_id, status in now[host].items():
            was = earlier.get(control_id)
            cell = {"host": host, "control": control_id, "before": was, "after": status}
            if status == "drifted" and was != "drifted":
                newly_drifted.append(cell)
            elif status == "failed" and was != "failed":
                newly_failed.append(cell)
            elif status in IN_BASELINE and was in ("drifted", "failed"):
                fixed.append(cell)
    return {
        "previous": {"generated_at": previous["generated_at"], "file": previous["run"]["file"]},
        "newly_drifted": newly_drifted,
        "newly_failed": newly_failed,
        "fixed": fixed,
        "newly_unreachable": sorted(host for host, status in now_status.items()
                                    if status == "unreachable" and before_status.get(host, "unreachable") != "unreachable"),
        "reachable_again": sorted(host for host, status in now_status.items()
                                  if status != "unreachable" and before_status.get(host) == "unreachable"),
        "machines_added": sorted(set(now) - set(before) - set(previous["run"]["not_reached"])),
        "machines_removed": sorted(set(before) - set(now) - set(report["run"]["not_reached"])),
    }
