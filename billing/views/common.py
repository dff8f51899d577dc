"""What the billing pages share: paging and the claim badges."""

from django.core.paginator import Paginator

from billing.models import ClaimStatus

PER_PAGE = 50
CLAIM_BADGES = {
    ClaimStatus.PENDING: "badge--status-new",
    ClaimStatus.APPROVED: "badge--status-resolved",
    ClaimStatus.DENIED: "badge--priority-high",
}


def _page(request, rows):
    return Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))


def _query_without_page(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()
