/*
 * smtpdrv: drive one transport from the command line for the integration tests: open,
 * send a file to each recipient (optionally from several threads, one transport each),
 * close, and print one line per message:
 *   RESULT rcpt outcome code enhanced|- stage reconnect(0|1) latency text...
 * An open() failure prints "OPEN-ERROR sysexit message" and exits with that status.
 * SPDX-License-Identifier: MIT
 */
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "config.h"
#include "diag.h"
#include "log.h"
#include "transport.h"
#include "util.h"

#define DRV_THREADS_MAX 64
#define DRV_RCPT_MAX 320            /* an address (254) plus "+<number>" */

/* Absent until the libESMTP transport is linked in (see --available). */
extern const struct transport_ops transport_esmtp_ops __attribute__((weak));

struct job {
    const struct transport_ops *ops;
    struct transport_opts opts;
    char **rcpts;
    size_t nrcpt;
    long count, nthreads, index;
    bool tag;
    const char *from;
    const char *data;
    size_t len;
    int status;                     /* sysexits of a failed open, else 0 */
};

static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;

static void
usage(void)
{
    fputs("usage: smtpdrv --transport curl|esmtp|maildir [--url URL] [--starttls MODE]\n"
        "  [--user U --password-env VAR] [--ca FILE] [--no-verify] [--timeout S]\n"
        "  [--message-timeout S]"
        "  [--connect-timeout S] [--per-conn N] [--threads N] [--helo NAME] [--maildir DIR]\n"
        "  --from A --rcpt B[,C...] --file MSG [--count N] [--tag] [--probe] [--debug]\n"
        "  | --transport T --available\n", stderr);
    exit(EX_USAGE);
}

static long
num(const char *s, long min, long max)
{
    long v;

    if (parse_long(s, min, max, &v) != 0) {
        fprintf(stderr, "smtpdrv: \"%s\" is not a number from %ld to %ld\n", s, min, max);
        exit(EX_USAGE);
    }
    return v;
}

static void
set_str(char **field, const char *v)
{
    free(*field);
    *field = v != NULL ? xstrdup(v) : NULL;
}

static const char *
stage_or_dash(enum transport_stage st)
{
    return st != TRANSPORT_STAGE_NONE ? transport_stage_name(st) : "-";
}

/* Recipient i: the list in turn; with --tag, "local+i@domain" to make each unique. */
static void
rcpt_for(const struct job *j, long i, char *out, size_t size)
{
    const char *r = j->rcpts[(size_t)i % j->nrcpt], *at = strrchr(r, '@');

    if (j->tag && at != NULL)
        snprintf(out, size, "%.*s+%ld%s", (int)(at - r), r, i, at);
    else
        snprintf(out, size, "%s", r);
}

/* The recipient as printed: control bytes as \xNN, so that a result stays one line. */
static void
printable(const char *s, char *out, size_t size)
{
    size_t o = 0;

    for (; *s != '\0' && o + 5 < size; s++) {
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            o += (size_t)snprintf(out + o, size - o, "\\x%02X", (unsigned char)*s);
        else
            out[o++] = *s;
    }
    out[o] = '\0';
}

static void *
run(void *arg)
{
    struct job *j = arg;
    struct diag d = DIAG_INIT;
    struct transport *t = j->ops->open(&j->opts, &d);

    if (t == NULL) {
        pthread_mutex_lock(&out_lock);
        printf("OPEN-ERROR %d %s\n", d.code, d.msg);
        fflush(stdout);
        pthread_mutex_unlock(&out_lock);
        j->status = d.code ? d.code : EX_SOFTWARE;
        return NULL;
    }
    for (long i = j->index; i < j->count; i += j->nthreads) {
        char rcpt[DRV_RCPT_MAX], shown[DRV_RCPT_MAX * 4];
        struct transport_msg m = { 0 };
        struct transport_result r;

        rcpt_for(j, i, rcpt, sizeof(rcpt));
        m.from = j->from;
        m.rcpt = rcpt;
        m.data = j->data;
        m.len = j->len;
        m.id = NULL;
        j->ops->send(t, &m, &r);
        printable(rcpt, shown, sizeof(shown));
        pthread_mutex_lock(&out_lock);
        printf("RESULT %s %s %d %s %s %d %.3f %s\n", shown, transport_outcome_name(r.outcome),
            r.code, r.enhanced[0] ? r.enhanced : "-", stage_or_dash(r.stage),
            r.reconnect ? 1 : 0, r.latency, r.text);
        fflush(stdout);
        pthread_mutex_unlock(&out_lock);
    }
    j->ops->close(t);
    return NULL;
}

int
main(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "transport", required_argument, NULL, 'T' }, { "url", required_argument, NULL, 'u' },
        { "starttls", required_argument, NULL, 's' }, { "user", required_argument, NULL, 'U' },
        { "password-env", required_argument, NULL, 'P' }, { "ca", required_argument, NULL, 'c' },
        { "no-verify", no_argument, NULL, 'k' }, { "timeout", required_argument, NULL, 't' },
        { "connect-timeout", required_argument, NULL, 'C' },
        { "message-timeout", required_argument, NULL, 'M' },
        { "per-conn", required_argument, NULL, 'n' }, { "threads", required_argument, NULL, 'j' },
        { "helo", required_argument, NULL, 'H' }, { "maildir", required_argument, NULL, 'm' },
        { "from", required_argument, NULL, 'f' }, { "rcpt", required_argument, NULL, 'r' },
        { "file", required_argument, NULL, 'F' }, { "count", required_argument, NULL, 'N' },
        { "tag", no_argument, NULL, 'g' }, { "probe", no_argument, NULL, 'p' },
        { "debug", no_argument, NULL, 'd' }, { "available", no_argument, NULL, 'a' },
        { NULL, 0, NULL, 0 },
    };
    struct config *cfg = config_defaults(".");
    const char *tname = "curl", *pwenv = NULL, *file = NULL, *rcptarg = NULL;
    const char *maildir = NULL, *from = "newsletter@example.org";
    char *rlist = NULL, *password = NULL, *data = NULL;
    bool probe = false, available = false, tag = false, starttls_set = false;
    long count = -1, nthreads = 1;
    const struct transport_ops *ops = NULL;
    struct job jobs[DRV_THREADS_MAX];
    pthread_t tids[DRV_THREADS_MAX];
    size_t len = 0, nrcpt = 0;
    char **rcpts = NULL;
    int c, status = 0;

    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'T': tname = optarg; break;
        case 'u': set_str(&cfg->smtp.url, optarg); break;
        case 's':
            starttls_set = true;
            if (strcmp(optarg, "required") == 0)
                cfg->smtp.starttls = CONFIG_STARTTLS_REQUIRED;
            else if (strcmp(optarg, "opportunistic") == 0)
                cfg->smtp.starttls = CONFIG_STARTTLS_OPPORTUNISTIC;
            else if (strcmp(optarg, "off") == 0)
                cfg->smtp.starttls = CONFIG_STARTTLS_OFF;
            else
                usage();
            break;
        case 'U': set_str(&cfg->smtp.username, optarg); break;
        case 'P': pwenv = optarg; break;
        case 'c': set_str(&cfg->smtp.ca_file, optarg); break;
        case 'k': cfg->smtp.tls_verify = false; break;
        case 't': cfg->smtp.timeout = num(optarg, 1, 3600); break;
        case 'C': cfg->smtp.connect_timeout = num(optarg, 1, 3600); break;
        case 'M': cfg->smtp.message_timeout = num(optarg, 1, 86400); break;
        case 'n': cfg->smtp.messages_per_connection = num(optarg, 1, 100000); break;
        case 'j': nthreads = num(optarg, 1, DRV_THREADS_MAX); break;
        case 'H': set_str(&cfg->smtp.helo, optarg); break;
        case 'm': maildir = optarg; break;
        case 'f': from = optarg; break;
        case 'r': rcptarg = optarg; break;
        case 'F': file = optarg; break;
        case 'N': count = num(optarg, 0, 10000000); break;
        case 'g': tag = true; break;
        case 'p': probe = true; break;
        case 'd': log_set_level(LOGLEVEL_DEBUG); break;
        case 'a': available = true; break;
        default: usage();
        }
    }
    if (optind != argc)
        usage();
    if (strcmp(tname, "curl") == 0) {
        ops = &transport_curl_ops;
        cfg->smtp.transport = CONFIG_TRANSPORT_SMTP;
    } else if (strcmp(tname, "esmtp") == 0) {
        ops = &transport_esmtp_ops;     /* NULL when not linked in */
        cfg->smtp.transport = CONFIG_TRANSPORT_ESMTP;
    } else if (strcmp(tname, "maildir") == 0) {
        ops = &transport_maildir_ops;
        cfg->smtp.transport = CONFIG_TRANSPORT_MAILDIR;
    } else {
        usage();
    }
    if (ops == NULL || ops->open == NULL || ops->send == NULL) {
        printf("unavailable: the %s transport is not built into this program\n", tname);
        config_free(cfg);
        return EX_UNAVAILABLE;
    }
    if (available) {
        printf("available\n");
        config_free(cfg);
        return 0;
    }
    /* As config.c does: smtps:// is implicit TLS, no STARTTLS on top. */
    if (!starttls_set && cfg->smtp.url != NULL &&
        ascii_strncasecmp(cfg->smtp.url, "smtps://", 8) == 0)
        cfg->smtp.starttls = CONFIG_STARTTLS_OFF;
    if (pwenv != NULL) {
        const char *p = getenv(pwenv);

        if (p == NULL) {
            fprintf(stderr, "smtpdrv: $%s is not set\n", pwenv);
            return EX_USAGE;
        }
        password = xstrdup(p);
    }
    if (!probe) {
        if (file == NULL || rcptarg == NULL)
            usage();
        if ((data = read_file(file, &len)) == NULL) {
            perror(file);
            return EX_NOINPUT;
        }
        rlist = xstrdup(rcptarg);
        for (char *p = rlist, *e; p != NULL; p = e) {
            e = strchr(p, ',');
            if (e != NULL)
                *e++ = '\0';
            rcpts = xreallocarray(rcpts, nrcpt + 1, sizeof(*rcpts));
            rcpts[nrcpt++] = p;
        }
        if (count < 0)
            count = (long)nrcpt;
    }

    if (probe) {
        struct transport_opts o = { cfg, password, maildir };
        struct diag d = DIAG_INIT;
        struct transport_result r;
        struct transport *t = ops->open(&o, &d);

        if (t == NULL) {
            printf("OPEN-ERROR %d %s\n", d.code, d.msg);
            status = d.code;
        } else {
            ops->probe(t, &r);
            printf("PROBE %s %d %s %s\n", transport_outcome_name(r.outcome), r.code,
                stage_or_dash(r.stage), r.text);
            ops->close(t);
        }
        goto out;
    }
    for (long k = 0; k < nthreads; k++) {
        struct job *j = &jobs[k];

        memset(j, 0, sizeof(*j));
        j->ops = ops;
        j->opts.cfg = cfg;
        j->opts.password = password;
        j->opts.maildir = maildir;
        j->rcpts = rcpts;
        j->nrcpt = nrcpt;
        j->count = count;
        j->nthreads = nthreads;
        j->index = k;
        j->tag = tag;
        j->from = from;
        j->data = data;
        j->len = len;
        if (nthreads == 1)
            run(j);
        else if (pthread_create(&tids[k], NULL, run, j) != 0) {
            perror("pthread_create");
            return EX_OSERR;
        }
    }
    for (long k = 0; k < nthreads; k++) {
        if (nthreads > 1)
            pthread_join(tids[k], NULL);
        if (jobs[k].status != 0 && status == 0)
            status = jobs[k].status;
    }
out:
    if (password != NULL) {
        explicit_bzero(password, strlen(password));
        free(password);
    }
    free(rcpts);
    free(rlist);
    free(data);
    config_free(cfg);
    return status;
}
