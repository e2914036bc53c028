# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The admin credentials and the MEBx password: read, plan, apply, verify.

The admin password cannot be read back, so the device is asked the only question it answers: a fresh session
tries the desired credentials first. If they authenticate as the admin, there is nothing to do. Otherwise the
connection's credentials change them with SetAdminAclEntryEx, and success is reported only after another fresh
session has authenticated with the new credentials; the old session is not used again, because AMT drops its
cached Digest sessions when the ACL changes.

The MEBx password is write-only too. GetAdminAclEntryStatus.IsDefault tells whether it is still the factory one
(that this flag is about the MEBx password is UNCONFIRMED, docs/hardening-controls.md 5), so update_mebx_password=when_default
sets it once; always sets it on every run.

sessions (supplied by the module): ``username`` (the connection's), ``current()`` (the run's client, identity
checked), ``open(username, password)`` (a new client with other credentials, identity checked; the caller closes it).
"""

from __future__ import annotations

import time

from ansible_collections.oob.amt.plugins.module_utils.amt import schema
from ansible_collections.oob.amt.plugins.module_utils.units.base import CONFIRMED, REFUSED, SECRET_MASK, SECRET_WRITTEN_MASK, UNCONFIRMED
from ansible_collections.oob.amt.plugins.module_utils.units.password_policy import check_password, check_username, digest_password
from ansible_collections.oob.amt.plugins.module_utils.wsman.errors import (
    AmtError,
    AuthenticationError,
    DeviceError,
    IndeterminateError,
    InvalidInputError,
    NotPermittedError,
)

AUTHORIZATION = schema.AMT_AUTHORIZATION_SERVICE
SETUP = schema.AMT_SETUP_AND_CONFIGURATION_SERVICE
SET_ADMIN = "SetAdminAclEntryEx"
SET_MEBX = "SetMEBxPassword"
UPDATE_ALWAYS = "always"
UPDATE_WHEN_DEFAULT = "when_default"
# SetAdminAclEntryEx codes that refuse the name, not the caller (docs/amt-reference.md 4.3).
_NAME_REFUSALS = {
    12: "the device does not accept %r as the admin's name",
    schema.PT_STATUS_DUPLICATE: "%r is already the name of a user account; remove or rename that account first, or choose another new_username",
}


class PasswordRequest:
    """What the user asked for; passwords stay in here and nowhere else."""

    def __init__(self, new_password=None, new_username=None, mebx_password=None, update_mebx_password=UPDATE_WHEN_DEFAULT):
        self.new_password = new_password
        self.new_username = new_username
        self.mebx_password = mebx_password
        self.update_mebx_password = update_mebx_password


def validate(request):
    """Raise InvalidInputError for the first option that breaks AMT's rules; nothing has been sent yet."""
    if request.new_password is None and request.mebx_password is None:
        raise InvalidInputError("nothing to do: give new_password, mebx_password or both")
    if request.new_username is not None:
        if request.new_password is None:
            raise InvalidInputError("new_username needs new_password: AMT stores the admin password hashed together with the name")
        check_username("new_username", request.new_username, reserved_allowed=True)
    if request.new_password is not None:
        check_password("new_password", request.new_password)
    if request.mebx_password is not None:
        check_password("mebx_password", request.mebx_password)
    if request.update_mebx_password not in (UPDATE_ALWAYS, UPDATE_WHEN_DEFAULT):
        raise InvalidInputError("update_mebx_password must be %s or %s" % (UPDATE_ALWAYS, UPDATE_WHEN_DEFAULT))


class DeviceState:
    """What was read: the admin's name, whether the desired admin credentials already work, the control mode and
    whether the MEBx password is still the factory one (None when it was not needed)."""

    def __init__(self, admin_username, admin_current, control_mode, mebx_is_default):
        self.admin_username = admin_username
        self.admin_current = admin_current
        self.control_mode = control_mode
        self.mebx_is_default = mebx_is_default


class Changes:
    def __init__(self, admin, mebx):
        self.admin = admin
        self.mebx = mebx

    @property
    def any(self):
        return self.admin or self.mebx


def plan(state, request):
    """The changes a run makes; raises NotPermittedError for a MEBx password in CCM before anything is written."""
    mebx = False
    if request.mebx_password is not None:
        if state.control_mode == "ccm":
            raise NotPermittedError(
                "mebx_password cannot be set: the device is in client control mode (CCM), where AMT forbids %s.%s. "
                "Set the MEBx password at the console (Ctrl-P at boot) or upgrade the device to admin control mode (ACM)"
                % (SETUP, SET_MEBX), class_name=SETUP, method=SET_MEBX)
        mebx = request.update_mebx_password == UPDATE_ALWAYS or bool(state.mebx_is_default)
    return Changes(admin=request.new_password is not None and not state.admin_current, mebx=mebx)


ROTATE_ADMIN = "set the admin credentials"
SET_MEBX_PASSWORD = "set the MEBx password"


def summaries(changes):
    return [summary for summary, wanted in ((ROTATE_ADMIN, changes.admin), (SET_MEBX_PASSWORD, changes.mebx)) if wanted]


def target_username(request, state):
    return request.new_username or state.admin_username


def diff(state, request, changes):
    """before/after for --diff; passwords appear only as masks."""
    before = {"admin_username": state.admin_username, "admin_password": SECRET_MASK}
    after = {"admin_username": target_username(request, state) if changes.admin else state.admin_username,
             "admin_password": SECRET_WRITTEN_MASK if changes.admin else SECRET_MASK}
    if request.mebx_password is not None:
        before["mebx_password"] = "factory default" if state.mebx_is_default else SECRET_MASK
        after["mebx_password"] = SECRET_WRITTEN_MASK if changes.mebx else before["mebx_password"]
    return {"before": before, "after": after}


def _admin_username(client):
    return client.invoke(AUTHORIZATION, "GetAdminAclEntry", cached=True).get("Username")


def _mebx_is_default(client):
    return schema.as_bool(client.invoke(AUTHORIZATION, "GetAdminAclEntryStatus", cached=True).get("IsDefault"))


def _control_mode(client):
    mode = schema.as_int(client.get(schema.IPS_HOST_BASED_SETUP_SERVICE).get("CurrentControlMode"))
    return schema.CONTROL_MODE.get(mode, "unknown")


class PasswordRotation:
    """One run: read() then apply(). Each write is recorded in outcome (units/base.py); after a failure that may have
    changed the admin credentials, outcome.advice says which credentials authenticate now, found by trying them."""

    def __init__(self, sessions, request, outcome, sleep=time.sleep, clock=time.monotonic, settle_timeout=60):
        self._sessions = sessions
        self._request = request
        self._outcome = outcome
        self._own_client = None
        self._sleep = sleep
        self._clock = clock
        self._settle_timeout = settle_timeout

    def _login_as_admin(self, username, password):
        """A fresh client authenticated as the admin with these credentials, or None when they are not the admin's."""
        try:
            client = self._sessions.open(username, password)
        except AuthenticationError:
            return None
        try:
            if _admin_username(client) == username:
                return client
        except (AuthenticationError, NotPermittedError):
            pass
        client.close()
        return None

    def _current_client_and_admin(self, admin_tried):
        """The connection's client and the admin's name; explains a refusal after the desired credentials failed too."""
        try:
            client = self._sessions.current()
            return client, _admin_username(client)
        except AuthenticationError as error:
            if not admin_tried:
                raise
            raise AuthenticationError(
                "neither the desired credentials (new_password as %r) nor the connection's (password as %r) authenticate: %s"
                % (self._request.new_username or self._sessions.username, self._sessions.username, error))

    def _use_own(self, client):
        self.close()
        self._own_client = client
        return client

    def read(self):
        """Return (client, DeviceState); the client is the session later steps must use."""
        request = self._request
        client = None
        admin_current = False
        if request.new_password is not None:
            username = request.new_username or self._sessions.username
            client = self._login_as_admin(username, request.new_password)
            admin_current = client is not None
        if client is None:
            client, admin_username = self._current_client_and_admin(admin_tried=request.new_password is not None)
        else:
            self._use_own(client)
            admin_username = username
        mebx_is_default = None
        control_mode = None
        if request.mebx_password is not None:
            control_mode = _control_mode(client)
            if control_mode != "ccm":
                mebx_is_default = _mebx_is_default(client)
        return client, DeviceState(admin_username, admin_current, control_mode, mebx_is_default)

    def apply(self, client, state, changes):
        """Make the planned changes, each verified before the next; returns the client of the final credentials."""
        if changes.admin:
            client = self._set_admin(client, state)
        if changes.mebx:
            self._set_mebx(client, state)
        return client

    def _set_admin(self, client, state):
        username = target_username(self._request, state)
        realm = client.get(schema.AMT_GENERAL_SETTINGS).get("DigestRealm")
        if not realm:
            raise DeviceError("AMT_GeneralSettings has no DigestRealm, so the password hash cannot be computed: nothing was changed",
                              class_name=schema.AMT_GENERAL_SETTINGS)
        inputs = [("Username", username), ("DigestPassword", digest_password(username, realm, self._request.new_password))]
        try:
            client.invoke(AUTHORIZATION, SET_ADMIN, inputs)
        except IndeterminateError:
            # Never resend blindly: whether the new credentials work is the read-back.
            which = self._settle_credentials(username, self._sessions.username)
            verified = self._login_as_admin(username, self._request.new_password) if which == "new" else None
            if verified is not None:
                self._outcome.record(ROTATE_ADMIN, CONFIRMED, verified=True)
                self._outcome.advice = None
                return self._use_own(verified)
            # The old credentials working now does not prove the lost request will not still take effect.
            self._outcome.record(ROTATE_ADMIN, UNCONFIRMED)
            raise
        except (DeviceError, InvalidInputError) as error:
            self._outcome.record(ROTATE_ADMIN, REFUSED)
            if error.return_value not in _NAME_REFUSALS:
                raise
            raise InvalidInputError("%s: %s" % (error, _NAME_REFUSALS[error.return_value] % username), class_name=AUTHORIZATION,
                                    method=SET_ADMIN, return_value=error.return_value, return_name=error.return_name)
        except AmtError:
            self._outcome.record(ROTATE_ADMIN, REFUSED)
            raise
        try:
            verified = self._login_as_admin(username, self._request.new_password)
        except AmtError:
            # Acknowledged, but the device went away before the new credentials could be tried (a restart, say).
            self._outcome.record(ROTATE_ADMIN, CONFIRMED, verified=False)
            self._settle_credentials(username, self._sessions.username)
            raise
        if verified is None:
            self._outcome.record(ROTATE_ADMIN, CONFIRMED, verified=False)
            self._settle_credentials(username, self._sessions.username)
            raise DeviceError("%s.%s succeeded but a new session with the new credentials for %r does not authenticate as the admin"
                              % (AUTHORIZATION, SET_ADMIN, username), class_name=AUTHORIZATION, method=SET_ADMIN)
        self._outcome.record(ROTATE_ADMIN, CONFIRMED, verified=True)
        return self._use_own(verified)

    def _credentials_that_work(self, new_username, old_username):
        """'new', 'old' or None: which admin credentials authenticate, trying the new ones first."""
        for which, username, password in (("new", new_username, self._request.new_password),
                                          ("old", old_username, self._sessions.password)):
            try:
                client = self._login_as_admin(username, password)
            except AmtError:
                continue
            if client is not None:
                client.close()
                return which
        return None

    def _settle_credentials(self, new_username, old_username):
        """After an unsettled rotation, find which credentials work (waiting out a restart), say so in the outcome and
        return 'new', 'old' or None."""
        deadline = self._clock() + self._settle_timeout
        which = self._credentials_that_work(new_username, old_username)
        while which is None and self._clock() < deadline:
            self._sleep(2)
            which = self._credentials_that_work(new_username, old_username)
        if which == "new":
            self._outcome.advice = ("The admin credentials HAVE changed: the new password (as %r) authenticates now and the old one"
                                    " no longer does. Use the new password from now on; a re-run reports no change." % new_username)
        elif which == "old":
            self._outcome.advice = ("The admin credentials have NOT changed so far: the old password (as %r) still authenticates."
                                    " Run the task again: it tries the new password first and rotates only if the old one is"
                                    " still the admin's." % old_username)
        else:
            self._outcome.advice = ("Neither the new password (as %r) nor the old one (as %r) authenticates yet, although the device"
                                    " was tried for %d s: try the new password first, then the old one."
                                    % (new_username, old_username, self._settle_timeout))
        return which

    def _set_mebx(self, client, state):
        try:
            client.invoke(SETUP, SET_MEBX, [("Password", self._request.mebx_password)])
        except NotPermittedError as error:
            self._outcome.record(SET_MEBX_PASSWORD, REFUSED)
            raise NotPermittedError(
                "%s (the device's MEBx password policy refuses a remote change now: it may allow it only while the "
                "password is the default, only during setup, or never). Set it at the console (Ctrl-P at boot)" % error,
                class_name=SETUP, method=SET_MEBX, return_value=error.return_value, return_name=error.return_name)
        except InvalidInputError as error:
            self._outcome.record(SET_MEBX_PASSWORD, REFUSED)
            raise InvalidInputError("%s: the device rejected mebx_password; it may enforce a stricter OEM rule "
                                    "(for example only ! @ # $ %% ^ * as special characters)" % error,
                                    class_name=SETUP, method=SET_MEBX, return_value=error.return_value, return_name=error.return_name)
        except IndeterminateError:
            if state.mebx_is_default and not _mebx_is_default(client):
                self._outcome.record(SET_MEBX_PASSWORD, CONFIRMED, verified=True)
                return
            self._outcome.record(SET_MEBX_PASSWORD, UNCONFIRMED)
            raise
        except AmtError:
            self._outcome.record(SET_MEBX_PASSWORD, REFUSED)
            raise
        still_default = state.mebx_is_default and _mebx_is_default(client)
        self._outcome.record(SET_MEBX_PASSWORD, CONFIRMED, verified=not still_default if state.mebx_is_default else None)
        if still_default:
            raise DeviceError("%s.%s returned success but the MEBx password still reads as the factory default"
                              % (SETUP, SET_MEBX), class_name=SETUP, method=SET_MEBX)

    def close(self):
        if self._own_client is not None:
            client, self._own_client = self._own_client, None
            client.close()
