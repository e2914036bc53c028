"""amtsim.fleet: addresses, the mixed blend, state-dir persistence and the inventory."""
import asyncio
import json
from collections import Counter

import pytest
import yaml

from amtsim.fleet import Fleet, FleetOptions, device_profiles

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
        await asyncio.sleep(0.6)

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
