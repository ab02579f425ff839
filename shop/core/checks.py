"""Deployment checks of our own (run by ``manage.py check --deploy``)."""

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security, deploy=True)
def rate_limit_store_is_shared(app_configs, **kwargs):
    from shop.core.ratelimit import store_is_shared

    if settings.RATE_LIMIT_ENABLED and not store_is_shared():
        return [
            Warning(
                "Rate limits are counted in local memory, per process: set RATE_LIMIT_CACHE_URL or CACHE_URL "
                "to a Redis URL so that every server instance shares them.",
                id="shop.W001",
            )
        ]
    return []


@register(Tags.security, deploy=True)
def graphql_is_closed(app_configs, **kwargs):
    warnings = []
    for name in ("GRAPHQL_INTROSPECTION", "GRAPHIQL_ENABLED", "GRAPHQL_FIELD_SUGGESTIONS"):
        if getattr(settings, name):
            warnings.append(Warning(f"{name} is on: the schema is browsable by anyone.", id="shop.W002"))
    return warnings
