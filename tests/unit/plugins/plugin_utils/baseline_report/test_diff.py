# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""diff.changes: newly drifted, newly failed, fixed, machines that came, went, or lost and regained contact, and hosts not
reached by a run that are neither."""

from __future__ import annotations

from ansible_collections.oob.amt.plugins.plugin_utils.baseline_report import build, diff, runs
from ansible_collections.oob.amt.tests.unit.plugins.plugin_utils.baseline_report import synthetic

ERROR = {"kind": "device_error", "msg": "PT_STATUS_INTERNAL_ERROR"}


def report(results, not_reached=()):
    run = runs.record("r", "2026-12-03T21:40:00Z", "amt-baseline-20261203T214000Z.json", None, not_reached)
    return build.build(results, "2026-12-03T21:40:00Z", "t", run=run)


def cells(entries):
    return [(entry["host"], entry["control"], entry["before"], entry["after"]) for entry in entries]


def test_first_report_has_no_previous_and_empty_lists():
    changes = diff.changes(report({"a": synthetic.result({})}), None)
    assert changes["previous"] is None
    assert all(changes[key] == [] for key in changes if key != "previous")


def test_drift_failure_and_fix_between_two_runs():
    before = report({
        "a": synthetic.result({"AMT-TLS-01": "drifted", "AMT-TLS-02": ("failed", "x", ERROR)}),
        "b": synthetic.result({}),
        "gone": synthetic.result({}),
        "down": None,
    })
    after = report({
        "a": synthetic.result({"AMT-TLS-02": "changed", "AMT-REDIR-01": "drifted"}),
        "b": synthetic.result({"AMT-TLS-01": "drifted", "AMT-AUD-02": ("failed", "x", ERROR), "AMT-WEB-01": "not_applicable"}),
        "down": synthetic.result({}),
        "new": None,
    })
    changes = diff.changes(after, before)
    assert changes["previous"] == {"generated_at": "2026-12-03T21:40:00Z", "file": "amt-baseline-20261203T214000Z.json"}
    assert cells(changes["newly_drifted"]) == [("a", "AMT-REDIR-01", "compliant", "drifted"), ("b", "AMT-TLS-01", "compliant", "drifted")]
    assert cells(changes["newly_failed"]) == [("b", "AMT-AUD-02", "compliant", "failed")]
    # a's AMT-TLS-01 went from drifted to compliant (fixed elsewhere), AMT-TLS-02 from failed to changed (enforced).
    assert cells(changes["fixed"]) == [("a", "AMT-TLS-01", "drifted", "compliant"), ("a", "AMT-TLS-02", "failed", "changed")]
    assert changes["newly_unreachable"] == [], "a machine never reached before is added, not newly unreachable"
    assert changes["reachable_again"] == ["down"]
    assert changes["machines_added"] == ["new"]
    assert changes["machines_removed"] == ["gone"]


def test_moves_to_neutral_statuses_are_neither_drift_nor_fix():
    before = report({"a": synthetic.result({"AMT-TLS-01": "drifted"})})
    after = report({"a": synthetic.result({"AMT-TLS-01": ("excepted", "lab machine")})})
    changes = diff.changes(after, before)
    assert changes["fixed"] == [] and changes["newly_drifted"] == []


def test_unchanged_drift_is_not_new():
    results = {"a": synthetic.result({"AMT-TLS-01": "drifted"}), "b": None}
    changes = diff.changes(report(results), report(results))
    assert all(changes[key] == [] for key in changes if key != "previous")


def test_a_machine_that_becomes_unreachable_is_listed_once_not_per_control():
    changes = diff.changes(report({"a": None}), report({"a": synthetic.result({"AMT-TLS-01": "drifted"})}))
    assert changes["newly_unreachable"] == ["a"]
    assert changes["fixed"] == [] and changes["newly_drifted"] == [] and changes["newly_failed"] == []


def test_hosts_not_reached_are_neither_added_nor_removed():
    # The previous run stopped before c; this run has not reached b yet.
    before = report({"a": synthetic.result({}), "b": synthetic.result({"AMT-TLS-01": "drifted"})}, not_reached=["c"])
    after = report({"a": synthetic.result({}), "c": synthetic.result({"AMT-TLS-01": "drifted"})}, not_reached=["b"])
    changes = diff.changes(after, before)
    assert changes["machines_added"] == [] and changes["machines_removed"] == []
    assert changes["newly_unreachable"] == [] and changes["reachable_again"] == []
    assert cells(changes["newly_drifted"]) == [("c", "AMT-TLS-01", None, "drifted")], "c's cells are new, as a new machine's"
    assert changes["fixed"] == [], "b is not reached yet: nothing is known of its drift"
