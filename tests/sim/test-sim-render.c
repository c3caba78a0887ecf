/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-sim-render"

#include "config.h"

#include <gst/gst.h>
#include <gst/pbutils/pbutils.h>

#include "clap-sim-server-private.h"
#include "clap-test-files.h"
#include "sim-test-util.h"

typedef struct {
  double   duration_s;
  guint    width;
  guint    height;
  gboolean has_audio;
  char    *video_codec;
} Probe;

static void
probe_clear (Probe *probe)
{
  g_clear_pointer (&probe->video_codec, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Probe, probe_clear)

static void
probe_file (const char *path,
            Probe      *probe)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GstDiscoverer) discoverer = gst_discoverer_new (10 * GST_SECOND, &error);
  g_autoptr(GstDiscovererInfo) info = NULL;
  g_autofree char *uri = g_filename_to_uri (path, NULL, NULL);
  GList *streams;

  g_assert_no_error (error);
  info = gst_discoverer_discover_uri (discoverer, uri, &error);
  g_assert_no_error (error);
  g_assert_cmpint (gst_discoverer_info_get_result (info), ==, GST_DISCOVERER_OK);

  probe->duration_s = (double)gst_discoverer_info_get_duration (info) / GST_SECOND;

  streams = gst_discoverer_info_get_video_streams (info);
  g_assert_cmpuint (g_list_length (streams), ==, 1);
  probe->width = gst_discoverer_video_info_get_width (streams->data);
  probe->height = gst_discoverer_video_info_get_height (streams->data);
  {
    g_autoptr(GstCaps) caps = gst_discoverer_stream_info_get_caps (streams->data);

    probe->video_codec = g_strdup (gst_structure_get_name (gst_caps_get_structure (caps, 0)));
  }
  gst_discoverer_stream_info_list_free (streams);

  streams = gst_discoverer_info_get_audio_streams (info);
  probe->has_audio = streams != NULL;
  gst_discoverer_stream_info_list_free (streams);
}

/* Creates a take, waits for it, downloads and probes its video. */
static void
render_take (SimFixture *fx,
             const char *body,
             Probe      *probe,
             JsonObject **completed_out)
{
  g_autofree char *id = sim_create (fx, body);
  g_autoptr(JsonObject) completed = sim_wait_state (fx, id, "completed");
  JsonArray *urls = json_object_get_array_member (completed, "resultUrls");
  g_autofree char *name = g_strdup_printf ("%s.mp4", id);
  g_autofree char *path = sim_download (fx, json_array_get_string_element (urls, 0), name);

  probe_file (path, probe);

  if (completed_out != NULL)
    *completed_out = g_steal_pointer (&completed);
}

static void
test_render_sound (SimFixture    *fx,
                   gconstpointer  data)
{
  g_auto(Probe) probe = { 0 };
  g_autoptr(JsonObject) completed = NULL;
  g_autofree char *thumbnail_url = NULL;
  g_autofree char *thumbnail = NULL;
  g_autoptr(GBytes) jpeg = NULL;
  const guint8 *bytes;

  render_take (fx, "{\"model\":\"kling-v2-6\",\"prompt\":\"A drummer on a rooftop\","
                   "\"mode\":\"pro\",\"sound\":\"on\",\"duration\":\"5\"}", &probe, &completed);

  g_assert_cmpstr (probe.video_codec, ==, "video/x-h264");
  g_assert_cmpfloat_with_epsilon (probe.duration_s, 5.0, 0.3);
  g_assert_cmpuint (probe.width, ==, 320);
  g_assert_cmpuint (probe.height, ==, 180);
  g_assert_true (probe.has_audio);

  /* The thumbnail is a JPEG of the same size. */
  thumbnail_url = g_strdup_printf ("%s/results/%s.jpg", fx->base,
                                   json_object_get_string_member (completed, "taskId"));
  thumbnail = sim_download (fx, thumbnail_url, "thumbnail.jpg");
  jpeg = sim_read_file (thumbnail);
  bytes = g_bytes_get_data (jpeg, NULL);
  g_assert_cmpuint (bytes[0], ==, 0xff);
  g_assert_cmpuint (bytes[1], ==, 0xd8);
}

static void
test_render_portrait_silent (SimFixture    *fx,
                             gconstpointer  data)
{
  g_auto(Probe) probe = { 0 };

  render_take (fx, "{\"model\":\"kling-v3\",\"prompt\":\"A tall tower\",\"duration\":\"3\","
                   "\"aspect_ratio\":\"9:16\",\"sound\":\"off\"}", &probe, NULL);

  g_assert_cmpfloat_with_epsilon (probe.duration_s, 3.0, 0.3);
  g_assert_cmpuint (probe.width, ==, 180);
  g_assert_cmpuint (probe.height, ==, 320);
  g_assert_false (probe.has_audio);
}

static void
test_render_square_sound_std (SimFixture    *fx,
                              gconstpointer  data)
{
  g_auto(Probe) probe = { 0 };

  /* v3 allows sound with std, unlike v2-6. */
  render_take (fx, "{\"model\":\"kling-v3\",\"prompt\":\"A square dance\",\"duration\":\"4\","
                   "\"aspect_ratio\":\"1:1\",\"sound\":\"on\",\"mode\":\"std\"}", &probe, NULL);

  g_assert_cmpfloat_with_epsilon (probe.duration_s, 4.0, 0.3);
  g_assert_cmpuint (probe.width, ==, 240);
  g_assert_cmpuint (probe.height, ==, 240);
  g_assert_true (probe.has_audio);
}

static void
test_render_full_resolution (SimFixture    *fx,
                             gconstpointer  data)
{
  g_auto(Probe) probe = { 0 };

  g_object_set (fx->server, "full-resolution", TRUE, NULL);
  render_take (fx, "{\"model\":\"kling-v3\",\"prompt\":\"A portrait\",\"duration\":\"3\","
                   "\"aspect_ratio\":\"9:16\",\"mode\":\"std\"}", &probe, NULL);

  g_assert_cmpfloat_with_epsilon (probe.duration_s, 3.0, 0.3);
  g_assert_cmpuint (probe.width, ==, 720);
  g_assert_cmpuint (probe.height, ==, 1280);
}

static void
test_render_motion_control (SimFixture    *fx,
                            gconstpointer  data)
{
  g_autofree char *clip_path = sim_make_clip (fx->tmp_dir, "motion.mp4", 4.0, 400, 300);
  g_autofree char *image_path = sim_make_png (fx->tmp_dir, "character.png", 300, 500);
  g_autoptr(GBytes) clip = sim_read_file (clip_path);
  g_autoptr(GBytes) image = sim_read_file (image_path);
  g_autofree char *clip_url = sim_upload (fx, "motion.mp4", "video/mp4", clip);
  g_autofree char *image_url = sim_upload (fx, "character.png", "image/png", image);
  g_autofree char *body = NULL;
  g_autofree char *silent_body = NULL;
  g_auto(Probe) probe = { 0 };
  g_auto(Probe) silent = { 0 };

  /* Its length follows the motion video, its orientation the character;
   * the motion video's sound is kept by default. */
  body = g_strdup_printf ("{\"model\":\"kling-motion-control\",\"image\":\"%s\","
                          "\"motion_video\":\"%s\",\"character_orientation\":\"image\"}",
                          image_url, clip_url);
  render_take (fx, body, &probe, NULL);

  g_assert_cmpfloat_with_epsilon (probe.duration_s, 4.0, 0.3);
  g_assert_cmpuint (probe.width, ==, 180);
  g_assert_cmpuint (probe.height, ==, 320);
  g_assert_true (probe.has_audio);

  silent_body = g_strdup_printf ("{\"model\":\"kling-motion-control\",\"image\":\"%s\","
                                 "\"motion_video\":\"%s\",\"keep_original_sound\":\"no\","
                                 "\"prompt\":\"Dance\"}", image_url, clip_url);
  render_take (fx, silent_body, &silent, NULL);
  g_assert_false (silent.has_audio);
}

static void
test_render_motion_limits (SimFixture    *fx,
                           gconstpointer  data)
{
  g_autofree char *short_path = sim_make_clip (fx->tmp_dir, "short.mp4", 2.0, 160, 120);
  g_autofree char *long_path = sim_make_clip (fx->tmp_dir, "long.mp4", 11.0, 160, 120);
  g_autoptr(GBytes) short_clip = sim_read_file (short_path);
  g_autoptr(GBytes) long_clip = sim_read_file (long_path);
  g_autoptr(GBytes) not_video = g_bytes_new_static ("not a video at all", 18);
  g_autofree char *short_url = sim_upload (fx, "short.mp4", "video/mp4", short_clip);
  g_autofree char *long_url = sim_upload (fx, "long.mp4", "video/mp4", long_clip);
  g_autofree char *bad_url = sim_upload (fx, "bad.mp4", "video/mp4", not_video);
  g_autofree char *too_short = g_strdup_printf ("{\"model\":\"kling-motion-control\","
                                                "\"image\":\"https://example.com/a.png\","
                                                "\"motion_video\":\"%s\"}", short_url);
  g_autofree char *too_long_for_image = g_strdup_printf ("{\"model\":\"kling-motion-control\","
                                                         "\"image\":\"https://example.com/a.png\","
                                                         "\"motion_video\":\"%s\","
                                                         "\"character_orientation\":\"image\"}",
                                                         long_url);
  g_autofree char *long_for_video = g_strdup_printf ("{\"model\":\"kling-motion-control\","
                                                     "\"image\":\"https://example.com/a.png\","
                                                     "\"motion_video\":\"%s\","
                                                     "\"character_orientation\":\"video\"}",
                                                     long_url);
  g_autofree char *unreadable = g_strdup_printf ("{\"model\":\"kling-motion-control\","
                                                 "\"image\":\"https://example.com/a.png\","
                                                 "\"motion_video\":\"%s\"}", bad_url);
  g_autoptr(SimResponse) short_response = NULL;
  g_autoptr(SimResponse) long_response = NULL;
  g_autoptr(SimResponse) bad_response = NULL;
  g_autofree char *id = NULL;

  g_object_set (fx->server, "pending-ms", 60000, NULL);

  short_response = sim_request (fx, "POST", "/api/v1/video/generations", SIM_KEY, too_short);
  sim_assert_envelope (short_response, 400, 400, "motion_video must be 3 to 30 seconds long");

  long_response = sim_request (fx, "POST", "/api/v1/video/generations", SIM_KEY,
                               too_long_for_image);
  sim_assert_envelope (long_response, 400, 400, "at most 10 seconds");

  bad_response = sim_request (fx, "POST", "/api/v1/video/generations", SIM_KEY, unreadable);
  sim_assert_envelope (bad_response, 400, 400, "could not be read as a video");

  /* 11 s is fine when the orientation follows the video (up to 30 s). */
  id = sim_create (fx, long_for_video);
  g_assert_cmpuint (g_hash_table_size (fx->server->tasks), ==, 1);
}

static void
test_render_error (SimFixture    *fx,
                   gconstpointer  data)
{
  g_autofree char *blocker = g_build_filename (fx->tmp_dir, "not-a-dir", NULL);
  g_autofree char *data_dir = g_build_filename (blocker, "data", NULL);
  g_autofree char *id = NULL;
  g_autoptr(JsonObject) failed = NULL;
  const char *message;

  /* A data dir that cannot exist: the render cannot write its file. */
  g_assert_true (g_file_set_contents (blocker, "x", 1, NULL));
  g_object_set (fx->server, "data-dir", data_dir, NULL);

  id = sim_create (fx, "{\"model\":\"kling-v3\",\"prompt\":\"x\",\"duration\":\"3\"}");
  failed = sim_wait_state (fx, id, "failed");
  message = json_object_get_string_member (failed, "failMsg");
  g_assert_true (g_str_has_prefix (message, "Render failed: "));
}

static void
test_render_result_file (SimFixture    *fx,
                         gconstpointer  data)
{
  g_autofree char *path = sim_fixture_use_result_file (fx, 4096);
  g_autoptr(GBytes) expected = sim_read_file (path);
  g_autofree char *id = sim_create (fx, "{\"model\":\"kling-v3\",\"prompt\":\"x\"}");
  g_autoptr(JsonObject) completed = sim_wait_state (fx, id, "completed");
  JsonArray *urls = json_object_get_array_member (completed, "resultUrls");
  g_autoptr(SimResponse) video = sim_request (fx, "GET", json_array_get_string_element (urls, 0),
                                              NULL, NULL);
  g_autofree char *thumbnail_url = g_strdup_printf ("/results/%s.jpg", id);
  g_autoptr(SimResponse) thumbnail = sim_request (fx, "GET", thumbnail_url, NULL, NULL);

  g_assert_true (g_bytes_equal (video->body, expected));
  g_assert_cmpuint (thumbnail->status, ==, SOUP_STATUS_OK);
  g_assert_cmpstr (soup_message_headers_get_content_type (thumbnail->headers, NULL), ==,
                   "image/jpeg");
}

/* A motion video whose headers claim 5 s but whose samples play 40 s: the
 * provider measures what plays, and refuses it. */
static void
test_render_motion_lying_header (SimFixture    *fx,
                                 gconstpointer  data)
{
  g_autofree char *lying_path = clap_test_make_lying_mp4 (fx->tmp_dir, "lying.mp4", 40.0, 5.0);
  g_autoptr(GBytes) lying = sim_read_file (lying_path);
  g_autofree char *lying_url = sim_upload (fx, "lying.mp4", "video/mp4", lying);
  g_autofree char *body = g_strdup_printf ("{\"model\":\"kling-motion-control\","
                                           "\"image\":\"https://example.com/a.png\","
                                           "\"motion_video\":\"%s\"}",
                                           lying_url);
  g_autoptr(SimResponse) response = NULL;

  g_object_set (fx->server, "pending-ms", 60000, NULL);

  response = sim_request (fx, "POST", "/api/v1/video/generations", SIM_KEY, body);
  sim_assert_envelope (response, 400, 400,
                       "motion_video must be 3 to 30 seconds long (it is 40.0 s)");
  g_assert_cmpuint (g_hash_table_size (fx->server->tasks), ==, 0);
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
  gst_init (&argc, &argv);

  add ("/sim/render/sound", test_render_sound);
  add ("/sim/render/portrait-silent", test_render_portrait_silent);
  add ("/sim/render/square-sound-std", test_render_square_sound_std);
  add ("/sim/render/full-resolution", test_render_full_resolution);
  add ("/sim/render/motion-control", test_render_motion_control);
  add ("/sim/render/motion-limits", test_render_motion_limits);
  add ("/sim/render/motion-lying-header", test_render_motion_lying_header);
  add ("/sim/render/error", test_render_error);
  add ("/sim/render/result-file", test_render_result_file);

  return g_test_run ();
}
