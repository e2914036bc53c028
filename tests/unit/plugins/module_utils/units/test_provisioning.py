# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import base64
import hashlib

import pytest

from ansible_collections.oob.amt.plugins.module_utils.units import provisioning as unit
from ansible_collections.oob.amt.plugins.module_utils.units.base import Outcome
from ansible_collections.oob.amt.plugins.module_utils.wsman.errors import (
    DeviceError,
    IdentityMismatchError,
    IndeterminateError,
    InvalidInputError,
    NotPermittedError,
    UnreachableError,
)

STRONG = "Adm1n!pass"
REALM = "Digest:0123456789ABCDEF0123456789ABCDEF"
UUID = "8c9a3a6e-1b2f-4d5e-9a7b-0123456789ab"


def _host(**changes):
    host = {"uuid": UUID, "control_mode": "none", "provisioning_state": "pre", "firmware_version": "16.1.27.2176",
            "amt_enabled": True, "new_interface": False, "local_tls_enforced": False}
    host.update(changes)
    return host


class _Certificate:
    root_hash = "aa" * 32
    dns_names = ["provisioning.corp.example"]


# --- validation -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("password, rule", [
    ("Sh0rt!", "8 to 32"),
    ("nouppercase1!", "upper-case"),
    ("NOLOWERCASE1!", "lower-case"),
    ("NoDigitsHere!", "digit"),
    ("NoSpecial123", "special"),
    ("Colon:Pass1!", "colon"),
])
def test_admin_password_rules_name_the_option_and_the_rule(password, rule):
    with pytest.raises(InvalidInputError) as error:
        unit.validate("ccm", password, None, False)
    assert "admin_password" in str(error.value) and rule in str(error.value) and password not in str(error.value)


def test_weak_mebx_password_is_refused_for_acm():
    with pytest.raises(InvalidInputError, match="mebx_password"):
        unit.validate("acm", STRONG, "weak", True)


def test_mebx_password_in_ccm_is_a_warning_not_an_error():
    warnings = unit.validate("ccm", STRONG, "weak", False)
    assert len(warnings) == 1 and "not applicable" in warnings[0]


def test_acm_needs_a_certificate():
    with pytest.raises(InvalidInputError, match="provisioning_cert"):
        unit.validate("acm", STRONG, None, False)


def test_missing_admin_password_is_refused():
    with pytest.raises(InvalidInputError, match="admin_password: is required"):
        unit.validate("ccm", "", None, False)


@pytest.mark.parametrize("arguments, option", [
    ({"control_mode": "xcm"}, "control_mode"),
    ({"mei_device": " "}, "mei_device"),
    ({"lms_hostname": ""}, "lms_hostname"),
    ({"control_mode": "acm", "has_certificate": False}, "provisioning_cert"),
])
def test_every_refusal_starts_with_its_option(arguments, option):
    values = dict({"control_mode": "ccm", "admin_password": STRONG, "mebx_password": None, "has_certificate": True,
                   "mei_device": "/dev/mei0", "lms_hostname": "localhost"}, **arguments)
    with pytest.raises(InvalidInputError) as error:
        unit.validate(**values)
    assert str(error.value).startswith(option + ": "), error.value


def test_a_closed_lms_port_of_a_device_in_pre_provisioning_names_the_restart_after_unprovisioning(unused_tcp_address):
    local = unit.LocalInterface(unused_tcp_address, tls=False, timeout=0)
    local.restart_wait = 0.3
    with pytest.raises(UnreachableError) as error:
        local.wait_listening()
    assert "unprovisioned shortly before" in str(error.value) and "about 60 s" in str(error.value)
    local.restart_wait = None
    with pytest.raises(UnreachableError) as error:
        local.wait_listening()
    assert "unprovisioned" not in str(error.value) and "lms service runs" in str(error.value)


@pytest.fixture
def unused_tcp_address(monkeypatch):
    """An address whose LMS port refuses at once: connections are refused by a stub."""
    def refuse(*_args, **_kwargs):
        raise ConnectionRefusedError(111, "Connection refused")
    monkeypatch.setattr(unit.socket, "create_connection", refuse)
    return "127.0.0.1"


# --- hashes -----------------------------------------------------------------------------------------------------
def test_setup_hash_is_hex_and_acl_hash_is_base64_of_the_same_bytes():
    expected = hashlib.md5(("admin:%s:%s" % (REALM, STRONG)).encode()).hexdigest()
    assert unit.network_admin_password(REALM, STRONG) == expected
    assert base64.b64decode(unit.admin_digest_password(REALM, STRONG)).hex() == expected


# --- planning -----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("host, want, action", [
    (_host(), "ccm", unit.ACTION_ACTIVATE),
    (_host(), "acm", unit.ACTION_ACTIVATE),
    (_host(provisioning_state="in"), "acm", unit.ACTION_RESTART),
    (_host(provisioning_state="post", control_mode="ccm"), "ccm", unit.ACTION_NONE),
    (_host(provisioning_state="post", control_mode="acm"), "acm", unit.ACTION_NONE),
    (_host(provisioning_state="post", control_mode="ccm"), "acm", unit.ACTION_UPGRADE),
])
def test_plan(host, want, action):
    assert unit.plan(host, want) == action


def test_acm_device_cannot_go_to_ccm():
    with pytest.raises(NotPermittedError, match="already provisioned in acm.*unprovision"):
        unit.plan(_host(provisioning_state="post", control_mode="acm"), "ccm")


def test_amt_disabled_in_bios_is_explained():
    with pytest.raises(NotPermittedError, match="disabled in the BIOS"):
        unit.plan(_host(new_interface=True, amt_enabled=False), "ccm")


def test_enabled_bit_is_ignored_on_the_old_interface():
    assert unit.plan(_host(new_interface=False, amt_enabled=False), "ccm") == unit.ACTION_ACTIVATE


def test_identity_guard():
    unit.check_identity(_host(), UUID.upper())
    with pytest.raises(IdentityMismatchError, match="nothing was changed"):
        unit.check_identity(_host(), "11111111-2222-3333-4444-555555555555")


# --- certificate against the device --------------------------------------------------------------------------------
def _hashes(digest, active=True):
    return [{"hash": digest, "name": "Vendor Root", "is_active": active, "is_default": True}]


def test_certificate_fits():
    unit.check_certificate_fits(_Certificate(), _hashes("AA" * 32), "corp.example")


def test_untrusted_root_is_named_with_the_trusted_ones():
    with pytest.raises(InvalidInputError, match="not trusted by the device.*Vendor Root"):
        unit.check_certificate_fits(_Certificate(), _hashes("bb" * 32), "corp.example")


def test_inactive_hash_does_not_count():
    with pytest.raises(InvalidInputError, match="not trusted"):
        unit.check_certificate_fits(_Certificate(), _hashes("aa" * 32, active=False), "corp.example")


def test_dns_suffix_mismatch_is_explained():
    with pytest.raises(InvalidInputError, match="DNS suffix mismatch.*other.example.*provisioning.corp.example"):
        unit.check_certificate_fits(_Certificate(), _hashes("aa" * 32), "other.example")


def test_missing_dns_suffix_is_explained():
    with pytest.raises(InvalidInputError, match="no DNS suffix"):
        unit.check_certificate_fits(_Certificate(), _hashes("aa" * 32), "")


# --- diff and results -----------------------------------------------------------------------------------------------
def test_diff_masks_secrets():
    diff = unit.diff(_host(), "acm", unit.ACTION_ACTIVATE, unit.MEBX_SET)
    assert diff["before"] == {"control_mode": "none", "provisioning_state": "pre"}
    assert diff["after"] == {"control_mode": "acm", "provisioning_state": "post", "admin_password": unit.MASK,
                             "mebx_password": unit.MASK}


def test_unchanged_diff_is_equal():
    diff = unit.diff(_host(provisioning_state="post", control_mode="ccm"), "ccm", unit.ACTION_NONE, unit.MEBX_NOT_APPLICABLE)
    assert diff["before"] == diff["after"]


@pytest.mark.parametrize("action, want, mebx, outcome", [
    (unit.ACTION_ACTIVATE, "ccm", "Mebx!pass1", unit.MEBX_NOT_APPLICABLE),
    (unit.ACTION_ACTIVATE, "acm", "Mebx!pass1", unit.MEBX_SET),
    (unit.ACTION_ACTIVATE, "acm", None, unit.MEBX_NOT_SET),
    (unit.ACTION_NONE, "acm", "Mebx!pass1", unit.MEBX_UNCHANGED),
])
def test_mebx_outcome(action, want, mebx, outcome):
    assert unit.mebx_outcome(action, want, mebx) == outcome


# --- steps that lose their answer or are refused -----------------------------------------------------------------
class _Mei:
    def __init__(self, modes, state=2):
        self.modes = list(modes)
        self.state = state
        self.stopped = 0

    def get_control_mode(self):
        return self.modes.pop(0) if len(self.modes) > 1 else self.modes[0]

    def get_provisioning_state(self):
        return self.state

    def stop_configuration(self):
        self.stopped += 1


class _Client:
    def __init__(self, error):
        self.error = error

    def invoke(self, class_name, method, inputs=None):
        raise self.error


def _provisioner(mei):
    return unit.Provisioner(mei, None, unit.ProvisionRequest("ccm", STRONG), Outcome("provisioning", False), sleep=lambda seconds: None)


def test_lost_answer_is_settled_by_reading_the_mode_back():
    provisioner = _provisioner(_Mei([0, 1]))
    provisioner._activating_call(lambda: _Client(IndeterminateError("lost")).invoke("c", "m"), "ccm", "activate")  # pylint: disable=protected-access
    assert [write.to_result() for write in provisioner.outcome.writes] == [{"action": "activate", "status": "confirmed", "verified": True}]


def test_lost_answer_without_effect_stays_indeterminate():
    provisioner = _provisioner(_Mei([0]))
    with pytest.raises(IndeterminateError):
        provisioner._activating_call(lambda: _Client(IndeterminateError("lost")).invoke("c", "m"), "ccm", "activate")  # pylint: disable=protected-access
    assert provisioner.outcome.indeterminate and provisioner.outcome.changed


def test_refused_commit_returns_the_device_to_pre_and_explains_data_missing():
    mei = _Mei([0], state=1)
    error = DeviceError("AMT_SetupAndConfigurationService.CommitChanges returned 2057 (PT_STATUS_DATA_MISSING)", return_value=2057)
    with pytest.raises(DeviceError, match="set mebx_password.*returned to pre-provisioning"):
        _provisioner(mei)._commit(_Client(error), "acm")  # pylint: disable=protected-access
    assert mei.stopped == 1
