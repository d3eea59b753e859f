"""Who acts in the demo's stories (buyers, merchant and provider API users, staff), the order items they act on, and
the photos they send as evidence."""

import io
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw

from disputes.models import HelpRequest, OrderItem


@dataclass
class Cast:
    now: datetime
    items: dict[str, OrderItem]  # by order spec key (disputes.management.demo.data.ORDERS)
    merchant_users: dict[int, Any]  # by merchant id
    provider_users: dict[int, Any]  # by provider id
    staff: dict[str, Any]  # admin, agent, senior, supervisor

    def buyer(self, key: str) -> Any:
        """The user of the buyer of the order `key`."""
        return self.items[key].order.buyer.user

    def merchant(self, key: str) -> Any:
        """The API user of the merchant that sold the order `key`."""
        return self.merchant_users[self.items[key].order.merchant_id]

    def answering(self, request: HelpRequest) -> Any:
        """The API user that answers a help request: the designated provider, else the merchant."""
        if request.provider_id is not None:
            return self.provider_users[request.provider_id]
        return self.merchant_users[request.merchant_id]


# Distinct colours make distinct files: an appeal must bring a file not already on file (by its SHA-256).
_COLOURS = ((196, 80, 60), (70, 130, 180), (90, 160, 90), (200, 160, 60), (120, 90, 170), (60, 150, 150))


def photo(name: str, number: int = 0) -> SimpleUploadedFile:
    """A small JPEG standing for a buyer's or merchant's photo; `number` picks its colours, so each is its own file."""
    image = Image.new("RGB", (160, 120), _COLOURS[number % len(_COLOURS)])
    draw = ImageDraw.Draw(image)
    draw.rectangle((20 + number * 7 % 60, 20, 120, 100), outline=_COLOURS[(number + 3) % len(_COLOURS)], width=6)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=80)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")
