# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""pytest plugin for the unit tests under ansible-core releases before 2.19 (tools/test-ansible-releases.sh loads it
with -p): supplies ansible.module_utils.testing.patch_module_args, new in 2.19, through the older way of handing a
module its arguments. Under 2.19 and later it does nothing."""

from __future__ import annotations

import contextlib
import json
import sys
import types

try:
    import ansible.module_utils.testing  # noqa: F401  pylint: disable=unused-import
except ImportError:
    from ansible.module_utils import basic
    from ansible.module_utils.common.text.converters import to_bytes

    @contextlib.contextmanager
    def patch_module_args(args=None):
        """Make AnsibleModule read `args` as its module arguments for the duration of the block."""
        previous = basic._ANSIBLE_ARGS  # pylint: disable=protected-access
        basic._ANSIBLE_ARGS = to_bytes(json.dumps({"ANSIBLE_MODULE_ARGS": dict(args or {})}))  # pylint: disable=protected-access
        try:
            yield
        finally:
            basic._ANSIBLE_ARGS = previous  # pylint: disable=protected-access

    shim = types.ModuleType("ansible.module_utils.testing")
    shim.patch_module_args = patch_module_args
    sys.modules["ansible.module_utils.testing"] = shim
