"""Records hold what crossed the wire, byte for byte, over HTTP and HTTPS."""

import base64
import datetime
import gzip
import hashlib
import io
import ssl
import zlib
from pathlib import Path

import pytest
import sqlite_utils
from conftest import FAST_CRAWL, POOL, run_tearsheet
from rawserver import raw_server
from warcio.archiveiterator import ArchiveIterator
from warcio.bufferedreaders import ChunkedDataReader

pytestmark = pytest.mark.slow


def article(variant: str) -> bytes:
    """An article page; each path gets its own, so only true copies share a payload."""
    return (
        "<html><head><title>Harbour lights</title>"
        '<meta property="og:type" content="article"></head>'
        "<body><article><h1>Harbour lights</h1>"
        "<p>The harbour board switched on its new lights on Friday evening, three weeks late.</p>"
        "<p>Fishermen said the brighter beams made the narrow channel safer after dark"
        f" ({variant}).</p>"
        "</article></body></html>"
    ).encode()


def response(status: str, headers: list[str], body: bytes) -> bytes:
    return (
        f"HTTP/1.1 {status}\r\n" + "".join(f"{h}\r\n" for h in headers) + "\r\n"
    ).encode() + body


def chunked(body: bytes, size: int = 40) -> bytes:
    parts = [body[i : i + size] for i in range(0, len(body), size)]
    return b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in parts) + b"0\r\n\r\n"


HOME = (
    b"<html><body><h1>Index</h1>"
    + b"".join(
        b'<a href="/%s">%s</a> ' % (p.encode(), p.encode())
        for p in ("odd", "gz", "chunked", "moved", "missing", "copy", "copy-again")
    )
    + b"</body></html>"
)
GZ = gzip.compress(article("gzip"), mtime=0)
COPY = article("copy")
ROUTES = {
    "/": response("200 OK", ["Content-Type: text/html", f"Content-Length: {len(HOME)}"], HOME),
    "/odd": response(
        "200 Very Fine Indeed",
        [
            "content-TYPE: text/html; charset=utf-8",
            "X-Repeated: one",
            "x-repeated: two",
            "Set-Cookie: a=1; Path=/",
            "Set-Cookie: b=2; Path=/",
            "X-Spacing:   kept  ",
            f"Content-Length: {len(article('odd'))}",
        ],
        article("odd"),
    ),
    "/gz": response(
        "200 OK",
        ["Content-Type: text/html", "Content-Encoding: gzip", f"Content-Length: {len(GZ)}"],
        GZ,
    ),
    "/chunked": response(
        "200 OK",
        ["Content-Type: text/html", "Transfer-Encoding: chunked"],
        chunked(article("chunked")),
    ),
    "/moved": response("301 Moved Permanently", ["Location: /odd", "Content-Length: 0"], b""),
    "/copy": response("200 OK", ["Content-Type: text/html", f"Content-Length: {len(COPY)}"], COPY),
    "/copy-again": response(
        "200 OK", ["Content-Type: text/html; charset=utf-8", f"Content-Length: {len(COPY)}"], COPY
    ),
    "/robots.txt": response("404 Not Found", ["Content-Length: 0"], b""),
    "__default__": response(
        "404 Not Found", ["Content-Type: text/plain", "Content-Length: 4"], b"gone"
    ),
}
PATHS = ["/", "/odd", "/gz", "/chunked", "/moved", "/missing", "/copy", "/copy-again"]
COPIES = ("/copy", "/copy-again")


def tls_context(directory: Path) -> ssl.SSLContext:
    """A self-signed certificate for 127.0.0.1, made for the test."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "cert.pem", directory / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    return context


@pytest.fixture(scope="module", params=["http", "https"])
def crawl(request, tmp_path_factory):
    directory = tmp_path_factory.mktemp(request.param)
    tls = tls_context(directory) if request.param == "https" else None
    with raw_server(ROUTES, tls) as server:
        result = run_tearsheet(
            "crawl", *FAST_CRAWL, *POOL, f"{server.url}/", "-o", str(directory / "archive")
        )
    assert result.returncode == 0, result.stderr
    return server, directory / "archive"


def stored_blocks(archive: Path) -> dict[tuple[str, str], tuple[dict[str, str], bytes]]:
    """Each record's WARC headers and its block, cut from the file by hand."""
    blocks = {}
    for path in sorted((archive / "warc").iterdir()):
        data = path.read_bytes()
        with path.open("rb") as stream:
            iterator = ArchiveIterator(stream)
            offsets = [
                (iterator.get_record_offset(), iterator.get_record_length()) for _ in iterator
            ]
        for offset, length in offsets:
            member = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(
                data[offset : offset + length]
            )
            head, _, rest = member.partition(b"\r\n\r\n")
            fields = dict(line.split(": ", 1) for line in head.decode("utf-8").split("\r\n")[1:])
            block = rest[: int(fields["Content-Length"])]
            blocks[(fields["WARC-Type"], fields.get("WARC-Target-URI", ""))] = (fields, block)
    return blocks


def sha1(data: bytes) -> str:
    return "sha1:" + base64.b32encode(hashlib.sha1(data).digest()).decode()


@pytest.mark.parametrize("path", [p for p in PATHS if p not in COPIES])
def test_response_records_are_the_bytes_the_server_sent(crawl, path) -> None:
    server, archive = crawl
    fields, block = stored_blocks(archive)[("response", server.url + path)]
    sent = ROUTES.get(path, ROUTES["__default__"])
    assert block == sent
    assert fields["WARC-Block-Digest"] == sha1(sent)
    head, _, body = sent.partition(b"\r\n\r\n")
    entity = ChunkedDataReader(io.BytesIO(body)).read() if b"chunked" in head else body
    assert fields["WARC-Payload-Digest"] == sha1(entity)
    assert fields["WARC-IP-Address"] == "127.0.0.1"


@pytest.mark.parametrize("path", PATHS)
def test_request_records_are_the_bytes_the_server_received(crawl, path) -> None:
    server, archive = crawl
    blocks = stored_blocks(archive)
    fields, block = blocks[("request", server.url + path)]
    assert server.received[path] == [block], blocks.keys()
    assert fields["WARC-Block-Digest"] == sha1(block)
    # of the two copies, whichever was archived second is the revisit
    kinds = ("response", "revisit") if path in COPIES else ("response",)
    [answer] = [
        blocks[(kind, server.url + path)][0]
        for kind in kinds
        if (kind, server.url + path) in blocks
    ]
    assert fields["WARC-Concurrent-To"] == answer["WARC-Record-ID"]


def test_identical_payloads_become_revisit_records(crawl) -> None:
    server, archive = crawl
    blocks = stored_blocks(archive)
    kinds = {
        path: kind
        for (kind, url) in blocks
        for path in COPIES
        if url == server.url + path and kind in ("response", "revisit")
    }
    [first] = [path for path in COPIES if kinds[path] == "response"]
    [second] = [path for path in COPIES if kinds[path] == "revisit"]
    fields, block = blocks[("revisit", server.url + second)]
    original, _ = blocks[("response", server.url + first)]
    assert fields["WARC-Profile"].endswith("/revisit/identical-payload-digest")
    assert fields["WARC-Refers-To"] == original["WARC-Record-ID"]
    assert fields["WARC-Refers-To-Target-URI"] == server.url + first
    assert fields["WARC-Refers-To-Date"] == original["WARC-Date"]
    assert fields["WARC-Payload-Digest"] == original["WARC-Payload-Digest"]
    assert block == ROUTES[second].partition(b"\r\n\r\n")[0] + b"\r\n\r\n"  # the head only


def test_the_archive_passes_tearsheet_verify(crawl) -> None:
    result = run_tearsheet("verify", str(crawl[1]))
    assert result.returncode == 0, result.stdout
    assert "0 problems" in result.stderr


def test_articles_come_from_gzip_chunked_and_revisit_records_alike(crawl, tmp_path) -> None:
    server, archive = crawl
    live = sqlite_utils.Database(archive / "corpus.db")
    texts = {row["url"]: row["text"] for row in live["articles"].rows}
    for path in ("/odd", "/gz", "/chunked", *COPIES):
        assert "narrow channel safer after dark" in texts[server.url + path]
    rebuilt = tmp_path / "rebuilt.db"
    assert run_tearsheet("extract", str(archive), "-o", str(rebuilt)).returncode == 0
    again = sqlite_utils.Database(rebuilt)
    assert list(again["articles"].rows_where(order_by="url")) == list(
        live["articles"].rows_where(order_by="url")
    )
