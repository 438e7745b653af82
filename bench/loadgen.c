// wellknownd benchmark load generator: drives one case against HOST:PORT for SECONDS with N workers, verifies every
// byte it receives, and prints one JSON line with the result and the client's own CPU use.
//
//   loadgen CASE HOST PORT WORKERS SECONDS
//
// Cases (WORKERS means connections, or datagrams outstanding for the UDP cases):
//   echo-stream   full-duplex streaming, up to 256 KiB in flight per connection; echoed bytes compared   MB/s
//   pingpong      64-byte request, wait for the 64-byte echo, repeat                                      round trips/s
//   connect-echo  connect, send 64 bytes, read them back, close                                           connections/s, p99
//   daytime       connect, read to EOF (a full line ending in \n), close                                  connections/s, p99
//   time          connect, read to EOF (exactly 4 bytes, within 10 s of our clock), close                 connections/s, p99
//   chargen       read and check every byte against the RFC 864 pattern                                   MB/s
//   discard       write 64 KiB blocks                                                                     MB/s
//   udp-echo      WORKERS datagrams outstanding; each reply checked against its request                  datagrams/s, loss
//   udp-daytime   WORKERS datagrams outstanding; each reply a full line                                  datagrams/s, loss
//   idle          open WORKERS connections, report when all are up, hold them SECONDS
//
// Build: cc -O2 -pthread -o loadgen loadgen.c
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static const char *g_case;
static struct sockaddr_storage g_addr;
static socklen_t g_addrlen;
static double g_seconds;
static atomic_int g_stop;

static atomic_llong g_ops;     // completed operations (connections, round trips, datagrams)
static atomic_llong g_bytes;   // payload bytes moved
static atomic_llong g_errors;  // connect/IO failures
static atomic_llong g_bad;     // wrong answers
static atomic_llong g_lost;    // UDP datagrams without a reply

// Latency histogram, 10 µs buckets up to 1 s.
#define BUCKETS 100000
static atomic_llong g_hist[BUCKETS + 1];

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void record_latency(double seconds) {
    long b = (long)(seconds * 1e5);
    if (b > BUCKETS) b = BUCKETS;
    if (b < 0) b = 0;
    atomic_fetch_add_explicit(&g_hist[b], 1, memory_order_relaxed);
}

static double p99_us(void) {
    long long total = 0;
    for (int i = 0; i <= BUCKETS; i++) total += g_hist[i];
    if (total == 0) return 0;
    long long target = (total * 99 + 99) / 100, seen = 0;
    for (int i = 0; i <= BUCKETS; i++) {
        seen += g_hist[i];
        if (seen >= target) return (i + 1) * 10.0;
    }
    return BUCKETS * 10.0;
}

// The chargen stream: line i is 72 characters of the 95 printable ones starting at i mod 95, then CR LF.
// It repeats every 95 lines, 7030 bytes.
#define CHARGEN_CYCLE 7030
static unsigned char g_chargen[CHARGEN_CYCLE];

static void make_chargen(void) {
    int k = 0;
    for (int line = 0; line < 95; line++) {
        for (int c = 0; c < 72; c++) g_chargen[k++] = (unsigned char)(' ' + (line + c) % 95);
        g_chargen[k++] = '\r';
        g_chargen[k++] = '\n';
    }
}

// The echo stream's content: byte i is g_pattern[i % PATTERN] (a prime length, so it never lines up with buffers).
#define PATTERN 7919
static unsigned char g_pattern[PATTERN + 65536];  // the cycle, then its start again: any slice is contiguous

// A connected TCP socket, or -1 with the failure counted.
static int connect_tcp(void) {
    int fd = socket(g_addr.ss_family, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&g_addr, g_addrlen) != 0) {
        if (fd >= 0) close(fd);
        g_errors++;
        return -1;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

static int read_exact(int fd, unsigned char *buf, size_t n) {
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, buf + got, n - got);
        if (r <= 0) return -1;
        got += r;
    }
    return 0;
}

static void *echo_stream(void *arg) {
    (void)arg;
    int fd = connect_tcp();
    if (fd < 0) return NULL;
    static __thread unsigned char in[65536];
    long long sent = 0, received = 0;
    const long long window = 1024 * 1024;
    while (!g_stop) {
        struct pollfd p = {fd, POLLIN | (sent - received < window ? POLLOUT : 0), 0};
        if (poll(&p, 1, 100) < 0) break;
        if (p.revents & POLLOUT) {
            size_t n = 65536;
            if (sent - received + (long long)n > window) n = (size_t)(window - (sent - received));
            ssize_t w = send(fd, g_pattern + sent % PATTERN, n, MSG_DONTWAIT);
            if (w > 0) sent += w;
        }
        if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
            ssize_t r = recv(fd, in, sizeof in, MSG_DONTWAIT);
            if (r <= 0) {
                if (r < 0 && errno == EAGAIN) continue;
                g_errors++;
                break;
            }
            if (memcmp(in, g_pattern + received % PATTERN, (size_t)r) != 0) {
                g_bad++;
                g_stop = 1;
            }
            received += r;
            atomic_fetch_add_explicit(&g_bytes, r, memory_order_relaxed);
        }
    }
    close(fd);
    return NULL;
}

static void *pingpong(void *arg) {
    (void)arg;
    int fd = connect_tcp();
    if (fd < 0) return NULL;
    unsigned char out[64], in[64];
    long long n = 0;
    while (!g_stop) {
        for (int i = 0; i < 64; i++) out[i] = (unsigned char)(n + i);
        if (write(fd, out, 64) != 64 || read_exact(fd, in, 64) != 0) {
            g_errors++;
            break;
        }
        if (memcmp(in, out, 64) != 0) g_bad++;
        n++;
        atomic_fetch_add_explicit(&g_ops, 1, memory_order_relaxed);
    }
    close(fd);
    return NULL;
}

static void *connect_case(void *arg) {
    (void)arg;
    unsigned char buf[512], out[64];
    int kind = strcmp(g_case, "connect-echo") == 0 ? 0 : strcmp(g_case, "daytime") == 0 ? 1 : 2;
    long long n = 0;
    while (!g_stop) {
        double t0 = now();
        int fd = connect_tcp();
        if (fd < 0) {
            usleep(1000);
            continue;
        }
        int ok = 1;
        if (kind == 0) {
            for (int i = 0; i < 64; i++) out[i] = (unsigned char)(n + i);
            ok = write(fd, out, 64) == 64 && read_exact(fd, buf, 64) == 0 && memcmp(buf, out, 64) == 0;
        } else {
            size_t got = 0;
            ssize_t r;
            while ((r = read(fd, buf + got, sizeof buf - got)) > 0) got += r;
            if (r < 0) ok = 0;
            if (kind == 1) {
                ok = ok && got >= 10 && buf[got - 1] == '\n';
                for (size_t i = 0; ok && i + 2 < got; i++) ok = buf[i] >= ' ' && buf[i] < 127;
            } else {
                uint32_t v = got == 4 ? ((uint32_t)buf[0] << 24 | buf[1] << 16 | buf[2] << 8 | buf[3]) : 0;
                long long expected = (long long)time(NULL) + 2208988800LL;
                ok = ok && got == 4 && llabs((long long)v - (expected & 0xffffffffLL)) <= 10;
            }
        }
        close(fd);
        if (!ok) g_bad++;
        record_latency(now() - t0);
        n++;
        atomic_fetch_add_explicit(&g_ops, 1, memory_order_relaxed);
    }
    return NULL;
}

static void *chargen(void *arg) {
    (void)arg;
    int fd = connect_tcp();
    if (fd < 0) return NULL;
    static __thread unsigned char in[65536];
    // Servers start the ring at different lines: the first full line received fixes where in the cycle we are,
    // and from there every byte must follow the pattern.
    long long offset = -1;
    while (!g_stop) {
        ssize_t r = read(fd, in, sizeof in);
        if (r <= 0) {
            g_errors++;
            break;
        }
        ssize_t i = 0;
        if (offset < 0) {
            if (r < 74) continue;  // too short to place; such tiny reads do not happen with these servers
            for (long start = 0; start < CHARGEN_CYCLE; start += 74) {
                if (memcmp(in, g_chargen + start, 74) == 0) offset = start;
            }
            if (offset < 0) {
                g_bad++;
                g_stop = 1;
                break;
            }
        }
        while (i < r) {
            long pos = (long)((offset + i) % CHARGEN_CYCLE);
            ssize_t len = CHARGEN_CYCLE - pos;
            if (len > r - i) len = r - i;
            if (memcmp(in + i, g_chargen + pos, (size_t)len) != 0) {
                g_bad++;
                g_stop = 1;
                break;
            }
            i += len;
        }
        offset += r;
        atomic_fetch_add_explicit(&g_bytes, r, memory_order_relaxed);
    }
    close(fd);
    return NULL;
}

static void *discard(void *arg) {
    (void)arg;
    int fd = connect_tcp();
    if (fd < 0) return NULL;
    static __thread unsigned char out[65536];
    memset(out, 'x', sizeof out);
    while (!g_stop) {
        ssize_t w = write(fd, out, sizeof out);
        if (w <= 0) {
            g_errors++;
            break;
        }
        atomic_fetch_add_explicit(&g_bytes, w, memory_order_relaxed);
    }
    close(fd);
    return NULL;
}

// UDP: keep `outstanding` requests in flight on one socket; a reply retires one and sends the next. A request
// without a reply after 200 ms counts as lost and is replaced.
static void udp_case(int outstanding) {
    int echo = strcmp(g_case, "udp-echo") == 0;
    int fd = socket(g_addr.ss_family, SOCK_DGRAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&g_addr, g_addrlen) != 0) {
        g_errors++;
        return;
    }
    int big = 4 << 20;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
    long long seq = 0, inflight = 0;
    double last_reply = now();
    unsigned char buf[2048];
    while (!g_stop) {
        while (inflight < outstanding) {
            int len = snprintf((char *)buf, sizeof buf, "wellknownd benchmark datagram %lld", seq);
            if (send(fd, buf, echo ? (size_t)len : 1, 0) < 0) {
                g_errors++;
                break;
            }
            seq++;
            inflight++;
        }
        struct pollfd p = {fd, POLLIN, 0};
        int ready = poll(&p, 1, 50);
        if (ready > 0) {
            ssize_t r;
            while ((r = recv(fd, buf, sizeof buf - 1, MSG_DONTWAIT)) >= 0) {
                inflight--;
                last_reply = now();
                int ok;
                if (echo) {
                    buf[r] = 0;
                    ok = strncmp((char *)buf, "wellknownd benchmark datagram ", 30) == 0;
                } else {
                    ok = r >= 10 && buf[r - 1] == '\n';
                }
                if (!ok) g_bad++;
                atomic_fetch_add_explicit(&g_ops, 1, memory_order_relaxed);
                atomic_fetch_add_explicit(&g_bytes, r, memory_order_relaxed);
            }
        } else if (now() - last_reply > 0.2) {
            g_lost += inflight;
            inflight = 0;
            last_reply = now();
        }
    }
    // Whatever is still outstanding gets a last chance, then counts as lost.
    double until = now() + 0.2;
    while (inflight > 0 && now() < until) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, 20) > 0 && recv(fd, buf, sizeof buf, MSG_DONTWAIT) >= 0) inflight--;
    }
    g_lost += inflight;
    close(fd);
}

static void *stop_later(void *arg) {
    (void)arg;
    usleep((useconds_t)(g_seconds * 1e6));
    g_stop = 1;
    return NULL;
}

int main(int argc, char **argv) {
    if (argc != 6) {
        fprintf(stderr, "usage: loadgen CASE HOST PORT WORKERS SECONDS\n");
        return 64;
    }
    signal(SIGPIPE, SIG_IGN);
    g_case = argv[1];
    int workers = atoi(argv[4]);
    g_seconds = atof(argv[5]);
    struct addrinfo hints = {0}, *res;
    hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
    if (getaddrinfo(argv[2], argv[3], &hints, &res) != 0) {
        fprintf(stderr, "loadgen: bad address %s %s\n", argv[2], argv[3]);
        return 64;
    }
    memcpy(&g_addr, res->ai_addr, res->ai_addrlen);
    g_addrlen = res->ai_addrlen;
    freeaddrinfo(res);
    make_chargen();
    srand(862);
    for (int i = 0; i < PATTERN; i++) g_pattern[i] = (unsigned char)(rand() & 0xff);
    for (int i = PATTERN; i < PATTERN + 65536; i++) g_pattern[i] = g_pattern[i - PATTERN];
    struct rlimit nofile;
    getrlimit(RLIMIT_NOFILE, &nofile);
    nofile.rlim_cur = nofile.rlim_max;
    setrlimit(RLIMIT_NOFILE, &nofile);

    const char *unit = "MB/s";
    void *(*worker)(void *) = NULL;
    if (strcmp(g_case, "echo-stream") == 0) worker = echo_stream;
    else if (strcmp(g_case, "pingpong") == 0) worker = pingpong, unit = "round trips/s";
    else if (!strcmp(g_case, "connect-echo") || !strcmp(g_case, "daytime") || !strcmp(g_case, "time"))
        worker = connect_case, unit = "connections/s";
    else if (strcmp(g_case, "chargen") == 0) worker = chargen;
    else if (strcmp(g_case, "discard") == 0) worker = discard;
    else if (strncmp(g_case, "udp-", 4) == 0) unit = "datagrams/s";
    else if (strcmp(g_case, "idle") == 0) unit = "connections";
    else {
        fprintf(stderr, "loadgen: unknown case %s\n", g_case);
        return 64;
    }

    struct rusage ru0, ru1;
    getrusage(RUSAGE_SELF, &ru0);
    double t0 = now(), elapsed;
    if (strcmp(g_case, "idle") == 0) {
        int *fds = calloc((size_t)workers, sizeof(int));
        int open_count = 0;
        for (int i = 0; i < workers; i++) {
            fds[i] = connect_tcp();
            if (fds[i] >= 0) open_count++;
        }
        printf("{\"ready\": %d}\n", open_count);
        fflush(stdout);
        usleep((useconds_t)(g_seconds * 1e6));
        for (int i = 0; i < workers; i++)
            if (fds[i] >= 0) close(fds[i]);
        g_ops = open_count;
        elapsed = now() - t0;
    } else if (worker == NULL) {
        // UDP: one socket in this thread; a helper thread ends it at the deadline.
        pthread_t stopper;
        pthread_create(&stopper, NULL, stop_later, NULL);
        udp_case(workers);
        pthread_join(stopper, NULL);
        elapsed = now() - t0;
    } else {
        pthread_t *threads = calloc((size_t)workers, sizeof(pthread_t));
        for (int i = 0; i < workers; i++) pthread_create(&threads[i], NULL, worker, NULL);
        usleep((useconds_t)(g_seconds * 1e6));
        g_stop = 1;
        for (int i = 0; i < workers; i++) pthread_join(threads[i], NULL);
        elapsed = now() - t0;
    }
    getrusage(RUSAGE_SELF, &ru1);
    double cpu = (ru1.ru_utime.tv_sec - ru0.ru_utime.tv_sec) + (ru1.ru_utime.tv_usec - ru0.ru_utime.tv_usec) / 1e6 +
                 (ru1.ru_stime.tv_sec - ru0.ru_stime.tv_sec) + (ru1.ru_stime.tv_usec - ru0.ru_stime.tv_usec) / 1e6;
    double value = strcmp(unit, "MB/s") == 0 ? g_bytes / elapsed / 1e6
                   : strcmp(unit, "connections") == 0 ? (double)g_ops
                                                      : g_ops / elapsed;
    long long sent = g_ops + g_lost;
    printf("{\"case\": \"%s\", \"value\": %.1f, \"unit\": \"%s\", \"p99_us\": %.0f, \"errors\": %lld, \"bad\": %lld, "
           "\"lost\": %lld, \"loss\": %.4f, \"client_cpu\": %.2f}\n",
           g_case, value, unit, p99_us(), (long long)g_errors, (long long)g_bad, (long long)g_lost,
           sent > 0 ? (double)g_lost / sent : 0.0, cpu / elapsed);
    return g_bad > 0 ? 1 : 0;
}
