"""Hardware asset inventory: the platform as the BIOS reported it to the firmware at the last boot.

CIM_Chassis, CIM_Card, CIM_PhysicalPackage, CIM_Chip, CIM_Processor, CIM_PhysicalMemory, CIM_MediaAccessDevice,
CIM_ComputerSystemPackage, CIM_SystemPackaging, CIM_BIOSElement, CIM_BIOSFeature, CIM_Battery, CIM_Fan, CIM_Sensor,
AMT_AssetTableService and AMT_AssetTable.

Property names, key values and value formats follow the responses recorded in go-wsman-messages
(pkg/wsman/wsmantesting/responses/cim/...): enumerating CIM_PhysicalPackage answers the CIM_Card instance and
CIM_SystemPackaging the CIM_ComputerSystemPackage instance, in their own classes' namespaces. The platforms are
desktops (no battery, so CIM_Battery enumerates empty); the one before CSME 16 is the recorded NUC, the newer
one is ours. Serial numbers come from the device's UUID, so a device keeps its identity across restarts.
"""
from __future__ import annotations

import base64
import hashlib
import struct
import uuid as uuid_module
from dataclasses import dataclass

from amtsim.model.component import Component
from amtsim.types import EPR, Datetime, Instance, class_uri

MANAGED_SYSTEM = "ManagedSystem"
ASSET_TABLE_TYPES = (130, 131)  # Intel's OEM SMBIOS structures, as AMT_AssetTableService lists them


@dataclass(frozen=True)
class Platform:
    first_major: int
    chassis: tuple        # (manufacturer, model, version)
    board: tuple          # (manufacturer, model, version)
    processor: str
    clock_mhz: tuple      # (current, max)
    stepping: int
    memory: tuple         # (part number, manufacturer id, capacity bytes, MHz, memory type)
    disks_kb: tuple
    bios: tuple           # (version, release date)
    bios_features: tuple  # (product, identifying number)


_PLATFORMS = (
    Platform(0, ("Intel(R) Client Systems", "NUC9V7QNX", "K47174-402"), ("Intel Corporation", "NUC9V7QNB", "K47180-402"),
             "Intel(R) Core(TM) i7-9850H CPU @ 2.60GHz", (2400, 8300), 13,
             ("CT16G4SFD824A.M16FE", "859B", 17179869184, 2400, 26), (960197124, 500107862),
             ("QNCFLX70.0054.2020.0810.2227", "2020-08-10T00:00:00Z"), ("NUC9V7QNB", "K47180-402")),
    Platform(16, ("Intel(R) Client Systems", "NUC13ANKi7", "M89904-202"), ("Intel Corporation", "NUC13ANBi7", "M89903-202"),
             "13th Gen Intel(R) Core(TM) i7-1360P", (2200, 5000), 2,
             ("CT16G4SFRA32A.C8FE", "859B", 17179869184, 3200, 26), (1000204886,),
             ("ANRPL357.0027.2023.0607.1754", "2023-06-07T00:00:00Z"), ("NUC13ANBi7", "M89903-202")),
)


def _platform(firmware) -> Platform:
    return [platform for platform in _PLATFORMS if firmware.major >= platform.first_major][-1]


def _computer_system() -> EPR:
    return EPR(class_uri("CIM_ComputerSystem"), (("CreationClassName", "CIM_ComputerSystem"), ("Name", MANAGED_SYSTEM)))


def _device_keys(class_name: str, device_id: str) -> dict:
    return {"CreationClassName": class_name, "DeviceID": device_id, "SystemCreationClassName": "CIM_ComputerSystem",
            "SystemName": MANAGED_SYSTEM}


class Inventory(Component):
    INSTANCES = {
        "CIM_Chassis": "_chassis_instances",
        "CIM_Card": "_card_instances",
        "CIM_PhysicalPackage": "_card_instances",
        "CIM_Chip": "_chip_instances",
        "CIM_Processor": "_processor_instances",
        "CIM_PhysicalMemory": "_memory_instances",
        "CIM_MediaAccessDevice": "_media_instances",
        "CIM_ComputerSystemPackage": "_package_instances",
        "CIM_SystemPackaging": "_package_instances",
        "CIM_BIOSElement": "_bios_instances",
        "CIM_BIOSFeature": "_bios_feature_instances",
        "CIM_Battery": "_battery_instances",
        "CIM_Fan": "_fan_instances",
        "CIM_Sensor": "_sensor_instances",
        "AMT_AssetTableService": "_asset_service_instances",
        "AMT_AssetTable": "_asset_table_instances",
    }

    @property
    def platform(self) -> Platform:
        return _platform(self.device.firmware)

    def _serial(self, part: str, length: int = 12) -> str:
        digest = hashlib.sha256(f"{part}:{self.device.uuid}".encode()).hexdigest().upper()
        return digest[:length]

    def platform_guid(self) -> str:
        """The SMBIOS form of the device UUID: the first three fields little-endian, upper-case hex."""
        return uuid_module.UUID(self.device.uuid).bytes_le.hex().upper()

    # --- packages -----------------------------------------------------------------------------------------
    def _chassis_instances(self, caller) -> list:
        manufacturer, model, version = self.platform.chassis
        return [Instance("CIM_Chassis", {
            "ChassisPackageType": 0, "CreationClassName": "CIM_Chassis", "ElementName": "Managed System Chassis",
            "Manufacturer": manufacturer, "Model": model, "OperationalStatus": 0, "PackageType": 3,
            "SerialNumber": self._serial("chassis"), "Tag": "CIM_Chassis", "Version": version,
        })]

    def _card_instances(self, caller) -> list:
        manufacturer, model, version = self.platform.board
        return [Instance("CIM_Card", {
            "CanBeFRUed": True, "CreationClassName": "CIM_Card", "ElementName": "Managed System Base Board",
            "Manufacturer": manufacturer, "Model": model, "OperationalStatus": 0, "PackageType": 9,
            "SerialNumber": self._serial("board"), "Tag": "CIM_Card", "Version": version,
        })]

    def _package_instances(self, caller) -> list:
        chassis = EPR(class_uri("CIM_Chassis"), (("CreationClassName", "CIM_Chassis"), ("Tag", "CIM_Chassis")))
        return [Instance("CIM_ComputerSystemPackage", {"Antecedent": chassis, "Dependent": _computer_system(),
                                                       "PlatformGUID": self.platform_guid()})]

    # --- processor and memory -----------------------------------------------------------------------------
    def _chip_instances(self, caller) -> list:
        return [Instance("CIM_Chip", {
            "CanBeFRUed": True, "CreationClassName": "CIM_Chip", "ElementName": "Managed System Processor Chip",
            "Manufacturer": "Intel(R) Corporation", "OperationalStatus": 0, "Tag": "CPU 0", "Version": self.platform.processor,
        })]

    def _processor_instances(self, caller) -> list:
        current, maximum = self.platform.clock_mhz
        props = _device_keys("CIM_Processor", "CPU 0")
        props.update(CPUStatus=1, CurrentClockSpeed=current, ElementName="Managed System CPU", EnabledState=2,
                     ExternalBusClockSpeed=100, Family=198, HealthState=0, MaxClockSpeed=maximum, OperationalStatus=0,
                     OtherFamilyDescription="", RequestedState=12, Role="Central", Stepping=self.platform.stepping,
                     UpgradeMethod=52)
        return [Instance("CIM_Processor", props)]

    def _memory_instances(self, caller) -> list:
        part, manufacturer, capacity, speed, memory_type = self.platform.memory
        return [Instance("CIM_PhysicalMemory", {
            "BankLabel": f"BANK {bank}", "Capacity": capacity, "ConfiguredMemoryClockSpeed": speed,
            "CreationClassName": "CIM_PhysicalMemory", "ElementName": "Managed System Memory Chip", "FormFactor": 13,
            "IsSpeedInMhz": True, "Manufacturer": manufacturer, "MaxMemorySpeed": speed, "MemoryType": memory_type,
            "PartNumber": part, "SerialNumber": self._serial(f"dimm{bank}", 8), "Speed": 0,
            "Tag": "9876543210" + (f" (#{position})" if position else ""),
        }) for position, bank in enumerate((0, 2))]

    def _media_instances(self, caller) -> list:
        instances = []
        for index, size in enumerate(self.platform.disks_kb):
            props = _device_keys("CIM_MediaAccessDevice", f"MEDIA DEV {index}")
            props.update(Capabilities=4, ElementName="Managed System Media Access Device", EnabledDefault=2, EnabledState=0,
                         MaxMediaSize=size, OperationalStatus=0, RequestedState=12, Security=2)
            instances.append(Instance("CIM_MediaAccessDevice", props))
        return instances

    # --- firmware -----------------------------------------------------------------------------------------
    def _bios_instances(self, caller) -> list:
        version, released = self.platform.bios
        return [Instance("CIM_BIOSElement", {
            "ElementName": "Primary BIOS", "Manufacturer": "Intel Corp.", "Name": "Primary BIOS", "OperationalStatus": 0,
            "PrimaryBIOS": True, "ReleaseDate": Datetime(released), "SoftwareElementID": version, "SoftwareElementState": 2,
            "TargetOperatingSystem": 66, "Version": version,
        })]

    def _bios_feature_instances(self, caller) -> list:
        product, number = self.platform.bios_features
        return [Instance("CIM_BIOSFeature", {
            "Characteristics": [7, 11, 12, 27, 28, 29, 31], "ElementName": "Primary BIOS Features",
            "IdentifyingNumber": number, "Name": "Primary BIOS Features", "OperationalStatus": 0, "ProductName": product,
            "Vendor": self.platform.chassis[0], "Version": number,
        })]

    # --- cooling, sensors, power source -------------------------------------------------------------------
    def _battery_instances(self, caller) -> list:
        return []  # desktops: the class exists and holds no instance

    def _fan_instances(self, caller) -> list:
        props = _device_keys("CIM_Fan", "Fan 0")
        props.update(ActiveCooling=True, DesiredSpeed=0, ElementName="Fan", EnabledState=5, HealthState=5, OperationalStatus=2,
                     RequestedState=12, VariableSpeed=False)
        return [Instance("CIM_Fan", props)]

    def _sensor_instances(self, caller) -> list:
        props = _device_keys("CIM_Sensor", "Sensor 1")
        props.update(CurrentState="Unknown", ElementName="Sensor", EnabledState=5, HealthState=5, OperationalStatus=2,
                     PossibleStates=["Bad", "Good", "Unknown"], RequestedState=12, SensorType=0)
        return [Instance("CIM_Sensor", props)]

    # --- raw SMBIOS tables --------------------------------------------------------------------------------
    def _asset_service_instances(self, caller) -> list:
        return [Instance("AMT_AssetTableService", {
            "CreationClassName": "AMT_AssetTableService", "ElementName": "Intel(r) AMT Asset Table Service",
            "Name": "Intel(r) AMT Asset Table Service", "SystemCreationClassName": "CIM_ComputerSystem",
            "SystemName": "Intel(r) AMT", "TableTypes": [f"SMbios:{table}" for table in ASSET_TABLE_TYPES],
        })]

    def _asset_table_instances(self, caller) -> list:
        return [Instance("AMT_AssetTable", {
            "ElementName": "Intel(r) AMT Asset Table", "InstanceID": f"Intel(r) AMT Asset Table {index}",
            "TableData": base64.b64encode(self._smbios_structure(table, index)).decode(), "TableType": table,
            "TableTypeInfo": "SMbios",
        }) for index, table in enumerate(ASSET_TABLE_TYPES)]

    def _smbios_structure(self, table: int, handle: int) -> bytes:
        """An SMBIOS structure header (type, length, handle) with a formatted area derived from the device."""
        formatted = hashlib.sha256(f"smbios{table}:{self.device.uuid}".encode()).digest()[:16]
        return struct.pack("<BBH", table, 4 + len(formatted), handle) + formatted + b"\x00\x00"
