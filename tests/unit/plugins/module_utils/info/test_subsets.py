# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.oob.amt.plugins.module_utils.info.subsets import SUBSET_NAMES, resolve_subsets
from ansible_collections.oob.amt.plugins.module_utils.wsman.errors import InvalidInputError


def test_default_and_all_select_every_subset_in_catalog_order():
    assert resolve_subsets(None) == list(SUBSET_NAMES)
    assert resolve_subsets(["all"]) == list(SUBSET_NAMES)
    assert SUBSET_NAMES[:3] == ("firmware", "provisioning", "general")


def test_named_subsets_only_in_catalog_order():
    assert resolve_subsets(["users", "firmware"]) == ["firmware", "users"]


def test_exclusions_alone_start_from_all():
    selected = resolve_subsets(["!wifi", "!power"])
    assert "wifi" not in selected and "power" not in selected
    assert len(selected) == len(SUBSET_NAMES) - 2


def test_not_all_starts_from_nothing():
    assert resolve_subsets(["!all"]) == []
    assert resolve_subsets(["!all", "tls"]) == ["tls"]


def test_exclusion_beats_inclusion():
    assert resolve_subsets(["all", "!firmware"]) == [name for name in SUBSET_NAMES if name != "firmware"]


@pytest.mark.parametrize("requested", [["firmwre"], ["!bogus"], ["all", "users", "kerberos"]])
def test_unknown_subset_is_invalid_input_naming_it(requested):
    with pytest.raises(InvalidInputError) as raised:
        resolve_subsets(requested)
    assert raised.value.kind == "invalid_input"
    assert requested[-1].lstrip("!") in str(raised.value)
