import pytest
from django.core import mail
from graphql_relay import to_global_id

from designers.models import Designer, DesignerStatusChange
from tests.factories import make_designer, make_user
from tests.support import load_operation

APPLY = load_operation("designer/DesignerApply.graphql")
UPDATE = load_operation("designer/DesignerUpdate.graphql")
MY_DESIGNER = load_operation("designer/MyDesigner.graphql")
DESIGNERS = load_operation("storefront/Designers.graphql")
BY_SLUG = load_operation("storefront/DesignerBySlug.graphql")
PENDING = load_operation("staff/PendingDesigners.graphql")
APPROVE = load_operation("staff/DesignerApprove.graphql")
REJECT = load_operation("staff/DesignerReject.graphql")
SUSPEND = load_operation("staff/DesignerSuspend.graphql")
REINSTATE = load_operation("staff/DesignerReinstate.graphql")


def gid(designer):
    return to_global_id("Designer", designer.pk)


def apply(gql, user, **overrides):
    data = {"displayName": "Nguyễn Thị Hà", "bio": "Gốm và lụa", "city": "Hà Nội", "links": ["https://ha.example.com"]}
    data.update(overrides)
    return gql(APPLY, {"input": data}, user=user)["data"]["designerApply"]


def test_apply_derives_a_vietnamese_slug_and_is_pending(gql, django_capture_on_commit_callbacks):
    user = make_user()
    with django_capture_on_commit_callbacks(execute=True):
        result = apply(gql, user)
    assert result["errors"] == []
    assert result["designer"]["slug"] == "nguyen-thi-ha"
    assert result["designer"]["status"] == "PENDING"
    history = gql(MY_DESIGNER, user=user)["data"]["myDesigner"]["statusHistory"]
    assert [(h["fromStatus"], h["toStatus"]) for h in history] == [(None, "PENDING")]
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [user.email]


def test_duplicate_names_get_unique_slugs_and_explicit_duplicates_are_refused(gql, db_unchanged):
    assert apply(gql, make_user())["designer"]["slug"] == "nguyen-thi-ha"
    # approved: its slug is public and its own (an applicant's slug is no oracle: issue 13, finding 8,
    # tests/catalog/test_hardening.py)
    from designers.models import Designer

    Designer.objects.filter(slug="nguyen-thi-ha").update(status="APPROVED")
    assert apply(gql, make_user())["designer"]["slug"] == "nguyen-thi-ha-2"
    third = make_user()
    with db_unchanged():
        taken = apply(gql, third, slug="nguyen-thi-ha")
    assert (
        taken["designer"] is None and taken["errors"][0]["code"] == "UNIQUE" and taken["errors"][0]["field"] == "slug"
    )


def test_applying_twice_is_refused(gql, db_unchanged):
    user = make_user()
    assert apply(gql, user)["errors"] == []
    with db_unchanged():
        again = apply(gql, user, displayName="Another name")
    assert again["errors"][0]["code"] == "ALREADY_APPLIED"


@pytest.mark.parametrize(
    "overrides, field, code",
    [
        ({"displayName": ""}, "displayName", "REQUIRED"),
        ({"displayName": "   "}, "displayName", "REQUIRED"),
        ({"displayName": "x" * 10_000}, "displayName", "INVALID"),
        ({"bio": "x" * 10_000}, "bio", "INVALID"),
        ({"city": "x" * 10_000}, "city", "INVALID"),
        ({"slug": "Not A Slug!"}, "slug", "INVALID"),
        ({"slug": "a" * 61}, "slug", "INVALID"),
        ({"links": ["javascript:alert(1)"]}, "links", "INVALID"),
        ({"links": ["https://x.example"] * 11}, "links", "INVALID"),
    ],
)
def test_apply_rejects_bad_input_and_writes_nothing(gql, db_unchanged, overrides, field, code):
    user = make_user()
    with db_unchanged():
        result = apply(gql, user, **overrides)
    assert result["designer"] is None
    assert (result["errors"][0]["field"], result["errors"][0]["code"]) == (field, code)


def test_anonymous_cannot_apply(gql, db_unchanged):
    with db_unchanged():
        result = gql(APPLY, {"input": {"displayName": "X"}})
    assert result["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"


def test_staff_decisions_and_history(gql, staff):
    designer = make_designer(status="PENDING")
    result = gql(APPROVE, {"id": gid(designer)}, user=staff)["data"]["designerApprove"]
    assert result["errors"] == [] and result["designer"]["status"] == "APPROVED"
    suspended = gql(SUSPEND, {"id": gid(designer), "reason": "Hàng giả"}, user=staff)["data"]["designerSuspend"]
    assert suspended["designer"]["status"] == "SUSPENDED"
    back = gql(REINSTATE, {"id": gid(designer)}, user=staff)["data"]["designerReinstate"]
    assert back["designer"]["status"] == "APPROVED"
    history = back["designer"]["statusHistory"]
    assert [(h["fromStatus"], h["toStatus"]) for h in history] == [
        ("PENDING", "APPROVED"),
        ("APPROVED", "SUSPENDED"),
        ("SUSPENDED", "APPROVED"),
    ]
    assert history[1]["reason"] == "Hàng giả" and history[1]["actorEmail"] == staff.email
    # the designer reads its own history, without who decided
    own = gql(MY_DESIGNER, user=designer.user)["data"]["myDesigner"]["statusHistory"]
    assert len(own) == 3


def test_reject_needs_a_reason_and_rejected_may_reapply(gql, staff, db_unchanged):
    designer = make_designer(status="PENDING")
    with db_unchanged():
        blank = gql(REJECT, {"id": gid(designer), "reason": " "}, user=staff)["data"]["designerReject"]
    assert blank["errors"][0]["code"] == "REQUIRED"
    rejected = gql(REJECT, {"id": gid(designer), "reason": "Ảnh sản phẩm chưa rõ"}, user=staff)["data"][
        "designerReject"
    ]
    assert rejected["designer"]["status"] == "REJECTED"
    again = apply(gql, designer.user, displayName="Hà Ceramics")
    assert again["errors"] == [] and again["designer"]["status"] == "PENDING"


def test_non_staff_cannot_decide(gql, db_unchanged):
    designer = make_designer(status="PENDING")
    other = make_designer(status="APPROVED")
    buyer = make_user()
    with db_unchanged():
        for user in (None, buyer, designer.user, other.user):
            for op, name, variables in (
                (APPROVE, "designerApprove", {"id": gid(designer)}),
                (REJECT, "designerReject", {"id": gid(designer), "reason": "x"}),
                (SUSPEND, "designerSuspend", {"id": gid(other), "reason": "x"}),
                (REINSTATE, "designerReinstate", {"id": gid(other)}),
            ):
                result = gql(op, variables, user=user)
                assert result["data"][name] is None
                assert result["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"


def test_staff_cannot_decide_own_application(gql, db_unchanged):
    staff_user = make_user(staff=True)
    designer = make_designer(user=staff_user, status="PENDING")
    with db_unchanged():
        result = gql(APPROVE, {"id": gid(designer)}, user=staff_user)["data"]["designerApprove"]
    assert result["errors"][0]["code"] == "SELF_DECISION"


def test_invalid_transitions_and_bad_ids(gql, staff, db_unchanged):
    approved = make_designer(status="APPROVED")
    with db_unchanged():
        twice = gql(APPROVE, {"id": gid(approved)}, user=staff)["data"]["designerApprove"]
        reinstate = gql(REINSTATE, {"id": gid(approved)}, user=staff)["data"]["designerReinstate"]
        missing = gql(APPROVE, {"id": to_global_id("Designer", 999999)}, user=staff)["data"]["designerApprove"]
        wrong_type = gql(APPROVE, {"id": to_global_id("User", approved.user_id)}, user=staff)["data"]["designerApprove"]
        garbage = gql(APPROVE, {"id": "%%%not-base64"}, user=staff)["data"]["designerApprove"]
    assert twice["errors"][0]["code"] == "INVALID_TRANSITION"
    assert reinstate["errors"][0]["code"] == "INVALID_TRANSITION"
    for result in (missing, wrong_type, garbage):
        assert result["errors"][0]["code"] == "NOT_FOUND"


def test_public_sees_only_approved_designers(gql, staff):
    approved = make_designer(display_name="Lê Quang Minh")
    pending = make_designer(display_name="Phạm Bảo", status="PENDING")
    suspended = make_designer(display_name="Đặng Thu", status="SUSPENDED")
    rejected = make_designer(display_name="Hồ Lan", status="REJECTED")
    data = gql(DESIGNERS, {"first": 10})["data"]["designers"]
    assert [e["node"]["slug"] for e in data["edges"]] == [approved.slug] and data["totalCount"] == 1
    for hidden in (pending, suspended, rejected):
        assert gql(BY_SLUG, {"slug": hidden.slug})["data"]["designer"] is None
        assert gql("query($id: ID!){ node(id: $id) { id } }", {"id": gid(hidden)})["data"]["node"] is None
        # visible to itself and to staff
        assert gql(BY_SLUG, {"slug": hidden.slug}, user=hidden.user)["data"]["designer"]["slug"] == hidden.slug
        assert gql(BY_SLUG, {"slug": hidden.slug}, user=staff)["data"]["designer"]["slug"] == hidden.slug
    pending_list = gql(PENDING, {"first": 10}, user=staff)["data"]["designers"]
    assert [e["node"]["slug"] for e in pending_list["edges"]] == [pending.slug]
    denied = gql(PENDING, {"first": 10}, user=approved.user)
    assert denied["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"


def test_suspended_designer_vanishes_from_public_queries(gql, staff):
    designer = make_designer(display_name="Trần Thùy Linh")
    assert gql(BY_SLUG, {"slug": designer.slug})["data"]["designer"]["displayName"] == "Trần Thùy Linh"
    gql(SUSPEND, {"id": gid(designer), "reason": "Vi phạm"}, user=staff)
    assert gql(BY_SLUG, {"slug": designer.slug})["data"]["designer"] is None
    assert gql(DESIGNERS, {"first": 10})["data"]["designers"]["totalCount"] == 0
    gql(REINSTATE, {"id": gid(designer)}, user=staff)
    assert gql(BY_SLUG, {"slug": designer.slug})["data"]["designer"]["slug"] == designer.slug


def test_search_and_pagination(gql):
    for name in ("Lê Quang Minh", "Nguyễn Thị Hà", "Trần Thùy Linh"):
        make_designer(display_name=name)
    page1 = gql(DESIGNERS, {"first": 2})["data"]["designers"]
    assert len(page1["edges"]) == 2 and page1["pageInfo"]["hasNextPage"] is True and page1["totalCount"] == 3
    page2 = gql(DESIGNERS, {"first": 2, "after": page1["pageInfo"]["endCursor"]})["data"]["designers"]
    assert len(page2["edges"]) == 1 and page2["pageInfo"]["hasNextPage"] is False
    slugs = {e["node"]["slug"] for e in page1["edges"] + page2["edges"]}
    assert slugs == {"le-quang-minh", "nguyen-thi-ha", "tran-thuy-linh"}
    found = gql(DESIGNERS, {"first": 10, "filter": {"search": "nguyen thi"}})["data"]["designers"]
    assert [e["node"]["slug"] for e in found["edges"]] == ["nguyen-thi-ha"]
    for bad in (0, 101, -1):
        result = gql(DESIGNERS, {"first": bad})
        assert result["errors"][0]["extensions"]["code"] == "INVALID_PAGINATION"
    bad_cursor = gql(DESIGNERS, {"first": 2, "after": "garbage"})
    assert bad_cursor["errors"][0]["extensions"]["code"] == "INVALID_CURSOR"


def test_designer_update_own_profile(gql, db_unchanged):
    designer = make_designer()
    result = gql(UPDATE, {"input": {"bio": "Lụa Hà Đông", "slug": "ha-silk"}}, user=designer.user)["data"][
        "designerUpdate"
    ]
    assert result["errors"] == [] and result["designer"]["slug"] == "ha-silk"
    other = make_designer(display_name="Khác")
    stranger = make_user()
    with db_unchanged():
        taken = gql(UPDATE, {"input": {"slug": "ha-silk"}}, user=other.user)["data"]["designerUpdate"]
        no_profile = gql(UPDATE, {"input": {"bio": "x"}}, user=stranger)["data"]["designerUpdate"]
    assert taken["errors"][0]["code"] == "UNIQUE"
    assert no_profile["errors"][0]["code"] == "NOT_FOUND"
    assert Designer.objects.get(pk=other.pk).slug != "ha-silk"


def test_decision_email_is_sent_by_a_real_worker(celery_worker, staff):
    """Approve through GraphQL over a committed transaction; a Celery worker consuming from Redis
    sends the designer its email, in the designer's language."""
    from tests.support import GraphQLClient, wait_for

    gql = GraphQLClient()
    user = make_user(language="en")
    designer = make_designer(user=user, status="PENDING")
    result = gql(APPROVE, {"id": gid(designer)}, user=staff)["data"]["designerApprove"]
    assert result["errors"] == []
    change = DesignerStatusChange.objects.get(designer=designer, to_status="APPROVED")
    wait_for(lambda: DesignerStatusChange.objects.filter(pk=change.pk, email_sent_at__isnull=False).exists())
    sent = [m for m in mail.outbox if m.to == [user.email]]
    assert len(sent) == 1 and "approved" in sent[0].subject
    # delivering the task again sends nothing more
    from designers.tasks import send_designer_status_email

    send_designer_status_email.apply(args=[change.pk])
    assert len([m for m in mail.outbox if m.to == [user.email]]) == 1


def test_vietnamese_email_for_vietnamese_designer(gql, staff, django_capture_on_commit_callbacks):
    designer = make_designer(status="PENDING")
    with django_capture_on_commit_callbacks(execute=True):
        gql(REJECT, {"id": gid(designer), "reason": "Thiếu ảnh"}, user=staff)
    message = mail.outbox[-1]
    assert message.to == [designer.user.email]
    assert "chưa được duyệt" in message.subject and "Thiếu ảnh" in message.body
    assert message.alternatives and "Thiếu ảnh" in message.alternatives[0][0]
