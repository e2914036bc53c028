#!/usr/bin/python
# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: amt_user
short_description: Manage the Digest and Kerberos user accounts of Intel AMT, the Auditor among them
description:
  - Adds, updates and removes the user accounts of Intel AMT's access control list (C(AMT_AuthorizationService) methods
    C(AddUserAclEntryEx), C(UpdateUserAclEntryEx), C(RemoveUserAclEntry), read with C(EnumerateUserAclEntries) and C(GetUserAclEntryEx)).
  - A Digest account has a name and a password; a Kerberos account is an Active Directory user or group, known by its SID.
    Each has an access permission and the realms (groups of rights) it may use.
  - Manage one account with O(name) or O(kerberos_sid) and its options, or several with O(accounts). With O(purge=true) the
    listed accounts become the only ones on the device.
  - The admin account is never touched (use M(oob.amt.amt_password)), nor are the firmware's system accounts, whose names
    begin with C($$).
  - AMT's rules are checked before anything is sent - names, passwords, SIDs, realms, at most 8 Digest and 32 Kerberos
    accounts besides the admin, one Auditor - and every change is read back before the next one is made.
  - "The Auditor: the account that holds the O(realms=audit_log) realm. Once it exists, only the Auditor can clear the audit log,
    change its policy or turn it off (M(oob.amt.amt_audit_policy) then needs the Auditor's credentials), so the admin cannot
    erase its own traces. AMT allows one Auditor, and the admin can neither remove it nor take the realm from it; only the
    Auditor can give it up, or unprovisioning removes it. This module gives the Auditor the O(realms=audit_log) realm and no
    other, so that the keeper of the log has no other right on the device: hold its credentials in another team than the admin's."
  - "The Auditor and unprovisioning: on firmware releases 8.0 to 11.x in admin control mode (ACM), the Auditor must also allow
    unprovisioning (C(AMT_AuditLog.SetAuditLock), see M(oob.amt.amt_unprovision)), so the admin cannot unprovision alone.
    From release 12.0, Intel's SDK states, the Auditor can no longer block unprovisioning in any mode; in client control mode
    (CCM) it never could."
version_added: 0.1.0
author:
  - oob.amt contributors (@oob-amt)
extends_documentation_fragment:
  - oob.amt.connection
  - oob.amt.attributes
options:
  name:
    description:
      - 'Name of the Digest account to manage, 1 to 16 printable ASCII characters without spaces or C(: , < > & "),
        not V(admin) and not beginning with C($$).'
      - Mutually exclusive with O(kerberos_sid) and O(accounts).
    type: str
  kerberos_sid:
    description:
      - SID of the Active Directory user or group of the Kerberos account to manage, as C(S-1-5-21-...) or as the base64 of its
        bytes. AMT takes SIDs of at most 28 bytes (5 sub-authorities).
      - Mutually exclusive with O(name) and O(accounts).
    type: str
  type:
    description:
      - V(digest) or V(kerberos). Defaults to V(kerberos) when O(kerberos_sid) is set, else V(digest).
    type: str
    choices: [digest, kerberos]
  account_password:
    description:
      - Password of the Digest account O(name); O(password) is the connection's.
      - '8 to 32 printable ASCII characters without C(: , "), with a digit, a lower-case letter, an upper-case letter and
        a special character.'
      - Needed to create the account. AMT keeps only a hash of it and never returns it, so an existing account gets it
        again only with O(update_password=always).
    type: str
  access:
    description:
      - Where the account may log in from - V(network) (the device's network interface), V(local) (the host OS, through LMS)
        or V(any).
      - Defaults to V(network).
    type: str
    choices: [local, network, any]
  realms:
    description:
      - The realms the account may use, by name. Required with O(state=present).
      - "V(redirection), V(pt_administration) (everything but the audit log), V(hardware_asset), V(remote_control), V(storage),
        V(event_manager), V(storage_admin), V(agent_presence_local), V(agent_presence_remote), V(circuit_breaker),
        V(network_time), V(general_info), V(endpoint_access_control), V(endpoint_access_control_admin),
        V(event_log_reader), V(audit_log) (the Auditor; alone), V(acl) (the account may change its own password),
        V(local_system)."
    type: list
    elements: str
  state:
    description:
      - Whether the account should exist.
    type: str
    choices: [present, absent]
    default: present
  accounts:
    description:
      - Several accounts at once, each with the options of a single account. C(amt_info)'s C(amt.users.accounts) can be
        given here unchanged.
    type: list
    elements: dict
    suboptions:
      name:
        description: See O(name).
        type: str
      kerberos_sid:
        description: See O(kerberos_sid).
        type: str
      type:
        description: See O(type).
        type: str
        choices: [digest, kerberos]
      password:
        description: The Digest account's password; see O(account_password).
        type: str
      access:
        description: See O(access).
        type: str
        choices: [local, network, any]
      realms:
        description: See O(realms).
        type: list
        elements: str
      state:
        description: See O(state).
        type: str
        choices: [present, absent]
        default: present
  purge:
    description:
      - Remove every account the device has that is not named in O(accounts), O(name) or O(kerberos_sid); never the admin and
        never the C($$) system accounts.
      - An Auditor that is not listed cannot be removed by the admin, so the task then fails before it changes anything.
    type: bool
    default: false
  update_password:
    description:
      - V(on_create) writes a password only when the account is created.
      - V(always) writes every given password on every run, since AMT never returns one to compare; the task then always
        reports a change.
    type: str
    choices: [always, on_create]
    default: on_create
notes:
  - Needs the admin account, or another account with the V(pt_administration) realm.
  - A password cannot be read back, so a write of one is confirmed by the device's answer and the readable fields only.
  - AMT's ACL table size is not published; the 8 Digest and 32 Kerberos accounts checked here are one Digest account more
    than Intel's provisioning server allows. The device's own refusal is reported when it holds fewer.
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
"""

EXAMPLES = r"""
# The connection options come from module_defaults for group/oob.amt.amt, as in the examples of oob.amt.amt_info.
- name: The accounts of an AMT fleet, and nothing else
  oob.amt.amt_user:
    accounts:
      - kerberos_sid: S-1-5-21-1004336348-1177238915-682003330-1104
        realms: [redirection, remote_control, hardware_asset, general_info]
      - kerberos_sid: S-1-5-21-1004336348-1177238915-682003330-2207
        realms: [audit_log]
      - name: inventory
        password: "{{ vault_amt_inventory_password }}"
        realms: [hardware_asset, general_info]
    purge: true
  delegate_to: localhost

- name: One Digest operator that may log in from the network and the host
  oob.amt.amt_user:
    hostname: 192.0.2.10
    password: "{{ vault_amt_password }}"
    ca_path: /etc/pki/amt-ca.pem
    name: helpdesk
    account_password: "{{ vault_amt_helpdesk_password }}"
    access: any
    realms: [redirection, remote_control]

- name: Rotate its password
  oob.amt.amt_user:
    name: helpdesk
    account_password: "{{ vault_amt_helpdesk_password_new }}"
    access: any
    realms: [redirection, remote_control]
    update_password: always

- name: Remove it
  oob.amt.amt_user:
    name: helpdesk
    state: absent
"""

RETURN = r"""
actions:
  description:
    - The changes made, or in check mode the changes a real run would make, in order.
    - After a failure, the changes that reached the device or may have; RV(writes) tells which.
  returned: always
  type: list
  elements: str
  sample: ["remove digest account helpdesk", "add kerberos account S-1-5-21-1004336348-1177238915-682003330-1104"]
writes:
  description:
    - Each write sent to the device, in order, with what is known of it.
    - V(confirmed) the device acknowledged it (RV(writes[].verified) whether reading back showed it);
      V(unconfirmed) its answer was lost and it may or may not be on the device (the result then has C(indeterminate=true));
      V(refused) the device answered with an error, or did not take it.
  returned: always
  type: list
  elements: dict
  sample: [{"action": "remove digest account helpdesk", "status": "confirmed", "verified": true}]
  contains:
    action:
      description: The change, as in RV(actions).
      type: str
    status:
      description: V(confirmed), V(unconfirmed) or V(refused).
      type: str
    verified:
      description: Whether reading the accounts back showed the change; null when the device was not read back.
      type: bool
users:
  description:
    - The accounts after the task, with the names and values of this module's options, so that RV(users.accounts) (or
      C(amt_info)'s C(amt.users.accounts)) can be given back to O(accounts) unchanged.
  returned: success
  type: dict
  contains:
    accounts:
      description:
        - Every account besides the admin and the C($$) system accounts, in the device's order.
        - An account whose password this run wrote shows C(password) as C(******** (written)); passwords are never returned.
      type: list
      elements: dict
      sample: [{"name": "inventory", "type": "digest", "kerberos_sid": null, "access": "network",
                "realms": ["general_info", "hardware_asset"]},
               {"name": null, "type": "kerberos", "kerberos_sid": "S-1-5-21-1004336348-1177238915-682003330-2207",
                "access": "network", "realms": ["audit_log"]}]
"""

from ansible_collections.oob.amt.plugins.module_utils.connection import amt_argument_spec
from ansible_collections.oob.amt.plugins.module_utils.module import AmtModule
from ansible_collections.oob.amt.plugins.module_utils.units import accounts

ACCESS_CHOICES = sorted(accounts.ACCESS)
ACCOUNT_OPTIONS = {
    "name": {"type": "str"},
    "kerberos_sid": {"type": "str"},
    "type": {"type": "str", "choices": [accounts.DIGEST, accounts.KERBEROS]},
    "password": {"type": "str", "no_log": True},
    "access": {"type": "str", "choices": ACCESS_CHOICES},
    "realms": {"type": "list", "elements": "str"},
    "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
}


def main():
    module = AmtModule(
        amt_argument_spec(
            name={"type": "str"},
            kerberos_sid={"type": "str"},
            type={"type": "str", "choices": [accounts.DIGEST, accounts.KERBEROS]},
            account_password={"type": "str", "no_log": True},
            access={"type": "str", "choices": ACCESS_CHOICES},
            realms={"type": "list", "elements": "str"},
            state={"type": "str", "choices": ["present", "absent"], "default": "present"},
            accounts={"type": "list", "elements": "dict", "options": ACCOUNT_OPTIONS},
            purge={"type": "bool", "default": False},
            update_password={"type": "str", "choices": [accounts.UPDATE_ALWAYS, accounts.UPDATE_ON_CREATE],
                             "default": accounts.UPDATE_ON_CREATE, "no_log": False},
        ),
        supports_check_mode=True,
        mutually_exclusive=[["name", "kerberos_sid", "accounts"]] + [["accounts", key] for key in ("type", "account_password", "access", "realms")],
    )
    module.converge(accounts.Users)


if __name__ == "__main__":
    main()
