# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet report as a dict (schema oob.amt/baseline-report, version 1; docs/baseline-report-schema.md) built from
the per-host results of oob.amt.amt_baseline.

Every string in a result came from a device or from a module that talked to one, so nothing here trusts its type or
size: a value of the wrong type is reported as a failed machine, and text is cut to TEXT_LIMIT characters.
"""

from __future__ import annotations

from ansible_collections.oob.amt.plugins.plugin_utils.baseline_report import runs

SCHEMA = "oob.amt/baseline-report"
SCHEMA_VERSION = 1
GENERATOR = "oob.amt.amt_baseline_report"

# Statuses of one control on one machine (one cell of the grid), best first. amt_baseline reports the first seven;
# `unreachable` is given here to every cell of a machine without a result.
CONTROL_STATUSES = ("compliant", "changed", "drifted", "not_applicable", "manual", "excepted", "failed", "unreachable")
# Status of a machine: the worst that applies, in this order.
MACHINE_STATUSES = ("unreachable", "failed", "drifted", "changed", "compliant")
SEVERITIES = ("high", "medium", "low")
# Advisory statuses that a report lists for a machine (amt_info's vocabulary); fixed and not_affected are left out.
LISTED_ADVISORY_STATUSES = ("affected", "unknown")

TEXT_LIMIT = 2000
LIST_LIMIT = 50


def text(value, limit=TEXT_LIMIT):
    """value as a bounded string, or None for None."""
    if value is None:
        return None
    value = value if isinstance(value, str) else str(value)
    return value if len(value) <= limit else value[:limit] + "…"


def _texts(values):
    if not isinstance(values, list):
        return []
    return [text(value) for value in values[:LIST_LIMIT]]


def _error(value, default_kind):
    if isinstance(value, dict):
        return {"kind": text(value.get("kind") or default_kind, 64), "msg": text(value.get("msg") or "")}
    if value is None:
        return None
    return {"kind": default_kind, "msg": text(value)}


def _writes(values):
    if not isinstance(values, list):
        return []
    return [{"action": text(entry.get("action")), "status": text(entry.get("status"), 64), "verified": _verified(entry.get("verified"))}
            for entry in values[:LIST_LIMIT] if isinstance(entry, dict)]


def _verified(value):
    """True or False once the unit read the write back; None when it did not."""
    return None if value is None else bool(value)


def _control(entry):
    status = entry.get("status")
    if status not in CONTROL_STATUSES[:-1]:
        return None
    severity = entry.get("severity")
    return {
        "id": text(entry.get("id"), 64),
        "title": text(entry.get("title"), 300) or "",
        "severity": severity if severity in SEVERITIES else "low",
        "status": status,
        "reason": text(entry.get("reason")),
        "actions": _texts(entry.get("actions")),
        "writes": _writes(entry.get("writes")),
        "error": _error(entry.get("error"), "device_error"),
        "fix": text(entry.get("fix")),
    }


def _advisory(entry):
    if not isinstance(entry, dict) or entry.get("status", "affected") not in LISTED_ADVISORY_STATUSES:
        return None
    advisory_id = entry.get("advisory") or entry.get("id")
    if not advisory_id:
        return None
    return {
        "id": text(advisory_id, 64),
        "status": entry.get("status", "affected"),
        "title": text(entry.get("title"), 300),
        "cves": _texts(entry.get("cves")),
        "fixed_in": text(entry.get("fixed_in"), 64),
        "reason": text(entry.get("reason")),
    }


def _device(value):
    value = value if isinstance(value, dict) else {}
    return {
        "uuid": text(value.get("uuid"), 64),
        "firmware": text(value.get("firmware"), 64),
        "control_mode": text(value.get("control_mode"), 16),
        "hostname": text(value.get("hostname"), 255),
    }


def _without_result(host, groups, status, error):
    return {"host": host, "groups": groups, "status": status, "device": _device(None), "controls": [],
            "advisories": [], "error": error, "changed": False, "indeterminate": False}


def machine(host, result, groups=()):
    """One machine of the report from its amt_baseline result (None: the host has no result)."""
    host = text(host, 255)
    groups = _texts(list(groups))
    if result is None:
        return _without_result(host, groups, "unreachable", {"kind": "unreachable", "msg": "no amt_baseline result for this host"})
    if not isinstance(result, dict):
        return _without_result(host, groups, "failed", {"kind": "invalid_result", "msg": "the result is not a dict"})
    if result.get("unreachable"):
        return _without_result(host, groups, "unreachable", {"kind": "unreachable", "msg": text(result.get("msg") or "unreachable")})
    if result.get("skipped"):
        reason = "the amt_baseline task was skipped: %s" % (result.get("skip_reason") or result.get("false_condition") or "no reason given")
        return _without_result(host, groups, "unreachable", {"kind": "skipped", "msg": text(reason)})
    controls = result.get("controls")
    if not isinstance(controls, list):
        if result.get("failed"):
            kind = result.get("error") if isinstance(result.get("error"), str) else "failed"
            status = "unreachable" if kind == "unreachable" else "failed"
            return _without_result(host, groups, status, {"kind": text(kind, 64), "msg": text(result.get("msg") or "the task failed")})
        return _without_result(host, groups, "failed", {"kind": "invalid_result", "msg": "the result has no list of controls"})
    entries = [_control(entry) for entry in controls if isinstance(entry, dict)]
    if None in entries or len(entries) != len(controls):
        return _without_result(host, groups, "failed", {"kind": "invalid_result", "msg": "a control entry has no known status"})
    advisories = result.get("advisories")
    error = None
    if result.get("failed"):
        error = {"kind": text(result.get("error") if isinstance(result.get("error"), str) else "failed", 64),
                 "msg": text(result.get("msg") or "the task failed")}
    return {
        "host": host,
        "groups": groups,
        "status": _machine_status(entries, error),
        "device": _device(result.get("device")),
        "controls": entries,
        "advisories": [entry for entry in map(_advisory, advisories[:LIST_LIMIT] if isinstance(advisories, list) else []) if entry],
        "error": error,
        "changed": bool(result.get("changed")),
        "indeterminate": bool(result.get("indeterminate")),
    }


def _machine_status(controls, error):
    present = {entry["status"] for entry in controls}
    if error is not None:
        present.add("failed")
    for status in MACHINE_STATUSES:
        if status in present:
            return status
    return "compliant"


def _catalog(machines):
    """The controls seen in any result, in the order the results list them (amt_baseline's catalog order)."""
    catalog = {}
    for entry in (control for item in machines for control in item["controls"]):
        catalog.setdefault(entry["id"], {"id": entry["id"], "title": entry["title"], "severity": entry["severity"]})
    return list(catalog.values())


def cells(machine_entry, catalog):
    """The machine's status for every control of the catalog (None where its run did not cover the control)."""
    if not machine_entry["controls"] and machine_entry["status"] in ("unreachable", "failed"):
        return {entry["id"]: machine_entry["status"] for entry in catalog}
    own = {entry["id"]: entry["status"] for entry in machine_entry["controls"]}
    return {entry["id"]: own.get(entry["id"]) for entry in catalog}


def _zero(statuses):
    return dict.fromkeys(statuses, 0)


def _totals(machines, catalog):
    by_machine = _zero(MACHINE_STATUSES)
    by_cell = _zero(CONTROL_STATUSES)
    per_control = {entry["id"]: _zero(CONTROL_STATUSES) for entry in catalog}
    firmware = {}
    advisories = {}
    affected_machines = 0
    for item in machines:
        by_machine[item["status"]] += 1
        for control_id, status in cells(item, catalog).items():
            if status is not None:
                by_cell[status] += 1
                per_control[control_id][status] += 1
        version = item["device"]["firmware"] or "unknown"
        firmware[version] = firmware.get(version, 0) + 1
        affected = [entry for entry in item["advisories"] if entry["status"] == "affected"]
        affected_machines += bool(affected)
        for entry in affected:
            advisories[entry["id"]] = advisories.get(entry["id"], 0) + 1
    totals = {
        "machines": len(machines),
        "machines_by_status": by_machine,
        "controls_by_status": by_cell,
        "firmware": [{"version": version, "machines": count} for version, count in sorted(firmware.items())],
        "advisories": {
            "machines_affected": affected_machines,
            "by_advisory": [{"id": advisory_id, "machines": count} for advisory_id, count in sorted(advisories.items())],
        },
    }
    return totals, per_control


def build(results, generated_at, title, groups=None, run=None):
    """The report for results ({host: amt_baseline result or None}), without `changes` (see diff.changes).

    groups: {host: [inventory group names]}, used to group the grid; generated_at: an ISO 8601 UTC time (Z);
    run: the run section (runs.record), by default that of a report written once.
    """
    groups = groups or {}
    machines = [machine(host, results[host], groups.get(host, ())) for host in sorted(results, key=str)]
    catalog = _catalog(machines)
    for entry in (control for item in machines for control in item["controls"]):
        # Title and severity are the catalog's, listed once in the report's controls.
        del entry["title"], entry["severity"]
    totals, per_control = _totals(machines, catalog)
    for entry in catalog:
        entry["counts"] = per_control[entry["id"]]
    return {
        "schema": SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "generator": GENERATOR,
        "title": text(title, 300),
        "generated_at": generated_at,
        "run": run or runs.standalone(generated_at),
        "control_statuses": list(CONTROL_STATUSES),
        "machine_statuses": list(MACHINE_STATUSES),
        "controls": catalog,
        "totals": totals,
        "machines": machines,
    }
