#define _GNU_SOURCE
#include "CDatagramIO.h"
#include <netinet/in.h>
#include <string.h>

_Static_assert(sizeof(wk_mmsghdr) == sizeof(struct mmsghdr), "wk_mmsghdr must be struct mmsghdr");
_Static_assert(offsetof(wk_mmsghdr, msg_len) == offsetof(struct mmsghdr, msg_len), "wk_mmsghdr must be struct mmsghdr");

int wk_recvmmsg(int fd, wk_mmsghdr *messages, unsigned int count, int flags) {
    return recvmmsg(fd, (struct mmsghdr *)messages, count, flags, NULL);
}

int wk_sendmmsg(int fd, wk_mmsghdr *messages, unsigned int count, int flags) {
    return sendmmsg(fd, (struct mmsghdr *)messages, count, flags);
}

int wk_enable_packet_info(int fd, int family) {
    int one = 1;
    if (family == AF_INET6) {
        return setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one));
    }
    return setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one));
}

size_t wk_packet_info_space(void) {
    return CMSG_SPACE(sizeof(struct in6_pktinfo)) > CMSG_SPACE(sizeof(struct in_pktinfo))
        ? CMSG_SPACE(sizeof(struct in6_pktinfo))
        : CMSG_SPACE(sizeof(struct in_pktinfo));
}

int wk_packet_destination(const struct msghdr *message, struct sockaddr_storage *destination) {
    if (message->msg_controllen < sizeof(struct cmsghdr)) {
        return 0;
    }
    for (struct cmsghdr *c = CMSG_FIRSTHDR(message); c != NULL; c = CMSG_NXTHDR((struct msghdr *)message, c)) {
        if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO
            && c->cmsg_len >= CMSG_LEN(sizeof(struct in_pktinfo))) {
            struct in_pktinfo info;
            memcpy(&info, CMSG_DATA(c), sizeof(info));
            struct sockaddr_in *v4 = (struct sockaddr_in *)destination;
            memset(v4, 0, sizeof(*v4));
            v4->sin_family = AF_INET;
            v4->sin_addr = info.ipi_addr;
            return 1;
        }
        if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO
            && c->cmsg_len >= CMSG_LEN(sizeof(struct in6_pktinfo))) {
            struct in6_pktinfo info;
            memcpy(&info, CMSG_DATA(c), sizeof(info));
            struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)destination;
            memset(v6, 0, sizeof(*v6));
            v6->sin6_family = AF_INET6;
            v6->sin6_addr = info.ipi6_addr;
            return 1;
        }
    }
    return 0;
}
