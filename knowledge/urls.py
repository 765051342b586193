"""The public help center, under /help/."""

from django.urls import path

from knowledge import views

app_name = "knowledge"

urlpatterns = [
    path("", views.index, name="index"),
    path("search/", views.search, name="search"),
    # str, not slug: slugs keep Persian and Arabic letters (allow_unicode).
    path("categories/<str:slug>/", views.category_detail, name="category"),
    path("articles/<str:language>/<str:slug>/", views.article_detail, name="article"),
    path("articles/<str:language>/<str:slug>/feedback/", views.feedback, name="feedback"),
]
