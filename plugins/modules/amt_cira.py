#!/usr/bin/python
# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: amt_cira
short_description: Manage Intel AMT's CIRA servers, remote-access policies and user-initiated connections
description:
  - Adds and removes the management presence servers (MPS, C(AMT_ManagementPresenceRemoteSAP)) Intel AMT opens a
    Client Initiated Remote Access (CIRA) tunnel to, with C(AMT_RemoteAccessService.AddMpServer).
  - Sets the remote-access policies (C(AMT_RemoteAccessPolicyRule)) that say when AMT connects, and the state of the
    user-initiated connection service (C(AMT_UserInitiatedConnectionService)).
  - AMT cannot update a server or a policy; a changed one is removed and added again. Policies are removed before the
    servers they name and added after them, as Intel's rpc-go does.
  - Every change is read back before the next one is made.
  - C(oob.amt.amt_info)'s C(amt.network.mps_servers), C(cira_policies) and C(cira_user_initiated) can be given back to
    O(servers), O(policies) and O(user_initiated) unchanged; the module then changes nothing.
version_added: 0.1.0
author:
  - oob.amt contributors (@oob-amt)
extends_documentation_fragment:
  - oob.amt.connection
  - oob.amt.attributes
options:
  servers:
    description:
      - The servers to manage, identified by O(servers[].address). C(amt_info)'s C(amt.network.mps_servers) may be given here unchanged.
    type: list
    elements: dict
    suboptions:
      address:
        description: IPv4 or IPv6 address or host name of the MPS, at most 256 characters.
        type: str
        required: true
      port:
        description: TCP port of the MPS.
        type: int
        default: 4433
      cn:
        description:
          - Common name the MPS's TLS certificate carries, at most 256 characters. Required when O(servers[].address) is an IP address.
        type: str
      username:
        description: User name AMT presents to the MPS, 1 to 16 letters or digits. Goes with O(servers[].password).
        type: str
      password:
        description:
          - Password AMT presents to the MPS, 1 to 16 characters. AMT never returns it, so an existing server is
            written again only when its address, port or common name change, or with O(update_password=always).
        type: str
      certificate:
        description:
          - Handle of a certificate on the device, with its private key, that AMT presents to the MPS instead of a
            username and password.
        type: str
      state:
        description: Whether the server should exist.
        type: str
        choices: [present, absent]
        default: present
  purge:
    description: Remove every server not named in O(servers), and the policies that name only such servers.
    type: bool
    default: false
  update_password:
    description:
      - V(on_create) writes a server's password or certificate only when the server is added or its readable settings change.
      - V(always) removes and adds again every listed server given a password or a certificate, on every run; the task then
        always reports a change.
    type: str
    choices: [always, on_create]
    default: on_create
  policies:
    description:
      - The remote-access policies, one per trigger. When given, they become the only policies on the device.
    type: list
    elements: dict
    suboptions:
      trigger:
        description: V(user_initiated), V(alert) or V(periodic).
        type: str
        required: true
        choices: [user_initiated, alert, periodic]
      servers:
        description: The addresses of the one or two servers the policy connects to, in order of access.
        type: list
        elements: str
        required: true
      tunnel_lifetime:
        description: Seconds the tunnel stays open, 0 for no limit.
        type: int
        default: 0
      interval:
        description: For a periodic policy, the seconds between connections.
        type: int
      daily_at:
        description: For a periodic policy, the time of day (HH:MM) AMT connects, instead of O(policies[].interval).
        type: str
      mps_type:
        description:
          - Where AMT uses the policy's servers (C(AMT_RemoteAccessPolicyAppliesToMPS.MpsType)) - V(external) outside the
            organisation's network, as environment detection decides, V(internal) inside it, or V(both).
          - AMT binds a new policy's servers as external; another type is set afterwards by a Put of each binding, and a
            changed type is set in place without removing the policy.
          - Firmware before AMT 11.6 reports no type; its servers count as external and another type is refused.
        type: str
        choices: [external, internal, both]
        default: external
  user_initiated:
    description: Which of the BIOS and the host OS may ask AMT to open a tunnel.
    type: str
    choices: [disabled, bios, os, bios_and_os]
  mps_root_certificate:
    description:
      - The CA certificate (one PEM certificate) that signed the servers' TLS certificates, added as a trusted root
        (C(AddTrustedRootCertificate)) before any server when the device does not trust it yet. It is never removed.
    type: str
notes:
  - Needs the admin account (PT Administration realm).
  - A server's username or certificate is read back (C(AMT_RemoteAccessCredentialContext), C(AMT_MPSUsernamePassword)) and a
    server whose username or certificate differs from the task's is removed and added again; its password cannot be read
    back, so a new password alone is written only with O(update_password=always).
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
"""

EXAMPLES = r"""
# The connection options come from module_defaults for group/oob.amt.amt, as in the examples of oob.amt.amt_info.
- name: Connect to the site's MPS every 25 seconds and when the user asks
  oob.amt.amt_cira:
    servers:
      - address: mps.example.com
        port: 4433
        cn: mps.example.com
        username: "{{ vault_mps_username }}"
        password: "{{ vault_mps_password }}"
    purge: true
    policies:
      - trigger: periodic
        servers: [mps.example.com]
        interval: 25
      - trigger: user_initiated
        servers: [mps.example.com]
        mps_type: both
    user_initiated: bios_and_os
    mps_root_certificate: "{{ lookup('file', 'mps-root-ca.pem') }}"
  delegate_to: localhost
"""

RETURN = r"""
actions:
  description:
    - The changes made, or in check mode the changes a real run would make, in order.
    - After a failure, the changes that reached the device or may have; RV(writes) tells which.
  returned: always
  type: list
  elements: str
  sample: ["remove periodic policy (mps.example.com)", "remove MPS mps.example.com:4433", "add MPS mps.example.com:4433",
           "add periodic policy (mps.example.com)"]
writes:
  description:
    - Each write sent to the device, in order, with what is known of it.
    - V(confirmed) the device acknowledged it (RV(writes[].verified) whether reading back showed it);
      V(unconfirmed) its answer was lost and it may or may not be on the device (the result then has C(indeterminate=true));
      V(refused) the device answered with an error, or did not take it.
  returned: always
  type: list
  elements: dict
  sample: [{"action": "add MPS mps.example.com:4433", "status": "confirmed", "verified": true}]
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
cira:
  description:
    - The CIRA settings after the task, with the names and values of this module's options. Passwords appear only as
      C(******** (written)) for a server this task wrote.
  returned: success
  type: dict
  contains:
    servers:
      description:
        - Every server on the device (address, port, cn) and how it authenticates AMT (certificate, or username and a masked password).
      type: list
      elements: dict
      sample: [{"address": "mps.example.com", "port": 4433, "cn": "mps.example.com"}]
    policies:
      description:
        - Every remote-access policy (trigger, servers, tunnel_lifetime, interval, daily_at, mps_type).
        - C(mps_type) is the type of the policy's first server; AMT keeps one per server, and this module sets them all alike.
      type: list
      elements: dict
    user_initiated:
      description: State of the user-initiated connection service, when the task manages it.
      type: str
    mps_root_certificate_trusted:
      description: Whether the device trusts O(mps_root_certificate), when the task gives it.
      type: bool
"""

from ansible_collections.oob.amt.plugins.module_utils.connection import amt_argument_spec
from ansible_collections.oob.amt.plugins.module_utils.module import AmtModule
from ansible_collections.oob.amt.plugins.module_utils.units import cira


def main():
    module = AmtModule(
        amt_argument_spec(
            servers={"type": "list", "elements": "dict", "options": {
                "address": {"type": "str", "required": True},
                "port": {"type": "int", "default": cira.DEFAULT_PORT},
                "cn": {"type": "str"},
                "username": {"type": "str"},
                "password": {"type": "str", "no_log": True},
                "certificate": {"type": "str"},
                "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
            }},
            purge={"type": "bool", "default": False},
            update_password={"type": "str", "choices": ["always", "on_create"], "default": "on_create", "no_log": False},
            policies={"type": "list", "elements": "dict", "options": cira.POLICY_OPTIONS},
            user_initiated={"type": "str", "choices": sorted(cira.USER_INITIATED)},
            mps_root_certificate={"type": "str"},
        ),
        supports_check_mode=True,
    )
    module.converge(cira.Cira)


if __name__ == "__main__":
    main()
