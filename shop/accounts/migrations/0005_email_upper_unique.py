"""Two accounts may not differ only by a spelling PostgreSQL's UPPER folds together (issue 13,
finding 2): a unique index on UPPER(email), built CONCURRENTLY (shop/core/migration_safety.py)."""

import django.db.models.functions.text
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("accounts", "0004_canonical_emails"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddConstraint(
                    model_name="user",
                    constraint=models.UniqueConstraint(
                        django.db.models.functions.text.Upper("email"), name="accounts_user_email_upper_unique"
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    'CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS "accounts_user_email_upper_unique" '
                    'ON "accounts_user" ((UPPER("email")))',
                    'DROP INDEX CONCURRENTLY IF EXISTS "accounts_user_email_upper_unique"',
                ),
            ],
        ),
    ]
