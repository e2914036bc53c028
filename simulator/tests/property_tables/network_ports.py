"""Ports and endpoints (amtsim/model/network_ports.py).

"properties" are those the response recorded in go-wsman-messages (pkg/wsman/wsmantesting/responses)
carries; "optional" the further properties of the class's Go struct, which that recording omits."""
TABLE = {
    "CIM_EthernetPort": {
        "source": "device-management-toolkit/go-wsman-messages:pkg/wsman/cim/ethernetport/types.go",
        "properties": ["CreationClassName", "Description", "DeviceID", "ElementName", "EnabledDefault", "EnabledState",
                       "LinkTechnology", "MaxSpeed", "NetworkAddresses", "OperationalStatus", "PortType",
                       "RequestedState", "Speed", "SystemCreationClassName", "SystemName"],
        "optional": ["Capabilities", "MaxDataSize", "PermanentAddress"],
    },
    "IPS_LANEndpoint": {
        "source": "device-management-toolkit/go-wsman-messages:pkg/wsman/ips/lanendpoint/types.go",
        "properties": ["CreationClassName", "EnabledState", "LANType", "MACAddress", "Name", "ProtocolType",
                       "RequestedState", "SystemCreationClassName", "SystemName"],
        "optional": [],
    },
    "IPS_HostIPSettings": {
        "source": "device-management-toolkit/go-wsman-messages:pkg/wsman/ips/hostipsettings/types.go",
        "properties": ["DHCPEnabled", "ElementName", "InstanceID"],
        "optional": [],
    },
    "IPS_IPv6PortSettings": {
        "source": "device-management-toolkit/go-wsman-messages:pkg/wsman/ips/ipv6portsettings/types.go",
        "properties": ["CurrentDefaultRouter", "CurrentPrimaryDNS", "CurrentSecondaryDNS", "DefaultRouter",
                       "ElementName", "IPv6Address", "InstanceID", "InterfaceIDType", "ManualInterfaceID", "PrimaryDNS",
                       "SecondaryDNS"],
        "optional": [],
    },
    "AMT_Hdr8021Filter": {
        "source": "device-management-toolkit/go-wsman-messages:pkg/wsman/amt/hdr8021filter/types.go",
        "properties": ["CreationClassName", "ElementName", "FilterDirection", "FilterEnabled", "Name",
                       "SystemCreationClassName", "SystemName", "VLANID", "VLANPriority"],
        "optional": [],
    },
}
