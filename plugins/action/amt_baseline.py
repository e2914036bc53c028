# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""amt_baseline on a local connection runs in the controller's worker (plugins/plugin_utils/in_process.py)."""

from __future__ import annotations

from ansible_collections.oob.amt.plugins.modules import amt_baseline
from ansible_collections.oob.amt.plugins.plugin_utils.in_process import InProcessAction


class ActionModule(InProcessAction):
    module = amt_baseline
