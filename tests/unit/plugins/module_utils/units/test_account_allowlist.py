# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The allowed accounts of amt_baseline (AMT-ACCT-03 realms and unknown accounts, AMT-ACCT-04 access) planned against a read
state: each control its own part, the admin, the $$ accounts and the Auditor spared, passwords only to create."""

from __future__ import annotations

import pytest

from ansible_collections.oob.amt.plugins.module_utils.units import accounts
from ansible_collections.oob.amt.plugins.module_utils.units.account_allowlist import (
    ACCESS, REALMS, AccountAllowlist, allowed_accounts, check_passwords, other_accounts)
from ansible_collections.oob.amt.plugins.module_utils.wsman.errors import InvalidInputError

from ansible_collections.oob.amt.tests.unit.plugins.module_utils.units.test_accounts import account, device

PASSWORD = "K1osk-Passw0rd!"
SID = "S-1-5-21-1004336348-1177238915-682003330-1104"
AUDITOR_SID = "S-1-5-21-1004336348-1177238915-682003330-2207"
LISTED = [{"name": "operator", "realms": ["general_info"], "access": "local"},
          {"kerberos_sid": SID, "realms": ["hardware_asset"], "access": "any"},
          {"name": "kiosk", "realms": ["redirection"], "access": "local"}]
PLACE, PASSWORDS = "baseline.AMT-ACCT-03", "secrets.account_passwords"


def weak_device():
    """An operator with too many realms, an unknown helpdesk account, the Auditor (a SID holding audit_log) and the
    account AMT-AUD-01 names, which does not hold audit_log yet."""
    return device(account(3, "operator", realms=["general_info", "redirection"]), account(4, "helpdesk"),
                  account(5, sid=AUDITOR_SID, realms=["audit_log"]), account(6, "auditor2", realms=["general_info"]))


def unit(part, listed=None, purge=True, passwords=None):
    return AccountAllowlist(part, allowed_accounts(LISTED if listed is None else listed), purge=purge,
                            auditor=accounts.account_key("auditor2"), passwords=passwords, place=PLACE, password_place=PASSWORDS)


def actions(allowlist, state):
    return [allowlist.summary(change) for change in allowlist.plan(state)]


def test_realms_create_narrow_and_purge_sparing_the_auditor_and_the_system_accounts():
    allowlist = unit(REALMS, passwords={"kiosk": PASSWORD})
    changes = allowlist.plan(weak_device())
    assert [allowlist.summary(change) for change in changes] == [
        "remove digest account helpdesk",
        "set the realms of digest account operator to general_info",
        "add kerberos account %s (realms hardware_asset; access any)" % SID,
        "add digest account kiosk (realms redirection; access local)"]
    # The realms are this control's part: the operator keeps the access the device gives it.
    assert changes[1]["account"]["access"] == "network" and changes[1]["handle"] == 3
    assert changes[3]["password"] is True and changes[3]["account"]["password"] == PASSWORD
    assert allowlist.kept == []


def test_access_is_set_alone_and_keeps_the_realms_the_device_holds():
    allowlist = unit(ACCESS)
    changes = allowlist.plan(weak_device())
    assert [allowlist.summary(change) for change in changes] == ["set the access of digest account operator to local"]
    assert changes[0]["account"]["realms"] == ["general_info", "redirection"] and changes[0]["password"] is False


def test_without_purge_the_unknown_accounts_stay_and_are_named():
    allowlist = unit(REALMS, purge=False, passwords={"kiosk": PASSWORD})
    assert "remove digest account helpdesk" not in actions(allowlist, weak_device())
    assert allowlist.kept == ["digest account helpdesk is not in baseline.AMT-ACCT-03.accounts (purge: true removes it)"]


def test_a_converged_device_plans_nothing():
    converged = device(account(3, "operator", access="local", realms=["general_info"]),
                       account(4, sid=SID, access="any", realms=["hardware_asset"]),
                       account(5, "kiosk", access="local", realms=["redirection"]),
                       account(6, sid=AUDITOR_SID, realms=["audit_log"]))
    for part in (REALMS, ACCESS):
        allowlist = unit(part, passwords={})
        assert allowlist.plan(converged) == [] and allowlist.kept == []


def test_an_empty_list_removes_every_account_but_the_auditors():
    assert actions(unit(REALMS, listed=[]), weak_device()) == ["remove digest account operator", "remove digest account helpdesk"]


def test_the_auditor_is_spared_whatever_the_list_says():
    listed = [{"name": "auditor2", "realms": ["redirection"]}, {"kerberos_sid": AUDITOR_SID, "realms": ["redirection"], "access": "local"}]
    for part in (REALMS, ACCESS):
        assert [text for text in actions(unit(part, listed=listed, passwords={}), weak_device()) if "auditor2" in text or AUDITOR_SID in text] == []


def test_creating_a_digest_account_needs_its_password_unless_only_observed():
    with pytest.raises(InvalidInputError) as raised:
        unit(REALMS, passwords={}).plan(weak_device())
    assert str(raised.value).startswith("secrets.account_passwords.kiosk: needed to create digest account kiosk")
    observed = unit(REALMS, passwords=None).plan(weak_device())
    assert observed[-1]["action"] == "add" and observed[-1]["password"] is False


def test_the_admins_name_is_refused():
    state = dict(weak_device(), admin_username="root")
    with pytest.raises(InvalidInputError) as raised:
        unit(REALMS, listed=[{"name": "root", "realms": ["redirection"]}], passwords={}).plan(state)
    assert str(raised.value).startswith("baseline.AMT-ACCT-03.accounts[0].name: root is the admin's name")


def test_the_diff_masks_the_password_it_writes():
    allowlist = unit(REALMS, passwords={"kiosk": PASSWORD})
    state = weak_device()
    diff = allowlist.diff(state, allowlist.plan(state))
    assert PASSWORD not in str(diff)
    kiosk = [view for view in diff["after"]["accounts"] if view["name"] == "kiosk"]
    assert kiosk == [{"name": "kiosk", "type": "digest", "kerberos_sid": None, "access": "local", "realms": ["redirection"],
                      "password": "******** (written)"}]
    assert [view["name"] for view in diff["after"]["accounts"] if view["type"] == "digest"] == ["operator", "auditor2", "kiosk"]


def test_a_password_for_a_listed_digest_account_that_meets_amts_rule_is_taken():
    check_passwords(allowed_accounts(LISTED), {"kiosk": PASSWORD}, PASSWORDS)
    check_passwords(allowed_accounts(LISTED), {"": ""}, PASSWORDS)  # an AWX credential's fields left empty: not given


@pytest.mark.parametrize("listed, passwords, message", [
    (LISTED, {"nobody": PASSWORD}, "secrets.account_passwords.nobody: no digest account of that name"),
    (LISTED, {SID: PASSWORD}, "secrets.account_passwords.%s: no digest account of that name" % SID),
    (None, {"kiosk": PASSWORD}, "secrets.account_passwords.kiosk: no digest account of that name"),
    (LISTED, {"kiosk": "short"}, "secrets.account_passwords.kiosk does not meet AMT's password rule"),
])
def test_a_password_for_no_listed_digest_account_or_a_weak_one_is_refused(listed, passwords, message):
    with pytest.raises(InvalidInputError) as raised:
        check_passwords(allowed_accounts(listed), passwords, PASSWORDS)
    assert str(raised.value).startswith(message)
    assert "short" not in str(raised.value) and PASSWORD not in str(raised.value)


def test_other_accounts_leave_out_the_system_accounts_and_the_auditor():
    assert [view["name"] for view in other_accounts(weak_device(), accounts.account_key("auditor2"))] == ["operator", "helpdesk"]
    assert [view["name"] for view in other_accounts(weak_device(), None)] == ["operator", "helpdesk", "auditor2"]


def test_access_is_left_with_a_reason_when_the_realms_cannot_be_sent_back():
    state = device(account(3, "operator", realms=["firmware_update", "general_info"]))
    allowlist = unit(ACCESS)
    assert allowlist.plan(state) == []
    assert allowlist.kept == ["the access of digest account operator stays network: its realm(s) firmware_update cannot be sent back"]
