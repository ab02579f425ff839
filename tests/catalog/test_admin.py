from django.test import Client

from shop.catalog.models import Product
from tests.factories import make_designer, make_user, product


def test_admin_lists_products_and_hides_them_through_the_service(db):
    admin_user = make_user(staff=True, is_superuser=True)
    item = product(make_designer(), name="Túi thêu")
    client = Client()
    client.force_login(admin_user)
    listing = client.get("/admin/catalog/product/")
    assert listing.status_code == 200 and "Túi thêu" in listing.content.decode()
    assert client.get(f"/admin/catalog/product/{item.pk}/change/").status_code == 200  # read-only view
    response = client.post("/admin/catalog/product/", {"action": "hide_selected", "_selected_action": [item.pk]})
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.hidden_at is not None and item.hidden_by == admin_user and item.hidden_reason
    assert client.get("/admin/catalog/category/").status_code == 200
    assert client.get("/admin/designers/portfolioitem/").status_code == 200
    assert Product.objects.count() == 1
