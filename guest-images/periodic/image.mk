periodic_SRCS := \
	guest-images/periodic/periodic.c \
	guest-images/common/demo.c
