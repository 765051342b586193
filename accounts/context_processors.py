from django.http import HttpRequest

from accounts.roles import Role, user_role


def role(request: HttpRequest) -> dict:
    """Expose the user's role to templates so navigation shows only what they may open."""
    current = user_role(request.user) if hasattr(request, "user") else None
    return {
        "user_role": current,
        "is_agent_side": current in (Role.AGENT, Role.MANAGER, Role.ADMIN),
        "is_manager_side": current in (Role.MANAGER, Role.ADMIN),
        "is_customer": current == Role.CUSTOMER,
    }
