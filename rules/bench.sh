#!/bin/sh
# rules/bench.sh BUILD_DIR [SECONDS] — the rule-engine benchmark (make bench-rules).
#
# Prepares, in a temporary directory, the two inputs of "jubao-rules bench":
#  - the SpamAssassin body and uri regex rules of /usr/share/spamassassin/*.cf (package
#    spamassassin), one per line: NAME TAB body|uri TAB flags TAB regex (first definition wins);
#  - about 5 MB of reports of about 1 KB, NUL-separated, built deterministically from text on
#    this machine: English from /usr/share/common-licenses and /usr/share/doc/*/copyright,
#    Chinese from the zh_CN and zh_TW message catalogs (msgunfmt, package gettext). A third of
#    the reports are English, a third Chinese, a third half and half.
# and runs it, then times triage (packs, and packs + a model). Needs libvectorscan-dev, spamassassin and gettext (deploy/bootstrap.sh bench).
set -eu
build=${1:-build}
seconds=${2:-3}
for f in "$build/jubao-rules" /usr/share/spamassassin/20_body_tests.cf; do
    [ -e "$f" ] || { echo "bench-rules: $f is missing" >&2; exit 1; }
done
command -v msgunfmt >/dev/null || { echo "bench-rules: msgunfmt (gettext) is missing" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

perl -e '
    my %seen;
    for my $f (sort glob("/usr/share/spamassassin/*.cf")) {
        open my $fh, "<", $f or next;
        while (<$fh>) {
            chomp;
            next unless /^\s*(body|uri)\s+(\S+)\s+(.*?)\s*$/;
            my ($type, $name, $r) = ($1, $2, $3);
            my ($re, $fl);
            if ($r =~ m{^/(.*)/([a-z]*)$}) { ($re, $fl) = ($1, $2) }
            elsif ($r =~ m{^m(\W)(.*)(\W)([a-z]*)$}) { ($re, $fl) = ($2, $4) }
            else { next }           # eval: tests are code, not regexes
            next if $seen{$name}++ || $re =~ /\t/;
            print "$name\t$type\t$fl\t$re\n";
        }
    }' > "$tmp/sa.tsv"

for f in /usr/share/locale/zh_CN/LC_MESSAGES/*.mo /usr/share/locale/zh_TW/LC_MESSAGES/*.mo; do
    [ -e "$f" ] && msgunfmt "$f" 2>/dev/null || true
done > "$tmp/zh.po"
{ cat /usr/share/common-licenses/* 2>/dev/null
  for f in $(ls /usr/share/doc/*/copyright | LC_ALL=C sort); do cat "$f"; done; } > "$tmp/en.txt"

perl -CS -e '
    use Encode qw(decode);
    sub slurp { local $/; open my $fh, "<:raw", $_[0] or die; decode("UTF-8", <$fh>) }
    my @en = grep { length > 40 } map { s/\s+/ /gr } split /\n\s*\n/, slurp($ARGV[0]);
    my @zh;
    for (split /\n/, slurp($ARGV[1])) {
        next unless /^msgstr(?:\[\d\])? "(.*)"$/;
        my $s = $1 =~ s/\\n/ /gr =~ s/\\(.)/$1/gr;
        push @zh, $s if $s =~ /\p{Han}{2}/;
    }
    my ($ie, $iz, $out) = (0, 0, 0);
    sub take {      # the next ~$_[1] bytes of text from list $_[0], cut at a character
        my ($list, $bytes, $i) = @_;
        my $s = "";
        while (length(Encode::encode("UTF-8", $s)) < $bytes) {
            $s .= $list->[$$i++ % @$list] . " ";
        }
        while (length(Encode::encode("UTF-8", $s)) > $bytes) { chop $s }
        return $s;
    }
    binmode STDOUT, ":encoding(UTF-8)";
    for (my $n = 0; $out < 5_000_000; $n++) {
        my $r = $n % 3 == 0 ? take(\@en, 1024, \$ie)
              : $n % 3 == 1 ? take(\@zh, 1024, \$iz)
              : take(\@en, 512, \$ie) . take(\@zh, 512, \$iz);
        print $r, "\0";
        $out += length(Encode::encode("UTF-8", $r)) + 1;
    }' "$tmp/en.txt" "$tmp/zh.po" > "$tmp/corpus.bin"

# Triage with the shipped packs, and with a model trained on the repository's own labelled
# texts (tests/data/triage): what a gateway or worker pays per report.
repo=$(dirname "$0")/..
"$build/jubao-rules" train -o "$tmp/model.bin" "$repo/tests/data/triage/written_train.tsv" >/dev/null
exec "$build/jubao-rules" bench --sa "$tmp/sa.tsv" --corpus "$tmp/corpus.bin" --seconds "$seconds" \
    --packs "$repo/rules/packs" --model "$tmp/model.bin"
