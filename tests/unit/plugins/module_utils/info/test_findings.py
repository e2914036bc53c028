# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import copy

import pytest

from ansible_collections.oob.amt.plugins.module_utils.info.findings import CONTROLS, MANUAL_CHECKS, evaluate, provisioning_hash_allowlist
from ansible_collections.oob.amt.plugins.module_utils.info.subsets import SUBSET_NAMES
from ansible_collections.oob.amt.plugins.module_utils.wsman.errors import InvalidInputError

HARDENED = {
    "firmware": {"version": "12.0.90", "build": "1000", "full_version": "12.0.90.1000"},
    "provisioning": {"state": "post", "control_mode": "acm"},
    "general": {"uuid": "03020100-0504-0706-0809-0a0b0c0d0e0f"},
    "network": {"interfaces": [], "web_ui_enabled": False, "detection_domains": ["corp.example.com"], "detection_ipv6_prefixes": [],
                "mps_servers": [], "cira_policies": [], "cira_user_initiated": "disabled"},
    "tls": {
        "remote": {"enabled": True, "mutual_authentication": True, "accept_non_secure_connections": False,
                   "non_secure_connections_supported": None, "trusted_cn": ["console"]},
        "local": {"enabled": True, "mutual_authentication": False, "accept_non_secure_connections": True,
                  "non_secure_connections_supported": None, "trusted_cn": []},
        "server_certificate_configured": True,
        "trusted_root_certificates": ["-----BEGIN CERTIFICATE-----\nconsole and MPS root\n-----END CERTIFICATE-----\n"],
    },
    "users": {
        "admin_username": "admin", "admin_password_is_default": False, "network_admin_password_is_default": False,
        "accounts": [{"name": None, "type": "kerberos", "kerberos_sid": "S-1-5-21-1-2-3-1104", "access": "network", "realms": ["audit_log"]}],
        "system_accounts": [{"name": "$$OsAdmin", "access": "local", "realms": ["local_system"]}],
        "kerberos": {"enabled": True, "realm_name": "CORP", "service_principal_names": [], "encryption_algorithms": ["aes256_cts_hmac_sha1_96"]},
    },
    "wifi": {"local_profile_sync": "off", "uefi_profile_share": False,
             "profiles": [{"name": "corp", "ssid": "corp", "security": "wpa2_8021x", "encryption": "ccmp"}]},
    "audit": {
        "policy": {"state": "enabled", "storage_policy": "restricted_rollover", "min_days_to_keep": 30, "critical_events": {},
                   "events": {"security_admin": ["acl_entry_added"], "remote_control": ["power_up"], "redirection_manager": ["sol_enabled"],
                              "firmware_update_manager": ["firmware_updated"], "security_audit_log": ["log_cleared"],
                              "wireless_configuration": ["profile_added"], "kvm": ["kvm_opt_in_enabled"], "user_opt_in": ["opt_in_policy_change"]}},
        "log": {"state_flags": []},
    },
    "redirection": {"listener": False, "sol": False, "ider": False, "kvm": False, "vnc_port_5900": False, "kvm_session_timeout": 30,
                    "user_consent": "all", "consent_display_timeout": 300, "consent_code_timeout": 120, "kvm_supported": True,
                    "kvm_enabled_in_mebx": True, "consent_policy_changeable": True},
    "power": {"state": "on"},
}


def ids(findings):
    return [finding["id"] for finding in findings]


def with_changes(**changes):
    facts = copy.deepcopy(HARDENED)
    for path, value in changes.items():
        subset, key = path.split("__", 1)
        target = facts[subset]
        while "__" in key:
            head, key = key.split("__", 1)
            target = target[head]
        target[key] = value
    return facts


def test_hardened_device_has_no_findings_and_nothing_skipped():
    findings, manual, skipped = evaluate(HARDENED)
    assert findings == []
    assert skipped == []
    manual_ids = ids(manual)
    for control_id, _severity, _title, _reason in MANUAL_CHECKS:
        assert control_id in manual_ids
    # Advisories after INTEL-SA-00575 were never catalogued: AMT-FW-01 always keeps a manual part.
    assert "AMT-FW-01" in manual_ids


@pytest.mark.parametrize("changes, control_id", [
    ({"provisioning__state": "in"}, "AMT-PROV-01"),
    ({"provisioning__control_mode": "ccm"}, "AMT-PROV-02"),
    ({"users__admin_password_is_default": True}, "AMT-MEBX-01"),
    ({"users__network_admin_password_is_default": True}, "AMT-ACCT-01"),
    ({"users__kerberos": None}, "AMT-AUTH-01"),
    ({"users__kerberos__encryption_algorithms": ["rc4_hmac"]}, "AMT-AUTH-01"),
    ({"audit__policy__state": "disabled", "audit__log__state_flags": ["disabled"]}, "AMT-AUD-02"),
    ({"audit__policy__events": {"security_admin": ["acl_entry_added"], "security_audit_log": ["log_cleared"]}}, "AMT-AUD-03"),
    ({"audit__policy__storage_policy": "rollover"}, "AMT-AUD-04"),
    ({"tls__remote__enabled": False}, "AMT-TLS-01"),
    ({"tls__server_certificate_configured": False}, "AMT-TLS-01"),
    ({"tls__remote__accept_non_secure_connections": True}, "AMT-TLS-02"),
    ({"tls__remote__mutual_authentication": False}, "AMT-TLS-03"),
    ({"tls__local__enabled": False}, "AMT-TLS-04"),
    ({"redirection__sol": True}, "AMT-REDIR-01"),
    ({"redirection__listener": True}, "AMT-REDIR-01"),
    ({"redirection__kvm": True}, "AMT-REDIR-02"),
    ({"redirection__user_consent": "none"}, "AMT-REDIR-03"),
    ({"redirection__user_consent": "none", "redirection__consent_policy_changeable": False}, "AMT-REDIR-03"),
    ({"redirection__vnc_port_5900": True}, "AMT-REDIR-04"),
    ({"wifi__local_profile_sync": "unrestricted"}, "AMT-WIFI-05"),
    ({"network__web_ui_enabled": True}, "AMT-WEB-01"),
    ({"network__mps_servers": [{"address": "mps.example.com", "port": 4433, "cn": "mps.example.com"}]}, "AMT-CIRA-02"),
])
def test_each_failed_control_is_one_finding(changes, control_id):
    findings, _manual, _skipped = evaluate(with_changes(**changes))
    assert ids(findings) == [control_id]
    finding = findings[0]
    assert finding["severity"] in ("high", "medium", "low")
    assert finding["observed"] and finding["fix"] and finding["title"]


def test_open_wifi_profile_fails_wifi_01_and_wifi_03():
    facts = with_changes(wifi__profiles=[{"name": "guest", "ssid": "guest", "security": "open_system", "encryption": "none"}])
    findings, _manual, _skipped = evaluate(facts)
    assert ids(findings) == ["AMT-WIFI-01", "AMT-WIFI-03"]
    assert "guest" in findings[0]["observed"]


def test_auditor_must_be_exactly_one_account():
    facts = copy.deepcopy(HARDENED)
    facts["users"]["accounts"] = []
    assert ids(evaluate(facts)[0]) == ["AMT-AUD-01"]
    facts = copy.deepcopy(HARDENED)
    facts["users"]["accounts"].append({"name": None, "type": "kerberos", "kerberos_sid": "S-1-5-21-1-2-3-1105", "access": "network",
                                       "realms": ["audit_log"]})
    findings = evaluate(facts)[0]
    assert ids(findings) == ["AMT-AUD-01"] and "2 accounts" in findings[0]["observed"]


def test_digest_operator_fails_auth_02_but_system_accounts_do_not():
    facts = copy.deepcopy(HARDENED)
    facts["users"]["accounts"].append({"name": "helpdesk", "type": "digest", "kerberos_sid": None, "access": "network",
                                       "realms": ["remote_control"]})
    findings = evaluate(facts)[0]
    assert ids(findings) == ["AMT-AUTH-02"] and "helpdesk" in findings[0]["observed"]


def test_needed_features_are_not_findings():
    facts = with_changes(redirection__kvm=True, redirection__sol=True, redirection__listener=True,
                         network__web_ui_enabled=True)
    assert ids(evaluate(facts)[0]) == ["AMT-REDIR-01", "AMT-REDIR-01", "AMT-REDIR-02", "AMT-WEB-01"]
    assert ids(evaluate(facts, ["kvm", "sol", "web_ui"])[0]) == []


def test_non_secure_removed_by_firmware_passes_tls_02():
    facts = with_changes(tls__remote__accept_non_secure_connections=True, tls__remote__non_secure_connections_supported=False)
    assert ids(evaluate(facts)[0]) == []


def test_vulnerable_firmware_findings_come_first_with_sa_00075_leading():
    facts = with_changes(firmware__version="11.0.0", firmware__build="1000", firmware__full_version="11.0.0.1000",
                         provisioning__control_mode="ccm")
    findings = evaluate(facts)[0]
    assert findings[0]["id"] == "AMT-FW-01"
    assert findings[0]["advisory"] == "INTEL-SA-00075"
    assert findings[0]["cves"] == ["CVE-2017-5689"]
    assert findings[0]["fixed_in"] == "11.0.25.3001"
    firmware_ids = [finding.get("advisory") for finding in findings if finding["id"] == "AMT-FW-01"]
    assert "INTEL-SA-00213" in firmware_ids and "INTEL-SA-00391" in firmware_ids
    assert findings[-1]["id"] == "AMT-PROV-02"


def test_unknown_advisories_become_a_manual_check():
    facts = with_changes(firmware__version="16.1.27", firmware__build="2176", firmware__full_version="16.1.27.2176")
    findings, manual, _skipped = evaluate(facts)
    assert "AMT-FW-01" not in ids(findings)
    firmware_manual = [check for check in manual if check["id"] == "AMT-FW-01"][0]
    assert "INTEL-SA-00391" in firmware_manual["reason"] and "16.1.27.2176" in firmware_manual["reason"]


def test_controls_of_ungathered_subsets_are_skipped_and_named():
    facts = {"firmware": HARDENED["firmware"]}
    findings, manual, skipped = evaluate(facts)
    skipped_ids = ids(skipped)
    assert "AMT-FW-01" not in skipped_ids
    assert set(skipped_ids) == {control.id for control in CONTROLS} - {"AMT-FW-01"}
    auditor = [entry for entry in skipped if entry["id"] == "AMT-AUD-01"][0]
    assert auditor["needs"] == ["users", "audit"]
    assert findings == []
    assert "AMT-MEBX-02" in ids(manual)


def test_absent_web_ui_and_audit_policy_become_manual_checks():
    facts = with_changes(network__web_ui_enabled=None, audit__policy__events=None)
    findings, manual, _skipped = evaluate(facts)
    assert findings == []
    assert {"AMT-WEB-01", "AMT-AUD-03"} <= set(ids(manual))


def test_every_control_needs_only_known_subsets():
    for control in CONTROLS:
        assert set(control.needs) <= set(SUBSET_NAMES)


def test_environment_detection_is_shown_for_comparison_with_the_site():
    _findings, manual, _skipped = evaluate(with_changes(network__detection_ipv6_prefixes=["2001:db8:10::/48"]))
    (detection,) = [check for check in manual if check["id"] == "AMT-ENV-01"]
    assert "intranet domains (corp.example.com) and IPv6 prefixes (2001:db8:10::/48)" in detection["reason"]
    assert "oob.amt.amt_general" in detection["reason"]
    _findings, manual, _skipped = evaluate(with_changes(network__detection_domains=None, network__detection_ipv6_prefixes=None))
    (absent,) = [check for check in manual if check["id"] == "AMT-ENV-01"]
    assert absent["reason"].startswith("the device has no AMT_EnvironmentDetectionSettingData")


MPS_BY_PASSWORD = {"address": "mps.example.com", "port": 4433, "cn": "mps.example.com", "username": "amt1", "password": "********"}
MPS_BY_CERTIFICATE = {"address": "192.0.2.44", "port": 8443, "cn": "mps2.example.com", "certificate": "3"}
PERIODIC = {"trigger": "periodic", "servers": ["mps.example.com"], "tunnel_lifetime": 0, "interval": 60, "daily_at": None,
            "mps_type": "external"}


def test_mps_servers_with_a_credential_and_a_trusted_root_pass_cira_02():
    findings, manual, _skipped = evaluate(with_changes(network__mps_servers=[MPS_BY_PASSWORD, MPS_BY_CERTIFICATE]))
    assert findings == []
    assert "AMT-CIRA-02" not in ids(manual)


def test_each_mps_without_a_credential_and_a_missing_root_fail_cira_02():
    bare = {"address": "rogue.example.net", "port": 4433, "cn": "rogue.example.net"}
    findings, _manual, _skipped = evaluate(with_changes(network__mps_servers=[MPS_BY_PASSWORD, bare], tls__trusted_root_certificates=[]))
    assert ids(findings) == ["AMT-CIRA-02", "AMT-CIRA-02"]
    assert findings[0]["observed"].startswith("MPS rogue.example.net:4433 has no credential")
    assert "trusts no root certificate" in findings[1]["observed"]
    assert "oob.amt.amt_cira" in findings[0]["fix"] and "mps_root_certificate" in findings[0]["fix"]


def test_cira_02_needs_the_tls_subset_for_the_root():
    facts = copy.deepcopy(HARDENED)
    del facts["tls"]
    skipped = evaluate(facts)[2]
    assert [entry["needs"] for entry in skipped if entry["id"] == "AMT-CIRA-02"] == [["network", "tls"]]


def test_no_policy_and_no_user_initiated_connection_pass_cira_03():
    for user_initiated in ("disabled", None):
        findings, manual, _skipped = evaluate(with_changes(network__cira_policies=None, network__cira_user_initiated=user_initiated))
        assert "AMT-CIRA-03" not in ids(findings) + ids(manual)


def test_policies_and_user_initiated_connections_are_shown_for_comparison_with_the_site():
    daily = dict(PERIODIC, trigger="alert", servers=["mps.example.com", "192.0.2.44"], interval=None, mps_type="both", tunnel_lifetime=300)
    facts = with_changes(network__mps_servers=[MPS_BY_PASSWORD, MPS_BY_CERTIFICATE], network__cira_policies=[PERIODIC, daily],
                         network__cira_user_initiated="bios_and_os")
    findings, manual, _skipped = evaluate(facts)
    assert findings == []
    (policies,) = [check for check in manual if check["id"] == "AMT-CIRA-03"]
    assert "periodic to mps.example.com (external MPS, tunnel_lifetime 0, every 60 s)" in policies["reason"]
    assert "alert to mps.example.com, 192.0.2.44 (both MPS, tunnel_lifetime 300)" in policies["reason"]
    assert "user-initiated connections (bios_and_os)" in policies["reason"] and "oob.amt.amt_cira" in policies["reason"]
    (user_only,) = [check for check in evaluate(with_changes(network__cira_user_initiated="os"))[1] if check["id"] == "AMT-CIRA-03"]
    assert "remote-access policies (none) and user-initiated connections (os)" in user_only["reason"]


SITE_ROOT = {"name": "Site Root CA", "hash_type": "sha256", "hash": "ab" * 32, "default": False, "enabled": True}
VENDOR_ROOT = {"name": "Vendor Root CA", "hash_type": "sha1", "hash": "cd" * 20, "default": True, "enabled": True}
DISABLED_ROOT = {"name": "Old Root CA", "hash_type": "sha384", "hash": "ef" * 48, "default": True, "enabled": False}


def root_hashes(state="post", hashes=(SITE_ROOT, VENDOR_ROOT, DISABLED_ROOT)):
    return with_changes(provisioning__state=state, provisioning__control_mode="acm" if state == "post" else "none",
                        provisioning__certificate_hashes=None if hashes is None else [dict(entry) for entry in hashes])


def rprov(result):
    findings, manual, _skipped = result
    return [entry for entry in findings if entry["id"] == "AMT-RPROV-01"], [entry for entry in manual if entry["id"] == "AMT-RPROV-01"]


def test_each_enabled_root_hash_off_the_allowlist_is_a_finding():
    found, manual = rprov(evaluate(root_hashes(), allowed_provisioning_hashes=["ab" * 32]))
    assert manual == [] and len(found) == 1
    assert found[0]["observed"] == "provisioning root hash Vendor Root CA (sha1 %s) is enabled but not in allowed_provisioning_hashes" % ("cd" * 20)
    assert found[0]["severity"] == "low" and "MEBx" in found[0]["fix"]
    # A disabled hash is no finding even off the list; an empty list allows none.
    found, _manual = rprov(evaluate(root_hashes(), allowed_provisioning_hashes=[]))
    assert [entry["observed"].split(" (")[0] for entry in found] == ["provisioning root hash Site Root CA", "provisioning root hash Vendor Root CA"]
    assert rprov(evaluate(root_hashes(), allowed_provisioning_hashes=["ab" * 32, "cd" * 20])) == ([], [])


def test_the_allowlist_is_judged_before_provisioning_too():
    found, manual = rprov(evaluate(root_hashes("pre"), allowed_provisioning_hashes=["ab" * 32]))
    assert len(found) == 1 and "Vendor Root CA" in found[0]["observed"] and manual == []


def test_without_an_allowlist_a_provisioned_device_passes_and_another_is_a_manual_check():
    assert rprov(evaluate(root_hashes("post"))) == ([], [])
    found, (manual,) = rprov(evaluate(root_hashes("pre")))
    assert found == []
    assert manual["reason"].startswith("2 provisioning root hash(es) enabled before provisioning: Site Root CA (sha256), Vendor Root CA (sha1).")
    assert "allowed_provisioning_hashes" in manual["reason"] and "Old Root CA" not in manual["reason"]


def test_unreadable_root_hashes_are_a_manual_check_unless_provisioned_without_an_allowlist():
    assert rprov(evaluate(root_hashes("post", hashes=None))) == ([], [])
    for state, allowlist in (("pre", None), ("post", ["ab" * 32])):
        found, (manual,) = rprov(evaluate(root_hashes(state, hashes=None), allowed_provisioning_hashes=allowlist))
        assert found == [] and manual["reason"].startswith("the provisioning root hashes could not be read")
        assert ("against allowed_provisioning_hashes" in manual["reason"]) == (allowlist is not None)


def test_rprov_01_needs_the_provisioning_subset():
    facts = copy.deepcopy(HARDENED)
    del facts["provisioning"]
    assert "AMT-RPROV-01" in ids(evaluate(facts, allowed_provisioning_hashes=[])[2])


def test_allowlist_ignores_case_and_colons():
    colons = ":".join(["AB"] * 32)
    assert provisioning_hash_allowlist([colons, " " + "Cd" * 20, "ef" * 48]) == ["ab" * 32, "cd" * 20, "ef" * 48]
    assert provisioning_hash_allowlist(None) is None and provisioning_hash_allowlist([]) == []


@pytest.mark.parametrize("value", ["ab" * 16, "ab" * 33, "zz" * 32, "sha256:" + "ab" * 32, ""])
def test_allowlist_refuses_what_is_not_a_fingerprint_naming_the_option(value):
    with pytest.raises(InvalidInputError) as raised:
        provisioning_hash_allowlist(["ab" * 32, value])
    assert str(raised.value).startswith("allowed_provisioning_hashes: ") and raised.value.kind == "invalid_input"


def test_accounts_besides_the_admin_and_the_auditor_are_listed_for_the_sites_judgement():
    manual_ids = ids(evaluate(HARDENED)[1])
    assert "AMT-ACCT-03" not in manual_ids and "AMT-ACCT-04" not in manual_ids
    facts = copy.deepcopy(HARDENED)
    facts["users"]["accounts"] += [
        {"name": "helpdesk", "type": "digest", "kerberos_sid": None, "access": "any", "realms": ["general_info", "remote_control"]},
        {"name": None, "type": "kerberos", "kerberos_sid": "S-1-5-21-1-2-3-1107", "access": "local", "realms": ["hardware_asset"]}]
    findings, manual, _skipped = evaluate(facts)
    assert "AMT-ACCT-03" not in ids(findings) and "AMT-ACCT-04" not in ids(findings)
    realms = [check for check in manual if check["id"] == "AMT-ACCT-03"][0]
    assert realms["severity"] == "medium" and realms["reason"].startswith(
        "2 account(s) besides the admin and the Auditor: helpdesk (digest) realms general_info, remote_control; "
        "S-1-5-21-1-2-3-1107 (kerberos) realms hardware_asset.")
    assert "AMT-ACCT-03 accounts" in realms["reason"]
    access = [check for check in manual if check["id"] == "AMT-ACCT-04"][0]
    assert "helpdesk (digest) any; S-1-5-21-1-2-3-1107 (kerberos) local" in access["reason"]
