"""Debtors: the cases the agency collects, every personal field encrypted at rest."""
