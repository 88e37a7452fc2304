tickless_SRCS := \
	guest-images/tickless/tickless.c \
	guest-images/common/demo.c
