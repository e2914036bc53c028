# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Judge gathered facts against the docs/hardening-controls.md control catalog.

evaluate() returns three lists:
  findings       one entry per failed control that WS-Man can observe (AMT-FW-01: one per affected advisory,
                 listed first, INTEL-SA-00075 before the others)
  manual_checks  controls WS-Man cannot settle: not observable at all, or needing a site list to compare with
  skipped        observable controls whose subsets were not gathered, with the subsets they need
"""

from __future__ import annotations

from ansible_collections.oob.amt.plugins.module_utils.info import advisories
from ansible_collections.oob.amt.plugins.module_utils.units.accounts import AUDIT_LOG, auditor_names
from ansible_collections.oob.amt.plugins.module_utils.wsman.errors import InvalidInputError

HIGH = "high"
MEDIUM = "medium"
LOW = "low"

# Application groups the audit policy must cover (docs/hardening-controls.md AMT-AUD-03).
BASELINE_AUDIT_APPLICATIONS = ("security_admin", "remote_control", "redirection_manager", "firmware_update_manager",
                               "security_audit_log", "wireless_configuration", "kvm", "user_opt_in")

FEATURES = ("sol", "ider", "kvm", "web_ui")

# Hex digits of a SHA-1, SHA-256 and SHA-384 fingerprint, the hash types AMT_ProvisioningCertificateHash holds.
PROVISIONING_HASH_LENGTHS = (40, 64, 96)


class Manual:
    """A check's answer when the gathered data cannot settle the control."""

    def __init__(self, reason):
        self.reason = reason


class Control:
    """site_options: the site's lists the check compares the device with, passed to it by keyword (None when not given)."""

    def __init__(self, control_id, severity, title, needs, check, fix, site_options=()):
        self.id = control_id
        self.severity = severity
        self.title = title
        self.needs = needs
        self.check = check
        self.fix = fix
        self.site_options = site_options


def provisioning_hash_allowlist(values):
    """allowed_provisioning_hashes as lower-case hex without colons, or None when not given; raises InvalidInputError."""
    if values is None:
        return None
    allowlist = []
    for value in values:
        fingerprint = str(value).strip().replace(":", "").lower()
        if len(fingerprint) not in PROVISIONING_HASH_LENGTHS or any(char not in "0123456789abcdef" for char in fingerprint):
            raise InvalidInputError("allowed_provisioning_hashes: %r is not a SHA-1, SHA-256 or SHA-384 fingerprint (40, 64 or 96 "
                                    "hex digits, colons allowed)" % str(value))
        allowlist.append(fingerprint)
    return allowlist


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
    # docs/hardening-controls.md marks IsDefault of GetAdminAclEntryStatus as the MEBx password indicator UNCONFIRMED. Settled:
    # Intel's property text (LMS AMT_AuthorizationService.h) calls it the local admin password as distinct from the
    # network admin password of GetAdminNetAclEntryStatus, and the local admin password is the MEBx password.
    if facts["users"]["admin_password_is_default"]:
        return ["GetAdminAclEntryStatus reports IsDefault=true (MEBx / local admin password never changed)"]
    return []


def _network_admin_password(facts, _features):
    if facts["users"]["network_admin_password_is_default"]:
        return ["GetAdminNetAclEntryStatus reports IsDefault=true for admin user %s" % facts["users"]["admin_username"]]
    return []


def _other_accounts(facts):
    """The accounts besides the admin, the firmware's $$ accounts and the Auditor (AMT-AUD-01 judges that one)."""
    return [account for account in facts["users"]["accounts"] if AUDIT_LOG not in account["realms"]]


def _account_name(account):
    return "%s (%s)" % (account["name"] or account["kerberos_sid"], account["type"])


def _unknown_accounts(facts, _features):
    # Which accounts and realms are right is the site's to say: without its list the check can only show them.
    others = _other_accounts(facts)
    if not others:
        return []
    return Manual("%d account(s) besides the admin and the Auditor: %s. Compare them with the site's role map, or list the "
                  "allowed accounts in oob.amt.amt_baseline's AMT-ACCT-03 accounts (purge removes the others)"
                  % (len(others), "; ".join("%s realms %s" % (_account_name(account), ", ".join(account["realms"]))
                                            for account in others)))


def _account_access(facts, _features):
    others = _other_accounts(facts)
    if not others:
        return []
    return Manual("compare each account's access with its purpose: %s. The access of the accounts listed in "
                  "oob.amt.amt_baseline's AMT-ACCT-03 accounts is enforced"
                  % "; ".join("%s %s" % (_account_name(account), account["access"]) for account in others))


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
    digest = [account["name"] for account in facts["users"]["accounts"] if account["type"] == "digest"]
    if digest:
        return ["%d digest user account(s) besides admin: %s" % (len(digest), ", ".join(digest))]
    return []


def _auditor(facts, _features):
    auditors = auditor_names(facts["users"]["accounts"])
    if len(auditors) == 1:
        return []
    if not auditors:
        return ["no account holds the audit_log realm (20): admin can clear, disable and reconfigure the audit log"]
    return ["%d accounts hold the audit_log realm (20): %s" % (len(auditors), ", ".join(auditors))]


def _audit_enabled(facts, _features):
    audit = facts["audit"]
    if audit["policy"]["state"] == "enabled":
        return []
    return ["the audit log is not enabled (AuditState flags: %s)" % (", ".join(audit["log"]["state_flags"]) or "none")]


def _audit_policy(facts, _features):
    audited = facts["audit"]["policy"]["events"]
    if audited is None:
        return Manual("the device has no readable AMT_AuditPolicyRule; review the audit policy with the auditor account")
    missing = [application for application in BASELINE_AUDIT_APPLICATIONS if not audited.get(application)]
    if missing:
        return ["the audit policy records no event of application group(s) %s" % ", ".join(missing)]
    return []


def _audit_storage(facts, _features):
    policy = facts["audit"]["policy"]["storage_policy"]
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
    if not remote or not remote["enabled"] or remote["non_secure_connections_supported"] is False:
        # With TLS off AMT-TLS-01 fails already. NonSecureConnectionsSupported (CSME 16.1+) false: the firmware has
        # removed the non-TLS port; true: AcceptNonSecureConnections still decides, as on older firmware.
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
    for feature in ("sol", "ider"):
        if redirection[feature] and feature not in features:
            observed.append("%s is enabled but not listed in needed_features" % feature.upper())
    if redirection["listener"] and not set(features) & {"sol", "ider", "kvm"}:
        observed.append("the redirection listener (16994/16995) is on although no redirection feature is needed")
    return observed


def _kvm(facts, features):
    redirection = facts["redirection"]
    if redirection["kvm"] and "kvm" not in features:
        return ["KVM is enabled but not listed in needed_features"]
    return []


def _user_consent(facts, _features):
    redirection = facts["redirection"]
    if redirection["user_consent"] != "none":
        return []
    if not redirection["consent_policy_changeable"]:
        return ["OptInRequired is none and the MEBx forbids changing it remotely (CanModifyOptInPolicy=0)"]
    return ["OptInRequired is none: KVM, IDE-R and boot changes need no user consent"]


def _vnc_port(facts, _features):
    if facts["redirection"]["vnc_port_5900"]:
        return ["Is5900PortEnabled is true: plain RFB on port 5900 with an 8-character password"]
    return []


def _open_wifi(facts, _features):
    weak = ["%s (%s/%s)" % (profile["name"], profile["security"], profile["encryption"])
            for profile in facts["wifi"]["profiles"]
            if profile["security"] in ("open_system", "shared_key") or profile["encryption"] in ("wep", "none")]
    if weak:
        return ["open or WEP wireless profile(s): %s" % ", ".join(weak)]
    return []


def _wifi_8021x(facts, _features):
    shared = ["%s (%s)" % (profile["name"], profile["security"]) for profile in facts["wifi"]["profiles"]
              if profile["security"] not in ("wpa_8021x", "wpa2_8021x")]
    if shared:
        return ["wireless profile(s) without 802.1X: %s" % ", ".join(shared)]
    return []


def _wifi_sync(facts, _features):
    if facts["wifi"].get("local_profile_sync") == "unrestricted":
        return ["localProfileSynchronizationEnabled is 3 (unrestricted): the host OS can push any profile"]
    return []


def _web_ui(facts, features):
    enabled = facts["network"]["web_ui_enabled"]
    if enabled is None:
        return Manual("the device has no AMT_WebUIService; check that GET /index.htm on 16992/16993 serves no web UI")
    if enabled and "web_ui" not in features:
        return ["the built-in web UI is enabled but web_ui is not listed in needed_features"]
    return []


def _environment_detection(facts, _features):
    network = facts["network"]
    if network["detection_domains"] is None:
        return Manual("the device has no AMT_EnvironmentDetectionSettingData; check with the OEM how it decides it is on the intranet")
    # Which suffixes are right is the site's to say: the check can only show what the device holds.
    return Manual("compare the intranet domains (%s) and IPv6 prefixes (%s) with the site's; none at all keeps AMT always "
                  "outside (CIRA only). Set them with oob.amt.amt_general (detection_domains, detection_ipv6_prefixes)"
                  % (", ".join(network["detection_domains"]) or "none", ", ".join(network["detection_ipv6_prefixes"]) or "none"))


def _mps_authentication(facts, _features):
    servers = facts["network"]["mps_servers"] or []
    observed = ["MPS %s:%s has no credential: no AMT_RemoteAccessCredentialContext names a certificate or a username for it"
                % (server["address"], server["port"]) for server in servers if not server.get("certificate") and not server.get("username")]
    if servers and not facts["tls"]["trusted_root_certificates"]:
        observed.append("%d MPS server(s) configured but the device trusts no root certificate: it cannot verify an MPS's TLS "
                        "certificate" % len(servers))
    return observed


def _provisioning_hashes(facts, _features, allowed_provisioning_hashes=None):
    provisioning = facts["provisioning"]
    allowed = allowed_provisioning_hashes
    if allowed is None and provisioning["state"] == "post":
        return []  # The hashes admit a remote ACM activation, which a provisioned device no longer takes (control detail).
    hashes = provisioning.get("certificate_hashes")
    if hashes is None:
        return Manual("the provisioning root hashes could not be read (the device has no AMT_ProvisioningCertificateHash or the "
                      "account may not read it): check the enabled hashes in the MEBx%s"
                      % (" against allowed_provisioning_hashes" if allowed is not None else ""))
    enabled = [entry for entry in hashes if entry["enabled"]]
    if allowed is None:
        return Manual("%d provisioning root hash(es) enabled before provisioning: %s. Compare amt.provisioning.certificate_hashes "
                      "with the roots of the site's provisioning certificates, or give amt_info allowed_provisioning_hashes"
                      % (len(enabled), ", ".join("%s (%s)" % (entry["name"], entry["hash_type"]) for entry in enabled) or "none"))
    return ["provisioning root hash %s (%s %s) is enabled but not in allowed_provisioning_hashes"
            % (entry["name"], entry["hash_type"], entry["hash"]) for entry in enabled if entry["hash"] not in allowed]


def _cira_policies(facts, _features):
    network = facts["network"]
    policies, user_initiated = network["cira_policies"] or [], network["cira_user_initiated"]
    if not policies and user_initiated in (None, "disabled"):
        return []  # No policy and no user-initiated connection: AMT opens no tunnel.
    # Which tunnels are intended is the site's to say: the check can only show what the device holds.
    shown = ["%s to %s (%s MPS, tunnel_lifetime %s%s)" % (
        policy["trigger"], ", ".join(policy["servers"]), policy["mps_type"], policy["tunnel_lifetime"],
        ", every %s s" % policy["interval"] if policy["interval"] else ", daily at %s" % policy["daily_at"] if policy["daily_at"] else "")
        for policy in policies]
    return Manual("compare the remote-access policies (%s) and user-initiated connections (%s) with the site's template. Set them "
                  "with oob.amt.amt_cira (policies, user_initiated)" % ("; ".join(shown) or "none", user_initiated or "not reported"))


CONTROLS = (
    Control("AMT-FW-01", HIGH, "Firmware at or above every fixed version", ("firmware",), _firmware_advisories,
            "Install the OEM BIOS/ME update that carries a fixed AMT firmware; AMT cannot update itself over WS-Man, so no module does it."),
    Control("AMT-PROV-01", HIGH, "AMT provisioned, never left enabled but unprovisioned", ("provisioning",), _provisioned,
            "Activate AMT on the host with oob.amt.amt_provision (control_mode: acm, or ccm), or switch AMT off in the BIOS."),
    Control("AMT-PROV-02", MEDIUM, "Admin Control Mode where the MEBx password and consent policy are managed remotely",
            ("provisioning",), _admin_control_mode,
            "Upgrade to ACM with oob.amt.amt_provision (control_mode: acm; needs a trusted provisioning certificate), then set "
            "oob.amt.amt_redirection user_consent (AMT-REDIR-03)."),
    Control("AMT-MEBX-01", HIGH, "MEBx password changed from its factory value", ("users",), _mebx_password,
            "In ACM set a random strong one with oob.amt.amt_password (mebx_password), or at activation with "
            "oob.amt.amt_provision (mebx_password); in CCM change it in the MEBx (Ctrl-P at POST)."),
    Control("AMT-ACCT-01", HIGH, "Strong, non-default network admin password", ("users",), _network_admin_password,
            "Set a strong admin password with oob.amt.amt_password (new_password) and keep it in the vault."),
    Control("AMT-ACCT-03", MEDIUM, "Least-privilege realms; no unknown accounts", ("users",), _unknown_accounts,
            "List the allowed accounts (name or kerberos_sid, realms, access) in oob.amt.amt_baseline's AMT-ACCT-03 accounts "
            "with purge: true, or manage them with oob.amt.amt_user (accounts, purge: true)."),
    Control("AMT-ACCT-04", LOW, "Local vs network access scoped per account", ("users",), _account_access,
            "Give each account of oob.amt.amt_baseline's AMT-ACCT-03 accounts the access it needs (local, network or any), "
            "or set it with oob.amt.amt_user (access)."),
    Control("AMT-AUTH-01", MEDIUM, "Kerberos preferred over HTTP Digest", ("users",), _kerberos,
            "Configure Kerberos (KrbEnabled, realm, SPNs, AES) through the provisioning tooling; no module sets it yet."),
    Control("AMT-AUTH-02", MEDIUM, "Operator accounts are Kerberos SIDs; digest users kept to a minimum", ("users",), _digest_users,
            "Give operators Kerberos accounts with oob.amt.amt_user (kerberos_sid), then remove the digest users there "
            "(state: absent, or purge: true with the accounts to keep)."),
    Control("AMT-AUD-01", HIGH, "A dedicated auditor account exists, separate from admin", ("users", "audit"), _auditor,
            "Add exactly one Auditor with oob.amt.amt_user (realms: [audit_log] and nothing else, access: network, preferably "
            "a kerberos_sid), held by another team than the admin's."),
    Control("AMT-AUD-02", HIGH, "Access Monitor (audit log) enabled", ("audit",), _audit_enabled,
            "oob.amt.amt_audit_policy with state: enabled, as the auditor (or admin while no auditor exists)."),
    Control("AMT-AUD-03", MEDIUM, "Audit policy covers the security-relevant events", ("audit",), _audit_policy,
            "oob.amt.amt_audit_policy with the missing groups in events (append: true keeps the others), as the auditor."),
    Control("AMT-AUD-04", MEDIUM, "Storage policy keeps recent records when the log fills", ("audit",), _audit_storage,
            "oob.amt.amt_audit_policy with storage_policy: restricted_rollover and min_days_to_keep longer than the collection interval."),
    Control("AMT-TLS-01", HIGH, "TLS with server authentication on the network interface", ("tls",), _tls_enabled,
            "oob.amt.amt_tls with server_certificate and the issuer that signs it (issuer_certificate, issuer_private_key); it commits,"
            " reconnects over TLS and returns the connection later tasks must use."),
    Control("AMT-TLS-02", HIGH, "No clear-text WS-Man once TLS is on", ("tls",), _no_clear_text,
            "oob.amt.amt_tls with accept_non_secure_connections: false (its default)."),
    Control("AMT-TLS-03", LOW, "Mutual TLS for consoles", ("tls",), _mutual_tls,
            "oob.amt.amt_tls with mutual_authentication: true, trusted_root_certificates and trusted_cn; the task's client_cert"
            " and client_key keep it able to reach the device."),
    Control("AMT-TLS-04", LOW, "TLS on the local (LMS) interface", ("tls",), _local_tls,
            "oob.amt.amt_tls with local_tls: true (its default) and local_accept_non_secure_connections: false."),
    Control("AMT-REDIR-01", MEDIUM, "SOL and IDE-R/USB-R off unless needed", ("redirection",), _sol_ider,
            "oob.amt.amt_redirection with sol: false and ider: false unless needed, and listener: false when no redirection "
            "feature is needed."),
    Control("AMT-REDIR-02", MEDIUM, "KVM off unless needed", ("redirection",), _kvm,
            "oob.amt.amt_redirection with kvm: false (and listener: false when SOL and IDE-R are off too)."),
    Control("AMT-REDIR-03", HIGH, "User consent required for KVM and redirection", ("redirection",), _user_consent,
            "oob.amt.amt_redirection with user_consent: all (ACM, where the MEBx allows it; CCM always requires it)."),
    Control("AMT-REDIR-04", HIGH, "Native VNC port 5900 closed", ("redirection",), _vnc_port,
            "oob.amt.amt_redirection with vnc_port_5900: false."),
    Control("AMT-WIFI-01", HIGH, "No open or WEP wireless profiles", ("wifi",), _open_wifi,
            "Remove them with oob.amt.amt_wifi_profile (state: absent, or purge: true with the profiles to keep)."),
    Control("AMT-WIFI-03", LOW, "802.1X (EAP-TLS) wireless profiles preferred", ("wifi",), _wifi_8021x,
            "Replace PSK profiles with oob.amt.amt_wifi_profile profiles of security wpa2_8021x and their ieee8021x settings."),
    Control("AMT-WIFI-05", LOW, "Local profile synchronisation as policy decides, never unrestricted", ("wifi",), _wifi_sync,
            "oob.amt.amt_wifi_profile with local_profile_sync: off or user."),
    Control("AMT-WEB-01", MEDIUM, "Built-in web UI off unless used", ("network",), _web_ui,
            "oob.amt.amt_general with web_ui_enabled: false."),
    Control("AMT-ENV-01", MEDIUM, "Environment detection set correctly", ("network",), _environment_detection,
            "oob.amt.amt_general with the site's detection_domains and detection_ipv6_prefixes."),
    Control("AMT-RPROV-01", LOW, "Trusted provisioning root hashes limited to the ones in use", ("provisioning",),
            _provisioning_hashes,
            "Disable the hash in the MEBx (its provisioning hash menu). Whether firmware accepts a Put of "
            "AMT_ProvisioningCertificateHash with Enabled=false over WS-Man is unconfirmed, so no module changes it.",
            site_options=("allowed_provisioning_hashes",)),
    Control("AMT-CIRA-02", MEDIUM, "MPS authenticated by certificate or strong password; its root trusted", ("network", "tls"),
            _mps_authentication,
            "oob.amt.amt_cira with each server's certificate, or its username and a strong password from the vault (servers[],"
            " update_password: always), and mps_root_certificate: the CA that signed the servers' TLS certificates."),
    Control("AMT-CIRA-03", LOW, "Remote-access policies and user-initiated CIRA as intended", ("network",), _cira_policies,
            "oob.amt.amt_cira with the site's policies (trigger, servers, mps_type) and user_initiated."),
)

# Controls WS-Man cannot settle on its own: (id, severity, title, why and what to do).
MANUAL_CHECKS = (
    ("AMT-MEBX-02", HIGH, "MEBx protected by the system BIOS password",
     "not observable over WS-Man; check the BIOS password in BIOS setup or with the OEM tool"),
    ("AMT-MEBX-03", MEDIUM, "USB-key provisioning disabled in BIOS",
     "not observable over WS-Man; check the OEM BIOS setting"),
    ("AMT-ACCT-02", MEDIUM, "Admin password rotated",
     "AMT keeps no password age; check the rotation date in the controller's vault"),
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
    ("AMT-CIRA-01", MEDIUM, "Only the organisation's MPS servers configured",
     "compare amt.network.mps_servers with the site's MPS list; set them with oob.amt.amt_cira (servers, purge: true)"),
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


def evaluate(facts, needed_features=(), allowed_provisioning_hashes=None):
    """Judge the gathered facts. facts: subset -> facts as gather.gather returns them; allowed_provisioning_hashes: the
    site's root fingerprints as provisioning_hash_allowlist returns them, or None."""
    site = {"allowed_provisioning_hashes": allowed_provisioning_hashes}
    findings, manual_checks, skipped = [], [], []
    for control in CONTROLS:
        missing = [subset for subset in control.needs if subset not in facts]
        if missing:
            skipped.append({"id": control.id, "title": control.title, "needs": list(control.needs)})
            continue
        result = control.check(facts, tuple(needed_features), **dict((name, site[name]) for name in control.site_options))
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
