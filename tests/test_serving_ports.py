"""free_port(): a port a server can listen on, on the host asked, that nobody holds."""

import contextlib
import socket

import pytest

from prodml_workshop.serving.ports import free_port


def _listen(host, port):
    s = socket.socket()
    s.bind((host, port))
    s.listen()
    return s


@pytest.mark.parametrize("host", ["127.0.0.1", "0.0.0.0"])
def test_free_port_is_a_real_port_a_server_can_listen_on_and_a_client_reach(host):
    port = free_port(host)
    assert isinstance(port, int) and 1024 <= port <= 65535  # never 0, which means "any port"
    with _listen(host, port) as server, socket.create_connection(("127.0.0.1", port), timeout=5):
        assert server.getsockname()[1] == port


def test_free_port_never_gives_a_port_that_is_held():
    with contextlib.ExitStack() as held:
        ports = []
        for _ in range(5):
            port = free_port()
            ports.append(port)
            held.enter_context(_listen("127.0.0.1", port))
        assert len(set(ports)) == 5  # each one free although the ones before are taken
        assert free_port() not in ports


def test_free_port_looks_on_the_host_asked():
    # 192.0.2.1 is TEST-NET-1 (RFC 5737): no machine has it, so no port is free there.
    with pytest.raises(OSError):
        free_port("192.0.2.1")
