"""Training in a browser, one module for each of its users' tasks, all on one blueprint
(`training_pages`, under /training):

- `own`: everyone's own training (certifications, what each debtor field waits for, the
  sessions ahead, results, the agreement, asking leave);
- `planning`: the sessions calendar, its calendar file, and the plans;
- `recording`: a session's attendance and exam results in one form;
- `leave`: leave to approve;
- `follow_up`: attendance with unexcused absences, and feedback forms;
- `hr`: HR's cases after a failed retake;
- `shared`: the blueprint and what the pages share.

Each page calls the same use case as its API route (govern/training/views.py)."""

from govern.training.pages import follow_up, hr, leave, own, planning, recording
from govern.training.pages.own import WIRING
from govern.training.pages.shared import bp

__all__ = ["WIRING", "bp", "follow_up", "hr", "leave", "own", "planning", "recording"]
