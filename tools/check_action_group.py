# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fail unless meta/runtime.yml's action group `amt` lists exactly the device modules in plugins/modules.

A device module is one whose documentation extends the oob.amt.connection fragment: it takes the connection options
that `module_defaults: {group/oob.amt.amt: {...}}` sets. module_defaults silently skips a module missing from the group,
so a forgotten entry would only show up as a module run without its connection options. Modules without those options
(the controller-side report, amt_baseline_report) stay out of the group, so group defaults never reach them.
Usage: python tools/check_action_group.py COLLECTION_ROOT
"""

from __future__ import annotations

import ast
import pathlib
import sys

import yaml

CONNECTION_FRAGMENT = "oob.amt.connection"


def documentation(path):
    """The module's DOCUMENTATION, parsed, read without importing the module."""
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and any(getattr(target, "id", None) == "DOCUMENTATION" for target in node.targets):
            return yaml.safe_load(ast.literal_eval(node.value)) or {}
    sys.exit("check_action_group: %s has no DOCUMENTATION" % path)


def main():
    root = pathlib.Path(sys.argv[1])
    runtime = yaml.safe_load((root / "meta" / "runtime.yml").read_text(encoding="utf-8"))
    grouped = set(runtime.get("action_groups", {}).get("amt", []))
    modules = {path.stem: documentation(path) for path in (root / "plugins" / "modules").glob("*.py") if path.stem != "__init__"}
    devices = {name for name, doc in modules.items() if CONNECTION_FRAGMENT in (doc.get("extends_documentation_fragment") or [])}
    problems = ["module %s is missing from action_groups.amt" % name for name in sorted(devices - grouped)]
    problems += ["action_groups.amt lists %s, which does not take the %s options" % (name, CONNECTION_FRAGMENT)
                 for name in sorted(grouped & set(modules) - devices)]
    problems += ["action_groups.amt lists %s, which has no plugins/modules/%s.py" % (name, name) for name in sorted(grouped - set(modules))]
    if problems:
        sys.exit("check_action_group: " + "; ".join(problems))
    print("check_action_group: action_groups.amt matches the %d device module(s): %s; outside it: %s"
          % (len(devices), ", ".join(sorted(devices)), ", ".join(sorted(set(modules) - devices)) or "none"))


if __name__ == "__main__":
    main()
