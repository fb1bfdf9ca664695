"""A throwaway OpenLDAP server for the tests: its own config, data folder and loopback port."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from ldap3 import HASHED_SALTED_SHA
from ldap3.utils.hashed import hashed

REPO = Path(__file__).resolve().parents[2]
SUFFIX = "dc=govern,dc=test"
ADMIN_DN = f"cn=admin,{SUFFIX}"
READER_DN = f"cn=govern-reader,{SUFFIX}"
WRITER_DN = f"cn=govern-writer,{SUFFIX}"
POLICY_DN = f"cn=default,ou=policies,{SUFFIX}"

CONFIG = """\
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include {repo}/policies/ldap/govern.schema
pidfile {dir}/slapd.pid
argsfile {dir}/slapd.args
modulepath /usr/lib/ldap
moduleload back_mdb
moduleload ppolicy
sizelimit unlimited

database mdb
maxsize 268435456
suffix "{suffix}"
rootdn "{admin}"
rootpw {admin_hash}
directory {dir}/data
overlay ppolicy
ppolicy_default "{policy}"

access to attrs=userPassword
    by anonymous auth
    by * none
access to attrs=pwdAccountLockedTime
    by dn.exact="{writer}" manage
    by dn.exact="{reader}" read
    by * none
access to *
    by dn.exact="{reader}" read
    by dn.exact="{writer}" read
    by * none
"""

BASE_ENTRIES = """\
dn: {suffix}
objectClass: dcObject
objectClass: organization
dc: govern
o: Govern tests

dn: {reader}
objectClass: organizationalRole
objectClass: simpleSecurityObject
cn: govern-reader
userPassword: {reader_hash}

dn: {writer}
objectClass: organizationalRole
objectClass: simpleSecurityObject
cn: govern-writer
userPassword: {writer_hash}

dn: ou=policies,{suffix}
objectClass: organizationalUnit
ou: policies

dn: {policy}
objectClass: pwdPolicy
objectClass: device
cn: default
pwdAttribute: userPassword
pwdLockout: TRUE
pwdMaxFailure: 0
"""


@dataclass(frozen=True)
class Slapd:
    url: str
    admin_password: str
    reader_password: str
    folder: Path
    writer_password: str

    def start(self) -> None:
        """Start a stopped server again, on its address and with its data."""
        _run("/usr/sbin/slapd", "-f", str(self.folder / "slapd.conf"), "-h", f"{self.url}/")
        _wait_until_listening(int(self.url.rsplit(":", 1)[1]))

    def stop(self) -> None:
        pid = int((self.folder / "slapd.pid").read_text())
        os.kill(pid, signal.SIGTERM)
        for _ in range(100):
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.05)


def start_slapd(folder: Path) -> Slapd:
    """Configure, load and start slapd; it returns once it listens."""
    for tool in ("slapd", "slapadd"):
        if not shutil.which(tool, path=os.environ.get("PATH", "") + ":/usr/sbin"):
            raise RuntimeError("slapd is not installed: run ./scripts/test, which installs it")
    admin_password, reader_password, writer_password = (
        "admin-" + os.urandom(6).hex(),
        "reader-" + os.urandom(6).hex(),
        "writer-" + os.urandom(6).hex(),
    )
    (folder / "data").mkdir(parents=True)
    conf = folder / "slapd.conf"
    conf.write_text(
        CONFIG.format(
            repo=REPO,
            dir=folder,
            suffix=SUFFIX,
            admin=ADMIN_DN,
            reader=READER_DN,
            writer=WRITER_DN,
            policy=POLICY_DN,
            admin_hash=hashed(HASHED_SALTED_SHA, admin_password),
        )
    )
    base = folder / "base.ldif"
    base.write_text(
        BASE_ENTRIES.format(
            suffix=SUFFIX,
            reader=READER_DN,
            reader_hash=hashed(HASHED_SALTED_SHA, reader_password),
            writer=WRITER_DN,
            writer_hash=hashed(HASHED_SALTED_SHA, writer_password),
            policy=POLICY_DN,
        )
    )
    _run("/usr/sbin/slapadd", "-q", "-f", str(conf), "-l", str(base))
    port = _free_port()
    url = f"ldap://127.0.0.1:{port}"
    _run("/usr/sbin/slapd", "-f", str(conf), "-h", f"{url}/")
    _wait_until_listening(port)
    return Slapd(url, admin_password, reader_password, folder, writer_password)


def _wait_until_listening(port: int, seconds: float = 15.0) -> None:
    """slapd normally returns once it listens; on a loaded machine give it a moment more."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"slapd did not listen on port {port}")


def _run(*command: str) -> None:
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed: {result.stderr.strip()}")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
