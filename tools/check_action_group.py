# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fail unless meta/runtime.yml's action group `amt` lists exactly the modules in plugins/modules.

module_defaults for group/oob.amt.amt silently skips a module missing from the group, so a forgotten entry
would only show up as a module run without its connection options.
Usage: python tools/check_action_group.py COLLECTION_ROOT
"""

from __future__ import annotations

import pathlib
import sys

import yaml


def main():
    root = pathlib.Path(sys.argv[1])
    runtime = yaml.safe_load((root / "meta" / "runtime.yml").read_text(encoding="utf-8"))
    grouped = set(runtime.get("action_groups", {}).get("amt", []))
    modules = {path.stem for path in (root / "plugins" / "modules").glob("*.py") if path.stem != "__init__"}
    problems = ["module %s is missing from action_groups.amt" % name for name in sorted(modules - grouped)]
    problems += ["action_groups.amt lists %s, which has no plugins/modules/%s.py" % (name, name) for name in sorted(grouped - modules)]
    if problems:
        sys.exit("check_action_group: " + "; ".join(problems))
    print("check_action_group: action_groups.amt matches the %d module(s): %s" % (len(modules), ", ".join(sorted(modules))))


if __name__ == "__main__":
    main()
