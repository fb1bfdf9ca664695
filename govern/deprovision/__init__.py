"""Deprovisioning: accounts revoked at the departure instant, on schedule and by sweep (§11.1)."""
