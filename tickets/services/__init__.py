"""The domain layer: the only code that changes customers and tickets.

Views, the API, Celery tasks, commands and the admin call these functions. Each is atomic,
validates what it is asked, stamps the derived fields (first response, solves, reopens,
channel switches) and records a TicketEvent, so the audit trail and the metrics can trust
the tables. Callers import from here; the modules split the functions by subject:
customers.py (people and identities), conversation.py (a ticket's life), workspace.py
(what agents do on the ticket page).
"""

from tickets.services._common import (
    ALLOWED_TRANSITIONS,
    IdentityTaken,
    InvalidMerge,
    InvalidTransition,
    TicketClosed,
    resolve_merged,
)
from tickets.services.conversation import (
    message_add,
    message_add_once,
    message_mark_delivery,
    messages_mark_failed,
    ticket_assign,
    ticket_change_priority,
    ticket_change_status,
    ticket_change_subject,
    ticket_create,
    ticket_merge,
    ticket_set_tags,
    ticket_switch_channel,
    tickets_close_solved,
    time_entry_add,
)
from tickets.services.customers import (
    CUSTOMER_FIELDS,
    customer_create,
    customer_find_or_create,
    customer_get_or_create_by_identity,
    customer_identity_add,
    customer_mark_churned,
    customer_merge,
    customer_update,
    organization_save,
)
from tickets.services.workspace import (
    REPLY_CHANNELS,
    mentioned_agents,
    note_add,
    ticket_follow,
    ticket_link,
    ticket_reply,
    ticket_split,
    ticket_unfollow,
    ticket_unlink,
)

__all__ = [
    "ALLOWED_TRANSITIONS",
    "CUSTOMER_FIELDS",
    "REPLY_CHANNELS",
    "IdentityTaken",
    "InvalidMerge",
    "InvalidTransition",
    "TicketClosed",
    "customer_create",
    "customer_find_or_create",
    "customer_get_or_create_by_identity",
    "customer_identity_add",
    "customer_mark_churned",
    "customer_merge",
    "customer_update",
    "mentioned_agents",
    "message_add",
    "message_add_once",
    "message_mark_delivery",
    "messages_mark_failed",
    "note_add",
    "organization_save",
    "resolve_merged",
    "ticket_assign",
    "ticket_change_priority",
    "ticket_change_status",
    "ticket_change_subject",
    "ticket_create",
    "ticket_follow",
    "ticket_link",
    "ticket_merge",
    "ticket_reply",
    "ticket_set_tags",
    "ticket_split",
    "ticket_switch_channel",
    "ticket_unfollow",
    "ticket_unlink",
    "tickets_close_solved",
    "time_entry_add",
]
