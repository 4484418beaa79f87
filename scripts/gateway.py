"""The gateway (nginx) configuration, rendered from `deploy/gateway/nginx.conf.template`.

    python scripts/gateway.py render [--out DIR]      # writes DIR/nginx.conf (default var/gateway)
    python scripts/gateway.py run [--out DIR]         # renders, then runs nginx in the foreground

Only the standard library: it runs wherever python3 does (scripts/dev, the tests, a container's
entry point). Every `${UPPER_CASE}` placeholder of the template is filled from the values below
(unknown or missing placeholders are refused); nginx's own `$lower_case` variables are left.

Environment (each has a default for development):
    GATEWAY_LISTEN            port (or address:port) to listen on (8080)
    GATEWAY_UPSTREAM_<NAME>   host:port of each service (127.0.0.1:8081 ... for identity,
                              family, booking, billing, notify, and 127.0.0.1:8086 for web, the
                              families' portal served at /; docker-compose and Kubernetes
                              give their service names, e.g. identity:8081)
    GATEWAY_CORS_ORIGINS      frontend origins allowed by CORS, separated by spaces or commas
                              (e.g. "https://portail.example.fr http://localhost:5173"); none
                              by default
    GATEWAY_DOCS_DIR          the generated documents (scripts/apidocs.py; default
                              <out>/docs)
    GATEWAY_WORKER_PROCESSES  nginx worker processes ("auto")
    GATEWAY_ERROR_LOG_LEVEL   nginx's error log level ("error")
    GATEWAY_ACCESS_LOG        "stdout" (JSON lines, default), "off", or a file
    GATEWAY_TRUSTED_PROXIES   addresses or CIDRs of the proxies in front of the gateway (a
                              load balancer, an Ingress controller), separated by spaces or
                              commas: the client address (rate limits, logs) is then taken
                              from X-Forwarded-For; empty (default): the peer's address
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "deploy/gateway/nginx.conf.template"
STATIC_DIR = ROOT / "deploy/gateway/static"
DEFAULT_OUT = ROOT / "var/gateway"
# service -> its development port (scripts/run_services.py adds DEV_PORT_OFFSET)
SERVICES = {"identity": 8081, "family": 8082, "booking": 8083, "billing": 8084, "notify": 8085}
# The families' web portal, served at / (its pages, not an API: never under /api/).
PORTAL = {"web": 8086}
UPSTREAMS = {**SERVICES, **PORTAL}
PLACEHOLDER = re.compile(r"\$\{([A-Z][A-Z0-9_]*)\}")
_ORIGIN = re.compile(r"^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?$")
_HOST_PORT = re.compile(r"^[A-Za-z0-9._-]+:[0-9]{1,5}$|^\[[0-9A-Fa-f:]+\]:[0-9]{1,5}$")


class GatewayError(Exception):
    """A setting the gateway cannot use, or nginx missing."""


def parse_origins(text: str) -> list[str]:
    origins = [o.rstrip("/") for o in re.split(r"[\s,]+", text.strip()) if o]
    bad = [o for o in origins if not _ORIGIN.match(o)]
    if bad:
        raise GatewayError(f"GATEWAY_CORS_ORIGINS: not an origin (scheme://host[:port]): {bad}")
    return origins


def parse_proxies(text: str) -> list[str]:
    """Addresses or networks (IPv4/IPv6, with an optional /prefix) of trusted proxies."""
    proxies = [p for p in re.split(r"[\s,]+", text.strip()) if p]
    for proxy in proxies:
        try:
            ipaddress.ip_network(proxy, strict=False)
        except ValueError:
            raise GatewayError(
                f"GATEWAY_TRUSTED_PROXIES: not an address or CIDR: {proxy!r}"
            ) from None
    return proxies


def settings_from_env(
    environ: Mapping[str, str] | None = None, *, port_offset: int = 0
) -> dict[str, object]:
    """The renderer's arguments from the environment (GATEWAY_*)."""
    env = os.environ if environ is None else environ
    upstreams = {
        name: env.get(f"GATEWAY_UPSTREAM_{name.upper()}", f"127.0.0.1:{port + port_offset}")
        for name, port in UPSTREAMS.items()
    }
    return {
        "listen": env.get("GATEWAY_LISTEN", str(8080 + port_offset)),
        "upstreams": upstreams,
        "cors_origins": parse_origins(env.get("GATEWAY_CORS_ORIGINS", "")),
        "docs_dir": env.get("GATEWAY_DOCS_DIR") or None,
        "worker_processes": env.get("GATEWAY_WORKER_PROCESSES", "auto"),
        "error_log_level": env.get("GATEWAY_ERROR_LOG_LEVEL", "error"),
        "access_log": env.get("GATEWAY_ACCESS_LOG", "stdout"),
        "trusted_proxies": parse_proxies(env.get("GATEWAY_TRUSTED_PROXIES", "")),
    }


def render(
    *,
    out: Path,
    listen: str,
    upstreams: Mapping[str, str],
    cors_origins: list[str] = (),  # type: ignore[assignment]
    docs_dir: str | Path | None = None,
    worker_processes: str = "auto",
    error_log_level: str = "error",
    access_log: str = "stdout",
    trusted_proxies: list[str] = (),  # type: ignore[assignment]
    template: Path = TEMPLATE,
) -> str:
    """The nginx configuration text (nothing written)."""
    missing = sorted(set(UPSTREAMS) - set(upstreams))
    if missing:
        raise GatewayError(f"no upstream for {missing}")
    for name, address in upstreams.items():
        if not _HOST_PORT.match(address):
            raise GatewayError(f"upstream of {name} is not host:port: {address!r}")
    if not re.match(r"^([0-9.]+:|\[[0-9a-fA-F:]+\]:)?[0-9]{1,5}$", listen):
        raise GatewayError(f"GATEWAY_LISTEN is not a port or address:port: {listen!r}")
    logs = {"stdout": "/dev/stdout gateway", "off": "off"}
    values = {
        # As root (a container's entry point, scripts/dev as root), the workers stay the same
        # user: they write their temporary files under <out>/tmp. As another user nginx
        # refuses the directive, so it is left out.
        "USER_DIRECTIVE": "user root root;" if os.geteuid() == 0 else "",
        "WORKER_PROCESSES": worker_processes,
        "ERROR_LOG_LEVEL": error_log_level,
        "ACCESS_LOG": logs.get(access_log, f"{access_log} gateway"),
        "VAR_DIR": str(out),
        "LISTEN": listen,
        "DOCS_DIR": str(docs_dir or out / "docs"),
        "STATIC_DIR": str(STATIC_DIR),
        "REAL_IP": "\n".join(
            [f"    set_real_ip_from {p};" for p in parse_proxies(" ".join(trusted_proxies))]
            + (
                ["    real_ip_header X-Forwarded-For;", "    real_ip_recursive on;"]
                if trusted_proxies
                else []
            )
        ),
        "CORS_ORIGINS": "\n".join(f'        "{o}" $http_origin;' for o in cors_origins),
        **{f"UPSTREAM_{name.upper()}": address for name, address in upstreams.items()},
    }

    def fill(match: re.Match[str]) -> str:
        try:
            return values[match[1]]
        except KeyError:
            raise GatewayError(f"unknown placeholder in the template: {match[1]}") from None

    return PLACEHOLDER.sub(fill, template.read_text())


def write(out: Path, text: str) -> Path:
    """Writes <out>/nginx.conf and the directories nginx needs (temp files, docs)."""
    for sub in ("tmp/body", "tmp/proxy", "tmp/fastcgi", "tmp/uwsgi", "tmp/scgi", "docs"):
        (out / sub).mkdir(parents=True, exist_ok=True)
    conf = out / "nginx.conf"
    conf.write_text(text)
    return conf


def nginx_binary(*, install: bool = True) -> str:
    """nginx's path; installs Debian's nginx-light with apt when it is missing and we are
    root (as scripts/bootstrap does). Raises GatewayError with what to do otherwise."""
    for candidate in (shutil.which("nginx"), "/usr/sbin/nginx"):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    if install and os.geteuid() == 0 and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        command = ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "nginx-light"]
        if subprocess.run(command, env=env, capture_output=True).returncode != 0:
            subprocess.run(["apt-get", "update", "-qq"], env=env, capture_output=True)
            subprocess.run(command, env=env, capture_output=True)
        return nginx_binary(install=False)
    raise GatewayError(
        "nginx is not installed: run `sudo apt-get install -y nginx-light` (Debian) "
        "or install nginx, then run this again"
    )


def command(conf: Path, nginx: str | None = None) -> list[str]:
    """nginx in the foreground, its prefix and pid in the configuration's directory."""
    return [
        nginx or nginx_binary(),
        "-p",
        f"{conf.parent}/",
        "-c",
        str(conf),
        "-e",
        "stderr",
        "-g",
        "daemon off;",
    ]


def check(conf: Path, nginx: str | None = None) -> None:
    """`nginx -t` on the rendered file; raises with nginx's words."""
    args = command(conf, nginx)
    result = subprocess.run([*args[:-2], "-t", "-q"], capture_output=True, text=True)
    if result.returncode != 0:
        raise GatewayError(f"nginx refuses {conf}: {result.stderr.strip()}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["render", "run"])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="directory (var/gateway)")
    args = parser.parse_args(argv)
    out = args.out.resolve()
    try:
        offset = int(os.environ.get("DEV_PORT_OFFSET", "0"))
        conf = write(out, render(out=out, **settings_from_env(port_offset=offset)))  # type: ignore[arg-type]
        if args.action == "render":
            print(conf)
            return 0
        check(conf)
        os.execv(command(conf)[0], command(conf))
    except GatewayError as exc:
        print(f"scripts/gateway.py: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
