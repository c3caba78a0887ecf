#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Checks the Flatpak manifest without building it (no network, no flatpak
# needed):
#
#  1. it is JSON, strict (flatpak-builder would take comments; tools and
#     this check do not);
#  2. its id is the project's application id, it runs on the GNOME runtime
#     and SDK of one branch, and its command is what the desktop file runs;
#  3. its finish-args give what a video application needs (network, IPC,
#     Wayland with X11 only as a fallback, the GPU, sound) and nothing
#     broad: files, secrets and notifications go through portals;
#  4. every module's sources exist: a dir, file or patch source names a
#     path in the repository, an archive is pinned by checksum, a git
#     source by commit.
#
# Before the manifest, the check runs on broken copies of it and must find
# each fault, so that a check that found nothing would fail too.
#
#   build-aux/check-flatpak.py MANIFEST --app-id ID --desktop-file FILE.desktop.in
#
# Exits 0 when the manifest is sound, 1 with a list of what is wrong.

import argparse
import copy
import json
import os
import sys

REQUIRED_FINISH_ARGS = [
    '--share=network',
    '--share=ipc',
    '--socket=wayland',
    '--socket=fallback-x11',
    '--device=dri',
    '--socket=pulseaudio',
]

# Holes in the sandbox a portal makes needless.
FORBIDDEN_FINISH_ARGS = {
    '--socket=x11': 'X11 only as --socket=fallback-x11, for sessions without Wayland',
    '--filesystem=home': 'files come and go through the file chooser portal',
    '--filesystem=host': 'files come and go through the file chooser portal',
    '--filesystem=host-os': 'nothing of the host system is needed',
    '--device=all': 'only the GPU (--device=dri) is needed',
    '--socket=session-bus': 'no D-Bus name beyond the portals is needed',
    '--socket=system-bus': 'no D-Bus name beyond the portals is needed',
}

LOCAL_SOURCES = ('dir', 'file', 'patch')


def desktop_command(path):
    """The program the desktop file's Exec= line runs."""
    with open(path, encoding='utf-8') as f:
        for line in f:
            if line.startswith('Exec='):
                return line[len('Exec='):].split()[0]
    return None


def check_sources(module, base, where, problems):
    for i, source in enumerate(module.get('sources', [])):
        here = '%s source %d' % (where, i + 1)
        if isinstance(source, str):
            # A JSON file holding more sources
            if not os.path.isfile(os.path.join(base, source)):
                problems.append('%s: %s does not exist' % (here, source))
            continue
        kind = source.get('type')
        if kind in ('archive', 'file') and 'url' in source:
            # Downloaded: the checksum is what pins it
            if not (source.get('sha256') or source.get('sha512')):
                problems.append('%s (%s): %s is not pinned by sha256'
                                % (here, kind, source['url']))
        elif kind in LOCAL_SOURCES:
            paths = source.get('paths') or [source.get('path')]
            for path in paths:
                if not path:
                    problems.append('%s (%s): no path' % (here, kind))
                elif not os.path.exists(os.path.normpath(os.path.join(base, path))):
                    problems.append('%s (%s): %s does not exist' % (here, kind, path))
        elif kind == 'archive':
            problems.append('%s (archive): no url' % here)
        elif kind == 'git':
            if not source.get('commit'):
                problems.append('%s (git): %s is not pinned by commit'
                                % (here, source.get('url')))
        elif kind is None:
            problems.append('%s: no type' % here)


def check_modules(modules, base, problems, where='manifest'):
    if not isinstance(modules, list) or not modules:
        problems.append('%s: no modules' % where)
        return []
    names = []
    for i, module in enumerate(modules):
        if isinstance(module, str):
            # A module kept in a JSON file of its own
            path = os.path.join(base, module)
            if not os.path.isfile(path):
                problems.append('%s: module file %s does not exist' % (where, module))
                continue
            with open(path, encoding='utf-8') as f:
                module = json.load(f)
            module_base = os.path.dirname(path)
        else:
            module_base = base
        name = module.get('name')
        if not name:
            problems.append('%s: module %d has no name' % (where, i + 1))
            name = str(i + 1)
        names.append(name)
        check_sources(module, module_base, 'module %s' % name, problems)
        if 'modules' in module:
            check_modules(module['modules'], module_base, problems, 'module %s' % name)
    return names


def check(manifest, base, app_id, command):
    """Everything wrong with @manifest (a parsed JSON object), in words."""
    problems = []

    if not isinstance(manifest, dict):
        return ['the manifest is not a JSON object']

    ids = [key for key in ('id', 'app-id') if key in manifest]
    if len(ids) != 1:
        problems.append('the manifest must have one of "id" or "app-id"')
    elif manifest[ids[0]] != app_id:
        problems.append('the id is %r, the application is %r' % (manifest[ids[0]], app_id))

    if manifest.get('runtime') != 'org.gnome.Platform':
        problems.append('the runtime is %r, not org.gnome.Platform' % manifest.get('runtime'))
    if manifest.get('sdk') != 'org.gnome.Sdk':
        problems.append('the SDK is %r, not org.gnome.Sdk' % manifest.get('sdk'))
    version = manifest.get('runtime-version')
    if not isinstance(version, str) or not version:
        problems.append('no runtime-version: a manifest builds on one runtime branch')

    if manifest.get('command') != command:
        problems.append('the command is %r, the desktop file runs %r'
                        % (manifest.get('command'), command))

    finish_args = manifest.get('finish-args', [])
    if not isinstance(finish_args, list):
        problems.append('finish-args is not a list')
        finish_args = []
    for arg in REQUIRED_FINISH_ARGS:
        if arg not in finish_args:
            problems.append('finish-args lacks %s' % arg)
    for arg in finish_args:
        if arg in FORBIDDEN_FINISH_ARGS:
            problems.append('finish-args has %s: %s' % (arg, FORBIDDEN_FINISH_ARGS[arg]))
    if len(set(finish_args)) != len(finish_args):
        problems.append('finish-args names something twice')

    names = check_modules(manifest.get('modules'), base, problems)
    if names and names[-1] != 'clapboard':
        problems.append('the last module is %r; the application itself comes last' % names[-1])

    return problems


def self_test(manifest, base, app_id, command):
    """Broken copies of @manifest: the check must find each fault."""
    def broken(change):
        copy_ = copy.deepcopy(manifest)
        change(copy_)
        return copy_

    def drop_network(m):
        m['finish-args'].remove('--share=network')

    def add_home(m):
        m['finish-args'].append('--filesystem=home')

    def rename(m):
        m['id' if 'id' in m else 'app-id'] = 'org.example.Other'

    def missing_dir(m):
        m['modules'][-1]['sources'].append({'type': 'dir', 'path': 'no/such/dir'})

    def unpinned_archive(m):
        m['modules'].insert(0, {'name': 'dep', 'sources': [
            {'type': 'archive', 'url': 'https://example.org/dep.tar.xz'}]})

    def unpinned_git(m):
        m['modules'].insert(0, {'name': 'dep', 'sources': [
            {'type': 'git', 'url': 'https://example.org/dep.git', 'branch': 'main'}]})

    def other_command(m):
        m['command'] = 'clapboard-cli'

    def x11(m):
        m['finish-args'].append('--socket=x11')

    failures = []
    for change in (drop_network, add_home, rename, missing_dir, unpinned_archive,
                   unpinned_git, other_command, x11):
        if not check(broken(change), base, app_id, command):
            failures.append('the check does not notice: %s' % change.__name__.replace('_', ' '))
    return failures


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('manifest')
    parser.add_argument('--app-id', required=True)
    parser.add_argument('--desktop-file', required=True)
    args = parser.parse_args()

    base = os.path.dirname(os.path.abspath(args.manifest))
    command = desktop_command(args.desktop_file)
    if command is None:
        print('%s has no Exec= line' % args.desktop_file)
        return 1

    try:
        with open(args.manifest, encoding='utf-8') as f:
            manifest = json.load(f)
    except (OSError, ValueError) as e:
        print('%s is not readable JSON: %s' % (args.manifest, e))
        return 1

    problems = check(manifest, base, args.app_id, command)
    if not problems:
        problems = self_test(manifest, base, args.app_id, command)
    if problems:
        print('%d problems in %s:' % (len(problems), args.manifest))
        for problem in problems:
            print('- ' + problem)
        return 1

    print('%s: %s on %s//%s runs %s with %s' % (
        os.path.basename(args.manifest), args.app_id, manifest['runtime'],
        manifest['runtime-version'], command, ' '.join(manifest['finish-args'])))
    return 0


if __name__ == '__main__':
    sys.exit(main())
