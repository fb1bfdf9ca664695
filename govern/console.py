"""The old name of `govern.command_line`, kept only while the auditors' commands still import
it; they move to `govern.command_line` with the auditors' tools, and then this module goes."""

from govern.command_line import echo_json, operator

__all__ = ["echo_json", "operator"]
