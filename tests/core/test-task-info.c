/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "clap-envelope.h"
#include "clap-task.h"
#include "clap-task-info.h"

static ClapTaskInfo *
parse_data (const char  *json,
            GError     **error)
{
  g_autoptr(JsonNode) node = json_from_string (json, NULL);

  g_assert_nonnull (node);
  return clap_task_info_parse (node, error);
}

static ClapTaskInfo *
parse_callback (const char  *json,
                GError     **error)
{
  g_autoptr(GBytes) bytes = g_bytes_new (json, strlen (json));
  return clap_task_info_parse_callback (bytes, error);
}

static void
test_query_completed (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ClapTaskInfo) info =
    parse_data ("{\"taskId\":\"clxxx\",\"state\":\"completed\",\"model\":\"kling-video/kling-v2-6\","
                "\"resultUrls\":[\"https://r.example/v.mp4\"],\"createTime\":1705123450000,"
                "\"completeTime\":1705123500000,\"extraField\":{\"x\":1}}", &error);

  g_assert_no_error (error);
  g_assert_cmpstr (info->task_id, ==, "clxxx");
  g_assert_cmpint (info->state, ==, CLAP_TASK_STATE_COMPLETED);
  g_assert_cmpstr (info->model, ==, "kling-video/kling-v2-6");
  g_assert_cmpuint (g_strv_length (info->result_urls), ==, 1);
  g_assert_cmpstr (info->result_urls[0], ==, "https://r.example/v.mp4");
  g_assert_cmpint (info->create_time, ==, 1705123450000);
  g_assert_cmpint (info->complete_time, ==, 1705123500000);
  g_assert_null (info->fail_msg);
}

static void
test_query_variants (void)
{
  g_autoptr(ClapTaskInfo) failed = NULL;
  g_autoptr(ClapTaskInfo) videos = NULL;
  g_autoptr(ClapTaskInfo) objects = NULL;
  g_autoptr(ClapTaskInfo) sparse = NULL;
  g_autoptr(ClapTaskInfo) odd = NULL;
  g_autoptr(GError) error = NULL;

  failed = parse_data ("{\"taskId\":\"c1\",\"state\":\"failed\",\"failMsg\":\"Content policy violation\"}",
                       &error);
  g_assert_no_error (error);
  g_assert_cmpint (failed->state, ==, CLAP_TASK_STATE_FAILED);
  g_assert_cmpstr (failed->fail_msg, ==, "Content policy violation");
  g_assert_null (failed->result_urls);

  /* results as data.videos, as some replies carry them */
  videos = parse_data ("{\"taskId\":\"c2\",\"state\":\"completed\",\"videos\":[\"https://a/v.mp4\"]}", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (videos->result_urls[0], ==, "https://a/v.mp4");

  objects = parse_data ("{\"taskId\":\"c3\",\"state\":\"completed\","
                        "\"videos\":[{\"url\":\"https://a/w.mp4\"},7,null]}", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (objects->result_urls), ==, 1);
  g_assert_cmpstr (objects->result_urls[0], ==, "https://a/w.mp4");

  /* every optional field absent or null */
  sparse = parse_data ("{\"taskId\":\"c4\",\"state\":null,\"model\":null,\"resultUrls\":null,"
                       "\"createTime\":null,\"failMsg\":null}", &error);
  g_assert_no_error (error);
  g_assert_cmpint (sparse->state, ==, CLAP_TASK_STATE_PENDING);
  g_assert_null (sparse->result_urls);
  g_assert_cmpint (sparse->create_time, ==, 0);

  /* times as strings, an unknown state, an empty list */
  odd = parse_data ("{\"taskId\":\"c5\",\"state\":\"rendering\",\"createTime\":\"1705123450000\","
                    "\"resultUrls\":[]}", &error);
  g_assert_no_error (error);
  g_assert_cmpint (odd->state, ==, CLAP_TASK_STATE_PROCESSING);
  g_assert_cmpint (odd->create_time, ==, 1705123450000);
  g_assert_null (odd->result_urls);
}

static void
test_query_invalid (void)
{
  const char *cases[] = {
    "{\"state\":\"pending\"}",
    "{\"taskId\":null}",
    "{\"taskId\":[1]}",
    "[]",
    "\"x\"",
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(ClapTaskInfo) info = parse_data (cases[i], &error);

      g_assert_null (info);
      g_assert_error (error, CLAP_CLIENT_ERROR, CLAP_CLIENT_ERROR_PROTOCOL);
    }
}

static void
test_callback_completed (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ClapTaskInfo) info = parse_callback (
    "{\"code\":200,\"msg\":\"success\",\"data\":{"
    "\"taskId\":\"clxxx\",\"model\":\"kling-video/kling-v2-6\",\"state\":\"completed\","
    "\"param\":\"{\\\"model\\\":\\\"kling-v2-6\\\",\\\"prompt\\\":\\\"cat\\\"}\","
    "\"resultJson\":\"{\\\"resultUrls\\\":[\\\"https://r2.apimodels.app/videos/x.mp4\\\"],"
    "\\\"videoDuration\\\":5,\\\"thumbnailUrl\\\":\\\"https://r2/x.jpg\\\","
    "\\\"videoSize\\\":\\\"1280x720\\\",\\\"videoModel\\\":\\\"kling-v2-6\\\"}\","
    "\"failCode\":null,\"failMsg\":null,\"costTime\":12345,"
    "\"completeTime\":1705123500000,\"createTime\":1705123450000}}", &error);

  g_assert_no_error (error);
  g_assert_cmpstr (info->task_id, ==, "clxxx");
  g_assert_cmpint (info->state, ==, CLAP_TASK_STATE_COMPLETED);
  g_assert_cmpstr (info->result_urls[0], ==, "https://r2.apimodels.app/videos/x.mp4");
  g_assert_cmpstr (info->thumbnail_url, ==, "https://r2/x.jpg");
  g_assert_cmpfloat (info->video_duration, ==, 5.0);
  g_assert_cmpstr (info->video_size, ==, "1280x720");
  g_assert_cmpint (info->cost_time, ==, 12345);
  g_assert_nonnull (info->param);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (info->param), "prompt"),
                   ==, "cat");
}

static void
test_callback_failed (void)
{
  const char *result_json[] = {
    "null",
    "\"{\\\"resultUrls\\\":[]}\"",
    "\"not json at all\"",
    "\"[1,2]\"",
    "{\"resultUrls\":[]}",
  };

  for (guint i = 0; i < G_N_ELEMENTS (result_json); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *body = g_strdup_printf (
        "{\"code\":200,\"msg\":\"success\",\"data\":{\"taskId\":\"c9\",\"state\":\"failed\","
        "\"param\":null,\"resultJson\":%s,\"failCode\":\"CONTENT\",\"failMsg\":\"Content policy violation\"}}",
        result_json[i]);
      g_autoptr(ClapTaskInfo) info = parse_callback (body, &error);

      g_assert_no_error (error);
      g_assert_cmpint (info->state, ==, CLAP_TASK_STATE_FAILED);
      g_assert_null (info->result_urls);
      g_assert_null (info->param);
      g_assert_cmpstr (info->fail_msg, ==, "Content policy violation");
      g_assert_cmpstr (info->fail_code, ==, "CONTENT");
    }
}

static void
test_callback_minimal (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ClapTaskInfo) info =
    parse_callback ("{\"code\":200,\"msg\":\"success\",\"data\":{\"taskId\":\"c1\"}}", &error);

  g_assert_no_error (error);
  g_assert_cmpstr (info->task_id, ==, "c1");
}

static void
test_callback_garbage (void)
{
  const char *cases[] = { "", "{", "{\"code\":200}", "{\"code\":200,\"data\":{}}", "<html>" };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(ClapTaskInfo) info = parse_callback (cases[i], &error);

      g_assert_null (info);
      g_assert_error (error, CLAP_CLIENT_ERROR, CLAP_CLIENT_ERROR_PROTOCOL);
    }
}

static void
test_apply (void)
{
  g_autoptr(ClapTask) task = clap_task_new_for_request (NULL);
  g_autoptr(ClapTaskInfo) processing = parse_data ("{\"taskId\":\"c1\",\"state\":\"processing\"}", NULL);
  g_autoptr(ClapTaskInfo) pending = parse_data ("{\"taskId\":\"c1\",\"state\":\"pending\"}", NULL);
  g_autoptr(ClapTaskInfo) done = parse_data ("{\"taskId\":\"c1\",\"state\":\"completed\","
                                             "\"resultUrls\":[\"https://x/v.mp4\"],"
                                             "\"completeTime\":5}", NULL);

  g_assert_true (clap_task_apply_info (task, processing, NULL));
  g_assert_cmpint (clap_task_get_state (task), ==, CLAP_TASK_STATE_PROCESSING);
  g_assert_false (clap_task_apply_info (task, processing, NULL));
  /* a late "pending" never moves a take back */
  g_assert_false (clap_task_apply_info (task, pending, NULL));
  g_assert_cmpint (clap_task_get_state (task), ==, CLAP_TASK_STATE_PROCESSING);
  g_assert_true (clap_task_apply_info (task, done, NULL));
  g_assert_true (clap_task_needs_download (task));
  g_assert_cmpstr (clap_task_get_result_url (task), ==, "https://x/v.mp4");
  /* nor does anything undo a final state */
  g_assert_false (clap_task_apply_info (task, processing, NULL));
  g_assert_cmpint (clap_task_get_state (task), ==, CLAP_TASK_STATE_COMPLETED);
  clap_task_set_local_file (task, "/tmp/x.mp4");
  g_assert_false (clap_task_needs_download (task));
}

static void
test_states (void)
{
  for (ClapTaskState s = CLAP_TASK_STATE_SUBMITTING; s <= CLAP_TASK_STATE_INTERRUPTED; s++)
    {
      ClapTaskState back;

      g_assert_true (clap_task_state_from_string (clap_task_state_to_string (s), &back));
      g_assert_cmpint (back, ==, s);
      g_assert_nonnull (clap_task_state_get_label (s));
      g_assert_false (clap_task_state_is_final (s) && clap_task_state_is_active (s));
    }
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/core/task-info/query/completed", test_query_completed);
  g_test_add_func ("/core/task-info/query/variants", test_query_variants);
  g_test_add_func ("/core/task-info/query/invalid", test_query_invalid);
  g_test_add_func ("/core/task-info/callback/completed", test_callback_completed);
  g_test_add_func ("/core/task-info/callback/failed", test_callback_failed);
  g_test_add_func ("/core/task-info/callback/minimal", test_callback_minimal);
  g_test_add_func ("/core/task-info/callback/garbage", test_callback_garbage);
  g_test_add_func ("/core/task-info/apply", test_apply);
  g_test_add_func ("/core/task-info/states", test_states);

  return g_test_run ();
}
