"""Tables and enums. Importing `models` registers every table on SQLModel.metadata.

Feature modules in this package are imported here automatically, so a new table only
needs its own module (and its migration).
"""
import importlib
import pkgutil

from models.base import UTCDateTime, utcnow
from models.ops import AuditEvent, Deadline, FsmRecord, Notification, NotificationStatus, ProcessedUpdate
from models.people import Deputy, Department, Invite, Role, RoleGrant, Station, User

for _module in pkgutil.iter_modules(__path__):
    if _module.name not in ("base", "ops", "people", "db", "migrate", "migrations"):
        importlib.import_module(f"{__name__}.{_module.name}")

__all__ = [
    "AuditEvent", "Deadline", "Department", "Deputy", "FsmRecord", "Invite", "Notification",
    "NotificationStatus", "ProcessedUpdate", "Role", "RoleGrant", "Station", "User", "UTCDateTime", "utcnow",
]
