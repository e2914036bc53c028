"""amtsim.fleet: addresses, the mixed blends, state-dir persistence and safety, and the inventory."""
import asyncio
import base64
import hashlib
import json
import os
import stat
import time
from collections import Counter

import pytest
import yaml
from conftest import DigestClient, envelope

from amtsim import http as amt_http
from amtsim.fleet import RELEASE_BUILDS, Fleet, FleetError, FleetOptions, device_firmware, device_profiles
from amtsim.types import AMT_PREFIX

MODE_OF_PROFILE = {"factory": "none", "ccm": "ccm", "acm": "acm"}


def _options(**changes):
    base = {"devices": 3, "profile": "ccm", "first_address": "127.93.0.1", "local_first_address": "127.94.0.1"}
    base.update(changes)
    return FleetOptions(**base)


def _inventory(path):
    return yaml.safe_load(path.read_text())["all"]["children"]["amt"]


def test_addresses_are_consecutive_from_the_first_ones(tmp_path):
    fleet = Fleet.open(tmp_path, _options(first_address="127.93.0.254"))
    assert [m.remote_address for m in fleet.members] == ["127.93.0.254", "127.93.0.255", "127.93.1.0"]
    assert [m.local_address for m in fleet.members] == ["127.94.0.1", "127.94.0.2", "127.94.0.3"]
    assert [m.device.index for m in fleet.members] == [1, 2, 3]
    assert fleet.members[2].device.addresses == ["127.93.1.0", "127.94.0.3"]
    assert [m.mei_socket for m in fleet.members] == [tmp_path / "mei" / f"000{i}.sock" for i in (1, 2, 3)]
    fleet.close()


@pytest.mark.parametrize("changes", [{"first_address": "10.0.0.1"}, {"first_address": "127.255.255.254"},
                                     {"local_first_address": "192.168.1.1"}, {"devices": 0}, {"profile": "enterprise"}])
def test_options_outside_loopback_or_nonsense_are_refused(changes):
    with pytest.raises(ValueError):
        _options(**changes).validate()


def test_mixed_blend_is_deterministic_per_seed():
    options = _options(devices=100, profile="mixed", seed=7)
    first = device_profiles(options)
    assert first == device_profiles(options)
    assert Counter(first) == {"factory": 40, "ccm": 30, "acm": 30}
    assert first != device_profiles(_options(devices=100, profile="mixed", seed=8))
    assert device_profiles(_options(devices=2, profile="mixed")) == ["factory", "factory"]


def test_devices_start_in_their_profile(tmp_path):
    fleet = Fleet.open(tmp_path, _options(devices=10, profile="mixed", seed=1))
    expected = [MODE_OF_PROFILE[p] for p in device_profiles(fleet.options)]
    assert [m.device.control_mode for m in fleet.members] == expected
    fleet.close()


def test_state_survives_a_restart_and_stored_options_win(tmp_path):
    fleet = Fleet.open(tmp_path, _options(devices=2, profile="ccm", seed=5))
    device = fleet.members[0].device
    uuid, realm = device.uuid, device.digest_realm
    assert device.mei("Unprovision", {"mode": 0})["status"] == 0
    assert device.dirty
    fleet.on_change(device)
    fleet.close()
    assert json.loads((tmp_path / "fleet.json").read_text())["devices"] == 2

    again = Fleet.open(tmp_path, _options(devices=7, profile="acm", seed=9))
    assert again.options == _options(devices=2, profile="ccm", seed=5)
    assert len(again.members) == 2
    resumed = again.members[0].device
    assert (resumed.uuid, resumed.digest_realm, resumed.control_mode) == (uuid, realm, "none")
    assert again.members[1].device.control_mode == "ccm"
    again.close()


def test_changes_are_written_in_a_batch_from_the_event_loop(tmp_path):
    fleet = Fleet.open(tmp_path, _options(devices=2, profile="ccm"), tmp_path / "hosts.yml")
    device = fleet.members[1].device
    fleet.flush()  # new devices are first written in the background
    before = (tmp_path / "devices" / "0002.json").read_text()

    async def change_then_wait():
        device.mei("Unprovision", {"mode": 0})
        fleet.on_change(device)
        assert (tmp_path / "devices" / "0002.json").read_text() == before
        deadline = time.monotonic() + 15
        while _mode_in_inventory() != "none" and time.monotonic() < deadline:  # the inventory is written last
            await asyncio.sleep(0.05)

    def _mode_in_inventory():
        return _inventory(tmp_path / "hosts.yml")["hosts"]["amt-0002"]["amt_control_mode"]

    asyncio.run(change_then_wait())
    assert (tmp_path / "devices" / "0002.json").read_text() != before
    assert not device.dirty
    assert _inventory(tmp_path / "hosts.yml")["hosts"]["amt-0002"]["amt_control_mode"] == "none"
    fleet.close()


def test_inventory_describes_every_device_and_the_pki(tmp_path):
    inventory_path = tmp_path / "inventory" / "hosts.yml"
    fleet = Fleet.open(tmp_path / "state", _options(devices=2, profile="ccm"), inventory_path)
    amt = _inventory(inventory_path)
    first = amt["hosts"]["amt-0001"]
    device = fleet.members[0].device
    assert first["amt_hostname"] == "127.93.0.1" and first["amt_local_hostname"] == "127.94.0.1"
    assert (first["amt_http_port"], first["amt_tls_port"]) == (16992, 16993)
    assert first["amt_mei_socket"] == str(tmp_path / "state" / "mei" / "0001.sock")
    assert first["amt_uuid"] == device.uuid and first["amt_digest_realm"] == device.digest_realm
    assert first["amt_control_mode"] == "ccm" and first["amt_firmware"] == str(device.firmware)
    assert isinstance(first["amt_firmware"], str) and "!!python" not in inventory_path.read_text()
    assert first["amt_use_tls"] == device.listeners()["remote"]["tls"]
    assert (first["amt_username"], first["amt_password"]) == (device.admin_username, device.admin_password)
    assert first["amt_password_known"] is True
    assert amt["vars"]["ansible_connection"] == "local"
    assert amt["vars"]["amt_ca_path"] == str(tmp_path / "state" / "ca.pem")
    assert amt["vars"]["amt_provisioning_cert"] == str(fleet.pki.provisioning_pkcs12_path)
    assert amt["vars"]["amt_provisioning_cert_password"] == fleet.pki.provisioning_pkcs12_password
    assert amt["vars"]["amt_dns_suffix"] == fleet.pki.dns_suffix
    assert inventory_path.stat().st_mode & 0o077 == 0

    device.mei("Unprovision", {"mode": 0})
    fleet.on_change(device)
    assert "amt_password" not in _inventory(inventory_path)["hosts"]["amt-0001"]
    fleet.close()


def test_factory_devices_have_no_credentials_in_the_inventory(tmp_path):
    fleet = Fleet.open(tmp_path, _options(devices=1, profile="factory"), tmp_path / "hosts.yml")
    host = _inventory(tmp_path / "hosts.yml")["hosts"]["amt-0001"]
    assert host["amt_control_mode"] == "none"
    assert "amt_username" not in host and "amt_password" not in host
    fleet.close()


# --- firmware of the devices -----------------------------------------------------------------------------------
def test_one_firmware_for_every_device():
    assert device_firmware(_options(devices=2, firmware="11.6.27.3264")) == ["11.6.27.3264"] * 2
    assert device_firmware(_options(devices=2, firmware="12.0")) == [RELEASE_BUILDS["12.0"]] * 2


def test_firmware_counts_number_the_devices_in_order():
    options = _options(devices=6, firmware="11.8:1,12.0.90.2072:2,19.0:3")
    assert device_firmware(options) == [RELEASE_BUILDS["11.8"], "12.0.90.2072", "12.0.90.2072"] + [RELEASE_BUILDS["19.0"]] * 3


@pytest.mark.parametrize("firmware, message", [
    ("11.8:2,16.1:2", "add up to 4 devices, but the fleet has 5"),
    ("11.8:0,16.1:5", "a count of at least 1"),
    ("11.8:two", "VERSION:COUNT"),
    ("13.7:5", "one of the releases 11.8, 12.0"),
    ("16.1.27", "four parts"),
])
def test_firmware_specs_that_do_not_fit_are_refused(firmware, message):
    with pytest.raises(ValueError, match=message):
        _options(devices=5, firmware=firmware).validate()


def test_mixed_firmware_is_deterministic_per_seed():
    options = _options(devices=100, firmware="mixed", seed=3)
    first = device_firmware(options)
    assert first == device_firmware(options) and first != device_firmware(_options(devices=100, firmware="mixed", seed=4))
    assert Counter(first) == {RELEASE_BUILDS["11.8"]: 10, RELEASE_BUILDS["12.0"]: 15, RELEASE_BUILDS["19.0"]: 25,
                              RELEASE_BUILDS["16.1"]: 50}


def test_a_mixed_generation_fleet_resumes_with_its_firmware(tmp_path):
    inventory_path = tmp_path / "hosts.yml"
    fleet = Fleet.open(tmp_path / "state", _options(devices=3, firmware="11.8:1,16.1:1,19.0:1"), inventory_path)
    expected = [RELEASE_BUILDS[release] for release in ("11.8", "16.1", "19.0")]
    assert [str(m.device.firmware) for m in fleet.members] == expected
    assert [host["amt_firmware"] for host in _inventory(inventory_path)["hosts"].values()] == expected
    fleet.close()
    again = Fleet.open(tmp_path / "state", _options(devices=3, firmware="16.1"), inventory_path)
    assert [str(m.device.firmware) for m in again.members] == expected
    again.close()


# --- the inventory stays true ------------------------------------------------------------------------------------
def test_a_password_set_as_a_digest_hash_is_marked_unknown(tmp_path):
    inventory_path = tmp_path / "hosts.yml"
    fleet = Fleet.open(tmp_path / "state", _options(devices=2, profile="ccm"), inventory_path)
    device = fleet.members[0].device
    ha1 = hashlib.md5(("admin:%s:N3w-Passw0rd!" % device.digest_realm).encode()).hexdigest()
    device.accounts.set_admin_ha1("admin", ha1)  # what SetAdminAclEntryEx and Setup hand the firmware
    fleet.on_change(device)
    host = _inventory(inventory_path)["hosts"]["amt-0001"]
    assert host["amt_password_known"] is False and "amt_password" not in host
    assert (host["amt_username"], host["amt_control_mode"]) == ("admin", "ccm")
    assert "null" not in inventory_path.read_text()
    assert _inventory(inventory_path)["hosts"]["amt-0002"]["amt_password_known"] is True
    fleet.close()


def test_a_password_rotated_over_the_network_reaches_the_inventory(tmp_path, simulator_loop, loopback_block):
    inventory_path = tmp_path / "hosts.yml"
    options = _options(devices=1, firmware="12.0", first_address=loopback_block.allocate(),
                       local_first_address=loopback_block.allocate())
    fleet = Fleet.open(tmp_path / "state", options, inventory_path)
    device = fleet.members[0].device
    server = simulator_loop.run(amt_http.serve_fleet(fleet))
    try:
        service = AMT_PREFIX + "AMT_AuthorizationService"
        digest = hashlib.md5(("admin:%s:N3w-Passw0rd!" % device.digest_realm).encode()).digest()
        body = ('<h:SetAdminAclEntryEx_INPUT xmlns:h="%s"><h:Username>admin</h:Username><h:DigestPassword>%s'
                '</h:DigestPassword></h:SetAdminAclEntryEx_INPUT>' % (service, base64.b64encode(digest).decode()))
        client = DigestClient(fleet.members[0].remote_address, password=device.admin_password)
        answer = client.post(envelope(service + "/SetAdminAclEntryEx", service, body))
        client.close()
        assert answer.status == 200 and b"<g:ReturnValue>0</g:ReturnValue>" in answer.body
        deadline = time.monotonic() + 15
        while _inventory(inventory_path)["hosts"]["amt-0001"].get("amt_password_known") and time.monotonic() < deadline:
            time.sleep(0.05)
        host = _inventory(inventory_path)["hosts"]["amt-0001"]
        assert host["amt_password_known"] is False and "amt_password" not in host and host["amt_control_mode"] == "ccm"
    finally:
        simulator_loop.run(server.close())

        async def close():
            fleet.close()
        simulator_loop.run(close())


# --- what a state directory holds, and what keeps it from starting --------------------------------------------
def _modes(directory):
    for root, _directories, files in os.walk(directory):
        yield root, stat.S_IMODE(os.stat(root).st_mode)
        for name in files:
            path = os.path.join(root, name)
            yield path, stat.S_IMODE(os.stat(path).st_mode)


def test_state_is_owner_only(tmp_path):
    state = tmp_path / "state"
    state.mkdir(mode=0o755)
    (state / "devices").mkdir(mode=0o755)
    (state / "devices" / "0009.json").write_text("{}")  # left by an older run, readable by all
    os.chmod(state / "devices" / "0009.json", 0o644)
    fleet = Fleet.open(state, _options(devices=2, profile="acm"))
    fleet.close()
    modes = dict(_modes(state))
    assert {path: mode for path, mode in modes.items() if os.path.isdir(path) and mode != 0o700} == {}
    assert {path: mode for path, mode in modes.items() if os.path.isfile(path) and mode != 0o600} == {}
    assert str(state / "devices" / "0002.json") in modes and str(state / "pki" / "provisioning.password") in modes


def test_corrupt_device_state_is_named(tmp_path):
    Fleet.open(tmp_path, _options(devices=2)).close()
    (tmp_path / "devices" / "0002.json").write_text('{"format": ')
    with pytest.raises(FleetError, match="device state .*0002.json is corrupt"):
        Fleet.open(tmp_path, _options(devices=2))


def test_corrupt_fleet_description_is_named(tmp_path):
    Fleet.open(tmp_path, _options(devices=1)).close()
    (tmp_path / "fleet.json").write_text('{"devices": 1, "colour": "blue"}')
    with pytest.raises(FleetError, match="fleet.json is not a fleet description"):
        Fleet.open(tmp_path, _options(devices=1))


def test_a_file_in_place_of_the_state_directory_is_named(tmp_path):
    (tmp_path / "state").write_text("not a directory")
    with pytest.raises(FleetError, match="state directory .*state is not usable"):
        Fleet.open(tmp_path / "state", _options(devices=1))
