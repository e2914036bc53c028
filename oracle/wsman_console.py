"""A minimal console around Intel's wsman-messages builder: the node builder writes each request, this sends it with
HTTP Digest (over TLS verified by the simulator CA, or plain HTTP) and reads the answer with defusedxml."""
from __future__ import annotations

import json
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import requests
from defusedxml import ElementTree
from requests.auth import HTTPDigestAuth

from results import CheckFailed

BUILDER = Path(__file__).with_name("wsman_messages_builder.js")
HTTP_TIMEOUT_S = 30
MAX_PULLS = 20
MAX_RESPONSE_BYTES = 4 * 1024 * 1024
SCHEMAS = ("AMT", "CIM", "IPS")
ACTION = re.compile(r"<a:Action>[^<]*/(\w+)</a:Action>")


def local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def properties(element) -> dict:
    """An instance's properties by local name; a repeated property becomes a list."""
    found: dict = {}
    for child in element:
        value = child.text if len(child) == 0 else child
        name = local(child.tag)
        if name in found:
            found[name] = (found[name] if isinstance(found[name], list) else [found[name]]) + [value]
        else:
            found[name] = value
    return found


def descendants(element, name: str) -> list:
    return [node for node in element.iter() if local(node.tag) == name]


def selector_value(reference, name: str) -> str | None:
    for selector in descendants(reference, "Selector"):
        if selector.get("Name") == name:
            return selector.text
    return None


class Builder:
    """The node process holding wsman-messages; one request per line."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(["node", str(BUILDER)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        text=True, cwd=BUILDER.parent)

    def envelope(self, class_name: str, method: str, *args) -> str:
        schema, _separator, short_name = class_name.partition("_")
        if schema not in SCHEMAS:
            raise ValueError(f"{class_name}: not an AMT_, CIM_ or IPS_ class")
        self.process.stdin.write(json.dumps({"schema": schema, "class": short_name, "method": method, "args": list(args)}) + "\n")
        self.process.stdin.flush()
        answer = json.loads(self.process.stdout.readline() or '{"error": "the builder process ended"}')
        if "error" in answer:
            raise CheckFailed(f"wsman-messages cannot build {class_name}.{method}: {answer['error']}")
        return answer["envelope"]

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(10)


@dataclass
class Console:
    builder: Builder
    target: object

    def __post_init__(self) -> None:
        scheme = "https" if self.target.tls else "http"
        self.url = f"{scheme}://{self.target.host}:{self.target.port}/wsman"
        self.session = requests.Session()
        self.session.trust_env = False
        self.session.auth = HTTPDigestAuth(self.target.username, self.target.password)
        self.session.verify = self.target.ca_path if self.target.tls else True

    def close(self) -> None:
        self.session.close()

    def send(self, class_name: str, method: str, *args):
        """The first element in the answer's Body, or CheckFailed naming the HTTP status and SOAP fault."""
        return self._post(class_name, method, self.builder.envelope(class_name, method, *args))

    def delete(self, class_name: str, selector: dict) -> None:
        """WS-Transfer Delete: its answer is an empty Body under a DeleteResponse action."""
        root = self._answer(class_name, "Delete", self.builder.envelope(class_name, "Delete", selector))
        actions = [node.text or "" for node in descendants(root, "Action")]
        if not actions or not actions[0].endswith("/DeleteResponse"):
            raise CheckFailed(f"{class_name}.Delete answered action {actions[0] if actions else None}")

    def _post(self, class_name: str, method: str, envelope: str):
        root = self._answer(class_name, method, envelope)
        bodies = descendants(root, "Body")
        if not bodies or len(bodies[0]) == 0:
            raise CheckFailed(f"{class_name}.{method}: HTTP 200 without a SOAP Body element")
        return bodies[0][0]

    def _answer(self, class_name: str, method: str, envelope: str):
        """The parsed answer of a 200; CheckFailed for anything else."""
        try:
            response = self.session.post(self.url, data=envelope.encode(), timeout=HTTP_TIMEOUT_S,
                                         headers={"Content-Type": "application/soap+xml;charset=UTF-8"})
        except requests.RequestException as error:
            raise CheckFailed(f"{class_name}.{method}: {type(error).__name__}: {error}") from None
        if len(response.content) > MAX_RESPONSE_BYTES:
            raise CheckFailed(f"{class_name}.{method}: answer of {len(response.content)} bytes")
        root = None
        if response.content:
            try:
                root = ElementTree.fromstring(response.content)
            except ElementTree.ParseError as error:
                raise CheckFailed(f"{class_name}.{method}: HTTP {response.status_code}, unparsable answer ({error})") from None
        if response.status_code != 200:
            raise CheckFailed(f"{class_name}.{method}: HTTP {response.status_code}{_fault(root)}")
        if root is None:
            raise CheckFailed(f"{class_name}.{method}: HTTP 200 with an empty answer")
        return root

    def get(self, class_name: str) -> dict:
        answer = self.send(class_name, "Get")
        if local(answer.tag) != class_name:
            raise CheckFailed(f"{class_name}.Get answered {local(answer.tag)}")
        return properties(answer)

    def enumerate(self, class_name: str) -> list:
        answer = self.send(class_name, "Enumerate")
        contexts = descendants(answer, "EnumerationContext")
        if local(answer.tag) != "EnumerateResponse" or not contexts:
            raise CheckFailed(f"{class_name}.Enumerate answered {local(answer.tag)} without an EnumerationContext")
        context, items = contexts[0].text, []
        for _pull in range(MAX_PULLS):
            pulled = self.send(class_name, "Pull", context)
            if local(pulled.tag) != "PullResponse":
                raise CheckFailed(f"{class_name}.Pull answered {local(pulled.tag)}")
            for container in descendants(pulled, "Items"):
                items.extend(properties(item) for item in container)
            if descendants(pulled, "EndOfSequence"):
                return items
            context = descendants(pulled, "EnumerationContext")[0].text
        raise CheckFailed(f"{class_name}: no EndOfSequence after {MAX_PULLS} pulls")

    def invoke(self, class_name: str, method: str, *args) -> dict:
        """A method's output properties; CheckFailed unless its ReturnValue is 0. The builder's method name may differ
        from the one on the wire (AddMPS sends AddMpServer): the answer must name the action sent."""
        envelope = self.builder.envelope(class_name, method, *args)
        action = ACTION.search(envelope)
        answer = self._post(class_name, method, envelope)
        if action is None or local(answer.tag) != f"{action.group(1)}_OUTPUT":
            raise CheckFailed(f"{class_name}.{method} answered {local(answer.tag)}")
        output = properties(answer)
        if output.get("ReturnValue") != "0":
            raise CheckFailed(f"{class_name}.{method} ReturnValue {output.get('ReturnValue')}")
        return output


def _fault(root) -> str:
    if root is None:
        return ""
    values = [node.text for node in descendants(root, "Value") if node.text]
    texts = [node.text for node in descendants(root, "Text") if node.text]
    detail = values[-1] if values else (texts[0][:80] if texts else "")
    return f" {detail}" if detail else ""
