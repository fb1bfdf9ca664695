"""The training catalogue (`policies/training/catalogue.toml`): courses, tracks, certifications,
agreements and session times, read once per process and checked for consistency."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time
from functools import cache
from pathlib import Path
from typing import Any

from govern.config import load_policy
from govern.errors import ConfigError, NotFound
from govern.training.rules import Titled
from govern.training.schedule import INDUCTION, MONTHLY, WEEKLY
from govern.training.workdays import warn_year_unknown, working_days

TRACKS = ("intern", "ordinary", "management")


@dataclass(frozen=True)
class Course(Titled):
    code: str
    title: str
    section: str
    exam: bool
    title_en: str = ""


@dataclass(frozen=True)
class Track(Titled):
    name: str
    title: str
    section: str
    courses: tuple[str, ...]
    leaves_training_with: tuple[str, ...]
    title_en: str = ""


@dataclass(frozen=True)
class Certification(Titled):
    name: str
    title: str
    exams: tuple[str, ...]
    agreement: str | None
    title_en: str = ""


@dataclass(frozen=True)
class Agreement(Titled):
    name: str
    title: str
    current: str
    versions: dict[str, str]
    title_en: str = ""

    @property
    def text(self) -> str:
        return self.versions[self.current]


@dataclass(frozen=True)
class SessionKind(Titled):
    kind: str
    title: str
    section: str
    starts: time
    ends: time
    tracks: tuple[str, ...]
    host: str
    title_en: str = ""


@dataclass(frozen=True)
class Catalogue:
    courses: dict[str, Course]
    tracks: dict[str, Track]
    certifications: dict[str, Certification]
    agreements: dict[str, Agreement]
    sessions: dict[str, SessionKind]

    def exam_course(self, code: str) -> Course:
        """The course `code` if it ends with an exam. Raises NotFound `course.unknown`."""
        course = self.courses.get(code)
        if course is None or not course.exam:
            raise NotFound("course.unknown", f"No course {code} with an exam in the catalogue.")
        return course

    def agreement(self, name: str) -> Agreement:
        """Raises NotFound `agreement.unknown`."""
        if name not in self.agreements:
            raise NotFound("agreement.unknown", f"No agreement called {name}.")
        return self.agreements[name]


@cache
def load_catalogue(policies_dir: Path) -> Catalogue:
    """The catalogue under `policies_dir/training/`. Raises ConfigError saying what is wrong."""
    path = policies_dir / "training" / "catalogue.toml"
    raw = load_policy(path)
    try:
        catalogue = _build(raw)
        _check(catalogue)
    except (KeyError, TypeError, ValueError) as error:
        raise ConfigError("training.catalogue", f"{path}: {error}") from None
    return catalogue


def _build(raw: dict[str, Any]) -> Catalogue:
    return Catalogue(
        courses={
            code: Course(
                code, c["title"], c["section"], bool(c.get("exam", False)), c.get("title_en", "")
            )
            for code, c in raw["courses"].items()
        },
        tracks={
            name: Track(
                name,
                t["title"],
                t["section"],
                tuple(t["courses"]),
                tuple(t.get("leaves_training_with", ())),
                t.get("title_en", ""),
            )
            for name, t in raw["tracks"].items()
        },
        certifications={
            name: Certification(
                name, c["title"], tuple(c["exams"]), c.get("agreement"), c.get("title_en", "")
            )
            for name, c in raw["certifications"].items()
        },
        agreements={
            name: Agreement(
                name, a["title"], a["current"], dict(a["versions"]), a.get("title_en", "")
            )
            for name, a in raw.get("agreements", {}).items()
        },
        sessions={
            kind: SessionKind(
                kind,
                s["title"],
                s["section"],
                time.fromisoformat(s["starts"]),
                time.fromisoformat(s["ends"]),
                tuple(s["tracks"]),
                s["host"],
                s.get("title_en", ""),
            )
            for kind, s in raw["sessions"].items()
        },
    )


def _check(catalogue: Catalogue) -> None:
    """Every name the catalogue refers to exists; raises ValueError naming the first missing."""
    problems = [
        f"track {track.name} lists unknown course {code}"
        for track in catalogue.tracks.values()
        for code in track.courses
        if code not in catalogue.courses
    ]
    problems += [f"unknown track {name}" for name in catalogue.tracks if name not in TRACKS]
    problems += [
        f"track {track.name} leaves training with unknown certification {name}"
        for track in catalogue.tracks.values()
        for name in track.leaves_training_with
        if name not in catalogue.certifications
    ]
    problems += [
        f"certification {c.name} needs {code}, which is not a course with an exam"
        for c in catalogue.certifications.values()
        for code in c.exams
        if not getattr(catalogue.courses.get(code), "exam", False)
    ]
    problems += [
        f"certification {c.name} needs unknown agreement {c.agreement}"
        for c in catalogue.certifications.values()
        if c.agreement is not None and c.agreement not in catalogue.agreements
    ]
    problems += [
        f"agreement {a.name}'s current version {a.current} has no text"
        for a in catalogue.agreements.values()
        if a.current not in a.versions
    ]
    problems += [
        f"sessions.{s.kind} names unknown track {track}"
        for s in catalogue.sessions.values()
        for track in s.tracks
        if track not in TRACKS
    ]
    problems += [
        f"sessions.{kind} is missing"
        for kind in (WEEKLY, MONTHLY, INDUCTION)
        if kind not in catalogue.sessions
    ]
    if problems:
        raise ValueError(problems[0])


def check_policies(policies_dir: Path, today: date) -> None:
    """Read the catalogue and the holidays now, so a mistake stops the service at start-up,
    and warn if this year's public holidays are unknown (no session can be dated). Next
    year's are told of where a session date first reaches it (`warn_year_unknown`).

    Raises ConfigError `training.catalogue` / `calendar.bad_data`.
    """
    load_catalogue(policies_dir)
    if not working_days(policies_dir).covers(today.year):
        warn_year_unknown(today.year)
