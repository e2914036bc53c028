"""IPS_ProvisioningRecordLog: the record of the device's provisioning.

Values follow go-wsman-messages' recorded response (pkg/wsman/wsmantesting/responses/ips/provisioningrecordlog):
one record at most (MaxNumberOfRecords 1). The log holds a record while the device is provisioned and none in
factory state (our choice: whether unprovisioning erases it is UNCONFIRMED).
"""
from __future__ import annotations

from amtsim.model.component import Component
from amtsim.types import Instance


class ProvisioningRecord(Component):
    INSTANCES = {"IPS_ProvisioningRecordLog": "_log_instances"}

    def _log_instances(self, caller) -> list:
        return [Instance("IPS_ProvisioningRecordLog", {
            "CurrentNumberOfRecords": int(self.device.control_mode != "none"),
            "ElementName": "Intel(r) AMT Provisioning Record Log", "EnabledState": 2, "HealthState": 0,
            "InstanceID": "Intel(r) AMT: RecordLog 1", "LogState": 4, "MaxNumberOfRecords": 1,
            "Name": "Intel(r) AMT Provisioning Record Log", "OverwritePolicy": 2, "RequestedState": 12,
        })]
