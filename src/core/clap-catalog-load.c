/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clap-catalog"

#include "config.h"

#include <math.h>
#include <string.h>
#include <glib/gi18n-lib.h>

#include "clap-catalog-private.h"
#include "clap-core-resources.h"
#include "clap-untrusted.h"

/* Reads catalog.json, and the person's own file merged over it, into the
 * structs of clap-catalog.h. Everything the file says is checked before it
 * is used: a file of the person's own that breaks a rule is refused as a
 * whole, with a message naming the file and the entry, and the built-in
 * catalogue stays in force.
 */

typedef ClapCatalogData Catalog;

#define CATALOG_RESOURCE   "/app/clapboard/Clapboard/core/catalog.json"
#define CATALOG_MAX_BYTES  (1024 * 1024)
/* The request's duration property holds at most 60 seconds. */
#define MAX_DURATION       60
#define MAX_VOICES         8
/* No clip the provider sells costs a thousand dollars. */
#define MAX_PRICE_USD      1000.0
#define MAX_NAME_LENGTH    128
#define MAX_STATE_LENGTH   64

static const struct {
  const char     *name;
  ClapModelFlags  flag;
} flag_names[] = {
  { "prompt-required", CLAP_MODEL_PROMPT_REQUIRED },
  { "needs-image", CLAP_MODEL_NEEDS_IMAGE },
  { "needs-motion", CLAP_MODEL_NEEDS_MOTION },
  { "sound-needs-pro", CLAP_MODEL_SOUND_NEEDS_PRO },
  { "duration-is-video", CLAP_MODEL_DURATION_IS_VIDEO },
};

static const char *kind_names[] = {
  [CLAP_WIRE_STRING] = "string",
  [CLAP_WIRE_STRING_ARRAY] = "string-array",
  [CLAP_WIRE_SWITCH] = "switch",
  [CLAP_WIRE_VOICE_LIST] = "voice-list",
};

static const char *meaning_names[] = {
  [CLAP_ANSWER_QUEUED] = "queued",
  [CLAP_ANSWER_RUNNING] = "running",
  [CLAP_ANSWER_COMPLETED] = "completed",
  [CLAP_ANSWER_FAILED] = "failed",
  [CLAP_ANSWER_ENDED] = "ended",
};

void
_clap_catalog_data_free (Catalog *catalog)
{
  if (catalog == NULL)
    return;

  g_ptr_array_unref (catalog->pool);
  g_clear_pointer (&catalog->states, g_hash_table_unref);
  g_free (catalog->override_path);
  g_clear_error (&catalog->override_error);
  g_free (catalog);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Catalog, _clap_catalog_data_free)

static gpointer
pool_take (Catalog  *catalog,
           gpointer  block)
{
  g_ptr_array_add (catalog->pool, block);
  return block;
}

static char *
pool_strdup (Catalog    *catalog,
             const char *text)
{
  return text != NULL ? pool_take (catalog, g_strdup (text)) : NULL;
}

/* Reading ------------------------------------------------------------------ */

typedef struct {
  Catalog     *catalog;
  const char  *file;     /* as named in messages */
  GError     **error;
} Build;

/* "FILE: PATH: PROBLEM. The built-in catalogue is used until it is fixed." */
G_GNUC_PRINTF (3, 4)
static gboolean
fail (Build      *b,
      const char *path,
      const char *format,
      ...)
{
  g_autofree char *problem = NULL;
  va_list args;

  va_start (args, format);
  problem = g_strdup_vprintf (format, args);
  va_end (args);

  g_set_error (b->error, CLAP_CATALOG_ERROR, CLAP_CATALOG_ERROR_INVALID,
               /* Translators: "catalog.json: models[“kling-v3”].options[“mode”].wire:
                * expected a string or a list of {name, kind}." */
               _("%s: %s: %s. The built-in catalogue is used until this is fixed."),
               b->file, path, problem);
  return FALSE;
}

static char *
child_path (const char *path,
            const char *member)
{
  return *path != '\0' ? g_strdup_printf ("%s.%s", path, member) : g_strdup (member);
}

static char *
keyed_path (const char *path,
            const char *key)
{
  g_autofree char *shown = clap_untrusted_escape (key, 40);
  return g_strdup_printf ("%s[“%s”]", path, shown);
}

static char *
index_path (const char *path,
            guint       index)
{
  return g_strdup_printf ("%s[%u]", path, index);
}

/* Every member of @object is one of @known (NULL-terminated), or a note
 * whose name starts with "_": a misspelt name is an error, not a silent
 * no-op. */
static gboolean
check_members (Build              *b,
               JsonObject         *object,
               const char         *path,
               const char * const *known)
{
  JsonObjectIter iter;
  const char *name;
  JsonNode *node;

  json_object_iter_init (&iter, object);
  while (json_object_iter_next (&iter, &name, &node))
    {
      g_autofree char *where = NULL;
      g_autofree char *shown = NULL;

      if (name[0] == '_' || g_strv_contains (known, name))
        continue;

      where = child_path (path, name);
      shown = clap_untrusted_escape (name, 40);
      return fail (b, where, _("unknown member “%s”"), shown);
    }

  return TRUE;
}

static gboolean
node_is_string (JsonNode *node)
{
  return node != NULL && JSON_NODE_HOLDS_VALUE (node) &&
         json_node_get_value_type (node) == G_TYPE_STRING;
}

static gboolean
node_is_integer (JsonNode *node)
{
  return node != NULL && JSON_NODE_HOLDS_VALUE (node) &&
         json_node_get_value_type (node) == G_TYPE_INT64;
}

static gboolean
node_is_number (JsonNode *node)
{
  return node != NULL && JSON_NODE_HOLDS_VALUE (node) &&
         (json_node_get_value_type (node) == G_TYPE_INT64 ||
          json_node_get_value_type (node) == G_TYPE_DOUBLE);
}

static gboolean
string_is_usable (const char *text)
{
  return text != NULL && *text != '\0' && g_utf8_validate (text, -1, NULL) &&
         g_utf8_strlen (text, -1) <= 1000;
}

/* A non-empty string member; *@out is NULL when it is absent and not
 * @required. */
static gboolean
read_string (Build       *b,
             JsonObject  *object,
             const char  *path,
             const char  *name,
             gboolean     required,
             const char **out)
{
  JsonNode *node = json_object_get_member (object, name);
  g_autofree char *where = child_path (path, name);

  *out = NULL;
  if (node == NULL)
    return !required || fail (b, where, _("missing"));

  if (!node_is_string (node) || !string_is_usable (json_node_get_string (node)))
    return fail (b, where, _("expected a non-empty string"));

  *out = pool_strdup (b->catalog, json_node_get_string (node));
  return TRUE;
}

static gboolean
read_boolean (Build      *b,
              JsonObject *object,
              const char *path,
              const char *name,
              gboolean   *out)
{
  JsonNode *node = json_object_get_member (object, name);
  g_autofree char *where = child_path (path, name);

  *out = FALSE;
  if (node == NULL)
    return TRUE;

  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
    return fail (b, where, _("expected true or false"));

  *out = json_node_get_boolean (node);
  return TRUE;
}

static gboolean
read_seconds (Build      *b,
              JsonNode   *node,
              const char *where,
              guint      *out)
{
  gint64 value;

  if (!node_is_integer (node))
    return fail (b, where, _("expected a whole number of seconds"));

  value = json_node_get_int (node);
  if (value < 1 || value > MAX_DURATION)
    return fail (b, where, _("expected a number of seconds from 1 to %d"), MAX_DURATION);

  *out = (guint) value;
  return TRUE;
}

/* A list of non-empty strings, at least one; NULL-terminated, in the pool. */
static gboolean
read_string_list (Build               *b,
                  JsonObject          *object,
                  const char          *path,
                  const char          *name,
                  gboolean             required,
                  const char * const **out)
{
  JsonNode *node = json_object_get_member (object, name);
  g_autofree char *where = child_path (path, name);
  JsonArray *array;
  const char **list;
  guint n;

  *out = NULL;
  if (node == NULL)
    return !required || fail (b, where, _("missing"));

  if (!JSON_NODE_HOLDS_ARRAY (node) ||
      (n = json_array_get_length (array = json_node_get_array (node))) == 0)
    return fail (b, where, _("expected a list of strings"));

  list = pool_take (b->catalog, g_new0 (const char *, n + 1));
  for (guint i = 0; i < n; i++)
    {
      JsonNode *element = json_array_get_element (array, i);

      if (!node_is_string (element) || !string_is_usable (json_node_get_string (element)) ||
          strlen (json_node_get_string (element)) > MAX_NAME_LENGTH)
        {
          g_autofree char *at = index_path (where, i);
          return fail (b, at, _("expected a non-empty string of at most %d bytes"),
                       MAX_NAME_LENGTH);
        }
      list[i] = pool_strdup (b->catalog, json_node_get_string (element));
    }

  *out = list;
  return TRUE;
}

/* Options ------------------------------------------------------------------ */

static gboolean
option_from_name (const char *name,
                  ClapOption *option)
{
  for (guint i = 0; i < CLAP_N_OPTIONS; i++)
    if (g_str_equal (clap_option_get_name (i), name))
      {
        *option = i;
        return TRUE;
      }
  return FALSE;
}

static gboolean
option_is_switch (ClapOption option)
{
  return option == CLAP_OPTION_SOUND || option == CLAP_OPTION_KEEP_ORIGINAL_SOUND;
}

static gboolean
option_has_choices (ClapOption option)
{
  switch (option)
    {
    case CLAP_OPTION_MODE:
    case CLAP_OPTION_ASPECT_RATIO:
    case CLAP_OPTION_SOUND:
    case CLAP_OPTION_KEEP_ORIGINAL_SOUND:
    case CLAP_OPTION_CHARACTER_ORIENTATION:
    case CLAP_OPTION_VERSION:
      return TRUE;
    default:
      return FALSE;
    }
}

static ClapWireKind
default_kind (ClapOption option)
{
  if (option == CLAP_OPTION_VOICES)
    return CLAP_WIRE_VOICE_LIST;
  if (option_is_switch (option))
    return CLAP_WIRE_SWITCH;
  return CLAP_WIRE_STRING;
}

/* Voices are a list of objects, switches a string per state; any other
 * value is one string, sent as is or in a list of one. */
static gboolean
kind_fits (ClapOption   option,
           ClapWireKind kind)
{
  if (option == CLAP_OPTION_VOICES)
    return kind == CLAP_WIRE_VOICE_LIST;
  if (option_is_switch (option))
    return kind == CLAP_WIRE_SWITCH;
  return kind == CLAP_WIRE_STRING || kind == CLAP_WIRE_STRING_ARRAY;
}

static gboolean
read_wire_name (Build       *b,
                JsonNode    *node,
                const char  *where,
                GHashTable  *used,
                const char **out)
{
  const char *name;

  if (!node_is_string (node))
    return fail (b, where, _("expected a string or a list of {name, kind}"));

  name = json_node_get_string (node);
  if (!string_is_usable (name) || strlen (name) > MAX_NAME_LENGTH || g_str_equal (name, "model"))
    return fail (b, where, _("expected a field name other than “model”, of at most %d bytes"),
                 MAX_NAME_LENGTH);

  if (g_hash_table_contains (used, name))
    {
      g_autofree char *shown = clap_untrusted_escape (name, 40);
      return fail (b, where, _("the field “%s” is written by another option too"), shown);
    }

  *out = pool_strdup (b->catalog, name);
  g_hash_table_add (used, (gpointer) *out);
  return TRUE;
}

/* "wire": "name", or [{"name": "…", "kind": "string"}, …]. */
static gboolean
read_wires (Build          *b,
            JsonObject     *object,
            const char     *path,
            ClapOption      option,
            GHashTable     *used,
            ClapOptionSpec *spec)
{
  JsonNode *node = json_object_get_member (object, "wire");
  g_autofree char *where = child_path (path, "wire");
  ClapWireField *wires;
  JsonArray *array;
  guint n;

  if (node == NULL)
    return fail (b, where, _("missing"));

  if (node_is_string (node))
    {
      wires = pool_take (b->catalog, g_new0 (ClapWireField, 2));
      wires[0].kind = default_kind (option);
      if (!read_wire_name (b, node, where, used, &wires[0].name))
        return FALSE;
    }
  else if (JSON_NODE_HOLDS_ARRAY (node) &&
           (n = json_array_get_length (array = json_node_get_array (node))) > 0)
    {
      wires = pool_take (b->catalog, g_new0 (ClapWireField, n + 1));
      for (guint i = 0; i < n; i++)
        {
          static const char * const known[] = { "name", "kind", NULL };
          JsonNode *element = json_array_get_element (array, i);
          g_autofree char *at = index_path (where, i);
          g_autofree char *name_at = child_path (at, "name");
          g_autofree char *kind_at = child_path (at, "kind");
          JsonObject *field;
          JsonNode *kind;

          if (!JSON_NODE_HOLDS_OBJECT (element))
            return fail (b, at, _("expected a string or a list of {name, kind}"));

          field = json_node_get_object (element);
          if (!check_members (b, field, at, known) ||
              !read_wire_name (b, json_object_get_member (field, "name"), name_at, used,
                               &wires[i].name))
            return FALSE;

          wires[i].kind = default_kind (option);
          kind = json_object_get_member (field, "kind");
          if (kind != NULL)
            {
              gboolean found = FALSE;

              for (guint k = 0; node_is_string (kind) && k < G_N_ELEMENTS (kind_names); k++)
                if (g_str_equal (kind_names[k], json_node_get_string (kind)))
                  {
                    wires[i].kind = k;
                    found = TRUE;
                  }

              if (!found)
                return fail (b, kind_at,
                             _("expected one of string, string-array, switch, voice-list"));
            }

          if (!kind_fits (option, wires[i].kind))
            return fail (b, kind_at, _("“%s” cannot be written as %s"),
                         clap_option_get_name (option), kind_names[wires[i].kind]);
        }
    }
  else
    {
      return fail (b, where, _("expected a string or a list of {name, kind}"));
    }

  spec->wires = wires;
  spec->wire_name = wires[0].name;
  spec->wire_kind = wires[0].kind;
  return TRUE;
}

static gboolean
read_choices (Build          *b,
              JsonObject     *object,
              const char     *path,
              ClapOption      option,
              ClapOptionSpec *spec)
{
  static const char * const known[] = { "value", "wire", "label", "answered_as", NULL };
  JsonNode *node = json_object_get_member (object, "choices");
  g_autofree char *where = child_path (path, "choices");
  ClapChoice *choices;
  JsonArray *array;
  guint n;

  if (node == NULL)
    return !option_has_choices (option) || fail (b, where, _("missing"));

  if (!option_has_choices (option))
    return fail (b, where, _("“%s” takes no choices"), clap_option_get_name (option));

  if (!JSON_NODE_HOLDS_ARRAY (node) ||
      (n = json_array_get_length (array = json_node_get_array (node))) == 0)
    return fail (b, where, _("expected a list of {value, label}"));

  choices = pool_take (b->catalog, g_new0 (ClapChoice, n + 1));
  for (guint i = 0; i < n; i++)
    {
      JsonNode *element = json_array_get_element (array, i);
      g_autofree char *at = NULL;
      JsonObject *choice;
      JsonNode *value;

      if (!JSON_NODE_HOLDS_OBJECT (element))
        {
          at = index_path (where, i);
          return fail (b, at, _("expected an object with a “value”"));
        }

      choice = json_node_get_object (element);
      value = json_object_get_member (choice, "value");
      at = node_is_string (value) ? keyed_path (where, json_node_get_string (value))
                                  : index_path (where, i);

      if (!check_members (b, choice, at, known) ||
          !read_string (b, choice, at, "value", TRUE, &choices[i].value) ||
          !read_string (b, choice, at, "wire", FALSE, &choices[i].wire_value) ||
          !read_string (b, choice, at, "label", TRUE, &choices[i].label) ||
          !read_string_list (b, choice, at, "answered_as", FALSE, &choices[i].answered_as))
        return FALSE;

      if (choices[i].wire_value == NULL)
        choices[i].wire_value = choices[i].value;

      for (guint j = 0; j < i; j++)
        if (g_str_equal (choices[j].value, choices[i].value))
          return fail (b, at, _("listed twice"));

      if (choices[i].answered_as != NULL && option != CLAP_OPTION_VERSION)
        {
          g_autofree char *answered_at = child_path (at, "answered_as");
          return fail (b, answered_at, _("only a version lists the names it is answered as"));
        }
    }

  spec->choices = choices;

  /* A switch's two states are "on" and "off"; only their wire values vary. */
  if (option_is_switch (option) &&
      (n != 2 || clap_option_find_choice (spec, "on") == NULL ||
       clap_option_find_choice (spec, "off") == NULL))
    return fail (b, where, _("a switch has exactly two choices, “on” and “off”"));

  return TRUE;
}

static gboolean
read_option (Build          *b,
             JsonObject     *object,
             const char     *path,
             GHashTable     *wire_names,
             ClapOptionSpec *spec)
{
  static const char * const known[] = { "name", "wire", "label", "choices", "default", NULL };
  const char *name;
  g_autofree char *name_at = child_path (path, "name");

  if (!check_members (b, object, path, known) ||
      !read_string (b, object, path, "name", TRUE, &name))
    return FALSE;

  if (!option_from_name (name, &spec->option))
    {
      g_autofree char *shown = clap_untrusted_escape (name, 40);
      return fail (b, name_at, _("“%s” is not an option Clapboard knows; the options are "
                                 "prompt, negative-prompt, mode, duration, aspect-ratio, image, "
                                 "image-tail, sound, voices, motion-video, character-orientation, "
                                 "keep-original-sound, version, callback-url"), shown);
    }

  if (!read_wires (b, object, path, spec->option, wire_names, spec) ||
      !read_string (b, object, path, "label", TRUE, &spec->label) ||
      !read_choices (b, object, path, spec->option, spec) ||
      !read_string (b, object, path, "default", FALSE, &spec->default_value))
    return FALSE;

  if (spec->choices != NULL)
    {
      g_autofree char *default_at = child_path (path, "default");

      if (spec->default_value == NULL)
        return fail (b, default_at, _("missing"));
      if (clap_option_find_choice (spec, spec->default_value) == NULL)
        return fail (b, default_at, _("not one of the choices"));
    }
  else if (spec->default_value != NULL)
    {
      g_autofree char *default_at = child_path (path, "default");
      return fail (b, default_at, _("only an option with choices has a default"));
    }

  return TRUE;
}

static gboolean
read_options (Build         *b,
              JsonObject    *object,
              const char    *path,
              ClapModelSpec *model)
{
  JsonNode *node = json_object_get_member (object, "options");
  g_autofree char *where = child_path (path, "options");
  g_autoptr(GHashTable) wire_names = g_hash_table_new (g_str_hash, g_str_equal);
  ClapOptionSpec *options;
  JsonArray *array;
  guint n;

  if (node == NULL)
    return fail (b, where, _("missing"));
  if (!JSON_NODE_HOLDS_ARRAY (node) ||
      (n = json_array_get_length (array = json_node_get_array (node))) == 0)
    return fail (b, where, _("expected a list of options"));

  options = pool_take (b->catalog, g_new0 (ClapOptionSpec, n + 1));
  for (guint i = 0; i < n; i++)
    {
      JsonNode *element = json_array_get_element (array, i);
      JsonNode *name;
      g_autofree char *at = NULL;

      if (!JSON_NODE_HOLDS_OBJECT (element))
        {
          at = index_path (where, i);
          return fail (b, at, _("expected an object with a “name”"));
        }

      name = json_object_get_member (json_node_get_object (element), "name");
      at = node_is_string (name) ? keyed_path (where, json_node_get_string (name))
                                 : index_path (where, i);

      if (!read_option (b, json_node_get_object (element), at, wire_names, &options[i]))
        return FALSE;

      for (guint j = 0; j < i; j++)
        if (options[j].option == options[i].option)
          return fail (b, at, _("listed twice"));
    }

  model->options = options;
  return TRUE;
}

/* Models ------------------------------------------------------------------- */

static gboolean
read_flags (Build         *b,
            JsonObject    *object,
            const char    *path,
            ClapModelSpec *model)
{
  const char * const *flags = NULL;

  if (!read_string_list (b, object, path, "flags", FALSE, &flags))
    return FALSE;

  for (guint i = 0; flags != NULL && flags[i] != NULL; i++)
    {
      gboolean found = FALSE;

      for (guint j = 0; j < G_N_ELEMENTS (flag_names); j++)
        if (g_str_equal (flag_names[j].name, flags[i]))
          {
            model->flags |= flag_names[j].flag;
            found = TRUE;
          }

      if (!found)
        {
          g_autofree char *where = child_path (path, "flags");
          g_autofree char *at = index_path (where, i);
          return fail (b, at, _("expected one of prompt-required, needs-image, needs-motion, "
                                "sound-needs-pro, duration-is-video"));
        }
    }

  return TRUE;
}

/* "durations": [5, 10], or {"min": 3, "max": 15}. */
static gboolean
read_durations (Build         *b,
                JsonObject    *object,
                const char    *path,
                ClapModelSpec *model)
{
  JsonNode *node = json_object_get_member (object, "durations");
  g_autofree char *where = child_path (path, "durations");
  g_autofree char *default_at = child_path (path, "default_duration");

  if (node == NULL)
    return fail (b, where, _("missing"));

  if (JSON_NODE_HOLDS_ARRAY (node) && json_array_get_length (json_node_get_array (node)) > 0)
    {
      JsonArray *array = json_node_get_array (node);
      guint n = json_array_get_length (array);
      guint *durations = pool_take (b->catalog, g_new0 (guint, n + 1));

      model->min_duration = G_MAXUINT;
      model->max_duration = 0;
      for (guint i = 0; i < n; i++)
        {
          g_autofree char *at = index_path (where, i);

          if (!read_seconds (b, json_array_get_element (array, i), at, &durations[i]))
            return FALSE;
          for (guint j = 0; j < i; j++)
            if (durations[j] == durations[i])
              return fail (b, at, _("listed twice"));
          model->min_duration = MIN (model->min_duration, durations[i]);
          model->max_duration = MAX (model->max_duration, durations[i]);
        }
      model->durations = durations;
    }
  else if (JSON_NODE_HOLDS_OBJECT (node))
    {
      static const char * const known[] = { "min", "max", NULL };
      JsonObject *range = json_node_get_object (node);
      g_autofree char *min_at = child_path (where, "min");
      g_autofree char *max_at = child_path (where, "max");

      if (!check_members (b, range, where, known) ||
          !read_seconds (b, json_object_get_member (range, "min"), min_at, &model->min_duration) ||
          !read_seconds (b, json_object_get_member (range, "max"), max_at, &model->max_duration))
        return FALSE;
      if (model->min_duration > model->max_duration)
        return fail (b, where, _("min is more than max"));
    }
  else
    {
      return fail (b, where, _("expected a list of seconds or {min, max}"));
    }

  if (!read_seconds (b, json_object_get_member (object, "default_duration"), default_at,
                     &model->default_duration))
    return FALSE;
  if (!clap_model_allows_duration (model, model->default_duration))
    return fail (b, default_at, _("not one of the model’s durations"));

  return TRUE;
}

static gboolean
read_price (Build      *b,
            JsonNode   *node,
            const char *where,
            ClapPrice  *out)
{
  double usd;
  double units;

  if (!node_is_number (node))
    return fail (b, where, _("expected a price in US dollars, a number"));

  usd = json_node_get_value_type (node) == G_TYPE_INT64 ? (double) json_node_get_int (node)
                                                         : json_node_get_double (node);
  if (!(usd >= 0.0 && usd <= MAX_PRICE_USD))
    return fail (b, where, _("expected a price from 0 to %.0f US dollars"), MAX_PRICE_USD);

  /* Prices are counted in ten-thousandths of a dollar: a fifth decimal
   * would be rounded away, and the estimate would be wrong. */
  units = usd * CLAP_PRICE_UNITS_PER_DOLLAR;
  if (fabs (units - round (units)) > 1e-6)
    return fail (b, where, _("a price has at most four decimals"));

  *out = (ClapPrice) round (units);
  return TRUE;
}

static gboolean
read_prices (Build         *b,
             JsonObject    *object,
             const char    *path,
             ClapModelSpec *model,
             GArray        *rows)
{
  static const char * const known[] = {
    "mode", "version", "sound", "voice", "seconds", "usd", "usd_per_second", NULL
  };
  JsonNode *node = json_object_get_member (object, "prices");
  g_autofree char *where = child_path (path, "prices");
  const ClapOptionSpec *modes = clap_model_get_option (model, CLAP_OPTION_MODE);
  const ClapOptionSpec *versions = clap_model_get_option (model, CLAP_OPTION_VERSION);
  guint first = rows->len;
  guint n_per_second = 0;
  JsonArray *array;
  guint n;

  if (node == NULL)
    return fail (b, where, _("missing"));
  if (!JSON_NODE_HOLDS_ARRAY (node) ||
      (n = json_array_get_length (array = json_node_get_array (node))) == 0)
    return fail (b, where, _("expected a list of prices"));

  for (guint i = 0; i < n; i++)
    {
      JsonNode *element = json_array_get_element (array, i);
      g_autofree char *at = index_path (where, i);
      g_autofree char *usd_at = child_path (at, "usd");
      g_autofree char *rate_at = child_path (at, "usd_per_second");
      g_autofree char *seconds_at = child_path (at, "seconds");
      ClapPriceRow row = { model->id, };
      JsonObject *price;
      JsonNode *usd;
      JsonNode *rate;
      JsonNode *seconds;

      if (!JSON_NODE_HOLDS_OBJECT (element))
        return fail (b, at, _("expected an object with a “mode” and a price"));

      price = json_node_get_object (element);
      if (!check_members (b, price, at, known) ||
          !read_string (b, price, at, "mode", TRUE, &row.mode) ||
          !read_string (b, price, at, "version", FALSE, &row.version) ||
          !read_boolean (b, price, at, "sound", &row.sound) ||
          !read_boolean (b, price, at, "voice", &row.voice))
        return FALSE;

      if (clap_option_find_choice (modes, row.mode) == NULL)
        {
          g_autofree char *mode_at = child_path (at, "mode");
          return fail (b, mode_at, _("not one of the model’s modes"));
        }

      if ((versions == NULL) != (row.version == NULL) ||
          (row.version != NULL && clap_option_find_choice (versions, row.version) == NULL))
        {
          g_autofree char *version_at = child_path (at, "version");
          return fail (b, version_at, versions != NULL
                                      ? _("expected one of the model’s versions")
                                      : _("the model has no version"));
        }

      if (row.sound && !clap_model_has_option (model, CLAP_OPTION_SOUND))
        return fail (b, at, _("the model has no audio option"));
      if (row.voice && (!row.sound || !clap_model_has_option (model, CLAP_OPTION_VOICES)))
        return fail (b, at, _("a voice price needs the voices option and audio"));

      usd = json_object_get_member (price, "usd");
      rate = json_object_get_member (price, "usd_per_second");
      seconds = json_object_get_member (price, "seconds");
      if ((usd == NULL) == (rate == NULL))
        return fail (b, at, _("expected either “usd” (with “seconds”) or “usd_per_second”"));

      if (usd != NULL)
        {
          if (seconds == NULL)
            return fail (b, seconds_at, _("missing"));
          if (!read_seconds (b, seconds, seconds_at, &row.seconds) ||
              !read_price (b, usd, usd_at, &row.price))
            return FALSE;
          if (!clap_model_allows_duration (model, row.seconds))
            return fail (b, seconds_at, _("not one of the model’s durations"));
        }
      else
        {
          if (seconds != NULL)
            return fail (b, seconds_at, _("a price per second is for any duration"));
          if (!read_price (b, rate, rate_at, &row.price))
            return FALSE;
          n_per_second++;
        }

      /* Two rows for one combination: which one a person pays is unclear. */
      for (guint j = first; j < rows->len; j++)
        {
          ClapPriceRow *other = &g_array_index (rows, ClapPriceRow, j);

          if (g_str_equal (other->mode, row.mode) &&
              g_strcmp0 (other->version, row.version) == 0 &&
              other->sound == row.sound && other->voice == row.voice &&
              (other->seconds == row.seconds || other->seconds == 0 || row.seconds == 0))
            return fail (b, at, _("the same combination is priced twice"));
        }

      g_array_append_val (rows, row);
    }

  if (n_per_second != 0 && n_per_second != n)
    return fail (b, where, _("the prices are either all per clip or all per second"));
  if (n_per_second != 0)
    model->flags |= CLAP_MODEL_PRICED_PER_SECOND;

  return TRUE;
}

/* The rules between a model's parts that the code relies on. */
static gboolean
check_model (Build               *b,
             const char          *path,
             const ClapModelSpec *model)
{
  g_autofree char *flags_at = child_path (path, "flags");
  g_autofree char *options_at = child_path (path, "options");
  g_autofree char *voices_at = child_path (path, "max_voices");

  if (!clap_model_has_option (model, CLAP_OPTION_MODE))
    return fail (b, options_at, _("a model needs the mode option: its prices follow it"));

  if ((model->flags & CLAP_MODEL_PROMPT_REQUIRED) &&
      !clap_model_has_option (model, CLAP_OPTION_PROMPT))
    return fail (b, flags_at, _("prompt-required needs the prompt option"));
  if ((model->flags & CLAP_MODEL_NEEDS_IMAGE) && !clap_model_has_option (model, CLAP_OPTION_IMAGE))
    return fail (b, flags_at, _("needs-image needs the image option"));
  if ((model->flags & CLAP_MODEL_NEEDS_MOTION) &&
      !clap_model_has_option (model, CLAP_OPTION_MOTION_VIDEO))
    return fail (b, flags_at, _("needs-motion needs the motion-video option"));
  if ((model->flags & CLAP_MODEL_DURATION_IS_VIDEO) && !(model->flags & CLAP_MODEL_NEEDS_MOTION))
    return fail (b, flags_at, _("duration-is-video needs needs-motion"));
  if ((model->flags & CLAP_MODEL_SOUND_NEEDS_PRO) &&
      (!clap_model_has_option (model, CLAP_OPTION_SOUND) ||
       clap_option_find_choice (clap_model_get_option (model, CLAP_OPTION_MODE), "pro") == NULL))
    return fail (b, flags_at, _("sound-needs-pro needs the sound option and a “pro” mode"));

  if (clap_model_has_option (model, CLAP_OPTION_VOICES) != (model->max_voices > 0))
    return fail (b, voices_at, _("a model with the voices option takes 1 to %d voices, "
                                 "one without takes none"), MAX_VOICES);

  return TRUE;
}

static gboolean
read_model (Build         *b,
            JsonObject    *object,
            const char    *path,
            ClapModelSpec *model,
            GArray        *rows)
{
  static const char * const known[] = {
    "id", "label", "description", "flags", "durations", "default_duration", "max_voices",
    "answered_as", "options", "prices", NULL
  };
  JsonNode *voices = json_object_get_member (object, "max_voices");

  if (!check_members (b, object, path, known) ||
      !read_string (b, object, path, "id", TRUE, &model->id) ||
      !read_string (b, object, path, "label", TRUE, &model->label) ||
      !read_string (b, object, path, "description", TRUE, &model->description) ||
      !read_flags (b, object, path, model) ||
      !read_durations (b, object, path, model) ||
      !read_string_list (b, object, path, "answered_as", TRUE, &model->answered_as) ||
      !read_options (b, object, path, model))
    return FALSE;

  if (voices != NULL)
    {
      g_autofree char *at = child_path (path, "max_voices");

      if (!node_is_integer (voices) || json_node_get_int (voices) < 0 ||
          json_node_get_int (voices) > MAX_VOICES)
        return fail (b, at, _("expected a whole number from 0 to %d"), MAX_VOICES);
      model->max_voices = (guint) json_node_get_int (voices);
    }

  return check_model (b, path, model) && read_prices (b, object, path, model, rows);
}

static gboolean
read_models (Build      *b,
             JsonObject *root)
{
  JsonNode *node = json_object_get_member (root, "models");
  g_autoptr(GArray) rows = g_array_new (TRUE, TRUE, sizeof (ClapPriceRow));
  ClapModelSpec *models;
  JsonArray *array;
  guint n;

  if (node == NULL)
    return fail (b, "models", _("missing"));
  if (!JSON_NODE_HOLDS_ARRAY (node) ||
      (n = json_array_get_length (array = json_node_get_array (node))) == 0)
    return fail (b, "models", _("expected a list of models"));

  models = pool_take (b->catalog, g_new0 (ClapModelSpec, n));
  for (guint i = 0; i < n; i++)
    {
      JsonNode *element = json_array_get_element (array, i);
      g_autofree char *at = NULL;
      JsonNode *id;

      if (!JSON_NODE_HOLDS_OBJECT (element))
        {
          at = index_path ("models", i);
          return fail (b, at, _("expected an object with an “id”"));
        }

      id = json_object_get_member (json_node_get_object (element), "id");
      at = node_is_string (id) ? keyed_path ("models", json_node_get_string (id))
                               : index_path ("models", i);

      if (!read_model (b, json_node_get_object (element), at, &models[i], rows))
        return FALSE;

      for (guint j = 0; j < i; j++)
        if (g_str_equal (models[j].id, models[i].id))
          return fail (b, at, _("listed twice"));
    }

  b->catalog->models = models;
  b->catalog->n_models = n;
  b->catalog->n_rows = rows->len;
  b->catalog->rows = pool_take (b->catalog, g_array_free (g_steal_pointer (&rows), FALSE));
  return TRUE;
}

/* Answers ------------------------------------------------------------------ */

/* A member name, or a path of them joined by dots. */
static gboolean
check_names (Build              *b,
             const char         *path,
             const char * const *names)
{
  for (guint i = 0; names[i] != NULL; i++)
    {
      g_auto(GStrv) parts = g_strsplit (names[i], ".", -1);

      for (guint j = 0; parts[j] != NULL; j++)
        if (*parts[j] == '\0')
          {
            g_autofree char *at = index_path (path, i);
            return fail (b, at, _("a path has no empty part"));
          }
    }
  return TRUE;
}

static gboolean
read_states (Build      *b,
             JsonObject *answers)
{
  JsonNode *node = json_object_get_member (answers, "states");
  JsonObjectIter iter;
  const char *name;
  JsonNode *value;

  if (node == NULL)
    return fail (b, "answers.states", _("missing"));
  if (!JSON_NODE_HOLDS_OBJECT (node) || json_object_get_size (json_node_get_object (node)) == 0)
    return fail (b, "answers.states", _("expected an object of state → meaning"));

  b->catalog->states = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  json_object_iter_init (&iter, json_node_get_object (node));
  while (json_object_iter_next (&iter, &name, &value))
    {
      g_autofree char *at = keyed_path ("answers.states", name);
      gboolean found = FALSE;

      if (*name == '\0' || strlen (name) > MAX_STATE_LENGTH || !g_utf8_validate (name, -1, NULL))
        return fail (b, at, _("a state is a name of at most %d bytes"), MAX_STATE_LENGTH);

      for (guint m = 0; node_is_string (value) && m < G_N_ELEMENTS (meaning_names); m++)
        if (g_str_equal (meaning_names[m], json_node_get_string (value)))
          {
            g_hash_table_replace (b->catalog->states, g_ascii_strdown (name, -1),
                                  GUINT_TO_POINTER (m + 1));
            found = TRUE;
          }

      if (!found)
        return fail (b, at, _("expected one of queued, running, completed, failed, ended"));
    }

  return TRUE;
}

static gboolean
read_answers (Build      *b,
              JsonObject *root)
{
  static const char * const known[] = {
    "success_codes", "task_id", "state", "states", "results", "result_json", "video_suffixes",
    "not_results", "fail_reason", "fail_code", "model", "create_time", "complete_time",
    "cost_time", "thumbnail", "video_duration", "video_size", "param", NULL
  };
  const struct {
    const char          *name;
    const char * const **list;
  } lists[] = {
    { "task_id", &b->catalog->answers.task_id },
    { "state", &b->catalog->answers.state },
    { "results", &b->catalog->answers.results },
    { "result_json", &b->catalog->answers.result_json },
    { "video_suffixes", &b->catalog->answers.video_suffixes },
    { "not_results", &b->catalog->answers.not_results },
    { "fail_reason", &b->catalog->answers.fail_reason },
    { "fail_code", &b->catalog->answers.fail_code },
    { "model", &b->catalog->answers.model },
    { "create_time", &b->catalog->answers.create_time },
    { "complete_time", &b->catalog->answers.complete_time },
    { "cost_time", &b->catalog->answers.cost_time },
    { "thumbnail", &b->catalog->answers.thumbnail },
    { "video_duration", &b->catalog->answers.video_duration },
    { "video_size", &b->catalog->answers.video_size },
    { "param", &b->catalog->answers.param },
  };
  JsonNode *node = json_object_get_member (root, "answers");
  JsonObject *answers;
  JsonNode *codes;
  JsonArray *array;
  gint64 *values;
  guint n;

  if (node == NULL)
    return fail (b, "answers", _("missing"));
  if (!JSON_NODE_HOLDS_OBJECT (node))
    return fail (b, "answers", _("expected an object"));

  answers = json_node_get_object (node);
  if (!check_members (b, answers, "answers", known))
    return FALSE;

  for (guint i = 0; i < G_N_ELEMENTS (lists); i++)
    {
      g_autofree char *at = child_path ("answers", lists[i].name);

      if (!read_string_list (b, answers, "answers", lists[i].name, TRUE, lists[i].list) ||
          (lists[i].list != &b->catalog->answers.video_suffixes &&
           !check_names (b, at, *lists[i].list)))
        return FALSE;
    }

  for (guint i = 0; b->catalog->answers.video_suffixes[i] != NULL; i++)
    if (b->catalog->answers.video_suffixes[i][0] != '.')
      {
        g_autofree char *at = index_path ("answers.video_suffixes", i);
        return fail (b, at, _("a suffix starts with a dot, as in “.mp4”"));
      }

  codes = json_object_get_member (answers, "success_codes");
  if (codes == NULL)
    return fail (b, "answers.success_codes", _("missing"));
  if (!JSON_NODE_HOLDS_ARRAY (codes) ||
      (n = json_array_get_length (array = json_node_get_array (codes))) == 0)
    return fail (b, "answers.success_codes", _("expected a list of whole numbers"));

  values = pool_take (b->catalog, g_new0 (gint64, n));
  for (guint i = 0; i < n; i++)
    {
      JsonNode *code = json_array_get_element (array, i);

      if (!node_is_integer (code) || json_node_get_int (code) < 0 ||
          json_node_get_int (code) > 999999)
        {
          g_autofree char *at = index_path ("answers.success_codes", i);
          return fail (b, at, _("expected a whole number from 0 to 999999"));
        }
      values[i] = json_node_get_int (code);
    }
  b->catalog->answers.success_codes = values;
  b->catalog->answers.n_success_codes = n;

  return read_states (b, answers);
}

/* Builds the catalogue that @root describes, or NULL and an error naming
 * @file and the entry at fault. */
static Catalog *
catalog_build (JsonNode    *root,
               const char  *file,
               GError     **error)
{
  static const char * const known[] = { "models", "answers", NULL };
  g_autoptr(Catalog) catalog = g_new0 (Catalog, 1);
  Build b = { catalog, file, error };

  catalog->pool = g_ptr_array_new_with_free_func (g_free);

  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, CLAP_CATALOG_ERROR, CLAP_CATALOG_ERROR_INVALID,
                   _("%s: expected an object with “models” and “answers”. The built-in "
                     "catalogue is used until this is fixed."), file);
      return NULL;
    }

  if (!check_members (&b, json_node_get_object (root), "", known) ||
      !read_models (&b, json_node_get_object (root)) ||
      !read_answers (&b, json_node_get_object (root)))
    return NULL;

  return g_steal_pointer (&catalog);
}

/* Merging ------------------------------------------------------------------ */

/* A copy that shares nothing with @node, to merge into: json_node_copy()
 * shares the objects and arrays it holds. The depth was checked on reading. */
static JsonNode *
deep_copy (JsonNode *node)
{
  if (JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObject *copy = json_object_new ();
      JsonObjectIter iter;
      const char *name;
      JsonNode *member;
      JsonNode *result;

      json_object_iter_init (&iter, json_node_get_object (node));
      while (json_object_iter_next (&iter, &name, &member))
        json_object_set_member (copy, name, deep_copy (member));

      result = json_node_init_object (json_node_alloc (), copy);
      json_object_unref (copy);
      return result;
    }

  if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *array = json_node_get_array (node);
      JsonArray *copy = json_array_sized_new (json_array_get_length (array));
      JsonNode *result;

      for (guint i = 0; i < json_array_get_length (array); i++)
        json_array_add_element (copy, deep_copy (json_array_get_element (array, i)));

      result = json_node_init_array (json_node_alloc (), copy);
      json_array_unref (copy);
      return result;
    }

  return json_node_copy (node);
}

typedef enum {
  LEVEL_ROOT,
  LEVEL_MODEL,
  LEVEL_OPTION,
  LEVEL_CHOICE,
  LEVEL_ANSWERS,
  LEVEL_STATES,
} Level;

static gboolean merge_object (JsonObject  *base,
                              JsonObject  *over,
                              Level        level,
                              const char  *path,
                              Build       *b);

/* Lists of objects named by @key (models by id, options by name, choices
 * by value): an entry of @over merges into the entry of @base with the same
 * key, or is added after them. */
static gboolean
merge_keyed (JsonObject *base,
             JsonNode   *over,
             const char *member,
             const char *key,
             Level       level,
             const char *path,
             Build      *b)
{
  JsonNode *base_node = json_object_get_member (base, member);
  g_autofree char *where = child_path (path, member);
  JsonArray *base_array;
  JsonArray *over_array;

  if (!JSON_NODE_HOLDS_ARRAY (over))
    return fail (b, where, _("expected a list of objects, each naming its “%s”"), key);

  if (base_node == NULL || !JSON_NODE_HOLDS_ARRAY (base_node))
    {
      json_object_set_member (base, member, deep_copy (over));
      return TRUE;
    }

  base_array = json_node_get_array (base_node);
  over_array = json_node_get_array (over);
  for (guint i = 0; i < json_array_get_length (over_array); i++)
    {
      JsonNode *element = json_array_get_element (over_array, i);
      JsonNode *name = JSON_NODE_HOLDS_OBJECT (element)
                       ? json_object_get_member (json_node_get_object (element), key) : NULL;
      g_autofree char *at = NULL;
      gboolean merged = FALSE;

      if (!node_is_string (name))
        {
          at = index_path (where, i);
          return fail (b, at, _("expected an object with a “%s”"), key);
        }

      at = keyed_path (where, json_node_get_string (name));
      for (guint j = 0; !merged && j < json_array_get_length (base_array); j++)
        {
          JsonNode *candidate = json_array_get_element (base_array, j);
          JsonNode *candidate_name = NULL;

          if (JSON_NODE_HOLDS_OBJECT (candidate))
            candidate_name = json_object_get_member (json_node_get_object (candidate), key);

          if (node_is_string (candidate_name) &&
              g_str_equal (json_node_get_string (candidate_name), json_node_get_string (name)))
            {
              if (!merge_object (json_node_get_object (candidate), json_node_get_object (element),
                                 level, at, b))
                return FALSE;
              merged = TRUE;
            }
        }

      if (!merged)
        json_array_add_element (base_array, deep_copy (element));
    }

  return TRUE;
}

/* A member @over gives replaces the one of @base, but for the keyed lists
 * and the answers' objects, which merge member by member. */
static gboolean
merge_object (JsonObject *base,
              JsonObject *over,
              Level       level,
              const char *path,
              Build      *b)
{
  JsonObjectIter iter;
  const char *name;
  JsonNode *node;

  json_object_iter_init (&iter, over);
  while (json_object_iter_next (&iter, &name, &node))
    {
      JsonNode *base_node = json_object_get_member (base, name);
      gboolean ok = TRUE;

      if (level == LEVEL_ROOT && g_str_equal (name, "models"))
        ok = merge_keyed (base, node, name, "id", LEVEL_MODEL, path, b);
      else if (level == LEVEL_MODEL && g_str_equal (name, "options"))
        ok = merge_keyed (base, node, name, "name", LEVEL_OPTION, path, b);
      else if (level == LEVEL_OPTION && g_str_equal (name, "choices"))
        ok = merge_keyed (base, node, name, "value", LEVEL_CHOICE, path, b);
      else if (((level == LEVEL_ROOT && g_str_equal (name, "answers")) ||
                (level == LEVEL_ANSWERS && g_str_equal (name, "states"))) &&
               JSON_NODE_HOLDS_OBJECT (node) && base_node != NULL &&
               JSON_NODE_HOLDS_OBJECT (base_node))
        {
          g_autofree char *at = child_path (path, name);
          ok = merge_object (json_node_get_object (base_node), json_node_get_object (node),
                             level == LEVEL_ROOT ? LEVEL_ANSWERS : LEVEL_STATES, at, b);
        }
      else
        json_object_set_member (base, name, deep_copy (node));

      if (!ok)
        return FALSE;
    }

  return TRUE;
}

/* Loading ------------------------------------------------------------------ */

static JsonNode *
load_builtin (void)
{
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;
  JsonNode *root;
  gsize size = 0;
  const char *data;

  bytes = g_resource_lookup_data (_clap_core_get_resource (), CATALOG_RESOURCE,
                                  G_RESOURCE_LOOKUP_FLAGS_NONE, &error);
  if (bytes == NULL)
    g_error ("The built-in catalogue is missing: %s", error->message);

  data = g_bytes_get_data (bytes, &size);
  root = clap_untrusted_parse_json (data, (gssize) size, CATALOG_MAX_BYTES, &error);
  if (root == NULL)
    g_error ("The built-in catalogue cannot be read: %s", error->message);
  return root;
}

/* Parses @contents, a catalogue file of the person's own (named @shown in
 * messages), and merges it over a copy of @builtin. */
static JsonNode *
merge_data (JsonNode    *builtin,
            const char  *contents,
            gsize        length,
            const char  *shown,
            GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(JsonNode) merged = NULL;
  Build b = { NULL, shown, error };
  JsonNode *root;

  if (length > CATALOG_MAX_BYTES ||
      !clap_untrusted_check_json_depth (contents, length, CLAP_UNTRUSTED_MAX_JSON_DEPTH))
    {
      g_set_error (error, CLAP_CATALOG_ERROR, CLAP_CATALOG_ERROR_PARSE,
                   _("%s is larger than %d bytes or nests deeper than %d levels. The built-in "
                     "catalogue is used until this is fixed."),
                   shown, CATALOG_MAX_BYTES, CLAP_UNTRUSTED_MAX_JSON_DEPTH);
      return NULL;
    }

  /* json-glib's own message gives the line and column of a typing mistake. */
  parser = json_parser_new_immutable ();
  if (!json_parser_load_from_data (parser, contents, (gssize) length, &local_error))
    {
      g_set_error (error, CLAP_CATALOG_ERROR, CLAP_CATALOG_ERROR_PARSE,
                   _("%s is not valid JSON: %s. The built-in catalogue is used until this is "
                     "fixed."), shown, local_error->message);
      return NULL;
    }

  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, CLAP_CATALOG_ERROR, CLAP_CATALOG_ERROR_INVALID,
                   _("%s: expected an object with “models” or “answers”. The built-in "
                     "catalogue is used until this is fixed."), shown);
      return NULL;
    }

  merged = deep_copy (builtin);
  if (!merge_object (json_node_get_object (merged), json_node_get_object (root), LEVEL_ROOT, "",
                     &b))
    return NULL;

  return g_steal_pointer (&merged);
}

/* Reads @path, at most one byte past the cap (the environment may name
 * anything, /dev/zero included), and merges it over a copy of @builtin. */
static JsonNode *
merge_file (JsonNode    *builtin,
            const char  *path,
            const char  *shown,
            GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GFileInputStream) stream = NULL;
  g_autofree char *contents = g_malloc (CATALOG_MAX_BYTES + 1);
  gsize length = 0;

  stream = g_file_read (file, NULL, &local_error);
  if (stream == NULL ||
      !g_input_stream_read_all (G_INPUT_STREAM (stream), contents, CATALOG_MAX_BYTES + 1, &length,
                                NULL, &local_error))
    {
      g_set_error (error, CLAP_CATALOG_ERROR, CLAP_CATALOG_ERROR_READ,
                   _("%s cannot be read: %s. The built-in catalogue is used until this is "
                     "fixed."), shown, local_error->message);
      return NULL;
    }

  return merge_data (builtin, contents, length, shown, error);
}

/* The person's own file: CLAPBOARD_CATALOG when set, else catalog.json in
 * Clapboard's folder of the user's configuration, when it exists. */
static char *
find_override (void)
{
  const char *env = g_getenv ("CLAPBOARD_CATALOG");
  g_autofree char *path = NULL;

  if (env != NULL && *env != '\0')
    return g_strdup (env);

  path = g_build_filename (g_get_user_config_dir (), "clapboard", "catalog.json", NULL);
  return g_file_test (path, G_FILE_TEST_EXISTS) ? g_steal_pointer (&path) : NULL;
}

static Catalog *
catalog_build_with (JsonNode    *builtin,
                    const char  *path,
                    GError     **error)
{
  g_autofree char *shown = g_filename_display_name (path);
  g_autoptr(JsonNode) merged = merge_file (builtin, path, shown, error);

  return merged != NULL ? catalog_build (merged, shown, error) : NULL;
}

/* The built-in catalogue with the person's own file merged over it, or
 * alone (with the reason) when that file is refused. */
Catalog *
_clap_catalog_data_load (void)
{
  g_autoptr(JsonNode) builtin = load_builtin ();
  g_autofree char *path = find_override ();
  g_autoptr(GError) error = NULL;
  Catalog *catalog = NULL;

  if (path != NULL)
    {
      catalog = catalog_build_with (builtin, path, &error);
      if (catalog == NULL)
        g_debug ("Catalogue override not used: %s", error->message);
    }

  if (catalog == NULL)
    {
      g_autoptr(GError) builtin_error = NULL;

      catalog = catalog_build (builtin, "catalog.json", &builtin_error);
      if (catalog == NULL)
        g_error ("The built-in catalogue is wrong: %s", builtin_error->message);
    }

  catalog->override_path = g_steal_pointer (&path);
  catalog->override_error = g_steal_pointer (&error);
  return catalog;
}

/* Checks that the file at @path, merged over the built-in catalogue, makes
 * a valid one, without putting it in force. */
gboolean
_clap_catalog_data_check_file (const char  *path,
                               GError     **error)
{
  g_autoptr(JsonNode) builtin = NULL;
  g_autoptr(Catalog) catalog = NULL;

  g_return_val_if_fail (path != NULL, FALSE);

  builtin = load_builtin ();
  catalog = catalog_build_with (builtin, path, error);
  return catalog != NULL;
}

/* The same check, of a file's bytes: for the fuzzer. */
gboolean
_clap_catalog_data_check_bytes (const char  *data,
                                gsize        length,
                                GError     **error)
{
  g_autoptr(JsonNode) builtin = load_builtin ();
  g_autoptr(JsonNode) merged = merge_data (builtin, data, length, "catalog.json", error);
  g_autoptr(Catalog) catalog = merged != NULL ? catalog_build (merged, "catalog.json", error)
                                              : NULL;

  return catalog != NULL;
}
