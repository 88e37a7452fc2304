tasks_SRCS := \
	guest-images/tasks/entry.S \
	guest-images/tasks/cpu.c \
	guest-images/tasks/mm.c \
	guest-images/tasks/sched.c \
	guest-images/tasks/main.c \
	guest-images/tasks/user.c
# Its own linker script: user.c goes to USER_TEXT_BASE (see link.ld).
tasks_LDSCRIPT := $(IMG_DIR)/tasks/link.ld
