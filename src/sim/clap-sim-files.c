/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clap-sim-files"

#include "config.h"

#include <errno.h>
#include <string.h>

#include <glib/gstdio.h>

#include "clap-sim-server-private.h"

/* The upload state of one PUT, filled while its body streams in. */
typedef struct {
  ClapSimFault   fault;
  guint          error_status;
  const char    *error_code;
  char          *error_message;
  char          *file_id;
  char          *part_path;
  GOutputStream *out;
  GChecksum     *md5;
  goffset        expected;
  goffset        received;
} Put;

static const char *allowed_types[] = {
  "image/png", "image/jpeg", "video/mp4", "video/quicktime", NULL
};

static const struct {
  const char *suffix;
  const char *content_type;
} suffix_types[] = {
  { ".png", "image/png" },
  { ".jpg", "image/jpeg" },
  { ".jpeg", "image/jpeg" },
  { ".mp4", "video/mp4" },
  { ".mov", "video/quicktime" },
};

void
_clap_sim_file_free (ClapSimFile *file)
{
  g_free (file->id);
  g_free (file->name);
  g_free (file->content_type);
  g_free (file->path);
  g_free (file);
}

void
_clap_sim_upload_slot_free (ClapSimUploadSlot *slot)
{
  g_free (slot->token);
  g_free (slot->file_id);
  g_free (slot->signature);
  g_free (slot);
}

static void
put_free (Put *put)
{
  if (put->out != NULL)
    {
      g_output_stream_close (put->out, NULL, NULL);
      g_object_unref (put->out);
    }

  /* A part file still here belongs to an upload that did not complete. */
  if (put->part_path != NULL)
    g_unlink (put->part_path);

  g_free (put->error_message);
  g_free (put->file_id);
  g_free (put->part_path);
  g_clear_pointer (&put->md5, g_checksum_free);
  g_free (put);
}

static gboolean
content_type_allowed (const char *content_type)
{
  return content_type != NULL && g_strv_contains (allowed_types, content_type);
}

/* Keeps the last path element of a client's file name, or NULL when
 * nothing usable is left. */
static char *
sanitize_filename (const char *filename)
{
  g_autofree char *base = g_path_get_basename (filename);
  const char *backslash = strrchr (base, '\\');
  const char *name = backslash != NULL ? backslash + 1 : base;

  if (*name == '\0' || g_str_equal (name, ".") || g_str_equal (name, "..") ||
      g_str_equal (name, "/") || strlen (name) > 255 || !g_utf8_validate (name, -1, NULL))
    return NULL;

  return g_strdup (name);
}

static char *
public_url (ClapSimServer *self,
            ClapSimFile   *file)
{
  g_autofree char *escaped = g_uri_escape_string (file->name, NULL, FALSE);

  return g_strdup_printf ("%s/files/%s/%s", self->base_url, file->id, escaped);
}

static char *
sign_upload (ClapSimServer *self,
             const char    *token,
             const char    *content_type,
             goffset        size,
             gint64         expires_ms)
{
  g_autofree char *text = NULL;

  /* Like a presigned S3 URL, the signature covers the Content-Type. */
  text = g_strdup_printf ("PUT\n%s\n%s\n%" G_GINT64_FORMAT "\n%" G_GINT64_FORMAT,
                          token, content_type ? content_type : "", (gint64)size, expires_ms);

  return g_compute_hmac_for_string (G_CHECKSUM_SHA256, self->secret, sizeof self->secret,
                                    text, -1);
}

static ClapSimFile *
file_new (ClapSimServer *self,
          const char    *name,
          const char    *content_type,
          goffset        size)
{
  ClapSimFile *file = g_new0 (ClapSimFile, 1);

  do
    {
      g_free (file->id);
      file->id = _clap_sim_server_random_id ("", 16);
    }
  while (g_hash_table_contains (self->files, file->id));

  file->name = g_strdup (name);
  file->content_type = g_strdup (content_type);
  file->size = size;
  file->path = _clap_sim_server_data_path (self, "files", file->id);
  g_hash_table_insert (self->files, file->id, file);

  return file;
}

static ClapSimFile *
lookup_file_path (ClapSimServer *self,
                  const char    *path)
{
  g_autofree char *id = NULL;
  const char *rest;
  const char *slash;
  ClapSimFile *file;

  if (!g_str_has_prefix (path, "/files/"))
    return NULL;

  rest = path + strlen ("/files/");
  if ((slash = strchr (rest, '/')) == NULL)
    return NULL;

  id = g_strndup (rest, slash - rest);
  file = g_hash_table_lookup (self->files, id);

  if (file == NULL || !g_str_equal (slash + 1, file->name))
    return NULL;

  return file;
}

/* Tells whether @uri is one of this simulator's own publicUrls, and if so
 * returns its file (NULL when no such upload exists). */
ClapSimFile *
_clap_sim_server_lookup_own_url (ClapSimServer *self,
                                 GUri          *uri,
                                 gboolean      *is_own)
{
  const char *host = g_uri_get_host (uri);

  *is_own = FALSE;

  if (self->port == 0 || g_ascii_strcasecmp (g_uri_get_scheme (uri), "http") != 0 ||
      host == NULL ||
      !(g_str_equal (host, "127.0.0.1") || g_ascii_strcasecmp (host, "localhost") == 0) ||
      g_uri_get_port (uri) != (int)self->port ||
      !g_str_has_prefix (g_uri_get_path (uri), "/files/"))
    return NULL;

  *is_own = TRUE;

  return lookup_file_path (self, g_uri_get_path (uri));
}

static gboolean
is_expired (gint64 since_us,
            gint64 ttl_us)
{
  return g_get_real_time () - since_us > ttl_us;
}

static char *
format_iso8601 (gint64 real_time_us)
{
  g_autoptr(GDateTime) time = g_date_time_new_from_unix_utc (real_time_us / G_USEC_PER_SEC);

  return g_date_time_format (time, "%Y-%m-%dT%H:%M:%SZ");
}

static void
handle_files_json (ClapSimServer     *self,
                   SoupServerMessage *msg,
                   ClapSimFault       fault)
{
  g_autoptr(JsonObject) params = _clap_sim_parse_json_object (msg);
  g_autoptr(JsonObject) data = NULL;
  g_autofree char *name = NULL;
  g_autofree char *upload_url = NULL;
  g_autofree char *file_url = NULL;
  g_autofree char *expires_text = NULL;
  ClapSimUploadSlot *slot;
  ClapSimFile *file;
  const char *filename;
  const char *content_type;
  JsonNode *size_node;
  gint64 size;
  gint64 expires_at;

  if (params == NULL)
    {
      _clap_sim_server_respond_error (self, msg, SOUP_STATUS_BAD_REQUEST,
                                      "Request body must be a JSON object");
      return;
    }

  filename = json_object_get_string_member_with_default (params, "filename", NULL);
  content_type = json_object_get_string_member_with_default (params, "contentType", NULL);
  size_node = json_object_get_member (params, "fileSize");

  if (filename == NULL || *filename == '\0')
    {
      _clap_sim_server_respond_error (self, msg, SOUP_STATUS_BAD_REQUEST, "filename is required");
      return;
    }

  if ((name = sanitize_filename (filename)) == NULL)
    {
      _clap_sim_server_respond_error (self, msg, SOUP_STATUS_BAD_REQUEST,
                                      "filename is not a usable file name");
      return;
    }

  if (content_type == NULL)
    {
      _clap_sim_server_respond_error (self, msg, SOUP_STATUS_BAD_REQUEST,
                                      "contentType is required");
      return;
    }

  if (!content_type_allowed (content_type))
    {
      _clap_sim_server_respond_error (self, msg, SOUP_STATUS_BAD_REQUEST,
                               "contentType must be image/png, image/jpeg, video/mp4 or "
                               "video/quicktime (got \"%s\")", content_type);
      return;
    }

  if (size_node == NULL || !JSON_NODE_HOLDS_VALUE (size_node) ||
      json_node_get_value_type (size_node) != G_TYPE_INT64 ||
      (size = json_node_get_int (size_node)) <= 0)
    {
      _clap_sim_server_respond_error (self, msg, SOUP_STATUS_BAD_REQUEST,
                                      "fileSize must be a positive integer");
      return;
    }

  if (size > CLAP_SIM_MAX_FILE_SIZE)
    {
      _clap_sim_server_respond_error (self, msg, SOUP_STATUS_BAD_REQUEST,
                               "fileSize is %" G_GINT64_FORMAT " bytes, more than 100 MB", size);
      return;
    }

  file = file_new (self, name, content_type, size);
  expires_at = g_get_real_time () + (gint64)self->upload_url_ttl_ms * 1000;

  slot = g_new0 (ClapSimUploadSlot, 1);
  do
    {
      g_free (slot->token);
      slot->token = _clap_sim_server_random_id ("", 32);
    }
  while (g_hash_table_contains (self->uploads, slot->token));
  slot->file_id = g_strdup (file->id);
  slot->expires_at = expires_at;
  slot->signature = sign_upload (self, slot->token, content_type, size, expires_at / 1000);
  g_hash_table_insert (self->uploads, slot->token, slot);

  upload_url = g_strdup_printf ("%s/upload/%s?X-Expires=%" G_GINT64_FORMAT "&X-Sig=%s",
                                self->base_url, slot->token, expires_at / 1000, slot->signature);
  file_url = public_url (self, file);
  expires_text = format_iso8601 (expires_at);

  data = json_object_new ();
  json_object_set_string_member (data, "uploadUrl", upload_url);
  json_object_set_string_member (data, "publicUrl", file_url);
  json_object_set_string_member (data, "expiresAt", expires_text);
  _clap_sim_server_respond_success (self, msg, data);

  _clap_sim_fault_finish (self, msg, fault, NULL);
}

static void
handle_files_multipart (ClapSimServer     *self,
                        SoupServerMessage *msg,
                        ClapSimFault       fault)
{
  SoupMessageBody *request_body = soup_server_message_get_request_body (msg);
  g_autoptr(GBytes) bytes = soup_message_body_flatten (request_body);
  g_autoptr(SoupMultipart) multipart = NULL;
  g_autoptr(JsonObject) data = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *name = NULL;
  g_autofree char *file_url = NULL;
  GBytes *part_body = NULL;
  const char *content_type = NULL;
  ClapSimFile *file;

  multipart = soup_multipart_new_from_message (soup_server_message_get_request_headers (msg), bytes);
  if (multipart == NULL)
    {
      _clap_sim_server_respond_error (self, msg, SOUP_STATUS_BAD_REQUEST,
                                      "The multipart body could not be read");
      return;
    }

  for (int i = 0; i < soup_multipart_get_length (multipart); i++)
    {
      SoupMessageHeaders *headers;
      g_autoptr(GHashTable) params = NULL;
      GBytes *body;

      if (!soup_multipart_get_part (multipart, i, &headers, &body) ||
          !soup_message_headers_get_content_disposition (headers, NULL, &params) ||
          g_strcmp0 (g_hash_table_lookup (params, "name"), "file") != 0)
        continue;

      part_body = body;
      content_type = soup_message_headers_get_content_type (headers, NULL);
      name = sanitize_filename (g_hash_table_lookup (params, "filename") ?: "");
      break;
    }

  if (part_body == NULL)
    {
      _clap_sim_server_respond_error (self, msg, SOUP_STATUS_BAD_REQUEST,
                                      "The multipart field \"file\" is required");
      return;
    }

  if (name == NULL)
    {
      _clap_sim_server_respond_error (self, msg, SOUP_STATUS_BAD_REQUEST,
                                      "The file part needs a filename");
      return;
    }

  /* Browsers and curl often send application/octet-stream: go by name. */
  if (content_type == NULL || g_str_equal (content_type, "application/octet-stream"))
    {
      g_autofree char *lower = g_ascii_strdown (name, -1);

      for (guint i = 0; i < G_N_ELEMENTS (suffix_types); i++)
        {
          if (g_str_has_suffix (lower, suffix_types[i].suffix))
            content_type = suffix_types[i].content_type;
        }
    }

  if (!content_type_allowed (content_type))
    {
      _clap_sim_server_respond_error (self, msg, SOUP_STATUS_BAD_REQUEST,
                               "The file must be image/png, image/jpeg, video/mp4 or "
                               "video/quicktime (got \"%s\")",
                               content_type ? content_type : "no type");
      return;
    }

  if (g_bytes_get_size (part_body) == 0)
    {
      _clap_sim_server_respond_error (self, msg, SOUP_STATUS_BAD_REQUEST, "The file is empty");
      return;
    }

  if ((gint64)g_bytes_get_size (part_body) > CLAP_SIM_MAX_FILE_SIZE)
    {
      _clap_sim_server_respond_error (self, msg, SOUP_STATUS_BAD_REQUEST,
                                      "The file is larger than 100 MB");
      return;
    }

  file = file_new (self, name, content_type, g_bytes_get_size (part_body));
  if (!g_file_set_contents (file->path, g_bytes_get_data (part_body, NULL),
                            g_bytes_get_size (part_body), &error))
    {
      _clap_sim_server_respond_error (self, msg, SOUP_STATUS_INTERNAL_SERVER_ERROR,
                                      "%s", error->message);
      return;
    }
  file->uploaded_at = g_get_real_time ();

  file_url = public_url (self, file);
  data = json_object_new ();
  json_object_set_string_member (data, "publicUrl", file_url);
  _clap_sim_server_respond_success (self, msg, data);

  _clap_sim_fault_finish (self, msg, fault, NULL);
}

/* `POST /api/v1/files`: JSON for a presigned PUT, or multipart for a small
 * file sent at once. */
void
_clap_sim_files_handler (SoupServer        *server,
                         SoupServerMessage *msg,
                         const char        *path,
                         GHashTable        *query,
                         gpointer           user_data)
{
  ClapSimServer *self = user_data;
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  const char *content_type;
  ClapSimFault fault;

  if (!g_str_equal (path, "/api/v1/files"))
    {
      _clap_sim_server_respond_error (self, msg, SOUP_STATUS_NOT_FOUND, "Not found");
      return;
    }

  _clap_sim_server_count_request (self, CLAP_SIM_ENDPOINT_FILES);
  fault = _clap_sim_server_take_fault (self, CLAP_SIM_ENDPOINT_FILES);

  if (_clap_sim_fault_answer (self, msg, fault) || !_clap_sim_server_check_auth (self, msg, NULL))
    return;

  if (soup_server_message_get_method (msg) != SOUP_METHOD_POST)
    {
      _clap_sim_server_respond_error (self, msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "Use POST");
      return;
    }

  content_type = soup_message_headers_get_content_type (headers, NULL);
  if (content_type != NULL && g_ascii_strcasecmp (content_type, "multipart/form-data") == 0)
    handle_files_multipart (self, msg, fault);
  else
    handle_files_json (self, msg, fault);
}

static void
put_refuse (Put        *put,
            guint       status,
            const char *code,
            const char *format,
            ...) G_GNUC_PRINTF (4, 5);

static void
put_refuse (Put        *put,
            guint       status,
            const char *code,
            const char *format,
            ...)
{
  va_list args;

  if (put->error_status != 0)
    return;

  put->error_status = status;
  put->error_code = code;
  va_start (args, format);
  put->error_message = g_strdup_vprintf (format, args);
  va_end (args);

  if (put->out != NULL)
    {
      g_output_stream_close (put->out, NULL, NULL);
      g_clear_object (&put->out);
    }
}

static void
put_got_chunk_cb (SoupServerMessage *msg,
                  GBytes            *chunk,
                  Put               *put)
{
  g_autoptr(GError) error = NULL;
  gsize size;
  const guint8 *data = g_bytes_get_data (chunk, &size);

  put->received += size;

  if (put->out == NULL)
    return;

  if (put->received > put->expected)
    {
      put_refuse (put, SOUP_STATUS_BAD_REQUEST, "InvalidRequest",
                  "The body is larger than the declared fileSize %" G_GINT64_FORMAT,
                  (gint64)put->expected);
      return;
    }

  g_checksum_update (put->md5, data, size);
  if (!g_output_stream_write_all (put->out, data, size, NULL, NULL, &error))
    put_refuse (put, SOUP_STATUS_INTERNAL_SERVER_ERROR, "InternalError", "%s", error->message);
}

/* Runs on the headers of a PUT, before its body: the body streams to disk
 * as it arrives instead of being held in memory. */
void
_clap_sim_upload_early_handler (SoupServer        *server,
                                SoupServerMessage *msg,
                                const char        *path,
                                GHashTable        *query,
                                gpointer           user_data)
{
  ClapSimServer *self = user_data;
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  const char *token = path + strlen ("/upload");
  const char *signature = query != NULL ? g_hash_table_lookup (query, "X-Sig") : NULL;
  const char *expires = query != NULL ? g_hash_table_lookup (query, "X-Expires") : NULL;
  const char *content_type = soup_message_headers_get_one (headers, "Content-Type");
  g_autoptr(GFile) part = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *expected_signature = NULL;
  ClapSimUploadSlot *slot;
  ClapSimFile *file;
  Put *put;

  soup_message_body_set_accumulate (soup_server_message_get_request_body (msg), FALSE);

  put = g_new0 (Put, 1);
  g_object_set_data_full (G_OBJECT (msg), "clap-sim-put", put, (GDestroyNotify)put_free);

  _clap_sim_server_count_request (self, CLAP_SIM_ENDPOINT_UPLOAD_PUT);
  put->fault = _clap_sim_server_take_fault (self, CLAP_SIM_ENDPOINT_UPLOAD_PUT);
  if (_clap_sim_fault_is_immediate (put->fault))
    return;

  if (*token == '/')
    token++;

  if (soup_server_message_get_method (msg) != SOUP_METHOD_PUT)
    {
      put_refuse (put, SOUP_STATUS_METHOD_NOT_ALLOWED, "MethodNotAllowed",
                  "The upload URL takes a PUT");
      return;
    }

  slot = g_hash_table_lookup (self->uploads, token);
  if (slot == NULL || signature == NULL || expires == NULL)
    {
      put_refuse (put, SOUP_STATUS_FORBIDDEN, "SignatureDoesNotMatch",
                  "The request signature we calculated does not match the signature you "
                  "provided.");
      return;
    }

  if (g_get_real_time () > slot->expires_at)
    {
      put_refuse (put, SOUP_STATUS_FORBIDDEN, "AccessDenied", "Request has expired");
      return;
    }

  file = g_hash_table_lookup (self->files, slot->file_id);
  expected_signature = sign_upload (self, token, content_type, file->size,
                                    g_ascii_strtoll (expires, NULL, 10));

  if (!g_str_equal (expected_signature, signature))
    {
      put_refuse (put, SOUP_STATUS_FORBIDDEN, "SignatureDoesNotMatch",
                  "The request signature we calculated does not match the signature you "
                  "provided. Check your key and signing method (the Content-Type must be "
                  "the one declared).");
      return;
    }

  put->file_id = g_strdup (file->id);
  put->expected = file->size;

  if (soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH &&
      soup_message_headers_get_content_length (headers) != file->size)
    {
      put_refuse (put, SOUP_STATUS_BAD_REQUEST, "InvalidRequest",
                  "Content-Length %" G_GINT64_FORMAT " does not match the declared fileSize %"
                  G_GINT64_FORMAT, soup_message_headers_get_content_length (headers),
                  (gint64)file->size);
      return;
    }

  put->part_path = g_strconcat (file->path, ".part", NULL);
  part = g_file_new_for_path (put->part_path);
  put->out = G_OUTPUT_STREAM (g_file_replace (part, NULL, FALSE, G_FILE_CREATE_PRIVATE,
                                              NULL, &error));
  if (put->out == NULL)
    {
      put_refuse (put, SOUP_STATUS_INTERNAL_SERVER_ERROR, "InternalError", "%s", error->message);
      return;
    }

  put->md5 = g_checksum_new (G_CHECKSUM_MD5);
  g_signal_connect (msg, "got-chunk", G_CALLBACK (put_got_chunk_cb), put);
}

/* Runs once the PUT's body has been read. */
void
_clap_sim_upload_handler (SoupServer        *server,
                          SoupServerMessage *msg,
                          const char        *path,
                          GHashTable        *query,
                          gpointer           user_data)
{
  ClapSimServer *self = user_data;
  Put *put = g_object_get_data (G_OBJECT (msg), "clap-sim-put");
  g_autoptr(GError) error = NULL;
  g_autofree char *etag = NULL;
  ClapSimFile *file = NULL;

  g_return_if_fail (put != NULL);

  if (_clap_sim_fault_answer (self, msg, put->fault))
    return;

  if (put->error_status == 0)
    {
      /* The early handler accepted this PUT, so its file exists. */
      file = g_hash_table_lookup (self->files, put->file_id);
      g_assert (file != NULL);

      if (put->received != put->expected)
        put_refuse (put, SOUP_STATUS_BAD_REQUEST, "IncompleteBody",
                    "The body has %" G_GINT64_FORMAT " bytes, the declared fileSize is %"
                    G_GINT64_FORMAT, (gint64)put->received, (gint64)put->expected);
      else if (!g_output_stream_close (put->out, NULL, &error))
        put_refuse (put, SOUP_STATUS_INTERNAL_SERVER_ERROR, "InternalError", "%s",
                    error->message);
      else if (g_rename (put->part_path, file->path) != 0)
        put_refuse (put, SOUP_STATUS_INTERNAL_SERVER_ERROR, "InternalError", "%s",
                    g_strerror (errno));
    }

  if (put->error_status != 0)
    {
      _clap_sim_respond_storage_error (msg, put->error_status, put->error_code,
                                       put->error_message);
      return;
    }

  g_clear_pointer (&put->part_path, g_free);
  file->uploaded_at = g_get_real_time ();

  etag = g_strdup_printf ("\"%s\"", g_checksum_get_string (put->md5));
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "ETag", etag);
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);

  _clap_sim_fault_finish (self, msg, put->fault, NULL);
}

/* Parses a single "bytes=" range. Returns 1 for a range, 0 to answer the
 * whole file (none, several or malformed), -1 when it is unsatisfiable. */
static int
parse_range (const char *header,
             goffset     total,
             goffset    *start,
             goffset    *end)
{
  const char *spec;
  char *rest;
  guint64 first;
  guint64 last;

  if (header == NULL || !g_str_has_prefix (header, "bytes="))
    return 0;

  spec = header + strlen ("bytes=");
  if (strchr (spec, ',') != NULL)
    return 0;

  if (*spec == '-')
    {
      guint64 suffix = g_ascii_strtoull (spec + 1, &rest, 10);

      if (rest == spec + 1 || *rest != '\0')
        return 0;
      if (suffix == 0 || total == 0)
        return -1;

      *start = suffix >= (guint64)total ? 0 : total - suffix;
      *end = total - 1;
      return 1;
    }

  first = g_ascii_strtoull (spec, &rest, 10);
  if (rest == spec || *rest != '-')
    return 0;

  spec = rest + 1;
  if (*spec == '\0')
    last = G_MAXINT64;
  else
    {
      last = g_ascii_strtoull (spec, &rest, 10);
      if (rest == spec || *rest != '\0' || last < first)
        return 0;
    }

  if (first >= (guint64)total)
    return -1;

  *start = first;
  *end = MIN (last, (guint64)total - 1);
  return 1;
}

/* Answers a file from disk, mapped rather than read so that a 200 MB
 * result costs no memory, with `Range: bytes=` for resumed downloads. */
static void
serve_file (SoupServerMessage *msg,
            const char        *path,
            const char        *content_type)
{
  SoupMessageHeaders *request_headers = soup_server_message_get_request_headers (msg);
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  SoupMessageBody *body = soup_server_message_get_response_body (msg);
  g_autoptr(GMappedFile) mapped = NULL;
  g_autoptr(GBytes) bytes = NULL;
  goffset start = 0;
  goffset end = 0;
  goffset total;

  if (path == NULL || (mapped = g_mapped_file_new (path, FALSE, NULL)) == NULL)
    {
      _clap_sim_respond_storage_error (msg, SOUP_STATUS_NOT_FOUND, "NoSuchKey",
                                       "The specified key does not exist.");
      return;
    }

  bytes = g_mapped_file_get_bytes (mapped);
  total = g_bytes_get_size (bytes);

  soup_message_headers_replace (headers, "Accept-Ranges", "bytes");
  soup_message_headers_set_content_type (headers, content_type, NULL);
  soup_message_body_truncate (body);

  switch (parse_range (soup_message_headers_get_one (request_headers, "Range"), total,
                       &start, &end))
    {
    case 1:
      {
        g_autoptr(GBytes) range = g_bytes_new_from_bytes (bytes, start, end - start + 1);

        soup_server_message_set_status (msg, SOUP_STATUS_PARTIAL_CONTENT, NULL);
        soup_message_headers_set_content_range (headers, start, end, total);
        soup_message_body_append_bytes (body, range);
      }
      break;

    case -1:
      {
        g_autofree char *range = g_strdup_printf ("bytes */%" G_GINT64_FORMAT, (gint64)total);

        soup_server_message_set_status (msg, SOUP_STATUS_REQUESTED_RANGE_NOT_SATISFIABLE, NULL);
        soup_message_headers_replace (headers, "Content-Range", range);
      }
      break;

    default:
      soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
      soup_message_body_append_bytes (body, bytes);
      break;
    }
}

static gboolean
check_get (SoupServerMessage *msg)
{
  const char *method = soup_server_message_get_method (msg);

  if (method == SOUP_METHOD_GET || method == SOUP_METHOD_HEAD)
    return TRUE;

  _clap_sim_respond_storage_error (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "MethodNotAllowed",
                                   "Use GET");
  return FALSE;
}

/* `GET /files/ID/NAME`: an uploaded file, public once its PUT completed. */
void
_clap_sim_file_get_handler (SoupServer        *server,
                            SoupServerMessage *msg,
                            const char        *path,
                            GHashTable        *query,
                            gpointer           user_data)
{
  ClapSimServer *self = user_data;
  ClapSimFault fault;
  ClapSimFile *file;

  _clap_sim_server_count_request (self, CLAP_SIM_ENDPOINT_FILE_GET);
  fault = _clap_sim_server_take_fault (self, CLAP_SIM_ENDPOINT_FILE_GET);

  if (_clap_sim_fault_answer (self, msg, fault) || !check_get (msg))
    return;

  file = lookup_file_path (self, path);
  if (file == NULL || file->uploaded_at == 0)
    {
      _clap_sim_respond_storage_error (msg, SOUP_STATUS_NOT_FOUND, "NoSuchKey",
                                       "The specified key does not exist.");
      return;
    }

  if (is_expired (file->uploaded_at, CLAP_SIM_PUBLIC_URL_TTL_US))
    {
      _clap_sim_respond_storage_error (msg, SOUP_STATUS_FORBIDDEN, "AccessDenied",
                                       "Request has expired");
      return;
    }

  serve_file (msg, file->path, file->content_type);
  _clap_sim_fault_finish (self, msg, fault, NULL);
}

/* `GET /results/ID.mp4` and `/results/ID.jpg`: public, CDN-style links. */
void
_clap_sim_results_handler (SoupServer        *server,
                           SoupServerMessage *msg,
                           const char        *path,
                           GHashTable        *query,
                           gpointer           user_data)
{
  ClapSimServer *self = user_data;
  g_autofree char *id = NULL;
  const char *name = path + strlen ("/results");
  ClapSimEndpoint endpoint;
  ClapSimFault fault;
  ClapSimTask *task;
  gboolean video;

  if (*name == '/')
    name++;

  if (g_str_has_suffix (name, ".mp4"))
    video = TRUE;
  else if (g_str_has_suffix (name, ".jpg"))
    video = FALSE;
  else
    {
      _clap_sim_respond_storage_error (msg, SOUP_STATUS_NOT_FOUND, "NoSuchKey",
                                       "The specified key does not exist.");
      return;
    }

  id = g_strndup (name, strlen (name) - strlen (".mp4"));
  endpoint = video ? CLAP_SIM_ENDPOINT_RESULT_GET : CLAP_SIM_ENDPOINT_THUMBNAIL_GET;

  _clap_sim_server_count_request (self, endpoint);
  fault = _clap_sim_server_take_fault (self, endpoint);

  if (_clap_sim_fault_answer (self, msg, fault) || !check_get (msg))
    return;

  task = _clap_sim_server_lookup_task (self, id);
  if (task == NULL || task->state != CLAP_SIM_STATE_COMPLETED ||
      task->keywords.download_status == SOUP_STATUS_NOT_FOUND)
    {
      _clap_sim_respond_storage_error (msg, SOUP_STATUS_NOT_FOUND, "NoSuchKey",
                                       "The specified key does not exist.");
      return;
    }

  if (task->keywords.download_status == SOUP_STATUS_FORBIDDEN ||
      (self->result_ttl_ms > 0 &&
       g_get_monotonic_time () - task->complete_mono > (gint64)self->result_ttl_ms * 1000))
    {
      _clap_sim_respond_storage_error (msg, SOUP_STATUS_FORBIDDEN, "AccessDenied",
                                       "Request has expired");
      return;
    }

  serve_file (msg, video ? task->video_path : task->thumbnail_path,
              video ? "video/mp4" : "image/jpeg");
  _clap_sim_fault_finish (self, msg, fault, NULL);
}
