"""`govern audit …`: keys, checkpoints, verification, proofs and export, all through `Trail`
(the auditors' investigations add their commands to this group: govern/investigations/cli.py)."""

from __future__ import annotations

import os
from pathlib import Path

import click
from flask.cli import with_appcontext

from audit.report import Report
from audit.signing import key_id, load_private_key, new_private_key_pem, public_pem
from govern.command_line import counted, echo_json, progress_bar
from govern.errors import BadRequest
from govern.web import services

PROBLEMS_EXIT = 1


@click.group()
def audit() -> None:
    """The tamper-evident audit trail."""


@audit.command("keygen")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def keygen(path: Path) -> None:
    """Create the Ed25519 key that signs checkpoints (keep it outside the repository)."""
    if path.exists():
        raise click.ClickException(f"{path} exists; a signing key is never overwritten")
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as out:
        out.write(new_private_key_pem())
    public = load_private_key(path).public_key()
    click.echo(f"signing key written to {path} (key id {key_id(public)}); its public key:")
    click.echo(public_pem(public).decode(), nl=False)


@audit.command("checkpoint")
@with_appcontext
def checkpoint() -> None:
    """Sign the trail as it stands now."""
    written = services().trail.checkpoint_now()
    click.echo(
        f"checkpoint at {counted(written.tree_size, 'event')}" if written else "nothing new to sign"
    )


@audit.command("verify")
@click.option("--from", "first", type=click.IntRange(min=1), default=1, help="First event.")
@click.option("--to", "last", type=click.IntRange(min=1), help="Last event (default: all).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option(
    "--skip-index", is_flag=True, help="Leave out the cross-check of the searchable columns."
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=os.cpu_count() or 1,
    show_default=True,
    help="Processes for long ranges.",
)
@with_appcontext
def verify(first: int, last: int | None, as_json: bool, skip_index: bool, workers: int) -> None:
    """Check the trail against its signed checkpoints; exit 1 on any problem."""
    with progress_bar("events checked") as bar:
        report = services().trail.verify(
            first, last, check_index=not skip_index, workers=workers, tally=bar
        )
    if as_json:
        echo_json(report.as_dict())
    else:
        _print_report(report)
    if not report.ok:
        raise click.exceptions.Exit(PROBLEMS_EXIT)


@audit.command("prove")
@click.argument("seq", type=click.IntRange(min=1))
@click.option("--size", type=click.IntRange(min=1), help="Checkpoint size (default: newest).")
@with_appcontext
def prove(seq: int, size: int | None) -> None:
    """Print an inclusion proof of event SEQ (verify: scripts/verify_bundle.py --proof)."""
    echo_json(services().trail.prove_inclusion(seq, size))


@audit.command("consistency")
@click.argument("old", type=click.IntRange(min=1))
@click.argument("new", type=click.IntRange(min=1))
@with_appcontext
def consistency(old: int, new: int) -> None:
    """Print a proof that checkpoint NEW extends checkpoint OLD (both tree sizes)."""
    echo_json(services().trail.prove_consistency(old, new))


@audit.command("export")
@click.option("--from", "first", type=click.IntRange(min=1), required=True)
@click.option("--to", "last", type=click.IntRange(min=1), required=True)
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@with_appcontext
def export(first: int, last: int, folder: Path) -> None:
    """Write events FROM..TO as a bundle that scripts/verify_bundle.py checks offline."""
    if last < first:
        raise BadRequest("export.range", "--to must not be before --from.")
    if folder.exists():
        raise BadRequest("export.exists", f"{folder} exists; choose a new folder.")
    with progress_bar("events exported") as bar:
        manifest = services().trail.export(first, last, folder, bar)
    click.echo(
        f"exported events {first}..{last} to {folder} "
        f"(anchored by the checkpoint at {manifest['anchored_by']})"
    )


def _print_report(report: Report) -> None:
    click.echo(
        f"checked {counted(report.events, 'event')} against "
        f"{counted(report.checkpoints, 'signed checkpoint')}; "
        f"anchored up to {report.anchored_to}, {report.unanchored} unanchored"
    )
    if report.ok:
        click.echo("OK: the trail is intact")
        return
    first = report.first_problem
    click.echo(f"TAMPERED: first bad event {first.seq}: {first.kind}: {first.message}", err=True)
    for problem in report.problems:
        if problem is not first:
            click.echo(f"  also {problem.kind} at {problem.seq}: {problem.message}", err=True)
    click.echo(_windows_line(report), err=True)


def _windows_line(report: Report) -> str:
    """Which windows between checkpoints hold the damage; the others are intact."""
    named = [
        f"{state} {', '.join(f'{w.first}..{w.last}' for w in report.windows_in(state))}"
        for state in ("tampered", "unchecked")
        if report.windows_in(state)
    ]
    intact = len(report.windows_in("intact"))
    return f"windows: {'; '.join([*named, f'{intact} intact'])}"
