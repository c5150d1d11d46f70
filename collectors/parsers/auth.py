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
    (re.compile(r"Accepted (\S+) for (\S+) from " + _ADDR + r"(?: port (\d+))?(?: ssh\d?)?(?:: (.*))?$"),
     "accepted"),
    (re.compile(r"Failed (\S+) for (invalid user |illegal user )?(.*?) from " + _ADDR +
                r"(?: port (\d+))?(?: ssh\d?)?(?:: .*)?\s*$"), "failed"),
    (re.compile(r"(?:error: )?maximum authentication attempts exceeded for (invalid user )?(\S+) "
                r"from " + _ADDR + r"(?: port (\d+))?"), "max_attempts"),
    (re.compile(r"(?:Invalid|Illegal) user ?(.*?) from " + _ADDR + r"(?: port (\d+))?\s*$"), "invalid"),
    (re.compile(r"(?:error: )?PAM: (?:[Aa]uthentication (?:failure|error)|User not known to the "
                r"underlying authentication module) for (illegal user |invalid user )?(\S*) from " +
                _ADDR + r"(?: via \S+)?\s*$"), "pam_failure"),
    (re.compile(r"ROOT LOGIN REFUSED FROM " + _ADDR + r"(?: port (\d+))?(?: \[preauth\])?\s*$",
                re.I), "root_refused"),
    (re.compile(r"User (\S+) from " + _ADDR + r" not allowed because (.*)$"), "not_allowed"),
    (re.compile(r"refused connect from \S+ \((\S+)\)"), "refused"),
    (re.compile(r"Disconnecting(?: (invalid|authenticating) user (\S+) " + _ADDR +
                r" port (\d+))?: Too many authentication failures(?: for (?:invalid user )?(\S+))?"),
     "too_many"),
    (re.compile(r"Disconnected from (?:(invalid|authenticating) user (\S+) )?" + _ADDR +
                r" port (\d+)"), "disconnected"),
    (re.compile(r"Connection closed by (?:(invalid|authenticating) user (\S+) )?" + _ADDR +
                r"(?: port (\d+))?"), "closed"),
    (re.compile(r"(?:error: )?Received disconnect from " + _ADDR + r"(?: port (\d+))?: ?\d+: (.*)$"),
     "received_disconnect"),
]
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


def _auth(action: str, outcome: str, types: list[str], **extra: Any) -> Partial:
    fields: dict[str, Any] = {"event.action": action, "event.outcome": outcome}
    fields.update({k.replace("__", "."): v for k, v in extra.items() if v not in (None, "")})
    return Partial(DATASET, fields, category=["authentication"], type=types)


def _ssh(message: str) -> Partial | None:
    for rx, what in _SSHD:
        m = rx.match(message)
        if not m:
            continue
        g = m.groups()
        if what == "accepted":
            p = _auth("ssh_login", "success", ["start"], user__name=g[1],
                      auth__method=g[0], auth__ssh__signature=g[4])
            _endpoint(p, g[2], g[3])
        elif what == "failed":
            p = _auth("ssh_login", "failure", ["start"], user__name=g[2],
                      auth__method=g[0], auth__ssh__invalid_user=bool(g[1]) or None)
            _endpoint(p, g[3], g[4])
        elif what == "max_attempts":
            p = _auth("ssh_max_auth_attempts", "failure", ["start"], user__name=g[1],
                      auth__ssh__invalid_user=bool(g[0]) or None)
            _endpoint(p, g[2], g[3])
        elif what == "invalid":
            p = _auth("ssh_invalid_user", "failure", ["start"], user__name=g[0],
                      auth__ssh__invalid_user=True)
            _endpoint(p, g[1], g[2])
        elif what == "pam_failure":
            p = _auth("ssh_login", "failure", ["start"], user__name=g[1], auth__method="pam")
            _endpoint(p, g[2], None)
        elif what == "root_refused":
            p = _auth("ssh_root_login_refused", "failure", ["start"], user__name="root")
            _endpoint(p, g[0], g[1])
        elif what == "not_allowed":
            p = _auth("ssh_user_not_allowed", "failure", ["start"], user__name=g[0],
                      event__reason=g[2])
            _endpoint(p, g[1], None)
        elif what == "refused":
            p = _auth("ssh_connection_refused", "failure", ["start"])
            _endpoint(p, g[0], None)
        elif what == "too_many":
            p = _auth("ssh_max_auth_attempts", "failure", ["start"], user__name=g[4] or g[1])
            _endpoint(p, g[2], g[3])
        elif what in ("disconnected", "closed"):
            p = _auth("ssh_disconnect" if what == "disconnected" else "ssh_connection_closed",
                      "unknown", ["end"], user__name=g[1],
                      auth__ssh__invalid_user=(g[0] == "invalid") or None)
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
            p = _auth("ssh_login", "failure", ["start"], user__name=g[0], auth__method="password")
            addr = g[1]
        elif what == "nonexistent":
            p = _auth("ssh_invalid_user", "failure", ["start"], user__name=g[0])
            addr = g[1]
        elif what == "max_tries":
            p = _auth("ssh_max_auth_attempts", "failure", ["start"], user__name=g[1])
            addr = g[0] or g[2]
        else:
            p = _auth("ssh_max_auth_attempts", "failure", ["start"], user__name=g[1])
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
        p = _auth("pam_authentication", "failure", ["start"], user__name=user,
                  auth__method="pam", auth__pam__service=service,
                  auth__pam__tty=kv.get("tty"), auth__pam__ruser=kv.get("ruser"),
                  user__id=kv.get("uid"))
        rhost = kv.get("rhost")
        if rhost:
            put_address(p.fields, "source", rhost)
        return p
    m = _PAM_SESSION.search(message)
    if m:
        opened = m.group(2) == "opened"
        p = _auth("session_opened" if opened else "session_closed", "success",
                  ["start" if opened else "end"], user__name=m.group(3),
                  auth__pam__service=m.group(1), user__effective__name=None)
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
            p = _auth("sudo", "failure", ["start"], user__name=user, user__target__name=target,
                      event__reason=problem, process__command_line=command,
                      process__working_directory=pwd)
            p.category = ["authentication"]
        else:
            p = _auth("sudo", "success", ["start"], user__name=user,
                      user__effective__name=target, process__command_line=command,
                      process__working_directory=pwd, auth__tty=tty)
            p.category = ["authentication", "process"]
        return p
    m = _SUDO_TTY.match(message)
    if m:
        return _auth("sudo", "failure", ["start"], user__name=m.group(1), event__reason=m.group(2))
    return None


def _su(message: str) -> Partial | None:
    m = _SU_OK.match(message)
    if m:
        target, user = (m.group(1), m.group(2)) if m.group(1) else (m.group(4), m.group(5))
        return _auth("su", "success", ["start"], user__name=user, user__effective__name=target,
                     auth__tty=m.group(3))
    m = _SU_FAIL.match(message)
    if m:
        target, user = (m.group(1), m.group(2)) if m.group(1) else (m.group(4), m.group(5))
        return _auth("su", "failure", ["start"], user__name=user, user__target__name=target,
                     auth__tty=m.group(3))
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
