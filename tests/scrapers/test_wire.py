"""Wire recordings: what a connection keeps once its exchange is handed to the archive."""

from tearsheet.scrapers.wire import _Recordings

KEY = (b"GET", b"http://127.0.0.1/page")


def test_taken_bytes_leave_the_connections_recording() -> None:
    recordings = _Recordings()
    held_by_connection = recordings.start(KEY)
    held_by_connection.request += b"GET /page HTTP/1.1\r\n\r\n"
    held_by_connection.response += b"HTTP/1.1 200 OK\r\n\r\n" + b"x" * 100_000

    taken = recordings.take(KEY)

    assert taken is not None
    assert taken.response.endswith(b"x" * 100_000)
    assert taken.request.startswith(b"GET /page")
    # An idle kept-alive connection still refers to its last recording: it must be empty.
    assert len(held_by_connection.response) == 0
    assert len(held_by_connection.request) == 0
    assert recordings.take(KEY) is None


def test_recordings_of_one_url_are_taken_in_the_order_sent() -> None:
    recordings = _Recordings()
    first, second = recordings.start(KEY), recordings.start(KEY)
    first.response += b"first"
    second.response += b"second"
    taken_first, taken_second = recordings.take(KEY), recordings.take(KEY)
    assert taken_first is not None and taken_second is not None
    assert (bytes(taken_first.response), bytes(taken_second.response)) == (b"first", b"second")
