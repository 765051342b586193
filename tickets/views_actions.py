"""Acting on a ticket from its page: reply, note, status, priority, team and assignee, tags, merge,
split, links and following.

Each view loads the ticket with get_ticket_for_user (404 for a ticket the agent may not see, the
merge or link target included) and calls one service. An htmx request gets the re-rendered parts
of the page (the acted-on part, plus the header facts and the timeline out of band) with any error
inline; a plain POST is redirected back to the ticket page with a message, so everything works
without JavaScript too.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import prefetch_related_objects
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.decorators import agent_required
from tickets import services
from tickets.models import Channel, Message, Team, Ticket
from tickets.selectors import (
    TimelineEntry,
    agents_for_filter,
    get_ticket_for_user,
    queue_counts_forget,
    teams_for_filter,
    ticket_timeline,
    tickets_visible_to,
)
from tickets.selectors_actions import assignable_agents, messages_since, ticket_followers, ticket_links

_NUMBER = re.compile(r"#?\s*(\d{1,18})")
# What "then" may do after a reply; the services still check the transition.
REPLY_STATUS_AFTER = (Ticket.Status.OPEN, Ticket.Status.PENDING, Ticket.Status.ON_HOLD, Ticket.Status.SOLVED)


def _new_key() -> str:
    return uuid.uuid4().hex


@dataclass
class Composer:
    """What the reply and note forms show: empty with fresh keys, or what was posted with an error or warning."""

    reply_body: str = ""
    reply_channel: str = ""
    reply_status_after: str = ""
    reply_key: str = field(default_factory=_new_key)
    reply_error: str = ""
    reply_notice: str = ""
    # Messages that arrived while the agent was writing, and the newest id they have now seen.
    stale: list[Message] = field(default_factory=list)
    seen_message_id: int | None = None
    note_body: str = ""
    note_key: str = field(default_factory=_new_key)
    note_error: str = ""
    note_notice: str = ""


def actions_context(
    request: HttpRequest,
    ticket: Ticket,
    timeline: list[TimelineEntry],
    *,
    composer: Composer | None = None,
    error: str = "",
    notice: str = "",
) -> dict[str, Any]:
    """What the action panel needs, in four queries (five with notes), whatever the size of the ticket."""
    notes = [e.message for e in timeline if e.message is not None and e.message.direction == Message.Direction.NOTE]
    prefetch_related_objects(notes, "mentions")
    followers = ticket_followers(ticket=ticket)
    channels = list(services.REPLY_CHANNELS)
    if ticket.current_channel not in channels:
        channels.insert(0, ticket.current_channel)
    return {
        "composer": composer or Composer(),
        "last_message_id": max((e.message.pk for e in timeline if e.message is not None), default=0),
        "reply_channels": [(value, Channel(value).label) for value in channels],
        "reply_status_after": [(value, label) for value, label in Ticket.Status.choices if value in REPLY_STATUS_AFTER],
        "statuses": Ticket.Status.choices,
        "priorities": Ticket.Priority.choices,
        "teams": teams_for_filter(),
        "assignable": assignable_agents(ticket=ticket),
        "links": ticket_links(user=request.user, ticket=ticket),
        "followers": followers,
        "is_following": any(user.pk == request.user.pk for user in followers),
        "controls_error": error,
        "controls_notice": notice,
    }


# --- Answering ----------------------------------------------------------------------------

# Parts of the page an action re-renders; the first is the htmx target, the others go out of band.
_REPLY_PARTS = ("reply", "controls", "facts", "timeline")
_NOTE_PARTS = ("note", "facts", "timeline")
_CONTROL_PARTS = ("controls", "facts", "timeline")
_TEMPLATES = {
    "reply": "tickets/_reply_form.html",
    "note": "tickets/_note_form.html",
    "controls": "tickets/_controls.html",
    "facts": "tickets/_facts.html",
    "timeline": "tickets/_timeline.html",
}


def _parts(
    request: HttpRequest,
    pk: int,
    parts: tuple[str, ...],
    *,
    composer: Composer | None = None,
    error: str = "",
    notice: str = "",
) -> HttpResponse:
    try:
        ticket = get_ticket_for_user(user=request.user, pk=pk)
    except Http404:
        # The action took the ticket out of the agent's sight (another team): back to the queue.
        messages.info(request, _("Ticket #%(number)s is no longer in your queues.") % {"number": pk})
        return HttpResponse(headers={"HX-Redirect": reverse("tickets:list")})
    timeline = ticket_timeline(ticket=ticket)
    context = {
        "ticket": ticket,
        "timeline": timeline,
        **actions_context(request, ticket, timeline, composer=composer, error=error, notice=notice),
    }
    html = [
        render_to_string(_TEMPLATES[part], {**context, "oob": index > 0}, request=request)
        for index, part in enumerate(parts)
    ]
    return HttpResponse("".join(html))


def _error_text(error: ValidationError) -> str:
    return " ".join(error.messages)


def _answer(request: HttpRequest, ticket: Ticket, *, notice: str = "", error: str = "") -> HttpResponse:
    """htmx gets the controls (error inline) and the page's facts and timeline; a plain POST a redirect."""
    if request.htmx:
        return _parts(request, ticket.pk, _CONTROL_PARTS, error=error, notice="" if error else notice)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, notice)
    if not tickets_visible_to(request.user).filter(pk=ticket.pk).exists():
        # Moved to another team: the ticket page would now be a 404 for this agent.
        messages.info(request, _("Ticket #%(number)s is no longer in your queues.") % {"number": ticket.pk})
        return redirect("tickets:list")
    return redirect("tickets:detail", pk=ticket.pk)


def _control(request: HttpRequest, ticket: Ticket, action: Callable[[], object], notice: str) -> HttpResponse:
    """Run one service call for a control and answer with its outcome."""
    try:
        action()
    except ValidationError as error:
        return _answer(request, ticket, error=_error_text(error))
    queue_counts_forget(user=request.user)
    return _answer(request, ticket, notice=notice)


def _composer_failed(request: HttpRequest, ticket: Ticket, composer: Composer, parts: tuple[str, ...]) -> HttpResponse:
    """Show the composer again with what was written: inline for htmx, the whole page without JavaScript."""
    if request.htmx:
        return _parts(request, ticket.pk, parts, composer=composer)
    from tickets.views import ticket_page  # the page view imports this module for actions_context

    return ticket_page(request, ticket, composer=composer, status=409 if composer.stale else 400)


def _number(value: str) -> int | None:
    match = _NUMBER.fullmatch(value.strip())
    return int(match.group(1)) if match else None


def _other_ticket(request: HttpRequest) -> Ticket | None:
    """The ticket named by the posted number, 404 when the agent may not open it; None when no number was given."""
    number = _number(request.POST.get("number", ""))
    if number is None:
        return None
    return get_ticket_for_user(user=request.user, pk=number)


# --- The composer -------------------------------------------------------------------------


@agent_required
@require_POST
def ticket_reply(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = get_ticket_for_user(user=request.user, pk=pk)
    posted = request.POST
    composer = Composer(
        reply_body=posted.get("body", ""),
        reply_channel=posted.get("channel", ""),
        reply_status_after=posted.get("status_after", ""),
        reply_key=posted.get("idempotency_key", "") or _new_key(),
    )
    last_seen = _number(posted.get("last_message_id", ""))
    if last_seen is not None and posted.get("confirm_stale") != "1":
        # Someone wrote while the agent was typing: show it before anything goes out.
        composer.stale = messages_since(ticket=ticket, after_id=last_seen, user=request.user)
        if composer.stale:
            composer.seen_message_id = max(message.pk for message in composer.stale)
            return _composer_failed(request, ticket, composer, _REPLY_PARTS)
    try:
        services.ticket_reply(
            ticket=ticket,
            agent=request.user,
            body_text=composer.reply_body,
            channel=composer.reply_channel or None,
            status_after=composer.reply_status_after or None,
            idempotency_key=composer.reply_key,
        )
    except ValidationError as error:
        composer.reply_error = _error_text(error)
        return _composer_failed(request, ticket, composer, _REPLY_PARTS)
    queue_counts_forget(user=request.user)  # a reply can open or solve the ticket
    if request.htmx:
        return _parts(request, ticket.pk, _REPLY_PARTS, composer=Composer(reply_notice=_("Reply sent.")))
    messages.success(request, _("Reply sent."))
    return redirect("tickets:detail", pk=ticket.pk)


@agent_required
@require_POST
def ticket_note(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = get_ticket_for_user(user=request.user, pk=pk)
    composer = Composer(
        note_body=request.POST.get("body", ""), note_key=request.POST.get("idempotency_key", "") or _new_key()
    )
    try:
        services.note_add(
            ticket=ticket, agent=request.user, body_text=composer.note_body, idempotency_key=composer.note_key
        )
    except ValidationError as error:
        composer.note_error = _error_text(error)
        return _composer_failed(request, ticket, composer, _NOTE_PARTS)
    if request.htmx:
        return _parts(request, ticket.pk, _NOTE_PARTS, composer=Composer(note_notice=_("Note added.")))
    messages.success(request, _("Note added."))
    return redirect("tickets:detail", pk=ticket.pk)


# --- Controls -----------------------------------------------------------------------------


@agent_required
@require_POST
def ticket_status(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = get_ticket_for_user(user=request.user, pk=pk)
    status = request.POST.get("status", "")
    return _control(
        request,
        ticket,
        lambda: services.ticket_change_status(ticket=ticket, status=status, actor=request.user),
        _("Status changed."),
    )


@agent_required
@require_POST
def ticket_priority(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = get_ticket_for_user(user=request.user, pk=pk)
    priority = request.POST.get("priority", "")
    return _control(
        request,
        ticket,
        lambda: services.ticket_change_priority(ticket=ticket, priority=priority, actor=request.user),
        _("Priority changed."),
    )


@agent_required
@require_POST
def ticket_assign(request: HttpRequest, pk: int) -> HttpResponse:
    """Team and assignee from the form, or assignee=me from the "Assign to me" button.

    Only what changed is passed on, so moving a ticket to another team unassigns an agent outside it.
    """
    ticket = get_ticket_for_user(user=request.user, pk=pk)
    changes: dict[str, Any] = {}
    if "team" in request.POST:
        team_id = _number(request.POST["team"])
        team = Team.objects.filter(pk=team_id).first() if team_id else None
        if team_id and team is None:
            return _answer(request, ticket, error=_("No such team."))
        if (team.pk if team else None) != ticket.team_id:
            changes["team"] = team
    if "assignee" in request.POST:
        value = request.POST["assignee"]
        if value == "me":
            assignee = request.user
        else:
            assignee_id = _number(value)
            assignee = agents_for_filter().filter(pk=assignee_id).first() if assignee_id else None
            if assignee_id and assignee is None:
                return _answer(request, ticket, error=_("No such agent."))
        if (assignee.pk if assignee else None) != ticket.assignee_id:
            changes["assignee"] = assignee
    if not changes:
        return _answer(request, ticket, notice=_("Nothing to change."))
    return _control(
        request,
        ticket,
        lambda: services.ticket_assign(ticket=ticket, actor=request.user, **changes),
        _("Assignment changed."),
    )


@agent_required
@require_POST
def ticket_tags(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = get_ticket_for_user(user=request.user, pk=pk)
    names = re.split(r"[,\s]+", request.POST.get("tags", ""))
    return _control(
        request,
        ticket,
        lambda: services.ticket_set_tags(ticket=ticket, tags=names, actor=request.user),
        _("Tags saved."),
    )


@agent_required
@require_POST
def ticket_merge(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = get_ticket_for_user(user=request.user, pk=pk)
    target = _other_ticket(request)
    if target is None:
        return _answer(request, ticket, error=_("Give the number of the ticket to merge into."))
    try:
        services.ticket_merge(source=ticket, target=target, actor=request.user)
        queue_counts_forget(user=request.user)
    except ValidationError as error:
        return _answer(request, ticket, error=_error_text(error))
    messages.success(request, _("Merged into #%(number)s.") % {"number": target.pk})
    if request.htmx:
        # The whole page changes (banner, no composer): load it again.
        return HttpResponse(headers={"HX-Redirect": reverse("tickets:detail", args=[ticket.pk])})
    return redirect("tickets:detail", pk=ticket.pk)


@agent_required
@require_POST
def ticket_split(request: HttpRequest, pk: int, message_pk: int) -> HttpResponse:
    ticket = get_ticket_for_user(user=request.user, pk=pk)
    message = get_object_or_404(Message, pk=message_pk, ticket=ticket)
    try:
        new = services.ticket_split(message=message, actor=request.user)
        queue_counts_forget(user=request.user)
    except ValidationError as error:
        return _answer(request, ticket, error=_error_text(error))
    return _answer(request, ticket, notice=_("The message is now ticket #%(number)s.") % {"number": new.pk})


@agent_required
@require_POST
def ticket_link(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = get_ticket_for_user(user=request.user, pk=pk)
    related = _other_ticket(request)
    if related is None:
        return _answer(request, ticket, error=_("Give the number of the ticket to link."))
    return _control(
        request,
        ticket,
        lambda: services.ticket_link(ticket=ticket, related=related, actor=request.user),
        _("Linked to #%(number)s.") % {"number": related.pk},
    )


@agent_required
@require_POST
def ticket_unlink(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = get_ticket_for_user(user=request.user, pk=pk)
    related = _other_ticket(request)
    if related is None:
        raise Http404
    return _control(
        request,
        ticket,
        lambda: services.ticket_unlink(ticket=ticket, related=related, actor=request.user),
        _("Link to #%(number)s removed.") % {"number": related.pk},
    )


@agent_required
@require_POST
def ticket_follow(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = get_ticket_for_user(user=request.user, pk=pk)
    return _control(
        request,
        ticket,
        lambda: services.ticket_follow(ticket=ticket, user=request.user),
        _("You follow this ticket."),
    )


@agent_required
@require_POST
def ticket_unfollow(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = get_ticket_for_user(user=request.user, pk=pk)
    return _control(
        request,
        ticket,
        lambda: services.ticket_unfollow(ticket=ticket, user=request.user),
        _("You no longer follow this ticket."),
    )
