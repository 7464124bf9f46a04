"""`flask --app app audit …`: verify the log, sequence it by hand, export checkpoints and keys."""

from __future__ import annotations

import base64
import json
import secrets
from pathlib import Path

import click
from flask.cli import AppGroup

from c2c_safety.audit import checkpoints, sequencer
from c2c_safety.audit.verify import describe, verify
from c2c_safety.core.db import new_session

group = AppGroup("audit", help="The tamper-evident audit trail.")
COMMANDS = (group,)


def _read_kept(path: Path) -> checkpoints.Checkpoint:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")[: checkpoints.MAX_LINE * 2]
    except OSError as exc:
        raise click.ClickException(f"cannot read {path}: {exc.strerror}") from exc
    try:
        return checkpoints.parse(text, checkpoints.public_key())
    except checkpoints.CheckpointError as exc:
        raise click.ClickException(f"{path} is not a checkpoint this desk signed: {exc}") from exc


@group.command("verify")
@click.option("--checkpoint", "kept", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also check the log against this checkpoint (one you downloaded earlier).")
def verify_cmd(kept: Path | None) -> None:
    """Recompute every MAC and link and compare the log with its signed checkpoints (the
    witness's, the database's and KEPT); exit 1 naming each problem."""
    cp = _read_kept(kept) if kept is not None else None
    s = new_session()
    try:
        result = verify(s, kept=cp)
    finally:
        s.close()
    lines = describe(result)
    if result.ok:
        click.echo(f"audit log intact: {result.checked} entries verified")
        for line in lines:
            click.echo("  " + line)
        return
    click.echo(f"audit log BROKEN at seq {result.first_bad_seq}: {result.problem}", err=True)
    for line in lines:
        click.echo("  " + line, err=True)
    raise SystemExit(1)


@group.command("sequence")
def sequence_cmd() -> None:
    """Sequence every pending entry now (the workers do this continuously)."""
    s = new_session()
    try:
        result = sequencer.sequence_pending(s)
    except (sequencer.SequencerConflictError, sequencer.LogForkedError) as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        s.close()
    click.echo(f"sequenced {result.sequenced} entries; log size {result.size}"
               + (f"; REJECTED {result.rejected} entries whose MAC does not match" if result.rejected else ""))


@group.command("checkpoint")
def checkpoint_cmd() -> None:
    """Print the latest signed checkpoint (keep it: `audit verify --checkpoint FILE` later)."""
    s = new_session()
    try:
        cp = sequencer.latest_signed(s)
    finally:
        s.close()
    if cp is None:
        raise click.ClickException("no checkpoint has been signed yet")
    click.echo(cp.line)


@group.command("public-key")
def public_key_cmd() -> None:
    """The Ed25519 public key that checks checkpoint signatures (base64, raw 32 bytes)."""
    click.echo(checkpoints.public_key_b64())


@group.command("keygen")
def keygen_cmd() -> None:
    """Print a new value for C2C_AUDIT_SIGNING_KEY (keep it out of the database's reach)."""
    click.echo(base64.b64encode(secrets.token_bytes(32)).decode())
    click.echo(json.dumps({"hint": "set C2C_AUDIT_SIGNING_KEY to the line above"}), err=True)
