/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clap-task-info"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "clap-envelope.h"
#include "clap-task-info.h"

/* Reads what the service says of a task. Every field but the id is optional:
 * the provider passes through several upstreams, and their replies differ
 * (results as "resultUrls" or "videos", times as numbers or strings, nested
 * JSON as strings or objects). Anything unknown is ignored.
 */

G_DEFINE_BOXED_TYPE (ClapTaskInfo, clap_task_info, clap_task_info_copy, clap_task_info_free)

static const struct {
  const char    *name;
  ClapTaskState  state;
} state_names[] = {
  { "submitting", CLAP_TASK_STATE_SUBMITTING },
  { "pending", CLAP_TASK_STATE_PENDING },
  { "processing", CLAP_TASK_STATE_PROCESSING },
  { "completed", CLAP_TASK_STATE_COMPLETED },
  { "failed", CLAP_TASK_STATE_FAILED },
  { "interrupted", CLAP_TASK_STATE_INTERRUPTED },
  /* spellings other upstreams use */
  { "queued", CLAP_TASK_STATE_PENDING },
  { "submitted", CLAP_TASK_STATE_PENDING },
  { "running", CLAP_TASK_STATE_PROCESSING },
  { "succeed", CLAP_TASK_STATE_COMPLETED },
  { "success", CLAP_TASK_STATE_COMPLETED },
  { "fail", CLAP_TASK_STATE_FAILED },
  { "error", CLAP_TASK_STATE_FAILED },
};

const char *
clap_task_state_to_string (ClapTaskState state)
{
  for (guint i = 0; i < G_N_ELEMENTS (state_names); i++)
    if (state_names[i].state == state)
      return state_names[i].name;
  g_return_val_if_reached ("pending");
}

gboolean
clap_task_state_from_string (const char    *name,
                             ClapTaskState *state)
{
  if (name == NULL)
    return FALSE;

  for (guint i = 0; i < G_N_ELEMENTS (state_names); i++)
    if (g_ascii_strcasecmp (state_names[i].name, name) == 0)
      {
        *state = state_names[i].state;
        return TRUE;
      }

  return FALSE;
}

gboolean
clap_task_state_is_final (ClapTaskState state)
{
  return state == CLAP_TASK_STATE_COMPLETED ||
         state == CLAP_TASK_STATE_FAILED ||
         state == CLAP_TASK_STATE_INTERRUPTED;
}

/* Whether the service is still working on it, so it must be polled. */
gboolean
clap_task_state_is_active (ClapTaskState state)
{
  return state == CLAP_TASK_STATE_PENDING || state == CLAP_TASK_STATE_PROCESSING;
}

const char *
clap_task_state_get_label (ClapTaskState state)
{
  switch (state)
    {
    case CLAP_TASK_STATE_SUBMITTING:
      return _("Submitting");
    case CLAP_TASK_STATE_PENDING:
      return _("Queued");
    case CLAP_TASK_STATE_PROCESSING:
      return _("Generating");
    case CLAP_TASK_STATE_COMPLETED:
      return _("Completed");
    case CLAP_TASK_STATE_FAILED:
      return _("Failed");
    case CLAP_TASK_STATE_INTERRUPTED:
      return _("Submission interrupted");
    default:
      g_return_val_if_reached ("");
    }
}

ClapTaskInfo *
clap_task_info_copy (const ClapTaskInfo *info)
{
  ClapTaskInfo *copy;

  if (info == NULL)
    return NULL;

  copy = g_new0 (ClapTaskInfo, 1);
  *copy = *info;
  copy->task_id = g_strdup (info->task_id);
  copy->service_state = g_strdup (info->service_state);
  copy->model = g_strdup (info->model);
  copy->result_urls = g_strdupv (info->result_urls);
  copy->thumbnail_url = g_strdup (info->thumbnail_url);
  copy->fail_code = g_strdup (info->fail_code);
  copy->fail_msg = g_strdup (info->fail_msg);
  copy->video_size = g_strdup (info->video_size);
  copy->param = info->param ? json_node_copy (info->param) : NULL;
  return copy;
}

void
clap_task_info_free (ClapTaskInfo *info)
{
  if (info == NULL)
    return;

  g_free (info->task_id);
  g_free (info->service_state);
  g_free (info->model);
  g_strfreev (info->result_urls);
  g_free (info->thumbnail_url);
  g_free (info->fail_code);
  g_free (info->fail_msg);
  g_free (info->video_size);
  g_clear_pointer (&info->param, json_node_unref);
  g_free (info);
}

/* A string member, or a number written as a string; NULL for anything else. */
static char *
dup_string_member (JsonObject *object,
                   const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return NULL;

  switch (json_node_get_value_type (node))
    {
    case G_TYPE_STRING:
      {
        const char *s = json_node_get_string (node);
        return s != NULL && *s != '\0' ? g_utf8_make_valid (s, -1) : NULL;
      }
    case G_TYPE_INT64:
      return g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (node));
    default:
      return NULL;
    }
}

static double
get_number_member (JsonObject *object,
                   const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return 0;

  switch (json_node_get_value_type (node))
    {
    case G_TYPE_INT64:
      return (double) json_node_get_int (node);
    case G_TYPE_DOUBLE:
      return json_node_get_double (node);
    case G_TYPE_STRING:
      return g_ascii_strtod (json_node_get_string (node), NULL);
    default:
      return 0;
    }
}

static gint64
get_time_member (JsonObject *object,
                 const char *name)
{
  double value = get_number_member (object, name);

  if (!(value > 0) || value > (double) G_MAXINT64 / 2)
    return 0;
  return (gint64) value;
}

/* Results as ["url", …], or [{"url": "…"}, …] in some upstreams' replies. */
static GStrv
read_urls (JsonObject *object,
           const char *name)
{
  JsonNode *node = json_object_get_member (object, name);
  g_autoptr(GStrvBuilder) builder = NULL;
  JsonArray *array;
  guint n;
  gboolean any = FALSE;

  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    return NULL;

  builder = g_strv_builder_new ();
  array = json_node_get_array (node);
  n = json_array_get_length (array);

  for (guint i = 0; i < n; i++)
    {
      JsonNode *element = json_array_get_element (array, i);
      g_autofree char *url = NULL;

      if (JSON_NODE_HOLDS_VALUE (element) && json_node_get_value_type (element) == G_TYPE_STRING)
        url = g_strdup (json_node_get_string (element));
      else if (JSON_NODE_HOLDS_OBJECT (element))
        url = dup_string_member (json_node_get_object (element), "url");

      if (url != NULL && *url != '\0' && g_utf8_validate (url, -1, NULL))
        {
          g_strv_builder_add (builder, url);
          any = TRUE;
        }
    }

  return any ? g_strv_builder_end (builder) : NULL;
}

/* The result fields, found in a query's data or in a callback's resultJson. */
static void
read_result (ClapTaskInfo *info,
             JsonObject   *object)
{
  g_auto(GStrv) urls = read_urls (object, "resultUrls");
  g_autofree char *thumbnail = NULL;

  if (urls == NULL)
    urls = read_urls (object, "videos");
  if (urls != NULL)
    {
      g_strfreev (info->result_urls);
      info->result_urls = g_steal_pointer (&urls);
    }

  thumbnail = dup_string_member (object, "thumbnailUrl");
  if (thumbnail != NULL)
    {
      g_free (info->thumbnail_url);
      info->thumbnail_url = g_steal_pointer (&thumbnail);
    }

  if (get_number_member (object, "videoDuration") > 0)
    info->video_duration = get_number_member (object, "videoDuration");

  if (json_object_has_member (object, "videoSize"))
    {
      g_free (info->video_size);
      info->video_size = dup_string_member (object, "videoSize");
    }
}

/* A member holding JSON: a string to parse once (as the provider sends it),
 * or already an object. NULL when absent, null or unreadable. */
static JsonNode *
read_nested_json (JsonObject *object,
                  const char *name)
{
  JsonNode *node = json_object_get_member (object, name);
  g_autoptr(JsonParser) parser = NULL;
  const char *text;

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return NULL;

  if (JSON_NODE_HOLDS_OBJECT (node))
    return json_node_copy (node);

  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;

  text = json_node_get_string (node);
  parser = json_parser_new_immutable ();
  if (!json_parser_load_from_data (parser, text, -1, NULL) ||
      json_parser_get_root (parser) == NULL ||
      !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      g_debug ("Ignoring unreadable nested JSON in “%s”", name);
      return NULL;
    }

  return json_node_copy (json_parser_get_root (parser));
}

/* Reads a task from an envelope's data. Only a task id is required. */
ClapTaskInfo *
clap_task_info_parse (JsonNode  *data,
                      GError   **error)
{
  g_autoptr(ClapTaskInfo) info = NULL;
  g_autofree char *state = NULL;
  g_autoptr(JsonNode) result = NULL;
  JsonObject *object;

  if (data == NULL || !JSON_NODE_HOLDS_OBJECT (data))
    {
      g_set_error (error, CLAP_CLIENT_ERROR, CLAP_CLIENT_ERROR_PROTOCOL,
                   _("The service sent a reply that could not be read: the task is not an "
                     "object."));
      return NULL;
    }

  object = json_node_get_object (data);
  info = g_new0 (ClapTaskInfo, 1);

  info->task_id = dup_string_member (object, "taskId");
  if (info->task_id == NULL)
    info->task_id = dup_string_member (object, "task_id");
  if (info->task_id == NULL)
    {
      g_set_error (error, CLAP_CLIENT_ERROR, CLAP_CLIENT_ERROR_PROTOCOL,
                   _("The service sent a reply that could not be read: it has no task id."));
      return NULL;
    }

  /* A reply without a state is a fresh task; an unknown state is work still
   * in progress under another name: keep asking. */
  state = dup_string_member (object, "state");
  if (state == NULL)
    info->state = CLAP_TASK_STATE_PENDING;
  else if (!clap_task_state_from_string (state, &info->state) ||
           info->state == CLAP_TASK_STATE_SUBMITTING ||
           info->state == CLAP_TASK_STATE_INTERRUPTED)
    info->state = CLAP_TASK_STATE_PROCESSING;

  info->model = dup_string_member (object, "model");
  info->create_time = get_time_member (object, "createTime");
  info->complete_time = get_time_member (object, "completeTime");
  info->cost_time = get_time_member (object, "costTime");
  info->fail_code = dup_string_member (object, "failCode");
  info->fail_msg = dup_string_member (object, "failMsg");

  read_result (info, object);

  result = read_nested_json (object, "resultJson");
  if (result != NULL)
    read_result (info, json_node_get_object (result));

  info->param = read_nested_json (object, "param");

  return g_steal_pointer (&info);
}

/* Reads the body of a callback POST: the envelope, then its data with the
 * nested JSON strings. A callback is only a hint; confirm it with a query. */
ClapTaskInfo *
clap_task_info_parse_callback (GBytes  *body,
                               GError **error)
{
  g_autoptr(JsonNode) data = NULL;
  g_autoptr(GError) local_error = NULL;

  data = clap_envelope_parse (200, "application/json", body, &local_error);
  if (data == NULL)
    {
      /* A callback that reports a failure still carries its envelope code;
       * its data is what matters. Only unreadable bodies are errors here. */
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }

  return clap_task_info_parse (data, error);
}
