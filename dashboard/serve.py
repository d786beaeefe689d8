"""`python run.py dashboard`: serve the app with Solara's server.

The server listens on 127.0.0.1 unless `--host` says otherwise (0.0.0.0 opens it to every
network the computer is on). It runs in production mode from the front-end files that the
`solara-assets` package ships, so it needs no internet (DESIGN §9), without usage telemetry
or Solara's check for a newer version.
"""

from __future__ import annotations

import ipaddress
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

from simulation.errors import UserError

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
SCRATCH_ENV = "SME_DASHBOARD_SCRATCH"  # where sessions put their folders (see Session.folder)
# Where the dashboard saves its comparisons and the Results page looks for experiments:
# results/ of the project, or the folder SME_RESULTS_DIR names (the browser tests use one).
RESULTS_ENV = "SME_RESULTS_DIR"
# Set when the server listens beyond this computer (--host 0.0.0.0 or an outside address):
# the only folders the Results page may open (results/ and the sessions' scratch folder).
ROOTS_ENV = "SME_RESULTS_ROOTS"


def results_root() -> Path:
    return Path(os.environ.get(RESULTS_ENV) or ROOT / "results").resolve()


def check_address(host: str, port: int) -> None:
    """Refuse a port out of range, a host that is not this computer's, a port in use."""
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        raise UserError(f"--port {port}: expected a whole number from 1 to 65535")
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM)[0]
    except (socket.gaierror, UnicodeError):
        raise UserError(f"--host {host}: not a known address; use 127.0.0.1 (this computer "
                        "only, the default) or 0.0.0.0 (every network)") from None
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as e:
            raise UserError(f"--port {port}: cannot listen on {host}:{port} "
                            f"({e.strerror or e}); choose another --port") from None


def is_local(host: str) -> bool:
    """Does the server listen on this computer only (a loopback address)?"""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def url(host: str, port: int) -> str:
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    return f"http://[{shown}]:{port}/" if ":" in shown else f"http://{shown}:{port}/"


def server_command(host: str, port: int) -> list[str]:
    return [sys.executable, "-m", "solara", "run", "dashboard.app", "--host", host,
            "--port", str(port), "--production", "--no-open", "--no-check-version"]


def server_env(host: str = DEFAULT_HOST, scratch: str | None = None) -> dict[str, str]:
    """The server's environment; `scratch` is the folder the sessions' folders go in."""
    env = dict(os.environ)
    if scratch is not None:
        env[SCRATCH_ENV] = scratch
    if not is_local(host):  # the Results page opens only results/ and the sessions' folders
        env[ROOTS_ENV] = os.pathsep.join([str(results_root())]
                                         + ([scratch] if scratch else []))
    env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] = "False"
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    # Solara warns on every page load that plain-http cookies cannot be samesite=none;
    # the dashboard is served over plain http on purpose (a local tool), so say it once here.
    env.setdefault("PYTHONWARNINGS", "ignore::UserWarning:solara.server.starlette")
    # a closed browser tab's session (its model, its runs, its folder) is ended after 15
    # minutes instead of Solara's 24 hours; reloading the page within that time keeps it
    env.setdefault("SOLARA_KERNEL_CULL_TIMEOUT", "15m")
    return env


def stop_group(proc: subprocess.Popen, grace: float = 5.0) -> None:
    """End a child started with start_new_session=True and every process it started."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=grace)
    except ProcessLookupError:
        return
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def serve(host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> int:
    """Run the server until Ctrl+C; return its exit code."""
    check_address(host, port)
    print(f"Dashboard: {url(host, port)}  (Ctrl+C stops it)", flush=True)
    if host in ("0.0.0.0", "::"):
        print("note: listening on every network interface (--host); anyone who can reach "
              "this computer can use the dashboard", flush=True)
    # the sessions' folders live in one scratch folder that goes when the server stops, so
    # that sessions still open then leave nothing behind
    scratch = tempfile.mkdtemp(prefix="sme-dashboard-")
    proc = subprocess.Popen(server_command(host, port), cwd=ROOT, env=server_env(host, scratch))

    def stop(signum, frame):  # `kill` of this process stops the server too
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        return proc.wait()
    except KeyboardInterrupt:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        return 0
    finally:
        signal.signal(signal.SIGTERM, previous)
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        shutil.rmtree(scratch, ignore_errors=True)
