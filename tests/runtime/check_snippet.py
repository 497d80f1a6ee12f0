#!/usr/bin/env python3
"""Check that a C snippet of a document is, verbatim, the code between
'/* BEGIN <tag> */' and '/* END <tag> */' of a test file that compiles and
runs it.  Usage: check_snippet.py DOC.md TEST.c TAG"""
import sys

doc, test, tag = sys.argv[1:4]
src = open(test, encoding='utf-8').read()
begin, end = '/* BEGIN %s */\n' % tag, '/* END %s */' % tag
if begin not in src or end not in src:
    sys.exit('%s: markers for %s not found' % (test, tag))
code = src[src.index(begin) + len(begin):src.index(end)]
text = open(doc, encoding='utf-8').read()
if '```c\n' + code + '```' not in text:
    sys.exit('%s: the snippet %s differs from %s; copy it again' % (doc, tag, test))
print('ok')
