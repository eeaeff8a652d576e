"""free_port(): a port a server can listen on."""

import socket

from prodml_workshop.serving.ports import free_port


def test_free_port_can_be_bound():
    port = free_port()
    with socket.socket() as s:
        s.bind(("127.0.0.1", port))
