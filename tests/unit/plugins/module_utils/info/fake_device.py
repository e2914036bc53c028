# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A stand-in for AmtClient serving instances parsed from real firmware captures, recording every call."""

from __future__ import annotations

import copy
import pathlib

from ansible_collections.oob.amt.plugins.module_utils.wsman import parse
from ansible_collections.oob.amt.plugins.module_utils.wsman.errors import DeviceError

FIXTURES = pathlib.Path(__file__).resolve().parents[3] / "fixtures" / "real"


def captured_instance(relative_path):
    return parse.parse_instance((FIXTURES / relative_path).read_bytes())


def captured_items(relative_path):
    return parse.parse_enumeration((FIXTURES / relative_path).read_bytes()).items


def captured_outputs(relative_path, method):
    return parse.parse_method_output((FIXTURES / relative_path).read_bytes(), method)


class FakeClient:
    """instances: class -> dict (get); enumerations: class -> list; methods: (class, method) -> outputs or fn(inputs)."""

    def __init__(self, instances=None, enumerations=None, methods=None, absent=()):
        self.instances = instances or {}
        self.enumerations = enumerations or {}
        self.methods = methods or {}
        self.absent = set(absent)
        self.calls = []

    def _absent(self, class_name):
        if class_name in self.absent:
            raise DeviceError("%s: DestinationUnreachable" % class_name, class_name=class_name, fault="DestinationUnreachable")

    def get(self, class_name, selectors=None):
        self.calls.append(("get", class_name))
        self._absent(class_name)
        return copy.deepcopy(self.instances[class_name])

    def enumerate(self, class_name):
        self.calls.append(("enumerate", class_name))
        self._absent(class_name)
        return copy.deepcopy(self.enumerations[class_name])

    def invoke(self, class_name, method, inputs=None, selectors=None, check=True, idempotent=False, cached=False):
        self.calls.append(("invoke", class_name, method, idempotent or cached))
        self._absent(class_name)
        outputs = self.methods[(class_name, method)]
        return copy.deepcopy(outputs(inputs) if callable(outputs) else outputs)
