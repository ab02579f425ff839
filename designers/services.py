"""Designer writes: applying to sell, profile edits and staff decisions (approve, reject, suspend,
reinstate). Every status change is recorded and the designer is emailed after commit."""
from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from designers.models import Designer, DesignerStatus, DesignerStatusChange
from shop.accounts.models import User
from shop.core.errors import PermissionDenied, ServiceError
from shop.core.text import is_valid_slug, unique_slug, vietnamese_slug
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
        data["display_name"] = clean_text(display_name, field="displayName", max_length=100, required=True)
    if bio is not None or not partial:
        data["bio"] = clean_text(bio, field="bio", max_length=5000)
    if city is not None or not partial:
        data["city"] = clean_text(city, field="city", max_length=100)
    if links is not None or not partial:
        data["links"] = clean_links(links)
    return data


def _resolve_slug(slug: str | None, display_name: str, *, exclude_pk: int | None = None) -> str:
    taken = Designer.objects.exclude(pk=exclude_pk)
    if slug:
        slug = slug.strip().lower()
        if not is_valid_slug(slug):
            raise ServiceError("INVALID", _("Use lower-case letters, digits and hyphens (at most 60)."), "slug")
        if taken.filter(slug=slug).exists():
            raise ServiceError("UNIQUE", _("This slug is already taken."), "slug")
        return slug
    base = vietnamese_slug(display_name) or "designer"
    return unique_slug(base, lambda s: taken.filter(slug=s).exists())


def _record(designer: Designer, *, from_status: str, to_status: str, actor: User | None, reason: str = "") -> DesignerStatusChange:
    change = DesignerStatusChange.objects.create(
        designer=designer, from_status=from_status, to_status=to_status, actor=actor, reason=reason
    )
    from designers.tasks import send_designer_status_email

    transaction.on_commit(lambda: send_designer_status_email.delay(change.pk))
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
        raise ServiceError("ALREADY_APPLIED", _("You have already applied to sell."), None)
    data["slug"] = _resolve_slug(slug, data["display_name"], exclude_pk=existing.pk if existing else None)
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
                designer = existing
    except IntegrityError:
        # A concurrent application took the slug or the user already has a profile.
        if Designer.objects.filter(user=user).exclude(pk=existing.pk if existing else None).exists():
            raise ServiceError("ALREADY_APPLIED", _("You have already applied to sell."), None)
        raise ServiceError("UNIQUE", _("This slug is already taken."), "slug")
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
) -> Designer:
    if designer.user_id != actor.pk and not actor.is_staff:
        raise PermissionDenied()
    data = _clean_profile(display_name=display_name, bio=bio, city=city, links=links, partial=True)
    if slug is not None and slug != designer.slug:
        data["slug"] = _resolve_slug(slug, designer.display_name, exclude_pk=designer.pk)
    for key, value in data.items():
        setattr(designer, key, value)
    try:
        with transaction.atomic():
            designer.save()
    except IntegrityError:
        raise ServiceError("UNIQUE", _("This slug is already taken."), "slug")
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
        raise ServiceError("NOT_FOUND", _("Designer not found."), "id")
    if designer.user_id == actor.pk:
        raise ServiceError("SELF_DECISION", _("You cannot decide on your own application."), "id")
    if designer.status not in allowed_from:
        raise ServiceError(
            "INVALID_TRANSITION",
            _("A %(from)s designer cannot be moved to %(to)s.") % {"from": designer.status, "to": to_status},
            "id",
        )
    from_status = designer.status
    designer.status = to_status
    designer.save(update_fields=["status", "updated_at"])
    _record(designer, from_status=from_status, to_status=to_status, actor=actor, reason=reason)
    return designer


def approve_designer(*, designer_id: int, actor: User) -> Designer:
    return decide(designer_id=designer_id, decision="approve", actor=actor)


def reject_designer(*, designer_id: int, actor: User, reason: str) -> Designer:
    return decide(designer_id=designer_id, decision="reject", actor=actor, reason=reason)


def suspend_designer(*, designer_id: int, actor: User, reason: str) -> Designer:
    return decide(designer_id=designer_id, decision="suspend", actor=actor, reason=reason)


def reinstate_designer(*, designer_id: int, actor: User, reason: str = "") -> Designer:
    return decide(designer_id=designer_id, decision="reinstate", actor=actor, reason=reason)
