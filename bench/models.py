from django.db import models
from django.utils import timezone


class Dataset(models.Model):
    """What ``seed_bench`` loaded: the harness names the dataset in its report from the last row."""

    seed = models.IntegerField()
    until = models.DateTimeField(help_text="The data's 'today'.")
    parameters = models.JSONField(default=dict, help_text="Counts asked for.")
    rows = models.JSONField(default=dict, help_text="Rows written, per table.")
    seconds = models.FloatField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
