// The batched datagram system calls for the daemon's own UDP loop (DatagramLoop): recvmmsg(2), sendmmsg(2) and
// IP_PKTINFO / IPV6_PKTINFO are GNU extensions that Swift's Glibc module does not carry (it is built without
// _GNU_SOURCE), and the CMSG_* macros do not import into Swift at all. SwiftNIO has the same shims in its CNIOLinux
// target, which is not one of its products; these are the few lines we need, with a layout checked at compile time.
#pragma once
#include <stddef.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>

/// struct mmsghdr, under a name that exists without _GNU_SOURCE.
typedef struct {
    struct msghdr msg_hdr;
    unsigned int msg_len;
} wk_mmsghdr;

int wk_recvmmsg(int fd, wk_mmsghdr *messages, unsigned int count, int flags);
int wk_sendmmsg(int fd, wk_mmsghdr *messages, unsigned int count, int flags);

/// Asks for each datagram's destination address as a control message (IP_PKTINFO for AF_INET, IPV6_RECVPKTINFO for
/// AF_INET6, which reports IPv4 datagrams on a dual-stack socket as v4-mapped addresses). 0 or -1 with errno.
int wk_enable_packet_info(int fd, int family);

/// Bytes of control buffer one datagram's packet-info message needs.
size_t wk_packet_info_space(void);

/// The destination address of a received datagram, from its packet-info control message, with port 0; 1 if the
/// message was there, else 0.
int wk_packet_destination(const struct msghdr *message, struct sockaddr_storage *destination);
