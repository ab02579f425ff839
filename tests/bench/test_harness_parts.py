"""The harness's parts that are not timing: the query-count header, the floor's answers, the
statistics and the report (the whole harness runs in CI as `make bench-quick`)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from bench import floor, report
from bench.stats import latency_summary, percentile
from shop.catalog.models import Category, ProductMedia
from tests.factories import make_designer, make_product, make_variant
from tests.support import load_operation

DESIGNERS = load_operation("storefront/Designers.graphql")


def _post(client, query, variables):
    return client.post(
        "/graphql/", data=json.dumps({"query": query, "variables": variables}), content_type="application/json"
    )


# --- X-Query-Count ------------------------------------------------------------------------------


def test_query_count_header_is_off_by_default(db):
    make_designer()
    response = _post(Client(), DESIGNERS, {"first": 10})
    assert response.status_code == 200
    assert "X-Query-Count" not in response and "X-Query-Time-Ms" not in response


def test_query_count_header_counts_the_sql_of_the_request(db, settings, django_assert_num_queries):
    settings.MIDDLEWARE = ["bench.middleware.QueryCountMiddleware", *settings.MIDDLEWARE]
    for n in range(3):
        make_designer(display_name=f"Designer {n}")
    with django_assert_num_queries(2):  # the page and its count
        response = _post(Client(), DESIGNERS, {"first": 10})
    assert response.status_code == 200
    assert len(response.json()["data"]["designers"]["edges"]) == 3
    assert response["X-Query-Count"] == "2"
    assert float(response["X-Query-Time-Ms"]) >= 0
    health = Client().get("/health/")
    assert health["X-Query-Count"] == "0"


# --- the floor ----------------------------------------------------------------------------------

PRODUCTS = load_operation("storefront/Products.graphql")


@pytest.fixture
def shop(db):
    approved = make_designer(display_name="Trần Thùy Linh")
    suspended = make_designer(display_name="Lê Quang Minh", status="SUSPENDED")
    category = Category.objects.create(name="Gốm sứ", slug="gom-su")
    now = timezone.now()
    products = []
    for n in range(5):
        product = make_product(
            designer=approved,
            name=f"Bình gốm {n}",
            category=category if n % 2 else None,
            created_at=now - timedelta(hours=n),
            tags=["gốm", f"t{n}"],
        )
        for position, price in enumerate((150000, 120000, 99000, 500000)):
            make_variant(
                product=product,
                price=price,
                stock=position,
                position=position,
                name=f"V{position}",
                attributes=[{"name": "Màu", "value": f"Lam {position}"}],
            )
        if n != 3:  # one product without pictures
            ProductMedia.objects.create(
                product=product,
                image=f"products/x/{n}.jpg",
                width=800,
                height=800,
                alt=product.name,
                thumbnails={"256": f"products/x/{n}-256.webp", "512": f"products/x/{n}-512.webp"} if n != 2 else {},
            )
        products.append(product)
    font = make_product(
        designer=approved, name="Phông chữ Hà Nội", product_type="DIGITAL", created_at=now - timedelta(hours=9)
    )
    make_variant(product=font, price=350000, stock=0, digital_file="digital/x/font.zip")
    make_variant(product=font, price=450000, stock=0, name="Không có tệp")
    products.append(font)
    tied = make_product(designer=approved, name="Cùng giờ", created_at=now - timedelta(hours=4))  # a tie on created_at
    make_variant(product=tied, price=10000)
    make_product(designer=approved, name="Bản nháp", status="DRAFT")
    make_product(designer=approved, name="Ẩn", hidden_at=now)
    make_product(designer=suspended, name="Của người bị đình chỉ")
    return products


def _api(variables):
    response = Client().post(
        "/graphql/", data=json.dumps({"query": PRODUCTS, "variables": variables}), content_type="application/json"
    )
    assert response.status_code == 200
    return response.json()


def _floor(variables):
    return floor.product_list(
        variables["first"],
        variables.get("after"),
        thumbnail_size=variables.get("thumbnailSize", 512),
        with_total_count=variables.get("withTotalCount", False),
        base_url="http://testserver",
        conn=connection.connection,
    )


@pytest.mark.parametrize(
    "variables",
    [
        {"first": 100},
        {"first": 32},
        {"first": 3},
        {"first": 2, "withTotalCount": True},
        {"first": 4, "thumbnailSize": 256},
        {"first": 1, "thumbnailSize": 2000},
    ],
)
def test_the_floor_serves_the_apis_json(shop, variables):
    api = _api(variables)
    assert "errors" not in api
    assert _floor(variables) == api


def test_the_floor_pages_like_the_api(shop):
    after, pages = None, 0
    while True:
        variables = {"first": 2, **({"after": after} if after else {})}
        api, floor_page = _api(variables), _floor(variables)
        assert floor_page == api
        pages += 1
        info = api["data"]["products"]["pageInfo"]
        if not info["hasNextPage"]:
            break
        after = info["endCursor"]
    assert pages == 4  # 7 products on sale, 2 per page
    first = _floor({"first": 100})["data"]["products"]["edges"]
    assert [e["node"]["name"] for e in first][:3] == ["Bình gốm 0", "Bình gốm 1", "Bình gốm 2"]
    font = next(e["node"] for e in first if e["node"]["productType"] == "DIGITAL")
    assert [(v["node"]["inStock"], v["node"]["stockQuantity"]) for v in font["variants"]["edges"]] == [
        (True, None),
        (False, None),
    ]
    assert next(e["node"] for e in first if e["node"]["name"] == "Bình gốm 3")["thumbnail"] is None


def test_floor_wsgi_answers_json_for_the_request_the_api_gets(shop, monkeypatch):
    import io

    monkeypatch.setattr(floor, "_connection", lambda: connection.connection)
    body = json.dumps({"query": PRODUCTS, "variables": {"first": 3}}).encode()
    seen = {}

    def start_response(status, headers):
        seen["status"], seen["headers"] = status, dict(headers)

    environ = {
        "REQUEST_METHOD": "POST",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
        "wsgi.url_scheme": "http",
        "HTTP_HOST": "testserver",
    }
    payload = json.loads(b"".join(floor.application(environ, start_response)))
    assert seen["status"] == "200 OK" and seen["headers"]["Content-Type"] == "application/json"
    assert payload == _api({"first": 3})
    bad = floor.application(
        {"REQUEST_METHOD": "POST", "CONTENT_LENGTH": "3", "wsgi.input": io.BytesIO(b"{x}")}, start_response
    )
    assert seen["status"].startswith("400") and b"errors" in b"".join(bad)


# --- statistics and the report ------------------------------------------------------------------


def test_percentiles_interpolate_between_ranks():
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == pytest.approx(50.5)
    assert percentile(values, 95) == pytest.approx(95.05)
    assert percentile(values, 100) == 100.0
    assert percentile([3.0], 99) == 3.0
    assert percentile([], 50) is None
    summary = latency_summary([0.001, 0.002, 0.003])
    assert summary["n"] == 3 and summary["p50_ms"] == 2.0 and summary["max_ms"] == 3.0


def _result(name, p50, p95, rps_keepalive, rps_close, queries, targets=None):
    return {
        "name": name,
        "description": name,
        "server": "api",
        "operation": None,
        "example_variables": None,
        "single": {"n": 10, "p50_ms": p50, "p95_ms": p95, "p99_ms": p95, "mean_ms": p50, "max_ms": p95, "rps": 1.0},
        "keepalive": {"rps": rps_keepalive, "p95_ms": p95, "p50_ms": p50, "p99_ms": p95, "non_200": 0, "errors": 0},
        "close": {"rps": rps_close, "p95_ms": p95, "p50_ms": p50, "p99_ms": p95, "non_200": 0, "errors": 0},
        "queries": {"median": queries, "min": queries, "max": queries},
        "sql_ms_p50": 1.0,
        "response_bytes": {"median": 1000, "min": 1000, "max": 1000},
        "problems": [],
        "targets": targets or {},
    }


def test_targets_are_judged_and_misses_say_by_how_much():
    info = {
        "results": [
            _result(
                "products-100",
                40.0,
                45.0,
                60.0,
                40.0,
                4,
                {"queries": 6, "p50_ms": 30, "p95_ms": 50, "rps": 50, "floor_ratio": 7},
            ),
            _result("floor-products-100", 5.0, 6.0, 400.0, 300.0, 0),
        ],
        "floor_ratios": [
            {
                "api": "products-100",
                "floor": "floor-products-100",
                "p50": 8.0,
                "p95": 7.5,
                "rps_keepalive": 6.67,
                "rps_close": 7.5,
            }
        ],
    }
    verdicts = {t["target"]: (t["met"], t["verdict"]) for t in report.evaluate_targets(info)}
    assert verdicts["≤ 6 SQL queries"] == (True, "met")
    assert verdicts["p50 ≤ 30 ms (1 client)"] == (False, "missed by 33%")
    assert verdicts["p95 ≤ 50 ms (1 client)"] == (True, "met")
    assert verdicts["≥ 50 req/s (lower of keep-alive and close)"] == (False, "missed by 20%")
    assert verdicts["within 7× of the floor (p50 latency and close throughput)"][0] is False


def test_floor_ratios_compare_the_servers_cpu_per_request_too(tmp_path):
    from bench.run import floor_ratios

    api = _result("products-100", 40.0, 45.0, 60.0, 40.0, 3)
    api["single"]["server_cpu_ms"] = 30.0
    floor_100 = _result("floor-products-100", 5.0, 6.0, 400.0, 300.0, 0)
    floor_100["single"]["server_cpu_ms"] = 6.0
    # a result written before the CPU was measured has no server_cpu_ms: no CPU ratio
    older = [_result("products-32", 20.0, 25.0, 100.0, 90.0, 3), _result("floor-products-32", 4.0, 5.0, 600, 500, 0)]
    ratios = {r["api"]: r for r in floor_ratios([api, floor_100, *older])}
    assert ratios["products-100"]["p50"] == 8.0 and ratios["products-100"]["cpu"] == 5.0
    assert ratios["products-32"]["p50"] == 5.0 and ratios["products-32"]["cpu"] is None
    info = {
        "generated_at": "2026-12-06T00:00:00+00:00",
        "quick": True,
        "seconds": 1,
        "machine": {"cpu": "Test CPU", "cores": 2, "ram_gb": 24, "os": "Linux", "python": "3.11", "gunicorn": "27"},
        "dataset": {"database": "x", "size": "1 MB", "counts": {"products": 5}},
        "results": [api, floor_100, *older],
        "floor_ratios": list(ratios.values()),
        "memory": {},
        "skipped": [],
    }
    report.write(info, tmp_path / "b.json", tmp_path / "b.md")
    rows = [line for line in (tmp_path / "b.md").read_text().splitlines() if line.startswith("| products-")]
    against = [row for row in rows if "| floor-products-" in row]
    assert against[0].startswith("| products-100 | floor-products-100 | 8") and against[0].endswith("| 5 |")
    assert against[1].startswith("| products-32 | floor-products-32 | 5") and against[1].endswith("| – |")


def test_regenerating_the_report_keeps_the_analysis(tmp_path):
    info = {
        "generated_at": "2026-11-26T00:00:00+00:00",
        "quick": False,
        "seconds": 1,
        "machine": {"cpu": "Test CPU", "cores": 2, "ram_gb": 24, "os": "Linux", "python": "3.11", "gunicorn": "27"},
        "dataset": {"database": "x", "size": "1 MB", "counts": {"products": 5}},
        "results": [_result("designers-24", 2.0, 3.0, 100.0, 90.0, 2)],
        "floor_ratios": [],
        "memory": {},
        "skipped": [],
    }
    md = tmp_path / "b.md"
    report.write(info, tmp_path / "b.json", md)
    text = md.read_text()
    assert "Test CPU, 2 cores, 24 GB RAM" in text and "| designers-24 | 2 |" in text
    md.write_text(text + "\nThe p95 tail was the garbage collector.\n")
    info["machine"]["cpu"] = "Other CPU"
    report.write(info, tmp_path / "b.json", md)
    again = md.read_text()
    assert "Other CPU" in again and "Test CPU" not in again
    assert again.count("The p95 tail was the garbage collector.") == 1
    assert json.loads((tmp_path / "b.json").read_text())["machine"]["cpu"] == "Other CPU"


# --- EXPLAIN of an operation's SQL --------------------------------------------------------------


def test_bench_explain_runs_the_operation_and_explains_its_sql(db, capsys):
    from django.core.management import call_command

    make_designer(display_name="Trần Thùy Linh")
    make_designer(display_name="Lê Quang Minh")
    call_command(
        "bench_explain", "storefront/Designers.graphql", variables='{"first": 5, "filter": {"search": "Linh"}}'
    )
    out = json.loads(capsys.readouterr().out)
    assert out["status"] == 200 and out["errors"] is None
    assert len(out["statements"]) == 2  # the page and its count
    assert all("designers_designer" in s["sql"] and "Execution Time" in s["plan"] for s in out["statements"])
    call_command("bench_explain", "storefront/Designers.graphql", variables='{"first": 5}', match="COUNT(")
    only_count = json.loads(capsys.readouterr().out)["statements"]
    assert len(only_count) == 1 and "COUNT(" in only_count[0]["sql"]


@pytest.mark.parametrize(
    "args, message",
    [
        (["storefront/Nope.graphql"], "No operation"),
        (["storefront/Designers.graphql", "--variables", "[1]"], "JSON object"),
        (["storefront/Designers.graphql", "--variables", "{oops"], "JSON object"),
    ],
)
def test_bench_explain_refuses_clumsy_arguments(db, args, message):
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match=message):
        call_command("bench_explain", *args)


def test_a_breakdown_groups_one_client_latencies_by_variable_slowest_first():
    from bench.client import Sample
    from bench.run import breakdown

    sample = Sample()
    terms = ["ao dai", "gom bat trang", "tui da"]
    for i in range(30):
        sample.latencies.append({0: 0.005, 1: 0.040, 2: 0.010}[i % 3] + i * 1e-5)
        sample.query_counts.append(3)
    rows = breakdown(sample, lambda i: terms[i % 3])
    assert [r["label"] for r in rows] == ["gom bat trang", "tui da", "ao dai"]
    assert rows[0]["n"] == 10 and 40 <= rows[0]["p50_ms"] < 41 and rows[0]["queries"]["max"] == 3
    machine = {"cpu": "Test CPU", "cores": 2, "ram_gb": 24, "os": "Linux", "python": "3.11", "gunicorn": "27"}
    text = report.render(
        {
            "generated_at": "x",
            "quick": False,
            "seconds": 1,
            "machine": machine,
            "dataset": {"database": "x", "size": "1 MB", "counts": {}},
            "results": [{**_result("product-search", 10.0, 40.0, 80.0, 80.0, 3), "breakdown": rows}],
            "floor_ratios": [],
            "memory": {},
            "skipped": [],
        }
    )
    assert "### `product-search`, one client, by variable" in text and "| `gom bat trang` | 10 | 3 |" in text


def test_the_report_names_every_kind_of_index_scan():
    from bench.management.commands.bench_explain import index_scans

    plan = """Limit  (cost=1.0..2.0 rows=11 width=32)
  ->  Bitmap Heap Scan on catalog_productsearch  (cost=1.0..2.0 rows=8 width=554)
        ->  Bitmap Index Scan on productsearch_listed_gin  (cost=0.00..1.0 rows=9 width=0)
  ->  Index Scan using designers_designer_pkey on designers_designer d  (cost=0.28..7.30 rows=1 width=8)
  ->  Index Only Scan Backward using product_storefront_idx on catalog_product  (cost=0.42..1.0 rows=1 width=8)
  ->  Seq Scan on catalog_category  (cost=0.00..1.28 rows=28 width=16)"""
    assert index_scans(plan) == {"productsearch_listed_gin", "designers_designer_pkey", "product_storefront_idx"}
