"""nginx serving the mirror: a child process with its own config, pid, logs and temp paths.

nginx runs with ``daemon off`` so it stays this process's child and dies
with the harness; it listens on the mirror's loopback addresses only.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from mirror import Site

NGINX = "/usr/sbin/nginx"


def ensure_nginx() -> str:
    """The nginx binary, installed from Debian with apt-get when missing (needs root)."""
    found = shutil.which("nginx") or (NGINX if os.access(NGINX, os.X_OK) else None)
    if found:
        return found
    if os.geteuid() != 0:
        sys.exit("bench: nginx is missing; install it (apt-get install nginx) or run as root")
    print("bench: nginx is missing: installing it with apt-get (Debian package)", file=sys.stderr)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env, stdout=subprocess.DEVNULL)
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "nginx"],
        check=True,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    return NGINX


def free_port(address: str) -> int:
    with socket.socket() as probe:
        probe.bind((address, 0))
        return probe.getsockname()[1]


def write_config(work: Path, sites: list[Site]) -> Path:
    """One server per site, each on its own address; nothing shared with a system nginx."""
    servers = "".join(
        f"    server {{\n        listen {site.address}:{site.port};\n"
        f"        root {site.root};\n        index index.html;\n    }}\n"
        for site in sites
    )
    config = work / "nginx.conf"
    config.write_text(
        f"daemon off;\nworker_processes 1;\npid {work}/nginx.pid;\n"
        f"error_log {work}/error.log warn;\n"
        "events { worker_connections 1024; }\n"
        "http {\n"
        "    access_log off;\n    sendfile on;\n    keepalive_requests 100000;\n"
        "    types { text/html html; application/xml xml; text/plain txt; }\n"
        "    default_type text/html;\n"  # the original paths end in .php, / or nothing
        f"    client_body_temp_path {work}/client_body;\n"
        f"    proxy_temp_path {work}/proxy;\n    fastcgi_temp_path {work}/fastcgi;\n"
        f"    uwsgi_temp_path {work}/uwsgi;\n    scgi_temp_path {work}/scgi;\n"
        f"{servers}}}\n",
        encoding="utf-8",
    )
    return config


@contextmanager
def running_nginx(binary: str, work: Path, sites: list[Site]) -> Iterator[subprocess.Popen]:
    """nginx serving ``sites`` until the block ends, however it ends (Ctrl-C included)."""
    config = write_config(work, sites)
    work.chmod(0o755)  # workers started by root run as nobody, who must read the mirror
    process = subprocess.Popen(
        [binary, "-p", str(work), "-c", str(config), "-e", str(work / "error.log")],
        stdin=subprocess.DEVNULL,
    )
    try:
        _wait_until_listening(process, sites, work)
        yield process
    finally:
        process.send_signal(signal.SIGQUIT)  # graceful: finish the open requests
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_listening(process: subprocess.Popen, sites: list[Site], work: Path) -> None:
    deadline = time.monotonic() + 10
    pending = list(sites)
    while pending:
        if process.poll() is not None:
            log = (work / "error.log").read_text(errors="replace")[-2000:]
            raise RuntimeError(f"nginx exited with status {process.returncode}:\n{log}")
        if time.monotonic() > deadline:
            raise RuntimeError("nginx did not start listening within 10 s")
        try:
            socket.create_connection((pending[0].address, pending[0].port), timeout=1).close()
            pending.pop(0)
        except OSError:
            time.sleep(0.05)
