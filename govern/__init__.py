"""Govern: staff accounts and access to debtor data for a debt-collection agency."""

from govern.app import create_app

__all__ = ["create_app"]
