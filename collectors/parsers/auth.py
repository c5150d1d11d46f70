"""Linux authentication logs: sshd, sudo, su and PAM (``auth.log``, ``secure``).

``match(message, app)`` recognises one message (what follows the syslog
header) and gives ECS authentication fields; ``parse`` reads a whole line
(syslog header + message).  Lines of an auth log that carry a header but no
authentication message become plain syslog events, so nothing is dropped.

Events are shaped for Sigma and brute-force rules: ``event.category:
authentication``, ``event.outcome: success|failure``, ``user.name``,
``source.ip``/``source.port`` and the method in ``event.action`` (e.g.
``ssh_login`` with ``auth.method: password``).
"""

from __future__ import annotations

import re
from typing import Any

from collectors.record import RecordContext

from . import syslog_header
from ._common import Partial, build, ip_or_none, port_or_none, put_address, related, text_of

DATASET = "system.auth"

_ADDR = r"(\S+)"
_SSHD = [
    (("Accepted",),
     re.compile(r"Accepted (\S+) for (\S+) from " + _ADDR +
                r"(?: port (\d+))?(?: ssh\d?)?(?:: (.*))?$"),
     "accepted"),
    (("Failed",),
     re.compile(r"Failed (\S+) for (invalid user |illegal user )?(.*?) from " + _ADDR +
                r"(?: port (\d+))?(?: ssh\d?)?(?:: .*)?\s*$"), "failed"),
    (("error:", "maximum"),
     re.compile(r"(?:error: )?maximum authentication attempts exceeded for (invalid user )?(\S+) "
                r"from " + _ADDR + r"(?: port (\d+))?"), "max_attempts"),
    (("Invalid", "Illegal"),
     re.compile(r"(?:Invalid|Illegal) user ?(.*?) from " + _ADDR + r"(?: port (\d+))?\s*$"),
     "invalid"),
    (("error:", "PAM:"),
     re.compile(r"(?:error: )?PAM: (?:[Aa]uthentication (?:failure|error)|User not known to the "
                r"underlying authentication module) for (illegal user |invalid user )?(\S*) from " +
                _ADDR + r"(?: via \S+)?\s*$"), "pam_failure"),
    ((), re.compile(r"ROOT LOGIN REFUSED FROM " + _ADDR + r"(?: port (\d+))?(?: \[preauth\])?\s*$",
                    re.I), "root_refused"),
    (("User",), re.compile(r"User (\S+) from " + _ADDR + r" not allowed because (.*)$"),
     "not_allowed"),
    (("refused",), re.compile(r"refused connect from \S+ \((\S+)\)"), "refused"),
    (("Disconnecting", "Disconnecting:"),
     re.compile(r"Disconnecting(?: (invalid|authenticating) user (\S+) " + _ADDR +
                r" port (\d+))?: Too many authentication failures"
                r"(?: for (?:invalid user )?(\S+))?"),
     "too_many"),
    (("Disconnected",), re.compile(r"Disconnected from (?:(invalid|authenticating) user (\S+) )?" +
                                   _ADDR + r" port (\d+)"), "disconnected"),
    (("Connection",), re.compile(r"Connection closed by (?:(invalid|authenticating) user (\S+) )?" +
                                 _ADDR + r"(?: port (\d+))?"), "closed"),
    (("error:", "Received"),
     re.compile(r"(?:error: )?Received disconnect from " + _ADDR +
                r"(?: port (\d+))?: ?\d+: (.*)$"),
     "received_disconnect"),
]
"""sshd messages, tried in this order; each with the first words (up to the
first space) its message can start with (none: any, as for the
case-insensitive ``ROOT LOGIN REFUSED``)."""


def _by_first_word() -> dict[str, list[tuple[re.Pattern[str], str]]]:
    words = {w for first, _, _ in _SSHD for w in first}
    return {w: [(rx, what) for first, rx, what in _SSHD if not first or w in first]
            for w in words}


_SSHD_BY_WORD = _by_first_word()
"""The sshd patterns a message can match, by its first word, in the order of
``_SSHD``: most lines then try one regex instead of up to twelve.  A first
word not listed here means trying them all (``_SSHD_ALL``)."""
_SSHD_ALL = [(rx, what) for _, rx, what in _SSHD]
_DROPBEAR = [
    (re.compile(r"[Bb]ad password attempt for '([^']*)' from " + _ADDR), "bad_password"),
    (re.compile(r"[Ll]ogin attempt for nonexistent user(?: '([^']*)')? from " + _ADDR),
     "nonexistent"),
    (re.compile(r"Exit before auth(?: from <([^>]+)>)?:? \(user '([^']*)', \d+ fails\): "
                r"Max auth tries reached(?: - user '[^']*'(?: from (\S+))?)?"), "max_tries"),
    (re.compile(r"Exit before auth from <([^>]+)>: Max auth tries reached - user '([^']*)'"),
     "max_tries_user"),
]
_SOLARIS_ID = re.compile(r"\[ID \d+ [\w.]+\] ")
_PAM_FAIL = re.compile(r"(?:pam_[a-z0-9_]+(?:\(([^:)]+)(?::auth)?\))?|\(pam_unix\)):? "
                       r"authentication failure; (.*)$")
_PAM_SESSION = re.compile(r"pam_unix\(([^:)]+):session\): session (opened|closed) for user "
                          r"(\S+?)(?:\(uid=\d+\))?(?: by (\S*?)(?:\(uid=\d+\))?)?\s*$")
_KV = re.compile(r"(\w+)=(\S*)")
_SUDO = re.compile(r"\s*(\S+) : (?:(.*?) ; )?TTY=(\S*) ; PWD=(.*?) ; USER=(\S+) ;(?: .*?)?"
                   r" COMMAND=(.*)$")
_SUDO_TTY = re.compile(r"\s*(\S+) : (.*?) ; TTY=")
_SU_OK = re.compile(r"(?:\(to (\S+)\) (\S+) on (\S+)|Successful su for (\S+) by (\S+))\s*$")
_SU_FAIL = re.compile(r"(?:FAILED SU \(to (\S+)\) (\S+) on (\S+)|FAILED su for (\S+) by (\S+))\s*$")
_SSH_APPS = ("sshd", "sshd-session", "dropbear", "sshd-auth")


def _auth(action: str, outcome: str, types: list[str],
          extra: dict[str, Any] | None = None) -> Partial:
    """An authentication Partial with the dotted ``extra`` fields that have a
    value (None and empty text are left out)."""
    fields: dict[str, Any] = {"event.action": action, "event.outcome": outcome}
    if extra:
        for k, v in extra.items():
            if v is not None and v != "":
                fields[k] = v
    return Partial(DATASET, fields, category=["authentication"], type=types)


def _ssh(message: str) -> Partial | None:
    candidates = _SSHD_BY_WORD.get(message.partition(" ")[0], _SSHD_ALL)
    for rx, what in candidates:
        m = rx.match(message)
        if not m:
            continue
        g = m.groups()
        if what == "accepted":
            p = _auth("ssh_login", "success", ["start"],
                      {"user.name": g[1], "auth.method": g[0], "auth.ssh.signature": g[4]})
            _endpoint(p, g[2], g[3])
        elif what == "failed":
            p = _auth("ssh_login", "failure", ["start"],
                      {"user.name": g[2], "auth.method": g[0],
                       "auth.ssh.invalid_user": bool(g[1]) or None})
            _endpoint(p, g[3], g[4])
        elif what == "max_attempts":
            p = _auth("ssh_max_auth_attempts", "failure", ["start"],
                      {"user.name": g[1], "auth.ssh.invalid_user": bool(g[0]) or None})
            _endpoint(p, g[2], g[3])
        elif what == "invalid":
            p = _auth("ssh_invalid_user", "failure", ["start"],
                      {"user.name": g[0], "auth.ssh.invalid_user": True})
            _endpoint(p, g[1], g[2])
        elif what == "pam_failure":
            p = _auth("ssh_login", "failure", ["start"], {"user.name": g[1], "auth.method": "pam"})
            _endpoint(p, g[2], None)
        elif what == "root_refused":
            p = _auth("ssh_root_login_refused", "failure", ["start"], {"user.name": "root"})
            _endpoint(p, g[0], g[1])
        elif what == "not_allowed":
            p = _auth("ssh_user_not_allowed", "failure", ["start"],
                      {"user.name": g[0], "event.reason": g[2]})
            _endpoint(p, g[1], None)
        elif what == "refused":
            p = _auth("ssh_connection_refused", "failure", ["start"])
            _endpoint(p, g[0], None)
        elif what == "too_many":
            p = _auth("ssh_max_auth_attempts", "failure", ["start"], {"user.name": g[4] or g[1]})
            _endpoint(p, g[2], g[3])
        elif what in ("disconnected", "closed"):
            p = _auth("ssh_disconnect" if what == "disconnected" else "ssh_connection_closed",
                      "unknown", ["end"],
                      {"user.name": g[1], "auth.ssh.invalid_user": (g[0] == "invalid") or None})
            p.category = ["authentication", "session"]
            if g[0] and "[preauth]" in message:
                # the client left before authenticating (fail2ban's aggressive mode)
                p.fields["event.outcome"] = "failure"
            _endpoint(p, g[2], g[3])
        else:  # received_disconnect
            if "Auth fail" in g[2]:
                p = _auth("ssh_login", "failure", ["start"])
            else:
                p = _auth("ssh_disconnect", "unknown", ["end"])
                p.category = ["session"]
                p.fields.pop("event.outcome")
            _endpoint(p, g[0], g[1])
        return p
    return None


def _dropbear(message: str) -> Partial | None:
    for rx, what in _DROPBEAR:
        m = rx.search(message)
        if not m:
            continue
        g = m.groups()
        if what == "bad_password":
            p = _auth("ssh_login", "failure", ["start"], {"user.name": g[0],
                                                          "auth.method": "password"})
            addr = g[1]
        elif what == "nonexistent":
            p = _auth("ssh_invalid_user", "failure", ["start"], {"user.name": g[0]})
            addr = g[1]
        elif what == "max_tries":
            p = _auth("ssh_max_auth_attempts", "failure", ["start"], {"user.name": g[1]})
            addr = g[0] or g[2]
        else:
            p = _auth("ssh_max_auth_attempts", "failure", ["start"], {"user.name": g[1]})
            addr = g[0]
        host, port = _split_host_port(addr)
        _endpoint(p, host, port)
        return p
    return None


def _split_host_port(addr: str | None) -> tuple[str | None, str | None]:
    """``1.2.3.4:22``, ``::ffff:1.2.3.4:22``, ``[::1]:22`` → address and port."""
    if not addr:
        return None, None
    if addr.startswith("[") and "]:" in addr:
        host, _, port = addr[1:].partition("]:")
        return host, port
    host, sep, port = addr.rpartition(":")
    if sep and port.isdigit() and (host.count(":") == 0 or ip_or_none(host)):
        return host, port
    return addr, None


def _endpoint(p: Partial, addr: str | None, port: str | None) -> None:
    put_address(p.fields, "source", addr)
    if port:
        n = port_or_none(port)
        if n is not None:
            p.fields["source.port"] = n


def _pam(message: str, app: str | None) -> Partial | None:
    m = _PAM_FAIL.search(message)
    if m:
        kv = dict(_KV.findall(m.group(2)))
        service = m.group(1) or app
        user = kv.get("user") or kv.get("ruser") or None
        p = _auth("pam_authentication", "failure", ["start"],
                  {"user.name": user, "auth.method": "pam", "auth.pam.service": service,
                   "auth.pam.tty": kv.get("tty"), "auth.pam.ruser": kv.get("ruser"),
                   "user.id": kv.get("uid")})
        rhost = kv.get("rhost")
        if rhost:
            put_address(p.fields, "source", rhost)
        return p
    m = _PAM_SESSION.search(message)
    if m:
        opened = m.group(2) == "opened"
        p = _auth("session_opened" if opened else "session_closed", "success",
                  ["start" if opened else "end"],
                  {"user.name": m.group(3), "auth.pam.service": m.group(1),
                   "user.effective.name": None})
        p.category = ["session"]
        if m.group(4):
            p.fields["source.user.name"] = m.group(4)
        return p
    return None


def _sudo(message: str) -> Partial | None:
    m = _SUDO.match(message)
    if m:
        user, problem, tty, pwd, target, command = m.groups()
        if problem:
            p = _auth("sudo", "failure", ["start"],
                      {"user.name": user, "user.target.name": target, "event.reason": problem,
                       "process.command_line": command, "process.working_directory": pwd})
            p.category = ["authentication"]
        else:
            p = _auth("sudo", "success", ["start"],
                      {"user.name": user, "user.effective.name": target,
                       "process.command_line": command, "process.working_directory": pwd,
                       "auth.tty": tty})
            p.category = ["authentication", "process"]
        return p
    m = _SUDO_TTY.match(message)
    if m:
        return _auth("sudo", "failure", ["start"],
                     {"user.name": m.group(1), "event.reason": m.group(2)})
    return None


def _su(message: str) -> Partial | None:
    m = _SU_OK.match(message)
    if m:
        target, user = (m.group(1), m.group(2)) if m.group(1) else (m.group(4), m.group(5))
        return _auth("su", "success", ["start"],
                     {"user.name": user, "user.effective.name": target, "auth.tty": m.group(3)})
    m = _SU_FAIL.match(message)
    if m:
        target, user = (m.group(1), m.group(2)) if m.group(1) else (m.group(4), m.group(5))
        return _auth("su", "failure", ["start"],
                     {"user.name": user, "user.target.name": target, "auth.tty": m.group(3)})
    return None


def match(message: str, app: str | None) -> Partial | None:
    """The authentication event in one syslog message, or None."""
    app_l = (app or "").lower()
    if message.startswith("[ID "):
        message = _SOLARIS_ID.sub("", message, count=1)
    p = None
    if "authentication failure" in message or "pam_unix(" in message:
        p = _pam(message, app)
    if p is None:
        if app_l == "sudo":
            p = _sudo(message)
        elif app_l == "su":
            p = _su(message)
        elif app_l == "dropbear":
            p = _dropbear(message) or _ssh(message)
        elif app_l in _SSH_APPS or not app_l or app_l.startswith("sshd"):
            p = _ssh(message)
    if p is not None:
        if app_l:
            p.fields.setdefault("auth.service", app_l)
        related(p.fields)
    return p


def parse(raw: bytes | str, ctx: RecordContext) -> list[dict[str, Any]]:
    """One auth-log line → one event (authentication when recognised, plain
    syslog otherwise); ParseError when the line has no syslog shape at all."""
    text, enc = text_of(raw)
    header = syslog_header.parse_header(text, ctx)
    assert header is not None
    p = match(header.message, header.app)
    if p is None:
        p = Partial("system.syslog", {"message": header.message})
    else:
        p.fields.setdefault("message", header.message)
    p.ts = header.ts
    p.fields = {**header.fields(), **p.fields}
    return [build(p, ctx, text, encoding=enc)]
