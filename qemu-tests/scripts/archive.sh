# Bulk data: dd from /dev/zero, checksums against known values, gzip and
# tar round trips.
. "${0%/*}/lib.sh"
cd "$WORK" || exit 1

# SHA-256 of 8 MiB of zeros, of "abc", of nothing, and of `seq 1 20000`.
ZEROS_8M=2daeb1f36095b44b318410b3f4e8b5d989dcc7bb023d1426c492dab0a3053e74
ABC=ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad
EMPTY=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
SEQ_20000=f6351f5ead9a700e34275480b3856ea738122a7c57bdeb744a631251c069587a

check "dd if=/dev/zero bs=1M count=8" "8388608" "$(dd if=/dev/zero of=zeros bs=1M count=8 2>/dev/null; wc -c < zeros)"
check "dd reports its records" "8+0 records in 8+0 records out" "$(dd if=/dev/zero of=/dev/null bs=1M count=8 2>&1 | grep records | tr '\n' ' ' | sed 's/ $//')"
check "sha256sum of the 8 MiB file" "$ZEROS_8M" "$(sha256sum zeros | cut -d' ' -f1)"
check "sha256sum of dd through a pipe" "$ZEROS_8M" "$(dd if=/dev/zero bs=1M count=8 2>/dev/null | sha256sum | cut -d' ' -f1)"
check "sha256sum of abc" "$ABC" "$(printf abc | sha256sum | cut -d' ' -f1)"
check "sha256sum of nothing" "$EMPTY" "$(sha256sum < /dev/null | cut -d' ' -f1)"
check "sha256sum of seq 1 20000" "$SEQ_20000" "$(seq 1 20000 | sha256sum | cut -d' ' -f1)"
check "sha256sum -c" "data: OK" "$(seq 1 20000 > data; echo "$SEQ_20000  data" > sums; sha256sum -c sums)"
check "md5sum" "9e107d9d372bb6826bd81d3542a419d6" "$(printf 'The quick brown fox jumps over the lazy dog' | md5sum | cut -d' ' -f1)"
check "sha1sum" "2fd4e1c67a2d28fced849ee1bb76e7391b93eb12" "$(printf 'The quick brown fox jumps over the lazy dog' | sha1sum | cut -d' ' -f1)"
check "gzip -9 size is deterministic" "45004" "$(gzip -9 -c data | wc -c)"
check "gzip | gunzip round trip" "$SEQ_20000" "$(gzip -c data | gunzip -c | sha256sum | cut -d' ' -f1)"
check "gzip replaces the file, gunzip restores it" "data.gz data" "$(gzip data; a=$(echo data*); gunzip data.gz; echo $a data*)"
check "gunzip restores the contents" "$SEQ_20000" "$(sha256sum data | cut -d' ' -f1)"
check "gzip -t accepts, zcat reads" "ok 20000" "$(gzip -c data > d.gz; gzip -t d.gz && printf 'ok '; zcat d.gz | tail -n 1)"
check "gunzip refuses garbage" "1" "$(echo 'not gzip' > bad.gz; gunzip -c bad.gz > /dev/null 2>&1; echo $?)"
check "gzip of the 8 MiB of zeros" "$ZEROS_8M" "$(gzip -1 -c zeros | gunzip -c | sha256sum | cut -d' ' -f1)"

# The tree to archive: files, a subdirectory, an empty directory, a link.
mkdir -p tree/sub tree/empty
seq 1 3000 > tree/numbers
printf 'top\n' > tree/top.txt
printf 'deep\n' > tree/sub/deep.txt
chmod 700 tree/sub/deep.txt
ln -s top.txt tree/link

check "tar cf and tf" "tree/ tree/empty/ tree/link tree/numbers tree/sub/ tree/sub/deep.txt tree/top.txt" "$(tar cf t.tar tree && tar tf t.tar | sort | tr '\n' ' ' | sed 's/ $//')"
check "tar xf extracts every file" "0" "$(mkdir x && tar xf t.tar -C x && diff -r tree x/tree; echo $?)"
check "tar keeps modes" "-rwx------" "$(ls -l x/tree/sub/deep.txt | cut -c1-10)"
check "tar keeps symbolic links" "top.txt" "$(readlink x/tree/link)"
check "tar keeps empty directories" "yes" "$([ -d x/tree/empty ] && echo yes)"
check "tar czf and xzf" "0" "$(tar czf t.tgz tree && mkdir z && tar xzf t.tgz -C z && diff -r tree z/tree; echo $?)"
check "tar through a pipe" "3000" "$(tar cf - tree | (mkdir p && cd p && tar xf -) && wc -l < p/tree/numbers)"
check "gzip of the tarball" "$(sha256sum < t.tar)" "$(gzip -c t.tar | gunzip | sha256sum)"

finish
