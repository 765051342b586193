"""The demo help center: topics and articles in three languages, added once however often it runs."""

import pytest
from django.core.management import call_command

from knowledge import selectors
from knowledge.demo import help_center_seed
from knowledge.models import Article, Category

pytestmark = pytest.mark.django_db


def test_it_adds_articles_in_english_persian_and_arabic_across_the_topics():
    added = help_center_seed()

    published = Article.objects.filter(status=Article.Status.PUBLISHED)
    assert added == Article.objects.count()
    assert published.filter(language="en").count() >= 12
    assert published.filter(language="fa").exists()
    assert published.filter(language="ar").exists()
    assert Category.objects.count() == 4
    assert [a.language for a in selectors.article_search(q="رمز")] == ["fa"]


def test_running_it_again_adds_nothing(capsys):
    call_command("seed_help_center")
    count = Article.objects.count()

    assert help_center_seed() == 0
    assert Article.objects.count() == count
