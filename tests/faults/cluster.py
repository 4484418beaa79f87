"""A throwaway PostgreSQL cluster owned by the fault suite (issue 17): `initdb` into a
temporary directory, trust authentication, a free port on the loopback, started with
`pg_ctl`, so that the suite may crash and restart the server itself without touching the
machine's Postgres. Run as the `postgres` system user when the suite runs as root (initdb
refuses root). Stopped and its directory removed at the end, at the interpreter's exit too.

On a machine without the server's programs (no initdb), `find_bindir` says why and the
suite falls back to terminating the test database's backends."""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import asyncpg

SERVER_USER = "postgres"  # initdb refuses root: the cluster belongs to this system user


def find_bindir() -> tuple[Path | None, str]:
    """The directory holding initdb and pg_ctl, or None and why not."""
    candidates: list[Path] = []
    pg_config = shutil.which("pg_config")
    if pg_config is not None:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            found = subprocess.run(
                [pg_config, "--bindir"], capture_output=True, text=True, timeout=10, check=True
            ).stdout.strip()
            candidates.append(Path(found))
    # Debian's server packages keep them out of PATH, per version (the newest first).
    versioned = sorted(
        glob.glob("/usr/lib/postgresql/*/bin"),
        key=lambda p: [int(x) for x in Path(p).parent.name.split(".") if x.isdigit()],
        reverse=True,
    )
    candidates += [Path(p) for p in versioned]
    initdb = shutil.which("initdb")
    if initdb is not None:
        candidates.append(Path(initdb).resolve().parent)
    for bindir in candidates:
        if (bindir / "initdb").is_file() and (bindir / "pg_ctl").is_file():
            return bindir, str(bindir)
    return None, "no initdb/pg_ctl found (pg_config --bindir, /usr/lib/postgresql/*/bin, PATH)"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Cluster:
    """One throwaway cluster: `start()`, `restart()` (a crash: stop -m immediate, then start
    again, replaying its WAL), `stop()` (once; also registered with atexit)."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="pf-faults-pg-"))
        self.data = self.root / "data"
        self.logfile = self.root / "server.log"
        self.as_user: list[str] = []
        if os.geteuid() == 0:
            try:
                owner = pwd.getpwnam(SERVER_USER)
            except KeyError as exc:
                shutil.rmtree(self.root, ignore_errors=True)
                raise RuntimeError(
                    f"running as root and no {SERVER_USER!r} system user to own the cluster"
                ) from exc
            os.chown(self.root, owner.pw_uid, owner.pw_gid)
            self.as_user = ["runuser", "-u", SERVER_USER, "--"]
        self._started = False
        self._removed = False
        atexit.register(self.stop)

    @property
    def admin_dsn(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def dsn(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def _command(self, *args: str) -> list[str]:
        return [*self.as_user, *args]

    def _pg_ctl(self, *args: str) -> list[str]:
        return self._command(str(self.bindir / "pg_ctl"), "-D", str(self.data), *args)

    def _start_args(self) -> list[str]:
        # The socket in the cluster's own directory (the system's may not be writable);
        # fsync off: the faults crash the server, never the machine, so the WAL in the OS's
        # page cache survives them, and the shared 2-core machine is spared the flushes.
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1"
            f" -c unix_socket_directories={self.root} -c max_connections=200"
            " -c fsync=off -c shared_buffers=64MB"
        )
        return self._pg_ctl("-w", "-t", "60", "-l", str(self.logfile), "-o", options, "start")

    def start(self) -> None:
        subprocess.run(
            self._command(
                str(self.bindir / "initdb"),
                "-D",
                str(self.data),
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-instructions",
            ),
            check=True,
            capture_output=True,
            timeout=120,
        )
        subprocess.run(self._start_args(), check=True, capture_output=True, timeout=90)
        self._started = True

    async def _run(self, command: list[str], timeout: float) -> None:
        process = await asyncio.create_subprocess_exec(
            *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
        )
        output, _ = await asyncio.wait_for(process.communicate(), timeout)
        if process.returncode != 0:
            raise RuntimeError(f"{command[-1]} failed ({process.returncode}): {output.decode()}")

    async def restart(self, down_seconds: float = 0.0) -> float:
        """Crashes the server (every backend gone at once, nothing flushed, crash recovery at
        the start), keeps it down `down_seconds` and starts it again; the seconds it accepted
        no connection."""
        began = time.monotonic()
        await self._run(self._pg_ctl("-m", "immediate", "stop"), 60)
        await asyncio.sleep(down_seconds)
        await self._run(self._start_args(), 90)
        connection = await asyncpg.connect(self.admin_dsn, timeout=10)
        await connection.close()
        return time.monotonic() - began

    def server_log_tail(self, lines: int = 40) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.logfile.read_text(errors="replace").splitlines()[-lines:])
        return ""

    def stop(self) -> None:
        """Stops the server (immediately: nothing of it is kept) and removes its directory."""
        if self._removed:
            return
        self._removed = True
        if self._started or (self.data / "postmaster.pid").exists():
            with contextlib.suppress(OSError, subprocess.SubprocessError):
                subprocess.run(
                    self._pg_ctl("-m", "immediate", "-w", "stop"), capture_output=True, timeout=60
                )
        # pg_ctl failed (or timed out): the postmaster by the pid it wrote, so that nothing
        # keeps running on a removed directory.
        with contextlib.suppress(OSError, ValueError, IndexError):
            pid = int((self.data / "postmaster.pid").read_text().splitlines()[0])
            os.kill(pid, signal.SIGKILL)
        shutil.rmtree(self.root, ignore_errors=True)
