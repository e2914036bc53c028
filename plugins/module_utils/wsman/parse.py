# -*- coding: utf-8 -*-
# Copyright: contributors to the oob.amt collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Parsing WS-Management responses into plain Python values; SOAP faults become AmtError subclasses.

defusedxml refuses DTDs, entity declarations and external references; elements nested deeper than MAX_DEPTH are
refused while parsing, before the recursive conversion below could exhaust Python's stack. Elements are matched by
namespace URI and local name, never by prefix: AMT's prefix letters change between responses (docs/amt-reference.md 1.5).

Value mapping (see element_value): leaf element -> str ("" when empty, None when xsi:nil); repeated element ->
list; EPR -> {"resource_uri": URI, "selectors": {name: str or EPR}}; CIM Datetime/Interval wrapper -> its text;
any other element with children -> dict.

Public: parse_response, parse_instance, parse_enumeration (Enumerate or Pull), parse_method_output,
parse_created, element_value, EnumerationPage, WsmanResponse.
"""

from __future__ import annotations

import io
from xml.etree.ElementTree import ParseError

from ansible_collections.oob.amt.plugins.module_utils.wsman.envelope import (
    NS_ADDRESSING,
    NS_CIM_COMMON,
    NS_ENUMERATION,
    NS_SOAP,
    NS_WSMAN,
    NS_XSI,
)
from ansible_collections.oob.amt.plugins.module_utils.wsman.errors import (
    DeviceError,
    InvalidInputError,
    NotPermittedError,
)

try:
    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import iterparse
except ImportError:
    # module.py reports the missing library first; should parsing be reached anyway, it refuses rather than
    # falling back to an XML parser that expands entities.
    DefusedXmlException = ParseError

    def iterparse(*args, **kwargs):
        raise DeviceError("the Python library defusedxml is needed to parse AMT responses safely")

# The deepest real capture (tests/unit/fixtures/real: a Create answer whose selector is an EPR) nests 10 levels.
MAX_DEPTH = 40


_FAULT_CLASSES = {
    "AccessDenied": NotPermittedError,
    "InvalidParameter": InvalidInputError,
    "InvalidSelectors": InvalidInputError,
    "InvalidRepresentation": InvalidInputError,
    "InvalidOptions": InvalidInputError,
    "InvalidValue": InvalidInputError,
    "SchemaValidationError": InvalidInputError,
}
_CIM_WRAPPERS = frozenset(["Datetime", "Interval", "Date", "Time"])


def _split(tag):
    """'{ns}local' -> (ns, local)."""
    if tag.startswith("{"):
        namespace, local = tag[1:].split("}", 1)
        return namespace, local
    return "", tag


def _local(element):
    return _split(element.tag)[1]


def _child(element, namespace, local):
    return element.find("{%s}%s" % (namespace, local)) if element is not None else None


def _child_text(element, namespace, local):
    found = _child(element, namespace, local)
    return (found.text or "").strip() if found is not None else None


def _children_by_local(element, local):
    return [child for child in element if _local(child) == local]


class WsmanResponse:
    """The parts of a response envelope the client needs: header fields and the first Body element."""

    def __init__(self, action, resource_uri, relates_to, body_element):
        self.action = action
        self.resource_uri = resource_uri
        self.relates_to = relates_to
        self.body_element = body_element


class EnumerationPage:
    """Items of one EnumerateResponse or PullResponse; context is None once the sequence has ended."""

    def __init__(self, items, context, end_of_sequence):
        self.items = items
        self.context = context
        self.end_of_sequence = end_of_sequence


def _fault_error(fault, context):
    code = _child(fault, NS_SOAP, "Code")
    subcode_value = _child_text(_child(code, NS_SOAP, "Subcode"), NS_SOAP, "Value")
    code_value = _child_text(code, NS_SOAP, "Value")
    subcode = (subcode_value or code_value or "unknown").rsplit(":", 1)[-1]
    reason = _child_text(_child(fault, NS_SOAP, "Reason"), NS_SOAP, "Text") or ""
    class_name, operation = context
    message = "%s %s failed: WS-Man fault %s" % (class_name, operation, subcode) if class_name else "WS-Man fault %s" % subcode
    if reason:
        message += " (%s)" % reason
    error_class = _FAULT_CLASSES.get(subcode, DeviceError)
    return error_class(message, class_name=class_name, method=operation, fault=subcode)


def _document_root(data, context):
    """The root element of data, parsed safely and no deeper than MAX_DEPTH."""
    depth = 0
    try:
        events = iterparse(io.BytesIO(data), events=("start", "end"), forbid_dtd=True, forbid_entities=True, forbid_external=True)
        for event, _element in events:
            depth += 1 if event == "start" else -1
            if depth > MAX_DEPTH:
                raise DeviceError("malformed WS-Man response: elements nested deeper than %d levels" % MAX_DEPTH,
                                  class_name=context[0], method=context[1])
    except (ParseError, DefusedXmlException) as exc:
        raise DeviceError("malformed WS-Man response: %s" % type(exc).__name__, class_name=context[0], method=context[1])
    return events.root


def parse_response(data, context=(None, None)):
    """Parse an envelope; raise the matching AmtError for a SOAP fault or anything that is not WS-Man.

    context: (class_name, operation) named in error messages.
    """
    root = _document_root(data, context)
    if root.tag != "{%s}Envelope" % NS_SOAP:
        raise DeviceError("response is not a SOAP 1.2 envelope", class_name=context[0], method=context[1])
    header = _child(root, NS_SOAP, "Header")
    body = _child(root, NS_SOAP, "Body")
    body_element = body[0] if body is not None and len(body) else None
    if body_element is not None and body_element.tag == "{%s}Fault" % NS_SOAP:
        raise _fault_error(body_element, context)
    return WsmanResponse(
        action=_child_text(header, NS_ADDRESSING, "Action"),
        resource_uri=_child_text(header, NS_WSMAN, "ResourceURI"),
        relates_to=_child_text(header, NS_ADDRESSING, "RelatesTo"),
        body_element=body_element,
    )


def _epr(element):
    """EPR dict from an element holding Address + ReferenceParameters (or wrapping an EndpointReference)."""
    reference = _child(element, NS_ADDRESSING, "EndpointReference")
    if reference is not None:
        element = reference
    parameters = _child(element, NS_ADDRESSING, "ReferenceParameters")
    selectors = {}
    selector_set = _child(parameters, NS_WSMAN, "SelectorSet")
    for selector in (selector_set if selector_set is not None else []):
        if _child(selector, NS_ADDRESSING, "EndpointReference") is not None:
            selectors[selector.get("Name")] = _epr(selector)
        else:
            selectors[selector.get("Name")] = selector.text or ""
    return {"resource_uri": _child_text(parameters, NS_WSMAN, "ResourceURI"), "selectors": selectors}


def _is_epr(element):
    return _child(element, NS_ADDRESSING, "ReferenceParameters") is not None or (
        len(element) == 1 and element[0].tag == "{%s}EndpointReference" % NS_ADDRESSING
    )


def element_value(element):
    """The Python value of one property element (see the module docstring)."""
    if element.get("{%s}nil" % NS_XSI) == "true":
        return None
    if len(element) == 0:
        return element.text or ""
    if _is_epr(element):
        return _epr(element)
    if len(element) == 1 and _split(element[0].tag) in [(NS_CIM_COMMON, name) for name in _CIM_WRAPPERS]:
        return element[0].text or ""
    return instance_dict(element)


def instance_dict(element):
    """Child elements by local name; a name that occurs more than once becomes a list (element_value never returns one)."""
    result = {}
    for child in element:
        name = _local(child)
        value = element_value(child)
        if name not in result:
            result[name] = value
        elif isinstance(result[name], list):
            result[name].append(value)
        else:
            result[name] = [result[name], value]
    return result


def parse_instance(data, context=(None, None), required=True):
    """Get / Put response -> instance dict ({} for an empty Put response when not required)."""
    response = parse_response(data, context)
    if response.body_element is None:
        if required:
            raise DeviceError("%s %s: the response has no instance" % context, class_name=context[0], method=context[1])
        return {}
    return instance_dict(response.body_element)


def parse_enumeration(data, context=(None, None)):
    """EnumerateResponse (plain or optimized) or PullResponse -> EnumerationPage."""
    response = parse_response(data, context)
    element = response.body_element
    if element is None or _local(element) not in ("EnumerateResponse", "PullResponse"):
        raise DeviceError("%s %s: unexpected response to an enumeration" % context, class_name=context[0], method=context[1])
    # Optimized enumeration puts Items / EndOfSequence in the wsman namespace, Pull in the enumeration one.
    items = []
    for container in _children_by_local(element, "Items"):
        items.extend(instance_dict(item) for item in container)
    end = bool(_children_by_local(element, "EndOfSequence"))
    context_text = _child_text(element, NS_ENUMERATION, "EnumerationContext")
    return EnumerationPage(items, None if end else (context_text or None), end)


def parse_method_output(data, method, context=(None, None)):
    """<Method>_OUTPUT -> dict of outputs with ReturnValue as int."""
    response = parse_response(data, context)
    element = response.body_element
    if element is None or _local(element) != method + "_OUTPUT":
        raise DeviceError("%s.%s: the response has no %s_OUTPUT" % (context[0], method, method), class_name=context[0], method=method)
    outputs = instance_dict(element)
    try:
        outputs["ReturnValue"] = int(outputs["ReturnValue"])
    except (KeyError, TypeError, ValueError):
        raise DeviceError("%s.%s: the response has no valid ReturnValue" % (context[0], method), class_name=context[0], method=method)
    return outputs


def parse_created(data, context=(None, None)):
    """CreateResponse -> EPR dict of the new instance."""
    response = parse_response(data, context)
    element = response.body_element
    if element is None or _local(element) != "ResourceCreated":
        raise DeviceError("%s %s: the response has no ResourceCreated" % context, class_name=context[0], method=context[1])
    return _epr(element)
