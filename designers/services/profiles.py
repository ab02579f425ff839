"""Designer profiles: applying to sell, profile edits and staff decisions (approve, reject, suspend,
reinstate). Every status change is recorded and the designer is emailed after commit."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from designers import cache, tasks
from designers.errors import DesignerErrorCode
from designers.models import Designer, DesignerStatus, DesignerStatusChange
from shop.accounts.models import User
from shop.catalog.services.search import sync_designer_search
from shop.core.errors import PermissionDenied, ServiceError
from shop.core.queueing import enqueue
from shop.core.text import choose_slug, unique_slug
from shop.core.validation import clean_links, clean_text

S = DesignerStatus

# (from, to) pairs a staff decision may make, by decision name
DECISIONS = {
    "approve": ({S.PENDING}, S.APPROVED),
    "reject": ({S.PENDING}, S.REJECTED),
    "suspend": ({S.APPROVED}, S.SUSPENDED),
    "reinstate": ({S.SUSPENDED}, S.APPROVED),
}


def _clean_profile(*, display_name, bio, city, links, partial: bool) -> dict:
    data = {}
    if display_name is not None or not partial:
        data["display_name"] = clean_text(display_name, field="display_name", max_length=100, required=True)
    if bio is not None or not partial:
        data["bio"] = clean_text(bio, field="bio", max_length=5000)
    if city is not None or not partial:
        data["city"] = clean_text(city, field="city", max_length=100)
    if links is not None or not partial:
        data["links"] = clean_links(links)
    return data


# Designers whose slug is public and theirs alone (models.Designer.slug).
SLUG_HOLDERS = (S.APPROVED, S.SUSPENDED)


def _record(
    designer: Designer, *, from_status: str, to_status: str, actor: User | None, reason: str = ""
) -> DesignerStatusChange:
    change = DesignerStatusChange.objects.create(
        designer=designer, from_status=from_status, to_status=to_status, actor=actor, reason=reason
    )
    enqueue(tasks.send_designer_status_email, change.pk)
    return change


@transaction.atomic
def apply_as_designer(
    *,
    user: User,
    display_name: str,
    slug: str | None = None,
    bio: str | None = None,
    city: str | None = None,
    links: list[str] | None = None,
) -> Designer:
    """A signed-in user applies to sell. A rejected applicant may apply again (back to PENDING)."""
    data = _clean_profile(display_name=display_name, bio=bio, city=city, links=links, partial=False)
    existing = Designer.objects.select_for_update().filter(user=user).first()
    if existing is not None and existing.status != S.REJECTED:
        raise ServiceError(DesignerErrorCode.ALREADY_APPLIED, _("You have already applied to sell."), None)
    data["slug"] = choose_slug(
        slug,
        data["display_name"],
        # Checked against the public slugs only: an applicant's slug reveals no other applicant.
        taken=Designer.objects.filter(status__in=SLUG_HOLDERS).exclude(pk=existing.pk if existing else None),
        fallback="designer",
    )
    try:
        with transaction.atomic():
            if existing is None:
                designer = Designer.objects.create(user=user, status=S.PENDING, **data)
                from_status = ""
            else:
                from_status = existing.status
                for key, value in data.items():
                    setattr(existing, key, value)
                existing.status = S.PENDING
                existing.save()
                sync_designer_search(existing)
                designer = existing
    except IntegrityError:
        # A concurrent application took the slug or the user already has a profile.
        if Designer.objects.filter(user=user).exclude(pk=existing.pk if existing else None).exists():
            raise ServiceError(DesignerErrorCode.ALREADY_APPLIED, _("You have already applied to sell."), None)
        raise ServiceError(DesignerErrorCode.UNIQUE, _("This slug is already taken."), "slug")
    _record(designer, from_status=from_status, to_status=S.PENDING, actor=user)
    return designer


@transaction.atomic
def update_designer_profile(
    *,
    designer: Designer,
    actor: User,
    display_name: str | None = None,
    slug: str | None = None,
    bio: str | None = None,
    city: str | None = None,
    links: list[str] | None = None,
    accepts_cash_on_delivery: bool | None = None,
    weekly_digest: bool | None = None,
) -> Designer:
    if designer.user_id != actor.pk and not actor.is_staff:
        raise PermissionDenied()
    data = _clean_profile(display_name=display_name, bio=bio, city=city, links=links, partial=True)
    if accepts_cash_on_delivery is not None:
        data["accepts_cash_on_delivery"] = bool(accepts_cash_on_delivery)
    if weekly_digest is not None:
        data["weekly_digest"] = bool(weekly_digest)
    if slug is not None and slug != designer.slug:
        data["slug"] = choose_slug(
            slug,
            designer.display_name,
            taken=Designer.objects.filter(status__in=SLUG_HOLDERS).exclude(pk=designer.pk),
            fallback="designer",
        )
    for key, value in data.items():
        setattr(designer, key, value)
    try:
        with transaction.atomic():
            designer.save()
    except IntegrityError:
        raise ServiceError(DesignerErrorCode.UNIQUE, _("This slug is already taken."), "slug")
    cache.designer_changed(designer.pk, listing=True)
    return designer


@transaction.atomic
def decide(*, designer_id: int, decision: str, actor: User, reason: str = "") -> Designer:
    """A staff decision on a designer. Only staff decide, and never on their own application."""
    if not actor.is_staff:
        raise PermissionDenied()
    allowed_from, to_status = DECISIONS[decision]
    reason = clean_text(reason, field="reason", max_length=2000, required=decision in ("reject", "suspend"))
    designer = Designer.objects.select_for_update().filter(pk=designer_id).first()
    if designer is None:
        raise ServiceError(DesignerErrorCode.NOT_FOUND, _("Designer not found."), "id")
    if designer.user_id == actor.pk:
        raise ServiceError(DesignerErrorCode.SELF_DECISION, _("You cannot decide on your own application."), "id")
    if designer.status not in allowed_from:
        raise ServiceError(
            DesignerErrorCode.INVALID_TRANSITION,
            _("A %(from)s designer cannot be moved to %(to)s.") % {"from": designer.status, "to": to_status},
            "id",
        )
    from_status = designer.status
    designer.status = to_status
    fields = ["status", "updated_at"]
    if to_status in SLUG_HOLDERS and from_status not in SLUG_HOLDERS:
        # The slug becomes public: if an approved designer holds it already, take a free variant.
        holders = Designer.objects.filter(status__in=SLUG_HOLDERS).exclude(pk=designer.pk)
        if holders.filter(slug=designer.slug).exists():
            designer.slug = unique_slug(designer.slug[:54], lambda s: holders.filter(slug=s).exists())
            fields.append("slug")
    try:
        with transaction.atomic():
            designer.save(update_fields=fields)
    except IntegrityError:  # another approval took the slug at the same moment
        raise ServiceError(DesignerErrorCode.UNIQUE, _("This slug is already taken."), "slug")
    sync_designer_search(designer)  # its products' search rows: listed or not
    _record(designer, from_status=from_status, to_status=to_status, actor=actor, reason=reason)
    cache.designer_changed(designer.pk, listing=True)
    return designer


def approve_designer(*, designer_id: int, actor: User) -> Designer:
    return decide(designer_id=designer_id, decision="approve", actor=actor)


def reject_designer(*, designer_id: int, actor: User, reason: str) -> Designer:
    return decide(designer_id=designer_id, decision="reject", actor=actor, reason=reason)


def suspend_designer(*, designer_id: int, actor: User, reason: str) -> Designer:
    return decide(designer_id=designer_id, decision="suspend", actor=actor, reason=reason)


def reinstate_designer(*, designer_id: int, actor: User, reason: str = "") -> Designer:
    return decide(designer_id=designer_id, decision="reinstate", actor=actor, reason=reason)
