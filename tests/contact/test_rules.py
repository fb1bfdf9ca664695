"""The contact guard's rules on their own, each profile at its edges; `earliest` re-judged."""

from __future__ import annotations

import shutil
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from govern.config import REPO_POLICIES
from govern.contact.profiles import contact_profiles
from govern.contact.rules import Attempt, Profile, Question, Verdict, judge
from govern.errors import ConfigError

SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YORK = ZoneInfo("America/New_York")
HOME, MOBILE = b"h" * 32, b"m" * 32
PROFILES = contact_profiles(REPO_POLICIES)
COMPANY = PROFILES.profiles["company"]
CBA = PROFILES.profiles["cba_2026"]
REG_F = PROFILES.profiles["us_reg_f"]


def local(hour: int, minute: int = 0, day: int = 2, zone: ZoneInfo = SHANGHAI) -> datetime:
    """An instant in December 2026, read on the clock of `zone`, in UTC."""
    return datetime(2026, 12, day, hour, minute, tzinfo=zone).astimezone(UTC)


def call(
    at: datetime, *, connected: bool = False, inbound: bool = False, number: bytes = HOME
) -> Attempt:
    return Attempt(at, outbound=not inbound, connected=connected, number_digest=number)


def ask(at: datetime, *history: Attempt, number: bytes = HOME, **fields: object) -> Question:
    question = Question(
        now=at,
        party="debtor",
        number_digest=number,
        history=history,
        do_not_call=False,
        complaint_stop=False,
        may_pass_stop=False,
        debtor_zone=None,
    )
    return replace(question, **fields)


def verdict(profile: Profile, question: Question) -> Verdict:
    """Judge, and check the deny's `earliest`: not before now, and allowed when asked then."""
    answer = judge(profile, question, SHANGHAI)
    if not answer.allowed and answer.earliest is not None:
        assert answer.earliest >= question.now
        assert judge(profile, replace(question, now=answer.earliest), SHANGHAI).allowed
    return answer


def denied(profile: Profile, question: Question) -> str | None:
    answer = verdict(profile, question)
    assert not answer.allowed
    return answer.reason


def test_r_con_1_2159_allowed_and_2200_denied_until_0800() -> None:
    assert verdict(COMPANY, ask(local(21, 59))).allowed
    answer = verdict(COMPANY, ask(local(22, 0)))
    assert (answer.allowed, answer.reason, answer.rule) == (False, "contact.quiet_hours", "R-CON-1")
    assert answer.earliest == local(8, 0, day=3)


def test_r_con_1_0759_denied_and_0800_allowed() -> None:
    answer = verdict(COMPANY, ask(local(7, 59) + timedelta(seconds=59)))
    assert answer.reason == "contact.quiet_hours"
    assert answer.earliest == local(8, 0)
    assert verdict(COMPANY, ask(local(8, 0))).allowed


def test_r_con_1_hours_are_the_company_zone_whatever_the_debtor_zone() -> None:
    assert verdict(COMPANY, ask(local(21, 0), debtor_zone=NEW_YORK)).allowed
    assert denied(COMPANY, ask(local(22, 0), debtor_zone=NEW_YORK)) == "contact.quiet_hours"


def test_r_con_2_fourth_outbound_after_connect_denied_while_inbound_do_not_count() -> None:
    history = (
        call(local(9, 0), connected=True),
        call(local(9, 30), inbound=True, connected=True),
        call(local(10, 0)),
        call(local(10, 30), inbound=True),
        call(local(11, 0), connected=True),
    )
    answer = verdict(COMPANY, ask(local(12, 0), *history))
    assert (answer.reason, answer.rule) == ("contact.daily_cap_connected", "R-CON-2")
    assert answer.earliest == local(8, 0, day=3)
    assert verdict(COMPANY, ask(local(12, 0), *history[:4])).allowed


def test_r_con_2_five_unanswered_then_the_sixth_denied() -> None:
    history = tuple(call(local(9 + hour)) for hour in range(5))
    answer = verdict(COMPANY, ask(local(15, 0), *history))
    assert (answer.reason, answer.rule) == ("contact.daily_cap_unanswered", "R-CON-2")
    assert answer.earliest == local(8, 0, day=3)
    assert verdict(COMPANY, ask(local(15, 0), *history[:4])).allowed


def test_r_con_2_a_connect_after_four_unanswered_closes_the_day() -> None:
    history = (*(call(local(9 + hour)) for hour in range(3)), call(local(13), connected=True))
    assert denied(COMPANY, ask(local(15, 0), *history)) == "contact.daily_cap_connected"


def test_r_con_2_inbound_calls_alone_never_close_the_day() -> None:
    history = tuple(call(local(9, minute), inbound=True, connected=True) for minute in range(9))
    assert verdict(COMPANY, ask(local(10, 0), *history)).allowed


def test_r_con_2_counts_the_company_day_yesterday_does_not_count() -> None:
    yesterday = tuple(call(local(21, minute, day=1)) for minute in range(5))
    assert verdict(COMPANY, ask(local(8, 0), *yesterday)).allowed


def test_r_con_2_counts_the_party_on_every_number() -> None:
    history = (
        *(call(local(9 + h)) for h in range(3)),
        *(call(local(12 + h), number=MOBILE) for h in range(2)),
    )
    assert denied(COMPANY, ask(local(15, 0), *history)) == "contact.daily_cap_unanswered"


def test_r_con_4_do_not_call_denied_forever() -> None:
    answer = verdict(COMPANY, ask(local(10, 0), do_not_call=True, party="contact:1"))
    assert (answer.reason, answer.earliest, answer.rule) == ("contact.do_not_call", None, "R-CON-4")
    even_a_supervisor = ask(local(10, 0), do_not_call=True, may_pass_stop=True)
    assert denied(COMPANY, even_a_supervisor) == "contact.do_not_call"


def test_r_con_5_complaint_stop_denied_except_to_who_may_pass_it() -> None:
    answer = verdict(COMPANY, ask(local(10, 0), complaint_stop=True))
    assert (answer.reason, answer.earliest, answer.rule) == (
        "contact.complaint_stop",
        None,
        "R-CON-5",
    )
    assert verdict(COMPANY, ask(local(10, 0), complaint_stop=True, may_pass_stop=True)).allowed


def test_r_con_5_the_stop_is_given_before_do_not_call_and_hours() -> None:
    question = ask(local(23, 0), complaint_stop=True, do_not_call=True)
    assert denied(COMPANY, question) == "contact.complaint_stop"
    passed = replace(question, may_pass_stop=True)
    assert denied(COMPANY, passed) == "contact.do_not_call"


def test_r_con_5_a_supervisor_past_the_stop_still_keeps_the_hours_and_caps() -> None:
    assert denied(COMPANY, ask(local(22, 0), complaint_stop=True, may_pass_stop=True)) == (
        "contact.quiet_hours"
    )


def test_r_con_1_hours_are_given_before_the_caps_and_earliest_waits_for_both() -> None:
    history = tuple(call(local(9 + hour)) for hour in range(5))
    answer = verdict(COMPANY, ask(local(23, 0), *history))
    assert answer.reason == "contact.quiet_hours"
    assert answer.earliest == local(8, 0, day=3)


def test_cba_sixth_unanswered_on_one_number_allowed_and_seventh_denied() -> None:
    # The number is shared: the debtor's 3 and an emergency contact's 3 unanswered attempts.
    mine = tuple(call(local(9 + hour)) for hour in range(3))
    shared = (*mine, *(call(local(12 + hour)) for hour in range(3)))
    answer = verdict(CBA, ask(local(16, 0), *mine, number_history=shared))
    assert (answer.reason, answer.rule) == ("contact.method_cap", "CBA 2026")
    assert answer.earliest == local(8, 0, day=3)
    assert verdict(CBA, ask(local(16, 0), *mine, number_history=shared[:5])).allowed


def test_cba_a_different_number_is_allowed_within_the_company_caps() -> None:
    mine = tuple(call(local(9 + hour)) for hour in range(3))
    shared = (*mine, *(call(local(12 + hour)) for hour in range(3)))
    other = ask(local(16, 0), *mine, number=MOBILE, number_history=())
    assert verdict(CBA, other).allowed
    five = (*mine, call(local(14), number=MOBILE), call(local(15), number=MOBILE))
    assert denied(CBA, ask(local(16, 0), *five, number=MOBILE, number_history=shared)) == (
        "contact.daily_cap_unanswered"
    )


def test_cba_without_a_number_history_counts_the_party_on_that_number() -> None:
    history = tuple(call(local(9, minute)) for minute in range(4))
    assert verdict(CBA, ask(local(10, 0), *history)).allowed
    assert verdict(CBA, ask(local(10, 0), *history, number=MOBILE)).allowed


def test_cba_keeps_the_company_hours_and_daily_caps() -> None:
    assert denied(CBA, ask(local(22, 0))) == "contact.quiet_hours"
    history = (call(local(9), connected=True), call(local(10)), call(local(11)))
    assert denied(CBA, ask(local(12), *history)) == "contact.daily_cap_connected"


def ny(day: int, hour: int, minute: int = 0) -> datetime:
    return local(hour, minute, day=day, zone=NEW_YORK)


def reg_f(at: datetime, *history: Attempt, zone: ZoneInfo | None = NEW_YORK) -> Question:
    return ask(at, *history, debtor_zone=zone)


def test_reg_f_hours_are_the_debtors_own_0800_to_2100() -> None:
    assert verdict(REG_F, reg_f(ny(2, 8))).allowed
    assert verdict(REG_F, reg_f(ny(2, 20, 59))).allowed
    late = verdict(REG_F, reg_f(ny(2, 21)))
    assert (late.reason, late.rule) == ("contact.quiet_hours", "12 CFR 1006.6(b)(1)(i)")
    assert late.earliest == ny(3, 8)
    assert denied(REG_F, reg_f(ny(2, 7, 59))) == "contact.quiet_hours"


def test_reg_f_an_unknown_debtor_zone_falls_back_to_the_company_zone() -> None:
    assert verdict(REG_F, reg_f(local(20, 59), zone=None)).allowed
    assert verdict(REG_F, reg_f(local(21, 0), zone=None)).earliest == local(8, 0, day=3)


def test_reg_f_eighth_call_in_seven_days_denied_until_the_oldest_leaves() -> None:
    week = tuple(call(ny(day, 10)) for day in range(1, 8))  # Dec 1 … Dec 7, one a day
    answer = verdict(REG_F, reg_f(ny(7, 12), *week))
    assert (answer.reason, answer.rule) == ("contact.weekly_cap", "12 CFR 1006.14(b)(2)(i)")
    assert answer.earliest == ny(8, 8)  # Dec 1's call has left the window Dec 2 … Dec 8
    assert verdict(REG_F, reg_f(ny(7, 12), *week[1:])).allowed


def test_reg_f_inbound_calls_are_not_placed_calls() -> None:
    week = tuple(call(ny(day, 10), inbound=True) for day in range(1, 8))
    assert verdict(REG_F, reg_f(ny(7, 12), *week)).allowed


def test_reg_f_a_call_within_seven_days_after_a_conversation_denied_day_8_allowed() -> None:
    talked = call(ny(1, 20), connected=True)  # Dec 1 is day 1
    answer = verdict(REG_F, reg_f(ny(7, 20, 59), talked))  # day 7
    assert (answer.reason, answer.rule) == (
        "contact.after_conversation",
        "12 CFR 1006.14(b)(2)(ii)",
    )
    assert answer.earliest == ny(8, 8)
    assert verdict(REG_F, reg_f(ny(8, 8), talked)).allowed


def test_reg_f_a_conversation_the_debtor_started_counts() -> None:
    talked = call(ny(3, 9), inbound=True, connected=True)
    assert denied(REG_F, reg_f(ny(4, 9), talked)) == "contact.after_conversation"
    assert verdict(COMPANY, ask(local(10), talked)).allowed


def test_reg_f_days_are_the_debtors_days() -> None:
    # 23:30 on Dec 1 in New York is Dec 2 in Shanghai: still the debtor's day 1.
    talked = call(ny(1, 23, 30), inbound=True, connected=True)
    assert denied(REG_F, reg_f(ny(7, 10), talked)) == "contact.after_conversation"
    assert verdict(REG_F, reg_f(ny(8, 8), talked)).allowed


def test_profiles_assign_project_groups_and_default_to_the_company(tmp_path: Path) -> None:
    assert PROFILES.for_group("any-group") is COMPANY
    assert COMPANY.lookback == timedelta(days=2)
    assert REG_F.lookback == timedelta(days=8)
    folder = _policies(tmp_path, 'default = "company"\n[groups]\nbank-us = "us_reg_f"\n')
    loaded = contact_profiles(folder)
    assert loaded.for_group("bank-us").name == "us_reg_f"
    assert loaded.for_group("bank-a").name == "company"


@pytest.mark.parametrize(
    ("file", "text", "named"),
    [
        ("assignments.toml", 'default = "nowhere"\n', "default: unknown profile 'nowhere'"),
        ("assignments.toml", 'default = "company"\n[groups]\nx = "cba"\n', "groups.x"),
        ("assignments.toml", 'default = "company"\n[groups]\nx = 3\n', "groups.x"),
        ("company.toml", ('start = "08:00"', 'start = "8am"'), "hours.start"),
        ("company.toml", ('end = "22:00"', 'end = "07:00"'), "hours: start 08:00"),
        ("company.toml", ('zone = "company"\nrule', 'zone = "Asia/Tokyo"\nrule'), "hours.zone"),
        ("company.toml", ("connected = 3", "connected = 0"), "daily_caps.connected"),
        ("company.toml", ("unanswered = 5", "unanswerd = 5"), "daily_caps.unanswerd"),
        ("company.toml", ('name = "company"', 'name = "other"'), "name: must be 'company'"),
    ],
)
def test_profiles_refuse_a_mistake_at_load_naming_file_and_key(
    tmp_path: Path, file: str, text: str | tuple[str, str], named: str
) -> None:
    folder = _policies(tmp_path, 'default = "company"\n')
    path = folder / "contact" / (file if file == "assignments.toml" else f"profiles/{file}")
    if isinstance(text, tuple):
        text = path.read_text(encoding="utf-8").replace(*text, 1)
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as refused:
        contact_profiles(folder)
    assert str(path) in refused.value.message and named in refused.value.message


def _policies(tmp_path: Path, assignments: str) -> Path:
    """A policies folder with the shipped profiles and the given assignments."""
    profiles = tmp_path / "contact" / "profiles"
    profiles.mkdir(parents=True)
    for source in (REPO_POLICIES / "contact" / "profiles").glob("*.toml"):
        (profiles / source.name).write_bytes(source.read_bytes())
    (tmp_path / "contact" / "assignments.toml").write_text(assignments, encoding="utf-8")
    return tmp_path


ZONES = [
    SHANGHAI,
    NEW_YORK,
    *map(ZoneInfo, ["Europe/London", "America/Havana", "Australia/Lord_Howe", "Asia/Kathmandu"]),
    *map(ZoneInfo, ["America/Santiago", "Pacific/Chatham", "America/St_Johns", "Pacific/Apia"]),
]
moments = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(UTC)
)


@st.composite
def questions(draw: st.DrawFn) -> tuple[Profile, Question, ZoneInfo]:
    profile = draw(st.sampled_from([COMPANY, CBA, REG_F]))
    now = draw(moments)
    ages = st.timedeltas(timedelta(0), profile.lookback)
    attempt = st.builds(
        Attempt, st.builds(lambda age: now - age, ages), st.booleans(), st.booleans(),
        st.sampled_from([HOME, MOBILE]),
    )  # fmt: skip
    history = tuple(draw(st.lists(attempt, max_size=14)))
    shared = draw(st.none() | st.lists(attempt, max_size=10).map(lambda more: (*history, *more)))
    question = ask(
        now, *history, number=draw(st.sampled_from([HOME, MOBILE])), number_history=shared,
        debtor_zone=draw(st.none() | st.sampled_from(ZONES)),
    )  # fmt: skip
    return profile, question, draw(st.sampled_from(ZONES))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(questions(), st.lists(st.floats(0, 1, exclude_max=True), min_size=1, max_size=20))
def test_r_con_1_r_con_2_earliest_is_the_first_allowed_instant(
    case: tuple[Profile, Question, ZoneInfo], fractions: list[float]
) -> None:
    """`earliest` is never before now, is allowed, and nothing sampled before it is."""
    profile, question, company_zone = case
    answer = judge(profile, question, company_zone)
    if answer.allowed:
        assert answer.earliest is None and answer.reason is None
        return
    assert answer.earliest is not None and answer.earliest >= question.now
    at = lambda instant: judge(profile, replace(question, now=instant), company_zone)  # noqa: E731
    assert at(answer.earliest).allowed
    wait = answer.earliest - question.now
    before = [question.now + wait * fraction for fraction in fractions]
    before += [answer.earliest - timedelta(microseconds=1), answer.earliest - timedelta(seconds=1)]
    for instant in before:
        if question.now <= instant < answer.earliest:
            assert not at(instant).allowed, instant


def test_the_service_refuses_to_start_with_a_profile_mistake(tmp_path: Path) -> None:
    from govern.app import create_app
    from govern.config import load_settings
    from tests.test_config import MINIMAL

    folder = tmp_path / "policies"
    shutil.copytree(REPO_POLICIES, folder)
    path = folder / "contact" / "assignments.toml"
    path.write_text('default = "company"\n[groups]\nbank-a = "us_reg_g"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as refused:
        create_app(load_settings(MINIMAL | {"GOVERN_POLICIES_DIR": str(folder)}))
    assert refused.value.code == "contact.profiles"
    assert str(path) in refused.value.message and "groups.bank-a" in refused.value.message
