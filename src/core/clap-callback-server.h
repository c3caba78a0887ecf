/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "clap-session.h"

G_BEGIN_DECLS

#define CLAP_CALLBACK_SERVER_ERROR (clap_callback_server_error_quark ())

typedef enum {
  CLAP_CALLBACK_SERVER_ERROR_INVALID_ADDRESS, /* not "IP:port" */
  CLAP_CALLBACK_SERVER_ERROR_ADDRESS_IN_USE,  /* another program holds the port */
  CLAP_CALLBACK_SERVER_ERROR_LISTEN,          /* any other reason it could not listen */
} ClapCallbackServerError;

/* The path the receiver answers on, and the most of a body it reads. */
#define CLAP_CALLBACK_SERVER_PATH     "/callback"
#define CLAP_CALLBACK_SERVER_MAX_BODY (64 * 1024)

#define CLAP_TYPE_CALLBACK_SERVER (clap_callback_server_get_type ())
G_DECLARE_FINAL_TYPE (ClapCallbackServer, clap_callback_server, CLAP, CALLBACK_SERVER, GObject)

GQuark              clap_callback_server_error_quark    (void);

ClapCallbackServer *clap_callback_server_new            (ClapSession         *session);
ClapSession        *clap_callback_server_get_session    (ClapCallbackServer  *self);
gboolean            clap_callback_server_listen         (ClapCallbackServer  *self,
                                                         const char          *address,
                                                         GError             **error);
void                clap_callback_server_stop           (ClapCallbackServer  *self);
void                clap_callback_server_set_request_timeout (ClapCallbackServer *self,
                                                              guint               timeout_ms);
gboolean            clap_callback_server_is_listening   (ClapCallbackServer  *self);
const char         *clap_callback_server_get_address    (ClapCallbackServer  *self);
char               *clap_callback_server_dup_url        (ClapCallbackServer  *self);
guint               clap_callback_server_get_n_accepted (ClapCallbackServer  *self);
guint               clap_callback_server_get_n_refused  (ClapCallbackServer  *self);

GInetSocketAddress *clap_callback_server_parse_address  (const char          *address,
                                                         GError             **error);

G_END_DECLS
