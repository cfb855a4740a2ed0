"""Tables and enums. Importing `models` registers every table on SQLModel.metadata."""
from models.base import UTCDateTime, utcnow
from models.ops import AuditEvent, Deadline, FsmRecord, Notification, NotificationStatus
from models.people import Deputy, Department, Invite, Role, RoleGrant, Station, User

__all__ = [
    "AuditEvent", "Deadline", "Department", "Deputy", "FsmRecord", "Invite", "Notification",
    "NotificationStatus", "Role", "RoleGrant", "Station", "User", "UTCDateTime", "utcnow",
]
