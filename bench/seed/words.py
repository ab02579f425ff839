"""Word lists the seeder composes names and texts from (Vietnamese first, some English).

Every generated string is a combination of these; nothing here is random by itself."""
from __future__ import annotations

FAMILY_NAMES = [
    "Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ",
    "Hồ", "Ngô", "Dương", "Lý", "Đinh", "Trương", "Lương", "Mai", "Tạ", "Cao", "Lâm", "Kiều",
]
MIDDLE_NAMES = [
    "Thị", "Văn", "Minh", "Thu", "Ngọc", "Quang", "Gia", "Hoài", "Thanh", "Đức", "Bảo", "Khánh",
    "Hải", "Phương", "Tuệ", "Diệu", "Anh", "Xuân", "Hồng", "Trung",
]
GIVEN_NAMES = [
    "Hà", "Linh", "Minh", "Anh", "Trang", "Hương", "Lan", "Mai", "Nam", "Huy", "Tuấn", "Phương",
    "Thảo", "Vy", "Khoa", "Long", "Quân", "Ngân", "Hằng", "Dung", "Yến", "Tâm", "Châu", "My",
    "Duy", "Hiếu", "Nhi", "Trâm", "Việt", "Sơn", "Hạnh", "Giang", "Thư", "Đạt", "Khuê", "Uyên",
]
EN_FIRST_NAMES = [
    "Emma", "Olivia", "Liam", "Noah", "Ava", "Mia", "Lucas", "Chloe", "Ethan", "Grace",
    "Hannah", "Oscar", "Sophie", "Daniel", "Julia", "Leo", "Nora", "Felix", "Ruby", "Jack",
]
EN_LAST_NAMES = [
    "Smith", "Wilson", "Brown", "Taylor", "Martin", "Nguyen", "Tran", "Lee", "Walker", "Clarke",
    "Hughes", "Moreau", "Schmidt", "Tanaka", "Kim", "Evans", "Baker", "Turner", "Dubois", "Park",
]

STUDIO_PREFIXES_VI = ["Xưởng", "Nhà", "Tiệm", "Góc", "Studio"]
STUDIO_NOUNS_VI = [
    "Gốm Men Lam", "Mây Tre", "Lụa Hà Đông", "Chàm", "Sen Hồ Tây", "Phố Cổ", "Giấy Dó", "Sơn Mài",
    "Mộc", "Rêu", "Nắng", "Gió Mùa", "Ngõ Nhỏ", "Thổ Cẩm", "Bạc Châu Khê", "Hoa Sữa", "Đất Nung",
    "Khói", "Thuyền Giấy", "Cánh Diều", "Trăng Non", "Tơ Tằm", "Lá Bàng", "Mưa Phùn",
]
STUDIO_EN = [
    "Indigo Room", "Paper Lantern", "Old Quarter Press", "Lotus & Ink", "West Lake Works",
    "Monsoon Atelier", "Red River Studio", "Slow Clay", "Bamboo Type", "Silk Thread Co.",
    "Little Alley", "Morning Market", "Lacquer House", "Night Train Prints", "Ginger Leaf",
]

CITIES = [
    ("Hà Nội", 55), ("TP. Hồ Chí Minh", 20), ("Đà Nẵng", 6), ("Huế", 5), ("Hải Phòng", 4),
    ("Hội An", 3), ("Bát Tràng", 2), ("Đà Lạt", 2), ("Cần Thơ", 2), ("Nha Trang", 1),
]
HANOI_STREETS = [
    ("Hàng Bông", "Hàng Gai", "Hoàn Kiếm"), ("Hàng Gai", "Hàng Gai", "Hoàn Kiếm"),
    ("Tô Ngọc Vân", "Quảng An", "Tây Hồ"), ("Phan Đình Phùng", "Quán Thánh", "Ba Đình"),
    ("Tràng Thi", "Hàng Trống", "Hoàn Kiếm"), ("Kim Mã", "Kim Mã", "Ba Đình"),
    ("Xuân Thủy", "Dịch Vọng Hậu", "Cầu Giấy"), ("Lò Đúc", "Phạm Đình Hổ", "Hai Bà Trưng"),
    ("Nguyễn Trãi", "Thượng Đình", "Thanh Xuân"), ("Láng Hạ", "Láng Hạ", "Đống Đa"),
]
OTHER_ADDRESSES = [
    ("Lê Lợi", "Bến Nghé", "Quận 1", "TP. Hồ Chí Minh"), ("Võ Văn Tần", "Phường 6", "Quận 3", "TP. Hồ Chí Minh"),
    ("Bạch Đằng", "Hải Châu 1", "Hải Châu", "Đà Nẵng"), ("Lê Lợi", "Vĩnh Ninh", "TP. Huế", "Thừa Thiên Huế"),
    ("Lạch Tray", "Lạch Tray", "Ngô Quyền", "Hải Phòng"), ("Trần Phú", "Lộc Thọ", "Nha Trang", "Khánh Hòa"),
]

BIO_VI = [
    "Tốt nghiệp Đại học Mỹ thuật Công nghiệp, {name} làm việc tại {city} từ năm {year}.",
    "Mỗi sản phẩm được làm thủ công với số lượng nhỏ, lấy cảm hứng từ phố phường {city}.",
    "Chúng tôi dùng chất liệu địa phương và làm việc cùng các làng nghề quanh {city}.",
    "Nhận đặt hàng theo yêu cầu; thời gian hoàn thiện từ một đến ba tuần.",
    "Thiết kế tối giản, bền và dễ dùng hằng ngày.",
]
BIO_EN = [
    "{name} is a designer based in {city}, working in small batches since {year}.",
    "Every piece is made by hand with local materials and craft villages around {city}.",
    "Commissions are welcome; most pieces ship within one to three weeks.",
    "Quiet, durable designs meant to be used every day.",
]

# Categories: (name, slug, [(child name, child slug, product kind)]).
CATEGORY_TREE = [
    ("Thời trang", "thoi-trang", [("Áo dài", "ao-dai", "fashion"), ("Áo & sơ mi", "ao-so-mi", "fashion"),
                                  ("Váy", "vay", "fashion"), ("Khăn & phụ kiện", "khan-phu-kien", "fashion")]),
    ("Gốm sứ", "gom-su", [("Bình & lọ hoa", "binh-lo-hoa", "ceramics"), ("Bát đĩa", "bat-dia", "ceramics"),
                          ("Ấm chén", "am-chen", "ceramics")]),
    ("Trang sức", "trang-suc", [("Nhẫn", "nhan", "jewelry"), ("Khuyên tai", "khuyen-tai", "jewelry"),
                                ("Vòng tay & dây chuyền", "vong-day-chuyen", "jewelry")]),
    ("Đồ da", "do-da", [("Ví & bao da", "vi-bao-da", "leather"), ("Túi", "tui", "leather")]),
    ("Tranh & poster", "tranh-poster", [("Poster", "poster", "print"), ("Tranh in risograph", "risograph", "print"),
                                        ("Sơn mài", "son-mai", "print")]),
    ("Nhà cửa", "nha-cua", [("Đèn", "den", "home"), ("Gối & thảm", "goi-tham", "home"), ("Đồ gỗ", "do-go", "home")]),
    ("Sản phẩm số", "san-pham-so", [("Phông chữ", "phong-chu", "font"), ("Minh họa số", "minh-hoa-so", "illustration"),
                                     ("Mẫu thiết kế", "mau-thiet-ke", "template")]),
]

DIGITAL_KINDS = {"font", "illustration", "template"}

# Per product kind: items (vi, en), materials (vi, en), modifiers (vi, en), the variant axis.
KINDS = {
    "fashion": {
        "items": [("Áo dài", "Áo dài"), ("Sơ mi", "Shirt"), ("Váy suông", "Shift dress"), ("Khăn choàng", "Scarf"),
                  ("Áo khoác", "Jacket"), ("Quần ống rộng", "Wide-leg trousers"), ("Yếm", "Halter top")],
        "materials": [("lụa", "silk"), ("linen", "linen"), ("đũi", "raw silk"), ("cotton", "cotton"),
                      ("thổ cẩm", "brocade"), ("gấm", "damask")],
        "modifiers": [("thêu sen", "lotus-embroidered"), ("nhuộm chàm", "indigo-dyed"), ("in hoa", "floral print"),
                      ("kẻ sọc", "striped"), ("thêu tay", "hand-embroidered"), ("màu rêu", "moss green"),
                      ("cổ tàu", "mandarin collar"), ("tối giản", "minimal")],
        "axis": ("Kích cỡ", "Size", ["S", "M", "L", "XL"]),
        "price": (250_000, 3_500_000),
        "tags": ["thời trang", "thủ công", "may đo", "quà tặng", "handmade"],
    },
    "ceramics": {
        "items": [("Bình hoa", "Vase"), ("Bát", "Bowl"), ("Đĩa", "Plate"), ("Cốc", "Mug"), ("Ấm trà", "Teapot"),
                  ("Lọ", "Jar"), ("Chén", "Tea cup")],
        "materials": [("gốm Bát Tràng", "Bát Tràng stoneware"), ("sứ", "porcelain"), ("đất nung", "terracotta"),
                      ("gốm Chu Đậu", "Chu Đậu ceramic")],
        "modifiers": [("men rạn", "crackle glaze"), ("men lam", "blue glaze"), ("men ngọc", "celadon"),
                      ("vẽ tay", "hand-painted"), ("men hỏa biến", "flambé glaze"), ("mộc", "unglazed")],
        "axis": ("Màu men", "Glaze", ["Lam", "Ngọc", "Nâu", "Trắng ngà"]),
        "price": (90_000, 2_500_000),
        "tags": ["gốm", "bát tràng", "thủ công", "trang trí", "quà tặng"],
    },
    "jewelry": {
        "items": [("Nhẫn", "Ring"), ("Khuyên tai", "Earrings"), ("Vòng tay", "Bracelet"), ("Dây chuyền", "Necklace"),
                  ("Trâm cài", "Hairpin")],
        "materials": [("bạc", "silver"), ("đồng", "brass"), ("ngọc trai", "pearl"), ("gỗ sưa", "rosewood"),
                      ("sừng", "horn")],
        "modifiers": [("chạm hoa sen", "lotus-carved"), ("tối giản", "minimal"), ("đính đá", "stone-set"),
                      ("xoắn", "twisted"), ("khắc chữ", "engraved")],
        "axis": ("Kích cỡ", "Size", ["Nhỏ", "Vừa", "Lớn"]),
        "price": (150_000, 4_000_000),
        "tags": ["trang sức", "bạc", "thủ công", "quà tặng"],
    },
    "leather": {
        "items": [("Ví", "Wallet"), ("Túi tote", "Tote bag"), ("Thắt lưng", "Belt"), ("Bao hộ chiếu", "Passport cover"),
                  ("Túi đeo chéo", "Crossbody bag")],
        "materials": [("da bò", "cowhide"), ("da thuộc thảo mộc", "vegetable-tanned leather"), ("da lộn", "suede")],
        "modifiers": [("khâu tay", "hand-stitched"), ("khắc tên", "monogrammed"), ("màu bò", "tan"),
                      ("màu đen", "black"), ("cổ điển", "classic")],
        "axis": ("Màu", "Colour", ["Nâu", "Đen", "Bò"]),
        "price": (200_000, 3_000_000),
        "tags": ["đồ da", "thủ công", "quà tặng", "handmade"],
    },
    "print": {
        "items": [("Poster", "Poster"), ("Tranh in", "Art print"), ("Bưu thiếp", "Postcard set"), ("Lịch", "Calendar"),
                  ("Tranh sơn mài", "Lacquer painting")],
        "materials": [("giấy dó", "dó paper"), ("risograph", "risograph"), ("giấy mỹ thuật", "fine art paper"),
                      ("vóc sơn mài", "lacquer panel")],
        "modifiers": [("Phố cổ", "Old Quarter"), ("Hồ Gươm", "Sword Lake"), ("Cầu Long Biên", "Long Biên Bridge"),
                      ("mùa thu Hà Nội", "Hà Nội autumn"), ("chợ Đồng Xuân", "Đồng Xuân market"), ("tàu điện", "tram")],
        "axis": ("Khổ", "Format", ["A4", "A3", "A2"]),
        "price": (60_000, 6_000_000),
        "tags": ["poster", "tranh", "hà nội", "trang trí", "risograph"],
    },
    "home": {
        "items": [("Đèn lồng", "Lantern"), ("Gối tựa", "Cushion"), ("Thảm", "Rug"), ("Kệ", "Shelf"),
                  ("Khay", "Tray"), ("Nến thơm", "Scented candle")],
        "materials": [("mây tre", "rattan"), ("gỗ xoan", "xoan wood"), ("cói", "sedge"), ("lụa", "silk"),
                      ("sơn mài", "lacquer")],
        "modifiers": [("đan tay", "hand-woven"), ("tối giản", "minimal"), ("hương sen", "lotus-scented"),
                      ("họa tiết trống đồng", "bronze-drum pattern"), ("màu chàm", "indigo")],
        "axis": ("Kích thước", "Size", ["Nhỏ", "Vừa", "Lớn"]),
        "price": (80_000, 5_000_000),
        "tags": ["nhà cửa", "trang trí", "mây tre", "thủ công"],
    },
    "font": {
        "items": [("Phông chữ", "Typeface"), ("Bộ phông", "Font family")],
        "materials": [("Hà Nội Sans", "Hà Nội Sans"), ("Chữ Nôm Display", "Nôm Display"), ("Sài Gòn Serif", "Sài Gòn Serif"),
                      ("Bảng hiệu", "Shop Sign"), ("Viết tay", "Handwritten"), ("Thư pháp", "Calligraphy")],
        "modifiers": [("đủ dấu tiếng Việt", "full Vietnamese"), ("4 độ đậm", "4 weights"), ("biến thể", "variable"),
                      ("cổ điển", "classic"), ("hiện đại", "modern")],
        "axis": ("Giấy phép", "Licence", ["Cá nhân", "Thương mại", "Mở rộng"]),
        "price": (99_000, 2_900_000),
        "tags": ["font", "phông chữ", "typography", "tiếng việt", "digital"],
    },
    "illustration": {
        "items": [("Bộ minh họa", "Illustration pack"), ("Bộ icon", "Icon set"), ("Hình nền", "Wallpaper set"),
                  ("Sticker số", "Digital stickers")],
        "materials": [("vector", "vector"), ("màu nước", "watercolour"), ("PNG", "PNG")],
        "modifiers": [("ẩm thực đường phố", "street food"), ("Tết", "Tết"), ("phố phường", "street life"),
                      ("hoa sen", "lotus"), ("động vật", "animals")],
        "axis": ("Giấy phép", "Licence", ["Cá nhân", "Thương mại", "Mở rộng"]),
        "price": (49_000, 990_000),
        "tags": ["minh họa", "digital", "illustration", "tết"],
    },
    "template": {
        "items": [("Mẫu thiệp cưới", "Wedding invitation template"), ("Mẫu menu", "Menu template"),
                  ("Mẫu CV", "CV template"), ("Bộ nhận diện", "Brand kit")],
        "materials": [("Figma", "Figma"), ("Canva", "Canva"), ("Illustrator", "Illustrator")],
        "modifiers": [("tối giản", "minimal"), ("cổ điển", "classic"), ("họa tiết Việt", "Vietnamese motifs")],
        "axis": ("Giấy phép", "Licence", ["Cá nhân", "Thương mại", "Mở rộng"]),
        "price": (49_000, 1_500_000),
        "tags": ["template", "mẫu thiết kế", "digital", "figma"],
    },
}

DESCRIPTION_VI = [
    "Được làm thủ công tại xưởng ở {city}, mỗi chiếc hơi khác nhau một chút.",
    "Chất liệu: {material}. Hoàn thiện bằng tay, kiểm tra kỹ trước khi gửi.",
    "Lấy cảm hứng từ {modifier} và những buổi sáng trên phố.",
    "Phù hợp làm quà tặng; đóng gói bằng giấy dó tái chế.",
    "Bảo quản nơi khô ráo, tránh ánh nắng trực tiếp.",
    "Số lượng có hạn trong bộ sưu tập này.",
]
DESCRIPTION_EN = [
    "Made by hand in our {city} studio; no two pieces are exactly alike.",
    "Material: {material}. Finished and checked by hand before it ships.",
    "Inspired by {modifier} and early mornings in the city.",
    "Gift-ready, wrapped in recycled dó paper.",
    "Keep dry and out of direct sunlight.",
    "A limited run in this collection.",
]
DIGITAL_NOTE_VI = "Tệp tải về ngay sau khi thanh toán."
DIGITAL_NOTE_EN = "Download link delivered right after payment."

PORTFOLIO_TITLES_VI = [
    "Bộ sưu tập {season} {year}", "Triển lãm {place}", "Nhận diện cho {brand}", "Dự án {place}",
    "Hợp tác cùng {brand}", "Sách ảnh {place}",
]
PORTFOLIO_TITLES_EN = ["{season} collection {year}", "Exhibition at {place}", "Identity for {brand}", "{place} project"]
SEASONS_VI = ["Xuân", "Hạ", "Thu", "Đông", "Tết"]
SEASONS_EN = ["Spring", "Summer", "Autumn", "Winter", "Tết"]
PLACES = ["Hồ Gươm", "Phố cổ", "Tây Hồ", "Long Biên", "Văn Miếu", "Hội An", "Huế", "Đà Lạt", "Sài Gòn"]
BRANDS = ["Cộng Cà Phê", "Hanoi Creative City", "Manzi", "Tranh Cổ", "Làng gốm Bát Tràng", "Hà Nội Design Week"]
ROLES = ["Thiết kế", "Art direction", "Minh họa", "Chế tác", "Design & production", "Photography"]

SHIPPING_METHODS = [
    ("Giao hàng tiêu chuẩn", 30_000, 500_000, 2, 5),
    ("Giao nhanh trong ngày", 60_000, None, 0, 1),
    ("Giao tiết kiệm", 20_000, 300_000, 4, 8),
]
