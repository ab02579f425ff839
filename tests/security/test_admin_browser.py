"""The staff side in a real browser: headless Chromium (Debian's ``chromium`` with its matching
``chromium-driver``, driven by Selenium) against pytest-django's live server. A staff user signs in
to the Django admin, approves a pending designer and hides a product with the admin actions (which
call the designer and moderation services); a non-staff user cannot reach the admin, not even with a
valid session of its own. Outside CI a missing browser skips with the reason; in CI (``.ci/run`` installs
it) the test fails instead."""

from __future__ import annotations

import os
import shutil

import pytest

from designers.models import Designer, DesignerStatusChange
from shop.catalog.models import Product
from tests.factories import make_designer, make_user, product
from tests.support import CI, GraphQLClient

CHROMIUM = os.environ.get("CHROMIUM_BINARY", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER", shutil.which("chromedriver") or "/usr/bin/chromedriver")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,900",
)
PASSWORD = "a-Strong-pass-42"


@pytest.fixture
def browser(tmp_path):
    missing = [path for path in (CHROMIUM, CHROMEDRIVER) if not os.path.exists(path)]
    if missing:
        message = f"headless Chromium is needed for the admin end-to-end test; missing {missing} (apt-get install chromium chromium-driver)"
        if CI:
            pytest.fail(message)
        pytest.skip(message)
    os.environ.setdefault("SE_OFFLINE", "true")  # Selenium must never try to download a driver or browser
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path / 'profile'}")
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    driver.implicitly_wait(0)
    try:
        yield driver
    finally:
        driver.quit()


def wait_for(driver, css: str, timeout: float = 15):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout).until(EC.presence_of_element_located((By.CSS_SELECTOR, css)))


def sign_in(driver, base_url: str, email: str, password: str) -> None:
    from selenium.webdriver.common.by import By

    driver.get(f"{base_url}/admin/login/?next=/admin/")
    wait_for(driver, "#id_username").send_keys(email)
    driver.find_element(By.ID, "id_password").send_keys(password)
    driver.find_element(By.CSS_SELECTOR, "#login-form [type=submit]").click()


def select_action(driver, pk: int, action: str) -> None:
    """Tick one row of an admin change list and run ``action`` on it."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    wait_for(driver, "#result_list")
    driver.find_element(By.CSS_SELECTOR, f"input[name=_selected_action][value='{pk}']").click()
    Select(driver.find_element(By.NAME, "action")).select_by_value(action)
    driver.find_element(By.CSS_SELECTOR, "#changelist-form button[name=index]").click()


STOREFRONT_PRODUCT = "query($slug: String!) { product(slug: $slug) { id } }"


def test_staff_approves_a_designer_and_hides_a_product_in_the_admin(browser, live_server):
    from selenium.webdriver.common.by import By

    staff = make_user(email="admin.e2e@example.com", staff=True, is_superuser=True)
    pending = make_designer(display_name="Phạm Gia Bảo", status="PENDING")
    other = make_designer(display_name="Lê Quang Minh", status="PENDING")

    sign_in(browser, live_server.url, staff.email, PASSWORD)
    wait_for(browser, "#user-tools")
    assert browser.current_url.rstrip("/").endswith("/admin")

    browser.get(f"{live_server.url}/admin/designers/designer/?status__exact=PENDING")
    select_action(browser, pending.pk, "approve_selected")
    message = wait_for(browser, "ul.messagelist li.success")
    assert "1" in message.text

    pending.refresh_from_db()
    other.refresh_from_db()
    assert pending.status == "APPROVED" and other.status == "PENDING"
    change = DesignerStatusChange.objects.get(designer=pending, to_status="APPROVED")
    assert change.actor_id == staff.pk and change.from_status == "PENDING"
    # the list of pending applications no longer shows it
    browser.get(f"{live_server.url}/admin/designers/designer/?status__exact=PENDING")
    wait_for(browser, "#result_list")
    assert not browser.find_elements(By.CSS_SELECTOR, f"input[name=_selected_action][value='{pending.pk}']")
    assert Designer.objects.filter(status="APPROVED").count() == 1

    # moderation: hide a listing from the storefront (the admin action calls the moderation service)
    seller = make_designer(display_name="Trần Thùy Linh")
    fake = product(seller, name="Túi nhái thương hiệu")
    genuine = product(seller, name="Túi thêu tay")
    api = GraphQLClient()
    assert api(STOREFRONT_PRODUCT, {"slug": fake.slug})["data"]["product"] is not None
    browser.get(f"{live_server.url}/admin/catalog/product/?q=T%C3%BAi")
    select_action(browser, fake.pk, "hide_selected")
    message = wait_for(browser, "ul.messagelist li.success")
    assert "1" in message.text
    fake.refresh_from_db()
    genuine.refresh_from_db()
    assert fake.hidden_at is not None and fake.hidden_by_id == staff.pk and fake.hidden_reason
    assert genuine.hidden_at is None
    assert api(STOREFRONT_PRODUCT, {"slug": fake.slug})["data"]["product"] is None  # gone from the storefront
    assert api(STOREFRONT_PRODUCT, {"slug": genuine.slug})["data"]["product"] is not None
    # the designer sees why, through the API
    reason = api(
        "query($slug: String!) { product(slug: $slug) { isHidden hiddenReason } }",
        {"slug": fake.slug},
        user=seller.user,
    )
    assert reason["data"]["product"] == {"isHidden": True, "hiddenReason": fake.hidden_reason}
    # the change list filtered on hidden listings now shows it, and only it
    browser.get(f"{live_server.url}/admin/catalog/product/?hidden_at__isempty=0")
    wait_for(browser, "#result_list")
    listed = {e.get_attribute("value") for e in browser.find_elements(By.CSS_SELECTOR, "input[name=_selected_action]")}
    assert listed == {str(fake.pk)}


def test_a_non_staff_user_cannot_reach_the_admin(browser, live_server):
    from django.conf import settings
    from django.test import Client
    from selenium.webdriver.common.by import By

    buyer = make_user(email="buyer.e2e@example.com")
    designer = make_designer(user=make_user(email="designer.e2e@example.com"), status="APPROVED")
    listing = product(designer, name="Khăn lụa tơ tằm")
    for user in (buyer, designer.user):
        browser.delete_all_cookies()
        sign_in(browser, live_server.url, user.email, PASSWORD)
        wait_for(browser, "#login-form .errornote, .errornote")  # refused: not a staff account
        assert "/admin/login/" in browser.current_url
        assert not browser.find_elements(By.ID, "user-tools")
        for page in ("designers/designer/", "catalog/product/", f"catalog/product/{listing.pk}/change/"):
            browser.get(f"{live_server.url}/admin/{page}")
            wait_for(browser, "#login-form")
            assert "/admin/login/" in browser.current_url  # sent back to the login page
            assert designer.display_name not in browser.page_source and listing.name not in browser.page_source

        # not even with a valid session of its own (as if signed in some other way)
        session = Client()
        session.force_login(user)
        browser.get(f"{live_server.url}/admin/login/")
        browser.delete_all_cookies()
        browser.add_cookie(
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": session.cookies[settings.SESSION_COOKIE_NAME].value,
                "path": "/",
            }
        )
        browser.get(f"{live_server.url}/admin/catalog/product/")
        wait_for(browser, "#login-form")
        assert "/admin/login/" in browser.current_url and not browser.find_elements(By.ID, "result_list")
        assert listing.name not in browser.page_source
        # and a forged admin action (no form, straight POST) hides nothing
        forged = session.post("/admin/catalog/product/", {"action": "hide_selected", "_selected_action": [listing.pk]})
        assert forged.status_code == 302 and "/admin/login/" in forged["Location"]
        listing.refresh_from_db()
        assert listing.hidden_at is None
    assert not Product.objects.filter(hidden_at__isnull=False).exists()
