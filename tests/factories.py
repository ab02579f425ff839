"""Every builder of test data, in one place. Fixtures (in the conftest.py files) call these; test
modules import them from here, never from a conftest.

- ORM-made rows, for tests of everything but the service that would create them: ``make_user``,
  ``make_designer``, ``make_product``, ``make_variant``, ``make_shipping_method``, ``make_seller``,
  ``make_digital_variant`` (its file really in the private storage), ``make_purchase`` (orders and
  lines, unpaid).
- Service-made data, when what the services also write matters (search documents, prices,
  positions): ``product`` (created, given variants and published through the catalog services),
  ``start_payment`` (what checkoutComplete does with a gateway).
- Scenarios: ``Market`` (two designers, their goods and a signed-in buyer who checks out over
  GraphQL).
"""

from __future__ import annotations

import itertools
import uuid
from decimal import Decimal

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile

from designers.models import Designer
from payments import services as payment_services
from payments.gateways import get_gateway
from payments.gateways.base import PaymentRequest, PaymentStatus
from payments.models import Payment
from shop.accounts.models import User
from shop.catalog.models import Product, ProductStatus, ProductType, ProductVariant
from shop.catalog.services.products import create_product, publish_product
from shop.catalog.services.variants import create_variant
from shop.checkout.models import ShippingMethod
from shop.core.text import unique_slug, vietnamese_slug
from shop.orders.models import Order, OrderLine, Purchase
from tests.commerce import Buyer

_seq = itertools.count(1)

# --- accounts and designers ----------------------------------------------------------------------


def make_user(*, email: str | None = None, password: str = "a-Strong-pass-42", staff: bool = False, **extra) -> User:
    email = email or f"user{next(_seq)}-{uuid.uuid4().hex[:6]}@example.com"
    return User.objects.create_user(email=email, password=password, is_staff=staff, **extra)


def make_designer(*, user: User | None = None, status: str = "APPROVED", display_name: str = "Nguyễn Thị Hà", **extra):
    user = user or make_user()
    slug = extra.pop("slug", None) or unique_slug(
        vietnamese_slug(display_name), lambda s: Designer.objects.filter(slug=s).exists()
    )
    return Designer.objects.create(user=user, display_name=display_name, slug=slug, status=status, **extra)


# --- catalog ---------------------------------------------------------------------------------------


def make_product(
    *,
    designer=None,
    name: str | None = None,
    status: str = ProductStatus.PUBLISHED,
    product_type: str = ProductType.PHYSICAL,
    currency: str = "VND",
    **extra,
) -> Product:
    designer = designer or make_designer()
    n = next(_seq)
    name = name or f"Sản phẩm {n}"
    return Product.objects.create(
        designer=designer,
        name=name,
        slug=extra.pop("slug", f"product-{n}"),
        status=status,
        product_type=product_type,
        currency=currency,
        **extra,
    )


def make_variant(
    *, product=None, price: Decimal | int | str = 150000, stock: int = 10, sku: str | None = None, **extra
) -> ProductVariant:
    product = product or make_product()
    variant = ProductVariant.objects.create(
        product=product,
        designer_id=product.designer_id,
        sku=sku or f"SKU-{next(_seq)}",
        price_amount=Decimal(str(price)),
        currency=product.currency,
        stock_quantity=stock,
        **extra,
    )
    if product.min_price is None or variant.price_amount < product.min_price:
        Product.objects.filter(pk=product.pk).update(min_price=variant.price_amount)
    return variant


PDF_BYTES = b"%PDF-1.4\n% Rethink Market test file\n" + bytes(range(256)) * 8


def make_digital_variant(
    *, designer=None, price=90000, content: bytes = PDF_BYTES, filename="font-specimen.pdf", **extra
) -> ProductVariant:
    """A digital variant whose file really is in the private storage (the ``digital_variant_factory``
    fixture removes the files it made after the test)."""
    product = make_product(designer=designer or make_designer(), product_type=ProductType.DIGITAL)
    variant = make_variant(product=product, price=price, stock=0, **extra)
    variant.digital_file.save(filename, ContentFile(content), save=False)
    variant.digital_file_name = filename
    variant.digital_file_size = len(content)
    variant.digital_content_type = "application/pdf"
    variant.save()
    return variant


def product(
    designer=None,
    *,
    name="Áo dài lụa Hà Đông",
    price=1_500_000,
    stock=5,
    publish=True,
    variants=1,
    description="",
    tags=None,
    product_type="PHYSICAL",
    category=None,
    digital_file=None,
) -> Product:
    """A product made through the catalog services (so search documents, prices and positions are
    what production would have): ``variants`` variants priced from ``price`` up, published."""

    designer = designer or make_designer()
    item = create_product(
        actor=designer.user,
        name=name,
        description=description,
        tags=tags,
        product_type=product_type,
        category_id=category.pk if category else None,
    )
    for n in range(variants):
        file = None
        if product_type == "DIGITAL":
            file = digital_file or SimpleUploadedFile(
                "poster.pdf", b"%PDF-1.4\n%demo\n", content_type="application/pdf"
            )
        create_variant(
            actor=designer.user,
            product_id=item.pk,
            sku=f"{item.slug[:40]}-{n + 1}",
            price=Decimal(price) + n * 100_000,
            name=f"Biến thể {n + 1}",
            stock_quantity=stock if product_type == "PHYSICAL" else None,
            digital_file=file,
        )
    if publish and variants:
        publish_product(actor=designer.user, product_id=item.pk)
    item.refresh_from_db()
    return item


# --- checkout ----------------------------------------------------------------------------------------


def make_shipping_method(designer, *, name: str | None = None, price=30000, free_above=None, currency="VND", **extra):

    return ShippingMethod.objects.create(
        designer=designer,
        name=name or f"Giao hàng {next(_seq)}",
        price_amount=Decimal(str(price)),
        currency=currency,
        free_above_amount=Decimal(str(free_above)) if free_above is not None else None,
        **extra,
    )


def make_seller(name: str = "Nhà thiết kế", *, shipping_price=30000, free_above=None):
    """An approved designer with one shipping method."""
    designer = make_designer(display_name=f"{name} {next(_seq)}")
    method = make_shipping_method(designer, price=shipping_price, free_above=free_above)
    return designer, method


# --- orders and payments -----------------------------------------------------------------------------


def make_purchase(
    *parts,
    currency: str = "VND",
    gateway: str = "stripe",
    user=None,
    email: str = "buyer@example.com",
    language: str = "vi",
    shipping=0,
):
    """``parts``: ``(designer, [(unit_price, quantity), ...])`` per designer: one order each."""

    purchase = Purchase.objects.create(
        user=user, email=email, language=language, currency=currency, total_amount=0, gateway=gateway
    )
    grand_total = Decimal(0)
    for designer, lines in parts:
        subtotal = sum((Decimal(str(price)) * qty for price, qty in lines), Decimal(0))
        total = subtotal + Decimal(str(shipping))
        order = Order.objects.create(
            purchase=purchase,
            designer=designer,
            number=f"RM-{next(_seq):06d}",
            currency=currency,
            subtotal_amount=subtotal,
            shipping_amount=Decimal(str(shipping)),
            total_amount=total,
        )
        for price, qty in lines:
            variant = make_variant(product=make_product(designer=designer, currency=currency), price=price, stock=10)
            OrderLine.objects.create(
                order=order,
                variant=variant,
                product_name=variant.product.name,
                sku=variant.sku,
                product_type=variant.product.product_type,
                unit_price_amount=Decimal(str(price)),
                quantity=qty,
                total_amount=Decimal(str(price)) * qty,
            )
        grand_total += total
    purchase.total_amount = grand_total
    purchase.save(update_fields=["total_amount"])
    return purchase


def start_payment(purchase, data: dict | None = None):
    """What checkoutComplete does with the chosen gateway: one Payment, ``gateway.initialize``;
    a gateway that answers SUCCEEDED server-side (dummy) pays the purchase at once."""

    gateway = get_gateway(purchase.gateway)
    payment = Payment.objects.create(
        purchase=purchase,
        gateway=gateway.id,
        amount=purchase.total_amount,
        currency=purchase.currency,
        idempotency_key=f"purchase-{purchase.pk}",
    )
    result = gateway.initialize(
        PaymentRequest(
            purchase_id=purchase.pk,
            amount=purchase.total_amount,
            currency=purchase.currency,
            email=purchase.email,
            idempotency_key=payment.idempotency_key,
            data=data or {},
        )
    )
    payment.psp_reference = result.psp_reference
    payment.client_secret = result.client_secret
    if result.status == PaymentStatus.SUCCEEDED:
        payment.status = Payment.Status.SUCCEEDED
        payment.save()
        payment_services.mark_purchase_paid(purchase_id=purchase.pk, payment_id=payment.pk)
    else:
        payment.save()
    return payment


# --- scenarios -------------------------------------------------------------------------------------


class Market:
    """A small market: Linh (a scarf) and Minh (a bowl and a digital font), each with a shipping
    method, and Mai, a signed-in buyer who checks out over GraphQL."""

    def __init__(self, gql, digital_variant_factory):

        self.gql = gql
        self.linh, self.linh_ship = make_seller("Linh", shipping_price=30000)
        self.minh, self.minh_ship = make_seller("Minh", shipping_price=25000)
        self.scarf = make_variant(
            product=make_product(designer=self.linh, name="Khăn lụa"), price=150000, stock=10, name="Đỏ"
        )
        self.bowl = make_variant(product=make_product(designer=self.minh, name="Bát gốm"), price=60000, stock=10)
        self.font = digital_variant_factory(designer=self.minh, price=90000)
        self.buyer_user = make_user(email="mai@example.com")
        self.buyer = Buyer(gql, user=self.buyer_user)

    def purchase(self, gateway: str = "dummy", buyer=None, lines=None):
        """A completed purchase: Linh's scarf ×2, Minh's bowl and font."""

        buyer = buyer or self.buyer
        lines = lines or [(self.scarf, 2), (self.bowl, 1), (self.font, 1)]
        designers = {v.product.designer_id for v, _q in lines if v.product.product_type == "PHYSICAL"}
        methods = [m for m in (self.linh_ship, self.minh_ship) if m.designer_id in designers]
        token = buyer.ready(lines, methods=methods)
        result = buyer.complete(token, gateway=gateway)
        assert result["errors"] == [], result["errors"]
        return Purchase.objects.get(token=result["purchase"]["token"])

    def order_of(self, purchase, designer):

        return Order.objects.get(purchase=purchase, designer=designer)
