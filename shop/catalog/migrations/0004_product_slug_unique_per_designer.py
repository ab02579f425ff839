"""Product slugs unique per designer, not globally (issue 13, finding 8). Safe on a live table
(shop/core/migration_safety.py): the new unique index and the plain slug index are built
CONCURRENTLY, the constraint is attached USING INDEX, then the global unique constraint is dropped."""

from django.conf import settings
from django.db import migrations, models

DROP_GLOBAL_UNIQUE = """
DO $$
DECLARE name text;
BEGIN
    FOR name IN
        SELECT c.conname FROM pg_constraint c
        JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)
        WHERE c.conrelid = 'catalog_product'::regclass AND c.contype = 'u'
          AND array_length(c.conkey, 1) = 1 AND a.attname = 'slug'
    LOOP
        EXECUTE format('ALTER TABLE catalog_product DROP CONSTRAINT %I', name);
    END LOOP;
END $$;
"""


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("catalog", "0003_product_search"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(model_name="product", name="slug", field=models.SlugField(max_length=80)),
                migrations.AddConstraint(
                    model_name="product",
                    constraint=models.UniqueConstraint(
                        fields=("designer", "slug"), name="product_slug_unique_per_designer"
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    'CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS "product_slug_unique_per_designer" '
                    'ON "catalog_product" ("designer_id", "slug")',
                    'DROP INDEX CONCURRENTLY IF EXISTS "product_slug_unique_per_designer"',
                ),
                migrations.RunSQL(
                    'CREATE INDEX CONCURRENTLY IF NOT EXISTS "catalog_product_slug_plain_idx" ON "catalog_product" ("slug")',
                    'DROP INDEX CONCURRENTLY IF EXISTS "catalog_product_slug_plain_idx"',
                ),
                migrations.RunSQL(
                    'ALTER TABLE "catalog_product" ADD CONSTRAINT "product_slug_unique_per_designer" '
                    'UNIQUE USING INDEX "product_slug_unique_per_designer"',
                    'ALTER TABLE "catalog_product" DROP CONSTRAINT IF EXISTS "product_slug_unique_per_designer"',
                ),
                migrations.RunSQL(DROP_GLOBAL_UNIQUE, migrations.RunSQL.noop),
            ],
        ),
    ]
