# -*- coding: utf-8 -*-
# Copyright: contributors to the oob.amt collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Building WS-Management request envelopes as AMT expects them (docs/amt-reference.md 1.3, 1.4, 5.1).

Every value is escaped; element names are validated. Header order: Action, To, ResourceURI, MessageID,
ReplyTo, OperationTimeout, SelectorSet.

Value forms accepted for properties, method inputs and selectors:
  str / int / bool   -> text (booleans as true/false); None -> element omitted
  list or tuple      -> one element per item
  EPR dict           -> {"resource_uri": URI, "selectors": {name: value}} and optionally "address" (default /wsman)
  EmbeddedInstance   -> an instance of another class embedded in a method input (e.g. AddWiFiSettings)
Request builders: get_request, put_request, create_request, delete_request, enumerate_request, pull_request,
invoke_request. Namespace and action constants are shared with parse.py.
"""

from __future__ import annotations

import re
from xml.sax.saxutils import escape, quoteattr

from ansible_collections.oob.amt.plugins.module_utils.wsman.errors import InvalidInputError

NS_SOAP = "http://www.w3.org/2003/05/soap-envelope"
NS_ADDRESSING = "http://schemas.xmlsoap.org/ws/2004/08/addressing"
NS_WSMAN = "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"
NS_ENUMERATION = "http://schemas.xmlsoap.org/ws/2004/09/enumeration"
NS_TRANSFER = "http://schemas.xmlsoap.org/ws/2004/09/transfer"
NS_CIM_COMMON = "http://schemas.dmtf.org/wbem/wscim/1/common"
NS_XSI = "http://www.w3.org/2001/XMLSchema-instance"

ANONYMOUS = NS_ADDRESSING + "/role/anonymous"
EPR_DEFAULT_ADDRESS = "/wsman"

ACTION_GET = NS_TRANSFER + "/Get"
ACTION_PUT = NS_TRANSFER + "/Put"
ACTION_CREATE = NS_TRANSFER + "/Create"
ACTION_DELETE = NS_TRANSFER + "/Delete"
ACTION_ENUMERATE = NS_ENUMERATION + "/Enumerate"
ACTION_PULL = NS_ENUMERATION + "/Pull"

OPERATION_TIMEOUT = "PT60S"
# The page sizes go-wsman-messages uses against real firmware.
MAX_ELEMENTS = 999
MAX_CHARACTERS = 99999

# A bare carriage return would be normalised away by the receiving parser.
_TEXT_ENTITIES = {"\r": "&#13;"}
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")
# Characters XML 1.0 cannot carry even as references.
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


class EmbeddedInstance:
    """An instance of ``class_uri`` passed as a method input, e.g. CIM_WiFiEndpointSettings for AddWiFiSettings.

    properties: dict or list of (name, value) pairs, written in the given order.
    """

    def __init__(self, class_uri, properties):
        self.class_uri = class_uri
        self.properties = properties


def is_epr(value):
    return isinstance(value, dict) and "resource_uri" in value


def _name(name):
    if not isinstance(name, str) or not _NAME.match(name):
        raise InvalidInputError("invalid WS-Man element or selector name: %r" % (name,))
    return name


def _text(value, name):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        if _NOT_XML.search(value):
            # The value itself stays out of the message: it may be a passphrase.
            raise InvalidInputError("the value of %s contains a control character XML cannot carry" % name)
        return escape(value, _TEXT_ENTITIES)
    raise InvalidInputError("unsupported value type %s for %s" % (type(value).__name__, name))


def _pairs(values):
    if values is None:
        return []
    if isinstance(values, dict):
        return list(values.items())
    return list(values)


def _selector_set(selectors):
    parts = []
    for name, value in _pairs(selectors):
        if is_epr(value):
            inner = "<a:EndpointReference>%s</a:EndpointReference>" % _epr_content(value)
        else:
            inner = _text(value, name)
        parts.append("<w:Selector Name=%s>%s</w:Selector>" % (quoteattr(_name(name)), inner))
    return "<w:SelectorSet>%s</w:SelectorSet>" % "".join(parts)


def _epr_content(epr):
    selectors = epr.get("selectors")
    return "<a:Address>%s</a:Address><a:ReferenceParameters><w:ResourceURI>%s</w:ResourceURI>%s</a:ReferenceParameters>" % (
        _text(epr.get("address") or EPR_DEFAULT_ADDRESS, "Address"),
        _text(epr["resource_uri"], "ResourceURI"),
        _selector_set(selectors) if selectors else "",
    )


def _elements(prefix, name, value, depth):
    """XML for one property or input; lists repeat the element, None omits it."""
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return "".join(_elements(prefix, name, item, depth) for item in value)
    tag = "%s:%s" % (prefix, _name(name))
    if is_epr(value):
        return "<%s>%s</%s>" % (tag, _epr_content(value), tag)
    if isinstance(value, EmbeddedInstance):
        inner_prefix = "q%d" % depth
        children = "".join(_elements(inner_prefix, key, item, depth + 1) for key, item in _pairs(value.properties))
        return "<%s xmlns:%s=%s>%s</%s>" % (tag, inner_prefix, quoteattr(value.class_uri), children, tag)
    return "<%s>%s</%s>" % (tag, _text(value, name), tag)


def _envelope(action, resource_uri, message_id, body, selectors=None, extra_namespaces=""):
    header = (
        "<a:Action>%s</a:Action>"
        "<a:To>/wsman</a:To>"
        "<w:ResourceURI>%s</w:ResourceURI>"
        "<a:MessageID>%s</a:MessageID>"
        "<a:ReplyTo><a:Address>%s</a:Address></a:ReplyTo>"
        "<w:OperationTimeout>%s</w:OperationTimeout>"
        "%s"
    ) % (
        escape(action), _text(resource_uri, "ResourceURI"), _text(str(message_id), "MessageID"), ANONYMOUS,
        OPERATION_TIMEOUT, _selector_set(selectors) if selectors else "",
    )
    document = (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<s:Envelope xmlns:s="%s" xmlns:a="%s" xmlns:w="%s"%s>'
        "<s:Header>%s</s:Header><s:Body>%s</s:Body></s:Envelope>"
    ) % (NS_SOAP, NS_ADDRESSING, NS_WSMAN, extra_namespaces, header, body)
    return document.encode("utf-8")


def _instance_body(resource_uri, class_name, instance):
    children = "".join(_elements("h", key, value, 0) for key, value in _pairs(instance))
    return '<h:%s xmlns:h=%s>%s</h:%s>' % (_name(class_name), quoteattr(resource_uri), children, class_name)


def get_request(resource_uri, message_id, selectors=None):
    return _envelope(ACTION_GET, resource_uri, message_id, "", selectors)


def put_request(resource_uri, class_name, message_id, instance, selectors=None):
    return _envelope(ACTION_PUT, resource_uri, message_id, _instance_body(resource_uri, class_name, instance), selectors)


def create_request(resource_uri, class_name, message_id, instance):
    return _envelope(ACTION_CREATE, resource_uri, message_id, _instance_body(resource_uri, class_name, instance))


def delete_request(resource_uri, message_id, selectors):
    return _envelope(ACTION_DELETE, resource_uri, message_id, "", selectors)


def enumerate_request(resource_uri, message_id, max_elements=MAX_ELEMENTS):
    # OptimizeEnumeration lets a device return the first items in the EnumerateResponse itself.
    body = "<n:Enumerate><w:OptimizeEnumeration/><w:MaxElements>%d</w:MaxElements></n:Enumerate>" % max_elements
    return _envelope(ACTION_ENUMERATE, resource_uri, message_id, body, extra_namespaces=' xmlns:n="%s"' % NS_ENUMERATION)


def pull_request(resource_uri, message_id, context, max_elements=MAX_ELEMENTS, max_characters=MAX_CHARACTERS):
    body = (
        "<n:Pull><n:EnumerationContext>%s</n:EnumerationContext>"
        "<n:MaxElements>%d</n:MaxElements><n:MaxCharacters>%d</n:MaxCharacters></n:Pull>"
    ) % (_text(context, "EnumerationContext"), max_elements, max_characters)
    return _envelope(ACTION_PULL, resource_uri, message_id, body, extra_namespaces=' xmlns:n="%s"' % NS_ENUMERATION)


def invoke_request(resource_uri, method, message_id, inputs=None, selectors=None):
    """A custom method call: Action <ResourceURI>/<Method>, body <Method>_INPUT in the class namespace."""
    children = "".join(_elements("h", key, value, 0) for key, value in _pairs(inputs))
    body = '<h:%s_INPUT xmlns:h=%s>%s</h:%s_INPUT>' % (_name(method), quoteattr(resource_uri), children, method)
    return _envelope("%s/%s" % (resource_uri, method), resource_uri, message_id, body, selectors)
