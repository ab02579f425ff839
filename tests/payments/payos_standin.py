"""A local stand-in for the parts of payOS's HTTP API that we use (test code).

payOS cannot be reached from the test machines, so the test run starts this real HTTP server on
127.0.0.1 in a thread and points the real ``payos`` SDK at it (``settings.PAYOS_BASE_URL``).
It checks what we send the way payOS does, with its own copy of payOS's signing scheme (read from
the SDK 1.1.0, ``payos/_crypto/provider.py`` and ``payos/_client.py``; it imports nothing from
the SDK, so a mistake in how we call the SDK cannot hide behind the SDK itself):

- every call carries ``x-client-id`` and ``x-api-key`` of the right channel (payment requests and
  payouts have separate credentials);
- creating a payment request is signed over exactly
  ``amount=…&cancelUrl=…&description=…&orderCode=…&returnUrl=…`` (HMAC-SHA256, checksum key);
  cancelling one with a reason is signed over the body's sorted fields; an order code is used once;
- creating a payout carries ``x-idempotency-key`` and ``x-signature`` = HMAC-SHA256 over the
  body's sorted, URL-encoded fields; the same key with the same body replays the first payout,
  with another body it is refused;
- answers are ``{"code": "00", "desc": "success", "data": …, "signature": …}`` signed the way the
  SDK verifies them (in the body for payment requests, in the ``x-signature`` header for payouts).

Endpoints: ``POST /v2/payment-requests``, ``GET /v2/payment-requests/{id}``,
``POST /v2/payment-requests/{id}/cancel``, ``POST /v1/payouts``, ``GET /v1/payouts/{id}``,
``POST /confirm-webhook`` (which, like payOS, posts a signed test webhook to the URL and registers
it only when that answers 2xx).

Test helpers move things along the way payOS would: a buyer transfers the money (``pay``: the
request becomes PAID and a signed webhook goes to the registered URL, or is dropped, duplicated,
or delivered late on demand), a payout succeeds or fails (``finish_payout``). ``failures`` makes
the next matching call answer 5xx; ``delays`` makes it answer slowly. Every call is recorded.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import re
import secrets
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import quote, urlsplit

MAX_ORDER_CODE = 9007199254740991  # payOS: a positive integer up to JavaScript's safe maximum
MAX_DESCRIPTION = 25  # characters a payment request's description may have
MERCHANT_BANK = {"bin": "970422", "accountNumber": "0001234567890", "accountName": "CONG TY RETHINK MARKET"}


# --- payOS's signing scheme (a copy, see the module docstring) -------------------------------------


def _text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    return str(value)


def sign_object(data: dict, key: str) -> str:
    """Webhook data and payment-request answers: ``k=v&…`` over sorted keys, nulls empty, lists as
    compact JSON of key-sorted objects; HMAC-SHA256 hex."""
    parts = []
    for name in sorted(data):
        value = data[name]
        if isinstance(value, list):
            value = json.dumps(
                [{k: v[k] for k in sorted(v)} if isinstance(v, dict) else v for v in value],
                separators=(",", ":"),
                ensure_ascii=False,
            )
        elif value in (None, "undefined", "null"):
            value = ""
        else:
            value = _text(value)
        parts.append(f"{name}={value}")
    return hmac.new(key.encode(), "&".join(parts).encode(), hashlib.sha256).hexdigest()


def sign_payment_request(data: dict, key: str) -> str | None:
    fields = ("amount", "cancelUrl", "description", "orderCode", "returnUrl")
    if any(name not in data for name in fields):
        return None
    text = "&".join(f"{name}={_text(data[name])}" for name in fields)
    return hmac.new(key.encode(), text.encode(), hashlib.sha256).hexdigest()


def _deep_sort(value):
    if isinstance(value, dict):
        return {k: _deep_sort(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [_deep_sort(v) if isinstance(v, (dict, list)) else v for v in value]
    return value


def sign_header(data: dict, key: str) -> str:
    """Payouts (``x-signature``): sorted keys, nested values as compact JSON, keys and values
    URL-encoded; HMAC-SHA256 hex."""
    data = _deep_sort(data)
    parts = []
    for name in sorted(data):
        value = data[name]
        if isinstance(value, (list, dict)):
            value = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
        else:
            value = _text(value)
        parts.append(f"{quote(str(name))}={quote(value)}")
    return hmac.new(key.encode(), "&".join(parts).encode(), hashlib.sha256).hexdigest()


# --- the server --------------------------------------------------------------------------------------


class PayOSError(Exception):
    def __init__(self, status: int, code: str, desc: str):
        super().__init__(desc)
        self.status, self.code, self.desc = status, code, desc


@dataclass
class Call:
    method: str
    path: str
    headers: dict
    body: dict | None
    status: int
    code: str


@dataclass
class Delivery:
    """A webhook the stand-in posted to the app (status None: the app could not be reached)."""

    url: str
    body: dict
    status: int | None


def _now_text() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")


@dataclass
class PayOSStandIn:
    client_id: str = "standin-client-id"
    api_key: str = "standin-api-key"
    checksum_key: str = "standin-checksum-key-0123456789abcdef"
    payout_client_id: str = "standin-payout-client-id"
    payout_api_key: str = "standin-payout-api-key"
    payout_checksum_key: str = "standin-payout-checksum-0123456789"
    url: str = ""
    port: int = 0  # 0: any free port
    calls: list[Call] = field(default_factory=list)
    deliveries: list[Delivery] = field(default_factory=list)
    # (method, path regex, http status): the next matching call answers that status, once each.
    failures: list = field(default_factory=list)
    # (method, path regex, seconds): the next matching call waits that long first, once each.
    delays: list = field(default_factory=list)
    # What happens to the next webhooks: "deliver" (default), "drop", "duplicate", "hold" (kept in
    # ``held`` for the test to deliver later with ``deliver``).
    webhook_mode: str = "deliver"
    held: list[dict] = field(default_factory=list)
    webhook_url: str = ""
    # Posts a webhook (url, body) -> HTTP status; None: a real HTTP POST. Tests without a server
    # thread plug Django's test client in here.
    sender: object = None

    def __post_init__(self):
        self._lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None
        self.requests: dict[int, dict] = {}  # orderCode -> payment request (with its private parts)
        self.payouts: dict[str, dict] = {}
        self._idempotency: dict[str, tuple[str, str]] = {}  # key -> (body fingerprint, payout id)

    # --- lifecycle ----------------------------------------------------------------------------

    def start(self) -> PayOSStandIn:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _handle(self, method: str):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode() if length else ""
                status, payload, extra = standin.handle(method, self.path, dict(self.headers.items()), body)
                raw = json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(raw)))
                    for name, value in extra.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(raw)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up (a slow answer)
                    pass

            def do_GET(self):
                self._handle("GET")

            def do_POST(self):
                self._handle("POST")

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/"
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="payos-standin", daemon=True
        ).start()
        return self

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()
            self.deliveries.clear()
            self.failures.clear()
            self.delays.clear()
            self.held.clear()
            self.requests.clear()
            self.payouts.clear()
            self._idempotency.clear()
            self.webhook_mode = "deliver"
            self.webhook_url = ""

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    # --- dispatch -----------------------------------------------------------------------------

    ROUTES = [
        ("POST", r"/v2/payment-requests", "create_payment_request", "merchant"),
        ("GET", r"/v2/payment-requests/(?P<id>[\w-]+)", "get_payment_request", "merchant"),
        ("POST", r"/v2/payment-requests/(?P<id>[\w-]+)/cancel", "cancel_payment_request", "merchant"),
        ("POST", r"/v1/payouts", "create_payout", "payout"),
        ("GET", r"/v1/payouts/(?P<id>[\w-]+)", "get_payout", "payout"),
        ("POST", r"/confirm-webhook", "confirm_webhook", "merchant"),
    ]

    def handle(self, method: str, raw_path: str, headers: dict, body: str) -> tuple[int, dict, dict]:
        headers = {k.lower(): v for k, v in headers.items()}
        path = urlsplit(raw_path).path
        if path.startswith("/_standin/"):
            return self._control(method, path)
        delay = self._take(self.delays, method, path)
        if delay:
            time.sleep(delay)
        parsed = None
        try:
            try:
                parsed = json.loads(body) if body else None
            except ValueError:
                raise PayOSError(400, "20", "Invalid JSON body")
            status, data, signature_place, channel = self._dispatch(method, path, headers, parsed)
        except PayOSError as exc:
            payload = {"code": exc.code, "desc": exc.desc, "data": None}
            with self._lock:
                self.calls.append(Call(method, path, headers, parsed, exc.status, exc.code))
            return exc.status, payload, {}
        key = self.checksum_key if channel == "merchant" else self.payout_checksum_key
        payload = {"code": "00", "desc": "success", "data": data}
        extra = {}
        if signature_place == "body":
            payload["signature"] = sign_object(data, key)
        elif signature_place == "header":
            extra["x-signature"] = sign_header(data, key)
        with self._lock:
            self.calls.append(Call(method, path, headers, parsed, status, "00"))
        return status, payload, extra

    @staticmethod
    def _take(rules: list, method: str, path: str):
        for i, (r_method, r_path, value) in enumerate(rules):
            if r_method == method and re.fullmatch(r_path, path):
                del rules[i]
                return value
        return None

    def _dispatch(self, method, path, headers, body):
        for r_method, pattern, handler, channel in self.ROUTES:
            match = re.fullmatch(pattern, path)
            if r_method != method or not match:
                continue
            client_id, api_key = (
                (self.client_id, self.api_key)
                if channel == "merchant"
                else (self.payout_client_id, self.payout_api_key)
            )
            if headers.get("x-client-id") != client_id or headers.get("x-api-key") != api_key:
                raise PayOSError(401, "401", "Thông tin xác thực không hợp lệ (wrong x-client-id or x-api-key)")
            failure = self._take(self.failures, method, path)
            if failure:
                raise PayOSError(failure, "500", "Simulated payOS failure")
            with self._lock:
                data, place = getattr(self, handler)(headers, body, **match.groupdict())
            return 200, data, place, channel
        raise PayOSError(404, "404", f"Not found: {method} {path}")

    # --- payment requests ---------------------------------------------------------------------

    def _public(self, request: dict) -> dict:
        """A payment request as ``GET`` shows it (the SDK's PaymentLink: no extra field allowed)."""
        keys = (
            "id",
            "orderCode",
            "amount",
            "amountPaid",
            "amountRemaining",
            "status",
            "createdAt",
            "transactions",
            "cancellationReason",
            "canceledAt",
        )
        return {k: copy.deepcopy(request[k]) for k in keys}

    def _find(self, id: str) -> dict:
        request = self.requests.get(int(id)) if id.isdigit() else None
        if request is None:
            request = next((r for r in self.requests.values() if r["id"] == id), None)
        if request is None:
            raise PayOSError(200, "101", "Không tìm thấy đơn thanh toán (payment request not found)")
        self._expire(request)
        return request

    @staticmethod
    def _expire(request: dict) -> None:
        if request["status"] == "PENDING" and request["expiredAt"] and request["expiredAt"] <= int(time.time()):
            request["status"] = "EXPIRED"

    def create_payment_request(self, headers, body, **_):
        if not isinstance(body, dict):
            raise PayOSError(400, "20", "Body must be a JSON object")
        expected = sign_payment_request(body, self.checksum_key)
        if expected is None:
            raise PayOSError(400, "20", "Thiếu trường bắt buộc (amount, cancelUrl, description, orderCode, returnUrl)")
        if not hmac.compare_digest(str(body.get("signature") or ""), expected):
            raise PayOSError(400, "201", "Chữ ký không hợp lệ (signature mismatch)")
        order_code, amount = body["orderCode"], body["amount"]
        if not isinstance(order_code, int) or isinstance(order_code, bool) or not 0 < order_code <= MAX_ORDER_CODE:
            raise PayOSError(400, "20", "orderCode must be a positive integer")
        if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
            raise PayOSError(400, "20", "amount must be a positive integer (VND)")
        if not isinstance(body["description"], str) or len(body["description"]) > MAX_DESCRIPTION:
            raise PayOSError(400, "20", f"description must be at most {MAX_DESCRIPTION} characters")
        expired_at = body.get("expiredAt")
        if expired_at is not None and (not isinstance(expired_at, int) or expired_at <= int(time.time())):
            raise PayOSError(400, "20", "expiredAt must be a future Unix time (seconds)")
        if order_code in self.requests:
            raise PayOSError(200, "231", "Đơn thanh toán đã tồn tại (order code already used)")
        link_id = secrets.token_hex(16)
        request = {
            "id": link_id,
            "orderCode": order_code,
            "amount": amount,
            "amountPaid": 0,
            "amountRemaining": amount,
            "status": "PENDING",
            "createdAt": _now_text(),
            "transactions": [],
            "cancellationReason": None,
            "canceledAt": None,
            "expiredAt": expired_at,
            "description": body["description"],
            "returnUrl": body["returnUrl"],
            "cancelUrl": body["cancelUrl"],
        }
        self.requests[order_code] = request
        data = {
            "bin": MERCHANT_BANK["bin"],
            "accountNumber": MERCHANT_BANK["accountNumber"],
            "accountName": MERCHANT_BANK["accountName"],
            "amount": amount,
            "description": body["description"],
            "orderCode": order_code,
            "currency": "VND",
            "paymentLinkId": link_id,
            "status": "PENDING",
            "expiredAt": expired_at,
            "checkoutUrl": f"{self.url}web/{link_id}",
            "qrCode": self.vietqr(amount, body["description"]),
        }
        return data, "body"

    @staticmethod
    def vietqr(amount: int, description: str) -> str:
        """A VietQR-shaped EMV payload (without a real CRC: nobody scans it here)."""
        account = MERCHANT_BANK["accountNumber"]
        return (
            f"00020101021238570010A000000727012700069704220113{account}0208QRIBFTTA5303704"
            f"54{len(str(amount)):02d}{amount}5802VN62{len(description) + 4:02d}08{len(description):02d}{description}6304ABCD"
        )

    def get_payment_request(self, headers, body, *, id):
        return self._public(self._find(id)), "body"

    def cancel_payment_request(self, headers, body, *, id):
        if body:
            signature = body.get("signature")
            unsigned = {k: v for k, v in body.items() if k != "signature"}
            if not signature or not hmac.compare_digest(signature, sign_object(unsigned, self.checksum_key)):
                raise PayOSError(400, "201", "Chữ ký không hợp lệ (signature mismatch)")
        request = self._find(id)
        if request["status"] == "PAID":
            raise PayOSError(200, "101", "Đơn thanh toán đã được thanh toán (already paid)")
        if request["status"] in ("EXPIRED", "CANCELLED"):
            raise PayOSError(200, "101", f"Đơn thanh toán không thể hủy ({request['status']})")
        if request["status"] in ("PENDING", "UNDERPAID"):
            request["status"] = "CANCELLED"
            request["cancellationReason"] = (body or {}).get("cancellationReason")
            request["canceledAt"] = _now_text()
        return self._public(request), "body"

    # --- webhooks -----------------------------------------------------------------------------

    def confirm_webhook(self, headers, body, **_):
        url = (body or {}).get("webhookUrl") or ""
        if not url.startswith(("http://", "https://")):
            raise PayOSError(400, "20", "Webhook URL invalid.")
        # payOS tests the URL with a signed sample before registering it.
        sample = self.webhook_body(
            {
                "orderCode": 123,
                "amount": 3000,
                "description": "VQRIO123",
                "accountNumber": "12345678",
                "reference": "TF230204212323",
                "transactionDateTime": "2023-02-04 18:25:00",
                "currency": "VND",
                "paymentLinkId": "124c33293c43417ab7879e14c8d9eb18",
                "code": "00",
                "desc": "Thành công",
                "counterAccountBankId": "",
                "counterAccountBankName": "",
                "counterAccountName": "",
                "counterAccountNumber": "",
                "virtualAccountName": "",
                "virtualAccountNumber": "",
            }
        )
        status = self._post(url, sample)
        if status is None or not 200 <= status < 300:
            raise PayOSError(400, "20", f"Webhook URL answered {status}: not registered")
        self.webhook_url = url
        return {
            "webhookUrl": url,
            "accountName": MERCHANT_BANK["accountName"],
            "accountNumber": MERCHANT_BANK["accountNumber"],
            "name": "Ngân hàng TMCP Quân đội",
            "shortName": "MBBank",
        }, None

    def webhook_body(self, data: dict, *, key: str | None = None) -> dict:
        """A webhook as payOS sends it, signed with the checksum key (or ``key``, to forge one)."""
        return {
            "code": "00",
            "desc": "success",
            "success": True,
            "data": data,
            "signature": sign_object(data, key or self.checksum_key),
        }

    def _post(self, url: str, body: dict) -> int | None:
        if self.sender is not None:
            status = self.sender(url, body)
            with self._lock:
                self.deliveries.append(Delivery(url, body, status))
            return status
        raw = json.dumps(body).encode()
        request = urllib.request.Request(url, data=raw, method="POST", headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status = response.status
        except urllib.error.HTTPError as exc:
            status = exc.code
        except OSError:
            status = None
        with self._lock:
            self.deliveries.append(Delivery(url, body, status))
        return status

    def deliver(self, body: dict, url: str | None = None) -> int | None:
        """Post a webhook body (a held one, a replay, a forgery) to the registered URL."""
        return self._post(url or self.webhook_url, body)

    def _send(self, body: dict) -> list[int | None]:
        mode = self.webhook_mode
        if mode == "drop" or not self.webhook_url:
            return []
        if mode == "hold":
            self.held.append(body)
            return []
        statuses = [self.deliver(body)]
        if mode == "duplicate":
            statuses.append(self.deliver(body))
        return statuses

    # --- what the buyer does ------------------------------------------------------------------

    def pay(self, order_code: int, amount: int | None = None) -> dict:
        """The buyer transfers ``amount`` (the whole request by default) to the request's account:
        payOS records the transaction and sends a signed webhook (per ``webhook_mode``). Returns the
        webhook body."""
        with self._lock:
            request = self._find(str(order_code))
            if request["status"] not in ("PENDING", "UNDERPAID"):
                raise AssertionError(f"payment request {order_code} is {request['status']}")
            amount = request["amountRemaining"] if amount is None else amount
            reference = "FT" + secrets.token_hex(6).upper()
            stamp = _now_text()
            request["transactions"].append(
                {
                    "reference": reference,
                    "amount": amount,
                    "accountNumber": MERCHANT_BANK["accountNumber"],
                    "description": request["description"],
                    "transactionDateTime": stamp,
                    "virtualAccountName": None,
                    "virtualAccountNumber": None,
                    "counterAccountBankId": "970436",
                    "counterAccountBankName": "Vietcombank",
                    "counterAccountName": "NGUYEN VAN AN",
                    "counterAccountNumber": "0011223344",
                }
            )
            request["amountPaid"] += amount
            request["amountRemaining"] = max(request["amount"] - request["amountPaid"], 0)
            request["status"] = "PAID" if request["amountRemaining"] == 0 else "UNDERPAID"
            data = {
                "orderCode": order_code,
                "amount": amount,
                "description": request["description"],
                "accountNumber": MERCHANT_BANK["accountNumber"],
                "reference": reference,
                "transactionDateTime": stamp,
                "currency": "VND",
                "paymentLinkId": request["id"],
                "code": "00",
                "desc": "success",
                "counterAccountBankId": "970436",
                "counterAccountBankName": "Vietcombank",
                "counterAccountName": "NGUYEN VAN AN",
                "counterAccountNumber": "0011223344",
                "virtualAccountName": None,
                "virtualAccountNumber": None,
            }
            body = self.webhook_body(data)
        self._send(body)
        return body

    # --- payouts ------------------------------------------------------------------------------

    def create_payout(self, headers, body, **_):
        key = headers.get("x-idempotency-key") or ""
        if not key or len(key) > 255:
            raise PayOSError(400, "20", "x-idempotency-key is required")
        if not isinstance(body, dict):
            raise PayOSError(400, "20", "Body must be a JSON object")
        signature = headers.get("x-signature") or ""
        if not hmac.compare_digest(signature, sign_header(body, self.payout_checksum_key)):
            raise PayOSError(400, "201", "Chữ ký không hợp lệ (signature mismatch)")
        fingerprint = json.dumps(body, sort_keys=True)
        stored = self._idempotency.get(key)
        if stored is not None:
            if stored[0] != fingerprint:
                raise PayOSError(400, "20", "Idempotency key reused with another body")
            return copy.deepcopy(self.payouts[stored[1]]), "header"
        for name in ("referenceId", "description", "toBin", "toAccountNumber"):
            if not isinstance(body.get(name), str) or not body[name]:
                raise PayOSError(400, "20", f"{name} is required")
        amount = body.get("amount")
        if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
            raise PayOSError(400, "20", "amount must be a positive integer (VND)")
        if any(p["referenceId"] == body["referenceId"] for p in self.payouts.values()):
            raise PayOSError(400, "20", "referenceId already used")
        payout_id = secrets.token_hex(12)
        payout = {
            "id": payout_id,
            "referenceId": body["referenceId"],
            "transactions": [
                {
                    "id": secrets.token_hex(12),
                    "referenceId": body["referenceId"],
                    "amount": amount,
                    "description": body["description"],
                    "toBin": body["toBin"],
                    "toAccountNumber": body["toAccountNumber"],
                    "toAccountName": None,
                    "reference": None,
                    "transactionDatetime": None,
                    "errorMessage": None,
                    "errorCode": None,
                    "state": "PROCESSING",
                }
            ],
            "category": body.get("category"),
            "approvalState": "PROCESSING",
            "createdAt": _now_text(),
        }
        self.payouts[payout_id] = payout
        self._idempotency[key] = (fingerprint, payout_id)
        return copy.deepcopy(payout), "header"

    def get_payout(self, headers, body, *, id):
        payout = self.payouts.get(id) or next((p for p in self.payouts.values() if p["referenceId"] == id), None)
        if payout is None:
            raise PayOSError(404, "101", "Payout not found")
        return copy.deepcopy(payout), "header"

    def finish_payout(self, payout_id: str, *, succeeded: bool = True) -> dict:
        """The bank transfer behind a payout went through (or failed)."""
        with self._lock:
            payout = self.payouts[payout_id]
            tx = payout["transactions"][0]
            if succeeded:
                tx.update(
                    state="SUCCEEDED", reference="FT" + secrets.token_hex(6).upper(), transactionDatetime=_now_text()
                )
                tx["toAccountName"] = "NGUYEN THI HA"
                payout["approvalState"] = "COMPLETED"
            else:
                tx.update(state="FAILED", errorCode="214", errorMessage="Tài khoản nhận không tồn tại")
                payout["approvalState"] = "FAILED"
            return copy.deepcopy(payout)

    # --- control endpoints (not payOS's: for trying the app by hand, see README) ---------------

    def _control(self, method: str, path: str) -> tuple[int, dict, dict]:
        """``POST /_standin/pay/<orderCode>``: the buyer transfers the money (a signed webhook goes
        to the registered URL); ``POST /_standin/payouts/<id>/succeed`` or ``/fail``: the bank
        transfer behind a payout is done; ``GET /_standin/state``: what the stand-in holds."""
        try:
            if method == "POST" and (m := re.fullmatch(r"/_standin/pay/(\d+)", path)):
                body = self.pay(int(m.group(1)))
                return 200, {"webhook": body, "deliveries": [d.status for d in self.deliveries[-1:]]}, {}
            if method == "POST" and (m := re.fullmatch(r"/_standin/payouts/(\w+)/(succeed|fail)", path)):
                return 200, self.finish_payout(m.group(1), succeeded=m.group(2) == "succeed"), {}
            if method == "GET" and path == "/_standin/state":
                with self._lock:
                    return 200, {"webhookUrl": self.webhook_url, "requests": self.requests, "payouts": self.payouts}, {}
        except (AssertionError, KeyError, PayOSError) as exc:
            return 400, {"error": str(exc)}, {}
        return 404, {"error": "unknown control endpoint"}, {}

    # --- assertions ---------------------------------------------------------------------------

    def calls_to(self, method: str, path_pattern: str, *, ok: bool | None = True) -> list[Call]:
        with self._lock:
            return [
                c
                for c in self.calls
                if c.method == method and re.fullmatch(path_pattern, c.path) and (ok is None or (c.code == "00") == ok)
            ]


if __name__ == "__main__":  # python -m tests.payments.payos_standin [port]: a stand-in to try the app by hand
    import sys

    standin = PayOSStandIn(port=int(sys.argv[1]) if len(sys.argv) > 1 else 0).start()
    print(f"PAYOS_BASE_URL={standin.url}")
    print(
        f"PAYOS_CLIENT_ID={standin.client_id} PAYOS_API_KEY={standin.api_key} PAYOS_CHECKSUM_KEY={standin.checksum_key}"
    )
    print(
        f"PAYOS_PAYOUT_CLIENT_ID={standin.payout_client_id} PAYOS_PAYOUT_API_KEY={standin.payout_api_key} "
        f"PAYOS_PAYOUT_CHECKSUM_KEY={standin.payout_checksum_key}",
        flush=True,
    )
    threading.Event().wait()
