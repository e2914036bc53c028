# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""oob.amt.amt_baseline_report: the fleet report, written on the controller (documentation in plugins/modules)."""

from __future__ import annotations

import datetime
import os

from ansible.plugins.action import ActionBase

from ansible_collections.oob.amt.plugins.modules.amt_baseline_report import ARGUMENT_SPEC, MUTUALLY_EXCLUSIVE, REQUIRED_ONE_OF
from ansible_collections.oob.amt.plugins.plugin_utils.baseline_report import build, diff, files, render


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _supports_check_mode = True

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC, mutually_exclusive=MUTUALLY_EXCLUSIVE,
                                           required_one_of=REQUIRED_ONE_OF)[1]
        hostvars = task_vars.get("hostvars") or {}
        results = self._results(args, task_vars, hostvars)
        groups = {host: self._groups(hostvars, host) for host in results}
        moment = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
        report = build.build(results, moment.strftime("%Y-%m-%dT%H:%M:%SZ"), args["title"], groups)
        try:
            previous_path, previous = self._previous(args)
            report["changes"] = diff.changes(report, previous, os.path.basename(previous_path) if previous_path else None)
            written = files.write(args["dest"], report, render.page(report), moment)
        except files.ReportFileError as error:
            result.update(failed=True, msg=str(error))
            return result
        result.update(
            changed=False,
            files=written,
            previous=previous_path,
            totals=report["totals"],
            changes={key: len(value) for key, value in report["changes"].items() if key != "previous"},
        )
        return result

    @staticmethod
    def _results(args, task_vars, hostvars):
        """{host: result or None} for every host the report covers."""
        if args["results"] is not None:
            given = dict(args["results"])
            hosts = args["hosts"] if args["hosts"] is not None else list(given)
            return {host: given.get(host) for host in hosts}
        hosts = args["hosts"] if args["hosts"] is not None else list(task_vars.get("ansible_play_hosts_all") or [])
        return {host: (hostvars.get(host) or {}).get(args["result_var"]) if host in hostvars else None for host in hosts}

    @staticmethod
    def _groups(hostvars, host):
        if host not in hostvars:
            return []
        names = (hostvars.get(host) or {}).get("group_names") or []
        return [name for name in names if isinstance(name, str)]

    def _previous(self, args):
        """(path, report) of the report to compare with, or (None, None)."""
        if args["previous"] is not None:
            return args["previous"], files.read(args["previous"])
        path = os.path.join(args["dest"], files.LATEST_JSON)
        if not os.path.exists(path):
            return None, None
        try:
            return path, files.read(path)
        except files.ReportFileError as error:
            self._display.warning("amt_baseline_report: no comparison with the previous report: %s" % error)
            return None, None
