# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Validation, what survives, refusal messages, the port probe and the local (MEI) flow of the unprovision unit."""

from __future__ import annotations

import socket

import pytest

from ansible_collections.oob.amt.plugins.module_utils.units import unprovision as unit
from ansible_collections.oob.amt.plugins.module_utils.units.base import Outcome
from ansible_collections.oob.amt.plugins.module_utils.wsman.errors import (
    DeviceError,
    IdentityMismatchError,
    IndeterminateError,
    InvalidInputError,
    NotPermittedError,
    TlsError,
    UnreachableError,
)

DEVICE_UUID = "89a17dbf-ff7e-4ddb-941d-c170c0cef327"
ASSET = {"control_mode": "acm", "firmware_version": "11.8.50.3425"}


@pytest.mark.parametrize("arguments, message", [
    ({"mode": "half"}, "mode: must be full or partial"),
    ({"transport": "serial"}, "transport: must be network or local"),
    ({"transport": "local", "mode": "partial"}, "mode: partial needs transport=network"),
    ({"transport": "local", "assume_unprovisioned_if_unreachable": True}, "applies only to transport=network"),
    ({"verify_timeout": -1}, "verify_timeout: must be 0 or more"),
    ({"transport": "local", "mei_device": ""}, "mei_device: must name the management engine interface"),
    ({"auditor_username": "auditor"}, "auditor_password: must be given with auditor_username"),
    ({"auditor_username": " ", "auditor_password": "Secret-1"}, "auditor_username: must name the Auditor account"),
    ({"auditor_password": "Secret-1"}, "auditor_username: must name the Auditor account"),
    ({"transport": "local", "auditor_username": "auditor", "auditor_password": "Secret-1"}, "auditor_username: applies only to transport=network"),
])
def test_validate(arguments, message):
    with pytest.raises(InvalidInputError, match=message):
        unit.validate(unit.UnprovisionRequest(**arguments))


@pytest.mark.parametrize("mode, major, expected", [
    ("full", 11, ["mebx_password"]),
    ("full", 12, ["mebx_password", "dns_suffix"]),
    ("partial", 16, ["mebx_password", "dns_suffix"] + unit.PARTIAL_KEEPS),
])
def test_survivors(mode, major, expected):
    assert unit.survivors(mode, major) == expected


def test_survivor_warnings_name_each_survivor():
    warnings = unit.survivor_warnings(unit.survivors("partial", 16))
    assert len(warnings) == 3
    assert "MEBx password" in warnings[0] and "DNS suffix" in warnings[1] and "admin account" in warnings[2]


@pytest.mark.parametrize("control_mode, major, expected", [("acm", 11, True), ("acm", 12, False), ("ccm", 11, False), ("acm", None, False)])
def test_auditor_can_block_only_acm_before_12(control_mode, major, expected):
    assert unit.auditor_can_block(control_mode, major) is expected


def test_refusal_by_an_auditor_is_named():
    error = unit.NetworkUnprovision._refusal("Unprovision", 16, ASSET, ["auditor"])
    assert isinstance(error, NotPermittedError)
    assert str(error).startswith("AMT_SetupAndConfigurationService.Unprovision returned 16 (PT_STATUS_NOT_PERMITTED): the Auditor account 'auditor'")
    assert "UNPROVISIONING_LOCK" in str(error)


@pytest.mark.parametrize("code, error_class, text", [
    (16, NotPermittedError, "connect as the admin account"),
    (2076, NotPermittedError, "PT_STATUS_BLOCKING_COMPONENT): a firmware component blocks unprovisioning (acm mode, firmware 11.8.50.3425)"),
    (36, InvalidInputError, "PT_STATUS_INVALID_PARAMETER"),
    (1, DeviceError, "PT_STATUS_INTERNAL_ERROR"),
])
def test_refusal_without_auditor(code, error_class, text):
    error = unit.NetworkUnprovision._refusal("PartialUnprovision", code, ASSET, [])
    assert error.__class__ is error_class
    assert text in str(error)
    assert error.return_value == code


def test_port_answers_on_real_loopback_sockets():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]
    try:
        assert unit.port_answers("127.0.0.1", port) == (True, None)
    finally:
        listener.close()
    assert unit.port_answers("127.0.0.1", port) == (False, "refused")


def test_unreachable_is_a_failure_unless_assumed():
    job = unit.NetworkUnprovision("127.0.0.1", 16993, None, unit.UnprovisionRequest())
    with pytest.raises(UnreachableError, match="not proof that it is unprovisioned"):
        job.unreachable_outcome("refused")
    assumed = unit.NetworkUnprovision("127.0.0.1", 16993, None, unit.UnprovisionRequest(assume_unprovisioned_if_unreachable=True))
    assert assumed.unreachable_outcome("timed out") == {"verified": False, "evidence": "WS-Man port 16993 timed out"}


class FakeMei:
    def __init__(self, control_mode=1, settles_after=0):
        self.control_mode = control_mode
        self.state = 2
        self.calls = []
        self.settles_after = settles_after

    def get_uuid(self):
        return DEVICE_UUID

    def get_code_versions(self):
        return {"bios_version": "x", "versions": {"AMT": "16.1.27", "Build Number": "2176"}}

    def get_control_mode(self):
        return self.control_mode

    def get_provisioning_state(self):
        if self.calls and self.settles_after <= 0:
            self.state = 0
        self.settles_after -= 1
        return self.state

    def get_dns_suffix(self):
        return "example.com"

    def unprovision(self):
        self.calls.append("Unprovision")
        return 0


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


def test_local_reads_the_asset_and_checks_identity():
    job = unit.LocalUnprovision(FakeMei(), unit.UnprovisionRequest(transport="local"), expected_uuid=DEVICE_UUID.upper())
    asset = job.read()
    assert asset["uuid"] == DEVICE_UUID and asset["firmware_version"] == "16.1.27.2176"
    assert (asset["control_mode"], asset["provisioning_state"], asset["dns_suffix"]) == ("ccm", "post", "example.com")
    other = unit.LocalUnprovision(FakeMei(), unit.UnprovisionRequest(transport="local"), expected_uuid="11111111-2222-3333-4444-555555555555")
    with pytest.raises(IdentityMismatchError):
        other.read()


def test_local_refuses_acm_before_writing():
    mei = FakeMei(control_mode=2)
    job = unit.LocalUnprovision(mei, unit.UnprovisionRequest(transport="local"))
    with pytest.raises(NotPermittedError, match="only a device in client control mode"):
        job.refuse_mode(job.read())
    assert mei.calls == []


def test_local_waits_for_the_pre_state():
    clock = Clock()
    mei = FakeMei(settles_after=3)
    job = unit.LocalUnprovision(mei, unit.UnprovisionRequest(transport="local", verify_timeout=10), clock=clock, sleep=clock.sleep)
    assert job.apply(Outcome("unprovisioning", False))["verified"] is True
    assert clock.now == 3.0


def test_local_reports_a_state_that_never_settles():
    clock = Clock()
    mei = FakeMei(settles_after=100)
    job = unit.LocalUnprovision(mei, unit.UnprovisionRequest(transport="local", verify_timeout=5), clock=clock, sleep=clock.sleep)
    with pytest.raises(DeviceError, match="after 5 s the firmware still reports the post state"):
        job.apply(Outcome("unprovisioning", False))


class FakeClient:
    """Answers (Partial)Unprovision with a ReturnValue, or loses the answer; reads the provisioning state it was given."""

    def __init__(self, return_value=0, lose_answer=False, state="2"):
        self.return_value = return_value
        self.lose_answer = lose_answer
        self.state = state
        self.invoked = []

    def invoke(self, class_name, method, inputs=None, selectors=None, check=True, idempotent=False, cached=False):
        self.invoked.append((method, inputs))
        if self.lose_answer:
            raise IndeterminateError("no answer")
        return {"ReturnValue": self.return_value}

    def get(self, class_name, selectors=None):
        return {"ProvisioningState": self.state}


@pytest.fixture
def open_port():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    yield listener.getsockname()[1]
    listener.close()


def closed_port():
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    return port


def network_job(port, client, mode="full", verify_timeout=0):
    clock = Clock()
    request = unit.UnprovisionRequest(mode=mode, verify_timeout=verify_timeout)
    return unit.NetworkUnprovision("127.0.0.1", port, lambda: client, request, clock=clock, sleep=clock.sleep)


def test_full_sends_provisioning_mode_and_verifies_the_closed_port():
    client = FakeClient()
    evidence = network_job(closed_port(), client).apply(ASSET, [], Outcome("unprovisioning", False))
    assert client.invoked == [("Unprovision", [("ProvisioningMode", 1)])]
    assert evidence["verified"] is True and evidence["evidence"].endswith("closed")


def test_partial_sends_no_inputs(open_port):
    client = FakeClient(state="0")
    evidence = network_job(open_port, client, mode="partial").apply(ASSET, [], Outcome("unprovisioning", False))
    assert client.invoked == [("PartialUnprovision", None)]
    assert evidence == {"verified": True, "evidence": "ProvisioningState reads pre"}


def test_lost_answer_with_closed_port_took_effect_and_is_not_resent():
    client = FakeClient(lose_answer=True)
    assert network_job(closed_port(), client).apply(ASSET, [], Outcome("unprovisioning", False))["verified"] is True
    assert len(client.invoked) == 1


def test_lost_answer_with_a_provisioned_device_is_indeterminate(open_port):
    client = FakeClient(lose_answer=True, state="2")
    outcome = Outcome("unprovisioning", False)
    with pytest.raises(IndeterminateError, match="may still"):
        network_job(open_port, client).apply(ASSET, [], outcome)
    assert len(client.invoked) == 1
    assert outcome.indeterminate and outcome.changed


class TlsBreakingClient(FakeClient):
    """Loses the answer to Unprovision, then fails the TLS handshake of the read-back (the interface going down)."""

    def get(self, class_name, selectors=None):
        raise TlsError("TLS failure")


def test_a_lost_answer_whose_read_back_fails_is_recorded_unconfirmed(open_port):
    outcome = Outcome("unprovisioning", False)
    with pytest.raises(IndeterminateError, match="reading the state back failed too"):
        network_job(open_port, TlsBreakingClient(lose_answer=True)).apply(ASSET, [], outcome)
    assert [write.status for write in outcome.writes] == ["unconfirmed"] and outcome.changed and outcome.indeterminate


def test_an_acknowledged_unprovision_whose_read_back_fails_is_recorded_confirmed(open_port):
    outcome = Outcome("unprovisioning", False)
    with pytest.raises(TlsError, match="could not be read back"):
        network_job(open_port, TlsBreakingClient()).apply(ASSET, [], outcome)
    assert [(write.status, write.verified) for write in outcome.writes] == [("confirmed", False)] and outcome.changed


def test_success_that_leaves_the_device_provisioned_is_an_error(open_port):
    with pytest.raises(DeviceError, match="still answers on port"):
        network_job(open_port, FakeClient(state="2")).apply(ASSET, [], Outcome("unprovisioning", False))


def test_refusal_is_raised_with_the_auditor_named(open_port):
    with pytest.raises(NotPermittedError, match="Auditor account 'audit'.*auditor_username and auditor_password"):
        network_job(open_port, FakeClient(return_value=16)).apply(ASSET, ["audit"], Outcome("unprovisioning", False))


CONSENT = "allow unprovisioning as the Auditor 'audit' (AMT_AuditLog.SetAuditLock, Flag 1 UNPROVISIONING_LOCK, 60 s)"


def test_auditor_consent_is_one_write_with_a_timeout_and_the_unprovisioning_flag():
    client, outcome = FakeClient(), Outcome("unprovisioning", False)
    unit.give_auditor_consent(client, "audit", outcome)
    assert client.invoked == [("SetAuditLock", [("LockTimeoutInSeconds", 60), ("Flag", 1)])]
    assert [write.to_result() for write in outcome.writes] == [{"action": CONSENT, "status": "confirmed", "verified": None}]


@pytest.mark.parametrize("client, error_class, status", [
    (FakeClient(return_value=16), NotPermittedError, "refused"),
    (FakeClient(return_value=36), DeviceError, "refused"),
    (FakeClient(lose_answer=True), IndeterminateError, "unconfirmed"),
])
def test_auditor_consent_refused_or_lost_is_recorded_and_raised(client, error_class, status):
    outcome = Outcome("unprovisioning", False)
    with pytest.raises(error_class):
        unit.give_auditor_consent(client, "audit", outcome)
    assert [write.status for write in outcome.writes] == [status]


class ClockClient:
    """Answers GetLowAccuracyTimeSynch with the outputs it was given."""

    def __init__(self, outputs):
        self.outputs = outputs
        self.invoked = []

    def invoke(self, class_name, method, inputs=None, selectors=None, check=True, idempotent=False, cached=False):
        self.invoked.append((class_name, method, inputs, idempotent))
        return dict(self.outputs, ReturnValue=0)


def test_device_time_is_the_devices_clock_in_iso_8601_utc():
    client = ClockClient({"Ta0": "1704586865"})
    assert unit.read_device_time(client) == "2024-01-07T00:21:05+00:00"
    assert client.invoked == [("AMT_TimeSynchronizationService", "GetLowAccuracyTimeSynch", None, True)]


def test_device_time_without_ta0_is_a_device_error():
    with pytest.raises(DeviceError, match="answered without Ta0"):
        unit.read_device_time(ClockClient({}))


def test_local_asset_has_no_device_time():
    asset = unit.LocalUnprovision(FakeMei(), unit.UnprovisionRequest(transport="local")).read()
    assert asset["device_time"] is None and asset["recorded_at"].endswith("+00:00")
