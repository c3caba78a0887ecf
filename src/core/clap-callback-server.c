/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clap-callback-server"

#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>
#include <libsoup/soup.h>

#include "clap-callback-server.h"

/* The optional callback receiver. The service POSTs a take's final state to
 * the callback_url its create carried, and nothing signs it: whoever reaches
 * this port can post anything. So a callback is only a hint. Its task id
 * makes the session ask the service about that take at once, with the key,
 * and only that answer changes the take; the callback's state, URLs and
 * messages are never used. A known id gets 200 so the service stops
 * resending; a duplicate only asks once more, and a take's state never goes
 * back. Everything else gets a 4xx and changes nothing.
 *
 * Bodies are read chunk by chunk and never more than
 * CLAP_CALLBACK_SERVER_MAX_BODY is kept, whatever the path: libsoup would
 * otherwise hold any body whole in memory before a handler sees it. And a
 * sender cannot hold the receiver open: each request (from its first byte,
 * or from the end of the last one on a kept-alive connection) has
 * DEFAULT_REQUEST_TIMEOUT_MS to arrive whole, and no more than
 * MAX_CONNECTIONS are served at once; past those the connection is shut.
 */

/* A refused body is still read and thrown away, so that the sender gets its
 * 413 rather than a reset connection; past this much it is cut off. */
#define MAX_DRAIN (4 * 1024 * 1024)

/* The most of a task id written to the log: it comes from anyone. */
#define MAX_LOGGED_ID 64

#define INCOMING_KEY "clap-callback-incoming"

/* The service sends one small POST a take; a few at once is plenty. */
#define MAX_CONNECTIONS 16
#define DEFAULT_REQUEST_TIMEOUT_MS (10 * 1000)

struct _ClapCallbackServer
{
  GObject      parent_instance;

  ClapSession *session;
  SoupServer  *soup;
  char        *address;
  GPtrArray   *to_cut;     /* SoupServerMessage, paused mid-body */
  guint        cut_id;
  GHashTable  *live;       /* SoupServerMessage → its deadline (GSource) */
  guint        timeout_ms;
  guint        n_accepted;
  guint        n_refused;
};

G_DEFINE_FINAL_TYPE (ClapCallbackServer, clap_callback_server, G_TYPE_OBJECT)

G_DEFINE_QUARK (clap-callback-server-error-quark, clap_callback_server_error)

enum {
  HANDLED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* What has arrived of one request's body. */
typedef struct {
  GByteArray *body;      /* NULL once refused: the rest is only counted */
  gsize       received;
  gboolean    cut;
} Incoming;

static void
incoming_free (Incoming *incoming)
{
  g_clear_pointer (&incoming->body, g_byte_array_unref);
  g_free (incoming);
}

static char *
loggable_id (const char *task_id)
{
  g_autofree char *head = g_strndup (task_id, MAX_LOGGED_ID);

  return g_strescape (head, NULL);
}

static void
count (ClapCallbackServer *self,
       guint               status)
{
  if (SOUP_STATUS_IS_SUCCESSFUL (status))
    self->n_accepted++;
  else
    self->n_refused++;
  g_signal_emit (self, signals[HANDLED], 0, status);
}

/* Answers @status and keeps nothing more of the body. The connection is
 * closed afterwards: a refusal made before the body was read leaves it in
 * an unknown state, and a sender that is refused has no use for it. */
static void
refuse (SoupServerMessage *msg,
        guint              status,
        const char        *reason)
{
  Incoming *incoming = g_object_get_data (G_OBJECT (msg), INCOMING_KEY);
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  char *text;

  if (incoming != NULL)
    g_clear_pointer (&incoming->body, g_byte_array_unref);

  g_debug ("Refusing a request: %u %s", status, reason);
  text = g_strconcat (reason, "\n", NULL);
  soup_message_headers_replace (headers, "Connection", "close");
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "text/plain", SOUP_MEMORY_TAKE, text, strlen (text));
}

static gboolean
cut_cb (gpointer user_data)
{
  ClapCallbackServer *self = user_data;
  g_autoptr(GPtrArray) to_cut = g_steal_pointer (&self->to_cut);

  self->to_cut = g_ptr_array_new_with_free_func (g_object_unref);
  self->cut_id = 0;

  for (guint i = 0; i < to_cut->len; i++)
    {
      SoupServerMessage *msg = g_ptr_array_index (to_cut, i);
      g_autoptr(GIOStream) stream = NULL;

      /* Stolen from a paused message, out of libsoup's own reading, which
       * still uses the connection while it emits got-chunk. */
      stream = soup_server_message_steal_connection (msg);
      if (stream != NULL)
        g_io_stream_close (stream, NULL, NULL);
      g_debug ("Cut off a body of more than %d bytes", MAX_DRAIN);
      count (self, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE);
    }

  return G_SOURCE_REMOVE;
}

static void
got_chunk_cb (SoupServerMessage  *msg,
              GBytes             *chunk,
              ClapCallbackServer *self)
{
  Incoming *incoming = g_object_get_data (G_OBJECT (msg), INCOMING_KEY);
  gsize size = g_bytes_get_size (chunk);

  if (incoming == NULL || incoming->cut)
    return;

  incoming->received += size;

  if (incoming->body != NULL)
    {
      /* A chunked body has no length to check beforehand. */
      if (incoming->received > CLAP_CALLBACK_SERVER_MAX_BODY)
        refuse (msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, "Body too large");
      else
        g_byte_array_append (incoming->body, g_bytes_get_data (chunk, NULL), size);
    }

  if (incoming->received > MAX_DRAIN)
    {
      incoming->cut = TRUE;
      soup_server_message_pause (msg);
      g_ptr_array_add (self->to_cut, g_object_ref (msg));
      if (self->cut_id == 0)
        self->cut_id = g_idle_add (cut_cb, self);
    }
}

/* Runs once the headers are in: everything that can be refused without the
 * body is refused here. libsoup then skips the normal handler, and with
 * "Expect: 100-continue" the body is never sent at all. */
static void
early_handler (SoupServer        *server,
               SoupServerMessage *msg,
               const char        *path,
               GHashTable        *query,
               gpointer           user_data)
{
  ClapCallbackServer *self = user_data;
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  Incoming *incoming = g_new0 (Incoming, 1);
  const char *content_type;

  incoming->body = g_byte_array_new ();
  g_object_set_data_full (G_OBJECT (msg), INCOMING_KEY, incoming, (GDestroyNotify) incoming_free);
  soup_message_body_set_accumulate (soup_server_message_get_request_body (msg), FALSE);
  g_signal_connect_object (msg, "got-chunk", G_CALLBACK (got_chunk_cb), self, 0);

  if (!g_str_equal (path, CLAP_CALLBACK_SERVER_PATH))
    {
      refuse (msg, SOUP_STATUS_NOT_FOUND, "Not found");
      return;
    }

  if (soup_server_message_get_method (msg) != SOUP_METHOD_POST)
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Allow",
                                    "POST");
      refuse (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "Callbacks are POSTed");
      return;
    }

  content_type = soup_message_headers_get_content_type (headers, NULL);
  if (content_type == NULL || g_ascii_strcasecmp (content_type, "application/json") != 0)
    {
      refuse (msg, SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE, "Callbacks are application/json");
      return;
    }

  if (soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH &&
      soup_message_headers_get_content_length (headers) > CLAP_CALLBACK_SERVER_MAX_BODY)
    {
      refuse (msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, "Body too large");
      return;
    }
}

/* Runs once the whole body is in, only for a JSON POST to the path within
 * the limit: any refusal above set a status, and libsoup skips this then. */
static void
server_handler (SoupServer        *server,
                SoupServerMessage *msg,
                const char        *path,
                GHashTable        *query,
                gpointer           user_data)
{
  ClapCallbackServer *self = user_data;
  Incoming *incoming = g_object_get_data (G_OBJECT (msg), INCOMING_KEY);
  g_autoptr(GBytes) body = NULL;
  g_autoptr(ClapTaskInfo) info = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *logged = NULL;

  g_return_if_fail (incoming != NULL && incoming->body != NULL);

  /* At most 64 KiB: parsed here rather than in a thread. */
  body = g_byte_array_free_to_bytes (g_steal_pointer (&incoming->body));
  info = clap_task_info_parse_callback (body, &error);
  if (info == NULL || info->task_id == NULL || *info->task_id == '\0')
    {
      refuse (msg, SOUP_STATUS_BAD_REQUEST, "Not a callback");
      return;
    }

  logged = loggable_id (info->task_id);

  /* Only the id is used; the session asks the service about it. */
  if (!clap_session_hint (self->session, info->task_id))
    {
      g_debug ("Callback for an unknown task “%s”", logged);
      refuse (msg, SOUP_STATUS_NOT_FOUND, "Unknown task");
      return;
    }

  g_debug ("Callback for %s: asking the service", logged);
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, "text/plain", SOUP_MEMORY_STATIC, "OK\n", 3);
}

/* Ends a request's connection at once: libsoup's next read or write on it
 * fails, and it drops the message and the connection itself. */
static void
shut (SoupServerMessage *msg)
{
  GSocket *socket = soup_server_message_get_socket (msg);

  if (socket != NULL)
    g_socket_shutdown (socket, TRUE, TRUE, NULL);
}

static gboolean
deadline_cb (gpointer user_data)
{
  SoupServerMessage *msg = user_data;

  g_debug ("A request took too long to arrive; closing its connection");
  shut (msg);
  return G_SOURCE_REMOVE;
}

static void
request_started_cb (SoupServer         *server,
                    SoupServerMessage  *msg,
                    ClapCallbackServer *self)
{
  GSource *deadline;

  if (g_hash_table_size (self->live) >= MAX_CONNECTIONS)
    {
      g_debug ("%d connections already: closing a new one", MAX_CONNECTIONS);
      shut (msg);
      self->n_refused++;
      g_signal_emit (self, signals[HANDLED], 0, SOUP_STATUS_SERVICE_UNAVAILABLE);
      return;
    }

  deadline = g_timeout_source_new (self->timeout_ms);
  g_source_set_callback (deadline, deadline_cb, msg, NULL);
  g_source_set_static_name (deadline, "[clap-callback-server] deadline");
  g_source_attach (deadline, NULL);
  g_hash_table_insert (self->live, msg, deadline);
}

static void
request_ended_cb (SoupServer         *server,
                  SoupServerMessage  *msg,
                  ClapCallbackServer *self)
{
  g_hash_table_remove (self->live, msg);
}

static void
request_finished_cb (SoupServer         *server,
                     SoupServerMessage  *msg,
                     ClapCallbackServer *self)
{
  request_ended_cb (server, msg, self);
  count (self, soup_server_message_get_status (msg));
}

static void
drop_deadline (gpointer data)
{
  g_source_destroy (data);
  g_source_unref (data);
}

static void
clap_callback_server_dispose (GObject *object)
{
  ClapCallbackServer *self = CLAP_CALLBACK_SERVER (object);

  clap_callback_server_stop (self);
  g_clear_object (&self->session);

  G_OBJECT_CLASS (clap_callback_server_parent_class)->dispose (object);
}

static void
clap_callback_server_finalize (GObject *object)
{
  ClapCallbackServer *self = CLAP_CALLBACK_SERVER (object);

  g_clear_pointer (&self->to_cut, g_ptr_array_unref);
  g_clear_pointer (&self->live, g_hash_table_unref);

  G_OBJECT_CLASS (clap_callback_server_parent_class)->finalize (object);
}

static void
clap_callback_server_class_init (ClapCallbackServerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = clap_callback_server_dispose;
  object_class->finalize = clap_callback_server_finalize;

  /* A request was answered (or cut off, as a 413) with the HTTP @status:
   * 200 for a known take, which is then asked about, else a 4xx. */
  signals[HANDLED] =
    g_signal_new ("handled", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_UINT);
}

static void
clap_callback_server_init (ClapCallbackServer *self)
{
  self->to_cut = g_ptr_array_new_with_free_func (g_object_unref);
  self->live = g_hash_table_new_full (NULL, NULL, NULL, drop_deadline);
  self->timeout_ms = DEFAULT_REQUEST_TIMEOUT_MS;
}

/* How long a request may take to arrive whole (10 s unless set). */
void
clap_callback_server_set_request_timeout (ClapCallbackServer *self,
                                          guint               timeout_ms)
{
  g_return_if_fail (CLAP_IS_CALLBACK_SERVER (self));
  self->timeout_ms = MAX (timeout_ms, 1);
}

/* A receiver whose callbacks hint @session. It listens once asked to. */
ClapCallbackServer *
clap_callback_server_new (ClapSession *session)
{
  ClapCallbackServer *self;

  g_return_val_if_fail (CLAP_IS_SESSION (session), NULL);

  self = g_object_new (CLAP_TYPE_CALLBACK_SERVER, NULL);
  self->session = g_object_ref (session);
  return self;
}

ClapSession *
clap_callback_server_get_session (ClapCallbackServer *self)
{
  g_return_val_if_fail (CLAP_IS_CALLBACK_SERVER (self), NULL);
  return self->session;
}

/* Reads "IP:port" ("127.0.0.1:8765", "0.0.0.0:9000", "[::1]:0"). Only
 * numeric addresses: a name could resolve to several, and the receiver
 * listens on exactly the one given. Port 0 takes any free port. */
GInetSocketAddress *
clap_callback_server_parse_address (const char  *address,
                                    GError     **error)
{
  g_autofree char *host = NULL;
  g_autoptr(GInetAddress) inet = NULL;
  const char *port_text = NULL;
  guint64 port;

  if (address != NULL && address[0] == '[')
    {
      const char *end = strchr (address, ']');

      if (end != NULL && end[1] == ':')
        {
          host = g_strndup (address + 1, end - address - 1);
          port_text = end + 2;
        }
    }
  else if (address != NULL)
    {
      const char *colon = strrchr (address, ':');

      /* An IPv6 address needs its brackets, or the port is ambiguous. */
      if (colon != NULL && memchr (address, ':', colon - address) == NULL)
        {
          host = g_strndup (address, colon - address);
          port_text = colon + 1;
        }
    }

  if (host != NULL)
    inet = g_inet_address_new_from_string (host);

  if (inet == NULL ||
      (address[0] == '[') != (g_inet_address_get_family (inet) == G_SOCKET_FAMILY_IPV6) ||
      !g_ascii_string_to_unsigned (port_text, 10, 0, G_MAXUINT16, &port, NULL))
    {
      g_set_error (error, CLAP_CALLBACK_SERVER_ERROR, CLAP_CALLBACK_SERVER_ERROR_INVALID_ADDRESS,
                   _("“%s” is not an address to listen on. Write an IP address and a port, "
                     "such as 127.0.0.1:8765 or [::1]:8765."),
                   address != NULL ? address : "");
      return NULL;
    }

  return G_INET_SOCKET_ADDRESS (g_inet_socket_address_new (inet, (guint16) port));
}

/* Listens on exactly @address (see clap_callback_server_parse_address()),
 * after stopping any earlier listening. */
gboolean
clap_callback_server_listen (ClapCallbackServer  *self,
                             const char          *address,
                             GError             **error)
{
  g_autoptr(GInetSocketAddress) socket_address = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *url = NULL;

  g_return_val_if_fail (CLAP_IS_CALLBACK_SERVER (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  clap_callback_server_stop (self);

  socket_address = clap_callback_server_parse_address (address, error);
  if (socket_address == NULL)
    return FALSE;

  self->soup = soup_server_new (NULL, NULL);
  /* Both at "/": libsoup runs the early handler of the most specific path
   * only, and every path must have its body limited. */
  soup_server_add_early_handler (self->soup, "/", early_handler, self, NULL);
  soup_server_add_handler (self->soup, "/", server_handler, self, NULL);
  g_signal_connect (self->soup, "request-started", G_CALLBACK (request_started_cb), self);
  g_signal_connect (self->soup, "request-finished", G_CALLBACK (request_finished_cb), self);
  g_signal_connect (self->soup, "request-aborted", G_CALLBACK (request_ended_cb), self);

  if (!soup_server_listen (self->soup, G_SOCKET_ADDRESS (socket_address), 0, &local_error))
    {
      int code = g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE)
                 ? CLAP_CALLBACK_SERVER_ERROR_ADDRESS_IN_USE
                 : CLAP_CALLBACK_SERVER_ERROR_LISTEN;

      g_set_error (error, CLAP_CALLBACK_SERVER_ERROR, code,
                   _("The callback receiver could not listen on %s: %s. Choose another address "
                     "or port in Preferences."),
                   address, local_error->message);
      clap_callback_server_stop (self);
      return FALSE;
    }

  self->address = g_strdup (address);
  url = clap_callback_server_dup_url (self);
  g_debug ("Listening for callbacks at %s", url);
  return TRUE;
}

/* Stops listening and drops every connection. */
void
clap_callback_server_stop (ClapCallbackServer *self)
{
  g_return_if_fail (CLAP_IS_CALLBACK_SERVER (self));

  if (self->soup != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->soup, self);
      /* A request still in libsoup's hands finds no handler and no self. */
      soup_server_remove_handler (self->soup, "/");
      soup_server_disconnect (self->soup);
      g_clear_object (&self->soup);
    }

  g_clear_handle_id (&self->cut_id, g_source_remove);
  if (self->to_cut != NULL)
    g_ptr_array_set_size (self->to_cut, 0);
  if (self->live != NULL)
    g_hash_table_remove_all (self->live);
  g_clear_pointer (&self->address, g_free);
}

gboolean
clap_callback_server_is_listening (ClapCallbackServer *self)
{
  g_return_val_if_fail (CLAP_IS_CALLBACK_SERVER (self), FALSE);
  return self->soup != NULL;
}

/* The address given to clap_callback_server_listen(), NULL when stopped. */
const char *
clap_callback_server_get_address (ClapCallbackServer *self)
{
  g_return_val_if_fail (CLAP_IS_CALLBACK_SERVER (self), NULL);
  return self->address;
}

/* The receiver's URL on this computer, with the real port, e.g.
 * "http://127.0.0.1:8765/callback"; NULL when stopped. The service itself
 * reaches it only through a public URL the person maps to it. */
char *
clap_callback_server_dup_url (ClapCallbackServer *self)
{
  GSList *uris;
  GUri *uri;
  g_autoptr(GInetAddress) inet = NULL;
  const char *host;
  char *url;

  g_return_val_if_fail (CLAP_IS_CALLBACK_SERVER (self), NULL);

  if (self->soup == NULL)
    return NULL;

  uris = soup_server_get_uris (self->soup);
  if (uris == NULL)
    return NULL;

  uri = uris->data;
  host = g_uri_get_host (uri);
  inet = g_inet_address_new_from_string (host);
  /* Listening on every address: this computer reaches it on loopback. */
  if (inet != NULL && g_inet_address_get_is_any (inet))
    host = g_inet_address_get_family (inet) == G_SOCKET_FAMILY_IPV6 ? "::1" : "127.0.0.1";

  url = g_uri_join (G_URI_FLAGS_NONE, "http", NULL, host, g_uri_get_port (uri),
                    CLAP_CALLBACK_SERVER_PATH, NULL, NULL);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  return url;
}

/* Callbacks answered 200: each made the session ask about its take. */
guint
clap_callback_server_get_n_accepted (ClapCallbackServer *self)
{
  g_return_val_if_fail (CLAP_IS_CALLBACK_SERVER (self), 0);
  return self->n_accepted;
}

/* Requests refused with a 4xx, or cut off; none changed anything. */
guint
clap_callback_server_get_n_refused (ClapCallbackServer *self)
{
  g_return_val_if_fail (CLAP_IS_CALLBACK_SERVER (self), 0);
  return self->n_refused;
}
