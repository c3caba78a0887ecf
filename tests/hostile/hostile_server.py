# SPDX-License-Identifier: GPL-3.0-or-later
"""A small HTTP server that speaks the apimodels.app video API and is
scripted, case by case, to misbehave.

It is deliberately not the simulator: it knows nothing of Clapboard's own
rules and answers whatever a test tells it to. Every request is recorded
(method, path, headers, size of the body received, bytes sent back) so that
a test can count what the client did.

Standard library only; runs on 127.0.0.1 (or any address given), port 0.
"""

import http.server
import json
import random
import socket
import socketserver
import string
import threading
import time
import urllib.parse
import zlib

API_PATH = '/api/v1/video/generations'
FILES_PATH = '/api/v1/files'


def new_task_id():
    """A task id as the provider makes them: cl + 24 lowercase letters and digits."""
    alphabet = string.ascii_lowercase + string.digits
    return 'cl' + ''.join(random.choice(alphabet) for _ in range(24))


def envelope(data, code=200, msg='success'):
    return {'code': code, 'msg': msg, 'data': data}


def deep_json(levels, inner='1'):
    """A JSON value nested @levels deep: [[[...1...]]] (2 * levels bytes)."""
    return '[' * levels + inner + ']' * levels


class Reply:
    """What to answer: a status, headers and a body (bytes), sent with a
    Content-Length unless told otherwise."""

    def __init__(self, status=200, body=b'', content_type='application/json',
                 headers=None, close=False):
        self.status = status
        self.body = body if isinstance(body, bytes) else body.encode('utf-8')
        self.headers = list(headers or [])
        self.content_type = content_type
        self.close = close

    def send(self, handler):
        handler.send_response(self.status)
        if self.content_type is not None:
            handler.send_header('Content-Type', self.content_type)
        for name, value in self.headers:
            handler.send_header(name, value)
        handler.send_header('Content-Length', str(len(self.body)))
        if self.close:
            handler.send_header('Connection', 'close')
            handler.close_connection = True
        handler.end_headers()
        if handler.command != 'HEAD':
            handler.wfile.write(self.body)


def json_reply(obj, status=200, headers=None):
    return Reply(status, json.dumps(obj, ensure_ascii=False).encode('utf-8'),
                 'application/json', headers)


def raw_json_reply(text, status=200):
    """A JSON body given as text (for shapes json.dumps cannot make, such as
    a value nested deeper than Python recurses)."""
    return Reply(status, text.encode('utf-8'), 'application/json')


class Redirect(Reply):
    def __init__(self, location, status=302):
        super().__init__(status, b'', None, [('Location', location)])


class Chunked:
    """A chunked body from a generator of byte strings. Stops, closing the
    connection without the last chunk, once @limit bytes were written or
    the client went away."""

    def __init__(self, chunks, content_type='video/mp4', status=200, headers=None,
                 finish=True):
        self.chunks = chunks
        self.content_type = content_type
        self.status = status
        self.headers = list(headers or [])
        self.finish = finish

    def send(self, handler):
        handler.send_response(self.status)
        handler.send_header('Content-Type', self.content_type)
        for name, value in self.headers:
            handler.send_header(name, value)
        handler.send_header('Transfer-Encoding', 'chunked')
        handler.end_headers()
        completed = True
        try:
            for chunk in self.chunks:
                if not chunk:
                    continue
                handler.wfile.write(b'%x\r\n' % len(chunk) + chunk + b'\r\n')
        except (BrokenPipeError, ConnectionResetError, socket.timeout, OSError):
            completed = False
        if completed and self.finish:
            try:
                handler.wfile.write(b'0\r\n\r\n')
            except OSError:
                pass
        else:
            handler.close_connection = True


class Declared:
    """A body that declares @length bytes and sends at most @limit of them
    (the start of @prefix, then zeros), then closes the connection."""

    def __init__(self, length, prefix=b'', limit=None, content_type='video/mp4'):
        self.length = length
        self.prefix = prefix
        self.limit = length if limit is None else min(limit, length)
        self.content_type = content_type

    def send(self, handler):
        handler.send_response(200)
        handler.send_header('Content-Type', self.content_type)
        handler.send_header('Content-Length', str(self.length))
        handler.send_header('Connection', 'close')
        handler.end_headers()
        handler.close_connection = True
        if handler.command == 'HEAD':
            return
        sent = 0
        block = b'\0' * 65536
        try:
            if self.prefix:
                head = self.prefix[:self.limit]
                handler.wfile.write(head)
                sent += len(head)
            while sent < self.limit:
                piece = block[:min(len(block), self.limit - sent)]
                handler.wfile.write(piece)
                sent += len(piece)
        except OSError:
            pass


def endless_chunks(prefix=b'', limit=210 * 1000 * 1000, size=65536):
    """The chunks of an endless body (cut by the server at @limit bytes, so
    that a client that never stops cannot fill the disk of the test machine)."""
    sent = 0
    if prefix:
        yield prefix
        sent += len(prefix)
    block = b'\0' * size
    while sent < limit:
        yield block
        sent += size


class _CountingWriter:
    def __init__(self, raw, record):
        self._raw = raw
        self._record = record

    def write(self, data):
        n = self._raw.write(data)
        self._record['bytesSent'] += len(data)
        return n

    def flush(self):
        return self._raw.flush()

    def __getattr__(self, name):
        return getattr(self._raw, name)


class Request:
    """One request as the server saw it."""

    def __init__(self, method, target, headers, body, client):
        self.method = method
        self.target = target
        parsed = urllib.parse.urlsplit(target)
        self.path = parsed.path
        self.query = urllib.parse.parse_qs(parsed.query, keep_blank_values=True)
        self.headers = headers
        self.body = body
        self.client = client

    def json(self):
        try:
            return json.loads(self.body.decode('utf-8'))
        except ValueError:
            return None

    def param(self, name):
        values = self.query.get(name)
        return values[0] if values else None


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    server_version = 'hostile/1'
    sys_version = ''

    def log_message(self, format, *args):  # quiet: the test prints what matters
        pass

    def _handle(self):
        server = self.server.owner
        length = int(self.headers.get('Content-Length') or 0)
        body = b''
        # Uploads are read whole (they are small in these tests), so the
        # answer comes after the request, as a real server's would.
        while len(body) < length:
            piece = self.rfile.read(min(65536, length - len(body)))
            if not piece:
                break
            body += piece
        request = Request(self.command, self.path, dict(self.headers.items()), body,
                          self.client_address[0])
        record = {
            'method': self.command,
            'path': request.path,
            'target': self.path,
            'headers': {k.lower(): v for k, v in self.headers.items()},
            'bodyBytes': len(body),
            'bytesSent': 0,
            'time': time.monotonic(),
        }
        server._record(record)
        self.wfile = _CountingWriter(self.wfile, record)
        try:
            reply = server.route(request)
        except Exception as e:  # a bug in a test's script: say so, answer 599
            reply = Reply(599, ('script error: %r' % e).encode(), 'text/plain')
            server.script_errors.append(repr(e))
        if reply is None:
            # Drop the connection without an answer.
            self.close_connection = True
            return
        reply.send(self)
        try:
            self.wfile.flush()
        except OSError:
            self.close_connection = True

    do_GET = do_POST = do_PUT = do_HEAD = do_DELETE = _handle


class _ThreadingServer(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def handle_error(self, request, client_address):
        pass  # a client that hung up mid-answer is expected here


class HostileServer:
    """The scripted API. Set the on_* attributes to callables taking
    (server, Request) and returning a Reply (or None to drop the
    connection); the defaults behave as the provider does.

      on_create   POST /api/v1/video/generations
      on_query    GET  /api/v1/video/generations?task_id=ID
      on_files    POST /api/v1/files
      on_put      PUT  /upload/...
      on_result   GET  /results/NAME
      on_other    anything else
    """

    def __init__(self, host='127.0.0.1', result_bytes=b''):
        self.host = host
        self.result_bytes = result_bytes
        self.requests = []
        self.script_errors = []
        self.tasks = {}   # task id -> dict of what the default query answers
        self.lock = threading.Lock()
        self.on_create = HostileServer.default_create
        self.on_query = HostileServer.default_query
        self.on_files = HostileServer.default_files
        self.on_put = HostileServer.default_put
        self.on_result = HostileServer.default_result
        self.on_other = lambda server, request: Reply(404, b'not found', 'text/plain')
        self._httpd = _ThreadingServer((host, 0), _Handler)
        self._httpd.owner = self
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever,
                                        kwargs={'poll_interval': 0.05}, daemon=True)
        self._thread.start()

    # Addresses --------------------------------------------------------------

    @property
    def base_url(self):
        host = '[%s]' % self.host if ':' in self.host else self.host
        return 'http://%s:%d' % (host, self.port)

    def url(self, path):
        return self.base_url + path

    def close(self):
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # Records -----------------------------------------------------------------

    def _record(self, record):
        with self.lock:
            self.requests.append(record)

    def count(self, method=None, path=None, prefix=None):
        with self.lock:
            return sum(1 for r in self.requests
                       if (method is None or r['method'] == method) and
                       (path is None or r['path'] == path) and
                       (prefix is None or r['path'].startswith(prefix)))

    def matching(self, method=None, path=None, prefix=None):
        with self.lock:
            return [dict(r) for r in self.requests
                    if (method is None or r['method'] == method) and
                    (path is None or r['path'] == path) and
                    (prefix is None or r['path'].startswith(prefix))]

    def creates(self):
        return self.count('POST', API_PATH)

    def queries(self):
        return self.count('GET', API_PATH)

    def bytes_sent(self, prefix):
        with self.lock:
            return sum(r['bytesSent'] for r in self.requests if r['path'].startswith(prefix))

    def wait_for(self, predicate, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return True
            time.sleep(0.05)
        return predicate()

    # Routing -------------------------------------------------------------------

    def route(self, request):
        if request.path == API_PATH and request.method == 'POST':
            return self.on_create(self, request)
        if request.path == API_PATH and request.method == 'GET':
            return self.on_query(self, request)
        if request.path == FILES_PATH and request.method == 'POST':
            return self.on_files(self, request)
        if request.path.startswith('/upload/') and request.method == 'PUT':
            return self.on_put(self, request)
        if request.path.startswith('/results/') and request.method in ('GET', 'HEAD'):
            return self.on_result(self, request)
        return self.on_other(self, request)

    # The provider's behaviour, for what a case does not script ---------------

    def add_task(self, task_id, **fields):
        task = {'taskId': task_id, 'state': 'completed', 'model': 'kling-video/kling-v2-6',
                'createTime': int(time.time() * 1000),
                'completeTime': int(time.time() * 1000),
                'resultUrls': [self.url('/results/%s.mp4' % urllib.parse.quote(task_id, safe=''))]}
        task.update(fields)
        with self.lock:
            self.tasks[task_id] = task
        return task

    @staticmethod
    def default_create(server, request):
        task_id = new_task_id()
        server.add_task(task_id)
        return json_reply(envelope({'taskId': task_id, 'state': 'pending',
                                    'model': 'kling-video/kling-v2-6'}))

    @staticmethod
    def default_query(server, request):
        task_id = request.param('task_id')
        with server.lock:
            task = server.tasks.get(task_id)
        if task is None:
            return json_reply(envelope(None, 404, 'Task not found'), 404)
        return json_reply(envelope(task))

    @staticmethod
    def default_files(server, request):
        body = request.json() or {}
        name = urllib.parse.quote(str(body.get('filename', 'file')), safe='')
        token = new_task_id()
        return json_reply(envelope({'uploadUrl': server.url('/upload/%s' % token),
                                    'publicUrl': 'https://files.example.com/%s/%s' % (token, name),
                                    'expiresAt': '2099-01-01T00:00:00Z'}))

    @staticmethod
    def default_put(server, request):
        return Reply(200, b'', None, [('ETag', '"0"')])

    @staticmethod
    def default_result(server, request):
        return Reply(200, server.result_bytes, 'video/mp4', [('Accept-Ranges', 'bytes')])


def gzip_reply(pieces, content_type='application/json', status=200):
    """The bytes of @pieces (an iterable of byte strings, so that a large
    payload need not be held whole) compressed, answered with
    Content-Encoding: gzip."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)  # 31: the gzip format
    body = b''.join([compressor.compress(p) for p in pieces] + [compressor.flush()])
    return Reply(status, body, content_type, [('Content-Encoding', 'gzip')])


def non_loopback_ipv4():
    """An IPv4 address of this machine that is not loopback, or None."""
    for probe in ('192.0.2.1', '10.255.255.255', '8.8.8.8'):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            s.connect((probe, 9))
            address = s.getsockname()[0]
        except OSError:
            continue
        finally:
            s.close()
        if address and not address.startswith('127.') and address != '0.0.0.0':
            return address
    try:
        import subprocess
        out = subprocess.run(['ip', '-4', '-o', 'addr'], capture_output=True, text=True,
                             timeout=5).stdout
        for line in out.splitlines():
            parts = line.split()
            if 'inet' in parts:
                address = parts[parts.index('inet') + 1].split('/')[0]
                if not address.startswith('127.'):
                    return address
    except (OSError, ValueError, Exception):
        pass
    return None
