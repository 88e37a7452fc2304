hello_SRCS := guest-images/hello/hello.c
