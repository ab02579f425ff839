"""A local stand-in for the parts of Stripe's HTTP API that we use (test code).

Stripe cannot be reached from the test machines, so the test run starts this real HTTP server on
127.0.0.1 in a thread and points the real ``stripe`` SDK at it (``settings.STRIPE_API_BASE``).
It answers with objects built from Stripe's own published example objects
(``stripe_fixtures/fixtures3.json``, MIT, see that folder), checks what we send the way Stripe does
(integer amounts, lower-case currency, required parameters, an ``Idempotency-Key`` on every POST,
the same key never reused with other parameters) and replays the stored response for a repeated
idempotency key. Every call is recorded so tests can assert what reached "Stripe".

Endpoints: payment_intents (create, retrieve), refunds (create, retrieve), transfers (create,
retrieve), transfer reversals (create), accounts (create, retrieve), account_links (create).
Test helpers move objects along the way Stripe would (a PaymentIntent succeeds, an account
finishes onboarding, a dispute opens, a payout is paid) and build Stripe-shaped events.
"""

from __future__ import annotations

import copy
import json
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

FIXTURES_PATH = Path(__file__).parent / "stripe_fixtures" / "fixtures3.json"
API_VERSION = "2026-10-28.endive"
CURRENCY_RE = re.compile(r"^[a-z]{3}$")
INTEGER_RE = re.compile(r"^-?\d+$")
# The key format stripe-python invents when a caller passes none (see _api_requestor.py):
# our code must always pass its own deterministic key, so the stand-in refuses these.
SDK_RANDOM_KEY_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
REFUND_REASONS = {"duplicate", "fraudulent", "requested_by_customer"}
SUPPORTED_CURRENCIES = {"vnd", "usd", "eur", "gbp", "jpy", "krw", "sgd", "thb", "aud"}


class StripeError(Exception):
    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
    ):
        super().__init__(message)
        self.status = status
        self.body = {
            "error": {
                "type": type,
                "message": message,
                **({"code": code} if code else {}),
                **({"param": param} if param else {}),
            }
        }


@dataclass
class Call:
    method: str
    path: str
    params: dict
    idempotency_key: str | None
    stripe_account: str | None
    status: int
    response: dict
    replayed: bool = False


def decode_form(pairs: list[tuple[str, str]]) -> dict:
    """Stripe's form encoding (``metadata[a]=1``, ``expand[0]=x``) back into nested values."""
    root: dict = {}
    for key, value in pairs:
        parts = re.findall(r"[^\[\]]+", key)
        node = root
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return _lists(root)


def _lists(value):
    if isinstance(value, dict):
        if value and all(k.isdigit() for k in value):
            return [_lists(value[k]) for k in sorted(value, key=int)]
        return {k: _lists(v) for k, v in value.items()}
    return value


def _id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(12)}"


@dataclass
class StripeStandIn:
    api_key_prefix: str = "sk_test_"
    url: str = ""
    calls: list[Call] = field(default_factory=list)
    objects: dict = field(default_factory=dict)
    # A list of (method, path regex, status) answered once each instead of the real handler:
    # lets a test make "Stripe" fail (500) and prove our retries reuse the idempotency key.
    failures: list = field(default_factory=list)

    def __post_init__(self):
        self.fixtures = json.loads(FIXTURES_PATH.read_text())["resources"]
        self._lock = threading.RLock()
        self._idempotency: dict[tuple[str | None, str], tuple[tuple, int, dict]] = {}
        self._server: ThreadingHTTPServer | None = None

    # --- lifecycle ------------------------------------------------------------------------

    def start(self) -> StripeStandIn:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # keep test output quiet
                pass

            def _handle(self, method: str):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode() if length else ""
                status, payload, extra = standin.handle(method, self.path, dict(self.headers.items()), body)
                raw = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.send_header("Request-Id", _id("req"))
                self.send_header("Stripe-Version", API_VERSION)
                for name, value in extra.items():
                    self.send_header(name, value)
                try:
                    self.end_headers()
                    self.wfile.write(raw)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting (its timeout): Stripe has still made the call

            def do_GET(self):
                self._handle("GET")

            def do_POST(self):
                self._handle("POST")

            def do_DELETE(self):
                self._handle("DELETE")

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="stripe-standin", daemon=True
        ).start()
        return self

    def reset(self) -> None:
        """Forget every object, call, stored idempotent response and planned failure."""
        with self._lock:
            self.calls.clear()
            self.objects.clear()
            self.failures.clear()
            self._idempotency.clear()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    # --- request handling -----------------------------------------------------------------

    ROUTES = [
        ("POST", r"/v1/payment_intents", "create_payment_intent"),
        ("GET", r"/v1/payment_intents/(?P<id>pi_\w+)", "retrieve"),
        ("POST", r"/v1/refunds", "create_refund"),
        ("GET", r"/v1/refunds/(?P<id>re_\w+)", "retrieve"),
        ("POST", r"/v1/transfers", "create_transfer"),
        ("GET", r"/v1/transfers/(?P<id>tr_\w+)", "retrieve"),
        ("POST", r"/v1/transfers/(?P<id>tr_\w+)/reversals", "create_reversal"),
        ("POST", r"/v1/accounts", "create_account"),
        ("GET", r"/v1/accounts/(?P<id>acct_\w+)", "retrieve"),
        ("POST", r"/v1/account_links", "create_account_link"),
    ]

    def handle(self, method: str, raw_path: str, headers: dict, body: str) -> tuple[int, dict, dict]:
        headers = {k.lower(): v for k, v in headers.items()}
        split = urlsplit(raw_path)
        path = split.path
        params = decode_form(parse_qsl(body if method == "POST" else split.query, keep_blank_values=True))
        key = headers.get("idempotency-key")
        account = headers.get("stripe-account")
        with self._lock:
            try:
                status, payload, replayed = self._dispatch(method, path, params, headers, key, account)
            except StripeError as exc:
                status, payload, replayed = exc.status, exc.body, False
            self.calls.append(Call(method, path, params, key, account, status, copy.deepcopy(payload), replayed))
        extra = {"Idempotent-Replayed": "true"} if replayed else {}
        if key:
            extra["Idempotency-Key"] = key
        return status, payload, extra

    def _dispatch(self, method, path, params, headers, key, account):
        auth = headers.get("authorization", "")
        if not auth.startswith(f"Bearer {self.api_key_prefix}"):
            raise StripeError(401, "Invalid API Key provided.", type="invalid_request_error", code="api_key_invalid")
        for i, (f_method, f_path, f_status) in enumerate(self.failures):
            if f_method == method and re.fullmatch(f_path, path):
                del self.failures[i]
                raise StripeError(f_status, "Simulated Stripe failure.", type="api_error")
        if method == "POST":
            if not key:
                raise StripeError(
                    400, "An Idempotency-Key header is required for every POST.", code="idempotency_key_missing"
                )
            if SDK_RANDOM_KEY_RE.match(key):
                raise StripeError(
                    400,
                    f"Idempotency key {key!r} looks random: pass a deterministic key.",
                    code="idempotency_key_random",
                )
            if len(key) > 255:
                raise StripeError(400, "Idempotency keys are at most 255 characters.", code="idempotency_key_invalid")
            fingerprint = (method, path, json.dumps(params, sort_keys=True))
            stored = self._idempotency.get((account, key))
            if stored is not None:
                if stored[0] != fingerprint:
                    raise StripeError(
                        400,
                        "Keys for idempotent requests can only be used with the same parameters they were first used with.",
                        type="idempotency_error",
                    )
                return stored[1], copy.deepcopy(stored[2]), True
        for r_method, pattern, handler in self.ROUTES:
            match = re.fullmatch(pattern, path)
            if r_method == method and match:
                payload = getattr(self, handler)(params, account=account, **match.groupdict())
                if method == "POST":
                    self._idempotency[(account, key)] = (fingerprint, 200, copy.deepcopy(payload))
                return 200, payload, False
        raise StripeError(404, f"Unrecognized request URL ({method}: {path}).")

    # --- validation helpers ---------------------------------------------------------------

    @staticmethod
    def _required(params: dict, name: str):
        value = params.get(name)
        if value in (None, ""):
            raise StripeError(400, f"Missing required param: {name}.", code="parameter_missing", param=name)
        return value

    @staticmethod
    def _integer(params: dict, name: str, *, required: bool = True, minimum: int = 1) -> int | None:
        value = params.get(name)
        if value is None:
            if required:
                raise StripeError(400, f"Missing required param: {name}.", code="parameter_missing", param=name)
            return None
        if not isinstance(value, str) or not INTEGER_RE.match(value):
            raise StripeError(400, f"Invalid integer: {value}", code="parameter_invalid_integer", param=name)
        number = int(value)
        if number < minimum:
            raise StripeError(
                400,
                f"This value must be greater than or equal to {minimum}.",
                code="parameter_invalid_integer",
                param=name,
            )
        return number

    @staticmethod
    def _currency(params: dict) -> str:
        value = params.get("currency")
        if not value:
            raise StripeError(400, "Missing required param: currency.", code="parameter_missing", param="currency")
        if not CURRENCY_RE.match(value) or value not in SUPPORTED_CURRENCIES:
            raise StripeError(
                400,
                f"Invalid currency: {value}. Stripe currencies are lower-case ISO codes.",
                code="parameter_invalid_string",
                param="currency",
            )
        return value

    @staticmethod
    def _metadata(params: dict) -> dict:
        metadata = params.get("metadata", {})
        if not isinstance(metadata, dict) or any(not isinstance(v, str) for v in metadata.values()):
            raise StripeError(400, "Invalid metadata.", param="metadata")
        return metadata

    def _get(self, object_id: str, kind: str) -> dict:
        obj = self.objects.get(object_id)
        if obj is None or obj["object"] != kind:
            raise StripeError(404, f"No such {kind}: '{object_id}'", code="resource_missing", param="id")
        return obj

    def _fixture(self, kind: str, **values) -> dict:
        obj = copy.deepcopy(self.fixtures[kind])
        obj.update(values)
        obj["created"] = int(time.time())
        if "livemode" in obj:
            obj["livemode"] = False
        self.objects[obj["id"]] = obj
        return obj

    # --- endpoints ------------------------------------------------------------------------

    def retrieve(self, params, *, account=None, id):
        obj = self.objects.get(id)
        if obj is None:
            raise StripeError(404, f"No such object: '{id}'", code="resource_missing", param="id")
        return copy.deepcopy(obj)

    def create_payment_intent(self, params, *, account=None):
        amount = self._integer(params, "amount")
        currency = self._currency(params)
        pi_id = _id("pi")
        obj = self._fixture(
            "payment_intent",
            id=pi_id,
            amount=amount,
            amount_received=0,
            amount_capturable=0,
            currency=currency,
            client_secret=f"{pi_id}_secret_{secrets.token_hex(12)}",
            status="requires_payment_method",
            metadata=self._metadata(params),
            description=params.get("description"),
            receipt_email=params.get("receipt_email"),
            transfer_group=params.get("transfer_group"),
            automatic_payment_methods={"enabled": params.get("automatic_payment_methods", {}).get("enabled") == "true"},
            latest_charge=None,
            last_payment_error=None,
            next_action=None,
            processing=None,
            canceled_at=None,
            transfer_data=None,
            customer=None,
            payment_method=None,
        )
        return copy.deepcopy(obj)

    def create_refund(self, params, *, account=None):
        pi_id = params.get("payment_intent")
        charge_id = params.get("charge")
        if not pi_id and not charge_id:
            raise StripeError(
                400, "One of charge or payment_intent is required.", code="parameter_missing", param="payment_intent"
            )
        if pi_id:
            pi = self._get(pi_id, "payment_intent")
            if pi["status"] != "succeeded" or not pi["latest_charge"]:
                raise StripeError(
                    400,
                    f"PaymentIntent {pi_id} does not have a successful charge to refund.",
                    code="charge_not_refundable",
                )
            charge_id = pi["latest_charge"]
        charge = self._get(charge_id, "charge")
        if charge["disputed"]:
            raise StripeError(400, f"Charge {charge_id} has been disputed.", code="charge_disputed")
        remaining = charge["amount"] - charge["amount_refunded"]
        amount = self._integer(params, "amount", required=False)
        amount = remaining if amount is None else amount
        if amount > remaining:
            raise StripeError(
                400,
                f"Refund amount ({amount}) is greater than unrefunded amount on charge ({remaining})",
                code="amount_too_large",
                param="amount",
            )
        reason = params.get("reason")
        if reason is not None and reason not in REFUND_REASONS:
            raise StripeError(400, f"Invalid reason: {reason}", code="parameter_invalid_string", param="reason")
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] == charge["amount"]
        refund = self._fixture(
            "refund",
            id=_id("re"),
            amount=amount,
            charge=charge_id,
            currency=charge["currency"],
            payment_intent=charge["payment_intent"],
            reason=reason,
            metadata=self._metadata(params),
            status="succeeded",
            balance_transaction=_id("txn"),
        )
        return copy.deepcopy(refund)

    def create_transfer(self, params, *, account=None):
        amount = self._integer(params, "amount")
        currency = self._currency(params)
        destination = self._required(params, "destination")
        acct = self._get(destination, "account")
        if acct.get("capabilities", {}).get("transfers") != "active":
            raise StripeError(
                400,
                "Your destination account needs to have the transfers capability enabled.",
                code="insufficient_capabilities_for_transfer",
                param="destination",
            )
        source = params.get("source_transaction")
        if source:
            charge = self._get(source, "charge")
            if charge["currency"] != currency:
                raise StripeError(
                    400,
                    "The currency of source_transaction's balance transaction must match the transfer currency.",
                    param="currency",
                )
            moved = sum(
                t["amount"] - t["amount_reversed"]
                for t in self.objects.values()
                if t["object"] == "transfer" and t["source_transaction"] == source
            )
            if moved + amount > charge["amount"]:
                raise StripeError(
                    400,
                    "Transfers using source_transaction cannot exceed the source charge amount.",
                    code="transfer_source_balance_parameters_mismatch",
                )
        transfer_id = _id("tr")
        transfer = self._fixture(
            "transfer",
            id=transfer_id,
            amount=amount,
            amount_reversed=0,
            currency=currency,
            destination=destination,
            destination_payment=_id("py"),
            source_transaction=source or None,
            transfer_group=params.get("transfer_group"),
            description=params.get("description"),
            metadata=self._metadata(params),
            reversed=False,
            reversals={
                "object": "list",
                "data": [],
                "has_more": False,
                "url": f"/v1/transfers/{transfer_id}/reversals",
            },
            balance_transaction=_id("txn"),
        )
        return copy.deepcopy(transfer)

    def create_reversal(self, params, *, account=None, id):
        transfer = self._get(id, "transfer")
        remaining = transfer["amount"] - transfer["amount_reversed"]
        amount = self._integer(params, "amount", required=False)
        amount = remaining if amount is None else amount
        if amount > remaining:
            raise StripeError(
                400,
                f"Reversal amount ({amount}) exceeds the unreversed transfer amount ({remaining}).",
                code="amount_too_large",
                param="amount",
            )
        reversal = self._fixture(
            "transfer_reversal",
            id=_id("trr"),
            amount=amount,
            currency=transfer["currency"],
            transfer=id,
            metadata=self._metadata(params),
            balance_transaction=_id("txn"),
        )
        transfer["amount_reversed"] += amount
        transfer["reversed"] = transfer["amount_reversed"] == transfer["amount"]
        transfer["reversals"]["data"].append(copy.deepcopy(reversal))
        return copy.deepcopy(reversal)

    def create_account(self, params, *, account=None):
        kind = params.get("type")
        if kind is None and "controller" not in params:
            raise StripeError(400, "Missing required param: type.", code="parameter_missing", param="type")
        if kind is not None and kind not in ("express", "standard", "custom"):
            raise StripeError(400, f"Invalid type: {kind}", param="type")
        country = params.get("country", "US")
        acct = self._fixture(
            "account",
            id=f"acct_{secrets.token_hex(8)}",
            type=kind or "none",
            email=params.get("email"),
            country=country,
            metadata=self._metadata(params),
            charges_enabled=False,
            payouts_enabled=False,
            details_submitted=False,
            capabilities={"transfers": "inactive"},
        )
        return copy.deepcopy(acct)

    def create_account_link(self, params, *, account=None):
        acct_id = self._required(params, "account")
        self._get(acct_id, "account")
        kind = self._required(params, "type")
        if kind not in ("account_onboarding", "account_update"):
            raise StripeError(400, f"Invalid type: {kind}", param="type")
        for name in ("refresh_url", "return_url"):
            url = self._required(params, name)
            if not url.startswith(("http://", "https://")):
                raise StripeError(400, f"Not a valid URL: {name}", param=name)
        now = int(time.time())
        return {
            "object": "account_link",
            "created": now,
            "expires_at": now + 300,
            "url": f"https://connect.stripe.com/setup/e/{acct_id}/{secrets.token_urlsafe(12)}",
        }

    # --- moving objects along, as Stripe would ---------------------------------------------

    def succeed_payment_intent(self, pi_id: str) -> tuple[dict, dict]:
        """The buyer confirmed the card in the browser: the PaymentIntent succeeds with a charge."""
        with self._lock:
            pi = self._get(pi_id, "payment_intent")
            charge = self._fixture(
                "charge",
                id=_id("ch"),
                amount=pi["amount"],
                amount_captured=pi["amount"],
                amount_refunded=0,
                refunded=False,
                captured=True,
                paid=True,
                disputed=False,
                status="succeeded",
                currency=pi["currency"],
                payment_intent=pi_id,
                transfer_group=pi["transfer_group"],
                metadata=dict(pi["metadata"]),
                balance_transaction=_id("txn"),
            )
            pi.update(status="succeeded", amount_received=pi["amount"], latest_charge=charge["id"])
            return copy.deepcopy(pi), copy.deepcopy(charge)

    def fail_payment_intent(self, pi_id: str, message: str = "Your card was declined.") -> dict:
        with self._lock:
            pi = self._get(pi_id, "payment_intent")
            pi.update(
                status="requires_payment_method",
                last_payment_error={"type": "card_error", "code": "card_declined", "message": message},
            )
            return copy.deepcopy(pi)

    def enable_payouts(self, acct_id: str) -> dict:
        """The designer finished onboarding."""
        with self._lock:
            acct = self._get(acct_id, "account")
            acct.update(
                details_submitted=True, payouts_enabled=True, charges_enabled=True, capabilities={"transfers": "active"}
            )
            return copy.deepcopy(acct)

    def open_dispute(self, charge_id: str, amount: int | None = None, reason: str = "fraudulent") -> dict:
        with self._lock:
            charge = self._get(charge_id, "charge")
            charge["disputed"] = True
            dispute = self._fixture(
                "dispute",
                id=_id("dp"),
                amount=charge["amount"] - charge["amount_refunded"] if amount is None else amount,
                charge=charge_id,
                currency=charge["currency"],
                payment_intent=charge["payment_intent"],
                reason=reason,
                status="needs_response",
                is_charge_refundable=False,
            )
            return copy.deepcopy(dispute)

    def close_dispute(self, dispute_id: str, status: str) -> dict:
        with self._lock:
            dispute = self._get(dispute_id, "dispute")
            dispute["status"] = status
            self.objects[dispute["charge"]]["disputed"] = status != "won"
            return copy.deepcopy(dispute)

    def payout(self, acct_id: str, amount: int, currency: str, status: str = "paid") -> dict:
        with self._lock:
            return copy.deepcopy(
                self._fixture(
                    "payout",
                    id=_id("po"),
                    amount=amount,
                    currency=currency,
                    status=status,
                    destination=_id("ba"),
                    automatic=True,
                    metadata={},
                )
            )

    def update_payout(self, payout_id: str, status: str) -> dict:
        with self._lock:
            payout = self._get(payout_id, "payout")
            payout["status"] = status
            if status == "failed":
                payout.update(failure_code="account_closed", failure_message="The bank account has been closed.")
            return copy.deepcopy(payout)

    def object(self, object_id: str) -> dict:
        with self._lock:
            return copy.deepcopy(self.objects[object_id])

    def of_kind(self, kind: str) -> list[dict]:
        with self._lock:
            return [copy.deepcopy(o) for o in self.objects.values() if o.get("object") == kind]

    def event(
        self,
        type: str,
        obj: dict,
        *,
        account: str | None = None,
        created: int | None = None,
        previous_attributes: dict | None = None,
    ) -> dict:
        """A Stripe-shaped event around ``obj`` (the snapshot Stripe sends to webhooks)."""
        event = copy.deepcopy(self.fixtures["event"])
        data = {"object": copy.deepcopy(obj)}
        if previous_attributes is not None:
            data["previous_attributes"] = previous_attributes
        event.update(
            id=_id("evt"),
            type=type,
            created=int(time.time()) if created is None else created,
            api_version=API_VERSION,
            data=data,
            livemode=False,
            pending_webhooks=1,
        )
        if account:
            event["account"] = account
        return event

    # --- assertions -----------------------------------------------------------------------

    def calls_to(self, method: str, path_pattern: str, *, ok: bool | None = True) -> list[Call]:
        with self._lock:
            return [
                c
                for c in self.calls
                if c.method == method
                and re.fullmatch(path_pattern, c.path)
                and (ok is None or (200 <= c.status < 300) == ok)
            ]
