# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Validation, planning and diff of the wireless unit, without a device."""

from __future__ import annotations

import ssl

import pytest

from ansible_collections.oob.amt.plugins.module_utils.units import base, wifi
from ansible_collections.oob.amt.plugins.module_utils.wsman.errors import InvalidInputError
from ansible_collections.oob.amt.tests.unit.plugins.module_utils.wsman.tls_material import TlsMaterial

PASSPHRASE = "correct-horse-battery"


def psk_profile(**overrides):
    profile = {"name": "office", "ssid": "OFFICE", "priority": 1, "security": "wpa2_psk", "encryption": None,
               "passphrase": PASSPHRASE, "ieee8021x": None, "state": "present"}
    profile.update(overrides)
    return profile


def want(*profiles, **overrides):
    result = {"profiles": list(profiles), "profiles_option": False, "purge": False, "update_password": "on_create",
              "local_profile_sync": None, "uefi_profile_share": None, "wifi_port": None}
    result.update(overrides)
    return result


def device_profile(name, priority=1, ssid="OFFICE", security="wpa2_psk"):
    return {"name": name, "instance_id": wifi.SETTINGS_ID_PREFIX + name, "ssid": ssid, "priority": priority,
            "security": security, "encryption": "ccmp", "ieee8021x": None}


def state(*profiles, service=None, port=None):
    return {"profiles": dict((profile["name"], profile) for profile in profiles), "service": service, "port": port}


def refused(profile, option, fragment):
    with pytest.raises(InvalidInputError) as caught:
        wifi.validate(want(profile))
    message = str(caught.value)
    assert message.startswith(option + ":"), message
    assert fragment in message
    return message


def test_a_wpa2_psk_profile_is_valid():
    wifi.validate(want(psk_profile()))


@pytest.mark.parametrize("security", ["open", "shared_key"])
def test_open_and_shared_key_networks_are_refused(security):
    refused(psk_profile(security=security), "security", "refused")


def test_unknown_security_is_refused():
    refused(psk_profile(security="wpa4"), "security", "must be one of")


@pytest.mark.parametrize("passphrase", ["short12", "x" * 64, "y" * 70])
def test_passphrase_length_outside_8_to_63_is_refused(passphrase):
    message = refused(psk_profile(passphrase=passphrase), "passphrase", "8 to 63")
    assert passphrase not in message


def test_passphrase_with_non_ascii_is_refused():
    message = refused(psk_profile(passphrase="pässphrase-long"), "passphrase", "printable ASCII")
    assert "pässphrase" not in message


def test_64_hex_digits_are_a_valid_key():
    wifi.validate(want(psk_profile(passphrase="0123456789abcdef" * 4)))


def test_psk_security_needs_a_passphrase():
    refused(psk_profile(passphrase=None), "passphrase", "needs a passphrase")


def test_profile_name_must_be_letters_or_digits():
    refused(psk_profile(name="office wifi"), "name", "letters or digits")
    refused(psk_profile(name="n" * 33), "name", "1 to 32")


def test_ssid_longer_than_32_bytes_is_refused():
    refused(psk_profile(ssid="é" * 17), "ssid", "32 bytes")


def test_priority_out_of_range_is_refused():
    refused(psk_profile(priority=256), "priority", "between 0 and 255")


def test_wpa3_needs_ccmp():
    refused(psk_profile(security="wpa3_sae", encryption="tkip"), "encryption", "ccmp")


def test_wep_encryption_is_refused():
    refused(psk_profile(encryption="wep"), "encryption", "ccmp or tkip")


def test_eap_tls_needs_a_client_certificate():
    profile = psk_profile(security="wpa2_8021x", passphrase=None, ieee8021x={"eap_method": "eap_tls", "identity": "host1"})
    refused(profile, "ieee8021x.client_certificate", "client certificate")


def test_password_eap_needs_a_password():
    profile = psk_profile(security="wpa2_8021x", passphrase=None, ieee8021x={"eap_method": "peapv0_eap_mschapv2", "identity": "host1"})
    refused(profile, "ieee8021x.password", "password")


def test_8021x_settings_on_a_psk_profile_are_refused():
    refused(psk_profile(ieee8021x={"eap_method": "eap_tls"}), "ieee8021x", "apply only")


def test_certificate_must_be_a_handle_or_pem():
    profile = psk_profile(security="wpa2_8021x", passphrase=None,
                          ieee8021x={"eap_method": "eap_tls", "client_certificate": "not a certificate"})
    refused(profile, "ieee8021x.client_certificate", "handle")


@pytest.fixture(scope="module")
def pems(tmp_path_factory):
    """(CA PEM, client certificate PEM), two distinct real certificates."""
    material = TlsMaterial(tmp_path_factory.mktemp("wifi-certificates"))
    return material.ca.read_text(encoding="ascii"), material.client_cert.read_text(encoding="ascii")


def eap_tls_profile(client_certificate="1", ca_certificate=None):
    return psk_profile(security="wpa2_8021x", passphrase=None,
                       ieee8021x={"eap_method": "eap_tls", "client_certificate": client_certificate, "ca_certificate": ca_certificate})


def one_pem_block(der):
    """der as the body of a single BEGIN/END CERTIFICATE block, whatever the bytes are."""
    return ssl.DER_cert_to_PEM_cert(der)


def test_one_pem_certificate_is_accepted_for_both_certificates(pems):
    ca_pem, client_pem = pems
    wifi.validate(want(eap_tls_profile(client_certificate=client_pem, ca_certificate=ca_pem)))
    assert wifi.certificate_der(ca_pem) == ssl.PEM_cert_to_DER_cert(ca_pem)


@pytest.mark.parametrize("option", ["client_certificate", "ca_certificate"])
def test_a_pem_bundle_of_several_certificates_is_refused(pems, option):
    ca_pem, client_pem = pems
    settings = {"client_certificate": "1", option: client_pem + ca_pem}
    message = refused(eap_tls_profile(**settings), "ieee8021x." + option, "give one PEM certificate, not a bundle")
    assert "each certificate is its own handle on the device" in message


def test_two_certificates_in_one_pem_block_are_refused(pems):
    ca_pem, client_pem = pems
    both = one_pem_block(ssl.PEM_cert_to_DER_cert(ca_pem) + ssl.PEM_cert_to_DER_cert(client_pem))
    refused(eap_tls_profile(ca_certificate=both), "ieee8021x.ca_certificate", "the PEM certificate could not be decoded")


@pytest.mark.parametrize("body", [b"AMT simulator", b"\x30\x05abc", b"\x30\x03abc trailing", b"\x30\x85\x00\x00\x00\x00\x01x", b"\x30"],
                         ids=["text", "sequence_longer_than_the_bytes", "bytes_after_the_sequence", "five_length_bytes", "no_length"])
def test_base64_that_is_not_one_certificate_is_refused(body):
    pem = one_pem_block(body)
    refused(eap_tls_profile(client_certificate=pem), "ieee8021x.client_certificate", "the PEM certificate could not be decoded")
    with pytest.raises(ValueError):
        wifi.certificate_der(pem)


def test_a_certificate_with_bytes_appended_is_refused(pems):
    _ca_pem, client_pem = pems
    padded = one_pem_block(ssl.PEM_cert_to_DER_cert(client_pem) + b"\x00")
    refused(eap_tls_profile(client_certificate=padded), "ieee8021x.client_certificate", "could not be decoded")


def test_profiles_list_errors_name_the_item():
    with pytest.raises(InvalidInputError, match=r"^profiles\[1\]\.ssid:"):
        wifi.validate(want(psk_profile(), psk_profile(name="second", ssid=None), profiles_option=True))


def test_a_profile_listed_twice_is_refused():
    with pytest.raises(InvalidInputError, match="listed twice"):
        wifi.validate(want(psk_profile(), psk_profile(), profiles_option=True))


def test_new_profile_is_added_and_existing_equal_one_is_left_alone():
    changes = wifi.plan(state(device_profile("office")), want(psk_profile(), psk_profile(name="lab", ssid="LAB", priority=2)))
    assert [(change["action"], change["name"]) for change in changes] == [("add", "lab")]


def test_changed_ssid_updates_the_profile():
    changes = wifi.plan(state(device_profile("office", ssid="OLD")), want(psk_profile()))
    assert [(change["action"], change["name"]) for change in changes] == [("update", "office")]


def test_update_password_always_rewrites_an_equal_profile():
    changes = wifi.plan(state(device_profile("office")), want(psk_profile(), update_password="always"))
    assert [change["action"] for change in changes] == ["update"]


def test_purge_deletes_unlisted_profiles_before_adding():
    changes = wifi.plan(state(device_profile("old1"), device_profile("old2", priority=2)), want(psk_profile(), purge=True))
    assert [(change["action"], change["name"]) for change in changes] == [("delete", "old1"), ("delete", "old2"), ("add", "office")]


def test_absent_profile_is_deleted_only_when_present():
    assert wifi.plan(state(), want(psk_profile(state="absent"))) == []
    changes = wifi.plan(state(device_profile("office")), want(psk_profile(state="absent")))
    assert [(change["action"], change["instance_id"]) for change in changes] == [("delete", wifi.SETTINGS_ID_PREFIX + "office")]


def test_a_full_profile_table_is_refused_before_writing():
    full = [device_profile("p%d" % index, priority=index) for index in range(wifi.MAX_PROFILES)]
    with pytest.raises(InvalidInputError, match="at most 16"):
        wifi.plan(state(*full), want(psk_profile()))
    changes = wifi.plan(state(*full), want(psk_profile(), psk_profile(name="p0", state="absent")))
    assert [change["action"] for change in changes] == ["delete", "add"]


def test_service_settings_change_only_what_differs():
    service = {"localProfileSynchronizationEnabled": "3", "UEFIWiFiProfileShareEnabled": "false"}
    changes = wifi.plan(state(service=service), want(local_profile_sync="off", uefi_profile_share=False))
    assert changes == [{"action": "service", "name": "port configuration", "properties": {"localProfileSynchronizationEnabled": 0}}]


def test_uefi_share_on_firmware_without_it_is_refused():
    with pytest.raises(InvalidInputError, match="CSME 16"):
        wifi.plan(state(service={"localProfileSynchronizationEnabled": "0"}), want(uefi_profile_share=True))


def test_diff_masks_passphrases_and_marks_written_ones():
    current = state(device_profile("office", ssid="OLD"))
    changes = wifi.plan(current, want(psk_profile()))
    difference = wifi.diff(current, changes)
    assert difference["before"]["profiles"][0]["passphrase"] == base.SECRET_MASK
    assert difference["after"]["profiles"][0] == dict(difference["after"]["profiles"][0], ssid="OFFICE", passphrase=base.SECRET_WRITTEN_MASK)
    assert PASSPHRASE not in repr(difference)


def test_8021x_password_is_masked_in_the_diff():
    settings = {"eap_method": "peapv0_eap_mschapv2", "identity": "host1", "password": "Radius-secret-1"}
    changes = wifi.plan(state(), want(psk_profile(security="wpa2_8021x", passphrase=None, ieee8021x=settings)))
    after = wifi.diff(state(), changes)["after"]["profiles"][0]
    assert after["ieee8021x"]["password"] == base.SECRET_WRITTEN_MASK
    assert "Radius-secret-1" not in repr(after)
