# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""build.build: the report's machines, cells and totals from amt_baseline results, for 3 and 1,000 hosts."""

from __future__ import annotations

import pytest

from ansible_collections.oob.amt.plugins.plugin_utils.baseline_report import build
from ansible_collections.oob.amt.tests.unit.plugins.plugin_utils.baseline_report import synthetic

GENERATED = "2026-12-03T21:40:00Z"
CONTROLS = len(synthetic.CATALOG)
MANUAL = len(synthetic.MANUAL_REASONS)
AUTH_ERROR = {"kind": "device_error", "msg": "AMT_AuditLog.RequestStateChange returned 1"}


def three_hosts():
    return {
        "ok.example.net": synthetic.result({"AMT-REDIR-02": ("excepted", "KVM needed on the kiosk group")}),
        "drift.example.net": synthetic.result({"AMT-TLS-01": ("drifted", "TLS is off on the network interface"),
                                               "AMT-REDIR-01": "changed",
                                               "AMT-AUD-02": ("failed", "could not enable the audit log", AUTH_ERROR)},
                                              firmware="11.8.50"),
        "down.example.net": None,
    }


def by_host(report):
    return {item["host"]: item for item in report["machines"]}


def test_three_hosts_machines_and_totals():
    report = build.build(three_hosts(), GENERATED, "Three", {"ok.example.net": ["kiosk"]})
    machines = by_host(report)
    assert [item["host"] for item in report["machines"]] == ["down.example.net", "drift.example.net", "ok.example.net"]
    assert machines["ok.example.net"]["status"] == "compliant"
    assert machines["ok.example.net"]["groups"] == ["kiosk"]
    assert machines["drift.example.net"]["status"] == "failed"
    assert machines["down.example.net"]["status"] == "unreachable"
    assert machines["down.example.net"]["controls"] == []
    totals = report["totals"]
    assert totals["machines"] == 3
    assert totals["machines_by_status"] == {"unreachable": 1, "failed": 1, "drifted": 0, "changed": 0, "compliant": 1}
    assert totals["controls_by_status"] == {
        "compliant": 2 * (CONTROLS - MANUAL) - 4, "changed": 1, "drifted": 1, "not_applicable": 0, "manual": 2 * MANUAL,
        "excepted": 1, "failed": 1, "unreachable": CONTROLS}
    assert totals["firmware"] == [{"version": "11.8.50", "machines": 1}, {"version": "16.1.25", "machines": 1},
                                  {"version": "unknown", "machines": 1}]
    assert totals["advisories"] == {"machines_affected": 1, "by_advisory": [{"id": "INTEL-SA-00086", "machines": 1}]}


def test_three_hosts_controls_keep_reasons_errors_and_catalog_order():
    report = build.build(three_hosts(), GENERATED, "Three")
    assert [entry["id"] for entry in report["controls"]] == [entry[0] for entry in synthetic.CATALOG]
    tls = next(entry for entry in report["controls"] if entry["id"] == "AMT-TLS-01")
    assert tls["severity"] == "high" and tls["title"]
    assert tls["counts"]["drifted"] == 1 and tls["counts"]["unreachable"] == 1 and tls["counts"]["compliant"] == 1
    cells = {entry["id"]: entry for entry in by_host(report)["drift.example.net"]["controls"]}
    assert cells["AMT-TLS-01"]["reason"] == "TLS is off on the network interface"
    assert cells["AMT-AUD-02"]["error"] == AUTH_ERROR
    assert "title" not in cells["AMT-TLS-01"], "titles are listed once, in the report's controls"
    excepted = {entry["id"]: entry for entry in by_host(report)["ok.example.net"]["controls"]}["AMT-REDIR-02"]
    assert (excepted["status"], excepted["reason"]) == ("excepted", "KVM needed on the kiosk group")


@pytest.mark.parametrize("statuses, expected", [
    ({}, "compliant"),
    ({"AMT-TLS-01": "changed"}, "changed"),
    ({"AMT-TLS-01": "changed", "AMT-TLS-02": "drifted"}, "drifted"),
    ({"AMT-TLS-02": "drifted", "AMT-TLS-03": ("failed", "x", AUTH_ERROR)}, "failed"),
    ({"AMT-TLS-01": "not_applicable", "AMT-TLS-02": ("excepted", "why")}, "compliant"),
])
def test_machine_status_is_the_worst_that_applies(statuses, expected):
    assert build.machine("h", synthetic.result(statuses))["status"] == expected


@pytest.mark.parametrize("result, status, kind", [
    (None, "unreachable", "unreachable"),
    ({"failed": True, "msg": "digest refused", "error": "auth"}, "failed", "auth"),
    ({"failed": True, "msg": "no route to host", "error": "unreachable"}, "unreachable", "unreachable"),
    ({"unreachable": True, "msg": "ssh: connect"}, "unreachable", "unreachable"),
    ({"skipped": True, "false_condition": "amt_enabled"}, "unreachable", "skipped"),
    ({"changed": False}, "failed", "invalid_result"),
    ({"controls": [{"id": "AMT-TLS-01", "status": "pwned"}]}, "failed", "invalid_result"),
    (["not", "a", "dict"], "failed", "invalid_result"),
])
def test_hosts_without_a_usable_result(result, status, kind):
    entry = build.machine("h", result)
    assert (entry["status"], entry["error"]["kind"], entry["controls"]) == (status, kind, [])
    report = build.build({"h": result, "ok": synthetic.result({})}, GENERATED, "t")
    assert report["totals"]["controls_by_status"][status] == CONTROLS
    assert report["totals"]["machines_by_status"][status] == 1


def test_a_failed_task_keeps_its_message():
    entry = build.machine("h", {"failed": True, "msg": "digest refused", "error": "auth"})
    assert entry["error"] == {"kind": "auth", "msg": "digest refused"}


def test_device_strings_are_bounded_and_kept_verbatim():
    hostile = "<script>alert(1)</script>"
    result = synthetic.result({"AMT-TLS-01": ("drifted", hostile + "x" * 10000)}, hostname=hostile)
    entry = build.machine(hostile, result)
    reason = {control["id"]: control for control in entry["controls"]}["AMT-TLS-01"]["reason"]
    assert reason.startswith(hostile) and len(reason) == build.TEXT_LIMIT + 1
    assert entry["host"] == hostile and entry["device"]["hostname"] == hostile


def test_fixed_and_not_affected_advisories_are_left_out():
    advisories = [{"advisory": "INTEL-SA-00075", "cves": [], "status": "fixed", "fixed_in": "11.0.25", "reason": "r"},
                  {"advisory": "INTEL-SA-00086", "cves": [], "status": "not_affected", "fixed_in": None, "reason": "r"},
                  {"advisory": "INTEL-SA-00391", "cves": [], "status": "unknown", "fixed_in": None, "reason": "no threshold"}]
    entry = build.machine("h", synthetic.result({}, advisories=advisories))
    assert [(item["id"], item["status"]) for item in entry["advisories"]] == [("INTEL-SA-00391", "unknown")]
    report = build.build({"h": synthetic.result({}, advisories=advisories)}, GENERATED, "t")
    assert report["totals"]["advisories"]["machines_affected"] == 0, "unknown is not counted as affected"


def test_a_run_with_fewer_controls_leaves_the_other_cells_empty():
    partial = synthetic.result({})
    partial["controls"] = partial["controls"][:3]
    report = build.build({"full": synthetic.result({}), "partial": partial}, GENERATED, "t")
    cells = build.cells(by_host(report)["partial"], report["controls"])
    assert sum(status is None for status in cells.values()) == CONTROLS - 3
    assert sum(report["totals"]["controls_by_status"].values()) == CONTROLS + 3


def test_thousand_hosts_totals_agree_with_the_results():
    results, groups = synthetic.fleet(1000)
    report = build.build(results, GENERATED, "Fleet", groups)
    totals = report["totals"]
    assert totals["machines"] == len(report["machines"]) == 1000
    assert sum(totals["machines_by_status"].values()) == 1000
    assert sum(totals["controls_by_status"].values()) == 1000 * CONTROLS
    for entry in report["controls"]:
        assert sum(entry["counts"].values()) == 1000
    for status in build.CONTROL_STATUSES:
        assert sum(entry["counts"][status] for entry in report["controls"]) == totals["controls_by_status"][status]
    without = [host for host, result in results.items() if result is None]
    failed_tasks = [host for host, result in results.items() if result and result.get("failed")]
    assert totals["machines_by_status"]["unreachable"] == len(without) > 0
    assert totals["controls_by_status"]["unreachable"] == len(without) * CONTROLS
    expected_excepted = sum(1 for host, result in results.items() if result and not result.get("failed") and groups[host] == ["kiosk"])
    assert totals["controls_by_status"]["excepted"] == expected_excepted > 0
    drifted_cells = sum(entry["status"] == "drifted" for result in results.values() if result and "controls" in result
                        for entry in result["controls"])
    assert totals["controls_by_status"]["drifted"] == drifted_cells > 0
    assert len(failed_tasks) > 0
    assert totals["advisories"]["machines_affected"] == sum(
        1 for result in results.values() if result and result.get("advisories"))


def test_writes_keep_an_unchecked_verification_apart_from_a_failed_one():
    result = synthetic.result({"AMT-TLS-01": "changed"})
    entry = next(control for control in result["controls"] if control["id"] == "AMT-TLS-01")
    entry["writes"] = [{"action": "a", "status": "confirmed", "verified": True},
                       {"action": "b", "status": "unconfirmed", "verified": None},
                       {"action": "c", "status": "confirmed", "verified": False}]
    writes = next(control for control in build.machine("h", result)["controls"] if control["id"] == "AMT-TLS-01")["writes"]
    assert [write["verified"] for write in writes] == [True, None, False]
