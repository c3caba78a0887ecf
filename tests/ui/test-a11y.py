#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Clapboard as a screen reader sees it. Starts the real `clapboard --demo`
# with GTK's AT-SPI backend, then, through the accessibility bus only:
#
#   1. walks every accessible of every window in several states of the
#      application and fails on any control (button, toggle, check box,
#      combo box, text field, spin button, slider, menu item, focusable
#      list item…) without a usable name: an empty one, the GType name GTK
#      falls back to ("GtkToggleButton"), or one still carrying a mnemonic
#      underscore ("_Generate");
#   2. makes a take as a screen reader user would: Tab to the model row,
#      open it and choose a model with the arrow keys, type the prompt
#      through the EditableText interface, press Generate through its Action
#      interface, wait for the take to say "Completed", press its Preview
#      button, and read the play/pause control's state.
#
# Usage: test-a11y.py CLAPBOARD
# Needs an X display and a session bus (meson test runs inside xvfb-run and
# dbus-run-session); exits 77 (skipped) without them. Run it with Debian's
# /usr/bin/python3, which has pyatspi (python3-pyatspi).

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

try:
    import gi

    gi.require_version('Atspi', '2.0')
    gi.require_version('Gdk', '4.0')
    from gi.repository import Atspi, Gdk, Gio, GLib
    import pyatspi
except (ImportError, ValueError) as e:
    sys.exit('%s: %s (install python3-gi, gir1.2-atspi-2.0 and python3-pyatspi: '
             'build-aux/install-deps.sh test)' % (sys.argv[0], e))

SKIP = 77

# Roles a person operates; each must have a name a screen reader can say.
CONTROL_ROLES = {
    pyatspi.ROLE_PUSH_BUTTON,
    pyatspi.ROLE_TOGGLE_BUTTON,
    pyatspi.ROLE_CHECK_BOX,
    pyatspi.ROLE_RADIO_BUTTON,
    pyatspi.ROLE_COMBO_BOX,
    pyatspi.ROLE_TEXT,
    pyatspi.ROLE_ENTRY,
    pyatspi.ROLE_PASSWORD_TEXT,
    pyatspi.ROLE_SPIN_BUTTON,
    pyatspi.ROLE_SLIDER,
    pyatspi.ROLE_MENU_ITEM,
    pyatspi.ROLE_CHECK_MENU_ITEM,
    pyatspi.ROLE_RADIO_MENU_ITEM,
    pyatspi.ROLE_LINK,
    pyatspi.ROLE_PAGE_TAB,
}
# Rows are controls when the keyboard can reach them.
ROW_ROLES = {pyatspi.ROLE_LIST_ITEM, pyatspi.ROLE_TREE_ITEM, pyatspi.ROLE_TABLE_CELL}

# Controls inside GTK's and libadwaita's own composite widgets, which
# Clapboard's code cannot reach: reported, not failed. Each entry: the
# window, the role, the name GTK gives, and whose control it is.
KNOWN_OUTSIDE = [
    ('Keyboard Shortcuts', pyatspi.ROLE_ENTRY, 'GtkSearchEntry',
     "GtkShortcutsWindow's search entry (GTK 4.8)"),
    ('Keyboard Shortcuts', pyatspi.ROLE_PUSH_BUTTON, 'GtkMenuButton',
     "GtkShortcutsWindow's section menu (GTK 4.8)"),
    ('Keyboard Shortcuts', pyatspi.ROLE_PUSH_BUTTON, 'GtkImage',
     "GtkShortcutsWindow's search button (GTK 4.8)"),
    ('Preferences', pyatspi.ROLE_ENTRY, 'GtkSearchEntry',
     "AdwPreferencesWindow's search entry (libadwaita 1.2)"),
    ('Preferences', pyatspi.ROLE_PUSH_BUTTON, 'GtkImage',
     "AdwPasswordEntryRow's show-text button (libadwaita 1.2)"),
]

# What GTK 4.8 answers for an accessible nobody named: its type name.
TYPE_NAME = re.compile(r'^(Gtk|Adw|Clap)[A-Z][A-Za-z]*$')
# A mnemonic marker left in a name: "_Generate", "Open _Folder".
MNEMONIC = re.compile(r'(^|\s)_\w')


class Failure(Exception):
    pass


def log(*args):
    print(*args, flush=True)


def pump(seconds=0.0):
    """Lets libatspi dispatch the events it received."""
    context = GLib.MainContext.default()
    end = time.monotonic() + seconds
    while True:
        while context.iteration(False):
            pass
        if time.monotonic() >= end:
            return
        time.sleep(0.01)


# Sanitized builds run several times slower: build-aux/sanitize.sh sets this.
TIMEOUT_FACTOR = float(os.environ.get('CLAPBOARD_TEST_TIMEOUT_FACTOR', '1'))


def wait_for(what, predicate, timeout):
    """Polls @predicate until it returns something true, or fails."""
    timeout *= TIMEOUT_FACTOR
    end = time.monotonic() + timeout
    last_error = None
    while time.monotonic() < end:
        try:
            result = predicate()
            if result:
                return result
        except (GLib.Error, LookupError, RuntimeError) as e:
            # The tree changes under us (recycled rows, closing popovers).
            last_error = e
        pump(0.05)
    raise Failure('timed out after %gs waiting for %s%s' %
                  (timeout, what, ' (last error: %s)' % last_error if last_error else ''))


# The accessible tree ---------------------------------------------------------

def safe(call, default=None):
    try:
        return call()
    except Exception:
        return default


def children(node):
    count = safe(lambda: node.childCount, 0)
    for i in range(count):
        child = safe(lambda: node.getChildAtIndex(i))
        if child is not None:
            yield i, child


def describe(node):
    role = safe(node.getRoleName, '?')
    name = safe(lambda: node.name, '')
    return "%s '%s'" % (role, name) if name else role


def walk(node, path=()):
    """Depth first: (node, path of 'role name' steps) for every descendant."""
    here = path + (describe(node),)
    yield node, here
    for i, child in children(node):
        yield from walk(child, here)


def has_state(node, state):
    return safe(lambda: node.getState().contains(state), False)


def action_names(node):
    try:
        action = node.queryAction()
    except NotImplementedError:
        return []
    return [action.getName(i) for i in range(action.nActions)]


def name_problem(name):
    name = (name or '').strip()
    if not name:
        return 'no name'
    if TYPE_NAME.match(name):
        return 'only its type name %s' % name
    if MNEMONIC.search(name):
        return 'a mnemonic underscore in %r' % name
    return None


def is_popup(node):
    """A popover or menu: what a combo box or menu button opens."""
    role = safe(node.getRole)
    return (role in (pyatspi.ROLE_WINDOW, pyatspi.ROLE_MENU, pyatspi.ROLE_POPUP_MENU) or
            safe(lambda: node.name, '') == 'GtkPopover')


def says_twice(name):
    """GTK 4.8 names a row or mnemonic button after its label property and
    then its label: "Model Model"."""
    words = re.sub(r'[_…:.]', '', name).split()
    half = len(words) // 2
    return len(words) >= 2 and len(words) % 2 == 0 and words[:half] == words[half:]


def outside_reason(path, role, name):
    window = path[1] if len(path) > 1 else ''
    for title, known_role, known_name, reason in KNOWN_OUTSIDE:
        if window == "frame '%s'" % title and role == known_role and name == known_name:
            return reason
    return None


class Audit:
    """Every control of the application, checked for a name, in each state
    the test brings the application to. Controls are counted once each, by
    their place in the tree."""

    def __init__(self):
        self.walked = 0
        self.controls = set()
        self.offenders = {}
        self.unnamed_stops = set()
        self.outside = {}
        self.twice = set()

    def check(self, app, label):
        walked = controls = 0
        found = []
        stack = [(app, (describe(app),), False)]
        while stack:
            node, path, in_value = stack.pop()
            walked += 1
            role = safe(node.getRole)
            where = ' / '.join(path)
            name = safe(lambda: node.name, '')
            is_row = (role in ROW_ROLES and not in_value and
                      has_state(node, pyatspi.STATE_FOCUSABLE))
            if role in CONTROL_ROLES or is_row:
                controls += 1
                self.controls.add(where)
                if is_row and not name:
                    # A row is presented by its name, or else by its text.
                    name = ' '.join(t for t in labels_under(node) if t)
                problem = name_problem(name)
                reason = outside_reason(path, role, name)
                if problem is not None and reason is not None:
                    self.outside[where] = reason
                elif problem is not None:
                    found.append(where)
                    self.offenders[where] = (safe(node.getRoleName, '?'), problem)
                elif says_twice(name):
                    self.twice.add("%s '%s'" % (safe(node.getRoleName, '?'), name))
            elif (not in_value and has_state(node, pyatspi.STATE_FOCUSABLE) and
                  name_problem(safe(lambda: node.name, '')) is not None and
                  role not in (pyatspi.ROLE_FRAME, pyatspi.ROLE_DIALOG, pyatspi.ROLE_WINDOW)):
                # A container that may take focus (a scrolled window with
                # nothing focusable inside, a list): noted, not failed.
                self.unnamed_stops.add('%s at %s' % (safe(node.getRoleName, '?'), where))

            kids = list(children(node))
            for _, child in reversed(kids):
                # What a combo box shows inside it is its value, part of the
                # control; what it opens (its popover) is checked on its own.
                value = (in_value or role == pyatspi.ROLE_COMBO_BOX) and not is_popup(child)
                stack.append((child, path + (describe(child),), value))
        self.walked += walked
        log('# %s: %d accessibles, %d controls, %d without a usable name' %
            (label, walked, controls, len(found)))


def find(root, role, name=None, match=None, state=None):
    """The first descendant of @root with @role whose name is @name (or
    matches the regular expression @match)."""
    for node, _ in walk(root):
        if safe(node.getRole) != role:
            continue
        node_name = safe(lambda: node.name, '')
        if name is not None and node_name != name:
            continue
        if match is not None and not re.search(match, node_name):
            continue
        if state is not None and not has_state(node, state):
            continue
        return node
    return None


def find_all(root, role):
    return [node for node, _ in walk(root) if safe(node.getRole) == role]


def text_of(node):
    try:
        text = node.queryText()
    except NotImplementedError:
        return ''
    return text.getText(0, -1)


def labels_under(node):
    return [safe(lambda: n.name, '') for n, _ in walk(node)
            if safe(n.getRole) == pyatspi.ROLE_LABEL]


def do_action(node, wanted):
    action = node.queryAction()
    for i in range(action.nActions):
        if action.getName(i) == wanted:
            if not action.doAction(i):
                raise Failure('%s refused the action %s' % (describe(node), wanted))
            return
    raise Failure('%s has no action %s (it has %s)' %
                  (describe(node), wanted, action_names(node)))


# The keyboard ----------------------------------------------------------------

class Keyboard:
    """Real key presses: the registry daemon synthesizes them with XTest,
    so they reach the application through the X server as typed keys do."""

    def __init__(self):
        self.display = Gdk.Display.open(os.environ['DISPLAY'])
        if self.display is None:
            raise Failure('cannot open the display %s' % os.environ['DISPLAY'])

    def keycode(self, keyval):
        ok, keys = self.display.map_keyval(keyval)
        if not ok or not keys:
            raise Failure('no key makes %s' % Gdk.keyval_name(keyval))
        return keys[0].keycode

    def press(self, keyval, modifiers=()):
        codes = [self.keycode(m) for m in modifiers]
        for code in codes:
            Atspi.generate_keyboard_event(code, None, Atspi.KeySynthType.PRESS)
        Atspi.generate_keyboard_event(self.keycode(keyval), None,
                                      Atspi.KeySynthType.PRESSRELEASE)
        for code in reversed(codes):
            Atspi.generate_keyboard_event(code, None, Atspi.KeySynthType.RELEASE)
        pump(0.02)


class FocusTracker:
    """Follows focus as a screen reader does: from the focus events."""

    def __init__(self, pid):
        self.pid = pid
        self.focused = None
        self.moves = 0
        self.listener = Atspi.EventListener.new(self._on_event)
        self.listener.register('object:state-changed:focused')

    def _on_event(self, event):
        if event.detail1 != 1:
            return
        source = event.source
        if safe(source.get_process_id) == self.pid:
            self.focused = source
            self.moves += 1

    def role(self):
        return safe(self.focused.getRole) if self.focused is not None else None

    def press(self, kb, keyval, modifiers=(), what='the focus to move'):
        """Presses a key that moves the focus, and waits for it to move."""
        moves = self.moves
        kb.press(keyval, modifiers)
        wait_for(what, lambda: self.moves > moves, 10)
        return self.focused

    def close(self):
        self.listener.deregister('object:state-changed:focused')


# The application -------------------------------------------------------------

def bus_has_owner(connection, name):
    reply = connection.call_sync('org.freedesktop.DBus', '/org/freedesktop/DBus',
                                 'org.freedesktop.DBus', 'NameHasOwner',
                                 GLib.Variant('(s)', (name,)), GLib.VariantType('(b)'),
                                 Gio.DBusCallFlags.NONE, -1, None)
    return reply.unpack()[0]


def stop_group(process, timeout=10):
    """Ends a process we started and its children (its own process group)."""
    if process is None or process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


class Session:
    def __init__(self, clapboard):
        self.clapboard = clapboard
        self.launcher = None
        self.app_process = None
        self.data_dir = tempfile.mkdtemp(prefix='clap-a11y-')
        self.app_log = os.path.join(self.data_dir, 'clapboard.log')

    def start(self):
        bus = Gio.bus_get_sync(Gio.BusType.SESSION, None)
        if not bus_has_owner(bus, 'org.a11y.Bus'):
            # Its socket in a directory of its own: no other run's socket
            # for the same display can be in the way.
            runtime_dir = os.path.join(self.data_dir, 'runtime')
            os.mkdir(runtime_dir, 0o700)
            self.launcher = subprocess.Popen(
                ['/usr/libexec/at-spi-bus-launcher', '--launch-immediately'],
                env=dict(os.environ, XDG_RUNTIME_DIR=runtime_dir),
                start_new_session=True, stdout=subprocess.DEVNULL)
            wait_for('the accessibility bus', lambda: bus_has_owner(bus, 'org.a11y.Bus'), 20)

        env = dict(os.environ)
        env.pop('NO_AT_BRIDGE', None)
        env.update({
            'GTK_A11Y': 'atspi',
            'CLAPBOARD_DATA_DIR': self.data_dir,
            'CLAPBOARD_API_KEY': '',
            'G_DEBUG': 'fatal-criticals',
        })
        with open(self.app_log, 'w') as out:
            self.app_process = subprocess.Popen([self.clapboard, '--demo'], env=env,
                                                stdout=out, stderr=subprocess.STDOUT,
                                                start_new_session=True)

        def application():
            if self.app_process.poll() is not None:
                raise Failure('clapboard exited with %d' % self.app_process.returncode)
            desktop = pyatspi.Registry.getDesktop(0)
            for _, app in children(desktop):
                if safe(app.get_process_id) == self.app_process.pid:
                    return app
            return None

        self.app = wait_for('clapboard on the accessibility bus', application, 60)
        self.window = wait_for('the main window',
                               lambda: find_window(self.app, 'Clapboard'), 30)
        return self

    def quit(self):
        """Closes the window as a person would; the application must end
        cleanly by itself."""
        if self.app_process is None or self.app_process.poll() is not None:
            return
        window = find_window(self.app, 'Clapboard')
        if window is not None:
            try:
                do_action(window, 'window.close')
            except GLib.Error as e:
                # Closing the last window ends the application, which may
                # exit before its answer to the call leaves, or (slowed
                # down by the sanitizers) after the call stopped waiting.
                if 'disconnected' not in e.message and 'Did not receive a reply' not in e.message:
                    raise
        try:
            status = self.app_process.wait(30)
        except subprocess.TimeoutExpired:
            raise Failure('clapboard did not quit when its window closed')
        if status != 0:
            raise Failure('clapboard quit with status %d' % status)

    def stop(self):
        stop_group(self.app_process)
        stop_group(self.launcher)
        if os.path.exists(self.app_log):
            with open(self.app_log) as f:
                output = f.read().strip()
            if output:
                log('# clapboard said:')
                for line in output.splitlines():
                    log('#   ' + line)
        shutil.rmtree(self.data_dir, ignore_errors=True)


def find_window(app, title):
    for _, child in children(app):
        if safe(lambda: child.name) == title:
            return child
    return None


def tab_to(kb, focus, what, predicate, limit=60):
    """Presses Tab until the focused accessible satisfies @predicate."""
    for _ in range(limit):
        node = focus.press(kb, Gdk.KEY_Tab,
                           what='Tab to move the focus (do key presses reach the window?)')
        if predicate(node):
            return node
    raise Failure('Tab never reached %s' % what)


def focused_label(focus):
    node = focus.focused
    labels = [text for text in labels_under(node) if text] if node is not None else []
    return labels[0] if labels else None


def find_popup(root):
    for node, _ in walk(root):
        if is_popup(node):
            return node
    return None


def open_window(app, title, opener):
    opener()
    return wait_for('the %s window' % title, lambda: find_window(app, title), 20)


def close_window(app, window, title):
    do_action(window, 'window.close')
    wait_for('the %s window to close' % title, lambda: find_window(app, title) is None, 20)


def run(session, kb, focus, audit):
    app = session.app
    window = session.window

    audit.check(app, 'the window at start')

    # Choose Kling 3 in the model row, with the keyboard
    model_row = tab_to(kb, focus, 'the model row',
                       lambda n: safe(n.getRole) == pyatspi.ROLE_COMBO_BOX and
                       safe(lambda: n.name, '').startswith('Model'))
    focus.press(kb, Gdk.KEY_Return, what='Return to open the model list')
    wait_for('the model list to take the focus',
             lambda: focus.role() == pyatspi.ROLE_LIST_ITEM, 10)
    audit.check(app, 'the model list open')
    for _ in range(10):
        if focused_label(focus) == 'Kling 3':
            break
        focus.press(kb, Gdk.KEY_Down, what='Down to move in the model list')
    if focused_label(focus) != 'Kling 3':
        raise Failure('the model list has no Kling 3 (focused: %s)' % focused_label(focus))
    kb.press(Gdk.KEY_Return)
    wait_for('the model row to show Kling 3',
             lambda: 'Kling 3' in labels_under(model_row), 10)

    # Type the prompt through EditableText
    prompt = find(window, pyatspi.ROLE_TEXT, name='Prompt')
    if prompt is None:
        raise Failure('no text field named Prompt')
    words = 'A paper boat sails down a rainy street'
    prompt.queryEditableText().insertText(0, words, len(words.encode()))
    wait_for('the prompt to hold the words', lambda: text_of(prompt) == words, 10)

    # Generate, through the button's Action interface
    generate = wait_for('an enabled Generate button',
                        lambda: find(window, pyatspi.ROLE_PUSH_BUTTON, match=r'\bGenerate\b',
                                     state=pyatspi.STATE_SENSITIVE), 10)
    do_action(generate, 'click')

    # The take appears, and completes
    takes = find(window, pyatspi.ROLE_LIST, name='Takes')
    if takes is None:
        raise Failure('no list named Takes')

    def completed_row():
        for _, item in children(takes):
            texts = labels_under(item)
            if any(t.startswith('Completed') for t in texts) and words in texts:
                return item
        return None

    row = wait_for('a take saying Completed', completed_row, 120)
    # A screen reader lands on the row: it is named after the prompt and state
    wait_for('the take to be named after its prompt and state',
             lambda: safe(lambda: row.name, '') == words + ', Completed', 10)
    log('# the take: %s' % ' | '.join(t for t in labels_under(row) if t))

    preview = find(row, pyatspi.ROLE_PUSH_BUTTON, name='Preview')
    if preview is None:
        raise Failure('the take has no Preview button')
    do_action(preview, 'click')

    player = wait_for('the video player', lambda: find(window, pyatspi.ROLE_PANEL,
                                                       name='Video player'), 10)
    pause = wait_for('the player to say it plays (a Pause button)',
                     lambda: find(player, pyatspi.ROLE_PUSH_BUTTON, name='Pause'), 30)
    audit.check(app, 'a completed take in preview')
    do_action(pause, 'click')
    wait_for('the player to say it is paused (a Play button)',
             lambda: find(player, pyatspi.ROLE_PUSH_BUTTON, name='Play'), 10)

    # What the buttons open: the take's menu, the main menu, a link field
    row = completed_row()
    for opener_name, where in (('More actions', row), ('Main menu', window),
                               ('Use a web address for First frame', window)):
        opener = find(where, pyatspi.ROLE_PUSH_BUTTON, name=opener_name)
        if opener is None:
            raise Failure('no %s button' % opener_name)
        # GTK 4.8 shows a menu button either as one button or as a button
        # holding the one that takes focus and acts.
        inner = find(opener, pyatspi.ROLE_PUSH_BUTTON, state=pyatspi.STATE_FOCUSABLE)
        if find_popup(where) is not None:
            raise Failure('a popover is open before %s is pressed' % opener_name)
        do_action(inner, 'click')
        wait_for('the %s popover' % opener_name, lambda: find_popup(where), 10)
        audit.check(app, 'the %s popover open' % opener_name)
        kb.press(Gdk.KEY_Escape)
        wait_for('the %s popover to close' % opener_name, lambda: find_popup(where) is None, 10)

    # The other windows: Preferences (Ctrl+,), the shortcuts (Ctrl+?), About
    prefs = open_window(app, 'Preferences',
                        lambda: kb.press(Gdk.KEY_comma, [Gdk.KEY_Control_L]))
    audit.check(app, 'Preferences')
    close_window(app, prefs, 'Preferences')

    shortcuts = open_window(app, 'Keyboard Shortcuts',
                            lambda: kb.press(Gdk.KEY_question,
                                             [Gdk.KEY_Control_L, Gdk.KEY_Shift_L]))
    audit.check(app, 'the shortcuts window')
    close_window(app, shortcuts, 'Keyboard Shortcuts')


def main():
    if len(sys.argv) != 2:
        print('usage: test-a11y.py CLAPBOARD', file=sys.stderr)
        return 2
    clapboard = sys.argv[1]
    if not os.environ.get('DISPLAY') or not os.environ.get('DBUS_SESSION_BUS_ADDRESS'):
        log('1..0 # SKIP needs an X display and a session bus')
        return SKIP

    session = Session(clapboard)
    try:
        kb = Keyboard()
        session.start()
        focus = FocusTracker(session.app_process.pid)
        audit = Audit()
        run(session, kb, focus, audit)
        focus.close()
        session.quit()
        log('# %d accessibles walked, %d distinct controls checked' %
            (audit.walked, len(audit.controls)))
        for stop in sorted(audit.unnamed_stops):
            log('# note: a focusable container without a name: %s' % stop)
        for control in sorted(audit.twice):
            log('# note: GTK 4.8 says the name twice: %s' % control)
        for where, reason in sorted(audit.outside.items()):
            log('# known, outside Clapboard: %s\n#     at %s' % (reason, where))
        for where, (role, problem) in sorted(audit.offenders.items()):
            log('not ok: a %s with %s\n    at %s' % (role, problem, where))
        if audit.offenders:
            raise Failure('%d controls without a usable name' % len(audit.offenders))
        log('ok: every control has a name; the take was made, previewed and paused')
    except Failure as e:
        log('FAIL: %s' % e)
        return 1
    finally:
        session.stop()
    return 0


if __name__ == '__main__':
    sys.exit(main())
