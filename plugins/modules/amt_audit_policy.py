#!/usr/bin/python
# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: amt_audit_policy
short_description: Turn on Intel AMT's Access Monitor (audit log) and keep its policy
description:
  - Enables or disables auditing (C(AMT_AuditLog)), chooses which events are audited and which of them are critical
    (C(AMT_AuditPolicyRule)), and sets the storage policy.
  - Once an account holds the Audit Log realm (an Auditor), only that account may change any of this; connect with the
    auditor's credentials. The module says so, before writing anything, when it is given the admin's.
  - Without an Auditor the admin account holds these rights.
  - A critical event blocks the operation it records when it cannot be logged (log full or locked).
version_added: 0.1.0
author:
  - oob.amt contributors (@oob-amt)
extends_documentation_fragment:
  - oob.amt.connection
  - oob.amt.attributes
options:
  state:
    description:
      - Whether auditing is on. V(disabled) is applied after the other changes, so that they are still recorded.
    type: str
    choices: [enabled, disabled]
    default: enabled
  events:
    description:
      - The events to audit, V(all) or a mapping of application name to a list of event names or V(all).
      - "Applications: V(security_admin), V(remote_control), V(redirection_manager), V(firmware_update_manager),
        V(security_audit_log), V(network_time), V(network_administration), V(storage_administration), V(event_manager),
        V(system_defense_manager), V(agent_presence_manager), V(wireless_configuration), V(endpoint_access_control),
        V(kvm), V(user_opt_in), V(watchdog)."
      - Event names are Intel's event titles in snake case, for example V(acl_entry_added), V(unprovisioning_started),
        V(kvm_session_started), V(log_cleared).
      - Events not listed stop being audited unless O(append=true). Not set leaves the audited events as they are.
    type: raw
  critical_events:
    description:
      - The audited events that are critical, in the form of O(events). The others become non-critical unless O(append=true).
      - A critical event not in O(events) is refused unless O(append=true), which then also audits it.
    type: raw
  append:
    description:
      - Add O(events) and O(critical_events) to what the device has instead of replacing it.
    type: bool
    default: false
  storage_policy:
    description:
      - What happens when the log is full. V(no_rollover) keeps every record and blocks critical operations;
        V(rollover) overwrites the oldest records; V(restricted_rollover) overwrites only records older than O(min_days_to_keep).
    type: str
    choices: [no_rollover, rollover, restricted_rollover]
  min_days_to_keep:
    description:
      - Days a record is kept before V(restricted_rollover) may overwrite it (0 to 255). Required with that policy.
    type: int
notes:
  - The input names of C(AMT_AuditLog.SetStoragePolicy) and the numeric values of C(PolicyType) (0 non-critical, 1 critical)
    come from Intel's class descriptions and have not been confirmed on hardware.
  - C(SetAuditPolicyBulk) needs AMT 7.0 or later.
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
"""

EXAMPLES = r"""
- name: Access Monitor for an AMT fleet
  hosts: amt
  gather_facts: false
  module_defaults:
    group/oob.amt.amt:
      hostname: "{{ amt_hostname }}"
      ca_path: "{{ amt_ca_path }}"
  tasks:
    - name: Audit the security-relevant events, as the auditor
      oob.amt.amt_audit_policy:
        username: "{{ amt_auditor_username }}"
        password: "{{ vault_amt_auditor_password }}"
        state: enabled
        events:
          security_admin: all
          remote_control: all
          redirection_manager: all
          firmware_update_manager: all
          security_audit_log: all
          wireless_configuration: all
          kvm: all
          user_opt_in: all
        critical_events:
          security_admin: [unprovisioning_started]
        storage_policy: restricted_rollover
        min_days_to_keep: 30
      delegate_to: localhost

- name: Audit policy of one device that has no auditor account yet
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Only make sure auditing is on and unprovisioning is recorded (no auditor account yet)
      oob.amt.amt_audit_policy:
        hostname: 192.0.2.10
        password: "{{ vault_amt_password }}"
        ca_path: /etc/pki/amt-ca.pem
        events:
          security_admin: [unprovisioning_started]
        append: true
"""

RETURN = r"""
actions:
  description:
    - The changes made, or in check mode the changes a real run would make, in order.
    - After a failure, the changes that reached the device or may have; RV(writes) tells which.
  returned: always
  type: list
  elements: str
  sample: ["enable auditing", "set storage policy restricted_rollover keeping 30 days"]
writes:
  description:
    - Each write sent to the device, in order, with what is known of it.
    - V(confirmed) the device acknowledged it (RV(writes[].verified) whether reading back showed it);
      V(unconfirmed) its answer was lost and it may or may not be on the device (the result then has C(indeterminate=true));
      V(refused) the device answered with an error, or did not take it.
  returned: always
  type: list
  elements: dict
  sample: [{"action": "enable auditing", "status": "confirmed", "verified": true}]
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
audit_policy:
  description:
    - The audit settings after the task, with the names and values of this module's options, so that
      RV(audit_policy) (or C(amt_info)'s C(amt.audit_policy)) can be given back to this module unchanged.
  returned: success
  type: dict
  contains:
    state:
      description: V(enabled) or V(disabled).
      type: str
    events:
      description: The audited events by application.
      type: dict
      sample: {"security_admin": ["acl_entry_added", "unprovisioning_started"]}
    critical_events:
      description: The critical ones among them.
      type: dict
    storage_policy:
      description: V(no_rollover), V(rollover) or V(restricted_rollover).
      type: str
    min_days_to_keep:
      description: Days kept under V(restricted_rollover), else null.
      type: int
"""

from ansible_collections.oob.amt.plugins.module_utils.connection import amt_argument_spec
from ansible_collections.oob.amt.plugins.module_utils.module import AmtModule
from ansible_collections.oob.amt.plugins.module_utils.units import audit_policy


def main():
    module = AmtModule(
        amt_argument_spec(
            state={"type": "str", "choices": ["enabled", "disabled"], "default": "enabled"},
            events={"type": "raw"},
            critical_events={"type": "raw"},
            append={"type": "bool", "default": False},
            storage_policy={"type": "str", "choices": sorted(audit_policy.STORAGE_POLICY)},
            min_days_to_keep={"type": "int"},
        ),
        supports_check_mode=True,
    )
    module.converge(audit_policy.AuditPolicy)


if __name__ == "__main__":
    main()
