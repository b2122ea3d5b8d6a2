"""Reference values from Debian's Python packages for the tasks oracle tests.

usage: oracle.py MODE INPUT OUTPUT
  fuzz:  INPUT has JSON lines [a, b]; OUTPUT gets JSON lines
         {"difflib": ratio, "fuzz_difflib": int, "fuzz_levenshtein": int}
  jieba: INPUT has one sentence per line; OUTPUT gets a JSON list of words per line
"""
import difflib
import json
import sys


def fuzz_lines(source, target):
    from fuzzywuzzy import fuzz
    levenshtein_matcher = fuzz.SequenceMatcher
    with open(source, encoding="utf-8") as lines, open(target, "w", encoding="utf-8") as out:
        for line in lines:
            a, b = json.loads(line)
            fuzz.SequenceMatcher = levenshtein_matcher
            with_levenshtein = fuzz.ratio(a, b)
            fuzz.SequenceMatcher = difflib.SequenceMatcher
            with_difflib = fuzz.ratio(a, b)
            ratio = difflib.SequenceMatcher(None, a, b).ratio()
            out.write(json.dumps({"difflib": ratio, "fuzz_difflib": with_difflib,
                                  "fuzz_levenshtein": with_levenshtein}) + "\n")


def jieba_lines(source, target):
    import logging
    import jieba
    jieba.setLogLevel(logging.WARNING)
    with open(source, encoding="utf-8") as lines, open(target, "w", encoding="utf-8") as out:
        for line in lines:
            sentence = line.rstrip("\n")
            out.write(json.dumps(list(jieba.cut(sentence, cut_all=False)), ensure_ascii=False) + "\n")


if __name__ == "__main__":
    mode, source, target = sys.argv[1:4]
    {"fuzz": fuzz_lines, "jieba": jieba_lines}[mode](source, target)
