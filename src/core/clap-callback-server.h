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
  CLAP_CALLBACK_SERVER_ERROR_TOKEN,           /* the token file could not be read or made */
} ClapCallbackServerError;

/* The receiver answers only on CLAP_CALLBACK_SERVER_PATH "/" TOKEN, and
 * reads at most CLAP_CALLBACK_SERVER_MAX_BODY of a body. */
#define CLAP_CALLBACK_SERVER_PATH     "/callback"
#define CLAP_CALLBACK_SERVER_MAX_BODY (64 * 1024)

/* The file, in the folder given to clap_callback_server_load_token(), that
 * keeps this installation's token. */
#define CLAP_CALLBACK_SERVER_TOKEN_FILE "callback-token"

/* A burst of callbacks for one take makes one query, at most, this often. */
#define CLAP_CALLBACK_SERVER_HINT_INTERVAL_MS 5000

#define CLAP_TYPE_CALLBACK_SERVER (clap_callback_server_get_type ())
G_DECLARE_FINAL_TYPE (ClapCallbackServer, clap_callback_server, CLAP, CALLBACK_SERVER, GObject)

GQuark              clap_callback_server_error_quark    (void);

ClapCallbackServer *clap_callback_server_new            (ClapSession         *session);
ClapSession        *clap_callback_server_get_session    (ClapCallbackServer  *self);
char               *clap_callback_server_load_token     (const char          *folder,
                                                         GError             **error);
void                clap_callback_server_set_token      (ClapCallbackServer  *self,
                                                         const char          *token);
char               *clap_callback_server_dup_path       (ClapCallbackServer  *self);
void                clap_callback_server_set_hint_interval (ClapCallbackServer *self,
                                                            guint               interval_ms);
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
