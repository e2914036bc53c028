# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""amt_unprovision end to end: ansible-playbook against simulated devices, over the network and the host interface.

Loopback range: 127.77.145.x to 127.77.147.x (remote) and 127.78.145.x to 127.78.147.x (local).
"""

from __future__ import annotations

import json

import pytest

from conftest import device, run_play, start_fleet

from ansible_collections.oob.amt.plugins.module_utils.wsman.errors import UnreachableError

ACM_FLEET = {"first_address": "127.77.145.1", "local_first_address": "127.78.145.1"}
LEGACY_ACM_FLEET = {"first_address": "127.77.146.1", "local_first_address": "127.78.146.1"}
CCM_FLEET = {"first_address": "127.77.147.1", "local_first_address": "127.78.147.1"}
# Before release 12 an Auditor can block unprovisioning in ACM (docs/amt-reference.md 3.1); not affected by INTEL-SA-00075.
LEGACY_FIRMWARE = "11.8.50.3425"
AUDITOR_PASSWORD = "Aud1tor-Passw0rd!"
OTHER_UUID = "11111111-2222-3333-4444-555555555555"
CHECK_AND_DIFF = {"check_mode": True, "diff": True}
# A device clock far from the controller's, so that the asset record shows it is the device's: 2032-01-01T00:00:00Z.
DEVICE_CLOCK = 1956528000


@pytest.fixture(scope="module")
def acm_fleet(tmp_path_factory):
    fleet = start_fleet(tmp_path_factory.mktemp("unprovision-acm"), 3, "acm", ACM_FLEET)
    yield fleet
    fleet.stop()


def still_provisioned(amt):
    client = amt.client()
    try:
        return client.get("AMT_SetupAndConfigurationService")["ProvisioningState"] == "2"
    finally:
        client.close()


def set_device_clock(amt, seconds):
    """Set the device's own clock the way consoles do: a low-accuracy reading, then the new time against it."""
    client = amt.client()
    try:
        ta0 = client.invoke("AMT_TimeSynchronizationService", "GetLowAccuracyTimeSynch")["Ta0"]
        client.invoke("AMT_TimeSynchronizationService", "SetHighAccuracyTimeSynch", [("Ta0", ta0), ("Tm1", seconds), ("Tm2", seconds)])
    finally:
        client.close()


def test_full_unprovision_check_mode_run_and_rerun(acm_fleet, tmp_path):
    amt = device(acm_fleet, 0)
    set_device_clock(amt, DEVICE_CLOCK)
    args = amt.connection(expected_uuid=amt.vars["amt_uuid"], verify_timeout=10)
    runs = run_play(tmp_path, acm_fleet.inventory_path, [
        ("check", "amt_unprovision", args, CHECK_AND_DIFF),
        ("unprovision", "amt_unprovision", args),
        ("again", "amt_unprovision", args),
        ("again, assumed", "amt_unprovision", dict(args, assume_unprovisioned_if_unreachable=True)),
    ], hosts=amt.name)
    check = runs["check"]
    assert check["changed"] is True and check["verified"] is False, check
    assert check["diff"] == {"before": {"provisioning_state": "post", "control_mode": "acm"},
                             "after": {"provisioning_state": "pre", "control_mode": "none"}}
    # Had check mode unprovisioned the device, the real run would have found it unreachable and failed.
    done = runs["unprovision"]
    assert done["changed"] is True and done["verified"] is True, done
    assert done["evidence"] == "WS-Man port 16993 closed"
    assert done["asset"]["uuid"] == amt.vars["amt_uuid"]
    assert done["asset"]["firmware_version"] == amt.vars["amt_firmware"]
    assert (done["asset"]["control_mode"], done["asset"]["provisioning_state"]) == ("acm", "post")
    assert done["asset"]["recorded_at"].endswith("+00:00")
    assert done["asset"]["device_time"].startswith("2032-01-01T00:0") and done["asset"]["device_time"].endswith("+00:00")
    assert not done["asset"]["recorded_at"].startswith("2032")
    assert done["survives"] == ["mebx_password", "dns_suffix"]
    assert any("MEBx password survives" in warning for warning in done["warnings"])
    assert any("DNS suffix" in warning for warning in done["warnings"])
    with pytest.raises(UnreachableError):
        amt.client().get("AMT_GeneralSettings")

    again = runs["again"]
    assert again["failed"] is True and again["error"] == "unreachable"
    assert "not proof that it is unprovisioned" in again["msg"]
    assumed = runs["again, assumed"]
    assert assumed["changed"] is False and assumed["verified"] is False, assumed
    assert assumed["evidence"] == "WS-Man port 16993 refused"
    assert amt.vars["amt_password"] not in runs.output


def test_partial_unprovision_keeps_the_admin(acm_fleet, tmp_path):
    amt = device(acm_fleet, 1)
    runs = run_play(tmp_path, acm_fleet.inventory_path, [
        ("partial", "amt_unprovision", amt.connection(mode="partial", verify_timeout=10)),
    ], hosts=amt.name)
    result = runs["partial"]
    assert result["changed"] is True and result["verified"] is True, result
    assert result["survives"] == ["mebx_password", "dns_suffix", "admin_account", "tls_psk_keys", "host_name", "domain_name",
                                  "provisioning_server_address"]
    assert any("partial unprovision keeps the admin account" in warning for warning in result["warnings"])


def test_refusals_before_any_write(acm_fleet, tmp_path):
    amt = device(acm_fleet, 2)
    runs = run_play(tmp_path, acm_fleet.inventory_path, [
        ("wrong uuid", "amt_unprovision", amt.connection(expected_uuid=OTHER_UUID)),
        ("wrong fingerprint", "amt_unprovision", amt.connection(ca_path=None, cert_fingerprint="cd" * 32)),
        ("local in acm", "amt_unprovision", amt.connection(transport="local", mei_device=amt.vars["amt_mei_socket"])),
        ("local partial", "amt_unprovision", amt.connection(transport="local", mode="partial")),
        ("negative timeout", "amt_unprovision", amt.connection(verify_timeout=-1)),
        ("auditor without password", "amt_unprovision", amt.connection(auditor_username="auditor")),
        ("auditor on the host", "amt_unprovision",
         amt.connection(transport="local", auditor_username="auditor", auditor_password=AUDITOR_PASSWORD)),
    ], hosts=amt.name)
    assert runs["wrong uuid"]["error"] == "identity_mismatch", runs["wrong uuid"]
    assert runs["wrong fingerprint"]["error"] == "tls", runs["wrong fingerprint"]
    assert runs["local in acm"]["error"] == "not_permitted"
    assert "only a device in client control mode" in runs["local in acm"]["msg"]
    assert runs["local partial"]["error"] == "invalid_input"
    assert runs["local partial"]["msg"].startswith("mode: partial needs transport=network")
    assert runs["negative timeout"]["error"] == "invalid_input" and runs["negative timeout"]["msg"].startswith("verify_timeout: ")
    assert runs["auditor without password"]["error"] == "invalid_input"
    assert runs["auditor without password"]["msg"].startswith("auditor_password: must be given with auditor_username")
    assert runs["auditor on the host"]["error"] == "invalid_input"
    assert runs["auditor on the host"]["msg"].startswith("auditor_username: applies only to transport=network")
    assert all(result["changed"] is False for result in runs.results().values())
    assert still_provisioned(amt)


@pytest.fixture(scope="module")
def legacy_acm_fleet(tmp_path_factory):
    fleet = start_fleet(tmp_path_factory.mktemp("unprovision-legacy"), 2, "acm", LEGACY_ACM_FLEET, firmware=LEGACY_FIRMWARE)
    yield fleet
    fleet.stop()


def test_auditor_blocks_until_it_allows_unprovisioning(legacy_acm_fleet, tmp_path):
    amt = device(legacy_acm_fleet, 0)
    amt.add_digest_user("auditor", AUDITOR_PASSWORD, realms=[20], access_permission=1)
    args = amt.connection(verify_timeout=10)
    runs = run_play(tmp_path, legacy_acm_fleet.inventory_path, [
        ("check", "amt_unprovision", args, CHECK_AND_DIFF),
        ("blocked", "amt_unprovision", args),
    ], hosts=amt.name)
    check, blocked = runs["check"], runs["blocked"]
    assert check["changed"] is True
    assert any("Auditor account 'auditor' has allowed it" in warning for warning in check["warnings"])
    assert blocked["failed"] is True and blocked["changed"] is False
    assert blocked["error"] == "not_permitted" and blocked["return_name"] == "PT_STATUS_NOT_PERMITTED"
    assert "the Auditor account 'auditor' has not allowed it" in blocked["msg"] and "UNPROVISIONING_LOCK" in blocked["msg"]
    assert still_provisioned(amt)

    auditor = amt.client("auditor", AUDITOR_PASSWORD)
    try:
        auditor.invoke("AMT_AuditLog", "SetAuditLock", [("LockTimeoutInSeconds", 60), ("Flag", 1)])
    finally:
        auditor.close()
    allowed = run_play(tmp_path, legacy_acm_fleet.inventory_path, [("allowed", "amt_unprovision", args)], hosts=amt.name)["allowed"]
    assert allowed["changed"] is True and allowed["verified"] is True, allowed
    assert allowed["survives"] == ["mebx_password"], "before release 12 the DNS suffix does not survive"


def test_the_module_signs_in_as_the_auditor_to_allow_unprovisioning(legacy_acm_fleet, tmp_path):
    amt = device(legacy_acm_fleet, 1)
    amt.add_digest_user("auditor", AUDITOR_PASSWORD, realms=[20], access_permission=1)
    args = amt.connection(expected_uuid=amt.vars["amt_uuid"], verify_timeout=10)
    with_auditor = dict(args, auditor_username="auditor", auditor_password=AUDITOR_PASSWORD)
    consent = "allow unprovisioning as the Auditor 'auditor' (AMT_AuditLog.SetAuditLock, Flag 1 UNPROVISIONING_LOCK, 60 s)"
    runs = run_play(tmp_path, legacy_acm_fleet.inventory_path, [
        ("check", "amt_unprovision", with_auditor, CHECK_AND_DIFF),
        ("without the auditor", "amt_unprovision", args),
        ("wrong auditor password", "amt_unprovision", dict(with_auditor, auditor_password="Wr0ng-Aud1tor!")),
        ("with the auditor", "amt_unprovision", with_auditor),
    ], hosts=amt.name)
    check = runs["check"]
    assert check["changed"] is True and check["actions"] == [consent, "unprovision (full)"] and check["writes"] == [], check
    assert not any("Auditor" in warning for warning in check.get("warnings", []))

    refused = runs["without the auditor"]
    assert refused["failed"] is True and refused["error"] == "not_permitted", refused
    assert "the Auditor account 'auditor' has not allowed it" in refused["msg"]
    assert "auditor_username" in refused["msg"] and "auditor_password" in refused["msg"]
    assert [write["status"] for write in refused["writes"]] == ["refused"]

    wrong = runs["wrong auditor password"]
    assert wrong["failed"] is True and wrong["error"] == "authentication", wrong
    assert "signed in as the Auditor 'auditor'" in wrong["msg"]
    assert wrong["writes"] == [{"action": consent, "status": "refused", "verified": None}], "no unprovision without the consent"

    done = runs["with the auditor"]
    assert done["changed"] is True and done["verified"] is True, done
    assert done["writes"] == [{"action": consent, "status": "confirmed", "verified": None},
                              {"action": "unprovision (full)", "status": "confirmed", "verified": True}]
    assert done["asset"]["uuid"] == amt.vars["amt_uuid"]
    with pytest.raises(UnreachableError):
        amt.client().get("AMT_GeneralSettings")
    for secret in (AUDITOR_PASSWORD, "Wr0ng-Aud1tor!"):
        assert secret not in runs.output and secret not in json.dumps(runs.records)


@pytest.fixture(scope="module")
def ccm_fleet(tmp_path_factory):
    fleet = start_fleet(tmp_path_factory.mktemp("unprovision-ccm"), 1, "ccm", CCM_FLEET)
    yield fleet
    fleet.stop()


def test_local_unprovision_over_the_host_interface(ccm_fleet, tmp_path):
    amt = device(ccm_fleet, 0)
    # No password: the host interface needs none; hostname is the connection default the play sets anyway.
    args = {"hostname": amt.vars["amt_hostname"], "transport": "local", "mei_device": amt.vars["amt_mei_socket"],
            "expected_uuid": amt.vars["amt_uuid"], "verify_timeout": 10}
    runs = run_play(tmp_path, ccm_fleet.inventory_path, [
        ("check", "amt_unprovision", args, CHECK_AND_DIFF),
        ("unprovision", "amt_unprovision", args),
        ("again", "amt_unprovision", args),
    ], hosts=amt.name)
    assert runs["check"]["changed"] is True and runs["check"]["asset"]["control_mode"] == "ccm", runs["check"]
    assert runs["check"]["diff"]["after"] == {"provisioning_state": "pre", "control_mode": "none"}
    done = runs["unprovision"]
    assert done["changed"] is True and done["verified"] is True, done
    assert done["evidence"] == "the firmware reports the pre-provisioning state over MEI"
    assert done["asset"]["uuid"] == amt.vars["amt_uuid"] and done["asset"]["firmware_version"] == amt.vars["amt_firmware"]
    assert done["asset"]["device_time"] is None
    again = runs["again"]
    assert again["changed"] is False and again["verified"] is True, again
    assert again["asset"]["provisioning_state"] == "pre"
