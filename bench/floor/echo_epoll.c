/*
 * The floor: a minimal single-threaded, level-triggered epoll echo server in C.
 * Kernel + syscalls and nothing else: accept4, read into one static buffer, write back.
 * A partial write (rare at these sizes) keeps the rest per connection and arms EPOLLOUT.
 *
 *   echo_epoll PORT   (0: any free port)
 * Prints "READY <port>" once listening. Reads stdin: "stats" prints {"connections":N}, "quit"
 * or end of input exits. Binds 127.0.0.1 only.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_EVENTS 512
#define BUF_SIZE (64 * 1024)

struct pending { char *data; size_t len; size_t off; };

static struct pending *pend; /* indexed by fd */
static int max_fd;
static long connections;
static unsigned char buf[BUF_SIZE];

static void drop(int ep, int fd)
{
    epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
    close(fd);
    free(pend[fd].data);
    memset(&pend[fd], 0, sizeof pend[fd]);
    connections--;
}

/* Writes what is pending; returns 0 when all is written, 1 when it would block, -1 on error. */
static int flush_pending(int fd)
{
    struct pending *p = &pend[fd];
    while (p->off < p->len) {
        ssize_t n = write(fd, p->data + p->off, p->len - p->off);
        if (n > 0) { p->off += (size_t)n; continue; }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) return 1;
        return -1;
    }
    free(p->data);
    memset(p, 0, sizeof *p);
    return 0;
}

static void keep(int fd, const unsigned char *data, size_t len)
{
    struct pending *p = &pend[fd];
    size_t have = p->len - p->off;
    char *next = malloc(have + len);
    if (!next) { perror("malloc"); exit(1); }
    if (have) memcpy(next, p->data + p->off, have);
    memcpy(next + have, data, len);
    free(p->data);
    p->data = next; p->len = have + len; p->off = 0;
}

int main(int argc, char **argv)
{
    int port = argc > 1 ? atoi(argv[1]) : 0;
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) { rl.rlim_cur = rl.rlim_max; setrlimit(RLIMIT_NOFILE, &rl); }
    max_fd = (int)(rl.rlim_cur > 1000000 ? 1000000 : rl.rlim_cur);
    pend = calloc((size_t)max_fd, sizeof *pend);

    int ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons((unsigned short)port) };
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(ls, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(ls, 4096) != 0) { perror("bind/listen"); return 1; }
    socklen_t alen = sizeof addr;
    getsockname(ls, (struct sockaddr *)&addr, &alen);

    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = { .events = EPOLLIN, .data.fd = ls };
    epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev);
    ev.data.fd = 0;
    epoll_ctl(ep, EPOLL_CTL_ADD, 0, &ev);
    printf("READY %d\n", ntohs(addr.sin_port));
    fflush(stdout);

    struct epoll_event events[MAX_EVENTS];
    char line[256];
    size_t line_len = 0;
    for (;;) {
        int n = epoll_wait(ep, events, MAX_EVENTS, -1);
        if (n < 0) { if (errno == EINTR) continue; perror("epoll_wait"); return 1; }
        for (int i = 0; i < n; i++) {
            int fd = events[i].data.fd;
            if (fd == ls) {
                for (;;) {
                    int c = accept4(ls, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
                    if (c < 0) break; /* EAGAIN, or out of fds: the next event retries */
                    if (c >= max_fd) { close(c); continue; }
                    setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    struct epoll_event cev = { .events = EPOLLIN | EPOLLRDHUP, .data.fd = c };
                    epoll_ctl(ep, EPOLL_CTL_ADD, c, &cev);
                    connections++;
                }
            } else if (fd == 0) {
                ssize_t r = read(0, line + line_len, sizeof line - 1 - line_len);
                if (r <= 0) return 0;
                line_len += (size_t)r;
                line[line_len] = 0;
                char *nl;
                while ((nl = strchr(line, '\n')) != NULL) {
                    *nl = 0;
                    if (strcmp(line, "quit") == 0) return 0;
                    printf("{\"connections\":%ld}\n", connections);
                    fflush(stdout);
                    size_t rest = line_len - (size_t)(nl + 1 - line);
                    memmove(line, nl + 1, rest);
                    line_len = rest;
                    line[line_len] = 0;
                }
                if (line_len >= sizeof line - 1) line_len = 0;
            } else {
                if (events[i].events & EPOLLOUT) {
                    int w = flush_pending(fd);
                    if (w < 0) { drop(ep, fd); continue; }
                    if (w == 0) {
                        struct epoll_event cev = { .events = EPOLLIN | EPOLLRDHUP, .data.fd = fd };
                        epoll_ctl(ep, EPOLL_CTL_MOD, fd, &cev);
                    }
                }
                if (events[i].events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
                    ssize_t r = read(fd, buf, BUF_SIZE);
                    if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) { drop(ep, fd); continue; }
                    if (r < 0) continue;
                    if (pend[fd].data) { keep(fd, buf, (size_t)r); continue; } /* EPOLLOUT already armed */
                    ssize_t off = 0;
                    while (off < r) {
                        ssize_t w = write(fd, buf + off, (size_t)(r - off));
                        if (w > 0) { off += w; continue; }
                        if (w < 0 && errno == EINTR) continue;
                        break;
                    }
                    if (off < r) {
                        if (errno != EAGAIN) { drop(ep, fd); continue; }
                        keep(fd, buf + off, (size_t)(r - off));
                        struct epoll_event cev = { .events = EPOLLIN | EPOLLOUT | EPOLLRDHUP, .data.fd = fd };
                        epoll_ctl(ep, EPOLL_CTL_MOD, fd, &cev);
                    }
                }
            }
        }
    }
}
