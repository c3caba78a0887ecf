/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "clap-envelope.h"
#include "clap-task.h"
#include "clap-task-info.h"
#include "clap-untrusted.h"

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

/* An answer as the client reads it: the envelope, then the task. */
static ClapTaskInfo *
parse_answer (const char  *body,
              GError     **error)
{
  g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));
  g_autoptr(JsonNode) data = clap_envelope_parse (200, "application/json", bytes, error);

  if (data == NULL)
    return NULL;
  return clap_task_info_parse (data, error);
}

static ClapTaskInfo *
parse_raw_ok (const char *body)
{
  g_autoptr(GError) error = NULL;
  ClapTaskInfo *info = parse_answer (body, &error);

  g_test_message ("%s", body);
  g_assert_no_error (error);
  g_assert_nonnull (info);
  return info;
}

/* @body as is when it is an envelope, else as the envelope's data. */
static ClapTaskInfo *
parse_ok (const char *body)
{
  g_autofree char *wrapped = NULL;

  if (!g_str_has_prefix (body, "{\"code\""))
    body = wrapped = g_strdup_printf ("{\"code\":200,\"msg\":\"success\",\"data\":%s}", body);
  return parse_raw_ok (body);
}

/* Finding B1: a create answer carrying task_id or id, in data or at the top. */
static void
test_dialect_task_id (void)
{
  const struct { const char *body; const char *id; } cases[] = {
    { "{\"code\":200,\"data\":{\"task_id\":\"t-1\",\"status\":\"submitted\"}}", "t-1" },
    { "{\"code\":200,\"data\":{\"id\":\"t-2\"}}", "t-2" },
    { "{\"code\":200,\"data\":{\"id\":123456789}}", "123456789" },
    { "{\"code\":200,\"msg\":\"success\",\"task_id\":\"t-3\"}", "t-3" },
    { "{\"code\":200,\"msg\":\"success\",\"data\":{\"status\":\"queued\"},\"task_id\":\"t-4\"}", "t-4" },
    { "{\"task_id\":\"t-5\",\"status\":\"pending\"}", "t-5" },
    { "{\"id\":\"t-6\"}", "t-6" },
    /* taskId comes first, then task_id, then id */
    { "{\"code\":200,\"data\":{\"id\":\"req-9\",\"task_id\":\"t-7\",\"taskId\":\"t-8\"}}", "t-8" },
    { "{\"code\":200,\"data\":{\"id\":\"req-9\",\"task_id\":\"t-9\"}}", "t-9" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(ClapTaskInfo) info = parse_raw_ok (cases[i].body);

      g_assert_cmpstr (info->task_id, ==, cases[i].id);
      g_assert_true (clap_task_state_is_active (info->state));
    }
}

/* Finding B2: "status" (and task_status) instead of "state". */
static void
test_dialect_status (void)
{
  const struct { const char *body; ClapTaskState state; } cases[] = {
    { "{\"taskId\":\"a\",\"status\":\"processing\"}", CLAP_TASK_STATE_PROCESSING },
    { "{\"taskId\":\"a\",\"status\":\"PROCESSING\"}", CLAP_TASK_STATE_PROCESSING },
    { "{\"task_id\":\"a\",\"task_status\":\"submitted\"}", CLAP_TASK_STATE_PENDING },
    { "{\"task_id\":\"a\",\"task_status\":\"failed\",\"task_status_msg\":\"x\"}",
      CLAP_TASK_STATE_FAILED },
    { "{\"code\":200,\"data\":{\"taskId\":\"a\",\"status\":\"completed\","
      "\"videos\":[\"https://r.example/v.mp4\"]}}", CLAP_TASK_STATE_COMPLETED },
    { "{\"code\":200,\"data\":{\"task_id\":\"a\",\"task_status\":\"succeed\","
      "\"task_result\":{\"videos\":[{\"id\":\"v1\",\"url\":\"https://r.example/v.mp4\"}]}}}",
      CLAP_TASK_STATE_COMPLETED },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(ClapTaskInfo) info = parse_ok (cases[i].body);
      g_assert_cmpint (info->state, ==, cases[i].state);
    }
}

/* Finding B2: every state name of CONTRACT.md's dialects, in any case. */
static void
test_dialect_states (void)
{
  const struct { const char *name; ClapTaskState state; } cases[] = {
    { "pending", CLAP_TASK_STATE_PENDING }, { "queued", CLAP_TASK_STATE_PENDING },
    { "submitted", CLAP_TASK_STATE_PENDING }, { "Waiting", CLAP_TASK_STATE_PENDING },
    { "processing", CLAP_TASK_STATE_PROCESSING }, { "running", CLAP_TASK_STATE_PROCESSING },
    { "in_progress", CLAP_TASK_STATE_PROCESSING }, { "GENERATING", CLAP_TASK_STATE_PROCESSING },
    { "completed", CLAP_TASK_STATE_COMPLETED }, { "succeed", CLAP_TASK_STATE_COMPLETED },
    { "succeeded", CLAP_TASK_STATE_COMPLETED }, { "Success", CLAP_TASK_STATE_COMPLETED },
    { "done", CLAP_TASK_STATE_COMPLETED },
    { "failed", CLAP_TASK_STATE_FAILED }, { "fail", CLAP_TASK_STATE_FAILED },
    { "ERROR", CLAP_TASK_STATE_FAILED },
    { "cancelled", CLAP_TASK_STATE_FAILED }, { "canceled", CLAP_TASK_STATE_FAILED },
    { "Expired", CLAP_TASK_STATE_FAILED },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *body = g_strdup_printf ("{\"taskId\":\"a\",\"status\":\"%s\"}",
                                               cases[i].name);
      g_autoptr(ClapTaskInfo) info = parse_ok (body);

      g_assert_cmpint (info->state, ==, cases[i].state);
      g_assert_null (info->service_state);
    }
}

/* Finding B2: "succeeded" is done, "cancelled" is over without a result,
 * and a state no one knows keeps the take polled, shown as written. */
static void
test_dialect_succeeded_cancelled_unknown (void)
{
  g_autoptr(ClapTaskInfo) succeeded = NULL;
  g_autoptr(ClapTaskInfo) cancelled = NULL;
  g_autoptr(ClapTaskInfo) cancelled_reason = NULL;
  g_autoptr(ClapTaskInfo) unknown = NULL;
  g_autoptr(ClapTaskInfo) hostile = NULL;
  g_autofree char *long_state = g_strnfill (500, 'r');
  g_autofree char *long_body = NULL;
  g_autoptr(ClapTaskInfo) long_info = NULL;

  succeeded = parse_ok ("{\"code\":200,\"data\":{\"taskId\":\"a\",\"status\":\"succeeded\","
                        "\"video_url\":\"https://r.example/v.mp4\"}}");
  g_assert_cmpint (succeeded->state, ==, CLAP_TASK_STATE_COMPLETED);
  g_assert_cmpstr (succeeded->result_urls[0], ==, "https://r.example/v.mp4");

  cancelled = parse_ok ("{\"code\":200,\"data\":{\"taskId\":\"a\",\"status\":\"cancelled\"}}");
  g_assert_cmpint (cancelled->state, ==, CLAP_TASK_STATE_FAILED);
  g_assert_nonnull (cancelled->fail_msg);
  g_test_message ("%s", cancelled->fail_msg);
  g_assert_nonnull (strstr (cancelled->fail_msg, "without a result"));
  g_assert_nonnull (strstr (cancelled->fail_msg, "cancelled"));

  cancelled_reason = parse_ok ("{\"taskId\":\"a\",\"status\":\"expired\","
                               "\"message\":\"queue timeout\"}");
  g_assert_cmpint (cancelled_reason->state, ==, CLAP_TASK_STATE_FAILED);
  g_assert_nonnull (strstr (cancelled_reason->fail_msg, "without a result"));
  g_assert_nonnull (strstr (cancelled_reason->fail_msg, "queue timeout"));

  unknown = parse_ok ("{\"code\":200,\"data\":{\"taskId\":\"a\",\"status\":\"rendering\"}}");
  g_assert_cmpint (unknown->state, ==, CLAP_TASK_STATE_PROCESSING);
  g_assert_cmpstr (unknown->service_state, ==, "rendering");

  /* Clapboard's own words are no state of the service's */
  hostile = parse_ok ("{\"taskId\":\"a\",\"state\":\"interrupted\"}");
  g_assert_cmpint (hostile->state, ==, CLAP_TASK_STATE_PROCESSING);
  g_assert_cmpstr (hostile->service_state, ==, "interrupted");

  long_body = g_strdup_printf ("{\"taskId\":\"a\",\"state\":\"\\u001b[2J%s\"}", long_state);
  long_info = parse_ok (long_body);
  g_assert_cmpint (long_info->state, ==, CLAP_TASK_STATE_PROCESSING);
  g_assert_cmpuint (g_utf8_strlen (long_info->service_state, -1), <=, 65);
  g_assert_null (strchr (long_info->service_state, '\x1b'));

  /* found by fuzzing: escaped, a control character takes four characters;
   * the bound is the one of what is shown */
  {
    g_autoptr(GString) controls = g_string_new ("{\"taskId\":\"a\",\"status\":\"ren");
    g_autoptr(ClapTaskInfo) control_info = NULL;

    for (guint i = 0; i < 100; i++)
      g_string_append (controls, "\\u0006");
    g_string_append (controls, "dering\"}");
    control_info = parse_ok (controls->str);
    g_assert_cmpint (control_info->state, ==, CLAP_TASK_STATE_PROCESSING);
    g_assert_cmpuint (g_utf8_strlen (control_info->service_state, -1), <=, 65);
    g_assert_true (g_str_has_prefix (control_info->service_state, "ren\\x06"));
  }
}

static void
assert_results (const char         *body,
                const char * const *expected)
{
  g_autoptr(ClapTaskInfo) info = parse_ok (body);

  g_assert_cmpint (info->state, ==, CLAP_TASK_STATE_COMPLETED);
  if (expected == NULL)
    g_assert_null (info->result_urls);
  else
    g_assert_cmpstrv (info->result_urls, expected);
}

/* Finding B3: results under every name the dialects use, or none. */
static void
test_dialect_results (void)
{
  const char * const one[] = { "https://r.example/v.mp4", NULL };
  const char * const two[] = { "https://r.example/a.mp4", "https://r.example/b.mp4", NULL };
  g_autoptr(GString) many = g_string_new ("{\"taskId\":\"a\",\"state\":\"completed\",\"resultUrls\":[");
  g_autoptr(ClapTaskInfo) capped = NULL;

  assert_results ("{\"taskId\":\"a\",\"state\":\"completed\","
                  "\"result\":{\"videos\":[{\"url\":\"https://r.example/v.mp4\"}]}}", one);
  assert_results ("{\"taskId\":\"a\",\"state\":\"completed\","
                  "\"result\":{\"videos\":[\"https://r.example/v.mp4\"]}}", one);
  assert_results ("{\"taskId\":\"a\",\"state\":\"completed\","
                  "\"video_url\":\"https://r.example/v.mp4\"}", one);
  assert_results ("{\"taskId\":\"a\",\"state\":\"completed\","
                  "\"resultUrls\":\"https://r.example/v.mp4\"}", one);
  assert_results ("{\"taskId\":\"a\",\"state\":\"completed\","
                  "\"url\":\"https://r.example/v.mp4\"}", one);
  assert_results ("{\"taskId\":\"a\",\"state\":\"completed\",\"videos\":"
                  "[{\"url\":\"https://r.example/a.mp4\"},\"https://r.example/b.mp4\"]}", two);
  assert_results ("{\"task_id\":\"a\",\"task_status\":\"succeed\",\"task_result\":{\"videos\":"
                  "[{\"id\":\"1\",\"url\":\"https://r.example/v.mp4\",\"duration\":\"5.1\"}]}}", one);
  assert_results ("{\"taskId\":\"a\",\"state\":\"completed\",\"resultJson\":"
                  "\"{\\\"resultUrls\\\":[\\\"https://r.example/v.mp4\\\"]}\"}", one);
  /* at the top level of an envelope */
  assert_results ("{\"code\":200,\"data\":{\"taskId\":\"a\",\"state\":\"completed\"},"
                  "\"videos\":[\"https://r.example/v.mp4\"]}", one);

  /* as the production client does, last: any video link in the answer */
  assert_results ("{\"taskId\":\"a\",\"state\":\"completed\",\"output\":{\"files\":"
                  "[{\"href\":\"https://cdn.example/x/v.MP4?sig=1\"}]}}",
                  (const char *[]) { "https://cdn.example/x/v.MP4?sig=1", NULL });
  /* ...but never the inputs the request named, echoed back */
  assert_results ("{\"taskId\":\"a\",\"state\":\"completed\",\"param\":{\"motion_video\":"
                  "\"https://in.example/dance.mp4\"},\"video_urls\":[\"https://in.example/d.mp4\"]}",
                  NULL);
  /* no link at all: completed, and the session decides what follows */
  assert_results ("{\"taskId\":\"a\",\"state\":\"completed\"}", NULL);
  assert_results ("{\"taskId\":\"a\",\"state\":\"completed\",\"videos\":[]}", NULL);

  /* links that may not be used are dropped: plain http off this computer,
   * no scheme, longer than 2048 bytes */
  {
    g_autofree char *path = g_strnfill (2100, 'p');
    g_autofree char *body = g_strdup_printf (
      "{\"taskId\":\"a\",\"state\":\"completed\",\"resultUrls\":[\"http://evil.example/v.mp4\","
      "\"file:///etc/passwd\",\"/tmp/v.mp4\",\"https://r.example/%s.mp4\",7,null,"
      "\"https://r.example/v.mp4\"]}", path);
    assert_results (body, one);
  }

  /* at most 8 kept */
  for (guint i = 0; i < 20; i++)
    g_string_append_printf (many, "%s\"https://r.example/%u.mp4\"", i ? "," : "", i);
  g_string_append (many, "]}");
  capped = parse_ok (many->str);
  g_assert_cmpuint (g_strv_length (capped->result_urls), ==, 8);
  g_assert_cmpstr (capped->result_urls[7], ==, "https://r.example/7.mp4");
}

/* Finding B4: the failure reason under every name the dialects use. */
static void
test_dialect_fail_reason (void)
{
  const char *cases[] = {
    "{\"taskId\":\"a\",\"state\":\"failed\",\"failReason\":\"Nope\"}",
    "{\"taskId\":\"a\",\"state\":\"failed\",\"fail_reason\":\"Nope\"}",
    "{\"taskId\":\"a\",\"state\":\"failed\",\"error\":\"Nope\"}",
    "{\"taskId\":\"a\",\"state\":\"failed\",\"error\":{\"code\":42,\"message\":\"Nope\"}}",
    "{\"taskId\":\"a\",\"state\":\"failed\",\"message\":\"Nope\"}",
    "{\"task_id\":\"a\",\"task_status\":\"failed\",\"task_status_msg\":\"Nope\"}",
    "{\"taskId\":\"a\",\"state\":\"failed\",\"msg\":\"Nope\"}",
    "{\"code\":200,\"data\":{\"taskId\":\"a\",\"state\":\"failed\",\"error\":{\"message\":\"Nope\"}}}",
    /* failMsg comes first */
    "{\"taskId\":\"a\",\"state\":\"failed\",\"message\":\"Other\",\"failMsg\":\"Nope\"}",
    /* an empty reason is no reason */
    "{\"taskId\":\"a\",\"state\":\"failed\",\"failMsg\":\"\",\"error\":\"Nope\"}",
  };
  g_autofree char *long_reason = g_strnfill (5000, 'x');
  g_autofree char *long_body = g_strdup_printf ("{\"taskId\":\"a\",\"state\":\"failed\","
                                                "\"failMsg\":\"%s\"}", long_reason);
  g_autoptr(ClapTaskInfo) long_info = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(ClapTaskInfo) info = parse_ok (cases[i]);

      g_assert_cmpint (info->state, ==, CLAP_TASK_STATE_FAILED);
      g_assert_cmpstr (info->fail_msg, ==, "Nope");
    }

  long_info = parse_ok (long_body);
  g_assert_cmpuint (g_utf8_strlen (long_info->fail_msg, -1), <=, 1001);
}

/* Finding B5: times as ISO 8601, in seconds, in milliseconds, as text. */
static void
test_dialect_times (void)
{
  const struct { const char *value; gint64 ms; } cases[] = {
    { "1705123450000", 1705123450000 },
    { "1705123450", 1705123450000 },
    { "1705123450.5", 1705123450500 },
    { "\"1705123450000\"", 1705123450000 },
    { "\"1705123450\"", 1705123450000 },
    { "\"2024-01-13T05:24:10Z\"", 1705123450000 },
    { "\"2024-01-13T05:24:10.000Z\"", 1705123450000 },
    { "\"2024-01-13T13:24:10+08:00\"", 1705123450000 },
    { "\"2024-01-13 05:24:10\"", 1705123450000 },
    /* never 1970: what cannot be a time is no time */
    { "5", 0 }, { "0", 0 }, { "-1705123450", 0 }, { "1e300", 0 }, { "\"soon\"", 0 },
    { "\"\"", 0 }, { "true", 0 }, { "{}", 0 }, { "\"1970-01-01T00:00:00Z\"", 0 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *body = g_strdup_printf ("{\"taskId\":\"a\",\"state\":\"completed\","
                                               "\"createTime\":%s,\"completeTime\":%s}",
                                               cases[i].value, cases[i].value);
      g_autoptr(ClapTaskInfo) info = parse_ok (body);

      g_assert_cmpint (info->create_time, ==, cases[i].ms);
      g_assert_cmpint (info->complete_time, ==, cases[i].ms);
    }
}

/* A task id that could be a path, or could not be shown, is refused. */
static void
test_invalid_task_id (void)
{
  g_autofree char *too_long = g_strnfill (CLAP_TASK_ID_MAX_LENGTH + 1, 'a');
  g_autofree char *long_body = g_strdup_printf ("{\"taskId\":\"%s\"}", too_long);
  const char *cases[] = {
    "{\"taskId\":\"../../../../tmp/x\",\"state\":\"pending\"}",
    "{\"code\":200,\"data\":{\"task_id\":\"../../Videos/wedding\"}}",
    "{\"id\":\"a/b\"}",
    "{\"taskId\":\"a\\u001b[2Jb\"}",
    "{\"taskId\":\"a b\"}",
    "{\"taskId\":\"\\u4efb\\u52a1\"}",
    "{\"taskId\":1.5}",
    "{\"taskId\":-7}",
    long_body,
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(ClapTaskInfo) info = parse_answer (cases[i], &error);

      g_test_message ("%s", cases[i]);
      g_assert_null (info);
      g_assert_error (error, CLAP_CLIENT_ERROR, CLAP_CLIENT_ERROR_PROTOCOL);
      g_test_message ("→ %s", error->message);
      g_assert_nonnull (strstr (error->message, "task id Clapboard cannot use"));
      g_assert_null (strchr (error->message, '\x1b'));
      g_assert_cmpuint (strlen (error->message), <, 400);
    }
}

/* What is kept from an answer is valid UTF-8 and bounded. */
static void
test_bounded (void)
{
  g_autofree char *long_model = g_strnfill (1000, 'm');
  g_autofree char *body = g_strdup_printf ("{\"taskId\":\"a\",\"state\":\"failed\",\"model\":\"%s\","
                                           "\"failMsg\":\"bad \\udc00 \\u0000x\","
                                           "\"videoSize\":\"%s\",\"failCode\":\"%s\"}",
                                           long_model, long_model, long_model);
  g_autoptr(ClapTaskInfo) info = parse_ok (body);

  g_assert_cmpuint (g_utf8_strlen (info->model, -1), <=, 129);
  g_assert_cmpuint (g_utf8_strlen (info->video_size, -1), <=, 129);
  g_assert_cmpuint (g_utf8_strlen (info->fail_code, -1), <=, 129);
  g_assert_true (g_utf8_validate (info->fail_msg, -1, NULL));

  /* found by fuzzing: the bound is in characters, multi-byte ones too */
  {
    g_autoptr(GString) wide = g_string_new ("{\"taskId\":\"a\",\"model\":\"");
    g_autoptr(ClapTaskInfo) wide_info = NULL;

    for (guint i = 0; i < 300; i++)
      g_string_append (wide, "я");
    g_string_append (wide, "\"}");
    wide_info = parse_ok (wide->str);
    g_assert_cmpuint (g_utf8_strlen (wide_info->model, -1), ==, 129);
    g_assert_true (g_str_has_suffix (wide_info->model, "я…"));
  }
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

/* What the server says is shown in labels and printed to terminals: its
 * control characters are escaped, never passed on. */
static void
test_controls_escaped (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ClapTaskInfo) info =
    parse_data ("{\"taskId\":\"c1\",\"state\":\"failed\",\"model\":\"kling\\u001b]0;x\\u0007\","
                "\"failCode\":\"E\\u009b1\",\"failMsg\":\"Policy\\u001b[31m red \\u202eevil\"}",
                &error);

  g_assert_no_error (error);
  g_assert_cmpstr (info->model, ==, "kling\\x1B]0;x\\x07");
  g_assert_cmpstr (info->fail_code, ==, "E\\x9B1");
  g_assert_cmpstr (info->fail_msg, ==, "Policy\\x1B[31m red \\u202Eevil");
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
  g_test_add_func ("/core/task-info/dialect/task-id", test_dialect_task_id);
  g_test_add_func ("/core/task-info/dialect/status", test_dialect_status);
  g_test_add_func ("/core/task-info/dialect/states", test_dialect_states);
  g_test_add_func ("/core/task-info/dialect/succeeded-cancelled-unknown",
                   test_dialect_succeeded_cancelled_unknown);
  g_test_add_func ("/core/task-info/dialect/results", test_dialect_results);
  g_test_add_func ("/core/task-info/dialect/fail-reason", test_dialect_fail_reason);
  g_test_add_func ("/core/task-info/dialect/times", test_dialect_times);
  g_test_add_func ("/core/task-info/invalid-task-id", test_invalid_task_id);
  g_test_add_func ("/core/task-info/bounded", test_bounded);
  g_test_add_func ("/core/task-info/apply", test_apply);
  g_test_add_func ("/core/task-info/states", test_states);
  g_test_add_func ("/core/task-info/controls-escaped", test_controls_escaped);

  return g_test_run ();
}
