"""The public survey pages, reached from the signed link in a survey invitation (no login)."""

from django.urls import path

from metrics import survey_views

app_name = "surveys"

urlpatterns = [
    path("<str:token>/", survey_views.survey_answer, name="answer"),
    path("<str:token>/thanks/", survey_views.survey_thanks, name="thanks"),
]
