/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clap-client"

#include "config.h"

#include <string.h>
#include <unistd.h>
#include <glib/gi18n-lib.h>

#include "clap-client-private.h"
#include "clap-untrusted.h"

/* One SoupSession for every call to the service. Rules that protect money
 * and the user's files:
 * - a create POST is sent once, never retried by this code: a retry could
 *   create (and charge) a second take;
 * - queries, uploads and downloads retry network errors, 429 and 5xx with a
 *   bounded exponential backoff and jitter, honouring Retry-After;
 * - the API key goes only to the service's own origin (never to presigned
 *   upload URLs or result CDNs) and never into a log line or a record;
 * - only https leaves the machine, http only to loopback, on every hop:
 *   libsoup follows no redirect by itself, each Location is checked here
 *   before it is followed, and a call follows at most MAX_REDIRECTS;
 * - nothing is read past its cap: an answer at most
 *   CLAP_UNTRUSTED_MAX_ANSWER_BYTES (refused at once when its
 *   Content-Length says more), a download at most what its caller allows;
 * - each call keeps what its last attempt sent and received, for a take's
 *   Request Details (clap_client_dup_exchange()).
 * What a download does with its answer is in clap-client-download.c.
 */

#define MAX_RETRY_AFTER_MS  (120 * 1000)
#define MAX_REDIRECTS       5
#define ANSWER_CHUNK_SIZE   (64 * 1024)
/* Answers above this are parsed in a worker thread. */
#define INLINE_PARSE_BYTES  (64 * 1024)
/* Each body of an exchange record, at most. */
#define EXCHANGE_MAX_BODY   (64 * 1024)
/* The most of an address from the network that a message quotes. */
#define SHOWN_URL_CHARS     200

struct _ClapClient
{
  GObject      parent_instance;

  SoupSession *session;
  GUri        *base_uri;
  char        *base_url;
  char        *api_key;

  guint        max_attempts;
  guint        base_delay_ms;
  guint        max_delay_ms;
  guint64      disk_reserve;  /* G_MAXUINT64: the default, scaled to the disk */
};

G_DEFINE_FINAL_TYPE (ClapClient, clap_client, G_TYPE_OBJECT)

static void
call_free (ClapCall *call)
{
  g_clear_object (&call->client);
  g_free (call->method);
  g_free (call->url);
  g_clear_pointer (&call->body, g_bytes_unref);
  g_free (call->hop_method);
  g_free (call->hop_url);
  g_clear_object (&call->message);
  g_clear_object (&call->input);
  g_clear_pointer (&call->request_headers, json_object_unref);
  g_clear_pointer (&call->redirects, json_array_unref);
  g_clear_pointer (&call->answer, g_byte_array_unref);
  g_free (call->answer_note);
  g_clear_object (&call->file);
  g_free (call->content_type);
  g_clear_pointer (&call->file_bytes, g_bytes_unref);
  g_clear_object (&call->destination);
  g_clear_object (&call->part);
  if (call->progress_notify != NULL)
    call->progress_notify (call->progress_data);
  g_clear_object (&call->output);
  g_clear_pointer (&call->head, g_byte_array_unref);
  g_clear_pointer (&call->pending, g_bytes_unref);
  /* The kernel drops the download's lock with its last descriptor. */
  if (call->lock_fd >= 0)
    close (call->lock_fd);
  g_free (call);
}

static void
clap_client_finalize (GObject *object)
{
  ClapClient *self = (ClapClient *) object;

  g_clear_object (&self->session);
  g_clear_pointer (&self->base_uri, g_uri_unref);
  g_free (self->base_url);
  if (self->api_key != NULL)
    memset (self->api_key, 0, strlen (self->api_key));
  g_free (self->api_key);

  G_OBJECT_CLASS (clap_client_parent_class)->finalize (object);
}

static void
clap_client_class_init (ClapClientClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = clap_client_finalize;
}

static void
clap_client_init (ClapClient *self)
{
  self->session = soup_session_new_with_options ("timeout", 30,
                                                 "idle-timeout", 60,
                                                 "max-conns", 32,
                                                 "max-conns-per-host", 8,
                                                 "user-agent", "Clapboard/" PACKAGE_VERSION " ",
                                                 NULL);
  self->max_attempts = 5;
  self->base_delay_ms = 1000;
  self->max_delay_ms = 30000;
  self->disk_reserve = G_MAXUINT64;
}

/* A client of the service at @base_url (NULL: the real one). The key may be
 * NULL for calls that need none (downloads); the service will answer 401. */
ClapClient *
clap_client_new (const char  *base_url,
                 const char  *api_key,
                 GError     **error)
{
  g_autoptr(ClapClient) self = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *trimmed = NULL;

  trimmed = g_strdup (base_url != NULL && *base_url != '\0' ? base_url : CLAP_DEFAULT_BASE_URL);
  g_strstrip (trimmed);
  while (g_str_has_suffix (trimmed, "/"))
    trimmed[strlen (trimmed) - 1] = '\0';

  if (!clap_url_is_allowed (trimmed, &local_error))
    {
      g_set_error (error, CLAP_CLIENT_ERROR, CLAP_CLIENT_ERROR_INSECURE_URL,
                   _("The service address is not usable: %s"), local_error->message);
      return NULL;
    }

  self = g_object_new (CLAP_TYPE_CLIENT, NULL);
  self->base_url = g_steal_pointer (&trimmed);
  self->base_uri = g_uri_parse (self->base_url, G_URI_FLAGS_NONE, NULL);
  clap_client_set_api_key (self, api_key);

  return g_steal_pointer (&self);
}

const char *
clap_client_get_base_url (ClapClient *self)
{
  g_return_val_if_fail (CLAP_IS_CLIENT (self), NULL);
  return self->base_url;
}

void
clap_client_set_api_key (ClapClient *self,
                         const char *api_key)
{
  g_return_if_fail (CLAP_IS_CLIENT (self));

  if (self->api_key != NULL)
    memset (self->api_key, 0, strlen (self->api_key));
  g_free (self->api_key);
  self->api_key = api_key != NULL && *api_key != '\0' ? g_strstrip (g_strdup (api_key)) : NULL;
}

gboolean
clap_client_has_api_key (ClapClient *self)
{
  g_return_val_if_fail (CLAP_IS_CLIENT (self), FALSE);
  return self->api_key != NULL;
}

/* @max_attempts counts the first try; delays double from @base_delay_ms up
 * to @max_delay_ms, each drawn at random from its upper half (jitter). */
void
clap_client_set_retry_policy (ClapClient *self,
                              guint       max_attempts,
                              guint       base_delay_ms,
                              guint       max_delay_ms)
{
  g_return_if_fail (CLAP_IS_CLIENT (self));

  self->max_attempts = MAX (max_attempts, 1);
  self->base_delay_ms = base_delay_ms;
  self->max_delay_ms = MAX (max_delay_ms, base_delay_ms);
}

/* How long a connection may stay silent before the call fails with TIMEOUT. */
void
clap_client_set_timeout (ClapClient *self,
                         guint       seconds)
{
  g_return_if_fail (CLAP_IS_CLIENT (self));
  g_object_set (self->session, "timeout", seconds, NULL);
}

/* For tests: the session every call goes through. */
SoupSession *
_clap_client_get_soup_session (ClapClient *self)
{
  return self->session;
}

/* The room a download leaves free on its disk, so that the history beside
 * it can still be written: 64 MiB, or a 64th of a disk smaller than 4 GiB. */
guint64
_clap_client_get_disk_reserve (ClapClient *self,
                               guint64     filesystem_size)
{
  if (self->disk_reserve != G_MAXUINT64)
    return self->disk_reserve;
  return MIN ((guint64) 64 * 1024 * 1024, filesystem_size / 64);
}

/* For tests: leave exactly @bytes free (G_MAXUINT64: the default). */
void
_clap_client_set_disk_reserve (ClapClient *self,
                               guint64     bytes)
{
  self->disk_reserve = bytes;
}

/* The most a take's result of @duration_s seconds may weigh (0: unknown):
 * a generous bitrate, room on top, and never past the absolute ceiling. */
guint64
clap_client_result_max_bytes (guint duration_s)
{
  if (duration_s == 0)
    return CLAP_RESULT_MAX_BYTES;
  return MIN ((guint64) duration_s * CLAP_RESULT_BYTES_PER_SECOND + CLAP_RESULT_BYTES_SLACK,
              CLAP_RESULT_MAX_BYTES);
}

static gboolean
same_origin (GUri *a,
             GUri *b)
{
  return g_ascii_strcasecmp (g_uri_get_scheme (a), g_uri_get_scheme (b)) == 0 &&
         g_ascii_strcasecmp (g_uri_get_host (a), g_uri_get_host (b)) == 0 &&
         g_uri_get_port (a) == g_uri_get_port (b);
}

static void
log_message (ClapClient  *self,
             SoupMessage *message)
{
  SoupMessageHeadersIter iter;
  const char *name, *value;
  g_autofree char *uri = NULL;

  if (g_log_writer_default_would_drop (G_LOG_LEVEL_DEBUG, G_LOG_DOMAIN))
    return;

  uri = g_uri_to_string_partial (soup_message_get_uri (message), G_URI_HIDE_PASSWORD);
  g_debug ("> %s %s", soup_message_get_method (message), uri);

  soup_message_headers_iter_init (&iter, soup_message_get_request_headers (message));
  while (soup_message_headers_iter_next (&iter, &name, &value))
    {
      /* The key is a secret: the log names the header, never its value. */
      if (g_ascii_strcasecmp (name, "Authorization") == 0)
        value = "Bearer [redacted]";
      g_debug ("> %s: %s", name, value);
    }
}

/* A message for @url, which must be allowed; the key goes with it only
 * when @url is the service's own origin. Every hop of a redirect gets a
 * new one: a CDN the service sends us to never sees the key. */
static SoupMessage *
new_message (ClapClient  *self,
             const char  *method,
             const char  *url,
             GError     **error)
{
  g_autoptr(GUri) uri = NULL;
  g_autoptr(GError) local_error = NULL;
  SoupMessage *message;

  if (!clap_url_is_allowed (url, &local_error))
    {
      g_set_error_literal (error, CLAP_CLIENT_ERROR, CLAP_CLIENT_ERROR_INSECURE_URL,
                           local_error->message);
      return NULL;
    }

  uri = g_uri_parse (url, SOUP_HTTP_URI_FLAGS, &local_error);
  if (uri == NULL)
    {
      g_set_error (error, CLAP_CLIENT_ERROR, CLAP_CLIENT_ERROR_PROTOCOL,
                   _("The address “%s” is not valid: %s"), url, local_error->message);
      return NULL;
    }

  message = soup_message_new_from_uri (method, uri);
  soup_message_add_flags (message, SOUP_MESSAGE_NO_REDIRECT);

  if (self->api_key != NULL && same_origin (uri, self->base_uri))
    {
      g_autofree char *auth = g_strconcat ("Bearer ", self->api_key, NULL);
      soup_message_headers_replace (soup_message_get_request_headers (message),
                                    "Authorization", auth);
      memset (auth, 0, strlen (auth));
    }

  return message;
}

/* Errors from the transport (GIO, TLS, libsoup) as client errors. */
GError *
_clap_transport_error (GError *error)
{
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return g_error_copy (error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
    return g_error_new (CLAP_CLIENT_ERROR, CLAP_CLIENT_ERROR_TIMEOUT,
                        /* Translators: a reason, then what to do */
                        C_("reason, advice", "%s %s"), _("The service did not answer in time."),
                        clap_client_advice (CLAP_ADVICE_LATER));

  if (error->domain == SOUP_SESSION_ERROR)
    return g_error_new (CLAP_CLIENT_ERROR, CLAP_CLIENT_ERROR_PROTOCOL,
                        _("The service sent a reply that could not be read: %s."),
                        error->message);

  if (error->domain == G_TLS_ERROR)
    return g_error_new (CLAP_CLIENT_ERROR, CLAP_CLIENT_ERROR_NETWORK,
                        _("A secure connection to the service could not be made: %s."),
                        error->message);

  {
    g_autofree char *reason = g_strdup_printf (_("Could not reach the service: %s."),
                                               error->message);

    return g_error_new (CLAP_CLIENT_ERROR, CLAP_CLIENT_ERROR_NETWORK,
                        C_("reason, advice", "%s %s"), reason,
                        clap_client_advice (CLAP_ADVICE_NETWORK));
  }
}

/* Exchange records ------------------------------------------------------- */

static GQuark
exchange_quark (void)
{
  return g_quark_from_static_string ("clap-client-exchange");
}

/* @text without the key anywhere: a server may echo what it was sent. */
static char *
scrub (ClapClient *self,
       const char *text)
{
  GString *scrubbed;

  if (text == NULL)
    return NULL;
  if (self->api_key == NULL || strstr (text, self->api_key) == NULL)
    return g_strdup (text);

  scrubbed = g_string_new (text);
  g_string_replace (scrubbed, self->api_key, "[redacted]", 0);
  return g_string_free (scrubbed, FALSE);
}

/* An address as a record shows it: no user name or password. */
static char *
shown_url (const char *url)
{
  g_autoptr(GUri) uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);

  if (uri == NULL)
    return clap_untrusted_escape (url, SHOWN_URL_CHARS);
  return g_uri_to_string_partial (uri, G_URI_HIDE_USERINFO);
}

/* @size bytes of a body as text a person can read: valid UTF-8, without
 * the key, at most EXCHANGE_MAX_BODY bytes, and saying so when it was cut.
 * The key goes before the cut: a cut through it would leave a part. */
static char *
capped_text (ClapClient   *self,
             const guint8 *data,
             gsize         size)
{
  const gsize room = EXCHANGE_MAX_BODY - 64;  /* for the note */
  g_autofree char *valid = NULL;
  g_autofree char *scrubbed = NULL;
  gsize length;

  if (size == 0)
    return g_strdup ("");

  valid = g_utf8_make_valid ((const char *) data, size);
  scrubbed = scrub (self, valid);
  length = strlen (scrubbed);
  if (length <= room)
    return g_steal_pointer (&scrubbed);

  /* At the start of a character. */
  {
    char *end = scrubbed + room;

    while (end > scrubbed && ((guchar) *end & 0xC0) == 0x80)
      end--;
    *end = '\0';
  }

  return g_strdup_printf ("%s… [%" G_GSIZE_FORMAT " bytes in all]", scrubbed, size);
}

static void
add_text (ClapClient  *self,
          JsonBuilder *builder,
          const char  *name,
          const char  *value)
{
  g_autofree char *scrubbed = scrub (self, value);

  json_builder_set_member_name (builder, name);
  if (scrubbed != NULL)
    json_builder_add_string_value (builder, scrubbed);
  else
    json_builder_add_null_value (builder);
}

/* The headers as sent, the key's value redacted. */
static void
snapshot_request_headers (ClapCall *call)
{
  SoupMessageHeadersIter iter;
  const char *name, *value;
  JsonObject *headers = json_object_new ();

  soup_message_headers_iter_init (&iter, soup_message_get_request_headers (call->message));
  while (soup_message_headers_iter_next (&iter, &name, &value))
    {
      g_autofree char *scrubbed = NULL;

      if (g_ascii_strcasecmp (name, "Authorization") == 0)
        scrubbed = g_strdup ("Bearer [redacted]");
      else
        scrubbed = scrub (call->client, value);
      json_object_set_string_member (headers, name, scrubbed);
    }

  g_clear_pointer (&call->request_headers, json_object_unref);
  call->request_headers = headers;
}

static char *
request_body_text (ClapCall *call)
{
  switch (call->kind)
    {
    case _CLAP_CALL_JSON:
      if (call->body == NULL)
        return NULL;
      return capped_text (call->client, g_bytes_get_data (call->body, NULL),
                          g_bytes_get_size (call->body));

    case _CLAP_CALL_PUT:
      return g_strdup_printf ("[%" G_GOFFSET_FORMAT " bytes of %s]", call->file_size,
                              call->content_type);

    case _CLAP_CALL_DOWNLOAD:
    default:
      return NULL;
    }
}

static char *
response_body_text (ClapCall *call)
{
  if (call->answer_note != NULL)
    return g_strdup (call->answer_note);

  if (call->kind == _CLAP_CALL_DOWNLOAD)
    {
      if (call->status == 0)
        return NULL;
      return g_strdup_printf ("[%" G_GOFFSET_FORMAT " bytes]",
                              MAX (call->received - call->offset, 0));
    }

  if (call->answer != NULL)
    return capped_text (call->client, call->answer->data, call->answer->len);

  return NULL;
}

/* What the last attempt of @call sent and received, or NULL when nothing
 * was sent. Every string passes through scrub(): no key, wherever the
 * server put it. */
static JsonNode *
exchange_build (ClapCall     *call,
                const GError *error)
{
  ClapClient *self = call->client;
  g_autoptr(JsonBuilder) builder = NULL;
  g_autofree char *url = NULL;
  g_autofree char *request_body = NULL;
  g_autofree char *response_body = NULL;

  if (call->sent_ms == 0)
    return NULL;

  url = shown_url (call->url);
  request_body = request_body_text (call);
  response_body = response_body_text (call);

  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "time");
  json_builder_add_int_value (builder, call->sent_ms);
  add_text (self, builder, "method", call->method);
  add_text (self, builder, "url", url);
  json_builder_set_member_name (builder, "requestHeaders");
  if (call->request_headers != NULL)
    json_builder_add_value (builder, json_node_init_object (json_node_alloc (),
                                                            call->request_headers));
  else
    json_builder_add_null_value (builder);
  add_text (self, builder, "requestBody", request_body);
  json_builder_set_member_name (builder, "status");
  json_builder_add_int_value (builder, call->status);
  add_text (self, builder, "responseBody", response_body);
  json_builder_set_member_name (builder, "redirects");
  if (call->redirects != NULL)
    json_builder_add_value (builder, json_node_init_array (json_node_alloc (), call->redirects));
  else
    json_builder_add_value (builder, json_node_init_array (json_node_alloc (),
                                                           json_array_new ()));
  add_text (self, builder, "error", error != NULL ? error->message : NULL);
  json_builder_set_member_name (builder, "durationMs");
  json_builder_add_int_value (builder, (g_get_monotonic_time () - call->started_us) / 1000);
  json_builder_end_object (builder);

  return json_builder_get_root (builder);
}

static void
call_record (GTask        *task,
             const GError *error)
{
  ClapCall *call = g_task_get_task_data (task);
  JsonNode *exchange = exchange_build (call, error);

  if (exchange != NULL)
    g_object_set_qdata_full (G_OBJECT (task), exchange_quark (), exchange,
                             (GDestroyNotify) json_node_unref);
}

/* Gives @outer the record of the call behind @inner (an upload's slot or
 * PUT, whichever came last). */
static void
exchange_pass_on (GAsyncResult *inner,
                  GTask        *outer)
{
  JsonNode *exchange = g_object_get_qdata (G_OBJECT (inner), exchange_quark ());

  if (exchange != NULL)
    g_object_set_qdata_full (G_OBJECT (outer), exchange_quark (), json_node_copy (exchange),
                             (GDestroyNotify) json_node_unref);
}

/* What was sent and answered in the call behind @result (create, query,
 * upload, download or check; its last attempt), for a take's Request
 * Details: {"time" (ms since the epoch), "method", "url", "requestHeaders",
 * "requestBody", "status" (0: no answer), "responseBody", "redirects"
 * [{"status", "url"}], "error", "durationMs"}. The key appears nowhere
 * (Authorization reads "Bearer [redacted]"); each body is valid UTF-8 of
 * at most 64 KiB, a PUT's or a download's only described by its size.
 * NULL when nothing was sent. */
JsonNode *
clap_client_dup_exchange (GAsyncResult *result)
{
  JsonNode *exchange;

  g_return_val_if_fail (G_IS_ASYNC_RESULT (result), NULL);

  exchange = g_object_get_qdata (G_OBJECT (result), exchange_quark ());
  if (exchange == NULL)
    return NULL;

  /* A tree of its own: json_node_copy() would share the objects (their
   * reference counts are not atomic) with the call, which another thread
   * may drop while the copy is written to the history. */
  {
    g_autofree char *text = json_to_string (exchange, FALSE);
    return json_from_string (text, NULL);
  }
}

/* Calls ------------------------------------------------------------------- */

static guint
retry_delay_ms (ClapClient *self,
                ClapCall   *call)
{
  guint64 delay = self->base_delay_ms;

  if (call->retry_after_ms > 0)
    return (guint) MIN (call->retry_after_ms, MAX_RETRY_AFTER_MS);

  for (guint i = 1; i < call->attempt && delay < self->max_delay_ms; i++)
    delay *= 2;
  delay = MIN (delay, self->max_delay_ms);

  /* "Equal jitter": half fixed, half random, so clients spread out. */
  return (guint) (delay / 2 + g_random_double () * (delay - delay / 2));
}

static gboolean
retry_cb (gpointer user_data)
{
  GTask *task = user_data;
  g_autoptr(GError) error = NULL;

  if (g_cancellable_set_error_if_cancelled (g_task_get_cancellable (task), &error))
    _clap_call_return_error (task, g_steal_pointer (&error));
  else
    _clap_call_send (task);

  g_object_unref (task);
  return G_SOURCE_REMOVE;
}

/* The streams of an attempt that ended; a download's .part stays. */
static void
call_drop_streams (ClapCall *call)
{
  g_clear_object (&call->input);
  if (call->kind == _CLAP_CALL_DOWNLOAD)
    _clap_download_reset (call);
}

/* The call is over: its streams go, and a download's lock, which must not
 * wait for the caller to drop the result (it may keep it for its record). */
static void
call_end (GTask        *task,
          const GError *error)
{
  ClapCall *call = g_task_get_task_data (task);

  call_drop_streams (call);
  if (call->lock_fd >= 0)
    {
      close (call->lock_fd);
      call->lock_fd = -1;
    }
  call_record (task, error);
}

/* Ends the call with @error (taken), whatever the error: for what must
 * never be tried again even when its code says it could be. */
void
_clap_call_return_error (GTask  *task,
                         GError *error)
{
  call_end (task, error);
  g_task_return_error (task, error);
}

void
_clap_call_return_boolean (GTask *task)
{
  call_end (task, NULL);
  g_task_return_boolean (task, TRUE);
}

static void
call_return_pointer (GTask          *task,
                     gpointer        data,
                     GDestroyNotify  destroy)
{
  call_end (task, NULL);
  g_task_return_pointer (task, data, destroy);
}

/* Ends the call with @error (taken), or schedules another attempt when the
 * call is idempotent, the error is transient and attempts are left. */
void
_clap_call_fail (GTask  *task,
                 GError *error)
{
  ClapCall *call = g_task_get_task_data (task);
  ClapClient *self = call->client;
  GCancellable *cancellable = g_task_get_cancellable (task);

  if (call->idempotent &&
      clap_client_error_is_transient (error) &&
      call->attempt < self->max_attempts &&
      !g_cancellable_is_cancelled (cancellable))
    {
      guint delay = retry_delay_ms (self, call);
      GSource *source = g_timeout_source_new (delay);

      g_debug ("%s %s failed (%s); attempt %u of %u in %u ms", call->method, call->url,
               error->message, call->attempt + 1, self->max_attempts, delay);

      call_drop_streams (call);
      call_record (task, error);

      if (cancellable != NULL)
        {
          GSource *cancel_source = g_cancellable_source_new (cancellable);
          g_source_set_dummy_callback (cancel_source);
          g_source_add_child_source (source, cancel_source);
          g_source_unref (cancel_source);
        }

      g_source_set_callback (source, retry_cb, g_object_ref (task), NULL);
      g_source_set_name (source, "[clap-client] retry");
      g_source_attach (source, g_task_get_context (task));
      g_source_unref (source);
      g_error_free (error);
      return;
    }

  _clap_call_return_error (task, error);
}

void
_clap_call_note_retry_after (ClapCall *call)
{
  const char *value;

  call->retry_after_ms = 0;
  value = soup_message_headers_get_one (soup_message_get_response_headers (call->message),
                                        "Retry-After");
  if (value != NULL)
    {
      char *end = NULL;
      guint64 seconds = g_ascii_strtoull (value, &end, 10);

      if (end != value && *end == '\0')
        call->retry_after_ms = (gint64) MIN (seconds, 3600) * 1000;
    }
}

GTask *
_clap_call_new (ClapClient          *self,
                ClapCallKind         kind,
                const char          *method,
                const char          *url,
                gboolean             idempotent,
                gpointer             source_tag,
                GCancellable        *cancellable,
                GAsyncReadyCallback  callback,
                gpointer             user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  ClapCall *call = g_new0 (ClapCall, 1);

  g_task_set_source_tag (task, source_tag);
  call->client = g_object_ref (self);
  call->kind = kind;
  call->method = g_strdup (method);
  call->url = g_strdup (url);
  call->idempotent = idempotent;
  call->total = -1;
  call->lock_fd = -1;
  g_task_set_task_data (task, call, (GDestroyNotify) call_free);

  return task;
}

/* Starts an attempt: a fresh record, from the call's own URL. */
void
_clap_call_send (GTask *task)
{
  ClapCall *call = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  call->attempt++;
  call->sent_ms = 0;
  call->started_us = g_get_monotonic_time ();
  call->answered_us = 0;
  call->status = 0;
  call->n_hops = 0;
  g_clear_object (&call->message);
  g_clear_object (&call->input);
  g_clear_pointer (&call->request_headers, json_object_unref);
  g_clear_pointer (&call->redirects, json_array_unref);
  g_clear_pointer (&call->answer, g_byte_array_unref);
  g_clear_pointer (&call->answer_note, g_free);
  g_free (call->hop_method);
  call->hop_method = g_strdup (call->method);
  g_free (call->hop_url);
  call->hop_url = g_strdup (call->url);

  if (call->kind == _CLAP_CALL_PUT && call->file_bytes == NULL)
    {
      g_autofree char *path = g_file_get_path (call->file);
      g_autoptr(GMappedFile) mapped = path ? g_mapped_file_new (path, FALSE, &error) : NULL;

      if (mapped == NULL)
        {
          g_autofree char *name = g_file_get_parse_name (call->file);
          _clap_call_return_error (task, g_error_new (CLAP_CLIENT_ERROR, CLAP_CLIENT_ERROR_DISK,
                                                      _("“%s” cannot be read: %s"), name,
                                                      error ? error->message
                                                            : _("not a local file")));
          return;
        }

      /* A mapping lets libsoup write the pages straight from the page
       * cache, without a read loop through a stream; inputs are at most
       * 100 MB. */
      call->file_bytes = g_mapped_file_get_bytes (mapped);
    }

  if (call->kind == _CLAP_CALL_DOWNLOAD)
    _clap_download_begin_attempt (task);
  else
    _clap_call_send_hop (task);
}

static gboolean
is_redirect (guint status)
{
  switch (status)
    {
    case SOUP_STATUS_MOVED_PERMANENTLY:
    case SOUP_STATUS_FOUND:
    case SOUP_STATUS_SEE_OTHER:
    case SOUP_STATUS_TEMPORARY_REDIRECT:
    case SOUP_STATUS_PERMANENT_REDIRECT:
      return TRUE;
    default:
      return FALSE;
    }
}

static GError *
insecure_hop_error (ClapCall   *call,
                    const char *url)
{
  g_autofree char *shown = clap_untrusted_escape (url, SHOWN_URL_CHARS);

  switch (call->kind)
    {
    case _CLAP_CALL_DOWNLOAD:
      return g_error_new (CLAP_CLIENT_ERROR, CLAP_CLIENT_ERROR_INSECURE_URL,
                          _("The result's address redirected to “%s”, which is not secure; "
                            "nothing was saved."), shown);
    case _CLAP_CALL_PUT:
      return g_error_new (CLAP_CLIENT_ERROR, CLAP_CLIENT_ERROR_INSECURE_URL,
                          _("The upload's address redirected to “%s”, which is not secure; "
                            "the file was not sent there."), shown);
    case _CLAP_CALL_JSON:
    default:
      return g_error_new (CLAP_CLIENT_ERROR, CLAP_CLIENT_ERROR_INSECURE_URL,
                          _("The service redirected the request to “%s”, which is not "
                            "secure; it was not followed. Check the service address in "
                            "Preferences."), shown);
    }
}

static void hop_sent (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data);

/* Sends the attempt's current hop: call->hop_method to call->hop_url. */
void
_clap_call_send_hop (GTask *task)
{
  ClapCall *call = g_task_get_task_data (task);
  ClapClient *self = call->client;
  g_autoptr(GError) error = NULL;
  SoupMessageHeaders *headers;

  g_clear_object (&call->message);
  call->message = new_message (self, call->hop_method, call->hop_url, &error);
  if (call->message == NULL)
    {
      _clap_call_return_error (task, g_steal_pointer (&error));
      return;
    }

  headers = soup_message_get_request_headers (call->message);
  switch (call->kind)
    {
    case _CLAP_CALL_JSON:
      soup_message_headers_replace (headers, "Accept", "application/json");
      if (call->body != NULL && !g_str_equal (call->hop_method, SOUP_METHOD_GET))
        soup_message_set_request_body_from_bytes (call->message, "application/json", call->body);
      break;

    case _CLAP_CALL_PUT:
      /* The signature covers the Content-Type: it must be the one declared. */
      if (!g_str_equal (call->hop_method, SOUP_METHOD_GET))
        soup_message_set_request_body_from_bytes (call->message, call->content_type,
                                                  call->file_bytes);
      break;

    case _CLAP_CALL_DOWNLOAD:
    default:
      if (call->offset > 0)
        soup_message_headers_set_range (headers, call->offset, -1);
      break;
    }

  if (call->sent_ms == 0)
    call->sent_ms = g_get_real_time () / 1000;

  log_message (self, call->message);
  soup_session_send_async (self->session, call->message, G_PRIORITY_DEFAULT,
                           g_task_get_cancellable (task), hop_sent, g_object_ref (task));
}

/* A hop answered a redirect to @location: follow it if it is allowed, the
 * way a browser would, but never to an insecure address and never more
 * than MAX_REDIRECTS times. */
static void
follow_redirect (GTask      *task,
                 const char *location)
{
  ClapCall *call = g_task_get_task_data (task);
  g_autoptr(GUri) current = g_uri_parse (call->hop_url, SOUP_HTTP_URI_FLAGS, NULL);
  g_autoptr(GUri) next = NULL;
  g_autofree char *next_url = NULL;
  g_autofree char *shown = NULL;
  JsonObject *hop;

  /* The body of a redirect is of no use: closed unread. */
  g_clear_object (&call->input);

  if (current != NULL)
    next = g_uri_parse_relative (current, location, SOUP_HTTP_URI_FLAGS, NULL);
  if (next == NULL)
    {
      g_autofree char *escaped = clap_untrusted_escape (location, SHOWN_URL_CHARS);
      _clap_call_fail (task, g_error_new (CLAP_CLIENT_ERROR, CLAP_CLIENT_ERROR_PROTOCOL,
                                          _("The service redirected to “%s”, which is not an "
                                            "address."), escaped));
      return;
    }

  next_url = g_uri_to_string (next);
  shown = shown_url (next_url);
  if (call->redirects == NULL)
    call->redirects = json_array_new ();
  hop = json_object_new ();
  json_object_set_int_member (hop, "status", call->status);
  {
    g_autofree char *scrubbed = scrub (call->client, shown);
    json_object_set_string_member (hop, "url", scrubbed);
  }
  json_array_add_object_element (call->redirects, hop);
  g_debug ("< %u: redirected to %s", call->status, shown);

  if (!clap_url_is_allowed (next_url, NULL))
    {
      _clap_call_return_error (task, insecure_hop_error (call, next_url));
      return;
    }

  if (call->n_hops >= MAX_REDIRECTS)
    {
      g_autofree char *first = clap_untrusted_escape (call->url, SHOWN_URL_CHARS);
      _clap_call_return_error (task, g_error_new (CLAP_CLIENT_ERROR, CLAP_CLIENT_ERROR_PROTOCOL,
                                                  _("The address “%s” redirected more than %d "
                                                    "times; Clapboard gave up on it."),
                                                  first, MAX_REDIRECTS));
      return;
    }
  call->n_hops++;

  /* As browsers do: 303 asks for a GET, and so do 301 and 302 after a
   * POST; 307 and 308 repeat the request as it was. */
  if (call->status == SOUP_STATUS_SEE_OTHER ||
      ((call->status == SOUP_STATUS_MOVED_PERMANENTLY || call->status == SOUP_STATUS_FOUND) &&
       g_str_equal (call->hop_method, SOUP_METHOD_POST)))
    {
      g_free (call->hop_method);
      call->hop_method = g_strdup (SOUP_METHOD_GET);
    }

  g_free (call->hop_url);
  call->hop_url = g_steal_pointer (&next_url);
  _clap_call_send_hop (task);
}

static void answer_read (GTask *task);

static GError *
answer_too_large_error (void)
{
  return g_error_new (CLAP_CLIENT_ERROR, CLAP_CLIENT_ERROR_TOO_LARGE,
                      _("The service sent an answer of more than %d MB, which none of its "
                        "answers can be; it was not read. Check the service address in "
                        "Preferences."),
                      CLAP_UNTRUSTED_MAX_ANSWER_BYTES / (1024 * 1024));
}

static void
hop_sent (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  ClapCall *call = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  SoupMessageHeaders *headers;
  const char *location = NULL;

  call->input = soup_session_send_finish (SOUP_SESSION (source), result, &error);
  snapshot_request_headers (call);
  if (call->input == NULL)
    {
      _clap_call_fail (task, _clap_transport_error (error));
      return;
    }

  call->status = soup_message_get_status (call->message);
  headers = soup_message_get_response_headers (call->message);
  _clap_call_note_retry_after (call);
  if (!g_log_writer_default_would_drop (G_LOG_LEVEL_DEBUG, G_LOG_DOMAIN))
    {
      g_autofree char *shown = shown_url (call->hop_url);
      g_debug ("< %u %s %s", call->status, call->hop_method, shown);
    }

  if (is_redirect (call->status))
    location = soup_message_headers_get_one (headers, "Location");
  if (location != NULL)
    {
      follow_redirect (task, location);
      return;
    }

  call->answered_us = g_get_monotonic_time ();

  if (call->kind == _CLAP_CALL_DOWNLOAD)
    {
      _clap_download_answered (task);
      return;
    }

  /* Refused before a byte of it is read. */
  if (soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH &&
      soup_message_headers_get_content_length (headers) > CLAP_UNTRUSTED_MAX_ANSWER_BYTES)
    {
      call->answer_note = g_strdup_printf ("[%" G_GOFFSET_FORMAT " bytes announced; not read]",
                                           soup_message_headers_get_content_length (headers));
      _clap_call_fail (task, answer_too_large_error ());
      return;
    }

  call->answer = g_byte_array_new ();
  answer_read (task);
}

/* JSON answers -------------------------------------------------------------- */

static void answer_complete (GTask *task);

static void
answer_chunk_read (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  ClapCall *call = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = NULL;
  gsize size;

  bytes = g_input_stream_read_bytes_finish (G_INPUT_STREAM (source), result, &error);
  if (bytes == NULL)
    {
      _clap_call_fail (task, _clap_transport_error (error));
      return;
    }

  size = g_bytes_get_size (bytes);
  if (size == 0)
    {
      g_clear_object (&call->input);
      answer_complete (task);
      return;
    }

  /* A chunked or endless body: stopped as soon as it passes the cap. */
  if (call->answer->len + size > CLAP_UNTRUSTED_MAX_ANSWER_BYTES)
    {
      _clap_call_fail (task, answer_too_large_error ());
      return;
    }

  g_byte_array_append (call->answer, g_bytes_get_data (bytes, NULL), size);
  answer_read (task);
}

static void
answer_read (GTask *task)
{
  ClapCall *call = g_task_get_task_data (task);

  g_input_stream_read_bytes_async (call->input, ANSWER_CHUNK_SIZE, G_PRIORITY_DEFAULT,
                                   g_task_get_cancellable (task), answer_chunk_read,
                                   g_object_ref (task));
}

static const char *
answer_content_type (ClapCall *call)
{
  return soup_message_headers_get_content_type (soup_message_get_response_headers (call->message),
                                                NULL);
}

static void
put_answered (GTask *task)
{
  ClapCall *call = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  if (SOUP_STATUS_IS_SUCCESSFUL (call->status))
    {
      _clap_call_return_boolean (task);
    }
  else if (call->status == SOUP_STATUS_FORBIDDEN)
    {
      _clap_call_return_error (task, g_error_new (CLAP_CLIENT_ERROR, CLAP_CLIENT_ERROR_STORAGE,
                                                  _("The storage refused the upload (HTTP %u): "
                                                    "its link has expired or does not match "
                                                    "the file."), call->status));
    }
  else
    {
      clap_client_error_from_http (call->status, NULL, &error);
      _clap_call_fail (task, g_steal_pointer (&error));
    }
}

/* Whether the answer is JSON at all: the service's way of saying no, as
 * opposed to some web server's page at a wrong address. */
static gboolean
answer_is_json_object (ClapCall *call)
{
  g_autoptr(JsonNode) root = NULL;

  root = clap_untrusted_parse_json ((const char *) call->answer->data, call->answer->len,
                                    CLAP_UNTRUSTED_MAX_ANSWER_BYTES, NULL);
  return root != NULL && JSON_NODE_HOLDS_OBJECT (root);
}

/* A query for a task that cannot exist: the key is accepted when the
 * service says it does not know it (404) or refuses the id (400); a 401,
 * in the status or the envelope, is the key refused. */
static void
check_answered (GTask *task)
{
  ClapCall *call = g_task_get_task_data (task);
  g_autoptr(GBytes) body = g_bytes_new_static (call->answer->data, call->answer->len);
  g_autoptr(JsonNode) data = NULL;
  g_autoptr(GError) error = NULL;

  data = clap_envelope_parse (call->status, answer_content_type (call), body, &error);
  if (data != NULL ||
      ((g_error_matches (error, CLAP_CLIENT_ERROR, CLAP_CLIENT_ERROR_NOT_FOUND) ||
        g_error_matches (error, CLAP_CLIENT_ERROR, CLAP_CLIENT_ERROR_BAD_REQUEST)) &&
       answer_is_json_object (call)))
    {
      _clap_call_return_boolean (task);
      return;
    }

  if (g_error_matches (error, CLAP_CLIENT_ERROR, CLAP_CLIENT_ERROR_NOT_FOUND) ||
      g_error_matches (error, CLAP_CLIENT_ERROR, CLAP_CLIENT_ERROR_BAD_REQUEST))
    {
      g_clear_error (&error);
      g_set_error (&error, CLAP_CLIENT_ERROR, CLAP_CLIENT_ERROR_PROTOCOL,
                   _("Something answered at the service address (HTTP %u), but not as the "
                     "service does. Check the service address in Preferences."),
                   call->status);
    }

  _clap_call_return_error (task, g_steal_pointer (&error));
}

/* What a worker needs to read an answer: nothing it shares. */
typedef struct {
  guint   status;
  char   *content_type;
  GBytes *body;
} ParseJob;

static void
parse_job_free (ParseJob *job)
{
  g_free (job->content_type);
  g_bytes_unref (job->body);
  g_free (job);
}

static void
envelope_parse_thread (GTask        *parse,
                       gpointer      source_object,
                       gpointer      task_data,
                       GCancellable *cancellable)
{
  ParseJob *job = task_data;
  GError *error = NULL;
  JsonNode *data;

  data = clap_envelope_parse (job->status, job->content_type, job->body, &error);
  if (data != NULL)
    g_task_return_pointer (parse, data, (GDestroyNotify) json_node_unref);
  else
    g_task_return_error (parse, error);
}

static void
envelope_parsed (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  JsonNode *data;

  data = g_task_propagate_pointer (G_TASK (result), &error);
  if (data == NULL)
    _clap_call_fail (task, error);
  else
    call_return_pointer (task, data, (GDestroyNotify) json_node_unref);
}

static void
answer_complete (GTask *task)
{
  ClapCall *call = g_task_get_task_data (task);
  g_autoptr(GTask) parse = NULL;
  g_autoptr(GBytes) body = NULL;
  GError *error = NULL;
  JsonNode *data;

  g_debug ("< %u %s %s (%u bytes, %.0f ms)", call->status, call->method, call->url,
           call->answer->len, (g_get_monotonic_time () - call->started_us) / 1000.0);

  if (call->kind == _CLAP_CALL_PUT)
    {
      put_answered (task);
      return;
    }

  if (call->check)
    {
      check_answered (task);
      return;
    }

  /* A few kilobytes, as answers are, are parsed at once; anything larger
   * (up to the cap) off the main thread. */
  if (call->answer->len > INLINE_PARSE_BYTES)
    {
      ParseJob *job = g_new0 (ParseJob, 1);

      job->status = call->status;
      job->content_type = g_strdup (answer_content_type (call));
      job->body = g_bytes_new (call->answer->data, call->answer->len);
      parse = g_task_new (NULL, g_task_get_cancellable (task), envelope_parsed,
                          g_object_ref (task));
      g_task_set_source_tag (parse, answer_complete);
      g_task_set_task_data (parse, job, (GDestroyNotify) parse_job_free);
      g_task_run_in_thread (parse, envelope_parse_thread);
      return;
    }

  body = g_bytes_new_static (call->answer->data, call->answer->len);
  data = clap_envelope_parse (call->status, answer_content_type (call), body, &error);
  if (data == NULL)
    _clap_call_fail (task, error);
  else
    call_return_pointer (task, data, (GDestroyNotify) json_node_unref);
}

static char *
api_url (ClapClient *self,
         const char *path)
{
  return g_strconcat (self->base_url, path, NULL);
}

static GBytes *
json_to_bytes (JsonNode *node)
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  gsize length = 0;
  char *text;

  json_generator_set_root (generator, node);
  text = json_generator_to_data (generator, &length);
  return g_bytes_new_take (text, length);
}

/* Create ------------------------------------------------------------------ */

/* Sends @request once. An error after the request left (network, timeout,
 * garbled or oversized reply, 5xx) means it may have been created and
 * charged anyway: the caller must not resend it by itself. */
void
clap_client_create_async (ClapClient          *self,
                          ClapRequest         *request,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(JsonNode) body = NULL;
  g_autofree char *url = NULL;
  g_autoptr(GError) error = NULL;
  ClapCall *call;

  g_return_if_fail (CLAP_IS_CLIENT (self));
  g_return_if_fail (CLAP_IS_REQUEST (request));

  url = api_url (self, "/api/v1/video/generations");
  task = _clap_call_new (self, _CLAP_CALL_JSON, "POST", url, FALSE, clap_client_create_async,
                         cancellable, callback, user_data);

  body = clap_request_to_json (request, &error);
  if (body == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  call = g_task_get_task_data (task);
  call->body = json_to_bytes (body);
  _clap_call_send (task);
}

static ClapTaskInfo *
task_info_finish (GAsyncResult  *result,
                  GError       **error)
{
  g_autoptr(JsonNode) data = g_task_propagate_pointer (G_TASK (result), error);

  if (data == NULL)
    return NULL;

  return clap_task_info_parse (data, error);
}

ClapTaskInfo *
clap_client_create_finish (ClapClient    *self,
                           GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return task_info_finish (result, error);
}

/* Query ------------------------------------------------------------------- */

void
clap_client_query_async (ClapClient          *self,
                         const char          *task_id,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autofree char *escaped = NULL;
  g_autofree char *url = NULL;

  g_return_if_fail (CLAP_IS_CLIENT (self));
  g_return_if_fail (task_id != NULL);

  escaped = g_uri_escape_string (task_id, NULL, FALSE);
  url = g_strconcat (self->base_url, "/api/v1/video/generations?task_id=", escaped, NULL);
  task = _clap_call_new (self, _CLAP_CALL_JSON, "GET", url, TRUE, clap_client_query_async,
                         cancellable, callback, user_data);
  _clap_call_send (task);
}

ClapTaskInfo *
clap_client_query_finish (ClapClient    *self,
                          GAsyncResult  *result,
                          GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return task_info_finish (result, error);
}

/* Check ------------------------------------------------------------------- */

/* Checks the service address and the key without spending anything: one
 * GET of a task that cannot exist, sent once, never a POST. Succeeds when
 * the service knows the key (it answers that there is no such task);
 * fails with CLAP_CLIENT_ERROR_UNAUTHORIZED when it refuses the key, and
 * with the error of any other outcome (unreachable, TLS, a server error, a
 * page that is not the service's). */
void
clap_client_check_async (ClapClient          *self,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autofree char *url = NULL;
  ClapCall *call;

  g_return_if_fail (CLAP_IS_CLIENT (self));

  url = g_strdup_printf ("%s/api/v1/video/generations?task_id=clapboard-check-%08x%08x",
                         self->base_url, g_random_int (), g_random_int ());
  task = _clap_call_new (self, _CLAP_CALL_JSON, "GET", url, FALSE, clap_client_check_async,
                         cancellable, callback, user_data);
  call = g_task_get_task_data (task);
  call->check = TRUE;
  _clap_call_send (task);
}

/* @round_trip_ms: from sending to the answer's headers, 0 when none came;
 * @http_status: the answer's, 0 when none came. Both are set on failure
 * too (a rejected key has its answer and its time). */
gboolean
clap_client_check_finish (ClapClient    *self,
                          GAsyncResult  *result,
                          guint         *round_trip_ms,
                          guint         *http_status,
                          GError       **error)
{
  ClapCall *call;

  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == clap_client_check_async,
                        FALSE);

  call = g_task_get_task_data (G_TASK (result));
  if (round_trip_ms != NULL)
    *round_trip_ms = call->answered_us > 0
                     ? (guint) ((call->answered_us - call->started_us) / 1000)
                     : 0;
  if (http_status != NULL)
    *http_status = call->answered_us > 0 ? call->status : 0;

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Upload ------------------------------------------------------------------ */

typedef struct {
  GFile     *file;
  char      *content_type;
  goffset    size;
  char      *public_url;
  GDateTime *expires_at;
} Upload;

static void
upload_free (Upload *upload)
{
  g_clear_object (&upload->file);
  g_free (upload->content_type);
  g_free (upload->public_url);
  g_clear_pointer (&upload->expires_at, g_date_time_unref);
  g_free (upload);
}

static void
upload_put_done (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;

  exchange_pass_on (result, task);
  if (!g_task_propagate_boolean (G_TASK (result), &error))
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

static char *
dup_url_member (JsonObject *object,
                const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;

  return g_strdup (json_node_get_string (node));
}

static void
upload_slot_done (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  ClapClient *self = g_task_get_source_object (task);
  Upload *upload = g_task_get_task_data (task);
  g_autoptr(JsonNode) data = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *upload_url = NULL;
  g_autofree char *expires = NULL;
  g_autoptr(GTask) put = NULL;
  JsonObject *object;
  ClapCall *call;

  exchange_pass_on (result, task);
  data = g_task_propagate_pointer (G_TASK (result), &error);
  if (data == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  if (!JSON_NODE_HOLDS_OBJECT (data))
    {
      g_task_return_new_error (task, CLAP_CLIENT_ERROR, CLAP_CLIENT_ERROR_PROTOCOL,
                               _("The service sent a reply that could not be read: the upload "
                                 "slot is not an object."));
      return;
    }

  object = json_node_get_object (data);
  upload_url = dup_url_member (object, "uploadUrl");
  upload->public_url = dup_url_member (object, "publicUrl");
  expires = dup_url_member (object, "expiresAt");
  if (expires != NULL)
    upload->expires_at = g_date_time_new_from_iso8601 (expires, NULL);

  if (upload_url == NULL || upload->public_url == NULL ||
      !clap_url_is_allowed (upload->public_url, NULL))
    {
      g_task_return_new_error (task, CLAP_CLIENT_ERROR, CLAP_CLIENT_ERROR_PROTOCOL,
                               _("The service sent a reply that could not be read: the upload "
                                 "slot lacks a usable address."));
      return;
    }

  put = _clap_call_new (self, _CLAP_CALL_PUT, "PUT", upload_url, TRUE, clap_client_upload_async,
                        g_task_get_cancellable (task), upload_put_done, g_object_ref (task));
  call = g_task_get_task_data (put);
  call->file = g_object_ref (upload->file);
  call->content_type = g_strdup (upload->content_type);
  call->file_size = upload->size;
  _clap_call_send (put);
}

static void
upload_query_info_done (GObject      *source,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  ClapClient *self = g_task_get_source_object (task);
  Upload *upload = g_task_get_task_data (task);
  g_autoptr(GFileInfo) info = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(JsonNode) body = NULL;
  g_autoptr(GTask) slot = NULL;
  g_autofree char *url = NULL;
  g_autofree char *basename = NULL;
  ClapCall *call;

  info = g_file_query_info_finish (G_FILE (source), result, &error);
  if (info == NULL)
    {
      g_autofree char *name = g_file_get_parse_name (upload->file);
      g_task_return_new_error (task, CLAP_CLIENT_ERROR, CLAP_CLIENT_ERROR_DISK,
                               _("“%s” cannot be read: %s"), name, error->message);
      return;
    }

  upload->size = g_file_info_get_size (info);
  basename = g_file_get_basename (upload->file);

  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "filename");
  json_builder_add_string_value (builder, basename);
  json_builder_set_member_name (builder, "contentType");
  json_builder_add_string_value (builder, upload->content_type);
  json_builder_set_member_name (builder, "fileSize");
  json_builder_add_int_value (builder, upload->size);
  json_builder_end_object (builder);
  body = json_builder_get_root (builder);

  /* Asking for an upload slot creates nothing billable: it may be retried. */
  url = api_url (self, "/api/v1/files");
  slot = _clap_call_new (self, _CLAP_CALL_JSON, "POST", url, TRUE, clap_client_upload_async,
                         g_task_get_cancellable (task), upload_slot_done, g_object_ref (task));
  call = g_task_get_task_data (slot);
  call->body = json_to_bytes (body);
  _clap_call_send (slot);
}

/* Uploads @file through the files endpoint (a slot, then a PUT of the bytes
 * with the same Content-Type) and gives its public URL. */
void
clap_client_upload_async (ClapClient          *self,
                          GFile               *file,
                          const char          *content_type,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  Upload *upload;

  g_return_if_fail (CLAP_IS_CLIENT (self));
  g_return_if_fail (G_IS_FILE (file));
  g_return_if_fail (content_type != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, clap_client_upload_async);
  upload = g_new0 (Upload, 1);
  upload->file = g_object_ref (file);
  upload->content_type = g_strdup (content_type);
  g_task_set_task_data (task, upload, (GDestroyNotify) upload_free);

  g_file_query_info_async (file, G_FILE_ATTRIBUTE_STANDARD_SIZE, G_FILE_QUERY_INFO_NONE,
                           G_PRIORITY_DEFAULT, cancellable, upload_query_info_done,
                           g_object_ref (task));
}

char *
clap_client_upload_finish (ClapClient    *self,
                           GAsyncResult  *result,
                           GDateTime    **expires_at,
                           GError       **error)
{
  Upload *upload;

  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  if (!g_task_propagate_boolean (G_TASK (result), error))
    return NULL;

  upload = g_task_get_task_data (G_TASK (result));
  if (expires_at != NULL)
    *expires_at = upload->expires_at ? g_date_time_ref (upload->expires_at) : NULL;
  return g_strdup (upload->public_url);
}
