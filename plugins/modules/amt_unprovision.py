#!/usr/bin/python
# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: amt_unprovision
short_description: Take an Intel AMT device out of management when a machine is decommissioned
description:
  - Reads what an asset register needs while the device still answers (UUID, firmware version, control mode, host and
    domain name, DNS suffix, the device's own clock, time of the reading), returns it in RV(asset), then unprovisions
    the device.
  - O(mode=full) calls C(AMT_SetupAndConfigurationService.Unprovision) and returns the device to factory settings.
    O(mode=partial) calls C(PartialUnprovision), which keeps the admin account, TLS pre-shared keys, host and domain name
    and the provisioning server address.
  - Verifies the result. Over the network, the device's WS-Man port must stop answering within O(verify_timeout)
    (or, if it still answers, read as not provisioned). On the host, the firmware must report the pre-provisioning state.
  - Names what blocks unprovisioning instead of returning a bare code. On firmware before 12.0 in admin control mode, an
    Auditor account that has not allowed unprovisioning blocks it.
  - On such a device, with O(auditor_username) and O(auditor_password), the module first signs in as the Auditor in a
    session of its own and calls C(AMT_AuditLog.SetAuditLock) with Flag 1 (UNPROVISIONING_LOCK) and a 60 second timeout,
    which allows unprovisioning, then unprovisions as the admin. Without them the device refuses, and the error names
    the Auditor accounts and these two options.
  - Warns about what survives on real firmware, listed in RV(survives). The MEBx password always survives. From release 12
    the DNS suffix for remote configuration survives too.
  - An already unprovisioned device is left unchanged. Over the network, the module knows a device is already unprovisioned
    only if it answers and reads as not provisioned. A device that does not answer fails the task, because it may simply be
    switched off, unless O(assume_unprovisioned_if_unreachable=true). With O(transport=local), the firmware reports its state
    itself, which is proof.
version_added: 0.1.0
author:
  - oob.amt contributors (@oob-amt)
extends_documentation_fragment:
  - oob.amt.connection
  - oob.amt.attributes
options:
  mode:
    description:
      - V(full) returns the device to factory settings. V(partial) keeps the admin account and the network identity (see above).
    type: str
    choices: [full, partial]
    default: full
  transport:
    description:
      - V(network) uses WS-Management with the admin credentials (O(hostname), O(username), O(password)).
      - V(local) runs on the managed machine itself and uses the host interface (MEI) at O(mei_device), without a
        password. The firmware allows this only in client control mode (CCM) and only as a full unprovision. The
        connection options are then not used, except O(expected_uuid).
    type: str
    choices: [network, local]
    default: network
  mei_device:
    description:
      - Path of the host interface used with O(transport=local).
    type: path
    default: /dev/mei0
  assume_unprovisioned_if_unreachable:
    description:
      - With O(transport=network), treat a device whose WS-Man port does not answer as already unprovisioned and report
        it unchanged, with RV(verified=false), instead of failing.
      - Use it only when every device of the play is known to be switched on, since a device that is off answers no more than
        an unprovisioned one. O(expected_uuid) cannot be checked on a device that does not answer.
    type: bool
    default: false
  verify_timeout:
    description:
      - Seconds to wait after the call for the WS-Man port to close (network) or for the firmware to report the
        pre-provisioning state (local). V(0) checks once.
    type: int
    default: 60
  auditor_username:
    description:
      - The Auditor account (the one holding the Audit Log realm) that allows unprovisioning on firmware before 12.0 in
        admin control mode, where the device has an Auditor account. Used only there; ignored on other devices.
      - Needs O(auditor_password). Only with O(transport=network).
      - The Auditor's session does not re-read the UUID (the Auditor may not), the admin's session of the same run has
        checked O(expected_uuid) before.
    type: str
  auditor_password:
    description:
      - The password of O(auditor_username). Never returned or logged.
    type: str
notes:
  - Check mode reads the device and reports whether it would be unprovisioned, and whether the Auditor would first allow it
    (in RV(actions)), without sending either call.
  - After a full unprovision the device answers on the network only after it is provisioned again.
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
"""

EXAMPLES = r"""
- name: Decommission AMT on retired machines
  hosts: retired_amt
  gather_facts: false
  module_defaults:
    group/oob.amt.amt:
      hostname: "{{ amt_hostname }}"
      username: "{{ amt_username }}"
      password: "{{ amt_password }}"
      ca_path: "{{ amt_ca_path }}"
      expected_uuid: "{{ amt_uuid }}"
  tasks:
    - name: Unprovision and keep the asset record
      oob.amt.amt_unprovision:
        mode: full
      register: decommission
      delegate_to: localhost
      notify: Record the device in the asset register
  handlers:
    - name: Record the device in the asset register
      ansible.builtin.lineinfile:
        path: /srv/assets/amt-decommissioned.csv
        line: "{{ decommission.asset.uuid }},{{ decommission.asset.firmware_version }},{{ decommission.asset.recorded_at }}"
        create: true
        mode: "0640"
      delegate_to: localhost

- name: Unprovision AMT from the machines themselves
  hosts: retired_ccm
  tasks:
    - name: Unprovision a CCM device from the machine itself, without the AMT password
      oob.amt.amt_unprovision:
        transport: local
        expected_uuid: "{{ amt_uuid }}"
      become: true

- name: Unprovision ACM devices on firmware 11 that have an Auditor account
  hosts: retired_acm_11
  gather_facts: false
  tasks:
    - name: Unprovision with the Auditor's consent
      oob.amt.amt_unprovision:
        hostname: "{{ amt_hostname }}"
        username: admin
        password: "{{ vault_amt_password }}"
        expected_uuid: "{{ amt_uuid }}"
        auditor_username: "{{ amt_auditor_username }}"
        auditor_password: "{{ vault_amt_auditor_password }}"
      delegate_to: localhost
"""

RETURN = r"""
actions:
  description:
    - The calls sent (after a failure, those that reached the device or may have), or in check mode those a real run would send.
    - The Auditor's consent comes first where the module gives it (O(auditor_username)).
  returned: always
  type: list
  elements: str
  sample: ["allow unprovisioning as the Auditor 'auditor' (AMT_AuditLog.SetAuditLock, Flag 1 UNPROVISIONING_LOCK, 60 s)",
           "unprovision (full)"]
writes:
  description:
    - The writes sent, with V(confirmed) (acknowledged; RV(writes[].verified) whether the device was then seen unprovisioned),
      V(unconfirmed) or V(refused) (the device refused it, or a lost answer was followed by a read-back showing it provisioned).
    - The Auditor's consent, when given, is the first; it cannot be read back, so its RV(writes[].verified) is null.
  returned: always
  type: list
  elements: dict
  sample: [{"action": "unprovision (full)", "status": "confirmed", "verified": true}]
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
asset:
  description:
    - What the device reported before it was unprovisioned (or, when unchanged, as it is now).
    - Returned after a failure too, so that the record of the device is kept whatever happened.
  returned: when the device could be read
  type: dict
  contains:
    uuid:
      description: The device UUID, 8-4-4-4-12 lower case.
      type: str
    firmware_version:
      description: The AMT firmware version M.m.h.b.
      type: str
      sample: 16.1.27.2176
    control_mode:
      description: V(acm), V(ccm) or V(none), before the change.
      type: str
    provisioning_state:
      description: V(post), V(in) or V(pre), before the change.
      type: str
    host_name:
      description: AMT host name (network transport only).
      type: str
    domain_name:
      description: AMT domain name (network transport only).
      type: str
    dns_suffix:
      description: The DNS suffix for remote configuration, if any.
      type: str
    device_time:
      description:
        - The device's own clock when it was read, UTC, ISO 8601, from
          C(AMT_TimeSynchronizationService.GetLowAccuracyTimeSynch) (network transport only).
        - Compare it with RV(asset.recorded_at) to see how far the device's clock was off, for instance to line up its
          audit log records, whose time stamps come from this clock.
      type: str
      sample: "2025-03-01T10:15:30+00:00"
    recorded_at:
      description: When the controller read these values, UTC, ISO 8601.
      type: str
verified:
  description: Whether the unprovisioned state was verified; false when assumed from an unreachable device and in check mode.
  returned: success
  type: bool
evidence:
  description: What shows the device is unprovisioned.
  returned: success
  type: str
  sample: WS-Man port 16993 closed
survives:
  description: What stays on the device after unprovisioning on real firmware.
  returned: when the device is or would be unprovisioned by this run
  type: list
  elements: str
  sample: [mebx_password, dns_suffix]
error:
  description: Machine-readable kind of the failure.
  returned: failure
  type: str
  sample: not_permitted
"""

from ansible_collections.oob.amt.plugins.module_utils.amt.mei import MeiClient
from ansible_collections.oob.amt.plugins.module_utils.connection import amt_argument_spec
from ansible_collections.oob.amt.plugins.module_utils.module import AmtModule
from ansible_collections.oob.amt.plugins.module_utils.units import unprovision as unit


def main():
    module = AmtModule(argument_spec=amt_argument_spec(
        mode=dict(type="str", choices=[unit.MODE_FULL, unit.MODE_PARTIAL], default=unit.MODE_FULL),
        transport=dict(type="str", choices=[unit.TRANSPORT_NETWORK, unit.TRANSPORT_LOCAL], default=unit.TRANSPORT_NETWORK),
        mei_device=dict(type="path", default="/dev/mei0"),
        assume_unprovisioned_if_unreachable=dict(type="bool", default=False),
        verify_timeout=dict(type="int", default=60),
        auditor_username=dict(type="str"),
        auditor_password=dict(type="str", no_log=True),
    ))
    module.run_procedure("unprovisioning", unprovision)


def _plan(module, outcome, request, asset, consent_first=False):
    """Record what the run does (asset first, so that a failure still returns it); False when the device is already pre."""
    outcome.extra["asset"] = asset
    if asset["provisioning_state"] == "pre":
        outcome.extra.update(verified=True, evidence=(
            "ProvisioningState reads pre" if request.transport == unit.TRANSPORT_NETWORK
            else "the firmware reports the pre-provisioning state over MEI"))
        return False
    kept = unit.survivors(request.mode, unit.firmware_major(asset["firmware_version"]))
    for warning in unit.survivor_warnings(kept):
        module.warn(warning)
    outcome.extra["survives"] = kept
    outcome.planned = ([unit.auditor_consent_summary(request.auditor_username)] if consent_first else []) + [unit.summary(request.mode)]
    outcome.diff = {"before": {"provisioning_state": asset["provisioning_state"], "control_mode": asset["control_mode"]},
                    "after": {"provisioning_state": "pre", "control_mode": "none"}}
    if module.check_mode:
        outcome.extra.update(verified=False, evidence="check mode: not sent")
    return not module.check_mode


def unprovision(module, outcome):
    params = module.params
    request = unit.UnprovisionRequest(mode=params["mode"], transport=params["transport"],
                                      assume_unprovisioned_if_unreachable=params["assume_unprovisioned_if_unreachable"],
                                      verify_timeout=params["verify_timeout"], mei_device=params["mei_device"],
                                      auditor_username=params["auditor_username"], auditor_password=params["auditor_password"])
    unit.validate(request)
    if request.transport == unit.TRANSPORT_LOCAL:
        _unprovision_locally(module, outcome, request)
    else:
        _unprovision_over_network(module, outcome, request)


def _unprovision_over_network(module, outcome, request):
    job = unit.NetworkUnprovision(module.hostname, module.params["port"], lambda: module.client, request)
    answers, why = job.reachable()
    if not answers:
        evidence = job.unreachable_outcome(why)
        module.warn("%s: recorded as unprovisioned without verification (assume_unprovisioned_if_unreachable)" % evidence["evidence"])
        outcome.extra.update(evidence)
        return
    asset = job.read()
    blockers = job.blocking_auditors(asset) if asset["provisioning_state"] != "pre" else []
    consent_first = bool(blockers) and request.auditor_username is not None
    if blockers and not consent_first and module.check_mode:
        module.warn(unit.auditor_check_mode_warning(blockers))
    if _plan(module, outcome, request, asset, consent_first):
        if consent_first:
            _give_auditor_consent(module, outcome, request)
        outcome.extra.update(job.apply(asset, blockers, outcome))


def _give_auditor_consent(module, outcome, request):
    # The admin's session of this run has confirmed the UUID; the Auditor may not read it.
    auditor = module.connect(username=request.auditor_username, password=request.auditor_password, identity_confirmed=True)
    try:
        unit.give_auditor_consent(auditor, request.auditor_username, outcome)
    finally:
        auditor.close()


def _unprovision_locally(module, outcome, request):
    job = unit.LocalUnprovision(MeiClient(module.params["mei_device"]), request, expected_uuid=module.params["expected_uuid"])
    asset = job.read()
    if asset["provisioning_state"] != "pre":
        job.refuse_mode(asset)
    if _plan(module, outcome, request, asset):
        outcome.extra.update(job.apply(outcome))


if __name__ == "__main__":
    main()
