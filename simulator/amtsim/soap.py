"""WS-Management SOAP: request parsing (defusedxml) and response rendering in AMT's wire layout.

Parsing refuses DTDs, entity declarations and external references outright (``MalformedRequest``); a
well-formed envelope that lacks what WS-Management needs raises ``WsmanFault``.

Rendering reproduces the captures in ``tests/unit/fixtures/real``: one line, UTF-8, fixed prefixes
``a`` SOAP, ``b`` addressing, ``c`` wsman, ``d`` trust, ``e`` wss-secext, ``f`` cimbinding, then ``g``, ``h``, ...
for the class or enumeration/transfer namespaces in order of first use, and ``xsi``. Faults use the other
layout AMT sends for them (``c`` enumeration, ``d`` transfer, ``e`` wsman, ...).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from xml.etree.ElementTree import Element
from xml.sax.saxutils import escape, quoteattr

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring

from amtsim.types import (ANONYMOUS, EPR, NS_ADDRESSING, NS_CIM_COMMON, NS_CIMBINDING, NS_ENUMERATION, NS_EVENTING, NS_SOAP,
                          NS_TRANSFER, NS_TRUST, NS_WSMAN, NS_WSSE, NS_XSI, Datetime, Instance, Interval, MethodResult, WsmanFault,
                          class_name_of, class_uri)

XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>'
FAULT_ACTION_ADDRESSING = NS_ADDRESSING + "/fault"
FAULT_ACTION_WSMAN = "http://schemas.dmtf.org/wbem/wsman/1/wsman/fault"

_FIXED_PREFIXES = (("a", NS_SOAP), ("b", NS_ADDRESSING), ("c", NS_WSMAN), ("d", NS_TRUST), ("e", NS_WSSE), ("f", NS_CIMBINDING))
_FAULT_PREFIXES = (("g", NS_CIMBINDING), ("f", NS_EVENTING), ("e", NS_WSMAN), ("d", NS_TRANSFER), ("c", NS_ENUMERATION),
                   ("b", NS_ADDRESSING), ("a", NS_SOAP), ("h", NS_TRUST), ("i", NS_WSSE))
_FAULT_PREFIX_BY_NS = {uri: prefix for prefix, uri in _FAULT_PREFIXES}
_EXTRA_PREFIX_LETTERS = "ghijklmnopqrstuvwyz"
_COMMON_VALUE_TYPES = {"{%s}%s" % (NS_CIM_COMMON, kind.__name__): kind for kind in (Datetime, Interval)}


class MalformedRequest(Exception):
    """The body is not a well-formed, DTD-free SOAP envelope; answered with AMT's HTML 400 page."""


@dataclass
class WsmanRequest:
    action: str | None
    to: str | None
    resource_uri: str | None
    message_id: str | None
    selectors: dict = field(default_factory=dict)
    body: Element | None = None
    enumeration_context: str | None = None
    max_elements: int | None = None
    optimize_enumeration: bool = False
    max_characters: int | None = None
    enumeration_mode: str | None = None
    has_filter: bool = False


def _q(namespace: str, local: str) -> str:
    return "{%s}%s" % (namespace, local)


def local_name(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _namespace(tag: str) -> str:
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else ""


def _text(element: Element | None) -> str | None:
    if element is None:
        return None
    return (element.text or "").strip()


def _int_or_fault(text: str | None) -> int | None:
    if text is None:
        return None
    try:
        value = int(text)
    except ValueError:
        raise WsmanFault("InvalidParameter") from None
    if value < 1:
        raise WsmanFault("InvalidParameter")
    return value


def parse_request(body: bytes) -> WsmanRequest:
    """Parse a SOAP request body; header presence is checked later by the dispatcher."""
    try:
        root = fromstring(body, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (ParseError, DefusedXmlException, ValueError) as exc:
        raise MalformedRequest(type(exc).__name__) from None
    if root.tag != _q(NS_SOAP, "Envelope"):
        raise MalformedRequest("not a SOAP 1.2 envelope")
    header = root.find(_q(NS_SOAP, "Header"))
    soap_body = root.find(_q(NS_SOAP, "Body"))
    if header is None or soap_body is None:
        raise WsmanFault("SchemaValidationError")
    request = WsmanRequest(
        action=_text(header.find(_q(NS_ADDRESSING, "Action"))),
        to=_text(header.find(_q(NS_ADDRESSING, "To"))),
        resource_uri=_text(header.find(_q(NS_WSMAN, "ResourceURI"))),
        message_id=_text(header.find(_q(NS_ADDRESSING, "MessageID"))),
        selectors=parse_selector_set(header.find(_q(NS_WSMAN, "SelectorSet"))),
        body=next(iter(soap_body), None),
    )
    if request.body is not None:
        _read_enumeration_fields(request.body, request)
    return request


def _read_enumeration_fields(body: Element, request: WsmanRequest) -> None:
    if body.tag == _q(NS_ENUMERATION, "Enumerate"):
        request.optimize_enumeration = body.find(_q(NS_WSMAN, "OptimizeEnumeration")) is not None
        request.max_elements = _int_or_fault(_text(body.find(_q(NS_WSMAN, "MaxElements"))))
        request.enumeration_mode = _text(body.find(_q(NS_WSMAN, "EnumerationMode")))
        request.has_filter = body.find(_q(NS_WSMAN, "Filter")) is not None or body.find(_q(NS_ENUMERATION, "Filter")) is not None
    elif body.tag in (_q(NS_ENUMERATION, "Pull"), _q(NS_ENUMERATION, "Release")):
        request.enumeration_context = _text(body.find(_q(NS_ENUMERATION, "EnumerationContext")))
        request.max_elements = _int_or_fault(_text(body.find(_q(NS_ENUMERATION, "MaxElements"))))
        request.max_characters = _int_or_fault(_text(body.find(_q(NS_ENUMERATION, "MaxCharacters"))))


def _selector_name(selector: Element) -> str | None:
    # Clients write the attribute both plain (GWM, MC) and wsman-qualified (PyPI amt).
    return selector.get("Name") or selector.get(_q(NS_WSMAN, "Name"))


def parse_selector_set(selector_set: Element | None) -> dict:
    selectors: dict = {}
    if selector_set is None:
        return selectors
    for selector in selector_set.findall(_q(NS_WSMAN, "Selector")):
        name = _selector_name(selector)
        if not name or name in selectors:
            raise WsmanFault("InvalidSelectors")
        reference = selector.find(_q(NS_ADDRESSING, "EndpointReference"))
        selectors[name] = parse_epr(reference) if reference is not None else (selector.text or "").strip()
    return selectors


def parse_epr(element: Element) -> EPR:
    """An element holding Address + ReferenceParameters (an EndpointReference or an EPR-typed parameter)."""
    parameters = element.find(_q(NS_ADDRESSING, "ReferenceParameters"))
    if parameters is None:
        raise WsmanFault("InvalidParameter")
    resource_uri = _text(parameters.find(_q(NS_WSMAN, "ResourceURI")))
    if not resource_uri:
        raise WsmanFault("InvalidParameter")
    selectors = parse_selector_set(parameters.find(_q(NS_WSMAN, "SelectorSet")))
    address = _text(element.find(_q(NS_ADDRESSING, "Address"))) or ANONYMOUS
    return EPR(resource_uri=resource_uri, selectors=tuple(selectors.items()), address=address)


def _is_epr(element: Element) -> bool:
    return element.find(_q(NS_ADDRESSING, "ReferenceParameters")) is not None


def _parse_value(element: Element):
    children = list(element)
    if not children:
        return (element.text or "").strip()
    if _is_epr(element):
        return parse_epr(element)
    if len(children) == 1 and children[0].tag in _COMMON_VALUE_TYPES:
        return _COMMON_VALUE_TYPES[children[0].tag](_text(children[0]))
    embedded_class = class_name_of(_namespace(children[0].tag))
    if len(children) == 1 and embedded_class == local_name(children[0].tag) and len(children[0]):
        return parse_instance(children[0])
    if embedded_class is None:
        raise WsmanFault("InvalidParameter")
    return Instance(embedded_class, _collect_fields(children))


def _collect_fields(children) -> dict:
    fields: dict = {}
    for child in children:
        name = local_name(child.tag)
        value = _parse_value(child)
        if name not in fields:
            fields[name] = value
        elif isinstance(fields[name], list):
            fields[name].append(value)
        else:
            fields[name] = [fields[name], value]
    return fields


def parse_inputs(input_element: Element | None) -> dict:
    """``<Method>_INPUT`` children as name -> str | EPR | Instance | Datetime | list (repeated elements)."""
    if input_element is None:
        return {}
    return _collect_fields(list(input_element))


def parse_instance(element: Element) -> Instance:
    """A Put/Create body (or an embedded instance): the class comes from the element's namespace."""
    class_name = class_name_of(_namespace(element.tag))
    if class_name is None or class_name != local_name(element.tag):
        raise WsmanFault("InvalidRepresentation")
    return Instance(class_name, _collect_fields(list(element)))


# --- rendering ---------------------------------------------------------------------------------------------
class _Prefixes:
    """Prefix allocation for one response: fixed letters first, further namespaces in order of first use."""

    def __init__(self):
        self._by_namespace = {uri: prefix for prefix, uri in _FIXED_PREFIXES}
        self._extra: list = []

    def of(self, namespace: str) -> str:
        prefix = self._by_namespace.get(namespace)
        if prefix is None:
            prefix = _EXTRA_PREFIX_LETTERS[len(self._extra)]
            self._by_namespace[namespace] = prefix
            self._extra.append((prefix, namespace))
        return prefix

    def declarations(self) -> str:
        pairs = list(_FIXED_PREFIXES) + self._extra + [("xsi", NS_XSI)]
        return " ".join("xmlns:%s=%s" % (prefix, quoteattr(uri)) for prefix, uri in pairs)


def _element(prefix: str, local: str, content: str) -> str:
    return "<%s:%s>%s</%s:%s>" % (prefix, local, content, prefix, local)


def _scalar(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return escape(str(value))


def render_epr_content(epr: EPR) -> str:
    """Address + ReferenceParameters, the content of an EPR-valued element."""
    selectors = "".join(
        '<c:Selector Name=%s>%s</c:Selector>' % (quoteattr(name), _element("b", "EndpointReference", render_epr_content(value))
                                                 if isinstance(value, EPR) else escape(str(value)))
        for name, value in epr.selectors)
    selector_set = _element("c", "SelectorSet", selectors) if epr.selectors else ""
    return _element("b", "Address", escape(epr.address)) + _element(
        "b", "ReferenceParameters", _element("c", "ResourceURI", escape(epr.resource_uri)) + selector_set)


def _render_value(prefix: str, name: str, value, prefixes: _Prefixes) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return "".join(_render_value(prefix, name, item, prefixes) for item in value)
    if isinstance(value, (Datetime, Interval)):
        return _element(prefix, name, _element(prefixes.of(NS_CIM_COMMON), type(value).__name__, escape(str(value))))
    if isinstance(value, EPR):
        return _element(prefix, name, render_epr_content(value))
    if isinstance(value, Instance):
        return _element(prefix, name, render_instance(value, prefixes))
    return _element(prefix, name, _scalar(value))


def render_instance(instance: Instance, prefixes: _Prefixes) -> str:
    prefix = prefixes.of(class_uri(instance.class_name))
    properties = "".join(_render_value(prefix, name, instance.props[name], prefixes) for name in sorted(instance.props))
    return _element(prefix, instance.class_name, properties)


@dataclass
class Reply:
    """What the header of a normal response needs."""

    relates_to: str
    message_id: str
    action: str
    resource_uri: str


def _envelope(reply: Reply, prefixes: _Prefixes, body: str) -> bytes:
    header = (_element("b", "To", ANONYMOUS) + _element("b", "RelatesTo", escape(reply.relates_to))
              + '<b:Action a:mustUnderstand="true">%s</b:Action>' % escape(reply.action)
              + _element("b", "MessageID", reply.message_id) + _element("c", "ResourceURI", escape(reply.resource_uri)))
    text = "%s<a:Envelope %s>%s%s</a:Envelope>" % (XML_DECLARATION, prefixes.declarations(), _element("a", "Header", header),
                                                   _element("a", "Body", body))
    return text.encode("utf-8")


def _declares_common_namespace(class_name: str) -> bool:
    """Whether AMT declares the CIM common namespace on this class's instance responses even when nothing uses it.

    The captures do for every service, CIM_SoftwareIdentity, CIM_WiFiPort, CIM_KVMRedirectionSAP and AMT_AuditLog
    (classes with datetime properties in their schema) and not for setting data (AMT_GeneralSettings, *SettingData).
    """
    return not class_name.endswith(("Settings", "SettingData"))


def render_instance_response(reply: Reply, instance: Instance) -> bytes:
    """Get and Put responses: the instance as the body."""
    prefixes = _Prefixes()
    prefixes.of(class_uri(instance.class_name))
    if _declares_common_namespace(instance.class_name):
        prefixes.of(NS_CIM_COMMON)
    body = render_instance(instance, prefixes)
    return _envelope(reply, prefixes, body)


def render_method_response(reply: Reply, class_namespace: str, method: str, result: MethodResult) -> bytes:
    prefixes = _Prefixes()
    prefix = prefixes.of(class_namespace)
    outputs = "".join(_render_value(prefix, name, value, prefixes) for name, value in result.outputs)
    body = _element(prefix, method + "_OUTPUT", outputs + _element(prefix, "ReturnValue", str(int(result.return_value))))
    return _envelope(reply, prefixes, body)


def render_created_response(reply: Reply, epr: EPR) -> bytes:
    prefixes = _Prefixes()
    body = _element(prefixes.of(NS_TRANSFER), "ResourceCreated", render_epr_content(epr))
    return _envelope(reply, prefixes, body)


def render_empty_response(reply: Reply) -> bytes:
    """Delete and Release responses."""
    return _envelope(reply, _Prefixes(), "")


def render_enumerate_response(reply: Reply, context: str, items: list | None, end_of_sequence: bool) -> bytes:
    """EnumerateResponse; ``items`` is given only for OptimizeEnumeration (wsman:Items / wsman:EndOfSequence)."""
    prefixes = _Prefixes()
    prefix = prefixes.of(NS_ENUMERATION)
    content = _element(prefix, "EnumerationContext", escape(context))
    if items is not None:
        content += _element("c", "Items", "".join(render_instance(item, prefixes) for item in items))
        if end_of_sequence:
            content += _element("c", "EndOfSequence", "")
    return _envelope(reply, prefixes, _element(prefix, "EnumerateResponse", content))


def render_pull_response(reply: Reply, next_context: str | None, items: list) -> bytes:
    """PullResponse; ``next_context`` None means this page is the last (EndOfSequence)."""
    prefixes = _Prefixes()
    prefix = prefixes.of(NS_ENUMERATION)
    rendered = "".join(render_instance(item, prefixes) for item in items)
    content = _element(prefix, "EnumerationContext", escape(next_context)) if next_context else ""
    content += _element(prefix, "Items", rendered)
    if next_context is None:
        content += _element(prefix, "EndOfSequence", "")
    return _envelope(reply, prefixes, _element(prefix, "PullResponse", content))


def rendered_size(instance: Instance) -> int:
    """Characters an instance takes on the wire, for MaxCharacters paging."""
    return len(render_instance(instance, _Prefixes()))


def render_fault(fault: WsmanFault, relates_to: str, message_id: str) -> bytes:
    """A SOAP fault in the layout AMT uses for faults (no ResourceURI in the header)."""
    action = FAULT_ACTION_ADDRESSING if fault.namespace == NS_ADDRESSING else FAULT_ACTION_WSMAN
    declarations = " ".join("xmlns:%s=%s" % (prefix, quoteattr(uri)) for prefix, uri in _FAULT_PREFIXES + (("xsi", NS_XSI),))
    header = (_element("b", "To", ANONYMOUS) + _element("b", "RelatesTo", escape(relates_to))
              + '<b:Action a:mustUnderstand="true">%s</b:Action>' % action + _element("b", "MessageID", message_id))
    subcode = "%s:%s" % (_FAULT_PREFIX_BY_NS[fault.namespace], fault.subcode)
    code = _element("a", "Code", _element("a", "Value", "a:" + fault.code) + _element("a", "Subcode", _element("a", "Value", subcode)))
    reason = _element("a", "Reason", '<a:Text xml:lang="en-US">%s</a:Text>' % escape(fault.reason))
    body = _element("a", "Fault", code + reason + _element("a", "Detail", ""))
    text = "%s<a:Envelope %s>%s%s</a:Envelope>" % (XML_DECLARATION, declarations, _element("a", "Header", header), _element("a", "Body", body))
    return text.encode("utf-8")
