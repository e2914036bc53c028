#!/usr/bin/python
# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: amt_baseline
short_description: Judge and enforce the Intel AMT hardening baseline on one device in one run
description:
  - Settles every control of the collection's hardening catalog (C(docs/hardening-controls.md), control ids such as
    C(AMT-TLS-01)) on one device, over one connection, and reports each control's status.
  - "Enforced controls are changed through the same code as the per-control modules (M(oob.amt.amt_redirection),
    M(oob.amt.amt_audit_policy), M(oob.amt.amt_user), M(oob.amt.amt_wifi_profile), M(oob.amt.amt_general),
    M(oob.amt.amt_cira), M(oob.amt.amt_tls)), with each control's settings in that module's option names. Each class is
    read once per run."
  - Observed controls (C(AMT-FW-01) firmware advisories, C(AMT-PROV-01), C(AMT-PROV-02), C(AMT-MEBX-01), C(AMT-ACCT-01),
    C(AMT-AUTH-01), C(AMT-AUTH-02), C(AMT-WIFI-03), C(AMT-RPROV-01), C(AMT-CIRA-02)) are judged as M(oob.amt.amt_info)'s findings judge
    them; nothing over WS-Man changes them.
  - Manual controls (C(AMT-MEBX-02), C(AMT-MEBX-03), C(AMT-ACCT-02), C(AMT-AUD-05), C(AMT-WIFI-02), C(AMT-FW-02),
    C(AMT-NET-01)) are reported with status V(manual) and what to do.
  - "The accounts controls C(AMT-ACCT-03) (realms, unknown accounts) and C(AMT-ACCT-04) (access) need the site's list of
    allowed accounts. Without it, accounts besides the admin and the Auditor are listed with status V(manual);
    on a device that has no such account both are V(compliant). With the list, C(AMT-ACCT-03) creates the missing accounts, sets each one's realms and,
    with C(purge), removes the accounts not listed. C(AMT-ACCT-04) sets each listed account's access. Both run after
    C(AMT-AUD-01), and neither ever changes the admin, the firmware's C($$) system accounts or the Auditor (the account
    that holds the audit_log realm, and the one C(AMT-AUD-01) names), whatever the list says."
  - Controls that need the site's data are only observed until it is given (their reason names the settings). These are
    C(AMT-TLS-01) (a CA; without one a certificate already in use is kept), C(AMT-AUD-01) (the auditor), C(AMT-WIFI-04)
    (the allowed profiles), C(AMT-CIRA-01) (the MPS servers), C(AMT-CIRA-03) (policies), C(AMT-ENV-01) (intranet
    domains). C(AMT-TLS-03) (mutual TLS) is optional and judged only when required.
  - TLS is changed last, after every other write. Then C(CommitChanges) is sent once, and the device is reached again
    over TLS and verified, as M(oob.amt.amt_tls) does. RV(tls) then says how later tasks must connect.
  - A control that fails does not stop the others. A lost connection does; every control still to be read or changed
    is V(failed) with error kind V(unreachable). Observed and manual controls are still judged from what was read before.
  - A device that was never provisioned keeps its network interface closed. Run the module against its local (LMS)
    address; it then reports C(AMT-PROV-01) drifted and the controls that need a provisioned device V(not_applicable).
  - "Settings per control (O(baseline)), with their defaults; every control also takes C(enforce) (default V(true)).
    C(AMT-ACCT-03): C(accounts) (the allowed accounts besides the admin, each with C(name) or C(kerberos_sid),
    C(realms) and C(access=network), as M(oob.amt.amt_user)'s option of that name takes them; no default, and V([])
    allows none), C(purge=true) (remove the accounts not listed). Creating a digest account needs its password in
    O(secrets) C(account_passwords); the password of an existing account is write-only and never judged or written.
    C(AMT-ACCT-04): none (the C(access) of the accounts C(AMT-ACCT-03) lists).
    C(AMT-AUD-01): C(name) or C(kerberos_sid) of the auditor account, C(access=network); the password comes from
    O(secrets) C(auditor_password).
    C(AMT-AUD-02): C(state=enabled).
    C(AMT-AUD-03): C(events) (every event of security_admin, remote_control, redirection_manager,
    firmware_update_manager, security_audit_log, wireless_configuration, kvm and user_opt_in), C(critical_events),
    C(append=true).
    C(AMT-AUD-04): C(storage_policy=restricted_rollover), C(min_days_to_keep=30).
    C(AMT-TLS-01): C(server_certificate) (common_name, subject_alt_names, key_length, validity_days,
    renew_before_days as in M(oob.amt.amt_tls)), C(issuer_certificate), C(restart_timeout=180); the issuer's key comes
    from O(secrets) C(tls_ca_key) (and C(tls_ca_key_passphrase)).
    C(AMT-TLS-02): C(accept_non_secure_connections=false).
    C(AMT-TLS-03): C(mutual_authentication=false), C(trusted_root_certificates=[]), C(trusted_cn=[]).
    C(AMT-TLS-04): C(local_tls=true), C(local_accept_non_secure_connections=false).
    C(AMT-REDIR-01): C(sol=false), C(ider=false), C(listener) (default off unless SOL, IDE-R or KVM is wanted).
    C(AMT-REDIR-02): C(kvm=false).
    C(AMT-REDIR-03): C(user_consent=all), C(consent_display_timeout), C(consent_code_timeout).
    C(AMT-REDIR-04): C(vnc_port_5900=false); opening it needs O(secrets) C(rfb_password).
    C(AMT-WIFI-01): none (open and WEP profiles are removed).
    C(AMT-WIFI-04): C(allowed_profiles) (profile names; the others are removed).
    C(AMT-WIFI-05): C(local_profile_sync=off), C(uefi_profile_share).
    C(AMT-WEB-01): C(web_ui_enabled=false).
    C(AMT-CIRA-01): C(servers) (address, port, cn, username, certificate as in M(oob.amt.amt_cira); servers not listed
    are removed), C(mps_root_certificate); passwords come from O(secrets) C(mps_passwords).
    C(AMT-CIRA-03): C(policies), C(user_initiated) as in M(oob.amt.amt_cira).
    C(AMT-ENV-01): C(detection_domains), C(detection_ipv6_prefixes).
    C(AMT-RPROV-01) (observed): C(allowed_provisioning_hashes), the fingerprints of the provisioning root hashes that may
    stay enabled, as M(oob.amt.amt_info)'s option of that name takes them.
    The other observed controls and the manual ones take C(enforce) only."
version_added: 0.2.0
author:
  - oob.amt contributors (@oob-amt)
extends_documentation_fragment:
  - oob.amt.connection
  - oob.amt.attributes
options:
  controls:
    description:
      - The control ids to judge and enforce, for example V(AMT-TLS-01). Default every control of the catalog.
      - An unknown id is refused before anything is sent.
    type: list
    elements: str
  baseline:
    description:
      - Control id to that control's settings (see the description for each control's settings and defaults). Missing
        controls and settings take the catalog's secure defaults.
      - A setting C(enforce=false) observes that control only.
    type: dict
    default: {}
  enforce:
    description:
      - Change what differs. V(false) observes only, as check mode does; no write is sent and differences are V(drifted).
    type: bool
    default: true
  secrets:
    description:
      - "Write-only values some controls need, never returned: C(auditor_password) (C(AMT-AUD-01)), C(tls_ca_key) and
        C(tls_ca_key_passphrase) (C(AMT-TLS-01)), C(rfb_password) (C(AMT-REDIR-04)), C(mps_passwords) (C(AMT-CIRA-01),
        a mapping of server address to password), C(account_passwords) (C(AMT-ACCT-03), a mapping of digest account
        name to the password it is created with; a name that is no digest account of the list is refused)."
    type: dict
    default: {}
  exceptions:
    description:
      - Control id to the reason it is exempt on this device, for example V(KVM needed on the kiosk group). An excepted
        control is read, never changed, and reported with status V(excepted) and its reason.
    type: dict
    default: {}
notes:
  - Each control's status is one of V(compliant), V(changed), V(drifted), V(not_applicable), V(manual), V(excepted) and
    V(failed).
  - Audit policy controls need the auditor's session once an auditor account holds the audit log; with the admin's
    they fail with error kind V(not_permitted) and change nothing.
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
"""

EXAMPLES = r"""
- name: Harden an AMT fleet
  hosts: amt
  gather_facts: false
  tasks:
    - name: Enforce the baseline, with KVM kept on the kiosks
      oob.amt.amt_baseline:
        hostname: "{{ amt_hostname }}"
        password: "{{ vault_amt_password }}"
        ca_path: pki/amt-ca.pem
        baseline:
          AMT-TLS-01:
            server_certificate:
              common_name: "{{ amt_hostname }}"
            issuer_certificate: "{{ lookup('file', 'pki/amt-ca.pem') }}"
          AMT-AUD-01:
            name: auditor
          AMT-ACCT-03:
            accounts:
              - kerberos_sid: S-1-5-21-1004336348-1177238915-682003330-1104
                realms: [redirection, remote_control]
              - name: inventory
                realms: [hardware_asset, general_info]
                access: local
        secrets:
          tls_ca_key: "{{ vault_amt_ca_key }}"
          auditor_password: "{{ vault_amt_auditor_password }}"
          account_passwords:
            inventory: "{{ vault_amt_inventory_password }}"
        exceptions: "{{ {'AMT-REDIR-02': 'KVM needed on the kiosk group'} if 'kiosk' in group_names else {} }}"
      delegate_to: localhost
      register: baseline

    - name: Later tasks connect as the device now expects
      ansible.builtin.set_fact:
        amt_use_tls: true
      when: baseline.tls is not none

- name: Adopt one control at a time, observing only
  hosts: amt
  gather_facts: false
  tasks:
    - name: Where is the fleet on consent and port 5900?
      oob.amt.amt_baseline:
        hostname: "{{ amt_hostname }}"
        password: "{{ vault_amt_password }}"
        controls: [AMT-REDIR-03, AMT-REDIR-04]
        enforce: false
      delegate_to: localhost
"""

RETURN = r"""
controls:
  description:
    - One entry per selected control, in catalog order.
    - C(status) V(compliant), V(changed), V(drifted) (differs and was not changed - check mode, O(enforce=false), or an
      observed control), V(not_applicable), V(manual), V(excepted) or V(failed).
    - C(reason) says why it is not applicable, what to do for a manual check, the exception's reason, or what differs;
      null when there is nothing to say.
    - C(actions) the changes made or, when not changed, the changes enforcing would make; C(writes) each write sent
      with its status (V(confirmed), V(unconfirmed), V(refused)) and C(verified); C(error) null or C(kind) and C(msg);
      C(fix) the module and option that fix it.
  returned: always
  type: list
  elements: dict
  sample: [{"id": "AMT-REDIR-02", "title": "KVM off unless needed", "severity": "medium", "status": "changed", "reason": null,
            "actions": ["turn KVM off"], "writes": [{"action": "turn KVM off", "status": "confirmed", "verified": true}],
            "error": null, "fix": "oob.amt.amt_redirection with kvm: false (and listener: false when SOL and IDE-R are off too)."}]
summary:
  description: The number of controls per status; every status is present.
  returned: always
  type: dict
  sample: {"compliant": 20, "changed": 2, "drifted": 3, "not_applicable": 1, "manual": 10, "excepted": 1, "failed": 0}
device:
  description: The device, C(uuid), C(firmware) (full version), C(control_mode) (V(ccm), V(acm) or V(pre) when not
    provisioned) and C(hostname) (the address the module connected to).
  returned: always
  type: dict
  sample: {"uuid": "77ad2693-10e9-4c8e-8b86-77996e19dffa", "firmware": "16.1.27.2176", "control_mode": "acm", "hostname": "amt-0001.example.com"}
advisories:
  description:
    - Every catalogued firmware advisory for the device's firmware, as M(oob.amt.amt_info) reports them (C(advisory),
      C(cves), C(status) V(affected), V(not_affected) or V(unknown), C(fixed_in), C(reason)).
  returned: always
  type: list
  elements: dict
tls:
  description:
    - When TLS was changed, how later tasks reach the device (C(port), C(use_tls), C(cert_fingerprint)); otherwise null.
  returned: always
  type: dict
  sample: {"port": 16993, "use_tls": true, "cert_fingerprint": "3A:...:9F"}
indeterminate:
  description: Whether a write was sent whose answer was lost (its status V(unconfirmed)); run again to settle it.
  returned: always
  type: bool
amt_requests:
  description: HTTP requests sent over the run's connection, Digest challenges included (the reconnection after a TLS change not counted).
  returned: always
  type: int
diff:
  description: With C(--diff), C(before) and C(after) keyed by control id, in the option names of the module that manages it.
  returned: when diff mode is on
  type: dict
"""

from ansible_collections.oob.amt.plugins.module_utils.baseline.runner import Run
from ansible_collections.oob.amt.plugins.module_utils.baseline.settings import (
    baseline_settings, checked_exceptions, checked_secrets, selected_controls)
from ansible_collections.oob.amt.plugins.module_utils.connection import amt_argument_spec
from ansible_collections.oob.amt.plugins.module_utils.module import AmtModule


def converge_baseline(module):
    params = module.params
    run = Run(module, selected_controls(params["controls"]), baseline_settings(params["baseline"]),
              checked_secrets(params["secrets"]), checked_exceptions(params["exceptions"]), params["enforce"])
    run.check_inputs()
    result = run.run()
    changed, diff = result.pop("changed"), result.pop("diff")
    module.exit(changed, diff=diff, amt_requests=module.client.request_count, **result)


def main():
    module = AmtModule(
        amt_argument_spec(
            controls={"type": "list", "elements": "str"},
            baseline={"type": "dict", "default": {}},
            enforce={"type": "bool", "default": True},
            secrets={"type": "dict", "default": {}, "no_log": True},
            exceptions={"type": "dict", "default": {}},
        ),
        supports_check_mode=True,
    )
    module.run(converge_baseline)


if __name__ == "__main__":
    main()
