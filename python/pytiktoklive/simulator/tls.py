"""A throw-away certificate authority and server certificate, for ``Simulator(tls=True)``.

The simulator serves HTTPS and WSS so that tests can prove the client verifies
certificates: a client with the system's trust store must refuse it, a client
trusting ``sim.ca_file`` (or ``insecure=True``) must accept it.

The certificates are made by the ``openssl`` command line (no Python
dependency): a CA, and a server certificate it signs for the simulator's host
(``subjectAltName`` with the IP address or name, plus ``localhost`` and
``127.0.0.1``). Both carry the extensions strict verification asks for
(``basicConstraints``, ``keyUsage``, key identifiers), since Python 3.13's
default context sets ``VERIFY_X509_STRICT``. They live in a temporary directory
for as long as the simulator runs.
"""

from __future__ import annotations

import ipaddress
import shutil
import ssl
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

__all__ = ["TLSUnavailableError", "SimCertificates", "make_certificates"]

# Two days: long enough for any test run, short enough to be obviously throw-away.
_DAYS = "2"


class TLSUnavailableError(RuntimeError):
    """No ``openssl`` command line to make certificates with."""


@dataclass(frozen=True)
class SimCertificates:
    """The files of a throw-away CA and of the server certificate it signed (PEM)."""

    directory: Path
    ca_file: Path
    cert_file: Path
    key_file: Path

    def server_context(self) -> ssl.SSLContext:
        """The simulator's side of TLS."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert_file, self.key_file)
        return context

    def remove(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)


def _openssl(*arguments: str, cwd: Path) -> None:
    try:
        subprocess.run(["openssl", *arguments], cwd=cwd, check=True, capture_output=True, timeout=60)
    except FileNotFoundError as exc:
        raise TLSUnavailableError(
            "Simulator(tls=True) makes its certificates with the openssl command, which is not on PATH"
        ) from exc
    except subprocess.CalledProcessError as exc:
        raise TLSUnavailableError(
            f"openssl {arguments[0]} failed: {exc.stderr.decode(errors='replace').strip()}"
        ) from exc


def _subject_alt_names(host: str) -> str:
    names = {"DNS:localhost", "IP:127.0.0.1"}
    try:
        ipaddress.ip_address(host)
    except ValueError:
        names.add(f"DNS:{host}")
    else:
        names.add(f"IP:{host}")
    return ",".join(sorted(names))


def make_certificates(host: str) -> SimCertificates:
    """A new CA and a server certificate for ``host``, in a new temporary directory."""
    directory = Path(tempfile.mkdtemp(prefix="pytiktoklive-sim-tls-"))
    try:
        curve = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes")
        _openssl(
            "req", "-x509", *curve, "-keyout", "ca.key", "-out", "ca.pem", "-days", _DAYS,
            "-subj", "/CN=pytiktoklive simulator test CA",
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign",
            "-addext", "subjectKeyIdentifier=hash",
            cwd=directory,
        )  # fmt: skip
        _openssl(
            "req", "-new", *curve, "-keyout", "server.key", "-out", "server.csr",
            "-subj", f"/CN={host}",
            cwd=directory,
        )  # fmt: skip
        (directory / "server.ext").write_text(
            f"subjectAltName={_subject_alt_names(host)}\n"
            "basicConstraints=critical,CA:FALSE\n"
            "keyUsage=critical,digitalSignature\n"
            "extendedKeyUsage=serverAuth\n"
            "subjectKeyIdentifier=hash\n"
            "authorityKeyIdentifier=keyid,issuer\n"
        )
        _openssl(
            "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-set_serial", "1", "-days", _DAYS, "-extfile", "server.ext", "-out", "server.pem",
            cwd=directory,
        )  # fmt: skip
    except BaseException:
        shutil.rmtree(directory, ignore_errors=True)
        raise
    return SimCertificates(
        directory=directory,
        ca_file=directory / "ca.pem",
        cert_file=directory / "server.pem",
        key_file=directory / "server.key",
    )
