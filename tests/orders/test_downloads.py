"""Digital files leave only through signed, expiring, count-limited links."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from shop.orders import lifecycle, selectors
from shop.orders.models import DigitalDownload
from tests.factories import PDF_BYTES, Market


def link_of(purchase):
    download = DigitalDownload.objects.get(line__order__purchase=purchase)
    return download, selectors.download_path(download)


def fetch(path, method="get"):
    response = getattr(Client(raise_request_exception=False), method)(path)
    body = b"".join(response.streaming_content) if getattr(response, "streaming", False) else response.content
    return response, body


def test_the_buyer_downloads_the_file_a_limited_number_of_times(market, settings):
    purchase = market.purchase()
    download, path = link_of(purchase)
    assert download.max_downloads == settings.DIGITAL_DOWNLOAD_MAX_COUNT == 5
    assert timedelta(days=6, hours=23) < download.expires_at - timezone.now() <= timedelta(days=7)
    for n in range(1, 6):
        response, body = fetch(path)
        assert response.status_code == 200 and body == PDF_BYTES
        assert 'attachment; filename="font-specimen.pdf"' in response["Content-Disposition"]
        assert response["Cache-Control"] == "private, no-store"
        download.refresh_from_db()
        assert download.download_count == n
    response, _ = fetch(path)
    assert response.status_code == 410 and response.json()["error"]["code"] == "LIMIT_REACHED"


def test_settings_choose_lifetime_and_count(market, settings):
    settings.DIGITAL_DOWNLOAD_TTL_DAYS = 1
    settings.DIGITAL_DOWNLOAD_MAX_COUNT = 2
    download, _ = link_of(market.purchase())
    assert download.max_downloads == 2 and download.expires_at - timezone.now() <= timedelta(days=1)


def test_forged_unknown_expired_and_cancelled_links_are_refused_cleanly(market, staff):
    purchase = market.purchase()
    download, path = link_of(purchase)
    token = path.split("/")[2]
    for bad in (f"/downloads/{token[:-2]}xx/", "/downloads/nothing/", f"/downloads/{token.split(':')[0]}/"):
        response, _ = fetch(bad)
        assert response.status_code == 404 and response.json()["error"]["code"] == "NOT_FOUND"
    # a correctly signed token that matches no download
    from django.core import signing

    response, _ = fetch(f"/downloads/{signing.Signer(salt=selectors.DOWNLOAD_SALT).sign('unknown')}/")
    assert response.status_code == 404
    DigitalDownload.objects.filter(pk=download.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    response, _ = fetch(path)
    assert response.status_code == 410 and response.json()["error"]["code"] == "EXPIRED"
    DigitalDownload.objects.filter(pk=download.pk).update(expires_at=timezone.now() + timedelta(days=1))
    lifecycle.cancel_order(order_id=download.line.order_id, actor=staff, reason="refund")
    response, _ = fetch(path)
    assert response.status_code == 410 and response.json()["error"]["code"] == "NOT_AVAILABLE"
    download.refresh_from_db()
    assert download.download_count == 0


def test_head_does_not_count_post_is_refused_and_a_missing_file_is_410(market):
    download, path = link_of(market.purchase())
    assert fetch(path, "head")[0].status_code == 200
    assert fetch(path, "post")[0].status_code == 405
    download.refresh_from_db()
    assert download.download_count == 0
    variant = download.line.variant
    variant.digital_file.storage.delete(variant.digital_file.name)
    response, _ = fetch(path)
    assert response.status_code == 410 and response.json()["error"]["code"] == "FILE_UNAVAILABLE"
    download.refresh_from_db()
    assert download.download_count == 0


def test_unpaid_purchases_have_no_links(market):
    market.purchase(gateway="pending")
    assert not DigitalDownload.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_parallel_downloads_never_exceed_the_limit(settings, digital_variant_factory):
    from tests.gateways import TEST_GATEWAYS
    from tests.support import GraphQLClient

    settings.PAYMENT_GATEWAYS = TEST_GATEWAYS
    market = Market(GraphQLClient(), digital_variant_factory)
    _download, path = link_of(market.purchase(lines=[(market.font, 1)]))
    connection.close()
    barrier = threading.Barrier(10)
    statuses = []

    def grab():
        try:
            barrier.wait(timeout=30)
            statuses.append(fetch(path)[0].status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=grab) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(statuses) == [200] * 5 + [410] * 5
    assert DigitalDownload.objects.get().download_count == 5
