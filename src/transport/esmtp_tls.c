/*
 * transport/esmtp_tls: the libESMTP transport's TLS: our own SSL_CTX (TLS 1.2, RFC 8996),
 * verified by OpenSSL in the handshake (chain and host name, RFC 6125), SNI (RFC 6066 3),
 * and why a handshake failed.
 * SPDX-License-Identifier: MIT
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "config.h"
#include "diag.h"
#include "log.h"
#include "util.h"

#include "esmtp_int.h"

/* ---- TLS: our own SSL_CTX, verified by OpenSSL (chain and name, RFC 6125) ---- */

static void
on_tls_info(const SSL *ssl, int where, int ret)
{
    struct transport *t = SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl));

    (void)ret;
    /* libESMTP 1.1.0 sends no SNI (RFC 6066 3); the ClientHello is built after this. */
    if ((where & SSL_CB_HANDSHAKE_START) && t != NULL && !t->host_is_ip &&
        SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name) == NULL)
        SSL_set_tlsext_host_name((SSL *)ssl, t->host);
}

static int
on_verify(int ok, X509_STORE_CTX *x)
{
    SSL *ssl = X509_STORE_CTX_get_ex_data(x, SSL_get_ex_data_X509_STORE_CTX_idx());
    struct transport *t = ssl != NULL ? SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl)) : NULL;

    if (!ok && t != NULL && t->verify_err == X509_V_OK) {
        t->verify_err = X509_STORE_CTX_get_error(x);
        t->verify_depth = X509_STORE_CTX_get_error_depth(x);
    }
    return ok;
}

int
esmtp_tls_setup(struct transport *t, struct diag *d)
{
    const struct config_smtp *s = t->s;
    X509_VERIFY_PARAM *vp;
    char err[160];

    t->tls = SSL_CTX_new(TLS_client_method());
    if (t->tls == NULL) {
        diag_set(d, EX_SOFTWARE, "OpenSSL could not make a TLS context");
        return -1;
    }
    SSL_CTX_set_min_proto_version(t->tls, TLS1_2_VERSION);     /* RFC 8996 */
    /* And no TLS 1.3: libESMTP 1.1.0 polls for reading before it flushes the command it
       just wrote, so the NewSessionTicket a TLS 1.3 server sends after the handshake (RFC
       8446 4.6.1) makes it wait for a reply to an EHLO it has not sent yet. */
    SSL_CTX_set_max_proto_version(t->tls, TLS1_2_VERSION);
    SSL_CTX_set_app_data(t->tls, t);
    SSL_CTX_set_info_callback(t->tls, on_tls_info);
    if (!s->tls_verify) {
        SSL_CTX_set_verify(t->tls, SSL_VERIFY_NONE, NULL);
        log_warnx("smtp %s: TLS certificate verification is OFF (smtp.tls_verify: false); "
            "anyone on the way can read the mail and the password", t->where);
        return 0;
    }
    if (s->ca_file != NULL ? SSL_CTX_load_verify_locations(t->tls, s->ca_file, NULL) != 1 :
        SSL_CTX_set_default_verify_paths(t->tls) != 1) {
        ERR_error_string_n(ERR_get_error(), err, sizeof(err));
        ERR_clear_error();
        diag_set(d, EX_CONFIG, "smtp.ca_file: cannot load \"%s\": %s; give a PEM file of CA "
            "certificates", s->ca_file != NULL ? s->ca_file : "(system CAs)", err);
        return -1;
    }
    /* Verify in the handshake (so nothing goes to an unverified server), host name
       included: libESMTP's own name check knows neither IP addresses nor RFC 6125. */
    SSL_CTX_set_verify(t->tls, SSL_VERIFY_PEER, on_verify);
    vp = SSL_CTX_get0_param(t->tls);
    X509_VERIFY_PARAM_set_hostflags(vp, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    if (t->host_is_ip ? X509_VERIFY_PARAM_set1_ip_asc(vp, t->host) != 1 :
        X509_VERIFY_PARAM_set1_host(vp, t->host, 0) != 1) {
        diag_set(d, EX_CONFIG, "smtp.url: OpenSSL cannot check certificates for \"%s\"",
            t->host);
        return -1;
    }
    return 0;
}

/* Why the TLS session failed, when it did. */
bool
esmtp_tls_failure(struct conn *c, char *out, size_t size)
{
    struct transport *t = c->t;

    if (c->tls_failed[0] != '\0') {
        snprintf(out, size, "%s", c->tls_failed);
        return true;
    }
    if (c->tls_up || c->tr.stage != TRANSPORT_STAGE_TLS ||
        c->tr.code != SMTP_STARTTLS_READY)
        return false;
    /* "220 ready" and then no TLS: the handshake failed (SMTP_ERR_CLIENT_ERROR). */
    if (t->verify_err != X509_V_OK)
        snprintf(out, size, "the server's certificate is not trusted: %s (depth %d)%s",
            X509_verify_cert_error_string(t->verify_err), t->verify_depth,
            t->s->ca_file != NULL ? "" : "; set smtp.ca_file for a private CA");
    else if (c->sslerr[0] != '\0')
        snprintf(out, size, "TLS handshake failed: %s", c->sslerr);
    else
        snprintf(out, size, "TLS handshake failed");
    return true;
}
