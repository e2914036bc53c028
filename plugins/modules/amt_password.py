#!/usr/bin/python
# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: amt_password
short_description: Rotate the Intel AMT admin credentials and set the MEBx password
description:
  - Sets a new password, and optionally a new name, for the AMT admin account (C(AMT_AuthorizationService.SetAdminAclEntryEx)),
    without ever locking the administrator out.
  - First tries the desired credentials in a fresh session. If they already authenticate as the admin, nothing is changed,
    so a re-run reports C(changed=false) even though the connection's O(password) no longer works.
  - Otherwise connects with O(username) and O(password), sends the new credentials as AMT's Digest hash (the cleartext
    never leaves the controller), then opens another fresh session with the new credentials and reports success only if it
    authenticates as the admin.
  - Sets the MEBx (BIOS extension) password with C(AMT_SetupAndConfigurationService.SetMEBxPassword) in admin control mode.
    Client control mode (CCM) forbids this; the module then fails before changing anything.
  - Every password is checked against AMT's rule before anything is sent. It must have 8 to 32 printable ASCII characters,
    without colons, commas or double quotes, with a digit, a lower-case letter, an upper-case letter and a special character
    other than C(_) and space.
version_added: 0.1.0
author:
  - oob.amt contributors (@oob-amt)
extends_documentation_fragment:
  - oob.amt.connection
  - oob.amt.attributes
options:
  new_password:
    description:
      - The admin password to have on the device.
      - Required with O(new_username). At least one of O(new_password) and O(mebx_password) must be given.
    type: str
  new_username:
    description:
      - A new name for the admin account. 1 to 16 printable ASCII characters, without spaces, colons, commas, C(<), C(>), C(&)
        or double quotes, not starting with C($$).
      - Defaults to the admin's current name. Later tasks must then connect with this name.
    type: str
  mebx_password:
    description:
      - The MEBx password to set. Only in admin control mode (ACM), and only when the device's MEBx password policy allows it.
      - The MEBx password cannot be read back; see O(update_mebx_password).
    type: str
  update_mebx_password:
    description:
      - V(when_default) sets O(mebx_password) only while the device reports its MEBx password as the factory default
        (C(GetAdminAclEntryStatus.IsDefault)), so a re-run is unchanged.
      - V(always) sets it on every run, which then always reports a change.
    type: str
    choices: [when_default, always]
    default: when_default
notes:
  - The first attempt with the desired credentials counts as one failed logon on the device while they are not yet set.
    AMT refuses logons for a while after 10 consecutive failures, so do not loop this module on a failing device.
  - The AMT Digest realm is part of the stored hash, so the hash is computed from C(AMT_GeneralSettings.DigestRealm) of this device.
  - That C(GetAdminAclEntryStatus.IsDefault) reflects the MEBx password is Intel's description as far as it is known, not
    confirmed on every firmware.
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
"""

EXAMPLES = r"""
- name: Rotate the AMT admin password of the fleet
  hosts: amt
  gather_facts: false
  module_defaults:
    group/oob.amt.amt:
      hostname: "{{ amt_hostname }}"
      username: "{{ amt_username }}"
      password: "{{ vault_amt_old_password }}"
      ca_path: "{{ amt_ca_path }}"
      expected_uuid: "{{ amt_uuid }}"
  tasks:
    - name: Set the new admin password (unchanged where it is already set)
      oob.amt.amt_password:
        new_password: "{{ vault_amt_new_password }}"
      delegate_to: localhost

- name: One ACM device
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Rename the admin and set the MEBx password once, on ACM devices
      oob.amt.amt_password:
        hostname: 192.0.2.20
        password: "{{ vault_amt_password }}"
        ca_path: /etc/pki/amt-ca.pem
        new_username: amtadmin
        new_password: "{{ vault_amt_password }}"
        mebx_password: "{{ vault_mebx_password }}"
"""

RETURN = r"""
admin_username:
  description: Name of the admin account after the run.
  returned: success
  type: str
  sample: admin
admin_password_changed:
  description: Whether the admin credentials were changed (or would be, in check mode).
  returned: success
  type: bool
mebx_password_changed:
  description: Whether the MEBx password was set (or would be, in check mode).
  returned: success
  type: bool
control_mode:
  description: The control mode, read when O(mebx_password) is given.
  returned: when O(mebx_password) is given
  type: str
  sample: acm
actions:
  description: The changes made (after a failure, those that reached the device or may have), or in check mode those a real run would make.
  returned: always
  type: list
  elements: str
  sample: ["set the admin credentials"]
writes:
  description:
    - Each write sent, with V(confirmed) (acknowledged; RV(writes[].verified) whether a new session with the new credentials
      authenticated), V(unconfirmed) (its answer was lost) or V(refused).
    - After a failure that may have changed the admin credentials, C(msg) says which credentials authenticate now, found by
      trying the new and then the old ones until the device answers (up to 60 seconds).
  returned: always
  type: list
  elements: dict
  sample: [{"action": "set the admin credentials", "status": "confirmed", "verified": true}]
  contains:
    action:
      description: The change, as in RV(actions).
      type: str
    status:
      description: V(confirmed), V(unconfirmed) or V(refused).
      type: str
    verified:
      description: For a confirmed write, whether reading the device back showed it; null when not read back.
      type: bool
error:
  description: Machine-readable kind of the failure.
  returned: failure
  type: str
  sample: not_permitted
"""

from ansible_collections.oob.amt.plugins.module_utils.connection import amt_argument_spec
from ansible_collections.oob.amt.plugins.module_utils.module import AmtModule
from ansible_collections.oob.amt.plugins.module_utils.units import password as unit


class _Sessions:
    """The sessions the password unit asks for: the run's client, and new ones with other credentials."""

    def __init__(self, module):
        self._module = module

    @property
    def username(self):
        return self._module.params["username"]

    @property
    def password(self):
        return self._module.params["password"]

    def current(self):
        return self._module.client

    def open(self, username, password):
        return self._module.connect(username, password)


def main():
    module = AmtModule(
        argument_spec=amt_argument_spec(
            new_password=dict(type="str", no_log=True),
            new_username=dict(type="str"),
            mebx_password=dict(type="str", no_log=True),
            update_mebx_password=dict(type="str", choices=[unit.UPDATE_WHEN_DEFAULT, unit.UPDATE_ALWAYS],
                                      default=unit.UPDATE_WHEN_DEFAULT, no_log=False),
        ),
        required_one_of=[("new_password", "mebx_password")],
        required_by={"new_username": "new_password"},
    )
    module.run_procedure("credentials", rotate)


def rotate(module, outcome):
    params = module.params
    request = unit.PasswordRequest(new_password=params["new_password"], new_username=params["new_username"],
                                   mebx_password=params["mebx_password"], update_mebx_password=params["update_mebx_password"])
    unit.validate(request)
    rotation = unit.PasswordRotation(_Sessions(module), request, outcome)
    try:
        client, state = rotation.read()
        changes = unit.plan(state, request)
        outcome.planned = unit.summaries(changes)
        outcome.diff = unit.diff(state, request, changes)
        if changes.any and not module.check_mode:
            rotation.apply(client, state, changes)
    finally:
        rotation.close()
    outcome.extra.update(
        admin_username=unit.target_username(request, state) if changes.admin else state.admin_username,
        admin_password_changed=changes.admin,
        mebx_password_changed=changes.mebx,
    )
    if state.control_mode is not None:
        outcome.extra["control_mode"] = state.control_mode
    if changes.admin and request.new_username and request.new_username != state.admin_username:
        module.warn("the AMT admin account is now named %r: later tasks and the inventory must use this username" % request.new_username)


if __name__ == "__main__":
    main()
