# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""oob.amt.amt_baseline_report: the fleet report, written on the controller (documentation in plugins/modules)."""

from __future__ import annotations

import datetime
import os

from ansible.plugins.action import ActionBase

from ansible_collections.oob.amt.plugins.modules.amt_baseline_report import ARGUMENT_SPEC, MUTUALLY_EXCLUSIVE, REQUIRED_ONE_OF
from ansible_collections.oob.amt.plugins.plugin_utils.baseline_report import build, diff, files, render, runs


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _supports_check_mode = True

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC, mutually_exclusive=MUTUALLY_EXCLUSIVE,
                                           required_one_of=REQUIRED_ONE_OF)[1]
        hostvars = task_vars.get("hostvars") or {}
        generated_at = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        run_id = args["run_id"] or runs.new_id(generated_at)
        latest_path = os.path.join(args["dest"], files.LATEST_JSON)
        latest = self._read_latest(latest_path)
        # latest.json of this run's id is the run's report so far: this update rewrites it, in place.
        current = latest if latest is not None and latest["run"]["id"] == run_id else None
        results, not_reached = self._results(args, task_vars, hostvars, current)
        groups = {host: self._groups(hostvars, host) for host in results}
        try:
            previous_path, previous = self._previous(args, current, latest, latest_path, not_reached)
            name = current["run"]["file"] if current else files.free_name(args["dest"], generated_at)
            report = build.build(results, generated_at, args["title"], groups,
                                 runs.record(run_id, generated_at, name, current, not_reached))
            report["changes"] = diff.changes(report, previous)
            written = files.write(args["dest"], report, render.page(report))
        except files.ReportFileError as error:
            result.update(failed=True, msg=str(error))
            return result
        result.update(
            changed=False,
            files=written,
            previous=previous_path,
            run=report["run"],
            totals=report["totals"],
            changes={key: len(value) for key, value in report["changes"].items() if key != "previous"},
        )
        return result

    @staticmethod
    def _results(args, task_vars, hostvars, current):
        """({host: result or None} for every host this update reports on, [hosts of the play not reached yet])."""
        if args["results"] is not None:
            given = dict(args["results"])
            hosts = args["hosts"] if args["hosts"] is not None else list(given)
            return {host: given.get(host) for host in hosts}, []

        def registered(host):
            return (hostvars.get(host) or {}).get(args["result_var"]) if host in hostvars else None

        play = list(task_vars.get("ansible_play_hosts_all") or [])
        hosts = args["hosts"] if args["hosts"] is not None else play
        earlier = [item["host"] for item in current["machines"]] if current else []
        reached, not_reached = runs.split(hosts, play, task_vars.get("ansible_play_batch") or [], task_vars.get("ansible_play_hosts") or [],
                                          [host for host in hosts + earlier if registered(host) is not None], current)
        return {host: registered(host) for host in reached}, not_reached

    @staticmethod
    def _groups(hostvars, host):
        if host not in hostvars:
            return []
        names = (hostvars.get(host) or {}).get("group_names") or []
        return [name for name in names if isinstance(name, str)]

    def _read_latest(self, path):
        """The report in latest.json, or None when there is none or it cannot be read (with a warning)."""
        if not os.path.exists(path):
            return None
        try:
            return files.read(path)
        except files.ReportFileError as error:
            self._display.warning("amt_baseline_report: %s is not used: %s" % (path, error))
            return None

    def _previous(self, args, current, latest, latest_path, not_reached):
        """(path, report) of the previous run's report, to compare with, or (None, None)."""
        if args["previous"] is not None:
            return args["previous"], files.read(args["previous"])
        if current is None:
            if latest is None:
                return None, None
            own = os.path.join(args["dest"], latest["run"]["file"])
            if os.path.exists(own):
                return own, latest
            if not_reached:
                # latest.json was copied in from elsewhere, and is about to become this run's: the later updates of the
                # run will look for the previous run's report under its own name.
                return files.keep(args["dest"], latest), latest
            return latest_path, latest
        # A later update of the run compares with what its first update compared with: the previous run's report.
        recorded = current["changes"]["previous"]
        if recorded is None:
            return None, None
        path = os.path.join(args["dest"], recorded["file"])
        try:
            report = files.read(path)
        except files.ReportFileError as error:
            self._display.warning("amt_baseline_report: no comparison with the previous run's report: %s" % error)
            return None, None
        if report["generated_at"] != recorded["generated_at"]:
            self._display.warning("amt_baseline_report: no comparison with the previous run's report: %s was written at %s, "
                                  "not at %s" % (path, report["generated_at"], recorded["generated_at"]))
            return None, None
        return path, report
