# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The connection options: their argument spec, environment fallbacks, and every rule checked before anything is sent."""

from __future__ import annotations

import pytest

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.testing import patch_module_args

from ansible_collections.oob.amt.plugins.module_utils.connection import CONNECTION_OPTIONS, amt_argument_spec, validate_connection_options
from ansible_collections.oob.amt.plugins.module_utils.wsman.errors import InvalidInputError

PASSWORD = "S3cret-Passw0rd!"
DEVICE_UUID = "8c9a3a6e-1b2f-4d5e-9a7b-0123456789ab"
FINGERPRINT = "ab" * 32


def module_params(args):
    with patch_module_args(args):
        return AnsibleModule(amt_argument_spec()).params


def valid_params(**overrides):
    params = {name: option.get("default") for name, option in CONNECTION_OPTIONS.items()}
    params.update({"hostname": "127.77.0.1", "password": PASSWORD}, **overrides)
    return params


def test_argument_spec_merges_module_options_and_copies_the_connection_options():
    spec = amt_argument_spec(state={"type": "str", "default": "present"})
    assert set(spec) == set(CONNECTION_OPTIONS) | {"state"}
    assert spec["password"]["no_log"] is True
    spec["timeout"]["default"] = 5
    assert CONNECTION_OPTIONS["timeout"]["default"] == 30


def test_argument_spec_lets_a_module_override_a_connection_option():
    spec = amt_argument_spec(timeout={"type": "int", "default": 120})
    assert spec["timeout"]["default"] == 120


def test_connection_options_fall_back_to_the_environment(monkeypatch):
    monkeypatch.setenv("AMT_HOSTNAME", "127.77.0.9")
    monkeypatch.setenv("AMT_USERNAME", "operator")
    monkeypatch.setenv("AMT_PASSWORD", PASSWORD)
    params = module_params({})
    assert (params["hostname"], params["username"], params["password"]) == ("127.77.0.9", "operator", PASSWORD)


def test_username_defaults_to_admin(monkeypatch):
    monkeypatch.delenv("AMT_USERNAME", raising=False)
    assert module_params({"hostname": "127.77.0.1", "password": PASSWORD})["username"] == "admin"


LABEL_64 = "a" * 64
NAME_300 = ".".join(["abcdefghi"] * 30)

# (overrides, the message's start: option and rule)
INVALID = [
    ({"hostname": " "}, "hostname must not be empty"),
    ({"hostname": "127.0.0.2@127.0.0.1"}, "hostname must not contain user information ('@')"),
    ({"hostname": "admin:pw@amt.example.com"}, "hostname must not contain user information ('@')"),
    ({"hostname": "192.0.2.7/x"}, "hostname must not contain a path ('/', '?' or '#')"),
    ({"hostname": "192.0.2.7?x=1"}, "hostname must not contain a path ('/', '?' or '#')"),
    ({"hostname": "https://192.0.2.7"}, "hostname must not contain a scheme (https)"),
    ({"hostname": "amt.example.com:16993"}, "hostname must not contain a port (':<number>')"),
    ({"hostname": "[2001:db8::5]:16993"}, "hostname must not contain a port (':<number>')"),
    ({"hostname": "fe80::1%eth0"}, "hostname must not carry an IPv6 zone index ('%')"),
    ({"hostname": "[192.0.2.7]"}, "hostname in brackets must be an IPv6 address"),
    ({"hostname": "[2001:db8::5"}, "hostname in brackets must be an IPv6 address"),
    ({"hostname": "2001:db8:::5"}, "hostname must be an IPv6 address when it contains ':'"),
    ({"hostname": "host..example"}, "hostname must not contain an empty label"),
    ({"hostname": ".example"}, "hostname must not contain an empty label"),
    ({"hostname": LABEL_64 + ".example"}, "hostname must not contain a DNS label longer than 63 characters, got one of 64"),
    ({"hostname": NAME_300}, "hostname must be at most 253 characters long, got 299"),
    ({"hostname": "-amt.example"}, "hostname may contain only ASCII letters, digits, hyphens, underscores and dots"),
    ({"hostname": "amt box.example"}, "hostname may contain only ASCII letters, digits, hyphens, underscores and dots"),
    ({"hostname": "gerät.example"}, "hostname may contain only ASCII letters, digits, hyphens, underscores and dots"),
    ({"hostname": "192.0.2.256"}, "hostname is neither an IPv4 address"),
    ({"hostname": "127.1"}, "hostname is neither an IPv4 address"),
    ({"username": ""}, "username must not be empty"),
    ({"username": "  "}, "username must not be empty"),
    ({"port": 0}, "port must be between 1 and 65535, got 0"),
    ({"port": 65536}, "port must be between 1 and 65535, got 65536"),
    ({"timeout": 0}, "timeout must be greater than 0, got 0"),
    ({"timeout": -5}, "timeout must be greater than 0, got -5"),
    ({"client_cert": "/tmp/c.pem"}, "client_cert and client_key must be given together (client_key is missing)"),
    ({"client_key": "/tmp/k.pem"}, "client_cert and client_key must be given together (client_cert is missing)"),
    ({"cert_fingerprint": "ab" * 31}, "cert_fingerprint must be a SHA-256 fingerprint: 64 hexadecimal digits"),
    ({"cert_fingerprint": "zz" * 32}, "cert_fingerprint must be a SHA-256 fingerprint: 64 hexadecimal digits"),
    ({"cert_fingerprint": "abc:" * 16}, "cert_fingerprint must be a SHA-256 fingerprint: 64 hexadecimal digits"),
    ({"use_tls": False, "cert_fingerprint": FINGERPRINT}, "cert_fingerprint requires use_tls=true"),
    ({"use_tls": False, "client_cert": "/tmp/c.pem", "client_key": "/tmp/k.pem"}, "client_cert requires use_tls=true"),
    ({"expected_uuid": "1234"}, "expected_uuid must be a UUID in the form 8-4-4-4-12"),
]


@pytest.mark.parametrize("overrides, message", INVALID)
def test_invalid_connection_options_name_the_option_and_the_rule(overrides, message):
    with pytest.raises(InvalidInputError) as raised:
        validate_connection_options(valid_params(**overrides))
    assert str(raised.value).startswith(message)


@pytest.mark.parametrize("hostname", [
    "192.0.2.7",
    "amt-7.example.com",
    "amt-7.example.com.",
    "AMT7",
    "build_host.lan",
    "xn--gert-loa.example",
    "2001:db8::5",
    "[2001:db8::5]",
    "::1",
    " 192.0.2.7 ",
    ".".join(["a" * 63] * 3) + "." + "b" * 61,
])
def test_valid_hostnames_pass(hostname):
    validate_connection_options(valid_params(hostname=hostname))


@pytest.mark.parametrize("overrides", [
    {},
    {"hostname": None},
    {"port": 1},
    {"port": 65535},
    {"cert_fingerprint": FINGERPRINT.upper()},
    {"cert_fingerprint": ":".join(["AB"] * 32)},
    {"client_cert": "/tmp/c.pem", "client_key": "/tmp/k.pem"},
    {"expected_uuid": DEVICE_UUID.upper()},
])
def test_valid_connection_options_pass(overrides):
    validate_connection_options(valid_params(**overrides))
