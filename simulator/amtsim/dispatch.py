"""Route a parsed WS-Man request to the device model and render its answer.

One ``WsmanEndpoint`` per device: it owns the per-device response MessageID counter and the open enumeration
contexts (GUID-like ids as AMT sends them, e.g. ``E2020000-0000-0000-0000-000000000000``, a little-endian
counter). Choices where no source tells what AMT does (docs/amt-reference.md section 10): a missing Action, To,
MessageID or ResourceURI is ``wsa:MessageInformationHeaderRequired``; a To whose path is not ``/wsman`` and a
ResourceURI outside the AMT/CIM/IPS schemas are ``wsa:DestinationUnreachable``; an Action that is neither a
transfer/enumeration action nor ``<ResourceURI>/<Method>`` is ``wsa:ActionNotSupported``; Pull without
MaxElements returns one item (the WS-Enumeration default); every SOAP fault, Receiver ones included, is sent
with HTTP 400 (the only status GWM decodes as a fault; AMT's status for Receiver faults is unconfirmed).
"""
from __future__ import annotations

import logging
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Callable
from urllib.parse import urlsplit

from amtsim import soap
from amtsim.soap import Reply, WsmanRequest
from amtsim.types import NS_ENUMERATION, NS_TRANSFER, Caller, WsmanFault, class_name_of

LOG = logging.getLogger(__name__)

_TRANSFER_OPERATIONS = {NS_TRANSFER + "/" + name: name.lower() for name in ("Get", "Put", "Create", "Delete")}
_ENUMERATION_OPERATIONS = {NS_ENUMERATION + "/" + name: name.lower() for name in ("Enumerate", "Pull", "Release")}
_OPERATIONS = {**_TRANSFER_OPERATIONS, **_ENUMERATION_OPERATIONS}
_SUPPORTED_ENUMERATION_MODES = (None, "", "EnumerateObject")


@dataclass
class DispatchResult:
    status: int           # 200, or 400 for a SOAP fault
    body: bytes
    operation: str        # get/put/create/delete/enumerate/pull/release/invoke, "" when refused before routing
    method: str | None = None
    items: int = 0

    @property
    def succeeded(self) -> bool:
        return self.status == 200


@dataclass
class _Enumeration:
    class_name: str
    items: list
    position: int
    expires: float


def _context_id(counter: int) -> str:
    return counter.to_bytes(4, "little").hex().upper() + "-0000-0000-0000-000000000000"


class WsmanEndpoint:
    def __init__(self, device, context_lifetime: float = 300.0, max_contexts: int = 16, clock: Callable[[], float] = time.monotonic,
                 first_message_number: int = 1):
        self.device = device
        self._context_lifetime = context_lifetime
        self._max_contexts = max_contexts
        self._clock = clock
        self._message_number = first_message_number
        self._context_number = 0x13
        self._enumerations: OrderedDict = OrderedDict()

    def next_message_id(self) -> str:
        message_id = "uuid:00000000-8086-8086-8086-%012X" % (self._message_number & 0xFFFFFFFFFFFF)
        self._message_number += 1
        return message_id

    def fault_response(self, fault: WsmanFault, relates_to: str | None, operation: str = "") -> DispatchResult:
        return DispatchResult(400, soap.render_fault(fault, relates_to or "", self.next_message_id()), operation)

    def handle(self, request: WsmanRequest, caller: Caller) -> DispatchResult:
        operation = _OPERATIONS.get(request.action or "", "invoke")
        try:
            return self._route(request, caller, operation)
        except WsmanFault as fault:
            return self.fault_response(fault, request.message_id, operation)
        except Exception:  # pylint: disable=broad-except  # a model bug must become a fault, never a dead connection
            LOG.exception("device %s failed on %s", getattr(self.device, "index", "?"), request.action)
            return self.fault_response(WsmanFault("InternalError"), request.message_id, operation)

    def _reply(self, request: WsmanRequest, action: str) -> Reply:
        return Reply(relates_to=request.message_id or "", message_id=self.next_message_id(), action=action,
                     resource_uri=request.resource_uri or "")

    def _route(self, request: WsmanRequest, caller: Caller, operation: str) -> DispatchResult:
        if not (request.action and request.to and request.message_id and request.resource_uri):
            raise WsmanFault("MessageInformationHeaderRequired")
        if urlsplit(request.to).path != "/wsman":
            raise WsmanFault("DestinationUnreachable")
        class_name = class_name_of(request.resource_uri)
        if class_name is None:
            raise WsmanFault("DestinationUnreachable")
        handlers = {
            "get": lambda: self._get(request, caller, class_name),
            "put": lambda: self._put(request, caller, class_name),
            "create": lambda: self._create(request, caller, class_name),
            "delete": lambda: self._delete(request, caller, class_name),
            "enumerate": lambda: self._enumerate(request, caller, class_name),
            "pull": lambda: self._pull(request, class_name),
            "release": lambda: self._release(request, class_name),
            "invoke": lambda: self._invoke(request, caller, class_name),
        }
        return handlers[operation]()

    # --- WS-Transfer ---------------------------------------------------------------------------------------
    def _get(self, request: WsmanRequest, caller: Caller, class_name: str) -> DispatchResult:
        instance = self.device.get(class_name, request.selectors, caller)
        body = soap.render_instance_response(self._reply(request, request.action + "Response"), instance)
        return DispatchResult(200, body, "get")

    def _body_instance(self, request: WsmanRequest, class_name: str):
        if request.body is None:
            raise WsmanFault("InvalidRepresentation")
        instance = soap.parse_instance(request.body)
        if instance.class_name != class_name:
            raise WsmanFault("InvalidRepresentation")
        return instance

    def _put(self, request: WsmanRequest, caller: Caller, class_name: str) -> DispatchResult:
        stored = self.device.put(class_name, request.selectors, self._body_instance(request, class_name), caller)
        body = soap.render_instance_response(self._reply(request, request.action + "Response"), stored)
        return DispatchResult(200, body, "put")

    def _create(self, request: WsmanRequest, caller: Caller, class_name: str) -> DispatchResult:
        created = self.device.create(class_name, self._body_instance(request, class_name), caller)
        body = soap.render_created_response(self._reply(request, request.action + "Response"), created)
        return DispatchResult(200, body, "create")

    def _delete(self, request: WsmanRequest, caller: Caller, class_name: str) -> DispatchResult:
        self.device.delete(class_name, request.selectors, caller)
        return DispatchResult(200, soap.render_empty_response(self._reply(request, request.action + "Response")), "delete")

    # --- custom methods ------------------------------------------------------------------------------------
    def _invoke(self, request: WsmanRequest, caller: Caller, class_name: str) -> DispatchResult:
        prefix = request.resource_uri + "/"
        method = request.action[len(prefix):] if request.action.startswith(prefix) else ""
        if not method or "/" in method:
            raise WsmanFault("ActionNotSupported")
        if request.body is not None and soap.local_name(request.body.tag) != method + "_INPUT":
            raise WsmanFault("SchemaValidationError")
        result = self.device.invoke(class_name, method, request.selectors, soap.parse_inputs(request.body), caller)
        body = soap.render_method_response(self._reply(request, request.action + "Response"), request.resource_uri, method, result)
        return DispatchResult(200, body, "invoke", method=method)

    # --- WS-Enumeration ------------------------------------------------------------------------------------
    def _expire_contexts(self) -> None:
        now = self._clock()
        for context in [context for context, state in self._enumerations.items() if state.expires < now]:
            del self._enumerations[context]

    def _open_context(self, class_name: str, items: list, position: int) -> str:
        self._context_number = (self._context_number + 1) & 0xFFFFFFFF
        context = _context_id(self._context_number)
        self._enumerations[context] = _Enumeration(class_name, items, position, self._clock() + self._context_lifetime)
        while len(self._enumerations) > self._max_contexts:
            self._enumerations.popitem(last=False)
        return context

    def _open_enumeration(self, request: WsmanRequest, class_name: str) -> _Enumeration:
        self._expire_contexts()
        state = self._enumerations.get(request.enumeration_context or "")
        if state is None or state.class_name != class_name:
            raise WsmanFault("InvalidEnumerationContext")
        return state

    def _enumerate(self, request: WsmanRequest, caller: Caller, class_name: str) -> DispatchResult:
        if request.body is None or request.body.tag != "{%s}Enumerate" % NS_ENUMERATION:
            raise WsmanFault("SchemaValidationError")
        if request.has_filter:
            raise WsmanFault("CannotProcessFilter")
        if request.enumeration_mode not in _SUPPORTED_ENUMERATION_MODES:
            raise WsmanFault("UnsupportedFeature")
        self._expire_contexts()
        items = list(self.device.enumerate(class_name, caller))
        reply = self._reply(request, request.action + "Response")
        if not request.optimize_enumeration:
            context = self._open_context(class_name, items, 0)
            return DispatchResult(200, soap.render_enumerate_response(reply, context, None, False), "enumerate")
        first = items[:request.max_elements or 1]
        finished = len(first) == len(items)
        context = self._open_context(class_name, items, len(first))
        if finished:
            del self._enumerations[context]
        body = soap.render_enumerate_response(reply, context, first, finished)
        return DispatchResult(200, body, "enumerate", items=len(first))

    def _pull(self, request: WsmanRequest, class_name: str) -> DispatchResult:
        context = request.enumeration_context
        state = self._open_enumeration(request, class_name)
        page = state.items[state.position:state.position + (request.max_elements or 1)]
        if request.max_characters is not None:
            page = self._within_characters(page, request.max_characters)
        state.position += len(page)
        finished = state.position >= len(state.items)
        if finished:
            del self._enumerations[context]
        else:
            state.expires = self._clock() + self._context_lifetime
        body = soap.render_pull_response(self._reply(request, request.action + "Response"), None if finished else context, page)
        return DispatchResult(200, body, "pull", items=len(page))

    @staticmethod
    def _within_characters(page: list, max_characters: int) -> list:
        kept, used = [], 0
        for item in page:
            used += soap.rendered_size(item)
            if used > max_characters:
                break
            kept.append(item)
        if page and not kept:
            raise WsmanFault("EncodingLimit")
        return kept

    def _release(self, request: WsmanRequest, class_name: str) -> DispatchResult:
        self._open_enumeration(request, class_name)
        del self._enumerations[request.enumeration_context]
        return DispatchResult(200, soap.render_empty_response(self._reply(request, request.action + "Response")), "release")
