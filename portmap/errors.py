"""One error tree for everything portmap reports to a user.

Errors carry the context an operator needs (file and line, or device and OID) and never
render secrets. The faces decide how to show them; nothing here prints.
"""

from __future__ import annotations


class PortmapError(Exception):
    """Root of every error portmap expects and reports without a traceback."""


def one_line(text: str) -> str:
    """Text from a user's file, made safe to show on one line (control characters escaped)."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


class InventoryError(PortmapError):
    """A mistake in the inventory, located by file, line, column and field."""

    def __init__(self, path: str, line: int, column: int, field: str, message: str) -> None:
        field, message = one_line(field), one_line(message)
        self.path = path
        self.line = line
        self.column = column
        self.field = field
        self.message = message
        where = f"{path}:{line}:{column}" if line else path
        label = f"{field}: " if field else ""
        super().__init__(f"{where}: {label}{message}")


class SnmpError(PortmapError):
    """An SNMP exchange with one device failed; `oid` names what was asked, if known."""

    reason = "SNMP error"

    def __init__(self, device: str, detail: str, oid: str | None = None) -> None:
        self.device = device
        self.detail = detail
        self.oid = oid
        at = f" (asking {oid})" if oid else ""
        super().__init__(f"{device}: {self.reason}: {detail}{at}")


class SnmpTimeout(SnmpError):
    reason = "no answer"


class SnmpAddressError(SnmpError):
    reason = "bad address"


class SnmpAuthError(SnmpError):
    reason = "authentication failed"


class SnmpMalformedResponse(SnmpError):
    reason = "malformed response"


class SnmpAgentError(SnmpError):
    """The agent answered with an error status (genErr, noAccess, ...)."""

    reason = "agent error"

    def __init__(self, device: str, detail: str, oid: str | None = None, status: str = "") -> None:
        super().__init__(device, detail, oid)
        self.status = status
        """The error-status by its RFC 3416 name: 'tooBig', 'noSuchName', ..."""
