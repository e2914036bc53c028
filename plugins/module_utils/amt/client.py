# -*- coding: utf-8 -*-
# Copyright: contributors to the oob.amt collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""AmtClient: WS-Man operations on AMT classes by name, over one WsmanTransport.

Reads (get, enumerate) are cached for the run: get per class + selectors, enumerate per class. put drops the
cache of its class; create, delete and every invoke that may change the device drop the whole cache, since a
method on one class can change others (AddWiFiSettings creates CIM_WiFiEndpointSettings instances).
Returned dicts are copies: callers may change them freely.

Additions to the shared contract:
* invoke(..., idempotent=False): pass True for methods that only read (GetUuid, EnumerateUserAclEntries,
  ReadRecords, ...): they are then retried like reads and leave the cache alone. cached=True (for such a method
  whose answer only a write changes, as the account table's, not the clock's) caches its outputs per inputs like a
  Get, so that units and amt_info reading the same table in one run ask the device once.
* epr(class_name, selectors) and embedded(class_name, properties): values for method inputs and selectors.
* peer_certificate: the DER certificate the device served on the session's latest TLS connection, or None.
"""

from __future__ import annotations

import json

from ansible_collections.oob.amt.plugins.module_utils.amt import schema
from ansible_collections.oob.amt.plugins.module_utils.wsman import envelope, parse
from ansible_collections.oob.amt.plugins.module_utils.wsman.errors import (
    DeviceError,
    InvalidInputError,
    NotPermittedError,
)

_ERRORS_BY_KIND = {"not_permitted": NotPermittedError, "invalid_input": InvalidInputError}
# Faults a device answers for a class its SKU or firmware does not have (docs/amt-reference.md 1.7): wired-only units have no
# Wi-Fi classes, Standard Manageability units no KVM, older firmware no web UI service.
_ABSENT_CLASS_FAULTS = ("DestinationUnreachable", "ActionNotSupported")
# A device that keeps answering with a context but never ends the sequence must not loop forever.
_MAX_PULLS = 1000


def epr(class_name, selectors):
    """An endpoint reference to an instance of class_name, usable as a method input or selector value."""
    return {"resource_uri": schema.resource_uri(class_name), "selectors": dict(selectors)}


def embedded(class_name, properties):
    """An instance of class_name embedded in a method input, e.g. AddWiFiSettings' WiFiEndpointSettingsInput."""
    return envelope.EmbeddedInstance(schema.resource_uri(class_name), properties)


def optional(read):
    """read(), or None when the device answers that it has no such class."""
    try:
        return read()
    except DeviceError as error:
        if error.fault in _ABSENT_CLASS_FAULTS:
            return None
        raise


def _copy(value):
    """A copy of parsed data (dicts, lists and immutable texts), several times faster than copy.deepcopy."""
    if isinstance(value, dict):
        return dict((key, _copy(item)) for key, item in value.items())
    if isinstance(value, list):
        return [_copy(item) for item in value]
    return value


def _selector_key(selectors):
    return json.dumps(selectors or {}, sort_keys=True)


class AmtClient:
    def __init__(self, transport):
        self._transport = transport
        self._message_id = 0
        self._instances = {}
        self._enumerations = {}
        self._calls = {}

    @property
    def request_count(self):
        return self._transport.request_count

    @property
    def peer_certificate(self):
        return self._transport.peer_certificate

    def _send(self, request_body, idempotent):
        return self._transport.post(request_body, idempotent=idempotent)

    def _next_message_id(self):
        self._message_id += 1
        return self._message_id

    def _forget_class(self, class_name):
        self._enumerations.pop(class_name, None)
        for cache in (self._instances, self._calls):
            for key in [key for key in cache if key[0] == class_name]:
                del cache[key]

    def _forget_everything(self):
        self._instances.clear()
        self._enumerations.clear()
        self._calls.clear()

    def get(self, class_name, selectors=None):
        key = (class_name, _selector_key(selectors))
        if key not in self._instances:
            request = envelope.get_request(schema.resource_uri(class_name), self._next_message_id(), selectors)
            self._instances[key] = schema.tag_values(parse.parse_instance(self._send(request, True), (class_name, "Get")), class_name)
        return _copy(self._instances[key])

    def enumerate(self, class_name):
        if class_name not in self._enumerations:
            uri = schema.resource_uri(class_name)
            context = (class_name, "Enumerate")
            page = parse.parse_enumeration(self._send(envelope.enumerate_request(uri, self._next_message_id()), True), context)
            items = list(page.items)
            pulls = 0
            while page.context is not None:
                pulls += 1
                if pulls > _MAX_PULLS:
                    raise DeviceError("%s Enumerate: the device never ended the sequence" % class_name, class_name=class_name, method="Pull")
                request = envelope.pull_request(uri, self._next_message_id(), page.context)
                page = parse.parse_enumeration(self._send(request, True), (class_name, "Pull"))
                items.extend(page.items)
            self._enumerations[class_name] = [schema.tag_values(item, class_name) for item in items]
        return _copy(self._enumerations[class_name])

    def put(self, class_name, instance, selectors=None):
        request = envelope.put_request(schema.resource_uri(class_name), class_name, self._next_message_id(), instance, selectors)
        self._forget_class(class_name)
        return parse.parse_instance(self._send(request, False), (class_name, "Put"), required=False)

    def create(self, class_name, instance):
        request = envelope.create_request(schema.resource_uri(class_name), class_name, self._next_message_id(), instance)
        self._forget_everything()
        return parse.parse_created(self._send(request, False), (class_name, "Create"))

    def delete(self, class_name, selectors):
        if not selectors:
            raise InvalidInputError("%s Delete needs selectors naming the instance" % class_name)
        request = envelope.delete_request(schema.resource_uri(class_name), self._next_message_id(), selectors)
        self._forget_everything()
        parse.parse_response(self._send(request, False), (class_name, "Delete"))

    def invoke(self, class_name, method, inputs=None, selectors=None, check=True, idempotent=False, cached=False):
        """Call a method; returns its outputs with ReturnValue as int. check=True raises for a non-zero ReturnValue."""
        if cached:
            key = (class_name, method, json.dumps([inputs, selectors], sort_keys=True, default=str))
            if key not in self._calls:
                self._calls[key] = self._call(class_name, method, inputs, selectors, idempotent=True)
            outputs = _copy(self._calls[key])
        else:
            if not idempotent:
                self._forget_everything()
            outputs = self._call(class_name, method, inputs, selectors, idempotent)
        code = outputs["ReturnValue"]
        if check and code != 0:
            name = schema.return_code_name(class_name, method, code)
            error_class = _ERRORS_BY_KIND.get(schema.error_kind_for(name), DeviceError)
            raise error_class("%s.%s returned %d (%s)" % (class_name, method, code, name),
                              class_name=class_name, method=method, return_value=code, return_name=name)
        return outputs

    def _call(self, class_name, method, inputs, selectors, idempotent):
        request = envelope.invoke_request(schema.resource_uri(class_name), method, self._next_message_id(), inputs, selectors)
        return schema.tag_values(parse.parse_method_output(self._send(request, idempotent), method, (class_name, method)),
                                 "%s.%s" % (class_name, method))

    def close(self):
        self._transport.close()
