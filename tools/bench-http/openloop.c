/*
 * openloop: GET /v1/customers/{id} at a steady rate (an open-loop load), for the issue-7 read
 * benchmark's latency at a given throughput. wrk keeps N requests in flight whatever the server
 * does, so its latencies are those of a saturated server; a store's counters send requests at
 * some rate instead. This sends request i at start + i/rate over a pool of keep-alive
 * connections (a request whose time has come waits for a free connection) and measures each
 * latency from that scheduled time, so a server that falls behind cannot hide the queue
 * (no coordinated omission).
 *
 *   cc -O2 -o openloop openloop.c -lm
 *   CLIENTELE_TOKEN=… openloop --port 8391 --rate 10000 --connections 64 --seconds 10 \
 *       --customers 1000000 --id-format C%07d [--warmup 3]
 *
 * Prints one line: sent, completed, achieved rate, non-2xx, latency p50/p90/p99/p99.9/max (ms).
 * 127.0.0.1 only; responses must carry Content-Length (Clientele's do; chunked ones are not read);
 * a connection the server closes ends the run. Used by bench-360 --rate.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

typedef struct {
    int fd;
    int busy;            /* a request is out */
    double scheduled;    /* its scheduled time */
    int measured;        /* inside the measured window */
    char in[65536];
    size_t have;
} Conn;

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint64_t next_random(void) {
    rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17;
    return rng;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int connect_to(int port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) { perror("socket"); exit(2); }
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) { perror("connect to 127.0.0.1"); exit(2); }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    fcntl(fd, F_SETFL, O_NONBLOCK);
    return fd;
}

/* Length of a complete response at the start of buf (0: not complete yet); *status gets its code. */
static size_t complete_response(const char *buf, size_t have, int *status) {
    const char *end = memmem(buf, have, "\r\n\r\n", 4);
    if (!end) return 0;
    size_t header = (size_t)(end - buf) + 4;
    size_t length = 0;
    for (const char *p = buf; p < end; ) {
        const char *eol = memmem(p, (size_t)(end - p) + 2, "\r\n", 2);
        if (!eol) break;
        if ((size_t)(eol - p) > 15 && strncasecmp(p, "content-length:", 15) == 0) length = strtoul(p + 15, NULL, 10);
        p = eol + 2;
    }
    if (have < header + length) return 0;
    *status = have >= 12 ? atoi(buf + 9) : 0;
    return header + length;
}

int main(int argc, char **argv) {
    int port = 8391, connections = 64, seconds = 10, warmup = 3;
    double rate = 10000;
    long customers = 1000000;
    const char *format = "C%07d";
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--port")) port = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--rate")) rate = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--connections")) connections = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--seconds")) seconds = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--warmup")) warmup = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--customers")) customers = atol(argv[i + 1]);
        else if (!strcmp(argv[i], "--id-format")) format = argv[i + 1];
        else { fprintf(stderr, "openloop: unknown option %s (see the comment at the top of openloop.c)\n", argv[i]); return 2; }
    }
    const char *token = getenv("CLIENTELE_TOKEN");
    if (!token || rate <= 0 || connections <= 0 || seconds <= 0 || customers <= 0) {
        fprintf(stderr, "openloop: set CLIENTELE_TOKEN, and a positive --rate, --connections, --seconds, --customers\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    rng ^= (uint64_t)getpid() << 32 ^ (uint64_t)(now() * 1e6);

    int ep = epoll_create1(0);
    Conn *conns = calloc((size_t)connections, sizeof(Conn));
    int *idle = malloc(sizeof(int) * (size_t)connections);
    int idle_count = 0;
    for (int i = 0; i < connections; i++) {
        conns[i].fd = connect_to(port);
        struct epoll_event ev = { .events = EPOLLIN, .data.u32 = (uint32_t)i };
        epoll_ctl(ep, EPOLL_CTL_ADD, conns[i].fd, &ev);
        idle[idle_count++] = i;
    }
    long total = (long)(rate * (warmup + seconds));
    long measured_from = (long)(rate * warmup);
    double *latency = malloc(sizeof(double) * (size_t)(total - measured_from + 1));
    long latencies = 0, sent = 0, completed = 0, bad = 0, next = 0;
    double start = now() + 0.05, end_of_test = start + warmup + seconds;
    char request[2048], id[128];
    struct epoll_event events[256];

    while (completed < total) {
        double t = now();
        /* Every request whose time has come goes out on a free connection, oldest first. */
        while (next < total && idle_count > 0 && start + next / rate <= t) {
            int c = idle[--idle_count];
            /* --id-format takes an int (C%07d): the customer number fits one. */
            snprintf(id, sizeof id, format, (int)(next_random() % (uint64_t)customers) + 1);
            int n = snprintf(request, sizeof request, "GET /v1/customers/%s HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\n\r\n", id, token);
            if (n < 0 || (size_t)n >= sizeof request) { fprintf(stderr, "openloop: the request is too long (a %zu-byte token?)\n", strlen(token)); return 2; }
            /* A request is a few hundred bytes on an idle socket: the kernel takes it whole, or the run is void. */
            if (write(conns[c].fd, request, (size_t)n) != n) { perror("openloop: write"); return 1; }
            conns[c].busy = 1;
            conns[c].scheduled = start + next / rate;
            conns[c].measured = next >= measured_from;
            next++; sent++;
        }
        if (t > end_of_test + 30) { fprintf(stderr, "openloop: responses still missing 30 s after the end\n"); break; }
        /* Sleep until the next request is due, but at least 200 µs: a wake-up per request would
         * cost the load generator more CPU than the server's answer (latencies still count from
         * the scheduled time, so a request sent late counts against the server, not for it). */
        double wait = next < total && idle_count > 0 ? start + next / rate - now() : 0.01;
        if (wait < 0.0002 && !(next < total && idle_count > 0 && start + next / rate <= now())) wait = 0.0002;
        if (wait > 0.5) wait = 0.5;
        struct timespec timeout = { .tv_sec = 0, .tv_nsec = wait > 0 ? (long)(wait * 1e9) : 0 };
        int n = epoll_pwait2(ep, events, 256, &timeout, NULL);
        if (n < 0) {
            if (errno == EINTR) continue;
            perror("openloop: epoll_pwait2 (Linux 5.11 or later)");
            return 1;
        }
        for (int k = 0; k < n; k++) {
            Conn *c = &conns[events[k].data.u32];
            ssize_t got = read(c->fd, c->in + c->have, sizeof c->in - c->have);
            if (got <= 0) {
                if (got < 0 && errno == EAGAIN) continue;
                fprintf(stderr, "openloop: the server closed a connection\n");
                return 1;
            }
            c->have += (size_t)got;
            int status = 0;
            size_t length = complete_response(c->in, c->have, &status);
            if (length == 0) {
                if (c->have == sizeof c->in) { fprintf(stderr, "openloop: a response over %zu bytes\n", sizeof c->in); return 1; }
                continue;
            }
            if (!c->busy) { fprintf(stderr, "openloop: a response nobody asked for (status %d)\n", status); return 1; }
            double done = now();
            memmove(c->in, c->in + length, c->have - length);
            c->have -= length;
            completed++;
            if (status < 200 || status > 299) bad++;
            if (c->measured) latency[latencies++] = (done - c->scheduled) * 1000;
            c->busy = 0;
            idle[idle_count++] = (int)events[k].data.u32;
        }
    }
    double elapsed = now() - start;
    qsort(latency, (size_t)latencies, sizeof(double), cmp_double);
#define PCT(p) (latencies ? latency[(long)((p) * (latencies - 1))] : 0)
    printf("sent %ld, completed %ld in %.2f s (%.0f req/s; measured %ld after %d s of warm-up), non-2xx %ld, "
           "latency ms p50 %.2f p90 %.2f p99 %.2f p99.9 %.2f max %.2f\n",
           sent, completed, elapsed, completed / elapsed, latencies, warmup, bad,
           PCT(0.50), PCT(0.90), PCT(0.99), PCT(0.999), latencies ? latency[latencies - 1] : 0);
    return 0;
}
