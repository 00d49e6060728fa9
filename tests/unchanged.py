"""Proof that a refusal changed nothing: rows, files, mail and on-commit work.

A failure path is only half tested by its status code or exception; the
other half is that nothing was written on the way (rule 13: "on negative
paths assert the side effect did not happen"). ``assert_unchanged`` takes a
snapshot before the block and fails with a readable diff when anything
differs after it::

    with assert_unchanged():                      # every table of our apps
        response = client.post(url, bad_data)
    with assert_unchanged(Segment, Friend.objects.filter(account=account)):
        ...

What a snapshot holds:

* the rows of each target (a model: all its rows; a queryset: its rows),
  every column, keyed by primary key; with no targets, every model of the
  project's own apps (Django's sessions, auth permissions and django-axes
  are not ours and are left out);
* except one kind of row: a month's quota ledger row (``MonthlyUsage``)
  that appears with nothing used or reserved. ``usage_get`` makes it on a
  month's first read (a page's usage bar, an estimate) by design; it holds
  no quota, and any quota taken shows as ``used``/``reserved`` on a row
  that already existed or as a new row that is not empty;
* the files under ``MEDIA_ROOT`` (the tests' storage, a fresh tmp_path);
* the e-mails in ``django.core.mail.outbox``;
* the callbacks waiting for the test's transaction to commit
  (``transaction.on_commit``): Celery tasks, real-time events and webhook
  deliveries are all scheduled that way (rule 5), so an unchanged count
  means none was queued. In transactional tests on_commit runs at once,
  and whatever the work writes shows up in the rows instead.
"""

from __future__ import annotations

import contextlib
import pathlib
from collections.abc import Iterator
from dataclasses import dataclass

from django.apps import apps
from django.conf import settings
from django.core import mail
from django.db import connection, models

PROJECT_APPS = frozenset(
    {
        "core",
        "accounts",
        "messaging",
        "chat",
        "richmenu",
        "shopcard",
        "voom",
        "research",
        "coupons",
        "analytics",
        "talk",
    }
)

Target = type[models.Model] | models.QuerySet


def _project_models() -> list[type[models.Model]]:
    return [
        model
        for model in apps.get_models()
        if model._meta.app_label in PROJECT_APPS and not model._meta.proxy
    ]


def _rows(index: int, target: Target) -> tuple[str, dict]:
    if isinstance(target, models.QuerySet):
        queryset = target
        label = f"{target.model._meta.label} (query {index + 1})"
    else:
        queryset = target._default_manager.all()
        label = target._meta.label
    columns = [field.attname for field in queryset.model._meta.concrete_fields]
    rows = queryset.order_by("pk").values("pk", *columns)
    return label, {row["pk"]: row for row in rows}


def _files() -> set[str]:
    root = pathlib.Path(settings.MEDIA_ROOT)
    if not root.is_dir():
        return set()
    return {str(path.relative_to(root)) for path in root.rglob("*") if path.is_file()}


def _empty_ledger_row(label: str, row: dict) -> bool:
    return (
        label.startswith("accounts.MonthlyUsage")
        and row["used"] == 0
        and row["reserved"] == 0
        and row["warned_percent"] == 0
    )


@dataclass
class Snapshot:
    """Rows, stored files, sent mail and queued on-commit work at one moment."""

    rows: dict[str, dict]
    files: set[str]
    mails: int
    on_commit: int

    @classmethod
    def take(cls, *targets: Target) -> Snapshot:
        return cls(
            rows=dict(
                _rows(index, target)
                for index, target in enumerate(targets or _project_models())
            ),
            files=_files(),
            mails=len(getattr(mail, "outbox", [])),
            on_commit=len(connection.run_on_commit),
        )

    def diff(self, after: Snapshot) -> list[str]:
        """What changed from ``self`` to ``after``, one line each."""
        lines = []
        for label, before_rows in self.rows.items():
            after_rows = after.rows[label]
            for pk in sorted(after_rows.keys() - before_rows.keys()):
                if not _empty_ledger_row(label, after_rows[pk]):
                    lines.append(f"{label}: row added {after_rows[pk]}")
            for pk in sorted(before_rows.keys() - after_rows.keys()):
                lines.append(f"{label}: row deleted {before_rows[pk]}")
            for pk in sorted(before_rows.keys() & after_rows.keys()):
                old, new = before_rows[pk], after_rows[pk]
                changed = {
                    name: f"{old[name]!r} -> {new[name]!r}"
                    for name in old
                    if old[name] != new[name]
                }
                if changed:
                    lines.append(f"{label}: row {pk} changed {changed}")
        lines += [f"file stored: {name}" for name in sorted(after.files - self.files)]
        lines += [f"file deleted: {name}" for name in sorted(self.files - after.files)]
        if after.mails != self.mails:
            lines.append(f"e-mails sent: {after.mails - self.mails}")
        if after.on_commit != self.on_commit:
            lines.append(
                "on-commit work queued (task, event or webhook): "
                f"{self.on_commit} -> {after.on_commit}"
            )
        return lines

    def assert_same(self, *targets: Target) -> None:
        """Fail with the differences when a new snapshot differs from this one."""
        changes = self.diff(Snapshot.take(*targets))
        assert not changes, "expected no change, but:\n" + "\n".join(changes)


@contextlib.contextmanager
def assert_unchanged(*targets: Target) -> Iterator[Snapshot]:
    """Fail if the block writes a row of ``targets`` (default: every table of
    the project), stores or deletes a file, sends mail or queues on-commit
    work. ``pytest.raises`` goes inside, so the check runs after a refusal.
    """
    before = Snapshot.take(*targets)
    yield before
    before.assert_same(*targets)
