"""The vocabulary of platform intervention (客服介入 / 小二介入): grounds, channels, tiers, parties, stages,
outcomes (RULES.md section 4)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Ground(models.TextChoices):
    QUALITY = "quality", _("Quality problem (商品质量问题)")
    SERVICE_NOT_HONOURED = "service_not_honoured", _("After-sales service not honoured (售后服务未兑现)")
    FALSE_ADVERTISING = "false_advertising", _("False advertising (虚假宣传)")
    LOGISTICS_LOST = "logistics_lost", _("Logistics: lost (物流丢失)")
    LOGISTICS_DAMAGED = "logistics_damaged", _("Logistics: damaged (物流损坏)")
    LOGISTICS_NO_UPDATE = "logistics_no_update", _("Logistics: no updates (物流长时间未更新)")
    COUNTERFEIT = "counterfeit", _("Counterfeit goods (假冒伪劣)")
    FORCED_CONSUMPTION = "forced_consumption", _("Forced consumption (强制消费)")
    MALICIOUS_REVIEW = "malicious_review", _("Malicious review (恶意评价)")
    GOODS_REFUSED = "goods_refused", _("Merchant refused the returned goods (卖家拒绝收货)")


class Channel(models.TextChoices):
    ORDER_PAGE = "order_page", _("Order page (订单详情页)")
    ONLINE_CHAT = "online_chat", _("Online chat (在线客服)")
    PHONE = "phone", _("Phone (电话客服)")
    SENIOR = "senior", _("Senior-staff escalation (小二介入)")


class Tier(models.TextChoices):
    AGENT = "agent", _("Customer service (客服)")
    SENIOR = "senior", _("Senior staff (小二)")


class Party(models.TextChoices):
    BUYER = "buyer", _("Buyer")
    MERCHANT = "merchant", _("Merchant")
    STAFF = "staff", _("Staff")


class CaseState(models.TextChoices):
    APPLIED = "applied", _("Applied (需要客服介入)")
    REFUSED = "refused", _("Refused: outside the rules (不予受理)")
    EVIDENCE = "evidence", _("Evidence (举证中)")
    MEDIATION = "mediation", _("Mediation (调解中)")
    SUSPENDED = "suspended", _("Suspended (中止)")
    AGREED = "agreed", _("Closed by agreement (调解结案)")
    JUDGED = "judged", _("Judged, appeal window open (已判决)")
    APPEALED = "appealed", _("Appealed, awaiting review (申诉中)")
    FINAL = "final", _("Final (已结案)")
    WITHDRAWN = "withdrawn", _("Withdrawn (已撤销)")


OPEN_CASE_STATES = (CaseState.APPLIED, CaseState.EVIDENCE, CaseState.MEDIATION, CaseState.SUSPENDED)
WORKING_STATES = (CaseState.EVIDENCE, CaseState.MEDIATION)
# A case in these stages still decides its item (and refund): no second case opens on the item, and the parties do
# not settle the refund around it.
CASE_PENDING_STATES = (*OPEN_CASE_STATES, CaseState.JUDGED, CaseState.APPEALED)


class SuspendReason(models.TextChoices):
    BOTH_PARTIES = "both_parties", _("Both parties asked (双方申请)")
    COURT = "court", _("A party went to court (诉讼)")
    POLICE = "police", _("A party went to the police (报警)")


class ProposalStatus(models.TextChoices):
    OPEN = "open", _("Waiting for both parties")
    ACCEPTED = "accepted", _("Accepted by both: agreement")
    DECLINED = "declined", _("Declined")


class Outcome(models.TextChoices):
    FULL_REFUND = "full_refund", _("Full refund (全额退款)")
    PARTIAL_REFUND = "partial_refund", _("Partial refund (部分退款)")
    RETURN_REFUND = "return_refund", _("Return and refund (退货退款)")
    EXCHANGE = "exchange", _("Exchange (换货)")
    REPAIR = "repair", _("Repair (维修)")
    COMPENSATION = "compensation", _("Compensation (赔偿)")
    SUPPORT_MERCHANT = "support_merchant", _("Support the merchant (支持卖家)")
