/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clap-task-info"

#include "config.h"

#include <glib/gi18n-lib.h>

#include <math.h>
#include <string.h>

#include "clap-catalog.h"
#include "clap-envelope.h"
#include "clap-request.h"
#include "clap-task-info.h"
#include "clap-untrusted.h"

/* Reads what the service says of a task. The provider's gateway fronts
 * several upstreams and their answers differ: the id as taskId, task_id or
 * id, the state as state, status or task_status under a dozen names, the
 * results under seven, times in milliseconds, seconds or ISO 8601. Which
 * member names are read, and what each state means, is data: the
 * catalogue's "answers" (catalog.json), which a person can correct without
 * a rebuild. Only the task id is required, and anything unknown is ignored.
 *
 * Everything here comes from the network. What is kept is valid UTF-8 and
 * bounded; a task id that could be a path is refused; a result link must be
 * one Clapboard may fetch; JSON held in strings is parsed under the same
 * size and depth limits as the answer.
 */

#define MAX_MODEL_CHARS    128
#define MAX_MESSAGE_CHARS  1000
#define MAX_STATE_CHARS    64
#define MAX_URL_BYTES      2048
#define MAX_RESULT_URLS    8
/* How deep, and how far, the search for a video link of last resort goes. */
#define MAX_WALK_DEPTH     16
#define MAX_WALK_NODES     4096
/* Times before 2000 or after 2100 are not a task's: they are a unit mixed
 * up (seconds read as milliseconds), and would show as 1970. */
#define MIN_TIME_MS        G_GINT64_CONSTANT (946684800000)
#define MAX_TIME_MS        G_GINT64_CONSTANT (4102444800000)
/* Below this, a time is in seconds: 1e11 ms is 1973, 1e11 s the year 5138. */
#define SECONDS_LIMIT      1e11

G_DEFINE_BOXED_TYPE (ClapTaskInfo, clap_task_info, clap_task_info_copy, clap_task_info_free)

/* Clapboard's own names for the states it stores. What the service's names
 * mean is the catalogue's to say (clap_catalog_read_state). */
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

/* @text, valid UTF-8 with its control characters escaped (it is shown in
 * labels and printed to terminals: an escape sequence must not act), at
 * most @max_chars characters (an ellipsis marks a cut); NULL when it is
 * empty. */
static char *
bounded (const char *text,
         glong       max_chars)
{
  g_autofree char *valid = NULL;

  if (text == NULL || *text == '\0')
    return NULL;

  valid = clap_untrusted_escape (text, -1);

  /* Counted in characters, and no further than needed. */
  for (const char *p = valid; *p != '\0'; p = g_utf8_next_char (p), max_chars--)
    if (max_chars == 0)
      {
        g_autofree char *cut = g_strndup (valid, p - valid);
        return g_strconcat (cut, "…", NULL);
      }

  return g_steal_pointer (&valid);
}

static const char *
node_get_string (JsonNode *node)
{
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

/* The member @path names: a member name, or names joined by dots
 * ("result.videos"). NULL when any step is missing or not an object. */
static JsonNode *
lookup (JsonObject *object,
        const char *path)
{
  const char *dot = strchr (path, '.');
  g_autofree char *first = NULL;
  JsonNode *node;

  if (dot == NULL)
    return json_object_get_member (object, path);

  first = g_strndup (path, dot - path);
  node = json_object_get_member (object, first);
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return NULL;
  return lookup (json_node_get_object (node), dot + 1);
}

/* The first of @names present and not null. */
static JsonNode *
lookup_any (JsonObject         *object,
            const char * const *names)
{
  for (guint i = 0; names[i] != NULL; i++)
    {
      JsonNode *node = lookup (object, names[i]);

      if (node != NULL && !JSON_NODE_HOLDS_NULL (node))
        return node;
    }
  return NULL;
}

/* The first of @names holding a non-empty string (or a whole number,
 * written out), bounded. */
static char *
dup_string_any (JsonObject         *object,
                const char * const *names,
                glong               max_chars)
{
  for (guint i = 0; names[i] != NULL; i++)
    {
      JsonNode *node = lookup (object, names[i]);
      const char *text = node_get_string (node);

      if (text != NULL && *text != '\0')
        return bounded (text, max_chars);

      if (node != NULL && JSON_NODE_HOLDS_VALUE (node) &&
          json_node_get_value_type (node) == G_TYPE_INT64)
        return g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (node));
    }
  return NULL;
}

static gboolean
node_get_number (JsonNode *node,
                 double   *value)
{
  const char *text;
  char *end = NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return FALSE;

  switch (json_node_get_value_type (node))
    {
    case G_TYPE_INT64:
      *value = (double) json_node_get_int (node);
      return TRUE;
    case G_TYPE_DOUBLE:
      *value = json_node_get_double (node);
      return isfinite (*value);
    case G_TYPE_STRING:
      text = json_node_get_string (node);
      *value = g_ascii_strtod (text, &end);
      return end != text && *end == '\0' && isfinite (*value);
    default:
      return FALSE;
    }
}

/* A time in milliseconds since the epoch, from milliseconds, seconds (a
 * value below 1e11), either as text, or ISO 8601 text (UTC when it names
 * no zone). 0 when it is none of those, or not a plausible time. */
static gint64
parse_time (JsonNode *node)
{
  const char *text = node_get_string (node);
  double value;
  gint64 ms;

  if (node_get_number (node, &value))
    {
      if (!(value > 0) || value > (double) MAX_TIME_MS)
        return 0;
      ms = (gint64) (value < SECONDS_LIMIT ? value * 1000.0 : value);
    }
  else if (text != NULL && strlen (text) <= 64)
    {
      g_autoptr(GTimeZone) utc = g_time_zone_new_utc ();
      g_autoptr(GDateTime) time = g_date_time_new_from_iso8601 (text, utc);

      if (time == NULL)
        return 0;
      ms = g_date_time_to_unix (time) * 1000 + g_date_time_get_microsecond (time) / 1000;
    }
  else
    {
      return 0;
    }

  return ms >= MIN_TIME_MS && ms <= MAX_TIME_MS ? ms : 0;
}

static gint64
read_time (JsonObject         *object,
           const char * const *names)
{
  for (guint i = 0; names[i] != NULL; i++)
    {
      gint64 ms = parse_time (lookup (object, names[i]));

      if (ms > 0)
        return ms;
    }
  return 0;
}

/* A duration in milliseconds (costTime): at most a day. */
static gint64
read_duration_ms (JsonObject         *object,
                  const char * const *names)
{
  double value;

  if (!node_get_number (lookup_any (object, names), &value) ||
      !(value > 0) || value > 24.0 * 3600.0 * 1000.0)
    return 0;
  return (gint64) value;
}

/* Adds @url to @urls when Clapboard may fetch it: a web address, https
 * (or http on this computer), at most 2048 bytes, not there already. */
static void
add_url (GPtrArray  *urls,
         const char *url)
{
  if (url == NULL || urls->len >= MAX_RESULT_URLS || strlen (url) > MAX_URL_BYTES ||
      !g_utf8_validate (url, -1, NULL) || !clap_input_is_url (url) ||
      !clap_url_is_allowed (url, NULL))
    return;

  for (guint i = 0; i < urls->len; i++)
    if (g_str_equal (g_ptr_array_index (urls, i), url))
      return;

  g_ptr_array_add (urls, g_strdup (url));
}

/* Links from a result member: a string, a list of strings or of {url}, or
 * one {url}. */
static void
add_urls_from (GPtrArray *urls,
               JsonNode  *node)
{
  if (node == NULL)
    return;

  if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *array = json_node_get_array (node);

      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          JsonNode *element = json_array_get_element (array, i);

          if (JSON_NODE_HOLDS_OBJECT (element))
            add_url (urls, node_get_string (json_object_get_member (json_node_get_object (element),
                                                                    "url")));
          else
            add_url (urls, node_get_string (element));
        }
    }
  else if (JSON_NODE_HOLDS_OBJECT (node))
    {
      add_url (urls, node_get_string (json_object_get_member (json_node_get_object (node), "url")));
    }
  else
    {
      add_url (urls, node_get_string (node));
    }
}

static GStrv
take_urls (GPtrArray *urls)
{
  if (urls->len == 0)
    return NULL;

  g_ptr_array_add (urls, NULL);
  return (GStrv) g_ptr_array_free (g_ptr_array_ref (urls), FALSE);
}

/* The links of the first result member of @object that gives any. */
static GStrv
read_result_urls (JsonObject *object)
{
  const ClapAnswerNames *answers = clap_catalog_get_answers ();

  for (guint i = 0; answers->results[i] != NULL; i++)
    {
      g_autoptr(GPtrArray) urls = g_ptr_array_new_with_free_func (g_free);

      add_urls_from (urls, lookup (object, answers->results[i]));
      if (urls->len > 0)
        return take_urls (urls);
    }

  return NULL;
}

static gboolean
has_video_suffix (const char *url)
{
  const ClapAnswerNames *answers = clap_catalog_get_answers ();
  gsize length = strcspn (url, "?#");

  for (guint i = 0; answers->video_suffixes[i] != NULL; i++)
    {
      gsize suffix = strlen (answers->video_suffixes[i]);

      if (length >= suffix &&
          g_ascii_strncasecmp (url + length - suffix, answers->video_suffixes[i], suffix) == 0)
        return TRUE;
    }
  return FALSE;
}

/* The last resort, as the production client does it: any web address that
 * ends in a video suffix, anywhere in the answer but the members that echo
 * the request's own inputs. Bounded in depth and in nodes visited. */
static void
walk_for_videos (GPtrArray *urls,
                 JsonNode  *node,
                 guint      depth,
                 guint     *budget)
{
  const ClapAnswerNames *answers = clap_catalog_get_answers ();

  if (node == NULL || depth > MAX_WALK_DEPTH || *budget == 0 || urls->len >= MAX_RESULT_URLS)
    return;
  (*budget)--;

  if (JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObjectIter iter;
      const char *name;
      JsonNode *member;

      json_object_iter_init (&iter, json_node_get_object (node));
      while (json_object_iter_next (&iter, &name, &member))
        if (!g_strv_contains (answers->not_results, name) &&
            !g_strv_contains (answers->param, name))
          walk_for_videos (urls, member, depth + 1, budget);
    }
  else if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *array = json_node_get_array (node);

      for (guint i = 0; i < json_array_get_length (array); i++)
        walk_for_videos (urls, json_array_get_element (array, i), depth + 1, budget);
    }
  else
    {
      const char *text = node_get_string (node);

      if (text != NULL && (g_ascii_strncasecmp (text, "https://", 8) == 0 ||
                           g_ascii_strncasecmp (text, "http://", 7) == 0) &&
          has_video_suffix (text))
        add_url (urls, text);
    }
}

/* The optional fields of a result, in a query's data or a callback's
 * resultJson; what the later object gives replaces what an earlier gave. */
static void
read_result_details (ClapTaskInfo *info,
                     JsonObject   *object)
{
  const ClapAnswerNames *answers = clap_catalog_get_answers ();
  g_auto(GStrv) urls = read_result_urls (object);
  char *text;
  double duration;

  if (urls != NULL)
    {
      g_strfreev (info->result_urls);
      info->result_urls = g_steal_pointer (&urls);
    }

  for (guint i = 0; answers->thumbnail[i] != NULL; i++)
    {
      const char *url = node_get_string (lookup (object, answers->thumbnail[i]));

      if (url != NULL && strlen (url) <= MAX_URL_BYTES && g_utf8_validate (url, -1, NULL) &&
          clap_input_is_url (url) && clap_url_is_allowed (url, NULL))
        {
          g_free (info->thumbnail_url);
          info->thumbnail_url = g_strdup (url);
          break;
        }
    }

  if (node_get_number (lookup_any (object, answers->video_duration), &duration) &&
      duration > 0 && duration <= 3600)
    info->video_duration = duration;

  if ((text = dup_string_any (object, answers->video_size, MAX_MODEL_CHARS)) != NULL)
    {
      g_free (info->video_size);
      info->video_size = text;
    }
}

/* A member holding JSON: a string to parse once (as the provider sends it),
 * under the answer's limits, or already an object. NULL when absent, null,
 * unreadable or not an object. */
static JsonNode *
read_nested_json (JsonObject         *object,
                  const char * const *names)
{
  JsonNode *node = lookup_any (object, names);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) parsed = NULL;
  const char *text;

  if (node == NULL)
    return NULL;

  if (JSON_NODE_HOLDS_OBJECT (node))
    return json_node_copy (node);

  if ((text = node_get_string (node)) == NULL)
    return NULL;

  parsed = clap_untrusted_parse_json (text, -1, CLAP_UNTRUSTED_MAX_ANSWER_BYTES, &error);
  if (parsed == NULL || !JSON_NODE_HOLDS_OBJECT (parsed))
    {
      g_debug ("Ignoring unreadable nested JSON: %s", error ? error->message : "not an object");
      return NULL;
    }

  return g_steal_pointer (&parsed);
}

/* The failure reason: a string, or an object's "message". */
static char *
read_reason (JsonObject *object)
{
  const ClapAnswerNames *answers = clap_catalog_get_answers ();

  for (guint i = 0; answers->fail_reason[i] != NULL; i++)
    {
      JsonNode *node = lookup (object, answers->fail_reason[i]);
      const char *text = node_get_string (node);

      if (text == NULL && node != NULL && JSON_NODE_HOLDS_OBJECT (node))
        text = node_get_string (json_object_get_member (json_node_get_object (node), "message"));

      if (text != NULL && *text != '\0')
        return bounded (text, MAX_MESSAGE_CHARS);
    }

  return NULL;
}

/* The task id: the first of the catalogue's names present, a string or a
 * whole number. A present id that fails clap_task_id_is_valid() (it could
 * name a path, or cannot be shown) is refused, never passed over for the
 * next name: a hostile answer is not salvaged. */
static gboolean
read_task_id (JsonObject  *object,
              char       **out,
              GError     **error)
{
  JsonNode *node = lookup_any (object, clap_catalog_get_answers ()->task_id);
  g_autofree char *id = NULL;
  g_autofree char *shown = NULL;

  if (node == NULL)
    {
      g_set_error (error, CLAP_CLIENT_ERROR, CLAP_CLIENT_ERROR_PROTOCOL,
                   _("The service sent a reply that could not be read: it has no task id."));
      return FALSE;
    }

  if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
    id = g_strdup (json_node_get_string (node));
  else if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_INT64 &&
           json_node_get_int (node) >= 0)
    id = g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (node));

  if (clap_task_id_is_valid (id))
    {
      *out = g_steal_pointer (&id);
      return TRUE;
    }

  if (id != NULL)
    shown = clap_untrusted_escape (id, 40);
  else if (JSON_NODE_HOLDS_VALUE (node))
    shown = json_to_string (node, FALSE);
  else
    shown = g_strdup (JSON_NODE_HOLDS_ARRAY (node) ? "[…]" : "{…}");

  g_set_error (error, CLAP_CLIENT_ERROR, CLAP_CLIENT_ERROR_PROTOCOL,
               _("The service sent a reply that could not be read: it answered with a task id "
                 "Clapboard cannot use (“%s”)."), shown);
  return FALSE;
}

/* @text escaped for display (clap_untrusted_escape), at most @max_chars
 * characters once escaped: a control character takes four. */
static char *
escape_bounded (const char *text,
                glong       max_chars)
{
  for (glong n = max_chars; ; n--)
    {
      g_autofree char *escaped = clap_untrusted_escape (text, n);

      if (n <= 0 || g_utf8_strlen (escaped, -1) <= max_chars + 1)
        return g_steal_pointer (&escaped);
    }
}

/* The state, and the service's own word for it when Clapboard does not
 * know it: that work is still going on under another name, so it is polled
 * on, and shown as written. */
static void
read_state (ClapTaskInfo  *info,
            JsonObject    *object,
            char         **ended)
{
  g_autofree char *raw = dup_string_any (object, clap_catalog_get_answers ()->state, 256);
  ClapAnswerMeaning meaning;

  *ended = NULL;

  /* A reply without a state is a fresh task. */
  if (raw == NULL)
    {
      info->state = CLAP_TASK_STATE_PENDING;
      return;
    }

  if (!clap_catalog_read_state (raw, &meaning))
    {
      info->state = CLAP_TASK_STATE_PROCESSING;
      info->service_state = escape_bounded (raw, MAX_STATE_CHARS);
      return;
    }

  switch (meaning)
    {
    case CLAP_ANSWER_QUEUED:
      info->state = CLAP_TASK_STATE_PENDING;
      break;
    case CLAP_ANSWER_RUNNING:
      info->state = CLAP_TASK_STATE_PROCESSING;
      break;
    case CLAP_ANSWER_COMPLETED:
      info->state = CLAP_TASK_STATE_COMPLETED;
      break;
    case CLAP_ANSWER_ENDED:
      *ended = escape_bounded (raw, MAX_STATE_CHARS);
      G_GNUC_FALLTHROUGH;
    case CLAP_ANSWER_FAILED:
    default:
      info->state = CLAP_TASK_STATE_FAILED;
      break;
    }
}

/* Reads a task from an envelope's data (or a bare answer, or a callback's
 * data). Only a task id is required; see the top of this file. */
ClapTaskInfo *
clap_task_info_parse (JsonNode  *data,
                      GError   **error)
{
  const ClapAnswerNames *answers = clap_catalog_get_answers ();
  g_autoptr(ClapTaskInfo) info = NULL;
  g_autoptr(JsonNode) result = NULL;
  g_autofree char *ended = NULL;
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

  if (!read_task_id (object, &info->task_id, error))
    return NULL;

  read_state (info, object, &ended);

  info->model = dup_string_any (object, answers->model, MAX_MODEL_CHARS);
  info->create_time = read_time (object, answers->create_time);
  info->complete_time = read_time (object, answers->complete_time);
  info->cost_time = read_duration_ms (object, answers->cost_time);
  info->fail_code = dup_string_any (object, answers->fail_code, MAX_MODEL_CHARS);

  /* A completed answer's "message" is "success": a reason is read only
   * for a take that did not succeed. */
  if (info->state == CLAP_TASK_STATE_FAILED)
    info->fail_msg = read_reason (object);

  /* Cancelled or expired: over, and no money was spent on a result. */
  if (ended != NULL)
    {
      g_autofree char *reason = g_steal_pointer (&info->fail_msg);

      info->fail_msg = reason != NULL
        ? g_strdup_printf (_("The service ended this take without a result (“%s”): %s"),
                           ended, reason)
        : g_strdup_printf (_("The service ended this take without a result (“%s”)."), ended);
    }

  read_result_details (info, object);

  result = read_nested_json (object, answers->result_json);
  if (result != NULL)
    read_result_details (info, json_node_get_object (result));

  /* Completed, and no member the catalogue names gave a link. */
  if (info->state == CLAP_TASK_STATE_COMPLETED && info->result_urls == NULL)
    {
      g_autoptr(GPtrArray) urls = g_ptr_array_new_with_free_func (g_free);
      guint budget = MAX_WALK_NODES;

      walk_for_videos (urls, data, 0, &budget);
      if (result != NULL)
        walk_for_videos (urls, result, 0, &budget);
      info->result_urls = take_urls (urls);
    }

  info->param = read_nested_json (object, answers->param);

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
