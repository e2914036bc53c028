"""Property completeness: every class in tests/property_tables, enumerated over the wire on a simulated 16.1 device
in each profile the simulator offers, answers instances whose property names are exactly the table's required ones plus any subset of
its optional ones.

Each module of property_tables defines ``TABLE = {class: {"source", "properties", "optional"}}``, built from
Intel's models (go-wsman-messages structs and recorded responses). In factory state only the local interface
answers, as the local system account; a class that account may not read answers AccessDenied and is skipped
there. A class may answer instances of a subclass (CIM_ServiceAvailableToElement, CIM_PhysicalPackage,
CIM_SystemPackaging), so every item of the answer is checked, whatever its element name.
"""
from __future__ import annotations

import importlib
import pkgutil
import random
import xml.etree.ElementTree as ET

import property_tables
import pytest
from conftest import ENUMERATION, NS_ENUM, DigestClient, client_tls_context
from test_fixture_shapes import Session, _request

from amtsim.model.device import PROFILES
from amtsim.types import class_uri

FIRMWARE = "16.1.27.2176"
TABLE_KEYS = {"source", "properties", "optional"}


def load_tables() -> dict:
    """All modules' TABLEs merged; a class described twice is an error."""
    merged = {}
    for module_info in pkgutil.iter_modules(property_tables.__path__):
        table = importlib.import_module(f"property_tables.{module_info.name}").TABLE
        duplicated = set(table) & set(merged)
        assert not duplicated, f"{module_info.name} describes {sorted(duplicated)} again"
        merged.update(table)
    return merged


TABLES = load_tables()


@pytest.fixture(scope="module")
def completeness_pki(tmp_path_factory):
    from amtsim.pki import Pki
    return Pki(tmp_path_factory.mktemp("completeness-pki"))


def _session(device, fleet, pki) -> Session:
    """The admin over the remote interface (TLS where it is served), else the local system account locally."""
    remote = device.listeners()["remote"]
    if device.admin_password and remote["tls"]:
        return Session(DigestClient(fleet.address(), 16993, username=device.admin_username, password=device.admin_password,
                                    tls_context=client_tls_context(pki.ca_cert_pem)))
    if device.admin_password and remote["http"]:
        return Session(DigestClient(fleet.address(), 16992, username=device.admin_username, password=device.admin_password))
    account = device.mei("GetLocalSystemAccount", {})
    return Session(DigestClient(fleet.local_address(), 16992, username=account["username"], password=account["password"]))


def fault_subcode(answer) -> str | None:
    if answer.status == 200:
        return None
    subcode = ET.fromstring(answer.body).find(".//{*}Subcode/{*}Value")
    return "" if subcode is None else subcode.text.rsplit(":", 1)[-1]


def enumerate_items(session: Session, class_name: str):
    """(fault subcode or None, [property names of each item]) for Enumerate + Pull of every item."""
    opened = session.enumerate(class_name)
    if fault_subcode(opened) is not None:
        return fault_subcode(opened), []
    context = ET.fromstring(opened.body).find(".//{%s}EnumerationContext" % NS_ENUM).text
    body = ('<Pull xmlns="%s"><EnumerationContext>%s</EnumerationContext><MaxElements>999</MaxElements></Pull>'
            % (NS_ENUM, context))
    pulled = session.client.post(_request(ENUMERATION + "Pull", class_uri(class_name), body))
    if fault_subcode(pulled) is not None:
        return fault_subcode(pulled), []
    items = ET.fromstring(pulled.body).find(".//{%s}Items" % NS_ENUM)
    return None, [{child.tag.rsplit("}", 1)[-1] for child in item} for item in items]


def mismatch(names: set, table: dict) -> str | None:
    required, optional = set(table["properties"]), set(table["optional"])
    missing, unknown = required - names, names - required - optional
    if missing or unknown:
        return f"missing {sorted(missing)}, not in the table {sorted(unknown)}"
    return None


def test_tables_are_well_formed_and_name_served_classes():
    from amtsim.model.device import _COMPONENT_OF_CLASS
    for class_name, table in TABLES.items():
        assert set(table) == TABLE_KEYS, class_name
        assert isinstance(table["source"], str) and table["source"], class_name
        for key in ("properties", "optional"):
            assert all(isinstance(name, str) for name in table[key]) and len(set(table[key])) == len(table[key]), class_name
        assert not set(table["properties"]) & set(table["optional"]), class_name
        assert class_name in _COMPONENT_OF_CLASS, f"{class_name} has a table but the simulator does not serve it"


@pytest.mark.parametrize("profile", PROFILES)
def test_every_instance_carries_exactly_the_tables_properties(profile, start_fleet, completeness_pki):
    from amtsim.model import Device
    device = Device.new(1 + PROFILES.index(profile), profile, FIRMWARE, random.Random(PROFILES.index(profile)), completeness_pki)
    fleet = start_fleet([device])
    session = _session(device, fleet, completeness_pki)
    problems, answered = {}, 0
    try:
        for class_name, table in sorted(TABLES.items()):
            fault, items = enumerate_items(session, class_name)
            if fault == "AccessDenied" and device.control_mode == "none":
                continue
            if fault is not None:
                problems[class_name] = f"fault {fault}"
                continue
            answered += 1
            for position, names in enumerate(items):
                problem = mismatch(names, table)
                if problem:
                    problems[f"{class_name}[{position}]"] = problem
    finally:
        session.client.close()
    assert not problems, problems
    if device.control_mode != "none":
        assert answered == len(TABLES)
