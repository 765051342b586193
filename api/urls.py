"""The REST API, version 1, under /api/v1/; its OpenAPI schema and documentation pages under /api/."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import SimpleRouter

from api import (
    views_customers,
    views_directory,
    views_export,
    views_knowledge,
    views_records,
    views_tickets,
    views_tokens,
    views_webhooks,
)

app_name = "api"

router = SimpleRouter()
router.register("tickets", views_tickets.TicketViewSet, basename="ticket")
router.register("messages", views_tickets.MessageViewSet, basename="message")
router.register("customers", views_customers.CustomerViewSet, basename="customer")
router.register("organizations", views_customers.OrganizationViewSet, basename="organization")
router.register("teams", views_directory.TeamViewSet, basename="team")
router.register("agents", views_directory.AgentViewSet, basename="agent")
router.register("survey-answers", views_records.SurveyAnswerViewSet, basename="survey-answer")
router.register("time-entries", views_records.TimeEntryViewSet, basename="time-entry")
router.register("articles", views_knowledge.ArticleViewSet, basename="article")
router.register("article-categories", views_knowledge.CategoryViewSet, basename="article-category")
router.register("tokens", views_tokens.TokenViewSet, basename="token")
router.register("webhooks", views_webhooks.WebhookSubscriptionViewSet, basename="webhook")
router.register("webhook-deliveries", views_webhooks.WebhookDeliveryViewSet, basename="webhook-delivery")

v1 = [
    path("", include(router.urls)),
    path("attachments/<int:pk>/", views_tickets.AttachmentDownloadView.as_view(), name="attachment-download"),
    path("export/", views_export.ExportView.as_view(), name="export"),
    path("me/", views_directory.MeView.as_view(), name="me"),
]

urlpatterns = [
    path("v1/", include(v1)),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
]
