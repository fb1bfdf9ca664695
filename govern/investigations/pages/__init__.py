"""The auditor's pages (`/audit`), one module for each of the auditors' tasks, all on one
blueprint (`investigations_pages`):

- `searches`: the trail's events (and CSV), who saw a debtor, what a person saw, unusual access,
  one account's views per hour beside its group's;
- `leaks`: leak triage from a list of debtor ids, and its ranking;
- `report`: an investigation's leak report (PIPL Art. 57) with its reporting clock, and its
  downloads;
- `verification`: the trail checked against its signed checkpoints;
- `shared`: the blueprint and what the pages share.

Each page calls what its API route (investigations/views.py) calls, under the same time limit
and audited the same way (`audit.queried`); the searches are GET forms, the triage and the
verification POST forms with CSRF.
"""

from govern.investigations.pages import leaks, report, searches, verification
from govern.investigations.pages.shared import bp

__all__ = ["bp", "leaks", "report", "searches", "verification"]
