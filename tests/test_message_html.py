"""Stored email HTML as the ticket page shows it: inline images from our storage, nothing remote."""

from tickets.html import html_for_display


def test_cid_images_point_at_our_attachments():
    html = html_for_display('<p>See</p><img src="cid:shot@x" alt="shot">', inline_image_urls={"shot@x": "/a/1/"})
    assert '<img src="/a/1/" alt="shot">' in html


def test_every_other_image_source_is_dropped_so_nothing_remote_loads():
    for src in ("https://tracker.example/p.gif", "//tracker.example/p.gif", "/\\tracker.example/p.gif", "cid:unknown"):
        html = html_for_display(f'<img src="{src}" alt="x">', inline_image_urls={})
        assert "src=" not in html, src
        assert "tracker" not in html


def test_links_stay_links():
    html = html_for_display('<a href="https://shop.example/order/1">order</a>', inline_image_urls={})
    assert 'href="https://shop.example/order/1"' in html
