"""The tamper-evident audit trail, usable without Govern.

`entry`, `merkle` and `signing` need only the standard library and `cryptography`, so an
auditor's verifier (scripts/verify_bundle.py) can use them alone; `store`, `verify`,
`committer` and `export` add SQLAlchemy. Nothing here imports Flask or `govern`.
"""
