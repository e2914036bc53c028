# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""amt_baseline's inputs: refused before anything is sent, each refusal naming its place."""

from __future__ import annotations

import pytest

from ansible_collections.oob.amt.plugins.module_utils.baseline import catalog, settings
from ansible_collections.oob.amt.plugins.module_utils.wsman.errors import InvalidInputError


def refused(call, *args):
    with pytest.raises(InvalidInputError) as raised:
        call(*args)
    return str(raised.value)


def test_every_control_takes_the_catalog_defaults():
    everything = settings.baseline_settings(None)
    assert list(everything) == list(catalog.IDS)
    assert everything["AMT-REDIR-02"] == {"kvm": False, "enforce": True}
    assert everything["AMT-REDIR-03"]["user_consent"] == "all"
    assert everything["AMT-AUD-04"] == {"storage_policy": "restricted_rollover", "min_days_to_keep": 30, "enforce": True}


def test_given_settings_are_converted_as_the_modules_convert_them():
    given = settings.baseline_settings({"AMT-REDIR-02": {"kvm": "yes"}, "AMT-REDIR-03": {"consent_code_timeout": "120"}})
    assert given["AMT-REDIR-02"]["kvm"] is True and given["AMT-REDIR-03"]["consent_code_timeout"] == 120


@pytest.mark.parametrize("baseline, message", [
    ({"AMT-NOPE-01": {}}, "baseline: unknown control id 'AMT-NOPE-01'; known: AMT-PROV-01"),
    ({"AMT-REDIR-02": {"kvn": False}}, "baseline.AMT-REDIR-02.kvn: unknown setting; AMT-REDIR-02 takes enforce, kvm"),
    ({"AMT-REDIR-02": {"kvm": "perhaps"}}, "baseline.AMT-REDIR-02.kvm: "),
    ({"AMT-REDIR-03": {"user_consent": "sometimes"}}, "baseline.AMT-REDIR-03.user_consent: "),
    ({"AMT-WEB-01": ["off"]}, "baseline.AMT-WEB-01: must be a mapping"),
    ({"AMT-RPROV-01": {"allowed_provisioning_hashes": ["12:34"]}}, "baseline.AMT-RPROV-01.allowed_provisioning_hashes: '12:34'"),
    ({"AMT-ACCT-03": {"accounts": "operator"}}, "baseline.AMT-ACCT-03.accounts: "),
    ({"AMT-ACCT-03": {"accounts": [{"name": "op", "realms": ["redirection"], "password": "Op3rator!pass"}]}},
     "baseline.AMT-ACCT-03.accounts: "),
    ({"AMT-ACCT-03": {"accounts": [{"name": "op", "realms": ["redirection"], "access": "both"}]}}, "baseline.AMT-ACCT-03.accounts: "),
    ({"AMT-ACCT-03": {"accounts": [{"name": "op", "realms": ["redirection"]}, {"name": "$$sys", "realms": ["redirection"]}]}},
     "baseline.AMT-ACCT-03.accounts[1].name must not begin with $$"),
    ({"AMT-ACCT-03": {"accounts": [{"name": "op"}]}}, "baseline.AMT-ACCT-03.accounts[0].realms: an account needs at least one realm"),
    ({"AMT-ACCT-03": {"accounts": [{"name": "op", "realms": ["storage_room"]}]}},
     "baseline.AMT-ACCT-03.accounts[0].realms: unknown or unassignable realm storage_room"),
    ({"AMT-ACCT-03": {"accounts": [{"name": "op", "realms": ["audit_log"]}]}},
     "baseline.AMT-ACCT-03.accounts[0].realms: audit_log is the Auditor's realm: AMT-AUD-01 manages the Auditor"),
    ({"AMT-ACCT-03": {"accounts": [{"name": "op", "realms": ["redirection"]}, {"name": "op", "realms": ["general_info"]}]}},
     "baseline.AMT-ACCT-03.accounts[1].name: digest account op is listed twice"),
    ({"AMT-ACCT-03": {"accounts": [{"kerberos_sid": "S-2-5", "realms": ["redirection"]}]}},
     "baseline.AMT-ACCT-03.accounts[0].kerberos_sid: give the SID as S-1-"),
    ({"AMT-ACCT-03": {"accounts": [{"name": "op%d" % index, "realms": ["redirection"]} for index in range(9)]}},
     "baseline.AMT-ACCT-03.accounts: AMT holds at most 8 digest accounts"),
])
def test_bad_settings_are_refused_naming_the_setting(baseline, message):
    assert refused(settings.baseline_settings, baseline).startswith(message)


def test_allowed_provisioning_hashes_are_normalised_as_amt_info_normalises_them():
    sha1 = "AB:" * 19 + "CD"
    given = settings.baseline_settings({"AMT-RPROV-01": {"allowed_provisioning_hashes": [sha1]}})
    assert given["AMT-RPROV-01"]["allowed_provisioning_hashes"] == ["ab" * 19 + "cd"]
    assert settings.baseline_settings(None)["AMT-RPROV-01"]["allowed_provisioning_hashes"] is None


def test_allowed_accounts_are_normalised_as_amt_user_normalises_its_accounts():
    given = settings.baseline_settings({"AMT-ACCT-03": {"accounts": [
        {"name": "operator", "realms": ["redirection", "general_info", "redirection"]},
        {"kerberos_sid": "S-1-5-21-1-2-3-1104", "realms": ["hardware_asset"], "access": "any"}]}})["AMT-ACCT-03"]
    assert given["purge"] is True
    assert [(account["type"], account["name"], account["kerberos_sid"], account["access"], account["realms"]) for account in given["accounts"]] == [
        ("digest", "operator", None, "network", ["general_info", "redirection"]),
        ("kerberos", None, "S-1-5-21-1-2-3-1104", "any", ["hardware_asset"])]
    assert settings.baseline_settings(None)["AMT-ACCT-03"] == {"accounts": None, "purge": True, "enforce": True}
    assert settings.baseline_settings({"AMT-ACCT-03": {"accounts": []}})["AMT-ACCT-03"]["accounts"] == []


def test_controls_are_returned_in_catalog_order_and_unknown_ids_refused():
    assert settings.selected_controls(["AMT-WEB-01", "AMT-PROV-01"]) == ["AMT-PROV-01", "AMT-WEB-01"]
    assert settings.selected_controls(None) == list(catalog.IDS)
    assert refused(settings.selected_controls, ["AMT-TLS-09"]).startswith("controls: unknown control id 'AMT-TLS-09'")


def test_exceptions_need_a_reason_and_secrets_their_shape():
    assert settings.checked_exceptions({"AMT-REDIR-02": " kiosk "}) == {"AMT-REDIR-02": "kiosk"}
    assert refused(settings.checked_exceptions, {"AMT-REDIR-02": ""}).startswith("exceptions.AMT-REDIR-02: needs a reason")
    assert refused(settings.checked_exceptions, {"AMT-X-01": "why"}).startswith("exceptions: unknown control id 'AMT-X-01'")
    assert refused(settings.checked_secrets, {"mps_passwords": "one"}).startswith("secrets.mps_passwords: must be a mapping")
    assert refused(settings.checked_secrets, {"account_passwords": ["x"]}).startswith("secrets.account_passwords: must be a mapping")
    assert refused(settings.checked_secrets, {"tls_ca_key": 3}).startswith("secrets.tls_ca_key: must be a text")
    assert refused(settings.checked_secrets, {"root_password": "x"}).startswith("secrets.root_password: unknown secret")
