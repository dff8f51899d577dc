"""Ticket pages: the customer portal, the new-ticket form, a ticket, the engineer queue, downloads."""

from django.urls import path

from helpdesk.tickets.views import attachments, manage, pages, ratings, staff_new, tickets, workspace

urlpatterns = [
    path("portal/", pages.portal, name="portal"),
    path("portal/tickets/new/", tickets.ticket_new, name="ticket_new"),
    path("queue/", pages.queue, name="queue"),
    path("queue/tickets/new/", staff_new.staff_ticket_new, name="staff_ticket_new"),
    path("tickets/<int:pk>/", tickets.ticket_detail, name="ticket_detail"),
    path("tickets/<int:pk>/start-work/", tickets.ticket_start_work_view, name="ticket_start_work"),
    path("tickets/<int:pk>/reply/", tickets.ticket_reply, name="ticket_reply"),
    path("tickets/<int:pk>/transition/", tickets.ticket_transition_view, name="ticket_transition"),
    path("tickets/<int:pk>/downgrade/", tickets.ticket_downgrade_view, name="ticket_downgrade"),
    path("tickets/<int:pk>/upgrade/", tickets.ticket_upgrade_view, name="ticket_upgrade"),
    path("tickets/<int:pk>/rating/", ratings.ticket_rating, name="ticket_rating"),
    path("rate/<str:token>/", ratings.rate_from_mail, name="rate_from_mail"),
    path("tickets/<int:pk>/assign/", workspace.ticket_assign_view, name="ticket_assign"),
    path("queue/counters/", pages.queue_counters, name="queue_counters"),
    path("queue/alerts/", workspace.queue_alerts_view, name="queue_alerts"),
    path("queue/bulk/", workspace.queue_bulk_view, name="queue_bulk"),
    path("queue/views/", workspace.saved_view_create_view, name="saved_view_create"),
    path("queue/views/<int:pk>/delete/", workspace.saved_view_delete_view, name="saved_view_delete"),
    path("workspace/tags/", manage.tag_list, name="tag_list"),
    path("workspace/tags/<int:pk>/", manage.tag_edit, name="tag_edit"),
    path("workspace/tags/<int:pk>/delete/", manage.tag_delete_view, name="tag_delete"),
    path("workspace/canned-replies/", manage.canned_reply_list, name="canned_reply_list"),
    path("workspace/canned-replies/new/", manage.canned_reply_new, name="canned_reply_new"),
    path("workspace/canned-replies/<int:pk>/", manage.canned_reply_edit, name="canned_reply_edit"),
    path(
        "workspace/canned-replies/<int:pk>/delete/",
        manage.canned_reply_delete_view,
        name="canned_reply_delete",
    ),
    path("attachments/<int:pk>/", attachments.attachment_download, name="attachment_download"),
]
