# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""amt_info on a local connection runs in the controller's worker (plugins/plugin_utils/in_process.py); with
transport=local it reads the managed host's own AMT, so it runs there as a module."""

from __future__ import annotations

from ansible_collections.oob.amt.plugins.modules import amt_info
from ansible_collections.oob.amt.plugins.plugin_utils.in_process import InProcessAction


class ActionModule(InProcessAction):
    module = amt_info
    on_managed_host = {"transport": "local"}
