# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Judge gathered facts against the HARDENING.md control catalog.

evaluate() returns three lists:
  findings       one entry per failed control that WS-Man can observe (AMT-FW-01: one per affected advisory,
                 listed first, INTEL-SA-00075 before the others)
  manual_checks  controls WS-Man cannot settle: not observable at all, or needing a site list to compare with
  skipped        observable controls whose subsets were not gathered, with the subsets they need
"""

from __future__ import annotations

from ansible_collections.oob.amt.plugins.module_utils.info import advisories
from ansible_collections.oob.amt.plugins.module_utils.info.gather import auditor_names

HIGH = "high"
MEDIUM = "medium"
LOW = "low"

# Application groups the audit policy must cover (HARDENING.md AMT-AUD-03).
BASELINE_AUDIT_APPLICATIONS = {
    16: "Security Admin", 17: "Remote Control", 18: "Redirection Manager", 19: "Firmware Update Manager",
    20: "Security Audit Log", 27: "Wireless Configuration", 29: "KVM", 30: "User Opt-In",
}

FEATURES = ("sol", "ider", "kvm", "web_ui")


class Manual:
    """A check's answer when the gathered data cannot settle the control."""

    def __init__(self, reason):
        self.reason = reason


class Control:
    def __init__(self, control_id, severity, title, needs, check, fix):
        self.id = control_id
        self.severity = severity
        self.title = title
        self.needs = needs
        self.check = check
        self.fix = fix


def _firmware_advisories(facts, _features):
    firmware = facts["firmware"]
    version = advisories.parse_version(firmware["version"], firmware.get("build"))
    failed = []
    for entry in advisories.evaluate(version):
        if entry["status"] == advisories.AFFECTED:
            failed.append({
                "observed": "firmware %s: %s (%s)" % (firmware["full_version"], entry["advisory"], entry["reason"]),
                "advisory": entry["advisory"],
                "cves": entry["cves"],
                "fixed_in": entry["fixed_in"],
            })
    return failed


def _provisioned(facts, _features):
    provisioning = facts["provisioning"]
    if provisioning["state"] == "post" and provisioning["control_mode"] in ("ccm", "acm"):
        return []
    return ["ProvisioningState is %s and CurrentControlMode is %s" % (provisioning["state"], provisioning["control_mode"])]


def _admin_control_mode(facts, _features):
    if facts["provisioning"]["control_mode"] == "ccm":
        return ["CurrentControlMode is ccm: SetMEBxPassword and the user-consent policy cannot be managed remotely"]
    return []


def _mebx_password(facts, _features):
    # HARDENING.md marks IsDefault of GetAdminAclEntryStatus as the MEBx password indicator UNCONFIRMED. Settled:
    # Intel's property text (LMS AMT_AuthorizationService.h) calls it the local admin password as distinct from the
    # network admin password of GetAdminNetAclEntryStatus, and the local admin password is the MEBx password.
    if facts["users"]["admin_password_is_default"]:
        return ["GetAdminAclEntryStatus reports IsDefault=true (MEBx / local admin password never changed)"]
    return []


def _network_admin_password(facts, _features):
    if facts["users"]["network_admin_password_is_default"]:
        return ["GetAdminNetAclEntryStatus reports IsDefault=true for admin user %s" % facts["users"]["admin_username"]]
    return []


def _kerberos(facts, _features):
    kerberos = facts["users"]["kerberos"]
    if kerberos is None:
        return ["the device has no AMT_KerberosSettingData: only HTTP Digest logins are possible"]
    if not kerberos["enabled"]:
        return ["AMT_KerberosSettingData.KrbEnabled is false"]
    if not set(kerberos["encryption_algorithms"]) - {"rc4_hmac"}:
        return ["Kerberos is enabled with RC4-HMAC only; no AES algorithm is configured"]
    return []


def _digest_users(facts, _features):
    digest = [account["name"] for account in facts["users"]["accounts"] if account["type"] == "digest" and not account["system"]]
    if digest:
        return ["%d digest user account(s) besides admin: %s" % (len(digest), ", ".join(digest))]
    return []


def _auditor(facts, _features):
    auditors = auditor_names(facts["users"]["accounts"])
    if len(auditors) == 1:
        return []
    if not auditors:
        return ["no account holds the Audit Log realm (20): admin can clear, disable and reconfigure the audit log"]
    return ["%d accounts hold the Audit Log realm (20): %s" % (len(auditors), ", ".join(auditors))]


def _audit_enabled(facts, _features):
    audit = facts["audit"]
    if audit["enabled"]:
        return []
    return ["the audit log is not enabled (AuditState flags: %s)" % (", ".join(audit["state_flags"]) or "none")]


def _audit_policy(facts, _features):
    events = facts["audit"]["audited_events"]
    if events is None:
        return Manual("the device has no readable AMT_AuditPolicyRule; review the audit policy with the auditor account")
    audited = set(int(event.split("/")[0]) for event in events)
    missing = ["%d (%s)" % (app, name) for app, name in sorted(BASELINE_AUDIT_APPLICATIONS.items()) if app not in audited]
    if missing:
        return ["the audit policy records no event of application group(s) %s" % ", ".join(missing)]
    return []


def _audit_storage(facts, _features):
    policy = facts["audit"]["storage_policy"]
    if policy == "restricted_rollover":
        return []
    return ["StoragePolicy is %s: old records can be pushed out by filling the log" % policy]


def _tls_enabled(facts, _features):
    tls = facts["tls"]
    remote = tls["remote"]
    if remote is None:
        return ["the device has no remote (802.3) AMT_TLSSettingData instance"]
    if not remote["enabled"]:
        return ["TLS is disabled on the network interface"]
    if not tls["server_certificate_configured"]:
        return ["TLS is enabled but no AMT_TLSCredentialContext names a server certificate"]
    return []


def _no_clear_text(facts, _features):
    remote = facts["tls"]["remote"]
    if not remote or not remote["enabled"] or remote["non_secure_connections_supported"] is not None:
        # With TLS off AMT-TLS-01 fails already; with NonSecureConnectionsSupported present (CSME 16.1+) the
        # firmware itself has removed the remote non-TLS port.
        return []
    if remote["accept_non_secure_connections"]:
        return ["AcceptNonSecureConnections is true on the network interface: port 16992 still answers without TLS"]
    return []


def _mutual_tls(facts, _features):
    remote = facts["tls"]["remote"]
    if remote and remote["enabled"] and not remote["mutual_authentication"]:
        return ["MutualAuthentication is false: a console needs only the password"]
    return []


def _local_tls(facts, _features):
    local = facts["tls"]["local"]
    if local is None or not local["enabled"]:
        return ["TLS is disabled on the local (LMS) interface"]
    return []


def _sol_ider(facts, features):
    redirection = facts["redirection"]
    observed = []
    for feature, enabled in (("sol", redirection["sol_enabled"]), ("ider", redirection["ider_enabled"])):
        if enabled and feature not in features:
            observed.append("%s is enabled but not listed in needed_features" % feature.upper())
    if redirection["listener_enabled"] and not set(features) & {"sol", "ider", "kvm"}:
        observed.append("the redirection listener (16994/16995) is on although no redirection feature is needed")
    return observed


def _kvm(facts, features):
    redirection = facts["redirection"]
    if redirection["kvm_enabled"] and "kvm" not in features:
        return ["KVM is enabled but not listed in needed_features"]
    return []


def _user_consent(facts, _features):
    required = facts["redirection"]["opt_in_required"]
    if required == "none":
        return ["OptInRequired is none: KVM, IDE-R and boot changes need no user consent"]
    return []


def _vnc_port(facts, _features):
    if facts["redirection"]["port_5900_enabled"]:
        return ["Is5900PortEnabled is true: plain RFB on port 5900 with an 8-character password"]
    return []


def _open_wifi(facts, _features):
    weak = ["%s (%s/%s)" % (profile["name"], profile["authentication"], profile["encryption"])
            for profile in facts["wifi"]["profiles"]
            if profile["authentication"] in ("open_system", "shared_key") or profile["encryption"] in ("wep", "none")]
    if weak:
        return ["open or WEP wireless profile(s): %s" % ", ".join(weak)]
    return []


def _wifi_8021x(facts, _features):
    shared = ["%s (%s)" % (profile["name"], profile["authentication"]) for profile in facts["wifi"]["profiles"]
              if profile["authentication"] not in ("wpa_ieee8021x", "wpa2_ieee8021x")]
    if shared:
        return ["wireless profile(s) without 802.1X: %s" % ", ".join(shared)]
    return []


def _wifi_sync(facts, _features):
    if facts["wifi"]["local_profile_sync"] == "unrestricted":
        return ["localProfileSynchronizationEnabled is 3 (unrestricted): the host OS can push any profile"]
    return []


def _web_ui(facts, features):
    enabled = facts["network"]["web_ui_enabled"]
    if enabled is None:
        return Manual("the device has no AMT_WebUIService; check that GET /index.htm on 16992/16993 serves no web UI")
    if enabled and "web_ui" not in features:
        return ["the built-in web UI is enabled but web_ui is not listed in needed_features"]
    return []


CONTROLS = (
    Control("AMT-FW-01", HIGH, "Firmware at or above every fixed version", ("firmware",), _firmware_advisories,
            "Install the OEM BIOS/ME update that carries a fixed AMT firmware; AMT cannot update itself over WS-Man."),
    Control("AMT-PROV-01", HIGH, "AMT provisioned, never left enabled but unprovisioned", ("provisioning",), _provisioned,
            "Provision the unit (host-based Setup or AdminSetup over the local interface) or switch AMT off in BIOS."),
    Control("AMT-PROV-02", MEDIUM, "Admin Control Mode where the MEBx password and consent policy are managed remotely",
            ("provisioning",), _admin_control_mode,
            "Upgrade with IPS_HostBasedSetupService.UpgradeClientToAdmin (needs a trusted provisioning certificate), "
            "then apply AMT-REDIR-03."),
    Control("AMT-MEBX-01", HIGH, "MEBx password changed from its factory value", ("users",), _mebx_password,
            "In ACM call AMT_SetupAndConfigurationService.SetMEBxPassword with a random strong password; in CCM change "
            "it in the MEBx (Ctrl-P at POST)."),
    Control("AMT-ACCT-01", HIGH, "Strong, non-default network admin password", ("users",), _network_admin_password,
            "Set a new admin password with AMT_AuthorizationService.SetAdminAclEntryEx and keep it in the vault."),
    Control("AMT-AUTH-01", MEDIUM, "Kerberos preferred over HTTP Digest", ("users",), _kerberos,
            "Configure Kerberos (KrbEnabled, realm, SPNs, AES) through the provisioning tooling."),
    Control("AMT-AUTH-02", MEDIUM, "Operator accounts are Kerberos SIDs; digest users kept to a minimum", ("users",), _digest_users,
            "Replace digest users with AddUserAclEntryEx(KerberosUserSid, ...) and remove them with RemoveUserAclEntry."),
    Control("AMT-AUD-01", HIGH, "A dedicated auditor account exists, separate from admin", ("users", "audit"), _auditor,
            "Add exactly one account with Realms [20] (Audit Log) and network access, held by another team."),
    Control("AMT-AUD-02", HIGH, "Access Monitor (audit log) enabled", ("audit",), _audit_enabled,
            "As the auditor (or admin while no auditor exists) call AMT_AuditLog.RequestStateChange(2)."),
    Control("AMT-AUD-03", MEDIUM, "Audit policy covers the security-relevant events", ("audit",), _audit_policy,
            "Enable the missing events with AMT_AuditPolicyRule.SetAuditPolicyBulk as the auditor."),
    Control("AMT-AUD-04", MEDIUM, "Storage policy keeps recent records when the log fills", ("audit",), _audit_storage,
            "Set StoragePolicy 2 (restricted roll-over) with MinDaysToKeep longer than the collection interval."),
    Control("AMT-TLS-01", HIGH, "TLS with server authentication on the network interface", ("tls",), _tls_enabled,
            "Add a server certificate, create AMT_TLSCredentialContext, Put AMT_TLSSettingData Enabled=true, CommitChanges."),
    Control("AMT-TLS-02", HIGH, "No clear-text WS-Man once TLS is on", ("tls",), _no_clear_text,
            "Put the remote AMT_TLSSettingData with AcceptNonSecureConnections=false, then CommitChanges."),
    Control("AMT-TLS-03", LOW, "Mutual TLS for consoles", ("tls",), _mutual_tls,
            "Add a trusted root, Put AMT_TLSSettingData with MutualAuthentication=true and TrustedCN, then CommitChanges."),
    Control("AMT-TLS-04", LOW, "TLS on the local (LMS) interface", ("tls",), _local_tls,
            "Put the LMS AMT_TLSSettingData instance with Enabled=true, then CommitChanges."),
    Control("AMT-REDIR-01", MEDIUM, "SOL and IDE-R/USB-R off unless needed", ("redirection",), _sol_ider,
            "AMT_RedirectionService.RequestStateChange(32768 + needed bits), then Put ListenerEnabled as needed."),
    Control("AMT-REDIR-02", MEDIUM, "KVM off unless needed", ("redirection",), _kvm,
            "CIM_KVMRedirectionSAP.RequestStateChange(3), then Put the redirection listener state."),
    Control("AMT-REDIR-03", HIGH, "User consent required for KVM and redirection", ("redirection",), _user_consent,
            "In ACM with CanModifyOptInPolicy=1, Put IPS_OptInService with OptInRequired=4294967295 (all)."),
    Control("AMT-REDIR-04", HIGH, "Native VNC port 5900 closed", ("redirection",), _vnc_port,
            "Put IPS_KVMRedirectionSettingData with Is5900PortEnabled=false."),
    Control("AMT-WIFI-01", HIGH, "No open or WEP wireless profiles", ("wifi",), _open_wifi,
            "Delete the profiles (WS-Transfer Delete of CIM_WiFiEndpointSettings by InstanceID)."),
    Control("AMT-WIFI-03", LOW, "802.1X (EAP-TLS) wireless profiles preferred", ("wifi",), _wifi_8021x,
            "Replace PSK profiles with WPA2/WPA3 802.1X profiles (AddWiFiSettings with IEEE8021xSettingsInput)."),
    Control("AMT-WIFI-05", LOW, "Local profile synchronisation as policy decides, never unrestricted", ("wifi",), _wifi_sync,
            "Put AMT_WiFiPortConfigurationService with localProfileSynchronizationEnabled 0 or 1."),
    Control("AMT-WEB-01", MEDIUM, "Built-in web UI off unless used", ("network",), _web_ui,
            "Call AMT_WebUIService.RequestStateChange(3)."),
)

# Controls WS-Man cannot settle on its own: (id, severity, title, why and what to do).
MANUAL_CHECKS = (
    ("AMT-MEBX-02", HIGH, "MEBx protected by the system BIOS password",
     "not observable over WS-Man; check the BIOS password in BIOS setup or with the OEM tool"),
    ("AMT-MEBX-03", MEDIUM, "USB-key provisioning disabled in BIOS",
     "not observable over WS-Man; check the OEM BIOS setting"),
    ("AMT-ACCT-02", MEDIUM, "Admin password rotated",
     "AMT keeps no password age; check the rotation date in the controller's vault"),
    ("AMT-ACCT-03", MEDIUM, "Least-privilege realms; no unknown accounts",
     "compare amt.users.accounts (names, SIDs, realms) with the site's role map"),
    ("AMT-ACCT-04", LOW, "Local vs network access scoped per account",
     "compare amt.users.accounts[].access with each account's purpose"),
    ("AMT-AUD-05", MEDIUM, "Audit log collected off-box, alerts on clear/disable",
     "a collection process, not a device setting; check that the SIEM receives AMT_AuditLog.ReadRecords"),
    ("AMT-WIFI-02", MEDIUM, "Strong PSK passphrases",
     "PSKPassPhrase is write-only; ask the Wi-Fi team for evidence on the PSK profiles in amt.wifi.profiles"),
    ("AMT-WIFI-04", MEDIUM, "Only authorised wireless profiles",
     "compare amt.wifi.profiles (name, SSID, priority) with the inventory"),
    ("AMT-FW-02", MEDIUM, "MEBx at or above the INTEL-SA-00575 fixes",
     "no WS-Man class exposes the MEBx version; read it with MEInfo or from the OEM BIOS release notes"),
    ("AMT-NET-01", MEDIUM, "AMT ports reachable only from management networks",
     "scan 16992-16995, 623, 664 and 5900 from a user VLAN; they must be closed"),
    ("AMT-RPROV-01", LOW, "Trusted provisioning root hashes limited to the ones in use",
     "amt_info does not read AMT_ProvisioningCertificateHash; compare the enabled hashes with the site allowlist"),
    ("AMT-CIRA-01", MEDIUM, "Only the organisation's MPS servers configured",
     "compare amt.network.mps_servers with the site's MPS list"),
    ("AMT-CIRA-02", MEDIUM, "MPS authenticated by certificate or strong password",
     "amt_info does not read the MPS credentials; check them against the site's CIRA template"),
    ("AMT-CIRA-03", LOW, "Remote-access policies and user-initiated CIRA as intended",
     "amt_info does not read the remote-access policies; compare them with the site's CIRA template"),
    ("AMT-ENV-01", MEDIUM, "Environment detection set correctly",
     "compare amt.network.environment_detection with the site's intranet DNS suffixes"),
)


def _manual(control_id, severity, title, reason):
    return {"id": control_id, "severity": severity, "title": title, "reason": reason}


def _firmware_open_questions(facts):
    """AMT-FW-01 parts the catalog cannot settle: unknown advisories, and everything after SA-00575 (not researched)."""
    firmware = facts["firmware"]
    version = advisories.parse_version(firmware["version"], firmware.get("build"))
    unknown = ["%s (%s)" % (entry["advisory"], entry["reason"]) for entry in advisories.evaluate(version)
               if entry["status"] == advisories.UNKNOWN]
    reason = "advisories after INTEL-SA-00575 are not catalogued; check Intel's security center for firmware %s" % firmware["full_version"]
    if unknown:
        reason = "no sourced threshold for %s; %s" % ("; ".join(unknown), reason)
    return _manual("AMT-FW-01", HIGH, "Firmware at or above every fixed version", reason)


def evaluate(facts, needed_features=()):
    """Judge the gathered facts. facts: subset -> facts as gather.gather returns them."""
    findings, manual_checks, skipped = [], [], []
    for control in CONTROLS:
        missing = [subset for subset in control.needs if subset not in facts]
        if missing:
            skipped.append({"id": control.id, "title": control.title, "needs": list(control.needs)})
            continue
        result = control.check(facts, tuple(needed_features))
        if isinstance(result, Manual):
            manual_checks.append(_manual(control.id, control.severity, control.title, result.reason))
            continue
        for observation in result:
            details = observation if isinstance(observation, dict) else {"observed": observation}
            finding = {"id": control.id, "severity": control.severity, "title": control.title, "fix": control.fix}
            finding.update(details)
            findings.append(finding)
    if "firmware" in facts:
        manual_checks.append(_firmware_open_questions(facts))
    manual_checks.extend(_manual(*entry) for entry in MANUAL_CHECKS)
    return findings, manual_checks, skipped
