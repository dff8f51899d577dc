"""The v1 API of billing: claims (approve, deny), vouchers, account months, close-month, invoices
(and their PDF), termination requests (confirm, decline) and subscription terms.

Same conventions as helpdesk.api: token-then-session auth (anonymous is a 401), querysets
from access.py through billing.selectors (another account's object is a 404), a role that
may not act is a 403 decided after the lookup, every write through billing.services.
Money is a decimal string in the currency's minor unit, with the currency beside it."""

import zoneinfo

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
)
from rest_framework import generics, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.negotiation import BaseContentNegotiation, DefaultContentNegotiation
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from billing import access, automatic, selectors
from billing.api.serializers import (
    AccountMonthSerializer,
    ClaimApproveSerializer,
    ClaimCreateSerializer,
    ClaimDenySerializer,
    ClaimFilterSerializer,
    ClaimSerializer,
    CloseMonthSerializer,
    InvoiceFilterSerializer,
    InvoiceSerializer,
    MarkPaidSerializer,
    MissExcludeSerializer,
    MonthCloseResponseSerializer,
    SubscriptionCreateSerializer,
    SubscriptionFilterSerializer,
    SubscriptionSerializer,
    TerminationConfirmSerializer,
    TerminationDeclineSerializer,
    TerminationFilterSerializer,
    TerminationRequestCreateSerializer,
    TerminationRequestSerializer,
    VoucherFilterSerializer,
    VoucherSerializer,
)
from billing.documents import statement_pdf
from billing.pdf import invoice_pdf
from billing.services import terminations
from billing.services.claims import claim_approve, claim_deny, claim_open, claim_open_uptime
from billing.services.disputes import dispute_open
from billing.services.exclusions import failure_exclude
from billing.services.invoices import invoice_mark_paid, month_close
from billing.services.months import month_label, support_today
from billing.services.subscriptions import subscription_change
from billing.statements import statement_data
from helpdesk.kit import roles
from helpdesk.kit.api import PledgeAPIMixin
from helpdesk.kit.months import is_month
from sla.clocks import selectors as clocks_selectors
from sla.clocks.api.serializers import MissSerializer

# --- permissions -----------------------------------------------------------------------------


class MayReadClaims(BasePermission):
    message = "Your role may not see claims."

    def has_permission(self, request, view) -> bool:
        return access.may_read_claims(request.user)


class MayReadMoney(BasePermission):
    message = "Only billing admins and the account's customers see vouchers and invoices."

    def has_permission(self, request, view) -> bool:
        return access.may_read_money(request.user)


class MayDecideClaims(BasePermission):
    message = "Only billing admins decide claims."

    def has_object_permission(self, request, view, obj) -> bool:
        return access.may_decide_claims(request.user)


class MayMarkPaid(BasePermission):
    message = "Only billing admins record payments."

    def has_object_permission(self, request, view, obj) -> bool:
        return access.may_mark_invoices_paid(request.user)


class MayCloseMonths(BasePermission):
    message = "Only billing admins close months."

    def has_permission(self, request, view) -> bool:
        return access.may_close_months(request.user)


class MayReadTerminations(BasePermission):
    message = "Only billing admins and the account's customers see termination requests."

    def has_permission(self, request, view) -> bool:
        return access.may_read_terminations(request.user)


class MayDecideTerminations(BasePermission):
    message = "Only billing admins decide terminations."

    def has_object_permission(self, request, view, obj) -> bool:
        return access.may_decide_terminations(request.user)


class MayReadSubscriptions(BasePermission):
    message = "Only billing admins and the account's customers see subscription terms."

    def has_permission(self, request, view) -> bool:
        return access.may_read_subscriptions(request.user)


class MayReadAccountMonths(BasePermission):
    message = "Your role may not see account months."

    def has_permission(self, request, view) -> bool:
        return access.may_read_account_months(request.user)


@extend_schema_view(
    list=extend_schema(parameters=[ClaimFilterSerializer]),
    create=extend_schema(request=ClaimCreateSerializer, responses={201: ClaimSerializer}),
)
class ClaimViewSet(PledgeAPIMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Compensation claims: a customer applies for their account's miss or uptime shortfall; billing
    admins decide."""

    serializer_class = ClaimSerializer
    permission_classes = [IsAuthenticated, MayReadClaims]

    def get_queryset(self):
        now = timezone.now()
        if self.action != "list":
            return selectors.claims_for(user=self.request.user, now=now)
        filters = ClaimFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        return selectors.claims_for(user=self.request.user, now=now, **filters.validated_data)

    def create(self, request):
        roles.require(access.may_open_claims(request.user), "Compensation is applied for by the customer.")
        data = self.validated(ClaimCreateSerializer)
        if data.get("ticket") is not None:
            ticket = get_object_or_404(automatic.disputable_tickets(user=request.user), pk=data["ticket"])
            claim = dispute_open(ticket=ticket, created_by=request.user, note=data["note"])
        elif data.get("uptime_shortfall") is not None:
            shortfall = get_object_or_404(
                selectors.claimable_shortfalls(user=request.user), pk=data["uptime_shortfall"]
            )
            claim = claim_open_uptime(shortfall=shortfall, created_by=request.user, note=data["note"])
        else:
            miss = get_object_or_404(selectors.claimable_misses(user=request.user), pk=data["miss"])
            claim = claim_open(miss=miss, created_by=request.user, note=data["note"])
        return self.render(claim, status_code=status.HTTP_201_CREATED)

    @extend_schema(request=ClaimApproveSerializer, responses=ClaimSerializer)
    @action(
        detail=True, methods=["post"], permission_classes=[IsAuthenticated, MayReadClaims, MayDecideClaims]
    )
    def approve(self, request, pk=None):
        """Approve and issue the voucher (capped to what the month has left). Decided already: 409.

        A dispute is upheld: the miss it names is recorded first, then paid like any other.
        """
        claim = self.get_object()
        data = self.validated(ClaimApproveSerializer)
        claim = claim_approve(claim=claim, actor=request.user, lateness_seconds=data["lateness_seconds"])
        return self.render(claim)

    @extend_schema(request=ClaimDenySerializer, responses=ClaimSerializer)
    @action(
        detail=True, methods=["post"], permission_classes=[IsAuthenticated, MayReadClaims, MayDecideClaims]
    )
    def deny(self, request, pk=None):
        """Deny with one of the exclusion reasons (other needs a note). Decided already: 409."""
        claim = self.get_object()
        data = self.validated(ClaimDenySerializer)
        claim = claim_deny(claim=claim, actor=request.user, reason=data["reason"], note=data["note"])
        return self.render(claim)


@extend_schema_view(list=extend_schema(parameters=[VoucherFilterSerializer]))
class VoucherViewSet(PledgeAPIMixin, viewsets.ReadOnlyModelViewSet):
    """Vouchers: a customer's own account's, every account's for billing admins."""

    serializer_class = VoucherSerializer
    permission_classes = [IsAuthenticated, MayReadMoney]

    def get_queryset(self):
        if self.action != "list":
            return selectors.vouchers_for(user=self.request.user)
        filters = VoucherFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        return selectors.vouchers_for(user=self.request.user, **filters.validated_data)


class PDFNegotiation(BaseContentNegotiation):
    """The PDF is sent whatever the client says it accepts; when it cannot be, the error is JSON."""

    def select_parser(self, request, parsers):
        return parsers[0]

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


def viewer_zone(user) -> zoneinfo.ZoneInfo:
    """The zone the invoice page prints in for this user (helpdesk.middleware's rule): their own, else
    the support zone. An API request authenticates by token after the middleware ran, so it is read here."""
    try:
        return zoneinfo.ZoneInfo(user.timezone) if user.timezone else timezone.get_default_timezone()
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return timezone.get_default_timezone()


@extend_schema_view(list=extend_schema(parameters=[InvoiceFilterSerializer]))
class InvoiceViewSet(PledgeAPIMixin, viewsets.ReadOnlyModelViewSet):
    """Invoices: a customer's own account's, every account's for billing admins. Never changed once issued."""

    serializer_class = InvoiceSerializer
    permission_classes = [IsAuthenticated, MayReadMoney]

    def get_queryset(self):
        if self.action != "list":
            return selectors.invoices_for(user=self.request.user)
        filters = InvoiceFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        return selectors.invoices_for(user=self.request.user, today=support_today(), **filters.validated_data)

    @extend_schema(request=MarkPaidSerializer, responses=InvoiceSerializer)
    @action(
        detail=True,
        methods=["post"],
        url_path="mark-paid",
        permission_classes=[IsAuthenticated, MayReadMoney, MayMarkPaid],
    )
    def mark_paid(self, request, pk=None):
        """Record the payment (billing admins), at `paid_at` or now. Paid already: 409."""
        invoice = self.get_object()
        paid_at = self.validated(MarkPaidSerializer).get("paid_at")
        invoice = invoice_mark_paid(invoice=invoice, actor=request.user, paid_at=paid_at)
        return self.render(invoice)

    @extend_schema(
        responses={(200, "application/pdf"): OpenApiTypes.BINARY},
        description="The invoice as a PDF: the same file as the invoice page's download, as an attachment.",
    )
    @action(
        detail=True,
        methods=["get"],
        renderer_classes=[JSONRenderer],
        content_negotiation_class=PDFNegotiation,
    )
    def pdf(self, request, pk=None):
        invoice = selectors.invoice_for(user=request.user, pk=pk)
        body = invoice_pdf(
            invoice=invoice,
            lines=list(invoice.lines.all()),
            zone=viewer_zone(request.user),
        )
        response = HttpResponse(body, content_type="application/pdf")
        response["Content-Disposition"] = (
            f'attachment; filename="pledge-invoice-{invoice.pk}-{invoice.month}.pdf"'
        )
        response["X-Content-Type-Options"] = "nosniff"
        return response


@extend_schema_view(
    list=extend_schema(parameters=[TerminationFilterSerializer]),
    create=extend_schema(
        request=TerminationRequestCreateSerializer, responses={201: TerminationRequestSerializer}
    ),
)
class TerminationRequestViewSet(
    PledgeAPIMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Termination without penalty: the account's customer asks on the ground of a flagged month (one
    request open at a time: 409), a billing admin confirms or declines (decided already: 409)."""

    serializer_class = TerminationRequestSerializer
    permission_classes = [IsAuthenticated, MayReadTerminations]

    def get_queryset(self):
        if self.action != "list":
            return selectors.termination_requests_for(user=self.request.user)
        filters = TerminationFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        return selectors.termination_requests_for(user=self.request.user, **filters.validated_data)

    def create(self, request):
        user = request.user
        account = user.account if roles.is_customer(user) else None
        roles.require(
            account is not None and access.may_request_termination(user, account),
            "Termination is requested by the account's customer.",
        )
        data = self.validated(TerminationRequestCreateSerializer)
        termination = terminations.termination_request(
            account=account, month=data["month"], requested_by=user, note=data["note"]
        )
        return self.render(termination, status_code=status.HTTP_201_CREATED)

    @extend_schema(request=TerminationConfirmSerializer, responses=TerminationRequestSerializer)
    @action(
        detail=True,
        methods=["post"],
        permission_classes=[IsAuthenticated, MayReadTerminations, MayDecideTerminations],
    )
    def confirm(self, request, pk=None):
        """Confirm: the subscription ends at the end of the period now running (ends_on), with no fee."""
        termination = self.get_object()
        data = self.validated(TerminationConfirmSerializer)
        termination = terminations.termination_confirm(
            request=termination, actor=request.user, note=data["note"]
        )
        return self.render(termination)

    @extend_schema(request=TerminationDeclineSerializer, responses=TerminationRequestSerializer)
    @action(
        detail=True,
        methods=["post"],
        permission_classes=[IsAuthenticated, MayReadTerminations, MayDecideTerminations],
    )
    def decline(self, request, pk=None):
        """Decline, saying why (a note is required); the customer may ask again."""
        termination = self.get_object()
        data = self.validated(TerminationDeclineSerializer)
        termination = terminations.termination_decline(
            request=termination, actor=request.user, note=data["note"]
        )
        return self.render(termination)


@extend_schema_view(
    list=extend_schema(parameters=[SubscriptionFilterSerializer]),
    create=extend_schema(request=SubscriptionCreateSerializer, responses={201: SubscriptionSerializer}),
)
class SubscriptionViewSet(
    PledgeAPIMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Subscription terms over time: a plan and a monthly fee from a month on. Billing admins read every
    account's and add terms; a customer reads their own account's. Terms starting on the same day as
    existing ones replace them."""

    serializer_class = SubscriptionSerializer
    permission_classes = [IsAuthenticated, MayReadSubscriptions]

    def get_queryset(self):
        if self.action != "list":
            return selectors.subscriptions_for(user=self.request.user)
        filters = SubscriptionFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        return selectors.subscriptions_for(user=self.request.user, **filters.validated_data)

    def create(self, request):
        roles.require(
            access.may_manage_subscriptions(request.user), "Only billing admins change subscriptions."
        )
        data = self.validated(SubscriptionCreateSerializer)
        subscription = subscription_change(
            account=data["account"],
            starts_on=data["starts_on"],
            plan=data["plan"],
            monthly_fee=data["monthly_fee"],
            currency=data.get("currency"),
            actor=request.user,
            note=data["note"],
        )
        return self.render(subscription, status_code=status.HTTP_201_CREATED)


class CloseMonthView(PledgeAPIMixin, generics.GenericAPIView):
    """Close a month: issue its invoices (idempotent) and return them, paginated like /invoices/."""

    serializer_class = InvoiceSerializer
    permission_classes = [IsAuthenticated, MayCloseMonths]

    def get_queryset(self):
        return selectors.invoices_for(user=self.request.user)

    @extend_schema(request=CloseMonthSerializer, responses=MonthCloseResponseSerializer)
    def post(self, request):
        month = self.validated(CloseMonthSerializer)["month"]
        result = month_close(month=month, actor=request.user)
        invoices = selectors.invoices_for(user=request.user, month=month)
        page = self.paginate_queryset(invoices)
        paginated = self.get_paginated_response(self.get_serializer(page, many=True).data).data
        base = request.build_absolute_uri("/api/v1/invoices/")
        paginator = self.paginator
        return Response(
            {
                "month": month,
                "issued": result.issued,
                "already_issued": result.already_issued,
                "count": paginated["count"],
                "next": f"{base}?month={month}&page={paginator.page.next_page_number()}"
                if paginator.page.has_next()
                else None,
                "previous": None,
                "results": paginated["results"],
            }
        )


class AccountMonthView(PledgeAPIMixin, APIView):
    """One account's month: misses, counted misses, termination eligibility, vouchers and the cap."""

    permission_classes = [IsAuthenticated, MayReadAccountMonths]

    @extend_schema(
        responses=AccountMonthSerializer,
        parameters=[
            OpenApiParameter("month", OpenApiTypes.STR, OpenApiParameter.PATH, description="YYYY-MM")
        ],
    )
    def get(self, request, account_id: int, month: str):
        account = selectors.account_for(user=request.user, pk=account_id)
        if not is_month(month):
            raise serializers.ValidationError(
                {"month": ["Give a month as YYYY-MM, between 2000-01 and 2100-12."]}
            )
        summary = selectors.account_month_summary(account=account, month=month)
        return Response(AccountMonthSerializer(summary).data)


class MissExcludeView(PledgeAPIMixin, generics.GenericAPIView):
    """Exclude a miss for a contract reason, without a claim (billing admins): it stops counting."""

    serializer_class = MissSerializer
    permission_classes = [IsAuthenticated]

    def get_queryset(self):
        return clocks_selectors.misses_for(user=self.request.user, now=timezone.now())

    @extend_schema(request=MissExcludeSerializer, responses=MissSerializer)
    def post(self, request, pk: int):
        miss = get_object_or_404(self.get_queryset(), pk=pk)
        roles.require(access.may_decide_claims(request.user), "Only billing admins exclude failures.")
        fields = self.validated(MissExcludeSerializer)
        miss = failure_exclude(miss=miss, actor=request.user, reason=fields["reason"], note=fields["note"])
        return self.render(miss)


class PDFRenderer(BaseRenderer):
    """Bytes already made into a PDF (billing.documents), sent as they are."""

    media_type = "application/pdf"
    format = "pdf"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data


class StatementNegotiation(DefaultContentNegotiation):
    """JSON, or the PDF for `?format=pdf` (or `Accept: application/pdf`); another `format` is a 400.

    DRF reads `format` from the query string itself, and would answer an unknown one with a bare 404.
    """

    FORMATS = ("json", "pdf")

    def select_renderer(self, request, renderers, format_suffix=None):
        wanted = request.query_params.get(self.settings.URL_FORMAT_OVERRIDE)
        if wanted is not None and wanted not in self.FORMATS:
            raise serializers.ValidationError({"format": [f"Choose one of: {', '.join(self.FORMATS)}."]})
        return super().select_renderer(request, renderers, format_suffix)


def _statement_response(*, request, account_id: int, month: str, pdf: bool):
    account = selectors.account_for(user=request.user, pk=account_id)
    if not is_month(month):
        raise serializers.ValidationError(
            {"month": ["Give a month as YYYY-MM, between 2000-01 and 2100-12."]}
        )
    data = statement_data(account=account, month=month, user=request.user, now=timezone.now())
    if not pdf:
        return Response(data)
    response = HttpResponse(
        statement_pdf(data, month_name=month_label(month)), content_type="application/pdf"
    )
    response["Content-Disposition"] = f'attachment; filename="statement-{account.pk}-{month}.pdf"'
    return response


class StatementView(PledgeAPIMixin, APIView):
    """An account's monthly SLA statement, once the month is closed (its customers and billing admins).

    JSON; `?format=pdf` gives the PDF, as `.../pdf/` does.
    """

    permission_classes = [IsAuthenticated, MayReadMoney]
    renderer_classes = [JSONRenderer, PDFRenderer]
    content_negotiation_class = StatementNegotiation

    def handle_exception(self, exc):
        # An error is JSON even when the PDF was asked for.
        self.request.accepted_renderer, self.request.accepted_media_type = JSONRenderer(), "application/json"
        return super().handle_exception(exc)

    @extend_schema(
        responses={
            (200, "application/json"): OpenApiTypes.OBJECT,
            (200, "application/pdf"): OpenApiTypes.BINARY,
        },
        parameters=[
            OpenApiParameter("month", OpenApiTypes.STR, OpenApiParameter.PATH, description="YYYY-MM"),
            OpenApiParameter("format", OpenApiTypes.STR, enum=["json", "pdf"], description="pdf: the PDF"),
        ],
    )
    def get(self, request, account_id: int, month: str):
        pdf = request.accepted_renderer.format == "pdf"
        return _statement_response(request=request, account_id=account_id, month=month, pdf=pdf)


class StatementPdfView(PledgeAPIMixin, APIView):
    """The statement as a PDF (the same data as the JSON)."""

    permission_classes = [IsAuthenticated, MayReadMoney]

    @extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    def get(self, request, account_id: int, month: str):
        return _statement_response(request=request, account_id=account_id, month=month, pdf=True)
