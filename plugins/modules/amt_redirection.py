#!/usr/bin/python
# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: amt_redirection
short_description: Switch Intel AMT's SOL, IDE-R, KVM, redirection listener and VNC port, and set the user-consent policy
description:
  - Switches Serial over LAN and IDE-R/USB-R (C(AMT_RedirectionService.RequestStateChange)), KVM
    (C(CIM_KVMRedirectionSAP.RequestStateChange)) and the redirection listener on ports 16994/16995 (C(ListenerEnabled)).
  - Opens or closes the native VNC port 5900 and sets the KVM session timeout (C(IPS_KVMRedirectionSettingData)).
  - Sets which sessions need the user's consent and the consent timeouts (C(IPS_OptInService)).
  - Options left out are left as they are.
  - What the device does not let a console change is not sent and not pretended. It is listed in RV(not_applicable), with
    a warning, and the task does not fail for it. In client control mode (CCM) consent is always required for everything
    and its display timeout is fixed (V(not applicable in CCM)). The MEBx may forbid changing the consent policy remotely.
    KVM switched off in the MEBx can be switched on only there. Standard Manageability devices have no KVM.
version_added: 0.1.0
author:
  - oob.amt contributors (@oob-amt)
extends_documentation_fragment:
  - oob.amt.connection
  - oob.amt.attributes
options:
  sol:
    description:
      - Serial over LAN on or off.
    type: bool
  ider:
    description:
      - IDE redirection (USB-R on newer firmware) on or off. It lets a console boot the machine from its own disk image.
    type: bool
  kvm:
    description:
      - KVM (remote keyboard, video and mouse) on or off.
    type: bool
  listener:
    description:
      - The redirection listener on ports 16994/16995, which SOL, IDE-R and KVM sessions connect to.
      - Intel's tools switch it on when any of O(sol), O(ider) or O(kvm) is on, and off otherwise.
    type: bool
  vnc_port_5900:
    description:
      - The native VNC (RFB) port 5900, which authenticates with one 8-character password outside AMT's accounts.
      - Opening it needs O(rfb_password).
    type: bool
  rfb_password:
    description:
      - The VNC password written when the task opens port 5900 (O(vnc_port_5900=true) on a device where it is closed).
        The device never shows it, so it is not written again while the port stays open.
      - Exactly 8 printable ASCII characters, with a lower-case letter, an upper-case letter, a digit and a special character.
    type: str
  kvm_session_timeout:
    description:
      - Minutes after which an idle KVM session ends, 0 to 255; 0 means never.
    type: int
  user_consent:
    description:
      - Which sessions need the user to read out a code shown on the machine's screen. V(all) covers KVM, IDE-R and boot
        option changes; V(kvm) only KVM; V(none) nothing.
      - Fixed to V(all) in CCM. Settable in admin control mode (ACM) when the MEBx allows it.
    type: str
    choices: [none, kvm, all]
  consent_display_timeout:
    description:
      - Seconds the consent code stays on the screen, 10 to 4095. Fixed in CCM.
    type: int
  consent_code_timeout:
    description:
      - Seconds a consent code stays valid, 60 to 900.
    type: int
notes:
  - The user account needs the Redirection realm for SOL, IDE-R, KVM and the listener, and PT Administration for the
    consent policy; the admin account holds both.
  - The ranges of the timeouts and the RFB password rule come from Intel's class descriptions and tools. They have not been
    checked on hardware.
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
"""

EXAMPLES = r"""
- name: Redirection hardening for an AMT fleet
  hosts: amt
  gather_facts: false
  module_defaults:
    group/oob.amt.amt:
      hostname: "{{ amt_hostname }}"
      password: "{{ vault_amt_password }}"
      ca_path: "{{ amt_ca_path }}"
  tasks:
    - name: Everything off except KVM with consent, port 5900 closed
      oob.amt.amt_redirection:
        sol: false
        ider: false
        kvm: true
        listener: true
        vnc_port_5900: false
        kvm_session_timeout: 30
        user_consent: all
        consent_display_timeout: 300
      delegate_to: localhost
      register: redirection

    - name: Show what the device did not let change (CCM devices keep their consent policy)
      ansible.builtin.debug:
        var: redirection.not_applicable
      when: redirection.not_applicable | length > 0

- name: Give amt_info's reading back to amt_redirection (changes nothing)
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Read the redirection subset
      oob.amt.amt_info:
        hostname: 192.0.2.10
        password: "{{ vault_amt_password }}"
        ca_path: /etc/pki/amt-ca.pem
        gather_subset: [redirection]
      register: read

    - name: Give back what amt_info read
      oob.amt.amt_redirection:
        hostname: 192.0.2.10
        password: "{{ vault_amt_password }}"
        ca_path: /etc/pki/amt-ca.pem
        sol: "{{ read.amt.redirection.sol }}"
        ider: "{{ read.amt.redirection.ider }}"
        listener: "{{ read.amt.redirection.listener }}"
        kvm: "{{ read.amt.redirection.kvm }}"
        user_consent: "{{ read.amt.redirection.user_consent }}"
"""

RETURN = r"""
actions:
  description:
    - The changes made, or in check mode the changes a real run would make, in order.
    - After a failure, the changes that reached the device or may have; RV(writes) tells which.
  returned: always
  type: list
  elements: str
  sample: ["turn SOL off and IDE-R off", "turn the redirection listener (16994/16995) off"]
writes:
  description:
    - Each write sent to the device, in order, with what is known of it.
    - V(confirmed) the device acknowledged it (C(verified) whether reading back showed it);
      V(unconfirmed) its answer was lost and it may or may not be on the device (the result then has C(indeterminate=true));
      V(refused) the device answered with an error, or did not take it.
  returned: always
  type: list
  elements: dict
  sample: [{"action": "turn KVM off", "status": "confirmed", "verified": true}]
not_applicable:
  description:
    - The options the device does not let a console change, which were therefore not sent. Each has C(option), C(wanted),
      C(device) (the value the device keeps) and C(reason), for example V(not applicable in CCM).
  returned: success
  type: list
  elements: dict
  sample: [{"option": "user_consent", "wanted": "kvm", "device": "all",
            "reason": "not applicable in CCM: client control mode fixes it (consent is always required for everything)"}]
redirection:
  description:
    - The device's settings after the task, with the names and values of this module's options, so that RV(redirection)
      (or C(amt_info)'s C(amt.redirection)) can be given back to this module unchanged.
    - RV(redirection.kvm_supported), RV(redirection.kvm_enabled_in_mebx) and RV(redirection.consent_policy_changeable) are
      what the device decides alone, not options.
  returned: success
  type: dict
  contains:
    sol:
      description: Serial over LAN on.
      type: bool
    ider:
      description: IDE-R / USB-R on.
      type: bool
    listener:
      description: The redirection listener (ports 16994/16995) on.
      type: bool
    kvm:
      description: KVM on; null on a device without KVM.
      type: bool
    vnc_port_5900:
      description: The native VNC port 5900 open; null on a device without KVM.
      type: bool
    kvm_session_timeout:
      description: KVM session timeout in minutes (0 never); null on a device without KVM.
      type: int
    user_consent:
      description: V(none), V(kvm) or V(all).
      type: str
    consent_display_timeout:
      description: Seconds the consent code is shown.
      type: int
    consent_code_timeout:
      description: Seconds a consent code is valid.
      type: int
    rfb_password:
      description: C(******** (written)) when this task wrote the VNC password; otherwise absent.
      type: str
    kvm_supported:
      description: Whether the device has KVM (Standard Manageability devices have none). Not an option.
      type: bool
    kvm_enabled_in_mebx:
      description: Whether the MEBx allows KVM; V(false) means KVM is disabled in the MEBx. Null without KVM. Not an option.
      type: bool
    consent_policy_changeable:
      description: Whether the device lets a console change the consent policy (C(CanModifyOptInPolicy)). Not an option.
      type: bool
"""

from ansible_collections.oob.amt.plugins.module_utils.connection import amt_argument_spec
from ansible_collections.oob.amt.plugins.module_utils.module import AmtModule
from ansible_collections.oob.amt.plugins.module_utils.units import redirection
from ansible_collections.oob.amt.plugins.module_utils.units.base import converge


def configure(module):
    unit = redirection.Redirection(module.params)
    outcome = converge(unit, module.client, module.check_mode)
    for entry in unit.not_applicable:
        module.warn("%s was left at %s: %s" % (entry["option"], entry["device"], entry["reason"]))
    outcome.extra["not_applicable"] = unit.not_applicable
    module.finish(outcome)


def main():
    module = AmtModule(
        amt_argument_spec(
            sol={"type": "bool"},
            ider={"type": "bool"},
            kvm={"type": "bool"},
            listener={"type": "bool"},
            vnc_port_5900={"type": "bool"},
            rfb_password={"type": "str", "no_log": True},
            kvm_session_timeout={"type": "int"},
            user_consent={"type": "str", "choices": sorted(redirection.USER_CONSENT)},
            consent_display_timeout={"type": "int"},
            consent_code_timeout={"type": "int"},
        ),
        supports_check_mode=True,
    )
    module.run(configure)


if __name__ == "__main__":
    main()
