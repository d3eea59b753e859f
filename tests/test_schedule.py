"""The help sweep is scheduled every minute in django-celery-beat, and a sync keeps staff edits."""

import pytest
from django.apps import apps
from django_celery_beat.models import PeriodicTask
from django_celery_beat.schedulers import DatabaseScheduler

import disputes.tasks  # noqa: F401 - registers the tasks, as the worker does
from backoffice.celery import app as celery_app
from disputes.schedule import PERIODIC_TASKS, sync_schedule

pytestmark = pytest.mark.django_db


def test_migration_created_the_minute_sweep():
    task = PeriodicTask.objects.get(task="disputes.help_sweep")
    assert task.enabled
    assert (task.interval.every, task.interval.period) == (60, "seconds")
    assert "disputes.help_sweep" in celery_app.tasks


def test_beat_loads_it():
    scheduler = DatabaseScheduler(app=celery_app, lazy=True)
    entries = scheduler.all_as_schedule()
    assert entries["One-click help sweep"].task == "disputes.help_sweep"


def test_sync_keeps_a_staff_edit_of_the_interval():
    from django_celery_beat.models import IntervalSchedule

    task = PeriodicTask.objects.get(task="disputes.help_sweep")
    task.interval = IntervalSchedule.objects.create(every=30, period="seconds")
    task.save()
    assert sync_schedule(apps) == []
    task.refresh_from_db()
    assert task.interval.every == 30
    PeriodicTask.objects.all().delete()
    assert sync_schedule(apps) == [spec.name for spec in PERIODIC_TASKS]
