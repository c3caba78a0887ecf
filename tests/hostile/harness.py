# SPDX-License-Identifier: GPL-3.0-or-later
"""What the hostile-server cases share: test clips, a fresh folder per
case, clapboard-cli and the window as child processes, and TAP output.

Standard library only (the clip is made with GStreamer through
gobject-introspection when it is there, else with gst-launch-1.0, else by
the project's own simulator)."""

import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))

# Where the programs are: meson passes them; by hand, a build in _build.
TOP = os.path.dirname(os.path.dirname(HERE))
CLI = os.environ.get('CLAPBOARD_CLI') or os.path.join(TOP, '_build', 'src', 'cli', 'clapboard-cli')
SIM = os.environ.get('CLAPBOARD_SIM') or os.path.join(TOP, '_build', 'src', 'sim', 'clapboard-sim')
UI = os.environ.get('CLAPBOARD_UI')
SCHEMA_DIR = os.environ.get('CLAPBOARD_SCHEMA_DIR')
if UI is None and os.path.exists(os.path.join(TOP, '_build', 'src', 'ui', 'clapboard')):
    UI = os.path.join(TOP, '_build', 'src', 'ui', 'clapboard')
    SCHEMA_DIR = SCHEMA_DIR or os.path.join(TOP, '_build', 'data')

# meson test's timeout multiplier stretches the cases' own deadlines too.
FACTOR = float(os.environ.get('CLAPBOARD_TEST_TIMEOUT_FACTOR', '1') or 1)

CONTROL_BYTES = (b'\x1b', b'\x07', '\u009b'.encode('utf-8'))


class Failure(Exception):
    pass


class Skip(Exception):
    pass


# Clips ----------------------------------------------------------------------

_clips = {}


def _clip_with_gi(path, pattern, frames):
    code = r'''
import sys
import gi
gi.require_version('Gst', '1.0')
from gi.repository import Gst
Gst.init(None)
p = Gst.parse_launch(
    'videotestsrc num-buffers=%s pattern=%s ! video/x-raw,width=160,height=90,framerate=12/1 '
    '! x264enc ! mp4mux ! filesink location="%s"' % (sys.argv[2], sys.argv[3], sys.argv[1]))
p.set_state(Gst.State.PLAYING)
m = p.get_bus().timed_pop_filtered(60 * Gst.SECOND, Gst.MessageType.EOS | Gst.MessageType.ERROR)
p.set_state(Gst.State.NULL)
sys.exit(0 if m is not None and m.type == Gst.MessageType.EOS else 1)
'''
    r = subprocess.run(['/usr/bin/python3', '-c', code, path, str(frames), pattern],
                       capture_output=True, timeout=90)
    return r.returncode == 0


def _clip_with_gst_launch(path, pattern, frames):
    tool = shutil.which('gst-launch-1.0')
    if tool is None:
        return False
    r = subprocess.run([tool, '-q', 'videotestsrc', 'num-buffers=%d' % frames,
                        'pattern=%s' % pattern, '!',
                        'video/x-raw,width=160,height=90,framerate=12/1', '!', 'x264enc', '!',
                        'mp4mux', '!', 'filesink', 'location=%s' % path],
                       capture_output=True, timeout=90)
    return r.returncode == 0


def _clip_with_sim(path, prompt):
    """The simulator renders a real H.264 MP4 per take."""
    import urllib.request
    sim = subprocess.Popen([SIM, '--port', '0', '--pending-ms', '0', '--processing-ms', '0'],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        line = sim.stdout.readline()
        base = line.strip().rsplit(' ', 1)[-1]
        headers = {'Authorization': 'Bearer any', 'Content-Type': 'application/json'}
        body = json.dumps({'model': 'kling-v2-6', 'prompt': prompt, 'duration': '5'}).encode()
        req = urllib.request.Request(base + '/api/v1/video/generations', body, headers)
        task_id = json.load(urllib.request.urlopen(req, timeout=30))['data']['taskId']
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            req = urllib.request.Request(base + '/api/v1/video/generations?task_id=' + task_id,
                                         headers=headers)
            data = json.load(urllib.request.urlopen(req, timeout=30))['data']
            if data['state'] == 'completed':
                with urllib.request.urlopen(data['resultUrls'][0], timeout=30) as r, \
                        open(path, 'wb') as f:
                    shutil.copyfileobj(r, f)
                return True
            time.sleep(0.2)
        return False
    finally:
        sim.terminate()
        sim.wait()


_clip_dir = None


def clip(name):
    """A small real MP4 (H.264), made once per run. @name picks a variant:
    two names give two different files."""
    global _clip_dir
    if name in _clips:
        return _clips[name]
    patterns = {'a': ('ball', 24), 'b': ('snow', 30), 'c': ('smpte', 18)}
    pattern, frames = patterns[name]
    if _clip_dir is None:
        _clip_dir = tempfile.mkdtemp(prefix='clapboard-hostile-clips-')
    path = os.path.join(_clip_dir, 'clip-%s.mp4' % name)
    ok = (_clip_with_gi(path, pattern, frames) or _clip_with_gst_launch(path, pattern, frames) or
          _clip_with_sim(path, 'hostile clip %s' % name))
    if not ok or not os.path.exists(path):
        raise RuntimeError('could not make a test clip with GStreamer (install '
                           'gstreamer1.0-plugins-ugly and python3-gi, or build clapboard-sim)')
    with open(path, 'rb') as f:
        data = f.read()
    if data[4:8] != b'ftyp':
        raise RuntimeError('the test clip %s is not an MP4' % path)
    _clips[name] = data
    return data


# Processes ------------------------------------------------------------------

class Result:
    def __init__(self, argv, returncode, stdout, stderr, seconds, timed_out, rusage=None):
        self.argv = argv
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr
        self.seconds = seconds
        self.timed_out = timed_out
        self.rusage = rusage

    @property
    def out(self):
        return self.stdout.decode('utf-8', 'replace')

    @property
    def err(self):
        return self.stderr.decode('utf-8', 'replace')

    @property
    def signal(self):
        return -self.returncode if self.returncode is not None and self.returncode < 0 else None

    def describe(self):
        """How it ended: "exit 0 in 0.3 s", "died of signal 11 (SIGSEGV)…"."""
        if self.timed_out:
            how = 'still running after %.0f s (killed by the test)' % self.seconds
        elif self.signal:
            how = 'died of signal %d (%s)' % (self.signal, signal.Signals(self.signal).name)
        else:
            how = 'exit %d' % self.returncode
        return '%s in %.1f s' % (how, self.seconds)

    def stderr_once(self, n=500):
        """A mark for the end of stderr in a problem's message: the first
        problem printed shows it, later ones point to it (see print_problems)."""
        _quoted[id(self)] = (self, n)
        return '\0stderr:%d\0' % id(self)


_quoted = {}


def print_problems(problems):
    """Prints a case's problems as TAP diagnostics, each run's stderr once."""
    shown = set()

    def expand(match):
        key = int(match.group(1))
        result, n = _quoted[key]
        if key in shown:
            return '(stderr above)'
        shown.add(key)
        return 'stderr: ' + (tail(result.stderr, n) or '(empty)')
    for problem in problems:
        text = re.sub(r'\0stderr:(\d+)\0', expand, str(problem))
        for line in text.splitlines():
            print('#   %s' % line, flush=True)


def shorten(text, n=300):
    text = str(text)
    return text if len(text) <= n else text[:n] + '…[%d more]' % (len(text) - n)


def tail(data, n=600):
    text = data.decode('utf-8', 'backslashreplace') if isinstance(data, bytes) else str(data)
    text = text.strip()
    # Diagnostics must not carry raw control characters themselves.
    text = ''.join(c if c in '\n\t' or (ord(c) >= 0x20 and not 0x7f <= ord(c) < 0xa0)
                   else '\\x%02X' % ord(c) for c in text)
    if len(text) > n:
        text = '…' + text[-n:]
    return text


def run(argv, env, timeout=60, stdin=None, interrupt_after=None):
    """Runs @argv; kills it after @timeout s (SIGKILL, reported as timed out).
    With @interrupt_after, sends SIGINT after that many seconds first, as a
    person pressing Ctrl+C would (a process still following a take). The
    result carries the child's own resource usage (peak memory)."""
    import threading
    started = time.monotonic()
    p = subprocess.Popen(argv, env=env, stdin=subprocess.PIPE if stdin is not None else
                         subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = [], []

    def drain(stream, into):
        for block in iter(lambda: stream.read(65536), b''):
            into.append(block)
        stream.close()

    readers = [threading.Thread(target=drain, args=(p.stdout, out), daemon=True),
               threading.Thread(target=drain, args=(p.stderr, err), daemon=True)]
    for t in readers:
        t.start()
    if stdin is not None:
        try:
            p.stdin.write(stdin)
            p.stdin.close()
        except OSError:
            pass
    timed_out = interrupted = False
    peak_kb = 0
    while True:
        # The peak memory of the program itself: the rusage of a child
        # carries the peak of the test process it was forked from.
        try:
            with open('/proc/%d/status' % p.pid) as f:
                for line in f:
                    if line.startswith('VmHWM:'):
                        peak_kb = max(peak_kb, int(line.split()[1]))
        except (OSError, ValueError):
            pass
        pid, status, usage = os.wait4(p.pid, os.WNOHANG)
        if pid:
            break
        now = time.monotonic()
        if interrupt_after and not interrupted and now - started >= interrupt_after:
            p.send_signal(signal.SIGINT)
            interrupted = True
        if now - started >= timeout:
            timed_out = True
            p.kill()
            pid, status, usage = os.wait4(p.pid, 0)
            break
        time.sleep(0.02)
    p.returncode = os.waitstatus_to_exitcode(status)
    for t in readers:
        t.join(30)
    result = Result(argv, p.returncode, b''.join(out), b''.join(err),
                    time.monotonic() - started, timed_out, usage)
    result.peak_mb = peak_kb / 1024
    return result


# A case ----------------------------------------------------------------------

class Case:
    """One case's world: a fresh folder with a home, XDG folders and a
    data folder, and the environment clapboard-cli and the window run in."""

    def __init__(self, name, root):
        self.name = name
        self.dir = tempfile.mkdtemp(prefix=re.sub(r'[^a-z0-9]+', '-', name.lower())[:24] + '-',
                                    dir=root)
        self.home = self.dir
        self.data = os.path.join(self.dir, 'data')
        self.results = os.path.join(self.data, 'results')
        self.problems = []
        self.notes = []
        self.servers = []
        self.windows = []
        for sub in ('.config', '.local/share', '.cache', 'data'):
            os.makedirs(os.path.join(self.dir, sub), exist_ok=True)
        self.base_url = None

    # environment
    def env(self, base_url=None, **extra):
        env = {k: v for k, v in os.environ.items()
               if not k.startswith('CLAPBOARD_') and k not in ('G_DEBUG', 'G_MESSAGES_DEBUG')}
        env.update({
            'HOME': self.home,
            'XDG_CONFIG_HOME': os.path.join(self.dir, '.config'),
            'XDG_DATA_HOME': os.path.join(self.dir, '.local/share'),
            'XDG_CACHE_HOME': os.path.join(self.dir, '.cache'),
            'CLAPBOARD_DATA_DIR': self.data,
            'CLAPBOARD_API_KEY': 'test',
            'CLAPBOARD_POLL_MS': '50',
            'CLAPBOARD_RETRY_BASE_MS': '20',
            'CLAPBOARD_TIMEOUT_S': '10',
            'GSETTINGS_BACKEND': 'memory',
            'LC_ALL': 'C.UTF-8',
            'LANGUAGE': '',
            'NO_AT_BRIDGE': '1',
        })
        url = base_url or self.base_url
        if url:
            env['CLAPBOARD_BASE_URL'] = url
        env.update({k: str(v) for k, v in extra.items()})
        return env

    def cli(self, *args, timeout=45, base_url=None, env=None, interrupt_after=None):
        return run([CLI] + list(args), env or self.env(base_url), timeout=timeout * FACTOR,
                   interrupt_after=interrupt_after * FACTOR if interrupt_after else None)

    def list_json(self):
        r = self.cli('list', '--json', timeout=30)
        if r.returncode != 0:
            raise Failure('`list --json` failed: %s; %s' % (r.describe(), r.stderr_once()))
        try:
            return json.loads(r.out)
        except ValueError:
            raise Failure('`list --json` printed no JSON: %s' % tail(r.stdout))

    # assertions: a case records every problem it sees, then fails once
    def expect(self, condition, message):
        if not condition:
            self.problems.append(message)
        return bool(condition)

    def require(self, condition, message):
        if not condition:
            raise Failure(message)

    def note(self, message):
        self.notes.append(message)

    def expect_exit(self, result, codes, what):
        codes = codes if isinstance(codes, (list, tuple, set)) else [codes]
        if not result.timed_out and result.returncode in codes:
            return True
        return self.expect(False, '%s: expected exit %s, got %s; %s' % (
            what, '/'.join(str(c) for c in codes), result.describe(), result.stderr_once()))

    def expect_no_signal(self, result, what):
        if not result.timed_out and result.returncode >= 0:
            return True
        return self.expect(False, '%s: %s; %s' % (what, result.describe(),
                                                 result.stderr_once()))

    def expect_in(self, needle, result, what, stream='stderr'):
        """@needle (a string, or a compiled regular expression) in the output."""
        text = result.err if stream == 'stderr' else result.out
        if hasattr(needle, 'search'):
            found, label = needle.search(text) is not None, needle.pattern
        else:
            found, label = needle.lower() in text.lower(), needle
        if found:
            return True
        return self.expect(False, '%s: %s does not say "%s"; %s' % (
            what, stream, label,
            result.stderr_once() if stream == 'stderr' else 'stdout: ' + tail(result.stdout)))

    def cleanup(self):
        for w in self.windows:
            w.stop()
        for s in self.servers:
            try:
                s.close()
            except Exception:
                pass


# Files -----------------------------------------------------------------------

def file_state(path):
    """(sha256, size, mtime_ns, inode) of @path, or None when it is missing."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    h = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            h.update(block)
    return (h.hexdigest(), st.st_size, st.st_mtime_ns, st.st_ino)


def tree(root, exclude=()):
    """Every file and folder under @root (relative paths), but those under
    @exclude (absolute paths)."""
    found = set()
    exclude = [os.path.abspath(e) for e in exclude]
    for dirpath, dirnames, filenames in os.walk(root):
        if any(os.path.abspath(dirpath) == e or os.path.abspath(dirpath).startswith(e + os.sep)
               for e in exclude):
            dirnames[:] = []
            continue
        for name in dirnames + filenames:
            full = os.path.join(dirpath, name)
            if any(full == e for e in exclude):
                continue
            found.add(os.path.relpath(full, root))
    return found


# The window ------------------------------------------------------------------

class Window:
    """The real application on its own session bus (so that no other
    Clapboard on the test's bus takes its place), watched for a crash."""

    def __init__(self, case, env):
        self.case = case
        self.bus = None
        self.process = None
        self.log = os.path.join(case.dir, 'window-%d.log' % len(case.windows))
        case.windows.append(self)
        dbus = shutil.which('dbus-daemon')
        env = dict(env)
        env['GSETTINGS_SCHEMA_DIR'] = SCHEMA_DIR or ''
        env.setdefault('GSK_RENDERER', 'cairo')
        env['GTK_A11Y'] = 'none'
        if dbus is not None:
            self.bus = subprocess.Popen([dbus, '--session', '--nofork', '--print-address=1'],
                                        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                        text=True)
            address = self.bus.stdout.readline().strip()
            if address:
                env['DBUS_SESSION_BUS_ADDRESS'] = address
        self.started = time.monotonic()
        self.logfile = open(self.log, 'wb')
        self.process = subprocess.Popen([UI], env=env, stdin=subprocess.DEVNULL,
                                        stdout=self.logfile, stderr=subprocess.STDOUT)

    def alive(self):
        return self.process.poll() is None

    def describe(self):
        rc = self.process.poll()
        if rc is None:
            return 'running'
        if rc < 0:
            return 'died of signal %d (%s)' % (-rc, signal.Signals(-rc).name)
        return 'exited with %d' % rc

    def output(self):
        try:
            with open(self.log, 'rb') as f:
                return f.read()
        except OSError:
            return b''

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.bus is not None and self.bus.poll() is None:
            self.bus.terminate()
            self.bus.wait()
        if not self.logfile.closed:
            self.logfile.close()


def window_unavailable():
    """Why the window cannot be started here, or None."""
    if not UI or not os.path.exists(UI):
        return 'the window program was not built (meson -Dgui=false?)'
    if not SCHEMA_DIR or not os.path.exists(os.path.join(SCHEMA_DIR, 'gschemas.compiled')):
        return 'no compiled GSettings schema beside the build'
    if not os.environ.get('DISPLAY') and not os.environ.get('WAYLAND_DISPLAY'):
        return 'no display (run under xvfb-run, as build-aux/test.sh does)'
    return None


# TAP -------------------------------------------------------------------------

def run_cases(cases, selected):
    """Runs @cases (a list of (name, function)) whose ids (the first word of
    the name) are in @selected ("7", or "1*" for 1, 1b, 10…; all when empty);
    prints TAP; returns the exit status."""
    def wanted(name):
        ident = name.split()[0]
        return not selected or any(ident == s or (s.endswith('*') and ident.startswith(s[:-1]))
                                   for s in selected)
    chosen = [(n, f) for n, f in cases if wanted(n)]
    root = tempfile.mkdtemp(prefix='clapboard-hostile-')
    print('1..%d' % len(chosen), flush=True)
    failed = 0
    keep = os.environ.get('CLAPBOARD_HOSTILE_KEEP')
    for number, (name, function) in enumerate(chosen, 1):
        case = Case(name, root)
        started = time.monotonic()
        status = 'ok'
        directive = ''
        try:
            function(case)
            if case.problems:
                status = 'not ok'
        except Skip as e:
            directive = ' # SKIP %s' % e
        except Failure as e:
            case.problems.append(str(e))
            status = 'not ok'
        except Exception:
            case.problems.append('harness error: ' + traceback.format_exc())
            status = 'not ok'
        finally:
            case.cleanup()
        seconds = time.monotonic() - started
        for s in case.servers:
            if s.script_errors:
                case.problems.append('server script errors: %s' % s.script_errors)
                status = 'not ok'
        ident, _, title = name.partition(' ')
        print('%s %d - [%s] %s%s' % (status, number, ident, title, directive), flush=True)
        print_problems(case.problems)
        for n in case.notes:
            print('# %s' % n, flush=True)
        _quoted.clear()
        print('# (%.1f s)' % seconds, flush=True)
        if status != 'ok':
            failed += 1
        if not keep:
            shutil.rmtree(case.dir, ignore_errors=True)
    if not keep:
        shutil.rmtree(root, ignore_errors=True)
    if _clip_dir is not None:
        shutil.rmtree(_clip_dir, ignore_errors=True)
    return 1 if failed else 0
