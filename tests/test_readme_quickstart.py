"""The README's API quickstart works as printed: its curl lines, read out of README.md, replayed against a fresh
demo (seed_demo) through the test client, in order. Ids are a fresh demo's; on a database whose id sequences do not
start afresh (PostgreSQL keeps them across tests), each is moved by where its table's ids began."""

import re
import shlex
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from disputes.models import HelpRequest, OrderItem, RefundRequest

README = Path(__file__).resolve().parent.parent / "README.md"
BASE = "http://127.0.0.1:8000"
# Where an id stands in a path or a body, and the table it counts in.
IDS = (
    (re.compile(r"(/help-requests/)(\d+)(/)"), HelpRequest),
    (re.compile(r"(/refunds/)(\d+)(/)"), RefundRequest),
    (re.compile(r'("order_item": )(\d+)()'), OrderItem),
    (re.compile(r"(/order-items/)(\d+)(/)"), OrderItem),
)


def quickstart_commands() -> list[list[str]]:
    """The curl commands of the README's "API quickstart" section, each as its words."""
    text = README.read_text(encoding="utf-8")
    section = text.split("## API quickstart", 1)[1].split("\n## ", 1)[0]
    commands = []
    for block in re.findall(r"```sh\n(.*?)```", section, re.S):
        for line in block.replace("\\\n", " ").splitlines():
            if line.strip().startswith("curl "):
                commands.append(shlex.split(line))
    return commands


def call(client: APIClient, words: list[str], offsets: dict[type, int]):
    method, headers, body, url = "GET", {}, None, None
    words = iter(words[1:])
    for word in words:
        if word == "-X":
            method = next(words)
        elif word == "-H":
            name, value = next(words).split(": ", 1)
            headers[name] = value
        elif word == "-d":
            body = next(words)
            method = "POST" if method == "GET" else method
        elif word.startswith("-"):
            assert word in ("-s", "-i"), word
        else:
            url = word
    assert url is not None and url.startswith(BASE), url
    path = url[len(BASE) :]
    for pattern, model in IDS:
        path = pattern.sub(lambda m, model=model: f"{m[1]}{int(m[2]) + offsets[model]}{m[3]}", path)
        if body is not None:
            body = pattern.sub(lambda m, model=model: f"{m[1]}{int(m[2]) + offsets[model]}{m[3]}", body)
    content_type = headers.pop("Content-Type", None)
    extra = {"HTTP_" + name.upper().replace("-", "_"): value for name, value in headers.items()}
    if method == "GET":
        return client.get(path, **extra)
    return client.generic(method, path, data=(body or "").encode(), content_type=content_type, **extra)


@pytest.mark.django_db
def test_the_quickstart_works_against_a_fresh_demo(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "private-media"
    call_command("seed_demo", stdout=StringIO())
    offsets = {model: model.objects.order_by("pk").values_list("pk", flat=True)[0] - 1 for _, model in IDS}
    commands = quickstart_commands()
    assert len(commands) >= 6
    client = APIClient()
    for words in commands:
        response = call(client, words, offsets)
        assert 200 <= response.status_code < 300, (" ".join(words), response.status_code, response.content[:300])
        if "Idempotency-Key: lina-nuts-0001" in words:
            again = call(client, words, offsets)
            assert again.status_code == response.status_code
            assert again["Idempotent-Replayed"] == "true"
            assert again.json()["id"] == response.json()["id"]
    # What the README says the calls did.
    request = HelpRequest.objects.get(pk=8 + offsets[HelpRequest])
    assert (request.merchant.shop_name, request.state) == ("筑石建材旗舰店", "solution_given")
    refund = RefundRequest.objects.get(pk=1 + offsets[RefundRequest])
    assert (refund.merchant.shop_name, refund.state) == ("栖木家居旗舰店", "success")
    applied = RefundRequest.objects.get(order_item_id=51 + offsets[OrderItem])
    assert (applied.buyer.user.username, applied.amount_fen) == ("buyer_lina", 1290)
