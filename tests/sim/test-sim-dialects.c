/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-sim-dialects"

#include "config.h"

#include <string.h>

#include "clap-sim-server-private.h"
#include "sim-test-util.h"

#define GENERATIONS "/api/v1/video/generations"

/* Every shape a dialect answers in, as CONTRACT.md's "Dialects seen in the
 * wild" lists its parts: each test below drives a task through every
 * state in one shape and holds each answer against this table. */

typedef enum {
  TIMES_MS,
  TIMES_SECONDS,
  TIMES_ISO8601,
  TIMES_MS_STRING,
} Times;

typedef enum {
  RESULTS_RESULT_URLS,
  RESULTS_VIDEO_OBJECTS,
  RESULTS_VIDEO_STRINGS,
  RESULTS_VIDEO_URL,
  RESULTS_TASK_RESULT,
  RESULTS_RESULT_JSON,
} Results;

typedef enum {
  FAILURE_FAIL_MSG,
  FAILURE_ERROR_OBJECT,
  FAILURE_ERROR_STRING,
  FAILURE_FAIL_REASON,
  FAILURE_TASK_STATUS_MSG,
} Failure;

typedef struct {
  const char *path;
  const char *dialect;
  guint       n_shapes;
  guint       index;          /* the task N is in shape (N - 1) mod n_shapes */
  const char *id_member;
  gboolean    numeric_id;
  const char *state_member;
  const char *words[5];       /* pending, processing, completed, failed, cancelled */
  Results     results;
  Failure     failure;
  Times       times;
  gboolean    string_code;
} Shape;

static const Shape shapes[] = {
  {
    "seed", "seed", 1, 0, "taskId", FALSE, "state",
    { "pending", "processing", "completed", "failed", "cancelled" },
    RESULTS_RESULT_URLS, FAILURE_FAIL_MSG, TIMES_MS, FALSE,
  },
  {
    "gateway/a", "gateway", 3, 0, "id", TRUE, "status",
    { "queued", "running", "succeeded", "failed", "canceled" },
    RESULTS_VIDEO_OBJECTS, FAILURE_ERROR_OBJECT, TIMES_SECONDS, TRUE,
  },
  {
    "gateway/b", "gateway", 3, 1, "id", TRUE, "status",
    { "WAITING", "IN_PROGRESS", "SUCCESS", "ERROR", "CANCELLED" },
    RESULTS_VIDEO_STRINGS, FAILURE_ERROR_STRING, TIMES_ISO8601, TRUE,
  },
  {
    "gateway/c", "gateway", 3, 2, "id", TRUE, "status",
    { "pending", "generating", "done", "fail", "canceled" },
    RESULTS_VIDEO_URL, FAILURE_FAIL_REASON, TIMES_SECONDS, TRUE,
  },
  {
    "kling-native/a", "kling-native", 2, 0, "task_id", FALSE, "task_status",
    { "submitted", "processing", "succeed", "failed", "cancelled" },
    RESULTS_TASK_RESULT, FAILURE_TASK_STATUS_MSG, TIMES_MS_STRING, FALSE,
  },
  {
    "kling-native/b", "kling-native", 2, 1, "task_id", FALSE, "task_status",
    { "submitted", "processing", "succeed", "failed", "cancelled" },
    RESULTS_RESULT_JSON, FAILURE_TASK_STATUS_MSG, TIMES_MS, FALSE,
  },
};

static const char *const id_members[] = { "taskId", "task_id", "id" };
static const char *const state_members[] = { "state", "status", "task_status" };
static const char *const result_members[] = {
  "resultUrls", "videos", "video_url", "task_result", "resultJson", "url", "result",
};
static const char *const failure_members[] = {
  "failMsg", "error", "fail_reason", "failReason", "message",
};

static char *
to_text (JsonObject *object)
{
  g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), object);

  return json_to_string (node, FALSE);
}

/* The /sim/tasks entry of the task created last with @id. */
static JsonObject *
listed (SimFixture *fx,
        const char *id)
{
  g_autoptr(JsonArray) tasks = sim_list_tasks (fx);
  JsonObject *found = NULL;

  for (guint i = 0; i < json_array_get_length (tasks); i++)
    {
      JsonObject *item = json_array_get_object_element (tasks, i);

      if (g_str_equal (json_object_get_string_member (item, "taskId"), id))
        found = item;
    }

  g_assert_nonnull (found);
  return json_object_ref (found);
}

/* Creates tasks that fail at once until the next one falls in @shape. */
static JsonObject *
create_in_shape (SimFixture  *fx,
                 const Shape *shape,
                 const char  *body,
                 char       **id)
{
  for (;;)
    {
      g_autoptr(JsonArray) tasks = sim_list_tasks (fx);
      g_autoptr(JsonObject) filler = NULL;

      if (json_array_get_length (tasks) % shape->n_shapes == shape->index)
        break;

      filler = sim_dialect_create (fx, "{\"model\":\"kling-v3\",\"prompt\":\"filler [sim:fail]\"}",
                                   NULL);
    }

  return sim_dialect_create (fx, body, id);
}

static void
assert_members (JsonObject         *object,
                const char * const *names,
                guint               n_names,
                const char         *expected)
{
  for (guint i = 0; i < n_names; i++)
    {
      gboolean present = json_object_has_member (object, names[i]);

      if (present != (g_strcmp0 (names[i], expected) == 0))
        {
          g_autofree char *text = to_text (object);

          g_error ("%s should %sbe there: %s", names[i], present ? "not " : "", text);
        }
    }
}

static void
check_time (const Shape *shape,
            JsonObject  *data,
            const char  *member,
            gint64       ms)
{
  JsonNode *node = json_object_get_member (data, member);

  g_assert_nonnull (node);
  g_assert_true (JSON_NODE_HOLDS_VALUE (node));

  switch (shape->times)
    {
    case TIMES_MS:
      g_assert_cmpint (json_node_get_value_type (node), ==, G_TYPE_INT64);
      g_assert_cmpint (json_node_get_int (node), ==, ms);
      break;

    case TIMES_SECONDS:
      g_assert_cmpint (json_node_get_value_type (node), ==, G_TYPE_INT64);
      g_assert_cmpint (json_node_get_int (node), ==, ms / 1000);
      break;

    case TIMES_ISO8601:
      {
        g_autoptr(GDateTime) time = NULL;

        g_assert_cmpint (json_node_get_value_type (node), ==, G_TYPE_STRING);
        time = g_date_time_new_from_iso8601 (json_node_get_string (node), NULL);
        g_assert_nonnull (time);
        g_assert_cmpint (g_date_time_to_unix (time) * 1000 +
                         g_date_time_get_microsecond (time) / 1000, ==, ms);
      }
      break;

    case TIMES_MS_STRING:
      {
        g_autofree char *text = g_strdup_printf ("%" G_GINT64_FORMAT, ms);

        g_assert_cmpint (json_node_get_value_type (node), ==, G_TYPE_STRING);
        g_assert_cmpstr (json_node_get_string (node), ==, text);
      }
      break;

    default:
      g_assert_not_reached ();
    }
}

/* The id, state, model and times every answer has, and nothing of the
 * other shapes. */
static void
check_common (SimFixture  *fx,
              const Shape *shape,
              JsonObject  *data,
              const char  *id,
              guint        state,
              const char  *model)
{
  g_autoptr(JsonObject) item = listed (fx, id);
  JsonNode *id_node = json_object_get_member (data, shape->id_member);
  gboolean final = state >= 2;

  assert_members (data, id_members, G_N_ELEMENTS (id_members), shape->id_member);
  assert_members (data, state_members, G_N_ELEMENTS (state_members), shape->state_member);

  if (shape->numeric_id)
    {
      g_autofree char *text = NULL;

      g_assert_cmpint (json_node_get_value_type (id_node), ==, G_TYPE_INT64);
      text = g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (id_node));
      g_assert_cmpstr (text, ==, id);
    }
  else
    {
      g_assert_cmpstr (json_node_get_string (id_node), ==, id);
    }

  g_assert_cmpstr (json_object_get_string_member (data, shape->state_member), ==,
                   shape->words[state]);
  g_assert_cmpstr (json_object_get_string_member (data, "model"), ==, model);

  check_time (shape, data, "createTime", json_object_get_int_member (item, "createTime"));
  if (final)
    check_time (shape, data, "completeTime", json_object_get_int_member (item, "completeTime"));
  else
    g_assert_false (json_object_has_member (data, "completeTime"));

  if (shape->failure == FAILURE_TASK_STATUS_MSG)
    {
      /* Kling's own times, in ms, beside the provider's. */
      g_assert_cmpint (json_object_get_int_member (data, "created_at"), ==,
                       json_object_get_int_member (item, "createTime"));
      g_assert_cmpint (json_object_get_int_member (data, "updated_at"), ==,
                       json_object_get_int_member (item, final ? "completeTime" : "createTime"));
    }
}

static const char *
failure_member (const Shape *shape)
{
  switch (shape->failure)
    {
    case FAILURE_FAIL_MSG:
      return "failMsg";
    case FAILURE_ERROR_OBJECT:
    case FAILURE_ERROR_STRING:
      return "error";
    case FAILURE_FAIL_REASON:
      return "fail_reason";
    case FAILURE_TASK_STATUS_MSG:
    default:
      return NULL;
    }
}

/* The reason a failed or cancelled task gives; NULL when there is none. */
static const char *
failure_reason (const Shape *shape,
                JsonObject  *data)
{
  assert_members (data, failure_members, G_N_ELEMENTS (failure_members),
                  failure_member (shape));

  switch (shape->failure)
    {
    case FAILURE_FAIL_MSG:
      return json_object_get_string_member_with_default (data, "failMsg", NULL);
    case FAILURE_ERROR_OBJECT:
      return json_object_get_string_member (json_object_get_object_member (data, "error"),
                                            "message");
    case FAILURE_ERROR_STRING:
      return json_object_get_string_member_with_default (data, "error", NULL);
    case FAILURE_FAIL_REASON:
      return json_object_get_string_member_with_default (data, "fail_reason", NULL);
    case FAILURE_TASK_STATUS_MSG:
      return json_object_get_string_member (data, "task_status_msg");
    default:
      g_assert_not_reached ();
    }
}

static void
assert_no_failure (const Shape *shape,
                   JsonObject  *data)
{
  assert_members (data, failure_members, G_N_ELEMENTS (failure_members), NULL);
  if (shape->failure == FAILURE_TASK_STATUS_MSG)
    g_assert_cmpstr (json_object_get_string_member (data, "task_status_msg"), ==, "");
}

static const char *
results_member (const Shape *shape)
{
  static const char *const names[] = {
    [RESULTS_RESULT_URLS] = "resultUrls",
    [RESULTS_VIDEO_OBJECTS] = "videos",
    [RESULTS_VIDEO_STRINGS] = "videos",
    [RESULTS_VIDEO_URL] = "video_url",
    [RESULTS_TASK_RESULT] = "task_result",
    [RESULTS_RESULT_JSON] = "resultJson",
  };

  return names[shape->results];
}

/* The result URL of a completed task, read the way its shape holds it,
 * or NULL when the shape's place for it is empty. */
static char *
result_url (const Shape *shape,
            JsonObject  *data)
{
  JsonArray *array = NULL;
  g_autoptr(JsonObject) parsed = NULL;

  if (shape->results == RESULTS_VIDEO_URL)
    {
      assert_members (data, result_members, G_N_ELEMENTS (result_members),
                      json_object_has_member (data, "video_url") ? "video_url" : NULL);
      return g_strdup (json_object_get_string_member_with_default (data, "video_url", NULL));
    }

  assert_members (data, result_members, G_N_ELEMENTS (result_members), results_member (shape));

  switch (shape->results)
    {
    case RESULTS_RESULT_URLS:
      array = json_object_get_array_member (data, "resultUrls");
      break;

    case RESULTS_VIDEO_OBJECTS:
    case RESULTS_VIDEO_STRINGS:
      array = json_object_get_array_member (data, "videos");
      break;

    case RESULTS_TASK_RESULT:
      array = json_object_get_array_member (json_object_get_object_member (data, "task_result"),
                                            "videos");
      break;

    case RESULTS_RESULT_JSON:
      {
        g_autoptr(JsonParser) parser = json_parser_new ();
        g_autoptr(GError) error = NULL;

        /* A JSON *string* holding the result object. */
        json_parser_load_from_data (parser, json_object_get_string_member (data, "resultJson"),
                                    -1, &error);
        g_assert_no_error (error);
        parsed = json_object_ref (json_node_get_object (json_parser_get_root (parser)));
        array = json_object_get_array_member (parsed, "resultUrls");
      }
      break;

    case RESULTS_VIDEO_URL:
    default:
      g_assert_not_reached ();
    }

  g_assert_nonnull (array);
  if (json_array_get_length (array) == 0)
    return NULL;
  g_assert_cmpuint (json_array_get_length (array), ==, 1);

  if (shape->results == RESULTS_VIDEO_OBJECTS || shape->results == RESULTS_TASK_RESULT)
    return g_strdup (json_object_get_string_member (json_array_get_object_element (array, 0),
                                                    "url"));

  return g_strdup (json_array_get_string_element (array, 0));
}

static void
check_create_answer (const Shape *shape,
                     JsonObject  *envelope,
                     const char  *id,
                     const char  *model)
{
  JsonObject *data = json_object_get_object_member (envelope, "data");

  sim_assert_code (envelope, 200, shape->string_code);
  g_assert_cmpstr (json_object_get_string_member (envelope, "msg"), ==, "success");
  g_assert_cmpstr (json_object_get_string_member (data, "model"), ==, model);

  if (g_str_equal (shape->dialect, "seed"))
    {
      g_assert_cmpuint (json_object_get_size (data), ==, 3);
      g_assert_cmpstr (json_object_get_string_member (data, "state"), ==, "pending");
      g_assert_true (g_regex_match_simple ("^cl[a-z0-9]{24}$", id, 0, 0));
    }
  else if (g_str_equal (shape->dialect, "gateway"))
    {
      /* the id at the top too, as the production client may read it */
      g_assert_cmpstr (json_object_get_string_member (envelope, "task_id"), ==, id);
      g_assert_cmpuint (json_object_get_size (data), ==, 3);
      g_assert_cmpstr (json_object_get_string_member (data, "status"), ==, shape->words[0]);
      g_assert_true (g_regex_match_simple ("^[1-9][0-9]{14}$", id, 0, 0));
    }
  else
    {
      g_assert_cmpuint (json_object_get_size (data), ==, 6);
      g_assert_cmpstr (json_object_get_string_member (data, "task_status"), ==, "submitted");
      g_assert_cmpstr (json_object_get_string_member (data, "task_status_msg"), ==, "");
      g_assert_true (g_regex_match_simple ("^Cj[A-Za-z0-9]{20}$", id, 0, 0));
    }
}

static void
download_ok (SimFixture *fx,
             const char *url)
{
  g_autoptr(SimResponse) response = sim_request (fx, "GET", url, NULL, NULL);

  g_assert_no_error (response->error);
  g_assert_cmpuint (response->status, ==, SOUP_STATUS_OK);
  g_assert_cmpuint (g_bytes_get_size (response->body), ==, 1000);
}

#define V3 "{\"model\":\"kling-v3\",\"duration\":\"3\",\"prompt\":\""

static void
test_shape (SimFixture    *fx,
            gconstpointer  user_data)
{
  const Shape *shape = user_data;
  g_autofree char *path = sim_fixture_use_result_file (fx, 1000);
  const char *model = "kling-video/kling-v3";

  sim_set_dialect (fx, shape->dialect);

  /* Waiting */
  {
    g_autofree char *id = NULL;
    g_autoptr(JsonObject) created = NULL;
    g_autoptr(JsonObject) data = NULL;

    g_object_set (fx->server, "pending-ms", 60000, NULL);
    created = create_in_shape (fx, shape, V3 "A quiet lake\"}", &id);
    check_create_answer (shape, created, id, model);

    data = sim_dialect_query (fx, id);
    check_common (fx, shape, data, id, CLAP_SIM_STATE_PENDING, model);
    assert_members (data, result_members, G_N_ELEMENTS (result_members), NULL);
    assert_no_failure (shape, data);
  }

  /* Working, and [sim:state=WORD]: a state no client knows, meanwhile */
  {
    g_autofree char *id = NULL;
    g_autofree char *odd_id = NULL;
    g_autoptr(JsonObject) created = NULL;
    g_autoptr(JsonObject) odd = NULL;
    g_autoptr(JsonObject) data = NULL;
    g_autoptr(JsonObject) odd_data = NULL;

    g_object_set (fx->server, "pending-ms", 0, "processing-ms", 60000, NULL);
    created = create_in_shape (fx, shape, V3 "A busy street\"}", &id);
    data = sim_dialect_wait (fx, id, shape->state_member, shape->words[1]);
    check_common (fx, shape, data, id, CLAP_SIM_STATE_PROCESSING, model);
    assert_members (data, result_members, G_N_ELEMENTS (result_members), NULL);

    odd = create_in_shape (fx, shape, V3 "x [sim:state=upscaling_frames]\"}", &odd_id);
    odd_data = sim_dialect_wait (fx, odd_id, shape->state_member, "upscaling_frames");
    g_assert_false (json_object_has_member (odd_data, "completeTime"));
  }

  g_object_set (fx->server, "processing-ms", 10, NULL);

  /* Completed: the link works and is the task's own */
  {
    g_autofree char *id = NULL;
    g_autofree char *url = NULL;
    g_autoptr(JsonObject) created = NULL;
    g_autoptr(JsonObject) data = NULL;
    g_autoptr(JsonObject) item = NULL;

    created = create_in_shape (fx, shape, V3 "A kite\"}", &id);
    data = sim_dialect_wait (fx, id, shape->state_member, shape->words[2]);
    check_common (fx, shape, data, id, CLAP_SIM_STATE_COMPLETED, model);
    assert_no_failure (shape, data);

    url = result_url (shape, data);
    item = listed (fx, id);
    g_assert_cmpstr (url, ==, json_object_get_string_member (item, "resultUrl"));
    download_ok (fx, url);
  }

  /* Failed, with its reason where the shape puts it */
  {
    g_autofree char *id = NULL;
    g_autoptr(JsonObject) created = NULL;
    g_autoptr(JsonObject) data = NULL;

    created = create_in_shape (fx, shape, V3 "x [sim:fail=The GPU caught fire]\"}", &id);
    data = sim_dialect_wait (fx, id, shape->state_member, shape->words[3]);
    check_common (fx, shape, data, id, CLAP_SIM_STATE_FAILED, model);
    g_assert_cmpstr (failure_reason (shape, data), ==, "The GPU caught fire");
    assert_members (data, result_members, G_N_ELEMENTS (result_members), NULL);
  }

  /* [sim:cancel]: ended, without a result */
  {
    g_autofree char *id = NULL;
    g_autoptr(JsonObject) created = NULL;
    g_autoptr(JsonObject) data = NULL;
    g_autoptr(JsonObject) item = NULL;

    created = create_in_shape (fx, shape, V3 "x [sim:cancel]\"}", &id);
    data = sim_dialect_wait (fx, id, shape->state_member, shape->words[4]);
    check_common (fx, shape, data, id, CLAP_SIM_STATE_CANCELLED, model);
    g_assert_cmpstr (failure_reason (shape, data), ==, "Task cancelled");
    assert_members (data, result_members, G_N_ELEMENTS (result_members), NULL);

    item = listed (fx, id);
    g_assert_cmpstr (json_object_get_string_member (item, "state"), ==, "cancelled");
    g_assert_false (json_object_has_member (item, "resultUrl"));
  }

  /* [sim:no-link]: completed, and no URL in any field */
  {
    g_autofree char *id = NULL;
    g_autofree char *text = NULL;
    g_autofree char *url = NULL;
    g_autoptr(JsonObject) created = NULL;
    g_autoptr(JsonObject) data = NULL;
    g_autoptr(JsonObject) item = NULL;

    created = create_in_shape (fx, shape, V3 "x [sim:no-link]\"}", &id);
    data = sim_dialect_wait (fx, id, shape->state_member, shape->words[2]);
    check_common (fx, shape, data, id, CLAP_SIM_STATE_COMPLETED, model);

    url = result_url (shape, data);
    g_assert_null (url);
    text = to_text (data);
    g_assert_null (strstr (text, "http"));
    g_assert_null (strstr (text, "/results/"));

    /* The video exists all the same: only the answers lack it. */
    item = listed (fx, id);
    download_ok (fx, json_object_get_string_member (item, "resultUrl"));
  }

  /* [sim:echo-model=NAME]: the answers name another model */
  {
    g_autofree char *id = NULL;
    g_autoptr(JsonObject) created = NULL;
    g_autoptr(JsonObject) data = NULL;
    g_autoptr(JsonObject) item = NULL;
    const char *echo = "kling-video/kling-v2-6";

    created = create_in_shape (fx, shape, V3 "x [sim:echo-model=kling-video/kling-v2-6]\"}", &id);
    check_create_answer (shape, created, id, echo);
    data = sim_dialect_wait (fx, id, shape->state_member, shape->words[2]);
    check_common (fx, shape, data, id, CLAP_SIM_STATE_COMPLETED, echo);

    /* what was really made */
    item = listed (fx, id);
    g_assert_cmpstr (json_object_get_string_member (item, "model"), ==, "kling-v3");
  }
}

/* Errors of the API routes take the dialect's envelope too. */
static void
test_gateway_errors (SimFixture    *fx,
                     gconstpointer  data)
{
  g_autoptr(SimResponse) invalid = NULL;
  g_autoptr(SimResponse) unknown = NULL;
  g_autoptr(SimResponse) unauthorized = NULL;
  g_autoptr(SimResponse) files = NULL;
  g_autoptr(SimResponse) faulted = NULL;

  sim_set_dialect (fx, "gateway");

  invalid = sim_request (fx, "POST", GENERATIONS, SIM_KEY, "{\"model\":\"kling-v9\"}");
  g_assert_cmpuint (invalid->status, ==, 400);
  sim_assert_code (sim_response_object (invalid), 400, TRUE);
  g_assert_true (json_node_is_null (json_object_get_member (sim_response_object (invalid),
                                                            "data")));

  unknown = sim_request (fx, "GET", GENERATIONS "?task_id=123456789012345", SIM_KEY, NULL);
  g_assert_cmpuint (unknown->status, ==, 404);
  sim_assert_code (sim_response_object (unknown), 404, TRUE);

  unauthorized = sim_request (fx, "GET", GENERATIONS "?task_id=1", "sim-unauthorized", NULL);
  g_assert_cmpuint (unauthorized->status, ==, 401);
  sim_assert_code (sim_response_object (unauthorized), 401, TRUE);

  files = sim_request (fx, "POST", "/api/v1/files", SIM_KEY, "{\"filename\":\"a.png\"}");
  g_assert_cmpuint (files->status, ==, 400);
  sim_assert_code (sim_response_object (files), 400, TRUE);

  /* An injected fault is a proxy's answer: the same in every dialect. */
  clap_sim_server_inject_fault (fx->server, CLAP_SIM_ENDPOINT_QUERY, CLAP_SIM_FAULT_HTTP_500, 1);
  faulted = sim_request (fx, "GET", GENERATIONS "?task_id=1", SIM_KEY, NULL);
  sim_assert_envelope (faulted, 500, 500, NULL);
}

/* Motion control requests, strict as each dialect's service is */

typedef struct {
  const char *path;
  const char *dialect;
  const char *body;
  const char *msg;    /* NULL: accepted */
} MotionCase;

#define MOTION "{\"model\":\"kling-motion-control\","
#define IMAGE "\"image\":\"https://example.com/a.png\""
#define VIDEO "\"motion_video\":\"https://example.com/m.mp4\""
#define INPUT_URLS "\"input_urls\":[\"https://example.com/a.png\"]"
#define VIDEO_URLS "\"video_urls\":[\"https://example.com/m.mp4\"]"

static const MotionCase motion_cases[] = {
  /* the gateway reads input_urls, video_urls and mode 720p / 1080p */
  { "gateway/seed-names-only", "gateway", MOTION IMAGE "," VIDEO ",\"mode\":\"720p\"}",
    "input_urls (an array with the character image's URL) is required for kling-motion-control" },
  { "gateway/no-video-urls", "gateway", MOTION INPUT_URLS "," VIDEO ",\"mode\":\"720p\"}",
    "video_urls (an array with the motion video's URL) is required" },
  { "gateway/mode-std", "gateway", MOTION INPUT_URLS "," VIDEO_URLS ",\"mode\":\"std\"}",
    "mode must be \"720p\" or \"1080p\" for kling-motion-control (got \"std\")" },
  { "gateway/no-mode", "gateway", MOTION INPUT_URLS "," VIDEO_URLS "}",
    "mode (\"720p\" or \"1080p\") is required" },
  { "gateway/input-urls-string", "gateway",
    MOTION "\"input_urls\":\"https://example.com/a.png\"," VIDEO_URLS ",\"mode\":\"720p\"}",
    "input_urls must be an array of one URL" },
  { "gateway/two-videos", "gateway",
    MOTION INPUT_URLS ",\"video_urls\":[\"https://example.com/m.mp4\","
    "\"https://example.com/n.mp4\"],"
    "\"mode\":\"720p\"}",
    "video_urls must be an array of one URL" },
  { "gateway/video-private", "gateway",
    MOTION INPUT_URLS ",\"video_urls\":[\"https://10.0.0.2/m.mp4\"],\"mode\":\"720p\"}",
    "video_urls[0] must be a public URL" },
  { "gateway/image-http", "gateway",
    MOTION "\"input_urls\":[\"http://example.com/a.png\"]," VIDEO_URLS ",\"mode\":\"1080p\"}",
    "input_urls[0] must be an https URL" },
  { "gateway/orientation", "gateway",
    MOTION INPUT_URLS "," VIDEO_URLS ",\"mode\":\"720p\",\"character_orientation\":\"left\"}",
    "character_orientation must be \"image\" or \"video\"" },
  /* what Clapboard sends: both namings; the names the gateway does not
   * read are ignored, whatever they hold */
  { "gateway/both-names", "gateway",
    MOTION INPUT_URLS "," VIDEO_URLS ",\"image\":\"not read\",\"motion_video\":\"not read\","
    "\"mode\":\"1080p\",\"character_orientation\":\"video\",\"version\":\"3.0\"}", NULL },
  { "gateway/v3-mode-720p", "gateway",
    "{\"model\":\"kling-v3\",\"prompt\":\"x\",\"mode\":\"720p\"}",
    "mode must be \"std\" or \"pro\"" },

  /* the seed page's names, with 720p / 1080p or (older clients) std / pro */
  { "seed/720p", "seed", MOTION IMAGE "," VIDEO ",\"mode\":\"720p\"}", NULL },
  { "seed/1080p", "seed", MOTION IMAGE "," VIDEO ",\"mode\":\"1080p\"}", NULL },
  { "seed/std", "seed", MOTION IMAGE "," VIDEO ",\"mode\":\"std\"}", NULL },
  { "seed/pro", "seed", MOTION IMAGE "," VIDEO ",\"mode\":\"pro\"}", NULL },
  { "seed/ultra", "seed", MOTION IMAGE "," VIDEO ",\"mode\":\"ultra\"}",
    "mode must be \"720p\" or \"1080p\" (or \"std\" or \"pro\") for kling-motion-control" },
  { "seed/v3-720p", "seed", "{\"model\":\"kling-v3\",\"prompt\":\"x\",\"mode\":\"720p\"}",
    "mode must be \"std\" or \"pro\" (got \"720p\")" },
  { "seed/both-names", "seed",
    MOTION IMAGE "," VIDEO ",\"input_urls\":[\"https://127.0.0.1/x.png\"],\"video_urls\":42,"
    "\"mode\":\"720p\"}", NULL },
  { "seed/gateway-names-only", "seed", MOTION INPUT_URLS "," VIDEO_URLS ",\"mode\":\"720p\"}",
    "image (the character) is required for kling-motion-control" },

  /* Kling's own fields come back; the request is the seed's */
  { "kling-native/both-names", "kling-native",
    MOTION IMAGE "," VIDEO "," INPUT_URLS "," VIDEO_URLS ",\"mode\":\"1080p\"}", NULL },
  { "kling-native/gateway-names-only", "kling-native",
    MOTION INPUT_URLS "," VIDEO_URLS ",\"mode\":\"720p\"}", "image (the character) is required" },
};

static void
test_motion_request (SimFixture    *fx,
                     gconstpointer  data)
{
  const MotionCase *motion = data;
  g_autoptr(SimResponse) response = NULL;
  g_autoptr(JsonArray) tasks = NULL;
  gboolean gateway = g_str_equal (motion->dialect, "gateway");
  JsonObject *envelope;

  g_object_set (fx->server, "pending-ms", 60000, NULL);
  sim_set_dialect (fx, motion->dialect);

  response = sim_request (fx, "POST", GENERATIONS, SIM_KEY, motion->body);
  envelope = sim_response_object (response);
  tasks = sim_list_tasks (fx);

  if (motion->msg == NULL)
    {
      if (response->status != SOUP_STATUS_OK)
        g_error ("Refused: %s", sim_response_text (response));
      sim_assert_code (envelope, 200, gateway);
      g_assert_cmpuint (json_array_get_length (tasks), ==, 1);
    }
  else
    {
      const char *text = json_object_get_string_member (envelope, "msg");

      g_assert_cmpuint (response->status, ==, 400);
      sim_assert_code (envelope, 400, gateway);
      if (strstr (text, motion->msg) == NULL)
        g_error ("Expected a msg with “%s”, got “%s”", motion->msg, text);
      g_assert_cmpuint (json_array_get_length (tasks), ==, 0);
    }
}

/* The gateway probes the files its input_urls / video_urls name: the
 * motion video's length is the output's, and what is billed. */
static void
test_gateway_motion_files (SimFixture    *fx,
                           gconstpointer  data)
{
  g_autofree char *clip_path = sim_make_clip (fx->tmp_dir, "motion.mp4", 4.0, 400, 300);
  g_autofree char *short_path = sim_make_clip (fx->tmp_dir, "short.mp4", 2.0, 400, 300);
  g_autofree char *png_path = sim_make_png (fx->tmp_dir, "character.png", 300, 400);
  g_autoptr(GBytes) clip = sim_read_file (clip_path);
  g_autoptr(GBytes) brief = sim_read_file (short_path);
  g_autoptr(GBytes) png = sim_read_file (png_path);
  g_autofree char *clip_url = sim_upload (fx, "motion.mp4", "video/mp4", clip);
  g_autofree char *short_url = sim_upload (fx, "short.mp4", "video/mp4", brief);
  g_autofree char *png_url = sim_upload (fx, "character.png", "image/png", png);
  g_autofree char *body = g_strdup_printf (MOTION "\"input_urls\":[\"%s\"],\"video_urls\":[\"%s\"],"
                                           "\"mode\":\"1080p\"}", png_url, clip_url);
  g_autofree char *short_body = g_strdup_printf (MOTION "\"input_urls\":[\"%s\"],"
                                                 "\"video_urls\":[\"%s\"],\"mode\":\"720p\"}",
                                                 png_url, short_url);
  g_autofree char *id = NULL;
  g_autoptr(JsonObject) created = NULL;
  g_autoptr(SimResponse) refused = NULL;
  ClapSimTask *task;

  g_object_set (fx->server, "pending-ms", 60000, "full-resolution", TRUE, NULL);
  sim_set_dialect (fx, "gateway");

  created = sim_dialect_create (fx, body, &id);
  task = _clap_sim_server_lookup_task_id (fx->server, id);
  g_assert_nonnull (task);
  g_assert_cmpfloat_with_epsilon (task->spec.duration_s, 4.0, 0.1);
  /* 1080p renders as pro does; the character is portrait */
  g_assert_cmpuint (task->spec.width, ==, 1080);
  g_assert_cmpuint (task->spec.height, ==, 1920);

  refused = sim_request (fx, "POST", GENERATIONS, SIM_KEY, short_body);
  g_assert_cmpuint (refused->status, ==, 400);
  g_assert_nonnull (strstr (json_object_get_string_member (sim_response_object (refused), "msg"),
                            "video_urls[0] must be 3 to 30 seconds long (it is 2.0 s)"));
}

/* The dialect can change while the simulator runs; every answer takes the
 * new shape, old tasks' included. */
static void
test_switch (SimFixture    *fx,
             gconstpointer  data)
{
  g_autofree char *id = NULL;
  g_autoptr(JsonObject) seed = NULL;
  g_autoptr(JsonObject) gateway = NULL;
  g_autoptr(JsonObject) kling = NULL;
  g_autoptr(JsonObject) back = NULL;

  g_object_set (fx->server, "pending-ms", 60000, NULL);
  id = sim_create (fx, V3 "x\"}");

  seed = sim_dialect_query (fx, id);
  g_assert_cmpstr (json_object_get_string_member (seed, "state"), ==, "pending");

  sim_set_dialect (fx, "gateway");
  gateway = sim_dialect_query (fx, id);
  /* an id that is not digits stays a string */
  g_assert_cmpstr (json_object_get_string_member (gateway, "id"), ==, id);
  g_assert_cmpstr (json_object_get_string_member (gateway, "status"), ==, "queued");
  g_assert_false (json_object_has_member (gateway, "state"));

  sim_set_dialect (fx, "kling-native");
  kling = sim_dialect_query (fx, id);
  g_assert_cmpstr (json_object_get_string_member (kling, "task_id"), ==, id);
  g_assert_cmpstr (json_object_get_string_member (kling, "task_status"), ==, "submitted");

  sim_set_dialect (fx, "seed");
  back = sim_query (fx, id);
  g_assert_cmpstr (json_object_get_string_member (back, "taskId"), ==, id);
}

static void
count_notify (GObject    *object,
              GParamSpec *pspec,
              guint      *count)
{
  (*count)++;
}

/* GET / POST /sim/dialect and the "dialect" property */
static void
test_control (SimFixture    *fx,
              gconstpointer  data)
{
  g_autoptr(SimResponse) current = sim_request (fx, "GET", "/sim/dialect", NULL, NULL);
  g_autoptr(SimResponse) unknown = NULL;
  g_autoptr(SimResponse) empty = NULL;
  g_autoptr(SimResponse) not_string = NULL;
  g_autoptr(SimResponse) method = NULL;
  guint notified = 0;
  int dialect = -1;

  g_assert_cmpstr (json_object_get_string_member (sim_response_data (current), "dialect"), ==,
                   "seed");

  g_signal_connect (fx->server, "notify::dialect", G_CALLBACK (count_notify), &notified);
  sim_set_dialect (fx, "kling-native");
  sim_set_dialect (fx, "kling-native");
  g_object_get (fx->server, "dialect", &dialect, NULL);
  g_assert_cmpint (dialect, ==, CLAP_SIM_DIALECT_KLING_NATIVE);
  g_assert_cmpuint (notified, ==, 1);

  g_object_set (fx->server, "dialect", CLAP_SIM_DIALECT_GATEWAY, NULL);
  g_assert_cmpint (clap_sim_server_get_dialect (fx->server), ==, CLAP_SIM_DIALECT_GATEWAY);
  g_assert_cmpuint (notified, ==, 2);

  unknown = sim_request (fx, "POST", "/sim/dialect", NULL, "{\"dialect\":\"klingon\"}");
  sim_assert_envelope (unknown, 400, 400, "Unknown dialect: klingon");
  empty = sim_request (fx, "POST", "/sim/dialect", NULL, "{}");
  sim_assert_envelope (empty, 400, 400, "Unknown dialect");
  not_string = sim_request (fx, "POST", "/sim/dialect", NULL, "{\"dialect\":{\"name\":1}}");
  sim_assert_envelope (not_string, 400, 400, "Unknown dialect");
  method = sim_request (fx, "DELETE", "/sim/dialect", NULL, NULL);
  sim_assert_envelope (method, 405, 405, NULL);
  g_assert_cmpint (clap_sim_server_get_dialect (fx->server), ==, CLAP_SIM_DIALECT_GATEWAY);
}

static void
add (const char     *path,
     void          (*func) (SimFixture *, gconstpointer),
     gconstpointer   data)
{
  g_test_add (path, SimFixture, data, sim_fixture_setup, func, sim_fixture_teardown);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  add ("/sim/dialect/control", test_control, NULL);
  add ("/sim/dialect/switch", test_switch, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (shapes); i++)
    {
      g_autofree char *path = g_strconcat ("/sim/dialect/shape/", shapes[i].path, NULL);

      add (path, test_shape, &shapes[i]);
    }

  add ("/sim/dialect/gateway/errors", test_gateway_errors, NULL);
  add ("/sim/dialect/gateway/motion-files", test_gateway_motion_files, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (motion_cases); i++)
    {
      g_autofree char *path = g_strconcat ("/sim/dialect/motion-request/", motion_cases[i].path,
                                           NULL);

      add (path, test_motion_request, &motion_cases[i]);
    }

  return g_test_run ();
}
