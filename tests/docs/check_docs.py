#!/usr/bin/env python3
"""Check the code blocks of the documentation against the code the tests
build and run.

Every fenced block whose language is c, meson, cmake, make, shell, sh or
bash must be preceded (on the line before its opening fence, blank lines
allowed in between) by one of these HTML comments, which render as
nothing:

  <!-- file: PATH -->        the block is, verbatim, the file PATH (from
                             the source root), which the build compiles
                             or a test runs (examples/, tests/)
  <!-- file: PATH#TAG -->    the block is, verbatim, the lines of PATH
                             between a line containing "BEGIN TAG" and
                             one containing "END TAG"
  <!-- excerpt -->           a fragment or a command not checked here
  <!-- excerpt: why -->      (the same, with a reason)

A block of another language (a transcript, a schema) may carry a file
marker too, and is then checked the same way. The check fails on a block
of a checked language without a marker, on a marker naming a missing file
or tag, and on a block that differs from its file, so a documented
program that stops compiling, or a change to it that the documentation
does not follow, fails a test.

usage: check_docs.py SOURCE-ROOT DOC.md|DIR...   (a DIR: its *.md files)
"""
import os
import re
import sys

CHECKED = {'c', 'meson', 'cmake', 'make', 'shell', 'sh', 'bash'}
MARKER = re.compile(r'^<!--\s*(file:\s*(?P<path>[^#\s]+)(#(?P<tag>[^>]*?))?|excerpt(:[^>]*)?)\s*-->\s*$')
FENCE = re.compile(r'^(?P<indent>\s*)(?P<fence>```+)(?P<lang>[A-Za-z0-9_+-]*)\s*$')


def region(text, tag):
    lines = text.splitlines(keepends=True)
    begin = [i for i, l in enumerate(lines) if 'BEGIN ' + tag in l]
    end = [i for i, l in enumerate(lines) if 'END ' + tag in l]
    if len(begin) != 1 or len(end) != 1 or end[0] <= begin[0]:
        return None
    return ''.join(lines[begin[0] + 1:end[0]])


def blocks(path):
    """Yield (line number, language, marker line or None, body) per fenced block."""
    lines = open(path, encoding='utf-8').read().splitlines(keepends=True)
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        start, indent, fence, lang = i, m.group('indent'), m.group('fence'), m.group('lang')
        body = []
        i += 1
        while i < len(lines) and lines[i].strip() != fence:
            line = lines[i]
            body.append(line[len(indent):] if line.startswith(indent) else line.lstrip())
            i += 1
        i += 1
        j = start - 1
        while j >= 0 and not lines[j].strip():
            j -= 1
        marker = lines[j].strip() if j >= 0 and lines[j].strip().startswith('<!--') else None
        yield start + 1, lang.lower(), marker, ''.join(body)


def check(root, doc):
    errors = []
    name = os.path.relpath(doc, root)
    for line, lang, marker, body in blocks(doc):
        where = '%s:%d' % (name, line)
        m = MARKER.match(marker) if marker else None
        if marker and not m:
            errors.append('%s: unknown marker %s' % (where, marker))
            continue
        if not m:
            if lang in CHECKED:
                errors.append('%s: a ```%s block with neither <!-- file: PATH --> nor '
                              '<!-- excerpt --> on the line before' % (where, lang))
            continue
        if not m.group('path'):
            continue  # an excerpt
        path = os.path.join(root, m.group('path'))
        if not os.path.isfile(path):
            errors.append('%s: %s does not exist' % (where, m.group('path')))
            continue
        text = open(path, encoding='utf-8').read()
        want = text
        if m.group('tag'):
            want = region(text, m.group('tag').strip())
            if want is None:
                errors.append('%s: %s has no single BEGIN/END %s pair'
                              % (where, m.group('path'), m.group('tag').strip()))
                continue
        if body != want:
            errors.append('%s: the block differs from %s; copy it again'
                          % (where, m.group('path') + ('#' + m.group('tag') if m.group('tag') else '')))
    return errors


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    root = sys.argv[1]
    docs = []
    for arg in sys.argv[2:]:
        if os.path.isdir(arg):
            docs += sorted(os.path.join(arg, f) for f in os.listdir(arg) if f.endswith('.md'))
        else:
            docs.append(arg)
    errors = []
    for doc in docs:
        errors += check(root, doc)
    for e in errors:
        print(e, file=sys.stderr)
    if errors:
        sys.exit(1)
    print('ok: %d file(s)' % len(docs))


if __name__ == '__main__':
    main()
