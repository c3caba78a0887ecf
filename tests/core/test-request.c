/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "clap-request.h"

static ClapRequest *
valid_request (const char *model)
{
  ClapRequest *request = clap_request_new (model);

  clap_request_set_prompt (request, "A girl dancing on the beach at sunset");
  if (g_str_equal (model, "kling-motion-control"))
    {
      clap_request_set_image (request, "https://example.com/character.png");
      clap_request_set_motion_video (request, "https://example.com/dance.mp4");
      clap_request_set_motion_seconds (request, 8.0);
    }
  return request;
}

static void
assert_invalid (ClapRequest *request,
                gint         code,
                const char  *fragment)
{
  g_autoptr(GError) error = NULL;

  g_assert_false (clap_request_validate (request, &error));
  g_assert_error (error, CLAP_REQUEST_ERROR, code);
  g_test_message ("%s", error->message);
  if (fragment != NULL && strstr (error->message, fragment) == NULL)
    g_error ("“%s” does not mention “%s”", error->message, fragment);
}

static void
assert_valid (ClapRequest *request)
{
  g_autoptr(GError) error = NULL;

  if (!clap_request_validate (request, &error))
    g_error ("unexpected: %s", error->message);
}

static void
test_valid_defaults (void)
{
  for (guint i = 0; i < clap_catalog_get_n_models (); i++)
    {
      g_autoptr(ClapRequest) request = valid_request (clap_catalog_get_model (i)->id);
      assert_valid (request);
    }
}

static void
test_unknown_model (void)
{
  g_autoptr(ClapRequest) request = valid_request ("kling-v2-6");

  clap_request_set_model (request, "kling-v9");
  assert_invalid (request, CLAP_REQUEST_ERROR_UNKNOWN_MODEL, "kling-v9");
}

static void
test_missing_prompt (void)
{
  g_autoptr(ClapRequest) request = valid_request ("kling-v3");
  g_autoptr(ClapRequest) motion = valid_request ("kling-motion-control");

  clap_request_set_prompt (request, NULL);
  assert_invalid (request, CLAP_REQUEST_ERROR_MISSING_PROMPT, NULL);
  clap_request_set_prompt (request, "  \n\t ");
  assert_invalid (request, CLAP_REQUEST_ERROR_MISSING_PROMPT, NULL);

  /* motion control may go without */
  clap_request_set_prompt (motion, NULL);
  assert_valid (motion);
}

static void
test_prompt_length (void)
{
  g_autoptr(ClapRequest) request = valid_request ("kling-v2-6");
  g_autoptr(GString) text = g_string_new (NULL);

  /* 2500 characters, counted as characters, not bytes: "é" is two bytes */
  for (guint i = 0; i < 2500; i++)
    g_string_append (text, "é");
  clap_request_set_prompt (request, text->str);
  assert_valid (request);

  g_string_append (text, "x");
  clap_request_set_prompt (request, text->str);
  assert_invalid (request, CLAP_REQUEST_ERROR_PROMPT_TOO_LONG, "2501");
}

static void
test_negative_prompt_length (void)
{
  g_autoptr(ClapRequest) request = valid_request ("kling-v3");
  g_autofree char *text = g_strnfill (2501, 'n');

  clap_request_set_negative_prompt (request, text);
  assert_invalid (request, CLAP_REQUEST_ERROR_NEGATIVE_PROMPT_TOO_LONG, "2501");
  text[2500] = '\0';
  clap_request_set_negative_prompt (request, text);
  assert_valid (request);
}

static void
test_prompt_text (void)
{
  g_autoptr(ClapRequest) request = valid_request ("kling-v2-6");

  /* emoji and CJK are text like any other */
  clap_request_set_prompt (request, "一只猫在月光下跳舞 🐈‍⬛🌙 — “quoted”\nsecond line\ttab");
  assert_valid (request);

  clap_request_set_prompt (request, "bell \a here");
  assert_invalid (request, CLAP_REQUEST_ERROR_INVALID_TEXT, "U+0007");
  clap_request_set_prompt (request, "nul-like \x1b escape");
  assert_invalid (request, CLAP_REQUEST_ERROR_INVALID_TEXT, "position 10");
  clap_request_set_prompt (request, "bad \xff\xfe utf8");
  assert_invalid (request, CLAP_REQUEST_ERROR_INVALID_TEXT, "UTF-8");
}

static void
test_duration (void)
{
  g_autoptr(ClapRequest) v26 = valid_request ("kling-v2-6");
  g_autoptr(ClapRequest) v3 = valid_request ("kling-v3");

  clap_request_set_duration (v26, 10);
  assert_valid (v26);
  clap_request_set_duration (v26, 7);
  assert_invalid (v26, CLAP_REQUEST_ERROR_DURATION_NOT_ALLOWED, "5 or 10");

  for (guint s = 0; s <= 16; s++)
    {
      clap_request_set_duration (v3, s);
      if (s >= 3 && s <= 15)
        assert_valid (v3);
      else
        assert_invalid (v3, CLAP_REQUEST_ERROR_DURATION_NOT_ALLOWED, "3 to 15");
    }
}

static void
test_mode (void)
{
  g_autoptr(ClapRequest) request = valid_request ("kling-v3");

  clap_request_set_mode (request, "ultra");
  assert_invalid (request, CLAP_REQUEST_ERROR_UNKNOWN_MODE, "std, pro");
}

static void
test_aspect_ratio (void)
{
  g_autoptr(ClapRequest) request = valid_request ("kling-v3");
  g_autoptr(ClapRequest) motion = valid_request ("kling-motion-control");
  const char *good[] = { "16:9", "9:16", "1:1" };

  for (guint i = 0; i < G_N_ELEMENTS (good); i++)
    {
      clap_request_set_aspect_ratio (request, good[i]);
      assert_valid (request);
    }
  clap_request_set_aspect_ratio (request, "4:3");
  assert_invalid (request, CLAP_REQUEST_ERROR_UNKNOWN_ASPECT_RATIO, "4:3");

  /* motion control takes no aspect ratio: it is neither checked nor sent */
  clap_request_set_aspect_ratio (motion, "4:3");
  assert_valid (motion);
}

static void
test_sound (void)
{
  g_autoptr(ClapRequest) v26 = valid_request ("kling-v2-6");
  g_autoptr(ClapRequest) v3 = valid_request ("kling-v3");

  clap_request_set_sound (v26, TRUE);
  assert_invalid (v26, CLAP_REQUEST_ERROR_SOUND_NEEDS_PRO, "Professional");
  clap_request_set_mode (v26, "pro");
  assert_valid (v26);

  /* v3 sells audio with std */
  clap_request_set_sound (v3, TRUE);
  assert_valid (v3);
}

static void
test_voices (void)
{
  g_autoptr(ClapRequest) request = valid_request ("kling-v2-6");
  const char *one[] = { "voice_a", NULL };
  const char *three[] = { "a", "b", "c", NULL };
  const char *bad[] = { "a b", NULL };

  clap_request_set_mode (request, "pro");
  clap_request_set_voices (request, one);
  assert_invalid (request, CLAP_REQUEST_ERROR_VOICE_NEEDS_SOUND, NULL);

  clap_request_set_sound (request, TRUE);
  assert_valid (request);

  clap_request_set_voices (request, three);
  assert_invalid (request, CLAP_REQUEST_ERROR_TOO_MANY_VOICES, "2");

  clap_request_set_voices (request, bad);
  assert_invalid (request, CLAP_REQUEST_ERROR_INVALID_VOICE, "a b");
}

static void
test_image_tail (void)
{
  g_autoptr(ClapRequest) request = valid_request ("kling-v2-6");

  clap_request_set_image_tail (request, "https://example.com/last.png");
  assert_invalid (request, CLAP_REQUEST_ERROR_TAIL_WITHOUT_IMAGE, NULL);
  clap_request_set_image (request, "https://example.com/first.png");
  assert_valid (request);
}

static void
test_motion_inputs (void)
{
  g_autoptr(ClapRequest) request = valid_request ("kling-motion-control");

  clap_request_set_image (request, NULL);
  assert_invalid (request, CLAP_REQUEST_ERROR_MISSING_IMAGE, "character image");
  clap_request_set_image (request, "https://example.com/c.png");

  clap_request_set_motion_video (request, NULL);
  assert_invalid (request, CLAP_REQUEST_ERROR_MISSING_MOTION_VIDEO, "motion video");
  clap_request_set_motion_video (request, "https://example.com/m.mp4");

  clap_request_set_motion_seconds (request, 0);
  assert_invalid (request, CLAP_REQUEST_ERROR_MOTION_LENGTH_UNKNOWN, NULL);

  clap_request_set_motion_seconds (request, 2.0);
  assert_invalid (request, CLAP_REQUEST_ERROR_MOTION_VIDEO_TOO_SHORT, "2.0");

  /* orientation "video": up to 30 s */
  clap_request_set_motion_seconds (request, 30.0);
  assert_valid (request);
  clap_request_set_motion_seconds (request, 31.0);
  assert_invalid (request, CLAP_REQUEST_ERROR_MOTION_VIDEO_TOO_LONG, "30");

  /* orientation "image": up to 10 s */
  clap_request_set_character_orientation (request, "image");
  clap_request_set_motion_seconds (request, 10.0);
  assert_valid (request);
  clap_request_set_motion_seconds (request, 10.5);
  assert_invalid (request, CLAP_REQUEST_ERROR_MOTION_VIDEO_TOO_LONG, "10");

  clap_request_set_character_orientation (request, "sideways");
  assert_invalid (request, CLAP_REQUEST_ERROR_UNKNOWN_ORIENTATION, "sideways");
  clap_request_set_character_orientation (request, "video");

  clap_request_set_version (request, "4.0");
  assert_invalid (request, CLAP_REQUEST_ERROR_UNKNOWN_VERSION, "2.6, 3.0");
}

static void
test_urls (void)
{
  g_autoptr(ClapRequest) request = valid_request ("kling-v3");

  clap_request_set_image (request, "http://example.com/a.png");
  assert_invalid (request, CLAP_REQUEST_ERROR_BAD_URL, "https");
  clap_request_set_image (request, "http://127.0.0.1:8080/files/a.png");
  assert_valid (request);
  clap_request_set_image (request, "https://example.com/a.png");
  clap_request_set_callback_url (request, "ftp://example.com/hook");
  assert_invalid (request, CLAP_REQUEST_ERROR_BAD_URL, NULL);
  clap_request_set_callback_url (request, "https://example.com/hook");
  assert_valid (request);

  g_assert_true (clap_url_is_allowed ("https://apimodels.app", NULL));
  g_assert_true (clap_url_is_allowed ("http://localhost:1234/x", NULL));
  g_assert_true (clap_url_is_allowed ("http://[::1]:1234/x", NULL));
  g_assert_false (clap_url_is_allowed ("http://192.168.1.2/x", NULL));
  g_assert_false (clap_url_is_allowed ("not a url", NULL));
  g_assert_false (clap_url_is_allowed ("https://", NULL));
}

/* Issue 9, part A: an https link on a private or loopback host is refused
 * before anything is sent, with a message that says why and what to do. */
static void
test_links_private (void)
{
  const char *private_hosts[] = {
    "127.0.0.1", "127.8.9.10", "10.0.0.5", "172.16.3.4", "172.31.255.255", "192.168.1.10",
    "100.64.1.1", "100.127.255.254", "169.254.169.254", "0.0.0.0", "[::1]", "[::]",
    "[fc00::1]", "[fd12:3456::1]", "[fe80::1]", "[::ffff:192.168.0.1]", "localhost",
    "LOCALHOST.", "foo.localhost", "printer.local", "db.internal", "nas.lan",
    "router.home.arpa", "intranet", "2130706433", "0x7f.1", "10.1",
  };
  const char *public_hosts[] = {
    "example.com", "cdn.example.com.", "8.8.8.8", "172.32.0.1", "172.15.0.1", "100.128.0.1",
    "11.0.0.1", "192.169.0.1", "[2001:4860:4860::8888]", "local.example.com",
    "lan.example.org", "r2.apimodels.app",
  };

  for (guint i = 0; i < G_N_ELEMENTS (private_hosts); i++)
    {
      g_autoptr(ClapRequest) request = valid_request ("kling-v3");
      g_autofree char *url = g_strdup_printf ("https://%s/first.png", private_hosts[i]);
      g_autoptr(GError) error = NULL;

      clap_request_set_image (request, url);
      /* the rules alone still pass: it is the provider that cannot reach it */
      assert_valid (request);
      g_assert_false (clap_request_check_links (request, "https://apimodels.app", &error));
      g_assert_error (error, CLAP_REQUEST_ERROR, CLAP_REQUEST_ERROR_PRIVATE_URL);
      g_test_message ("%s", error->message);
      g_assert_nonnull (strstr (error->message, url));
      g_assert_nonnull (strstr (error->message, "is a private or local address"));
      g_assert_nonnull (strstr (error->message, "Give a public link, or the file itself"));

      /* the real service is the default */
      g_clear_error (&error);
      g_assert_false (clap_request_check_links (request, NULL, &error));
    }

  for (guint i = 0; i < G_N_ELEMENTS (public_hosts); i++)
    {
      g_autoptr(ClapRequest) request = valid_request ("kling-v3");
      g_autofree char *url = g_strdup_printf ("https://%s/first.png", public_hosts[i]);
      g_autoptr(GError) error = NULL;

      clap_request_set_image (request, url);
      if (!clap_request_check_links (request, "https://apimodels.app", &error))
        g_error ("%s refused: %s", url, error->message);
    }
}

static void
test_links_slots (void)
{
  g_autoptr(ClapRequest) v26 = valid_request ("kling-v2-6");
  g_autoptr(ClapRequest) motion = valid_request ("kling-motion-control");
  g_autoptr(ClapRequest) v3 = valid_request ("kling-v3");
  g_autoptr(GError) error = NULL;

  /* the last frame and the motion video are links the provider fetches too */
  clap_request_set_image (v26, "https://example.com/a.png");
  clap_request_set_image_tail (v26, "https://192.168.0.7/b.png");
  g_assert_false (clap_request_check_links (v26, "https://apimodels.app", &error));
  g_assert_error (error, CLAP_REQUEST_ERROR, CLAP_REQUEST_ERROR_PRIVATE_URL);
  g_assert_nonnull (strstr (error->message, "192.168.0.7"));
  g_clear_error (&error);

  clap_request_set_motion_video (motion, "https://nas.local/dance.mp4");
  g_assert_false (clap_request_check_links (motion, "https://apimodels.app", &error));
  g_assert_error (error, CLAP_REQUEST_ERROR, CLAP_REQUEST_ERROR_PRIVATE_URL);
  g_assert_nonnull (strstr (error->message, "nas.local"));
  g_clear_error (&error);

  /* local files are uploaded, not fetched from here; a slot the model does
   * not send is not looked at */
  clap_request_set_image (v3, "/home/me/first.png");
  clap_request_set_motion_video (v3, "https://10.0.0.1/m.mp4");
  g_assert_true (clap_request_check_links (v3, "https://apimodels.app", &error));
  g_assert_no_error (error);

  /* the message shows a hostile link escaped */
  clap_request_set_image (v3, "https://10.0.0.1/\x1b[2Jx.png");
  g_assert_false (clap_request_check_links (v3, "https://apimodels.app", &error));
  g_assert_null (strchr (error->message, '\x1b'));
}

/* The simulator and the tests run the service on this computer, and its
 * upload endpoint answers with links there: a local service can fetch
 * local links, so nothing is refused. */
static void
test_links_local_service (void)
{
  const char *services[] = {
    "http://127.0.0.1:8080", "http://localhost:1234", "http://[::1]:9", "https://192.168.1.2",
    "https://provider.lan",
  };

  for (guint i = 0; i < G_N_ELEMENTS (services); i++)
    {
      g_autoptr(ClapRequest) request = valid_request ("kling-motion-control");
      g_autoptr(GError) error = NULL;

      clap_request_set_image (request, "http://127.0.0.1:8080/files/a.png");
      clap_request_set_motion_video (request, "https://10.0.0.3/m.mp4");
      g_assert_true (clap_request_check_links (request, services[i], &error));
      g_assert_no_error (error);
    }

  g_assert_true (clap_host_is_private ("127.0.0.1"));
  g_assert_false (clap_host_is_private ("apimodels.app"));
  g_assert_false (clap_host_is_private (NULL));
}

static char *
to_json_string (ClapRequest *request)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = clap_request_to_json (request, &error);

  g_assert_no_error (error);
  g_assert_nonnull (node);
  return json_to_string (node, FALSE);
}

static void
test_serialize (void)
{
  g_autoptr(ClapRequest) request = valid_request ("kling-v2-6");
  const char *voices[] = { "v1", "v2", NULL };
  g_autofree char *json = NULL;

  clap_request_set_prompt (request, "A man <<<voice_1>>> says: \"Hello\"");
  clap_request_set_mode (request, "pro");
  clap_request_set_duration (request, 10);
  clap_request_set_aspect_ratio (request, "9:16");
  clap_request_set_sound (request, TRUE);
  clap_request_set_voices (request, voices);
  clap_request_set_image (request, "https://e.com/a.png");
  clap_request_set_image_tail (request, "https://e.com/b.png");
  clap_request_set_negative_prompt (request, "blur");
  clap_request_set_callback_url (request, "https://e.com/hook");

  json = to_json_string (request);
  g_assert_cmpstr (json, ==,
                   "{\"model\":\"kling-v2-6\","
                   "\"prompt\":\"A man <<<voice_1>>> says: \\\"Hello\\\"\","
                   "\"negative_prompt\":\"blur\","
                   "\"mode\":\"pro\","
                   "\"duration\":\"10\","
                   "\"aspect_ratio\":\"9:16\","
                   "\"image\":\"https://e.com/a.png\","
                   "\"image_tail\":\"https://e.com/b.png\","
                   "\"sound\":\"on\","
                   "\"voice_list\":[{\"voice_id\":\"v1\"},{\"voice_id\":\"v2\"}],"
                   "\"callback_url\":\"https://e.com/hook\"}");
}

static void
test_serialize_motion (void)
{
  g_autoptr(ClapRequest) request = valid_request ("kling-motion-control");
  g_autofree char *json = NULL;

  clap_request_set_prompt (request, NULL);
  clap_request_set_motion_seconds (request, 7.2);
  clap_request_set_keep_original_sound (request, FALSE);
  clap_request_set_version (request, "3.0");
  clap_request_set_mode (request, "pro");
  clap_request_set_negative_prompt (request, "ignored by this model");

  json = to_json_string (request);
  /* The duration follows the video, as a string. The resolution goes out as
   * the mode, "1080p" for pro, and the inputs under both of the provider's
   * namings: image and motion_video, input_urls and video_urls. */
  g_assert_cmpstr (json, ==,
                   "{\"model\":\"kling-motion-control\","
                   "\"mode\":\"1080p\","
                   "\"duration\":\"8\","
                   "\"image\":\"https://example.com/character.png\","
                   "\"input_urls\":[\"https://example.com/character.png\"],"
                   "\"motion_video\":\"https://example.com/dance.mp4\","
                   "\"video_urls\":[\"https://example.com/dance.mp4\"],"
                   "\"character_orientation\":\"video\","
                   "\"keep_original_sound\":\"no\","
                   "\"version\":\"3.0\"}");
}

/* The provider's video page and a production client send motion control's
 * resolution as "720p" / "1080p", and its inputs as input_urls and
 * video_urls; its kling-video page as image and motion_video. */
static void
test_serialize_motion_wire (void)
{
  g_autoptr(ClapRequest) request = valid_request ("kling-motion-control");
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(JsonNode) settings = NULL;
  g_autoptr(ClapRequest) copy = NULL;
  JsonObject *body;
  JsonArray *inputs;
  ClapPrice price = 0;

  clap_request_set_mode (request, "std");
  node = clap_request_to_json (request, &error);
  g_assert_no_error (error);
  body = json_node_get_object (node);
  g_assert_cmpstr (json_object_get_string_member (body, "mode"), ==, "720p");
  g_assert_cmpstr (json_object_get_string_member (body, "image"), ==,
                   "https://example.com/character.png");
  g_assert_cmpstr (json_object_get_string_member (body, "motion_video"), ==,
                   "https://example.com/dance.mp4");
  inputs = json_object_get_array_member (body, "input_urls");
  g_assert_cmpuint (json_array_get_length (inputs), ==, 1);
  g_assert_cmpstr (json_array_get_string_element (inputs, 0), ==,
                   "https://example.com/character.png");
  inputs = json_object_get_array_member (body, "video_urls");
  g_assert_cmpuint (json_array_get_length (inputs), ==, 1);
  g_assert_cmpstr (json_array_get_string_element (inputs, 0), ==, "https://example.com/dance.mp4");
  g_assert_cmpstr (json_object_get_string_member (body, "keep_original_sound"), ==, "yes");
  g_assert_cmpstr (json_object_get_string_member (body, "character_orientation"), ==, "video");
  g_assert_cmpstr (json_object_get_string_member (body, "version"), ==, "2.6");

  /* The application's own values stay std and pro: saved settings and the
   * price rows keep working. */
  g_assert_cmpstr (clap_request_get_mode (request), ==, "std");
  g_assert_true (clap_request_estimate (request, &price));
  g_assert_cmpint (price, ==, 8 * 600);
  settings = clap_request_save_settings (request);
  copy = clap_request_new_from_settings (settings, NULL);
  g_assert_cmpstr (clap_request_get_mode (copy), ==, "std");

  /* the other models keep one naming and std/pro */
  {
    g_autoptr(ClapRequest) v3 = valid_request ("kling-v3");
    g_autoptr(JsonNode) v3_node = NULL;

    clap_request_set_mode (v3, "pro");
    clap_request_set_image (v3, "https://example.com/first.png");
    v3_node = clap_request_to_json (v3, &error);
    g_assert_no_error (error);
    body = json_node_get_object (v3_node);
    g_assert_cmpstr (json_object_get_string_member (body, "mode"), ==, "pro");
    g_assert_false (json_object_has_member (body, "input_urls"));
  }
}

static void
test_serialize_refuses (void)
{
  g_autoptr(ClapRequest) request = valid_request ("kling-v3");
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = NULL;

  clap_request_set_image (request, "/home/me/picture.png");
  node = clap_request_to_json (request, &error);
  g_assert_null (node);
  g_assert_error (error, CLAP_REQUEST_ERROR, CLAP_REQUEST_ERROR_NOT_UPLOADED);
  g_clear_error (&error);

  clap_request_set_image (request, NULL);
  clap_request_set_duration (request, 99);
  node = clap_request_to_json (request, &error);
  g_assert_null (node);
  g_assert_error (error, CLAP_REQUEST_ERROR, CLAP_REQUEST_ERROR_DURATION_NOT_ALLOWED);
}

static void
test_estimate (void)
{
  g_autoptr(ClapRequest) request = valid_request ("kling-v2-6");
  g_autoptr(ClapRequest) motion = valid_request ("kling-motion-control");
  const char *voices[] = { "v1", NULL };
  ClapPrice price = 0;

  g_assert_true (clap_request_estimate (request, &price));
  g_assert_cmpint (price, ==, 159);

  clap_request_set_mode (request, "pro");
  clap_request_set_sound (request, TRUE);
  clap_request_set_voices (request, voices);
  /* voices set but not called by the prompt: the audio price */
  g_assert_true (clap_request_estimate (request, &price));
  g_assert_cmpint (price, ==, 531);
  clap_request_set_prompt (request, "A man <<<voice_1>>> says hello");
  g_assert_true (clap_request_estimate (request, &price));
  g_assert_cmpint (price, ==, 639);

  /* motion control: per started second of the video */
  clap_request_set_motion_seconds (motion, 7.2);
  g_assert_true (clap_request_estimate (motion, &price));
  g_assert_cmpint (price, ==, 8 * 600);
  clap_request_set_version (motion, "3.0");
  clap_request_set_mode (motion, "pro");
  clap_request_set_motion_seconds (motion, 5.0);
  g_assert_true (clap_request_estimate (motion, &price));
  g_assert_cmpint (price, ==, 5 * 1500);

  /* unsold combination: no estimate */
  clap_request_set_mode (request, "std");
  g_assert_false (clap_request_estimate (request, &price));
}

static void
test_settings_roundtrip (void)
{
  g_autoptr(ClapRequest) request = valid_request ("kling-v2-6");
  g_autoptr(ClapRequest) copy = NULL;
  g_autoptr(JsonNode) settings = NULL;
  g_autofree char *a = NULL;
  g_autofree char *b = NULL;
  const char *voices[] = { "v1", NULL };

  clap_request_set_mode (request, "pro");
  clap_request_set_sound (request, TRUE);
  clap_request_set_voices (request, voices);
  clap_request_set_duration (request, 10);
  clap_request_set_image (request, "/tmp/first frame.png");

  settings = clap_request_save_settings (request);
  copy = clap_request_new_from_settings (settings, NULL);
  g_assert_nonnull (copy);
  g_assert_cmpstr (clap_request_get_image (copy), ==, "/tmp/first frame.png");
  g_assert_true (clap_request_get_sound (copy));
  g_assert_cmpuint (clap_request_get_duration (copy), ==, 10);
  g_assert_cmpstrv (clap_request_get_voices (copy), voices);

  a = clap_request_describe (request);
  b = clap_request_describe (copy);
  g_assert_cmpstr (a, ==, b);
  g_assert_cmpstr (a, ==, "Kling 2.6 · Professional · 10 s · 16:9 · audio");

  g_assert_finalize_object (g_steal_pointer (&copy));
}

static void
test_notify (void)
{
  g_autoptr(ClapRequest) request = clap_request_new ("kling-v3");
  guint count = 0;

  g_signal_connect_swapped (request, "notify", G_CALLBACK (g_atomic_int_inc), &count);

  clap_request_set_prompt (request, "a");
  clap_request_set_prompt (request, "a");
  g_assert_cmpuint (count, ==, 1);
  clap_request_set_duration (request, 5);
  g_assert_cmpuint (count, ==, 1);
  clap_request_set_duration (request, 6);
  g_assert_cmpuint (count, ==, 2);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/core/request/validate/defaults", test_valid_defaults);
  g_test_add_func ("/core/request/validate/model", test_unknown_model);
  g_test_add_func ("/core/request/validate/missing-prompt", test_missing_prompt);
  g_test_add_func ("/core/request/validate/prompt-length", test_prompt_length);
  g_test_add_func ("/core/request/validate/negative-prompt-length", test_negative_prompt_length);
  g_test_add_func ("/core/request/validate/prompt-text", test_prompt_text);
  g_test_add_func ("/core/request/validate/duration", test_duration);
  g_test_add_func ("/core/request/validate/mode", test_mode);
  g_test_add_func ("/core/request/validate/aspect-ratio", test_aspect_ratio);
  g_test_add_func ("/core/request/validate/sound", test_sound);
  g_test_add_func ("/core/request/validate/voices", test_voices);
  g_test_add_func ("/core/request/validate/image-tail", test_image_tail);
  g_test_add_func ("/core/request/validate/motion", test_motion_inputs);
  g_test_add_func ("/core/request/validate/urls", test_urls);
  g_test_add_func ("/core/request/links/private", test_links_private);
  g_test_add_func ("/core/request/links/slots", test_links_slots);
  g_test_add_func ("/core/request/links/local-service", test_links_local_service);
  g_test_add_func ("/core/request/serialize/v2-6", test_serialize);
  g_test_add_func ("/core/request/serialize/motion", test_serialize_motion);
  g_test_add_func ("/core/request/serialize/motion-wire", test_serialize_motion_wire);
  g_test_add_func ("/core/request/serialize/refuses", test_serialize_refuses);
  g_test_add_func ("/core/request/estimate", test_estimate);
  g_test_add_func ("/core/request/settings", test_settings_roundtrip);
  g_test_add_func ("/core/request/notify", test_notify);

  return g_test_run ();
}
