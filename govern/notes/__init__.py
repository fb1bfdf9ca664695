"""Collection notes: the append-only record of every call and collection action, checked for
forbidden language, and the call scripts trainers keep."""
