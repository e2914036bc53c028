"""The --faults grammar, its per-device ranges, rules aimed at one write request, determinism under a seed, and the
latency knobs."""
import http.client
import random

import pytest
from conftest import ENUMERATION, TRANSFER, FakeDevice, envelope

from amtsim.faults import FaultPlan, FaultRule, changes_state, parse_spec
from amtsim.latency import LatencyModel
from amtsim.types import AMT_PREFIX, CIM_PREFIX

GENERAL = AMT_PREFIX + "AMT_GeneralSettings"
KEYS = AMT_PREFIX + "AMT_PublicKeyManagementService"

EXAMPLE = "reset:0.05;delay=2:0.1@1-10;http500:0.02;soapfault:0.02;stale:0.2;lockout@3;restart-after=CommitChanges:30"


def test_the_documented_example_parses():
    assert parse_spec(EXAMPLE) == [
        FaultRule("reset", "", 0.05), FaultRule("delay", "2", 0.1, ((1, 10),)), FaultRule("http500", "", 0.02),
        FaultRule("soapfault", "", 0.02), FaultRule("stale", "", 0.2), FaultRule("lockout", "", 1.0, ((3, 3),)),
        FaultRule("restart-after", "CommitChanges:30", 1.0)]


@pytest.mark.parametrize("spec", ["explode", "delay", "delay=x", "reset:2", "reset@5-1", "restart-after", "stale:abc", "reset@x"])
def test_invalid_rules_are_rejected_with_the_rule_named(spec):
    with pytest.raises(ValueError, match="invalid fault rule"):
        parse_spec(spec)


def test_ranges_select_devices():
    plan = FaultPlan.from_spec("lockout@2,5-7;http500@1")
    assert [index for index in range(1, 10) if plan.starts_locked(index)] == [2, 5, 6, 7]
    assert plan.for_request(1).http500 and not plan.for_request(2).http500


def test_restart_after_names_the_method_and_defaults_to_30_seconds():
    plan = FaultPlan.from_spec("restart-after=CommitChanges:12@4;restart-after=Unprovision")
    assert plan.restart_after(4, "CommitChanges") == 12.0
    assert plan.restart_after(5, "CommitChanges") is None
    assert plan.restart_after(9, "Unprovision") == 30.0
    assert plan.restart_after(9, "Setup") is None


def test_acm_lands_in_ccm_selects_devices_and_is_not_a_per_request_fault():
    plan = FaultPlan.from_spec("acm-lands-in-ccm@2-3")
    assert [index for index in range(1, 6) if plan.acm_lands_in_ccm(index)] == [2, 3]
    assert plan.for_request(2) == FaultPlan().for_request(2)
    assert not FaultPlan.from_spec("lockout").acm_lands_in_ccm(1)


def test_rules_aimed_at_the_nth_write_parse():
    assert parse_spec("reset@3#1;delay=7@4#2;lockout@5#2;stale:0.5#3") == [
        FaultRule("reset", "", 1.0, ((3, 3),), 1), FaultRule("delay", "7", 1.0, ((4, 4),), 2),
        FaultRule("lockout", "", 1.0, ((5, 5),), 2), FaultRule("stale", "", 0.5, (), 3)]


@pytest.mark.parametrize("spec", ["reset#0", "reset#x", "reset#", "reset#1#2", "reset#1@3", "restart-after=CommitChanges#1",
                                  "acm-lands-in-ccm#1"])
def test_invalid_aims_are_rejected_with_the_rule_named(spec):
    with pytest.raises(ValueError, match="invalid fault rule"):
        parse_spec(spec)


@pytest.mark.parametrize("action, write", [
    (TRANSFER + "Put", True), (TRANSFER + "Create", True), (TRANSFER + "Delete", True), (TRANSFER + "Get", False),
    (ENUMERATION + "Enumerate", False), (ENUMERATION + "Pull", False), (ENUMERATION + "Release", False),
    (KEYS + "/GenerateKeyPair", True), (AMT_PREFIX + "AMT_SetupAndConfigurationService/CommitChanges", True),
    (CIM_PREFIX + "CIM_KVMRedirectionSAP/RequestStateChange", True), (AMT_PREFIX + "AMT_SetupAndConfigurationService/GetUuid", False),
    (AMT_PREFIX + "AMT_AuditLog/ReadRecords", False), (AMT_PREFIX + "AMT_AuthorizationService/EnumerateUserAclEntries", False),
    (AMT_PREFIX + "AMT_MessageLog/PositionToFirstRecord", False), (AMT_PREFIX + "AMT_AuditLog/ExportAuditLogSignature", False),
    (None, False), ("", False)])
def test_which_requests_are_write_requests(action, write):
    assert changes_state(action) is write


def test_an_aimed_rule_fires_on_its_devices_nth_write_request_only():
    plan = FaultPlan.from_spec("reset@1#2;lockout@2#1;delay=3#1")
    assert plan.counts_writes and not FaultPlan.from_spec("reset;lockout@2").counts_writes
    assert [plan.for_request(1, write=write).reset for write in (False, True, False, True, True)] == [False, False, False, True, False]
    assert [plan.for_request(2, write=write).lockout for write in (False, True, True)] == [False, True, False]
    # Each device counts its own writes: device 3's first write is delayed, its reads never.
    assert [plan.for_request(3, write=write).delay for write in (False, True, True)] == [0.0, 3.0, 0.0]
    assert not plan.starts_locked(2) and FaultPlan.from_spec("lockout@2").starts_locked(2)


def _generate_key_pair(client):
    return client.post(envelope(KEYS + "/GenerateKeyPair", KEYS))


def test_the_aimed_write_is_faulted_through_the_socket_and_reads_and_challenges_do_not_count(start_fleet, digest_client):
    fleet = start_fleet([FakeDevice(), FakeDevice(index=2)], faults=FaultPlan.from_spec("http500@1#2;soapfault@2#1"))
    first, second = digest_client(fleet.address(0)), digest_client(fleet.address(1))
    # The client's first request meets a Digest challenge and is sent again with credentials: one write.
    assert [answer.status for answer in (_generate_key_pair(first), first.post(envelope(TRANSFER + "Get", GENERAL)),
                                         _generate_key_pair(first), _generate_key_pair(first))] == [200, 200, 500, 200]
    assert b"e:InternalError" in _generate_key_pair(second).body and _generate_key_pair(second).status == 200


def test_an_aimed_lockout_refuses_that_write_and_what_follows(start_fleet, digest_client):
    fleet = start_fleet([FakeDevice()], faults=FaultPlan.from_spec("lockout#2"))
    client = digest_client(fleet.address())
    assert _generate_key_pair(client).status == 200
    assert [_generate_key_pair(client).status, client.post(envelope(TRANSFER + "Get", GENERAL)).status] == [401, 401]


def test_an_aimed_reset_drops_the_connection_of_that_write(start_fleet, digest_client):
    fleet = start_fleet([FakeDevice()], faults=FaultPlan.from_spec("reset#1"))
    client = digest_client(fleet.address())
    with pytest.raises((ConnectionError, http.client.HTTPException)):
        _generate_key_pair(client)
    assert _generate_key_pair(digest_client(fleet.address())).status == 200


def test_decisions_are_reproducible_per_device_whatever_the_order():
    def decisions(order):
        plan = FaultPlan.from_spec("reset:0.3;delay=1:0.5;stale:0.2", seed=42)
        seen = {index: [] for index in order}
        for _round in range(50):
            for index in order:
                outcome = plan.for_request(index)
                seen[index].append((outcome.reset, outcome.delay, outcome.stale))
        return seen

    forward, backward = decisions([1, 2, 3]), decisions([3, 2, 1])
    assert forward == backward
    assert forward[1] != forward[2]
    resets = sum(reset for reset, _delay, _stale in forward[1] + forward[2] + forward[3])
    assert 20 <= resets <= 70  # rate 0.3 of 150 draws


def test_another_seed_gives_other_decisions():
    plans = [FaultPlan.from_spec("reset:0.5", seed=seed) for seed in (1, 2)]
    runs = [[plan.for_request(1).reset for _round in range(64)] for plan in plans]
    assert runs[0] != runs[1]


def test_latency_defaults_follow_timing_md():
    model = LatencyModel.realistic()
    rng = random.Random(0)
    assert 0.025 <= model.service_time("get", None, 0, "remote", rng) <= 0.055
    assert model.service_time("pull", None, 10, "remote", rng) == pytest.approx(0.11)
    assert model.service_time("invoke", "RequestPowerStateChange", 0, "remote", rng) == pytest.approx(0.08)
    assert model.service_time("invoke", "AddNextCertInChain", 0, "local", rng) == pytest.approx(0.155)
    assert 0.8 <= model.service_time("invoke", "AdminSetup", 0, "remote", rng) <= 1.2
    assert (model.restart_pause("commit"), model.restart_pause("commit_tls"), model.restart_pause("activation"),
            model.restart_pause("unprovision")) == (2.0, 15.0, 3.0, 60.0)
    assert model.hang_pause() == 120.0 and model.keepalive_idle == 60.0


def test_instant_model_keeps_short_restart_windows_and_knobs_override():
    model = LatencyModel.instant()
    assert model.service_time("invoke", "Setup", 0, "local", random.Random(0)) == 0.0
    assert 0 < model.restart_pause("commit_tls") <= 0.1
    assert model.with_overrides({"restart_commit_tls": "5"}).restart_pause("commit_tls") == 5.0
    with pytest.raises(ValueError, match="unknown latency knob"):
        model.with_overrides({"warp_speed": 1})
