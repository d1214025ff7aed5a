"""Who may call which endpoint: the role table of `reports.roles`, per action.

Each view names the capability every action needs (`capabilities`, with
`read` and `write` as defaults for safe and unsafe methods); this class only
asks `reports.roles.can()`, so the API holds no copy of the table. Finer rules
(four-eyes, states, whose token) are the domain functions' and querysets'.
"""

from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from reports.roles import Capability, can

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def capability_for(view: Any, request: Request) -> Capability | None:
    capabilities: dict[str, Capability] = getattr(view, "capabilities", {})
    action = getattr(view, "action", None)
    if action and action in capabilities:
        return capabilities[action]
    default = "read" if request.method in SAFE_METHODS else "write"
    return capabilities.get(default)


class HasCapability(BasePermission):
    """Allow the request when the user's roles grant the action's capability.

    A view that names no capability for an action is closed to everyone, so
    a forgotten entry fails safe.
    """

    message = "Your role does not allow this."

    def has_permission(self, request: Request, view: Any) -> bool:
        method = (request.method or "").lower()
        if getattr(view, method, None) is None:
            # No such method here: let the view answer 405, which tells
            # nothing about the rows behind it.
            return True
        capability = capability_for(view, request)
        if capability is None:
            return False
        if not can(request.user, capability):
            self.message = f"Your role does not allow you to {capability.value}."
            return False
        return True
