"""What each refusal says to a person, by its code, in Govern's languages.

A refusal's code is stable and its English message, written where it is raised, may name the
thing refused. Here each code has its message as the person reads it (`lazy_gettext`: written
in English, translated in govern/translations/zh/LC_MESSAGES/messages.po); pages and the API's
error bodies use it in the request's language. Every code Govern answers with has one, here or
in a family of FAMILIES (tests/test_messages.py reads the source to hold that); an unknown code
keeps the message it was raised with.

Pages speak Chinese unless asked for English (govern/console.py); the API speaks English unless
asked for Chinese (`api_message`), since its clients are programs and the people who write them.
"""

from __future__ import annotations

import re
from fnmatch import fnmatchcase
from typing import Any

from flask import request
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

#: Govern's languages, the first the console's default (the agency is Chinese).
LANGUAGES = ("zh", "en")
#: The language toggle's cookie: the person's choice, for pages and the API alike.
LANGUAGE_COOKIE = "govern_lang"
#: The API's language when the request asks for none of ours.
API_LANGUAGE = "en"
#: A message raised in Chinese already (and English beside it) is kept as raised: it names what
#: the code's message cannot (e.g. the forbidden terms found in a note).
CHINESE = re.compile(r"[\u4e00-\u9fff]")

MESSAGES: dict[str, Any] = {
    # signing in, and why a page sends someone back to sign in (with whom to ask)
    "session.missing": _l("Sign in first."),
    "session.invalid": _l("Your session has ended. Sign in again."),
    "session.expired": _l("Your session has expired. Sign in again."),
    "login.failed": _l("Wrong username or password."),
    "login.rate_limited": _l("Too many failed sign-ins. Wait a few minutes, then try again."),
    "login.form_invalid": _l("The sign-in form was incomplete or has expired. Fill it in again."),
    "account.revoked": _l(
        "Your Govern account has been revoked. If you think this is wrong, ask your department "
        "head."
    ),
    "account.departed": _l(
        "You have left the company: your Govern account was closed on your departure day. If "
        "this is wrong, ask HR."
    ),
    "account.suspended": _l(
        "Your Govern account is suspended. Who lifts it depends on why: your department head "
        "for an account left unused, IT for a security concern, HR for an HR matter."
    ),
    "identity.gone": _l("You are no longer in the company directory. Ask IT."),
    "login.no_account": _l(
        "You have no Govern account yet. Your department head issues it; ask them."
    ),
    # the request itself: its form, its format, HTTP
    "request.invalid": _l("Some fields of the request are missing or not valid."),
    "request.malformed": _l("The request body is not valid JSON."),
    "request.duplicate_key": _l("The request names the same field twice."),
    "request.invalid_text": _l("The request holds characters that are not valid text."),
    "request.out_of_range": _l("A number in the request is too large or too small."),
    "request.too_deep": _l("The request is nested too deeply."),
    "request.unsupported_media_type": _l("Send the request as JSON."),
    "http.400": _l(
        "The request could not be understood. If you were sending a form, reload the page "
        "and try again."
    ),
    "http.401": _l("Sign in first."),
    "http.403": _l("You may not do this."),
    "http.404": _l("There is nothing at this address."),
    "http.405": _l("This address does not take that kind of request."),
    "http.406": _l("Govern cannot answer in the format asked for."),
    "http.413": _l(
        "The request is too large: at most 8 MB, a pasted text at most 1 MB. Send less at "
        "once (a leaked file: keep only its column of debtor ids)."
    ),
    "http.415": _l("Send the request as JSON."),
    "http.429": _l("Too many requests. Wait a little, then try again."),
    "http.500": _l("Something went wrong on our side; it has been logged."),
    "http.503": _l("Govern cannot answer just now. Try again shortly."),
    "internal": _l("Something went wrong on our side; it has been logged."),
    "role.action_denied": _l("Your role may not do this."),
    "range.invalid": _l("The start of the period must not be after its end (at most two years)."),
    "window.invalid": _l("The start of the period must be before its end."),
    "justification.too_short": _l("Say why in a few more words."),
    # accounts: issuing, suspending, reactivating, revoking
    "account.unknown": _l("There is no such account."),
    "account.not_visible": _l("This account is outside what you may see."),
    "account.department_not_visible": _l(
        "That department's accounts are outside what you may see."
    ),
    "accounts.bootstrapped": _l(
        "A general manager already has an active account; accounts are issued through them."
    ),
    "bootstrap.not_general_manager": _l(
        "This person is not in the general managers' directory group."
    ),
    "issuer.not_department_head": _l(
        "Only the head of this person's department issues their account."
    ),
    "issuer.not_general_manager": _l(
        "Accounts of department heads, and of departments without a head, are issued by the "
        "general manager."
    ),
    "self.approval": _l("Nobody issues or changes their own account."),
    "identity.unknown": _l("There is nobody with this employee number in the company directory."),
    "identity.departed": _l("This person has left the company."),
    "suspension.kind_unknown": _l("Choose a kind of suspension from the list."),
    "suspension.impose_denied": _l("Your role may not impose this kind of suspension."),
    "suspension.lift_denied": _l(
        "Your role may not lift this kind of suspension; ask whoever imposed it."
    ),
    # separation of duties (docs/governance.md)
    "sod.conflict_unknown": _l("There is no such conflict of duties now."),
    "sod.own_exception": _l("Nobody accepts an exception for themselves."),
    "sod.end_not_future": _l("An exception ends today or later."),
    "sod.end_too_far": _l(
        "An exception ends no later than the rules allow (max_exception_days); accept it "
        "again when it ends, if it is still needed."
    ),
    "sod.exception_active": _l("An exception already covers this conflict."),
    "sod.exception_unknown": _l("There is no such exception."),
    "sod.exception_over": _l("This exception has already lapsed or ended."),
    # departures
    "departure.own": _l("Nobody sets their own departure date."),
    "departure.before_hire": _l("The departure date is before this person's hire date."),
    "departure.out_of_range": _l(
        "Govern cannot work out a departure time for that day; choose another date."
    ),
    # the company directory
    "directory.unavailable": _l("The company directory did not answer. Try again shortly."),
    "directory.search_failed": _l(
        "The company directory did not answer a search. Try again shortly."
    ),
    "directory.disable_failed": _l("The company directory refused to lock the account. Ask IT."),
    "directory.entry_incomplete": _l(
        "An entry in the company directory is missing something Govern needs. Ask IT."
    ),
    "directory.entry_invalid": _l(
        "An entry in the company directory holds a value that is not valid. Ask IT."
    ),
    "directory.duplicate_employee_number": _l(
        "Two entries in the company directory have the same employee number; nothing was "
        "synced. Ask IT."
    ),
    "directory.duplicate_username": _l(
        "Two entries in the company directory have the same username; nothing was synced. Ask IT."
    ),
    "directory.sync_running": _l("Another directory sync is running. Try again later."),
    # debtors and who may see their fields
    "debtor.unknown": _l("There is no such debtor."),
    "debtor.id_malformed": _l("That is not a debtor id (they look like DB-7K3M-9Q2X)."),
    "debtor.no_account": _l("Only a personal account reads debtor data."),
    "debtor.not_assigned": _l("This debtor is not assigned to your project group."),
    "debtor.seal_broken": _l("A stored value could not be read. It has been logged; tell IT."),
    "debtor.key_missing": _l(
        "A key needed to read stored data is missing. It has been logged; tell IT."
    ),
    "field.unknown": _l("There is no such debtor field."),
    # creditors (甲方): their contracts, agreed purposes and the end of a contract
    "creditor.unknown": _l("There is no such creditor."),
    "creditor.exists": _l("There is a creditor of that name already."),
    "creditor.period_reversed": _l("The contract's end must not come before its start."),
    "creditor.end_passed": _l(
        "The contract's last day must not lie in the past; end it now to end it."
    ),
    "creditor.purpose_unknown": _l("Choose the agreed purposes from the reveal purposes."),
    "creditor.no_project_group": _l("Name the creditor's project groups."),
    "creditor.project_group_unknown": _l("Choose project groups the directory knows."),
    "creditor.name_mismatch": _l("Type the creditor's name exactly to end its contract."),
    "creditor.ended": _l("The contract has ended and its data is destroyed."),
    "creditor.no_certificate": _l("The contract has not ended: there is no certificate."),
    "creditor.keys_unwritable": _l(
        "The data keys file cannot be written; nothing was changed. Tell IT."
    ),
    "creditor.contract_ended": _l(
        "The creditor's contract has ended: its debtors' data may no longer be read."
    ),
    "creditor.contract_not_started": _l(
        "The creditor's contract has not started: its debtors' data may not be read yet."
    ),
    "creditor.purpose_not_agreed": _l("The creditor did not agree to this purpose."),
    "creditor.keys_destroyed": _l(
        "This data was destroyed at the end of the creditor's contract; it cannot be read."
    ),
    "purpose.unknown": _l("Choose why you need to see this from the list."),
    "search.kind": _l("Search by phone number or ID number."),
    "role.field.none": _l("Your role does not see this field."),
    "role.field.masked_only": _l("Your role sees this field masked only."),
    "third_party.no_offer_to_pay": _l(
        "The amount owed is shown to a third party only after a note records their offer to pay."
    ),
    "audit.investigation_required": _l(
        "Auditors see debtor data only inside an open investigation that covers the debtor."
    ),
    "investigation.field_not_covered": _l("This investigation does not open this field."),
    # break glass
    "break_glass.auditor": _l("Auditors reach debtors through investigations, not break glass."),
    "break_glass.not_grantor": _l("Only supervisors and department heads grant break glass."),
    "break_glass.other_department": _l("Grant break glass only to your own department's staff."),
    "break_glass.outside_your_reach": _l(
        "You do not reach that project group yourself, so you may not grant it."
    ),
    "break_glass.own": _l("Nobody grants break glass to themselves."),
    "break_glass.scope": _l("Name either one debtor or one project group."),
    "break_glass.too_long": _l(
        "Break glass is granted for a few hours at most; choose a shorter time."
    ),
    # the field policy
    "policy.field_unknown": _l("The policy names a debtor field that does not exist."),
    "policy.role_unknown": _l("The policy names a role that does not exist."),
    "policy.inherits_auditor": _l("No role may inherit an auditor's lines."),
    "policy.line_invalid": _l("A policy line may hold only letters, digits, _ . - or *."),
    "policy.line_missing": _l("A line to remove is not in the policy."),
    "policy.too_many": _l("Too many lines in one change; split it."),
    # training: certifications, plans, sessions, exams, leave, feedback
    "training.not_visible": _l("This person's training is outside what you may see."),
    "agreement.unknown": _l("There is no such agreement."),
    "agreement.outdated": _l(
        "This is not the current version of the agreement. Read it again, then sign."
    ),
    "course.unknown": _l("There is no such course with an exam."),
    "plan.unknown": _l("There is no such training plan."),
    "plan.dates": _l("A plan cannot end before it starts."),
    "session.unknown": _l("There is no such training session."),
    "session.started": _l("Leave is asked for before the session starts."),
    "session.not_started": _l("Attendance is recorded once the session has started."),
    "session.not_participant": _l("This person is not expected at this session."),
    "attendance.own": _l("Nobody records their own attendance."),
    "attendance.recorded": _l("This person's attendance is already recorded."),
    "exam.own_result": _l("Nobody records their own exam result."),
    "exam.hr_case_open": _l(
        "HR is handling this person's repeated failure; results wait for HR's decision."
    ),
    "exam.hr_no_retake": _l("HR decided this person takes no further retake."),
    "hr_case.unknown": _l("There is no such HR case."),
    "hr_case.own": _l("Nobody decides their own case."),
    "hr_case.decided": _l("This case has already been decided."),
    "leave.unknown": _l("There is no such leave request."),
    "leave.requested": _l("You have already asked for leave from this session."),
    "leave.self_approval": _l("Nobody approves their own leave."),
    "leave.not_department_head": _l("This person's department head approves their leave."),
    "leave.not_general_manager": _l("The general manager approves this person's leave."),
    "leave.none": _l("No leave was asked for this session."),
    "leave.too_late": _l("The leave was asked for too late before the session."),
    "leave.not_approved": _l("The leave was not approved before the session started."),
    "feedback.unknown": _l("No feedback form is due for this plan and person."),
    "feedback.returned": _l("This feedback form was already returned."),
    "feedback.self_approval": _l("Nobody returns their own feedback form."),
    "feedback.not_department_head": _l(
        "This person's department head returns their feedback form."
    ),
    "feedback.not_general_manager": _l("The general manager returns this person's feedback form."),
    "calendar.year_unknown": _l(
        "The public holidays of that year are not known yet. Ask IT to add them."
    ),
    "calendar.no_working_day": _l("That month has no working day in the calendar."),
    # calls: the contact guard, lines, telephone reports
    "contact.quiet_hours": _l("It is outside the hours when calls may be made to this party."),
    "contact.daily_cap_connected": _l(
        "This party has already been spoken to as often as allowed today."
    ),
    "contact.daily_cap_unanswered": _l(
        "This party has already been called without answer as often as allowed today."
    ),
    "contact.do_not_call": _l("This party or number must not be called."),
    "contact.complaint_stop": _l("Calls to this debtor are stopped while a complaint is handled."),
    "contact.method_cap": _l("This party has been contacted this way as often as allowed."),
    "contact.weekly_cap": _l("This party has already been called as often as allowed this week."),
    "contact.after_conversation": _l(
        "This party was spoken to a short while ago; wait before calling again."
    ),
    "contact.not_party_number": _l("This number is not one of this party's numbers."),
    "contact.too_many_wrong_numbers": _l(
        "Too many wrong numbers for this debtor today. Try again tomorrow."
    ),
    "contact.party_malformed": _l("Choose the debtor or one of their emergency contacts."),
    "contact.party_unknown": _l("This debtor has no such emergency contact."),
    "call.unknown": _l("There is no such call."),
    "call.no_account": _l("Only a personal account has calls of its own."),
    "call.id_reused": _l("This call was reported before with other details."),
    "call.in_future": _l("The call starts or ends after the present time."),
    "call.ended_before_start": _l("The call ends before it starts."),
    "call.answered_outside": _l("The call is answered before it starts or after it ends."),
    "line.unknown": _l("There is no such line."),
    "line.duplicate": _l("This line is registered already."),
    "line.retired": _l("This line is retired already."),
    "telephony.not_configured": _l("The telephone system is not connected to Govern here."),
    "telephony.session_refused": _l(
        "This address takes the telephone system's signature, never a session."
    ),
    "telephony.signature_missing": _l("The telephone system's report is not signed."),
    "telephony.signature_invalid": _l("The telephone system's signature does not match."),
    "telephony.timestamp_invalid": _l("The telephone system's timestamp is not valid."),
    "telephony.timestamp_outside_window": _l(
        "The telephone system's timestamp is too far from the present time."
    ),
    # notes, scripts and complaints
    "note.forbidden_language": _l("The text contains forbidden language; remove the terms named."),
    "script.forbidden_language": _l(
        "The script contains forbidden language; remove the terms named."
    ),
    "script.no_agent_statement": _l(
        "A script must open by stating that the caller acts as the client's agent."
    ),
    "script.unknown": _l("There is no such call script."),
    "script.retired": _l("This script is retired; write a new one."),
    "note.party_unknown": _l("This is not a party of this debtor."),
    "note.call_required": _l("A call note names its call."),
    "note.call_not_expected": _l("A note of no call names no call and no call outcome."),
    "note.call_direction": _l("The note's direction is not the call's."),
    "note.call_noted": _l("This call already has its note; correct it with a new note."),
    "note.call_other_collector": _l("This call is another collector's; they note it."),
    "note.call_other_debtor": _l("This call was not with this debtor."),
    "note.call_other_number": _l("This call was not with a number of this party."),
    "note.call_other_party": _l("This call was with another party."),
    "note.outcome_call": _l("The outcome does not match what happened to the call."),
    "note.outcome_direction": _l("A call note says what became of the call."),
    "note.corrects_unknown": _l("This debtor has no such note to correct."),
    "note.corrects_other_call": _l("A correction names the same call as the note it corrects."),
    "note.do_not_call_debtor": _l(
        "A debtor cannot be blocked from calls; record their objection as a complaint."
    ),
    "note.flag_needs_conversation": _l("Only a conversation can record this."),
    "note.purpose_party": _l("Only a third party offers to pay for the debtor."),
    "note.third_party_purpose": _l(
        "An emergency contact is never asked to pay; choose another purpose."
    ),
    "complaint.unknown": _l("There is no such complaint case."),
    "complaint.reported": _l("This complaint case was reported already."),
    "complaint.not_open": _l("This complaint case has been resumed already."),
    # the database under Govern
    "database.unavailable": _l(
        "The database cannot be reached or cannot take this now, so nothing was done. Try "
        "again shortly; if it lasts, tell IT."
    ),
    # audit: the trail, investigations
    "audit.unavailable": _l(
        "The audit trail cannot be written, so nothing was done (if you were signing out, you "
        "are still signed in). Try again shortly; if it lasts, tell IT."
    ),
    "audit.query_timeout": _l(
        "The query took too long and was stopped. Narrow it (a shorter time range, one debtor "
        "or account) or try again later."
    ),
    "checkpoint.unknown": _l("No signed checkpoint covers that yet."),
    "proof.order": _l("The older size must not be larger than the newer."),
    "export.exists": _l("That folder exists; choose a new one."),
    "export.range": _l("The end of the range must not be before its start."),
    "verify.range": _l("The trail does not hold that range of events."),
    "investigation.unknown": _l("There is no such investigation."),
    "report.too_many_events": _l(
        "The report would hold more events than it may. Narrow the investigation: a shorter "
        "time range, fewer debtors or fields."
    ),
    "investigation.empty": _l("The list names no debtor."),
    "investigation.closed": _l("This investigation is already closed."),
    "investigation.expired": _l("This investigation's access has expired."),
    "investigation.not_approved": _l(
        "This investigation opens no field until another auditor or the general manager "
        "approves it."
    ),
    "investigation.not_covering": _l("No open investigation covers this debtor."),
    "investigation.not_pending": _l("This investigation is not waiting for a decision."),
    "investigation.not_yours": _l("An investigation opens fields to its requester only."),
    "investigation.same_person": _l("An auditor does not investigate their own account."),
    "investigation.nothing_to_open": _l(
        "Opening fields needs the debtors whose fields to open; a suspect alone opens none."
    ),
    "investigation.own_request": _l(
        "Another auditor or the general manager must approve your own request."
    ),
    "investigation.query_only": _l(
        "This investigation only queries the trail; ask for one that opens fields."
    ),
    "investigation.request_incomplete": _l(
        "This request has no case reference or justification: refuse it, and ask again."
    ),
    "hold.standing": _l("This investigation is already under a legal hold."),
    "hold.none": _l("This investigation is under no legal hold."),
    "hold.own_release": _l(
        "Another auditor or the general manager must release the legal hold you placed."
    ),
    "retention.folder": _l(
        "The archive folder cannot be written; nothing was archived or removed."
    ),
    "retention.archive_invalid": _l("The archive does not verify; nothing was removed."),
    "retention.not_owner": _l(
        "The database refused to remove archived events: removal runs as the trail's owner "
        "(GOVERN_MIGRATION_DATABASE_URL). Nothing was removed."
    ),
    "retention.boundary": _l("No signed checkpoint ends the archived events; nothing was removed."),
    "audit.archived": _l(
        "Those events were archived and removed from the database; check them in the archive "
        "bundle."
    ),
    "retention.clock": _l(
        "Govern's clock and the database's differ by more than an hour; nothing was archived "
        "or removed."
    ),
    "retention.held": _l("A standing legal hold keeps some of these events; nothing was removed."),
    "retention.failed": _l("The removal failed; the archive is kept and nothing was removed."),
    "retention.running": _l(
        "Another retention run is archiving or removing events; nothing was done."
    ),
    "investigation.too_long": _l(
        "An investigation opens fields for a limited number of hours; choose a shorter time."
    ),
    "investigation.too_many_debtors": _l(
        "An investigation that opens debtors' fields covers fewer debtors; rank who saw a "
        "larger list without opening it."
    ),
    # backup sets (`govern backup …`, docs/operations.md)
    "backup.exists": _l("That folder is not empty; write the backup set into a new folder."),
    "backup.manifest": _l("This folder holds no backup set: its manifest is missing or not one."),
    "backup.incomplete": _l("The backup set's manifest leaves out a part every set holds."),
    "backup.file_missing": _l("A file of the backup set is missing; the set is refused."),
    "backup.hash_mismatch": _l(
        "A file of the backup set is not the one backed up (its hash differs); the set is refused."
    ),
    "backup.key_invalid": _l("The backup set's audit public key cannot be read."),
    "backup.key_mismatch": _l(
        "The backup set's trail is signed by another key than the one trusted here; restore "
        "the signing key the set was made with first."
    ),
    "backup.data_keys_invalid": _l("The backup set's data keys cannot be read."),
    "backup.trail_tampered": _l(
        "The audit trail in the backup set does not verify against its signed checkpoints; "
        "the set is refused."
    ),
    "backup.wrong_database": _l(
        "The backup set holds another kind of database than this Govern uses."
    ),
    "backup.newer_schema": _l(
        "The backup set's database is of a newer Govern than this one; install that version first."
    ),
    "backup.database_not_empty": _l(
        "The database to restore into holds tables; restore only into an empty database."
    ),
    "backup.files_differ": _l(
        "A data keys file or checkpoint copy in place differs from the backup set's; move it "
        "away or restore with --overwrite-files."
    ),
    "backup.restore_check": _l(
        "The restored database's audit trail does not match the backup set; do not start "
        "Govern on it."
    ),
    "db.unreachable": _l(
        "The database cannot be reached; check DATABASE_URL and GOVERN_MIGRATION_DATABASE_URL."
    ),
    "db.refused": _l(
        "The database refused the schema's command; run it as the schema's owner "
        "(GOVERN_MIGRATION_DATABASE_URL)."
    ),
    "db.revision_unknown": _l(
        "The database's schema is newer than this Govern; install the Govern that made it, or "
        "restore a backup set."
    ),
    "backup.database_unreachable": _l(
        "The database cannot be reached; check DATABASE_URL and GOVERN_MIGRATION_DATABASE_URL."
    ),
    "backup.pg_tool_missing": _l(
        "PostgreSQL's pg_dump or pg_restore, as new as the server, is not installed here."
    ),
    "backup.pg_tool_failed": _l("PostgreSQL's pg_dump or pg_restore failed; see its message."),
    # the service's set-up (start-up and commands; the message raised says what to set)
    "access.fields": _l("The debtor fields' policy file is not valid. Tell IT."),
    "access.policy": _l("The access policy cannot be read. Tell IT."),
    "contact.profiles": _l("The contact rules' policy file is not valid. Tell IT."),
    "training.catalogue": _l("The training catalogue is not valid. Tell IT."),
    "suspension.kinds": _l("The suspension kinds' policy file is not valid. Tell IT."),
    "calendar.bad_data": _l("The holiday calendar file is not valid. Tell IT."),
    # the service's metrics (GET /metrics), asked by a monitoring system
    "metrics.token_required": _l("Send the metrics token to read the metrics."),
    "metrics.local_only": _l(
        "The metrics are answered on the service's own machine only, unless a metrics token is set."
    ),
    # the console's own forms
    "csrf.invalid": _l("The form expired; reload the page."),
    "exam.recorded_at_session": _l(
        "A result of this course is recorded for this person at this session."
    ),
    "confirm.missing": _l("Tick the box to confirm first."),
    "run.unknown": _l("There is no such run."),
    "ranking.none": _l("This investigation has no ranking yet: rank it first."),
    "run.interrupted": _l(
        "This run stopped without finishing: the process running it ended (a restart?). "
        "What it did before stands; start it again."
    ),
    "month.invalid": _l("Ask for a month as 2026-12."),
    "run.unknown_kind": _l("Choose the sweep or the reconciliation."),
    "window.too_long": _l("The chart covers too long a time; choose a shorter one."),
    # access reviews (docs/governance.md#access-reviews)
    "review.deadline_past": _l("The deadline must be in the future."),
    "review.deadline_too_far": _l("A campaign runs at most a year."),
    "review.period_invalid": _l("A campaign repeats every 1 to 12 months."),
    "review.at_deadline_unknown": _l("Choose what happens at the deadline: suspend or report."),
    "review.department_unknown": _l("A department named has no account to review."),
    "review.campaign_unknown": _l("There is no such review campaign."),
    "review.item_unknown": _l("There is no such review item."),
    "review.decision_unknown": _l("Decide certify, revoke or suspend."),
    "review.not_reviewer": _l(
        "This account is reviewed by the head of its department (the general manager for "
        "heads and departments without one), not by you."
    ),
    "review.decided": _l("This account has been reviewed already in this campaign."),
    "review.closed": _l("This campaign has ended; its items can no longer be decided."),
    "review.overlapping": _l(
        "An open campaign already reviews one of these departments; wait for its deadline."
    ),
    "review.report_missing": _l("Send the report's JSON or its CSV, one of them."),
}

#: Codes a page raises with its message already translated (gettext, where it names what was
#: wrong, e.g. the malformed ids of a pasted list): shown as raised, in either language.
WORDED_WHERE_RAISED = ("leaks.*",)

#: Families of codes made where they are raised (`*`: any part, e.g. the certification in
#: `training.<certification>.missing`); a code of MESSAGES is looked up there first.
FAMILIES: dict[str, Any] = {
    # the request itself: its form, its format, HTTP
    "http.*": _l("The request could not be answered."),
    # training: certifications, plans, sessions, exams, leave, feedback
    "training.*.missing": _l("This field needs a training certification you do not hold yet."),
    # the service's set-up (start-up and commands; the message raised says what to set)
    "config.*": _l("Govern is not set up correctly here. Tell IT."),
}


def message_for(code: str, raised_with: str = "") -> str:
    """The message for `code` in the request's language; `raised_with` when it has none, or
    when it was raised in both languages already."""
    if CHINESE.search(raised_with) or any(fnmatchcase(code, p) for p in WORDED_WHERE_RAISED):
        return raised_with
    message = message_of(code)
    return str(message) if message is not None else raised_with


def message_of(code: str) -> Any | None:
    """The code's message, else its family's (lazy: worded where it is read), else None."""
    message = MESSAGES.get(code)
    if message is None:
        message = next((m for p, m in FAMILIES.items() if fnmatchcase(code, p)), None)
    return message


def asked_language(default: str) -> str:
    """The toggle's choice (cookie), else the first language the client asks for that is one
    of ours (any Chinese is Chinese: zh-CN, zh-TW, zh-Hant), else `default`."""
    chosen = request.cookies.get(LANGUAGE_COOKIE, "")
    if chosen in LANGUAGES:
        return chosen
    for tag, _ in request.accept_languages:  # best first
        primary = tag.replace("_", "-").split("-")[0].lower()
        if primary in LANGUAGES:
            return primary
    return default


def api_language() -> str:
    """The language of an API answer: English unless the client asks for Chinese first."""
    return asked_language(API_LANGUAGE)


def message_in(language: str, code: str) -> str | None:
    """The code's own message (or its family's) in `language`; None when it has none."""
    with force_locale(language):
        message = message_of(code)
        return None if message is None else str(message)


def api_message(code: str, raised_with: str) -> str:
    """An API error's `message`: in English the message as raised (it may name what was
    refused), in Chinese the code's message (`raised_with` when the code has none)."""
    language = api_language()
    if language == API_LANGUAGE:
        return raised_with
    with force_locale(language):
        return message_for(code, raised_with)
