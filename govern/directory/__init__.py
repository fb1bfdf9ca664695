"""Directory: staff identities read from LDAP (or the demo's LDIF file), synced into Govern.

Govern never invents an identity (R-STF-2): every row here came from the directory.
"""
