/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define CLAP_CLIENT_ERROR (clap_client_error_quark ())

/* What went wrong talking to the service. Each code has a message that says
 * what to do; the code decides whether an operation may be retried. */
typedef enum {
  CLAP_CLIENT_ERROR_BAD_REQUEST,          /* 400: the request itself is wrong */
  CLAP_CLIENT_ERROR_UNAUTHORIZED,         /* 401: the API key was rejected */
  CLAP_CLIENT_ERROR_INSUFFICIENT_BALANCE, /* 402 */
  CLAP_CLIENT_ERROR_NOT_FOUND,            /* 404: unknown task */
  CLAP_CLIENT_ERROR_RATE_LIMITED,         /* 429 */
  CLAP_CLIENT_ERROR_SERVER,               /* 5xx, or a body code 500 */
  CLAP_CLIENT_ERROR_NETWORK,              /* could not connect, connection dropped */
  CLAP_CLIENT_ERROR_PROTOCOL,             /* a reply that is not the envelope */
  CLAP_CLIENT_ERROR_TIMEOUT,
  CLAP_CLIENT_ERROR_EXPIRED,              /* a result or upload link that no longer works */
  CLAP_CLIENT_ERROR_INSECURE_URL,         /* http to a host that is not this computer */
  CLAP_CLIENT_ERROR_STORAGE,              /* the presigned upload was refused */
  CLAP_CLIENT_ERROR_DISK,                 /* writing the local file failed */
  CLAP_CLIENT_ERROR_BUSY,                 /* another process is downloading the same file */
  CLAP_CLIENT_ERROR_TOO_LARGE,            /* a body past its size cap: never tried again */
  CLAP_CLIENT_ERROR_NOT_VIDEO,            /* a result that is not an MP4/MOV: never tried again */
} ClapClientError;

/* What a person can do about a passing failure. Each is a sentence of its
 * own at the end of a message, so that clap_client_error_dup_reason() can
 * leave it out where it would mislead (a take that may have been charged
 * must not be "tried again later"). */
typedef enum {
  CLAP_ADVICE_LATER,    /* "Try again later." */
  CLAP_ADVICE_MOMENT,   /* "Try again in a moment." */
  CLAP_ADVICE_NETWORK,  /* "Check the network connection." */
  CLAP_N_ADVICES
} ClapAdvice;

GQuark    clap_client_error_quark   (void);
const char *clap_client_advice      (ClapAdvice     advice);
char     *clap_client_error_dup_reason (const GError *error);

JsonNode *clap_envelope_parse       (guint          http_status,
                                     const char    *content_type,
                                     GBytes        *body,
                                     GError       **error);
gboolean  clap_client_error_is_transient (const GError *error);
void      clap_client_error_from_http    (guint         http_status,
                                          const char   *detail,
                                          GError      **error);

G_END_DECLS
