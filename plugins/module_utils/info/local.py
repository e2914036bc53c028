# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""amt_info on the managed host itself: the management engine (MEI) and the local manageability service (LMS).

A device that was never provisioned keeps its network interface closed, so over the network it looks like a machine
that is switched off. Locally it still answers: the MEI tells its state without any credentials, and the LMS accepts
the local system account the MEI hands out, which may read the firmware, provisioning and general facts. With the
admin's (or another account's) password the LMS serves every subset that account may read. What the account may not
read is reported as unreadable instead of failing the task.
"""

from __future__ import annotations

from ansible_collections.oob.amt.plugins.module_utils.info.gather import gather
from ansible_collections.oob.amt.plugins.module_utils.units.provisioning import LocalInterface, check_identity, read_host
from ansible_collections.oob.amt.plugins.module_utils.wsman.errors import NotPermittedError

LOCAL_SYSTEM_ACCOUNT = "local system account"
AMT_DISABLED = "Intel AMT is disabled in the BIOS, so the management engine serves no WS-Man interface"


def management_engine_facts(host):
    """What the management engine reports over the MEI, without credentials (amt.management_engine)."""
    return {
        "uuid": host["uuid"],
        "firmware_version": host["firmware_version"],
        "provisioning_state": host["provisioning_state"],
        "control_mode": host["control_mode"],
        "amt_enabled": host["amt_enabled"] if host["new_interface"] else None,
        "local_tls_enforced": host["local_tls_enforced"],
    }


def gather_readable(client, subsets):
    """(facts, unreadable): each subset the account may read, and {subset, reason} for each one the device refuses it."""
    facts, unreadable = {}, []
    for subset in subsets:
        try:
            facts.update(gather(client, [subset]))
        except NotPermittedError as error:
            unreadable.append({"subset": subset, "reason": "the account may not read it: %s" % error})
    return facts, unreadable


class LocalReading:
    """One local read: the MEI first, then an LMS session as the given account or the local system account."""

    def __init__(self, mei, lms_hostname, connection):
        """connection: the task's connection options (username, password, validate_certs, ca_path, cert_fingerprint,
        timeout, expected_uuid)."""
        self.mei = mei
        self.lms_hostname = lms_hostname
        self.connection = connection
        self.local = None
        self.client = None
        self.account = None

    def read(self, subsets):
        """(management engine facts, subset facts, unreadable subsets); raises AmtError when the MEI or the LMS fails."""
        host = read_host(self.mei)
        check_identity(host, self.connection["expected_uuid"])
        engine = management_engine_facts(host)
        if engine["amt_enabled"] is False:
            return engine, {}, [{"subset": subset, "reason": AMT_DISABLED} for subset in subsets]
        params = self.connection
        self.local = LocalInterface(self.lms_hostname, host["local_tls_enforced"], validate_certs=params["validate_certs"],
                                    ca_path=params["ca_path"], cert_fingerprint=params["cert_fingerprint"], timeout=params["timeout"])
        if params["password"]:
            username, password, self.account = params["username"], params["password"], params["username"]
        else:
            username, password = self.mei.get_local_system_account()
            self.account = LOCAL_SYSTEM_ACCOUNT
        self.client = self.local.session(username, password)
        facts, unreadable = gather_readable(self.client, subsets)
        engine["lms_account"] = self.account
        return engine, facts, unreadable

    @property
    def request_count(self):
        return 0 if self.client is None else self.client.request_count

    def close(self):
        if self.local is not None:
            self.local.close()
