#!/usr/bin/python3
"""check — checks the labelled files of this directory (see README.md).

Every row of written_train/written_dev/learn/learn_new.tsv: four tab-separated columns under the header
id/category/lang/text, a unique id, a category code of lib/category.c or "none", lang zh or
en, valid UTF-8 without control characters, a text that no other row of these files repeats.
learn*.tsv texts stay under 300 characters. With --corpus DIR (the directory holding the
public corpus's train.tsv and dev.tsv): every row is ours (ids own-... or learn...; nothing is
copied from the corpus), and no text shares a 20-character span with any corpus text or is one.

    usage: check.py [--corpus DIR]        exit status 0 when everything holds
"""
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
FILES = ('written_train.tsv', 'written_dev.tsv', 'learn.tsv', 'learn_new.tsv')
SPAN = 20


def categories():
    src = open(os.path.join(HERE, '..', '..', '..', 'lib', 'category.c'), encoding='utf-8').read()
    return set(re.findall(r'^\s*\{"([a-z_]+)",', src, re.M)) | {'none'}


def read_rows(path, problems):
    rows = []
    if not os.path.exists(path):
        problems.append('%s: missing' % path)
        return rows
    raw = open(path, 'rb').read()
    try:
        text = raw.decode('utf-8')
    except UnicodeDecodeError as e:
        problems.append('%s: not UTF-8 (%s)' % (path, e))
        return rows
    lines = text.split('\n')
    if lines and lines[-1] == '':
        lines.pop()
    if not lines or lines[0] != 'id\tcategory\tlang\ttext':
        problems.append('%s:1: header is not id/category/lang/text' % path)
    for n, line in enumerate(lines[1:], 2):
        f = line.split('\t')
        if len(f) != 4:
            problems.append('%s:%d: %d columns' % (path, n, len(f)))
            continue
        if re.search(r'[\x00-\x1f\x7f\u2028\u2029]', line.replace('\t', '')):
            problems.append('%s:%d: control character in the row' % (path, n))
        rows.append((path, n) + tuple(f))
    return rows


def main(argv):
    corpus = argv[argv.index('--corpus') + 1] if '--corpus' in argv else None
    cats, problems, rows = categories(), [], []
    for name in FILES:
        rows += read_rows(os.path.join(HERE, name), problems)
    ids, texts = {}, {}
    for path, n, rid, cat, lang, text in rows:
        where = '%s:%d' % (os.path.basename(path), n)
        if cat not in cats:
            problems.append('%s: unknown category %r' % (where, cat))
        if lang not in ('zh', 'en'):
            problems.append('%s: lang %r' % (where, lang))
        if not text.strip() or text != text.strip():
            problems.append('%s: empty text or blanks around it' % where)
        if path.endswith(('learn.tsv', 'learn_new.tsv')) and len(text) >= 300:
            problems.append('%s: text of %d characters' % (where, len(text)))
        for seen, key, what in ((ids, rid, 'id'), (texts, ' '.join(text.split()), 'text')):
            if key in seen:
                problems.append('%s: same %s as %s' % (where, what, seen[key]))
            seen[key] = where
    if corpus:
        check_corpus(corpus, rows, problems)
    for p in problems:
        print(p)
    print('%d rows, %d problems' % (len(rows), len(problems)))
    return 1 if problems else 0


def check_corpus(corpus, rows, problems):
    spans, whole = set(), set()
    for name in ('train.tsv', 'dev.tsv'):
        for line in open(os.path.join(corpus, name), encoding='utf-8'):
            f = line.rstrip('\n').split('\t')
            if len(f) == 4:
                whole.add(' '.join(f[3].split()))
                spans.update(f[3][i:i + SPAN] for i in range(max(1, len(f[3]) - SPAN + 1)))
    for path, n, rid, cat, lang, text in rows:
        where = '%s:%d' % (os.path.basename(path), n)
        if rid.startswith(('own-', 'learn')):
            if ' '.join(text.split()) in whole:
                problems.append('%s: the text of a corpus row' % where)
            for i in range(max(1, len(text) - SPAN + 1)):
                if len(text[i:i + SPAN]) == SPAN and text[i:i + SPAN] in spans:
                    problems.append('%s: shares %r with the corpus' % (where, text[i:i + SPAN]))
                    break
        else:
            problems.append('%s: %s is not one of ours' % (where, rid))


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
