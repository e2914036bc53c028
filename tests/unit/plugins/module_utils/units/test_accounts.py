# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Users unit: validation of the task, Kerberos SIDs, planning against a read state, the diff and the Auditor's rules."""

from __future__ import annotations

import base64

import pytest

from ansible_collections.oob.amt.plugins.module_utils.units import accounts as unit
from ansible_collections.oob.amt.plugins.module_utils.wsman.errors import InvalidInputError, NotPermittedError

PASSWORD = "Op3rator!pass"
DOMAIN_USER_SID = "S-1-5-21-1004336348-1177238915-682003330-1104"


def account(handle, name=None, sid=None, access="network", realms=("redirection",), system=False):
    raw = None if sid is None else unit.sid_bytes("kerberos_sid", sid)
    return {"handle": handle, "key": unit._key(unit.KERBEROS, None, raw) if raw else unit._key(unit.DIGEST, name, None),
            "type": unit.KERBEROS if raw else unit.DIGEST, "name": name, "kerberos_sid": None if raw is None else unit.sid_text(raw),
            "system": system, "access": access, "realms": sorted(realms)}


def device(*accounts):
    return {"admin_username": "admin", "accounts": [account(1, "$$OsAdmin", access="local", realms=["local_system"], system=True),
                                                    account(2, "$$uns", access="local", realms=["localun"], system=True)] + list(accounts)}


def want(**options):
    return unit.desired_state(options)


def actions(state, **options):
    return [unit.summary(change) for change in unit.plan(state, want(**options))]


# --- validation ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("options, message", [
    ({}, "nothing to manage: give name, kerberos_sid, accounts or purge"),
    ({"name": "op", "realms": ["redirection"], "update_password": "sometimes"}, "update_password: must be always or on_create"),
    ({"name": "op", "type": "ldap", "realms": ["redirection"]}, "type: must be digest or kerberos"),
    ({"name": "op", "realms": ["redirection"], "state": "gone"}, "state: must be present or absent"),
    ({"type": "digest", "realms": ["redirection"], "kerberos_sid": DOMAIN_USER_SID}, "name: a digest account needs a name"),
    ({"name": "op", "type": "digest", "kerberos_sid": DOMAIN_USER_SID, "realms": ["redirection"]}, "kerberos_sid: applies to kerberos accounts only"),
    ({"name": "$$op", "realms": ["redirection"]}, "name must not begin with \\$\\$"),
    ({"name": "admin", "realms": ["redirection"]}, "name must not be admin"),
    ({"name": "a" * 17, "realms": ["redirection"]}, "name must be 1 to 16 characters long"),
    ({"name": "op", "account_password": "short", "realms": ["redirection"]}, "account_password does not meet AMT's password rule"),
    ({"type": "kerberos", "realms": ["redirection"]}, "kerberos_sid: a kerberos account needs the SID"),
    ({"name": "op", "type": "kerberos", "kerberos_sid": DOMAIN_USER_SID, "realms": ["redirection"]}, "name: a kerberos account has no name"),
    ({"kerberos_sid": DOMAIN_USER_SID, "account_password": PASSWORD, "realms": ["redirection"]}, "account_password: a kerberos account authenticates"),
    ({"kerberos_sid": "S-1-5-21-1-2-3-4-5-6", "realms": ["redirection"]}, "at most 5 sub-authorities"),
    ({"kerberos_sid": "S-2-5-21", "realms": ["redirection"]}, "give the SID as S-1-"),
    ({"kerberos_sid": "S-1-281474976710656-1", "realms": ["redirection"]}, "authority is at most 48 bits"),
    ({"kerberos_sid": "AQID", "realms": ["redirection"]}, "a multiple of 4 \\(got 3 bytes\\)"),
    ({"kerberos_sid": "not base64!", "realms": ["redirection"]}, "give the SID as"),
    ({"name": "op"}, "realms: an account needs at least one realm"),
    ({"name": "op", "realms": ["pt_administration", "storage_room"]}, "realms: unknown or unassignable realm storage_room"),
    ({"name": "op", "realms": ["localun"]}, "unknown or unassignable realm localun"),
    ({"name": "op", "realms": ["audit_log", "redirection"]}, "realms: the Auditor's only realm must be audit_log"),
    ({"name": "op", "realms": ["redirection"], "access": "remote"}, "access: must be one of any, local, network"),
])
def test_validation_names_the_option_and_the_rule(options, message):
    with pytest.raises(InvalidInputError, match=message):
        want(**options)


def test_validation_of_a_list_names_the_entry():
    with pytest.raises(InvalidInputError, match=r"^accounts\[1\]\.name: digest account op is listed twice$"):
        want(accounts=[{"name": "op", "realms": ["redirection"]}, {"name": "op", "state": "absent"}])
    with pytest.raises(InvalidInputError, match=r"^accounts\[1\]\.realms: AMT allows one Auditor .* digest account one is the other$"):
        want(accounts=[{"name": "one", "realms": ["audit_log"]}, {"kerberos_sid": DOMAIN_USER_SID, "realms": ["audit_log"]}])
    with pytest.raises(InvalidInputError, match="AMT holds at most 8 digest accounts besides the admin \\(9 listed\\)"):
        want(accounts=[{"name": "u%d" % index, "realms": ["redirection"]} for index in range(9)])


def test_absent_accounts_need_no_realms_and_defaults_apply():
    task = want(accounts=[{"name": "gone", "state": "absent"}, {"name": "op", "realms": ["remote_control", "redirection", "redirection"]}])
    assert [entry["state"] for entry in task["accounts"]] == ["absent", "present"]
    assert task["accounts"][1]["realms"] == ["redirection", "remote_control"] and task["accounts"][1]["access"] == "network"
    assert task["update_password"] == "on_create" and task["purge"] is False


# --- SIDs ------------------------------------------------------------------------------------------------------------

def test_sids_as_text_and_base64_are_the_same_account():
    raw = unit.sid_bytes("kerberos_sid", DOMAIN_USER_SID)
    assert len(raw) == 28 and raw[:8] == bytes([1, 5, 0, 0, 0, 0, 0, 5])
    assert unit.sid_text(raw) == DOMAIN_USER_SID
    assert unit.sid_bytes("kerberos_sid", base64.b64encode(raw).decode()) == raw
    assert unit.sid_bytes("kerberos_sid", DOMAIN_USER_SID.lower()) == raw
    assert unit.sid_text(b"\x00\x01\x02\x03") == "AAECAw=="  # not a SID's layout: shown, and accepted back, as base64
    assert unit.sid_bytes("kerberos_sid", "AAECAw==") == b"\x00\x01\x02\x03"


# --- planning --------------------------------------------------------------------------------------------------------

def test_first_run_adds_and_second_run_changes_nothing():
    options = {"accounts": [{"name": "op", "password": PASSWORD, "realms": ["redirection"]},
                            {"kerberos_sid": DOMAIN_USER_SID, "access": "any", "realms": ["hardware_asset"]}]}
    assert actions(device(), **options) == ["add digest account op", "add kerberos account %s" % DOMAIN_USER_SID]
    present = device(account(3, "op"), account(4, sid=DOMAIN_USER_SID, access="any", realms=["hardware_asset"]))
    assert actions(present, **options) == []
    assert actions(present, update_password="always", **options) == ["update digest account op (access network, realms redirection, password)"]


def test_updates_send_the_readable_fields_and_the_password_only_when_asked():
    state = device(account(3, "op", access="any", realms=["redirection", "remote_control"]))
    changes = unit.plan(state, want(name="op", account_password=PASSWORD, realms=["redirection"]))
    assert [(change["action"], change["handle"], change["password"]) for change in changes] == [("update", 3, False)]


def test_a_new_digest_account_needs_its_password():
    with pytest.raises(InvalidInputError, match=r"^account_password: needed to create digest account op"):
        unit.plan(device(), want(name="op", realms=["redirection"]))


def test_the_admins_name_is_refused_for_a_user():
    with pytest.raises(InvalidInputError, match="boss is the admin's name"):
        unit.plan(dict(device(), admin_username="boss"), want(name="boss", account_password=PASSWORD, realms=["redirection"]))


def test_purge_removes_unlisted_accounts_first_but_never_system_accounts():
    state = device(account(3, "old"), account(4, sid=DOMAIN_USER_SID))
    changes = unit.plan(state, want(name="op", account_password=PASSWORD, realms=["redirection"], purge=True))
    assert [unit.summary(change) for change in changes] == [
        "remove digest account old", "remove kerberos account %s" % DOMAIN_USER_SID, "add digest account op"]
    assert [change.get("handle") for change in changes] == [3, 4, None]
    assert unit.plan(device(), want(purge=True)) == []


def test_table_limits_are_checked_against_the_device():
    state = device(*[account(3 + index, "u%d" % index) for index in range(8)])
    with pytest.raises(InvalidInputError, match="at most 8 digest accounts .* the device would have 9"):
        unit.plan(state, want(name="ninth", account_password=PASSWORD, realms=["redirection"]))
    assert actions(state, accounts=[{"name": "u0", "state": "absent"}, {"name": "ninth", "password": PASSWORD, "realms": ["redirection"]}]) == [
        "remove digest account u0", "add digest account ninth"]


def test_the_auditor_cannot_be_removed_or_stripped_by_the_admin_but_may_be_updated():
    state = device(account(3, "auditor", realms=["audit_log"]))
    for options in ({"name": "auditor", "state": "absent"}, {"purge": True},
                    {"name": "auditor", "realms": ["redirection"]}):
        with pytest.raises(NotPermittedError, match="digest account auditor holds the audit_log realm: the admin cannot remove the Auditor"):
            unit.plan(state, want(**options))
    assert actions(state, name="auditor", access="any", realms=["audit_log"]) == ["update digest account auditor (access any, realms audit_log)"]


def test_a_second_auditor_is_refused_before_sending():
    state = device(account(3, "auditor", realms=["audit_log"]))
    with pytest.raises(InvalidInputError, match="AMT allows one Auditor .* digest account auditor and digest account second"):
        unit.plan(state, want(name="second", account_password=PASSWORD, realms=["audit_log"]))


# --- describing ------------------------------------------------------------------------------------------------------

def test_describe_uses_the_options_vocabulary_and_omits_system_accounts():
    state = device(account(3, "op", realms=["redirection", "remote_control"]), account(4, sid=DOMAIN_USER_SID, realms=["audit_log"]))
    assert unit.describe(state) == {"accounts": [
        {"name": "op", "type": "digest", "kerberos_sid": None, "access": "network", "realms": ["redirection", "remote_control"]},
        {"name": None, "type": "kerberos", "kerberos_sid": DOMAIN_USER_SID, "access": "network", "realms": ["audit_log"]}]}
    assert unit.auditor_names(state["accounts"]) == [DOMAIN_USER_SID] == unit.auditor_names(unit.describe(state)["accounts"])


def test_given_back_the_description_plans_nothing():
    state = device(account(3, "op", access="local", realms=["redirection"]), account(4, sid=DOMAIN_USER_SID, access="any", realms=["audit_log"]))
    assert unit.plan(state, want(accounts=unit.describe(state)["accounts"], purge=True)) == []


def test_diff_masks_the_passwords_it_writes():
    state = device(account(3, "op"), account(4, "gone"))
    changes = unit.plan(state, want(accounts=[{"name": "op", "password": PASSWORD, "realms": ["redirection"]},
                                              {"name": "new", "password": PASSWORD, "realms": ["storage"]}],
                                    purge=True, update_password="always"))
    diff = unit.diff(state, changes)
    assert [view["name"] for view in diff["before"]["accounts"]] == ["op", "gone"]
    assert [(view["name"], view.get("password")) for view in diff["after"]["accounts"]] == [
        ("op", "******** (written)"), ("new", "******** (written)")]
    assert PASSWORD not in repr(diff) and PASSWORD not in repr([unit.summary(change) for change in changes])


# --- sending and reading back ----------------------------------------------------------------------------------------

class FakeClient:
    """AMT_AuthorizationService's ACL methods over a list of entries, recording every call."""

    def __init__(self, entries):
        self.entries = dict((index + 1, entry) for index, entry in enumerate(entries))
        self.calls = []

    def get(self, class_name):
        self.calls.append(("get", class_name))
        return {"DigestRealm": "Digest:0123456789ABCDEF0123456789ABCDEF"}

    def invoke(self, class_name, method, inputs=None, idempotent=False, cached=False):
        self.calls.append((method, dict(inputs or [])))
        if method == "EnumerateUserAclEntries":
            return {"TotalCount": str(len(self.entries)), "Handles": [str(handle) for handle in self.entries], "ReturnValue": 0}
        if method == "GetUserAclEntryEx":
            return dict(self.entries[dict(inputs)["Handle"]], ReturnValue=0)
        if method == "GetAdminAclEntry":
            return {"Username": "admin", "ReturnValue": 0}
        return {"ReturnValue": 0}


def test_sent_inputs_follow_the_sdk_and_the_password_only_when_written():
    client = FakeClient([{"DigestUsername": "$$OsAdmin", "AccessPermission": "0", "Realms": "24"},
                         {"DigestUsername": "op", "AccessPermission": "2", "Realms": ["2", "5"]}])
    users = unit.Users({"accounts": [{"name": "op", "password": PASSWORD, "realms": ["redirection"]},
                                     {"kerberos_sid": DOMAIN_USER_SID, "realms": ["audit_log"]}]})
    state = users.read(client)
    assert [account["system"] for account in state["accounts"]] == [True, False]
    update, add = users.plan(state)
    users.send(client, state, update)
    users.send(client, state, add)
    sent = [call for call in client.calls if call[0] in ("UpdateUserAclEntryEx", "AddUserAclEntryEx")]
    assert sent == [
        ("UpdateUserAclEntryEx", {"Handle": 2, "DigestUsername": "op", "AccessPermission": 1, "Realms": [2]}),
        ("AddUserAclEntryEx", {"AccessPermission": 1, "Realms": [20],
                               "KerberosUserSid": base64.b64encode(unit.sid_bytes("kerberos_sid", DOMAIN_USER_SID)).decode()})]
    created = unit.Users({"name": "new", "account_password": PASSWORD, "realms": ["storage"]})
    (add_digest,) = created.plan(state)
    created.send(client, state, add_digest)
    assert client.calls[-1] == ("AddUserAclEntryEx", {
        "DigestUsername": "new", "DigestPassword": unit.digest_password("new", "Digest:0123456789ABCDEF0123456789ABCDEF", PASSWORD),
        "AccessPermission": 1, "Realms": [6]})


def test_landed_compares_the_readable_fields():
    client = FakeClient([{"DigestUsername": "op", "AccessPermission": "1", "Realms": ["2"]}])
    users = unit.Users({"name": "op", "realms": ["redirection", "storage"]})
    (update,) = users.plan(users.read(client))
    assert users.landed(client, update) is False
    client.entries[1]["Realms"] = ["2", "6"]
    assert users.landed(client, update) is True
    (remove,) = unit.Users({"name": "op", "state": "absent"}).plan(users.read(client))
    assert unit.landed(client, remove) is False
    del client.entries[1]
    assert unit.landed(client, remove) is True
