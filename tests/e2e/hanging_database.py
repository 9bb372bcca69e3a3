"""A database that hangs: a TCP relay in front of the MySQL server that, once frozen, keeps every
connection open and passes nothing either way (packets dropped, no reset), and takes new connections
without ever answering them."""

from __future__ import annotations

import socket
import threading
from types import TracebackType
from typing import Self


class HangingDatabase:
    def __init__(self, server: tuple[str, int]) -> None:
        self._server = server
        self._frozen = threading.Event()
        self._thawed = threading.Event()
        self._thawed.set()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._sockets: list[socket.socket] = [self._listener]
        threading.Thread(target=self._accept, daemon=True).start()

    def freeze(self) -> None:
        self._thawed.clear()
        self._frozen.set()

    def thaw(self) -> None:
        self._frozen.clear()
        self._thawed.set()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:  # closed
                return
            self._sockets.append(client)
            if self._frozen.is_set():
                continue  # taken, never answered
            upstream = socket.create_connection(self._server)
            self._sockets.append(upstream)
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._relay, args=(source, sink), daemon=True).start()

    def _relay(self, source: socket.socket, sink: socket.socket) -> None:
        while True:
            try:
                data = source.recv(65536)
                self._thawed.wait()  # frozen: what arrived is held, not passed on
                if not data:
                    sink.shutdown(socket.SHUT_WR)
                    return
                sink.sendall(data)
            except OSError:
                return

    def close(self) -> None:
        self.thaw()
        for each in self._sockets:
            each.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.close()
