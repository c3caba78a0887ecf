/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clap-callback-server"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib/gstdio.h>
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
 * Whoever reaches the port must still know the path: it carries a secret
 * token (CLAP_CALLBACK_SERVER_PATH "/" TOKEN), kept per installation in a
 * file only its owner can read, so that another user of this computer
 * cannot post to it. Any other path is a 404 that causes nothing. And a
 * burst of callbacks for one take, forged or resent, makes at most one
 * query every CLAP_CALLBACK_SERVER_HINT_INTERVAL_MS: the key is not spent
 * at a stranger's pace.
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

/* 192 bits of randomness, 32 characters of URL-safe base64. */
#define TOKEN_BYTES      24
#define TOKEN_MIN_LENGTH 22  /* 128 bits */
#define TOKEN_MAX_LENGTH 128

/* The hint times of more takes than this are pruned of the stale ones. */
#define MAX_HINTED 256

struct _ClapCallbackServer
{
  GObject      parent_instance;

  ClapSession *session;
  SoupServer  *soup;
  char        *address;
  GPtrArray   *to_cut;     /* SoupServerMessage, paused mid-body */
  guint        cut_id;
  GHashTable  *live;       /* SoupServerMessage → its deadline (GSource) */
  GHashTable  *hinted;     /* task id → when it last made a query (monotonic µs) */
  char        *token;
  guint        timeout_ms;
  guint        hint_interval_ms;
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

/* Tokens ------------------------------------------------------------------ */

static gboolean
token_is_valid (const char *token)
{
  gsize length = token != NULL ? strlen (token) : 0;

  if (length < TOKEN_MIN_LENGTH || length > TOKEN_MAX_LENGTH)
    return FALSE;

  for (const char *p = token; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_')
      return FALSE;

  return TRUE;
}

/* A new token from the kernel's random source (never GLib's generator,
 * which is predictable), as URL-safe base64. */
static char *
token_new (void)
{
  guint8 bytes[TOKEN_BYTES];
  gsize filled = 0;
  char *token;

  while (filled < sizeof bytes)
    {
      gssize n = getrandom (bytes + filled, sizeof bytes - filled, 0);

      if (n < 0 && errno != EINTR)
        g_error ("The system gave no random bytes: %s", g_strerror (errno));
      if (n > 0)
        filled += (gsize) n;
    }

  token = g_base64_encode (bytes, sizeof bytes);
  for (char *p = token; *p != '\0'; p++)
    {
      if (*p == '+')
        *p = '-';
      else if (*p == '/')
        *p = '_';
    }
  memset (bytes, 0, sizeof bytes);
  return token;
}

/* The token kept at @path, its mode made 0600, or NULL when there is none
 * (or none that is valid). */
static char *
token_read (const char *path)
{
  char buffer[TOKEN_MAX_LENGTH + 2] = { 0 };
  struct stat st;
  gssize n;
  int fd;

  /* Not through a link, and never waiting on a pipe put in its place. */
  fd = open (path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (fd < 0)
    return NULL;

  n = read (fd, buffer, sizeof buffer - 1);
  if (n <= 0 || fstat (fd, &st) != 0 || !S_ISREG (st.st_mode))
    {
      close (fd);
      return NULL;
    }

  /* Made by an older version, or copied with the folder. */
  if ((st.st_mode & 0077) != 0)
    fchmod (fd, 0600);
  close (fd);

  g_strstrip (buffer);
  return token_is_valid (buffer) ? g_strdup (buffer) : NULL;
}

/* This installation's token, kept in @folder (the data folder) in
 * CLAP_CALLBACK_SERVER_TOKEN_FILE, which only the user can read; made the
 * first time, the same ever after, so that callbacks of takes sent by an
 * earlier run still find the receiver. */
char *
clap_callback_server_load_token (const char  *folder,
                                 GError     **error)
{
  g_autofree char *path = NULL;

  g_return_val_if_fail (folder != NULL, NULL);

  if (g_mkdir_with_parents (folder, 0700) != 0)
    {
      int saved = errno;
      g_set_error (error, CLAP_CALLBACK_SERVER_ERROR, CLAP_CALLBACK_SERVER_ERROR_TOKEN,
                   _("The folder “%s” could not be made: %s"), folder, g_strerror (saved));
      return NULL;
    }

  path = g_build_filename (folder, CLAP_CALLBACK_SERVER_TOKEN_FILE, NULL);

  /* Twice at most: another process may make it between our two looks. */
  for (guint i = 0; i < 2; i++)
    {
      g_autofree char *token = token_read (path);
      g_autofree char *tmp = NULL;
      g_autofree char *line = NULL;
      gboolean exists;
      int saved = 0;
      int fd;

      if (token != NULL)
        return g_steal_pointer (&token);

      exists = g_file_test (path, G_FILE_TEST_EXISTS | G_FILE_TEST_IS_SYMLINK);
      token = token_new ();
      line = g_strconcat (token, "\n", NULL);

      /* Written whole, with its mode, under another name first: no one
       * ever reads half a token, or reads it with the wrong mode. */
      tmp = g_strconcat (path, ".XXXXXX", NULL);
      fd = g_mkstemp_full (tmp, O_RDWR | O_CLOEXEC, 0600);
      if (fd < 0 ||
          write (fd, line, strlen (line)) != (gssize) strlen (line) ||
          fsync (fd) != 0)
        saved = errno;
      if (fd >= 0)
        close (fd);

      if (saved == 0)
        {
          /* A file that is there but unusable is replaced; none is made
           * only if no one made it meanwhile. */
          if (exists ? rename (tmp, path) == 0 : link (tmp, path) == 0)
            {
              g_unlink (tmp);
              return g_steal_pointer (&token);
            }
          saved = errno;
        }

      if (fd >= 0)
        g_unlink (tmp);
      if (saved != EEXIST)
        {
          g_set_error (error, CLAP_CALLBACK_SERVER_ERROR, CLAP_CALLBACK_SERVER_ERROR_TOKEN,
                       _("The callback receiver's token file “%s” could not be written: %s"),
                       path, g_strerror (saved));
          return NULL;
        }
    }

  g_set_error (error, CLAP_CALLBACK_SERVER_ERROR, CLAP_CALLBACK_SERVER_ERROR_TOKEN,
               _("The callback receiver's token file “%s” could not be read."), path);
  return NULL;
}

/* Whether @path is the receiver's own, compared in a time that does not
 * depend on where it differs. */
static gboolean
is_callback_path (ClapCallbackServer *self,
                  const char         *path)
{
  g_autofree char *expected = clap_callback_server_dup_path (self);
  gsize length = strlen (expected);
  guchar diff = 0;

  if (strlen (path) != length)
    return FALSE;

  for (gsize i = 0; i < length; i++)
    diff |= (guchar) path[i] ^ (guchar) expected[i];
  return diff == 0;
}

/* Whether a callback for @task_id asks the service now: not when one did
 * less than the interval ago. */
static gboolean
hint_is_due (ClapCallbackServer *self,
             const char         *task_id,
             gint64              now)
{
  gpointer last;

  if (!g_hash_table_lookup_extended (self->hinted, task_id, NULL, &last))
    return TRUE;
  return now - *(gint64 *) last >= (gint64) self->hint_interval_ms * 1000;
}

static gboolean
hint_is_stale (gpointer key,
               gpointer value,
               gpointer user_data)
{
  ClapCallbackServer *self = user_data;

  return g_get_monotonic_time () - *(gint64 *) value >= (gint64) self->hint_interval_ms * 1000;
}

static void
note_hint (ClapCallbackServer *self,
           const char         *task_id,
           gint64              now)
{
  if (g_hash_table_size (self->hinted) >= MAX_HINTED)
    g_hash_table_foreach_remove (self->hinted, hint_is_stale, self);
  g_hash_table_replace (self->hinted, g_strdup (task_id), g_memdup2 (&now, sizeof now));
}

/* Requests ---------------------------------------------------------------- */

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

  if (!is_callback_path (self, path))
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
  gint64 now;

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
  now = g_get_monotonic_time ();

  /* Known a moment ago, and asked about then: the answer is on its way. */
  if (!hint_is_due (self, info->task_id, now))
    {
      g_debug ("Callback for %s again: asked already", logged);
      soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
      soup_server_message_set_response (msg, "text/plain", SOUP_MEMORY_STATIC, "OK\n", 3);
      return;
    }

  /* Only the id is used; the session asks the service about it. */
  if (!clap_session_hint (self->session, info->task_id))
    {
      g_debug ("Callback for an unknown task “%s”", logged);
      refuse (msg, SOUP_STATUS_NOT_FOUND, "Unknown task");
      return;
    }

  note_hint (self, info->task_id, now);
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
  g_clear_pointer (&self->hinted, g_hash_table_unref);
  if (self->token != NULL)
    memset (self->token, 0, strlen (self->token));
  g_free (self->token);

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
  self->hinted = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->timeout_ms = DEFAULT_REQUEST_TIMEOUT_MS;
  self->hint_interval_ms = CLAP_CALLBACK_SERVER_HINT_INTERVAL_MS;
  /* Never a path anyone could guess, even before the installation's token
   * is set. */
  self->token = token_new ();
}

/* The receiver answers on CLAP_CALLBACK_SERVER_PATH "/" @token from now
 * on (see clap_callback_server_load_token()); until then, on a random
 * token of its own. */
void
clap_callback_server_set_token (ClapCallbackServer *self,
                                const char         *token)
{
  g_return_if_fail (CLAP_IS_CALLBACK_SERVER (self));
  g_return_if_fail (token_is_valid (token));

  memset (self->token, 0, strlen (self->token));
  g_free (self->token);
  self->token = g_strdup (token);
}

/* The path callbacks are served on, "/callback/TOKEN": what a public URL
 * that the person maps to the receiver must end with. */
char *
clap_callback_server_dup_path (ClapCallbackServer *self)
{
  g_return_val_if_fail (CLAP_IS_CALLBACK_SERVER (self), NULL);
  return g_strconcat (CLAP_CALLBACK_SERVER_PATH "/", self->token, NULL);
}

/* Callbacks for one take make a query at most once per @interval_ms
 * (CLAP_CALLBACK_SERVER_HINT_INTERVAL_MS unless set; 0: every time). */
void
clap_callback_server_set_hint_interval (ClapCallbackServer *self,
                                        guint               interval_ms)
{
  g_return_if_fail (CLAP_IS_CALLBACK_SERVER (self));
  self->hint_interval_ms = interval_ms;
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

/* The receiver's URL on this computer, with the real port and the token,
 * e.g. "http://127.0.0.1:8765/callback/TOKEN": what a create's callback_url
 * carries; NULL when stopped. The service itself reaches it only through a
 * public URL the person maps to it, ending with the same path. */
char *
clap_callback_server_dup_url (ClapCallbackServer *self)
{
  GSList *uris;
  GUri *uri;
  g_autoptr(GInetAddress) inet = NULL;
  g_autofree char *path = NULL;
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

  path = clap_callback_server_dup_path (self);
  url = g_uri_join (G_URI_FLAGS_NONE, "http", NULL, host, g_uri_get_port (uri), path, NULL, NULL);
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
