# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""How a unit's Outcome becomes a control's status, what the site's missing data leaves observed, and the result's shape."""

from __future__ import annotations

import pytest

from ansible_collections.oob.amt.plugins.module_utils.baseline import catalog
from ansible_collections.oob.amt.plugins.module_utils.baseline.runner import STATUSES, Entry, Run, missing_data
from ansible_collections.oob.amt.plugins.module_utils.baseline.settings import baseline_settings
from ansible_collections.oob.amt.plugins.module_utils.units.base import CONFIRMED, REFUSED, UNCONFIRMED, Outcome
from ansible_collections.oob.amt.plugins.module_utils.wsman.errors import DeviceError, InvalidInputError, NotPermittedError, UnreachableError

from ansible_collections.oob.amt.tests.unit.plugins.module_utils.baseline.stub_module import StubModule


def make_run(check_mode=False, enforce=True, exceptions=None, baseline=None, secrets=()):
    module = StubModule(check_mode=check_mode, secrets=secrets)
    return Run(module, list(catalog.IDS), baseline_settings(baseline or {}), {}, exceptions or {}, enforce)


def outcome(check_mode=False, planned=(), writes=(), error=None):
    result = Outcome("redirection", check_mode)
    result.planned = list(planned)
    for action, status, verified in writes:
        result.record(action, status, verified)
    result.error = error
    result.diff = {"before": {"kvm": True}, "after": {"kvm": False}}
    return result


def settle(run, control_id, result, not_applicable=()):
    entry = run.entries[control_id]
    run._from_outcome(entry, result, list(not_applicable))  # pylint: disable=protected-access
    return entry


def test_a_write_made_is_changed_and_reported():
    entry = settle(make_run(), "AMT-REDIR-02", outcome(planned=["turn KVM off"], writes=[("turn KVM off", CONFIRMED, True)]))
    assert entry.status == "changed" and entry.actions == ["turn KVM off"] and entry.error is None
    assert entry.writes == [{"action": "turn KVM off", "status": "confirmed", "verified": True}]


def test_check_mode_is_drifted_with_the_exact_actions_and_would_change():
    run = make_run(check_mode=True)
    entry = settle(run, "AMT-REDIR-02", outcome(check_mode=True, planned=["turn KVM off"]))
    assert (entry.status, entry.actions, entry.writes, entry.reason) == ("drifted", ["turn KVM off"], [], "turn KVM off")
    assert entry.would_change is True


@pytest.mark.parametrize("how", ["enforce false for the run", "enforce false for the control"])
def test_observing_only_is_drifted_and_changes_nothing(how):
    run = make_run(enforce=False) if how.endswith("run") else make_run(baseline={"AMT-REDIR-02": {"enforce": False}})
    entry = settle(run, "AMT-REDIR-02", outcome(check_mode=True, planned=["turn KVM off"]))
    assert entry.status == "drifted" and entry.would_change is False


def test_nothing_to_do_is_compliant():
    entry = settle(make_run(), "AMT-REDIR-02", outcome())
    assert (entry.status, entry.reason, entry.actions) == ("compliant", None, [])


def test_what_the_device_does_not_let_change_is_not_applicable_with_why():
    refused = [{"option": "user_consent", "wanted": "all", "device": "none", "reason": "the MEBx does not allow it"}]
    entry = settle(make_run(), "AMT-REDIR-03", outcome(), refused)
    assert entry.status == "not_applicable" and entry.reason == "user_consent: the MEBx does not allow it"


def test_a_refusal_is_failed_with_its_kind_and_the_others_go_on():
    run = make_run()
    error = NotPermittedError("AMT_RedirectionService.RequestStateChange returned 16 (PT_STATUS_NOT_PERMITTED)")
    entry = settle(run, "AMT-REDIR-01", outcome(planned=["turn SOL off"], writes=[("turn SOL off", REFUSED, None)], error=error))
    assert entry.status == "failed" and entry.error == {"kind": "not_permitted", "msg": str(error)}
    assert run.lost is None


def test_a_lost_connection_fails_the_control_and_stops_the_rest():
    run = make_run()
    lost = outcome(planned=["turn KVM off"], writes=[("turn KVM off", CONFIRMED, False)], error=UnreachableError("connection refused"))
    entry = settle(run, "AMT-REDIR-02", lost)
    assert entry.status == "failed" and entry.error["kind"] == "unreachable"
    assert run.lost.startswith("the connection to the device was lost during AMT-REDIR-02")


def test_an_excepted_control_keeps_its_reason_and_shows_what_enforcing_would_do():
    run = make_run(exceptions={"AMT-REDIR-02": "KVM needed on the kiosk group"})
    entry = settle(run, "AMT-REDIR-02", outcome(check_mode=True, planned=["turn KVM off"]))
    assert (entry.status, entry.reason, entry.actions, entry.writes) == ("excepted", "KVM needed on the kiosk group", ["turn KVM off"], [])


def test_an_unconfirmed_write_makes_the_run_changed_and_indeterminate():
    run = make_run()
    error = DeviceError("the answer to 'turn KVM off' was lost")
    settle(run, "AMT-REDIR-02", outcome(planned=["turn KVM off"], writes=[("turn KVM off", UNCONFIRMED, None)], error=error))
    run.device = {"uuid": None, "firmware": None, "control_mode": "ccm", "hostname": "amt.example.com"}
    for entry in run.entries.values():
        entry.status = entry.status or "manual"
    result = run._result()  # pylint: disable=protected-access
    assert result["changed"] is True and result["indeterminate"] is True
    assert set(result["summary"]) == set(STATUSES) and result["summary"]["failed"] == 1
    assert result["diff"]["before"] == {"AMT-REDIR-02": {"kvm": True}}


def test_secrets_are_redacted_from_error_messages():
    run = make_run(secrets=("Hunter2-Secret!",))
    entry = settle(run, "AMT-AUD-02", outcome(error=DeviceError("the device echoed Hunter2-Secret! back")))
    assert "Hunter2-Secret!" not in entry.error["msg"] and "********" in entry.error["msg"]


def test_missing_site_data_names_the_settings_that_enable_enforcement():
    settings = baseline_settings({})
    assert missing_data(catalog.BY_ID["AMT-AUD-01"], settings["AMT-AUD-01"], {}) == [
        "baseline.AMT-AUD-01.name or baseline.AMT-AUD-01.kerberos_sid",
        "secrets.auditor_password or baseline.AMT-AUD-01.kerberos_sid"]
    assert missing_data(catalog.BY_ID["AMT-AUD-01"], baseline_settings({"AMT-AUD-01": {"kerberos_sid": "S-1-5-21-1-2-3-1001"}})["AMT-AUD-01"], {}) == []
    assert missing_data(catalog.BY_ID["AMT-TLS-03"], settings["AMT-TLS-03"], {}) == ["baseline.AMT-TLS-03.mutual_authentication"]
    assert missing_data(catalog.BY_ID["AMT-REDIR-02"], settings["AMT-REDIR-02"], {}) == []


def test_entries_have_the_interface_fields():
    entry = Entry(catalog.BY_ID["AMT-NET-01"])
    entry.status = "manual"
    assert set(entry.to_result()) == {"id", "title", "severity", "status", "reason", "actions", "writes", "error", "fix"}


def tls_state(context):
    settings = {"InstanceID": "x", "Enabled": "true", "AcceptNonSecureConnections": "true", "MutualAuthentication": "false"}
    return {"remote": dict(settings), "local": dict(settings), "context": context, "certificates": {}, "keys": {}}


def test_without_a_certificate_in_use_or_a_ca_tls_is_observed_and_the_reason_names_the_missing_data():
    run = make_run()
    assert run._tls_unit(tls_state(None), ["AMT-TLS-01", "AMT-TLS-02", "AMT-TLS-04"]) is None  # pylint: disable=protected-access
    hint = run._tls_hint(catalog.BY_ID["AMT-TLS-02"])  # pylint: disable=protected-access
    assert hint == ("observed only: no server certificate is in use; give baseline.AMT-TLS-01.issuer_certificate,"
                    " baseline.AMT-TLS-01.server_certificate, secrets.tls_ca_key to enforce it")
    assert run._tls_hint(catalog.BY_ID["AMT-TLS-03"]).startswith("optional, and not required")  # pylint: disable=protected-access


def test_refusals_name_the_secret_a_value_came_from():
    run = make_run(baseline={"AMT-AUD-01": {"name": "auditor"}})
    run.secrets = {"auditor_password": "short"}
    with pytest.raises(InvalidInputError) as raised:
        run.check_inputs()
    assert str(raised.value).startswith("secrets.auditor_password: does not meet AMT's password rule")
    run = make_run(baseline={"AMT-REDIR-03": {"consent_code_timeout": 5}})
    with pytest.raises(InvalidInputError) as raised:
        run.check_inputs()
    assert str(raised.value) == "baseline.AMT-REDIR-03.consent_code_timeout: must be between 60 and 900 (got 5)"


def test_unknown_accounts_kept_without_purge_are_drifted_even_after_other_changes():
    kept = ["digest account helpdesk is not in baseline.AMT-ACCT-03.accounts (purge: true removes it)"]
    entry = make_run().entries["AMT-ACCT-03"]
    make_run()._from_outcome(entry, outcome(), (), kept)  # pylint: disable=protected-access
    assert (entry.status, entry.reason) == ("drifted", kept[0])
    entry = make_run().entries["AMT-ACCT-03"]
    action = "set the realms of digest account operator to general_info"
    make_run()._from_outcome(entry, outcome(planned=[action], writes=[(action, CONFIRMED, True)]), (), kept)  # pylint: disable=protected-access
    assert (entry.status, entry.reason) == ("changed", kept[0])


def test_account_passwords_are_refused_before_anything_is_sent_naming_the_secret():
    run = make_run(baseline={"AMT-ACCT-03": {"accounts": [{"name": "kiosk", "realms": ["redirection"]}]}})
    run.secrets = {"account_passwords": {"kiosk": "Kiosk-Passw0rd!"}}
    run.check_inputs()
    for passwords, message in (({"kiosk": "weak"}, "secrets.account_passwords.kiosk does not meet AMT's password rule"),
                               ({"helpdesk": "Kiosk-Passw0rd!"}, "secrets.account_passwords.helpdesk: no digest account of that name")):
        run.secrets = {"account_passwords": passwords}
        with pytest.raises(InvalidInputError) as raised:
            run.check_inputs()
        assert str(raised.value).startswith(message)


def test_the_allowed_accounts_are_settled_after_the_auditor_and_tls_last(monkeypatch):
    run = make_run()
    settled = []
    monkeypatch.setattr(run, "_read_device", lambda: setattr(run, "device", {"control_mode": "ccm"}))
    monkeypatch.setattr(run, "_gather_observed", lambda: None)
    monkeypatch.setattr(run, "_settle", lambda entry: settled.append(entry.control.id) or setattr(entry, "status", "compliant"))
    monkeypatch.setattr(run, "_settle_tls", lambda: settled.append("TLS"))
    run._run()  # pylint: disable=protected-access
    assert settled[0] == "AMT-REDIR-02" and settled[-3:] == ["AMT-ACCT-03", "AMT-ACCT-04", "TLS"]
    assert settled.index("AMT-AUD-01") < settled.index("AMT-ACCT-03")
    assert sorted(settled[:-1]) == sorted(control_id for control_id in catalog.IDS if not control_id.startswith("AMT-TLS-"))
