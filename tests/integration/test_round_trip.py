# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One vocabulary: what amt_info reports of each managed thing, given back to that thing's module, changes nothing.

Loopback range: 127.77.237.x (remote) and 127.78.237.x (local).
"""

from __future__ import annotations

import pathlib

import pytest

from conftest import run_playbook, start_fleet

ADDRESSES = {"first_address": "127.77.237.1", "local_first_address": "127.78.237.1"}
# playbooks/round_trip*.yml: one play per managed thing; the task that gives back what amt_info read is named "Give ... back".
PLAYBOOKS = sorted((pathlib.Path(__file__).resolve().parent / "playbooks").glob("round_trip*.yml"))


@pytest.fixture(scope="module")
def round_trip(tmp_path_factory):
    directory = tmp_path_factory.mktemp("round-trip")
    fleet = start_fleet(directory, 6, "mixed", ADDRESSES)
    try:
        modes = dict((name, host["amt_control_mode"]) for name, host in sorted(fleet.hosts.items()))
        hosts = [min(name for name, mode in modes.items() if mode == wanted) for wanted in ("ccm", "acm")]
        yield [run_playbook(directory, [fleet.inventory_path], playbook, diff=True,
                            extra_vars={"round_trip_hosts": ",".join(hosts), "amt_wifi_passphrase": "Round-trip-PSK-1"})
               for playbook in PLAYBOOKS]
    finally:
        fleet.stop()


def test_every_task_succeeded_on_both_devices(round_trip):
    for run in round_trip:
        assert run.returncode == 0, run.output
        assert len({record["host"] for record in run.records}) == 2


def test_what_amt_info_reports_given_back_changes_nothing(round_trip):
    given_back = [record for run in round_trip for record in run.records
                  if record["task"].startswith("Give ") and record["task"].endswith(" back")]
    assert len(given_back) >= 2 * 2
    for record in given_back:
        result = record["result"]
        assert result.get("failed") is not True, record
        assert result["changed"] is False and result["actions"] == [] and result["writes"] == [], record


def test_the_round_trip_carried_real_state(round_trip):
    wifi_and_audit = round_trip[PLAYBOOKS.index(PLAYBOOKS[0].with_name("round_trip.yml"))]
    for result in wifi_and_audit.by_host("Read the wireless state").values():
        assert [profile["name"] for profile in result["amt"]["wifi"]["profiles"]] == ["office", "lab"]
        assert result["amt"]["wifi"]["local_profile_sync"] == "user"
        assert all(profile["passphrase"] == "********" for profile in result["amt"]["wifi"]["profiles"])
    for result in wifi_and_audit.by_host("Read the audit policy").values():
        policy = result["amt"]["audit"]["policy"]
        assert policy["storage_policy"] == "restricted_rollover" and policy["min_days_to_keep"] == 14
        assert policy["critical_events"] == {"security_admin": ["unprovisioning_started"]}
