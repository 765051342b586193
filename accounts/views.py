from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from accounts.roles import Role, user_role


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Send each person to where their work is."""
    role = user_role(request.user)
    if role == Role.CUSTOMER:
        return redirect("portal:ticket_list")
    if role in (Role.AGENT, Role.MANAGER, Role.ADMIN):
        return redirect("tickets:list")
    return HttpResponse(_("Your account has no role yet. Ask an administrator to give you one."), status=403)


@never_cache
def health(request: HttpRequest) -> JsonResponse:
    """For load balancers and docker-compose: answers 200 while the database answers."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as error:  # any database failure means unhealthy
        return JsonResponse({"status": "error", "database": str(error)}, status=503)
    return JsonResponse({"status": "ok"})
