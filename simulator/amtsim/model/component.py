"""The shape shared by every part of the device model, and input helpers for WS-Man values."""
from __future__ import annotations

import copy

from amtsim.types import EPR, Instance, MethodResult, WsmanFault


class Component:
    """One concern of the device (accounts, audit, TLS, ...), serving a few classes.

    Subclasses fill the class-level tables with method names, so that a device holds no per-instance
    dispatch tables:
      INSTANCES: class -> name of ``f(caller) -> list[Instance]``
      PUTS:      class -> name of ``f(current: Instance, new: Instance, caller) -> None``
      CREATES:   class -> name of ``f(new: Instance, caller) -> EPR``
      DELETES:   class -> name of ``f(current: Instance, caller) -> None``
      METHODS:   (class, method) -> name of ``f(instance: Instance, inputs: dict, caller) -> MethodResult``
    State is the attributes named in STATE_FIELDS (JSON-serialisable values); reset() sets factory values.
    """

    INSTANCES: dict = {}
    PUTS: dict = {}
    CREATES: dict = {}
    DELETES: dict = {}
    METHODS: dict = {}
    STATE_FIELDS: tuple = ()

    def __init__(self, device):
        self.device = device
        self.reset()

    def reset(self) -> None:
        """Factory state of this concern."""

    def to_state(self) -> dict:
        return {name: copy.deepcopy(getattr(self, name)) for name in self.STATE_FIELDS}

    def load(self, state: dict) -> None:
        for name in self.STATE_FIELDS:
            if name in state:
                setattr(self, name, copy.deepcopy(state[name]))

    def changed(self) -> None:
        self.device.dirty = True


def result(return_value: int, *outputs) -> MethodResult:
    return MethodResult(return_value, list(outputs))


def text_input(inputs: dict, name: str, default: str | None = None) -> str | None:
    value = inputs.get(name, default)
    if isinstance(value, list):
        value = value[0] if value else default
    if value is None or isinstance(value, str):
        return value
    raise WsmanFault("InvalidParameter", f"{name} must be a simple value")


def int_input(inputs: dict, name: str, default: int | None = None) -> int | None:
    value = text_input(inputs, name)
    if value is None:
        return default
    try:
        return int(value.strip())
    except ValueError:
        raise WsmanFault("InvalidParameter", f"{name} must be an integer") from None


def bool_value(value, name: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1"):
        return True
    if text in ("false", "0"):
        return False
    raise WsmanFault("InvalidParameter", f"{name} must be a boolean")


def bool_input(inputs: dict, name: str, default: bool | None = None) -> bool | None:
    value = text_input(inputs, name)
    return default if value is None else bool_value(value, name)


def list_input(inputs: dict, name: str) -> list:
    value = inputs.get(name)
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def epr_input(inputs: dict, name: str) -> EPR | None:
    value = inputs.get(name)
    if isinstance(value, list):
        value = value[0] if value else None
    return value if isinstance(value, EPR) else None


def instance_input(inputs: dict, name: str) -> Instance | None:
    value = inputs.get(name)
    if isinstance(value, list):
        value = value[0] if value else None
    return value if isinstance(value, Instance) else None


def prop_text(instance: Instance, name: str, default: str | None = None) -> str | None:
    value = instance.props.get(name, default)
    if isinstance(value, list):
        value = value[0] if value else default
    return value if value is None else str(value)


def prop_int(instance: Instance, name: str, default: int | None = None) -> int | None:
    value = prop_text(instance, name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise WsmanFault("InvalidRepresentation", f"{name} must be an integer") from None


def prop_bool(instance: Instance, name: str, default: bool | None = None) -> bool | None:
    value = instance.props.get(name)
    if value is None:
        return default
    if isinstance(value, list):
        value = value[0]
    try:
        return bool_value(value, name)
    except WsmanFault:
        raise WsmanFault("InvalidRepresentation", f"{name} must be a boolean") from None


def prop_list(instance: Instance, name: str) -> list:
    value = instance.props.get(name)
    if value is None:
        return []
    return [str(item) for item in (value if isinstance(value, list) else [value])]
