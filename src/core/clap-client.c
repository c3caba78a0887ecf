/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clap-client"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <glib/gi18n-lib.h>

#include "clap-client.h"
#include "clap-media.h"

/* One SoupSession for every call to the service. Rules that protect money:
 * - a create POST is sent once, never retried by this code: a retry could
 *   create (and charge) a second take;
 * - queries, uploads and downloads retry network errors, 429 and 5xx with a
 *   bounded exponential backoff and jitter, honouring Retry-After;
 * - the API key goes only to the service's own origin (never to presigned
 *   upload URLs or result CDNs) and never into a log line;
 * - only https leaves the machine, http only to loopback;
 * - downloads stream to "NAME.part", resume it with a Range request, and
 *   rename it when complete: a result is never held whole in memory; a
 *   page sent instead of the file, or a video whose own structure runs past
 *   what arrived, is never renamed into place.
 */

#define DOWNLOAD_CHUNK_SIZE (256 * 1024)
#define MAX_RETRY_AFTER_MS  (120 * 1000)

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
};

G_DEFINE_FINAL_TYPE (ClapClient, clap_client, G_TYPE_OBJECT)

typedef enum {
  CALL_JSON,
  CALL_PUT,
  CALL_DOWNLOAD,
} CallKind;

/* One call, across its attempts. */
typedef struct {
  ClapClient      *client;
  CallKind         kind;
  char            *method;
  char            *url;
  GBytes          *body;
  gboolean         idempotent;
  guint            attempt;
  gint64           retry_after_ms;
  gint64           started_us;

  /* CALL_PUT */
  GFile           *file;
  char            *content_type;
  goffset          file_size;

  /* CALL_DOWNLOAD */
  GFile           *destination;
  GFile           *part;
  ClapProgressFunc progress;
  gpointer         progress_data;
  GDestroyNotify   progress_notify;
  SoupMessage     *message;
  GInputStream    *input;
  GOutputStream   *output;
  goffset          offset;
  goffset          received;
  goffset          total;
  char            *lock_path;
  int              lock_fd;
} Call;

static void call_send (GTask *task);

static void
call_free (Call *call)
{
  g_clear_object (&call->client);
  g_free (call->method);
  g_free (call->url);
  g_clear_pointer (&call->body, g_bytes_unref);
  g_clear_object (&call->file);
  g_free (call->content_type);
  g_clear_object (&call->destination);
  g_clear_object (&call->part);
  if (call->progress_notify != NULL)
    call->progress_notify (call->progress_data);
  g_clear_object (&call->message);
  g_clear_object (&call->input);
  g_clear_object (&call->output);
  if (call->lock_fd >= 0)
    {
      /* Removed while still held, so the folder keeps no lock files; a
       * process that opened it just before gets the lock after us, and
       * downloads once more, harmlessly. */
      g_unlink (call->lock_path);
      close (call->lock_fd);
    }
  g_free (call->lock_path);
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
static GError *
transport_error (GError *error)
{
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return g_error_copy (error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
    return g_error_new (CLAP_CLIENT_ERROR, CLAP_CLIENT_ERROR_TIMEOUT,
                        _("The service did not answer in time. Try again later."));

  if (error->domain == SOUP_SESSION_ERROR)
    return g_error_new (CLAP_CLIENT_ERROR, CLAP_CLIENT_ERROR_PROTOCOL,
                        _("The service sent a reply that could not be read: %s."),
                        error->message);

  if (error->domain == G_TLS_ERROR)
    return g_error_new (CLAP_CLIENT_ERROR, CLAP_CLIENT_ERROR_NETWORK,
                        _("A secure connection to the service could not be made: %s."),
                        error->message);

  return g_error_new (CLAP_CLIENT_ERROR, CLAP_CLIENT_ERROR_NETWORK,
                      _("Could not reach the service: %s. Check the network connection."),
                      error->message);
}

static guint
retry_delay_ms (ClapClient *self,
                Call       *call)
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

  if (!g_task_return_error_if_cancelled (task))
    call_send (task);

  g_object_unref (task);
  return G_SOURCE_REMOVE;
}

/* Ends the call with @error (taken), or schedules another attempt when the
 * call is idempotent, the error is transient and attempts are left. */
static void
call_fail (GTask  *task,
           GError *error)
{
  Call *call = g_task_get_task_data (task);
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

  g_task_return_error (task, error);
}

static void
note_retry_after (Call        *call,
                  SoupMessage *message)
{
  const char *value;

  call->retry_after_ms = 0;
  value = soup_message_headers_get_one (soup_message_get_response_headers (message),
                                        "Retry-After");
  if (value != NULL)
    {
      char *end = NULL;
      guint64 seconds = g_ascii_strtoull (value, &end, 10);

      if (end != value && *end == '\0')
        call->retry_after_ms = (gint64) MIN (seconds, 3600) * 1000;
    }
}

static void
json_call_done (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Call *call = g_task_get_task_data (task);
  SoupMessage *message = soup_session_get_async_result_message (SOUP_SESSION (source), result);
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) error = NULL;
  JsonNode *data;
  guint status;

  body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);
  if (body == NULL)
    {
      call_fail (task, transport_error (error));
      return;
    }

  status = soup_message_get_status (message);
  note_retry_after (call, message);
  g_debug ("< %u %s %s (%" G_GSIZE_FORMAT " bytes, %.0f ms)", status, call->method, call->url,
           g_bytes_get_size (body), (g_get_monotonic_time () - call->started_us) / 1000.0);

  if (call->kind == CALL_PUT)
    {
      if (SOUP_STATUS_IS_SUCCESSFUL (status))
        {
          g_task_return_boolean (task, TRUE);
        }
      else if (status == SOUP_STATUS_FORBIDDEN)
        {
          g_task_return_new_error (task, CLAP_CLIENT_ERROR, CLAP_CLIENT_ERROR_STORAGE,
                                   _("The storage refused the upload (HTTP %u): its link has "
                                     "expired or does not match the file."), status);
        }
      else
        {
          clap_client_error_from_http (status, NULL, &error);
          call_fail (task, g_steal_pointer (&error));
        }
      return;
    }

  data = clap_envelope_parse (status,
                              soup_message_headers_get_content_type (
                                soup_message_get_response_headers (message), NULL),
                              body, &error);
  if (data == NULL)
    {
      call_fail (task, g_steal_pointer (&error));
      return;
    }

  g_task_return_pointer (task, data, (GDestroyNotify) json_node_unref);
}

static void download_start (GTask *task);

static void
call_send (GTask *task)
{
  Call *call = g_task_get_task_data (task);
  ClapClient *self = call->client;
  g_autoptr(SoupMessage) message = NULL;
  g_autoptr(GError) error = NULL;

  call->attempt++;
  call->started_us = g_get_monotonic_time ();

  if (call->kind == CALL_DOWNLOAD)
    {
      download_start (task);
      return;
    }

  message = new_message (self, call->method, call->url, &error);
  if (message == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  if (call->kind == CALL_JSON)
    {
      soup_message_headers_replace (soup_message_get_request_headers (message),
                                    "Accept", "application/json");
      if (call->body != NULL)
        soup_message_set_request_body_from_bytes (message, "application/json", call->body);
    }
  else
    {
      g_autofree char *path = g_file_get_path (call->file);
      g_autoptr(GMappedFile) mapped = path ? g_mapped_file_new (path, FALSE, &error) : NULL;
      g_autoptr(GBytes) bytes = NULL;

      if (mapped == NULL)
        {
          g_autofree char *name = g_file_get_parse_name (call->file);
          g_task_return_new_error (task, CLAP_CLIENT_ERROR, CLAP_CLIENT_ERROR_DISK,
                                   _("“%s” cannot be read: %s"), name,
                                   error ? error->message : _("not a local file"));
          return;
        }

      /* A mapping lets libsoup write the pages straight from the page cache,
       * without a read loop through a stream; inputs are at most 100 MB. The
       * signature covers the Content-Type: it must be the one declared. */
      bytes = g_mapped_file_get_bytes (mapped);
      soup_message_set_request_body_from_bytes (message, call->content_type, bytes);
    }

  log_message (self, message);
  soup_session_send_and_read_async (self->session, message, G_PRIORITY_DEFAULT,
                                    g_task_get_cancellable (task), json_call_done,
                                    g_object_ref (task));
}

static GTask *
call_new (ClapClient          *self,
          CallKind             kind,
          const char          *method,
          const char          *url,
          gboolean             idempotent,
          gpointer             source_tag,
          GCancellable        *cancellable,
          GAsyncReadyCallback  callback,
          gpointer             user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  Call *call = g_new0 (Call, 1);

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
 * garbled reply, 5xx) means it may have been created and charged anyway: the
 * caller must not resend it by itself. */
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
  Call *call;

  g_return_if_fail (CLAP_IS_CLIENT (self));
  g_return_if_fail (CLAP_IS_REQUEST (request));

  url = api_url (self, "/api/v1/video/generations");
  task = call_new (self, CALL_JSON, "POST", url, FALSE, clap_client_create_async,
                   cancellable, callback, user_data);

  body = clap_request_to_json (request, &error);
  if (body == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  call = g_task_get_task_data (task);
  call->body = json_to_bytes (body);
  call_send (task);
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
  task = call_new (self, CALL_JSON, "GET", url, TRUE, clap_client_query_async,
                   cancellable, callback, user_data);
  call_send (task);
}

ClapTaskInfo *
clap_client_query_finish (ClapClient    *self,
                          GAsyncResult  *result,
                          GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return task_info_finish (result, error);
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
  Call *call;

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

  put = call_new (self, CALL_PUT, "PUT", upload_url, TRUE, clap_client_upload_async,
                  g_task_get_cancellable (task), upload_put_done, g_object_ref (task));
  call = g_task_get_task_data (put);
  call->file = g_object_ref (upload->file);
  call->content_type = g_strdup (upload->content_type);
  call->file_size = upload->size;
  call_send (put);
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
  Call *call;

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
  slot = call_new (self, CALL_JSON, "POST", url, TRUE, clap_client_upload_async,
                   g_task_get_cancellable (task), upload_slot_done, g_object_ref (task));
  call = g_task_get_task_data (slot);
  call->body = json_to_bytes (body);
  call_send (slot);
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

/* Download ---------------------------------------------------------------- */

static void download_read (GTask *task);

static GError *
disk_error (Call       *call,
            GError     *error)
{
  g_autofree char *name = g_file_get_parse_name (call->destination);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return g_error_copy (error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE))
    return g_error_new (CLAP_CLIENT_ERROR, CLAP_CLIENT_ERROR_DISK,
                        _("The disk is full: “%s” could not be saved. Free some space; the "
                          "download will resume where it stopped."), name);

  return g_error_new (CLAP_CLIENT_ERROR, CLAP_CLIENT_ERROR_DISK,
                      _("“%s” could not be written: %s"), name, error->message);
}

/* Drops the streams of a failed attempt; the .part file stays for a resume. */
static void
download_reset (Call *call)
{
  if (call->output != NULL)
    g_output_stream_close (call->output, NULL, NULL);
  g_clear_object (&call->output);
  g_clear_object (&call->input);
  g_clear_object (&call->message);
}

static void
download_fail (GTask  *task,
               GError *error)
{
  download_reset (g_task_get_task_data (task));
  call_fail (task, error);
}

static void
download_moved (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Call *call = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  if (!g_file_move_finish (G_FILE (source), result, &error))
    g_task_return_error (task, disk_error (call, error));
  else
    g_task_return_boolean (task, TRUE);
}

/* Worker: a file whose own structure says it is longer than what arrived
 * (an MP4 cut short by a server that still sent a matching Content-Length)
 * is not the file. Formats the probe does not know are taken as they are. */
static void
download_verify_thread (GTask        *verify,
                        gpointer      source_object,
                        gpointer      task_data,
                        GCancellable *cancellable)
{
  GFile *part = task_data;
  g_autoptr(GError) error = NULL;
  ClapMediaInfo info;

  if (!clap_media_probe_file (part, &info, cancellable, &error) &&
      g_error_matches (error, CLAP_MEDIA_ERROR, CLAP_MEDIA_ERROR_CORRUPT))
    {
      g_task_return_new_error (verify, CLAP_CLIENT_ERROR, CLAP_CLIENT_ERROR_PROTOCOL,
                               _("The server sent an incomplete file: %s"), error->message);
      return;
    }

  g_task_return_boolean (verify, TRUE);
}

static void
download_verified (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Call *call = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      /* Not a prefix to resume from: the next attempt starts again. A
       * cancelled check says nothing of the file: keep it. */
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_file_delete (call->part, NULL, NULL);
      download_fail (task, g_steal_pointer (&error));
      return;
    }

  g_file_move_async (call->part, call->destination, G_FILE_COPY_OVERWRITE,
                     G_PRIORITY_DEFAULT, g_task_get_cancellable (task),
                     NULL, NULL, download_moved, g_object_ref (task));
}

static void
download_closed (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Call *call = g_task_get_task_data (task);
  g_autoptr(GTask) verify = NULL;
  g_autoptr(GError) error = NULL;

  if (!g_output_stream_close_finish (G_OUTPUT_STREAM (source), result, &error))
    {
      g_task_return_error (task, disk_error (call, error));
      return;
    }

  g_clear_object (&call->output);

  verify = g_task_new (NULL, g_task_get_cancellable (task), download_verified,
                       g_object_ref (task));
  g_task_set_source_tag (verify, download_closed);
  g_task_set_task_data (verify, g_object_ref (call->part), g_object_unref);
  g_task_run_in_thread (verify, download_verify_thread);
}

static void
download_written (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Call *call = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  gsize written = 0;

  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, &written, &error))
    {
      /* A full disk is not transient: the take stays not downloaded and is
       * resumed later, from the .part file. */
      download_reset (call);
      g_task_return_error (task, disk_error (call, error));
      return;
    }

  call->received += (goffset) written;
  if (call->progress != NULL)
    call->progress (call->received, call->total, call->progress_data);

  download_read (task);
}

static void
download_chunk_read (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Call *call = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = NULL;
  gsize size;
  gconstpointer data;

  bytes = g_input_stream_read_bytes_finish (G_INPUT_STREAM (source), result, &error);
  if (bytes == NULL)
    {
      download_fail (task, transport_error (error));
      return;
    }

  size = g_bytes_get_size (bytes);
  if (size == 0)
    {
      if (call->total >= 0 && call->received != call->total)
        {
          download_fail (task, g_error_new (CLAP_CLIENT_ERROR, CLAP_CLIENT_ERROR_NETWORK,
                                            _("The connection closed before the whole file "
                                              "arrived.")));
          return;
        }

      g_debug ("< downloaded %" G_GOFFSET_FORMAT " bytes of %s in %.0f ms", call->received,
               call->url, (g_get_monotonic_time () - call->started_us) / 1000.0);
      g_clear_object (&call->input);
      g_output_stream_close_async (call->output, G_PRIORITY_DEFAULT,
                                   g_task_get_cancellable (task), download_closed,
                                   g_object_ref (task));
      return;
    }

  data = g_bytes_get_data (bytes, NULL);
  g_output_stream_write_all_async (call->output, data, size, G_PRIORITY_DEFAULT,
                                   g_task_get_cancellable (task), download_written,
                                   g_object_ref (task));
  /* The write keeps reading from @bytes: hold them until it finishes. */
  g_object_set_data_full (G_OBJECT (task), "chunk", g_steal_pointer (&bytes),
                          (GDestroyNotify) g_bytes_unref);
}

static void
download_read (GTask *task)
{
  Call *call = g_task_get_task_data (task);

  g_input_stream_read_bytes_async (call->input, DOWNLOAD_CHUNK_SIZE, G_PRIORITY_DEFAULT,
                                   g_task_get_cancellable (task), download_chunk_read,
                                   g_object_ref (task));
}

static void
download_opened (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Call *call = g_task_get_task_data (task);
  g_autoptr(GFileOutputStream) output = NULL;
  g_autoptr(GError) error = NULL;

  if (call->offset > 0)
    output = g_file_append_to_finish (G_FILE (source), result, &error);
  else
    output = g_file_create_finish (G_FILE (source), result, &error);

  if (output == NULL)
    {
      download_reset (call);
      g_task_return_error (task, disk_error (call, error));
      return;
    }

  call->output = G_OUTPUT_STREAM (g_steal_pointer (&output));
  download_read (task);
}

/* A fresh start writes into the .part itself: replacing it would write to a
 * hidden temporary file renamed only on close, which a crash leaves behind
 * in the results folder, with what had arrived. */
static void
download_part_deleted (GObject      *source,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Call *call = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  if (!g_file_delete_finish (G_FILE (source), result, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
    {
      download_reset (call);
      g_task_return_error (task, disk_error (call, error));
      return;
    }

  g_file_create_async (call->part, G_FILE_CREATE_NONE, G_PRIORITY_DEFAULT,
                       g_task_get_cancellable (task), download_opened, g_object_ref (task));
}

/* The start of a "Content-Range: bytes START-END/TOTAL" header, or -1. */
static goffset
content_range_start (SoupMessage *message)
{
  goffset start = -1, end = -1, total = -1;

  if (!soup_message_headers_get_content_range (soup_message_get_response_headers (message),
                                               &start, &end, &total))
    return -1;
  return start;
}

static void
download_sent (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Call *call = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  SoupMessageHeaders *headers;
  const char *content_type;
  goffset length;
  guint status;

  call->input = soup_session_send_finish (SOUP_SESSION (source), result, &error);
  if (call->input == NULL)
    {
      download_fail (task, transport_error (error));
      return;
    }

  status = soup_message_get_status (call->message);
  headers = soup_message_get_response_headers (call->message);
  note_retry_after (call, call->message);
  g_debug ("< %u GET %s", status, call->url);

  if (status == SOUP_STATUS_REQUESTED_RANGE_NOT_SATISFIABLE && call->offset > 0)
    {
      /* The .part is not a prefix of this file: start again from zero. */
      g_file_delete (call->part, NULL, NULL);
      download_fail (task, g_error_new (CLAP_CLIENT_ERROR, CLAP_CLIENT_ERROR_SERVER,
                                        _("The partial download did not match; starting "
                                          "again.")));
      return;
    }

  if (status != SOUP_STATUS_OK && status != SOUP_STATUS_PARTIAL_CONTENT)
    {
      if (status == SOUP_STATUS_NOT_FOUND || status == SOUP_STATUS_FORBIDDEN ||
          status == SOUP_STATUS_GONE)
        error = g_error_new (CLAP_CLIENT_ERROR, CLAP_CLIENT_ERROR_EXPIRED,
                             _("The result is no longer available (HTTP %u): its link has "
                               "expired."), status);
      else
        clap_client_error_from_http (status, NULL, &error);

      download_fail (task, g_steal_pointer (&error));
      return;
    }

  if (status == SOUP_STATUS_PARTIAL_CONTENT && content_range_start (call->message) != call->offset)
    {
      g_file_delete (call->part, NULL, NULL);
      download_fail (task, g_error_new (CLAP_CLIENT_ERROR, CLAP_CLIENT_ERROR_PROTOCOL,
                                        _("The server resumed the download at the wrong "
                                          "place; starting again.")));
      return;
    }

  /* An error page or an API message answered with 200 (a proxy, a captive
   * portal, an overloaded gateway) is not the file: never keep it. */
  content_type = soup_message_headers_get_content_type (headers, NULL);
  if (content_type != NULL &&
      (g_str_equal (content_type, "text/html") || g_str_equal (content_type, "application/json")))
    {
      download_fail (task, g_error_new (CLAP_CLIENT_ERROR, CLAP_CLIENT_ERROR_PROTOCOL,
                                        _("The server sent a page (%s) instead of the file."),
                                        content_type));
      return;
    }

  /* A server that ignores Range sends the whole file: start over. */
  if (status == SOUP_STATUS_OK)
    call->offset = 0;

  call->received = call->offset;
  length = soup_message_headers_get_content_length (headers);
  call->total = length > 0 || soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH
                ? call->offset + length
                : -1;

  if (call->offset > 0)
    g_file_append_to_async (call->part, G_FILE_CREATE_NONE, G_PRIORITY_DEFAULT,
                            g_task_get_cancellable (task), download_opened, g_object_ref (task));
  else
    g_file_delete_async (call->part, G_PRIORITY_DEFAULT, g_task_get_cancellable (task),
                         download_part_deleted, g_object_ref (task));
}

static void
download_part_measured (GObject      *source,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Call *call = g_task_get_task_data (task);
  ClapClient *self = call->client;
  g_autoptr(GFileInfo) info = NULL;
  g_autoptr(GError) error = NULL;

  info = g_file_query_info_finish (G_FILE (source), result, NULL);
  call->offset = info != NULL ? g_file_info_get_size (info) : 0;

  call->message = new_message (self, "GET", call->url, &error);
  if (call->message == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  if (call->offset > 0)
    {
      g_debug ("Resuming %s at byte %" G_GOFFSET_FORMAT, call->url, call->offset);
      soup_message_headers_set_range (soup_message_get_request_headers (call->message),
                                      call->offset, -1);
    }

  log_message (self, call->message);
  soup_session_send_async (self->session, call->message, G_PRIORITY_DEFAULT,
                           g_task_get_cancellable (task), download_sent, g_object_ref (task));
}

static void
download_start (GTask *task)
{
  Call *call = g_task_get_task_data (task);

  g_file_query_info_async (call->part, G_FILE_ATTRIBUTE_STANDARD_SIZE, G_FILE_QUERY_INFO_NONE,
                           G_PRIORITY_DEFAULT, g_task_get_cancellable (task),
                           download_part_measured, g_object_ref (task));
}

/* Streams @url into @destination through "DESTINATION.part", resuming a
 * .part left by an earlier attempt or run where the server allows ranges. */
void
clap_client_download_async (ClapClient          *self,
                            const char          *url,
                            GFile               *destination,
                            guint64              max_bytes,
                            ClapProgressFunc     progress,
                            gpointer             progress_data,
                            GDestroyNotify       progress_notify,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autofree char *part_path = NULL;
  g_autofree char *path = NULL;
  Call *call;

  g_return_if_fail (CLAP_IS_CLIENT (self));
  g_return_if_fail (url != NULL);
  g_return_if_fail (G_IS_FILE (destination));

  task = call_new (self, CALL_DOWNLOAD, "GET", url, TRUE, clap_client_download_async,
                   cancellable, callback, user_data);
  call = g_task_get_task_data (task);
  call->destination = g_object_ref (destination);
  path = g_file_get_path (destination);
  part_path = g_strconcat (path, ".part", NULL);
  call->part = g_file_new_for_path (part_path);
  call->progress = progress;
  call->progress_data = progress_data;
  call->progress_notify = progress_notify;

  /* The window and clapboard-cli share the results folder: two processes
   * writing one .part would corrupt it. A lock beside it keeps one. */
  call->lock_path = g_strconcat (path, ".lock", NULL);
  call->lock_fd = open (call->lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (call->lock_fd < 0 || flock (call->lock_fd, LOCK_EX | LOCK_NB) != 0)
    {
      int saved = errno;
      g_autofree char *name = g_file_get_parse_name (destination);

      if (call->lock_fd >= 0)
        close (call->lock_fd);
      call->lock_fd = -1;

      if (saved == EWOULDBLOCK)
        g_task_return_new_error (task, CLAP_CLIENT_ERROR, CLAP_CLIENT_ERROR_BUSY,
                                 _("Another Clapboard is downloading “%s”; it will be there "
                                   "soon."), name);
      else
        g_task_return_new_error (task, CLAP_CLIENT_ERROR, CLAP_CLIENT_ERROR_DISK,
                                 _("“%s” could not be written: %s"), name, g_strerror (saved));
      return;
    }

  call_send (task);
}

/* What was sent and answered in the call behind @result (the last attempt),
 * for a take's Request Details: {"time", "method", "url", "requestBody",
 * "status", "responseBody", "error", "durationMs"}, with the key redacted
 * and each body capped. NULL when nothing was sent. */
JsonNode *
clap_client_dup_exchange (GAsyncResult *result)
{
  return NULL;
}

gboolean
clap_client_download_finish (ClapClient    *self,
                             GAsyncResult  *result,
                             GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}
