"""A small HTTP/1.1 load generator on asyncio streams (one thread, little overhead per request).

Two modes: ``keep-alive`` (each virtual client holds one connection for the whole run) and
``close`` (each request opens a connection and sends ``Connection: close``: with gthread workers,
keep-alive clients stick to one worker, so both are measured). Only loopback addresses are used.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import orjson


@dataclass
class Request:
    method: str
    path: str
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes
    seconds: float


class HTTPError(Exception):
    pass


def graphql_request(
    path: str, query: str, variables: dict | None, operation_name: str | None, headers: dict[str, str] | None = None
) -> Request:
    body = orjson.dumps({"query": query, "variables": variables or {}, "operationName": operation_name})
    return Request("POST", path, body, {"Content-Type": "application/json", **(headers or {})})


def _encode(request: Request, host: str, close: bool) -> bytes:
    lines = [
        f"{request.method} {request.path} HTTP/1.1",
        f"Host: {host}",
        "Accept: application/json",
        f"Connection: {'close' if close else 'keep-alive'}",
    ]
    for name, value in request.headers.items():
        lines.append(f"{name}: {value}")
    if request.body or request.method == "POST":
        lines.append(f"Content-Length: {len(request.body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + request.body


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, dict[str, str], bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/"):
        raise HTTPError(f"bad status line {lines[0]!r}")
    status = int(parts[1])
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if not line:
            continue
        name, _sep, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    if "content-length" in headers:
        body = await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        chunks = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await reader.readuntil(b"\r\n")
                break
            chunks.append(await reader.readexactly(size))
            await reader.readexactly(2)
        body = b"".join(chunks)
    else:
        body = await reader.read()
    return status, headers, body


class Connection:
    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            try:
                await self.writer.wait_closed()
            except (ConnectionError, OSError):
                pass
        self.reader = self.writer = None

    async def send(self, request: Request, *, close: bool = False) -> Response:
        """One request; reopens the connection if the server dropped it while idle."""
        for attempt in (1, 2):
            fresh = self.writer is None
            if fresh:
                await self.open()
            started = time.perf_counter()
            try:
                self.writer.write(_encode(request, f"{self.host}:{self.port}", close))
                await self.writer.drain()
                status, headers, body = await _read_response(self.reader)
            except (asyncio.IncompleteReadError, ConnectionError) as exc:
                await self.close()
                if fresh or attempt == 2:
                    raise HTTPError(f"connection failed: {exc!r}") from exc
                continue
            seconds = time.perf_counter() - started
            if close or headers.get("connection", "").lower() == "close":
                await self.close()
            return Response(status, headers, body, seconds)
        raise HTTPError("unreachable")


async def fetch(host: str, port: int, request: Request) -> Response:
    conn = Connection(host, port)
    try:
        return await conn.send(request, close=True)
    finally:
        await conn.close()


@dataclass
class Sample:
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)
    query_counts: list[int] = field(default_factory=list)
    query_ms: list[float] = field(default_factory=list)
    elapsed: float = 0.0
    bodies: list[bytes] = field(default_factory=list)
    cache_hits: int = 0


def _record(sample: Sample, response: Response, keep_body: bool) -> None:
    sample.latencies.append(response.seconds)
    sample.statuses[response.status] = sample.statuses.get(response.status, 0) + 1
    sample.sizes.append(len(response.body))
    if "x-query-count" in response.headers:
        sample.query_counts.append(int(response.headers["x-query-count"]))
    if "x-query-time-ms" in response.headers:
        sample.query_ms.append(float(response.headers["x-query-time-ms"]))
    if response.headers.get("x-cache") == "HIT":
        sample.cache_hits += 1
    if keep_body:
        sample.bodies.append(response.body)


async def sequential(
    host: str, port: int, make: Callable[[int], Request], count: int, *, keep_bodies: bool = False, close: bool = False
) -> Sample:
    """One client, one request after the other."""
    sample = Sample()
    conn = Connection(host, port)
    started = time.perf_counter()
    try:
        for i in range(count):
            try:
                _record(sample, await conn.send(make(i), close=close), keep_bodies)
            except HTTPError as exc:
                sample.errors.append(str(exc))
    finally:
        await conn.close()
    sample.elapsed = time.perf_counter() - started
    return sample


async def saturate(
    host: str,
    port: int,
    make: Callable[[int], Request],
    *,
    concurrency: int,
    seconds: float,
    close: bool,
    max_requests: int = 1_000_000,
) -> Sample:
    """``concurrency`` clients sending back to back for ``seconds`` (bounded in count too)."""
    sample = Sample()
    counter = iter(range(max_requests))
    deadline = time.perf_counter() + seconds

    async def client() -> None:
        conn = Connection(host, port)
        try:
            while time.perf_counter() < deadline:
                i = next(counter, None)
                if i is None:
                    return
                try:
                    _record(sample, await conn.send(make(i), close=close), False)
                except HTTPError as exc:
                    sample.errors.append(str(exc))
                    await asyncio.sleep(0.01)
        finally:
            await conn.close()

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    sample.elapsed = time.perf_counter() - started
    return sample
