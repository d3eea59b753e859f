"""Demo refunds and after-sales (退款/售后): one story per staff queue and state, each dated back from now through the
services (disputes.management.demo.clock). No sweep runs here: the one refund the merchant let time out is left for
the scheduler, which pays it on its first pass (until then it is the "overdue" queue's row)."""

from datetime import timedelta
from typing import Any

from disputes.management.demo.cast import Cast, photo
from disputes.management.demo.clock import Story
from disputes.models import RefundReason, RefundRequest, RefundType
from disputes.services.refunds.advances import refund_return_signed, refund_uphold_goods_refusal
from disputes.services.refunds.buyer import refund_apply, refund_cancel, refund_ship_return
from disputes.services.refunds.escalation import refund_request_intervention
from disputes.services.refunds.express import refund_express_claim, refund_express_decide
from disputes.services.refunds.merchant import (
    refund_agree,
    refund_confirm_goods,
    refund_refuse,
    refund_refuse_goods,
)

T = RefundType
R = RefundReason


class RefundStories:
    def __init__(self, cast: Cast) -> None:
        self.cast = cast
        self.now = cast.now

    def seed(self) -> None:
        self._waiting_for_the_merchant()
        self._returns()
        self._refused()
        self._express()
        self._closed()

    def apply(
        self,
        key: str,
        refund_type: str,
        reason: str,
        description: str,
        *,
        ago: timedelta,
        amount_fen: int | None = None,
        files: list[Any] | None = None,
        damage_guarantee: bool = False,
    ) -> tuple[RefundRequest, Story]:
        """The buyer of order `key` applies `ago`; the whole amount paid unless `amount_fen` says less."""
        item = self.cast.items[key]
        if amount_fen is None and refund_type in (T.REFUND_ONLY, T.RETURN_AND_REFUND):
            amount_fen = item.amount_paid_fen
        refund = refund_apply(
            actor=self.cast.buyer(key),
            order_item_id=item.pk,
            refund_type=refund_type,
            reason=reason,
            amount_fen=amount_fen,
            description=description,
            damage_guarantee=damage_guarantee,
            files=files,
        )
        return refund, Story(refund, self.now - ago)

    def refused(self, key: str, refund: RefundRequest, story: Story, reason: str, *, after: timedelta) -> None:
        story.wait(seconds=after.total_seconds())
        refund_refuse(
            actor=self.cast.merchant(key), refund_id=refund.pk, reason=reason, files=[photo("商家说明.jpg", 5)]
        )

    def _waiting_for_the_merchant(self) -> None:
        """Applied, the merchant silent: due later, due within the hour, and overdue (the scheduler's)."""
        _, story = self.apply(
            "paid", T.REFUND_ONLY, R.OTHER, "买多了一套，还没发货，申请退款。", ago=timedelta(hours=2)
        )
        story.finish()
        _, story = self.apply(
            "fresh",
            T.REFUND_ONLY,
            R.DAMAGED,
            "车厘子到货时有三分之一压烂出水。",
            ago=timedelta(hours=5),
            files=[photo("压烂的车厘子.jpg", 0)],
            damage_guarantee=True,
        )
        story.finish()
        _, story = self.apply(
            "lost_parcel",
            T.REFUND_ONLY,
            R.NOT_RECEIVED,
            "物流停在中转站 5 天没有更新，申请退款。",
            ago=timedelta(hours=47, minutes=30),
        )
        story.finish()
        _, story = self.apply(
            "rf_overdue",
            T.REFUND_ONLY,
            R.MISSING_PARTS,
            "礼盒少了 5 包，按单价申请退款 21.5 元。",
            ago=timedelta(hours=48, minutes=25),
            amount_fen=2150,
        )
        story.finish()

    def _returns(self) -> None:
        """Returns agreed: waiting for the buyer to ship, for the merchant to confirm (advanced), for the goods to
        come back repaired; paid with the advance settled; refused goods whose advance the buyer must repay."""
        cast, staff = self.cast, self.cast.staff
        refund, story = self.apply(
            "rf_wait_return", T.RETURN_AND_REFUND, R.NO_REASON, "尺码偏小，七天无理由退货。", ago=timedelta(hours=30)
        )
        story.wait(hours=4)
        refund_agree(actor=cast.merchant("rf_wait_return"), refund_id=refund.pk)
        story.finish()

        refund, story = self.apply(
            "rf_advanced",
            T.RETURN_AND_REFUND,
            R.QUALITY,
            "20 只开关中有 3 只按键卡死，整盒退货。",
            ago=timedelta(days=4),
            files=[photo("卡死的按键.jpg", 1)],
        )
        story.wait(hours=6)
        refund_agree(actor=cast.merchant("rf_advanced"), refund_id=refund.pk)
        story.wait(days=1)
        refund_ship_return(
            actor=cast.buyer("rf_advanced"), refund_id=refund.pk, carrier="顺丰速运", waybill="SF1402338816"
        )
        story.wait(days=2)
        refund_return_signed(actor=staff["agent"], refund_id=refund.pk)
        story.finish()

        refund, story = self.apply(
            "rf_repair", T.REPAIR, R.QUALITY, "左耳机没有声音，申请维修。", ago=timedelta(days=6)
        )
        story.wait(hours=3)
        refund_agree(actor=cast.merchant("rf_repair"), refund_id=refund.pk)
        story.wait(days=1)
        refund_ship_return(
            actor=cast.buyer("rf_repair"), refund_id=refund.pk, carrier="中通快递", waybill="ZT7760021935"
        )
        story.wait(days=3)
        refund_confirm_goods(actor=cast.merchant("rf_repair"), refund_id=refund.pk)
        story.finish()

        refund, story = self.apply(
            "rf_settled", T.RETURN_AND_REFUND, R.QUALITY, "坚果有哈喇味，整盒退货。", ago=timedelta(days=3)
        )
        story.wait(hours=3)
        refund_agree(actor=cast.merchant("rf_settled"), refund_id=refund.pk)
        story.wait(hours=5)
        refund_ship_return(
            actor=cast.buyer("rf_settled"), refund_id=refund.pk, carrier="圆通速递", waybill="YT3318520047"
        )
        story.wait(days=1)
        refund_confirm_goods(actor=cast.merchant("rf_settled"), refund_id=refund.pk)
        story.finish()

        refund, story = self.apply(
            "rf_repayment", T.RETURN_AND_REFUND, R.QUALITY, "置物架立柱弯曲，无法安装。", ago=timedelta(days=8)
        )
        story.wait(hours=5)
        refund_agree(actor=cast.merchant("rf_repayment"), refund_id=refund.pk)
        story.wait(days=1)
        refund_ship_return(
            actor=cast.buyer("rf_repayment"), refund_id=refund.pk, carrier="韵达快递", waybill="YD4312700582"
        )
        story.wait(days=3)
        refund_refuse_goods(
            actor=cast.merchant("rf_repayment"),
            refund_id=refund.pk,
            reason="退回的置物架缺少两根横杆，无法二次销售。",
            files=[photo("退回件缺件.jpg", 2)],
        )
        story.wait(days=1)
        refund_uphold_goods_refusal(
            actor=staff["senior"], refund_id=refund.pk, reason="物流签收照片显示退回件缺少横杆，支持商家拒收。"
        )
        story.finish()

    def _refused(self) -> None:
        """Refused: the buyer may still modify or escalate; and one the buyer took to the platform (客服介入)."""
        refund, story = self.apply(
            "rf_refused",
            T.REFUND_ONLY,
            R.NOT_AS_DESCRIBED,
            "水晶吊灯实物颜色偏黄，与详情页的冷白光不符。",
            ago=timedelta(days=2),
            files=[photo("实物灯光.jpg", 3)],
        )
        self.refused(
            "rf_refused", refund, story, "详情页已注明灯光为暖白 4000K，实物与描述一致。", after=timedelta(hours=6)
        )
        story.finish()

        refund, story = self.apply(
            "rf_intervention",
            T.REFUND_ONLY,
            R.QUALITY,
            "铺装一周后有 3 平方米地板开裂起拱。",
            ago=timedelta(days=4),
            amount_fen=71_700,
            files=[photo("地板起拱.jpg", 4)],
        )
        self.refused("rf_intervention", refund, story, "铺装后地面受潮导致，非质量问题。", after=timedelta(hours=7))
        story.wait(days=3, hours=14)
        refund_request_intervention(
            actor=self.cast.buyer("rf_intervention"),
            refund_id=refund.pk,
            reason="地面做过防潮处理，要求退还 3 平方米地板款。",
        )
        story.finish()

    def _express(self) -> None:
        """Express rights protection (极速维权): a claim waiting for staff, one verified (the platform advanced the
        refund, the merchant refused the goods, so the platform's case opened at once), one rejected."""
        cast, staff = self.cast, self.cast.staff
        refund, story = self.apply(
            "rf_express_claim",
            T.REFUND_ONLY,
            R.QUALITY,
            "油烟机开最大档仍满屋油烟，吸力明显不足。",
            ago=timedelta(days=3),
        )
        self.refused(
            "rf_express_claim",
            refund,
            story,
            "师傅上门检测吸力正常，烟道弯头过多所致，非质量问题。",
            after=timedelta(hours=8),
        )
        story.wait(hours=20)
        refund_express_claim(
            actor=cast.buyer("rf_express_claim"),
            refund_id=refund.pk,
            description="烟道按说明书安装，第三方检测风量只有标称的一半。",
            files=[photo("风量检测.jpg", 0)],
        )
        story.finish()

        refund, story = self.apply(
            "rf_express_case", T.REFUND_ONLY, R.QUALITY, "智能马桶座圈加热不工作，报错 E3。", ago=timedelta(days=6)
        )
        self.refused(
            "rf_express_case", refund, story, "E3 为使用不当，断电重启即可，非质量问题。", after=timedelta(hours=10)
        )
        story.wait(days=1)
        claim = refund_express_claim(
            actor=cast.buyer("rf_express_case"),
            refund_id=refund.pk,
            description="断电重启多次仍报 E3，附故障照片。",
            files=[photo("E3 报错.jpg", 1)],
        )
        story.wait(hours=3)
        refund_express_decide(
            actor=staff["senior"],
            claim_id=claim.pk,
            verified=True,
            reason="照片与报错代码一致，属质量问题，同意退货退款。",
        )
        story.wait(days=1)
        refund_ship_return(
            actor=cast.buyer("rf_express_case"), refund_id=refund.pk, carrier="德邦快递", waybill="DPK20983311"
        )
        story.wait(days=2)
        refund_refuse_goods(
            actor=cast.merchant("rf_express_case"),
            refund_id=refund.pk,
            reason="退回的马桶座圈有明显摔裂痕迹，拒绝收货。",
            files=[photo("座圈摔裂.jpg", 2)],
        )
        story.wait(hours=2)
        story.finish()

        refund, story = self.apply(
            "rf_express_rejected",
            T.REFUND_ONLY,
            R.DAMAGED,
            "空调外机运输中外壳凹陷，申请补偿 300 元。",
            ago=timedelta(days=3),
            amount_fen=30_000,
            files=[photo("外机凹陷.jpg", 3)],
        )
        self.refused(
            "rf_express_rejected", refund, story, "签收时未备注破损，外机不影响使用。", after=timedelta(hours=5)
        )
        story.wait(days=1)
        claim = refund_express_claim(
            actor=cast.buyer("rf_express_rejected"),
            refund_id=refund.pk,
            description="签收当日已拍照联系客服，外壳凹陷明显。",
            files=[photo("签收当日.jpg", 4)],
        )
        story.wait(hours=6)
        refund_express_decide(
            actor=staff["senior"],
            claim_id=claim.pk,
            verified=False,
            reason="凹陷不影响使用，商家已提出补发外壳，建议与商家协商。",
        )
        story.finish()

    def _closed(self) -> None:
        """Finished: paid on the merchant's agreement, and cancelled by the buyer."""
        refund, story = self.apply(
            "rf_paid", T.REFUND_ONLY, R.MISSING_PARTS, "少了 6 包坚果。", ago=timedelta(days=2), amount_fen=2580
        )
        story.wait(hours=2)
        refund_agree(actor=self.cast.merchant("rf_paid"), refund_id=refund.pk)
        story.finish()

        refund, story = self.apply(
            "rf_cancelled", T.RETURN_AND_REFUND, R.NO_REASON, "不喜欢这个款式，七天无理由退货。", ago=timedelta(days=2)
        )
        story.wait(hours=5)
        refund_cancel(actor=self.cast.buyer("rf_cancelled"), refund_id=refund.pk)
        story.finish()
