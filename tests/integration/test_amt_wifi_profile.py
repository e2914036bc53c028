# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""amt_wifi_profile end to end against a simulated ACM device over TLS on loopback.

Loopback range: 127.77.231.x (remote) and 127.78.231.x (local).
"""

from __future__ import annotations

import pytest

from conftest import run_play, start_fleet

ADDRESSES = {"first_address": "127.77.231.1", "local_first_address": "127.78.231.1"}
PASSPHRASE = "Corp-wifi-passphrase-1"
CHECK = {"check_mode": True}
OFFICE = {"name": "office", "ssid": "OFFICE", "priority": 1, "security": "wpa2_psk", "passphrase": PASSPHRASE}


@pytest.fixture(scope="module")
def device(tmp_path_factory):
    fleet = start_fleet(tmp_path_factory.mktemp("wifi-fleet"), 1, "acm", ADDRESSES)
    yield fleet, sorted(fleet.hosts)[0]
    fleet.stop()


CONNECTION = {"hostname": "{{ amt_hostname }}", "username": "{{ amt_username }}", "password": "{{ amt_password }}",
              "ca_path": "{{ amt_ca_path }}"}


def task(args, connection=None):
    return dict(CONNECTION if connection is None else connection, **args)


@pytest.fixture
def run(device, tmp_path):
    """run(task, ...) runs amt_wifi_profile once per task in one playbook (--diff on); returns the results in order and the output.

    A task is the module's args, or (args, task keywords) such as (args, CHECK).
    """
    fleet, host = device

    def run_module(*tasks, connection=None):
        named = []
        for index, spec in enumerate(tasks):
            args, keywords = spec if isinstance(spec, tuple) else (spec, {})
            named.append(("task %d" % index, "amt_wifi_profile", task(args, connection), keywords))
        runs = run_play(tmp_path, fleet.inventory_path, named, hosts=host, diff=True)
        return [runs["task %d" % index] for index in range(len(tasks))], runs.output
    return run_module


def profile_names(result):
    return [profile["name"] for profile in result["wifi"]["profiles"]]


def test_profile_lifecycle_is_idempotent_checkable_and_never_shows_the_passphrase(run):
    moved = dict(OFFICE, priority=2)
    absent = {"name": "office", "state": "absent"}
    results, output = run(OFFICE, OFFICE, (moved, CHECK), (absent, CHECK), moved, moved, absent, absent)
    added, again, checked, check_absent, moved_result, moved_again, removed, removed_again = results
    assert added["changed"] is True and added["actions"] == ["add profile office"], added
    assert added["diff"]["before"]["profiles"] == []
    assert added["diff"]["after"]["profiles"][0]["passphrase"] == "******** (written)"
    assert again["changed"] is False and again["actions"] == []
    assert again["wifi"]["profiles"][0] == {"name": "office", "ssid": "OFFICE", "priority": 1, "security": "wpa2_psk",
                                            "encryption": "ccmp", "ieee8021x": None, "passphrase": "********"}
    # check mode reports the update a real run then makes: it did not make it itself
    assert checked["changed"] is True and checked["actions"] == ["update profile office"]
    assert checked["diff"]["after"]["profiles"][0]["priority"] == 2
    assert check_absent["changed"] is True and check_absent["actions"] == ["delete profile office"]
    assert moved_result["changed"] is True and moved_result["actions"] == checked["actions"]
    assert moved_result["wifi"]["profiles"][0]["priority"] == 2
    assert moved_again["changed"] is False
    assert removed["changed"] is True and removed["actions"] == check_absent["actions"]
    assert removed["wifi"]["profiles"] == [] and removed_again["changed"] is False
    assert PASSPHRASE not in output


def test_update_password_always_rewrites_the_passphrase_every_run(run):
    (created, rewritten, _removed), output = run(OFFICE, dict(OFFICE, update_password="always"), dict(OFFICE, state="absent"))
    assert created["changed"] is True
    assert rewritten["changed"] is True and rewritten["actions"] == ["update profile office"]
    assert PASSPHRASE not in output


def test_purge_keeps_only_the_listed_profiles_and_sets_the_port(run):
    listed = [dict(OFFICE), {"name": "lab", "ssid": "LAB", "priority": 3, "security": "wpa3_sae", "passphrase": PASSPHRASE}]
    settings = {"profiles": listed, "purge": True, "local_profile_sync": "off", "uefi_profile_share": True,
                "wifi_port": "enabled_in_s0_sx"}
    stray = {"name": "stray", "ssid": "STRAY", "priority": 9, "security": "wpa2_psk", "passphrase": PASSPHRASE}
    (_stray, purged, again, emptied), _output = run(stray, settings, settings, {"purge": True, "uefi_profile_share": False, "wifi_port": "disabled"})
    assert purged["changed"] is True, purged
    assert purged["actions"] == ["delete profile stray", "add profile office", "add profile lab",
                                 "set UEFIWiFiProfileShareEnabled=True", "set Wi-Fi port enabled_in_s0_sx"]
    assert profile_names(purged) == ["office", "lab"]
    assert purged["diff"]["before"]["wifi_port"] == "disabled" and purged["wifi"]["uefi_profile_share"] is True
    assert again["changed"] is False
    assert emptied["wifi"]["profiles"] == [] and emptied["wifi"]["wifi_port"] == "disabled"


def test_a_full_profile_table_is_refused_before_anything_is_written(run):
    full = [{"name": "p%d" % index, "ssid": "NET%d" % index, "priority": index, "security": "wpa2_psk", "passphrase": PASSPHRASE}
            for index in range(16)]
    (filled, refused, cleared), _output = run({"profiles": full, "purge": True}, OFFICE, {"purge": True})
    assert filled["changed"] is True and len(filled["wifi"]["profiles"]) == 16
    assert refused["failed"] is True and refused["error"] == "invalid_input" and refused["changed"] is False
    assert "at most 16 wireless profiles" in refused["msg"]
    assert sorted(cleared["actions"]) == sorted("delete profile p%d" % index for index in range(16))


def test_the_device_refusing_a_certificate_reference_is_reported_with_its_return_code(run):
    profile = {"name": "corp", "ssid": "CORP", "priority": 1, "security": "wpa2_8021x",
               "ieee8021x": {"eap_method": "eap_tls", "identity": "host1", "client_certificate": "77"}}
    (refused, left), _output = run(profile, {"purge": True})
    assert refused["failed"] is True and refused["changed"] is False
    assert refused["return_value"] == 4 and refused["return_name"] == "INVALID_REFERENCE"
    assert "AddWiFiSettings returned 4 (INVALID_REFERENCE) for profile corp" in refused["msg"]
    assert left["changed"] is False


BAD_INPUT = [
    ("open_network", {"security": "open"}, "security: open and shared-key"),
    ("short_passphrase", {"passphrase": "short"}, "passphrase: a WPA passphrase must be 8 to 63"),
    ("profile_name", {"name": "my office"}, "name: a profile name must be 1 to 32 letters or digits"),
    ("priority_range", {"priority": 300}, "priority: must be between 0 and 255"),
    ("wpa3_cipher", {"security": "wpa3_sae", "encryption": "tkip"}, "encryption: WPA3-SAE requires ccmp"),
    ("eap_tls_certificate", {"security": "wpa2_8021x", "passphrase": None, "ieee8021x": {"eap_method": "eap_tls"}},
     "ieee8021x.client_certificate: eap_tls authenticates with a client certificate"),
]


@pytest.fixture(scope="module")
def bad_input_results(device, tmp_path_factory):
    fleet, host = device
    tasks = [(rule, "amt_wifi_profile", task(dict(OFFICE, **overrides))) for rule, overrides, _message in BAD_INPUT]
    return run_play(tmp_path_factory.mktemp("wifi-bad-input"), fleet.inventory_path, tasks, hosts=host, diff=True)


@pytest.mark.parametrize("rule, message", [(rule, message) for rule, _overrides, message in BAD_INPUT],
                         ids=[rule for rule, _overrides, _message in BAD_INPUT])
def test_bad_input_is_refused_naming_the_option_and_rule(bad_input_results, rule, message):
    result = bad_input_results[rule]
    assert result["failed"] is True and result["changed"] is False
    assert result["error"] == "invalid_input"
    assert result["msg"].startswith(message), result["msg"]
    assert PASSPHRASE not in bad_input_results.output


def test_tls_is_verified_and_an_unverifiable_device_is_left_alone(run, device):
    fleet, host = device
    pinned_wrong = {"hostname": "{{ amt_hostname }}", "username": "{{ amt_username }}", "password": "{{ amt_password }}",
                    "cert_fingerprint": "00" * 32}
    (refused,), _output = run(OFFICE, connection=pinned_wrong)
    assert fleet.hosts[host]["amt_use_tls"] is True
    assert refused["failed"] is True and refused["error"] == "tls" and refused["changed"] is False
