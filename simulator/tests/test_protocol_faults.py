"""The --faults grammar, its per-device ranges, determinism under a seed, and the latency knobs."""
import random

import pytest

from amtsim.faults import FaultPlan, FaultRule, parse_spec
from amtsim.latency import LatencyModel

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
