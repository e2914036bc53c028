"""amtsim serve as users run it: a subprocess that prints its ready line, listens, answers AMTHI and stops cleanly."""
import os
import signal
import socket
import struct
import subprocess
import sys

import pytest
import yaml

from amtsim.cli import build_parser, main

pytestmark = pytest.mark.timeout(60)
AMTHI_GUID = bytes([0x28, 0x00, 0xf8, 0x12, 0xb7, 0xb4, 0x2d, 0x4b, 0xac, 0xa8, 0x46, 0xe0, 0xff, 0x65, 0x81, 0x4c])


def _start(*arguments):
    process = subprocess.Popen([sys.executable, "-m", "amtsim", "serve", *arguments], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    line = process.stdout.readline()
    if not line:
        process.kill()
        pytest.fail("amtsim exited before it was ready: " + process.stderr.read())
    return process, line


def _stop(process):
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=20) == 0, process.stderr.read()


def _control_mode(socket_path):
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as link:
        link.settimeout(5)
        link.connect(str(socket_path))
        link.sendall(AMTHI_GUID)
        link.recv(8)
        link.sendall(struct.pack("<BBHII", 1, 1, 0, 0x0400006B, 0))
        answer = b""
        while len(answer) < 20:
            answer += link.recv(20 - len(answer))
    command, length, status, mode = struct.unpack_from("<IIII", answer, 4)
    assert (command, length, status) == (0x0480006B, 8, 0)
    return mode


def _unprovision(socket_path):
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as link:
        link.settimeout(5)
        link.connect(str(socket_path))
        link.sendall(AMTHI_GUID)
        link.recv(8)
        link.sendall(struct.pack("<BBHIII", 1, 1, 0, 0x04000010, 4, 0))
        header = link.recv(12)
        status = link.recv(struct.unpack("<BBHII", header)[4])[:4]
    return struct.unpack("<I", status)[0]


def test_help_explains_the_options(capsys):
    with pytest.raises(SystemExit) as exited:
        build_parser().parse_args(["serve", "--help"])
    assert exited.value.code == 0
    text = capsys.readouterr().out
    for needle in ("--devices", "--profile", "--state-dir", "--inventory", "--faults", "--latency-set", "WIN", "mixed"):
        assert needle in text


def test_bad_options_are_usage_errors(capsys):
    for arguments in (["serve", "--first-address", "10.1.1.1"], ["serve", "--latency-set", "no_such_knob=1"],
                      ["serve", "--faults", "explode"], ["serve", "--latency-set", "get_put_delete"],
                      ["serve", "--devices", "3", "--firmware", "11.8:1,19.0:1"], ["serve", "--firmware", "16.1.27"]):
        with pytest.raises(SystemExit) as exited:
            main(arguments)
        assert exited.value.code == 2
    assert "the --firmware counts add up to 2 devices, but the fleet has 3" in capsys.readouterr().err


def _failed_start(*arguments):
    """(exit status, stderr) of an amtsim serve that must fail before it is ready."""
    process = subprocess.run([sys.executable, "-m", "amtsim", "serve", *arguments], capture_output=True, text=True, timeout=30, check=False)
    assert process.stdout == ""
    assert "Traceback" not in process.stderr and len(process.stderr.strip().splitlines()) == 1, process.stderr
    return process.returncode, process.stderr


@pytest.mark.parametrize("held, option", [("127.95.1.1", "--first-address"), ("127.96.1.1", "--local-first-address")])
def test_an_address_in_use_is_named_with_the_option_that_moves_the_fleet(tmp_path, held, option):
    with socket.socket() as holder:
        holder.bind((held, 16992))
        holder.listen()
        # Provisioned firmware 12 listens on the remote 16992 (factory devices and 16.1 and later do not).
        status, error = _failed_start("--devices", "2", "--profile", "ccm", "--firmware", "12.0", "--first-address", "127.95.1.1",
                                      "--local-first-address", "127.96.1.1", "--state-dir", str(tmp_path / "state"))
    assert status == 2
    assert error.startswith("amtsim: %s:16992 is already in use" % held) and "move this fleet with %s" % option in error


def test_a_corrupt_state_file_is_named(tmp_path):
    devices = tmp_path / "state" / "devices"
    devices.mkdir(parents=True)
    (devices / "0001.json").write_text("{ half a file")
    status, error = _failed_start("--state-dir", str(tmp_path / "state"), "--first-address", "127.95.2.1",
                                  "--local-first-address", "127.96.2.1")
    assert status == 2 and "device state %s is corrupt" % (devices / "0001.json") in error


def test_an_unusable_state_directory_is_named(tmp_path):
    (tmp_path / "taken").write_text("a file, not a directory")
    status, error = _failed_start("--state-dir", str(tmp_path / "taken"), "--first-address", "127.95.3.1",
                                  "--local-first-address", "127.96.3.1")
    assert status == 2 and "state directory %s is not usable" % (tmp_path / "taken") in error


def test_an_unwritable_inventory_is_named(tmp_path):
    (tmp_path / "file").write_text("in the way of a directory")
    status, error = _failed_start("--state-dir", str(tmp_path / "state"), "--inventory", str(tmp_path / "file" / "hosts.yml"),
                                  "--first-address", "127.95.4.1", "--local-first-address", "127.96.4.1")
    assert status == 2 and "inventory %s cannot be written" % (tmp_path / "file" / "hosts.yml") in error


def test_firmware_counts_set_the_fleet_size(tmp_path):
    inventory = tmp_path / "hosts.yml"
    process, line = _start("--firmware", "11.8:1,12.0:1,19.0:1", "--first-address", "127.95.5.1",
                           "--local-first-address", "127.96.5.1", "--inventory", str(inventory))
    try:
        assert line == "amtsim: serving 3 devices\n"
        hosts = yaml.safe_load(inventory.read_text())["all"]["children"]["amt"]["hosts"]
        assert [host["amt_firmware"].split(".")[:2] for host in hosts.values()] == [["11", "8"], ["12", "0"], ["19", "0"]]
    finally:
        _stop(process)


def test_serve_listens_answers_mei_and_resumes_after_sigterm(tmp_path):
    state, inventory = tmp_path / "state", tmp_path / "hosts.yml"
    arguments = ["--devices", "3", "--profile", "ccm", "--first-address", "127.95.0.1",
                 "--local-first-address", "127.96.0.1", "--state-dir", str(state), "--inventory", str(inventory)]
    process, line = _start(*arguments)
    try:
        assert line == "amtsim: serving 3 devices\n"
        host = yaml.safe_load(inventory.read_text())["all"]["children"]["amt"]["hosts"]["amt-0002"]
        port = host["amt_tls_port"] if host["amt_use_tls"] else host["amt_http_port"]
        with socket.create_connection(("127.95.0.2", port), timeout=5):
            pass
        assert _control_mode(state / "mei" / "0002.sock") == 1
        assert _unprovision(state / "mei" / "0002.sock") == 0
    finally:
        _stop(process)
    hosts = yaml.safe_load(inventory.read_text())["all"]["children"]["amt"]["hosts"]
    assert hosts["amt-0002"]["amt_control_mode"] == "none"
    assert hosts["amt-0001"]["amt_control_mode"] == "ccm"

    process, line = _start("--devices", "9", "--state-dir", str(state))
    try:
        assert line == "amtsim: serving 3 devices\n"
        assert _control_mode(state / "mei" / "0002.sock") == 0
        assert _control_mode(state / "mei" / "0003.sock") == 1
    finally:
        _stop(process)


def test_without_state_dir_the_temporary_directory_is_removed(tmp_path):
    inventory = tmp_path / "hosts.yml"
    process, line = _start("--devices", "1", "--first-address", "127.97.0.1", "--local-first-address", "127.98.0.1",
                           "--inventory", str(inventory))
    socket_path = yaml.safe_load(inventory.read_text())["all"]["children"]["amt"]["hosts"]["amt-0001"]["amt_mei_socket"]
    assert os.path.exists(socket_path)
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=20) == 0
    assert not os.path.exists(os.path.dirname(os.path.dirname(socket_path)))
