# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    # What the attributes of every oob.amt module mean; each module states only its support for check_mode and diff_mode.
    DOCUMENTATION = r"""
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
  action_group:
    description: Use C(group/oob.amt.amt) in C(module_defaults) to set defaults for the options of every module of the collection at once.
    support: full
    membership:
      - oob.amt.amt
"""
