#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Checks the translations the way a release needs them:
#
#  1. po/POTFILES.in names exactly the files with translatable strings: every
#     C file under src/ (src/sim excepted, the simulator's server side is not
#     translated) and every .ui, desktop, metainfo and GSettings schema file
#     under data/ that has one, and nothing that does not exist or has none;
#     src/sim carries no marked strings at all.
#  2. The template, made afresh from the sources with the options of meson's
#     glib preset, holds every marked string.
#  3. Each language in po/LINGUAS has a .po that translates every message of
#     that template (none missing, none fuzzy) and passes
#     `msgfmt --check --check-format --check-accelerators=_`.
#
#   build-aux/check-po.py --srcdir DIR [--package clapboard]
#                         [--xgettext PATH] [--msgmerge PATH] [--msgfmt PATH]
#
# Exits 0 when all is well, 1 with a list of what is wrong otherwise.

import argparse
import os
import re
import subprocess
import sys
import tempfile

# The arguments meson's i18n.gettext(preset: 'glib') gives xgettext
# (mesonbuild/modules/i18n.py, PRESET_ARGS['glib']), plus the -k_ its
# gettext script adds. .ui, desktop, metainfo and schema files are read
# through xgettext's ITS rules (gtk4builder, metainfo and gschema .its from
# the GTK, AppStream and GLib packages), as meson's clapboard-pot target does.
XGETTEXT_ARGS = [
    '-k_',
    '--from-code=UTF-8',
    '--add-comments',
    '--keyword=_',
    '--keyword=N_',
    '--keyword=C_:1c,2',
    '--keyword=NC_:1c,2',
    '--keyword=g_dcgettext:2',
    '--keyword=g_dngettext:2,3',
    '--keyword=g_dpgettext2:2c,3',
    '--flag=N_:1:pass-c-format',
    '--flag=C_:2:pass-c-format',
    '--flag=NC_:2:pass-c-format',
    '--flag=g_dngettext:2:pass-c-format',
    '--flag=g_strdup_printf:1:c-format',
    '--flag=g_string_printf:2:c-format',
    '--flag=g_string_append_printf:2:c-format',
    '--flag=g_error_new:3:c-format',
    '--flag=g_set_error:4:c-format',
    '--flag=g_markup_printf_escaped:1:c-format',
    '--flag=g_log:3:c-format',
    '--flag=g_print:1:c-format',
    '--flag=g_printerr:1:c-format',
    '--flag=g_printf:1:c-format',
    '--flag=g_fprintf:2:c-format',
    '--flag=g_sprintf:2:c-format',
    '--flag=g_snprintf:3:c-format',
]

# Where translatable files may live, and which of them are looked at.
SOURCE_SUFFIXES = ('.c', '.h', '.ui')
DATA_SUFFIXES = ('.ui', '.desktop.in', '.metainfo.xml.in', '.appdata.xml.in', '.gschema.xml')
UNTRANSLATED_DIRS = ('src/sim',)

problems = []


def problem(text):
    problems.append(text)


def run(argv, **kwargs):
    return subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, **kwargs)


def read_list(path):
    """Non-empty, non-comment lines of POTFILES.in or LINGUAS."""
    items = []
    with open(path, encoding='utf-8') as f:
        for line in f:
            line = line.split('#', 1)[0].strip()
            if line:
                items.extend(line.split())
    return items


def candidates(srcdir):
    """Every file that could carry translatable strings, relative to srcdir."""
    found = []
    for top, suffixes in (('src', SOURCE_SUFFIXES), ('data', DATA_SUFFIXES)):
        for root, dirs, files in os.walk(os.path.join(srcdir, top)):
            dirs.sort()
            for name in sorted(files):
                if name.endswith(suffixes):
                    found.append(os.path.relpath(os.path.join(root, name), srcdir))
    return found


def is_untranslated(path):
    return any(path == d or path.startswith(d + '/') for d in UNTRANSLATED_DIRS)


def xgettext(args, srcdir, files, output):
    """Runs xgettext over files (relative to srcdir) into output."""
    listfile = output + '.files'
    with open(listfile, 'w', encoding='utf-8') as f:
        f.write('\n'.join(files) + '\n')
    result = run([args.xgettext, '--package-name=' + args.package, '-f', listfile,
                  '-D', srcdir, '-o', output, '--force-po'] + XGETTEXT_ARGS)
    if result.returncode != 0:
        problem('xgettext failed:\n' + result.stderr.strip())
        return False
    if result.stderr.strip():
        print(result.stderr.strip())
    return True


class Entry:
    def __init__(self):
        self.refs = []
        self.flags = set()
        self.previous = []
        self.obsolete = False
        self.fields = {}  # 'msgctxt', 'msgid', 'msgid_plural', 'msgstr', 'msgstr[0]', …

    @property
    def msgid(self):
        return self.fields.get('msgid', '')

    def translations(self):
        return [v for k, v in self.fields.items() if k.startswith('msgstr')]

    def describe(self):
        text = self.msgid
        if 'msgctxt' in self.fields:
            text = self.fields['msgctxt'] + ' | ' + text
        where = ' '.join(self.refs[:3]) + (' …' if len(self.refs) > 3 else '')
        shown = text if len(text) <= 100 else text[:97] + '…'
        return '%s: "%s"' % (where or '(no reference)', shown.replace('\n', '\\n'))


def unquote(s):
    s = s.strip()
    if not (s.startswith('"') and s.endswith('"')):
        raise ValueError('not a quoted string: ' + s)
    out = []
    body = s[1:-1]
    i = 0
    escapes = {'n': '\n', 't': '\t', 'r': '\r', '"': '"', '\\': '\\', 'a': '\a', 'b': '\b',
               'f': '\f', 'v': '\v'}
    while i < len(body):
        c = body[i]
        if c == '\\' and i + 1 < len(body):
            out.append(escapes.get(body[i + 1], body[i + 1]))
            i += 2
        else:
            out.append(c)
            i += 1
    return ''.join(out)


def parse_po(path):
    """The entries of a .po or .pot file, header included (msgid "")."""
    entries = []
    entry = Entry()
    key = None
    with open(path, encoding='utf-8') as f:
        for raw in f:
            line = raw.rstrip('\n')
            if not line.strip():
                if entry.fields:
                    entries.append(entry)
                entry, key = Entry(), None
                continue
            obsolete = line.startswith('#~')
            if obsolete:
                entry.obsolete = True
                line = line[2:].lstrip()
                if line.startswith('|'):
                    continue
            if line.startswith('#:'):
                entry.refs.extend(line[2:].split())
            elif line.startswith('#,'):
                entry.flags.update(flag.strip() for flag in line[2:].split(','))
            elif line.startswith('#|'):
                entry.previous.append(line[2:].strip())
            elif line.startswith('#'):
                continue
            elif line.startswith('"'):
                if key is not None:
                    entry.fields[key] += unquote(line)
            else:
                m = re.match(r'(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?)\s+(".*")$', line)
                if not m:
                    raise ValueError('%s: cannot read line: %s' % (path, raw.rstrip()))
                key = m.group(1)
                entry.fields[key] = unquote(m.group(2))
    if entry.fields:
        entries.append(entry)
    return entries


def check_potfiles(args, srcdir, tmpdir):
    """Step 1: POTFILES.in is complete and exact."""
    potfiles_in = os.path.join(srcdir, 'po', 'POTFILES.in')
    listed = read_list(potfiles_in)

    for path in listed:
        if not os.path.isfile(os.path.join(srcdir, path)):
            problem('po/POTFILES.in lists %s, which does not exist.' % path)
        if is_untranslated(path):
            problem('po/POTFILES.in lists %s, but the simulator (src/sim) is not translated.'
                    % path)
    duplicates = sorted({p for p in listed if listed.count(p) > 1})
    for path in duplicates:
        problem('po/POTFILES.in lists %s more than once.' % path)

    files = candidates(srcdir)
    scan = os.path.join(tmpdir, 'scan.pot')
    if not xgettext(args, srcdir, files, scan):
        return
    marked = set()
    for entry in parse_po(scan):
        for ref in entry.refs:
            marked.add(ref.rsplit(':', 1)[0])

    for path in sorted(marked):
        if is_untranslated(path):
            problem('%s marks strings for translation, but the simulator (src/sim) is not '
                    'translated: remove the marks.' % path)
        elif path not in listed:
            problem('%s has translatable strings but po/POTFILES.in does not list it.' % path)
    for path in listed:
        if os.path.isfile(os.path.join(srcdir, path)) and path not in marked \
           and not is_untranslated(path):
            problem('po/POTFILES.in lists %s, which has no translatable strings.' % path)


def make_template(args, srcdir, tmpdir):
    """Step 2: the template, as meson's clapboard-pot target makes it."""
    listed = [p for p in read_list(os.path.join(srcdir, 'po', 'POTFILES.in'))
              if os.path.isfile(os.path.join(srcdir, p))]
    pot = os.path.join(tmpdir, args.package + '.pot')
    if not xgettext(args, srcdir, listed, pot):
        return None
    messages = [e for e in parse_po(pot) if e.msgid]
    if not messages:
        problem('The template has no messages.')
        return None
    print('Template: %d messages from %d files.' % (len(messages), len(listed)))
    return pot


def check_language(args, srcdir, tmpdir, pot, lang):
    """Step 3: one language translates the whole template and is well formed."""
    po = os.path.join(srcdir, 'po', lang + '.po')
    if not os.path.isfile(po):
        problem('po/LINGUAS names %s, but po/%s.po does not exist.' % (lang, lang))
        return

    result = run([args.msgfmt, '--check', '--check-format', '--check-accelerators=_',
                  '-o', os.devnull, po])
    if result.returncode != 0:
        problem('po/%s.po fails msgfmt --check:\n%s' % (lang, result.stderr.strip()))

    merged = os.path.join(tmpdir, lang + '.po')
    result = run([args.msgmerge, '--quiet', '--previous', '-o', merged, po, pot])
    if result.returncode != 0:
        problem('msgmerge failed on po/%s.po:\n%s' % (lang, result.stderr.strip()))
        return

    untranslated, fuzzy, obsolete, total = [], [], [], 0
    for entry in parse_po(merged):
        if not entry.msgid:
            continue
        if entry.obsolete:
            obsolete.append(entry)
            continue
        total += 1
        if 'fuzzy' in entry.flags:
            fuzzy.append(entry)
        elif not all(entry.translations()):
            untranslated.append(entry)

    if untranslated:
        problem('po/%s.po does not translate %d of %d messages (run `meson compile -C BUILD '
                '%s-update-po` and translate them):\n  %s'
                % (lang, len(untranslated), total, args.package,
                   '\n  '.join(e.describe() for e in untranslated)))
    if fuzzy:
        problem('po/%s.po has %d messages whose source changed (fuzzy); check and update '
                'them:\n  %s' % (lang, len(fuzzy), '\n  '.join(
                    e.describe() + (' (was: %s)' % ' '.join(e.previous) if e.previous else '')
                    for e in fuzzy)))
    if obsolete:
        print('po/%s.po: %d message%s no longer in the sources (harmless; dropped by the '
              'next update-po).' % (lang, len(obsolete), '' if len(obsolete) == 1 else 's'))
    if not untranslated and not fuzzy:
        print('po/%s.po: all %d messages translated.' % (lang, total))


def main():
    parser = argparse.ArgumentParser(description='Check POTFILES.in and the translations.')
    parser.add_argument('--srcdir', default=os.path.join(os.path.dirname(__file__), '..'))
    parser.add_argument('--package', default='clapboard')
    parser.add_argument('--xgettext', default='xgettext')
    parser.add_argument('--msgmerge', default='msgmerge')
    parser.add_argument('--msgfmt', default='msgfmt')
    args = parser.parse_args()
    srcdir = os.path.abspath(args.srcdir)

    linguas = read_list(os.path.join(srcdir, 'po', 'LINGUAS'))
    on_disk = sorted(f[:-3] for f in os.listdir(os.path.join(srcdir, 'po')) if f.endswith('.po'))
    for lang in on_disk:
        if lang not in linguas:
            problem('po/%s.po exists but po/LINGUAS does not name %s.' % (lang, lang))

    with tempfile.TemporaryDirectory(prefix='check-po-') as tmpdir:
        check_potfiles(args, srcdir, tmpdir)
        pot = make_template(args, srcdir, tmpdir)
        if pot is not None:
            for lang in linguas:
                check_language(args, srcdir, tmpdir, pot, lang)

    if problems:
        print('\n%d problem%s:' % (len(problems), '' if len(problems) == 1 else 's'))
        for p in problems:
            print('- ' + p)
        return 1
    print('Translations are complete.')
    return 0


if __name__ == '__main__':
    sys.exit(main())
