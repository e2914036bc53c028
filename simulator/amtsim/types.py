"""The vocabulary shared by the simulator's protocol layer and its device model.

The protocol layer (``amtsim.http``, ``amtsim.soap``, ``amtsim.dispatch``) turns wire requests into calls on
``amtsim.model.Device`` with these types, and renders what the model returns. The model never sees XML text
or HTTP; the protocol layer never decides AMT policy.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Union

# --- namespaces (docs/amt-reference.md 1.2) -------------------------------------------------------------------------
NS_SOAP = "http://www.w3.org/2003/05/soap-envelope"
NS_ADDRESSING = "http://schemas.xmlsoap.org/ws/2004/08/addressing"
NS_WSMAN = "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"
NS_ENUMERATION = "http://schemas.xmlsoap.org/ws/2004/09/enumeration"
NS_TRANSFER = "http://schemas.xmlsoap.org/ws/2004/09/transfer"
NS_EVENTING = "http://schemas.xmlsoap.org/ws/2004/08/eventing"
NS_CIMBINDING = "http://schemas.dmtf.org/wbem/wsman/1/cimbinding.xsd"
NS_CIM_COMMON = "http://schemas.dmtf.org/wbem/wscim/1/common"
NS_TRUST = "http://schemas.xmlsoap.org/ws/2005/02/trust"
NS_WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
NS_XSI = "http://www.w3.org/2001/XMLSchema-instance"
ANONYMOUS = "http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous"

AMT_PREFIX = "http://intel.com/wbem/wscim/1/amt-schema/1/"
CIM_PREFIX = "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/"
IPS_PREFIX = "http://intel.com/wbem/wscim/1/ips-schema/1/"

_PREFIX_BY_FAMILY = {"AMT_": AMT_PREFIX, "CIM_": CIM_PREFIX, "IPS_": IPS_PREFIX}


def class_uri(class_name: str) -> str:
    """ResourceURI (and body namespace) of an AMT, CIM or IPS class."""
    for family, prefix in _PREFIX_BY_FAMILY.items():
        if class_name.startswith(family):
            return prefix + class_name
    raise ValueError(f"not an AMT, CIM or IPS class: {class_name}")


def class_name_of(resource_uri: str) -> str | None:
    """Class name from a ResourceURI, or None when the URI is not under a known schema prefix."""
    for prefix in _PREFIX_BY_FAMILY.values():
        if resource_uri.startswith(prefix):
            name = resource_uri[len(prefix):]
            return name if name and "/" not in name else None
    return None


# --- values ----------------------------------------------------------------------------------------------
class Datetime(str):
    """A CIM datetime: rendered as ``<Prop><common:Datetime>value</common:Datetime></Prop>``."""


class Interval(str):
    """A CIM interval (``P1DT2H3M``): rendered as ``<Prop><common:Interval>value</common:Interval></Prop>``."""


@dataclass(frozen=True)
class EPR:
    """A WS-Addressing endpoint reference: Address + ReferenceParameters{ResourceURI, SelectorSet}.

    Selector values are strings or nested EPRs (association classes such as AMT_TLSCredentialContext).
    """

    resource_uri: str
    selectors: tuple = ()  # tuple of (name, str | EPR), in wire order
    address: str = ANONYMOUS

    def selector(self, name: str) -> Any:
        for key, value in self.selectors:
            if key == name:
                return value
        return None


@dataclass
class Instance:
    """One CIM instance. Properties render in alphabetical order, as real firmware sends them.

    Property values: None (omitted), str, int, bool (``true``/``false``), Datetime, Interval, EPR, Instance (embedded),
    or a list of those (one element per item, repeated). Write-only properties are simply never put here.
    """

    class_name: str
    props: dict = field(default_factory=dict)


Value = Union[None, str, int, bool, Datetime, Interval, EPR, Instance, list]


@dataclass
class MethodResult:
    """Output of a custom method: outputs in wire order, ReturnValue rendered last."""

    return_value: int
    outputs: list = field(default_factory=list)  # list of (name, Value)


@dataclass(frozen=True)
class Caller:
    """Who is calling, as the protocol layer established it."""

    interface: str  # "remote" (network, 16992/16993) or "local" (LMS endpoint)
    tls: bool
    username: str
    realms: frozenset = frozenset()
    client_cert_der: bytes | None = None


# --- faults (docs/amt-reference.md 1.7) ---------------------------------------------------------------------------
# Subcode -> (namespace, SOAP code, default reason). Real firmware sends Sender faults as HTTP 400.
FAULT_SUBCODES = {
    "AccessDenied": (NS_WSMAN, "Sender", "The sender was not authorized to access the resource."),
    "ActionNotSupported": (NS_ADDRESSING, "Sender", "The action is not supported by the service."),
    "AlreadyExists": (NS_WSMAN, "Sender", "The sender attempted to create a resource which already exists."),
    "CannotProcessFilter": (NS_ENUMERATION, "Sender", "The requested filter could not be processed."),
    "Concurrency": (NS_WSMAN, "Sender", "The action could not be completed due to concurrency or locking problems."),
    "DestinationUnreachable": (NS_ADDRESSING, "Sender",
                               "No route can be determined to reach the destination role defined by the WSAddressing To."),
    "EncodingLimit": (NS_WSMAN, "Sender", "An internal encoding limit was exceeded in a request or would be violated if the message were processed."),
    "EndpointUnavailable": (NS_ADDRESSING, "Receiver", "The specified endpoint is currently unavailable."),
    "InternalError": (NS_WSMAN, "Receiver", "The service cannot comply with the request due to internal processing errors."),
    "InvalidEnumerationContext": (NS_ENUMERATION, "Receiver", "The supplied enumeration context is invalid."),
    "InvalidMessageInformationHeader": (NS_ADDRESSING, "Sender",
                                        "A message information header is not valid and the message cannot be processed."),
    "InvalidParameter": (NS_WSMAN, "Sender", "An operation parameter is not valid."),
    "InvalidRepresentation": (NS_TRANSFER, "Sender", "The XML content is not valid."),
    "InvalidSelectors": (NS_WSMAN, "Sender", "The Selectors for the resource are not valid."),
    "MessageInformationHeaderRequired": (NS_ADDRESSING, "Sender", "A required header is missing."),
    "SchemaValidationError": (NS_WSMAN, "Sender", "The supplied SOAP violates the corresponding XML schema definition."),
    "UnsupportedFeature": (NS_WSMAN, "Sender", "The specified feature is not supported."),
}


class WsmanFault(Exception):
    """Raised by the model (or the protocol layer) to answer with a SOAP fault."""

    def __init__(self, subcode: str, reason: str | None = None):
        if subcode not in FAULT_SUBCODES:
            raise ValueError(f"unknown WS-Man fault subcode {subcode}")
        self.subcode = subcode
        self.namespace, self.code, default_reason = FAULT_SUBCODES[subcode]
        self.reason = reason or default_reason
        super().__init__(f"{subcode}: {self.reason}")


# --- side effects the model asks the server to carry out ----------------------------------------------------
@dataclass(frozen=True)
class Effect:
    """Something a request changed that the network side must act on after the response is sent.

    kinds:
      "listeners"  - which ports/TLS settings are served changed (TLS committed, provisioning, unprovision)
      "restart"    - the firmware restarts its network stack; ``reason`` in {"commit", "commit_tls",
                     "activation", "unprovision"} selects the pause from the latency model
      "hang"       - the firmware stops answering for a while (repeated AdminSetup); ``reason`` as above
    """

    kind: str
    reason: str = ""
