"""Sanitizing message HTML, so hostile markup from any channel is harmless wherever it is shown."""

import nh3

# What a support conversation needs: text formatting, lists, tables, links and images. No scripts,
# no event handlers, no styles, no forms, no frames.
_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "code", "dd", "del", "div", "dl", "dt", "em",
    "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li", "ol", "p", "pre", "q",
    "s", "small", "span", "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead",
    "tr", "u", "ul",
}  # fmt: skip
_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
    "*": {"dir", "lang"},
}
# cid: points at an inline image of the same email; the email channel rewrites it to our attachment URL.
_URL_SCHEMES = {"http", "https", "mailto", "tel", "cid"}


def html_sanitize(html: str) -> str:
    """Keep the formatting, drop everything that could run or phone home on its own."""
    if not html.strip():
        return ""
    return nh3.clean(
        html,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes=_URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


def html_for_display(html: str, *, inline_image_urls: dict[str, str]) -> str:
    """Stored (already sanitized) email HTML made ready to show: inline images point at our stored
    attachments, and remote images are dropped, so opening a mail never tells its sender (or a
    tracker) that it was read."""
    if not html:
        return ""

    def rewrite(tag: str, attribute: str, value: str) -> str | None:
        if tag == "img" and attribute == "src":
            # Only images stored with the mail itself; anything else ("//host/x", "/\\host", http) is remote.
            if value.lower().startswith("cid:"):
                return inline_image_urls.get(value[4:].strip("<>"))
            return None
        return value

    return nh3.clean(
        html,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes=_URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        attribute_filter=rewrite,
    )
