/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clap-sim-generations"

#include "config.h"

#include <string.h>

#include "clap-sim-server-private.h"

/* The request fields the simulator knows, as CONTRACT.md names them. */
typedef enum {
  FIELD_PROMPT                = 1 << 0,
  FIELD_NEGATIVE_PROMPT       = 1 << 1,
  FIELD_MODE                  = 1 << 2,
  FIELD_DURATION              = 1 << 3,
  FIELD_ASPECT_RATIO          = 1 << 4,
  FIELD_IMAGE                 = 1 << 5,
  FIELD_IMAGE_TAIL            = 1 << 6,
  FIELD_SOUND                 = 1 << 7,
  FIELD_VOICE_LIST            = 1 << 8,
  FIELD_MOTION_VIDEO          = 1 << 9,
  FIELD_CHARACTER_ORIENTATION = 1 << 10,
  FIELD_KEEP_ORIGINAL_SOUND   = 1 << 11,
  FIELD_VERSION               = 1 << 12,
  FIELD_CALLBACK_URL          = 1 << 13,
} Field;

static const struct {
  const char *name;
  Field       field;
} fields[] = {
  { "prompt", FIELD_PROMPT },
  { "negative_prompt", FIELD_NEGATIVE_PROMPT },
  { "mode", FIELD_MODE },
  { "duration", FIELD_DURATION },
  { "aspect_ratio", FIELD_ASPECT_RATIO },
  { "image", FIELD_IMAGE },
  { "image_tail", FIELD_IMAGE_TAIL },
  { "sound", FIELD_SOUND },
  { "voice_list", FIELD_VOICE_LIST },
  { "motion_video", FIELD_MOTION_VIDEO },
  { "character_orientation", FIELD_CHARACTER_ORIENTATION },
  { "keep_original_sound", FIELD_KEEP_ORIGINAL_SOUND },
  { "version", FIELD_VERSION },
  { "callback_url", FIELD_CALLBACK_URL },
};

#define COMMON_FIELDS (FIELD_PROMPT | FIELD_MODE | FIELD_DURATION | FIELD_IMAGE | FIELD_CALLBACK_URL)

/* The model catalogue: which fields each model takes and its durations
 * (an empty `durations` list means any whole number of seconds in range). */
typedef struct {
  const char *name;
  Field       fields;
  gboolean    prompt_required;
  gboolean    sound_needs_pro;
  gboolean    motion;
  guint       min_duration;
  guint       max_duration;
  const char *durations[4];
  const char *durations_text;
} Model;

static const Model models[] = {
  {
    .name = "kling-v2-6",
    .fields = COMMON_FIELDS | FIELD_NEGATIVE_PROMPT | FIELD_ASPECT_RATIO | FIELD_IMAGE_TAIL |
              FIELD_SOUND | FIELD_VOICE_LIST,
    .prompt_required = TRUE,
    .sound_needs_pro = TRUE,
    .min_duration = 5,
    .max_duration = 10,
    .durations = { "5", "10", NULL },
    .durations_text = "\"5\" or \"10\"",
  },
  {
    .name = "kling-v3",
    .fields = COMMON_FIELDS | FIELD_NEGATIVE_PROMPT | FIELD_ASPECT_RATIO | FIELD_IMAGE_TAIL |
              FIELD_SOUND,
    .prompt_required = TRUE,
    .min_duration = 3,
    .max_duration = 15,
    .durations_text = "\"3\" to \"15\"",
  },
  {
    .name = "kling-motion-control",
    .fields = COMMON_FIELDS | FIELD_MOTION_VIDEO | FIELD_CHARACTER_ORIENTATION |
              FIELD_KEEP_ORIGINAL_SOUND | FIELD_VERSION,
    .motion = TRUE,
    .min_duration = 3,
    .max_duration = 30,
    .durations_text = "\"3\" to \"30\"",
  },
};

#define MAX_PROMPT_CHARS      2500
#define MAX_VOICES            2
#define MAX_IMAGE_SIZE        (G_GINT64_CONSTANT (10) * 1024 * 1024)
#define DEFAULT_DURATION      5

/* Motion video limits, with a little room for container rounding. */
#define MOTION_MIN_S          3.0
#define MOTION_MAX_S          30.0
#define MOTION_IMAGE_MAX_S    10.0
#define MOTION_SLACK_S        0.05

typedef struct {
  ClapSimServer    *server;
  JsonObject       *params;
  const Model      *model;
  const char       *prompt;
  const char       *mode;
  const char       *aspect_ratio;
  const char       *orientation;
  guint             duration;
  gboolean          audio;
  char             *motion_path;
  char             *image_path;
  const char       *motion_field;   /* as the dialect names the motion video */
  ClapSimKeywords   keywords;
  ClapSimFault      fault;

  /* Filled by the probe thread. */
  ClapSimMediaInfo  motion_info;
  ClapSimMediaInfo  image_info;
  gboolean          motion_probed;
  gboolean          image_probed;
  char             *motion_error;
} Create;

typedef struct {
  GWeakRef           server;
  ClapSimServer     *server_unowned;
  SoupServerMessage *msg;
  ClapSimHeld       *held;
  Create            *create;
} ProbeJob;

typedef struct {
  GWeakRef           server;
  ClapSimServer     *server_unowned;
  char              *task_id;
  ClapSimRenderSpec  spec;
  char              *video_path;
  char              *thumbnail_path;
} RenderJob;

static void
create_free (Create *create)
{
  g_clear_pointer (&create->params, json_object_unref);
  g_free (create->motion_path);
  g_free (create->image_path);
  g_free (create->motion_error);
  _clap_sim_keywords_clear (&create->keywords);
  g_free (create);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Create, create_free)

const char *
_clap_sim_state_to_string (ClapSimState state)
{
  switch (state)
    {
    case CLAP_SIM_STATE_PENDING:
      return "pending";
    case CLAP_SIM_STATE_PROCESSING:
      return "processing";
    case CLAP_SIM_STATE_COMPLETED:
      return "completed";
    case CLAP_SIM_STATE_FAILED:
      return "failed";
    case CLAP_SIM_STATE_CANCELLED:
      return "cancelled";
    default:
      g_assert_not_reached ();
    }
}

void
_clap_sim_task_free (ClapSimTask *task)
{
  if (task->timer != NULL)
    {
      g_source_destroy (task->timer);
      g_source_unref (task->timer);
    }

  g_free (task->id);
  g_free (task->key);
  g_free (task->model);
  g_clear_pointer (&task->params, json_object_unref);
  g_free (task->callback_url);
  _clap_sim_render_spec_clear (&task->spec);
  _clap_sim_keywords_clear (&task->keywords);
  g_free (task->fail_code);
  g_free (task->fail_msg);
  g_free (task->video_path);
  g_free (task->thumbnail_path);
  g_free (task);
}

/* By the task's own key, as its renders and result URLs name it. */
ClapSimTask *
_clap_sim_server_lookup_task (ClapSimServer *self,
                              const char    *key)
{
  if (self->tasks == NULL || key == NULL)
    return NULL;

  return g_hash_table_lookup (self->tasks, key);
}

/* By the id clients know: the newest task answering to it. */
ClapSimTask *
_clap_sim_server_lookup_task_id (ClapSimServer *self,
                                 const char    *id)
{
  if (self->task_ids == NULL || id == NULL)
    return NULL;

  return g_hash_table_lookup (self->task_ids, id);
}

static const Model *
find_model (const char *name)
{
  for (guint i = 0; i < G_N_ELEMENTS (models); i++)
    {
      if (g_str_equal (models[i].name, name))
        return &models[i];
    }

  return NULL;
}

static const char *
get_string (JsonObject *params,
            const char *name)
{
  JsonNode *node = json_object_get_member (params, name);

  return node != NULL && JSON_NODE_HOLDS_VALUE (node) ? json_node_get_string (node) : NULL;
}

static gboolean
is_one_of (const char *value,
           ...)
{
  const char *candidate;
  gboolean found = FALSE;
  va_list args;

  va_start (args, value);
  while (!found && (candidate = va_arg (args, const char *)) != NULL)
    found = g_str_equal (value, candidate);
  va_end (args);

  return found;
}

/* The provider refuses input URLs it could not fetch from the internet. */
static gboolean
host_is_private (const char *host)
{
  g_autoptr(GInetAddress) address = NULL;

  if (g_ascii_strcasecmp (host, "localhost") == 0 ||
      g_str_has_suffix (host, ".localhost") ||
      g_str_has_suffix (host, ".local") ||
      g_str_has_suffix (host, ".internal"))
    return TRUE;

  address = g_inet_address_new_from_string (host);
  if (address == NULL)
    return FALSE;

  if (g_inet_address_get_is_loopback (address) ||
      g_inet_address_get_is_link_local (address) ||
      g_inet_address_get_is_site_local (address) ||
      g_inet_address_get_is_any (address) ||
      g_inet_address_get_is_multicast (address))
    return TRUE;

  /* IPv6 unique local addresses, fc00::/7. */
  if (g_inet_address_get_family (address) == G_SOCKET_FAMILY_IPV6)
    return (g_inet_address_to_bytes (address)[0] & 0xfe) == 0xfc;

  return FALSE;
}

static gboolean
host_is_loopback (const char *host)
{
  g_autoptr(GInetAddress) address = g_inet_address_new_from_string (host);

  if (g_ascii_strcasecmp (host, "localhost") == 0)
    return TRUE;

  return address != NULL && g_inet_address_get_is_loopback (address);
}

/* An input is a public https URL, or a file uploaded to this simulator
 * (whose local path is returned so that it can be probed). */
static gboolean
check_input_url (Create      *create,
                 const char  *field,
                 const char  *value,
                 gboolean     video,
                 char       **local_path,
                 char       **error)
{
  g_autoptr(GUri) uri = g_uri_parse (value, G_URI_FLAGS_NONE, NULL);
  ClapSimFile *file;
  gboolean is_own = FALSE;

  if (uri == NULL || g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0')
    {
      *error = g_strdup_printf ("%s must be an absolute https URL", field);
      return FALSE;
    }

  file = _clap_sim_server_lookup_own_url (create->server, uri, &is_own);
  if (is_own)
    {
      if (file == NULL || file->uploaded_at == 0)
        {
          *error = g_strdup_printf ("%s: the uploaded file was not found (did its PUT complete?)",
                                    field);
          return FALSE;
        }

      if (g_get_real_time () - file->uploaded_at > CLAP_SIM_PUBLIC_URL_TTL_US)
        {
          *error = g_strdup_printf ("%s: the uploaded file has expired", field);
          return FALSE;
        }

      if (!video && !is_one_of (file->content_type, "image/png", "image/jpeg", NULL))
        {
          *error = g_strdup_printf ("%s must be a JPEG or PNG image", field);
          return FALSE;
        }

      if (video && !is_one_of (file->content_type, "video/mp4", "video/quicktime", NULL))
        {
          *error = g_strdup_printf ("%s must be an MP4 or MOV video", field);
          return FALSE;
        }

      if (!video && file->size > MAX_IMAGE_SIZE)
        {
          *error = g_strdup_printf ("%s is larger than 10 MB", field);
          return FALSE;
        }

      if (local_path != NULL)
        *local_path = g_strdup (file->path);

      return TRUE;
    }

  if (g_ascii_strcasecmp (g_uri_get_scheme (uri), "https") != 0)
    {
      *error = g_strdup_printf ("%s must be an https URL", field);
      return FALSE;
    }

  if (host_is_private (g_uri_get_host (uri)))
    {
      *error = g_strdup_printf ("%s must be a public URL: loopback and private addresses "
                                "are refused", field);
      return FALSE;
    }

  return TRUE;
}

static gboolean
check_text (JsonObject  *params,
            const char  *field,
            char       **error)
{
  const char *text = get_string (params, field);
  glong length;

  if (text == NULL)
    return TRUE;

  length = g_utf8_strlen (text, -1);
  if (length > MAX_PROMPT_CHARS)
    {
      *error = g_strdup_printf ("%s is too long: %ld characters, at most %d", field, length,
                                MAX_PROMPT_CHARS);
      return FALSE;
    }

  return TRUE;
}

static gboolean
check_duration (Create      *create,
                char       **error)
{
  const Model *model = create->model;
  JsonNode *node = json_object_get_member (create->params, "duration");
  const char *text;
  guint64 seconds;

  if (node == NULL)
    {
      create->duration = model->motion ? 0 : DEFAULT_DURATION;
      return TRUE;
    }

  text = get_string (create->params, "duration");
  if (text == NULL)
    {
      *error = g_strdup ("duration must be a string of digits, such as \"5\"");
      return FALSE;
    }

  /* Digits only, without a sign or leading zero: "5", never "05" or "+5". */
  if (*text == '0' || !g_ascii_string_to_unsigned (text, 10, 0, G_MAXUINT, &seconds, NULL) ||
      !g_ascii_isdigit (*text))
    {
      *error = g_strdup_printf ("duration must be a string of digits, such as \"5\" (got \"%s\")",
                                text);
      return FALSE;
    }

  if (model->durations[0] != NULL)
    {
      gboolean allowed = FALSE;

      for (guint i = 0; model->durations[i] != NULL; i++)
        allowed |= g_str_equal (model->durations[i], text);

      if (!allowed)
        {
          *error = g_strdup_printf ("duration must be %s for %s", model->durations_text,
                                    model->name);
          return FALSE;
        }
    }
  else if (seconds < model->min_duration || seconds > model->max_duration)
    {
      *error = g_strdup_printf ("duration must be %s for %s", model->durations_text, model->name);
      return FALSE;
    }

  create->duration = seconds;
  return TRUE;
}

static gboolean
check_voice_list (Create      *create,
                  char       **error)
{
  JsonNode *node = json_object_get_member (create->params, "voice_list");
  JsonArray *array;
  guint length;

  if (node == NULL)
    return TRUE;

  if (!JSON_NODE_HOLDS_ARRAY (node))
    {
      *error = g_strdup ("voice_list must be an array of {\"voice_id\": \"…\"}");
      return FALSE;
    }

  array = json_node_get_array (node);
  length = json_array_get_length (array);

  if (length > MAX_VOICES)
    {
      *error = g_strdup_printf ("voice_list has %u voices, at most %d", length, MAX_VOICES);
      return FALSE;
    }

  for (guint i = 0; i < length; i++)
    {
      JsonNode *element = json_array_get_element (array, i);
      JsonNode *id = NULL;

      if (JSON_NODE_HOLDS_OBJECT (element))
        id = json_object_get_member (json_node_get_object (element), "voice_id");

      if (id == NULL || !JSON_NODE_HOLDS_VALUE (id) ||
          json_node_get_value_type (id) != G_TYPE_STRING || *json_node_get_string (id) == '\0')
        {
          *error = g_strdup_printf ("voice_list[%u] must be {\"voice_id\": \"…\"}", i);
          return FALSE;
        }
    }

  if (length > 0 && !create->audio)
    {
      *error = g_strdup ("voice_list needs sound \"on\"");
      return FALSE;
    }

  return TRUE;
}

/* Motion control's resolution is 720p or 1080p (the provider's video page
 * and its production client). The seed page's std / pro are still taken
 * from older clients, except by the gateway, which knows 720p / 1080p
 * only. Other models take std / pro. */
static gboolean
check_mode (Create      *create,
            char       **error)
{
  const char *model = create->model->name;

  create->mode = get_string (create->params, "mode");

  if (create->model->motion && create->server->dialect == CLAP_SIM_DIALECT_GATEWAY)
    {
      if (create->mode == NULL)
        {
          *error = g_strdup_printf ("mode (\"720p\" or \"1080p\") is required for %s", model);
          return FALSE;
        }

      if (!is_one_of (create->mode, "720p", "1080p", NULL))
        {
          *error = g_strdup_printf ("mode must be \"720p\" or \"1080p\" for %s (got \"%s\")",
                                    model, create->mode);
          return FALSE;
        }

      return TRUE;
    }

  if (create->mode == NULL)
    create->mode = "std";
  else if (create->model->motion && !is_one_of (create->mode, "720p", "1080p", "std", "pro", NULL))
    {
      *error = g_strdup_printf ("mode must be \"720p\" or \"1080p\" (or \"std\" or \"pro\") "
                                "for %s (got \"%s\")", model, create->mode);
      return FALSE;
    }
  else if (!create->model->motion && !is_one_of (create->mode, "std", "pro", NULL))
    {
      *error = g_strdup_printf ("mode must be \"std\" or \"pro\" (got \"%s\")", create->mode);
      return FALSE;
    }

  return TRUE;
}

/* The gateway's `input_urls` / `video_urls`: an array of exactly one URL. */
static gboolean
get_single_url (Create      *create,
                const char  *field,
                const char  *what,
                const char **value,
                char       **error)
{
  JsonNode *node = json_object_get_member (create->params, field);
  JsonArray *array = NULL;
  JsonNode *element;

  if (node != NULL && JSON_NODE_HOLDS_ARRAY (node))
    array = json_node_get_array (node);

  if (node == NULL)
    {
      *error = g_strdup_printf ("%s (an array with %s's URL) is required for %s", field, what,
                                create->model->name);
      return FALSE;
    }

  if (array == NULL || json_array_get_length (array) != 1 ||
      !JSON_NODE_HOLDS_VALUE (element = json_array_get_element (array, 0)) ||
      json_node_get_value_type (element) != G_TYPE_STRING)
    {
      *error = g_strdup_printf ("%s must be an array of one URL, %s's", field, what);
      return FALSE;
    }

  *value = json_node_get_string (element);
  return TRUE;
}

/* Every rule of CONTRACT.md that a request can break, one message each. */
static gboolean
validate (Create      *create,
          char       **error)
{
  JsonObject *params = create->params;
  const Model *model;
  const char *name;
  const char *value;
  JsonObjectIter iter;
  JsonNode *node;
  gboolean gateway_motion;

  if (!json_object_has_member (params, "model"))
    {
      *error = g_strdup ("model is required");
      return FALSE;
    }

  name = get_string (params, "model");
  if (name == NULL)
    {
      *error = g_strdup ("model must be a string");
      return FALSE;
    }

  if ((model = find_model (name)) == NULL)
    {
      *error = g_strdup_printf ("Unknown model \"%s\": use kling-v2-6, kling-v3 or "
                                "kling-motion-control", name);
      return FALSE;
    }

  create->model = model;
  gateway_motion = model->motion && create->server->dialect == CLAP_SIM_DIALECT_GATEWAY;

  /* Fields the simulator does not know are left alone, as the provider
   * does; known fields must belong to the model and be strings. */
  json_object_iter_init (&iter, params);
  while (json_object_iter_next (&iter, &name, &node))
    {
      for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
        {
          if (!g_str_equal (fields[i].name, name))
            continue;

          if (!(model->fields & fields[i].field))
            {
              *error = g_strdup_printf ("%s is not supported by %s", name, model->name);
              return FALSE;
            }

          if (fields[i].field != FIELD_VOICE_LIST && fields[i].field != FIELD_DURATION &&
              (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING))
            {
              *error = g_strdup_printf ("%s must be a string", name);
              return FALSE;
            }
        }
    }

  create->prompt = get_string (params, "prompt");
  if (model->prompt_required)
    {
      g_autofree char *stripped = g_strstrip (g_strdup (create->prompt ? create->prompt : ""));

      if (*stripped == '\0')
        {
          *error = g_strdup ("prompt is required");
          return FALSE;
        }
    }

  if (!check_text (params, "prompt", error) || !check_text (params, "negative_prompt", error))
    return FALSE;

  if (!check_mode (create, error))
    return FALSE;

  if (!check_duration (create, error))
    return FALSE;

  create->aspect_ratio = get_string (params, "aspect_ratio");
  if (create->aspect_ratio == NULL)
    create->aspect_ratio = "16:9";
  else if (!is_one_of (create->aspect_ratio, "16:9", "9:16", "1:1", NULL))
    {
      *error = g_strdup_printf ("aspect_ratio must be \"16:9\", \"9:16\" or \"1:1\" (got \"%s\")",
                                create->aspect_ratio);
      return FALSE;
    }

  if ((value = get_string (params, "sound")) != NULL)
    {
      if (!is_one_of (value, "on", "off", NULL))
        {
          *error = g_strdup_printf ("sound must be \"on\" or \"off\" (got \"%s\")", value);
          return FALSE;
        }

      create->audio = g_str_equal (value, "on");
      if (create->audio && model->sound_needs_pro && !g_str_equal (create->mode, "pro"))
        {
          *error = g_strdup_printf ("sound \"on\" needs mode \"pro\" on %s", model->name);
          return FALSE;
        }
    }

  if (!check_voice_list (create, error))
    return FALSE;

  /* The gateway reads motion control's character from input_urls: there,
   * image is a name it does not know, and ignores. */
  if ((value = get_string (params, "image")) != NULL && !gateway_motion &&
      !check_input_url (create, "image", value, FALSE, &create->image_path, error))
    return FALSE;

  if ((value = get_string (params, "image_tail")) != NULL)
    {
      if (!json_object_has_member (params, "image"))
        {
          *error = g_strdup ("image_tail needs image (the first frame)");
          return FALSE;
        }

      if (!check_input_url (create, "image_tail", value, FALSE, NULL, error))
        return FALSE;
    }

  if (gateway_motion)
    {
      if (!get_single_url (create, "input_urls", "the character image", &value, error) ||
          !check_input_url (create, "input_urls[0]", value, FALSE, &create->image_path, error) ||
          !get_single_url (create, "video_urls", "the motion video", &value, error) ||
          !check_input_url (create, "video_urls[0]", value, TRUE, &create->motion_path, error))
        return FALSE;

      create->motion_field = "video_urls[0]";
    }
  else if (model->motion)
    {
      if (!json_object_has_member (params, "image"))
        {
          *error = g_strdup_printf ("image (the character) is required for %s", model->name);
          return FALSE;
        }

      if ((value = get_string (params, "motion_video")) == NULL)
        {
          *error = g_strdup_printf ("motion_video is required for %s", model->name);
          return FALSE;
        }

      if (!check_input_url (create, "motion_video", value, TRUE, &create->motion_path, error))
        return FALSE;

      create->motion_field = "motion_video";
    }

  if (model->motion)
    {
      create->orientation = get_string (params, "character_orientation");
      if (create->orientation == NULL)
        create->orientation = "video";
      else if (!is_one_of (create->orientation, "image", "video", NULL))
        {
          *error = g_strdup_printf ("character_orientation must be \"image\" or \"video\" "
                                    "(got \"%s\")", create->orientation);
          return FALSE;
        }

      value = get_string (params, "keep_original_sound");
      if (value != NULL && !is_one_of (value, "yes", "no", NULL))
        {
          *error = g_strdup_printf ("keep_original_sound must be \"yes\" or \"no\" (got \"%s\")",
                                    value);
          return FALSE;
        }
      create->audio = value == NULL || g_str_equal (value, "yes");

      value = get_string (params, "version");
      if (value != NULL && !is_one_of (value, "2.6", "3.0", NULL))
        {
          *error = g_strdup_printf ("version must be \"2.6\" or \"3.0\" (got \"%s\")", value);
          return FALSE;
        }
    }
  else
    {
      /* The character image is only probed for motion control. */
      g_clear_pointer (&create->image_path, g_free);
    }

  if ((value = get_string (params, "callback_url")) != NULL)
    {
      g_autoptr(GUri) uri = g_uri_parse (value, G_URI_FLAGS_NONE, NULL);
      const char *scheme = uri != NULL ? g_uri_get_scheme (uri) : NULL;
      const char *host = uri != NULL ? g_uri_get_host (uri) : NULL;

      if (uri == NULL || host == NULL || *host == '\0' ||
          !(g_ascii_strcasecmp (scheme, "https") == 0 ||
            (g_ascii_strcasecmp (scheme, "http") == 0 && host_is_loopback (host))))
        {
          *error = g_strdup ("callback_url must be an https URL");
          return FALSE;
        }
    }

  return TRUE;
}

/* Motion rules that need the probed length of the motion video. */
static gboolean
check_motion_video (Create      *create,
                    char       **error)
{
  double length = create->motion_info.duration_s;

  if (create->motion_path == NULL)
    return TRUE;

  if (create->motion_error != NULL || !create->motion_info.has_video)
    {
      *error = g_strdup_printf ("%s could not be read as a video%s%s", create->motion_field,
                                create->motion_error ? ": " : "",
                                create->motion_error ? create->motion_error : "");
      return FALSE;
    }

  if (length < MOTION_MIN_S - MOTION_SLACK_S || length > MOTION_MAX_S + MOTION_SLACK_S)
    {
      *error = g_strdup_printf ("%s must be 3 to 30 seconds long (it is %.1f s)",
                                create->motion_field, length);
      return FALSE;
    }

  if (g_str_equal (create->orientation, "image") && length > MOTION_IMAGE_MAX_S + MOTION_SLACK_S)
    {
      *error = g_strdup_printf ("character_orientation \"image\" allows a motion video of at "
                                "most 10 seconds (it is %.1f s)", length);
      return FALSE;
    }

  return TRUE;
}

static void
fill_render_spec (ClapSimServer     *self,
                  Create            *create,
                  ClapSimRenderSpec *spec)
{
  const char *aspect = create->aspect_ratio;
  gboolean pro = is_one_of (create->mode, "pro", "1080p", NULL);
  guint long_side;
  guint short_side;
  g_autofree char *text = NULL;

  if (create->model->motion)
    {
      /* The output follows the character image's orientation. */
      aspect = "16:9";
      if (create->image_probed && create->image_info.width > 0 && create->image_info.height > 0)
        {
          if (create->image_info.width < create->image_info.height)
            aspect = "9:16";
          else if (create->image_info.width == create->image_info.height)
            aspect = "1:1";
        }

      if (create->motion_probed && create->motion_info.duration_s > 0)
        spec->duration_s = create->motion_info.duration_s;
      else
        spec->duration_s = DEFAULT_DURATION;
    }
  else
    {
      spec->duration_s = create->duration;
    }

  if (self->full_resolution)
    {
      long_side = pro ? 1920 : 1280;
      short_side = pro ? 1080 : 720;
      spec->fps = 24;
    }
  else
    {
      long_side = 320;
      short_side = 180;
      spec->fps = 12;
    }

  if (g_str_equal (aspect, "9:16"))
    {
      spec->width = short_side;
      spec->height = long_side;
    }
  else if (g_str_equal (aspect, "1:1"))
    {
      /* Square takes keep the area of the wide ones, at an even size. */
      spec->width = spec->height = self->full_resolution ? short_side : 240;
    }
  else
    {
      spec->width = long_side;
      spec->height = short_side;
    }

  spec->audio = create->audio;
  spec->caption = g_strdup_printf ("%s %s", create->model->name, create->mode);

  if (create->prompt == NULL || *create->prompt == '\0')
    text = g_strdup ("Motion control");
  else if (g_utf8_strlen (create->prompt, -1) > 240)
    {
      g_autofree char *head = g_utf8_substring (create->prompt, 0, 240);

      text = g_strconcat (head, "…", NULL);
    }
  else
    text = g_strdup (create->prompt);

  spec->text = g_steal_pointer (&text);
}

static void
render_job_free (RenderJob *job)
{
  g_weak_ref_clear (&job->server);
  g_free (job->task_id);
  _clap_sim_render_spec_clear (&job->spec);
  g_free (job->video_path);
  g_free (job->thumbnail_path);
  g_free (job);
}

static void
task_try_finish (ClapSimTask *task)
{
  ClapSimServer *self = task->server;

  if (!task->render_done || !task->processing_elapsed || task->state != CLAP_SIM_STATE_PROCESSING)
    return;

  if (task->keywords.cancel)
    task->state = CLAP_SIM_STATE_CANCELLED;
  else if (task->fail_msg != NULL)
    task->state = CLAP_SIM_STATE_FAILED;
  else
    task->state = CLAP_SIM_STATE_COMPLETED;
  task->complete_time = g_get_real_time () / 1000;
  task->complete_mono = g_get_monotonic_time ();

  g_debug ("Task %s %s", task->id, _clap_sim_state_to_string (task->state));

  if (task->callback_url != NULL)
    _clap_sim_callback_start (self, task);
}

static void
task_fail (ClapSimTask *task,
           const char  *code,
           const char  *message)
{
  if (task->fail_msg != NULL)
    return;

  task->fail_code = g_strdup (code);
  task->fail_msg = g_strdup (message);
}

static void
render_thread (GTask        *gtask,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  RenderJob *job = task_data;
  GError *error = NULL;

  if (!_clap_sim_render_thumbnail (&job->spec, job->thumbnail_path, cancellable, &error) ||
      (job->video_path != NULL &&
       !_clap_sim_render_video (&job->spec, job->video_path, cancellable, &error)))
    g_task_return_error (gtask, error);
  else
    g_task_return_boolean (gtask, TRUE);

  _clap_sim_server_worker_end (job->server_unowned);
}

static void
render_done_cb (GObject      *source_object,
                GAsyncResult *result,
                gpointer      user_data)
{
  RenderJob *job = g_task_get_task_data (G_TASK (result));
  g_autoptr(ClapSimServer) self = g_weak_ref_get (&job->server);
  g_autoptr(GError) error = NULL;
  ClapSimTask *task;

  g_task_propagate_boolean (G_TASK (result), &error);

  if (self == NULL || (task = _clap_sim_server_lookup_task (self, job->task_id)) == NULL)
    return;

  if (error != NULL)
    {
      g_autofree char *message = g_strdup_printf ("Render failed: %s", error->message);

      task_fail (task, "RENDER_FAILED", message);
    }

  task->render_done = TRUE;
  task_try_finish (task);
}

static void
task_start_render (ClapSimTask *task)
{
  ClapSimServer *self = task->server;
  g_autoptr(GTask) gtask = NULL;
  g_autofree char *video_name = g_strdup_printf ("%s.mp4", task->key);
  g_autofree char *thumbnail_name = g_strdup_printf ("%s.jpg", task->key);
  RenderJob *job = g_new0 (RenderJob, 1);

  if (self->result_file != NULL)
    task->video_path = g_strdup (self->result_file);
  else
    task->video_path = _clap_sim_server_data_path (self, "results", video_name);
  task->thumbnail_path = _clap_sim_server_data_path (self, "results", thumbnail_name);

  g_weak_ref_init (&job->server, self);
  job->server_unowned = self;
  job->task_id = g_strdup (task->key);
  _clap_sim_render_spec_copy (&task->spec, &job->spec);
  job->thumbnail_path = g_strdup (task->thumbnail_path);
  if (self->result_file == NULL)
    job->video_path = g_strdup (task->video_path);

  /* No source object: a render in flight must not keep the server alive. */
  gtask = g_task_new (NULL, self->cancellable, render_done_cb, NULL);
  g_task_set_source_tag (gtask, task_start_render);
  g_task_set_task_data (gtask, job, (GDestroyNotify)render_job_free);

  _clap_sim_server_worker_begin (self);
  g_task_run_in_thread (gtask, render_thread);
}

static gboolean
task_processing_elapsed_cb (gpointer data)
{
  ClapSimTask *task = data;

  g_clear_pointer (&task->timer, g_source_unref);
  task->processing_elapsed = TRUE;
  task_try_finish (task);

  return G_SOURCE_REMOVE;
}

static gboolean
task_start_processing_cb (gpointer data)
{
  ClapSimTask *task = data;
  ClapSimServer *self = task->server;
  guint64 processing_ms = self->processing_ms;

  g_clear_pointer (&task->timer, g_source_unref);
  task->state = CLAP_SIM_STATE_PROCESSING;

  if (task->keywords.slow_render)
    processing_ms *= 3;

  task->timer = _clap_sim_server_add_timeout (self, MIN (processing_ms, G_MAXUINT),
                                              task_processing_elapsed_cb, task, NULL);

  if (task->keywords.cancel)
    {
      /* Ended by the service: nothing is rendered, nothing is billed. */
      task_fail (task, "CANCELLED", "Task cancelled");
      task->render_done = TRUE;
    }
  else if (task->keywords.fail)
    {
      task_fail (task, task->keywords.fail_msg ? "TASK_FAILED" : "CONTENT_POLICY",
                 task->keywords.fail_msg ? task->keywords.fail_msg : "Content policy violation");
      task->render_done = TRUE;
    }
  else
    {
      task_start_render (task);
    }

  return G_SOURCE_REMOVE;
}

static ClapSimTask *
task_new (ClapSimServer *self,
          Create        *create)
{
  ClapSimTask *task = g_new0 (ClapSimTask, 1);
  const char *callback_url = get_string (create->params, "callback_url");

  do
    {
      g_free (task->key);
      task->key = _clap_sim_dialect_new_task_id (self->dialect);
    }
  while (g_hash_table_contains (self->tasks, task->key) ||
         g_hash_table_contains (self->task_ids, task->key));

  /* [sim:same-id]: the service hands out the id it gave last, as if its
   * id generator had repeated itself. The task is still its own, with its
   * own key and result URL; queries of the id now answer for it. */
  if (create->keywords.same_id && self->last_id != NULL)
    task->id = g_strdup (self->last_id);
  else
    task->id = g_strdup (task->key);

  task->ordinal = ++self->n_created;
  task->server = self;
  task->model = g_strdup (create->model->name);
  task->params = json_object_ref (create->params);
  task->callback_url = g_strdup (callback_url);
  task->state = CLAP_SIM_STATE_PENDING;
  task->create_time = g_get_real_time () / 1000;
  task->keywords = create->keywords;
  memset (&create->keywords, 0, sizeof create->keywords);
  fill_render_spec (self, create, &task->spec);

  task->timer = _clap_sim_server_add_timeout (self, self->pending_ms,
                                              task_start_processing_cb, task, NULL);
  g_hash_table_insert (self->tasks, task->key, task);
  g_hash_table_replace (self->task_ids, task->id, task);
  g_free (self->last_id);
  self->last_id = g_strdup (task->id);

  return task;
}

static void
finish_create (ClapSimServer     *self,
               SoupServerMessage *msg,
               Create            *create,
               ClapSimHeld       *held)
{
  ClapSimTask *task;
  g_autofree char *error = NULL;

  if (!check_motion_video (create, &error))
    {
      _clap_sim_server_respond_error (self, msg, SOUP_STATUS_BAD_REQUEST, "%s", error);
      _clap_sim_fault_finish (self, msg, CLAP_SIM_FAULT_NONE, held);
      return;
    }

  task = task_new (self, create);
  _clap_sim_dialect_respond_created (self, msg, task);

  _clap_sim_fault_finish (self, msg, create->fault, held);
}

static void
probe_job_free (ProbeJob *job)
{
  g_weak_ref_clear (&job->server);
  g_clear_object (&job->msg);
  g_clear_pointer (&job->create, create_free);
  g_free (job);
}

static void
probe_thread (GTask        *gtask,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  ProbeJob *job = task_data;
  Create *create = job->create;

  if (create->motion_path != NULL)
    {
      g_autoptr(GError) error = NULL;

      create->motion_probed = _clap_sim_probe_media (create->motion_path, &create->motion_info,
                                                     &error);
      if (!create->motion_probed)
        create->motion_error = g_strdup (error->message);
      else
        /* What plays, not what the header claims: the longer of the two. */
        create->motion_info.duration_s = MAX (create->motion_info.duration_s,
                                              _clap_sim_measure_stream (create->motion_path,
                                                                        cancellable));
    }

  if (create->image_path != NULL)
    create->image_probed = _clap_sim_probe_media (create->image_path, &create->image_info, NULL);

  g_task_return_boolean (gtask, TRUE);

  _clap_sim_server_worker_end (job->server_unowned);
}

static void
probe_done_cb (GObject      *source_object,
               GAsyncResult *result,
               gpointer      user_data)
{
  ProbeJob *job = g_task_get_task_data (G_TASK (result));
  g_autoptr(ClapSimServer) self = g_weak_ref_get (&job->server);

  if (self == NULL)
    return;

  finish_create (self, job->msg, job->create, job->held);
}

static void
handle_create (ClapSimServer     *self,
               SoupServerMessage *msg)
{
  g_autoptr(Create) create = g_new0 (Create, 1);
  g_autofree char *error = NULL;
  const char *key;

  _clap_sim_server_count_request (self, CLAP_SIM_ENDPOINT_CREATE);
  create->server = self;
  create->fault = _clap_sim_server_take_fault (self, CLAP_SIM_ENDPOINT_CREATE);

  if (_clap_sim_fault_answer (self, msg, create->fault) ||
      !_clap_sim_server_check_auth (self, msg, &key))
    return;

  if (!(create->params = _clap_sim_parse_json_object (msg)))
    {
      _clap_sim_server_respond_error (self, msg, SOUP_STATUS_BAD_REQUEST,
                                      "Request body must be a JSON object");
      return;
    }

  if (!validate (create, &error))
    {
      _clap_sim_server_respond_error (self, msg, SOUP_STATUS_BAD_REQUEST, "%s", error);
      return;
    }

  /* The price is known once the request is valid; only then the balance. */
  if (g_str_equal (key, CLAP_SIM_KEY_NO_BALANCE))
    {
      _clap_sim_server_respond_error (self, msg, SOUP_STATUS_PAYMENT_REQUIRED,
                                      "Insufficient balance");
      return;
    }

  _clap_sim_keywords_parse (create->prompt, &create->keywords);
  if (create->fault == CLAP_SIM_FAULT_NONE)
    create->fault = create->keywords.create_fault;

  if (_clap_sim_fault_answer (self, msg, create->fault))
    return;

  if (create->motion_path != NULL || create->image_path != NULL)
    {
      g_autoptr(GTask) gtask = NULL;
      ProbeJob *job = g_new0 (ProbeJob, 1);

      /* Probing reads files: a worker does it while the request waits. */
      g_weak_ref_init (&job->server, self);
      job->server_unowned = self;
      job->msg = g_object_ref (msg);
      job->held = _clap_sim_hold (self, msg);
      job->create = g_steal_pointer (&create);

      gtask = g_task_new (NULL, self->cancellable, probe_done_cb, NULL);
      g_task_set_source_tag (gtask, handle_create);
      g_task_set_task_data (gtask, job, (GDestroyNotify)probe_job_free);

      _clap_sim_server_worker_begin (self);
      g_task_run_in_thread (gtask, probe_thread);
      return;
    }

  finish_create (self, msg, create, NULL);
}

static void
handle_query (ClapSimServer     *self,
              SoupServerMessage *msg,
              GHashTable        *query)
{
  g_autoptr(JsonObject) data = NULL;
  const char *task_id = query != NULL ? g_hash_table_lookup (query, "task_id") : NULL;
  ClapSimFault fault;
  ClapSimTask *task;

  _clap_sim_server_count_request (self, CLAP_SIM_ENDPOINT_QUERY);
  fault = _clap_sim_server_take_fault (self, CLAP_SIM_ENDPOINT_QUERY);

  if (_clap_sim_fault_answer (self, msg, fault) || !_clap_sim_server_check_auth (self, msg, NULL))
    return;

  if (task_id == NULL || *task_id == '\0')
    {
      _clap_sim_server_respond_error (self, msg, SOUP_STATUS_BAD_REQUEST, "task_id is required");
      return;
    }

  if ((task = _clap_sim_server_lookup_task_id (self, task_id)) == NULL)
    {
      _clap_sim_server_respond_error (self, msg, SOUP_STATUS_NOT_FOUND, "Task not found");
      return;
    }

  if (fault == CLAP_SIM_FAULT_NONE && task->keywords.query_count > 0)
    {
      task->keywords.query_count--;
      fault = task->keywords.query_fault;

      if (_clap_sim_fault_answer (self, msg, fault))
        return;
    }

  data = _clap_sim_dialect_query_data (self, task);
  _clap_sim_server_respond_success (self, msg, data);
  _clap_sim_fault_finish (self, msg, fault, NULL);
}

/* `/api/v1/video/generations`: POST creates a task, GET queries one. */
void
_clap_sim_generations_handler (SoupServer        *server,
                               SoupServerMessage *msg,
                               const char        *path,
                               GHashTable        *query,
                               gpointer           user_data)
{
  ClapSimServer *self = user_data;
  const char *method = soup_server_message_get_method (msg);

  if (!g_str_equal (path, "/api/v1/video/generations"))
    _clap_sim_server_respond_error (self, msg, SOUP_STATUS_NOT_FOUND, "Not found");
  else if (method == SOUP_METHOD_POST)
    handle_create (self, msg);
  else if (method == SOUP_METHOD_GET)
    handle_query (self, msg, query);
  else
    _clap_sim_server_respond_error (self, msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "Use POST or GET");
}
