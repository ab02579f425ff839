from django.core.management.base import BaseCommand
from django.db import transaction

from designers.models import Designer, DesignerStatus, DesignerStatusChange
from shop.accounts.models import User

PASSWORD = "demo-Pass-2026"

DESIGNERS = [
    ("linh@demo.rethink.market", "Trần Thùy Linh", "APPROVED", "Hà Nội", "Áo dài lụa và khăn thêu tay, lấy cảm hứng từ phố cổ Hà Nội."),
    ("minh@demo.rethink.market", "Lê Quang Minh", "APPROVED", "Bát Tràng", "Gốm men rạn thủ công, làm tại lò gia đình ở Bát Tràng."),
    ("ha@demo.rethink.market", "Nguyễn Thị Hà", "APPROVED", "Hà Nội", "Typography and posters: Vietnamese letterforms, risograph prints and fonts."),
    ("pending@demo.rethink.market", "Phạm Gia Bảo", "PENDING", "Hải Phòng", "Đồ da thủ công: ví, túi và thắt lưng."),
]


class Command(BaseCommand):
    help = "Load the demo marketplace (idempotent) and print the demo logins."

    @transaction.atomic
    def handle(self, *args, **options):
        staff = self._user("admin@demo.rethink.market", "Quản trị viên", staff=True)
        self._user("buyer@demo.rethink.market", "Đỗ Mai Anh")
        for email, name, status, city, bio in DESIGNERS:
            user = self._user(email, name)
            designer, created = Designer.objects.get_or_create(
                user=user,
                defaults={"display_name": name, "slug": _slug(name), "status": status, "city": city, "bio": bio},
            )
            if created:
                DesignerStatusChange.objects.create(designer=designer, from_status="", to_status="PENDING", actor=user)
                if status != DesignerStatus.PENDING:
                    DesignerStatusChange.objects.create(designer=designer, from_status="PENDING", to_status=status, actor=staff)
        _seed_shipping_methods()
        self.stdout.write(self.style.SUCCESS("Demo data ready. Logins (password for all: %s):" % PASSWORD))
        self.stdout.write("  staff (also /admin/):  admin@demo.rethink.market")
        self.stdout.write("  buyer:                 buyer@demo.rethink.market")
        for email, name, status, *_ in DESIGNERS:
            self.stdout.write(f"  designer ({status.lower()}): {email}  {name}")

    def _user(self, email, name, staff=False):
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User.objects.create_user(email=email, password=PASSWORD, full_name=name, is_staff=staff, is_superuser=staff)
        return user


def _slug(name):
    from shop.core.text import vietnamese_slug

    return vietnamese_slug(name)



# --- checkout: each approved demo designer ships its goods two ways (idempotent) ---
DEMO_SHIPPING_METHODS = [
    # name, price (VND), free above (VND), min days, max days
    ("Giao hàng tiêu chuẩn", 30000, 500000, 2, 4),
    ("Giao hàng nhanh", 55000, None, 1, 2),
]


def _seed_shipping_methods():
    from decimal import Decimal

    from shop.checkout.models import ShippingMethod

    for designer in Designer.objects.filter(user__email__endswith="@demo.rethink.market", status=DesignerStatus.APPROVED):
        for name, price, free_above, min_days, max_days in DEMO_SHIPPING_METHODS:
            ShippingMethod.objects.get_or_create(
                designer=designer, name=name,
                defaults={
                    "price_amount": Decimal(price), "currency": "VND",
                    "free_above_amount": Decimal(free_above) if free_above else None,
                    "min_days": min_days, "max_days": max_days,
                },
            )
