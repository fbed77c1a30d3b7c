"""Operator commands: `flask --app wsgi <command>`."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from jobs.queue import jobs
from jobs.schedule import PeriodicJobsFailed, periodic_jobs, run_once
from jobs.worker import worker_command
from workspace.auth.passwords import PASSWORD_MAX, PASSWORD_MIN
from workspace.auth.service import create_user
from workspace.config import settings_of
from workspace.db import db
from workspace.demo import seed_demo
from workspace.errors import AppError
from workspace.migrations import upgrade
from workspace.webhooks import stored_secrets


def register_cli(app: Flask) -> None:
    app.cli.add_command(create_admin)
    app.cli.add_command(db_group)
    app.cli.add_command(scheduler_group)
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(worker_command)


@click.command("create-admin")
@click.option("--email", required=True)
@click.option("--password", required=True)
@click.option("--name", default="Administrator")
@with_appcontext
def create_admin(email: str, password: str, name: str) -> None:
    """Create the first admin (or another one)."""
    if not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        raise click.BadParameter(
            f"use {PASSWORD_MIN} to {PASSWORD_MAX} characters", param_hint="--password"
        )
    try:
        with db.transaction() as s:
            user = create_user(
                s, email=email, name=name, password=password, role="admin", locale="en"
            )
    except AppError as err:
        raise click.ClickException(err.message) from None
    click.echo(f"admin {user.email} created (id {user.id})")


@click.group("db")
def db_group() -> None:
    """Database schema."""


@db_group.command("upgrade")
@with_appcontext
def db_upgrade() -> None:
    """Apply every migration (the web app does this itself on SQLite)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    upgrade(settings_of(app).database_url)
    # Webhook secrets stored in clear by earlier versions: sealed now that the
    # column can hold them (serving processes do it too, at start).
    with db.transaction() as s:
        stored_secrets.seal_legacy(s)
    click.echo("database is up to date")


@click.group("scheduler")
def scheduler_group() -> None:
    """Periodic jobs."""


@scheduler_group.command("list")
@with_appcontext
def scheduler_list() -> None:
    """Every periodic job, each once, with how often it runs."""
    for job in periodic_jobs():
        click.echo(f"{job.path}: every {job.every_seconds} s")


@scheduler_group.command("run-once")
@with_appcontext
def scheduler_run_once() -> None:
    """Run every periodic job once, as if its time had come."""
    try:
        results, failed = run_once(), []
    except PeriodicJobsFailed as err:
        results, failed = err.results, err.failed
    for path, result in results.items():
        click.echo(f"{path}: {result}")
    # The mails, deliveries and builds they queued: run here before exiting
    # (in-process queue) or handed to the workers (Redis).
    if not jobs.wait_idle(timeout=300):
        click.echo(
            "some queued work is still running; the periodic sweeps will finish it", err=True
        )
    if failed:
        raise click.ClickException(f"{len(failed)} periodic job(s) failed: {', '.join(failed)}")


@click.command("seed-demo")
@with_appcontext
def seed_demo_command() -> None:
    """Fill an empty database with the demo workspace."""
    click.echo(seed_demo() or "database is not empty; nothing added")
