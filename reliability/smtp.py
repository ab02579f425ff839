"""A small, real SMTP server on 127.0.0.1 that the workers send their email to.

A message counts as delivered only when the server has answered ``250`` to the end of its DATA, as
with any SMTP server: a client killed before that answer has delivered nothing. ``hold()`` makes the
server wait before that answer (a slow mail relay), so a worker can be killed in the middle of
sending; ``release()`` lets it answer again.
"""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass
from email import message_from_bytes
from email.header import decode_header, make_header


@dataclass
class Delivered:
    sender: str
    recipients: list[str]
    subject: str
    message_id: str
    raw: bytes


class SmtpSink:
    def __init__(self):
        self.messages: list[Delivered] = []
        self.held = threading.Event()  # set: answers to DATA wait until release()
        self.waiting: list[tuple[str, int]] = []  # peers whose DATA is being held
        self._release = threading.Event()
        self._lock = threading.Lock()
        self._sock = socket.socket()
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(64)
        self.port = self._sock.getsockname()[1]
        self._stopped = False
        threading.Thread(target=self._accept, daemon=True).start()

    def hold(self) -> None:
        self._release.clear()
        self.held.set()

    def release(self) -> None:
        self.held.clear()
        self._release.set()

    def stop(self) -> None:
        self._stopped = True
        self._release.set()
        self._sock.close()

    def _accept(self) -> None:
        while not self._stopped:
            try:
                conn, peer = self._sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn, peer), daemon=True).start()

    def _serve(self, conn: socket.socket, peer) -> None:
        file = conn.makefile("rb")

        def send(line: str) -> None:
            conn.sendall(line.encode() + b"\r\n")

        sender, recipients = "", []
        try:
            send("220 sink ESMTP")
            while True:
                line = file.readline()
                if not line:
                    return
                command = line.decode("latin-1").strip()
                verb = command.split(" ", 1)[0].upper()
                if verb in ("EHLO", "HELO"):
                    send("250-sink" if verb == "EHLO" else "250 sink")
                    if verb == "EHLO":
                        send("250 8BITMIME")
                elif verb == "MAIL":
                    sender, recipients = command.split(":", 1)[1].strip(" <>"), []
                    send("250 OK")
                elif verb == "RCPT":
                    recipients.append(command.split(":", 1)[1].strip(" <>"))
                    send("250 OK")
                elif verb == "DATA":
                    send("354 go ahead")
                    data = bytearray()
                    while True:
                        chunk = file.readline()
                        if not chunk:
                            return  # the client went away mid-message: nothing delivered
                        if chunk in (b".\r\n", b".\n"):
                            break
                        data += chunk[1:] if chunk.startswith(b"..") else chunk
                    if self.held.is_set():
                        with self._lock:
                            self.waiting.append(peer)
                        self._release.wait()
                        with self._lock:
                            self.waiting.remove(peer)
                        if self._peer_gone(conn):
                            return  # killed while we held its message: not delivered
                    self._store(sender, recipients, bytes(data))
                    send("250 OK queued")
                elif verb == "RSET":
                    sender, recipients = "", []
                    send("250 OK")
                elif verb == "NOOP":
                    send("250 OK")
                elif verb == "QUIT":
                    send("221 bye")
                    return
                else:
                    send("502 not implemented")
        except OSError:
            return
        finally:
            conn.close()

    @staticmethod
    def _peer_gone(conn: socket.socket) -> bool:
        conn.setblocking(False)
        try:
            return conn.recv(1, socket.MSG_PEEK) == b""
        except BlockingIOError:
            return False
        except OSError:
            return True
        finally:
            conn.setblocking(True)

    def _store(self, sender: str, recipients: list[str], raw: bytes) -> None:
        message = message_from_bytes(raw)
        subject = str(make_header(decode_header(message.get("Subject", ""))))
        with self._lock:
            self.messages.append(Delivered(sender, recipients, subject, message.get("Message-ID", ""), raw))

    def by_recipient_and_subject(self) -> dict[tuple[str, str], int]:
        counts: dict[tuple[str, str], int] = {}
        with self._lock:
            for m in self.messages:
                key = (",".join(sorted(m.recipients)), m.subject)
                counts[key] = counts.get(key, 0) + 1
        return counts
