"""A real SMTP server for the tests: aiosmtpd on a free local port, collecting what it receives."""

import socket
from email import message_from_bytes, policy

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SmtpServer:
    """An SMTP server on a fixed local port that collects what it receives; started on demand."""

    def __init__(self):
        self.port = free_port()
        self.messages = []
        self.recipients = []
        self._controller = None

    async def handle_DATA(self, server, session, envelope):
        self.recipients.append(envelope.rcpt_tos)
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"

    def start(self):
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self):
        if self._controller is not None:
            self._controller.stop()

