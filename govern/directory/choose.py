"""Which directory GOVERN_DIRECTORY_URL names: the LDAP server, or the demo's LDIF file.

It stands above both implementations, so the contract they share (`source.py`) knows
neither; start-up (govern/app.py) asks it once.
"""

from __future__ import annotations

from govern.config import Settings
from govern.directory.ldap import LdapDirectory
from govern.directory.ldif import LdifDirectory
from govern.directory.source import Directory
from govern.errors import ConfigError


def open_directory(settings: Settings) -> Directory:
    """The directory named by GOVERN_DIRECTORY_URL. Connects to nothing yet.

    Raises ConfigError `config.ldif_needs_demo` for an LDIF file outside the demo.
    """
    url = settings.directory_url
    if not url.startswith("ldif:"):
        return LdapDirectory(settings)
    if not settings.demo:
        raise ConfigError(
            "config.ldif_needs_demo",
            "An ldif: directory is only for the demo: set GOVERN_DEMO=1 or use ldaps://",
        )
    return LdifDirectory(
        url.removeprefix("ldif:"),
        settings.ldap_attributes,
        settings.role_groups,
        settings.tracks,
    )
