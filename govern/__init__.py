"""Govern: staff accounts and access to debtor data for a debt-collection agency (the
service: `govern.app.create_app`; the console command: `govern.cli`)."""
