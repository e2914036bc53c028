# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""amt_info with transport=local: the management engine over each simulated device's MEI socket and the local LMS address.

A factory device keeps its network interface closed: over the network it answers as unreachable, locally it reports
provisioning state pre and AMT-PROV-01 without any credentials.

Loopback range: 127.77.239.51 and up (remote) and 127.78.239.51 and up (local), shared with test_amt_redirection.py.
"""

from __future__ import annotations

import pytest

from conftest import run_play, start_fleet

FACTORY = {"first_address": "127.77.239.51", "local_first_address": "127.78.239.51"}
ACM = {"first_address": "127.77.239.61", "local_first_address": "127.78.239.61"}
TLS_ONLY_FACTORY = {"first_address": "127.77.239.71", "local_first_address": "127.78.239.71"}
# From AMT 19 the local ports accept only TLS, and the firmware reports whether AMT is enabled in the BIOS.
TLS_ONLY_FIRMWARE = "19.0.5.2010"
LOCAL = {"transport": "local", "mei_device": "{{ amt_mei_socket }}", "lms_hostname": "{{ amt_local_hostname }}"}
# What the local system account may read; everything else is refused to it by the device.
LOCAL_SYSTEM_SUBSETS = ["firmware", "provisioning", "general"]
ALL_SUBSETS = ["firmware", "provisioning", "general", "network", "tls", "users", "wifi", "audit", "redirection", "power"]


@pytest.fixture(scope="module")
def fleets(tmp_path_factory):
    started = {}
    try:
        started["factory"] = start_fleet(tmp_path_factory.mktemp("local-factory"), 1, "factory", FACTORY)
        started["acm"] = start_fleet(tmp_path_factory.mktemp("local-acm"), 1, "acm", ACM)
        started["tls_only"] = start_fleet(tmp_path_factory.mktemp("local-tls-only"), 1, "factory", TLS_ONLY_FACTORY,
                                          firmware=TLS_ONLY_FIRMWARE)
        yield started
    finally:
        for fleet in started.values():
            fleet.stop()


def run(fleet, tmp_path, *tasks):
    named = [("task %d" % index, "amt_info", args) for index, args in enumerate(tasks)]
    runs = run_play(tmp_path, fleet.inventory_path, named, hosts=sorted(fleet.hosts)[0])
    return [runs["task %d" % index] for index in range(len(tasks))]


def test_a_factory_device_is_audited_locally_without_credentials(fleets, tmp_path):
    fleet = fleets["factory"]
    host = fleet.hosts[sorted(fleet.hosts)[0]]
    over_network_args = {"hostname": "{{ amt_hostname }}", "password": "Unused-Passw0rd!", "ca_path": "{{ amt_ca_path }}",
                         "gather_subset": ["provisioning"]}
    over_network, local = run(fleet, tmp_path, over_network_args, LOCAL)
    assert over_network["failed"] is True and over_network["error"] == "unreachable", over_network
    assert not local.get("failed"), local
    amt = local["amt"]
    assert amt["management_engine"] == {
        "uuid": host["amt_uuid"], "firmware_version": host["amt_firmware"], "provisioning_state": "pre", "control_mode": "none",
        # Firmware before AMT 19 does not report whether AMT is enabled in the BIOS (GetChangeEnabled's new interface bit).
        "amt_enabled": None, "local_tls_enforced": False, "lms_account": "local system account"}
    assert amt["provisioning"]["state"] == "pre" and amt["provisioning"]["control_mode"] == "none"
    assert amt["gathered_subsets"] == LOCAL_SYSTEM_SUBSETS
    assert [entry["subset"] for entry in amt["unreadable_subsets"]] == [subset for subset in ALL_SUBSETS if subset not in LOCAL_SYSTEM_SUBSETS]
    assert all(entry["reason"].startswith("the account may not read it") for entry in amt["unreadable_subsets"])
    prov_01 = [finding for finding in amt["findings"] if finding["id"] == "AMT-PROV-01"]
    assert len(prov_01) == 1 and prov_01[0]["observed"] == "ProvisioningState is pre and CurrentControlMode is none"
    assert "oob.amt.amt_provision" in prov_01[0]["fix"]
    assert amt["general"]["uuid"] == host["amt_uuid"] and amt["firmware"]["full_version"] == host["amt_firmware"]
    assert "AMT-REDIR-03" in [skipped["id"] for skipped in amt["findings_skipped"]]
    assert local["amt_requests"] > 0


def test_amt_19_factory_device_is_read_over_local_tls(fleets, tmp_path):
    with_ca = dict(LOCAL, ca_path="{{ amt_ca_path }}", gather_subset=["provisioning"])
    verified, unverifiable = run(fleets["tls_only"], tmp_path, with_ca, LOCAL)
    engine = verified["amt"]["management_engine"]
    assert engine["local_tls_enforced"] is True and engine["amt_enabled"] is True and engine["provisioning_state"] == "pre"
    assert "AMT-PROV-01" in [finding["id"] for finding in verified["amt"]["findings"]]
    # Without ca_path the system trust store cannot verify the firmware's certificate.
    assert unverifiable["failed"] is True and unverifiable["error"] == "tls", unverifiable


def test_a_provisioned_device_read_locally_with_the_admin_account_reads_everything(fleets, tmp_path):
    (local,) = run(fleets["acm"], tmp_path, dict(LOCAL, username="{{ amt_username }}", password="{{ amt_password }}"))
    amt = local["amt"]
    assert not local.get("failed"), local
    assert amt["unreadable_subsets"] == [] and amt["gathered_subsets"] == ALL_SUBSETS
    assert amt["management_engine"]["provisioning_state"] == "post" and amt["management_engine"]["control_mode"] == "acm"
    assert amt["management_engine"]["lms_account"] == "admin"
    assert amt["provisioning"]["control_mode"] == "acm" and "AMT-PROV-01" not in [finding["id"] for finding in amt["findings"]]
    assert amt["redirection"]["user_consent"] == "kvm"


def test_the_wrong_device_and_a_missing_mei_are_refused_before_the_lms(fleets, tmp_path):
    wrong_device, no_mei = run(fleets["factory"], tmp_path, dict(LOCAL, expected_uuid="00000000-0000-0000-0000-000000000000"),
                               dict(LOCAL, mei_device=str(tmp_path / "missing.sock")))
    assert wrong_device["failed"] is True and wrong_device["error"] == "identity_mismatch", wrong_device
    assert no_mei["failed"] is True and no_mei["error"] == "mei" and "missing.sock" in no_mei["msg"], no_mei
