"""make demo's web server announces the admin and the API once it listens, and nothing else."""

from io import StringIO

from disputes.management.commands.demo_server import Command


def test_it_says_where_to_go_and_how_to_stop():
    out = StringIO()
    command = Command(stdout=out)
    command.addr, command._raw_ipv6 = "127.0.0.1", False
    command.on_bind(8791)
    assert out.getvalue().splitlines() == [
        "Admin http://127.0.0.1:8791/admin/ · API http://127.0.0.1:8791/api/ · "
        "API documentation http://127.0.0.1:8791/api/schema/swagger-ui/",
        "Ctrl-C stops the web server, the worker and the scheduler.",
    ]
