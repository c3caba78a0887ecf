/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clap-sim-dialect"

#include "config.h"

#include <math.h>
#include <string.h>

#include "clap-sim-server-private.h"

/* The shapes of the answers to creates, queries and callbacks.
 *
 * The provider's pages and its own production client disagree on them,
 * and its gateway fronts several upstreams, so a client meets more than
 * one (CONTRACT.md, "Dialects seen in the wild"). Each dialect here is
 * made only of variants that section lists. The seed dialect is the
 * contract itself; the gateway answers a task in one of three shapes and
 * kling-native in one of two, by the order the task was created in (the
 * first task in the first shape, the next in the second…), as if each
 * went to another upstream. A task keeps its shape for its whole life.
 */

typedef enum {
  RESULTS_RESULT_URLS,      /* "resultUrls": [U] */
  RESULTS_VIDEO_OBJECTS,    /* "videos": [{"url": U}] */
  RESULTS_VIDEO_STRINGS,    /* "videos": [U] */
  RESULTS_VIDEO_URL,        /* "video_url": U */
  RESULTS_TASK_RESULT,      /* "task_result": {"videos": [{"id", "url": U, "duration"}]} */
  RESULTS_RESULT_JSON,      /* "resultJson": "{\"resultUrls\":[U]}" */
} ResultsShape;

typedef enum {
  FAILURE_FAIL_MSG,         /* "failMsg": M */
  FAILURE_ERROR_OBJECT,     /* "error": {"message": M} */
  FAILURE_ERROR_STRING,     /* "error": M */
  FAILURE_FAIL_REASON,      /* "fail_reason": M */
  FAILURE_TASK_STATUS_MSG,  /* "task_status_msg": M, "" until a task fails */
} FailureShape;

typedef enum {
  TIMES_MS,                 /* 1722769557708 */
  TIMES_SECONDS,            /* 1722769557 */
  TIMES_ISO8601,            /* "2024-08-04T11:05:57.708000Z" */
  TIMES_MS_STRING,          /* "1722769557708" */
} TimesShape;

typedef struct {
  const char   *id_member;
  const char   *state_member;
  /* The state words, by ClapSimState. */
  const char   *states[5];
  ResultsShape  results;
  FailureShape  failure;
  TimesShape    times;
  /* Kling's own created_at / updated_at (ms), beside createTime. */
  gboolean      kling_times;
} Shape;

static const Shape seed_shape = {
  "taskId", "state", { "pending", "processing", "completed", "failed", "cancelled" },
  RESULTS_RESULT_URLS, FAILURE_FAIL_MSG, TIMES_MS, FALSE,
};

/* Queries answer the id as a number; creates and callbacks as task_id. */
static const Shape gateway_shapes[] = {
  {
    "id", "status", { "queued", "running", "succeeded", "failed", "canceled" },
    RESULTS_VIDEO_OBJECTS, FAILURE_ERROR_OBJECT, TIMES_SECONDS, FALSE,
  },
  {
    "id", "status", { "WAITING", "IN_PROGRESS", "SUCCESS", "ERROR", "CANCELLED" },
    RESULTS_VIDEO_STRINGS, FAILURE_ERROR_STRING, TIMES_ISO8601, FALSE,
  },
  {
    "id", "status", { "pending", "generating", "done", "fail", "canceled" },
    RESULTS_VIDEO_URL, FAILURE_FAIL_REASON, TIMES_SECONDS, FALSE,
  },
};

static const Shape kling_shapes[] = {
  {
    "task_id", "task_status", { "submitted", "processing", "succeed", "failed", "cancelled" },
    RESULTS_TASK_RESULT, FAILURE_TASK_STATUS_MSG, TIMES_MS_STRING, TRUE,
  },
  {
    "task_id", "task_status", { "submitted", "processing", "succeed", "failed", "cancelled" },
    RESULTS_RESULT_JSON, FAILURE_TASK_STATUS_MSG, TIMES_MS, TRUE,
  },
};

/* Numeric ids stay below 2^53, so that a JavaScript client reads them
 * exactly: 15 digits at most. */
#define GATEWAY_ID_DIGITS 15

const char *
_clap_sim_dialect_to_name (ClapSimDialect dialect)
{
  g_autoptr(GEnumClass) klass = g_type_class_ref (CLAP_TYPE_SIM_DIALECT);
  GEnumValue *value = g_enum_get_value (klass, dialect);

  return value != NULL ? value->value_nick : NULL;
}

gboolean
_clap_sim_dialect_from_name (const char     *name,
                             ClapSimDialect *dialect)
{
  g_autoptr(GEnumClass) klass = g_type_class_ref (CLAP_TYPE_SIM_DIALECT);
  GEnumValue *value = name != NULL ? g_enum_get_value_by_nick (klass, name) : NULL;

  if (value == NULL)
    return FALSE;

  *dialect = value->value;
  return TRUE;
}

/* A new task id in the form the dialect's service gives them. */
char *
_clap_sim_dialect_new_task_id (ClapSimDialect dialect)
{
  static const char alphanumeric[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  GString *id;

  switch (dialect)
    {
    case CLAP_SIM_DIALECT_GATEWAY:
      id = g_string_new (NULL);
      g_string_append_c (id, '1' + g_random_int_range (0, 9));
      for (guint i = 1; i < GATEWAY_ID_DIGITS; i++)
        g_string_append_c (id, '0' + g_random_int_range (0, 10));
      return g_string_free (id, FALSE);

    case CLAP_SIM_DIALECT_KLING_NATIVE:
      id = g_string_new ("Cj");
      for (guint i = 0; i < 20; i++)
        g_string_append_c (id, alphanumeric[g_random_int_range (0, sizeof alphanumeric - 1)]);
      return g_string_free (id, FALSE);

    case CLAP_SIM_DIALECT_SEED:
    default:
      return _clap_sim_server_random_id ("cl", 24);
    }
}

static const Shape *
shape_for (ClapSimServer *self,
           ClapSimTask   *task)
{
  guint index = task->ordinal > 0 ? task->ordinal - 1 : 0;

  switch (self->dialect)
    {
    case CLAP_SIM_DIALECT_GATEWAY:
      return &gateway_shapes[index % G_N_ELEMENTS (gateway_shapes)];

    case CLAP_SIM_DIALECT_KLING_NATIVE:
      return &kling_shapes[index % G_N_ELEMENTS (kling_shapes)];

    case CLAP_SIM_DIALECT_SEED:
    default:
      return &seed_shape;
    }
}

static gboolean
is_final (ClapSimTask *task)
{
  return task->state == CLAP_SIM_STATE_COMPLETED || task->state == CLAP_SIM_STATE_FAILED ||
         task->state == CLAP_SIM_STATE_CANCELLED;
}

static const char *
state_word (const Shape *shape,
            ClapSimTask *task)
{
  /* [sim:state=WORD]: a state no client was written for, while it works. */
  if (task->state == CLAP_SIM_STATE_PROCESSING && task->keywords.state_word != NULL)
    return task->keywords.state_word;

  return shape->states[task->state];
}

/* The model the answers name: the one asked for, unless [sim:echo-model]
 * makes the service name another. */
static char *
answer_model (ClapSimTask *task)
{
  if (task->keywords.echo_model != NULL)
    return g_strdup (task->keywords.echo_model);

  return g_strconcat ("kling-video/", task->model, NULL);
}

char *
_clap_sim_task_result_url (ClapSimServer *self,
                           ClapSimTask   *task)
{
  return g_strdup_printf ("%s/results/%s.mp4", self->base_url, task->key);
}

/* The gateway's ids are digits; it writes them as JSON numbers. */
static void
set_id (JsonObject *object,
        const char *member,
        const char *id,
        gboolean    as_number)
{
  gsize length = strlen (id);
  guint64 number;

  if (as_number && length > 0 && length <= GATEWAY_ID_DIGITS && id[0] != '0' &&
      g_ascii_string_to_unsigned (id, 10, 1, G_MAXINT64, &number, NULL))
    json_object_set_int_member (object, member, (gint64) number);
  else
    json_object_set_string_member (object, member, id);
}

static void
set_time (JsonObject *object,
          const char *member,
          gint64      ms,
          TimesShape  times)
{
  switch (times)
    {
    case TIMES_SECONDS:
      json_object_set_int_member (object, member, ms / 1000);
      break;

    case TIMES_ISO8601:
      {
        g_autoptr(GDateTime) seconds = g_date_time_new_from_unix_utc (ms / 1000);
        g_autoptr(GDateTime) exact = g_date_time_add (seconds, (ms % 1000) * 1000);
        g_autofree char *text = g_date_time_format_iso8601 (exact);

        json_object_set_string_member (object, member, text);
      }
      break;

    case TIMES_MS_STRING:
      {
        g_autofree char *text = g_strdup_printf ("%" G_GINT64_FORMAT, ms);

        json_object_set_string_member (object, member, text);
      }
      break;

    case TIMES_MS:
    default:
      json_object_set_int_member (object, member, ms);
      break;
    }
}

/* {"resultUrls": [U]}, or [] when there is no link. */
static JsonObject *
result_urls_object (const char *url)
{
  JsonObject *object = json_object_new ();
  JsonArray *urls = json_array_new ();

  if (url != NULL)
    json_array_add_string_element (urls, url);
  json_object_set_array_member (object, "resultUrls", urls);

  return object;
}

static char *
object_to_string (JsonObject *object)
{
  g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), object);

  return json_to_string (node, FALSE);
}

static void
add_results (ClapSimServer *self,
             JsonObject    *data,
             const Shape   *shape,
             ClapSimTask   *task)
{
  g_autofree char *url = NULL;
  JsonArray *videos;

  /* [sim:no-link]: completed, and not one field holds a link. */
  if (!task->keywords.no_link)
    url = _clap_sim_task_result_url (self, task);

  switch (shape->results)
    {
    case RESULTS_VIDEO_OBJECTS:
      videos = json_array_new ();
      if (url != NULL)
        {
          JsonObject *video = json_object_new ();

          json_object_set_string_member (video, "url", url);
          json_array_add_object_element (videos, video);
        }
      json_object_set_array_member (data, "videos", videos);
      break;

    case RESULTS_VIDEO_STRINGS:
      videos = json_array_new ();
      if (url != NULL)
        json_array_add_string_element (videos, url);
      json_object_set_array_member (data, "videos", videos);
      break;

    case RESULTS_VIDEO_URL:
      if (url != NULL)
        json_object_set_string_member (data, "video_url", url);
      break;

    case RESULTS_TASK_RESULT:
      {
        JsonObject *result = json_object_new ();

        videos = json_array_new ();
        if (url != NULL)
          {
            JsonObject *video = json_object_new ();
            g_autofree char *duration = g_strdup_printf ("%.0f", round (task->spec.duration_s));

            json_object_set_string_member (video, "id", task->key);
            json_object_set_string_member (video, "url", url);
            json_object_set_string_member (video, "duration", duration);
            json_array_add_object_element (videos, video);
          }
        json_object_set_array_member (result, "videos", videos);
        json_object_set_object_member (data, "task_result", result);
      }
      break;

    case RESULTS_RESULT_JSON:
      {
        g_autoptr(JsonObject) result = result_urls_object (url);
        g_autofree char *text = object_to_string (result);

        json_object_set_string_member (data, "resultJson", text);
      }
      break;

    case RESULTS_RESULT_URLS:
    default:
      {
        g_autoptr(JsonObject) result = result_urls_object (url);

        json_object_set_member (data, "resultUrls",
                                json_object_dup_member (result, "resultUrls"));
      }
      break;
    }
}

static void
add_failure (JsonObject   *data,
             const Shape  *shape,
             const char   *message)
{
  switch (shape->failure)
    {
    case FAILURE_ERROR_OBJECT:
      {
        JsonObject *error = json_object_new ();

        json_object_set_string_member (error, "message", message);
        json_object_set_object_member (data, "error", error);
      }
      break;

    case FAILURE_ERROR_STRING:
      json_object_set_string_member (data, "error", message);
      break;

    case FAILURE_FAIL_REASON:
      json_object_set_string_member (data, "fail_reason", message);
      break;

    case FAILURE_TASK_STATUS_MSG:
      /* Written with the state, failed or not. */
      break;

    case FAILURE_FAIL_MSG:
    default:
      json_object_set_string_member (data, "failMsg", message);
      break;
    }
}

/* The `data` of a query answer for @task, in its shape. */
JsonObject *
_clap_sim_dialect_query_data (ClapSimServer *self,
                              ClapSimTask   *task)
{
  const Shape *shape = shape_for (self, task);
  JsonObject *data = json_object_new ();
  g_autofree char *model = answer_model (task);
  gboolean ended_badly = task->state == CLAP_SIM_STATE_FAILED ||
                         task->state == CLAP_SIM_STATE_CANCELLED;

  set_id (data, shape->id_member, task->id, self->dialect == CLAP_SIM_DIALECT_GATEWAY);
  json_object_set_string_member (data, shape->state_member, state_word (shape, task));
  if (shape->failure == FAILURE_TASK_STATUS_MSG)
    json_object_set_string_member (data, "task_status_msg",
                                   ended_badly && task->fail_msg ? task->fail_msg : "");
  json_object_set_string_member (data, "model", model);
  set_time (data, "createTime", task->create_time, shape->times);
  if (is_final (task))
    set_time (data, "completeTime", task->complete_time, shape->times);

  if (shape->kling_times)
    {
      json_object_set_int_member (data, "created_at", task->create_time);
      json_object_set_int_member (data, "updated_at",
                                  is_final (task) ? task->complete_time : task->create_time);
    }

  if (task->state == CLAP_SIM_STATE_COMPLETED)
    add_results (self, data, shape, task);

  if (ended_badly && task->fail_msg != NULL)
    add_failure (data, shape, task->fail_msg);

  return data;
}

static void
respond_object (SoupServerMessage *msg,
                guint              status,
                JsonObject        *envelope)
{
  char *body = object_to_string (envelope);

  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_TAKE,
                                    body, strlen (body));
}

/* The envelope, `code` first, as the gateway writes it: a string. */
static JsonObject *
gateway_envelope (int         code,
                  const char *text)
{
  JsonObject *envelope = json_object_new ();
  g_autofree char *code_text = g_strdup_printf ("%d", code);

  json_object_set_string_member (envelope, "code", code_text);
  json_object_set_string_member (envelope, "msg", text);
  return envelope;
}

/* Answers an API route in the server's dialect (taking @data; NULL is
 * JSON null). Injected faults do not come here: they answer the same in
 * every dialect, as a proxy in front of any of them would. */
void
_clap_sim_server_respond (ClapSimServer     *self,
                          SoupServerMessage *msg,
                          guint              status,
                          int                code,
                          const char        *text,
                          JsonNode          *data)
{
  g_autoptr(JsonObject) envelope = NULL;

  if (self->dialect != CLAP_SIM_DIALECT_GATEWAY)
    {
      _clap_sim_respond_envelope (msg, status, code, text, data);
      return;
    }

  envelope = gateway_envelope (code, text);
  if (data != NULL)
    json_object_set_member (envelope, "data", data);
  else
    json_object_set_null_member (envelope, "data");
  respond_object (msg, status, envelope);
}

void
_clap_sim_server_respond_error (ClapSimServer     *self,
                                SoupServerMessage *msg,
                                guint              status,
                                const char        *format,
                                ...)
{
  g_autofree char *text = NULL;
  va_list args;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);

  _clap_sim_server_respond (self, msg, status, status, text, NULL);
}

void
_clap_sim_server_respond_success (ClapSimServer     *self,
                                  SoupServerMessage *msg,
                                  JsonObject        *data)
{
  JsonNode *node = json_node_init_object (json_node_alloc (), data);

  _clap_sim_server_respond (self, msg, SOUP_STATUS_OK, 200, "success", node);
}

/* The answer to a create that made @task. */
void
_clap_sim_dialect_respond_created (ClapSimServer     *self,
                                   SoupServerMessage *msg,
                                   ClapSimTask       *task)
{
  const Shape *shape = shape_for (self, task);
  g_autoptr(JsonObject) data = json_object_new ();
  g_autofree char *model = answer_model (task);

  switch (self->dialect)
    {
    case CLAP_SIM_DIALECT_GATEWAY:
      {
        g_autoptr(JsonObject) envelope = gateway_envelope (200, "success");

        /* The id at the top as well as in data, as the production client
         * looks for it: data.task_id || task_id || id. */
        json_object_set_string_member (data, "task_id", task->id);
        json_object_set_string_member (data, "status", state_word (shape, task));
        json_object_set_string_member (data, "model", model);
        json_object_set_string_member (envelope, "task_id", task->id);
        json_object_set_object_member (envelope, "data", g_steal_pointer (&data));
        respond_object (msg, SOUP_STATUS_OK, envelope);
      }
      return;

    case CLAP_SIM_DIALECT_KLING_NATIVE:
      json_object_set_string_member (data, "task_id", task->id);
      json_object_set_string_member (data, "task_status", state_word (shape, task));
      json_object_set_string_member (data, "task_status_msg", "");
      json_object_set_string_member (data, "model", model);
      json_object_set_int_member (data, "created_at", task->create_time);
      json_object_set_int_member (data, "updated_at", task->create_time);
      break;

    case CLAP_SIM_DIALECT_SEED:
    default:
      json_object_set_string_member (data, "taskId", task->id);
      json_object_set_string_member (data, "state", state_word (shape, task));
      json_object_set_string_member (data, "model", model);
      break;
    }

  _clap_sim_server_respond_success (self, msg, data);
}

/* resultJson of a seed callback: a JSON *string*, parsed once by the
 * receiver. */
static char *
seed_result_json (ClapSimServer *self,
                  ClapSimTask   *task)
{
  g_autoptr(JsonObject) result = NULL;
  g_autofree char *url = NULL;
  g_autofree char *size = g_strdup_printf ("%ux%u", task->spec.width, task->spec.height);
  const char *video_model = task->model;

  if (!task->keywords.no_link)
    url = _clap_sim_task_result_url (self, task);

  if (task->keywords.echo_model != NULL)
    {
      video_model = task->keywords.echo_model;
      if (g_str_has_prefix (video_model, "kling-video/"))
        video_model += strlen ("kling-video/");
    }

  result = result_urls_object (url);
  json_object_set_int_member (result, "videoDuration", (gint64) round (task->spec.duration_s));
  /* No link means none at all, the thumbnail's included. */
  if (url != NULL)
    {
      g_autofree char *thumbnail_url = g_strdup_printf ("%s/results/%s.jpg", self->base_url,
                                                        task->key);

      json_object_set_string_member (result, "thumbnailUrl", thumbnail_url);
    }
  json_object_set_string_member (result, "videoSize", size);
  json_object_set_string_member (result, "videoModel", video_model);

  return object_to_string (result);
}

static void
add_nullable_string (JsonObject *object,
                     const char *name,
                     const char *value)
{
  if (value != NULL)
    json_object_set_string_member (object, name, value);
  else
    json_object_set_null_member (object, name);
}

static JsonObject *
seed_callback_data (ClapSimServer *self,
                    ClapSimTask   *task)
{
  JsonObject *data = json_object_new ();
  g_autoptr(JsonNode) params_node = json_node_init_object (json_node_alloc (), task->params);
  g_autofree char *model = answer_model (task);
  g_autofree char *param = json_to_string (params_node, FALSE);
  g_autofree char *result_json = NULL;

  if (task->state == CLAP_SIM_STATE_COMPLETED)
    result_json = seed_result_json (self, task);

  /* param and resultJson are JSON *strings*, parsed once by the receiver. */
  json_object_set_string_member (data, "taskId", task->id);
  json_object_set_string_member (data, "model", model);
  json_object_set_string_member (data, "state", _clap_sim_state_to_string (task->state));
  json_object_set_string_member (data, "param", param);
  add_nullable_string (data, "resultJson", result_json);
  add_nullable_string (data, "failCode", task->fail_code);
  add_nullable_string (data, "failMsg", task->fail_msg);
  json_object_set_int_member (data, "costTime", task->complete_time - task->create_time);
  json_object_set_int_member (data, "completeTime", task->complete_time);
  json_object_set_int_member (data, "createTime", task->create_time);

  return data;
}

/* The body POSTed to @task's callback_url once it has ended. */
GBytes *
_clap_sim_dialect_callback_body (ClapSimServer *self,
                                 ClapSimTask   *task)
{
  g_autoptr(JsonObject) envelope = NULL;
  JsonObject *data;
  char *text;

  switch (self->dialect)
    {
    case CLAP_SIM_DIALECT_GATEWAY:
      {
        /* The gateway forwards its own task object, the id as task_id. */
        g_autoptr(JsonObject) query = _clap_sim_dialect_query_data (self, task);
        JsonObjectIter iter;
        const char *name;
        JsonNode *node;

        data = json_object_new ();
        json_object_set_string_member (data, "task_id", task->id);
        json_object_iter_init (&iter, query);
        while (json_object_iter_next (&iter, &name, &node))
          if (!g_str_equal (name, "id"))
            json_object_set_member (data, name, json_node_copy (node));

        envelope = gateway_envelope (200, "success");
      }
      break;

    case CLAP_SIM_DIALECT_KLING_NATIVE:
      data = _clap_sim_dialect_query_data (self, task);
      envelope = json_object_new ();
      json_object_set_int_member (envelope, "code", 200);
      json_object_set_string_member (envelope, "msg", "success");
      break;

    case CLAP_SIM_DIALECT_SEED:
    default:
      data = seed_callback_data (self, task);
      envelope = json_object_new ();
      json_object_set_int_member (envelope, "code", 200);
      json_object_set_string_member (envelope, "msg", "success");
      break;
    }

  json_object_set_object_member (envelope, "data", data);
  text = object_to_string (envelope);

  return g_bytes_new_take (text, strlen (text));
}
