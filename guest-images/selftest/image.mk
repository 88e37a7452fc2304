selftest_SRCS := \
	guest-images/selftest/selftest.c \
	guest-images/selftest/control.c \
	guest-images/selftest/arith.c \
	guest-images/selftest/libc.c \
	guest-images/selftest/bits.c \
	guest-images/selftest/system.c
