#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Clapboard against a hostile server (issue 9, part A).

Each case scripts hostile_server.HostileServer to misbehave in one way,
runs clapboard-cli (and, where the finding is about the window, the
application itself) against it as a person or a script would, and checks
what Clapboard must do: exit codes, messages, the history (`list --json`),
the files on disk, and what the server saw (every request is counted).

Usage: test-hostile.py [CASE...]   (TAP on stdout; CASE is an id: 4, 6a, or 12* for 12a-12c)
Environment: CLAPBOARD_CLI, CLAPBOARD_SIM, CLAPBOARD_UI,
CLAPBOARD_SCHEMA_DIR (meson sets them); CLAPBOARD_HOSTILE_KEEP=1 keeps each
case's folder (history, window logs) for a post-mortem.
See README.md beside this file for the attacks and what each case proves.
"""

import http.client
import json
import os
import random
import re
import socket
import sqlite3
import struct
import subprocess
import sys
import threading
import time
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import (CLI, CONTROL_BYTES, FACTOR, Skip, Window, clip,  # noqa: E402
                     file_state, run, run_cases, tail, tree, window_unavailable)
from hostile_server import (Chunked, Declared, HostileServer, Redirect,  # noqa: E402
                            Reply, endless_chunks, envelope, json_reply, gzip_reply,
                            new_task_id, non_loopback_ipv4, raw_json_reply, deep_json)

CASES = []
PROMPT = 'A lighthouse at dawn (hostile server test)'


def case(name):
    def register(function):
        CASES.append((name, function))
        return function
    return register


def serve(c, **kwargs):
    """The case's API server, with a real clip as every result."""
    kwargs.setdefault('result_bytes', clip('a'))
    server = HostileServer(**kwargs)
    c.servers.append(server)
    if c.base_url is None:
        c.base_url = server.base_url
    return server


def create_with_id(task_id, **task_fields):
    """A create handler that answers @task_id (and registers the task, so
    that the default query answers it as completed with a result URL)."""
    def on_create(server, request):
        server.add_task(task_id, **task_fields)
        return json_reply(envelope({'taskId': task_id, 'state': 'pending',
                                    'model': 'kling-video/kling-v2-6'}))
    return on_create


def results_files(c):
    """The files of the results folder (the clips, .part and .lock files)."""
    try:
        return sorted(os.listdir(c.results))
    except FileNotFoundError:
        return []


def clips_in_results(c):
    return [n for n in results_files(c) if n.endswith('.mp4') or n.endswith('.part')]


def same_file(a, b):
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.realpath(a) == os.path.realpath(b)


def generate(c, *extra, timeout=40):
    return c.cli('generate', '--prompt', PROMPT, '--wait', *extra, timeout=timeout)


# 1. A task id that is a path --------------------------------------------------

@case('1 task id "../../../../TMP/x" never becomes a path')
def task_id_path(c):
    server = serve(c)
    target = os.path.join(c.dir, 'x')
    depth = len(c.results.strip('/').split('/'))
    evil = '../' * depth + c.dir.strip('/') + '/x'
    server.on_create = create_with_id(evil)
    # Anywhere in the case's folder but the data folder and the XDG folders
    # (where a program may keep its settings and caches).
    legit = [c.data] + [os.path.join(c.dir, d) for d in ('.config', '.cache', '.local')]
    before = tree(c.dir, exclude=legit)

    r = generate(c, '--timeout', '20')
    c.expect_exit(r, 11, 'generate --wait')
    c.expect_in('cannot use', r, 'generate --wait')
    for suffix in ('.mp4', '.mp4.part', '.mp4.lock'):
        c.expect(not os.path.lexists(target + suffix),
                 'a file was written outside the data folder: %s' % (target + suffix))
    new = sorted(tree(c.dir, exclude=legit) - before)
    c.expect(not new, 'files appeared outside CLAPBOARD_DATA_DIR: %s' % new)
    c.expect(server.count('GET', prefix='/results/') == 0,
             'the result of a take whose id is a path was downloaded (%d GETs)'
             % server.count('GET', prefix='/results/'))
    rows = c.list_json()
    c.require(len(rows) == 1, 'list --json: expected 1 take, got %d' % len(rows))
    c.expect(rows[0]['state'] == 'interrupted',
             'list --json: the take is "%s", not "interrupted" (may have been charged)'
             % rows[0]['state'])
    c.expect(rows[0].get('taskId') != evil, 'list --json: the path was stored as the task id')


@case('1b task id of 5000 characters is refused, not used')
def task_id_long(c):
    server = serve(c)
    evil = 'cl' + 'a' * 4998
    server.on_create = create_with_id(evil)
    r = generate(c, '--timeout', '20')
    c.expect_exit(r, 11, 'generate --wait')
    c.expect_in('cannot use', r, 'generate --wait')
    rows = c.list_json()
    c.expect(len(rows) == 1 and rows[0]['state'] == 'interrupted',
             'list --json: the take is not interrupted: %s'
             % [(row['state'], (row.get('taskId') or '')[:20]) for row in rows])
    c.expect(server.count('GET', prefix='/results/') == 0,
             'the result was downloaded under a 5000-character id')


# 2. A query answers for another task ------------------------------------------

def wrong_id_query(right, wrong, wrong_answers=None):
    """A query handler answering for @wrong (completed, with another clip)
    the first @wrong_answers times (always when None), then for @right."""
    state = {'n': 0}

    def on_query(server, request):
        state['n'] += 1
        if wrong_answers is None or state['n'] <= wrong_answers:
            return json_reply(envelope({
                'taskId': wrong, 'state': 'completed', 'model': 'kling-video/kling-v2-6',
                'resultUrls': [server.url('/results/other.mp4')],
                'createTime': int(time.time() * 1000), 'completeTime': int(time.time() * 1000)}))
        return HostileServer.default_query(server, request)
    return on_query


def result_by_name(server, request):
    if request.path == '/results/other.mp4':
        return Reply(200, clip('b'), 'video/mp4')
    return HostileServer.default_result(server, request)


@case('2 a query answer for another task never changes the take')
def query_other_id(c):
    server = serve(c)
    right, wrong = new_task_id(), new_task_id()
    server.on_create = create_with_id(right)
    server.on_query = wrong_id_query(right, wrong)
    server.on_result = result_by_name

    r = generate(c, '--timeout', '5')
    c.expect_exit(r, 12, 'generate --wait --timeout 5')
    c.expect_in('answered for task', r, 'generate --wait --timeout 5')
    rows = c.list_json()
    c.require(len(rows) == 1, 'list --json: expected 1 take, got %d' % len(rows))
    c.expect(rows[0]['taskId'] == right,
             'list --json: the take\'s id changed from %s to %s' % (right, rows[0]['taskId']))
    c.expect(server.count('GET', '/results/other.mp4') == 0,
             'the other task\'s result was downloaded (%d GETs)'
             % server.count('GET', '/results/other.mp4'))
    c.expect(not rows[0].get('localFile'),
             'the take kept a file from another task\'s answer: %s' % rows[0].get('localFile'))


@case('2b two answers for another task, then the right one: the right clip')
def query_other_id_then_right(c):
    server = serve(c)
    right, wrong = new_task_id(), new_task_id()
    server.on_create = create_with_id(right)
    server.on_query = wrong_id_query(right, wrong, wrong_answers=2)
    server.on_result = result_by_name

    r = generate(c, '--timeout', '30')
    c.expect_exit(r, 0, 'generate --wait')
    rows = c.list_json()
    c.require(len(rows) == 1, 'list --json: expected 1 take, got %d' % len(rows))
    row = rows[0]
    c.expect(row['taskId'] == right,
             'list --json: the take\'s id changed from %s to %s' % (right, row['taskId']))
    c.expect(row['state'] == 'completed', 'list --json: the take is %s' % row['state'])
    c.expect(server.count('GET', '/results/other.mp4') == 0,
             'the other task\'s result was downloaded')
    local = row.get('localFile')
    if c.expect(local and os.path.exists(local), 'no clip saved (localFile %s)' % local):
        with open(local, 'rb') as f:
            c.expect(f.read() == clip('a'), 'the clip saved is not the right task\'s')


# 3. A task id naming a user's file; a history naming one ----------------------

def user_file(c, relative, size=None, content=None):
    path = os.path.join(c.home, relative)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'wb') as f:
        if content is not None:
            f.write(content)
        if size is not None:
            # Known bytes at both ends, sparse in between (no disk used).
            f.write(b'USER-VIDEO-HEAD ' * 64)
            f.seek(size - 1024)
            f.write(b'USER-VIDEO-TAIL ' * 64)
    old = time.time() - 86400 * 400
    os.utime(path, (old, old))
    return path, file_state(path)


@case('3 task id "../../Videos/wedding": the user\'s file is never adopted nor touched')
def task_id_user_file(c):
    server = serve(c)
    wedding, state = user_file(c, 'Videos/wedding.mp4', content=b'WEDDING' + clip('c'))
    evil = '../../Videos/wedding'
    # The data folder is $HOME/data: results/../../Videos is $HOME/Videos.
    c.require(same_file(os.path.join(c.results, '..', '..', 'Videos'), os.path.dirname(wedding)),
              'harness: the data folder is not two levels below $HOME')
    server.on_create = create_with_id(evil)

    def untouched(after):
        now = file_state(wedding)
        c.expect(now == state, 'after %s, $HOME/Videos/wedding.mp4 changed: %s'
                 % (after, 'deleted' if now is None else 'bytes or time differ'))

    r = generate(c, '--timeout', '20')
    c.note('generate --wait: %s' % r.describe())
    untouched('generate --wait')
    rows = c.list_json()
    for row in rows:
        local = row.get('localFile')
        c.expect(not (local and same_file(local, wedding)),
                 'list --json: the take adopted the user\'s file as its clip: %s' % local)
    untouched('list')
    r = c.cli('resume', timeout=30, interrupt_after=8)
    c.expect_no_signal(r, 'resume')
    untouched('resume')
    r = c.cli('status', evil, timeout=20)
    c.expect_no_signal(r, 'status')
    untouched('status')
    r = c.cli('download', evil, '--output', os.path.join(c.dir, 'out.mp4'), timeout=20)
    untouched('download')


def keyfile_settings(c, **values):
    """GSettings from a key file in the case's config folder (the window
    reads its cache limits at start)."""
    path = os.path.join(c.dir, '.config', 'glib-2.0', 'settings', 'keyfile')
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        f.write('[app/clapboard/Clapboard]\n')
        for key, value in values.items():
            f.write('%s=%s\n' % (key.replace('_', '-'), value))


@case('3b a history naming a user\'s file: resume, download, the window never delete it')
def history_user_file(c):
    serve(c)
    r = generate(c, '--timeout', '20')
    c.require(r.returncode == 0, 'a normal take did not complete: %s; %s'
              % (r.describe(), r.stderr_once()))
    task_id = c.list_json()[0]['taskId']
    # 150 MB (sparse), over the smallest cache (100 MB) the window keeps.
    keep, state = user_file(c, 'Videos/keep.mp4', size=150 * 1000 * 1000)
    named = os.path.join(c.results, '..', '..', 'Videos', 'keep.mp4')
    db = sqlite3.connect(os.path.join(c.data, 'history.db'))
    with db:
        db.execute('UPDATE takes SET local_file = ?, saved_time = ?, complete_time = ?',
                   (named, int(time.time() * 1000), int((time.time() - 86400 * 60) * 1000)))
    db.close()

    def untouched(after):
        now = file_state(keep)
        c.expect(now == state, 'after %s, the user\'s $HOME/Videos/keep.mp4 was %s'
                 % (after, 'deleted' if now is None else 'changed'))

    r = c.cli('resume', timeout=30, interrupt_after=8)
    c.expect_no_signal(r, 'resume')
    untouched('resume')
    r = c.cli('download', task_id, '--output', os.path.join(c.dir, 'copy.mp4'), timeout=20)
    c.expect_no_signal(r, 'download')
    untouched('download')
    r = c.cli('download', task_id, '--output', os.path.join(c.dir, 'copy.mp4'), '--force',
              timeout=20)
    untouched('download --force')
    for command in (['status', task_id], ['list'], ['list', '--json']):
        r = c.cli(*command, timeout=20)
        c.expect_no_signal(r, ' '.join(command))
        untouched(' '.join(command))

    why = window_unavailable()
    if why:
        c.note('window not started: %s' % why)
        return
    keyfile_settings(c, cache_size_mb='uint32 100', cache_max_days='uint32 1')
    w = Window(c, c.env(GSETTINGS_BACKEND='keyfile'))
    # The window applies its cache limits as it starts: give it 6 s.
    deadline = time.monotonic() + 6 * FACTOR
    while time.monotonic() < deadline and w.alive() and os.path.exists(keep):
        time.sleep(0.1)
    c.expect(w.alive(), 'the window %s: %s' % (w.describe(), tail(w.output())))
    untouched('starting the window (cache limit 100 MB)')
    w.stop()


# 4. JSON nested 200,000 levels deep ---------------------------------------------

DEEP = deep_json(200000)


def deep_answer(task_id):
    return ('{"code":200,"msg":"success","data":{"taskId":"%s","state":"processing",'
            '"model":"kling-video/kling-v2-6","extra":%s}}' % (task_id, DEEP))


def watch_window(c, server, label):
    """Starts the window on the case's history, polling every second; it
    must still run 3 s after it has queried the hostile server (or after 8 s
    without a query)."""
    keyfile_settings(c, poll_interval='uint32 1')
    w = Window(c, c.env(GSETTINGS_BACKEND='keyfile'))
    seen = server.queries()
    started = time.monotonic()
    queried_at = None
    while w.alive():
        now = time.monotonic()
        if queried_at is None and server.queries() > seen:
            queried_at = now
        if queried_at is not None and now - queried_at >= 3 * FACTOR:
            break
        if queried_at is None and now - started >= 8 * FACTOR:
            break
        time.sleep(0.1)
    alive = w.alive()
    c.note('the window, %s: %d queries in %.1f s, %s' % (
        label, server.queries() - seen, time.monotonic() - started,
        'the first after %.1f s' % (queried_at - started) if queried_at else 'none'))
    c.expect(alive, 'the window, %s, %s (%d queries answered): %s'
             % (label, w.describe(), server.queries() - seen, tail(w.output())))
    w.stop()
    return alive


@case('4 a query answer nested 200,000 deep crashes nothing, nor the window twice')
def deep_query(c):
    server = serve(c)
    task_id = new_task_id()
    server.on_create = create_with_id(task_id, state='processing')
    server.on_query = lambda s, r: raw_json_reply(deep_answer(r.param('task_id') or task_id))

    r = generate(c, '--timeout', '3')
    c.expect_no_signal(r, 'generate --wait')
    c.expect_exit(r, (6, 11, 12), 'generate --wait')
    for command, codes, interrupt in ((['list'], (0,), None), (['list', '--json'], (0,), None),
                                      (['status', task_id], (6,), None),
                                      (['resume'], None, 3)):
        r = c.cli(*command, timeout=30, interrupt_after=interrupt)
        c.expect_no_signal(r, ' '.join(command))
        if codes:
            c.expect_exit(r, codes, ' '.join(command))

    why = window_unavailable()
    if why:
        c.note('window not started: %s' % why)
        return
    if watch_window(c, server, 'first start'):
        watch_window(c, server, 'second start')


@case('4b a create answer nested 200,000 deep crashes nothing')
def deep_create(c):
    server = serve(c)
    task_id = new_task_id()
    server.on_create = lambda s, r: raw_json_reply(deep_answer(task_id))
    server.on_query = lambda s, r: raw_json_reply(deep_answer(r.param('task_id') or task_id))

    r = generate(c, '--timeout', '10')
    c.expect_no_signal(r, 'generate --wait')
    c.expect_exit(r, 11, 'generate --wait')
    for command, codes, interrupt in ((['list'], (0,), None), (['list', '--json'], (0,), None),
                                      (['resume'], None, 4),
                                      (['status', task_id], (6,), None)):
        r = c.cli(*command, timeout=30, interrupt_after=interrupt)
        c.expect_no_signal(r, ' '.join(command))
        if codes:
            c.expect_exit(r, codes, ' '.join(command))
    rows = c.list_json()
    c.expect(len(rows) == 1 and rows[0]['state'] == 'interrupted',
             'list --json: the take is not interrupted: %s' % [row['state'] for row in rows])


# 5. A redirect to plain http -----------------------------------------------------

NOT_SECURE = re.compile(r'not (a )?secure', re.IGNORECASE)


@case('5 a result redirected to plain http on another host is refused')
def redirect_plain_http(c):
    address = non_loopback_ipv4()
    if address is None:
        raise Skip('this machine has no IPv4 address but loopback')
    server = serve(c)
    try:
        other = HostileServer(host=address, result_bytes=clip('a'))
    except OSError as e:
        raise Skip('cannot listen on %s: %s' % (address, e))
    c.servers.append(other)
    server.on_result = lambda s, r: Redirect(other.url(r.path))

    r = generate(c, '--timeout', '20')
    c.expect_exit(r, 6, 'generate --wait')
    c.expect_in(NOT_SECURE, r, 'generate --wait')
    c.expect(other.count() == 0, 'the plain-http host %s received %d requests'
             % (address, other.count()))
    c.expect(not clips_in_results(c), 'files were saved: %s' % clips_in_results(c))
    rows = c.list_json()
    c.expect(rows and not rows[0].get('localFile'),
             'the take has a clip from plain http: %s' % (rows and rows[0].get('localFile')))


# 6. Result bodies: endless, oversized, not a video ---------------------------------

def expect_one_get_no_file(c, server):
    gets = server.count('GET', prefix='/results/')
    c.expect(gets == 1, 'the result was requested %d times, not once' % gets)
    c.expect(not clips_in_results(c), 'left in the results folder: %s' % clips_in_results(c))
    rows = c.list_json()
    c.expect(rows and not rows[0].get('localFile'),
             'the take kept a file: %s' % (rows and rows[0].get('localFile')))


def mp4_head(total):
    """The start of an MP4 of @total bytes: the test clip's ftyp box, then
    the header of one mdat box running to the end (64-bit size). What follows
    it (zeros) is, for all a reader can tell, the video's data."""
    mp4 = clip('a')
    ftyp = mp4[:struct.unpack('>I', mp4[:4])[0]]
    return ftyp + struct.pack('>I4sQ', 1, b'mdat', total - len(ftyp))


@case('6a an endless chunked result is cut off, once')
def endless_body(c):
    server = serve(c)
    head = mp4_head(1 << 40)
    server.on_result = lambda s, r: Chunked(endless_chunks(prefix=head), finish=False)

    r = generate(c, '--timeout', '60', timeout=120)
    c.expect_exit(r, 6, 'generate --wait')
    c.expect_in('more than', r, 'generate --wait')
    sent = server.bytes_sent('/results/')
    c.expect(sent < 200 * 1000 * 1000, 'the server sent %.0f MB of an endless body before the '
             'client stopped reading' % (sent / 1e6))
    c.note('result bytes sent: %.1f MB' % (sent / 1e6))
    expect_one_get_no_file(c, server)


@case('6b a result declaring 500 MB is refused, with no retry')
def declared_huge(c):
    server = serve(c)
    head = mp4_head(500 * 1000 * 1000)
    server.on_result = lambda s, r: Declared(500 * 1000 * 1000, prefix=head,
                                             limit=210 * 1000 * 1000)
    r = generate(c, '--timeout', '60', timeout=120)
    c.expect_exit(r, 6, 'generate --wait')
    c.note('result bytes sent: %.1f MB' % (server.bytes_sent('/results/') / 1e6))
    expect_one_get_no_file(c, server)


HTML = (b'<!DOCTYPE html><html><head><title>Sign in</title></head><body>'
        b'<h1>Welcome to the hotel Wi-Fi</h1>' + b'<p>Please sign in.</p>' * 400 +
        b'</body></html>')


@case('6c an HTML page served as application/octet-stream is not kept')
def html_as_octet_stream(c):
    server = serve(c)
    server.on_result = lambda s, r: Reply(200, HTML, 'application/octet-stream')
    r = generate(c, '--timeout', '20')
    c.expect_exit(r, 6, 'generate --wait')
    c.expect_in('not a video', r, 'generate --wait')
    expect_one_get_no_file(c, server)


# 7. The same task id twice -------------------------------------------------------

@case('7 two creates answered with the same task id keep their own clips')
def same_id_twice(c):
    server = serve(c)
    shared = new_task_id()
    current = {'clip': 'a'}

    def on_create(s, r):
        s.add_task(shared, resultUrls=[s.url('/results/%s-%s.mp4' % (shared, current['clip']))])
        return json_reply(envelope({'taskId': shared, 'state': 'pending',
                                    'model': 'kling-video/kling-v2-6'}))

    def on_result(s, r):
        return Reply(200, clip('b' if r.path.endswith('-b.mp4') else 'a'), 'video/mp4')

    server.on_create = on_create
    server.on_result = on_result

    first = generate(c, '--timeout', '20')
    c.require(first.returncode == 0, 'the first take did not complete: %s; %s'
              % (first.describe(), first.stderr_once()))
    rows = c.list_json()
    first_file = rows[0].get('localFile')
    first_state = file_state(first_file) if first_file else None
    current['clip'] = 'b'
    second = generate(c, '--timeout', '20')
    c.expect_exit(second, 0, 'the second generate --wait')

    rows = c.list_json()
    c.require(len(rows) == 2, 'list --json: expected 2 takes, got %d' % len(rows))
    files = [row.get('localFile') for row in rows]
    c.expect(all(files), 'a take has no clip: %s' % files)
    if all(files):
        c.expect(not same_file(files[0], files[1]),
                 'both takes name one file: %s' % files[0])
    c.expect(server.count('GET', '/results/%s-b.mp4' % shared) == 1,
             'the second take\'s own result was fetched %d times'
             % server.count('GET', '/results/%s-b.mp4' % shared))
    c.expect(first_file and file_state(first_file) == first_state,
             'the first take\'s file was changed or taken: %s' % first_file)
    by_uid = {row['uid']: row for row in rows}
    for row in by_uid.values():
        local = row.get('localFile')
        if local and os.path.exists(local) and not same_file(local, first_file or '/'):
            with open(local, 'rb') as f:
                c.expect(f.read() == clip('b'), 'the second take\'s file is not its own result')
        warning = row.get('warning') or ''
        c.expect('same task id' in warning.lower(),
                 'list --json: take %s has no "same task id" warning (warning: %r)'
                 % (row['uid'], row.get('warning')))


# 8. Control characters in server text ---------------------------------------------

EVIL_TEXT = 'Bad\x1b[31m red\x07 bell \u009b6n csi \x1b]0;owned\x07 title'
EVIL_MODEL = 'kling-video/kling\x1b[2J-v2-6\x07'


def escaped_escape(text):
    """Whether @text shows an ESC escaped: \\x1B, \\u001B, \\u{1b}, \\e, \\033,
    ^[ or U+001B."""
    return re.search(r'\\(x1b|u001b|u\{1b\}|e|033)|\^\[|U\+001B', text,
                     re.IGNORECASE) is not None


@case('8 control characters from the server are never printed raw')
def control_characters(c):
    server = serve(c)
    task_id = new_task_id()

    def on_create(s, r):
        body = r.json() or {}
        if 'refuse' in str(body.get('prompt', '')):
            return json_reply(envelope(None, 400, 'Refused: ' + EVIL_TEXT), 400)
        s.add_task(task_id, state='failed', model=EVIL_MODEL, failMsg='Policy: ' + EVIL_TEXT,
                   resultUrls=[])
        return json_reply(envelope({'taskId': task_id, 'state': 'pending',
                                    'model': EVIL_MODEL}, msg='ok ' + EVIL_TEXT))

    def on_query(s, r):
        if r.param('task_id') != task_id:
            return json_reply(envelope(None, 404, 'Not found: ' + EVIL_TEXT), 404)
        return HostileServer.default_query(s, r)

    server.on_create = on_create
    server.on_query = on_query
    runs = [('generate --wait', generate(c, '--timeout', '20'))]
    c.expect_exit(runs[0][1], 7, 'generate --wait')
    c.expect(escaped_escape(runs[0][1].err),
             'generate --wait: the failure reason is not shown with its control characters '
             'escaped; %s' % runs[0][1].stderr_once())
    runs.append(('generate (refused with a 400)',
                 c.cli('generate', '--prompt', 'please refuse this', timeout=20)))
    runs.append(('status', c.cli('status', task_id, timeout=20)))
    runs.append(('status --json', c.cli('status', '--json', task_id, timeout=20)))
    runs.append(('status of an unknown id', c.cli('status', new_task_id(), timeout=20)))
    runs.append(('list', c.cli('list', timeout=20)))
    runs.append(('list --json', c.cli('list', '--json', timeout=20)))
    runs.append(('resume', c.cli('resume', timeout=20, interrupt_after=8)))
    for label, r in runs:
        for stream, data in (('stdout', r.stdout), ('stderr', r.stderr)):
            raw = [name for name, byte in zip(('ESC', 'BEL', 'U+009B'), CONTROL_BYTES)
                   if byte in data]
            c.expect(not raw, '%s printed raw %s on %s; %s'
                     % (label, ', '.join(raw), stream, r.stderr_once() if stream == 'stderr'
                        else 'stdout: ' + tail(data, 300)))


# 9. An insecure result URL -------------------------------------------------------

@case('9 a completed answer whose only link is plain http elsewhere: exit 6, no file')
def insecure_result_url(c):
    server = serve(c)
    task_id = new_task_id()
    server.on_create = create_with_id(task_id, resultUrls=['http://example.com/x.mp4'])
    r = generate(c, '--timeout', '20')
    c.expect_exit(r, 6, 'generate --wait')
    c.expect(not clips_in_results(c), 'files were saved: %s' % clips_in_results(c))


# 10. Completed with no usable link ---------------------------------------------------

@case('10 completed with no link ends the wait: exit 6, "gave no link"')
def completed_without_link(c):
    server = serve(c)
    ids = {}

    def on_create(s, r):
        task_id = new_task_id()
        body = r.json() or {}
        if 'empty' in str(body.get('prompt', '')):
            s.add_task(task_id, resultUrls=[])
        else:
            s.add_task(task_id)
            del s.tasks[task_id]['resultUrls']
        ids[body.get('prompt')] = task_id
        return json_reply(envelope({'taskId': task_id, 'state': 'pending'}))

    server.on_create = on_create
    results = {}

    def one(variant):
        # Each in its own history: two processes at once, nothing shared.
        data = os.path.join(c.dir, 'data-' + variant.replace(' ', '-'))
        env = c.env(CLAPBOARD_DATA_DIR=data)
        results[variant] = run([CLI, 'generate', '--prompt', 'no link, %s' % variant, '--wait',
                                '--timeout', '20'], env, timeout=60 * FACTOR)

    threads = [threading.Thread(target=one, args=(v,)) for v in ('no field', 'empty list')]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for variant, r in sorted(results.items()):
        what = 'generate --wait (resultUrls: %s)' % variant
        c.expect_exit(r, 6, what)
        c.expect_in('gave no link', r, what)


# 11. The command line --------------------------------------------------------------

@case('11 --duration -5 and --timeout -5 are wrong command lines')
def negative_numbers(c):
    server = serve(c)
    r = c.cli('generate', '--prompt', PROMPT, '--duration', '-5', timeout=20)
    c.expect_exit(r, 2, 'generate --duration -5')
    c.expect('-5' in r.err, 'generate --duration -5: the message does not name -5: %s'
             % r.stderr_once())
    c.expect('4294967295' not in r.err + r.out,
             'generate --duration -5: the message names 4294967295; %s' % r.stderr_once())
    r = c.cli('generate', '--prompt', PROMPT, '--wait', '--timeout', '-5', timeout=20)
    c.expect_exit(r, 2, 'generate --wait --timeout -5')
    c.expect('timeout' in r.err.lower(),
             'generate --wait --timeout -5: no message about --timeout; %s' % r.stderr_once())
    c.expect(server.count() == 0, 'a wrong command line sent %d requests (%d creates)'
             % (server.count(), server.creates()))


# 12. Damaged and read-only histories -------------------------------------------------

def make_history(c, server, rows=1):
    """A real history: one take made by clapboard-cli, copied into @rows
    takes (each with its own uid) with Python's sqlite3."""
    r = generate(c, '--timeout', '20')
    c.require(r.returncode == 0, 'a normal take did not complete: %s; %s'
              % (r.describe(), r.stderr_once()))
    path = os.path.join(c.data, 'history.db')
    if rows > 1:
        db = sqlite3.connect(path)
        with db:
            columns = [col[1] for col in db.execute('PRAGMA table_info(takes)')
                       if col[1] != 'id']
            select = ', '.join("uid || '-' || ?" if col == 'uid' else col for col in columns)
            for i in range(rows - 1):
                db.execute('INSERT INTO takes (%s) SELECT %s FROM takes WHERE id = 1'
                           % (', '.join(columns), select), (str(i),))
        db.execute('PRAGMA wal_checkpoint(TRUNCATE)')
        db.close()
    return path


def expect_damaged(c, path):
    with open(path, 'rb') as f:
        before = f.read()
    r = c.cli('list', timeout=20)
    c.expect_no_signal(r, 'list')
    c.expect(r.returncode not in (0, None) and not r.timed_out,
             'list exited 0 on a damaged history')
    c.expect_in('damaged', r, 'list')
    c.expect('could not be written' not in r.err,
             'list says "could not be written"; %s' % r.stderr_once())
    after = None
    if os.path.exists(path):
        with open(path, 'rb') as f:
            after = f.read()
    c.expect(after == before, 'the damaged history was %s' %
             ('removed' if after is None else 'changed'))


@case('12a a garbage history.db is "damaged", and kept')
def garbage_history(c):
    serve(c)
    path = os.path.join(c.data, 'history.db')
    with open(path, 'wb') as f:
        f.write(random.Random(9).randbytes(64 * 1024))
    expect_damaged(c, path)


@case('12b a history cut in half is "damaged", and kept')
def truncated_history(c):
    server = serve(c)
    path = make_history(c, server, rows=400)
    size = os.path.getsize(path)
    c.require(size >= 8 * 4096, 'harness: the history is only %d bytes' % size)
    with open(path, 'r+b') as f:
        f.truncate(size // 2)
    for suffix in ('-wal', '-shm'):
        if os.path.exists(path + suffix):
            os.unlink(path + suffix)
    expect_damaged(c, path)


@case('12c a history in a read-only folder can be listed')
def read_only_history(c):
    server = serve(c)
    make_history(c, server)
    if os.geteuid() != 0:
        os.chmod(c.data, 0o555)
        try:
            r = c.cli('list', timeout=20)
            rj = c.cli('list', '--json', timeout=20)
        finally:
            os.chmod(c.data, 0o755)
        how = 'chmod 0555'
    else:
        # Root ignores permissions: a read-only bind mount in a private
        # mount namespace (gone with the process) is read-only for root too.
        try:
            probe = subprocess.run(['unshare', '--mount', '--propagation', 'private', '--',
                                    'sh', '-c', 'mount --bind "$1" "$1" && mount -o '
                                    'remount,bind,ro "$1" "$1" && ! touch "$1/.probe" '
                                    '2>/dev/null', 'sh', c.data],
                                   capture_output=True, timeout=20)
        except OSError as e:
            raise Skip('running as root, and no unshare(1) for a read-only bind mount: %s' % e)
        if probe.returncode != 0:
            raise Skip('running as root, and no private mount namespace for a read-only '
                       'bind mount (unshare: %s)' % tail(probe.stderr, 200))
        wrapper = ['unshare', '--mount', '--propagation', 'private', '--', 'sh', '-c',
                   'mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" "$0" && '
                   'exec "$@"', c.data, CLI]
        r = run(wrapper + ['list'], c.env(), timeout=20 * FACTOR)
        rj = run(wrapper + ['list', '--json'], c.env(), timeout=20 * FACTOR)
        how = 'read-only bind mount'
    c.expect_exit(r, 0, 'list (%s)' % how)
    c.expect_exit(rj, 0, 'list --json (%s)' % how)
    if rj.returncode == 0:
        try:
            rows = json.loads(rj.out)
            c.expect(len(rows) == 1, 'list --json (%s) shows %d takes, not 1' % (how, len(rows)))
        except ValueError:
            c.expect(False, 'list --json (%s) printed no JSON' % how)


# More hostile answers found while writing these ---------------------------------------

@case('13 an answer of 20 MB is refused as too large, and not printed')
def huge_msg(c):
    server = serve(c)
    task_id = new_task_id()
    big = 'Queued behind ' + 'x' * (20 * 1000 * 1000)
    server.on_query = lambda s, r: json_reply(envelope(
        {'taskId': task_id, 'state': 'processing', 'failMsg': big}, msg=big))
    r = c.cli('status', task_id, timeout=30)
    c.expect_no_signal(r, 'status')
    c.expect_exit(r, 6, 'status')
    c.expect(len(r.stderr) + len(r.stdout) < 64 * 1024,
             'status printed %d bytes' % (len(r.stderr) + len(r.stdout)))


@case('14 a compressed answer that inflates to 128 MB is refused, not inflated')
def gzip_bomb(c):
    server = serve(c)
    task_id = new_task_id()
    payload = [b'{"code":200,"msg":"success","data":{"taskId":"' + task_id.encode() +
               b'","state":"processing"}'] + [b' ' * (1 << 20)] * 128 + [b'}']
    bomb = gzip_reply(payload)
    server.on_query = lambda s, r: bomb
    r = c.cli('status', task_id, timeout=60)
    c.expect_no_signal(r, 'status')
    c.expect_exit(r, 6, 'status')
    # clapboard-cli status peaks near 10 MB on an ordinary answer; an answer
    # capped at a few MB, even held twice, stays far below 64 MB.
    c.expect(r.peak_mb < 64, 'status grew to %.0f MB of memory on a %d KB answer'
             % (r.peak_mb, len(bomb.body) // 1024))
    c.note('peak memory %.0f MB; the client sent Accept-Encoding: %s'
           % (r.peak_mb, [q['headers'].get('accept-encoding') for q in server.matching('GET')][:1]))


def png(width, height):
    raw = b''.join(b'\0' + bytes([200, 120, 40]) * width for _ in range(height))

    def chunk(kind, data):
        return (struct.pack('>I', len(data)) + kind + data +
                struct.pack('>I', zlib.crc32(kind + data) & 0xffffffff))
    return (b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', width, height, 8, 2,
                                                               0, 0, 0)) +
            chunk(b'IDAT', zlib.compress(raw)) + chunk(b'IEND', b''))


@case('15 an upload slot on plain http elsewhere gets no byte of the user\'s file')
def upload_plain_http(c):
    address = non_loopback_ipv4()
    if address is None:
        raise Skip('this machine has no IPv4 address but loopback')
    server = serve(c)
    try:
        other = HostileServer(host=address)
    except OSError as e:
        raise Skip('cannot listen on %s: %s' % (address, e))
    c.servers.append(other)

    def on_files(s, r):
        return json_reply(envelope({'uploadUrl': other.url('/upload/slot'),
                                    'publicUrl': 'https://files.example.com/u/ref.png',
                                    'expiresAt': '2099-01-01T00:00:00Z'}))
    server.on_files = on_files
    image = os.path.join(c.dir, 'ref.png')
    with open(image, 'wb') as f:
        f.write(png(400, 400))
    r = c.cli('generate', '--prompt', PROMPT, '--image', image, timeout=30)
    c.expect_exit(r, 6, 'generate --image')
    c.expect_in(NOT_SECURE, r, 'generate --image')
    c.expect(other.count() == 0, 'the plain-http host %s received %d requests (%d bytes of '
             'the image)' % (address, other.count(),
                             sum(q['bodyBytes'] for q in other.matching())))
    c.expect(server.creates() == 0, 'the take was created (%d creates)' % server.creates())


@case('16 an API answer redirected to plain http elsewhere: the key never goes there')
def api_redirect_plain_http(c):
    address = non_loopback_ipv4()
    if address is None:
        raise Skip('this machine has no IPv4 address but loopback')
    server = serve(c)
    try:
        other = HostileServer(host=address)
    except OSError as e:
        raise Skip('cannot listen on %s: %s' % (address, e))
    c.servers.append(other)
    task_id = new_task_id()
    other.add_task(task_id)
    server.on_query = lambda s, r: Redirect(other.url(r.target), 307)
    r = c.cli('status', task_id, timeout=30)
    c.expect_exit(r, 6, 'status')
    seen = other.matching()
    c.expect(not seen, 'the plain-http host %s received %d requests (%s the API key)' % (
        address, len(seen), 'with' if any(
            'test' in q['headers'].get('authorization', '') for q in seen) else 'without'))


@case('17 a result that redirects to itself: a few hops, then a clear failure')
def redirect_loop(c):
    server = serve(c)
    server.on_result = lambda s, r: Redirect(s.url(r.path))
    r = generate(c, '--timeout', '30', timeout=60)
    c.expect_exit(r, 6, 'generate --wait')
    gets = server.count('GET', prefix='/results/')
    # A few hops per attempt (5 at most), and at most the 5 attempts a
    # failing download gets: never the 20 hops x 5 attempts of a client
    # that follows anything.
    c.expect(gets <= 30, 'the redirect loop was followed %d times' % gets)
    c.expect(not clips_in_results(c), 'files were saved: %s' % clips_in_results(c))



def free_port():
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    return port


def post(port, path, body, timeout=5):
    """POSTs @body as JSON to 127.0.0.1:@port; the HTTP status, or None."""
    try:
        conn = http.client.HTTPConnection('127.0.0.1', port, timeout=timeout)
        conn.request('POST', path, body, {'Content-Type': 'application/json'})
        status = conn.getresponse().status
        conn.close()
        return status
    except OSError:
        return None


@case('18 100 forged callbacks make at most a verifying query or two')
def forged_callbacks(c):
    why = window_unavailable()
    if why:
        raise Skip('the callback receiver runs in the window: %s' % why)
    server = serve(c)
    task_id = new_task_id()
    server.on_create = create_with_id(task_id, state='processing', resultUrls=[])
    r = c.cli('generate', '--prompt', PROMPT, timeout=20)
    c.require(r.returncode == 0, 'a take could not be submitted: %s; %s'
              % (r.describe(), r.stderr_once()))
    port = free_port()
    # The receiver on, polling as slow as it goes (60 s), so that nearly
    # every query comes from a callback.
    keyfile_settings(c, callback_enabled='true', callback_address="'127.0.0.1:%d'" % port,
                     poll_interval='uint32 60')
    w = Window(c, c.env(GSETTINGS_BACKEND='keyfile'))
    deadline = time.monotonic() + 20 * FACTOR
    listening = False
    while time.monotonic() < deadline and w.alive() and not listening:
        try:
            socket.create_connection(('127.0.0.1', port), timeout=1).close()
            listening = True
        except OSError:
            time.sleep(0.1)
    if not listening:
        c.expect(w.alive(), 'the window %s: %s' % (w.describe(), tail(w.output())))
        w.stop()
        raise Skip('the window\'s callback receiver did not listen on 127.0.0.1:%d '
                   '(callback-enabled in the key file): nothing to forge' % port)
    time.sleep(1)
    forged = json.dumps(envelope({
        'taskId': task_id, 'state': 'completed', 'model': 'kling-video/kling-v2-6',
        'param': '{}', 'resultJson': json.dumps({'resultUrls': ['https://example.com/x.mp4']}),
        'failCode': None, 'failMsg': None, 'costTime': 1000,
        'completeTime': int(time.time() * 1000), 'createTime': int(time.time() * 1000)}))
    before = server.queries()
    started = time.monotonic()
    statuses = {}
    for i in range(100):
        status = post(port, '/callback', forged)
        statuses[status] = statuses.get(status, 0) + 1
        time.sleep(max(0, started + 0.02 * (i + 1) - time.monotonic()))
    time.sleep(1)
    caused = server.queries() - before
    c.note('answers to the forged callbacks: %s; queries in %.1f s: %d'
           % (statuses, time.monotonic() - started, caused))
    c.expect(caused <= 2, '100 forged callbacks in %.1f s caused %d authenticated queries'
             % (time.monotonic() - started - 1, caused))
    unknown = json.dumps(envelope({'taskId': new_task_id(), 'state': 'completed'}))
    before = server.queries()
    for i in range(20):
        post(port, '/callback', unknown)
    time.sleep(0.5)
    c.expect(server.queries() == before, 'callbacks for unknown ids caused %d queries'
             % (server.queries() - before))
    c.expect(w.alive(), 'the window %s: %s' % (w.describe(), tail(w.output())))
    w.stop()


class PrivateTmpfs:
    """A small tmpfs on @path, seen only by the processes run through
    run(): a mount namespace kept alive by a sleeping holder (a user and
    mount namespace when not root). The test itself reaches the tmpfs
    through /proc/HOLDER/root. Everything vanishes with the holder."""

    def __init__(self, path, size='16m'):
        self.path = path
        root = os.geteuid() == 0
        unshare = ['unshare', '--mount', '--propagation', 'private']
        if not root:
            unshare[1:1] = ['--user', '--map-root-user']
        try:
            self.holder = subprocess.Popen(
                unshare + ['--', 'sh', '-c', 'mount -t tmpfs -o size=%s tmpfs "$0" && '
                           'echo ready && exec sleep 3600' % size, path],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        except OSError as e:
            raise Skip('no unshare(1) for a private tmpfs: %s' % e)
        line = self.holder.stdout.readline().strip()
        if line != 'ready':
            self.holder.wait()
            raise Skip('no private mount namespace for a small tmpfs (%s): %s'
                       % (' '.join(unshare), tail(self.holder.stderr.read(), 200)))
        self.enter = ['nsenter', '--target', str(self.holder.pid), '--mount']
        if not root:
            self.enter += ['--user', '--preserve-credentials']
        self.enter.append('--')
        self.inside = '/proc/%d/root%s' % (self.holder.pid, path)
        try:
            os.listdir(self.inside)
            probe = subprocess.run(self.enter + ['true'], capture_output=True, timeout=20)
        except OSError as e:
            self.close()
            raise Skip('the test cannot reach its private tmpfs: %s' % e)
        if probe.returncode != 0:
            self.close()
            raise Skip('nsenter cannot enter the private tmpfs\'s namespace: %s'
                       % tail(probe.stderr, 200))

    def fill(self):
        """Fills the tmpfs to the last byte; returns the bytes written."""
        written = 0
        block = b'\0' * 65536
        with open(os.path.join(self.inside, 'filler'), 'wb', buffering=0) as f:
            for size in (65536, 4096, 512, 1):
                try:
                    while True:
                        written += f.write(block[:size])
                except OSError:
                    pass
        return written

    def free(self):
        os.unlink(os.path.join(self.inside, 'filler'))

    def close(self):
        if self.holder.poll() is None:
            self.holder.kill()
            self.holder.wait()


@case('19 the disk fills between the create and its answer: the task id is kept')
def disk_full_before_answer(c):
    server = serve(c)
    disk = PrivateTmpfs(c.data)
    try:
        task_id = new_task_id()
        filled = {}

        def on_create(s, r):
            # The service creates the task; meanwhile the disk fills.
            s.add_task(task_id)
            filled['bytes'] = disk.fill()
            return json_reply(envelope({'taskId': task_id, 'state': 'pending',
                                        'model': 'kling-video/kling-v2-6'}))
        server.on_create = on_create

        def cli(*args, timeout=30):
            return run(disk.enter + [CLI] + list(args), c.env(), timeout=timeout * FACTOR)

        r = cli('generate', '--prompt', PROMPT, '--wait', '--timeout', '10')
        c.note('generate --wait on a disk filled during the create: %s' % r.describe())
        c.require(filled.get('bytes'), 'harness: the disk was not filled (%s)' % r.describe())
        c.expect(task_id in r.out + r.err, 'generate never showed the task id %s; %s'
                 % (task_id, r.stderr_once()))
        for false_claim in ('nothing is sent', 'nothing was sent'):
            c.expect(false_claim not in (r.out + r.err).lower(),
                     'generate says "%s" after the service created the task; %s'
                     % (false_claim, r.stderr_once()))
        disk.free()
        r = cli('resume')
        c.expect_exit(r, 0, 'resume once the disk has room')
        r = cli('list', '--json')
        rows = json.loads(r.out) if r.returncode == 0 else []
        c.require(len(rows) == 1, 'list --json: expected 1 take, got %s; %s'
                  % (len(rows), r.stderr_once()))
        row = rows[0]
        c.expect(row.get('taskId') == task_id,
                 'the paid task\'s id was lost: the history has taskId %r (state %s)'
                 % (row.get('taskId'), row.get('state')))
        c.expect(row.get('state') == 'completed' and row.get('localFile'),
                 'resume did not recover the take: state %s, file %s'
                 % (row.get('state'), row.get('localFile')))
        c.expect(server.creates() == 1, 'the take was created %d times' % server.creates())
    finally:
        disk.close()

if __name__ == '__main__':
    if not os.path.exists(CLI):
        print('1..0 # SKIP clapboard-cli not built (%s)' % CLI)
        sys.exit(0)
    sys.exit(run_cases(CASES, sys.argv[1:]))
