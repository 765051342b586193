"""Writing articles: knowledge.services is the only writer, and what it stores is safe to show."""

import pytest
from django.core.exceptions import ValidationError

from knowledge import services
from knowledge.models import Article
from tests.factories import AgentFactory, CategoryFactory

pytestmark = pytest.mark.django_db

Status = Article.Status


def _create(**kwargs) -> Article:
    fields = {"title": "How do I reset my password?", "body_html": "<p>Click the link.</p>", "language": "en"}
    return services.article_create(**{**fields, **kwargs})


def test_a_new_article_is_a_draft_with_a_slug_from_its_title():
    article = _create()

    assert article.status == Status.DRAFT
    assert article.slug == "how-do-i-reset-my-password"
    assert article.published_at is None
    assert article.body_text == "Click the link."


def test_a_persian_title_keeps_its_letters_in_the_slug():
    article = _create(title="چطور رمز عبورم را بازنشانی کنم؟", language="fa")

    assert article.slug == "چطور-رمز-عبورم-را-بازنشانی-کنم"


def test_a_taken_slug_gets_a_number_in_the_same_language_only():
    first = _create()
    second = _create()
    third = _create(slug="how-do-i-reset-my-password")
    persian = _create(language="fa")

    assert (first.slug, second.slug, third.slug) == (
        "how-do-i-reset-my-password",
        "how-do-i-reset-my-password-2",
        "how-do-i-reset-my-password-3",
    )
    assert persian.slug == "how-do-i-reset-my-password"


def test_a_given_slug_is_normalized():
    assert _create(slug="  Reset Password!! ").slug == "reset-password"


@pytest.mark.parametrize(
    "hostile",
    [
        '<p>Hi</p><script>alert("x")</script>',
        '<p>Hi</p><img src="x.png" onerror="alert(1)">',
        '<p>Hi</p><a href="javascript:alert(1)">click</a>',
        '<p onclick="alert(1)" style="color:red">Hi</p><iframe src="https://evil.example"></iframe>',
    ],
)
def test_hostile_html_is_made_harmless_on_create_and_on_update(hostile):
    created = _create(body_html=hostile)
    updated = services.article_update(article=_create(), body_html=hostile)

    for article in (created, updated):
        stored = Article.objects.get(pk=article.pk).body_html
        for bad in ("<script", "alert", "onerror", "onclick", "javascript:", "<iframe", "style="):
            assert bad not in stored.lower()
        assert "Hi" in stored


def test_links_and_formatting_survive_sanitizing():
    article = _create(body_html='<p>See <a href="https://shop.example/orders">your orders</a> <strong>now</strong></p>')

    assert 'href="https://shop.example/orders"' in article.body_html
    assert "<strong>now</strong>" in article.body_html
    assert article.body_text == "See your orders now"


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"title": "   "}, "empty_title"),
        ({"title": "x" * 201}, "title_too_long"),
        ({"language": "de"}, "bad_language"),
        ({"status": "archived"}, "bad_status"),
        ({"status": Status.PUBLISHED, "body_html": "<script>only()</script>"}, "empty_body"),
    ],
)
def test_bad_input_is_refused_with_a_code(kwargs, code):
    with pytest.raises(ValidationError) as error:
        _create(**kwargs)

    assert error.value.code == code
    assert not Article.objects.exists()


def test_update_changes_only_known_fields():
    article = _create()

    with pytest.raises(ValidationError) as error:
        services.article_update(article=article, view_count=1000)

    assert error.value.code == "unknown_field"
    assert Article.objects.get(pk=article.pk).view_count == 0


def test_update_keeps_the_slug_when_the_title_changes_so_links_keep_working():
    article = _create()

    services.article_update(article=article, title="Resetting a forgotten password")

    assert article.title == "Resetting a forgotten password"
    assert article.slug == "how-do-i-reset-my-password"


def test_an_empty_slug_is_made_again_from_the_title():
    article = _create()

    services.article_update(article=article, title="Resetting a forgotten password", slug="")

    assert Article.objects.get(pk=article.pk).slug == "resetting-a-forgotten-password"


def test_a_slug_taken_in_the_new_language_gets_a_number():
    _create(language="fa")
    article = _create()

    services.article_update(article=article, language="fa")

    assert (article.language, article.slug) == ("fa", "how-do-i-reset-my-password-2")


def test_update_stamps_updated_at_and_writes_nothing_when_nothing_changed(django_assert_max_num_queries):
    article = _create()
    created_update = article.updated_at

    with django_assert_max_num_queries(3) as captured:
        services.article_update(article=article, title=f"  {article.title} ")
    assert not [query for query in captured.captured_queries if query["sql"].startswith("UPDATE")]
    assert Article.objects.get(pk=article.pk).updated_at == created_update

    services.article_update(article=article, category=CategoryFactory())
    assert Article.objects.get(pk=article.pk).updated_at > created_update


def test_publishing_stamps_published_at_and_unpublishing_clears_it():
    article = _create()

    services.article_publish(article=article)
    published_at = article.published_at
    services.article_publish(article=article)  # again: nothing moves

    assert article.status == Status.PUBLISHED
    assert published_at is not None
    assert Article.objects.get(pk=article.pk).published_at == published_at

    services.article_unpublish(article=article)

    stored = Article.objects.get(pk=article.pk)
    assert (stored.status, stored.published_at) == (Status.DRAFT, None)


def test_a_published_article_cannot_be_emptied():
    article = _create(status=Status.PUBLISHED)

    with pytest.raises(ValidationError) as error:
        services.article_update(article=article, body_html="   ")

    assert error.value.code == "empty_body"


def test_author_and_category_are_kept():
    agent, category = AgentFactory(), CategoryFactory()

    article = _create(author=agent, category=category)

    assert (article.author, article.category) == (agent, category)


def test_delete_removes_the_article():
    article = _create()

    services.article_delete(article=article)

    assert not Article.objects.exists()


def test_feedback_adds_one_to_the_right_counter():
    article = _create(status=Status.PUBLISHED)

    services.article_feedback(article=article, helpful=True)
    services.article_feedback(article=article, helpful=True)
    services.article_feedback(article=article, helpful=False)

    article.refresh_from_db()
    assert (article.helpful_count, article.not_helpful_count) == (2, 1)


def test_feedback_on_a_draft_or_not_yes_or_no_is_refused():
    draft = _create()

    with pytest.raises(ValidationError) as error:
        services.article_feedback(article=draft, helpful=True)
    assert error.value.code == "not_published"

    with pytest.raises(ValidationError) as error:
        services.article_feedback(article=_create(status=Status.PUBLISHED), helpful="yes")
    assert error.value.code == "bad_feedback"


def test_a_view_counts_without_touching_updated_at():
    article = _create(status=Status.PUBLISHED)

    services.article_viewed(article=article)
    services.article_viewed(article=article)

    stored = Article.objects.get(pk=article.pk)
    assert stored.view_count == 2
    assert stored.updated_at == article.updated_at


def test_a_title_at_the_length_limit_still_gets_a_free_numbered_slug():
    title = "0" * 200
    first = services.article_create(title=title, body_html="<p>a</p>", language="en")
    second = services.article_create(title=title, body_html="<p>b</p>", language="en")
    third = services.article_create(title=title, body_html="<p>c</p>", language="en")

    assert len({first.slug, second.slug, third.slug}) == 3
    assert all(len(slug) <= 200 for slug in (first.slug, second.slug, third.slug))
    assert second.slug.endswith("-2") and third.slug.endswith("-3")
