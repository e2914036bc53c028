"""The network side seen as CIM ports: CIM_EthernetPort, IPS_LANEndpoint, IPS_HostIPSettings,
IPS_IPv6PortSettings and AMT_Hdr8021Filter.

Values follow go-wsman-messages' recorded responses (pkg/wsman/wsmantesting/responses/cim/ethernetport,
ips/lanendpoint, ips/hostipsettings, ips/ipv6portsettings): MAC addresses as 12 lower-case hex digits, the same
address AMT_EthernetPortSettings reports for the wired port. No 802.1 header filter exists until a console
creates one (creating filters is not modelled), so AMT_Hdr8021Filter enumerates empty.
"""
from __future__ import annotations

from amtsim.model import availability
from amtsim.model.component import Component
from amtsim.types import Instance

_SERVICE_KEYS = {"SystemCreationClassName": "CIM_ComputerSystem", "SystemName": "Intel(r) AMT"}
_UNSPECIFIED_IPV6 = "::"


class NetworkPorts(Component):
    INSTANCES = {
        "CIM_EthernetPort": "_ethernet_instances",
        "IPS_LANEndpoint": "_lan_endpoint_instances",
        "IPS_HostIPSettings": "_host_ip_instances",
        "IPS_IPv6PortSettings": "_ipv6_instances",
        "AMT_Hdr8021Filter": "_filter_instances",
    }

    def _wired_mac(self) -> str:
        # pylint: disable-next=protected-access  # one formula for the MAC, owned by the Ethernet settings
        return self.device.general._mac(0).replace("-", "")

    def _ethernet_instances(self, caller) -> list:
        return [Instance("CIM_EthernetPort", dict(
            _SERVICE_KEYS, CreationClassName="CIM_EthernetPort", Description="Wired0", DeviceID="Intel(r) AMT Ethernet Port 0",
            ElementName="Intel(r) AMT Ethernet Port", EnabledDefault=5, EnabledState=2, LinkTechnology=2, MaxSpeed=2500000000,
            NetworkAddresses=self._wired_mac(), OperationalStatus=0, PortType=53, RequestedState=12, Speed=1000000000))]

    def _lan_endpoint_instances(self, caller) -> list:
        return [Instance("IPS_LANEndpoint", dict(
            _SERVICE_KEYS, CreationClassName="IPS_LANEndpoint", EnabledState=2, LANType=2, MACAddress=self._wired_mac(),
            Name="Intel(r) AMT LAN Endpoint", ProtocolType=0, RequestedState=12))]

    def _host_ip_instances(self, caller) -> list:
        return [Instance("IPS_HostIPSettings", {"DHCPEnabled": False, "ElementName": "Intel(r) AMT: Host IP Settings",
                                                "InstanceID": "Intel(r) AMT: Host IP Settings"})]

    def _ipv6_instances(self, caller) -> list:
        availability.require_class(self.device, "IPS_IPv6PortSettings")
        name = "Intel(r) IPS IPv6 Settings 0"
        keys = ("CurrentDefaultRouter", "CurrentPrimaryDNS", "CurrentSecondaryDNS", "DefaultRouter", "IPv6Address", "PrimaryDNS", "SecondaryDNS")
        addresses = {key: _UNSPECIFIED_IPV6 for key in keys}
        return [Instance("IPS_IPv6PortSettings", dict(addresses, ElementName=name, InstanceID=name, InterfaceIDType=0,
                                                      ManualInterfaceID="0000000000000000"))]

    def _filter_instances(self, caller) -> list:
        return []
