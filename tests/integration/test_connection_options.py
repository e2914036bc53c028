# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The connection options every module shares: each validation rule refuses before anything is sent, by a reading module
(amt_info) and a changing one (amt_password) alike; certificate pinning and the device identity guard against a real
simulated device.

Loopback range: 127.77.234.x (remote) and 127.78.234.x (local); 127.77.234.250 has no listener.
"""

from __future__ import annotations

import hashlib
import ssl

import pytest

from conftest import device, run_cases, run_play, start_fleet

ADDRESSES = {"first_address": "127.77.234.1", "local_first_address": "127.78.234.1"}
# In the file's range and outside the fleet: a module that sent anything there would fail as unreachable.
UNREACHABLE = {"hostname": "127.77.234.250", "password": "Unused-Passw0rd!"}
NEW_PASSWORD = "N3w-Adm1n!pass"
# What each module needs besides the connection; amt_password's is valid, so only the connection option can be refused.
MODULES = {"amt_info": {"gather_subset": ["general"]}, "amt_password": {"new_password": NEW_PASSWORD}}
FINGERPRINT = "ab" * 32
UUID_FORM = "must be a UUID in the form 8-4-4-4-12"

# (case, connection args, option named, rule): one case per rule of connection.validate_connection_options and of the
# hostname check made when a network client is built; None removes the option.
BAD_INPUT = [
    ("blank_hostname", {"hostname": "   "}, "hostname", "must not be empty"),
    # Given to urllib3, the first would reach the address after '@', the second port 443 of the address before '/'.
    ("hostname_user_info", {"hostname": "127.0.0.2@127.77.234.250"}, "hostname", "must not contain user information ('@')"),
    ("hostname_path", {"hostname": "127.77.234.250/x"}, "hostname", "must not contain a path ('/', '?' or '#')"),
    ("hostname_scheme", {"hostname": "https://127.77.234.250"}, "hostname", "must not contain a scheme (https)"),
    ("hostname_port", {"hostname": "127.77.234.250:16993"}, "hostname", "must not contain a port (':<number>')"),
    ("hostname_ipv4_in_brackets", {"hostname": "[127.77.234.250]"}, "hostname", "in brackets must be an IPv6 address"),
    # These three ended in a urllib3 traceback or a misleading 'could not be read'.
    ("hostname_empty_label", {"hostname": "host..example"}, "hostname", "must not contain an empty label"),
    ("hostname_long_label", {"hostname": "a" * 64 + ".example"}, "hostname",
     "must not contain a DNS label longer than 63 characters, got one of 64"),
    ("hostname_too_long", {"hostname": ".".join(["abcdefghi"] * 30)}, "hostname", "must be at most 253 characters long, got 299"),
    ("empty_username", {"username": ""}, "username", "must not be empty"),
    ("no_hostname", {"hostname": None}, "hostname", "is required to reach the device over the network"),
    ("port_zero", {"port": 0}, "port", "must be between 1 and 65535, got 0"),
    ("port_above_range", {"port": 65536}, "port", "must be between 1 and 65535, got 65536"),
    ("timeout_zero", {"timeout": 0}, "timeout", "must be greater than 0, got 0"),
    ("timeout_negative", {"timeout": -5}, "timeout", "must be greater than 0, got -5"),
    ("client_cert_without_key", {"client_cert": "/nonexistent/client.pem"}, "client_cert",
     "and client_key must be given together (client_key is missing)"),
    ("client_key_without_cert", {"client_key": "/nonexistent/client.key"}, "client_cert",
     "and client_key must be given together (client_cert is missing)"),
    ("fingerprint_too_short", {"cert_fingerprint": "ab" * 31}, "cert_fingerprint",
     "must be a SHA-256 fingerprint: 64 hexadecimal digits, optionally with colons between byte pairs"),
    ("fingerprint_not_hexadecimal", {"cert_fingerprint": "zz" * 32}, "cert_fingerprint", "must be a SHA-256 fingerprint"),
    ("fingerprint_misplaced_colons", {"cert_fingerprint": ":".join(["abcd"] * 16)}, "cert_fingerprint", "must be a SHA-256 fingerprint"),
    ("fingerprint_without_tls", {"use_tls": False, "cert_fingerprint": FINGERPRINT}, "cert_fingerprint", "requires use_tls=true"),
    ("client_cert_without_tls", {"use_tls": False, "client_cert": "/nonexistent/client.pem", "client_key": "/nonexistent/client.key"},
     "client_cert", "requires use_tls=true"),
    ("uuid_form", {"expected_uuid": "not-a-uuid"}, "expected_uuid", UUID_FORM + ", got 'not-a-uuid'"),
    ("uuid_digit_short", {"expected_uuid": "11111111-2222-3333-4444-55555555555"}, "expected_uuid", UUID_FORM),
]


@pytest.fixture(scope="module")
def bad_input_results(tmp_path_factory):
    """module -> case -> result, every case of both modules in one playbook run."""
    cases = dict((case, args) for case, args, _option, _rule in BAD_INPUT)
    results, output = run_cases(tmp_path_factory.mktemp("connection-bad-input"), MODULES, cases, common_args=UNREACHABLE)
    assert UNREACHABLE["password"] not in output and NEW_PASSWORD not in output
    return results


@pytest.mark.parametrize("module", sorted(MODULES))
@pytest.mark.parametrize("case, option, rule", [(case, option, rule) for case, _args, option, rule in BAD_INPUT],
                         ids=[case for case, _args, _option, _rule in BAD_INPUT])
def test_bad_connection_option_is_refused_naming_the_option_and_rule_before_sending(bad_input_results, module, case, option, rule):
    result = bad_input_results[module][case]
    # invalid_input, not unreachable: the module refused before it opened a connection.
    assert result["failed"] is True and result.get("changed", False) is False, result
    assert result["error"] == "invalid_input", result
    assert result["msg"].startswith("%s %s" % (option, rule)), result["msg"]


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    started = start_fleet(tmp_path_factory.mktemp("connection-fleet"), 2, "acm", ADDRESSES)
    yield started
    started.stop()


def certificate_sha256(amt):
    """The SHA-256 of the certificate the device presents in a TLS handshake, as lower-case hexadecimal."""
    pem = ssl.get_server_certificate((amt.vars["amt_hostname"], amt.vars["amt_tls_port"]))
    return hashlib.sha256(ssl.PEM_cert_to_DER_cert(pem)).hexdigest()


def test_a_pinned_certificate_is_trusted_without_a_ca(fleet, tmp_path):
    amt = device(fleet, 0)
    fingerprint = certificate_sha256(amt)
    colon_form = ":".join(fingerprint[index:index + 2] for index in range(0, 64, 2)).upper()
    info = {"gather_subset": ["general"], "validate_certs": True}
    runs = run_play(tmp_path, fleet.inventory_path, [
        ("pinned", "amt_info", amt.connection(ca_path=None, cert_fingerprint=fingerprint, **info)),
        ("pinned with colons", "amt_info", amt.connection(ca_path=None, cert_fingerprint=colon_form, **info)),
        ("neither pinned nor CA", "amt_info", amt.connection(ca_path=None, **info)),
    ], hosts=amt.name)
    for pinned in ("pinned", "pinned with colons"):
        result = runs[pinned]
        assert not result.get("failed") and result["amt"]["general"]["uuid"] == amt.vars["amt_uuid"], result
    # The simulator's certificate is not in the system trust store: without the pin, verification fails.
    assert runs["neither pinned nor CA"]["error"] == "tls", runs["neither pinned nor CA"]


def test_expected_uuid_lets_the_right_device_through_and_stops_any_other_before_a_write(fleet, tmp_path):
    amt = device(fleet, 1)
    old_password = amt.vars["amt_password"]
    other_uuid = "11111111-2222-3333-4444-555555555555"
    assert amt.vars["amt_uuid"] != other_uuid
    refused_password = "Refus3d~Passw0rd"
    runs = run_play(tmp_path, fleet.inventory_path, [
        ("info, other device", "amt_info", amt.connection(expected_uuid=other_uuid, gather_subset=["general"])),
        ("password, other device", "amt_password", amt.connection(expected_uuid=other_uuid, new_password=refused_password)),
        ("info, this device", "amt_info", amt.connection(expected_uuid=amt.vars["amt_uuid"].upper(), gather_subset=["general"])),
        ("password, this device", "amt_password", amt.connection(expected_uuid=amt.vars["amt_uuid"], new_password=NEW_PASSWORD)),
    ], hosts=amt.name)
    for refused in ("info, other device", "password, other device"):
        result = runs[refused]
        assert result["failed"] is True and result["error"] == "identity_mismatch" and result["changed"] is False, result
        assert other_uuid in result["msg"], result["msg"]
    assert runs["info, this device"]["amt"]["general"]["uuid"] == amt.vars["amt_uuid"], runs["info, this device"]
    # Had the refused task written its password, this one could log in with neither its old nor its new password.
    assert runs["password, this device"]["changed"] is True, runs["password, this device"]
    assert amt.authenticates("admin", NEW_PASSWORD)
    assert not amt.authenticates("admin", refused_password) and not amt.authenticates("admin", old_password)
    for secret in (NEW_PASSWORD, refused_password, old_password):
        assert secret not in runs.output
