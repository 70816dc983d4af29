/*
 * The io_uring floor: a minimal single-threaded echo server in C on io_uring, beside echo_epoll.c.
 * Completion-based, and as lean as io_uring allows:
 *   - one multishot accept on the listener;
 *   - one multishot receive per connection into a provided buffer ring, so an idle connection holds
 *     no buffer;
 *   - the echo is a send straight from the buffer the kernel filled (no copy); the buffer goes back
 *     to the ring when the send completes; one send in flight per connection, the rest queued;
 *   - backpressure: a connection whose peer does not read has its receive cancelled at HIGH queued
 *     sends and re-armed once they drain, so a slow reader costs buffers only up to HIGH;
 *   - a failed connection has all its requests cancelled and closes after their last CQEs;
 *   - one io_uring_enter per loop turn submits everything the turn prepared and waits for the next
 *     completions; closes go through the ring too (IORING_OP_CLOSE, no CQE on success).
 * Raw syscalls and the kernel's uapi header: no liburing, builds wherever linux-libc-dev is >= 6.1.
 *
 *   echo_uring PORT [sqpoll]   (PORT 0: any free port; sqpoll: a kernel thread polls the SQ)
 * Prints "READY <port>" once listening. Reads stdin: "stats" prints {"connections":N,...}, "quit"
 * or end of input exits. Binds 127.0.0.1 only. Needs Linux 6.0+ (multishot receive).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/io_uring.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#define SQ_ENTRIES 4096
#define CQ_ENTRIES (SQ_ENTRIES * 8)
#define BUF_COUNT 4096 /* a power of two: the buffer ring's size */
#define BUF_SIZE 4096
#define BGID 0
#define HIGH 8 /* queued sends at which a connection stops receiving */

enum { T_ACCEPT = 1, T_RECV, T_SEND, T_STDIN, T_CLOSE, T_CANCEL };
#define UD(type, fd) (((uint64_t)(type) << 32) | (uint32_t)(fd))

struct out { uint16_t bid; uint32_t len, off; };
struct conn {
    uint8_t open, closing, receiving, paused; /* closing: 1 drain then close (EOF), 2 failed */
    uint32_t qhead, qlen, qcap;               /* q[qhead] is in flight while qlen > 0 */
    struct out *q;                            /* allocated on the first echo: idle connections hold none */
};

static struct conn *conns; /* indexed by fd */
static int max_fd;
static long connections, enters, enobufs, pauses;

/* The ring: our copies of the tails, pointers into the shared mappings. */
static int ring_fd, sqpoll, defer_taskrun;
static unsigned *sq_head, *sq_tail, *sq_flags, sq_mask, sq_entries, sqe_tail;
static struct io_uring_sqe *sqes;
static unsigned *cq_head, *cq_tail, cq_mask;
static struct io_uring_cqe *cqes;

/* The provided buffer ring. */
static struct io_uring_buf_ring *br;
static unsigned char *bufs;
static uint16_t br_tail;

static void die(const char *what) { perror(what); exit(1); }

static void enter(unsigned wait)
{
    unsigned flags = 0, submit;
    __atomic_store_n(sq_tail, sqe_tail, __ATOMIC_RELEASE); /* the SQEs before the tail are written */
    submit = sqe_tail - __atomic_load_n(sq_head, __ATOMIC_ACQUIRE);
    if (wait || defer_taskrun) flags |= IORING_ENTER_GETEVENTS;
    if (sqpoll) {
        __atomic_thread_fence(__ATOMIC_SEQ_CST); /* tail store before the NEED_WAKEUP load */
        if (__atomic_load_n(sq_flags, __ATOMIC_RELAXED) & IORING_SQ_NEED_WAKEUP) flags |= IORING_ENTER_SQ_WAKEUP;
        submit = 0;
        if (!flags) return;
    }
    for (;;) {
        enters++;
        long r = syscall(__NR_io_uring_enter, ring_fd, submit, wait, flags, NULL, 0);
        if (r >= 0 || errno == ETIME || errno == EAGAIN || errno == EBUSY) return; /* EAGAIN/EBUSY: reap first */
        if (errno != EINTR) die("io_uring_enter");
    }
}

static struct io_uring_sqe *get_sqe(void)
{
    if (sqe_tail - __atomic_load_n(sq_head, __ATOMIC_ACQUIRE) >= sq_entries) {
        enter(0);
        if (sqe_tail - __atomic_load_n(sq_head, __ATOMIC_ACQUIRE) >= sq_entries) { fputs("echo_uring: SQ full\n", stderr); exit(1); }
    }
    struct io_uring_sqe *sqe = &sqes[sqe_tail & sq_mask];
    memset(sqe, 0, sizeof *sqe);
    sqe_tail++;
    return sqe;
}

static void setup_ring(void)
{
    unsigned attempts[] = {
        IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_SUBMIT_ALL, /* 6.1 */
        IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_COOP_TASKRUN | IORING_SETUP_SUBMIT_ALL,  /* 6.0 */
        0,
    };
    struct io_uring_params p;
    ring_fd = -1;
    for (unsigned i = 0; i < sizeof attempts / sizeof attempts[0] && ring_fd < 0; i++) {
        memset(&p, 0, sizeof p);
        p.flags = IORING_SETUP_CQSIZE | (sqpoll ? IORING_SETUP_SQPOLL | IORING_SETUP_SINGLE_ISSUER : attempts[i]);
        p.cq_entries = CQ_ENTRIES;
        p.sq_thread_idle = 50;
        ring_fd = (int)syscall(__NR_io_uring_setup, SQ_ENTRIES, &p);
        if (ring_fd < 0 && errno != EINVAL) die("io_uring_setup");
    }
    if (ring_fd < 0) die("io_uring_setup");
    defer_taskrun = (p.flags & IORING_SETUP_DEFER_TASKRUN) != 0;
    if (!(p.features & IORING_FEAT_SINGLE_MMAP)) { fputs("echo_uring: kernel too old (no IORING_FEAT_SINGLE_MMAP)\n", stderr); exit(1); }

    size_t sq_size = p.sq_off.array + p.sq_entries * sizeof(unsigned);
    size_t cq_size = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
    size_t size = sq_size > cq_size ? sq_size : cq_size;
    unsigned char *rings = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ring_fd, IORING_OFF_SQ_RING);
    if (rings == MAP_FAILED) die("mmap rings");
    sqes = mmap(NULL, p.sq_entries * sizeof(struct io_uring_sqe), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ring_fd, IORING_OFF_SQES);
    if (sqes == MAP_FAILED) die("mmap sqes");
    sq_head = (unsigned *)(rings + p.sq_off.head);
    sq_tail = (unsigned *)(rings + p.sq_off.tail);
    sq_flags = (unsigned *)(rings + p.sq_off.flags);
    sq_mask = *(unsigned *)(rings + p.sq_off.ring_mask);
    sq_entries = p.sq_entries;
    unsigned *array = (unsigned *)(rings + p.sq_off.array);
    for (unsigned i = 0; i < p.sq_entries; i++) array[i] = i; /* SQE slot i is index i, always */
    sqe_tail = *sq_tail;
    cq_head = (unsigned *)(rings + p.cq_off.head);
    cq_tail = (unsigned *)(rings + p.cq_off.tail);
    cq_mask = *(unsigned *)(rings + p.cq_off.ring_mask);
    cqes = (struct io_uring_cqe *)(rings + p.cq_off.cqes);

    /* The provided buffer ring: page-aligned entries (anonymous mmap) and one slab of buffers. */
    br = mmap(NULL, BUF_COUNT * sizeof(struct io_uring_buf), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    bufs = malloc((size_t)BUF_COUNT * BUF_SIZE);
    if (br == MAP_FAILED || !bufs) die("buffer ring memory");
    struct io_uring_buf_reg reg;
    memset(&reg, 0, sizeof reg);
    reg.ring_addr = (uint64_t)(uintptr_t)br;
    reg.ring_entries = BUF_COUNT;
    reg.bgid = BGID;
    if (syscall(__NR_io_uring_register, ring_fd, IORING_REGISTER_PBUF_RING, &reg, 1) < 0) die("IORING_REGISTER_PBUF_RING");
}

/* Gives a buffer back; visible to the kernel at the next publish. Field by field: entry 0's last
 * two bytes are the ring's tail. */
static void buf_recycle(uint16_t bid)
{
    struct io_uring_buf *b = &br->bufs[br_tail & (BUF_COUNT - 1)];
    b->addr = (uint64_t)(uintptr_t)(bufs + (size_t)bid * BUF_SIZE);
    b->len = BUF_SIZE;
    b->bid = bid;
    br_tail++;
}

static void buf_publish(void) { __atomic_store_n(&br->tail, br_tail, __ATOMIC_RELEASE); }

/* An SQE for opcode on fd, its completion tagged with type and fd. */
static struct io_uring_sqe *prep(int opcode, int fd, int type)
{
    struct io_uring_sqe *sqe = get_sqe();
    sqe->opcode = (uint8_t)opcode;
    sqe->fd = fd;
    sqe->user_data = UD(type, fd);
    return sqe;
}

static void prep_recv(int fd)
{
    struct io_uring_sqe *sqe = prep(IORING_OP_RECV, fd, T_RECV);
    sqe->ioprio = IORING_RECV_MULTISHOT;
    sqe->flags = IOSQE_BUFFER_SELECT;
    sqe->buf_group = BGID;
    conns[fd].receiving = 1;
}

static void prep_send(int fd)
{
    struct out *o = &conns[fd].q[conns[fd].qhead % conns[fd].qcap];
    struct io_uring_sqe *sqe = prep(IORING_OP_SEND, fd, T_SEND);
    sqe->addr = (uint64_t)(uintptr_t)(bufs + (size_t)o->bid * BUF_SIZE + o->off);
    sqe->len = o->len - o->off;
    sqe->msg_flags = MSG_NOSIGNAL;
}

static void prep_accept(int ls)
{
    struct io_uring_sqe *sqe = prep(IORING_OP_ACCEPT, ls, T_ACCEPT);
    sqe->ioprio = IORING_ACCEPT_MULTISHOT;
    sqe->accept_flags = SOCK_CLOEXEC;
}

static void prep_stdin(void)
{
    struct io_uring_sqe *sqe = prep(IORING_OP_POLL_ADD, 0, T_STDIN);
    sqe->poll32_events = POLLIN;
    sqe->len = IORING_POLL_ADD_MULTI;
}

static void prep_cancel(uint64_t target, int fd, unsigned flags)
{
    struct io_uring_sqe *sqe = prep(IORING_OP_ASYNC_CANCEL, fd, T_CANCEL);
    sqe->addr = target;
    sqe->cancel_flags = flags;
}

/* Closes once nothing in the kernel refers to the connection: its receive has ended, no send is in flight. */
static void maybe_close(int fd)
{
    struct conn *c = &conns[fd];
    if (!c->open || !c->closing || c->receiving || c->qlen) return;
    prep(IORING_OP_CLOSE, fd, T_CLOSE)->flags = IOSQE_CQE_SKIP_SUCCESS;
    free(c->q);
    memset(c, 0, sizeof *c);
    connections--;
}

static void enqueue(struct conn *c, uint16_t bid, uint32_t len)
{
    if (c->qlen == c->qcap) {
        uint32_t cap = c->qcap ? c->qcap * 2 : 4;
        struct out *q = malloc(cap * sizeof *q);
        if (!q) die("malloc");
        for (uint32_t i = 0; i < c->qlen; i++) q[i] = c->q[(c->qhead + i) % c->qcap];
        free(c->q);
        c->q = q; c->qcap = cap; c->qhead = 0;
    }
    c->q[(c->qhead + c->qlen) % c->qcap] = (struct out){ .bid = bid, .len = len, .off = 0 };
    c->qlen++;
}

static void pop(struct conn *c)
{
    buf_recycle(c->q[c->qhead % c->qcap].bid);
    c->qhead = (c->qhead + 1) % c->qcap;
    c->qlen--;
}

/* Error: cancel everything the kernel holds for the fd, drop what is queued, close after the last CQE. */
static void fail(int fd)
{
    struct conn *c = &conns[fd];
    if (c->closing != 2) {
        c->closing = 2;
        if (c->receiving || c->qlen) prep_cancel(0, fd, IORING_ASYNC_CANCEL_FD | IORING_ASYNC_CANCEL_ALL);
    }
    while (c->qlen > 1) { /* keep the head: it is in flight, its CQE gives its buffer back */
        buf_recycle(c->q[(c->qhead + c->qlen - 1) % c->qcap].bid);
        c->qlen--;
    }
    maybe_close(fd);
}

/* Re-arms a paused receive once the peer has read what was queued. */
static void maybe_resume(int fd)
{
    struct conn *c = &conns[fd];
    if (c->paused && !c->receiving && !c->closing && c->qlen <= HIGH / 4) { c->paused = 0; prep_recv(fd); }
}

static void on_recv(int fd, int res, unsigned flags)
{
    struct conn *c = &conns[fd];
    if (!(flags & IORING_CQE_F_MORE)) c->receiving = 0;
    if (res > 0) {
        uint16_t bid = (uint16_t)(flags >> IORING_CQE_BUFFER_SHIFT);
        if (c->closing) { buf_recycle(bid); maybe_close(fd); return; }
        enqueue(c, bid, (uint32_t)res);
        if (c->qlen == 1) prep_send(fd);
        if (c->qlen >= HIGH && c->receiving && !c->paused) {
            c->paused = 1; /* the peer is not reading: stop taking its data until the queue drains */
            pauses++;
            prep_cancel(UD(T_RECV, fd), 0, 0);
        }
        /* A receive can also end with data (no F_MORE, e.g. after a CQ overflow): arm a new one. */
        if (!c->receiving && !c->paused) prep_recv(fd);
    } else if (res == -ENOBUFS) {
        enobufs++; /* the ring ran dry; this turn's completed sends give buffers back before the next enter */
        if (!c->closing && !c->paused) prep_recv(fd);
    } else if (res == -ECANCELED) {
        maybe_resume(fd); /* a pause took effect (or a failure: closing below) */
    } else if (!c->closing) {
        c->closing = 1; /* EOF or error: echo what is queued, then close */
    }
    maybe_close(fd);
}

static void on_send(int fd, int res)
{
    struct conn *c = &conns[fd];
    if (res < 0) { pop(c); fail(fd); return; }
    struct out *o = &c->q[c->qhead % c->qcap];
    o->off += (uint32_t)res;
    if (o->off < o->len) { prep_send(fd); return; } /* short send: the rest goes before anything queued */
    pop(c);
    if (c->qlen > 0 && c->closing != 2) prep_send(fd);
    maybe_resume(fd);
    maybe_close(fd);
}

static void on_stdin(char *line, size_t *line_len)
{
    ssize_t r = read(0, line + *line_len, 255 - *line_len);
    if (r <= 0) exit(0);
    *line_len += (size_t)r;
    line[*line_len] = 0;
    char *nl;
    while ((nl = strchr(line, '\n')) != NULL) {
        *nl = 0;
        if (strcmp(line, "quit") == 0) exit(0);
        printf("{\"connections\":%ld,\"enters\":%ld,\"enobufs\":%ld,\"pauses\":%ld}\n", connections, enters, enobufs, pauses);
        fflush(stdout);
        size_t rest = *line_len - (size_t)(nl + 1 - line);
        memmove(line, nl + 1, rest);
        *line_len = rest;
        line[rest] = 0;
    }
    if (*line_len >= 255) *line_len = 0;
}

int main(int argc, char **argv)
{
    int port = argc > 1 ? atoi(argv[1]) : 0;
    sqpoll = argc > 2 && strcmp(argv[2], "sqpoll") == 0;
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) { rl.rlim_cur = rl.rlim_max; setrlimit(RLIMIT_NOFILE, &rl); }
    max_fd = (int)(rl.rlim_cur > 1000000 ? 1000000 : rl.rlim_cur);
    conns = calloc((size_t)max_fd, sizeof *conns);
    if (!conns) die("calloc");

    int ls = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons((unsigned short)port) };
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(ls, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(ls, 4096) != 0) die("bind/listen");
    socklen_t alen = sizeof addr;
    getsockname(ls, (struct sockaddr *)&addr, &alen);

    setup_ring();
    for (int bid = 0; bid < BUF_COUNT; bid++) buf_recycle((uint16_t)bid);
    buf_publish();
    prep_accept(ls);
    prep_stdin();
    enter(0);
    printf("READY %d\n", ntohs(addr.sin_port));
    fflush(stdout);

    char line[256];
    size_t line_len = 0;
    for (;;) {
        enter(1); /* the turn's one syscall: submit what the last turn prepared, wait for completions */
        unsigned head = *cq_head, tail = __atomic_load_n(cq_tail, __ATOMIC_ACQUIRE);
        for (; head != tail; head++) {
            struct io_uring_cqe *cqe = &cqes[head & cq_mask];
            int type = (int)(cqe->user_data >> 32), fd = (int)(uint32_t)cqe->user_data, res = cqe->res;
            unsigned flags = cqe->flags;
            switch (type) {
            case T_RECV: on_recv(fd, res, flags); break;
            case T_SEND: on_send(fd, res); break;
            case T_ACCEPT:
                if (res >= 0) {
                    if (res >= max_fd) { close(res); break; }
                    setsockopt(res, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    memset(&conns[res], 0, sizeof conns[res]);
                    conns[res].open = 1;
                    connections++;
                    prep_recv(res);
                }
                /* Out of fds (EMFILE) or any error ends the multishot: re-arm, as the epoll floor retries. */
                if (!(flags & IORING_CQE_F_MORE)) prep_accept(ls);
                break;
            case T_STDIN:
                on_stdin(line, &line_len);
                if (!(flags & IORING_CQE_F_MORE)) prep_stdin();
                break;
            default: break; /* T_CANCEL results, or a failed T_CLOSE: nothing to undo */
            }
        }
        __atomic_store_n(cq_head, head, __ATOMIC_RELEASE);
        buf_publish(); /* the buffers this turn's sends gave back, before the next enter */
    }
}
