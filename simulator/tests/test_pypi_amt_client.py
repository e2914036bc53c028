"""PyPI's ``amt`` 0.8.0 client (requests + HTTPDigestAuth on port 16992) against simulated CCM and ACM devices."""
import random
import xml.etree.ElementTree as ET

import pytest
import requests
from amt.client import Client

from amtsim.pki import Pki

# AMT 16+ removes the non-TLS remote port once provisioned; the amt client only speaks plain HTTP on 16992.
FIRMWARE = "15.0.23.1706"
KVM_SETTINGS = "http://intel.com/wbem/wscim/1/ips-schema/1/IPS_KVMRedirectionSettingData"


@pytest.fixture(scope="module")
def model_pki(tmp_path_factory):
    return Pki(tmp_path_factory.mktemp("amt-client-pki"))


@pytest.fixture(params=["ccm", "acm"])
def device_and_client(request, start_fleet, model_pki):
    from amtsim.model import Device
    device = Device.new(7, request.param, FIRMWARE, random.Random(7), model_pki)
    fleet = start_fleet([device])
    return device, Client(fleet.address(), device.admin_password, username=device.admin_username, protocol="http")


def test_power_status_and_power_changes(device_and_client):
    _device, client = device_and_client
    assert client.power_status() == "2"
    assert client.power_off() == 0
    assert client.power_status() == "8"
    assert client.power_on() == 0
    assert client.power_status() == "2"
    assert client.power_cycle() == 0
    assert client.power_status() == "2"


def test_pxe_next_boot(device_and_client):
    _device, client = device_and_client
    client.pxe_next_boot()  # raises on any HTTP error or SOAP fault (HTTP 400)


def test_enable_vnc_and_vnc_status(device_and_client):
    device, client = device_and_client
    client.enable_vnc()
    settings = ET.fromstring(client.vnc_status().encode()).find(".//{%s}IPS_KVMRedirectionSettingData" % KVM_SETTINGS)
    assert settings.find("{%s}Is5900PortEnabled" % KVM_SETTINGS).text == "true"
    # The client asks for no user consent; only ACM may waive it, CCM keeps it required.
    expected_policy = "true" if device.control_mode == "ccm" else "false"
    assert settings.find("{%s}OptInPolicy" % KVM_SETTINGS).text == expected_policy


def test_wrong_password_is_an_http_error(device_and_client):
    device, client = device_and_client
    intruder = Client(client.uri.split("//")[1].split(":")[0], "not-" + device.admin_password, protocol="http")
    with pytest.raises(requests.HTTPError) as raised:
        intruder.power_status()
    assert raised.value.response.status_code == 401
