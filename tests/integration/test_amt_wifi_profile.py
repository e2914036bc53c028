# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""amt_wifi_profile end to end against a simulated ACM device over TLS on loopback.

Loopback range: 127.77.231.x (remote) and 127.78.231.x (local); 127.77.231.250 has no listener.
"""

from __future__ import annotations

import base64
import datetime
import pathlib
import re

import certifi
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from conftest import SimulatedDevice, assert_refused_before_sending, run_cases, run_play, start_fleet

ADDRESSES = {"first_address": "127.77.231.1", "local_first_address": "127.78.231.1"}
# In the file's range and outside the fleet: a module that sent anything there would fail as unreachable.
UNREACHABLE = {"hostname": "127.77.231.250", "password": "Unused-Passw0rd!"}
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


def test_refusals_before_any_write_full_table_and_unsupported_security(run):
    full = [{"name": "p%d" % index, "ssid": "NET%d" % index, "priority": index, "security": "wpa2_psk", "passphrase": PASSPHRASE}
            for index in range(16)]
    legacy = dict(OFFICE, name="legacy", security="wpa_psk")
    (filled, refused, unsupported, cleared), _output = run({"profiles": full, "purge": True}, OFFICE, dict(legacy, purge=True), {"purge": True})
    assert filled["changed"] is True and len(filled["wifi"]["profiles"]) == 16
    assert refused["failed"] is True and refused["error"] == "invalid_input" and refused["changed"] is False
    assert "at most 16 wireless profiles" in refused["msg"]
    # purge would have deleted the 16 profiles first: the capability check refuses before that first write.
    assert unsupported["failed"] is True and unsupported["error"] == "invalid_input" and unsupported["changed"] is False
    assert unsupported["msg"].startswith("profile legacy: this firmware does not support security wpa_psk"), unsupported["msg"]
    assert sorted(cleared["actions"]) == sorted("delete profile p%d" % index for index in range(16))


def test_the_device_refusing_a_certificate_reference_is_reported_with_its_return_code(run):
    profile = {"name": "corp", "ssid": "CORP", "priority": 1, "security": "wpa2_8021x",
               "ieee8021x": {"eap_method": "eap_tls", "identity": "host1", "client_certificate": "77"}}
    (refused, left), _output = run(profile, {"purge": True})
    assert refused["failed"] is True and refused["changed"] is False
    assert refused["return_value"] == 4 and refused["return_name"] == "INVALID_REFERENCE"
    assert "AddWiFiSettings returned 4 (INVALID_REFERENCE) for profile corp" in refused["msg"]
    assert left["changed"] is False


def _name(common_name):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _certificate(subject, public_key, issuer, signing_key, is_ca):
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (x509.CertificateBuilder().subject_name(_name(subject)).issuer_name(_name(issuer)).public_key(public_key)
               .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
               .not_valid_after(now + datetime.timedelta(days=30))
               .add_extension(x509.BasicConstraints(ca=is_ca, path_length=None), critical=True))
    return builder.sign(signing_key, hashes.SHA256())


@pytest.fixture
def eap_tls_material(device):
    """(client certificate PEM, CA PEM): the client key is generated on the device, as AMT keeps private keys to itself."""
    fleet, host = device
    client = SimulatedDevice(fleet, host).client()
    try:
        outputs = client.invoke("AMT_PublicKeyManagementService", "GenerateKeyPair", [("KeyAlgorithm", 0), ("KeyLength", 2048)])
        key_id = outputs["KeyPair"]["selectors"]["InstanceID"]
        key_pair = next(item for item in client.enumerate("AMT_PublicPrivateKeyPair") if item["InstanceID"] == key_id)
    finally:
        client.close()
    device_key = serialization.load_der_public_key(base64.b64decode(key_pair["DERKey"]))
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca = _certificate("RADIUS test CA", ca_key.public_key(), "RADIUS test CA", ca_key, True)
    leaf = _certificate("amt-wifi-client", device_key, "RADIUS test CA", ca_key, False)
    return leaf.public_bytes(serialization.Encoding.PEM).decode(), ca.public_bytes(serialization.Encoding.PEM).decode()


def device_certificates(fleet, host):
    """DER bytes -> whether the device holds it as a trusted root."""
    client = SimulatedDevice(fleet, host).client()
    try:
        return dict((base64.b64decode(item["X509Certificate"]), item["TrustedRootCertficate"] in (True, "true"))
                    for item in client.enumerate("AMT_PublicKeyCertificate"))
    finally:
        client.close()


def test_ieee8021x_profiles_with_pem_certificates_are_added_once_and_keep_secrets(run, device, eap_tls_material):
    fleet, host = device
    client_pem, ca_pem = eap_tls_material
    eap_password = "Radius-user-secret-9"
    corp = {"name": "corp", "ssid": "CORP", "priority": 1, "security": "wpa2_8021x",
            "ieee8021x": {"eap_method": "eap_tls", "identity": "host1", "client_certificate": client_pem, "ca_certificate": ca_pem,
                          "server_certificate_name": "radius.example.com", "server_certificate_name_comparison": "full_name"}}
    guest = {"name": "peap", "ssid": "PEAP", "priority": 2, "security": "wpa2_8021x",
             "ieee8021x": {"eap_method": "peapv0_eap_mschapv2", "identity": "host1", "password": eap_password, "ca_certificate": ca_pem}}
    both = {"profiles": [corp, guest]}
    before = device_certificates(fleet, host)
    (checked, added, again), output = run((both, CHECK), both, both)
    after = device_certificates(fleet, host)

    assert checked["changed"] is True and checked["actions"] == ["add profile corp", "add profile peap"], checked
    assert added["changed"] is True and added["actions"] == checked["actions"], added
    assert again["changed"] is False and again["actions"] == [], again
    corp_result, peap_result = added["wifi"]["profiles"]
    assert corp_result["ieee8021x"] == {"eap_method": "eap_tls", "identity": "host1", "roaming_identity": None, "domain": None,
                                        "server_certificate_name": "radius.example.com", "server_certificate_name_comparison": "full_name"}
    assert peap_result["ieee8021x"]["password"] == "******** (written)" and "password" not in corp_result["ieee8021x"]
    assert again["wifi"]["profiles"][1]["ieee8021x"]["password"] == "********" and again["diff"]["after"] == again["diff"]["before"]
    # The client certificate is stored (AddCertificate takes it only because its key is on the device), the CA once as a
    # trusted root (the second profile reuses it), and check mode stored neither.
    new = dict((der, root) for der, root in after.items() if der not in before)
    assert new == {x509.load_pem_x509_certificate(client_pem.encode()).public_bytes(serialization.Encoding.DER): False,
                   x509.load_pem_x509_certificate(ca_pem.encode()).public_bytes(serialization.Encoding.DER): True}
    assert eap_password not in output and "PRIVATE KEY" not in output
    (removed,), _output = run({"purge": True})
    assert removed["wifi"]["profiles"] == []


# (case, module args without the connection, option named, rule, checked by) for every rule of wifi.validate and the module's
# argument spec; "ansible" marks the rules AnsibleModule checks before the module's own code runs.
WPA2_8021X = {"security": "wpa2_8021x", "passphrase": None}
NOT_A_CERTIFICATE = "-----BEGIN CERTIFICATE-----\nnot base64 at all!\n-----END CERTIFICATE-----"
BASE64_NOT_A_CERTIFICATE = "-----BEGIN CERTIFICATE-----\nQU1UIHNpbXVsYXRvcg==\n-----END CERTIFICATE-----"
# The first two certificates of a public CA bundle.
CA_BUNDLE = "".join(re.findall(r"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----\n", pathlib.Path(certifi.where()).read_text(encoding="ascii"),
                               re.DOTALL)[:2])
BAD_INPUT = [
    ("name_characters", dict(OFFICE, name="my office"), "name", "a profile name must be 1 to 32 letters or digits", "module"),
    ("name_listed_twice", {"profiles": [OFFICE, dict(OFFICE, priority=2)]}, "profiles[1].name", "profile office is listed twice", "module"),
    ("ssid_required", dict(OFFICE, ssid=None), "ssid", "is required when state is present", "module"),
    ("ssid_length", dict(OFFICE, ssid="S" * 33), "ssid", "an SSID is at most 32 bytes (UTF-8) without control characters", "module"),
    ("ssid_control_character", dict(OFFICE, ssid="OFF\tICE"), "ssid", "an SSID is at most 32 bytes (UTF-8) without control characters",
     "module"),
    ("priority_required", dict(OFFICE, priority=None), "priority", "is required when state is present", "module"),
    ("priority_range", dict(OFFICE, priority=300), "priority", "must be between 0 and 255", "module"),
    ("open_network", dict(OFFICE, security="open"), "security", "open and shared-key (WEP) networks are refused", "module"),
    ("unknown_security", dict(OFFICE, security="wpa4"), "security", "must be one of wpa2_8021x, wpa2_psk, wpa3_sae", "module"),
    ("unknown_encryption", dict(OFFICE, encryption="wep"), "encryption", "must be ccmp or tkip", "module"),
    ("wpa3_cipher", dict(OFFICE, security="wpa3_sae", encryption="tkip"), "encryption", "WPA3-SAE requires ccmp", "module"),
    ("passphrase_required", dict(OFFICE, passphrase=None), "passphrase", "security wpa2_psk needs a passphrase", "module"),
    ("passphrase_length", dict(OFFICE, passphrase="short"), "passphrase", "a WPA passphrase must be 8 to 63", "module"),
    ("passphrase_ascii", dict(OFFICE, passphrase="Pass\u00e9phrase-1"), "passphrase", "a WPA passphrase may contain only printable ASCII",
     "module"),
    ("passphrase_without_psk", dict(OFFICE, security="wpa2_8021x", ieee8021x={"eap_method": "eap_tls", "client_certificate": "1"}),
     "passphrase", "applies only to PSK security", "module"),
    ("ieee8021x_without_8021x_security", dict(OFFICE, ieee8021x={"eap_method": "eap_tls", "client_certificate": "1"}),
     "ieee8021x", "802.1X settings apply only to security wpa2_8021x or wpa_8021x", "module"),
    ("ieee8021x_required", dict(OFFICE, **WPA2_8021X), "ieee8021x", "security wpa2_8021x needs 802.1X settings", "module"),
    ("eap_method_choice", dict(OFFICE, ieee8021x={"eap_method": "leap"}, **WPA2_8021X), "eap_method", "must be one of", "ansible"),
    ("eap_tls_certificate", dict(OFFICE, ieee8021x={"eap_method": "eap_tls"}, **WPA2_8021X),
     "ieee8021x.client_certificate", "eap_tls authenticates with a client certificate", "module"),
    ("eap_password", dict(OFFICE, ieee8021x={"eap_method": "peapv0_eap_mschapv2"}, **WPA2_8021X),
     "ieee8021x.password", "peapv0_eap_mschapv2 authenticates with a password", "module"),
    ("name_comparison_choice", dict(OFFICE, ieee8021x={"eap_method": "eap_tls", "client_certificate": "1",
                                                       "server_certificate_name_comparison": "exact"}, **WPA2_8021X),
     "server_certificate_name_comparison", "must be one of", "ansible"),
    ("name_comparison_needs_name", dict(OFFICE, ieee8021x={"eap_method": "eap_tls", "client_certificate": "1",
                                                           "server_certificate_name_comparison": "full_name"}, **WPA2_8021X),
     "ieee8021x.server_certificate_name_comparison", "needs server_certificate_name", "module"),
    ("certificate_handle_or_pem", dict(OFFICE, ieee8021x={"eap_method": "eap_tls", "client_certificate": "client.pem"}, **WPA2_8021X),
     "ieee8021x.client_certificate", "give a certificate handle on the device (a number) or one PEM certificate", "module"),
    ("certificate_pem_decodes", dict(OFFICE, ieee8021x={"eap_method": "eap_tls", "client_certificate": NOT_A_CERTIFICATE}, **WPA2_8021X),
     "ieee8021x.client_certificate", "the PEM certificate could not be decoded", "module"),
    ("certificate_is_der", dict(OFFICE, ieee8021x={"eap_method": "eap_tls", "client_certificate": BASE64_NOT_A_CERTIFICATE}, **WPA2_8021X),
     "ieee8021x.client_certificate", "the PEM certificate could not be decoded", "module"),
    ("certificate_not_a_bundle", dict(OFFICE, ieee8021x={"eap_method": "eap_tls", "client_certificate": "1",
                                                         "ca_certificate": CA_BUNDLE}, **WPA2_8021X),
     "ieee8021x.ca_certificate", "give one PEM certificate, not a bundle", "module"),
    ("ca_certificate_handle_or_pem", dict(OFFICE, ieee8021x={"eap_method": "eap_tls", "client_certificate": "1", "ca_certificate": "ca.pem"},
                                          **WPA2_8021X),
     "ieee8021x.ca_certificate", "give a certificate handle on the device (a number) or one PEM certificate", "module"),
    ("state_choice", dict(OFFICE, state="gone"), "state", "must be one of", "ansible"),
    ("update_password_choice", dict(OFFICE, update_password="sometimes"), "update_password", "must be one of", "ansible"),
    ("local_profile_sync_choice", {"local_profile_sync": "sometimes"}, "local_profile_sync", "must be one of", "ansible"),
    ("wifi_port_choice", {"wifi_port": "on"}, "wifi_port", "must be one of", "ansible"),
    ("profiles_need_names", {"profiles": [{"ssid": "OFFICE"}]}, "profiles", "missing required arguments: name", "ansible"),
    ("name_or_profiles", {"name": "office", "profiles": [OFFICE]}, "name|profiles", "mutually exclusive", "ansible"),
    ("profile_options_need_name", {"ssid": "OFFICE"}, "ssid", "missing parameter(s) required by 'ssid': name", "ansible"),
    ("something_to_manage", {}, "nothing to manage", "give name, profiles, purge, local_profile_sync, uefi_profile_share or wifi_port",
     "module"),
]


@pytest.fixture(scope="module")
def bad_input_results(tmp_path_factory):
    """Every case as one host of one task, so that the cases run side by side; host -> result."""
    cases = dict((case, args) for case, args, _option, _rule, _checked_by in BAD_INPUT)
    results, output = run_cases(tmp_path_factory.mktemp("wifi-bad-input"), {"amt_wifi_profile": {}}, cases, common_args=UNREACHABLE, diff=True)
    return results["amt_wifi_profile"], output


@pytest.mark.parametrize("case, option, rule, checked_by", [(case, option, rule, checked_by) for case, _args, option, rule, checked_by in BAD_INPUT],
                         ids=[case for case, _args, _option, _rule, _checked_by in BAD_INPUT])
def test_bad_input_is_refused_naming_the_option_and_rule_before_sending(bad_input_results, case, option, rule, checked_by):
    results, output = bad_input_results
    result = results[case]
    assert_refused_before_sending(result, option, rule, checked_by)
    assert PASSPHRASE not in output


def test_tls_is_verified_and_an_unverifiable_device_is_left_alone(device, tmp_path):
    fleet, host = device
    verified = task({"purge": True})
    other_ca = task(OFFICE, dict(CONNECTION, ca_path=certifi.where()))
    pinned_wrong = task(OFFICE, {"hostname": "{{ amt_hostname }}", "username": "{{ amt_username }}", "password": "{{ amt_password }}",
                                 "cert_fingerprint": "00" * 32})
    runs = run_play(tmp_path, fleet.inventory_path, [
        ("verified", "amt_wifi_profile", verified),
        ("other CA", "amt_wifi_profile", other_ca),
        ("pinned wrong", "amt_wifi_profile", pinned_wrong),
        ("verified again", "amt_wifi_profile", verified),
    ], hosts=host)
    assert fleet.hosts[host]["amt_use_tls"] is True
    assert not runs["verified"].get("failed") and runs["verified"]["wifi"]["profiles"] == [], runs["verified"]
    for refused in (runs["other CA"], runs["pinned wrong"]):
        assert refused["failed"] is True and refused["error"] == "tls" and refused["changed"] is False, refused
    assert runs["verified again"]["wifi"]["profiles"] == [], runs["verified again"]
