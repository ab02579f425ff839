"""The weekly digest: Monday morning, once per designer and week (even under a duplicated beat),
in the designer's language, with the chart inline as a PNG and the same numbers in text."""

from __future__ import annotations

import io
import time
from datetime import UTC, date, datetime

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone
from PIL import Image

from designers import digest
from designers.models import WeeklyDigest
from tests.designers.test_sales_rollups import paid
from tests.factories import make_designer, make_user
from tests.support import load_operation, wait_for

MONDAY_MORNING = datetime(2026, 3, 16, 1, 30, tzinfo=UTC)  # 08:30 in Hanoi
UPDATE = load_operation("designer/DesignerUpdate.graphql")


def bars(png: bytes) -> int:
    """The most bars (runs of a bar colour) met on one pixel row: every bar touches the zero line."""
    image = Image.open(io.BytesIO(png)).convert("RGB")
    colours = {digest.POSITIVE, digest.NEGATIVE, digest.ZERO}
    width, height = image.size
    pixels = image.load()
    most = 0
    for y in range(height):
        runs, inside = 0, False
        for x in range(width):
            bar = pixels[x, y] in colours
            runs += bar and not inside
            inside = bar
        most = max(most, runs)
    return most


@pytest.fixture
def week(db, settings):
    settings.PLATFORM_COMMISSION_RATE = 0.1
    settings.MARKETPLACE_TIME_ZONE = "Asia/Ho_Chi_Minh"
    ha = make_designer(display_name="Hà", user=make_user(language="vi"))
    tom = make_designer(display_name="Tom", user=make_user(language="en"))
    quiet = make_designer(display_name="Lặng", user=make_user(language="vi"), weekly_digest=False)
    make_designer(display_name="Chờ", status="PENDING")
    # last week (9-15 March): Monday 23:30 and Wednesday in Hanoi; the week before: one sale
    paid((ha, [(100000, 2)]), at=datetime(2026, 3, 9, 16, 30, tzinfo=UTC))
    paid((ha, [(300000, 1)]), at=datetime(2026, 3, 11, 5, 0, tzinfo=UTC))
    paid((ha, [(150000, 1)]), at=datetime(2026, 3, 4, 5, 0, tzinfo=UTC))
    return {"ha": ha, "tom": tom, "quiet": quiet}


def test_the_digest_is_sent_once_per_designer_even_when_beat_fires_twice(week, django_capture_on_commit_callbacks):
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            digest.queue_due(MONDAY_MORNING)
    assert sorted(m.to[0] for m in mail.outbox) == sorted([week["ha"].user.email, week["tom"].user.email])
    assert WeeklyDigest.objects.filter(week_start=date(2026, 3, 9), sent_at__isnull=False).count() == 2
    # an hour later, and a duplicated task: nothing more
    with django_capture_on_commit_callbacks(execute=True):
        digest.queue_due(MONDAY_MORNING.replace(hour=2))
    assert digest.send(WeeklyDigest.objects.first().pk) is False
    assert len(mail.outbox) == 2


def test_not_before_monday_seven_in_the_marketplace_time_zone(week, django_capture_on_commit_callbacks):
    for now in (datetime(2026, 3, 15, 23, 30, tzinfo=UTC), datetime(2026, 3, 17, 3, 0, tzinfo=UTC)):
        with django_capture_on_commit_callbacks(execute=True):
            assert digest.queue_due(now) == []  # Monday 06:30 in Hanoi; Tuesday
    assert mail.outbox == [] and not WeeklyDigest.objects.exists()


def test_the_digest_has_the_numbers_the_chart_and_the_same_numbers_in_text(week, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        digest.queue_due(MONDAY_MORNING)
    message = next(m for m in mail.outbox if m.to == [week["ha"].user.email])
    assert "09/03" in message.subject and "Hà" in message.subject
    text = message.body
    assert "Doanh thu: 500.000 ₫ (tuần trước 150.000 ₫, +233%)" in text
    assert "Thu nhập ròng: 450.000 ₫" in text and "Đơn đã thanh toán: 2 (tuần trước 1, +100%)" in text
    assert "T2: 180.000 ₫" in text and "T4: 270.000 ₫" in text and "CN: 0 ₫" in text  # 23:30 Monday is Monday
    html = message.alternatives[0][0]
    assert 'src="cid:chart"' in html and "T2 180.000 ₫" in html
    raw = message.message()
    assert raw.get_content_type() == "multipart/related"
    images = [part for part in raw.walk() if part.get_content_type() == "image/png"]
    assert len(images) == 1 and images[0]["Content-ID"] == "<chart>"
    png = images[0].get_payload(decode=True)
    assert Image.open(io.BytesIO(png)).size == digest.CHART_SIZE
    assert bars(png) == 7
    assert raw["Message-ID"] == f"<digest-{week['ha'].pk}-2026-03-09@rethink.market>"
    english = next(m for m in mail.outbox if m.to == [week["tom"].user.email])
    assert (
        "Mar 9" in english.subject and "Gross sales: 0 VND" in english.body and "No orders this week." in english.body
    )
    assert (
        bars(next(p for p in english.message().walk() if p.get_content_type() == "image/png").get_payload(decode=True))
        == 7
    )


def test_a_losing_day_is_a_bar_below_the_line():
    png = digest.chart_png([100000, -50000, 0, 0, 20000, 0, 0], digest.WEEKDAYS["en"], "VND")
    image = Image.open(io.BytesIO(png)).convert("RGB")
    assert bars(png) == 7
    assert digest.NEGATIVE in {image.getpixel((x, y)) for x in range(600) for y in range(0, 260, 3)}


def test_designers_switch_it_off(gql, week, django_capture_on_commit_callbacks):
    ha = week["ha"]
    result = gql(UPDATE, {"input": {"weeklyDigest": False}}, user=ha.user)
    assert result["data"]["designerUpdate"]["errors"] == []
    assert result["data"]["designerUpdate"]["designer"]["weeklyDigest"] is False
    with django_capture_on_commit_callbacks(execute=True):
        digest.queue_due(MONDAY_MORNING)
    assert [m.to[0] for m in mail.outbox] == [week["tom"].user.email]
    query = "{ myDesigner { weeklyDigest } }"
    assert gql(query, user=ha.user)["data"]["myDesigner"]["weeklyDigest"] is False


def test_send_weekly_digests_dry_run_prints_and_writes_one_digest_to_the_console(week):
    out = io.StringIO()
    call_command("send_weekly_digests", "--dry-run", stdout=out)
    printed = out.getvalue()
    assert "would send: Hà" in printed and "would send: Tom" in printed and "Lặng" not in printed
    assert "Content-Type: image/png" in printed and "Content-ID: <chart>" in printed
    assert not WeeklyDigest.objects.exists() and mail.outbox == []


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_sends_each_digest_once_under_a_duplicated_beat(celery_worker, settings):
    from designers.tasks import queue_weekly_digests

    settings.MARKETPLACE_TIME_ZONE = "Asia/Ho_Chi_Minh"
    ha = make_designer(display_name="Hà")
    for _ in range(2):
        digest.queue_due(MONDAY_MORNING)  # beat fired twice; each queues the unsent rows
    wait_for(lambda: WeeklyDigest.objects.filter(designer=ha, sent_at__isnull=False).exists())
    # and once more through the beat's own task, on a day that is not the send day (whatever the
    # date this runs: on the send day it would rightly send the newer week's digest)
    today = timezone.now().astimezone(digest.marketplace_zone()).weekday()
    settings.WEEKLY_DIGEST_WEEKDAY = (today + 3) % 7
    assert digest.queue_due() == []  # what the task does now: nothing due
    queue_weekly_digests.delay()
    time.sleep(0.5)
    assert [m.to for m in mail.outbox].count([ha.user.email]) == 1
    assert WeeklyDigest.objects.filter(designer=ha).count() == 1


def test_the_send_day_and_hour_are_settings(week, settings, django_capture_on_commit_callbacks):
    settings.WEEKLY_DIGEST_WEEKDAY, settings.WEEKLY_DIGEST_HOUR = 3, 9  # Thursday from 09:00 in Hanoi
    thursday = datetime(2026, 3, 19, 2, 30, tzinfo=UTC)  # 09:30 in Hanoi
    with django_capture_on_commit_callbacks(execute=True):
        assert digest.queue_due(MONDAY_MORNING) == []
        assert digest.queue_due(thursday.replace(hour=1)) == []  # 08:00 in Hanoi
        assert len(digest.queue_due(thursday)) == 2
    # still last week's (9-15 March), once per designer
    assert set(WeeklyDigest.objects.values_list("week_start", flat=True)) == {date(2026, 3, 9)}
    assert len(mail.outbox) == 2
