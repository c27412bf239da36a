#!/bin/sh
# embed.sh NAME FILE: print a C file that defines `const char NAME[]` with FILE's bytes and a
# terminating NUL, and `const unsigned long NAME_len` (without the NUL). Used to compile text
# assets into the programs. A byte array, not a string literal: C17 limits literal length
# (each byte cast, so that UTF-8 text above 0x7f fits a char).
name=$1; file=$2
echo "/* generated from $file by deploy/embed.sh: do not edit */"
echo "extern const char $name[];"
echo "extern const unsigned long ${name}_len;"
echo "const char $name[] = {"
od -An -v -tx1 "$file" | sed 's/ *\([0-9a-f][0-9a-f]\)/(char)0x\1,/g'
echo "0};"
echo "const unsigned long ${name}_len = sizeof $name - 1;"
