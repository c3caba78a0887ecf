/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include <libsoup/soup.h>

#include "clap-client-private.h"
#include "clap-test-files.h"

/* The client against a loopback server that behaves as a hostile or broken
 * one would: answers that never end, redirects to plain http elsewhere or
 * in circles, results that are too large or not videos at all, a server
 * that echoes the key. And what the client leaves on the disk: locks that
 * die with their owner, the disk's reserve kept. */

#define KEY "transport-key-5f1e9a7c3b2d4e6f"

/* An endless body stops here, if the client never does. */
#define ENDLESS_LIMIT ((gsize) 64 * 1024 * 1024)
#define ENDLESS_CHUNK (64 * 1024)

typedef struct {
  SoupServer        *server;
  char              *base;        /* http://127.0.0.1:PORT */
  ClapClient        *client;      /* of the service at base, with KEY */
  char              *dir;
  GHashTable        *counts;      /* path → requests */
  guint              n_requests;
  guint              n_posts;
  guint              n_keyed;     /* requests that carried Authorization */
  GPtrArray         *queued;      /* every URL the client's session queued */
  GBytes            *clip;        /* a small MP4 */
  GBytes            *large;       /* 9 MiB that start as that MP4 */
  GBytes            *endless_chunk;
  gsize              endless_sent;
  SoupServerMessage *held;        /* paused by /hold/ until released */
} Fixture;

static char *self_exe;

/* Server ------------------------------------------------------------------ */

static void
respond (SoupServerMessage *msg,
         guint              status,
         const char        *type,
         gconstpointer      data,
         gsize              size)
{
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, type, SOUP_MEMORY_COPY, data, size);
}

static void
respond_bytes (SoupServerMessage *msg,
               const char        *type,
               GBytes            *bytes)
{
  respond (msg, SOUP_STATUS_OK, type, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
}

static void
redirect (SoupServerMessage *msg,
          guint              status,
          const char        *location)
{
  soup_server_message_set_status (msg, status, NULL);
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Location",
                                location);
}

static void
endless_more (SoupServerMessage *msg,
              Fixture           *fx)
{
  SoupMessageBody *body = soup_server_message_get_response_body (msg);

  if (fx->endless_sent >= ENDLESS_LIMIT)
    {
      soup_message_body_complete (body);
      return;
    }

  soup_message_body_append_bytes (body, fx->endless_chunk);
  fx->endless_sent += g_bytes_get_size (fx->endless_chunk);
}

/* A chunked body that starts with @start and goes on, a chunk each time
 * the last one is written, until ENDLESS_LIMIT. */
static void
respond_endless (Fixture           *fx,
                 SoupServerMessage *msg,
                 const char        *type,
                 gconstpointer      start,
                 gsize              size)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  SoupMessageBody *body = soup_server_message_get_response_body (msg);

  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_message_headers_set_encoding (headers, SOUP_ENCODING_CHUNKED);
  soup_message_headers_set_content_type (headers, type, NULL);
  soup_message_body_set_accumulate (body, FALSE);
  soup_message_body_append (body, SOUP_MEMORY_COPY, start, size);
  fx->endless_sent = size;
  g_signal_connect (msg, "wrote-chunk", G_CALLBACK (endless_more), fx);
}

/* An envelope whose message is @padding_size bytes long. */
static char *
padded_envelope (gsize       padding_size,
                 const char *also)
{
  g_autofree char *padding = g_strnfill (padding_size, 'a');

  return g_strdup_printf ("{\"code\":200,\"msg\":\"%s%s\",\"data\":{\"taskId\":\"cl1\","
                          "\"state\":\"pending\"}}", also ? also : "", padding);
}

/* Serves @bytes with Range support, as a CDN does. */
static void
respond_ranged (SoupServerMessage *msg,
                GBytes            *bytes)
{
  SoupMessageHeaders *request = soup_server_message_get_request_headers (msg);
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  SoupRange *ranges = NULL;
  int n_ranges = 0;
  gsize size = g_bytes_get_size (bytes);

  soup_message_headers_replace (headers, "Accept-Ranges", "bytes");
  if (soup_message_headers_get_ranges (request, size, &ranges, &n_ranges) && n_ranges == 1)
    {
      goffset start = ranges[0].start, end = ranges[0].end;

      soup_message_headers_set_content_range (headers, start, end, size);
      respond (msg, SOUP_STATUS_PARTIAL_CONTENT, "video/mp4",
               (const guint8 *) g_bytes_get_data (bytes, NULL) + start, end - start + 1);
      soup_message_headers_free_ranges (request, ranges);
      return;
    }

  respond_bytes (msg, "video/mp4", bytes);
}

static void
handle (SoupServer        *server,
        SoupServerMessage *msg,
        const char        *path,
        GHashTable        *query,
        gpointer           user_data)
{
  Fixture *fx = user_data;
  const char *auth = soup_message_headers_get_one (soup_server_message_get_request_headers (msg),
                                                   "Authorization");
  guint n = GPOINTER_TO_UINT (g_hash_table_lookup (fx->counts, path));

  g_hash_table_replace (fx->counts, g_strdup (path), GUINT_TO_POINTER (n + 1));
  fx->n_requests++;
  if (soup_server_message_get_method (msg) == SOUP_METHOD_POST)
    fx->n_posts++;
  if (auth != NULL)
    fx->n_keyed++;

  /* JSON answers, under a base URL of their own */
  if (g_str_has_prefix (path, "/json-huge/"))
    {
      /* 5 MiB, announced: a valid envelope, too large to be read */
      g_autofree char *body = padded_envelope (5 * 1024 * 1024, NULL);
      respond (msg, SOUP_STATUS_OK, "application/json", body, strlen (body));
    }
  else if (g_str_has_prefix (path, "/json-endless/"))
    {
      const char *start = "{\"code\":200,\"msg\":\"";
      respond_endless (fx, msg, "application/json", start, strlen (start));
    }
  else if (g_str_has_prefix (path, "/json-redirect/"))
    redirect (msg, SOUP_STATUS_TEMPORARY_REDIRECT, "http://192.0.2.1/api/v1/video/generations");
  else if (g_str_has_prefix (path, "/echo/"))
    {
      /* The key sent back, in the body, with invalid UTF-8 and far more
       * than a record keeps. */
      gboolean fail = g_str_has_prefix (path, "/echo/fail/");
      g_autofree char *also = g_strdup_printf ("you sent %s %s", auth ? auth : "nothing",
                                               fail ? "\xff\xfe " : "");
      g_autofree char *body = padded_envelope (200 * 1024, also);
      guint status = fail ? 500 : 200;

      respond (msg, status, "application/json", body, strlen (body));
    }
  else if (g_str_has_prefix (path, "/check-400/"))
    {
      const char *body = "{\"code\":400,\"msg\":\"task_id is not valid\",\"data\":null}";
      respond (msg, 400, "application/json", body, strlen (body));
    }
  else if (g_str_has_prefix (path, "/check-404-html/"))
    {
      const char *body = "<html><body><h1>404 Not Found</h1></body></html>";
      respond (msg, 404, "text/html", body, strlen (body));
    }
  else if (g_str_has_prefix (path, "/check-401-envelope/"))
    {
      const char *body = "{\"code\":401,\"msg\":\"Invalid API key\",\"data\":null}";
      respond (msg, 200, "application/json", body, strlen (body));
    }
  else if (g_str_has_prefix (path, "/check-500/"))
    {
      const char *body = "{\"code\":500,\"msg\":\"Internal error\",\"data\":null}";
      respond (msg, 500, "application/json", body, strlen (body));
    }
  /* Downloads */
  else if (g_str_equal (path, "/clip.mp4"))
    respond_bytes (msg, "video/mp4", fx->clip);
  else if (g_str_equal (path, "/ranged.mp4"))
    respond_ranged (msg, fx->clip);
  else if (g_str_equal (path, "/large.mp4"))
    respond_ranged (msg, fx->large);
  else if (g_str_has_prefix (path, "/hold/"))
    {
      /* Answered once the test lets go. */
      respond_bytes (msg, "video/mp4", fx->clip);
      soup_server_message_pause (msg);
      g_set_object (&fx->held, msg);
    }
  else if (g_str_equal (path, "/big.mp4"))
    {
      /* 2 MiB that start as an MP4 should */
      gsize size = 2 * 1024 * 1024;
      g_autofree guint8 *data = g_malloc0 (size);

      memcpy (data, g_bytes_get_data (fx->clip, NULL), g_bytes_get_size (fx->clip));
      respond (msg, SOUP_STATUS_OK, "video/mp4", data, size);
    }
  else if (g_str_equal (path, "/endless.mp4"))
    respond_endless (fx, msg, "video/mp4", g_bytes_get_data (fx->clip, NULL),
                     g_bytes_get_size (fx->clip));
  else if (g_str_equal (path, "/page.mp4"))
    {
      const char *page = "<!DOCTYPE html><html><head><title>Sign in</title></head>"
                         "<body>Sign in to continue.</body></html>";
      respond (msg, SOUP_STATUS_OK, "application/octet-stream", page, strlen (page));
    }
  else if (g_str_equal (path, "/short.mp4"))
    respond (msg, SOUP_STATUS_OK, "video/mp4", "hello", 5);
  else if (g_str_equal (path, "/picture.jpg"))
    {
      g_autoptr(GBytes) jpeg = clap_test_make_jpeg (320, 180);
      respond_bytes (msg, "image/jpeg", jpeg);
    }
  else if (g_str_equal (path, "/picture.png"))
    {
      g_autoptr(GBytes) png = clap_test_make_png (320, 180, 0);
      respond_bytes (msg, "image/png", png);
    }
  else if (g_str_equal (path, "/picture.webp"))
    {
      static const char webp[] = "RIFF\x24\0\0\0WEBPVP8 \x18\0\0\0" "0123456789abcdef01234567";
      respond (msg, SOUP_STATUS_OK, "image/webp", webp, sizeof webp - 1);
    }
  else if (g_str_equal (path, "/to-insecure.mp4"))
    redirect (msg, SOUP_STATUS_FOUND, "http://192.0.2.1/x.mp4");
  else if (g_str_has_prefix (path, "/loop/"))
    {
      guint64 hop = g_ascii_strtoull (path + strlen ("/loop/"), NULL, 10);
      g_autofree char *next = g_strdup_printf ("/loop/%" G_GUINT64_FORMAT, hop + 1);

      redirect (msg, SOUP_STATUS_FOUND, next);
    }
  else if (g_str_has_prefix (path, "/hops/"))
    {
      /* /hops/N redirects N times, then serves the clip */
      guint64 left = g_ascii_strtoull (path + strlen ("/hops/"), NULL, 10);
      g_autofree char *next = g_strdup_printf ("/hops/%" G_GUINT64_FORMAT, left - 1);

      if (left == 0)
        respond_bytes (msg, "video/mp4", fx->clip);
      else
        redirect (msg, SOUP_STATUS_MOVED_PERMANENTLY, next);
    }
  else
    respond (msg, SOUP_STATUS_NOT_FOUND, "text/plain", "no such thing", 13);
}

static guint
count (Fixture    *fx,
       const char *path)
{
  return GPOINTER_TO_UINT (g_hash_table_lookup (fx->counts, path));
}

static char *
server_base (SoupServer *server)
{
  GSList *uris = soup_server_get_uris (server);
  g_autofree char *text = g_uri_to_string (uris->data);

  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  /* without its trailing slash */
  return g_strndup (text, strlen (text) - 1);
}

static void
on_request_queued (SoupSession *session,
                   SoupMessage *msg,
                   Fixture     *fx)
{
  g_ptr_array_add (fx->queued, g_uri_to_string (soup_message_get_uri (msg)));
}

static ClapClient *
client_for (Fixture    *fx,
            const char *base,
            const char *key)
{
  g_autoptr(GError) error = NULL;
  ClapClient *client = clap_client_new (base, key, &error);

  g_assert_no_error (error);
  /* Short delays keep the suite fast; how many attempts is what counts. */
  clap_client_set_retry_policy (client, 4, 10, 20);
  g_signal_connect (_clap_client_get_soup_session (client), "request-queued",
                    G_CALLBACK (on_request_queued), fx);
  return client;
}

static void
setup (Fixture       *fx,
       gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  fx->dir = g_dir_make_tmp ("clap-transport-XXXXXX", &error);
  g_assert_no_error (error);
  fx->counts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  fx->queued = g_ptr_array_new_with_free_func (g_free);
  fx->clip = clap_test_make_mp4 ("isom", 1000, 3000, 320, 180, FALSE, FALSE);
  fx->endless_chunk = g_bytes_new_take (g_strnfill (ENDLESS_CHUNK, 'a'), ENDLESS_CHUNK);
  {
    /* the clip, then a "free" box over the rest, of bytes that differ */
    gsize size = 9 * 1024 * 1024;
    gsize start = g_bytes_get_size (fx->clip);
    guint32 box = GUINT32_TO_BE ((guint32) (size - start));
    guint8 *bytes = g_malloc (size);

    for (gsize i = 0; i < size; i++)
      bytes[i] = (guint8) (i * 7);
    memcpy (bytes, g_bytes_get_data (fx->clip, NULL), start);
    memcpy (bytes + start, &box, 4);
    memcpy (bytes + start + 4, "free", 4);
    fx->large = g_bytes_new_take (bytes, size);
  }

  fx->server = soup_server_new (NULL, NULL);
  soup_server_add_handler (fx->server, NULL, handle, fx, NULL);
  g_assert_true (soup_server_listen_local (fx->server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error));
  g_assert_no_error (error);
  fx->base = server_base (fx->server);
  fx->client = client_for (fx, fx->base, KEY);
}

static void
teardown (Fixture       *fx,
          gconstpointer  data)
{
  g_assert_finalize_object (fx->client);
  g_clear_object (&fx->held);
  soup_server_disconnect (fx->server);
  g_clear_object (&fx->server);
  g_free (fx->base);
  g_hash_table_unref (fx->counts);
  g_ptr_array_unref (fx->queued);
  g_bytes_unref (fx->clip);
  g_bytes_unref (fx->large);
  g_bytes_unref (fx->endless_chunk);
  clap_test_rm_rf (fx->dir);
  g_free (fx->dir);
}

/* Waiting ----------------------------------------------------------------- */

static void
wait_until (gboolean *done)
{
  gint64 end = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;

  while (!*done)
    {
      g_main_context_iteration (NULL, TRUE);
      if (!*done && g_get_monotonic_time () > end)
        g_error ("timed out");
    }
}

typedef struct {
  gboolean      done;
  GAsyncResult *result;
} Wait;

static void
store_result (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Wait *w = user_data;

  w->result = g_object_ref (result);
  w->done = TRUE;
}

static ClapTaskInfo *
query (ClapClient  *client,
       JsonNode   **exchange,
       GError     **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  Wait w = { 0 };

  clap_client_query_async (client, "cl1", NULL, store_result, &w);
  wait_until (&w.done);
  result = w.result;
  if (exchange != NULL)
    *exchange = clap_client_dup_exchange (result);
  return clap_client_query_finish (client, result, error);
}

static gboolean
download_full (Fixture           *fx,
               const char        *url,
               const char        *path,
               guint64            max_bytes,
               ClapDownloadKind   kind,
               JsonNode         **exchange,
               GError           **error)
{
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GAsyncResult) result = NULL;
  Wait w = { 0 };

  clap_client_download_async (fx->client, url, file, max_bytes, kind, NULL, NULL, NULL, NULL,
                              store_result, &w);
  wait_until (&w.done);
  result = w.result;
  if (exchange != NULL)
    *exchange = clap_client_dup_exchange (result);
  return clap_client_download_finish (fx->client, result, error);
}

static gboolean
download (Fixture     *fx,
          const char  *path_on_server,
          const char  *name,
          guint64      max_bytes,
          GError     **error)
{
  g_autofree char *url = g_strconcat (fx->base, path_on_server, NULL);
  g_autofree char *path = g_build_filename (fx->dir, name, NULL);

  return download_full (fx, url, path, max_bytes, CLAP_DOWNLOAD_KIND_VIDEO, NULL, error);
}

static gboolean
exists_in_dir (Fixture    *fx,
               const char *name)
{
  g_autofree char *path = g_build_filename (fx->dir, name, NULL);

  return g_file_test (path, G_FILE_TEST_EXISTS);
}

/* Answers ------------------------------------------------------------------ */

/* A valid envelope of 5 MiB, announced by its Content-Length: refused
 * without being read, and not asked for again. */
static void
test_answer_too_large_by_length (Fixture       *fx,
                                 gconstpointer  data)
{
  g_autofree char *base = g_strconcat (fx->base, "/json-huge", NULL);
  g_autoptr(ClapClient) client = client_for (fx, base, KEY);
  g_autoptr(ClapRequest) request = clap_request_new ("kling-v3");
  g_autoptr(ClapTaskInfo) info = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  Wait w = { 0 };

  info = query (client, NULL, &error);
  g_assert_null (info);
  g_assert_error (error, CLAP_CLIENT_ERROR, CLAP_CLIENT_ERROR_TOO_LARGE);
  g_assert_false (clap_client_error_is_transient (error));
  g_assert_cmpuint (count (fx, "/json-huge/api/v1/video/generations"), ==, 1);
  g_clear_error (&error);

  /* a create gets the same: one POST, and the error that says so */
  clap_request_set_prompt (request, "An answer too large");
  clap_request_set_duration (request, 3);
  clap_client_create_async (client, request, NULL, store_result, &w);
  wait_until (&w.done);
  result = w.result;
  info = clap_client_create_finish (client, result, &error);
  g_assert_null (info);
  g_assert_error (error, CLAP_CLIENT_ERROR, CLAP_CLIENT_ERROR_TOO_LARGE);
  g_assert_cmpuint (fx->n_posts, ==, 1);
}

/* A chunked answer that never ends is read only up to the cap. */
static void
test_answer_endless (Fixture       *fx,
                     gconstpointer  data)
{
  g_autofree char *base = g_strconcat (fx->base, "/json-endless", NULL);
  g_autoptr(ClapClient) client = client_for (fx, base, KEY);
  g_autoptr(ClapTaskInfo) info = NULL;
  g_autoptr(GError) error = NULL;

  info = query (client, NULL, &error);
  g_assert_null (info);
  g_assert_error (error, CLAP_CLIENT_ERROR, CLAP_CLIENT_ERROR_TOO_LARGE);
  g_assert_cmpuint (count (fx, "/json-endless/api/v1/video/generations"), ==, 1);
  g_test_message ("the server had sent %" G_GSIZE_FORMAT " bytes", fx->endless_sent);
  g_assert_cmpuint (fx->endless_sent, <, ENDLESS_LIMIT);
}

/* Redirects ----------------------------------------------------------------- */

static gboolean
queued_host (Fixture    *fx,
             const char *host)
{
  for (guint i = 0; i < fx->queued->len; i++)
    {
      g_autoptr(GUri) uri = g_uri_parse (g_ptr_array_index (fx->queued, i), G_URI_FLAGS_NONE,
                                         NULL);

      if (g_strcmp0 (g_uri_get_host (uri), host) == 0)
        return TRUE;
    }
  return FALSE;
}

/* The result's address sends us to plain http on another computer: not
 * followed, not a request queued for it, nothing saved, not tried again. */
static void
test_redirect_insecure_download (Fixture       *fx,
                                 gconstpointer  data)
{
  g_autofree char *url = g_strconcat (fx->base, "/to-insecure.mp4", NULL);
  g_autofree char *path = g_build_filename (fx->dir, "result.mp4", NULL);
  g_autoptr(JsonNode) exchange = NULL;
  g_autoptr(GError) error = NULL;
  JsonArray *redirects;

  g_assert_false (download_full (fx, url, path, CLAP_RESULT_MAX_BYTES, CLAP_DOWNLOAD_KIND_VIDEO,
                                 &exchange, &error));
  g_assert_error (error, CLAP_CLIENT_ERROR, CLAP_CLIENT_ERROR_INSECURE_URL);
  g_assert_nonnull (strstr (error->message, "redirected to “http://192.0.2.1/x.mp4”"));
  g_assert_nonnull (strstr (error->message, "nothing was saved"));
  g_assert_cmpuint (count (fx, "/to-insecure.mp4"), ==, 1);
  g_assert_cmpuint (fx->queued->len, ==, 1);
  g_assert_false (queued_host (fx, "192.0.2.1"));
  g_assert_false (exists_in_dir (fx, "result.mp4"));
  g_assert_false (exists_in_dir (fx, "result.mp4.part"));

  /* the record names the hop that was refused */
  redirects = json_object_get_array_member (json_node_get_object (exchange), "redirects");
  g_assert_cmpuint (json_array_get_length (redirects), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (redirects, 0),
                                                  "url"), ==, "http://192.0.2.1/x.mp4");
  g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (redirects, 0),
                                               "status"), ==, 302);
}

/* The same for a call to the service: a query is not sent on, with the
 * key, to where the redirect points. */
static void
test_redirect_insecure_query (Fixture       *fx,
                              gconstpointer  data)
{
  g_autofree char *base = g_strconcat (fx->base, "/json-redirect", NULL);
  g_autoptr(ClapClient) client = client_for (fx, base, KEY);
  g_autoptr(ClapTaskInfo) info = NULL;
  g_autoptr(GError) error = NULL;

  info = query (client, NULL, &error);
  g_assert_null (info);
  g_assert_error (error, CLAP_CLIENT_ERROR, CLAP_CLIENT_ERROR_INSECURE_URL);
  g_assert_nonnull (strstr (error->message, "192.0.2.1"));
  g_assert_cmpuint (count (fx, "/json-redirect/api/v1/video/generations"), ==, 1);
  g_assert_false (queued_host (fx, "192.0.2.1"));
}

/* A redirect loop is left after 5 hops, and not started again. */
static void
test_redirect_too_many (Fixture       *fx,
                        gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  g_assert_false (download (fx, "/loop/0", "loop.mp4", CLAP_RESULT_MAX_BYTES, &error));
  g_assert_error (error, CLAP_CLIENT_ERROR, CLAP_CLIENT_ERROR_PROTOCOL);
  g_assert_nonnull (strstr (error->message, "more than 5"));
  /* the first request and 5 hops */
  g_assert_cmpuint (fx->n_requests, ==, 6);
  g_assert_cmpuint (count (fx, "/loop/5"), ==, 1);
  g_assert_cmpuint (count (fx, "/loop/6"), ==, 0);
  g_assert_false (exists_in_dir (fx, "loop.mp4"));
  g_clear_error (&error);

  /* 5 are fine */
  g_assert_true (download (fx, "/hops/5", "hops.mp4", CLAP_RESULT_MAX_BYTES, &error));
  g_assert_no_error (error);
  g_assert_true (exists_in_dir (fx, "hops.mp4"));
}

/* The https origin of the service: every request is redirected to the
 * loopback http server's @user_data path. */
static void
secure_handle (SoupServer        *server,
               SoupServerMessage *msg,
               const char        *path,
               GHashTable        *query,
               gpointer           user_data)
{
  if (soup_message_headers_get_one (soup_server_message_get_request_headers (msg),
                                    "Authorization") != NULL)
    g_object_set_data (G_OBJECT (server), "saw-key", GINT_TO_POINTER (TRUE));
  redirect (msg, SOUP_STATUS_FOUND, user_data);
}

/* Self-signed for 127.0.0.1, valid from 2000 to 2199; made for this test. */
static const char test_pem[] =
  "-----BEGIN CERTIFICATE-----\n"
  "MIIBTjCB9qADAgECAhQV9jK8n/6BWZm71/+vfZFX5nWr3jAKBggqhkjOPQQDAjAU\n"
  "MRIwEAYDVQQDDAkxMjcuMC4wLjEwIBcNMDAwMTAxMDAwMDAwWhgPMjE5OTEyMzEw\n"
  "MDAwMDBaMBQxEjAQBgNVBAMMCTEyNy4wLjAuMTBZMBMGByqGSM49AgEGCCqGSM49\n"
  "AwEHA0IABLBeRq3qkBDnqjsBgkDE/qRAKNad9MFiol9RMwdG9OSUOhrCHPphLUG8\n"
  "7wgT2UbmclyMw6E/yMYd/z+ZnXrAplqjJDAiMA8GA1UdEQQIMAaHBH8AAAEwDwYD\n"
  "VR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNHADBEAiBT3PQ2c88RAuPHOtbs+qs9\n"
  "kBd8wuzgkN8jdJ2jYn9ndQIgIx+o5JZ03Pv/sgFT3J8WiSrjfOUiUtRxcfYubq4T\n"
  "CcI=\n"
  "-----END CERTIFICATE-----\n"
  "-----BEGIN PRIVATE KEY-----\n"
  "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgE86WgO2AwKb8huQi\n"
  "myV9bO1Svsss4zL4SNCutLG5ihGhRANCAASwXkat6pAQ56o7AYJAxP6kQCjWnfTB\n"
  "YqJfUTMHRvTklDoawhz6YS1BvO8IE9lG5nJcjMOhP8jGHf8/mZ16wKZa\n"
  "-----END PRIVATE KEY-----\n";

/* Listens on loopback with TLS, with the test's certificate. */
static void
listen_tls (SoupServer *server)
{
  g_autoptr(GTlsCertificate) certificate = NULL;
  g_autoptr(GError) error = NULL;

  certificate = g_tls_certificate_new_from_pem (test_pem, -1, &error);
  g_assert_no_error (error);
  g_object_set (server, "tls-certificate", certificate, NULL);
  g_assert_true (soup_server_listen_local (server, 0,
                                          SOUP_SERVER_LISTEN_IPV4_ONLY | SOUP_SERVER_LISTEN_HTTPS,
                                          &error));
  g_assert_no_error (error);
}

/* @client trusts the test's certificate, and only it. */
static void
trust_test_certificate (Fixture    *fx,
                        ClapClient *client)
{
  g_autoptr(GBytes) pem = g_bytes_new_static (test_pem, strlen (test_pem));
  g_autoptr(GTlsDatabase) database = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *anchors = clap_test_write (fx->dir, "anchors.pem", pem);

  database = g_tls_file_database_new (anchors, &error);
  g_assert_no_error (error);
  soup_session_set_tls_database (_clap_client_get_soup_session (client), database);
}

/* From the service's https origin to plain http on this computer is
 * allowed (a local proxy, the simulator); the key stays with the service. */
static void
test_redirect_https_to_loopback (Fixture       *fx,
                                 gconstpointer  data)
{
  g_autoptr(SoupServer) secure = NULL;
  g_autoptr(ClapClient) client = NULL;
  g_autoptr(GFile) file = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) exchange = NULL;
  g_autofree char *secure_base = NULL;
  g_autofree char *url = NULL;
  g_autofree char *target = g_strconcat (fx->base, "/hops/0", NULL);
  g_autofree char *path = g_build_filename (fx->dir, "via-https.mp4", NULL);
  JsonArray *redirects;
  Wait w = { 0 };

  if (!g_tls_backend_supports_tls (g_tls_backend_get_default ()))
    {
      g_test_skip ("no TLS backend (glib-networking)");
      return;
    }

  secure = soup_server_new (NULL, NULL);
  soup_server_add_handler (secure, NULL, secure_handle, target, NULL);
  listen_tls (secure);
  secure_base = server_base (secure);
  g_assert_true (g_str_has_prefix (secure_base, "https://127.0.0.1:"));

  /* a client of the https service */
  client = client_for (fx, secure_base, KEY);
  trust_test_certificate (fx, client);

  url = g_strconcat (secure_base, "/result.mp4", NULL);
  file = g_file_new_for_path (path);
  clap_client_download_async (client, url, file, CLAP_RESULT_MAX_BYTES, CLAP_DOWNLOAD_KIND_VIDEO,
                              NULL, NULL, NULL, NULL, store_result, &w);
  wait_until (&w.done);
  result = w.result;
  exchange = clap_client_dup_exchange (result);
  g_assert_true (clap_client_download_finish (client, result, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));

  g_assert_cmpuint (count (fx, "/hops/0"), ==, 1);
  g_assert_true (g_object_get_data (G_OBJECT (secure), "saw-key") != NULL);
  g_assert_cmpuint (fx->n_keyed, ==, 0);
  redirects = json_object_get_array_member (json_node_get_object (exchange), "redirects");
  g_assert_cmpuint (json_array_get_length (redirects), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (redirects, 0),
                                                  "url"), ==, target);

  soup_server_disconnect (secure);
}

/* Downloads ----------------------------------------------------------------- */

/* A Content-Length past the cap: refused before a byte is written, after
 * exactly one request. */
static void
test_download_over_cap (Fixture       *fx,
                        gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  g_assert_false (download (fx, "/big.mp4", "big.mp4", 1024 * 1024, &error));
  g_assert_error (error, CLAP_CLIENT_ERROR, CLAP_CLIENT_ERROR_TOO_LARGE);
  g_assert_nonnull (strstr (error->message, "nothing was kept"));
  g_assert_false (clap_client_error_is_transient (error));
  g_assert_cmpuint (count (fx, "/big.mp4"), ==, 1);
  g_assert_false (exists_in_dir (fx, "big.mp4"));
  g_assert_false (exists_in_dir (fx, "big.mp4.part"));
  g_clear_error (&error);

  /* under a cap that allows it, the same is kept */
  g_assert_true (download (fx, "/big.mp4", "big.mp4", 4 * 1024 * 1024, &error));
  g_assert_no_error (error);
}

/* A body with no length that never ends: stopped at the cap, what arrived
 * deleted, not asked for again. */
static void
test_download_endless (Fixture       *fx,
                       gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  g_assert_false (download (fx, "/endless.mp4", "endless.mp4", 1024 * 1024, &error));
  g_assert_error (error, CLAP_CLIENT_ERROR, CLAP_CLIENT_ERROR_TOO_LARGE);
  g_assert_cmpuint (count (fx, "/endless.mp4"), ==, 1);
  g_assert_cmpuint (fx->endless_sent, <, ENDLESS_LIMIT);
  g_assert_false (exists_in_dir (fx, "endless.mp4"));
  g_assert_false (exists_in_dir (fx, "endless.mp4.part"));
}

/* An HTML page served as application/octet-stream, or five bytes of
 * nothing: not a video, not kept, not asked for again. */
static void
test_download_not_video (Fixture       *fx,
                         gconstpointer  data)
{
  const char *paths[] = { "/page.mp4", "/short.mp4" };

  for (guint i = 0; i < G_N_ELEMENTS (paths); i++)
    {
      g_autoptr(GError) error = NULL;

      g_test_message ("%s", paths[i]);
      g_assert_false (download (fx, paths[i], "clip.mp4", CLAP_RESULT_MAX_BYTES, &error));
      g_assert_error (error, CLAP_CLIENT_ERROR, CLAP_CLIENT_ERROR_NOT_VIDEO);
      g_assert_cmpstr (error->message, ==,
                       "The service sent something that is not a video; nothing was kept.");
      g_assert_false (clap_client_error_is_transient (error));
      g_assert_cmpuint (count (fx, paths[i]), ==, 1);
      g_assert_false (exists_in_dir (fx, "clip.mp4"));
      g_assert_false (exists_in_dir (fx, "clip.mp4.part"));
    }
}

/* A .part left by an older run whose start is not a video: the resumed
 * file is refused as a whole, and deleted. */
static void
test_download_resumed_junk (Fixture       *fx,
                            gconstpointer  data)
{
  g_autofree char *part = g_build_filename (fx->dir, "clip.mp4.part", NULL);
  g_autoptr(GError) error = NULL;

  g_assert_true (g_file_set_contents (part, "<html>junk", 10, NULL));
  g_assert_false (download (fx, "/ranged.mp4", "clip.mp4", CLAP_RESULT_MAX_BYTES, &error));
  g_assert_error (error, CLAP_CLIENT_ERROR, CLAP_CLIENT_ERROR_NOT_VIDEO);
  g_assert_false (exists_in_dir (fx, "clip.mp4"));
  g_assert_false (exists_in_dir (fx, "clip.mp4.part"));
  g_clear_error (&error);

  /* a true prefix is resumed */
  g_assert_true (g_file_set_contents (part, g_bytes_get_data (fx->clip, NULL), 40, NULL));
  g_assert_true (download (fx, "/ranged.mp4", "clip.mp4", CLAP_RESULT_MAX_BYTES, &error));
  g_assert_no_error (error);
  {
    g_autofree char *path = g_build_filename (fx->dir, "clip.mp4", NULL);
    g_autofree char *contents = NULL;
    gsize length = 0;

    g_assert_true (g_file_get_contents (path, &contents, &length, NULL));
    g_assert_cmpmem (contents, length, g_bytes_get_data (fx->clip, NULL),
                     g_bytes_get_size (fx->clip));
  }
}

/* A .part that is a link to another file (a user's video) is never
 * appended to nor taken as a prefix: the link goes, the file stays. */
static void
test_download_part_link (Fixture       *fx,
                         gconstpointer  data)
{
  g_autofree char *part = g_build_filename (fx->dir, "clip.mp4.part", NULL);
  g_autofree char *theirs = g_build_filename (fx->dir, "theirs.mp4", NULL);
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  g_autofree char *path = g_build_filename (fx->dir, "clip.mp4", NULL);
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;
  gsize length = 0, before_length = 0, after_length = 0;

  /* a true prefix of the clip, so that a followed link would be resumed */
  g_assert_true (g_file_set_contents (theirs, g_bytes_get_data (fx->clip, NULL), 40, NULL));
  g_assert_cmpint (symlink (theirs, part), ==, 0);
  g_assert_true (g_file_get_contents (theirs, &before, &before_length, NULL));

  g_assert_true (download (fx, "/ranged.mp4", "clip.mp4", CLAP_RESULT_MAX_BYTES, &error));
  g_assert_no_error (error);

  g_assert_true (g_file_get_contents (theirs, &after, &after_length, NULL));
  g_assert_cmpmem (after, after_length, before, before_length);
  g_assert_true (g_file_get_contents (path, &contents, &length, NULL));
  g_assert_cmpmem (contents, length, g_bytes_get_data (fx->clip, NULL),
                   g_bytes_get_size (fx->clip));
  g_assert_false (g_file_test (part, G_FILE_TEST_EXISTS | G_FILE_TEST_IS_SYMLINK));
}

/* A thumbnail must be a picture; a video is not one, nor a picture a
 * video. */
static void
test_download_picture_kind (Fixture       *fx,
                            gconstpointer  data)
{
  const char *pictures[] = { "/picture.jpg", "/picture.png", "/picture.webp" };

  for (guint i = 0; i < G_N_ELEMENTS (pictures); i++)
    {
      g_autofree char *url = g_strconcat (fx->base, pictures[i], NULL);
      g_autofree char *path = g_build_filename (fx->dir, "thumbnail.jpg", NULL);
      g_autoptr(GError) error = NULL;

      g_test_message ("%s", pictures[i]);
      g_assert_true (download_full (fx, url, path, CLAP_THUMBNAIL_MAX_BYTES,
                                    CLAP_DOWNLOAD_KIND_PICTURE, NULL, &error));
      g_assert_no_error (error);
      g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));
      g_unlink (path);

      g_assert_false (download_full (fx, url, path, CLAP_RESULT_MAX_BYTES,
                                     CLAP_DOWNLOAD_KIND_VIDEO, NULL, &error));
      g_assert_error (error, CLAP_CLIENT_ERROR, CLAP_CLIENT_ERROR_NOT_VIDEO);
      g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
    }

  {
    g_autofree char *url = g_strconcat (fx->base, "/clip.mp4", NULL);
    g_autofree char *path = g_build_filename (fx->dir, "thumbnail.jpg", NULL);
    g_autoptr(GError) error = NULL;

    g_assert_false (download_full (fx, url, path, CLAP_THUMBNAIL_MAX_BYTES,
                                   CLAP_DOWNLOAD_KIND_PICTURE, NULL, &error));
    g_assert_error (error, CLAP_CLIENT_ERROR, CLAP_CLIENT_ERROR_NOT_VIDEO);
    g_assert_nonnull (strstr (error->message, "not a picture"));
    g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  }
}

/* No room left but the reserve: nothing is written, what a .part holds is
 * kept for the resume, and the message says so. */
static void
test_download_disk_reserve (Fixture       *fx,
                            gconstpointer  data)
{
  g_autofree char *part = g_build_filename (fx->dir, "clip.mp4.part", NULL);
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;
  gsize length = 0;

  g_assert_true (g_file_set_contents (part, g_bytes_get_data (fx->clip, NULL), 40, NULL));
  _clap_client_set_disk_reserve (fx->client, G_MAXUINT64 - 1);
  g_assert_false (download (fx, "/ranged.mp4", "clip.mp4", CLAP_RESULT_MAX_BYTES, &error));
  g_assert_error (error, CLAP_CLIENT_ERROR, CLAP_CLIENT_ERROR_DISK);
  g_assert_nonnull (strstr (error->message, "The disk is full"));
  g_assert_nonnull (strstr (error->message, "resume where it stopped"));
  g_assert_cmpuint (count (fx, "/ranged.mp4"), ==, 1);
  g_assert_true (g_file_get_contents (part, &contents, &length, NULL));
  g_assert_cmpmem (contents, length, g_bytes_get_data (fx->clip, NULL), 40);
  g_assert_false (exists_in_dir (fx, "clip.mp4"));
  g_clear_error (&error);

  /* a fresh download is refused before it starts, too */
  g_assert_false (download (fx, "/clip.mp4", "fresh.mp4", CLAP_RESULT_MAX_BYTES, &error));
  g_assert_error (error, CLAP_CLIENT_ERROR, CLAP_CLIENT_ERROR_DISK);
  g_assert_false (exists_in_dir (fx, "fresh.mp4.part"));
  g_clear_error (&error);

  /* with the room back, it resumes */
  _clap_client_set_disk_reserve (fx->client, G_MAXUINT64);
  g_assert_true (download (fx, "/ranged.mp4", "clip.mp4", CLAP_RESULT_MAX_BYTES, &error));
  g_assert_no_error (error);
}

typedef struct {
  ClapClient *client;
  goffset     at;
} Squeeze;

/* Another program takes the disk's room once @at bytes have arrived. */
static void
squeeze_disk (goffset  received,
              goffset  total,
              gpointer user_data)
{
  Squeeze *squeeze = user_data;

  if (received >= squeeze->at)
    _clap_client_set_disk_reserve (squeeze->client, G_MAXUINT64 - 1);
}

/* The free space is looked at again every few MiB: when the disk fills
 * during a download, it stops before the reserve, keeps a true prefix, and
 * resumes from it once there is room. */
static void
test_download_disk_fills (Fixture       *fx,
                          gconstpointer  data)
{
  g_autofree char *url = g_strconcat (fx->base, "/large.mp4", NULL);
  g_autofree char *path = g_build_filename (fx->dir, "large.mp4", NULL);
  g_autofree char *part = g_strconcat (path, ".part", NULL);
  g_autofree char *contents = NULL;
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  Squeeze squeeze = { fx->client, 1024 * 1024 };
  gsize length = 0;
  Wait w = { 0 };

  clap_client_download_async (fx->client, url, file, CLAP_RESULT_MAX_BYTES,
                              CLAP_DOWNLOAD_KIND_VIDEO, squeeze_disk, &squeeze, NULL, NULL,
                              store_result, &w);
  wait_until (&w.done);
  result = w.result;
  g_assert_false (clap_client_download_finish (fx->client, result, &error));
  g_assert_error (error, CLAP_CLIENT_ERROR, CLAP_CLIENT_ERROR_DISK);
  g_assert_nonnull (strstr (error->message, "The disk is full"));
  g_assert_cmpuint (count (fx, "/large.mp4"), ==, 1);
  g_clear_error (&error);

  /* stopped at the next look, 4 MiB in: a true prefix */
  g_assert_true (g_file_get_contents (part, &contents, &length, NULL));
  g_test_message ("the .part holds %" G_GSIZE_FORMAT " bytes", length);
  g_assert_cmpuint (length, >=, 1024 * 1024);
  g_assert_cmpuint (length, <=, 4 * 1024 * 1024);
  g_assert_cmpmem (contents, length, g_bytes_get_data (fx->large, NULL), length);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));

  /* room again: the rest, from where it stopped (the first call's result
   * is still held here: its lock is not) */
  _clap_client_set_disk_reserve (fx->client, G_MAXUINT64);
  g_assert_true (download (fx, "/large.mp4", "large.mp4", CLAP_RESULT_MAX_BYTES, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (count (fx, "/large.mp4"), ==, 2);
  g_clear_pointer (&contents, g_free);
  g_assert_true (g_file_get_contents (path, &contents, &length, NULL));
  g_assert_cmpmem (contents, length, g_bytes_get_data (fx->large, NULL),
                   g_bytes_get_size (fx->large));
}

/* Locks --------------------------------------------------------------------- */

static gboolean
is_held (Fixture  *fx)
{
  return fx->held != NULL;
}

/* Two downloads of one file at once, in one process: the second is told,
 * and nothing but the folder's one lock file is left. */
static void
test_lock_busy (Fixture       *fx,
                gconstpointer  data)
{
  g_autofree char *url = g_strconcat (fx->base, "/hold/clip.mp4", NULL);
  g_autofree char *path = g_build_filename (fx->dir, "shared.mp4", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GAsyncResult) first = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GDir) dir = NULL;
  const char *name;
  Wait w = { 0 };
  gboolean held;

  clap_client_download_async (fx->client, url, file, CLAP_RESULT_MAX_BYTES,
                              CLAP_DOWNLOAD_KIND_VIDEO, NULL, NULL, NULL, NULL, store_result, &w);
  /* the first holds its lock while the server holds its answer */
  while (!(held = is_held (fx)))
    g_main_context_iteration (NULL, TRUE);

  g_assert_false (download_full (fx, url, path, CLAP_RESULT_MAX_BYTES, CLAP_DOWNLOAD_KIND_VIDEO,
                                 NULL, &error));
  g_assert_error (error, CLAP_CLIENT_ERROR, CLAP_CLIENT_ERROR_BUSY);
  g_clear_error (&error);

  soup_server_message_unpause (fx->held);
  wait_until (&w.done);
  first = w.result;
  g_assert_true (clap_client_download_finish (fx->client, first, &error));
  g_assert_no_error (error);

  dir = g_dir_open (fx->dir, 0, NULL);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_test_message ("%s", name);
      g_assert_true (g_str_equal (name, "shared.mp4") ||
                     g_str_equal (name, _CLAP_DOWNLOAD_LOCK_NAME));
    }
}

/* A process that holds a download's lock is killed with SIGKILL: the
 * kernel lets go of its lock, and the download goes ahead. */
static void
test_lock_dead_owner (Fixture       *fx,
                      gconstpointer  data)
{
  g_autofree char *path = g_build_filename (fx->dir, "orphan.mp4", NULL);
  g_autoptr(GSubprocess) owner = NULL;
  g_autoptr(GDataInputStream) out = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;

  owner = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error, self_exe,
                            "--hold-download-lock", path, NULL);
  g_assert_no_error (error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (owner));
  line = g_data_input_stream_read_line (out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (line, ==, "locked");

  g_assert_false (download (fx, "/clip.mp4", "orphan.mp4", CLAP_RESULT_MAX_BYTES, &error));
  g_assert_error (error, CLAP_CLIENT_ERROR, CLAP_CLIENT_ERROR_BUSY);
  g_clear_error (&error);

  g_subprocess_send_signal (owner, SIGKILL);
  g_assert_true (g_subprocess_wait (owner, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_signaled (owner));

  g_assert_true (download (fx, "/clip.mp4", "orphan.mp4", CLAP_RESULT_MAX_BYTES, &error));
  g_assert_no_error (error);
  g_assert_true (exists_in_dir (fx, "orphan.mp4"));
}

static void
write_file (Fixture    *fx,
            const char *name,
            const char *contents)
{
  g_autofree char *path = g_build_filename (fx->dir, name, NULL);

  g_assert_true (g_file_set_contents (path, contents, -1, NULL));
}

/* Lock files that older versions left (a process killed between moving a
 * result into place and removing its lock) are removed once nobody holds
 * them; a user's own files, and one an older Clapboard still holds, stay. */
static void
test_lock_stale_removed (Fixture       *fx,
                         gconstpointer  data)
{
  g_autofree char *held_path = g_build_filename (fx->dir, "held.mp4.lock", NULL);
  g_autoptr(GError) error = NULL;
  int fd;

  write_file (fx, "cl1.mp4", "a finished result");
  write_file (fx, "cl1.mp4.lock", "");
  write_file (fx, "cl1.jpg.lock", "");
  write_file (fx, "notes.lock", "");
  write_file (fx, "cl3.mp4.lock", "not a lock of ours");
  write_file (fx, "held.mp4.lock", "");
  fd = open (held_path, O_RDWR | O_CLOEXEC);
  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (flock (fd, LOCK_EX), ==, 0);

  g_assert_true (download (fx, "/clip.mp4", "new.mp4", CLAP_RESULT_MAX_BYTES, &error));
  g_assert_no_error (error);
  g_assert_false (exists_in_dir (fx, "cl1.mp4.lock"));
  g_assert_false (exists_in_dir (fx, "cl1.jpg.lock"));
  g_assert_true (exists_in_dir (fx, "cl1.mp4"));
  g_assert_true (exists_in_dir (fx, "notes.lock"));
  g_assert_true (exists_in_dir (fx, "cl3.mp4.lock"));
  g_assert_true (exists_in_dir (fx, "held.mp4.lock"));
  g_assert_false (exists_in_dir (fx, "new.mp4.lock"));

  /* an older Clapboard downloading held.mp4: this one waits its turn */
  g_assert_false (download (fx, "/clip.mp4", "held.mp4", CLAP_RESULT_MAX_BYTES, &error));
  g_assert_error (error, CLAP_CLIENT_ERROR, CLAP_CLIENT_ERROR_BUSY);
  g_assert_false (exists_in_dir (fx, "held.mp4.part"));
  g_clear_error (&error);

  /* once it is done, the stale file goes and the download goes ahead */
  close (fd);
  g_assert_true (download (fx, "/clip.mp4", "held.mp4", CLAP_RESULT_MAX_BYTES, &error));
  g_assert_no_error (error);
  g_assert_false (exists_in_dir (fx, "held.mp4.lock"));
}

/* Exchange records ------------------------------------------------------------ */

static char *
to_text (JsonNode *node)
{
  return json_to_string (node, FALSE);
}

/* A server that echoes the key finds it nowhere in the record; each body
 * is valid UTF-8 and capped. */
static void
test_exchange_redacted (Fixture       *fx,
                        gconstpointer  data)
{
  g_autofree char *base = g_strconcat (fx->base, "/echo", NULL);
  g_autofree char *fail_base = g_strconcat (fx->base, "/echo/fail", NULL);
  g_autoptr(ClapClient) client = client_for (fx, base, KEY);
  g_autoptr(ClapClient) failing = client_for (fx, fail_base, KEY);
  g_autoptr(ClapTaskInfo) info = NULL;
  g_autoptr(JsonNode) exchange = NULL;
  g_autoptr(JsonNode) failed = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  g_autofree char *failed_text = NULL;
  g_autofree char *url = NULL;
  JsonObject *object, *headers;
  const char *body;

  info = query (client, &exchange, &error);
  g_assert_no_error (error);
  g_assert_nonnull (info);
  g_assert_nonnull (exchange);

  text = to_text (exchange);
  g_test_message ("%.400s", text);
  g_assert_null (strstr (text, KEY));
  g_assert_null (strstr (text, "5f1e9a7c"));

  object = json_node_get_object (exchange);
  g_assert_cmpint (json_object_get_int_member (object, "time"), >, 1500000000000);
  g_assert_cmpstr (json_object_get_string_member (object, "method"), ==, "GET");
  url = g_strconcat (base, "/api/v1/video/generations?task_id=cl1", NULL);
  g_assert_cmpstr (json_object_get_string_member (object, "url"), ==, url);
  headers = json_object_get_object_member (object, "requestHeaders");
  g_assert_cmpstr (json_object_get_string_member (headers, "Authorization"), ==,
                   "Bearer [redacted]");
  g_assert_true (json_object_get_null_member (object, "requestBody"));
  g_assert_cmpint (json_object_get_int_member (object, "status"), ==, 200);
  body = json_object_get_string_member (object, "responseBody");
  g_assert_true (g_utf8_validate (body, -1, NULL));
  g_assert_cmpuint (strlen (body), <=, 64 * 1024);
  g_assert_true (g_str_has_prefix (body, "{\"code\":200,\"msg\":\"you sent Bearer [redacted]"));
  g_assert_nonnull (strstr (body, "bytes in all]"));
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (object, "redirects")),
                    ==, 0);
  g_assert_true (json_object_get_null_member (object, "error"));
  g_assert_cmpint (json_object_get_int_member (object, "durationMs"), >=, 0);

  /* a failed call: its error too, and each of its attempts */
  g_clear_pointer (&info, clap_task_info_free);
  info = query (failing, &failed, &error);
  g_assert_null (info);
  g_assert_error (error, CLAP_CLIENT_ERROR, CLAP_CLIENT_ERROR_SERVER);
  g_assert_cmpuint (count (fx, "/echo/fail/api/v1/video/generations"), ==, 4);
  failed_text = to_text (failed);
  g_assert_null (strstr (failed_text, KEY));
  object = json_node_get_object (failed);
  g_assert_cmpint (json_object_get_int_member (object, "status"), ==, 500);
  g_assert_nonnull (strstr (json_object_get_string_member (object, "error"), "HTTP 500"));
  body = json_object_get_string_member (object, "responseBody");
  g_assert_true (g_utf8_validate (body, -1, NULL));
  g_assert_cmpuint (strlen (body), <=, 64 * 1024);
  g_assert_nonnull (strstr (body, "you sent Bearer [redacted] \xef\xbf\xbd\xef\xbf\xbd "));
}

/* A download's record describes its body; an address's user name and
 * password are left out. */
static void
test_exchange_download (Fixture       *fx,
                        gconstpointer  data)
{
  g_autoptr(GUri) base = g_uri_parse (fx->base, G_URI_FLAGS_NONE, NULL);
  g_autofree char *url = g_strdup_printf ("http://someone:secret@127.0.0.1:%d/hops/1",
                                          g_uri_get_port (base));
  g_autofree char *path = g_build_filename (fx->dir, "clip.mp4", NULL);
  g_autofree char *expected = g_strdup_printf ("[%" G_GSIZE_FORMAT " bytes]",
                                               g_bytes_get_size (fx->clip));
  g_autoptr(JsonNode) exchange = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  JsonObject *object;

  g_assert_true (download_full (fx, url, path, CLAP_RESULT_MAX_BYTES, CLAP_DOWNLOAD_KIND_VIDEO,
                                &exchange, &error));
  g_assert_no_error (error);
  text = to_text (exchange);
  g_test_message ("%s", text);
  g_assert_null (strstr (text, "secret"));

  object = json_node_get_object (exchange);
  g_assert_cmpstr (json_object_get_string_member (object, "method"), ==, "GET");
  g_assert_true (g_str_has_suffix (json_object_get_string_member (object, "url"), "/hops/1"));
  g_assert_cmpint (json_object_get_int_member (object, "status"), ==, 200);
  g_assert_cmpstr (json_object_get_string_member (object, "responseBody"), ==, expected);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (object, "redirects")),
                    ==, 1);
  /* the service's own origin: the key went, and the record hides it */
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (object,
                                                                                 "requestHeaders"),
                                                  "Authorization"), ==, "Bearer [redacted]");
  g_assert_null (strstr (text, KEY));
}

/* Check Connection ------------------------------------------------------------ */

static gboolean
check (ClapClient  *client,
       guint       *round_trip_ms,
       guint       *status,
       GError     **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  Wait w = { 0 };

  clap_client_check_async (client, NULL, store_result, &w);
  wait_until (&w.done);
  result = w.result;
  return clap_client_check_finish (client, result, round_trip_ms, status, error);
}

/* Each answer a check can get, one GET each, never a POST, never again. */
static void
test_check_answers (Fixture       *fx,
                    gconstpointer  data)
{
  const struct {
    const char *route;
    gboolean    ok;
    gint        code;
    guint       status;
  } cases[] = {
    { "/check-400", TRUE, 0, 400 },
    { "/check-401-envelope", FALSE, CLAP_CLIENT_ERROR_UNAUTHORIZED, 200 },
    { "/check-404-html", FALSE, CLAP_CLIENT_ERROR_PROTOCOL, 404 },
    { "/check-500", FALSE, CLAP_CLIENT_ERROR_SERVER, 500 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *base = g_strconcat (fx->base, cases[i].route, NULL);
      g_autofree char *path = g_strconcat (cases[i].route, "/api/v1/video/generations", NULL);
      g_autoptr(ClapClient) client = client_for (fx, base, KEY);
      g_autoptr(GError) error = NULL;
      guint round_trip = G_MAXUINT, status = 0;

      g_test_message ("%s", cases[i].route);
      g_assert_true (check (client, &round_trip, &status, &error) == cases[i].ok);
      if (cases[i].ok)
        g_assert_no_error (error);
      else
        g_assert_error (error, CLAP_CLIENT_ERROR, cases[i].code);
      g_assert_cmpuint (status, ==, cases[i].status);
      g_assert_cmpuint (round_trip, <, 60 * 1000);
      g_assert_cmpuint (count (fx, path), ==, 1);
    }

  g_assert_cmpuint (fx->n_requests, ==, G_N_ELEMENTS (cases));
  g_assert_cmpuint (fx->n_posts, ==, 0);
}

/* Nothing listens: the error says so, with no status and no time. */
static void
test_check_unreachable (Fixture       *fx,
                        gconstpointer  data)
{
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(ClapClient) client = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *base = NULL;
  guint round_trip = 1, status = 1;

  /* A port bound, never listened on */
  socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);
  g_assert_true (g_socket_bind (socket, address, TRUE, NULL));
  bound = g_socket_get_local_address (socket, NULL);
  base = g_strdup_printf ("http://127.0.0.1:%u",
                          g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));
  client = client_for (fx, base, KEY);

  g_assert_false (check (client, &round_trip, &status, &error));
  g_assert_error (error, CLAP_CLIENT_ERROR, CLAP_CLIENT_ERROR_NETWORK);
  g_assert_cmpuint (status, ==, 0);
  g_assert_cmpuint (round_trip, ==, 0);
  /* once, not retried */
  g_assert_cmpuint (fx->queued->len, ==, 1);
}

/* A child that takes a download's lock and waits to be killed. */
static int
hold_download_lock (const char *path)
{
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GError) error = NULL;
  int fd = _clap_download_lock (file, &error);

  if (fd < 0)
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }

  g_print ("locked\n");
  fflush (stdout);
  for (;;)
    pause ();
}

int
main (int argc, char *argv[])
{
  if (argc == 3 && g_str_equal (argv[1], "--hold-download-lock"))
    return hold_download_lock (argv[2]);

  self_exe = g_file_read_link ("/proc/self/exe", NULL);
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/core/transport/" path, Fixture, NULL, setup, func, teardown)

  ADD ("answer/too-large-by-length", test_answer_too_large_by_length);
  ADD ("answer/endless", test_answer_endless);
  ADD ("redirect/insecure-download", test_redirect_insecure_download);
  ADD ("redirect/insecure-query", test_redirect_insecure_query);
  ADD ("redirect/too-many", test_redirect_too_many);
  ADD ("redirect/https-to-loopback", test_redirect_https_to_loopback);
  ADD ("download/over-cap", test_download_over_cap);
  ADD ("download/endless", test_download_endless);
  ADD ("download/not-video", test_download_not_video);
  ADD ("download/resumed-junk", test_download_resumed_junk);
  ADD ("download/part-link", test_download_part_link);
  ADD ("download/picture-kind", test_download_picture_kind);
  ADD ("download/disk-reserve", test_download_disk_reserve);
  ADD ("download/disk-fills", test_download_disk_fills);
  ADD ("lock/busy", test_lock_busy);
  ADD ("lock/dead-owner", test_lock_dead_owner);
  ADD ("lock/stale-removed", test_lock_stale_removed);
  ADD ("exchange/redacted", test_exchange_redacted);
  ADD ("exchange/download", test_exchange_download);
  ADD ("check/answers", test_check_answers);
  ADD ("check/unreachable", test_check_unreachable);

  return g_test_run ();
}
