#!/usr/bin/python3
"""A small HTTP server for tests/integration/fetch.sh, on 127.0.0.1.

Paths: /article.html (UTF-8 page), /redirect/N (302 chain of N hops to /article.html),
/missing (404), /slow (never answers until the test ends), /huge (9 MiB with a length),
/huge-stream (9 MiB, no length), /gzip (the article, gzip-encoded), /latin1 (ISO-8859-1,
charset in the header), /latin1-meta (windows-1252, charset only in <meta>), /ftp
(redirect to ftp://), /image.png (not text).  Writes DIR/ready with the port when it
listens; every request line is appended to DIR/requests.
"""
import argparse, gzip, http.server, os, socketserver, threading

ARTICLE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Harbour ferry gets a second boat | The Bay Courier</title>
<style>body { color: black }</style><script>var x = "<p>not text</p>";</script></head>
<body><nav><a href="/">Home</a> <a href="/news">News</a></nav>
<article><h1>Harbour ferry gets a second boat</h1>
<p class="byline">By Maria Lopes</p>
<time datetime="2024-03-05">5 March 2024</time>
<p>The harbour ferry will run a second boat from April, halving the wait at the busiest times of the day, the port authority said on Tuesday.</p>
<p>The new boat, built in a yard up the coast, carries <b>120 passengers</b> and twenty bicycles &amp; their riders.</p>
<p>Commuters have asked for a second boat for years, and a petition last autumn gathered more than four thousand names.</p>
</article>
<footer><p>Share</p><p>&copy; 2024 The Bay Courier. All rights reserved.</p></footer>
</body></html>
"""

LATIN1 = """<html><head><title>Caf\u00e9 terraces return to the old town</title></head>
<body><h1>Caf\u00e9 terraces return to the old town</h1>
<p>Caf\u00e9 owners in the old town may put their tables back on the square from May, the council decided after a year of talks.</p>
<p>The rules limit each terrace to half the width of the pavement in front of the caf\u00e9.</p>
</body></html>
"""


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        with open(os.path.join(self.server.dir, "requests"), "a") as f:
            f.write("%s %s\n" % (self.requestline, self.headers.get("User-Agent", "")))

    def send(self, code, body, ctype="text/html; charset=utf-8", extra=(), length=True):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        for k, v in extra:
            self.send_header(k, v)
        if length:
            self.send_header("Content-Length", str(len(body)))
        else:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_GET(self):
        p = self.path
        if p == "/article.html":
            self.send(200, ARTICLE.encode("utf-8"))
        elif p.startswith("/redirect/"):
            n = int(p.rsplit("/", 1)[1])
            to = "/article.html" if n <= 1 else "/redirect/%d" % (n - 1)
            self.send(302, b"", extra=[("Location", to)])
        elif p == "/ftp":
            self.send(302, b"", extra=[("Location", "ftp://127.0.0.1/article.html")])
        elif p == "/missing":
            self.send(404, b"<h1>Not found</h1>")
        elif p == "/slow":
            self.server.release.wait()
        elif p == "/huge":
            self.send(200, b"<p>" + b"word " * (9 << 18) + b"</p>")
        elif p == "/huge-stream":
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Connection", "close")
            self.end_headers()
            chunk = b"<p>" + b"words " * 10000 + b"</p>\n"
            try:
                for _ in range((9 << 20) // len(chunk) + 2):
                    self.wfile.write(chunk)
            except (BrokenPipeError, ConnectionResetError):
                pass
            self.close_connection = True
        elif p == "/gzip":
            if "gzip" not in self.headers.get("Accept-Encoding", ""):
                self.send(406, b"gzip only")
            else:
                self.send(200, gzip.compress(ARTICLE.encode("utf-8")),
                          extra=[("Content-Encoding", "gzip")])
        elif p == "/latin1":
            self.send(200, LATIN1.encode("iso-8859-1"), ctype="text/html; charset=ISO-8859-1")
        elif p == "/latin1-meta":
            body = LATIN1.replace("<head>", '<head><meta http-equiv="Content-Type" '
                                  'content="text/html; charset=windows-1252">')
            self.send(200, body.encode("cp1252"), ctype="text/html")
        elif p == "/image.png":
            self.send(200, b"\x89PNG\r\n\x1a\n", ctype="image/png")
        else:
            self.send(404, b"no such page")


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    a = ap.parse_args()
    srv = Server(("127.0.0.1", 0), Handler)
    srv.dir = a.dir
    srv.release = threading.Event()
    with open(os.path.join(a.dir, "ready.tmp"), "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(os.path.join(a.dir, "ready.tmp"), os.path.join(a.dir, "ready"))
    srv.serve_forever()


if __name__ == "__main__":
    main()
