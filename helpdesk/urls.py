from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from accounts import views as account_views

urlpatterns = [
    path("", account_views.home, name="home"),
    path("healthz", account_views.health, name="health"),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("tickets/", include("tickets.urls")),
    path("portal/", include("tickets.portal_urls")),
    path("survey/", include("metrics.survey_urls")),
    path("help/", include("knowledge.urls")),
    path("dashboard/", include("metrics.urls")),
    path("api/v1/metrics/", include("metrics.api_urls")),
    path("api/", include("api.urls")),
    path("admin/", admin.site.urls),
    # Email providers' inbound webhooks: anymail's per-provider endpoints, plus CloudMailin (not in anymail).
    path("inbound/email/", include("channels_intake.email.webhook_urls")),
]

# Under /api/ these answer in the API's JSON error shape; elsewhere they are the usual pages.
handler404 = "api.errors.page_not_found"
handler500 = "api.errors.server_error"
