"""A small IMAP4rev1 server for tests: just what a poller uses (LOGIN, SELECT, UID SEARCH UNSEEN,
UID FETCH BODY.PEEK[], UID STORE +FLAGS \\Seen, LOGOUT), over plain TCP on a free local port."""

from __future__ import annotations

import re
import socketserver
import threading
from dataclasses import dataclass, field


@dataclass
class StoredMail:
    uid: int
    raw: bytes
    seen: bool = False


@dataclass
class Mailbox:
    user: str
    password: str
    mails: list[StoredMail] = field(default_factory=list)
    logins: int = 0

    def add(self, raw: bytes, seen: bool = False) -> StoredMail:
        mail = StoredMail(uid=len(self.mails) + 1, raw=raw, seen=seen)
        self.mails.append(mail)
        return mail

    def by_uid(self, uid: str) -> StoredMail | None:
        return next((mail for mail in self.mails if str(mail.uid) == uid), None)


class _Handler(socketserver.StreamRequestHandler):
    mailbox: Mailbox

    def send(self, text: str | bytes) -> None:
        self.wfile.write(text if isinstance(text, bytes) else text.encode())

    def handle(self) -> None:
        self.send("* OK fake IMAP ready\r\n")
        authenticated = False
        for line in self.rfile:
            tag, _space, command = line.decode().rstrip("\r\n").partition(" ")
            verb = command.split(" ", 1)[0].upper()
            if verb == "CAPABILITY":
                self.send(f"* CAPABILITY IMAP4rev1\r\n{tag} OK done\r\n")
            elif verb == "LOGIN":
                _verb, user, password = command.split(" ", 2)
                authenticated = user.strip('"') == self.mailbox.user and password.strip('"') == self.mailbox.password
                self.mailbox.logins += authenticated
                self.send(f"{tag} OK signed in\r\n" if authenticated else f"{tag} NO [AUTHENTICATIONFAILED] no\r\n")
            elif verb == "LOGOUT":
                self.send(f"* BYE\r\n{tag} OK bye\r\n")
                return
            elif not authenticated:
                self.send(f"{tag} BAD sign in first\r\n")
            elif verb == "SELECT":
                self.send(f"* {len(self.mailbox.mails)} EXISTS\r\n{tag} OK [READ-WRITE] selected\r\n")
            elif command.upper() == "UID SEARCH UNSEEN":
                uids = " ".join(str(mail.uid) for mail in self.mailbox.mails if not mail.seen)
                self.send(f"* SEARCH {uids}\r\n{tag} OK done\r\n".replace("SEARCH \r\n", "SEARCH\r\n"))
            elif match := re.fullmatch(r"UID FETCH (\d+) \(BODY\.PEEK\[\]\)", command, re.IGNORECASE):
                mail = self.mailbox.by_uid(match.group(1))
                if mail is not None:
                    self.send(f"* {mail.uid} FETCH (UID {mail.uid} BODY[] {{{len(mail.raw)}}}\r\n".encode()
                              + mail.raw + b")\r\n")
                self.send(f"{tag} OK done\r\n")
            elif match := re.fullmatch(r"UID STORE (\d+) \+FLAGS \(\\Seen\)", command, re.IGNORECASE):
                mail = self.mailbox.by_uid(match.group(1))
                if mail is not None:
                    mail.seen = True
                self.send(f"{tag} OK done\r\n")
            else:
                self.send(f"{tag} BAD unknown command\r\n")


class FakeImapServer:
    def __init__(self, mailbox: Mailbox):
        handler = type("Handler", (_Handler,), {"mailbox": mailbox})
        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeImapServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
