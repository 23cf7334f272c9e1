/*
 * strata-shim: the per-container supervisor.
 *
 * strata has no daemon. The CLI starts one strata-shim per container run; the shim
 * creates and starts the container with the OCI runtime (runc), stays its parent (as a
 * child subreaper), copies its output into a docker json-file log (and, in the foreground,
 * to its own stdout/stderr), forwards signals, and when the container exits records the
 * exit code, finish time and OOM kill in a small JSON state file, deletes the runtime's
 * state, and exits with the container's status. A detached shim outlives the CLI; it is a
 * small C program so that a long-lived container costs about 1 MB, not a Node process.
 *
 * Protocol with the launcher (src/runtime/supervisor.ts):
 *   --ready-fd N   "started <pid>" once the container runs, or "failed <status> <message>"
 *                  (status 125/126/127 as docker's CLI exits); in the foreground then
 *                  "exited <code> <oomKilled 0|1>" once its exit is recorded.
 *   --state PATH   JSON, replaced atomically at each change (the last one through PATH.next,
 *                  1 MiB taken before the container runs, so a full disk can't stop it):
 *                  {"status":"starting"|"running"|"exited"|"created","pid":N,"exitCode":N,
 *                   "startedAt":"…","finishedAt":"…","oomKilled":bool,"error":"…",
 *                   "shimPid":N,"shimStartTime":N}
 *   --log PATH     appended json-file lines: {"log":"…\n","stream":"stdout","time":"…Z"};
 *                  a line that finds no room is dropped whole
 *   --event-journal PATH --event-attributes JSON
 *                  the store's events journal: docker's container `start` and `die` (with
 *                  exitCode) events appended to it, one line each, with these attributes
 *   --event-start-action TEXT --event-die-action TEXT
 *                  other actions for those two (JSON-escaped): an exec's `exec_start: CMD`
 *                  and `exec_die`
 *   -- CMD ARG...  run (exec'd) once the exit is recorded: the unmount, or `strata rm` for
 *                  --rm. In the foreground only when the launcher left it undone: the shim
 *                  waits until the launcher's end of the ready pipe closes (it exits), and
 *                  runs it unless the container's state file is gone (--rm removed it) and
 *                  no removal of it was left half done.
 *   --kill-with-launcher  the container dies with its launcher: when the launcher's end of
 *                  the ready pipe closes before the exit (kill -9 of `strata build`), the
 *                  container's init gets SIGKILL, which takes its whole pid namespace with
 *                  it; the exit is then recorded and the runtime state deleted as usual.
 *
 * With --exec PROCESS.json the shim runs one more process in a running container the same
 * way (`runc exec --detach`, then supervised as a subreaper): output relayed, signals
 * forwarded, exit reported; no state file or log unless asked, and no runtime delete.
 *
 * Build: gcc -O2 -Wall -Wextra -o dist/strata-shim src/runtime/shim/strata-shim.c
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define LOG_LINE_MAX 16384 /* docker's json-file splits longer lines into partial entries */

struct options {
    const char *runtime;
    const char *runtime_root;
    const char *id;
    const char *bundle;
    const char *state;
    const char *log;
    const char *runtime_log;
    const char *pid_file;
    const char *oom_file;
    const char *exec_process; /* exec mode: a process.json to run in the running container */
    const char *event_journal;    /* the store's events journal: `die` is appended on exit */
    const char *event_attributes; /* the event's attributes as a JSON object, exitCode aside */
    const char *event_start_action; /* the events' actions, JSON-escaped: `start` and `die`, or */
    const char *event_die_action;   /* an exec's `exec_start: CMD` and `exec_die` */
    int tty;
    int stdin_open;
    int foreground;
    int kill_with_launcher;
    int ready_fd;
    char **exit_hook;
};

static struct options opt = { .ready_fd = -1 };
static int sig_pipe[2] = { -1, -1 };
static int log_fd = -1;
static pid_t container_pid = 0;
static int pending_signals[65];
static char started_at[64] = "0001-01-01T00:00:00Z";
static struct termios saved_termios;
static int termios_saved = 0;
static int launcher_lost = 0; /* --kill-with-launcher: the launcher went, the container was killed */

/* ---------- small helpers ---------- */

static void die(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fputs("strata-shim: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(125);
}

static int write_all(int fd, const char *buf, size_t len) {
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN) {
                struct pollfd p = { .fd = fd, .events = POLLOUT };
                poll(&p, 1, 1000);
                continue;
            }
            return -1;
        }
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

/* RFC 3339 with nanoseconds, trailing zeros trimmed, as Go's time.RFC3339Nano in UTC. */
static void now_rfc3339(char *out, size_t size) {
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(out, size, "%Y-%m-%dT%H:%M:%S", &tm);
    if (ts.tv_nsec != 0) {
        char frac[16];
        snprintf(frac, sizeof frac, ".%09ld", ts.tv_nsec);
        size_t len = strlen(frac);
        while (len > 1 && frac[len - 1] == '0') frac[--len] = '\0';
        snprintf(out + n, size - n, "%sZ", frac);
    } else {
        snprintf(out + n, size - n, "Z");
    }
}

/* Appends s[0..len) to buf as a JSON string body, escaped as Go's encoding/json does. */
static size_t json_escape(char *buf, size_t cap, const unsigned char *s, size_t len) {
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
#define PUT(c) do { if (o < cap) buf[o] = (char)(c); o++; } while (0)
    for (size_t i = 0; i < len;) {
        unsigned char c = s[i];
        if (c < 0x80) {
            switch (c) {
            case '"': PUT('\\'); PUT('"'); break;
            case '\\': PUT('\\'); PUT('\\'); break;
            case '\n': PUT('\\'); PUT('n'); break;
            case '\r': PUT('\\'); PUT('r'); break;
            case '\t': PUT('\\'); PUT('t'); break;
            default:
                if (c < 0x20 || c == '<' || c == '>' || c == '&') {
                    PUT('\\'); PUT('u'); PUT('0'); PUT('0'); PUT(hex[c >> 4]); PUT(hex[c & 15]);
                } else {
                    PUT(c);
                }
            }
            i++;
            continue;
        }
        /* Validate one UTF-8 sequence; invalid bytes become U+FFFD. */
        size_t need = 0;
        uint32_t cp = 0;
        if (c >= 0xc2 && c <= 0xdf) { need = 1; cp = c & 0x1f; }
        else if (c >= 0xe0 && c <= 0xef) { need = 2; cp = c & 0x0f; }
        else if (c >= 0xf0 && c <= 0xf4) { need = 3; cp = c & 0x07; }
        int ok = need > 0 && i + need < len;
        if (ok) {
            for (size_t k = 1; k <= need; k++) {
                if (i + k >= len || (s[i + k] & 0xc0) != 0x80) { ok = 0; break; }
                cp = (cp << 6) | (s[i + k] & 0x3f);
            }
        }
        if (ok && ((need == 2 && cp < 0x800) || (need == 3 && (cp < 0x10000 || cp > 0x10ffff)) || (cp >= 0xd800 && cp <= 0xdfff))) ok = 0;
        if (!ok) {
            PUT('\\'); PUT('u'); PUT('f'); PUT('f'); PUT('f'); PUT('d');
            i++;
            continue;
        }
        if (cp == 0x2028 || cp == 0x2029) {
            PUT('\\'); PUT('u'); PUT('2'); PUT('0'); PUT('2'); PUT(cp == 0x2028 ? '8' : '9');
        } else {
            for (size_t k = 0; k <= need; k++) PUT(s[i + k]);
        }
        i += need + 1;
    }
#undef PUT
    return o;
}

/* ---------- json-file log ---------- */

struct stream {
    const char *name;      /* "stdout" / "stderr" */
    int fd;                /* read end; -1 once closed */
    int out_fd;            /* foreground copy target; -1 when not copying */
    unsigned char buf[LOG_LINE_MAX];
    size_t len;
};

static char *log_record; /* scratch for one record */
static off_t log_size;   /* the log's length up to its last whole record */

/* Appends one record. A write that fails (ENOSPC, EIO) drops the record, as docker drops
   the line, and cuts off the part of it that was written, so the log stays whole lines for
   `logs`; the next record is tried again (the space may be back). The output itself goes on
   being read either way, so the container never blocks or gets SIGPIPE because of the log. */
static void log_entry(const char *stream, const unsigned char *data, size_t len) {
    if (log_fd < 0 || len == 0) return;
    char ts[64];
    now_rfc3339(ts, sizeof ts);
    size_t cap = len * 6 + 128;
    size_t o = (size_t)snprintf(log_record, cap, "{\"log\":\"");
    o += json_escape(log_record + o, cap - o, data, len);
    o += (size_t)snprintf(log_record + o, cap - o, "\",\"stream\":\"%s\",\"time\":\"%s\"}\n", stream, ts);
    if (write_all(log_fd, log_record, o) == 0) log_size += (off_t)o;
    else if (ftruncate(log_fd, log_size) < 0) { /* a torn last line; `logs` skips what it can't parse */ }
}

/* Takes new output: copies it to the attached terminal and logs each complete line. */
static void stream_data(struct stream *s, const unsigned char *data, size_t len) {
    if (s->out_fd >= 0 && write_all(s->out_fd, (const char *)data, len) < 0) s->out_fd = -1;
    for (size_t i = 0; i < len; i++) {
        s->buf[s->len++] = data[i];
        if (data[i] == '\n' || s->len == LOG_LINE_MAX) {
            log_entry(s->name, s->buf, s->len);
            s->len = 0;
        }
    }
}

static void stream_flush(struct stream *s) {
    if (s->len > 0) log_entry(s->name, s->buf, s->len);
    s->len = 0;
}

/* ---------- state file ---------- */

static unsigned long long self_start_time(void) {
    char buf[1024];
    int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) return 0;
    buf[n] = '\0';
    char *p = strrchr(buf, ')');
    if (p == NULL) return 0;
    /* after ") " come fields 3.. ; starttime is field 22 */
    int field = 2;
    for (p++; *p && field < 22; p++) if (*p == ' ') field++;
    return strtoull(p, NULL, 10);
}

/* The state file's last version, taken while there is space (before the container runs),
   so that a container filling the disk can't keep its exit from being recorded nor its
   clean-up from being done: the exit record is written into this file in place (no new
   block), the file is shrunk to it, which gives the rest of the room back for the records
   of the clean-up (`rm` for --rm) and the commands that follow, and renamed over the state
   file. Without it (no space even at the start), a new file is written as for the others. */
#define STATE_SPARE_ROOM (1 << 20)
#define STATE_SPARE_MIN 4096 /* one block: an exit record is ~250 bytes */
static int spare_fd = -1;
static off_t spare_size;
static char spare_path[4096];

static void prepare_spare(void) {
    if (spare_fd >= 0 || opt.state == NULL) return;
    snprintf(spare_path, sizeof spare_path, "%s.next", opt.state);
    int fd = open(spare_path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return;
    if (posix_fallocate(fd, 0, STATE_SPARE_ROOM) == 0) {
        spare_size = STATE_SPARE_ROOM;
    } else {
        /* short of room already: at least the record's block */
        char fill[STATE_SPARE_MIN];
        memset(fill, ' ', sizeof fill);
        if (ftruncate(fd, 0) < 0 || write_all(fd, fill, sizeof fill) < 0) {
            close(fd);
            unlink(spare_path);
            return;
        }
        spare_size = STATE_SPARE_MIN;
    }
    spare_fd = fd;
}

/* Replaces the state file with `body` through the spare; 0 on success. */
static int replace_with_spare(const char *body, size_t len) {
    if (spare_fd < 0 || (off_t)len > spare_size) return -1;
    size_t done = 0;
    while (done < len) {
        ssize_t n = pwrite(spare_fd, body + done, len - done, (off_t)done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return -1;
        done += (size_t)n;
    }
    /* shrinking frees space, never needs it */
    if (ftruncate(spare_fd, (off_t)len) < 0 || rename(spare_path, opt.state) < 0) return -1;
    close(spare_fd);
    spare_fd = -1;
    return 0;
}

static void write_state(const char *status, int exit_code, const char *finished_at, int oom_killed, const char *error) {
    if (opt.state == NULL) return;
    int last = strcmp(status, "exited") == 0 || strcmp(status, "created") == 0;
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.%d.tmp", opt.state, (int)getpid());
    char err_json[8192];
    size_t elen = json_escape(err_json, sizeof err_json - 1, (const unsigned char *)error, strlen(error));
    if (elen > sizeof err_json - 1) elen = sizeof err_json - 1;
    err_json[elen] = '\0';
    char body[16384];
    int n = snprintf(body, sizeof body,
        "{\"status\":\"%s\",\"pid\":%d,\"exitCode\":%d,\"startedAt\":\"%s\",\"finishedAt\":\"%s\","
        "\"oomKilled\":%s,\"error\":\"%s\",\"shimPid\":%d,\"shimStartTime\":%llu}\n",
        status, (int)(strcmp(status, "running") == 0 ? container_pid : 0), exit_code, started_at, finished_at,
        oom_killed ? "true" : "false", err_json, (int)getpid(), self_start_time());
    /* Atomic (rename), not fsynced: after a host crash every container is stopped anyway,
       and reconcile reports what the runtime knows. fsync here would cost ~7 ms a write. */
    if (last && replace_with_spare(body, (size_t)n) == 0) return;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return;
    if (write_all(fd, body, (size_t)n) == 0) {
        close(fd);
        if (rename(tmp, opt.state) == 0) return;
    } else {
        close(fd);
    }
    unlink(tmp);
}

/* One line to the launcher; the fd is closed after it unless `keep` (foreground: the exit follows). */
/* Returns 0 when the launcher got the line (or there is none), -1 when it is gone. */
static int ready(int keep, const char *fmt, ...) {
    if (opt.ready_fd < 0) return 0;
    char line[8192];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line - 2, fmt, ap);
    va_end(ap);
    if (n < 0) n = 0;
    if (n > (int)sizeof line - 2) n = sizeof line - 2;
    /* one line: newlines in runc's message become spaces */
    for (int i = 0; i < n; i++) if (line[i] == '\n') line[i] = ' ';
    line[n++] = '\n';
    int sent = write_all(opt.ready_fd, line, (size_t)n);
    if (!keep) {
        close(opt.ready_fd);
        opt.ready_fd = -1;
    }
    return sent < 0 ? -1 : 0;
}

/* Blocks until the launcher has exited: its end of the ready pipe closes then (POLLERR). */
static void wait_launcher_gone(void) {
    struct pollfd p = { .fd = opt.ready_fd, .events = 0 };
    while (poll(&p, 1, -1) < 0 && errno == EINTR) {}
    close(opt.ready_fd);
    opt.ready_fd = -1;
}

/* Whether the launcher left the clean-up after the exit undone: the container's state file
 * is still there, or a removal moved the container's directory aside (to
 * `.removing-<id>-<pid>` beside it, src/containers/removing-dir.ts) and never finished. */
static int cleanup_undone(void) {
    if (opt.state == NULL || access(opt.state, F_OK) == 0) return 1;
    char home[4096];
    snprintf(home, sizeof home, "%s", opt.state);
    for (int up = 0; up < 2; up++) { /* <home>/<id>/state.json -> <home> */
        char *slash = strrchr(home, '/');
        if (slash == NULL) return 0;
        *slash = '\0';
    }
    char prefix[512];
    int len = snprintf(prefix, sizeof prefix, ".removing-%s-", opt.id);
    DIR *dir = opendir(home);
    if (dir == NULL) return 0;
    int found = 0;
    for (struct dirent *e = readdir(dir); e != NULL && !found; e = readdir(dir)) found = strncmp(e->d_name, prefix, (size_t)len) == 0;
    closedir(dir);
    return found;
}

/* ---------- runtime invocation ---------- */

static void child_reset_signals(void) {
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    for (int s = 1; s < NSIG; s++) signal(s, SIG_DFL);
}

/* fork+exec the runtime with the given stdio; returns the pid. */
static pid_t spawn_runtime(char *const argv[], int in, int out, int err) {
    pid_t pid = fork();
    if (pid < 0) die("fork: %s", strerror(errno));
    if (pid == 0) {
        child_reset_signals();
        if (in != 0) { dup2(in, 0); }
        if (out != 1) { dup2(out, 1); }
        if (err != 2) { dup2(err, 2); }
        /* the runtime and the container get only fds 0-2 */
        for (int fd = 3; fd < 1024; fd++) close(fd);
        execv(argv[0], argv);
        _exit(127);
    }
    return pid;
}

static int status_code(int status) {
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return 255;
}

static int exited_container = 0;
static int container_status = 0;

/* Children reaped before we knew the container's pid (it can exit before `runc run -d` does). */
static pid_t early_pids[64];
static int early_status[64];
static int early_count = 0;

/* Reaps every exited child; remembers the container's status. Returns 1 if `watch` exited. */
static int reap(pid_t watch, int *watch_status) {
    int found = 0, st;
    pid_t p;
    while ((p = waitpid(-1, &st, WNOHANG)) > 0) {
        if (p == watch) { found = 1; if (watch_status) *watch_status = st; }
        if (container_pid > 0 && p == container_pid) { exited_container = 1; container_status = st; }
        else if (container_pid <= 0 && p != watch) {
            early_pids[early_count % 64] = p;
            early_status[early_count % 64] = st;
            early_count++;
        }
    }
    return found;
}

/* Once the container's pid is known: did it already exit? */
static void claim_early_exit(void) {
    for (int i = 0; i < early_count && i < 64; i++) {
        if (early_pids[i] == container_pid) { exited_container = 1; container_status = early_status[i]; }
    }
}

static int run_runtime_wait(char *const argv[]) {
    int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
    pid_t pid = spawn_runtime(argv, devnull, devnull, devnull);
    close(devnull);
    int st = 0;
    for (;;) {
        pid_t p = waitpid(pid, &st, 0);
        if (p == pid) break;
        if (p < 0 && errno != EINTR) return 255;
    }
    return status_code(st);
}

/* The last "msg" of a level=error line in runc's JSON log. */
static void runtime_error(char *out, size_t size) {
    out[0] = '\0';
    int fd = open(opt.runtime_log, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    static char text[65536];
    off_t end = lseek(fd, 0, SEEK_END);
    off_t start = end > (off_t)sizeof text - 1 ? end - (off_t)sizeof text + 1 : 0;
    ssize_t n = pread(fd, text, sizeof text - 1, start);
    close(fd);
    if (n <= 0) return;
    text[n] = '\0';
    char *line = text;
    while (line && *line) {
        char *next = strchr(line, '\n');
        if (next) *next++ = '\0';
        if (strstr(line, "\"level\":\"error\"") || strstr(line, "\"level\":\"fatal\"")) {
            char *m = strstr(line, "\"msg\":\"");
            if (m) {
                m += 7;
                size_t o = 0;
                for (; *m && *m != '"' && o + 1 < size; m++) {
                    if (*m == '\\' && m[1]) {
                        m++;
                        switch (*m) {
                        case 'n': out[o++] = ' '; break;
                        case 't': out[o++] = '\t'; break;
                        case 'u': /* \u00XX: keep ASCII, skip others */
                            if (strncmp(m + 1, "00", 2) == 0 && m[3] && m[4]) {
                                char h[3] = { m[3], m[4], 0 };
                                out[o++] = (char)strtol(h, NULL, 16);
                                m += 4;
                            }
                            break;
                        default: out[o++] = *m;
                        }
                    } else {
                        out[o++] = *m;
                    }
                }
                out[o] = '\0';
            }
        }
        line = next;
    }
}

/* docker/cli's exit status for a start failure, and the one the daemon records. */
static int failure_status(const char *msg, int recorded) {
    char lower[8192];
    size_t i;
    for (i = 0; msg[i] && i + 1 < sizeof lower; i++) lower[i] = (char)((msg[i] >= 'A' && msg[i] <= 'Z') ? msg[i] + 32 : msg[i]);
    lower[i] = '\0';
    if (strstr(lower, "permission denied") || strstr(lower, "is a directory")) return 126;
    if (strstr(lower, "not a directory") || strstr(lower, "executable file not found") || strstr(lower, "no such file or directory")) return 127;
    return recorded ? 128 : 125;
}

/* ---------- console socket (for -t) ---------- */

static char sock_dir[64];
static char sock_path[96];

static int console_listen(void) {
    snprintf(sock_dir, sizeof sock_dir, "/tmp/strata-shim-XXXXXX");
    if (mkdtemp(sock_dir) == NULL) die("mkdtemp: %s", strerror(errno));
    snprintf(sock_path, sizeof sock_path, "%s/console.sock", sock_dir);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) die("socket: %s", strerror(errno));
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    snprintf(addr.sun_path, sizeof addr.sun_path, "%s", sock_path);
    if (bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0) die("bind %s: %s", sock_path, strerror(errno));
    if (listen(fd, 1) < 0) die("listen: %s", strerror(errno));
    return fd;
}

static void console_cleanup(void) {
    if (sock_path[0]) unlink(sock_path);
    if (sock_dir[0]) rmdir(sock_dir);
    sock_path[0] = sock_dir[0] = '\0';
}

/* Receives the pty master runc sends over the console socket (SCM_RIGHTS). */
static int console_receive(int listen_fd) {
    int conn = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
    if (conn < 0) return -1;
    char name[4096];
    struct iovec iov = { .iov_base = name, .iov_len = sizeof name };
    union { struct cmsghdr h; char buf[CMSG_SPACE(sizeof(int))]; } control;
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf, .msg_controllen = sizeof control.buf };
    ssize_t n;
    do { n = recvmsg(conn, &msg, MSG_CMSG_CLOEXEC); } while (n < 0 && errno == EINTR);
    close(conn);
    if (n < 0) return -1;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
            int fd;
            memcpy(&fd, CMSG_DATA(c), sizeof fd);
            return fd;
        }
    }
    return -1;
}

static void resize_console(int master) {
    struct winsize ws;
    if (ioctl(0, TIOCGWINSZ, &ws) == 0 || ioctl(1, TIOCGWINSZ, &ws) == 0) {
        if (ws.ws_row > 0 && ws.ws_col > 0) ioctl(master, TIOCSWINSZ, &ws);
    }
}

static void restore_terminal(void) {
    if (termios_saved) tcsetattr(0, TCSANOW, &saved_termios);
    termios_saved = 0;
}

/* ---------- signals ---------- */

static void on_signal(int sig) {
    int saved = errno;
    unsigned char b = (unsigned char)sig;
    if (write(sig_pipe[1], &b, 1) < 0) { /* pipe full: a signal of each kind is already queued */ }
    errno = saved;
}

static void setup_signals(void) {
    if (pipe2(sig_pipe, O_CLOEXEC | O_NONBLOCK) < 0) die("pipe: %s", strerror(errno));
    struct sigaction sa = { .sa_handler = on_signal, .sa_flags = SA_RESTART };
    sigemptyset(&sa.sa_mask);
    sigaction(SIGCHLD, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    if (opt.foreground) {
        /* docker's --sig-proxy: every catchable signal but SIGCHLD, SIGPIPE, SIGURG and SIGWINCH */
        for (int s = 1; s < NSIG; s++) {
            if (s == SIGKILL || s == SIGSTOP || s == SIGCHLD || s == SIGPIPE || s == SIGURG || s == SIGSEGV ||
                s == SIGBUS || s == SIGFPE || s == SIGILL || s == SIGTRAP || s == SIGSYS || s == SIGABRT || s == 32 || s == 33) continue;
            sigaction(s, &sa, NULL);
        }
    } else {
        signal(SIGHUP, SIG_IGN);
        signal(SIGINT, SIG_IGN);
        signal(SIGQUIT, SIG_IGN);
        signal(SIGTSTP, SIG_IGN);
        signal(SIGTTIN, SIG_IGN);
        signal(SIGTTOU, SIG_IGN);
        sigaction(SIGWINCH, &sa, NULL);
    }
}

/* ---------- launcher watch (--kill-with-launcher) ---------- */

/* A pollfd on our end of the ready pipe that reports when the launcher's end is closed
   (POLLHUP on a socket pair, POLLERR on a pipe); one poll ignores without the option. */
static struct pollfd launcher_watch(void) {
    int watch = opt.kill_with_launcher && !launcher_lost && opt.ready_fd >= 0;
    return (struct pollfd){ .fd = watch ? opt.ready_fd : -1, .events = 0 };
}

/* The launcher is gone: the container goes too (SIGKILL to the pid namespace's init). */
static void kill_for_launcher(void) {
    launcher_lost = 1;
    if (container_pid > 0 && !exited_container) kill(container_pid, SIGKILL);
}

/* ---------- main ---------- */

static void usage(void) {
    die("usage: strata-shim --runtime PATH --runtime-root DIR --id ID (--bundle DIR --state FILE | --exec PROCESS.json) "
        "--runtime-log FILE --pid-file FILE [--log FILE] [--oom-file FILE] [--tty] [--stdin] [--foreground] [--kill-with-launcher] [--ready-fd N] [--event-journal FILE --event-attributes JSON [--event-start-action TEXT --event-die-action TEXT]] [-- HOOK ARGS...]");
}

static void parse_args(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
#define VALUE() (i + 1 < argc ? argv[++i] : (usage(), (char *)NULL))
        if (strcmp(a, "--runtime") == 0) opt.runtime = VALUE();
        else if (strcmp(a, "--runtime-root") == 0) opt.runtime_root = VALUE();
        else if (strcmp(a, "--id") == 0) opt.id = VALUE();
        else if (strcmp(a, "--bundle") == 0) opt.bundle = VALUE();
        else if (strcmp(a, "--state") == 0) opt.state = VALUE();
        else if (strcmp(a, "--log") == 0) opt.log = VALUE();
        else if (strcmp(a, "--runtime-log") == 0) opt.runtime_log = VALUE();
        else if (strcmp(a, "--pid-file") == 0) opt.pid_file = VALUE();
        else if (strcmp(a, "--oom-file") == 0) opt.oom_file = VALUE();
        else if (strcmp(a, "--exec") == 0) opt.exec_process = VALUE();
        else if (strcmp(a, "--event-journal") == 0) opt.event_journal = VALUE();
        else if (strcmp(a, "--event-attributes") == 0) opt.event_attributes = VALUE();
        else if (strcmp(a, "--event-start-action") == 0) opt.event_start_action = VALUE();
        else if (strcmp(a, "--event-die-action") == 0) opt.event_die_action = VALUE();
        else if (strcmp(a, "--ready-fd") == 0) opt.ready_fd = atoi(VALUE());
        else if (strcmp(a, "--tty") == 0) opt.tty = 1;
        else if (strcmp(a, "--stdin") == 0) opt.stdin_open = 1;
        else if (strcmp(a, "--foreground") == 0) opt.foreground = 1;
        else if (strcmp(a, "--kill-with-launcher") == 0) opt.kill_with_launcher = 1;
        else if (strcmp(a, "--") == 0) { if (i + 1 < argc) opt.exit_hook = &argv[i + 1]; break; }
        else usage();
#undef VALUE
    }
    if (!opt.runtime || !opt.runtime_root || !opt.id || !opt.runtime_log || !opt.pid_file) usage();
    if (!opt.exec_process && (!opt.bundle || !opt.state)) usage();
}

static int oom_killed(void) {
    if (opt.oom_file == NULL) return 0;
    char buf[4096];
    int fd = open(opt.oom_file, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) return 0;
    buf[n] = '\0';
    char *p = strstr(buf, "oom_kill ");
    return p != NULL && strtol(p + 9, NULL, 10) > 0;
}

static void delete_container(void) {
    if (opt.exec_process) return; /* an exec leaves the container alone */
    /* Not the runtime log in the container's directory: the launcher goes on at the exit line
     * (`run --rm` removes that directory), and a runc that cannot open its log does nothing,
     * leaving its state and the container's cgroups behind. Nobody reads a delete's words. */
    char *del[] = { (char *)opt.runtime, "--root", (char *)opt.runtime_root, "--log", "/dev/null",
                    "--log-format", "json", "delete", (char *)opt.id, NULL };
    if (run_runtime_wait(del) != 0) {
        char *force[] = { (char *)opt.runtime, "--root", (char *)opt.runtime_root, "--log", "/dev/null",
                          "--log-format", "json", "delete", "--force", (char *)opt.id, NULL };
        run_runtime_wait(force);
    }
}

/* docker's container events `start` and `die` (code >= 0: with its exitCode), appended to the
 * store's events journal as one line in one write (O_APPEND: concurrent appenders never
 * interleave inside it). The supervisor writes both so that `start` always comes before the
 * `die` of a process that exits at once, and `die` before the state says exited (whoever
 * sees the exit finds the event there). Best effort, like every event. */
static void append_event(const char *action, int code) {
    if (opt.event_journal == NULL) return;
    const char *attrs = opt.event_attributes != NULL && opt.event_attributes[0] == '{' ? opt.event_attributes + 1 : "}";
    char exit_attr[48] = "";
    if (code >= 0) snprintf(exit_attr, sizeof exit_attr, "\"exitCode\":\"%d\"%s", code, strcmp(attrs, "}") == 0 ? "" : ",");
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    long long nanos = (long long)now.tv_sec * 1000000000LL + (long long)now.tv_nsec;
    char line[16384];
    int n = snprintf(line, sizeof line,
        "{\"Type\":\"container\",\"Action\":\"%s\",\"Actor\":{\"ID\":\"%s\",\"Attributes\":{%s%s},"
        "\"scope\":\"local\",\"time\":%lld,\"timeNano\":%lld}\n",
        action, opt.id, exit_attr, attrs, (long long)now.tv_sec, nanos);
    if (n <= 0 || (size_t)n >= sizeof line) return;
    int fd = open(opt.event_journal, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return;
    if (write(fd, line, (size_t)n) < 0) { /* a full disk: the event is lost, the container is not */ }
    close(fd);
}

/* create or start failed: record it, tell the launcher, clean up. */
static void fail_start(const char *phase) {
    char msg[8192];
    runtime_error(msg, sizeof msg);
    /* we create with `runc run --detach`; docker's words come from `runc create` */
    const char *run_prefix = "runc run failed: ";
    if (opt.exec_process) run_prefix = "\x01"; /* exec: keep runc's words */
    if (strncmp(msg, run_prefix, strlen(run_prefix)) == 0) {
        char tmp[8192 + 32];
        snprintf(tmp, sizeof tmp, "runc create failed: %s", msg + strlen(run_prefix));
        memcpy(msg, tmp, sizeof msg - 1);
        msg[sizeof msg - 1] = '\0';
    }
    if (msg[0] == '\0') snprintf(msg, sizeof msg, "%s %s failed", strrchr(opt.runtime, '/') ? strrchr(opt.runtime, '/') + 1 : opt.runtime, phase);
    delete_container();
    write_state("created", failure_status(msg, 1), "0001-01-01T00:00:00Z", 0, msg);
    ready(0, "failed %d %s", failure_status(msg, 0), msg);
    restore_terminal();
    console_cleanup();
    exit(failure_status(msg, 0));
}

int main(int argc, char **argv) {
    parse_args(argc, argv);
    if (opt.ready_fd >= 0) fcntl(opt.ready_fd, F_SETFD, FD_CLOEXEC);
    setup_signals();
    if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0) die("PR_SET_CHILD_SUBREAPER: %s", strerror(errno));
    if (opt.log != NULL) {
        log_fd = open(opt.log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
        if (log_fd < 0) die("open %s: %s", opt.log, strerror(errno));
        struct stat st;
        log_size = fstat(log_fd, &st) == 0 ? st.st_size : 0;
    }
    log_record = malloc(LOG_LINE_MAX * 6 + 128);
    if (log_record == NULL) die("out of memory");
    /* "starting" names this shim, so a reconcile during the start knows someone owns it */
    write_state("starting", 0, "0001-01-01T00:00:00Z", 0, "");
    prepare_spare();
    if (chdir("/") < 0) { /* keep going: cwd only matters for relative paths, and ours are absolute */ }

    int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
    int listen_fd = -1, master = -1;
    int out_pipe[2] = { -1, -1 }, err_pipe[2] = { -1, -1 }, in_pipe[2] = { -1, -1 };
    int child_in = devnull, child_out = devnull, child_err = devnull;

    if (opt.tty) {
        listen_fd = console_listen();
    } else {
        if (pipe2(out_pipe, O_CLOEXEC) < 0 || pipe2(err_pipe, O_CLOEXEC) < 0) die("pipe: %s", strerror(errno));
        child_out = out_pipe[1];
        child_err = err_pipe[1];
        if (opt.stdin_open && opt.foreground) {
            child_in = 0;
        } else if (opt.stdin_open) {
            if (pipe2(in_pipe, O_CLOEXEC) < 0) die("pipe: %s", strerror(errno));
            child_in = in_pipe[0];
        }
    }

    /* runc run --detach: create and start in one runtime process, which then exits; the
       container's init is reparented to us (a subreaper). Its stdio are the fds runc gets
       (pass-through), or a pty sent over the console socket. */
    char *create[24];
    int n = 0;
    create[n++] = (char *)opt.runtime;
    create[n++] = "--root"; create[n++] = (char *)opt.runtime_root;
    create[n++] = "--log"; create[n++] = (char *)opt.runtime_log;
    create[n++] = "--log-format"; create[n++] = "json";
    if (opt.exec_process) {
        /* exec: the same, for one more process in a running container */
        create[n++] = "exec";
        create[n++] = "--detach";
        create[n++] = "--process"; create[n++] = (char *)opt.exec_process;
    } else {
        create[n++] = "run";
        create[n++] = "--detach";
        create[n++] = "--bundle"; create[n++] = (char *)opt.bundle;
    }
    create[n++] = "--pid-file"; create[n++] = (char *)opt.pid_file;
    if (opt.tty) { create[n++] = "--console-socket"; create[n++] = sock_path; }
    create[n++] = (char *)opt.id;
    create[n] = NULL;
    unlink(opt.pid_file);
    pid_t create_pid = spawn_runtime(create, child_in, child_out, child_err);
    if (out_pipe[1] >= 0) { close(out_pipe[1]); close(err_pipe[1]); }
    if (in_pipe[0] >= 0) close(in_pipe[0]);

    int create_status = 0, created = 0;
    while (!created) {
        /* a negative fd is ignored by poll: no console socket, no launcher to watch */
        struct pollfd p[3] = { { .fd = sig_pipe[0], .events = POLLIN }, { .fd = listen_fd, .events = POLLIN }, launcher_watch() };
        int r = poll(p, 3, 1000);
        if (r < 0 && errno != EINTR) die("poll: %s", strerror(errno));
        /* gone while runc creates the container: it is killed as soon as its pid is known */
        if (r > 0 && (p[2].revents & (POLLHUP | POLLERR))) launcher_lost = 1;
        if (listen_fd >= 0 && r > 0 && (p[1].revents & POLLIN)) {
            master = console_receive(listen_fd);
            close(listen_fd);
            listen_fd = -1;
        }
        if (r > 0 && (p[0].revents & POLLIN)) {
            unsigned char sigs[64];
            ssize_t k = read(sig_pipe[0], sigs, sizeof sigs);
            for (ssize_t j = 0; j < k; j++) if (sigs[j] != SIGCHLD && sigs[j] < 65) pending_signals[sigs[j]] = 1;
        }
        if (reap(create_pid, &create_status)) created = 1;
    }
    if (listen_fd >= 0) {
        /* runc may have sent the pty and exited before we polled the socket again */
        struct pollfd p = { .fd = listen_fd, .events = POLLIN };
        if (master < 0 && poll(&p, 1, 0) > 0) master = console_receive(listen_fd);
        close(listen_fd);
    }
    console_cleanup();
    if (status_code(create_status) != 0) fail_start("create");
    if (opt.tty && master < 0) fail_start("create");

    {
        char buf[32] = { 0 };
        int fd = open(opt.pid_file, O_RDONLY | O_CLOEXEC);
        if (fd >= 0) { ssize_t k = read(fd, buf, sizeof buf - 1); if (k < 0) k = 0; buf[k] = '\0'; close(fd); }
        container_pid = (pid_t)atoi(buf);
        if (container_pid <= 0) fail_start("create");
        claim_early_exit();
    }

    if (master >= 0) {
        fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK);
        if (opt.foreground) resize_console(master);
        if (opt.foreground && opt.stdin_open && isatty(0) && tcgetattr(0, &saved_termios) == 0) {
            struct termios raw = saved_termios;
            cfmakeraw(&raw); /* output processing off too: the container's pty already did it */
            termios_saved = 1;
            tcsetattr(0, TCSANOW, &raw);
        }
    }

    now_rfc3339(started_at, sizeof started_at);
    write_state("running", 0, "0001-01-01T00:00:00Z", 0, "");
    append_event(opt.event_start_action != NULL ? opt.event_start_action : "start", -1);
    if (ready(opt.foreground, "started %d", (int)container_pid) < 0 || launcher_lost) {
        if (opt.kill_with_launcher) kill_for_launcher();
    }
    if (opt.foreground) {
        for (int s = 1; s < 65; s++) if (pending_signals[s]) kill(container_pid, s);
    }

    /* Copy output until the container has exited and its output is drained. */
    struct stream out = { .name = "stdout", .fd = opt.tty ? master : out_pipe[0], .out_fd = opt.foreground ? 1 : -1 };
    struct stream err = { .name = "stderr", .fd = opt.tty ? -1 : err_pipe[0], .out_fd = opt.foreground ? 2 : -1 };
    int relay_stdin = opt.tty && opt.stdin_open && opt.foreground;
    int idle_after_exit = 0;
    unsigned char buf[65536];
    reap(0, NULL);
    for (;;) {
        if (exited_container && out.fd < 0 && err.fd < 0) break;
        struct pollfd p[5];
        int np = 0, i_sig = -1, i_out = -1, i_err = -1, i_in = -1, i_launcher = -1;
        p[np] = (struct pollfd){ .fd = sig_pipe[0], .events = POLLIN }; i_sig = np++;
        if (!exited_container && launcher_watch().fd >= 0) { p[np] = launcher_watch(); i_launcher = np++; }
        if (out.fd >= 0) { p[np] = (struct pollfd){ .fd = out.fd, .events = POLLIN }; i_out = np++; }
        if (err.fd >= 0) { p[np] = (struct pollfd){ .fd = err.fd, .events = POLLIN }; i_err = np++; }
        if (relay_stdin) { p[np] = (struct pollfd){ .fd = 0, .events = POLLIN }; i_in = np++; }
        int r = poll(p, (nfds_t)np, exited_container ? 100 : -1);
        if (r < 0) {
            if (errno == EINTR) continue;
            break;
        }
        if (r == 0) {
            /* Output still open after the container exited: something outside it holds the pipe. */
            if (exited_container && ++idle_after_exit >= 20) break;
            continue;
        }
        idle_after_exit = 0;
        if (i_launcher >= 0 && (p[i_launcher].revents & (POLLHUP | POLLERR))) kill_for_launcher();
        if (p[i_sig].revents & POLLIN) {
            unsigned char sigs[64];
            ssize_t k = read(sig_pipe[0], sigs, sizeof sigs);
            for (ssize_t j = 0; j < k; j++) {
                int s = sigs[j];
                if (s == SIGCHLD) reap(0, NULL);
                else if (s == SIGWINCH) { if (master >= 0) resize_console(master); }
                else if (opt.foreground && !exited_container) kill(container_pid, s);
            }
        }
        struct stream *streams[2] = { &out, &err };
        int idx[2] = { i_out, i_err };
        for (int k = 0; k < 2; k++) {
            if (idx[k] < 0 || !(p[idx[k]].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            ssize_t got = read(streams[k]->fd, buf, sizeof buf);
            if (got > 0) {
                stream_data(streams[k], buf, (size_t)got);
            } else if (got == 0 || (errno != EINTR && errno != EAGAIN)) {
                /* EOF; a pty master reports EIO once every slave is closed */
                stream_flush(streams[k]);
                if (streams[k]->fd != master) close(streams[k]->fd);
                streams[k]->fd = -1;
            }
        }
        if (i_in >= 0 && (p[i_in].revents & (POLLIN | POLLHUP | POLLERR))) {
            ssize_t got = read(0, buf, sizeof buf);
            if (got > 0) write_all(master, (const char *)buf, (size_t)got);
            else if (got == 0 || (errno != EINTR && errno != EAGAIN)) relay_stdin = 0;
        }
    }
    stream_flush(&out);
    stream_flush(&err);
    if (!exited_container) {
        /* still running with output closed: wait for it */
        while (!exited_container) {
            int st;
            pid_t p = waitpid(-1, &st, 0);
            if (p == container_pid) { exited_container = 1; container_status = st; }
            else if (p < 0 && errno != EINTR) break;
        }
    }
    int code = status_code(container_status);
    int oom = oom_killed(); /* before the delete removes the cgroup */
    char finished_at[64];
    now_rfc3339(finished_at, sizeof finished_at);
    append_event(opt.event_die_action != NULL ? opt.event_die_action : "die", code);
    write_state("exited", code, finished_at, oom, "");
    /* The launcher can go on (e.g. --rm) while we delete the runtime's state. */
    int hook_waits = opt.foreground && opt.exit_hook != NULL;
    int launcher_gone = ready(hook_waits, "exited %d %d", code, oom) < 0;
    delete_container();
    restore_terminal();
    if (master >= 0) close(master);
    if (in_pipe[1] >= 0) close(in_pipe[1]);
    if (opt.exit_hook != NULL) {
        /* The output is all relayed: let go of the launcher's stdio before waiting. */
        int null_fd = open("/dev/null", O_RDWR);
        if (null_fd >= 0) { dup2(null_fd, 0); dup2(null_fd, 1); dup2(null_fd, 2); }
    }
    /* The exit hook (unmount, or `rm` for --rm) is the launcher's job in the foreground,
     * unless the launcher died (kill -9 of `strata run`), even after it read the exit line:
     * then nobody else will do it. So wait until it is gone, and do what it left undone. */
    if (hook_waits) {
        wait_launcher_gone();
        launcher_gone = cleanup_undone();
    }
    if (opt.exit_hook != NULL && (!opt.foreground || launcher_gone)) {
        child_reset_signals();
        execv(opt.exit_hook[0], opt.exit_hook);
        _exit(127);
    }
    return code;
}
