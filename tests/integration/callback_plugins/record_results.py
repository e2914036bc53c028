# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Callback that writes every task result of a run, as ansible would register it, to a JSON-lines file.

The integration tests read it back instead of threading `register` through the playbooks, so a hand-written
playbook (tests/integration/playbooks/) and a generated one are read the same way.
"""

from __future__ import annotations

DOCUMENTATION = r"""
name: record_results
type: aggregate
short_description: Write every task result to a JSON-lines file for the integration tests
description:
  - One line per host and task, with the play name, the task name, the outcome and the result as C(register) would hold it.
options:
  path:
    description: File the lines are appended to.
    type: path
    required: true
    env:
      - name: AMT_TEST_RESULTS
"""

import json

from ansible.plugins.callback import CallbackBase
from ansible.vars.clean import strip_internal_keys


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "record_results"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super().__init__()
        self._play_name = None

    def v2_playbook_on_play_start(self, play):
        self._play_name = play.get_name()

    def _record(self, result, outcome):
        # The same cleaning the strategy applies before it registers a result; callbacks get the result without the
        # status keys, which the outcome restores.
        registered = strip_internal_keys(dict(result._result))
        registered.pop("invocation", None)
        registered["failed"] = outcome == "failed"
        if outcome == "skipped":
            registered["skipped"] = True
        line = {"play": self._play_name, "task": result.task_name, "host": result._host.get_name(), "outcome": outcome,
                "result": registered}
        with open(self.get_option("path"), "a", encoding="utf-8") as handle:
            handle.write(json.dumps(line, default=str) + "\n")

    def v2_runner_on_ok(self, result):
        self._record(result, "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record(result, "failed")

    def v2_runner_on_skipped(self, result):
        self._record(result, "skipped")

    def v2_runner_on_unreachable(self, result):
        self._record(result, "unreachable")
