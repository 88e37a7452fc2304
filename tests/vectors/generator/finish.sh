#!/bin/sh
# finish.sh FAMILY...: checks vector names are unique across all files and
# writes the count table (family x oracle) into README.md between the markers.
set -e
for f in "$@"; do cat "$f.jsonl"; done | sed 's/^{"name":"\([^"]*\)".*/\1/' | sort | uniq -d > build/dups.txt
if [ -s build/dups.txt ]; then echo "duplicate vector names:"; head build/dups.txt; exit 1; fi
for f in "$@"; do cat "$f.jsonl"; done |
  sed 's/.*"family":"\([^"]*\)".*"oracle":"\([^"]*\)".*/\1 \2/' |
  awk -v fams="$*" '
    { n[$1 " " $2]++; o[$2] = 1; tot[$2]++; all++ }
    END {
      split(fams, F, " "); no = 0
      for (k in o) O[++no] = k
      for (i = 1; i <= no; i++) for (j = i + 1; j <= no; j++) if (O[j] < O[i]) { t = O[i]; O[i] = O[j]; O[j] = t }
      printf "| family |"; for (i = 1; i <= no; i++) printf " %s |", O[i]; printf " total |\n"
      printf "| --- |"; for (i = 1; i <= no; i++) printf " ---: |"; printf " ---: |\n"
      for (f = 1; f in F; f++) {
        printf "| %s |", F[f]; s = 0
        for (i = 1; i <= no; i++) { c = n[F[f] " " O[i]] + 0; s += c; printf " %d |", c }
        printf " %d |\n", s
      }
      printf "| **total** |"; for (i = 1; i <= no; i++) printf " **%d** |", tot[O[i]]; printf " **%d** |\n", all
    }' > build/counts.md
awk 'BEGIN { while ((getline l < "build/counts.md") > 0) t = t l "\n" }
     /<!-- counts:end -->/ { printf "%s", t; skip = 0 }
     !skip { print }
     /<!-- counts:begin -->/ { skip = 1 }' README.md > build/README.md
mv build/README.md README.md
cat build/counts.md
echo "total size: $(cat $(for f in "$@"; do echo "$f.jsonl"; done) | wc -c) bytes"
