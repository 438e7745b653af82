// The benchmark's ceiling: a minimal C epoll server of the same five services, one thread per core, each thread
// with its own SO_REUSEPORT sockets and its own epoll. No logging, no limits, no configuration: what the kernel
// allows, to measure wellknownd against. TCP: accept4 until EAGAIN on every wake-up, one-shot answers written at
// accept, chargen in 64 KiB writes from a precomputed ring. UDP: one recvfrom and one sendto per datagram, or, with
// CSERVER_BATCH=N in the environment, the best a C server can do: recvmmsg up to N datagrams (32 is a good N) and
// answer them all with one sendmmsg.
//
//   cserver ECHO DISCARD CHARGEN DAYTIME TIME [THREADS]     (ports on 127.0.0.1, TCP and UDP each)
//
// Build: cc -O2 -pthread -o cserver cserver.c
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum kind { ECHO, DISCARD, CHARGEN, DAYTIME, TIME, KINDS };

struct conn {
    int fd;
    enum kind kind;
    int listener;          // 1: TCP listener, 2: UDP socket, 0: connection
    size_t off, len;       // echo: pending bytes in `pending`; chargen: offset in the cycle
    unsigned char *pending;  // echo: what the peer has not taken yet (allocated only then)
};

#define CYCLE 7030
#define CHUNK 65536
static unsigned char g_chargen[CYCLE + CHUNK];
static int g_ports[KINDS];
static int g_batch;  // 0: recvfrom/sendto; N: recvmmsg/sendmmsg of up to N datagrams

static int daytime_line(char *out, size_t size) {
    time_t t = time(NULL);
    struct tm tm;
    localtime_r(&t, &tm);
    return (int)strftime(out, size, "%a %b %e %H:%M:%S %Y\r\n", &tm);
}

static int open_socket(int type, int port) {
    int fd = socket(AF_INET, type | SOCK_NONBLOCK, 0), one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || (type == SOCK_STREAM && listen(fd, 1024) != 0)) {
        perror("cserver: bind");
        exit(71);
    }
    return fd;
}

static void add(int ep, struct conn *c, uint32_t events) {
    struct epoll_event ev = {.events = events, .data.ptr = c};
    epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
}

static void modify(int ep, struct conn *c, uint32_t events) {
    struct epoll_event ev = {.events = events, .data.ptr = c};
    epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
}

static void finish(struct conn *c) {
    close(c->fd);
    free(c->pending);
    free(c);
}

static void accept_all(int ep, struct conn *l) {
    for (;;) {
        int fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK);
        if (fd < 0) return;
        if (l->kind == DAYTIME || l->kind == TIME) {
            char line[64];
            int n;
            if (l->kind == DAYTIME) {
                n = daytime_line(line, sizeof line);
            } else {
                uint32_t v = htonl((uint32_t)((long long)time(NULL) + 2208988800LL));
                memcpy(line, &v, 4);
                n = 4;
            }
            (void)!write(fd, line, (size_t)n);
            close(fd);
            continue;
        }
        struct conn *c = calloc(1, sizeof *c);
        c->fd = fd;
        c->kind = l->kind;
        add(ep, c, l->kind == CHARGEN ? EPOLLOUT : EPOLLIN);
    }
}

static void serve_udp(struct conn *u) {
    unsigned char buf[65536];
    struct sockaddr_storage from;
    for (;;) {
        socklen_t len = sizeof from;
        ssize_t n = recvfrom(u->fd, buf, sizeof buf, 0, (struct sockaddr *)&from, &len);
        if (n < 0) return;
        switch (u->kind) {
        case ECHO:
            sendto(u->fd, buf, (size_t)n, 0, (struct sockaddr *)&from, len);
            break;
        case DAYTIME: {
            char line[64];
            int m = daytime_line(line, sizeof line);
            sendto(u->fd, line, (size_t)m, 0, (struct sockaddr *)&from, len);
            break;
        }
        case TIME: {
            uint32_t v = htonl((uint32_t)((long long)time(NULL) + 2208988800LL));
            sendto(u->fd, &v, 4, 0, (struct sockaddr *)&from, len);
            break;
        }
        case CHARGEN:
            sendto(u->fd, g_chargen, 74, 0, (struct sockaddr *)&from, len);
            break;
        default:
            break;
        }
    }
}

#define MAX_BATCH 64
#define BATCH_SLOT 65536

// recvmmsg a burst, build every reply in place (echo answers with the request's own buffer), one sendmmsg.
static void serve_udp_batched(struct conn *u) {
    static __thread unsigned char *slots;
    static __thread unsigned char replies[MAX_BATCH][64];
    if (!slots) slots = malloc((size_t)MAX_BATCH * BATCH_SLOT);
    struct mmsghdr in[MAX_BATCH], out[MAX_BATCH];
    struct iovec iin[MAX_BATCH], iout[MAX_BATCH];
    struct sockaddr_storage from[MAX_BATCH];
    int batch = g_batch > MAX_BATCH ? MAX_BATCH : g_batch;
    for (;;) {
        for (int i = 0; i < batch; i++) {
            iin[i] = (struct iovec){.iov_base = slots + (size_t)i * BATCH_SLOT, .iov_len = BATCH_SLOT};
            in[i].msg_hdr = (struct msghdr){
                .msg_name = &from[i], .msg_namelen = sizeof from[i], .msg_iov = &iin[i], .msg_iovlen = 1};
        }
        int n = recvmmsg(u->fd, in, (unsigned)batch, MSG_DONTWAIT, NULL);
        if (n <= 0) return;
        int m = 0;
        for (int i = 0; i < n; i++) {
            void *data = NULL;
            size_t len = 0;
            switch (u->kind) {
            case ECHO:
                data = iin[i].iov_base;
                len = in[i].msg_len;
                break;
            case DAYTIME:
                len = (size_t)daytime_line((char *)replies[i], sizeof replies[i]);
                data = replies[i];
                break;
            case TIME: {
                uint32_t v = htonl((uint32_t)((long long)time(NULL) + 2208988800LL));
                memcpy(replies[i], &v, 4);
                data = replies[i];
                len = 4;
                break;
            }
            case CHARGEN:
                data = g_chargen;
                len = 74;
                break;
            default:
                continue;
            }
            iout[m] = (struct iovec){.iov_base = data, .iov_len = len};
            out[m].msg_hdr = (struct msghdr){
                .msg_name = &from[i], .msg_namelen = in[i].msg_hdr.msg_namelen, .msg_iov = &iout[m],
                .msg_iovlen = 1};
            m++;
        }
        for (int sent = 0; sent < m;) {
            int k = sendmmsg(u->fd, out + sent, (unsigned)(m - sent), 0);
            if (k <= 0) break;
            sent += k;
        }
        if (n < batch) return;
    }
}

static void *loop(void *arg) {
    (void)arg;
    int ep = epoll_create1(0);
    for (int k = 0; k < KINDS; k++) {
        struct conn *l = calloc(1, sizeof *l), *u = calloc(1, sizeof *u);
        l->fd = open_socket(SOCK_STREAM, g_ports[k]);
        l->kind = (enum kind)k;
        l->listener = 1;
        add(ep, l, EPOLLIN);
        u->fd = open_socket(SOCK_DGRAM, g_ports[k]);
        u->kind = (enum kind)k;
        u->listener = 2;
        add(ep, u, EPOLLIN);
    }
    struct epoll_event events[256];
    unsigned char sink[CHUNK];
    for (;;) {
        int n = epoll_wait(ep, events, 256, -1);
        for (int i = 0; i < n; i++) {
            struct conn *c = events[i].data.ptr;
            if (c->listener == 1) {
                accept_all(ep, c);
                continue;
            }
            if (c->listener == 2) {
                if (g_batch > 0) serve_udp_batched(c);
                else serve_udp(c);
                continue;
            }
            ssize_t r;
            switch (c->kind) {
            case DISCARD:
                r = read(c->fd, sink, sizeof sink);
                if (r == 0 || (r < 0 && errno != EAGAIN)) finish(c);
                break;
            case CHARGEN:
                r = write(c->fd, g_chargen + c->off, CHUNK);
                if (r > 0) c->off = (c->off + (size_t)r) % CYCLE;
                else if (errno != EAGAIN) finish(c);
                break;
            case ECHO:
                if (c->len == 0) {
                    // Read into the thread's buffer, echo at once; keep only what the peer does not take.
                    r = read(c->fd, sink, sizeof sink);
                    if (r == 0 || (r < 0 && errno != EAGAIN)) {
                        finish(c);
                        break;
                    }
                    if (r < 0) break;
                    ssize_t w = write(c->fd, sink, (size_t)r);
                    if (w < 0 && errno != EAGAIN) {
                        finish(c);
                        break;
                    }
                    if (w < 0) w = 0;
                    if (w < r) {
                        c->pending = malloc((size_t)(r - w));
                        memcpy(c->pending, sink + w, (size_t)(r - w));
                        c->off = 0;
                        c->len = (size_t)(r - w);
                        modify(ep, c, EPOLLOUT);  // stop reading until the peer has taken it
                    }
                    break;
                }
                r = write(c->fd, c->pending + c->off, c->len);
                if (r < 0 && errno != EAGAIN) {
                    finish(c);
                    break;
                }
                if (r > 0) {
                    c->off += (size_t)r;
                    c->len -= (size_t)r;
                }
                if (c->len == 0) {
                    free(c->pending);
                    c->pending = NULL;
                    modify(ep, c, EPOLLIN);
                }
                break;
            default:
                break;
            }
        }
    }
    return NULL;
}

int main(int argc, char **argv) {
    if (argc < 6) {
        fprintf(stderr, "usage: cserver ECHO DISCARD CHARGEN DAYTIME TIME [THREADS]\n");
        return 64;
    }
    signal(SIGPIPE, SIG_IGN);
    const char *batch = getenv("CSERVER_BATCH");
    g_batch = batch ? atoi(batch) : 0;
    for (int k = 0; k < KINDS; k++) g_ports[k] = atoi(argv[1 + k]);
    int threads = argc > 6 ? atoi(argv[6]) : (int)sysconf(_SC_NPROCESSORS_ONLN);
    for (int i = 0; i < (int)sizeof g_chargen; i++) {
        int k = i % CYCLE, line = k / 74, col = k % 74;
        g_chargen[i] = col == 72 ? '\r' : col == 73 ? '\n' : (unsigned char)(' ' + (line + col) % 95);
    }
    pthread_t t;
    for (int i = 1; i < threads; i++) pthread_create(&t, NULL, loop, NULL);
    loop(NULL);
    return 0;
}
