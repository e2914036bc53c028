# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Access Monitor: whether AMT audits, which events it records, which are critical, and how it stores them (docs/amt-reference.md 6).

AuditPolicy is the unit (units/base.py): it reads AMT_AuditLog and AMT_AuditPolicyRule, refuses before any write an
admin login on a device whose log belongs to an Auditor, and sends RequestStateChange, SetAuditPolicyBulk and
SetStoragePolicy. Its state is described with the names and values of amt_audit_policy's options.
"""

from __future__ import annotations

from ansible_collections.oob.amt.plugins.module_utils.amt import schema
from ansible_collections.oob.amt.plugins.module_utils.amt.client import optional
from ansible_collections.oob.amt.plugins.module_utils.units.accounts import auditor_names, read_accounts
from ansible_collections.oob.amt.plugins.module_utils.units.base import Unit
from ansible_collections.oob.amt.plugins.module_utils.wsman.errors import DeviceError, InvalidInputError, NotPermittedError

# Application names and event names by AuditAppID and EventID (docs/amt-reference.md 6.3).
APPLICATIONS = {
    "security_admin": (16, [
        "provisioning_started", "provisioning_completed", "acl_entry_added", "acl_entry_modified", "acl_entry_removed",
        "acl_access_with_invalid_credentials", "acl_entry_state_changed", "tls_state_changed", "tls_server_certificate_set",
        "tls_server_certificate_removed", "tls_trusted_root_added", "tls_trusted_root_removed", "tls_pre_shared_key_set",
        "kerberos_settings_modified", "kerberos_master_key_modified", "flash_wear_out_counters_reset", "power_package_modified",
        "set_realm_authentication_mode", "upgrade_client_to_admin_control_mode", "unprovisioning_started"]),
    "remote_control": (17, [
        "power_up", "power_down", "power_cycle", "reset", "set_boot_options", "graceful_power_down", "graceful_reset",
        "standby", "hibernate", "nmi"]),
    "redirection_manager": (18, [
        "ider_session_opened", "ider_session_closed", "ider_enabled", "ider_disabled", "sol_session_opened",
        "sol_session_closed", "sol_enabled", "sol_disabled", "kvm_session_started", "kvm_session_ended", "kvm_enabled",
        "kvm_disabled", "vnc_password_failed_3_times"]),
    "firmware_update_manager": (19, ["firmware_updated", "firmware_update_failed"]),
    "security_audit_log": (20, ["log_cleared", "audit_policy_modified", "log_disabled", "log_enabled", "log_exported", "log_recovered"]),
    "network_time": (21, ["amt_time_set"]),
    "network_administration": (22, [
        "tcpip_parameters_set", "host_name_set", "domain_name_set", "vlan_parameters_set", "link_policy_set", "ipv6_parameters_set"]),
    "storage_administration": (23, [
        "global_storage_attributes_set", "storage_eacl_modified", "storage_fpacl_modified", "storage_write_operation"]),
    "event_manager": (24, ["alert_subscribed", "alert_unsubscribed", "event_log_cleared", "event_log_frozen"]),
    "system_defense_manager": (25, [
        "filter_added", "filter_removed", "policy_added", "policy_removed", "default_policy_set", "heuristics_option_set",
        "heuristics_state_cleared"]),
    "agent_presence_manager": (26, ["agent_watchdog_added", "agent_watchdog_removed", "agent_watchdog_action_set"]),
    "wireless_configuration": (27, [
        "profile_added", "profile_removed", "profile_updated", "profile_sync_modified", "link_preference_changed",
        "uefi_profile_share_changed"]),
    "endpoint_access_control": (28, ["posture_signer_set", "eac_enabled", "eac_disabled", "posture_state_update", "set_options"]),
    "kvm": (29, ["kvm_opt_in_enabled", "kvm_opt_in_disabled", "kvm_password_changed", "kvm_consent_succeeded", "kvm_consent_failed"]),
    "user_opt_in": (30, ["opt_in_policy_change", "send_consent_code", "start_opt_in_blocked"]),
}
# Watchdog numbers its events from 1 (event 0 appears in no source).
WATCHDOG = ("watchdog", 33, {1: "watchdog_action_settings_changed", 2: "watchdog_action_pairing_changed"})


def _event_codes():
    codes = {}
    for application, (app_id, events) in APPLICATIONS.items():
        for event_id, event in enumerate(events):
            codes[(application, event)] = (app_id, event_id)
    for event_id, event in WATCHDOG[2].items():
        codes[(WATCHDOG[0], event)] = (WATCHDOG[1], event_id)
    return codes


EVENT_CODES = _event_codes()
EVENT_NAMES = dict((code, name) for name, code in EVENT_CODES.items())
ALL = "all"

STORAGE_POLICY_NAMES = schema.AUDIT_STORAGE_POLICY
STORAGE_POLICY = dict((name, value) for value, name in STORAGE_POLICY_NAMES.items())
MAX_DAYS_TO_KEEP = 255
AUDIT_STATE_DISABLED = 0x01
ENABLED, DISABLED = "enabled", "disabled"
# PolicyType values (docs/amt-reference.md 6.2 assumes 0 = non-critical, 1 = critical).
NON_CRITICAL, CRITICAL = 0, 1


def _application_events(application):
    if application == WATCHDOG[0]:
        return list(WATCHDOG[2].values())
    return list(APPLICATIONS[application][1])


def application_names():
    return sorted(list(APPLICATIONS) + [WATCHDOG[0]])


def event_set(option, selection):
    """{(app_id, event_id)} for an option value: 'all', or {application: 'all' | [event names]}."""
    if selection is None:
        return None
    if selection == ALL:
        return set(EVENT_CODES.values())
    if not isinstance(selection, dict):
        raise InvalidInputError("%s: give 'all' or a mapping of application name to a list of event names or 'all'" % option)
    codes = set()
    for application, events in selection.items():
        if application not in application_names():
            raise InvalidInputError("%s: unknown application %s; known: %s" % (option, application, ", ".join(application_names())))
        known = _application_events(application)
        if events == ALL:
            events = known
        if isinstance(events, str) or not isinstance(events, list):
            raise InvalidInputError("%s.%s: give a list of event names or 'all'" % (option, application))
        for event in events:
            if event not in known:
                raise InvalidInputError("%s.%s: unknown event %s; known: %s" % (option, application, event, ", ".join(known)))
            codes.add(EVENT_CODES[(application, event)])
    return codes


def validate(want):
    """The normalised task ({events, critical, state, storage_policy, min_days_to_keep, append}); InvalidInputError names the option."""
    events = event_set("events", want.get("events"))
    critical = event_set("critical_events", want.get("critical_events"))
    if critical and events is not None and not want.get("append") and not critical <= events:
        raise InvalidInputError("critical_events: every critical event must also be audited (listed in events): %s" % ", ".join(
            "%s.%s" % EVENT_NAMES[code] for code in sorted(critical - events)))
    policy = want.get("storage_policy")
    days = want.get("min_days_to_keep")
    if policy is not None and policy not in STORAGE_POLICY:
        raise InvalidInputError("storage_policy: must be one of %s" % ", ".join(sorted(STORAGE_POLICY)))
    if days is not None:
        if policy != "restricted_rollover":
            raise InvalidInputError("min_days_to_keep: applies only to storage_policy restricted_rollover")
        if not 0 <= days <= MAX_DAYS_TO_KEEP:
            raise InvalidInputError("min_days_to_keep: must be between 0 and %d days (got %d)" % (MAX_DAYS_TO_KEEP, days))
    if policy == "restricted_rollover" and days is None:
        raise InvalidInputError("min_days_to_keep: storage_policy restricted_rollover needs the number of days records are kept")
    return {"events": events, "critical": critical, "state": want.get("state"), "storage_policy": policy,
            "min_days_to_keep": days, "append": bool(want.get("append"))}


def read(client):
    log = client.get(schema.AMT_AUDIT_LOG)
    rule = optional(lambda: client.get(schema.AMT_AUDIT_POLICY_RULE))
    events = None
    if rule is not None:
        ids = [schema.audit_event_code(value) for value in schema.as_list(rule.get("AuditApplicationEventID"))]
        types = [schema.as_int(value) for value in schema.as_list(rule.get("PolicyType"))]
        events = dict(zip(ids, types + [NON_CRITICAL] * (len(ids) - len(types))))
    audit_state = schema.as_int(log.get("AuditState")) or 0
    policy = schema.as_int(log.get("StoragePolicy"))
    return {
        "state": DISABLED if audit_state & AUDIT_STATE_DISABLED else ENABLED,
        # None: firmware without AMT_AuditPolicyRule (before AMT 7).
        "events": events,
        "storage_policy": STORAGE_POLICY_NAMES.get(policy, "unknown_%s" % policy),
        "min_days_to_keep": schema.as_int(log.get("MinDaysToKeep")) if policy == STORAGE_POLICY["restricted_rollover"] else None,
        "log": log,
    }


def _wanted_events(current, want):
    """{(app, event): policy type} the device should end with."""
    audited = set(current) if want["events"] is None else set(want["events"])
    if want["append"] and want["events"] is not None:
        audited |= set(current)
    critical = set(code for code, kind in current.items() if kind == CRITICAL)
    if want["critical"] is not None:
        critical = set(want["critical"]) | (critical if want["append"] else set())
        audited |= critical
    return dict((code, CRITICAL if code in critical else NON_CRITICAL) for code in audited)


def plan(state, want):
    changes = []
    if want["state"] == ENABLED and state["state"] != ENABLED:
        changes.append({"action": "enable"})
    current = state["events"]
    if current is None:
        if want["events"] is not None or want["critical"] is not None:
            raise DeviceError("this firmware has no AMT_AuditPolicyRule, so events and critical_events cannot be set",
                              class_name=schema.AMT_AUDIT_POLICY_RULE)
        current = {}
    wanted = _wanted_events(current, want)
    policy_rows = [(True, code, kind) for code, kind in sorted(wanted.items()) if current.get(code) != kind]
    policy_rows += [(False, code, NON_CRITICAL) for code in sorted(set(current) - set(wanted))]
    if policy_rows:
        changes.append({"action": "policy", "rows": policy_rows, "events": wanted})
    policy = want["storage_policy"]
    if policy is not None and (policy != state["storage_policy"] or want["min_days_to_keep"] != state["min_days_to_keep"]):
        changes.append({"action": "storage", "policy": policy, "days": want["min_days_to_keep"]})
    # Disabling last, so that the policy changes above are still recorded.
    if want["state"] == DISABLED and state["state"] != DISABLED:
        changes.append({"action": "disable"})
    return changes


def summary(change):
    if change["action"] in ("enable", "disable"):
        return "%s auditing" % change["action"]
    if change["action"] == "storage":
        days = "" if change["days"] is None else " keeping %d days" % change["days"]
        return "set storage policy %s%s" % (change["policy"], days)
    enabled = sum(1 for enable, _code, _kind in change["rows"] if enable)
    return "set audit policy: %d events audited or re-classified, %d no longer audited" % (enabled, len(change["rows"]) - enabled)


def _event_view(events, critical_only):
    if events is None:
        return None
    view = {}
    for code, kind in sorted(events.items()):
        if critical_only and kind != CRITICAL:
            continue
        application, event = EVENT_NAMES.get(code, ("app_%d" % code[0], "event_%d" % code[1]))
        view.setdefault(application, []).append(event)
    return view


def describe(state):
    return {
        "state": state["state"],
        "events": _event_view(state["events"], False),
        "critical_events": _event_view(state["events"], True),
        "storage_policy": state["storage_policy"],
        "min_days_to_keep": state["min_days_to_keep"],
    }


def after_state(state, changes):
    after = dict(state)
    for change in changes:
        if change["action"] in ("enable", "disable"):
            after["state"] = ENABLED if change["action"] == "enable" else DISABLED
        elif change["action"] == "policy":
            after["events"] = change["events"]
        else:
            after["storage_policy"], after["min_days_to_keep"] = change["policy"], change["days"]
    return after


# --- rights and applying -------------------------------------------------------------------------------------------

AUDITOR_NEEDED = ("the device has an Auditor account (realm Audit Log): only the auditor may change auditing, its policy"
                  " and storage; connect with the auditor's username and password instead of the admin's")


def check_rights(client, username):
    """Refuse, before anything is written, an admin login when an Auditor account holds the audit log."""
    try:
        admin = client.invoke(schema.AMT_AUTHORIZATION_SERVICE, "GetAdminAclEntry", cached=True)
    except NotPermittedError:
        return  # not the admin: the Auditor, or a user the device will refuse on the first write
    if admin.get("Username") != username:
        return
    if auditor_names(read_accounts(client)):
        raise NotPermittedError(AUDITOR_NEEDED, class_name=schema.AMT_AUDIT_LOG, return_value=schema.PT_STATUS_NOT_PERMITTED,
                                return_name="PT_STATUS_NOT_PERMITTED")


def _invoke(client, class_name, method, inputs):
    try:
        client.invoke(class_name, method, inputs)
    except NotPermittedError as error:
        raise NotPermittedError("%s: %s" % (error, AUDITOR_NEEDED), class_name=error.class_name, method=error.method,
                                return_value=error.return_value, return_name=error.return_name, fault=error.fault) from None


def _send(client, change):
    if change["action"] in ("enable", "disable"):
        requested = schema.REQUESTED_STATE_ENABLED if change["action"] == "enable" else schema.REQUESTED_STATE_DISABLED
        _invoke(client, schema.AMT_AUDIT_LOG, "RequestStateChange", [("RequestedState", requested)])
    elif change["action"] == "storage":
        # Input names after Intel's property text (docs/amt-reference.md 6.1); unconfirmed on hardware.
        inputs = [("StoragePolicy", STORAGE_POLICY[change["policy"]])]
        if change["days"] is not None:
            inputs.append(("DaysToKeep", change["days"]))
        _invoke(client, schema.AMT_AUDIT_LOG, "SetStoragePolicy", inputs)
    else:
        rows = change["rows"]
        _invoke(client, schema.AMT_AUDIT_POLICY_RULE, "SetAuditPolicyBulk", [
            ("Enable", [enable for enable, _code, _kind in rows]),
            ("AuditedAppID", [code[0] for _enable, code, _kind in rows]),
            ("EventID", [code[1] for _enable, code, _kind in rows]),
            ("PolicyType", [kind for _enable, _code, kind in rows]),
        ])


class AuditPolicy(Unit):
    """The Access Monitor's state, audited events, critical events and storage policy (module amt_audit_policy)."""

    name = "audit_policy"

    def validate(self, options):
        self.username = options.get("username")
        return validate(options)

    def read(self, client):
        return read(client)

    def describe(self, state):
        return describe(state)

    def plan(self, state):
        return plan(state, self.want)

    def after(self, state, changes):
        return after_state(state, changes)

    def preflight(self, client, state, changes):
        check_rights(client, self.username)

    def summary(self, change):
        return summary(change)

    def send(self, client, state, change):
        _send(client, change)

    def landed(self, client, change):
        state = read(client)
        return state == after_state(state, [change])
