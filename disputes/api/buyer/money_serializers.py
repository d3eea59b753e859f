"""What the buyer's app reads about its money and what it may raise: the points summary and entries, and the order
items with their services and actions (disputes.api.buyer.money)."""

from typing import Any

from django.urls import reverse
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from disputes.choices import ServiceKind
from disputes.models import BuyerPointsEntry, EntryKind, Order, OrderItem, Product
from disputes.selectors.order_items import ACTION_CHOICES, REFUSAL_CODES
from disputes.selectors.points import CASE_TYPE_CHOICES, case_reference


class CaseReferenceSerializer(serializers.Serializer):
    """A case by type and id: read it at /api/buyer/help-requests/{id}/, /api/buyer/refunds/{id}/ or
    /api/buyer/interventions/{id}/."""

    type = serializers.ChoiceField(choices=CASE_TYPE_CHOICES, read_only=True)
    id = serializers.IntegerField(read_only=True)


# --- points --------------------------------------------------------------------------------------------------------


@extend_schema_serializer(many=False)  # the summary answers `list` on /api/buyer/points/, but it is one object
class BuyerPointsSummarySerializer(serializers.Serializer):
    balance = serializers.IntegerField(
        read_only=True, help_text="Points now: the sum of every entry of the buyer's ledger. 100 points = 1 yuan (元)."
    )
    credited_total = serializers.IntegerField(read_only=True, help_text="The sum of the positive entries.")
    debited_total = serializers.IntegerField(
        read_only=True, help_text="The sum of the negative entries (reversals, adjustments), as a number ≤ 0."
    )
    entry_count = serializers.IntegerField(read_only=True, help_text="How many entries the ledger holds.")
    entries = serializers.SerializerMethodField(help_text="The entries, newest first.")

    @extend_schema_field(serializers.URLField())
    def get_entries(self, summary: dict[str, Any]) -> str:
        path = reverse("api:buyer-points-entry-list")
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


class BuyerPointsEntrySerializer(serializers.ModelSerializer):
    """One entry of the buyer's points ledger: written once, never changed; a mistake is put right by a reversal."""

    amount = serializers.IntegerField(read_only=True, help_text="Points, signed: positive credits the buyer.")
    kind_display = serializers.CharField(source="get_kind_display", read_only=True, help_text="The kind, in words.")
    memo = serializers.CharField(read_only=True, help_text="Why, in words (e.g. `HR-12 1-hour solution deadline ...`).")
    occurred_at = serializers.DateTimeField(
        read_only=True, help_text="When what it is for happened (e.g. the deadline a penalty is for)."
    )
    created_at = serializers.DateTimeField(read_only=True, help_text="When it was written; the list's order.")
    reverses = serializers.IntegerField(
        source="reverses_id", read_only=True, allow_null=True, help_text="The entry this reversal cancels."
    )
    reversed_by = serializers.IntegerField(
        source="reversed_by_id", read_only=True, allow_null=True, help_text="The reversal that cancelled this entry."
    )
    case = serializers.SerializerMethodField(help_text="The case it came from; null for a manual adjustment.")

    class Meta:
        model = BuyerPointsEntry
        fields = [
            "id",
            "amount",
            "kind",
            "kind_display",
            "memo",
            "occurred_at",
            "created_at",
            "reverses",
            "reversed_by",
            "case",
        ]
        read_only_fields = fields

    @extend_schema_field(CaseReferenceSerializer(allow_null=True))
    def get_case(self, entry: BuyerPointsEntry) -> dict[str, Any] | None:
        return case_reference(entry)


class BuyerPointsEntryFilter(filters.FilterSet):
    """Query parameters of GET /api/buyer/points-entries/."""

    kind = filters.MultipleChoiceFilter(
        choices=EntryKind.choices, help_text="One or more kinds; repeat the parameter for several."
    )
    occurred_after = filters.IsoDateTimeFilter(
        field_name="occurred_at", lookup_expr="gte", help_text="Occurred at or after."
    )
    occurred_before = filters.IsoDateTimeFilter(
        field_name="occurred_at", lookup_expr="lt", help_text="Occurred before."
    )

    class Meta:
        model = BuyerPointsEntry
        fields = ["kind"]


# --- order items ---------------------------------------------------------------------------------------------------


class BuyerOrderItemMerchantSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    shop_name = serializers.CharField(read_only=True)


class BuyerOrderItemOrderSerializer(serializers.ModelSerializer):
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    merchant = BuyerOrderItemMerchantSerializer(read_only=True)

    class Meta:
        model = Order
        fields = [
            "id",
            "order_no",
            "status",
            "status_display",
            "merchant",
            "city",
            "paid_at",
            "shipped_at",
            "signed_at",
            "succeeded_at",
        ]
        read_only_fields = fields


class BuyerOrderItemProductSerializer(serializers.ModelSerializer):
    category_path = serializers.CharField(read_only=True, help_text="The category, its levels separated by `/`.")
    seven_day_exclusion_display = serializers.CharField(source="get_seven_day_exclusion_display", read_only=True)

    class Meta:
        model = Product
        fields = [
            "id",
            "title",
            "category_path",
            "is_virtual",
            "seven_day_return",
            "seven_day_exclusion",
            "seven_day_exclusion_display",
            "after_sales_days",
        ]
        read_only_fields = fields


class BuyerOrderItemServiceSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ServiceKind.choices, read_only=True)
    # The body's key is `label`; DRF's metaclass takes declared fields out of the class, so this does not replace
    # Field.label at run time (as in disputes.api.common.ApiErrorSerializer); the stubs cannot know that.
    label = serializers.CharField(source="get_kind_display", read_only=True)  # type: ignore[assignment]


class BuyerOrderItemActionSerializer(serializers.Serializer):
    """Something the buyer may raise on the item, judged now by the rules its service applies."""

    action = serializers.ChoiceField(choices=ACTION_CHOICES, read_only=True)
    service_kind = serializers.ChoiceField(
        choices=ServiceKind.choices,
        read_only=True,
        allow_null=True,
        help_text="For `help_request`: the service to name when raising it (null when the item carries none).",
    )
    allowed = serializers.BooleanField(read_only=True, help_text="Whether the service would accept it now.")
    reason = serializers.ChoiceField(
        choices=[(code, code) for code in REFUSAL_CODES],
        read_only=True,
        allow_null=True,
        help_text="When not allowed: the code the raise operation would refuse it with (its 422 or 404 code).",
    )
    message = serializers.CharField(read_only=True, allow_null=True, help_text="When not allowed: why, in words.")
    until = serializers.DateTimeField(
        read_only=True,
        allow_null=True,
        help_text="Allowed: the last moment it stays allowed (that moment itself is still in time), or null when no "
        "window limits it (one-click help; a refund before the trade succeeded, unless a 7-day return's or a damage "
        "claim's own window runs). Refused because its window passed (`*_window_passed`): when the window closed. "
        "Refused for any other reason: null.",
    )
    seconds_left = serializers.IntegerField(
        read_only=True, allow_null=True, min_value=0, help_text="Whole seconds from now to `until`; 0 once passed."
    )
    case = CaseReferenceSerializer(
        read_only=True, allow_null=True, help_text="The open case in the way (`help_request_exists`, `refund_exists`)."
    )


class BuyerOrderItemSerializer(serializers.ModelSerializer):
    """One of the buyer's order items: what was bought, the services it carries, and what may be raised on it."""

    order = BuyerOrderItemOrderSerializer(read_only=True)
    product = BuyerOrderItemProductSerializer(read_only=True)
    refundable_fen = serializers.IntegerField(
        source="refundable_now_fen", read_only=True, help_text="What a refund may still ask for, in fen."
    )
    services = serializers.SerializerMethodField(help_text="The service commitments (服务承诺) the item carries.")
    actions = BuyerOrderItemActionSerializer(source="raise_actions", many=True, read_only=True)

    class Meta:
        model = OrderItem
        fields = [
            "id",
            "order",
            "product",
            "quantity",
            "amount_paid_fen",
            "refundable_fen",
            "seven_day_excluded_by_buyer",
            "services",
            "actions",
        ]
        read_only_fields = fields

    @extend_schema_field(BuyerOrderItemServiceSerializer(many=True))
    def get_services(self, item: OrderItem) -> list[dict[str, Any]]:
        commitments = sorted(item.commitments.all(), key=lambda commitment: commitment.pk)
        return list(BuyerOrderItemServiceSerializer(commitments, many=True).data)
