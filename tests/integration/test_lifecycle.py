# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lifecycle of issue 5, end to end: playbooks/lifecycle.yml against two factory-fresh simulated devices.

One device is taken to CCM, the other to ACM; both go back to the factory at the end.
Loopback range: 127.77.233.x (remote) and 127.78.233.x (local).
"""

from __future__ import annotations

import json

import pytest
import yaml

from conftest import HERE, run_playbook, start_fleet

from ansible_collections.oob.amt.plugins.module_utils.amt.mei import MeiClient

ADDRESSES = {"first_address": "127.77.233.1", "local_first_address": "127.78.233.1"}
TARGET_MODES = {"amt-0001": "ccm", "amt-0002": "acm"}
SECRETS = {
    "amt_activation_password": "Act1vate!Lifecycle",
    "amt_admin_password": "R0tated!Lifecycle",
    "amt_mebx_password": "Mebx!L1fecycle",
    "amt_wifi_passphrase": "Office-wifi-passphrase-5",
}
FIRST = "Activate and configure Intel AMT"
AGAIN = "Run the same steps again, which changes nothing"
DECOMMISSION = "Return AMT to factory settings"
MODULE_STEPS = ["Activate AMT on the host", "Rotate the admin password", "Add the office wireless profile",
                "Audit unprovisioning and changes to accounts and to the audit log"]
READS = ["Read the control mode over the network", "Log in with the rotated admin password", "Read the wireless profiles",
         "Read the audit log settings"]


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    fleet = start_fleet(tmp_path_factory.mktemp("lifecycle-fleet"), len(TARGET_MODES), "factory", ADDRESSES)
    yield fleet
    fleet.stop()


@pytest.fixture(scope="module")
def lifecycle(fleet, tmp_path_factory):
    """The playbook run once, and each host's inventory variables from before it."""
    work_dir = tmp_path_factory.mktemp("lifecycle")
    targets = work_dir / "targets.yml"
    target_vars = dict((host, {"amt_target_control_mode": mode}) for host, mode in TARGET_MODES.items())
    targets.write_text(yaml.safe_dump({"amt": {"hosts": target_vars}}), encoding="utf-8")
    before = fleet.hosts
    run = run_playbook(work_dir, [fleet.inventory_path, targets], HERE / "playbooks" / "lifecycle.yml", extra_vars=SECRETS)
    return run, before


@pytest.mark.parametrize("host", sorted(TARGET_MODES))
def test_every_step_changes_the_factory_device_once(lifecycle, host):
    run, before = lifecycle
    assert before[host]["amt_control_mode"] == "none" and "amt_password" not in before[host]
    first = run.results(host, FIRST)
    for step in MODULE_STEPS:
        assert first[step]["changed"] is True and not first[step]["failed"], (step, first[step], run.output)
    for read in READS:
        assert not first[read]["failed"], (read, first[read])
    mode = TARGET_MODES[host]
    assert first["Activate AMT on the host"]["control_mode"] == mode
    assert first["Activate AMT on the host"]["uuid"] == before[host]["amt_uuid"]
    assert first["Activate AMT on the host"]["mebx_password"] == ("set" if mode == "acm" else "not_applicable")
    assert first["Read the control mode over the network"]["amt"]["provisioning"]["control_mode"] == mode
    assert first["Rotate the admin password"]["admin_password_changed"] is True
    # The read after the rotation logged in with the rotated password: a wrong one fails with "authentication".
    assert first["Log in with the rotated admin password"]["amt"]["users"]["admin_username"] == "admin"
    assert first["Add the office wireless profile"]["actions"] == ["add profile office"]
    assert [profile["name"] for profile in first["Read the wireless profiles"]["amt"]["wifi"]["profiles"]] == ["office"]
    assert first["Read the audit log settings"]["amt"]["audit"]["policy"]["state"] == "enabled"
    assert first["Audit unprovisioning and changes to accounts and to the audit log"]["audit_policy"]["storage_policy"] == "restricted_rollover"


@pytest.mark.parametrize("host", sorted(TARGET_MODES))
def test_the_same_steps_again_change_nothing(lifecycle, host):
    run, _before = lifecycle
    again = run.results(host, AGAIN)
    assert set(again) == set(run.results(host, FIRST))
    for name, result in again.items():
        assert result["changed"] is False and not result["failed"], (name, result)
    assert again["Activate AMT on the host"]["control_mode"] == TARGET_MODES[host]
    assert again["Read the control mode over the network"]["amt"]["provisioning"]["control_mode"] == TARGET_MODES[host]
    assert [profile["name"] for profile in again["Read the wireless profiles"]["amt"]["wifi"]["profiles"]] == ["office"]
    assert again["Read the audit log settings"]["amt"]["audit"]["policy"]["state"] == "enabled"


@pytest.mark.parametrize("host", sorted(TARGET_MODES))
def test_unprovisioning_returns_the_device_to_the_factory(fleet, lifecycle, host):
    run, _before = lifecycle
    last = run.results(host, DECOMMISSION)
    unprovisioned = last["Unprovision"]
    assert unprovisioned["changed"] is True and unprovisioned["verified"] is True, unprovisioned
    assert unprovisioned["evidence"] == "WS-Man port 16993 closed"
    assert unprovisioned["asset"]["control_mode"] == TARGET_MODES[host]
    assert unprovisioned["asset"]["uuid"] == fleet.hosts[host]["amt_uuid"]
    closed = last["Check that the network interface is closed"]
    assert closed["error"] == "unreachable" and not closed["failed"], closed
    on_the_host = last["Ask the management engine on the host for its state"]
    assert on_the_host["changed"] is False and not on_the_host["failed"], on_the_host
    assert on_the_host["asset"]["provisioning_state"] == "pre"
    mei = MeiClient(fleet.hosts[host]["amt_mei_socket"])
    assert mei.get_provisioning_state() == 0 and mei.get_control_mode() == 0


def test_no_secret_reaches_the_output_or_a_result(lifecycle):
    run, _before = lifecycle
    recorded = json.dumps(run.records)
    for name, secret in SECRETS.items():
        assert secret not in run.output, name
        assert secret not in recorded, name
