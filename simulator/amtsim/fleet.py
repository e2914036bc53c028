"""A fleet of simulated devices: who they are, where they listen, and how they survive a restart.

State directory layout::

    fleet.json            the options the fleet was created with (they win over the command line on a restart)
    devices/NNNN.json     device.to_state() of device NNNN (1-based), replaced atomically
    mei/NNNN.sock         the device's AMTHI socket (amtsim.mei)
    ca.pem, pki/          certificates (amtsim.pki)

Device ``i`` (1-based) listens remotely on ``first_address + i - 1`` and locally (the LMS-style endpoint) on
``local_first_address + i - 1``.

Profile ``mixed``: 40 % factory, 30 % CCM and 30 % ACM devices (counts rounded down, the rest factory), in an order
shuffled by the seed, so the same seed and size always give the same fleet. Each device gets its own random
generator seeded from the fleet seed and its index, so a device does not change when the fleet size does.
"""
from __future__ import annotations

import asyncio
import dataclasses
import ipaddress
import json
import os
import random
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import yaml

from amtsim.model import Device
from amtsim.pki import Pki

PROFILES = ("factory", "ccm", "acm", "mixed")
MIXED_SHARES = (("ccm", 0.3), ("acm", 0.3))
LOOPBACK = ipaddress.ip_network("127.0.0.0/8")
HTTP_PORT = 16992
TLS_PORT = 16993
# Changes arriving within this window are written together.
FLUSH_DELAY_SECONDS = 0.2


@dataclasses.dataclass(frozen=True)
class FleetOptions:
    devices: int = 1
    profile: str = "factory"
    firmware: str = "16.1.27.2176"
    seed: int = 0
    first_address: str = "127.77.0.1"
    local_first_address: str = "127.78.0.1"

    def validate(self) -> None:
        if self.devices < 1:
            raise ValueError("a fleet has at least one device")
        if self.profile not in PROFILES:
            raise ValueError(f"profile must be one of {', '.join(PROFILES)}")
        for first in (self.first_address, self.local_first_address):
            start = ipaddress.ip_address(first)
            if start not in LOOPBACK or start + (self.devices - 1) not in LOOPBACK:
                raise ValueError(f"{self.devices} addresses from {first} leave the loopback range 127.0.0.0/8")


def device_profiles(options: FleetOptions) -> list:
    """The profile of every device, in index order."""
    if options.profile != "mixed":
        return [options.profile] * options.devices
    profiles = []
    for profile, share in MIXED_SHARES:
        profiles += [profile] * int(options.devices * share)
    profiles += ["factory"] * (options.devices - len(profiles))
    random.Random(f"amtsim-mixed:{options.seed}").shuffle(profiles)
    return profiles


def device_rng(seed: int, index: int) -> random.Random:
    return random.Random(f"amtsim-device:{seed}:{index}")


def _write_atomically(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


@dataclasses.dataclass
class Member:
    """One device and its addresses."""

    device: Device
    remote_address: str
    local_address: str
    mei_socket: Path

    @property
    def name(self) -> str:
        return f"amt-{self.device.index:04d}"


class Fleet:
    """The devices of one state directory. Use :meth:`open`."""

    def __init__(self, state_dir: Path, options: FleetOptions, pki: Pki, members: list, inventory_path: Path | None):
        self.state_dir = state_dir
        self.options = options
        self.pki = pki
        self.members = members
        self.inventory_path = inventory_path
        self._by_device = {id(member.device): member for member in members}
        self._pending: dict = {}
        self._flush_handle: asyncio.TimerHandle | None = None
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="amtsim-state")
        self._inventory_view = self._inventory_fingerprint()

    @classmethod
    def open(cls, state_dir, requested: FleetOptions, inventory_path=None) -> "Fleet":
        """Resume the fleet stored in ``state_dir``, or create one from ``requested`` when there is none."""
        state_dir = Path(state_dir)
        (state_dir / "devices").mkdir(parents=True, exist_ok=True)
        options_path = state_dir / "fleet.json"
        if options_path.exists():
            options = FleetOptions(**json.loads(options_path.read_text()))
        else:
            options = requested
        options.validate()
        pki = Pki(state_dir)
        first_remote = ipaddress.ip_address(options.first_address)
        first_local = ipaddress.ip_address(options.local_first_address)
        members, created = [], []
        for offset, profile in enumerate(device_profiles(options)):
            index = offset + 1
            state_path = state_dir / "devices" / f"{index:04d}.json"
            if state_path.exists():
                device = Device.from_state(json.loads(state_path.read_text()), pki)
            else:
                device = Device.new(index, profile, options.firmware, device_rng(options.seed, index), pki)
                created.append(device)
            member = Member(device, str(first_remote + offset), str(first_local + offset),
                            state_dir / "mei" / f"{index:04d}.sock")
            # The device names these in its TLS certificate.
            device.addresses = [member.remote_address, member.local_address]
            members.append(member)
        fleet = cls(state_dir, options, pki, members, Path(inventory_path) if inventory_path else None)
        for device in created:
            fleet._pending[device.index] = device
        states = fleet._collect_pending()[0]
        # New devices are written in the background while the listeners start.
        fleet._writer.submit(fleet._write_all, states, None)
        _write_atomically(options_path, json.dumps(dataclasses.asdict(options), indent=2).encode())
        fleet.write_inventory()
        return fleet

    def member_of(self, device) -> Member:
        return self._by_device[id(device)]

    # --- persistence ---------------------------------------------------------------------------------------
    def on_change(self, device) -> None:
        """Called by the network and MEI layers after a request changed ``device``; the write is batched."""
        self._pending[device.index] = device
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.flush()
            return
        if self._flush_handle is None:
            self._flush_handle = loop.call_later(FLUSH_DELAY_SECONDS, self._flush_in_background)

    def _collect_pending(self) -> tuple:
        """Snapshot the pending devices (on the caller's thread) and whether the inventory must be rewritten."""
        states = []
        for index, device in sorted(self._pending.items()):
            states.append((index, device.to_state()))
            device.dirty = False
        self._pending.clear()
        view = self._inventory_fingerprint()
        inventory_changed = view != self._inventory_view
        self._inventory_view = view
        return states, (self._inventory_document() if inventory_changed else None)

    def _flush_in_background(self) -> None:
        self._flush_handle = None
        states, inventory = self._collect_pending()
        self._writer.submit(self._write_all, states, inventory)

    def flush(self) -> None:
        """Write every pending or dirty device, the inventory when it changed and newly issued certificates;
        waits for the writes."""
        if self._flush_handle is not None:
            self._flush_handle.cancel()
            self._flush_handle = None
        for member in self.members:
            if member.device.dirty:
                self._pending[member.device.index] = member.device
        states, inventory = self._collect_pending()
        self.pki.save()
        self._writer.submit(self._write_all, states, inventory).result()

    def close(self) -> None:
        self.flush()
        self._writer.shutdown(wait=True)

    def _write_all(self, states: list, inventory: str | None) -> None:
        for index, state in states:
            self._write_device(index, state)
        if inventory is not None:
            self._write_inventory_text(inventory)

    def _write_device(self, index: int, state: dict) -> None:
        _write_atomically(self.state_dir / "devices" / f"{index:04d}.json", json.dumps(state).encode())

    # --- inventory -----------------------------------------------------------------------------------------
    def _inventory_fingerprint(self) -> tuple:
        return tuple((m.device.control_mode, m.device.admin_username, m.device.admin_password,
                      m.device.listeners()["remote"]["tls"]) for m in self.members)

    def _inventory_document(self) -> str | None:
        if self.inventory_path is None:
            return None
        hosts = {}
        for member in self.members:
            device = member.device
            host = {
                "amt_hostname": member.remote_address,
                "amt_http_port": HTTP_PORT,
                "amt_tls_port": TLS_PORT,
                "amt_use_tls": bool(device.listeners()["remote"]["tls"]),
                "amt_local_hostname": member.local_address,
                "amt_mei_socket": str(member.mei_socket),
                "amt_uuid": device.uuid,
                "amt_digest_realm": device.digest_realm,
                "amt_control_mode": device.control_mode,
                "amt_firmware": str(device.firmware),
            }
            if device.control_mode != "none" and device.admin_username is not None:
                host["amt_username"] = device.admin_username
                host["amt_password"] = device.admin_password
            hosts[member.name] = host
        document = {"all": {"children": {"amt": {
            "hosts": hosts,
            "vars": {
                "ansible_connection": "local",
                "ansible_python_interpreter": "{{ ansible_playbook_python }}",
                "amt_ca_path": str(self.pki.ca_path),
                "amt_provisioning_cert": str(self.pki.provisioning_pkcs12_path),
                "amt_provisioning_cert_password": self.pki.provisioning_pkcs12_password,
                "amt_dns_suffix": self.pki.dns_suffix,
            },
        }}}}
        return yaml.dump(document, Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper), sort_keys=False,
                         default_flow_style=False)

    def write_inventory(self) -> None:
        document = self._inventory_document()
        if document is not None:
            self._write_inventory_text(document)

    def _write_inventory_text(self, text: str) -> None:
        self.inventory_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.inventory_path.with_name(self.inventory_path.name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
        os.replace(tmp, self.inventory_path)
