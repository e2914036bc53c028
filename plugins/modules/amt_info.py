#!/usr/bin/python
# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: amt_info
short_description: Read the state of an Intel AMT device and audit it against the hardening catalog
description:
  - Reads firmware, provisioning, general, network, TLS, user, wireless, audit-log, redirection and power facts from an
    Intel AMT device over WS-Management, without changing anything.
  - Judges the gathered facts against the collection's hardening controls and returns a finding for every control the
    device fails, the controls that need a human (RV(amt.manual_checks)) and the controls that were not evaluated because
    their data was not gathered.
  - Firmware advisories follow the catalog's version rule; INTEL-SA-00075 (CVE-2017-5689) is checked first.
  - Never returns a secret; the firmware's one-time provisioning password, nonces and key material are not read into the result.
version_added: 0.1.0
author:
  - oob.amt contributors (@oob-amt)
extends_documentation_fragment:
  - oob.amt.connection
  - oob.amt.attributes
options:
  gather_subset:
    description:
      - Which facts to read, like the C(gather_subset) of M(ansible.builtin.setup).
      - V(all) reads every subset. A subset name adds that subset; V(!name) removes it; V(!all) starts from nothing.
        A list of exclusions only starts from V(all).
      - Subsets are V(firmware), V(provisioning), V(general), V(network), V(tls), V(users), V(wifi), V(audit),
        V(redirection) and V(power).
      - Controls are judged only from gathered subsets; the others are listed in RV(amt.findings_skipped).
    type: list
    elements: str
    default: [all]
  needed_features:
    description:
      - Remote features the site uses on this device. AMT-REDIR-01, AMT-REDIR-02 and AMT-WEB-01 report a feature
        that is enabled only when it is not listed here.
    type: list
    elements: str
    choices: [sol, ider, kvm, web_ui]
    default: []
  allowed_provisioning_hashes:
    description:
      - Fingerprints of the root certificates the site provisions with (the roots of its provisioning certificates), as
        SHA-1, SHA-256 or SHA-384 hex (40, 64 or 96 digits); case and colons do not matter.
      - Given, AMT-RPROV-01 reports every enabled provisioning root hash of the device (RV(amt.provisioning.certificate_hashes))
        that is not in the list, whatever the provisioning state. An empty list allows none.
      - Not given, AMT-RPROV-01 passes on a provisioned device (the hashes only admit a remote activation) and is a manual
        check listing the enabled hashes on one that is not.
    type: list
    elements: str
  transport:
    description:
      - V(network) reads the device over its network interface at O(hostname).
      - V(local) runs on the managed machine itself (with C(become)), as M(oob.amt.amt_provision) does. It reads the
        management engine interface (MEI) at O(mei_device), without credentials, then WS-Man from the local manageability
        service (LMS) at O(lms_hostname). A device that was never provisioned keeps its network interface closed, so over
        the network it answers as V(unreachable), like a machine that is switched off. Locally it reports provisioning
        state V(pre) and finding AMT-PROV-01.
      - With V(local) and no O(password), the LMS session uses the local system account the management engine hands
        out. That account holds only the Local System realm and reads what host-based activation needs (the provisioning
        and general subsets, and the firmware); the subsets it may not read are listed in RV(amt.unreadable_subsets) instead
        of failing the task. With O(username) and O(password) the LMS serves whatever
        that account may read.
    type: str
    choices: [network, local]
    default: network
  mei_device:
    description:
      - The management engine interface, for O(transport=local). A Unix socket path is accepted too, as the amtsim simulator
        offers one per device.
    type: path
    default: /dev/mei0
  lms_hostname:
    description:
      - Address of the local manageability service, for O(transport=local). Port 16992 (HTTP) is used, or 16993 (TLS) where
        the firmware enforces TLS on its local ports (AMT 19 and later; give O(ca_path) or O(cert_fingerprint) there).
    type: str
    default: localhost
notes:
  - Read-only. Supports check mode, where it does exactly the same reads.
  - With O(transport=local), O(hostname), O(port), O(use_tls), O(client_cert) and O(client_key) are not used, and
    O(expected_uuid) is compared with the UUID the management engine reports before the LMS is contacted.
  - Each WS-Man class is read once per run. The number of HTTP requests sent, the Digest challenge included, is returned in RV(amt_requests).
  - With O(expected_uuid) set, the UUID is read once more to verify the device before anything else.
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
"""

EXAMPLES = r"""
- name: Audit an AMT fleet
  hosts: amt
  gather_facts: false
  module_defaults:
    group/oob.amt.amt:
      hostname: "{{ amt_hostname }}"
      username: "{{ amt_username }}"
      password: "{{ amt_password }}"
      ca_path: "{{ amt_ca_path }}"
  tasks:
    - name: Read everything and judge it
      oob.amt.amt_info:
        needed_features: [kvm]
      register: amt_state
      delegate_to: localhost

    - name: Fail on high-severity findings
      ansible.builtin.assert:
        that: amt_state.amt.findings | selectattr('severity', 'equalto', 'high') | list | length == 0
        fail_msg: "{{ amt_state.amt.findings | selectattr('severity', 'equalto', 'high') | map(attribute='id') | list }}"

- name: Narrower reads
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Only the firmware version and its advisories
      oob.amt.amt_info:
        hostname: 192.0.2.10
        password: "{{ vault_amt_password }}"
        ca_path: /etc/pki/amt-ca.pem
        gather_subset: [firmware]
      register: firmware

    - name: Audit a machine from the machine itself, also before AMT is provisioned (no credentials needed)
      oob.amt.amt_info:
        transport: local
      become: true
      register: local_state

    - name: Everything except wireless and power, over plain HTTP on an isolated lab network
      oob.amt.amt_info:
        hostname: 192.0.2.11
        password: "{{ vault_amt_password }}"
        use_tls: false
        gather_subset: ['!wifi', '!power']
"""

RETURN = r"""
amt:
  description: The gathered facts, one key per gathered subset, and the audit results.
  returned: success
  type: dict
  contains:
    firmware:
      description: Firmware version from CIM_SoftwareIdentity.
      returned: when the firmware subset is gathered
      type: dict
      contains:
        version:
          description: AMT firmware version M.m.h.
          type: str
          sample: 12.0.67
        build:
          description: Build number, the fourth version field.
          type: str
          sample: "1579"
        full_version:
          description: M.m.h.b.
          type: str
          sample: 12.0.67.1579
        sku:
          description: The firmware SKU bit mask.
          type: int
          sample: 16392
        sku_features:
          description: Names of the SKU bits that are set.
          type: list
          elements: str
          sample: [AMT Pro, Corporate]
        components:
          description: Every CIM_SoftwareIdentity InstanceID with its VersionString.
          type: dict
          sample: {AMT: 12.0.67, Build Number: "1579", Flash: 12.0.67}
        advisories:
          description:
            - Status of every catalogued firmware advisory, INTEL-SA-00075 first.
            - Each entry has advisory, cves, status, fixed_in, reason and, where the catalog's data is unconfirmed, note.
            - C(status) is V(affected), V(fixed), V(not_affected) or V(unknown) (no sourced threshold; not a pass).
          type: list
          elements: dict
          sample: [{advisory: INTEL-SA-00075, cves: [CVE-2017-5689], status: affected, fixed_in: 11.0.25.3001,
                    reason: below the first fixed version 11.0.25.3001 of its line}]
    provisioning:
      description: Provisioning state and control mode.
      returned: when the provisioning subset is gathered
      type: dict
      contains:
        state:
          description: V(pre), V(in) or V(post).
          type: str
          sample: post
        control_mode:
          description: V(none), V(ccm) or V(acm).
          type: str
          sample: acm
        allowed_control_modes:
          description: Control modes the firmware allows.
          type: list
          elements: str
        password_model:
          description: V(coupled), V(separate) or V(separate_hash).
          type: str
        zero_touch_enabled:
          description: Whether remote (PKI) configuration is allowed.
          type: bool
        configuration_server_fqdn:
          description: Configuration server name, if any.
          type: str
        dhcp_dns_suffix:
          description: DNS suffix learned from DHCP.
          type: str
        trusted_dns_suffix:
          description: DNS suffix trusted for remote configuration.
          type: str
        cert_chain_status:
          description: Provisioning certificate chain upload state.
          type: str
        certificate_hashes:
          description:
            - The provisioning root hashes the firmware trusts for remote ACM activation (AMT_ProvisioningCertificateHash),
              in the device's order, each with C(name), C(hash_type) (V(sha1), V(sha256) or V(sha384)), C(hash)
              (lower-case hex, as O(allowed_provisioning_hashes) takes it), C(default) (a factory entry) and C(enabled).
            - Null when the device has no such class or the account may not read it (the local system account with
              O(transport=local) may not).
          type: list
          elements: dict
          sample: [{name: DigiCert Global Root CA, hash_type: sha256, default: true, enabled: true,
                    hash: 4348a0e9444c78cb265e058d5e8944b4d84f9662bd26db257f8934a443c70161}]
    general:
      description:
        - AMT_GeneralSettings and the device UUID.
        - C(host_name), C(domain_name), C(ping_response_enabled), C(rmcp_ping_response_enabled), C(shared_fqdn),
          C(idle_wake_timeout) and C(presence_notification_interval) are M(oob.amt.amt_general)'s options, with its values,
          and can be given back to it unchanged.
      returned: when the general subset is gathered
      type: dict
      contains:
        uuid:
          description: Device UUID (AMT_SetupAndConfigurationService.GetUuid), 8-4-4-4-12 lower case.
          type: str
        digest_realm:
          description: The HTTP Digest realm.
          type: str
          sample: Digest:727734D63A1FC0423736E48DA554E462
        host_name:
          description: AMT host name; empty when none is set.
          type: str
        domain_name:
          description: AMT domain name; empty when none is set.
          type: str
        network_interface_enabled:
          description: Whether the network interface is enabled.
          type: bool
        amt_network_enabled:
          description: Whether AMT's out-of-band network access is enabled.
          type: bool
        ping_response_enabled:
          description: ICMP ping answered.
          type: bool
        rmcp_ping_response_enabled:
          description: RMCP ping answered.
          type: bool
        shared_fqdn:
          description: AMT's FQDN is shared with the host (V(false) when it is AMT's own).
          type: bool
        idle_wake_timeout:
          description: Minutes AMT stays powered after the host sleeps or turns off.
          type: int
        presence_notification_interval:
          description: Minutes between presence notifications to event subscribers; 0 when they are off.
          type: int
        wsman_only_mode:
          description: Legacy non-WS-Man interfaces blocked.
          type: bool
        privacy_level:
          description: V(default), V(enhanced) or V(extreme).
          type: str
        preferred_address_family:
          description: V(ipv4) or V(ipv6).
          type: str
        power_source:
          description: V(ac) or V(dc).
          type: str
    network:
      description:
        - Network interfaces, web UI, environment detection and CIRA (servers, remote-access policies, user-initiated connections).
        - C(web_ui_enabled), C(detection_domains) and C(detection_ipv6_prefixes) are M(oob.amt.amt_general)'s options, with
          its values, and can be given back to it unchanged.
        - C(mps_servers), C(cira_policies) and C(cira_user_initiated) are M(oob.amt.amt_cira)'s options O(oob.amt.amt_cira#module:servers),
          O(oob.amt.amt_cira#module:policies) and O(oob.amt.amt_cira#module:user_initiated), with its values, and can be given
          back to it unchanged.
      returned: when the network subset is gathered
      type: dict
      contains:
        interfaces:
          description: One entry per AMT_EthernetPortSettings instance (instance_id, wireless, mac_address, link_is_up,
            dhcp_enabled, ip_address, subnet_mask, default_gateway, primary_dns, secondary_dns, shared_mac, ip_sync_enabled, vlan_tag).
          type: list
          elements: dict
        web_ui_enabled:
          description: Whether the built-in web UI is on; null when the device has no AMT_WebUIService.
          type: bool
        detection_domains:
          description: Environment detection's intranet DNS suffixes; null when the device has no AMT_EnvironmentDetectionSettingData.
          type: list
          elements: str
        detection_ipv6_prefixes:
          description: Environment detection's intranet IPv6 prefixes, in their shortest form; null when the class is absent.
          type: list
          elements: str
        mps_servers:
          description:
            - Configured CIRA management presence servers as O(oob.amt.amt_cira#module:servers) names them - address, port, cn
              and how each authenticates AMT - C(certificate) (the handle of its certificate), or C(username) with
              C(password) always masked (AMT never returns it).
            - Null when the class is absent.
          type: list
          elements: dict
        cira_policies:
          description:
            - The remote-access policies as O(oob.amt.amt_cira#module:policies) names them (trigger, servers, tunnel_lifetime,
              interval, daily_at, mps_type), in trigger order.
            - Null when the CIRA classes are absent.
          type: list
          elements: dict
        cira_user_initiated:
          description:
            - Which of the BIOS and the host OS may ask AMT to open a CIRA tunnel (V(disabled), V(bios), V(os), V(bios_and_os)),
              as O(oob.amt.amt_cira#module:user_initiated) names it.
            - Null when the class is absent.
          type: str
    tls:
      description:
        - TLS of the network (remote) and local (LMS) interfaces and the server certificate in use.
        - RV(amt.tls.server_certificate), RV(amt.tls.trusted_root_certificates), RV(amt.tls.mutual_authentication),
          RV(amt.tls.trusted_cn), RV(amt.tls.accept_non_secure_connections), RV(amt.tls.local_tls) and
          RV(amt.tls.local_accept_non_secure_connections) use the names and values of M(oob.amt.amt_tls)'s options, so
          that they can be given back to that module unchanged (which then changes nothing).
      returned: when the tls subset is gathered
      type: dict
      contains:
        server_certificate:
          description: C(common_name) and C(subject_alt_names) of the certificate in use; null without one.
          type: dict
        trusted_root_certificates:
          description: PEM of the trusted root certificates on the device.
          type: list
          elements: str
        remote_tls:
          description: Whether TLS is on on the network interface (as its settings say; CommitChanges applies them).
          type: bool
        mutual_authentication:
          description: Whether the network interface requires a client certificate.
          type: bool
        trusted_cn:
          description: Common names allowed in client certificates.
          type: list
          elements: str
        accept_non_secure_connections:
          description: Whether the network interface still answers without TLS (port 16992).
          type: bool
        local_tls:
          description: Whether TLS is on on the local interface.
          type: bool
        local_accept_non_secure_connections:
          description: Whether the local interface still answers without TLS.
          type: bool
        certificate:
          description: The certificate in use, C(fingerprint) (SHA-256, as C(cert_fingerprint) takes it), C(not_after),
            C(issuer) and C(instance_id); null without one.
          type: dict
        remote:
          description: enabled, mutual_authentication, accept_non_secure_connections, non_secure_connections_supported
            (null before CSME 16.1), trusted_cn; null when the instance is absent.
          type: dict
        local:
          description: The same for the local interface.
          type: dict
        server_certificate_configured:
          description: Whether an AMT_TLSCredentialContext names a server certificate.
          type: bool
    users:
      description:
        - The admin, the user accounts and Kerberos; passwords are never readable.
        - RV(amt.users.accounts) uses the names and values of M(oob.amt.amt_user)'s options, so that it can be given back
          to that module's O(oob.amt.amt_user#module:accounts) unchanged (which then changes nothing).
      returned: when the users subset is gathered
      type: dict
      contains:
        admin_username:
          description: Name of the built-in admin account.
          type: str
          sample: admin
        admin_password_is_default:
          description: GetAdminAclEntryStatus IsDefault (the MEBx / local admin password was never changed).
          type: bool
        network_admin_password_is_default:
          description: GetAdminNetAclEntryStatus IsDefault.
          type: bool
        accounts:
          description:
            - Every account besides the admin and the firmware's system accounts, in the device's order.
            - C(name) (Digest accounts), C(type) (V(digest) or V(kerberos)), C(kerberos_sid) (C(S-1-...), or base64 when
              the device holds bytes that are not laid out as a SID), C(access) (V(local), V(network) or V(any)) and
              C(realms) by name (V(audit_log) marks the Auditor).
          type: list
          elements: dict
          sample: [{"name": "operator", "type": "digest", "kerberos_sid": null, "access": "network",
                    "realms": ["general_info", "redirection"]}]
        system_accounts:
          description: The firmware's own accounts, whose names begin with C($$) (name, access, realms); amt_user never changes them.
          type: list
          elements: dict
        kerberos:
          description: enabled, realm_name, service_principal_names, encryption_algorithms; null when the class is absent.
          type: dict
    wifi:
      description:
        - Wireless profiles and settings, with the names and values of M(oob.amt.amt_wifi_profile)'s options, so that they
          can be given back to that module unchanged (which then changes nothing).
        - A device without AMT Wi-Fi reports no profiles and none of the settings.
      returned: when the wifi subset is gathered
      type: dict
      contains:
        profiles:
          description:
            - Profiles by priority (name, ssid, priority, security, encryption, ieee8021x).
            - Passphrases and 802.1X passwords are write-only on the device and shown as C(********).
          type: list
          elements: dict
        local_profile_sync:
          description: V(off), V(user) or V(unrestricted).
          type: str
        uefi_profile_share:
          description: UEFI Wi-Fi profile sharing (CSME 16 and later).
          type: bool
        wifi_port:
          description: V(disabled), V(enabled_in_s0) or V(enabled_in_s0_sx).
          type: str
    audit:
      description: The Access Monitor (audit log).
      returned: when the audit subset is gathered
      type: dict
      contains:
        policy:
          description:
            - The audit policy with the names and values of M(oob.amt.amt_audit_policy)'s options (state, events,
              critical_events, storage_policy, min_days_to_keep), so that it can be given back to that module unchanged.
          type: dict
        log:
          description: The log itself.
          type: dict
          contains:
            state_flags:
              description: AuditState bits that are set (disabled, locked, almost_full, full, no_signing_key).
              type: list
              elements: str
            percentage_free:
              description: Free space of the log in percent.
              type: int
            current_number_of_records:
              description: Records in the log.
              type: int
            max_allowed_auditors:
              description: How many auditors the firmware allows.
              type: int
    redirection:
      description:
        - SOL, IDE-R, KVM, the redirection listener, VNC port 5900 and user consent, with the names and values of
          M(oob.amt.amt_redirection)'s options, so that they can be given back to that module unchanged (which then
          changes nothing).
        - RV(amt.redirection.kvm_supported), RV(amt.redirection.kvm_enabled_in_mebx) and
          RV(amt.redirection.consent_policy_changeable) are what the device decides alone, not options.
      returned: when the redirection subset is gathered
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
          description: Which sessions need the user's consent, V(none), V(kvm) or V(all).
          type: str
        consent_display_timeout:
          description: Seconds the consent code is shown.
          type: int
        consent_code_timeout:
          description: Seconds a consent code is valid.
          type: int
        kvm_supported:
          description: Whether the device has KVM (Standard Manageability devices have none).
          type: bool
        kvm_enabled_in_mebx:
          description: Whether the MEBx allows KVM; V(false) means KVM is disabled in the MEBx. Null without KVM.
          type: bool
        consent_policy_changeable:
          description: Whether a console may change the consent policy (C(CanModifyOptInPolicy)); never in CCM.
          type: bool
    power:
      description: Host power state.
      returned: when the power subset is gathered
      type: dict
      contains:
        state:
          description: CIM power state name, for example V(on), V(sleep_deep), V(off_soft).
          type: str
        available_requested_states:
          description: Power states that can be requested.
          type: list
          elements: str
    findings:
      description:
        - One entry per failed hardening control observed over WS-Man; AMT-FW-01 entries (one per affected advisory) come first.
        - Each has id, severity (high, medium, low), title, observed and fix; AMT-FW-01 entries add advisory, cves and fixed_in.
      returned: success
      type: list
      elements: dict
      sample: [{id: AMT-FW-01, severity: high, title: Firmware at or above every fixed version, advisory: INTEL-SA-00075,
                cves: [CVE-2017-5689], fixed_in: 11.0.25.3001, observed: "firmware 11.0.0.1000: INTEL-SA-00075 (...)",
                fix: Install the OEM BIOS/ME update that carries a fixed AMT firmware}]
    manual_checks:
      description: Controls that need a human or a site list (id, severity, title, reason); never silently skipped.
      returned: success
      type: list
      elements: dict
    findings_skipped:
      description: Controls not evaluated because a subset they need was not gathered (id, title, needs).
      returned: success
      type: list
      elements: dict
    gathered_subsets:
      description: The subsets read, after resolving O(gather_subset); with O(transport=local) only those the account could read.
      returned: success
      type: list
      elements: str
    unreadable_subsets:
      description:
        - With O(transport=local), the requested subsets the LMS account may not read, or that could not be read because
          AMT is disabled in the BIOS, each with C(subset) and C(reason). Their controls are in RV(amt.findings_skipped).
      returned: when O(transport=local)
      type: list
      elements: dict
      sample: [{"subset": "users", "reason": "the account may not read it: AMT_AuthorizationService.GetAdminAclEntry returned 16 (PT_STATUS_NOT_PERMITTED)"}]
    management_engine:
      description: What the management engine reports over the MEI, with O(transport=local).
      returned: when O(transport=local)
      type: dict
      contains:
        uuid:
          description: Device UUID, 8-4-4-4-12 lower case.
          type: str
        firmware_version:
          description: AMT firmware version M.m.h.b.
          type: str
          sample: 16.1.27.2176
        provisioning_state:
          description: V(pre), V(in) or V(post).
          type: str
        control_mode:
          description: V(none), V(ccm) or V(acm).
          type: str
        amt_enabled:
          description: Whether AMT is enabled in the BIOS; null on firmware that does not report it.
          type: bool
        local_tls_enforced:
          description: Whether the local ports accept only TLS (AMT 19 and later).
          type: bool
        lms_account:
          description: The account the LMS session used, the task's O(username) or V(local system account); absent when AMT is disabled.
          type: str
amt_requests:
  description:
    - HTTP requests sent to the device in this run, Digest challenges included (to the LMS with O(transport=local)).
      Useful to benchmark a fleet.
  returned: success
  type: int
  sample: 3
"""

from ansible_collections.oob.amt.plugins.module_utils.amt.mei import DEFAULT_DEVICE, MeiClient
from ansible_collections.oob.amt.plugins.module_utils.info import advisories
from ansible_collections.oob.amt.plugins.module_utils.info.findings import FEATURES, evaluate, provisioning_hash_allowlist
from ansible_collections.oob.amt.plugins.module_utils.info.gather import gather
from ansible_collections.oob.amt.plugins.module_utils.info.local import LocalReading
from ansible_collections.oob.amt.plugins.module_utils.info.subsets import resolve_subsets
from ansible_collections.oob.amt.plugins.module_utils.connection import amt_argument_spec
from ansible_collections.oob.amt.plugins.module_utils.module import AmtModule


def _judged(facts, subsets, needed_features, hash_allowlist):
    if "firmware" in facts:
        firmware = facts["firmware"]
        facts["firmware"]["advisories"] = advisories.evaluate(advisories.parse_version(firmware["version"], firmware["build"]))
    findings, manual_checks, skipped = evaluate(facts, needed_features, hash_allowlist)
    result = dict(facts)
    result.update(findings=findings, manual_checks=manual_checks, findings_skipped=skipped, gathered_subsets=subsets)
    return result


def run_info(module):
    subsets = resolve_subsets(module.params["gather_subset"])
    hash_allowlist = provisioning_hash_allowlist(module.params["allowed_provisioning_hashes"])
    if module.params["transport"] == "local":
        read_locally(module, subsets, hash_allowlist)
    else:
        client = module.client
        facts = gather(client, subsets)
        module.exit(changed=False, amt=_judged(facts, subsets, module.params["needed_features"], hash_allowlist), amt_requests=client.request_count)


def read_locally(module, subsets, hash_allowlist):
    params = module.params
    reading = LocalReading(MeiClient(params["mei_device"], timeout=params["timeout"]), params["lms_hostname"].strip(), params)
    try:
        engine, facts, unreadable = reading.read(subsets)
    finally:
        reading.close()
    result = _judged(facts, [subset for subset in subsets if subset in facts], params["needed_features"], hash_allowlist)
    result.update(management_engine=engine, unreadable_subsets=unreadable)
    module.exit(changed=False, amt=result, amt_requests=reading.request_count)


def main():
    module = AmtModule(
        argument_spec=amt_argument_spec(
            gather_subset=dict(type="list", elements="str", default=["all"]),
            needed_features=dict(type="list", elements="str", choices=list(FEATURES), default=[]),
            allowed_provisioning_hashes=dict(type="list", elements="str"),
            transport=dict(type="str", choices=["network", "local"], default="network"),
            mei_device=dict(type="path", default=DEFAULT_DEVICE),
            lms_hostname=dict(type="str", default="localhost"),
        ),
        supports_check_mode=True,
    )
    module.run(run_info)


if __name__ == "__main__":
    main()
