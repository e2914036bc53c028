#!/usr/bin/python
# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: amt_provision
short_description: Activate Intel AMT on the managed machine in client or admin control mode
description:
  - Activates Intel AMT host-based, the way Intel's own tools do it today. The module runs on the managed machine itself
    (with C(become)), reads the device's state and the local system account from the management engine interface (MEI,
    O(mei_device)) and talks WS-Management to the local manageability service (LMS) at O(lms_hostname).
  - O(control_mode=ccm) calls C(IPS_HostBasedSetupService.Setup). O(control_mode=acm) sends the provisioning certificate's
    chain with C(AddNextCertInChain) and calls C(AdminSetup) signed with the certificate's key, then sets the MEBx password.
  - From AMT 19 the local interface accepts only TLS. CCM then ends with C(CommitChanges) by the new admin, and ACM takes the
    host-based TLS path, without C(AdminSetup). The management engine is given the provisioning certificate's hash
    (C(StartConfigurationHBased)) and names its own TLS certificate, which the module pins. Then, in a mutual TLS session where the
    provisioning certificate is the client certificate, C(SetAdminAclEntryEx), C(SetMEBxPassword) and C(CommitChanges) finish the activation.
  - A device in CCM is upgraded to ACM with C(UpgradeClientToAdmin) when O(control_mode=acm) and it accepts O(admin_password).
  - Checks before acting and explains a refusal by its cause. Causes include a root certificate the device does not trust, a
    PKCS#12 without its key, a broken chain, a DNS suffix mismatch, a device already provisioned in another mode, AMT disabled
    in the BIOS, and an LMS that does not answer.
  - A device left in the C(in) provisioning state by an interrupted attempt is returned to pre-provisioning with
    C(StopConfiguration) and activated again.
  - A device already in the requested mode whose admin account accepts O(admin_password) is left unchanged. The module never
    replaces an existing admin password; use M(oob.amt.amt_password) for that.
version_added: 0.1.0
author:
  - oob.amt contributors (@oob-amt)
extends_documentation_fragment:
  - oob.amt.connection
  - oob.amt.attributes
options:
  control_mode:
    description:
      - V(ccm) (client control mode) needs no certificate. Some features then ask for user consent.
      - V(acm) (admin control mode) needs a provisioning certificate whose root the device trusts and whose name matches the
        device's provisioning DNS suffix.
    type: str
    choices: [ccm, acm]
    required: true
  admin_password:
    description:
      - Password of the AMT C(admin) account after activation. It must follow AMT's rule, which is checked before anything is sent.
        The rule asks for 8 to 32 printable ASCII characters without C(:), C(,) or C("), with a digit, a lower-case
        letter, an upper-case letter and a special character other than C(_) and space.
      - On a device that is already provisioned, the password the admin account must accept for the task to succeed.
    type: str
    required: true
  mebx_password:
    description:
      - New MEBx (BIOS extension) password, set during ACM activation only. It follows the same rule as O(admin_password).
      - Not applicable in CCM, where the firmware blocks it. The module then warns and reports RV(mebx_password=not_applicable).
      - The firmware cannot be asked for it, so a device already in ACM keeps its MEBx password.
      - From AMT 19 the firmware refuses to finish ACM activation until the MEBx password was changed once. Set it there.
    type: str
  provisioning_cert:
    description:
      - PKCS#12 file with the provisioning certificate, its private key and its chain, for O(control_mode=acm).
      - Mutually exclusive with O(provisioning_cert_content).
    type: path
  provisioning_cert_content:
    description:
      - The same PKCS#12 as base64 text, for example from a vault.
    type: str
  provisioning_cert_password:
    description:
      - Password of the PKCS#12.
    type: str
  mei_device:
    description:
      - The management engine interface. A Unix socket path is accepted too, as the amtsim simulator offers one per device.
    type: path
    default: /dev/mei0
  lms_hostname:
    description:
      - Address of the local manageability service. Port 16992 (HTTP) is used, or 16993 (TLS) where the firmware enforces TLS on
        its local ports.
      - On a device in pre-provisioning the module waits up to 90 seconds (or O(timeout), if longer) for the LMS port to
        accept, because a device unprovisioned shortly before keeps its interfaces closed for about a minute while its
        firmware restarts.
    type: str
    default: localhost
notes:
  - Of the shared connection options, this module uses O(validate_certs), O(ca_path) and O(cert_fingerprint) for TLS to the LMS.
    They apply from AMT 19, except for ACM activation there, which pins the certificate the management engine names. It also
    uses O(timeout), and O(expected_uuid), which is compared with the UUID the management engine reports before anything is
    changed. O(hostname), O(port), O(username), O(password), O(use_tls), O(client_cert) and O(client_key) are not used. The module
    logs in with the local system account the management engine hands out, and as C(admin) with O(admin_password).
  - Check mode reads the device over the MEI and, where it can without a change, over the LMS. It reports what a real run would
    change and sends nothing that changes the device.
  - With O(control_mode=acm) on AMT 19 and later, the key of the provisioning certificate is written for the duration of the
    run to a private temporary file (mode 0600), because the TLS library loads client keys only from files.
  - Which account the firmware expects in the AMT 19 mutual TLS session is UNCONFIRMED on hardware. This module uses the local
    system account, while rpc-go logs in as C(admin) with the new password.
requirements:
  - cryptography (for O(control_mode=acm))
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
"""

EXAMPLES = r"""
- name: Activate AMT in admin control mode on every new machine
  hosts: new_workstations
  become: true
  module_defaults:
    group/oob.amt.amt:
      ca_path: /etc/pki/amt/ca.pem
      expected_uuid: "{{ amt_uuid }}"
  tasks:
    - name: Activate in ACM with the company's provisioning certificate
      oob.amt.amt_provision:
        control_mode: acm
        admin_password: "{{ vault_amt_admin_password }}"
        mebx_password: "{{ vault_amt_mebx_password }}"
        provisioning_cert_content: "{{ vault_amt_provisioning_p12_base64 }}"
        provisioning_cert_password: "{{ vault_amt_provisioning_p12_password }}"
      register: activation

    - name: Record the device
      ansible.builtin.debug:
        msg: "{{ activation.uuid }} is in {{ activation.control_mode }} (firmware {{ activation.firmware_version }})"

- name: Activate AMT on machines without a provisioning certificate
  hosts: new_workstations_ccm
  tasks:
    - name: Activate in client control mode where no provisioning certificate is available
      oob.amt.amt_provision:
        control_mode: ccm
        admin_password: "{{ vault_amt_admin_password }}"
      become: true
"""

RETURN = r"""
actions:
  description: The activation steps made (after a failure, those that reached the device or may have), or in check mode the step a real run would take.
  returned: always
  type: list
  elements: str
  sample: ["activate AMT in CCM (Setup)"]
writes:
  description:
    - Each write sent over the MEI or the local interface, in order, with V(confirmed) (acknowledged;
      RV(writes[].verified) whether the management engine then reported the expected control mode), V(unconfirmed)
      (its answer was lost) or V(refused).
  returned: always
  type: list
  elements: dict
  sample: [{"action": "activate AMT in CCM (Setup)", "status": "confirmed", "verified": true}]
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
control_mode:
  description: The control mode after the run (in check mode, the mode a real run would reach).
  returned: success
  type: str
  sample: acm
uuid:
  description: The device UUID as the management engine reports it, 8-4-4-4-12 lower case.
  returned: success
  type: str
digest_realm:
  description: The device's HTTP Digest realm, needed to compute password hashes.
  returned: when the module logged in to the LMS (always, except in check mode on a device that cannot be read without a change)
  type: str
  sample: Digest:3F6C2D6B6B0A4F1C9F7E1C2B3A4D5E6F
firmware_version:
  description: The AMT firmware version, M.m.h.b.
  returned: success
  type: str
  sample: 16.1.27.2176
local_tls_enforced:
  description: Whether the firmware accepts only TLS on its local ports (AMT 19 and later).
  returned: success
  type: bool
mebx_password:
  description:
    - V(set) when this run set (or in check mode would set) it, V(not_set) when ACM was activated without O(mebx_password),
      V(unchanged) for a device already in ACM, V(not_applicable) in CCM.
  returned: success
  type: str
error:
  description: Machine-readable kind of the failure, for example V(invalid_input), V(not_permitted), V(authentication), V(unreachable), V(tls) or V(mei).
  returned: failure
  type: str
"""

import traceback

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.oob.amt.plugins.module_utils.amt.mei import DEFAULT_DEVICE, MeiClient
from ansible_collections.oob.amt.plugins.module_utils.connection import amt_argument_spec
from ansible_collections.oob.amt.plugins.module_utils.module import AmtModule
from ansible_collections.oob.amt.plugins.module_utils.units import provisioning as unit
from ansible_collections.oob.amt.plugins.module_utils.units import provisioning_cert
from ansible_collections.oob.amt.plugins.module_utils.wsman.errors import InvalidInputError

try:
    import cryptography  # pylint: disable=unused-import
    CRYPTOGRAPHY_IMPORT_ERROR = None
except ImportError:
    CRYPTOGRAPHY_IMPORT_ERROR = traceback.format_exc()


def main():
    module = AmtModule(
        argument_spec=amt_argument_spec(
            control_mode=dict(type="str", choices=list(unit.MODES), required=True),
            admin_password=dict(type="str", no_log=True, required=True),
            mebx_password=dict(type="str", no_log=True),
            provisioning_cert=dict(type="path"),
            provisioning_cert_content=dict(type="str", no_log=True),
            provisioning_cert_password=dict(type="str", no_log=True),
            mei_device=dict(type="path", default=DEFAULT_DEVICE),
            lms_hostname=dict(type="str", default="localhost"),
        ),
        mutually_exclusive=[("provisioning_cert", "provisioning_cert_content")],
    )
    module.run_procedure("provisioning", provision)


def _certificate(module):
    params = module.params
    if params["control_mode"] != unit.ACM:
        return None
    if CRYPTOGRAPHY_IMPORT_ERROR is not None:
        module.ansible_module.fail_json(msg=missing_required_lib("cryptography"), exception=CRYPTOGRAPHY_IMPORT_ERROR)
    if params["provisioning_cert"]:
        try:
            with open(params["provisioning_cert"], "rb") as handle:
                data = handle.read()
        except OSError as error:
            raise InvalidInputError("provisioning_cert: cannot be read: %s" % (error.strerror or error)) from None
    else:
        data = provisioning_cert.decode_content(params["provisioning_cert_content"])
    return provisioning_cert.load(data, params["provisioning_cert_password"])


def provision(module, outcome):
    params = module.params
    has_certificate = bool(params["provisioning_cert"] or params["provisioning_cert_content"])
    for warning in unit.validate(params["control_mode"], params["admin_password"], params["mebx_password"], has_certificate,
                                 mei_device=params["mei_device"], lms_hostname=params["lms_hostname"]):
        module.warn(warning)
    request = unit.ProvisionRequest(params["control_mode"], params["admin_password"],
                                    params["mebx_password"] if params["control_mode"] == unit.ACM else None, _certificate(module))

    def local_interface(tls):
        return unit.LocalInterface(params["lms_hostname"].strip(), tls, validate_certs=params["validate_certs"], ca_path=params["ca_path"],
                                   cert_fingerprint=params["cert_fingerprint"], timeout=params["timeout"],
                                   workdir=module.ansible_module.tmpdir)

    provisioner = unit.Provisioner(MeiClient(params["mei_device"], timeout=params["timeout"]), local_interface, request, outcome,
                                   expected_uuid=params["expected_uuid"])
    provisioner.run()


if __name__ == "__main__":
    main()
