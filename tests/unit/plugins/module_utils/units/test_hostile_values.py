# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Whatever a device sends, reading it gives a result or a DeviceError (kind device_error), never a traceback.

A fake client answers every Get, Enumerate and method call with instances whose properties are drawn by hypothesis
when a unit first asks for them: missing, text, numbers as text, lists, or a nested element. Each unit is read and
described the way converge() and amt_info do it (base.describe_unit), and amt_info's gather() as the module calls it.
"""

from __future__ import annotations

import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402

from ansible_collections.oob.amt.plugins.module_utils.amt import schema  # noqa: E402
from ansible_collections.oob.amt.plugins.module_utils.info.gather import READERS, gather  # noqa: E402
from ansible_collections.oob.amt.plugins.module_utils.units.accounts import Users  # noqa: E402
from ansible_collections.oob.amt.plugins.module_utils.units.audit_policy import AuditPolicy  # noqa: E402
from ansible_collections.oob.amt.plugins.module_utils.units.base import describe_unit  # noqa: E402
from ansible_collections.oob.amt.plugins.module_utils.units.redirection import Redirection  # noqa: E402
from ansible_collections.oob.amt.plugins.module_utils.units.wifi import WifiProfiles  # noqa: E402
from ansible_collections.oob.amt.plugins.module_utils.wsman.errors import DeviceError  # noqa: E402

NUMBERS = st.integers(min_value=-(2 ** 40), max_value=2 ** 40).map(str)
TEXTS = st.text(max_size=24)
WORDS = st.sampled_from(["", " ", "true", "false", "0", "1", "2", "3", "-1", "65535", "4294967296", "TRUE", "x", "1.5"])
SCALARS = st.one_of(st.none(), TEXTS, NUMBERS, WORDS)
VALUES = st.one_of(SCALARS, st.lists(st.one_of(TEXTS, NUMBERS, WORDS), max_size=4),
                   st.dictionaries(st.sampled_from(["Address", "ReferenceParameters", "InstanceID", "Name"]), TEXTS, max_size=2))
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


class HostileInstance(dict):
    """A parsed instance whose properties are drawn the first time they are asked for, tagged as AmtClient tags them."""

    def __init__(self, data, class_name, **fixed):
        super().__init__(fixed)
        self._data = data
        self._class_name = class_name
        self._asked = set(fixed)

    def _draw(self, name):
        if name in self._asked:
            return dict.get(self, name)
        self._asked.add(name)
        value = self._data.draw(VALUES, label="%s.%s" % (self._class_name, name))
        if value is not None:
            self[name] = schema.tag_values({name: value}, self._class_name)[name]
        return value

    def get(self, name, default=None):
        if name not in self:
            self._draw(name)
        return dict.get(self, name, default)

    def __missing__(self, name):
        value = self._draw(name)
        if value is None:
            raise KeyError(name)
        return self[name]

    def __contains__(self, name):
        if not dict.__contains__(self, name):
            self._draw(name)
        return dict.__contains__(self, name)


class HostileClient:
    """Answers every read with hostile instances; method calls succeed (ReturnValue 0) or fail as AmtClient fails them."""

    def __init__(self, data):
        self._data = data

    def get(self, class_name, selectors=None):
        return HostileInstance(self._data, class_name)

    def enumerate(self, class_name):
        count = self._data.draw(st.integers(min_value=0, max_value=3), label="%s count" % class_name)
        return [HostileInstance(self._data, class_name) for _index in range(count)]

    def invoke(self, class_name, method, inputs=None, selectors=None, check=True, idempotent=False, cached=False):
        code = self._data.draw(st.sampled_from([0, 0, 0, 1, 2075]), label="%s.%s ReturnValue" % (class_name, method))
        if check and code:
            raise DeviceError("%s.%s returned %d" % (class_name, method, code), class_name=class_name, method=method, return_value=code)
        return HostileInstance(self._data, "%s.%s" % (class_name, method), ReturnValue=code)

    def put(self, *args, **kwargs):
        raise AssertionError("reading must not write")

    create = delete = put


def _read_and_describe(unit, client):
    try:
        return describe_unit(unit, client)
    except DeviceError as error:
        assert error.kind == "device_error"
        return None


@pytest.mark.parametrize("unit_class", [WifiProfiles, Users, Redirection])
@SETTINGS
@given(data=st.data())
def test_a_read_only_unit_gives_a_result_or_a_device_error(unit_class, data):
    _read_and_describe(unit_class(), HostileClient(data))


@SETTINGS
@given(data=st.data())
def test_the_audit_policy_gives_a_result_or_a_device_error(data):
    _read_and_describe(AuditPolicy({}), HostileClient(data))


@SETTINGS
@given(data=st.data(), subsets=st.lists(st.sampled_from(sorted(READERS)), min_size=1, max_size=4, unique=True))
def test_amt_info_gather_gives_facts_or_a_device_error(data, subsets):
    try:
        facts = gather(HostileClient(data), subsets)
    except DeviceError as error:
        assert error.kind == "device_error"
        return
    assert set(facts) == set(subsets)
