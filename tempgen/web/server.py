"""Running the explorer: uvicorn on a socket this module binds first (so a port in use is
one clear error, and port 0 picks a free one)."""

from __future__ import annotations

import socket
import threading
import webbrowser

import uvicorn

from tempgen.errors import TempgenError

LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on host:port, or one TempgenError saying why not."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise TempgenError(f"--host {host}: {exc.strerror}") from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
        sock.listen(128)
    except OSError as exc:
        sock.close()
        raise TempgenError(f"cannot listen on {host}:{port} ({exc.strerror}); "
                           "--port picks another") from None
    return sock


def hosts(host: str, port: int) -> list[str]:
    """The Host headers the server answers: its own name (and loopback's, when it listens
    there); any, when it listens on every address."""
    if host in ("0.0.0.0", "::"):
        return ["*"]
    return sorted({host, *(LOOPBACK if host in LOOPBACK else ())})


def url(sock: socket.socket, host: str) -> str:
    port = sock.getsockname()[1]
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    return f"http://[{shown}]:{port}/" if ":" in shown else f"http://{shown}:{port}/"


def run(app, sock: socket.socket, open_page: str | None = None) -> None:
    """Serve until Ctrl-C (or SIGTERM); then raise KeyboardInterrupt."""
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off",
                                           access_log=False))
    if open_page:
        threading.Timer(0.5, webbrowser.open, [open_page]).start()
    server.run(sockets=[sock])
    raise KeyboardInterrupt  # (uvicorn stops on a signal and returns: the run was stopped)
