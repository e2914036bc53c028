"""A fleet of simulated devices: who they are, where they listen, and how they survive a restart.

State directory layout (directories 0700, files 0600: device states hold digest hashes and passwords)::

    fleet.json            the options the fleet was created with (they win over the command line on a restart)
    devices/NNNN.json     device.to_state() of device NNNN (1-based), replaced atomically
    mei/NNNN.sock         the device's AMTHI socket (amtsim.mei)
    ca.pem, pki/          certificates (amtsim.pki)

Device ``i`` (1-based) listens remotely on ``first_address + i - 1`` and locally (the LMS-style endpoint) on
``local_first_address + i - 1``.

Profile ``mixed``: 40 % factory, 30 % CCM and 30 % ACM devices (counts rounded down, the rest factory), in an order
shuffled by the seed, so the same seed and size always give the same fleet. Each device gets its own random
generator seeded from the fleet seed and its index, so a device does not change when the fleet size does.

Firmware (``FleetOptions.firmware``): one version for every device (``16.1.27.2176``, or a release such as ``16.1``
for the build in ``RELEASE_BUILDS``); counts per version, devices numbered in the order given
(``11.8:2,12.0:3,16.1:10,19.0:5``: devices 1-2 run 11.8, 3-5 run 12.0, ...), which must add up to the fleet size;
or ``mixed``: ``MIXED_FIRMWARE_SHARES`` of the fleet on 11.8, 12.0 and 19.0 (rounded down), the rest on 16.1, in an
order shuffled by the seed.

The inventory is rewritten whenever what it says of a device changes (control mode, credentials, TLS). Passwords set
over the network reach the simulator as digest hashes only; such a host has ``amt_password_known: false`` and no
``amt_password`` (a playbook tests ``amt_password_known`` or supplies the password it set).
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
from amtsim.model.firmware import DEFAULT_FIRMWARE, Firmware
from amtsim.pki import Pki, write_private

PROFILES = ("factory", "ccm", "acm", "mixed")
MIXED_SHARES = (("ccm", 0.3), ("acm", 0.3))
LOOPBACK = ipaddress.ip_network("127.0.0.0/8")
HTTP_PORT = 16992
TLS_PORT = 16993
# Changes arriving within this window are written together.
FLUSH_DELAY_SECONDS = 0.2
# The build a release stands for (the versions of our captures and tests); any four-part version may be given instead.
RELEASE_BUILDS = {"11.8": "11.8.50.3425", "12.0": "12.0.67.1579", "15.0": "15.0.23.1706", "16.1": DEFAULT_FIRMWARE,
                  "19.0": "19.0.5.1000"}
MIXED_FIRMWARE = "mixed"
MIXED_FIRMWARE_SHARES = (("11.8", 0.1), ("12.0", 0.15), ("19.0", 0.25))
MIXED_FIRMWARE_REST = "16.1"


class FleetError(Exception):
    """The fleet cannot start: the message names the file or directory and what is wrong with it."""


@dataclasses.dataclass(frozen=True)
class FleetOptions:
    devices: int = 1
    profile: str = "factory"
    firmware: str = DEFAULT_FIRMWARE
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
        device_firmware(self)


def _full_version(text: str) -> str:
    """A four-part version, or the build ``RELEASE_BUILDS`` gives for a release ``major.minor``."""
    text = text.strip()
    if text in RELEASE_BUILDS:
        return RELEASE_BUILDS[text]
    if text.count(".") != 3:
        raise ValueError(f"firmware {text!r}: give four parts (major.minor.hotfix.build) or one of the releases "
                         f"{', '.join(RELEASE_BUILDS)}")
    return str(Firmware.parse(text))


def firmware_counts(spec: str) -> list | None:
    """[(version, count), ...] of a ``VERSION:N,VERSION:N`` spec; None for a single version or ``mixed``."""
    if ":" not in spec:
        return None
    counts = []
    for part in spec.split(","):
        version, separator, count = part.partition(":")
        if not separator or not count.strip().isdigit() or int(count) < 1:
            raise ValueError(f"firmware {part!r}: expected VERSION:COUNT with a count of at least 1")
        counts.append((_full_version(version), int(count)))
    return counts


def device_firmware(options: FleetOptions) -> list:
    """The firmware version of every device, in index order."""
    spec = options.firmware.strip()
    if spec == MIXED_FIRMWARE:
        versions = []
        for release, share in MIXED_FIRMWARE_SHARES:
            versions += [RELEASE_BUILDS[release]] * int(options.devices * share)
        versions += [RELEASE_BUILDS[MIXED_FIRMWARE_REST]] * (options.devices - len(versions))
        random.Random(f"amtsim-firmware:{options.seed}").shuffle(versions)
        return versions
    counts = firmware_counts(spec)
    if counts is None:
        return [_full_version(spec)] * options.devices
    total = sum(count for _version, count in counts)
    if total != options.devices:
        raise ValueError(f"the --firmware counts add up to {total} devices, but the fleet has {options.devices} "
                         f"(--devices); make them agree, or leave out --devices")
    return [version for version, count in counts for _repeat in range(count)]


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


def _private_directory(path: Path) -> None:
    """Create ``path`` (and its parents) or take it over, readable by its owner only."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    if path.stat().st_mode & 0o077:
        path.chmod(0o700)


def _tighten_files(directory: Path) -> None:
    """Files an older amtsim left readable by others become owner-only."""
    with os.scandir(directory) as entries:
        for entry in entries:
            if entry.is_file(follow_symlinks=False) and entry.stat(follow_symlinks=False).st_mode & 0o077:
                os.chmod(entry.path, 0o600)


def _stored_options(path: Path) -> FleetOptions | None:
    if not path.exists():
        return None
    try:
        options = FleetOptions(**json.loads(path.read_text()))
        options.validate()
    except (OSError, ValueError, TypeError) as error:
        raise FleetError(f"{path} is not a fleet description amtsim can use ({error}); fix or remove it") from None
    return options


def _stored_device(path: Path, pki: Pki) -> Device:
    try:
        return Device.from_state(json.loads(path.read_text()), pki)
    except (OSError, ValueError, TypeError, KeyError, AttributeError) as error:
        raise FleetError(f"device state {path} is corrupt ({type(error).__name__}: {error}); restore or remove it "
                         f"(the device then starts anew)") from None


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
        self._hosts = {member.device.index: self._host_vars(member) for member in members} if inventory_path else {}

    @classmethod
    def open(cls, state_dir, requested: FleetOptions, inventory_path=None) -> "Fleet":
        """Resume the fleet stored in ``state_dir``, or create one from ``requested`` when there is none.

        Raises FleetError naming the directory or file that keeps the fleet from starting.
        """
        state_dir = Path(state_dir)
        try:
            if state_dir.exists() and not state_dir.is_dir():
                raise NotADirectoryError(20, "not a directory")
            for directory in (state_dir, state_dir / "devices", state_dir / "mei", state_dir / "pki"):
                _private_directory(directory)
                _tighten_files(directory)
            if not os.access(state_dir, os.R_OK | os.W_OK | os.X_OK):
                raise PermissionError(13, "not readable and writable")
        except OSError as error:
            raise FleetError(f"state directory {state_dir} is not usable: {error.strerror or error}") from None
        options = _stored_options(state_dir / "fleet.json")
        if options is None:
            options = requested
            options.validate()
        try:
            pki = Pki(state_dir)
        except (OSError, ValueError, KeyError) as error:
            raise FleetError(f"certificates in {state_dir / 'pki'} cannot be loaded: {error}") from None
        first_remote = ipaddress.ip_address(options.first_address)
        first_local = ipaddress.ip_address(options.local_first_address)
        members, created = [], []
        for offset, (profile, firmware) in enumerate(zip(device_profiles(options), device_firmware(options))):
            index = offset + 1
            state_path = state_dir / "devices" / f"{index:04d}.json"
            if state_path.exists():
                device = _stored_device(state_path, pki)
            else:
                device = Device.new(index, profile, firmware, device_rng(options.seed, index), pki)
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
        write_private(state_dir / "fleet.json", json.dumps(dataclasses.asdict(options), indent=2).encode())
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
        """Snapshot the pending devices (on the caller's thread), and the inventory when what it says of them changed."""
        states, inventory_changed = [], False
        for index, device in sorted(self._pending.items()):
            states.append((index, device.to_state()))
            device.dirty = False
            if self.inventory_path is not None:
                host = self._host_vars(self.member_of(device))
                inventory_changed |= host != self._hosts[index]
                self._hosts[index] = host
        self._pending.clear()
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
        write_private(self.state_dir / "devices" / f"{index:04d}.json", json.dumps(state).encode())

    # --- inventory -----------------------------------------------------------------------------------------
    @staticmethod
    def _host_vars(member: Member) -> dict:
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
            host["amt_password_known"] = device.admin_password is not None
            if device.admin_password is not None:
                host["amt_password"] = device.admin_password
        return host

    def _inventory_document(self) -> dict | None:
        """The inventory as a document of plain values (written to YAML on the writer thread)."""
        if self.inventory_path is None:
            return None
        hosts = {member.name: self._hosts[member.device.index] for member in self.members}
        return {"all": {"children": {"amt": {
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

    def write_inventory(self) -> None:
        document = self._inventory_document()
        if document is not None:
            self._write_inventory_text(document)

    def _write_inventory_text(self, document: dict) -> None:
        text = yaml.dump(document, Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper), sort_keys=False,
                         default_flow_style=False)
        try:
            self.inventory_path.parent.mkdir(parents=True, exist_ok=True)
            write_private(self.inventory_path, text.encode())
        except OSError as error:
            raise FleetError(f"inventory {self.inventory_path} cannot be written: {error.strerror or error}") from None
