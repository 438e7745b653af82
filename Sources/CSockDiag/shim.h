// The kernel's socket-diagnostics netlink interface (sock_diag(7)), for ident's exact lookup of a TCP connection's
// owner by its socket pair: Swift's Glibc module does not carry these Linux UAPI headers (linux-libc-dev).
#pragma once
#include <sys/socket.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/inet_diag.h>
