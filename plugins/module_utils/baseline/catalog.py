# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The hardening baseline as data: every control of docs/hardening-controls.md, how amt_baseline settles it, and the
settings it takes (in the option vocabulary of the module that manages the same thing) with their secure defaults.

Titles, severities, the judgement of observed controls and the fix texts are amt_info's (info/findings.py): one
place for each. A control is settled in one of three ways:

  enforce  its unit (plugins/module_utils/units) is converged with the control's settings
  observe  judged from amt_info's facts by its findings check; nothing over WS-Man can change it
  manual   WS-Man cannot settle it: the result says what to do

A control that is not enforced is observed where findings.py judges it and manual where findings.py lists it as a
manual check, so that the two follow amt_info.

Some enforced controls need data only the site has (a CA, an auditor's password, its MPS servers, Wi-Fi allowlist,
intranet domains): until the settings named in `requires` are given they are only observed. The accounts controls
(AMT-ACCT-03, AMT-ACCT-04) tell an empty list of allowed accounts from none given, so they judge that themselves.
"""

from __future__ import annotations

from ansible_collections.oob.amt.plugins.module_utils.info import findings
from ansible_collections.oob.amt.plugins.module_utils.units import accounts, audit_policy, cira, redirection, wifi

ENFORCE, OBSERVE, MANUAL = "enforce", "observe", "manual"

# Every control takes `enforce`: false observes it only (status drifted instead of a change).
ENFORCE_SETTING = "enforce"

# The Q11 events the audit policy must record: every event of the application groups amt_info requires.
BASELINE_AUDIT_EVENTS = dict((application, audit_policy.ALL) for application in findings.BASELINE_AUDIT_APPLICATIONS)
# Long enough to outlast a weekly collection with margin; the firmware's maximum is 255.
BASELINE_MIN_DAYS_TO_KEEP = 30


def _bool(default):
    return {"type": "bool", "default": default}


_SERVER_CERTIFICATE = {"type": "dict", "options": {
    "common_name": {"type": "str", "required": True},
    "subject_alt_names": {"type": "list", "elements": "str", "default": []},
    "key_length": {"type": "int", "choices": [2048, 3072], "default": 2048},
    "validity_days": {"type": "int", "default": 365},
    "renew_before_days": {"type": "int", "default": 30},
}}

_MPS_SERVER = {"type": "list", "elements": "dict", "options": {
    "address": {"type": "str", "required": True},
    "port": {"type": "int", "default": cira.DEFAULT_PORT},
    "cn": {"type": "str"},
    "username": {"type": "str"},
    "certificate": {"type": "str"},
}}

_POLICY = {"type": "list", "elements": "dict", "options": cira.POLICY_OPTIONS}

# The accounts besides the admin a site allows (AMT-ACCT-03), as amt_user's accounts option takes them; no default:
# without a list the accounts are only listed for a person to judge.
_ALLOWED_ACCOUNTS = {"type": "list", "elements": "dict", "options": {
    "name": {"type": "str"},
    "kerberos_sid": {"type": "str"},
    "realms": {"type": "list", "elements": "str"},
    "access": {"type": "str", "choices": sorted(accounts.ACCESS), "default": accounts.DEFAULT_ACCESS},
}}


class Control:
    """One row of the catalog.

    unit: the unit family that enforces it (redirection, audit_policy, users, accounts, wifi, general, cira, tls) or None;
    settings: setting name -> Ansible argument spec, with the secure default; requires: settings (or secrets) without
    which an enforced control is only observed; secrets: the keys of amt_baseline's secrets it reads; module: the
    per-control module whose option names the settings use; note: what the settings alone do not say (the role's table
    and argument specs show it).
    """

    def __init__(self, control_id, unit=None, settings=None, requires=(), secrets=(), module=None, note=None):
        self.id = control_id
        self.note = note
        self.unit = unit
        self.settings = dict(settings or {})
        self.settings[ENFORCE_SETTING] = _bool(True)
        self.requires = tuple(requires)
        self.secrets = tuple(secrets)
        self.module = module
        judged = _FINDINGS.get(control_id)
        manual = _MANUAL.get(control_id)
        if judged is None and manual is None:
            raise ValueError("%s is neither in info/findings.py's CONTROLS nor its MANUAL_CHECKS" % control_id)
        self.finding = judged
        self.mode = ENFORCE if unit is not None else OBSERVE if judged else MANUAL
        self.title = judged.title if judged else manual[2]
        self.severity = judged.severity if judged else manual[1]
        self.manual_reason = None if manual is None else manual[3]
        self.fix = judged.fix if judged else manual[3]

    @property
    def area(self):
        """The id's middle part in lower case: AMT-REDIR-02 -> redir."""
        return self.id.split("-")[1].lower()

    @property
    def variable(self):
        """The amt_hardening role's variable: AMT-REDIR-02 -> amt_hardening_redir_02."""
        return "amt_hardening_%s_%s" % (self.area, self.id.split("-")[2])

    def defaults(self):
        """The secure default of each setting (None where the device's value is kept)."""
        return dict((name, spec.get("default")) for name, spec in self.settings.items())


_FINDINGS = dict((control.id, control) for control in findings.CONTROLS)
_MANUAL = dict((entry[0], entry) for entry in findings.MANUAL_CHECKS)

CONTROLS = (
    Control("AMT-PROV-01"),
    Control("AMT-PROV-02"),
    Control("AMT-MEBX-01"),
    Control("AMT-MEBX-02"),
    Control("AMT-MEBX-03"),
    Control("AMT-ACCT-01"),
    Control("AMT-ACCT-02"),
    Control("AMT-ACCT-03", "accounts", module="amt_user", settings={
        "accounts": _ALLOWED_ACCOUNTS,
        "purge": _bool(True),
    }, secrets=("account_passwords",), note=(
        "without `accounts` the accounts besides the admin and the Auditor are listed and reported `manual`; `accounts: []`"
        " allows none. Never changed: the admin, the firmware's `$$` accounts, the Auditor (AMT-AUD-01's account)")),
    Control("AMT-ACCT-04", "accounts", module="amt_user", note=(
        "the `access` of each account of AMT-ACCT-03's `accounts`; without them the accounts' access is listed and reported"
        " `manual`")),
    Control("AMT-AUTH-01"),
    Control("AMT-AUTH-02"),
    Control("AMT-AUD-01", "users", module="amt_user", settings={
        "name": {"type": "str"},
        "kerberos_sid": {"type": "str"},
        "access": {"type": "str", "choices": sorted(accounts.ACCESS), "default": accounts.DEFAULT_ACCESS},
    }, requires=("name|kerberos_sid", "secrets.auditor_password|kerberos_sid"), secrets=("auditor_password",)),
    Control("AMT-AUD-02", "audit_policy", module="amt_audit_policy", settings={
        "state": {"type": "str", "choices": ["enabled"], "default": "enabled"},
    }),
    Control("AMT-AUD-03", "audit_policy", module="amt_audit_policy", settings={
        "events": {"type": "raw", "default": BASELINE_AUDIT_EVENTS},
        "critical_events": {"type": "raw"},
        "append": _bool(True),
    }),
    Control("AMT-AUD-04", "audit_policy", module="amt_audit_policy", settings={
        "storage_policy": {"type": "str", "choices": sorted(audit_policy.STORAGE_POLICY), "default": "restricted_rollover"},
        "min_days_to_keep": {"type": "int", "default": BASELINE_MIN_DAYS_TO_KEEP},
    }),
    Control("AMT-AUD-05"),
    Control("AMT-TLS-01", "tls", module="amt_tls", settings={
        "server_certificate": _SERVER_CERTIFICATE,
        "issuer_certificate": {"type": "str"},
        "restart_timeout": {"type": "int", "default": 180},
    }, requires=("issuer_certificate", "server_certificate", "secrets.tls_ca_key"),
        secrets=("tls_ca_key", "tls_ca_key_passphrase")),
    Control("AMT-TLS-02", "tls", module="amt_tls", settings={
        "accept_non_secure_connections": _bool(False),
    }),
    Control("AMT-TLS-03", "tls", module="amt_tls", settings={
        "mutual_authentication": _bool(False),
        "trusted_root_certificates": {"type": "list", "elements": "str", "default": []},
        "trusted_cn": {"type": "list", "elements": "str", "default": []},
    }, requires=("mutual_authentication",)),
    Control("AMT-TLS-04", "tls", module="amt_tls", settings={
        "local_tls": _bool(True),
        "local_accept_non_secure_connections": _bool(False),
    }),
    Control("AMT-REDIR-01", "redirection", module="amt_redirection", settings={
        "sol": _bool(False),
        "ider": _bool(False),
        # None: off unless SOL, IDE-R or KVM is wanted on (by this control or AMT-REDIR-02).
        "listener": {"type": "bool"},
    }),
    Control("AMT-REDIR-02", "redirection", module="amt_redirection", settings={
        "kvm": _bool(False),
    }),
    Control("AMT-REDIR-03", "redirection", module="amt_redirection", settings={
        "user_consent": {"type": "str", "choices": sorted(redirection.USER_CONSENT), "default": "all"},
        "consent_display_timeout": {"type": "int"},
        "consent_code_timeout": {"type": "int"},
    }),
    Control("AMT-REDIR-04", "redirection", module="amt_redirection", settings={
        "vnc_port_5900": _bool(False),
    }, secrets=("rfb_password",)),
    Control("AMT-WIFI-01", "wifi", module="amt_wifi_profile"),
    Control("AMT-WIFI-02"),
    Control("AMT-WIFI-03"),
    Control("AMT-WIFI-04", "wifi", module="amt_wifi_profile", settings={
        "allowed_profiles": {"type": "list", "elements": "str"},
    }, requires=("allowed_profiles",)),
    Control("AMT-WIFI-05", "wifi", module="amt_wifi_profile", settings={
        "local_profile_sync": {"type": "str", "choices": sorted(wifi.LOCAL_PROFILE_SYNC), "default": "off"},
        "uefi_profile_share": {"type": "bool"},
    }),
    Control("AMT-FW-01"),
    Control("AMT-FW-02"),
    Control("AMT-WEB-01", "general", module="amt_general", settings={
        "web_ui_enabled": _bool(False),
    }),
    Control("AMT-NET-01"),
    Control("AMT-RPROV-01", module="amt_info", settings={"allowed_provisioning_hashes": {"type": "list", "elements": "str"}}),
    Control("AMT-CIRA-01", "cira", module="amt_cira", settings={
        "servers": _MPS_SERVER,
        "mps_root_certificate": {"type": "str"},
    }, requires=("servers",), secrets=("mps_passwords",)),
    Control("AMT-CIRA-02"),
    Control("AMT-CIRA-03", "cira", module="amt_cira", settings={
        "policies": _POLICY,
        "user_initiated": {"type": "str", "choices": sorted(cira.USER_INITIATED)},
    }, requires=("policies|user_initiated",)),
    Control("AMT-ENV-01", "general", module="amt_general", settings={
        "detection_domains": {"type": "list", "elements": "str"},
        "detection_ipv6_prefixes": {"type": "list", "elements": "str"},
    }, requires=("detection_domains|detection_ipv6_prefixes",)),
)

BY_ID = dict((control.id, control) for control in CONTROLS)
IDS = tuple(BY_ID)

# The secrets amt_baseline takes, and the control each one serves.
SECRETS = tuple(sorted(set(key for control in CONTROLS for key in control.secrets)))
