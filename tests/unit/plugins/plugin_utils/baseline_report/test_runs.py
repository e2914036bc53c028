# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""runs: which hosts an update of a run reports on and which it has not reached (serial batches), and the run section
each update writes."""

from __future__ import annotations

from ansible_collections.oob.amt.plugins.plugin_utils.baseline_report import runs

PLAY = ["h1", "h2", "h3", "h4", "h5", "h6"]
FILE = "amt-baseline-20261203T214000Z.json"


def report_so_far(hosts, not_reached=()):
    return {"machines": [{"host": host} for host in hosts], "run": runs.record("r", "2026-12-03T21:40:00Z", FILE, None, not_reached)}


def test_the_first_batch_reaches_its_hosts_only():
    assert runs.split(PLAY, PLAY, ["h1", "h2"], PLAY, ["h1", "h2"], None) == (["h1", "h2"], ["h3", "h4", "h5", "h6"])


def test_a_later_batch_keeps_the_earlier_hosts_and_its_own_failed_host():
    # Batch 2: h3 failed before it registered a result, so Ansible took it out of the batch and of the play's live hosts.
    live = ["h1", "h2", "h4", "h5", "h6"]
    current = report_so_far(["h1", "h2"], ["h3", "h4", "h5", "h6"])
    assert runs.split(PLAY, PLAY, ["h4"], live, ["h1", "h2", "h4"], current) == (["h1", "h2", "h3", "h4"], ["h5", "h6"])


def test_an_earlier_batch_host_without_a_result_stays_reached():
    # h2 was unreachable in batch 1 (in the report as such); Ansible no longer lists it as failed in batch 3.
    current = report_so_far(["h1", "h2", "h3", "h4"], ["h5", "h6"])
    assert runs.split(PLAY, PLAY, ["h5", "h6"], PLAY, ["h1", "h3", "h4", "h5", "h6"], current) == (PLAY, [])


def test_a_result_reaches_a_host_whatever_its_batch():
    # A result registered by an earlier play of the run: the host is reported with it until its batch of this play runs.
    assert runs.split(PLAY, PLAY, ["h1", "h2"], PLAY, ["h1", "h2", "h6"], None) == (["h1", "h2", "h6"], ["h3", "h4", "h5"])


def test_hosts_outside_the_play_are_reported_as_they_are():
    assert runs.split(["h1", "elsewhere"], PLAY, ["h1", "h2"], PLAY, ["h1"], None) == (["h1", "elsewhere"], [])


def test_an_earlier_play_of_the_run_keeps_its_hosts_and_those_it_did_not_reach():
    # Play 1 (canary, c1 and c2) stopped before c2; play 2 covers h1-h6 and reaches c2 neither.
    current = report_so_far(["c1"], ["c2"])
    reached, not_reached = runs.split(PLAY, PLAY, ["h1", "h2"], PLAY, ["h1", "h2", "c1"], current)
    assert reached == ["h1", "h2", "c1"]
    assert not_reached == ["h3", "h4", "h5", "h6", "c2"]


def test_a_host_the_run_had_not_reached_is_no_longer_listed_once_reached():
    current = report_so_far(["h1"], ["h2", "h3", "h4", "h5", "h6"])
    assert runs.split(PLAY, PLAY, ["h2", "h3", "h4", "h5", "h6"], PLAY, PLAY, current)[1] == []


def test_record_keeps_the_runs_start_and_counts_its_updates():
    first = runs.record("20261203T214000Z-7", "2026-12-03T21:40:00Z", FILE, None, ["h6", "h5"])
    assert first == {"id": "20261203T214000Z-7", "started_at": "2026-12-03T21:40:00Z", "file": FILE, "updates": 1,
                     "not_reached": ["h5", "h6"]}
    second = runs.record("20261203T214000Z-7", "2026-12-03T21:47:10Z", FILE, {"run": first}, [])
    assert second == dict(first, updates=2, not_reached=[])


def test_file_names_and_ids():
    assert runs.file_name("2026-12-03T21:40:00Z") == FILE
    assert runs.file_name("2026-12-03T21:40:00Z", 3) == "amt-baseline-20261203T214000Z-3.json"
    assert all(runs.FILE_NAME.fullmatch(runs.file_name("2026-12-03T21:40:00Z", number)) for number in (1, 2, 10))
    assert runs.standalone("2026-12-03T21:40:00Z")["file"] == FILE
    ids = {runs.new_id("2026-12-03T21:40:00Z") for attempt in range(20)}
    assert len(ids) == 20 and all(value.startswith("20261203T214000Z-") for value in ids)
