"""Creditors (甲方): their contracts, agreed purposes, keys, and the deletion at contract end."""
