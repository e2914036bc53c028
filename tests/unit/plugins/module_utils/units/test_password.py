# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Validation, planning and the order of calls of the admin/MEBx password unit, against an in-memory device."""

from __future__ import annotations

import pytest

from ansible_collections.oob.amt.plugins.module_utils.units import password as unit
from ansible_collections.oob.amt.plugins.module_utils.units.base import SECRET_MASK, SECRET_WRITTEN_MASK, Outcome
from ansible_collections.oob.amt.plugins.module_utils.units.password_policy import digest_password
from ansible_collections.oob.amt.plugins.module_utils.wsman.errors import (
    AuthenticationError,
    DeviceError,
    IndeterminateError,
    InvalidInputError,
    NotPermittedError,
)

REALM = "Digest:C84C39DA6CFD3A020EA1A9427EF681FA"
OLD = "0ld-Passw0rd!"
NEW = "N3w-Passw0rd!"
MEBX = "Mebx-Passw0rd!"
CONTROL_MODES = {"ccm": 1, "acm": 2}


class Device:
    """The state the unit can observe: admin name and hash, control mode, MEBx default flag."""

    def __init__(self, control_mode="acm", mebx_default=True):
        self.admin = "admin"
        self.digest = digest_password("admin", REALM, OLD)
        self.control_mode = control_mode
        self.mebx_default = mebx_default
        self.writes = []
        self.set_admin_result = 0
        self.set_admin_lost = False
        self.ignore_set_admin = False
        self.mebx_result = 0


class Client:
    def __init__(self, device, username):
        self.device = device
        self.username = username
        self.closed = False

    def get(self, class_name, selectors=None):
        if class_name == "AMT_GeneralSettings":
            return {"DigestRealm": REALM}
        return {"CurrentControlMode": str(CONTROL_MODES[self.device.control_mode])}

    def invoke(self, class_name, method, inputs=None, selectors=None, check=True, idempotent=False, cached=False):
        device = self.device
        if method == "GetAdminAclEntry":
            if self.username != device.admin:
                raise NotPermittedError("not the admin")
            return {"ReturnValue": 0, "Username": device.admin}
        if method == "GetAdminAclEntryStatus":
            return {"ReturnValue": 0, "IsDefault": "true" if device.mebx_default else "false"}
        device.writes.append((method, dict(inputs)))
        if method == "SetAdminAclEntryEx":
            if device.set_admin_result:
                raise InvalidInputError("SetAdminAclEntryEx returned %d" % device.set_admin_result, return_value=device.set_admin_result)
            if not device.ignore_set_admin:
                device.admin, device.digest = dict(inputs)["Username"], dict(inputs)["DigestPassword"]
            if device.set_admin_lost:
                raise IndeterminateError("no answer")
            return {"ReturnValue": 0}
        if method == "SetMEBxPassword":
            if device.mebx_result == 16:
                raise NotPermittedError("AMT_SetupAndConfigurationService.SetMEBxPassword returned 16 (PT_STATUS_NOT_PERMITTED)",
                                        return_value=16, return_name="PT_STATUS_NOT_PERMITTED")
            device.mebx_default = False
            return {"ReturnValue": 0}
        raise AssertionError(method)

    def close(self):
        self.closed = True


class Sessions:
    username = "admin"
    password = OLD

    def __init__(self, device):
        self.device = device
        self.opened = []
        self.current_client = None

    def current(self):
        if self.device.digest != digest_password(self.username, REALM, OLD) or self.device.admin != self.username:
            raise AuthenticationError("authentication as 'admin' failed")
        self.current_client = Client(self.device, self.username)
        return self.current_client

    def open(self, username, password):
        self.opened.append(username)
        if self.device.admin != username or self.device.digest != digest_password(username, REALM, password):
            raise AuthenticationError("authentication failed")
        return Client(self.device, username)


class Clock:
    """A clock that moves only when the rotation sleeps."""

    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


def rotation_for(device, request):
    clock = Clock()
    return unit.PasswordRotation(Sessions(device), request, Outcome("credentials", False), sleep=clock.sleep, clock=clock)


def run(device, request, check_mode=False):
    rotation = rotation_for(device, request)
    try:
        client, state = rotation.read()
        changes = unit.plan(state, request)
        if changes.any and not check_mode:
            rotation.apply(client, state, changes)
        return state, changes, rotation
    finally:
        rotation.close()


def statuses(rotation):
    return [(write.action, write.status, write.verified) for write in rotation._outcome.writes]  # pylint: disable=protected-access


def test_validate_needs_something_to_do():
    with pytest.raises(InvalidInputError, match="give new_password, mebx_password or both"):
        unit.validate(unit.PasswordRequest())


def test_validate_new_username_needs_new_password():
    with pytest.raises(InvalidInputError, match="new_username needs new_password"):
        unit.validate(unit.PasswordRequest(new_username="ops", mebx_password=MEBX))


@pytest.mark.parametrize("request_args, option", [
    ({"new_password": "weak"}, "new_password"),
    ({"new_password": NEW, "new_username": "$$x"}, "new_username"),
    ({"mebx_password": "admin"}, "mebx_password"),
])
def test_validate_names_the_option(request_args, option):
    with pytest.raises(InvalidInputError) as raised:
        unit.validate(unit.PasswordRequest(**request_args))
    assert str(raised.value).startswith(option + " ")


def test_plan_refuses_mebx_in_ccm_before_any_write():
    state = unit.DeviceState("admin", admin_current=False, control_mode="ccm", mebx_is_default=None)
    with pytest.raises(NotPermittedError, match="client control mode"):
        unit.plan(state, unit.PasswordRequest(new_password=NEW, mebx_password=MEBX))


@pytest.mark.parametrize("update, mebx_default, expected", [
    ("when_default", True, True), ("when_default", False, False), ("always", False, True),
])
def test_plan_mebx_update_policy(update, mebx_default, expected):
    state = unit.DeviceState("admin", admin_current=True, control_mode="acm", mebx_is_default=mebx_default)
    changes = unit.plan(state, unit.PasswordRequest(mebx_password=MEBX, update_mebx_password=update))
    assert (changes.admin, changes.mebx) == (False, expected)


def test_diff_masks_every_password():
    request = unit.PasswordRequest(new_password=NEW, new_username="ops", mebx_password=MEBX)
    state = unit.DeviceState("admin", admin_current=False, control_mode="acm", mebx_is_default=True)
    diff = unit.diff(state, request, unit.plan(state, request))
    assert diff == {
        "before": {"admin_username": "admin", "admin_password": SECRET_MASK, "mebx_password": "factory default"},
        "after": {"admin_username": "ops", "admin_password": SECRET_WRITTEN_MASK, "mebx_password": SECRET_WRITTEN_MASK},
    }
    assert NEW not in repr(diff) and MEBX not in repr(diff)


def test_change_sends_the_hash_then_verifies_with_a_fresh_session():
    device = Device()
    state, changes, rotation = run(device, unit.PasswordRequest(new_password=NEW, new_username="ops"))
    assert changes.admin and statuses(rotation) == [(unit.ROTATE_ADMIN, "confirmed", True)]
    assert device.writes == [("SetAdminAclEntryEx", {"Username": "ops", "DigestPassword": digest_password("ops", REALM, NEW)})]
    assert (device.admin, state.admin_username) == ("ops", "admin")


def test_new_credentials_that_work_mean_no_write():
    device = Device()
    device.digest = digest_password("admin", REALM, NEW)
    state, changes, rotation = run(device, unit.PasswordRequest(new_password=NEW))
    assert state.admin_current and not changes.any and statuses(rotation) == []
    assert device.writes == []


def test_check_mode_reads_only():
    device = Device()
    _state, changes, _rotation = run(device, unit.PasswordRequest(new_password=NEW, mebx_password=MEBX), check_mode=True)
    assert changes.admin and changes.mebx
    assert device.writes == []


def test_failed_verification_reports_a_change_and_no_success():
    device = Device()
    device.ignore_set_admin = True
    rotation = rotation_for(device, unit.PasswordRequest(new_password=NEW))
    client, state = rotation.read()
    with pytest.raises(DeviceError, match="does not authenticate as the admin"):
        rotation.apply(client, state, unit.plan(state, unit.PasswordRequest(new_password=NEW)))
    assert statuses(rotation) == [(unit.ROTATE_ADMIN, "confirmed", False)]
    assert "have NOT changed" in rotation._outcome.advice  # pylint: disable=protected-access


def test_lost_answer_is_read_back_not_resent():
    device = Device()
    device.set_admin_lost = True
    _state, changes, rotation = run(device, unit.PasswordRequest(new_password=NEW))
    assert changes.admin and statuses(rotation) == [(unit.ROTATE_ADMIN, "confirmed", True)]
    assert [method for method, _inputs in device.writes] == ["SetAdminAclEntryEx"]


def test_lost_answer_without_effect_is_indeterminate():
    device = Device()
    device.set_admin_lost = True
    device.ignore_set_admin = True
    rotation = rotation_for(device, unit.PasswordRequest(new_password=NEW))
    client, state = rotation.read()
    with pytest.raises(IndeterminateError):
        rotation.apply(client, state, unit.plan(state, unit.PasswordRequest(new_password=NEW)))
    assert len(device.writes) == 1
    # The old password still works, but a request whose answer was lost may yet take effect: unconfirmed, and the advice says so.
    assert statuses(rotation) == [(unit.ROTATE_ADMIN, "unconfirmed", None)]
    assert "have NOT changed so far: the old password" in rotation._outcome.advice  # pylint: disable=protected-access


def test_lost_answer_while_the_device_restarts_is_settled_by_trying_both_passwords():
    device = Device()
    device.set_admin_lost = True
    device.ignore_set_admin = True
    device.digest = "unreachable"  # neither password authenticates while it restarts
    rotation = rotation_for(device, unit.PasswordRequest(new_password=NEW))
    rotation._sessions.current = lambda: Client(device, "admin")  # pylint: disable=protected-access
    client, state = rotation.read()
    with pytest.raises(IndeterminateError):
        rotation.apply(client, state, unit.plan(state, unit.PasswordRequest(new_password=NEW)))
    assert statuses(rotation) == [(unit.ROTATE_ADMIN, "unconfirmed", None)]
    assert "Neither the new password" in rotation._outcome.advice  # pylint: disable=protected-access


def test_mebx_refusal_names_the_policy_and_keeps_the_code():
    device = Device()
    device.mebx_result = 16
    with pytest.raises(NotPermittedError) as raised:
        run(device, unit.PasswordRequest(mebx_password=MEBX))
    assert "MEBx password policy" in str(raised.value)
    assert raised.value.return_name == "PT_STATUS_NOT_PERMITTED"
    assert MEBX not in str(raised.value)


def test_mebx_set_after_the_admin_with_the_new_session():
    device = Device()
    _state, changes, _rotation = run(device, unit.PasswordRequest(new_password=NEW, mebx_password=MEBX))
    assert changes.admin and changes.mebx
    assert [method for method, _inputs in device.writes] == ["SetAdminAclEntryEx", "SetMEBxPassword"]
    assert device.mebx_default is False


def test_neither_credential_working_is_explained():
    device = Device()
    device.digest = digest_password("admin", REALM, "Other-Passw0rd!")
    with pytest.raises(AuthenticationError, match="neither the desired credentials"):
        run(device, unit.PasswordRequest(new_password=NEW))
