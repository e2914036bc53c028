# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.oob.amt.plugins.module_utils.info import advisories
from ansible_collections.oob.amt.plugins.module_utils.wsman.errors import DeviceError


def status_of(version_text, build=None):
    version = advisories.parse_version(version_text, build)
    return dict((entry["advisory"], entry["status"]) for entry in advisories.evaluate(version))


def test_catalog_order_starts_with_sa_00075():
    entries = advisories.evaluate((12, 0, 67, 1579))
    assert entries[0]["advisory"] == "INTEL-SA-00075"
    assert entries[0]["cves"] == ["CVE-2017-5689"]


def test_parse_version_adds_the_build_number():
    assert advisories.parse_version("12.0.67", "1579") == (12, 0, 67, 1579)
    assert advisories.parse_version("12.0.67", None) == (12, 0, 67)
    assert advisories.parse_version("11.8.50.3425") == (11, 8, 50, 3425)


@pytest.mark.parametrize("text", ["", "12.0", "twelve", None])
def test_parse_version_rejects_garbage(text):
    with pytest.raises(DeviceError):
        advisories.parse_version(text)


@pytest.mark.parametrize("version, build, expected", [
    ("11.0.0", "1000", advisories.AFFECTED),
    ("11.0.25", "2999", advisories.AFFECTED),     # rule 5: the build decides when known
    ("11.0.25", "3001", advisories.FIXED),
    ("11.0.25", None, advisories.FIXED),          # three fields only, as MeshCommander compares
    ("11.6.12", "3202", advisories.AFFECTED),     # the secondary intermediate fix is not applied
    ("9.5.61", "3012", advisories.FIXED),
    ("9.1.40", "3000", advisories.AFFECTED),
    ("11.8.50", "3425", advisories.NOT_AFFECTED),
    ("5.2.70", "1000", advisories.NOT_AFFECTED),
    ("16.1.27", "2176", advisories.NOT_AFFECTED),
])
def test_sa_00075_per_branch(version, build, expected):
    assert status_of(version, build)["INTEL-SA-00075"] == expected


def test_integer_comparison_not_string_comparison():
    # 11.8.9 < 11.8.50 as integers; as strings "9" > "5" would pass it.
    assert status_of("11.8.9")["INTEL-SA-00213"] == advisories.AFFECTED


def test_lower_minor_on_the_same_line_fails():
    assert status_of("11.6.90")["INTEL-SA-00391"] == advisories.AFFECTED
    assert status_of("11.8.80")["INTEL-SA-00391"] == advisories.FIXED


def test_11_11_and_11_12_are_one_line():
    # Intel names the line 11.11.x, Greenbone 11.12.x: only the hotfix number decides between them.
    assert status_of("11.11.80")["INTEL-SA-00391"] == advisories.FIXED
    assert status_of("11.12.79")["INTEL-SA-00404"] == advisories.FIXED
    assert status_of("11.11.77")["INTEL-SA-00404"] == advisories.AFFECTED
    assert status_of("11.10.90")["INTEL-SA-00391"] == advisories.AFFECTED


def test_12_0_67_is_fixed_up_to_sa_00295_and_affected_by_sa_00391():
    statuses = status_of("12.0.67", "1579")
    assert statuses["INTEL-SA-00213"] == advisories.FIXED
    assert statuses["INTEL-SA-00295"] == advisories.FIXED
    assert statuses["INTEL-SA-00391"] == advisories.AFFECTED
    # 12.0.65-12.0.67 lie between the last affected (12.0.64) and the fix (12.0.68): no sourced answer.
    assert statuses["INTEL-SA-00404"] == advisories.UNKNOWN


def test_out_of_support_branches_fail_every_advisory_after_sa_00086():
    statuses = status_of("7.1.91", "3272")
    assert statuses["INTEL-SA-00075"] == advisories.FIXED
    assert statuses["INTEL-SA-00086"] == advisories.NOT_AFFECTED
    for advisory in ("INTEL-SA-00112", "INTEL-SA-00213", "INTEL-SA-00404", "INTEL-SA-00391"):
        assert statuses[advisory] == advisories.AFFECTED


def test_branch_without_a_row_is_unknown_never_a_pass():
    statuses = status_of("16.1.27", "2176")
    for advisory in ("INTEL-SA-00213", "INTEL-SA-00295", "INTEL-SA-00404", "INTEL-SA-00391"):
        assert statuses[advisory] == advisories.UNKNOWN
    assert advisories.FIXED not in statuses.values()


def test_unconfirmed_fixes_count_as_fixed_only_from_a_later_cumulative_fix():
    assert status_of("11.8.65")["INTEL-SA-00112"] == advisories.FIXED
    assert status_of("11.8.50")["INTEL-SA-00112"] == advisories.UNKNOWN


def test_affected_entries_name_the_fix():
    entry = [item for item in advisories.evaluate((11, 0, 0, 1000)) if item["advisory"] == "INTEL-SA-00075"][0]
    assert entry["fixed_in"] == "11.0.25.3001"
    assert "11.0.25.3001" in entry["reason"]
