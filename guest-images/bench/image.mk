bench_SRCS := \
	guest-images/bench/bench.c \
	guest-images/bench/sort.c \
	guest-images/bench/hash.c \
	guest-images/bench/vm.c \
	guest-images/bench/chase.c \
	guest-images/bench/strings.c \
	guest-images/bench/bits.c \
	guest-images/bench/int64.c
