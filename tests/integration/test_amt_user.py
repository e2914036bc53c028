# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""amt_user end to end against simulated CCM and ACM devices (current and 11.x firmware) over TLS on loopback.

Loopback range: 127.77.238.x (remote) and 127.78.238.x (local); 127.77.238.250 has no listener.
"""

from __future__ import annotations

import pytest

from conftest import SimulatedDevice, assert_refused_before_sending, run_cases, run_play, start_fleet

# In the file's range and outside the fleets: a module that sent anything there would fail as unreachable.
UNREACHABLE = {"hostname": "127.77.238.250", "password": "Unused-Passw0rd!"}
FLEETS = {
    "ccm": ("ccm", None, 1),
    "acm": ("acm", None, 11),
    "acm-11": ("acm", "11.8.50.3425", 21),
}
CHECK = {"check_mode": True}
OPERATOR_PASSWORD = "Op3rator!pass"
NEW_PASSWORD = "N3w-Operator!pw"
SID = "S-1-5-21-1004336348-1177238915-682003330-1104"
AUDITOR_SID = "S-1-5-21-1004336348-1177238915-682003330-2207"
OPERATOR = {"name": "operator", "password": OPERATOR_PASSWORD, "realms": ["redirection", "general_info"]}
KERBEROS = {"kerberos_sid": SID, "access": "any", "realms": ["hardware_asset"]}
CONNECTION = {"hostname": "{{ amt_hostname }}", "username": "{{ amt_username }}", "password": "{{ amt_password }}",
              "ca_path": "{{ amt_ca_path }}"}


@pytest.fixture(scope="module", params=sorted(FLEETS))
def device(request, tmp_path_factory):
    profile, firmware, last_octet = FLEETS[request.param]
    addresses = {"first_address": "127.77.238.%d" % last_octet, "local_first_address": "127.78.238.%d" % last_octet}
    fleet = start_fleet(tmp_path_factory.mktemp("user-fleet"), 1, profile, addresses, firmware=firmware)
    yield fleet, sorted(fleet.hosts)[0]
    fleet.stop()


@pytest.fixture
def run(device, tmp_path):
    """run(task, ...) runs amt_user once per task in one playbook (--diff on) and returns the results in order.

    A task is the module's args, or (args, task keywords) such as (args, CHECK).
    """
    fleet, host = device

    def run_module(*tasks, connection=None):
        named = []
        for index, spec in enumerate(tasks):
            args, keywords = spec if isinstance(spec, tuple) else (spec, {})
            named.append(("task %d" % index, "amt_user", dict(connection or CONNECTION, **args), keywords))
        runs = run_play(tmp_path, fleet.inventory_path, named, hosts=host, diff=True)
        assert OPERATOR_PASSWORD not in runs.output and NEW_PASSWORD not in runs.output
        return [runs["task %d" % index] for index in range(len(tasks))]
    return run_module


def accounts(result):
    return result["users"]["accounts"]


def test_accounts_are_added_once_checkable_and_passwords_never_shown(run, device):
    fleet, host = device
    wanted = {"accounts": [OPERATOR, KERBEROS], "purge": True}
    checked, added, again, narrowed_check, narrowed, rotated = run(
        (wanted, CHECK), wanted, wanted,
        (dict(wanted, accounts=[dict(OPERATOR, realms=["general_info"]), KERBEROS]), CHECK),
        dict(wanted, accounts=[dict(OPERATOR, realms=["general_info"]), KERBEROS]),
        dict(wanted, accounts=[dict(OPERATOR, realms=["general_info"], password=NEW_PASSWORD), KERBEROS], update_password="always"))
    expected_actions = ["add digest account operator", "add kerberos account %s" % SID]
    assert checked["changed"] is True and checked["actions"] == expected_actions and checked["writes"] == [], checked
    assert added["changed"] is True and added["actions"] == expected_actions, added
    assert [write["status"] for write in added["writes"]] == ["confirmed", "confirmed"]
    assert all(write["verified"] for write in added["writes"])
    # check mode wrote nothing: the real run still started from an empty list
    assert added["diff"]["before"] == {"accounts": []} == checked["diff"]["before"]
    assert added["diff"]["after"]["accounts"][0] == {"name": "operator", "type": "digest", "kerberos_sid": None, "access": "network",
                                                     "realms": ["general_info", "redirection"], "password": "******** (written)"}
    assert accounts(again) == [
        {"name": "operator", "type": "digest", "kerberos_sid": None, "access": "network", "realms": ["general_info", "redirection"]},
        {"name": None, "type": "kerberos", "kerberos_sid": SID, "access": "any", "realms": ["hardware_asset"]}]
    assert again["changed"] is False and again["actions"] == [] and again["writes"] == []
    assert narrowed_check["actions"] == ["update digest account operator (access network, realms general_info)"], narrowed_check
    assert narrowed_check["diff"]["after"]["accounts"][0]["realms"] == ["general_info"]
    assert narrowed["actions"] == narrowed_check["actions"] and accounts(narrowed)[0]["realms"] == ["general_info"]
    assert "password" not in narrowed["diff"]["after"]["accounts"][0]
    # on_create wrote no password when the realms changed; update_password=always writes the new one
    assert rotated["actions"] == ["update digest account operator (access network, realms general_info, password)"], rotated
    target = SimulatedDevice(fleet, host)
    assert target.logs_in("operator", NEW_PASSWORD) and not target.logs_in("operator", OPERATOR_PASSWORD)


def test_removal_and_purge_spare_the_system_accounts(run):
    results = run({"accounts": [OPERATOR, dict(OPERATOR, name="helpdesk"), KERBEROS]},
                  {"name": "helpdesk", "state": "absent"}, {"name": "helpdesk", "state": "absent"},
                  ({"name": "operator", "realms": ["general_info"], "purge": True}, CHECK),
                  {"name": "operator", "realms": ["general_info"], "purge": True}, {"purge": True})
    _setup, removed, removed_again, purge_checked, purged, emptied = results
    assert removed["actions"] == ["remove digest account helpdesk"] and removed["changed"] is True
    assert removed_again["changed"] is False
    assert purge_checked["actions"] == ["remove kerberos account %s" % SID,
                                        "update digest account operator (access network, realms general_info)"], purge_checked
    assert purged["actions"] == purge_checked["actions"] and accounts(purged) == [
        {"name": "operator", "type": "digest", "kerberos_sid": None, "access": "network", "realms": ["general_info"]}]
    assert emptied["actions"] == ["remove digest account operator"] and accounts(emptied) == []


def test_the_auditor_has_one_realm_and_the_admin_cannot_remove_it(run, device):
    fleet, host = device
    auditor = {"kerberos_sid": AUDITOR_SID, "realms": ["audit_log"]}
    results = run({"accounts": [auditor], "purge": True}, {"purge": True},
                  {"kerberos_sid": AUDITOR_SID, "state": "absent"},
                  {"kerberos_sid": AUDITOR_SID, "realms": ["event_log_reader"]},
                  {"name": "second", "account_password": OPERATOR_PASSWORD, "realms": ["audit_log"]},
                  {"kerberos_sid": AUDITOR_SID, "access": "any", "realms": ["audit_log"]})
    added, purge, absent, stripped, second, updated = results
    assert added["actions"] == ["add kerberos account %s" % AUDITOR_SID] and not added.get("failed"), added
    for refused in (purge, absent, stripped):
        assert refused["failed"] is True and refused["error"] == "not_permitted" and refused["writes"] == [], refused
        assert "holds the audit_log realm: the admin cannot remove the Auditor" in refused["msg"]
    assert second["failed"] is True and second["error"] == "invalid_input" and second["writes"] == []
    assert "AMT allows one Auditor" in second["msg"]
    assert updated["actions"] == ["update kerberos account %s (access any, realms audit_log)" % AUDITOR_SID], updated
    # the Auditor now holds the log: the admin may no longer clear it
    client = SimulatedDevice(fleet, host).client()
    try:
        assert client.invoke("AMT_AuditLog", "ClearLog", check=False)["ReturnValue"] == 16
    finally:
        client.close()


def test_the_table_limit_is_checked_before_sending_and_a_non_admin_is_refused_by_the_device(run, device):
    fleet, host = device
    eight = [dict(OPERATOR, name="user%d" % index) for index in range(8)]
    without_password, filled, ninth = run({"name": "user0", "realms": ["redirection"]}, {"accounts": eight},
                                          {"name": "ninth", "account_password": OPERATOR_PASSWORD, "realms": ["redirection"]})
    assert without_password["failed"] is True and without_password["error"] == "invalid_input", without_password
    assert without_password["msg"].startswith("account_password: needed to create digest account user0")
    assert len(filled["actions"]) == 8 and not filled.get("failed"), filled
    assert ninth["failed"] is True and ninth["error"] == "invalid_input" and ninth["writes"] == [], ninth
    assert "AMT holds at most 8 digest accounts" in ninth["msg"] and "would have 9" in ninth["msg"]
    as_user = dict(CONNECTION, username="user0", password=OPERATOR_PASSWORD)
    (refused,) = run({"purge": True}, connection=as_user)
    assert refused["failed"] is True and refused["error"] == "not_permitted" and refused["writes"] == [], refused
    assert SimulatedDevice(fleet, host).logs_in("user0", OPERATOR_PASSWORD)


# (case, module args without the connection, option named, rule, checked by) for every rule of the Users unit's validation and
# the module's argument spec; "ansible" marks the rules AnsibleModule checks before the module's own code runs.
BAD_INPUT = [
    ("nothing", {}, "nothing to manage", "give name, kerberos_sid, accounts or purge", "module"),
    ("reserved_name", {"name": "admin", "realms": ["redirection"]}, "name must not be admin", "a name AMT reserves", "module_text"),
    ("system_name", {"name": "$$sys", "realms": ["redirection"]}, "name must not begin with $$", "system accounts", "module_text"),
    ("long_name", {"name": "n" * 17, "realms": ["redirection"]}, "name must be 1 to 16 characters long", "(got 17)", "module_text"),
    ("name_characters", {"name": "a:b", "realms": ["redirection"]}, "name must not contain any of", ": , < > &", "module_text"),
    ("weak_password", {"name": "op", "account_password": "weakpass1", "realms": ["redirection"]},
     "account_password does not meet AMT's password rule", "contain an upper-case letter", "module_text"),
    ("digest_without_name", {"type": "digest", "realms": ["redirection"]}, "name", "a digest account needs a name", "module"),
    ("digest_with_sid", {"accounts": [{"name": "op", "type": "digest", "kerberos_sid": SID, "realms": ["storage"]}]},
     "accounts[0].kerberos_sid", "applies to kerberos accounts only", "module"),
    ("kerberos_with_name", {"accounts": [{"name": "op", "type": "kerberos", "kerberos_sid": SID, "realms": ["storage"]}]},
     "accounts[0].name", "a kerberos account has no name in AMT", "module"),
    ("kerberos_without_sid", {"type": "kerberos", "realms": ["redirection"]}, "kerberos_sid",
     "a kerberos account needs the SID", "module"),
    ("kerberos_with_password", {"kerberos_sid": SID, "account_password": OPERATOR_PASSWORD, "realms": ["redirection"]},
     "account_password", "a kerberos account authenticates against Active Directory", "module"),
    ("sid_form", {"kerberos_sid": "S-1-5-x", "realms": ["redirection"]}, "kerberos_sid", "give the SID as S-1-", "module"),
    ("sid_authority", {"kerberos_sid": "S-1-281474976710656-21", "realms": ["redirection"]}, "kerberos_sid",
     "a SID's authority is at most 48 bits", "module"),
    ("sid_too_long", {"kerberos_sid": "S-1-5-21-1-2-3-4-5", "realms": ["redirection"]}, "kerberos_sid",
     "AMT takes SIDs of at most 28 bytes", "module"),
    ("sid_bytes", {"kerberos_sid": "AQIDBAU=", "realms": ["redirection"]}, "kerberos_sid",
     "AMT takes a SID of 1 to 28 bytes, a multiple of 4 (got 5 bytes)", "module"),
    ("no_realms", {"name": "op"}, "realms", "an account needs at least one realm", "module"),
    ("unknown_realm", {"name": "op", "realms": ["everything"]}, "realms", "unknown or unassignable realm everything", "module"),
    ("auditor_with_more", {"name": "op", "realms": ["audit_log", "redirection"]}, "realms",
     "the Auditor's only realm must be audit_log", "module"),
    ("two_auditors", {"accounts": [{"name": "a1", "realms": ["audit_log"]}, {"kerberos_sid": SID, "realms": ["audit_log"]}]},
     "accounts[1].realms", "AMT allows one Auditor", "module"),
    ("listed_twice", {"accounts": [{"name": "a1", "realms": ["storage"]}, {"name": "a1", "state": "absent"}]},
     "accounts[1].name", "digest account a1 is listed twice", "module"),
    ("too_many", {"accounts": [{"name": "u%d" % index, "realms": ["storage"]} for index in range(9)]},
     "accounts", "AMT holds at most 8 digest accounts besides the admin (9 listed)", "module"),
    ("access_choice", {"name": "op", "realms": ["storage"], "access": "remote"}, "access", "must be one of", "ansible"),
    ("name_and_sid", {"name": "op", "kerberos_sid": SID, "realms": ["storage"]}, "name|kerberos_sid", "mutually exclusive", "ansible"),
    ("accounts_and_realms", {"accounts": [], "realms": ["storage"]}, "accounts|realms", "mutually exclusive", "ansible"),
    ("update_password_choice", {"name": "op", "realms": ["storage"], "update_password": "never"}, "update_password",
     "must be one of", "ansible"),
]


@pytest.fixture(scope="module")
def bad_input_results(tmp_path_factory):
    cases = dict((case, args) for case, args, _option, _rule, _checked_by in BAD_INPUT)
    results, output = run_cases(tmp_path_factory.mktemp("user-bad-input"), {"amt_user": {}}, cases, common_args=UNREACHABLE)
    assert OPERATOR_PASSWORD not in output
    return results["amt_user"]


@pytest.mark.parametrize("case, option, rule, checked_by", [(case, option, rule, checked_by) for case, _args, option, rule, checked_by in BAD_INPUT],
                         ids=[case for case, _args, _option, _rule, _checked_by in BAD_INPUT])
def test_bad_input_is_refused_naming_the_option_and_rule_before_sending(bad_input_results, case, option, rule, checked_by):
    result = bad_input_results[case]
    if checked_by == "module_text":
        # password_policy's rules read "option must ...": the option and the rule are one sentence
        assert result["failed"] is True and result["changed"] is False and result["error"] == "invalid_input", result
        assert result["msg"].startswith(option) and rule in result["msg"], result["msg"]
    elif checked_by == "ansible" and "|" in option:
        assert result["failed"] is True and "error" not in result and rule in result["msg"], result
        assert all(name in result["msg"] for name in option.split("|")), result["msg"]
    else:
        assert_refused_before_sending(result, option, rule, checked_by)
