/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-sim-files"

#include "config.h"

#include <string.h>

#include "clap-sim-server-private.h"
#include "sim-test-util.h"

#define FILES "/api/v1/files"

static JsonObject *
request_upload (SimFixture *fx,
                const char *filename,
                const char *content_type,
                gsize       size)
{
  g_autofree char *body = g_strdup_printf ("{\"filename\":\"%s\",\"contentType\":\"%s\","
                                           "\"fileSize\":%" G_GSIZE_FORMAT "}",
                                           filename, content_type, size);
  g_autoptr(SimResponse) response = sim_request (fx, "POST", FILES, SIM_KEY, body);

  return json_object_ref (sim_response_data (response));
}

static SimResponse *
put (SimFixture *fx,
     const char *url,
     const char *content_type,
     GBytes     *bytes)
{
  g_autoptr(SoupMessage) msg = sim_message_new (fx, "PUT", url, NULL);

  soup_message_set_request_body_from_bytes (msg, content_type, bytes);
  return sim_send (fx, msg);
}

static void
assert_storage_error (SimResponse *response,
                      guint        status,
                      const char  *code)
{
  g_autofree char *element = g_strdup_printf ("<Code>%s</Code>", code);

  g_assert_no_error (response->error);
  g_assert_cmpuint (response->status, ==, status);
  g_assert_cmpstr (soup_message_headers_get_content_type (response->headers, NULL), ==,
                   "application/xml");
  if (strstr (sim_response_text (response), element) == NULL)
    g_error ("Expected %s in %s", element, sim_response_text (response));
}

static void
test_files_json_and_put (SimFixture    *fx,
                         gconstpointer  data)
{
  g_autoptr(GBytes) bytes = sim_pattern_bytes (70000);
  g_autoptr(JsonObject) upload = request_upload (fx, "my ref.png", "image/png", 70000);
  const char *upload_url = json_object_get_string_member (upload, "uploadUrl");
  const char *public_url = json_object_get_string_member (upload, "publicUrl");
  const char *expires_at = json_object_get_string_member (upload, "expiresAt");
  g_autofree char *upload_prefix = g_strconcat (fx->base, "/upload/", NULL);
  g_autofree char *public_prefix = g_strconcat (fx->base, "/files/", NULL);
  g_autoptr(GDateTime) expires = g_date_time_new_from_iso8601 (expires_at, NULL);
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autoptr(SimResponse) before = NULL;
  g_autoptr(SimResponse) stored = NULL;
  g_autoptr(SimResponse) after = NULL;
  g_autofree char *md5 = NULL;
  g_autofree char *etag = NULL;
  GTimeSpan valid_for;

  g_assert_true (g_str_has_prefix (upload_url, upload_prefix));
  g_assert_nonnull (strstr (upload_url, "X-Sig="));
  g_assert_true (g_str_has_prefix (public_url, public_prefix));
  g_assert_true (g_str_has_suffix (public_url, "/my%20ref.png"));

  /* The upload URL is valid ten minutes. */
  g_assert_nonnull (expires);
  valid_for = g_date_time_difference (expires, now);
  g_assert_cmpint (valid_for, >, 9 * G_TIME_SPAN_MINUTE);
  g_assert_cmpint (valid_for, <=, 10 * G_TIME_SPAN_MINUTE);

  /* Not public before its PUT completes. */
  before = sim_request (fx, "GET", public_url, NULL, NULL);
  assert_storage_error (before, SOUP_STATUS_NOT_FOUND, "NoSuchKey");

  stored = put (fx, upload_url, "image/png", bytes);
  g_assert_no_error (stored->error);
  g_assert_cmpuint (stored->status, ==, SOUP_STATUS_OK);
  md5 = g_compute_checksum_for_bytes (G_CHECKSUM_MD5, bytes);
  etag = g_strdup_printf ("\"%s\"", md5);
  g_assert_cmpstr (soup_message_headers_get_one (stored->headers, "ETag"), ==, etag);

  after = sim_request (fx, "GET", public_url, NULL, NULL);
  g_assert_cmpuint (after->status, ==, SOUP_STATUS_OK);
  g_assert_cmpstr (soup_message_headers_get_content_type (after->headers, NULL), ==, "image/png");
  g_assert_true (g_bytes_equal (after->body, bytes));

  g_assert_cmpuint (clap_sim_server_get_request_count (fx->server, CLAP_SIM_ENDPOINT_FILES), ==, 1);
  g_assert_cmpuint (clap_sim_server_get_request_count (fx->server, CLAP_SIM_ENDPOINT_UPLOAD_PUT),
                    ==, 1);
  g_assert_cmpuint (clap_sim_server_get_request_count (fx->server, CLAP_SIM_ENDPOINT_FILE_GET),
                    ==, 2);
}

static void
test_files_validation (SimFixture    *fx,
                       gconstpointer  data)
{
  static const struct {
    const char *body;
    const char *msg;
  } cases[] = {
    { "not json", "JSON object" },
    { "{\"contentType\":\"image/png\",\"fileSize\":10}", "filename is required" },
    { "{\"filename\":\"a.png\",\"fileSize\":10}", "contentType is required" },
    { "{\"filename\":\"a.gif\",\"contentType\":\"image/gif\",\"fileSize\":10}",
      "contentType must be image/png, image/jpeg, video/mp4 or video/quicktime" },
    { "{\"filename\":\"a.png\",\"contentType\":\"image/png\"}", "fileSize must be a positive integer" },
    { "{\"filename\":\"a.png\",\"contentType\":\"image/png\",\"fileSize\":0}",
      "fileSize must be a positive integer" },
    { "{\"filename\":\"a.png\",\"contentType\":\"image/png\",\"fileSize\":\"10\"}",
      "fileSize must be a positive integer" },
    { "{\"filename\":\"a.mp4\",\"contentType\":\"video/mp4\",\"fileSize\":104857601}",
      "more than 100 MB" },
    { "{\"filename\":\"..\",\"contentType\":\"image/png\",\"fileSize\":10}",
      "filename is not a usable file name" },
  };
  g_autoptr(SimResponse) no_key = sim_request (fx, "POST", FILES, NULL,
                                               "{\"filename\":\"a.png\",\"contentType\":"
                                               "\"image/png\",\"fileSize\":10}");
  g_autoptr(JsonObject) largest = request_upload (fx, "big.mov", "video/quicktime", 104857600);

  sim_assert_envelope (no_key, SOUP_STATUS_UNAUTHORIZED, 401, "Invalid API key");

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(SimResponse) response = sim_request (fx, "POST", FILES, SIM_KEY, cases[i].body);

      sim_assert_envelope (response, SOUP_STATUS_BAD_REQUEST, 400, cases[i].msg);
    }

  /* A path in the name keeps only its last element. */
  {
    g_autoptr(JsonObject) upload = request_upload (fx, "../../etc/a.png", "image/png", 10);

    g_assert_true (g_str_has_suffix (json_object_get_string_member (upload, "publicUrl"),
                                     "/a.png"));
  }
}

static void
assert_no_part_files (SimFixture *fx)
{
  g_autofree char *dir_path = g_build_filename (fx->server->temp_dir, "files", NULL);
  g_autoptr(GDir) dir = g_dir_open (dir_path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    g_assert_false (g_str_has_suffix (name, ".part"));
}

static void
test_put_refused (SimFixture    *fx,
                  gconstpointer  data)
{
  g_autoptr(GBytes) bytes = sim_pattern_bytes (1000);
  g_autoptr(GBytes) short_bytes = sim_pattern_bytes (999);
  g_autoptr(JsonObject) upload = request_upload (fx, "clip.mp4", "video/mp4", 1000);
  const char *upload_url = json_object_get_string_member (upload, "uploadUrl");
  g_autoptr(GString) tampered = g_string_new (upload_url);
  g_autoptr(SimResponse) wrong_type = NULL;
  g_autoptr(SimResponse) wrong_size = NULL;
  g_autoptr(SimResponse) wrong_signature = NULL;
  g_autoptr(SimResponse) unknown_token = NULL;
  g_autoptr(SimResponse) still_missing = NULL;
  g_autoptr(SimResponse) right = NULL;
  g_autofree char *unknown_url = g_strconcat (fx->base, "/upload/nothere?X-Sig=a&X-Expires=1", NULL);

  /* The signature covers the declared Content-Type, as S3's does. */
  wrong_type = put (fx, upload_url, "video/quicktime", bytes);
  assert_storage_error (wrong_type, SOUP_STATUS_FORBIDDEN, "SignatureDoesNotMatch");

  wrong_size = put (fx, upload_url, "video/mp4", short_bytes);
  assert_storage_error (wrong_size, SOUP_STATUS_BAD_REQUEST, "InvalidRequest");
  g_assert_nonnull (strstr (sim_response_text (wrong_size), "999"));

  g_string_replace (tampered, "X-Sig=", "X-Sig=0", 1);
  wrong_signature = put (fx, tampered->str, "video/mp4", bytes);
  assert_storage_error (wrong_signature, SOUP_STATUS_FORBIDDEN, "SignatureDoesNotMatch");

  unknown_token = put (fx, unknown_url, "video/mp4", bytes);
  assert_storage_error (unknown_token, SOUP_STATUS_FORBIDDEN, "SignatureDoesNotMatch");

  /* Nothing refused became public, and no part file was left behind. */
  still_missing = sim_request (fx, "GET", json_object_get_string_member (upload, "publicUrl"),
                               NULL, NULL);
  g_assert_cmpuint (still_missing->status, ==, SOUP_STATUS_NOT_FOUND);
  assert_no_part_files (fx);

  right = put (fx, upload_url, "video/mp4", bytes);
  g_assert_cmpuint (right->status, ==, SOUP_STATUS_OK);
}

static void
test_put_expired (SimFixture    *fx,
                  gconstpointer  data)
{
  g_autoptr(GBytes) bytes = sim_pattern_bytes (100);
  g_autoptr(JsonObject) upload = NULL;
  g_autoptr(SimResponse) late = NULL;

  g_object_set (fx->server, "upload-url-ttl-ms", 80, NULL);
  upload = request_upload (fx, "a.jpg", "image/jpeg", 100);

  sim_iterate_for (150);
  late = put (fx, json_object_get_string_member (upload, "uploadUrl"), "image/jpeg", bytes);
  assert_storage_error (late, SOUP_STATUS_FORBIDDEN, "AccessDenied");
  g_assert_nonnull (strstr (sim_response_text (late), "expired"));
}

static void
test_put_streams (SimFixture    *fx,
                  gconstpointer  data)
{
  /* Large enough to arrive in many chunks, each written as it comes. */
  g_autoptr(GBytes) bytes = sim_pattern_bytes (6 * 1024 * 1024 + 17);
  g_autofree char *url = sim_upload (fx, "motion.mov", "video/quicktime", bytes);
  g_autoptr(SimResponse) back = sim_request (fx, "GET", url, NULL, NULL);

  g_assert_cmpuint (back->status, ==, SOUP_STATUS_OK);
  g_assert_cmpstr (soup_message_headers_get_content_type (back->headers, NULL), ==,
                   "video/quicktime");
  g_assert_true (g_bytes_equal (back->body, bytes));
}

static SimResponse *
post_multipart (SimFixture *fx,
                const char *field,
                const char *filename,
                const char *content_type,
                GBytes     *bytes)
{
  g_autoptr(SoupMultipart) multipart = soup_multipart_new ("multipart/form-data");
  g_autoptr(SoupMessage) msg = sim_message_new (fx, "POST", FILES, SIM_KEY);
  g_autoptr(GBytes) body = NULL;

  soup_multipart_append_form_file (multipart, field, filename, content_type, bytes);
  soup_multipart_append_form_string (multipart, "purpose", "reference");
  soup_multipart_to_message (multipart, soup_message_get_request_headers (msg), &body);
  soup_message_set_request_body_from_bytes (msg, NULL, body);

  return sim_send (fx, msg);
}

static void
test_files_multipart (SimFixture    *fx,
                      gconstpointer  data)
{
  g_autoptr(GBytes) bytes = sim_pattern_bytes (5000);
  g_autoptr(SimResponse) response = post_multipart (fx, "file", "face.jpg", "image/jpeg", bytes);
  g_autoptr(SimResponse) guessed = post_multipart (fx, "file", "face.png",
                                                   "application/octet-stream", bytes);
  g_autoptr(SimResponse) wrong_field = post_multipart (fx, "upload", "face.jpg", "image/jpeg",
                                                       bytes);
  g_autoptr(SimResponse) wrong_type = post_multipart (fx, "file", "face.gif", "image/gif", bytes);
  g_autoptr(SimResponse) back = NULL;
  g_autoptr(SimResponse) back_guessed = NULL;
  const char *url = json_object_get_string_member (sim_response_data (response), "publicUrl");

  g_assert_true (g_str_has_suffix (url, "/face.jpg"));
  back = sim_request (fx, "GET", url, NULL, NULL);
  g_assert_cmpuint (back->status, ==, SOUP_STATUS_OK);
  g_assert_cmpstr (soup_message_headers_get_content_type (back->headers, NULL), ==, "image/jpeg");
  g_assert_true (g_bytes_equal (back->body, bytes));

  back_guessed = sim_request (fx, "GET",
                              json_object_get_string_member (sim_response_data (guessed),
                                                             "publicUrl"),
                              NULL, NULL);
  g_assert_cmpstr (soup_message_headers_get_content_type (back_guessed->headers, NULL), ==,
                   "image/png");

  sim_assert_envelope (wrong_field, SOUP_STATUS_BAD_REQUEST, 400, "\"file\" is required");
  sim_assert_envelope (wrong_type, SOUP_STATUS_BAD_REQUEST, 400, "image/gif");
}

static void
test_files_as_inputs (SimFixture    *fx,
                      gconstpointer  data)
{
  g_autoptr(GBytes) bytes = sim_pattern_bytes (2000);
  g_autofree char *image = sim_upload (fx, "a.png", "image/png", bytes);
  g_autofree char *video = sim_upload (fx, "a.mp4", "video/mp4", bytes);
  g_autoptr(JsonObject) not_put = request_upload (fx, "b.png", "image/png", 10);
  g_autofree char *good = g_strdup_printf ("{\"model\":\"kling-v2-6\",\"prompt\":\"x\","
                                           "\"image\":\"%s\"}", image);
  g_autofree char *unfinished = g_strdup_printf ("{\"model\":\"kling-v2-6\",\"prompt\":\"x\","
                                                 "\"image\":\"%s\"}",
                                                 json_object_get_string_member (not_put,
                                                                                "publicUrl"));
  g_autofree char *video_as_image = g_strdup_printf ("{\"model\":\"kling-v2-6\",\"prompt\":\"x\","
                                                     "\"image\":\"%s\"}", video);
  g_autofree char *image_as_video = g_strdup_printf ("{\"model\":\"kling-motion-control\","
                                                     "\"image\":\"%s\",\"motion_video\":\"%s\"}",
                                                     image, image);
  g_autofree char *id = NULL;
  g_autoptr(SimResponse) unfinished_response = NULL;
  g_autoptr(SimResponse) video_response = NULL;
  g_autoptr(SimResponse) image_response = NULL;

  g_object_set (fx->server, "pending-ms", 60000, NULL);

  /* The simulator's own files are the one http input it takes. */
  id = sim_create (fx, good);
  g_assert_nonnull (id);

  unfinished_response = sim_request (fx, "POST", "/api/v1/video/generations", SIM_KEY, unfinished);
  sim_assert_envelope (unfinished_response, 400, 400, "did its PUT complete?");

  video_response = sim_request (fx, "POST", "/api/v1/video/generations", SIM_KEY, video_as_image);
  sim_assert_envelope (video_response, 400, 400, "image must be a JPEG or PNG image");

  image_response = sim_request (fx, "POST", "/api/v1/video/generations", SIM_KEY, image_as_video);
  sim_assert_envelope (image_response, 400, 400, "motion_video must be an MP4 or MOV video");
}

static char *
completed_task (SimFixture *fx)
{
  g_autofree char *id = sim_create (fx, "{\"model\":\"kling-v3\",\"prompt\":\"x\"}");
  g_autoptr(JsonObject) completed = sim_wait_state (fx, id, "completed");

  return g_steal_pointer (&id);
}

static SimResponse *
get_range (SimFixture *fx,
           const char *url,
           const char *range)
{
  g_autoptr(SoupMessage) msg = sim_message_new (fx, "GET", url, NULL);

  if (range != NULL)
    soup_message_headers_replace (soup_message_get_request_headers (msg), "Range", range);

  return sim_send (fx, msg);
}

static void
test_results_range (SimFixture    *fx,
                    gconstpointer  data)
{
  g_autofree char *path = sim_fixture_use_result_file (fx, 10000);
  g_autoptr(GBytes) file = sim_read_file (path);
  g_autofree char *id = completed_task (fx);
  g_autofree char *url = g_strdup_printf ("/results/%s.mp4", id);
  g_autoptr(SimResponse) whole = get_range (fx, url, NULL);
  g_autoptr(SimResponse) from = get_range (fx, url, "bytes=1000-");
  g_autoptr(SimResponse) span = get_range (fx, url, "bytes=0-99");
  g_autoptr(SimResponse) suffix = get_range (fx, url, "bytes=-100");
  g_autoptr(SimResponse) beyond = get_range (fx, url, "bytes=10000-");
  g_autoptr(SimResponse) clamped = get_range (fx, url, "bytes=9990-20000");
  g_autoptr(GBytes) tail = g_bytes_new_from_bytes (file, 1000, 9000);
  g_autoptr(GBytes) head = g_bytes_new_from_bytes (file, 0, 100);
  g_autoptr(GBytes) last = g_bytes_new_from_bytes (file, 9900, 100);
  goffset start, end, total;

  g_assert_cmpuint (whole->status, ==, SOUP_STATUS_OK);
  g_assert_cmpstr (soup_message_headers_get_content_type (whole->headers, NULL), ==, "video/mp4");
  g_assert_cmpint (soup_message_headers_get_content_length (whole->headers), ==, 10000);
  g_assert_cmpstr (soup_message_headers_get_one (whole->headers, "Accept-Ranges"), ==, "bytes");
  g_assert_true (g_bytes_equal (whole->body, file));

  /* Resuming a download from byte 1000. */
  g_assert_cmpuint (from->status, ==, SOUP_STATUS_PARTIAL_CONTENT);
  g_assert_true (soup_message_headers_get_content_range (from->headers, &start, &end, &total));
  g_assert_cmpint (start, ==, 1000);
  g_assert_cmpint (end, ==, 9999);
  g_assert_cmpint (total, ==, 10000);
  g_assert_cmpint (soup_message_headers_get_content_length (from->headers), ==, 9000);
  g_assert_true (g_bytes_equal (from->body, tail));

  g_assert_cmpuint (span->status, ==, SOUP_STATUS_PARTIAL_CONTENT);
  g_assert_true (g_bytes_equal (span->body, head));

  g_assert_cmpuint (suffix->status, ==, SOUP_STATUS_PARTIAL_CONTENT);
  g_assert_true (g_bytes_equal (suffix->body, last));

  g_assert_cmpuint (beyond->status, ==, SOUP_STATUS_REQUESTED_RANGE_NOT_SATISFIABLE);
  g_assert_cmpstr (soup_message_headers_get_one (beyond->headers, "Content-Range"), ==,
                   "bytes */10000");

  g_assert_cmpuint (clamped->status, ==, SOUP_STATUS_PARTIAL_CONTENT);
  g_assert_cmpuint (g_bytes_get_size (clamped->body), ==, 10);
}

static void
test_results_thumbnail (SimFixture    *fx,
                        gconstpointer  data)
{
  g_autofree char *path = sim_fixture_use_result_file (fx, 100);
  g_autofree char *id = completed_task (fx);
  g_autofree char *url = g_strdup_printf ("/results/%s.jpg", id);
  g_autoptr(SimResponse) response = get_range (fx, url, NULL);
  gsize size;
  const guint8 *jpeg = g_bytes_get_data (response->body, &size);

  g_assert_cmpuint (response->status, ==, SOUP_STATUS_OK);
  g_assert_cmpstr (soup_message_headers_get_content_type (response->headers, NULL), ==,
                   "image/jpeg");
  g_assert_cmpuint (size, >, 4);
  g_assert_cmpuint (jpeg[0], ==, 0xff);
  g_assert_cmpuint (jpeg[1], ==, 0xd8);
  g_assert_cmpuint (jpeg[size - 2], ==, 0xff);
  g_assert_cmpuint (jpeg[size - 1], ==, 0xd9);
  g_assert_cmpuint (clap_sim_server_get_request_count (fx->server,
                                                       CLAP_SIM_ENDPOINT_THUMBNAIL_GET), ==, 1);
}

static void
test_results_not_ready (SimFixture    *fx,
                        gconstpointer  data)
{
  g_autofree char *id = NULL;
  g_autofree char *url = NULL;
  g_autoptr(SimResponse) pending = NULL;
  g_autoptr(SimResponse) unknown = NULL;
  g_autoptr(SimResponse) other = NULL;

  g_object_set (fx->server, "pending-ms", 60000, NULL);
  id = sim_create (fx, "{\"model\":\"kling-v3\",\"prompt\":\"x\"}");
  url = g_strdup_printf ("/results/%s.mp4", id);

  pending = get_range (fx, url, NULL);
  assert_storage_error (pending, SOUP_STATUS_NOT_FOUND, "NoSuchKey");
  unknown = get_range (fx, "/results/clnothere.mp4", NULL);
  assert_storage_error (unknown, SOUP_STATUS_NOT_FOUND, "NoSuchKey");
  other = get_range (fx, "/results/x.txt", NULL);
  g_assert_cmpuint (other->status, ==, SOUP_STATUS_NOT_FOUND);
}

static void
test_results_ttl (SimFixture    *fx,
                  gconstpointer  data)
{
  g_autofree char *path = sim_fixture_use_result_file (fx, 100);
  g_autofree char *id = NULL;
  g_autofree char *video = NULL;
  g_autofree char *thumbnail = NULL;
  g_autoptr(SimResponse) fresh = NULL;
  g_autoptr(SimResponse) stale = NULL;
  g_autoptr(SimResponse) stale_thumbnail = NULL;

  g_object_set (fx->server, "result-ttl-ms", 400, NULL);
  id = completed_task (fx);
  video = g_strdup_printf ("/results/%s.mp4", id);
  thumbnail = g_strdup_printf ("/results/%s.jpg", id);

  fresh = get_range (fx, video, NULL);
  g_assert_cmpuint (fresh->status, ==, SOUP_STATUS_OK);

  sim_iterate_for (450);
  stale = get_range (fx, video, NULL);
  stale_thumbnail = get_range (fx, thumbnail, NULL);
  assert_storage_error (stale, SOUP_STATUS_FORBIDDEN, "AccessDenied");
  assert_storage_error (stale_thumbnail, SOUP_STATUS_FORBIDDEN, "AccessDenied");
}

static void
test_storage_faults (SimFixture    *fx,
                     gconstpointer  data)
{
  g_autoptr(GBytes) bytes = sim_pattern_bytes (64);
  g_autoptr(JsonObject) upload = request_upload (fx, "a.png", "image/png", 64);
  const char *upload_url = json_object_get_string_member (upload, "uploadUrl");
  const char *public_url = json_object_get_string_member (upload, "publicUrl");
  g_autoptr(SimResponse) failed_put = NULL;
  g_autoptr(SimResponse) missing = NULL;
  g_autoptr(SimResponse) good_put = NULL;
  g_autoptr(SimResponse) truncated = NULL;
  g_autoptr(SimResponse) files = NULL;

  /* A failed PUT stores nothing. */
  clap_sim_server_inject_fault (fx->server, CLAP_SIM_ENDPOINT_UPLOAD_PUT,
                                CLAP_SIM_FAULT_HTTP_500, 1);
  failed_put = put (fx, upload_url, "image/png", bytes);
  g_assert_cmpuint (failed_put->status, ==, 500);
  missing = sim_request (fx, "GET", public_url, NULL, NULL);
  g_assert_cmpuint (missing->status, ==, SOUP_STATUS_NOT_FOUND);

  good_put = put (fx, upload_url, "image/png", bytes);
  g_assert_cmpuint (good_put->status, ==, SOUP_STATUS_OK);

  clap_sim_server_inject_fault (fx->server, CLAP_SIM_ENDPOINT_FILE_GET,
                                CLAP_SIM_FAULT_TRUNCATED, 1);
  truncated = sim_request (fx, "GET", public_url, NULL, NULL);
  g_assert_cmpuint (truncated->status, ==, SOUP_STATUS_OK);
  g_assert_cmpuint (g_bytes_get_size (truncated->body), ==, 32);

  clap_sim_server_inject_fault (fx->server, CLAP_SIM_ENDPOINT_FILES, CLAP_SIM_FAULT_HTTP_429, 1);
  files = sim_request (fx, "POST", FILES, SIM_KEY,
                       "{\"filename\":\"a.png\",\"contentType\":\"image/png\",\"fileSize\":10}");
  sim_assert_envelope (files, 429, 1302, NULL);
  g_assert_cmpuint (g_hash_table_size (fx->server->uploads), ==, 1);
}

static void
add (const char *path,
     void      (*func) (SimFixture *, gconstpointer))
{
  g_test_add (path, SimFixture, NULL, sim_fixture_setup, func, sim_fixture_teardown);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  add ("/sim/files/json-and-put", test_files_json_and_put);
  add ("/sim/files/validation", test_files_validation);
  add ("/sim/files/put-refused", test_put_refused);
  add ("/sim/files/put-expired", test_put_expired);
  add ("/sim/files/put-streams", test_put_streams);
  add ("/sim/files/multipart", test_files_multipart);
  add ("/sim/files/as-inputs", test_files_as_inputs);
  add ("/sim/files/faults", test_storage_faults);
  add ("/sim/results/range", test_results_range);
  add ("/sim/results/thumbnail", test_results_thumbnail);
  add ("/sim/results/not-ready", test_results_not_ready);
  add ("/sim/results/ttl", test_results_ttl);

  return g_test_run ();
}
