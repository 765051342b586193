"""View decorators that let a page open only for the roles that work there.

Anonymous visitors go to the login page; a logged-in user without the role gets 403
(the page exists, they just may not use it), never a redirect loop.
"""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from accounts.roles import is_manager_or_admin, is_staff_role

View = Callable[..., HttpResponse]


def _role_required(check: Callable[..., bool]) -> Callable[[View], View]:
    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if not check(request.user):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return login_required(wrapper)

    return decorator


# The agent workspace: agents, managers and admins.
agent_required = _role_required(is_staff_role)
# Team-wide figures: managers and admins.
manager_required = _role_required(is_manager_or_admin)
# The portal: a login linked to a customer record.
customer_required = _role_required(lambda user: hasattr(user, "customer_profile"))
