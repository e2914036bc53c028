# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The user accounts of AMT_AuthorizationService besides the admin (docs/amt-reference.md 2.3, 4): reading them, who is the
Auditor, and Users, the unit of amt_user.

An account is a Digest user (a name and a password) or a Kerberos user or group (an Active Directory SID), with an
access permission (local, network or any) and the realms it may use. Accounts are matched by name or by SID; the
handle the firmware gives each entry never leaves this file. Digest passwords are write-only: the firmware keeps
only the hash, so a password is written when an account is created, or on every run with update_password=always.
Names beginning with $$ are the firmware's system accounts: they are read, never changed or removed.
"""

from __future__ import annotations

import base64
import binascii
import re

from ansible_collections.oob.amt.plugins.module_utils.amt import schema
from ansible_collections.oob.amt.plugins.module_utils.amt.schema import as_int, as_list, enum_name
from ansible_collections.oob.amt.plugins.module_utils.units.base import SECRET_WRITTEN_MASK, Unit, refuse
from ansible_collections.oob.amt.plugins.module_utils.units.password_policy import (
    SYSTEM_ACCOUNT_PREFIX,
    check_password,
    check_username,
    digest_password,
)
from ansible_collections.oob.amt.plugins.module_utils.wsman.errors import DeviceError, InvalidInputError, NotPermittedError

AUTHORIZATION = schema.AMT_AUTHORIZATION_SERVICE
DIGEST, KERBEROS = "digest", "kerberos"
ACCESS = dict((name, value) for value, name in schema.ACCESS_PERMISSION.items())
DEFAULT_ACCESS = "network"


def realm_option_name(realm):
    """A realm's name as the options spell it: Intel's name in snake case (Audit Log -> audit_log)."""
    return schema.REALMS[realm].lower().replace(" ", "_")


# Realms a console may give a user (docs/amt-reference.md 4.3): 2-13, 17-21 and 24.
ASSIGNABLE_REALMS = dict((realm_option_name(realm), realm) for realm in list(range(2, 14)) + [17, 18, 19, 20, 21, 24])
AUDIT_LOG = realm_option_name(schema.REALM_AUDIT_LOG)

# Sizes of the ACL table checked before sending. The firmware's own size is UNCONFIRMED (docs/amt-reference.md 4.3):
# Intel SCS allows 7 Digest and 32 Kerberos users or groups, and the firmware holds at least that; 8 Digest entries is
# the project's reading (SCS's 7 besides its own account). A device that holds fewer answers 23 MAX_LIMIT_REACHED.
MAX_DIGEST_ACCOUNTS = 8
MAX_KERBEROS_ACCOUNTS = 32
# KerberosUserSid: the SID's bytes, 1 to 28 of them, a multiple of 4 (docs/amt-reference.md 4.1), sent as base64.
MAX_SID_BYTES = 28
_SID_TEXT = re.compile(r"^S-1-(\d+)((?:-\d+)+)$", re.IGNORECASE)
_SID_HEADER_BYTES = 8

UPDATE_ALWAYS, UPDATE_ON_CREATE = "always", "on_create"

AUDITOR_RULE = ("the admin cannot remove the Auditor or take the audit_log realm from it (only the Auditor can give it up, "
                "or unprovisioning removes it)")
# Advice for ReturnValues of AddUserAclEntryEx / UpdateUserAclEntryEx (docs/amt-reference.md 4.3, 8.1).
_WRITE_ADVICE = {
    12: "the firmware does not accept this name",
    16: "the connection's account may not change this entry; connect as the admin",
    23: "the ACL table is full, or another account already holds the audit_log realm",
    2054: "the firmware did not accept the password hash",
    2055: "this firmware does not offer one of the realms",
    2058: "another account, or the admin, already has this name or SID",
}


# --- Kerberos SIDs ---------------------------------------------------------------------------------------------------


def _sid_from_text(option, text):
    """The bytes of a SID written S-1-<authority>-<sub-authority>..."""
    match = _SID_TEXT.match(text)
    if not match:
        refuse(option, "give the SID as S-1-<authority>-<sub-authorities> (for example S-1-5-21-...-1104) or as the base64 of its bytes")
    authority = int(match.group(1))
    subs = [int(part) for part in match.group(2).split("-")[1:]]
    if authority >= 1 << 48 or any(sub >= 1 << 32 for sub in subs):
        refuse(option, "a SID's authority is at most 48 bits and each sub-authority at most 32 bits")
    if _SID_HEADER_BYTES + 4 * len(subs) > MAX_SID_BYTES:
        refuse(option, "AMT takes SIDs of at most %d bytes, that is at most %d sub-authorities (got %d)"
               % (MAX_SID_BYTES, (MAX_SID_BYTES - _SID_HEADER_BYTES) // 4, len(subs)))
    return bytes([1, len(subs)]) + authority.to_bytes(6, "big") + b"".join(sub.to_bytes(4, "little") for sub in subs)


def _sid_from_base64(option, text):
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        refuse(option, "give the SID as S-1-<authority>-<sub-authorities> or as the base64 of its bytes")
    if not 1 <= len(raw) <= MAX_SID_BYTES or len(raw) % 4:
        refuse(option, "AMT takes a SID of 1 to %d bytes, a multiple of 4 (got %d bytes)" % (MAX_SID_BYTES, len(raw)))
    return raw


def sid_bytes(option, text):
    """The bytes of a Kerberos SID given as S-1-... or as base64; InvalidInputError naming option when it is neither."""
    text = text.strip()
    if text[:2].upper() == "S-":
        return _sid_from_text(option, text)
    return _sid_from_base64(option, text)


def sid_text(raw):
    """S-1-... for bytes that form a SID, else their base64 (both are accepted back by sid_bytes)."""
    count = raw[1] if len(raw) >= 2 else -1
    if raw[:1] != b"\x01" or len(raw) != _SID_HEADER_BYTES + 4 * count:
        return base64.b64encode(raw).decode("ascii")
    subs = [int.from_bytes(raw[offset:offset + 4], "little") for offset in range(_SID_HEADER_BYTES, len(raw), 4)]
    return "S-1-%d%s" % (int.from_bytes(raw[2:8], "big"), "".join("-%d" % sub for sub in subs))


# --- reading ---------------------------------------------------------------------------------------------------------


def _user_handles(client):
    handles = []
    start = 1
    while True:
        page = client.invoke(AUTHORIZATION, "EnumerateUserAclEntries", {"StartIndex": start}, cached=True)
        found = [as_int(handle) for handle in as_list(page.get("Handles"))]
        handles.extend(found)
        total = as_int(page.get("TotalCount")) or 0
        if not found or len(handles) >= total:
            return handles
        start += len(found)


def _realm_name(realm):
    return realm_option_name(realm) if realm in schema.REALMS else realm


def _account(client, handle):
    entry = client.invoke(AUTHORIZATION, "GetUserAclEntryEx", {"Handle": handle}, cached=True)
    name = entry.get("DigestUsername") or None
    sid = None if name else base64.b64decode(entry.get("KerberosUserSid") or "", validate=True)
    return {
        "handle": handle,
        "key": _key(KERBEROS, None, sid) if sid is not None else _key(DIGEST, name, None),
        "type": DIGEST if name else KERBEROS,
        "name": name,
        "kerberos_sid": None if sid is None else sid_text(sid),
        # $$ names are firmware system accounts (docs/amt-reference.md 2.3); they must not be removed.
        "system": bool(name) and name.startswith(SYSTEM_ACCOUNT_PREFIX),
        "access": enum_name(schema.ACCESS_PERMISSION, entry.get("AccessPermission")),
        "realms": sorted((_realm_name(as_int(realm)) for realm in as_list(entry.get("Realms"))), key=str),
    }


def read_accounts(client):
    """Every user account besides the admin, from the user ACL entries of AMT_AuthorizationService."""
    return [_account(client, handle) for handle in _user_handles(client)]


def auditor_names(accounts):
    """Names (SIDs for Kerberos accounts) of the accounts that hold the Audit Log realm, from read_accounts or describe."""
    return [account["name"] or account["kerberos_sid"] for account in accounts if AUDIT_LOG in account["realms"]]


# --- the task --------------------------------------------------------------------------------------------------------


def _key(account_type, name, sid):
    return (account_type, name if account_type == DIGEST else base64.b64encode(sid).decode("ascii"))


def account_key(name=None, kerberos_sid=None):
    """The key read_accounts gives the account of that name, or of that SID (S-1-... or base64)."""
    if kerberos_sid:
        return _key(KERBEROS, None, sid_bytes("kerberos_sid", kerberos_sid))
    return _key(DIGEST, name, None)


def account_label(account):
    return "%s account %s" % (account["type"], account["name"] or account["kerberos_sid"])


def _validate_present(prefix, account, option_realms, access):
    if not option_realms:
        refuse(prefix + "realms", "an account needs at least one realm (one of %s)" % ", ".join(sorted(ASSIGNABLE_REALMS)))
    for realm in option_realms:
        if realm not in ASSIGNABLE_REALMS:
            refuse(prefix + "realms", "unknown or unassignable realm %s; assignable: %s" % (realm, ", ".join(sorted(ASSIGNABLE_REALMS))))
    realms = sorted(set(option_realms))
    if AUDIT_LOG in realms and realms != [AUDIT_LOG]:
        refuse(prefix + "realms", "the Auditor's only realm must be audit_log, so that the log's keeper has no other right on the device")
    if access not in ACCESS:
        refuse(prefix + "access", "must be one of %s" % ", ".join(sorted(ACCESS)))
    account.update(realms=realms, access=access)


def validate_account(prefix, options, password_option="password"):
    """One account of the task, normalised; InvalidInputError names the option (prefix e.g. 'accounts[1].')."""
    name, sid_option, password = options.get("name"), options.get("kerberos_sid"), options.get("password")
    password_option = prefix + password_option
    account_type = options.get("type") or (KERBEROS if sid_option else DIGEST)
    if account_type not in (DIGEST, KERBEROS):
        refuse(prefix + "type", "must be digest or kerberos")
    state = options.get("state") or "present"
    if state not in ("present", "absent"):
        refuse(prefix + "state", "must be present or absent")
    sid = None
    if account_type == DIGEST:
        if not name:
            refuse(prefix + "name", "a digest account needs a name")
        if sid_option:
            refuse(prefix + "kerberos_sid", "applies to kerberos accounts only")
        check_username(prefix + "name", name, reserved_allowed=False)
        if password is not None:
            check_password(password_option, password)
    else:
        if not sid_option:
            refuse(prefix + "kerberos_sid", "a kerberos account needs the SID of its Active Directory user or group")
        if name:
            refuse(prefix + "name", "a kerberos account has no name in AMT; it is known by kerberos_sid")
        if password is not None:
            refuse(password_option, "a kerberos account authenticates against Active Directory and has no password in AMT")
        sid = sid_bytes(prefix + "kerberos_sid", sid_option)
    account = {"type": account_type, "name": name if account_type == DIGEST else None,
               "kerberos_sid": sid_text(sid) if sid else None, "sid": sid, "state": state, "password": password,
               "key": _key(account_type, name, sid), "option": prefix, "password_option": password_option}
    if state == "present":
        _validate_present(prefix, account, options.get("realms") or [], options.get("access") or DEFAULT_ACCESS)
    return account


ACCOUNT_KEYS = ("name", "type", "kerberos_sid", "access", "realms", "state")
# The connection's password option is the admin's, so a single account's password is account_password.
SINGLE_PASSWORD_OPTION = "account_password"


def desired_state(options):
    """The task's accounts: from O(accounts) or the single-account options, with purge and update_password."""
    listed = options.get("accounts") is not None
    if listed:
        entries = [("accounts[%d]." % index, entry, "password") for index, entry in enumerate(options["accounts"])]
    elif any(options.get(key) is not None for key in ("name", "kerberos_sid", "type")):
        single = dict((key, options.get(key)) for key in ACCOUNT_KEYS)
        single["password"] = options.get(SINGLE_PASSWORD_OPTION)
        entries = [("", single, SINGLE_PASSWORD_OPTION)]
    else:
        entries = []
    purge = bool(options.get("purge"))
    if not entries and not purge:
        raise InvalidInputError("nothing to manage: give name, kerberos_sid, accounts or purge")
    update_password = options.get("update_password") or UPDATE_ON_CREATE
    if update_password not in (UPDATE_ALWAYS, UPDATE_ON_CREATE):
        refuse("update_password", "must be always or on_create")
    accounts, keys = [], set()
    for prefix, entry, password_option in entries:
        account = validate_account(prefix, entry, password_option)
        if account["key"] in keys:
            refuse(prefix + ("name" if account["type"] == DIGEST else "kerberos_sid"), "%s is listed twice" % account_label(account))
        keys.add(account["key"])
        accounts.append(account)
    present = [account for account in accounts if account["state"] == "present"]
    auditors = [account for account in present if AUDIT_LOG in account["realms"]]
    if len(auditors) > 1:
        refuse(auditors[1]["option"] + "realms", "AMT allows one Auditor (one account with audit_log); %s is the other" % account_label(auditors[0]))
    for account_type, limit in ((DIGEST, MAX_DIGEST_ACCOUNTS), (KERBEROS, MAX_KERBEROS_ACCOUNTS)):
        count = sum(1 for account in present if account["type"] == account_type)
        if count > limit:
            refuse("accounts", "AMT holds at most %d %s accounts besides the admin (%d listed)" % (limit, account_type, count))
    return {"accounts": accounts, "purge": purge, "update_password": update_password}


# --- planning --------------------------------------------------------------------------------------------------------


def _refuse_auditor_change(account):
    raise NotPermittedError("%s holds the audit_log realm: %s" % (account_label(account), AUDITOR_RULE), class_name=AUTHORIZATION,
                            return_value=schema.PT_STATUS_NOT_PERMITTED, return_name="PT_STATUS_NOT_PERMITTED")


def account_change(action, account, existing=None, password=False):
    change = {"action": action, "account": account, "password": password}
    if existing is not None:
        change["handle"] = existing["handle"]
    return change


def _plan_present(account, existing, want, admin_username):
    if account["type"] == DIGEST and account["name"] == admin_username:
        refuse(account["option"] + "name", "%s is the admin's name; the admin is managed with amt_password" % account["name"])
    if existing is None:
        if account["type"] == DIGEST and account["password"] is None:
            refuse(account["password_option"], "needed to create %s: AMT stores only its hash, written when the account is created"
                   % account_label(account))
        return account_change("add", account, password=account["type"] == DIGEST)
    if AUDIT_LOG in existing["realms"] and AUDIT_LOG not in account["realms"]:
        _refuse_auditor_change(existing)
    write_password = account["type"] == DIGEST and account["password"] is not None and want["update_password"] == UPDATE_ALWAYS
    if write_password or existing["access"] != account["access"] or existing["realms"] != account["realms"]:
        return account_change("update", account, existing, password=write_password)
    return None


def check_room(state, changes):
    remaining = dict((account["key"], account) for account in state["accounts"] if not account["system"])
    for change in changes:
        if change["action"] == "remove":
            remaining.pop(change["account"]["key"], None)
        else:
            remaining[change["account"]["key"]] = change["account"]
    for account_type, limit in ((DIGEST, MAX_DIGEST_ACCOUNTS), (KERBEROS, MAX_KERBEROS_ACCOUNTS)):
        count = sum(1 for key in remaining if key[0] == account_type)
        if count > limit:
            raise InvalidInputError("accounts: AMT holds at most %d %s accounts besides the admin and its system accounts; after this"
                                    " task the device would have %d: remove accounts (state: absent, or purge: true)" % (limit, account_type, count))
    auditors = [account for account in remaining.values() if AUDIT_LOG in account["realms"]]
    if len(auditors) > 1:
        raise InvalidInputError("realms: AMT allows one Auditor (one account with audit_log); after this task %s would hold it"
                                % " and ".join(account_label(account) for account in auditors))


def plan(state, want):
    """Removals first (they free table slots), then updates, then additions."""
    existing = dict((account["key"], account) for account in state["accounts"] if not account["system"])
    removals, updates, additions = [], [], []
    for account in want["accounts"]:
        current = existing.get(account["key"])
        if account["state"] == "absent":
            if current is not None:
                if AUDIT_LOG in current["realms"]:
                    _refuse_auditor_change(current)
                removals.append(account_change("remove", current, current))
            continue
        change = _plan_present(account, current, want, state["admin_username"])
        if change is not None:
            (additions if change["action"] == "add" else updates).append(change)
    if want["purge"]:
        listed = set(account["key"] for account in want["accounts"])
        for key, current in existing.items():
            if key not in listed:
                if AUDIT_LOG in current["realms"]:
                    _refuse_auditor_change(current)
                removals.append(account_change("remove", current, current))
    changes = removals + updates + additions
    check_room(state, changes)
    return changes


# --- describing ------------------------------------------------------------------------------------------------------


def _view(account):
    return {"name": account["name"], "type": account["type"], "kerberos_sid": account["kerberos_sid"],
            "access": account["access"], "realms": list(account["realms"])}


def describe(state):
    """The accounts besides the admin and the system accounts, with the names and values of amt_user's options."""
    return {"accounts": [_view(account) for account in state["accounts"] if not account["system"]]}


def after_state(state, changes):
    accounts = [dict(account) for account in state["accounts"]]
    for change in changes:
        account = change["account"]
        if change["action"] == "remove":
            accounts = [current for current in accounts if current.get("handle") != change["handle"]]
        elif change["action"] == "update":
            for current in accounts:
                if current.get("handle") == change["handle"]:
                    current.update(access=account["access"], realms=account["realms"])
        else:
            accounts.append(dict(_view(account), system=False))
    return dict(state, accounts=accounts)


def diff(state, changes):
    """before/after for --diff; a password this run writes appears as SECRET_WRITTEN_MASK, never its value."""
    after = describe(after_state(state, changes))
    written = set(change["account"]["key"] for change in changes if change["password"])
    for view in after["accounts"]:
        if view["type"] == DIGEST and (DIGEST, view["name"]) in written:
            view["password"] = SECRET_WRITTEN_MASK
    return {"before": describe(state), "after": after}


def summary(change):
    account = change["account"]
    text = "%s %s" % (change["action"], account_label(account))
    if change["action"] == "update":
        text += " (access %s, realms %s%s)" % (account["access"], ", ".join(account["realms"]), ", password" if change["password"] else "")
    return text


# --- applying --------------------------------------------------------------------------------------------------------


def digest_realm(client):
    realm = client.get(schema.AMT_GENERAL_SETTINGS).get("DigestRealm")
    if not realm:
        raise DeviceError("AMT_GeneralSettings has no DigestRealm, so no password hash can be computed: nothing was changed",
                          class_name=schema.AMT_GENERAL_SETTINGS)
    return realm


def _inputs(client, change):
    account = change["account"]
    inputs = [("Handle", change["handle"])] if change["action"] == "update" else []
    if account["type"] == DIGEST:
        inputs.append(("DigestUsername", account["name"]))
        if change["password"]:
            inputs.append(("DigestPassword", digest_password(account["name"], digest_realm(client), account["password"])))
    inputs.append(("AccessPermission", ACCESS[account["access"]]))
    inputs.append(("Realms", [ASSIGNABLE_REALMS[realm] for realm in account["realms"]]))
    if account["type"] == KERBEROS:
        inputs.append(("KerberosUserSid", base64.b64encode(account["sid"]).decode("ascii")))
    return inputs


def send(client, change):
    if change["action"] == "remove":
        client.invoke(AUTHORIZATION, "RemoveUserAclEntry", [("Handle", change["handle"])])
        return
    method = "AddUserAclEntryEx" if change["action"] == "add" else "UpdateUserAclEntryEx"
    try:
        client.invoke(AUTHORIZATION, method, _inputs(client, change))
    except (DeviceError, InvalidInputError, NotPermittedError) as error:
        if error.return_value not in _WRITE_ADVICE:
            raise
        raise type(error)("%s for %s: %s" % (error, account_label(change["account"]), _WRITE_ADVICE[error.return_value]),
                          class_name=AUTHORIZATION, method=method, return_value=error.return_value,
                          return_name=error.return_name) from None


def landed(client, change):
    """Whether the device shows the change; a password cannot be read back, so only the readable fields are compared."""
    found = [account for account in read_accounts(client) if account["key"] == change["account"]["key"]]
    if change["action"] == "remove":
        return not found
    return bool(found) and found[0]["access"] == change["account"]["access"] and found[0]["realms"] == change["account"]["realms"]


class Users(Unit):
    """Digest and Kerberos accounts besides the admin (module amt_user). Built with options=None it only reads, for amt_info."""

    name = "users"

    def __init__(self, options=None):
        self.want = None if options is None else desired_state(options)

    def read(self, client):
        admin = client.invoke(AUTHORIZATION, "GetAdminAclEntry", cached=True)
        return {"admin_username": admin.get("Username"), "accounts": read_accounts(client)}

    def describe(self, state):
        return describe(state)

    def plan(self, state):
        return plan(state, self.want)

    def diff(self, state, changes):
        return diff(state, changes)

    def preflight(self, client, state, changes):
        if any(change["password"] for change in changes):
            digest_realm(client)

    def summary(self, change):
        return summary(change)

    def send(self, client, state, change):
        send(client, change)

    def landed(self, client, change):
        return landed(client, change)
