# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One report per run, however many times the run writes it: the `run` section of docs/baseline-report-schema.md.

A play with `serial` runs the report task once per batch. Every batch of one ansible-playbook run updates the same
report (same run id, same file), adding the hosts it reached; the hosts of batches that have not run yet are listed
as not reached instead of being reported as unreachable.
"""

from __future__ import annotations

import re
import secrets

PREFIX = "amt-baseline-"
# The name of a report file: amt-baseline-<UTC time>[-<n>].json; nothing else is read from or written to a report dir.
FILE_NAME = re.compile(r"^amt-baseline-[0-9]{8}T[0-9]{6}Z(-[0-9]+)?\.json$")


def _compact(generated_at):
    """2026-12-03T21:40:00Z -> 20261203T214000Z."""
    return generated_at.replace("-", "").replace(":", "")


def file_name(generated_at, number=1):
    """The JSON file name of a run that started at generated_at; number > 1 for a later run in the same second."""
    return "%s%s%s.json" % (PREFIX, _compact(generated_at), "" if number == 1 else "-%d" % number)


def new_id(generated_at):
    """An id for a run whose task was given none: the report is then that task's alone."""
    return "%s-%s" % (_compact(generated_at), secrets.token_hex(4))


def standalone(generated_at):
    """The run section of a report written once, by itself."""
    return {"id": _compact(generated_at), "started_at": generated_at, "file": file_name(generated_at), "updates": 1,
            "not_reached": []}


def record(run_id, generated_at, file, current, not_reached):
    """The run section of this update; current is the run's report so far (None for its first update)."""
    return {
        "id": run_id,
        "started_at": current["run"]["started_at"] if current else generated_at,
        "file": file,
        "updates": current["run"]["updates"] + 1 if current else 1,
        "not_reached": sorted(not_reached),
    }


def split(hosts, play, batch, live, with_result, current):
    """(the hosts to report on, the hosts not reached yet) for an update of the run from hostvars.

    hosts: the hosts the task covers; play, batch, live: ansible_play_hosts_all, ansible_play_batch and
    ansible_play_hosts; with_result: the hosts that have a registered result; current: the run's report so far or None.

    A host of the play is reached once it has a result, is in the current batch, has left the play through a failure
    (in ansible_play_hosts_all but no longer in ansible_play_hosts: failed or unreachable in this batch or before), or
    is in the run's report already. Any other host of the play is in a batch that has not run: not reached, not
    unreachable. Hosts outside the play are reported whatever they have. The run's report so far keeps its hosts
    (an earlier play of the run reached them) and its hosts not reached by that play, unless this play reaches them.
    """
    play = set(play)
    earlier = [item["host"] for item in current["machines"]] if current else []
    known = set(batch) | (play - set(live)) | set(with_result) | set(earlier)
    not_reached = [host for host in hosts if host in play and host not in known]
    reached = [host for host in hosts if host not in not_reached]
    reached += [host for host in earlier if host not in reached]
    if current:
        not_reached += [host for host in current["run"]["not_reached"]
                        if host not in play and host not in reached and host not in not_reached]
    return reached, not_reached
