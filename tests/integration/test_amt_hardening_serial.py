# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The amt_hardening role in a play with `serial: 2`: every batch of a run updates one report, hosts of batches that
have not run are listed as not reached (never as unreachable), a device without a listener is unreachable, each run
compares with the previous run's report (not with an earlier batch of its own), and a play that Ansible stops after a
batch whose hosts all failed leaves the hosts it never reached out of the machines."""

from __future__ import annotations

import json

import pytest
import yaml

from conftest import PYTHON_BIN, run_playbook, start_fleet

REPORT_TASK = "Write the fleet report"
BASELINE_TASK = "Judge and enforce the hardening baseline"
FLEET = {"first_address": "127.77.170.1", "local_first_address": "127.78.170.1"}
NO_LISTENER = ("127.77.170.250", "127.77.170.251")
PLAY = [{"name": "Harden two devices at a time", "hosts": "amt", "gather_facts": False, "serial": 2,
         "roles": [{"role": "oob.amt.amt_hardening"}]}]


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    started = start_fleet(tmp_path_factory.mktemp("serial-fleet"), 5, "ccm", FLEET, firmware="16.1")
    yield started
    started.stop()


def _inventory(tmp_path, fleet, names):
    """An inventory of the hosts in `names` order (Ansible's batches follow it): a device's index, or an address with no
    listener."""
    devices = [fleet.hosts[name] for name in sorted(fleet.hosts)]
    hosts = {}
    for name, device in names:
        if isinstance(device, int):
            hosts[name] = dict(devices[device], amt_ca_path=fleet.group_vars["amt_ca_path"])
        else:
            hosts[name] = dict(devices[0], amt_hostname=device, amt_ca_path=fleet.group_vars["amt_ca_path"], amt_timeout=5)
    path = tmp_path / ("inventory-%d.yml" % len(list(tmp_path.glob("inventory-*.yml"))))
    path.write_text(yaml.safe_dump({"all": {"children": {"amt": {"hosts": hosts, "vars": {
        "ansible_connection": "local", "ansible_python_interpreter": str(PYTHON_BIN / "python")}}}}}, sort_keys=False),
        encoding="utf-8")
    return path


def _harden(tmp_path, inventory, reports, check=False):
    """(run, [the report task's result of each batch], the report in latest.json afterwards)."""
    playbook = tmp_path / "serial.yml"
    playbook.write_text(yaml.safe_dump(PLAY, sort_keys=False), encoding="utf-8")
    run = run_playbook(tmp_path, [inventory], playbook, check=check, extra_vars={"amt_hardening_report_dir": str(reports)})
    updates = [record["result"] for record in run.records if record["task"].endswith(REPORT_TASK)]
    report = json.loads((reports / "latest.json").read_text(encoding="utf-8"))
    return run, updates, report


def _statuses(report):
    return dict((machine["host"], machine["status"]) for machine in report["machines"])


def test_one_report_per_run_across_batches(tmp_path, fleet):
    devices = ["amt-%d" % number for number in range(1, 6)]
    inventory = _inventory(tmp_path, fleet, [(name, index) for index, name in enumerate(devices)] + [("gone", NO_LISTENER[0])])
    reports = tmp_path / "reports"

    # The first run, in check mode: the drift, batch by batch, into one report.
    check_run, updates, drift = _harden(tmp_path, inventory, reports, check=True)
    assert len(updates) == 3, check_run.output
    assert [update["run"]["not_reached"] for update in updates] == [["amt-3", "amt-4", "amt-5", "gone"], ["amt-5", "gone"], []]
    assert [update["totals"]["machines"] for update in updates] == [2, 4, 6]
    assert [update["totals"]["machines_by_status"]["unreachable"] for update in updates] == [0, 0, 1]
    assert len({update["files"]["json"] for update in updates}) == 1 and len({update["run"]["id"] for update in updates}) == 1
    assert [update["run"]["updates"] for update in updates] == [1, 2, 3]
    assert all(update["previous"] is None for update in updates), "no batch compares with an earlier batch of its run"
    assert _statuses(drift) == dict([(name, "drifted") for name in devices] + [("gone", "unreachable")])
    assert next(machine for machine in drift["machines"] if machine["host"] == "gone")["error"]["kind"] == "unreachable"
    assert drift["run"]["not_reached"] == [] and drift["changes"]["previous"] is None
    assert [path.name for path in reports.glob("amt-baseline-*.json")] == [drift["run"]["file"]]

    # The second run enforces: each of its batches compares with the first run's whole report.
    run, updates, report = _harden(tmp_path, inventory, reports)
    assert run.returncode != 0  # gone fails its host, after the report
    assert len(updates) == 3 and len({update["files"]["json"] for update in updates}) == 1
    assert updates[0]["run"]["id"] != drift["run"]["id"] and updates[0]["files"]["json"] != str(reports / drift["run"]["file"])
    assert all(update["previous"] == str(reports / drift["run"]["file"]) for update in updates)
    for update in updates:
        assert [update["changes"][key] for key in ("newly_unreachable", "reachable_again", "machines_added", "machines_removed")] \
            == [0, 0, 0, 0], update["changes"]
    statuses = _statuses(report)
    assert statuses.pop("gone") == "unreachable"
    assert sorted(statuses) == devices and set(statuses.values()) <= {"changed", "drifted"}, statuses
    assert report["changes"]["previous"] == {"generated_at": drift["generated_at"], "file": drift["run"]["file"]}
    changed = dict(((machine["host"], control["id"]), control) for machine in report["machines"] for control in machine["controls"]
                   if control["status"] == "changed")
    fixed = set((entry["host"], entry["control"]) for entry in report["changes"]["fixed"])
    assert fixed == set(changed), "every drift the run enforced, in every batch, is fixed since the first run"
    assert {host for host, _control in fixed} == set(devices)
    assert sorted(path.name for path in reports.glob("amt-baseline-*.json")) == sorted([drift["run"]["file"], report["run"]["file"]])


def test_hosts_after_a_batch_that_all_failed_are_not_reached(tmp_path, fleet):
    # Batches: [a-1, a-2], [b-gone-1, b-gone-2] (both fail, so Ansible stops the play), [c-3].
    inventory = _inventory(tmp_path, fleet, [("a-1", 0), ("a-2", 1), ("b-gone-1", NO_LISTENER[0]), ("b-gone-2", NO_LISTENER[1]),
                                             ("c-3", 2)])
    run, updates, report = _harden(tmp_path, inventory, tmp_path / "reports", check=True)
    assert run.returncode != 0 and len(updates) == 2, run.output
    assert "c-3" not in run.by_host(BASELINE_TASK), "Ansible never ran c-3's batch"
    assert report["run"]["not_reached"] == ["c-3"]
    statuses = _statuses(report)
    assert [statuses.pop("b-gone-1"), statuses.pop("b-gone-2")] == ["unreachable", "unreachable"]
    assert sorted(statuses) == ["a-1", "a-2"] and set(statuses.values()) <= {"compliant", "drifted"}, statuses
    assert report["totals"]["machines"] == 4 and report["totals"]["machines_by_status"]["unreachable"] == 2
