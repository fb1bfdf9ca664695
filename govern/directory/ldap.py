"""A real LDAP directory over ldap3. Plain LDAP is refused except to a loopback address."""

from __future__ import annotations

import ipaddress
import logging
import ssl
from collections.abc import Iterator, Sequence
from urllib.parse import urlparse

from ldap3 import MODIFY_REPLACE, NONE, SUBTREE, Connection, Server, Tls
from ldap3.core.exceptions import LDAPBindError, LDAPException, LDAPSASLPrepError
from ldap3.utils.conv import escape_filter_chars

from govern.config import Settings
from govern.directory.person import DirectoryEntry
from govern.directory.source import Directory, DirectoryUnavailable, EntryLocks
from govern.errors import ConfigError

PAGE_SIZE = 500
#: How many people one search for the entries to lock asks for (one filter of alternatives).
LOCK_SEARCH = 100
LOCKED = "000001010000Z"  # ppolicy's "locked for good"
log = logging.getLogger(__name__)


class LdapDirectory(Directory):
    def __init__(self, settings: Settings) -> None:
        super().__init__(settings.ldap_attributes, settings.role_groups, settings.tracks)
        self._url, self._ca_file = settings.directory_url, settings.ldap_ca_file
        _server(self._url, self._ca_file)  # a wrong URL stops the service at start-up
        self._bind_dn = settings.ldap_bind_dn
        self._bind_password = settings.ldap_bind_password
        self._people_base = settings.ldap_people_base
        self._groups_base = settings.ldap_groups_base
        self._people_filter = settings.ldap_people_filter
        self._writer_dn = settings.ldap_writer_dn
        self._writer_password = settings.ldap_writer_password

    def _people_entries(self) -> list[DirectoryEntry]:
        wanted = list(self.attributes.values())
        with self._service() as connection:
            return list(_search(connection, self._people_base, self._people_filter, wanted))

    def _groups(self) -> dict[str, set[str]]:
        with self._service() as connection:
            entries = _search(
                connection, self._groups_base, "(objectClass=groupOfNames)", ["cn", "member"]
            )
            return {
                cn.lower(): set(entry.attributes.get("member", ()))
                for entry in entries
                for cn in entry.attributes.get("cn", ())
            }

    def _find_person(self, username: str) -> DirectoryEntry | None:
        wanted = [self.attributes["username"], self.attributes["employee_number"]]
        match = f"({self.attributes['username']}={escape_filter_chars(username)})"
        query = f"(&{self._people_filter}{match})"
        with self._service() as connection:
            found = list(_search(connection, self._people_base, query, wanted))
        return found[0] if len(found) == 1 else None

    def _password_ok(self, entry: DirectoryEntry, password: str) -> bool:
        connection = Connection(self._server(), user=entry.dn, password=password, read_only=True)
        try:
            return bool(connection.bind())
        except LDAPSASLPrepError:
            # A password with characters a bind may not carry (RFC 4013: controls, private
            # use, ...) is refused here, before anything is sent: it is nobody's password,
            # and the directory did not fail.
            return False
        except LDAPException as error:
            raise _unavailable(error) from None
        finally:
            connection.unbind()

    def answers(self) -> None:
        """Bind as the service account and unbind, waiting a few seconds at most."""
        try:
            Connection(
                _server(self._url, self._ca_file, connect_timeout=2),
                user=self._bind_dn,
                password=self._bind_password,
                auto_bind=True,
                read_only=True,
                receive_timeout=2,
            ).unbind()
        except LDAPBindError as error:  # it answered, and refused Govern's service account
            raise DirectoryUnavailable(
                "directory.unavailable", "The directory refused the bind.", refused=True
            ) from error
        except LDAPException as error:
            raise DirectoryUnavailable(
                "directory.unavailable", "The directory did not answer a bind."
            ) from error

    def locked(self) -> set[str]:
        """People whose entry carries ppolicy's lock (`pwdAccountLockedTime`)."""
        number = self.attributes["employee_number"]
        query = f"(&{self._people_filter}(pwdAccountLockedTime=*))"
        with self._service() as connection:
            entries = _search(connection, self._people_base, query, [number])
            return {entry.first(number) for entry in entries if entry.first(number)}  # type: ignore[misc]

    def disable_all(self, employee_numbers: Sequence[str]) -> EntryLocks:
        """Set `pwdAccountLockedTime` to the permanent lock (ppolicy): the directory refuses the
        people's binds even where Govern is not asked. Only with GOVERN_LDAP_WRITER_DN. One
        search per `LOCK_SEARCH` people, one writer's connection for them all: a sweep's
        batch costs a few round trips per entry, not a connection and a bind each."""
        if not self._writer_dn or not employee_numbers:
            return EntryLocks()
        try:
            entries = self._entries_of(employee_numbers)
        except DirectoryUnavailable:
            return EntryLocks(failed=frozenset(employee_numbers))
        locked: set[str] = set()
        try:
            with self._writer() as writer:
                for number, dn in entries.items():
                    writer.modify(dn, {"pwdAccountLockedTime": [(MODIFY_REPLACE, [LOCKED])]})
                    if writer.result.get("result") == 0:
                        locked.add(number)
        except LDAPException as error:
            log.warning("directory lock failed: %s", type(error).__name__)
        return EntryLocks(frozenset(locked), frozenset(entries) - locked)

    def _entries_of(self, employee_numbers: Sequence[str]) -> dict[str, str]:
        """The DN of each of these people found exactly once, by employee number."""
        number = self.attributes["employee_number"]
        wanted, found = set(employee_numbers), dict[str, list[str]]()
        with self._service() as connection:
            for first in range(0, len(employee_numbers), LOCK_SEARCH):
                some = employee_numbers[first : first + LOCK_SEARCH]
                match = "".join(f"({number}={escape_filter_chars(n)})" for n in some)
                query = f"(&{self._people_filter}(|{match}))"
                for entry in _search(connection, self._people_base, query, [number]):
                    found.setdefault(entry.first(number) or "", []).append(entry.dn)
        return {n: dns[0] for n, dns in found.items() if n in wanted and len(dns) == 1}

    def _writer(self) -> Connection:
        return Connection(
            self._server(),
            user=self._writer_dn,
            password=self._writer_password,
            auto_bind=True,
            receive_timeout=15,
        )

    def _server(self) -> Server:
        """A new `Server` for each connection. ldap3's `Server` remembers an address that
        failed and skips it for several seconds (its RESET_AVAILABILITY_TIMEOUT): one shared
        across requests kept sign-in refused for ~6 s after the directory was back."""
        return _server(self._url, self._ca_file)

    def _service(self) -> Connection:
        try:
            return Connection(
                self._server(),
                user=self._bind_dn,
                password=self._bind_password,
                auto_bind=True,
                read_only=True,
                receive_timeout=15,
            )
        except LDAPException as error:
            raise _unavailable(error) from None


def _search(
    connection: Connection, base: str, query: str, attributes: list[str]
) -> Iterator[DirectoryEntry]:
    try:
        results = connection.extend.standard.paged_search(
            base, query, SUBTREE, attributes=attributes, paged_size=PAGE_SIZE, generator=False
        )
    except LDAPException as error:
        raise _unavailable(error) from None
    outcome = connection.result or {}
    if outcome.get("result", 0) != 0:
        # A missing base or a refused search must never read as "nobody is there".
        detail = f"search under {base!r}: {outcome.get('description', 'error')}"
        log.error("directory search failed: %s", detail)
        raise DirectoryUnavailable(
            "directory.search_failed", "The directory did not answer a search.", detail=detail
        )
    for item in results:
        if item.get("type") == "searchResEntry":
            yield DirectoryEntry(item["dn"], _text_attributes(item["raw_attributes"]))


def _text_attributes(raw: dict[str, list[bytes]]) -> dict[str, list[str]]:
    return {
        name.lower(): [value.decode("utf-8", errors="replace") for value in values]
        for name, values in raw.items()
    }


def _server(url: str, ca_file: str | None, connect_timeout: float = 5) -> Server:
    parsed = urlparse(url)
    if parsed.scheme not in ("ldap", "ldaps") or not parsed.hostname:
        raise ConfigError(
            "config.directory_url", f"GOVERN_DIRECTORY_URL must be ldaps://HOST[:PORT], not {url!r}"
        )
    if parsed.scheme == "ldap" and not _is_loopback(parsed.hostname):
        raise ConfigError(
            "config.plain_ldap",
            "Plain ldap:// is allowed only to a loopback address; use ldaps:// for "
            f"{parsed.hostname}",
        )
    # TLS that does not check who answers is no better than plain LDAP: require a valid
    # certificate for the host, from GOVERN_LDAP_CA_FILE or the system's trust store.
    tls = Tls(validate=ssl.CERT_REQUIRED, ca_certs_file=ca_file)
    return Server(
        parsed.hostname,
        port=parsed.port,
        use_ssl=parsed.scheme == "ldaps",
        tls=tls,
        get_info=NONE,
        connect_timeout=connect_timeout,
    )


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _unavailable(error: Exception) -> DirectoryUnavailable:
    log.error("directory unavailable: %s: %s", type(error).__name__, error)
    return DirectoryUnavailable(
        "directory.unavailable",
        "The directory did not answer; try again shortly.",
        detail=f"{type(error).__name__}: {error}",
    )
