/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clap-task"

#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "clap-envelope.h"
#include "clap-task.h"
#include "clap-task-private.h"
#include "clap-untrusted.h"
#include "clap-util-private.h"

/* One take. Its properties notify whoever shows or stores it; a property
 * notifies only when its value really changes. */

struct _ClapTask
{
  GObject        parent_instance;

  ClapTaskRecord r;        /* what the history keeps */
  JsonNode      *settings; /* r.settings_json, parsed on first use */
  ClapTaskSettingsLoader settings_loader; /* settings kept on disk until needed */
  gpointer       settings_loader_data;
  double         progress;
  char          *echo_checked; /* the model name last compared with what was asked */
};

G_DEFINE_FINAL_TYPE (ClapTask, clap_task, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_ROW_ID,
  PROP_TASK_ID,
  PROP_MODEL,
  PROP_PROMPT,
  PROP_STATE,
  PROP_CREATE_TIME,
  PROP_COMPLETE_TIME,
  PROP_RESULT_URLS,
  PROP_THUMBNAIL_URL,
  PROP_LOCAL_FILE,
  PROP_THUMBNAIL_FILE,
  PROP_FAIL_MESSAGE,
  PROP_ERROR_MESSAGE,
  PROP_COST,
  PROP_PROGRESS,
  PROP_SAVED_TIME,
  PROP_EVICTED_TIME,
  PROP_REFUSED_TIME,
  PROP_WARNING,
  PROP_SERVICE_STATE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static gboolean
set_string (ClapTask    *self,
            char       **field,
            const char  *value,
            guint        prop_id)
{
  if (!_clap_replace_string (field, value))
    return FALSE;

  g_object_notify_by_pspec (G_OBJECT (self), properties[prop_id]);
  return TRUE;
}

static gboolean
set_int64 (ClapTask *self,
           gint64   *field,
           gint64    value,
           guint     prop_id)
{
  if (*field == value)
    return FALSE;

  *field = value;
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop_id]);
  return TRUE;
}

static void
clap_task_finalize (GObject *object)
{
  ClapTask *self = (ClapTask *) object;

  _clap_task_record_clear (&self->r);
  g_clear_pointer (&self->settings, json_node_unref);
  g_free (self->echo_checked);

  G_OBJECT_CLASS (clap_task_parent_class)->finalize (object);
}

static void
clap_task_get_property (GObject    *object,
                        guint       prop_id,
                        GValue     *value,
                        GParamSpec *pspec)
{
  ClapTask *self = CLAP_TASK (object);

  switch (prop_id)
    {
    case PROP_ROW_ID:
      g_value_set_int64 (value, self->r.row_id);
      break;
    case PROP_TASK_ID:
      g_value_set_string (value, self->r.task_id);
      break;
    case PROP_MODEL:
      g_value_set_string (value, self->r.model);
      break;
    case PROP_PROMPT:
      g_value_set_string (value, self->r.prompt);
      break;
    case PROP_STATE:
      g_value_set_int (value, self->r.state);
      break;
    case PROP_CREATE_TIME:
      g_value_set_int64 (value, self->r.create_time);
      break;
    case PROP_COMPLETE_TIME:
      g_value_set_int64 (value, self->r.complete_time);
      break;
    case PROP_RESULT_URLS:
      g_value_set_boxed (value, self->r.result_urls);
      break;
    case PROP_THUMBNAIL_URL:
      g_value_set_string (value, self->r.thumbnail_url);
      break;
    case PROP_LOCAL_FILE:
      g_value_set_string (value, self->r.local_file);
      break;
    case PROP_THUMBNAIL_FILE:
      g_value_set_string (value, self->r.thumbnail_file);
      break;
    case PROP_FAIL_MESSAGE:
      g_value_set_string (value, self->r.fail_message);
      break;
    case PROP_ERROR_MESSAGE:
      g_value_set_string (value, self->r.error_message);
      break;
    case PROP_COST:
      g_value_set_int64 (value, self->r.cost);
      break;
    case PROP_PROGRESS:
      g_value_set_double (value, self->progress);
      break;
    case PROP_SAVED_TIME:
      g_value_set_int64 (value, self->r.saved_time);
      break;
    case PROP_EVICTED_TIME:
      g_value_set_int64 (value, self->r.evicted_time);
      break;
    case PROP_REFUSED_TIME:
      g_value_set_int64 (value, self->r.refused_time);
      break;
    case PROP_WARNING:
      g_value_set_string (value, self->r.warning);
      break;
    case PROP_SERVICE_STATE:
      g_value_set_string (value, self->r.service_state);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
clap_task_class_init (ClapTaskClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags flags = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->finalize = clap_task_finalize;
  object_class->get_property = clap_task_get_property;

  properties[PROP_ROW_ID] =
    g_param_spec_int64 ("row-id", NULL, NULL, 0, G_MAXINT64, 0, flags);
  properties[PROP_TASK_ID] =
    g_param_spec_string ("task-id", NULL, NULL, NULL, flags);
  properties[PROP_MODEL] =
    g_param_spec_string ("model", NULL, NULL, NULL, flags);
  properties[PROP_PROMPT] =
    g_param_spec_string ("prompt", NULL, NULL, NULL, flags);
  /* A ClapTaskState; an int keeps the core free of generated enum types. */
  properties[PROP_STATE] =
    g_param_spec_int ("state", NULL, NULL, 0, CLAP_TASK_STATE_INTERRUPTED,
                      CLAP_TASK_STATE_SUBMITTING, flags);
  properties[PROP_CREATE_TIME] =
    g_param_spec_int64 ("create-time", NULL, NULL, 0, G_MAXINT64, 0, flags);
  properties[PROP_COMPLETE_TIME] =
    g_param_spec_int64 ("complete-time", NULL, NULL, 0, G_MAXINT64, 0, flags);
  properties[PROP_RESULT_URLS] =
    g_param_spec_boxed ("result-urls", NULL, NULL, G_TYPE_STRV, flags);
  properties[PROP_THUMBNAIL_URL] =
    g_param_spec_string ("thumbnail-url", NULL, NULL, NULL, flags);
  properties[PROP_LOCAL_FILE] =
    g_param_spec_string ("local-file", NULL, NULL, NULL, flags);
  properties[PROP_THUMBNAIL_FILE] =
    g_param_spec_string ("thumbnail-file", NULL, NULL, NULL, flags);
  properties[PROP_FAIL_MESSAGE] =
    g_param_spec_string ("fail-message", NULL, NULL, NULL, flags);
  properties[PROP_ERROR_MESSAGE] =
    g_param_spec_string ("error-message", NULL, NULL, NULL, flags);
  properties[PROP_COST] =
    g_param_spec_int64 ("cost", NULL, NULL, G_MININT64, G_MAXINT64, 0, flags);
  properties[PROP_PROGRESS] =
    g_param_spec_double ("progress", NULL, NULL, 0.0, 1.0, 0.0, flags);
  properties[PROP_SAVED_TIME] =
    g_param_spec_int64 ("saved-time", NULL, NULL, 0, G_MAXINT64, 0, flags);
  /* When the cache dropped the clip (it was saved elsewhere, or can be
   * fetched again); 0 while the clip is kept. */
  properties[PROP_EVICTED_TIME] =
    g_param_spec_int64 ("evicted-time", NULL, NULL, 0, G_MAXINT64, 0, flags);
  /* When Clapboard refused what the service sent as the result (far too
   * large, not a video, an address that is not secure); 0 otherwise. A
   * refused result is fetched again only when the person asks. */
  properties[PROP_REFUSED_TIME] =
    g_param_spec_int64 ("refused-time", NULL, NULL, 0, G_MAXINT64, 0, flags);
  /* Something the person should check, shown beside the take whatever its
   * state: the service gave it the same task id as another take. NULL when
   * nothing is wrong. */
  properties[PROP_WARNING] =
    g_param_spec_string ("warning", NULL, NULL, NULL, flags);
  /* The state as the service wrote it when Clapboard does not know that
   * name (the take is then polled as "processing"), escaped and short
   * enough for a label; NULL when the state is a known one. */
  properties[PROP_SERVICE_STATE] =
    g_param_spec_string ("service-state", NULL, NULL, NULL, flags);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
clap_task_init (ClapTask *self)
{
  self->r.state = CLAP_TASK_STATE_SUBMITTING;
  self->r.uid = g_uuid_string_random ();
  self->r.submit_time = g_get_real_time () / 1000;
}

/* A new take for @request, not yet sent; it keeps the request's settings and
 * its estimated cost. */
ClapTask *
clap_task_new_for_request (ClapRequest *request)
{
  ClapTask *self = g_object_new (CLAP_TYPE_TASK, NULL);
  ClapPrice cost = 0;

  if (request != NULL)
    {
      g_autoptr(JsonNode) settings = clap_request_save_settings (request);

      clap_task_set_settings (self, settings);
      if (clap_request_estimate (request, &cost))
        self->r.cost = cost;
    }

  return self;
}

gint64
clap_task_get_row_id (ClapTask *self)
{
  g_return_val_if_fail (CLAP_IS_TASK (self), 0);
  return self->r.row_id;
}

void
clap_task_set_row_id (ClapTask *self,
                      gint64    row_id)
{
  g_return_if_fail (CLAP_IS_TASK (self));
  set_int64 (self, &self->r.row_id, row_id, PROP_ROW_ID);
}

#define STRING_ACCESSORS(name, PROP)                                      \
  const char *                                                            \
  clap_task_get_##name (ClapTask *self)                                   \
  {                                                                       \
    g_return_val_if_fail (CLAP_IS_TASK (self), NULL);                     \
    return self->r.name;                                                    \
  }                                                                       \
  void                                                                    \
  clap_task_set_##name (ClapTask   *self,                                 \
                        const char *value)                                \
  {                                                                       \
    g_return_if_fail (CLAP_IS_TASK (self));                               \
    set_string (self, &self->r.name, value, PROP);                          \
  }

STRING_ACCESSORS (task_id, PROP_TASK_ID)
STRING_ACCESSORS (thumbnail_url, PROP_THUMBNAIL_URL)
STRING_ACCESSORS (local_file, PROP_LOCAL_FILE)
STRING_ACCESSORS (thumbnail_file, PROP_THUMBNAIL_FILE)
STRING_ACCESSORS (fail_message, PROP_FAIL_MESSAGE)
STRING_ACCESSORS (error_message, PROP_ERROR_MESSAGE)
STRING_ACCESSORS (warning, PROP_WARNING)
STRING_ACCESSORS (service_state, PROP_SERVICE_STATE)

#undef STRING_ACCESSORS

#define INT64_ACCESSORS(name, PROP)                                       \
  gint64                                                                  \
  clap_task_get_##name (ClapTask *self)                                   \
  {                                                                       \
    g_return_val_if_fail (CLAP_IS_TASK (self), 0);                        \
    return self->r.name;                                                    \
  }                                                                       \
  void                                                                    \
  clap_task_set_##name (ClapTask *self,                                   \
                        gint64    value)                                  \
  {                                                                       \
    g_return_if_fail (CLAP_IS_TASK (self));                               \
    set_int64 (self, &self->r.name, value, PROP);                           \
  }

INT64_ACCESSORS (create_time, PROP_CREATE_TIME)
INT64_ACCESSORS (complete_time, PROP_COMPLETE_TIME)
INT64_ACCESSORS (saved_time, PROP_SAVED_TIME)
INT64_ACCESSORS (evicted_time, PROP_EVICTED_TIME)
INT64_ACCESSORS (refused_time, PROP_REFUSED_TIME)

#undef INT64_ACCESSORS

const char *
clap_task_get_model (ClapTask *self)
{
  g_return_val_if_fail (CLAP_IS_TASK (self), NULL);
  return self->r.model;
}

const char *
clap_task_get_prompt (ClapTask *self)
{
  g_return_val_if_fail (CLAP_IS_TASK (self), NULL);
  return self->r.prompt;
}

/* The settings are parsed on first use: a history of thousands of takes
 * loads without parsing any of them. */
JsonNode *
clap_task_get_settings (ClapTask *self)
{
  g_return_val_if_fail (CLAP_IS_TASK (self), NULL);

  if (self->settings == NULL && self->r.settings_json == NULL && self->settings_loader != NULL)
    self->r.settings_json = self->settings_loader (self, self->settings_loader_data);

  /* A damaged history must not take the application down with it. */
  if (self->settings == NULL && self->r.settings_json != NULL)
    self->settings = clap_untrusted_parse_json (self->r.settings_json, -1,
                                                CLAP_TASK_STORED_JSON_MAX_BYTES, NULL);

  return self->settings;
}

const char *
clap_task_get_uid (ClapTask *self)
{
  g_return_val_if_fail (CLAP_IS_TASK (self), NULL);
  return self->r.uid;
}

gint64
clap_task_get_submit_time (ClapTask *self)
{
  g_return_val_if_fail (CLAP_IS_TASK (self), 0);
  return self->r.submit_time;
}

static const char *
get_settings_string (JsonNode   *settings,
                     const char *name)
{
  JsonObject *object;

  if (settings == NULL || !JSON_NODE_HOLDS_OBJECT (settings))
    return NULL;

  object = json_node_get_object (settings);
  if (!json_object_has_member (object, name) ||
      !JSON_NODE_HOLDS_VALUE (json_object_get_member (object, name)))
    return NULL;

  return json_object_get_string_member (object, name);
}

/* The request's settings, as clap_request_save_settings() gives them; the
 * model and prompt shown in lists come from them. */
void
clap_task_set_settings (ClapTask *self,
                        JsonNode *settings)
{
  const char *model;

  g_return_if_fail (CLAP_IS_TASK (self));

  if (settings == self->settings)
    return;

  g_clear_pointer (&self->settings, json_node_unref);
  g_clear_pointer (&self->r.settings_json, g_free);
  self->settings = settings ? json_node_ref (settings) : NULL;
  if (settings != NULL)
    self->r.settings_json = json_to_string (settings, FALSE);

  model = get_settings_string (settings, "model");
  set_string (self, &self->r.model, model ? model : "kling-v2-6", PROP_MODEL);
  set_string (self, &self->r.prompt, get_settings_string (settings, "prompt"), PROP_PROMPT);
}

ClapRequest *
clap_task_dup_request (ClapTask *self)
{
  g_return_val_if_fail (CLAP_IS_TASK (self), NULL);

  if (clap_task_get_settings (self) == NULL)
    return clap_request_new (self->r.model);

  return clap_request_new_from_settings (self->settings, NULL);
}

char *
clap_task_dup_description (ClapTask *self)
{
  g_autoptr(ClapRequest) request = clap_task_dup_request (self);

  return request ? clap_request_describe (request) : g_strdup (self->r.model);
}

ClapTaskState
clap_task_get_state (ClapTask *self)
{
  g_return_val_if_fail (CLAP_IS_TASK (self), CLAP_TASK_STATE_SUBMITTING);
  return self->r.state;
}

void
clap_task_set_state (ClapTask      *self,
                     ClapTaskState  state)
{
  g_return_if_fail (CLAP_IS_TASK (self));

  if (self->r.state != state)
    {
      self->r.state = state;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
    }
}

const char * const *
clap_task_get_result_urls (ClapTask *self)
{
  g_return_val_if_fail (CLAP_IS_TASK (self), NULL);
  return (const char * const *) self->r.result_urls;
}

void
clap_task_set_result_urls (ClapTask           *self,
                           const char * const *urls)
{
  g_return_if_fail (CLAP_IS_TASK (self));

  if (_clap_replace_strv (&self->r.result_urls, urls))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RESULT_URLS]);
}

const char *
clap_task_get_result_url (ClapTask *self)
{
  g_return_val_if_fail (CLAP_IS_TASK (self), NULL);
  return self->r.result_urls ? self->r.result_urls[0] : NULL;
}

ClapPrice
clap_task_get_cost (ClapTask *self)
{
  g_return_val_if_fail (CLAP_IS_TASK (self), 0);
  return self->r.cost;
}

void
clap_task_set_cost (ClapTask  *self,
                    ClapPrice  cost)
{
  g_return_if_fail (CLAP_IS_TASK (self));
  set_int64 (self, &self->r.cost, cost, PROP_COST);
}

double
clap_task_get_progress (ClapTask *self)
{
  g_return_val_if_fail (CLAP_IS_TASK (self), 0.0);
  return self->progress;
}

/* Download progress of the result, 0 to 1; not stored. */
void
clap_task_set_progress (ClapTask *self,
                        double    progress)
{
  g_return_if_fail (CLAP_IS_TASK (self));

  progress = CLAMP (progress, 0.0, 1.0);
  if (self->progress != progress)
    {
      self->progress = progress;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PROGRESS]);
    }
}

/* What the service said, shown in a label or a terminal: escaped, and
 * short. */
#define SERVICE_TEXT_MAX_CHARS   2000
#define SERVICE_STATE_MAX_CHARS  64

/* Said of a completed take whose answer had no link Clapboard could use. */
static const char *
no_link_message (void)
{
  return _("Finished, but the service gave no link to the clip. Clapboard asks again later.");
}

/* Whether @url, from the service or from the history, may be fetched: a
 * web address of a sane length, https (plain http to this computer
 * alone). */
gboolean
_clap_task_url_is_usable (const char *url)
{
  return url != NULL && strnlen (url, CLAP_TASK_URL_MAX_LENGTH + 1) <= CLAP_TASK_URL_MAX_LENGTH &&
         g_utf8_validate (url, -1, NULL) && clap_url_is_allowed (url, NULL);
}

static GStrv
usable_urls (const char * const *urls)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  gboolean any = FALSE;

  for (guint i = 0; urls != NULL && urls[i] != NULL; i++)
    if (_clap_task_url_is_usable (urls[i]))
      {
        g_strv_builder_add (builder, urls[i]);
        any = TRUE;
      }
    else
      g_debug ("Ignoring a result link that cannot be used");

  return any ? g_strv_builder_end (builder) : NULL;
}

/* Takes what the service said of the task. Returns TRUE when anything the
 * history keeps changed. An answer about another task than the take's
 * (once it has an id), or naming a task id that is not usable, is refused:
 * it changes nothing, and FALSE comes with @error saying why (FALSE without
 * an error: accepted, nothing new). */
/* The service answers with the model it runs the take on; one other than
 * what was asked (motion control 3.0 asked, Kling 2.6 answered) is said
 * beside any other warning. The price shown stays what was asked. */
static gboolean
check_echo (ClapTask   *self,
            const char *answered)
{
  g_autoptr(ClapRequest) request = clap_task_dup_request (self);
  g_autofree char *warning = NULL;
  g_autofree char *joined = NULL;

  g_free (self->echo_checked);
  self->echo_checked = g_strdup (answered);

  if (request == NULL)
    return FALSE;

  warning = clap_catalog_check_echo (clap_request_get_model (request),
                                     clap_request_get_version (request), answered);
  if (warning == NULL || (self->r.warning != NULL && strstr (self->r.warning, warning) != NULL))
    return FALSE;

  joined = self->r.warning != NULL ? g_strconcat (self->r.warning, "\n", warning, NULL)
                                   : g_strdup (warning);
  return set_string (self, &self->r.warning, joined, PROP_WARNING);
}

gboolean
clap_task_apply_info (ClapTask            *self,
                      const ClapTaskInfo  *info,
                      GError             **error)
{
  g_auto(GStrv) urls = NULL;
  g_autofree char *thumbnail = NULL;
  g_autofree char *service_state = NULL;
  gboolean changed = FALSE;
  ClapTaskState state;

  g_return_val_if_fail (CLAP_IS_TASK (self), FALSE);
  g_return_val_if_fail (info != NULL, FALSE);

  if (info->task_id != NULL && !clap_task_id_is_valid (info->task_id))
    {
      g_autofree char *shown = clap_untrusted_escape (info->task_id, 80);

      g_set_error (error, CLAP_CLIENT_ERROR, CLAP_CLIENT_ERROR_PROTOCOL,
                   _("The service named a task id Clapboard cannot use (“%s”); the answer was "
                     "ignored."), shown);
      return FALSE;
    }

  if (info->task_id != NULL && self->r.task_id != NULL &&
      !g_str_equal (info->task_id, self->r.task_id))
    {
      g_autofree char *answered = clap_untrusted_escape (info->task_id, 80);
      g_autofree char *asked = clap_untrusted_escape (self->r.task_id, 80);

      g_set_error (error, CLAP_CLIENT_ERROR, CLAP_CLIENT_ERROR_PROTOCOL,
                   _("The service answered for task “%s” when asked about “%s”; the answer was "
                     "ignored."), answered, asked);
      return FALSE;
    }

  urls = usable_urls ((const char * const *) info->result_urls);
  if (_clap_task_url_is_usable (info->thumbnail_url))
    thumbnail = g_strdup (info->thumbnail_url);
  if (info->service_state != NULL)
    service_state = clap_untrusted_escape (info->service_state, SERVICE_STATE_MAX_CHARS);

  g_object_freeze_notify (G_OBJECT (self));

  changed |= set_string (self, &self->r.task_id, info->task_id, PROP_TASK_ID);

  /* A state never goes back: a late or duplicate reply (a callback racing a
   * query) must not undo a final state. */
  state = info->state;
  if (!clap_task_state_is_final (self->r.state) || self->r.state == CLAP_TASK_STATE_INTERRUPTED)
    {
      if (!(self->r.state == CLAP_TASK_STATE_PROCESSING && state == CLAP_TASK_STATE_PENDING) &&
          self->r.state != state)
        {
          self->r.state = state;
          g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
          changed = TRUE;
        }
    }

  /* The raw state is shown only while the service still uses a name
   * Clapboard does not know. */
  changed |= set_string (self, &self->r.service_state,
              clap_task_state_is_active (self->r.state) ? service_state : NULL,
              PROP_SERVICE_STATE);

  if (info->create_time > 0)
    changed |= set_int64 (self, &self->r.create_time, info->create_time, PROP_CREATE_TIME);
  if (info->complete_time > 0)
    changed |= set_int64 (self, &self->r.complete_time, info->complete_time, PROP_COMPLETE_TIME);

  /* A reply without results never erases the ones already known. */
  if (urls != NULL && _clap_replace_strv (&self->r.result_urls, (const char * const *) urls))
    {
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RESULT_URLS]);
      changed = TRUE;
    }

  if (thumbnail != NULL)
    changed |= set_string (self, &self->r.thumbnail_url, thumbnail, PROP_THUMBNAIL_URL);

  if (info->model != NULL && g_strcmp0 (info->model, self->echo_checked) != 0)
    changed |= check_echo (self, info->model);

  /* Finished with no link: said, and asked again later (see ClapPoller). */
  if (self->r.state == CLAP_TASK_STATE_COMPLETED && self->r.result_urls == NULL &&
      self->r.local_file == NULL)
    changed |= set_string (self, &self->r.error_message, no_link_message (), PROP_ERROR_MESSAGE);
  else if (self->r.result_urls != NULL &&
           g_strcmp0 (self->r.error_message, no_link_message ()) == 0)
    changed |= set_string (self, &self->r.error_message, NULL, PROP_ERROR_MESSAGE);

  if (self->r.state == CLAP_TASK_STATE_FAILED)
    {
      g_autofree char *message = NULL;

      if (info->fail_msg != NULL)
        message = clap_untrusted_escape (info->fail_msg, SERVICE_TEXT_MAX_CHARS);
      else if (info->state == CLAP_TASK_STATE_FAILED)
        message = info->fail_code ? clap_untrusted_escape (info->fail_code, SERVICE_TEXT_MAX_CHARS)
                                  : g_strdup (_("The service gave no reason."));
      if (message != NULL)
        changed |= set_string (self, &self->r.fail_message, message, PROP_FAIL_MESSAGE);
    }

  g_object_thaw_notify (G_OBJECT (self));
  return changed;
}

/* A copy of @text cut to @max_chars characters, valid UTF-8. */
static void
bound_text (char  **text,
            glong   max_chars)
{
  g_autofree char *valid = NULL;

  if (*text == NULL)
    return;

  valid = g_utf8_make_valid (*text, -1);
  if (g_utf8_strlen (valid, -1) > max_chars)
    {
      g_autofree char *cut = g_utf8_substring (valid, 0, max_chars);

      g_free (*text);
      *text = g_strconcat (cut, "…", NULL);
    }
  else if (strcmp (valid, *text) != 0)
    {
      g_free (*text);
      *text = g_steal_pointer (&valid);
    }
}

/* Checks again what the history says of a take, before anything uses it:
 * much of it came from the network, and a history may be damaged. Links
 * that are not allowed addresses are dropped, text is bounded. The task id
 * is kept as it is: one that is not usable is never sent or looked up (see
 * clap_task_id_is_valid()), and the take says why when resumed. Files are
 * checked where they are used (see clap-results.c). */
void
_clap_task_record_check (ClapTaskRecord *record)
{
  g_auto(GStrv) urls = usable_urls ((const char * const *) record->result_urls);

  g_strfreev (record->result_urls);
  record->result_urls = g_steal_pointer (&urls);
  if (record->thumbnail_url != NULL && !_clap_task_url_is_usable (record->thumbnail_url))
    g_clear_pointer (&record->thumbnail_url, g_free);

  bound_text (&record->fail_message, SERVICE_TEXT_MAX_CHARS);
  bound_text (&record->error_message, SERVICE_TEXT_MAX_CHARS);
  bound_text (&record->warning, SERVICE_TEXT_MAX_CHARS);
  bound_text (&record->service_state, SERVICE_STATE_MAX_CHARS);
  bound_text (&record->model, 256);
  bound_text (&record->prompt, 64 * 1024);
}

/* Whether the service finished @self without a link to its clip. */
gboolean
clap_task_is_missing_link (ClapTask *self)
{
  g_return_val_if_fail (CLAP_IS_TASK (self), FALSE);

  return self->r.state == CLAP_TASK_STATE_COMPLETED && self->r.result_urls == NULL &&
         self->r.local_file == NULL && self->r.evicted_time == 0;
}

/* A completed take whose video is not on this computer yet. */
gboolean
clap_task_needs_download (ClapTask *self)
{
  g_return_val_if_fail (CLAP_IS_TASK (self), FALSE);

  return self->r.state == CLAP_TASK_STATE_COMPLETED &&
         self->r.local_file == NULL &&
         self->r.evicted_time == 0 &&
         self->r.refused_time == 0 &&
         self->r.result_urls != NULL;
}

/* When the result's link stops working, in ms since the epoch (0: not
 * completed). The provider keeps results for 7 days; the estimate errs
 * early, never late. */
gint64
clap_task_get_result_expiry (ClapTask *self)
{
  g_return_val_if_fail (CLAP_IS_TASK (self), 0);

  if (self->r.state != CLAP_TASK_STATE_COMPLETED || self->r.result_urls == NULL)
    return 0;
  return (self->r.complete_time > 0 ? self->r.complete_time : self->r.submit_time) +
         CLAP_RESULT_LIFETIME_MS;
}

/* For the store ------------------------------------------------------------ */

/* What the history keeps of @self, copied so a worker thread may write it. */
void
_clap_task_snapshot (ClapTask       *self,
                     ClapTaskRecord *record)
{
  _clap_task_record_copy (record, &self->r);
}

/* A take as the history kept it; takes ownership of @record's strings. */
ClapTask *
_clap_task_new_from_record (ClapTaskRecord *record)
{
  ClapTask *self = g_object_new (CLAP_TYPE_TASK, NULL);

  /* What g_object_new() gave it (a new uid) is replaced. */
  _clap_task_record_clear (&self->r);
  self->r = *record;
  memset (record, 0, sizeof *record);

  return self;
}

/* How far a take has come, as the history compares two versions of it
 * (the SQL of clap-store.c says the same): a submission, then its outcome,
 * then its video on disk. */
int
_clap_task_record_progress (const ClapTaskRecord *record)
{
  switch (record->state)
    {
    case CLAP_TASK_STATE_SUBMITTING:
      return 0;
    case CLAP_TASK_STATE_INTERRUPTED:
      return 1;
    case CLAP_TASK_STATE_PENDING:
      return 2;
    case CLAP_TASK_STATE_PROCESSING:
      return 3;
    case CLAP_TASK_STATE_FAILED:
      return 4;
    case CLAP_TASK_STATE_COMPLETED:
      return record->local_file != NULL || record->evicted_time > 0 ? 5 : 4;
    default:
      return 0;
    }
}

/* Takes what another process wrote of the take, notifying each change. */
void
_clap_task_apply_record (ClapTask             *self,
                         const ClapTaskRecord *record)
{
  g_return_if_fail (g_strcmp0 (self->r.uid, record->uid) == 0);

  g_object_freeze_notify (G_OBJECT (self));
  _clap_task_record_update (&self->r, record, G_OBJECT (self));
  g_object_thaw_notify (G_OBJECT (self));
}

/* Settings of a take loaded from the history are read from it on first use:
 * ten thousand takes load without holding ten thousand settings. */
void
_clap_task_set_settings_loader (ClapTask               *self,
                                ClapTaskSettingsLoader  loader,
                                gpointer                data)
{
  self->settings_loader = loader;
  self->settings_loader_data = data;
}

/* The process that is submitting the take, written with it: another process
 * resuming the history must not take a live submission for a dead one. */
const char *
_clap_task_get_owner (ClapTask *self)
{
  return self->r.owner;
}

void
_clap_task_set_owner (ClapTask   *self,
                      const char *owner)
{
  _clap_replace_string (&self->r.owner, owner);
}

/* Each submission of a take counts: when two processes wrote different
 * versions of it, the later attempt wins, then the one that came further. */
gint64
_clap_task_get_attempt (ClapTask *self)
{
  return self->r.attempt;
}

void
_clap_task_begin_attempt (ClapTask *self)
{
  self->r.attempt++;
}
