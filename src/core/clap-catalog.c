/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clap-catalog"

#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "clap-catalog.h"
#include "clap-catalog-private.h"
#include "clap-untrusted.h"

/* The one place where the API's field names, the models' rules, the
 * provider's prices and the names read in its answers live is
 * catalog.json, beside this file. The provider's pages disagree with each
 * other and change: a correction is an edit of that file, or of a file of
 * the person's own merged over it, never of code.
 *
 * The JSON is read once, on first use and from any thread, into the plain
 * structs of clap-catalog.h (clap-catalog-load.c), which callers walk as
 * they always have.
 */

#define MAX_STATE_LENGTH 64

G_DEFINE_QUARK (clap-catalog-error-quark, clap_catalog_error)

/* xgettext cannot read JSON: the built-in catalogue's labels are listed here
 * to be extracted for translation (a test checks the list against the file).
 * A label a person's own file adds is shown as written. */
static const char *translatable_labels[] = {
  N_("Kling 2.6"),
  N_("5 or 10 second clips from text or a first frame, with audio and voices in pro mode"),
  N_("Kling 3"),
  N_("3 to 15 second clips from text or a first frame, with audio, billed per second"),
  N_("Kling Motion Control"),
  N_("A character image performs the motion of a source video, up to 30 seconds"),
  N_("Prompt"),
  N_("Negative prompt"),
  N_("Mode"),
  N_("Standard"),
  N_("Professional"),
  N_("Resolution"),
  N_("720p"),
  N_("1080p"),
  N_("Duration"),
  N_("Aspect ratio"),
  N_("16:9 Landscape"),
  N_("9:16 Portrait"),
  N_("1:1 Square"),
  N_("First frame"),
  N_("Last frame"),
  N_("Audio"),
  N_("On"),
  N_("Off"),
  N_("Voices"),
  N_("Callback URL"),
  N_("Character image"),
  N_("Motion video"),
  N_("Character orientation"),
  N_("Follow the video (up to 30 s)"),
  N_("Follow the image (up to 10 s)"),
  N_("Keep original sound"),
  N_("Yes"),
  N_("No"),
  N_("Kling version"),
  N_("Kling 3.0"),
};

static const char *option_names[CLAP_N_OPTIONS] = {
  [CLAP_OPTION_PROMPT] = "prompt",
  [CLAP_OPTION_NEGATIVE_PROMPT] = "negative-prompt",
  [CLAP_OPTION_MODE] = "mode",
  [CLAP_OPTION_DURATION] = "duration",
  [CLAP_OPTION_ASPECT_RATIO] = "aspect-ratio",
  [CLAP_OPTION_IMAGE] = "image",
  [CLAP_OPTION_IMAGE_TAIL] = "image-tail",
  [CLAP_OPTION_SOUND] = "sound",
  [CLAP_OPTION_VOICES] = "voices",
  [CLAP_OPTION_MOTION_VIDEO] = "motion-video",
  [CLAP_OPTION_CHARACTER_ORIENTATION] = "character-orientation",
  [CLAP_OPTION_KEEP_ORIGINAL_SOUND] = "keep-original-sound",
  [CLAP_OPTION_VERSION] = "version",
  [CLAP_OPTION_CALLBACK_URL] = "callback-url",
};

typedef ClapCatalogData Catalog;

static Catalog *current_catalog;

static Catalog *
get_catalog (void)
{
  static gsize loaded;

  if (g_once_init_enter (&loaded))
    {
      current_catalog = _clap_catalog_data_load ();
      g_once_init_leave (&loaded, 1);
    }

  return current_catalog;
}

/* Reads the catalogue again, as at start-up (CLAPBOARD_CATALOG included).
 * Every pointer it handed out before is gone: for tests only. */
void
_clap_catalog_reload_for_tests (void)
{
  Catalog *old;

  get_catalog ();
  old = current_catalog;
  current_catalog = _clap_catalog_data_load ();
  _clap_catalog_data_free (old);
}

const char * const *
_clap_catalog_get_translatable_labels (guint *n_labels)
{
  *n_labels = G_N_ELEMENTS (translatable_labels);
  return translatable_labels;
}

/* The file of the person's own that was read (whether it was taken or
 * not), or NULL when there is none. */
const char *
clap_catalog_get_override_path (void)
{
  return get_catalog ()->override_path;
}

/* Why the file of clap_catalog_get_override_path() was refused, with the
 * entry at fault; NULL when it is in force or there is none. The built-in
 * catalogue is in force meanwhile. */
const GError *
clap_catalog_get_override_error (void)
{
  return get_catalog ()->override_error;
}

/* Checks that the file at @path, merged over the built-in catalogue, makes
 * a valid one, without putting it in force. */
gboolean
clap_catalog_check_file (const char  *path,
                         GError     **error)
{
  g_return_val_if_fail (path != NULL, FALSE);
  return _clap_catalog_data_check_file (path, error);
}

/* Queries ------------------------------------------------------------------ */

guint
clap_catalog_get_n_models (void)
{
  return get_catalog ()->n_models;
}

const ClapModelSpec *
clap_catalog_get_model (guint index)
{
  Catalog *catalog = get_catalog ();

  g_return_val_if_fail (index < catalog->n_models, NULL);
  return &catalog->models[index];
}

const ClapModelSpec *
clap_catalog_find_model (const char *id)
{
  Catalog *catalog = get_catalog ();

  if (id == NULL)
    return NULL;

  for (guint i = 0; i < catalog->n_models; i++)
    if (g_str_equal (catalog->models[i].id, id))
      return &catalog->models[i];

  return NULL;
}

/* Responses name the model as "kling-video/kling-v2-6"; accept both forms. */
const ClapModelSpec *
clap_catalog_model_from_wire (const char *wire_model)
{
  const char *slash;

  if (wire_model == NULL)
    return NULL;

  slash = strrchr (wire_model, '/');
  return clap_catalog_find_model (slash ? slash + 1 : wire_model);
}

const ClapOptionSpec *
clap_model_get_option (const ClapModelSpec *model,
                       ClapOption           option)
{
  g_return_val_if_fail (model != NULL, NULL);

  for (const ClapOptionSpec *spec = model->options; spec->wire_name != NULL; spec++)
    if (spec->option == option)
      return spec;

  return NULL;
}

gboolean
clap_model_has_option (const ClapModelSpec *model,
                       ClapOption           option)
{
  return clap_model_get_option (model, option) != NULL;
}

const ClapChoice *
clap_option_find_choice (const ClapOptionSpec *spec,
                         const char           *value)
{
  if (spec == NULL || spec->choices == NULL || value == NULL)
    return NULL;

  for (const ClapChoice *choice = spec->choices; choice->value != NULL; choice++)
    if (g_str_equal (choice->value, value))
      return choice;

  return NULL;
}

gboolean
clap_model_allows_duration (const ClapModelSpec *model,
                            guint                seconds)
{
  g_return_val_if_fail (model != NULL, FALSE);

  if (model->durations != NULL)
    {
      for (const guint *d = model->durations; *d != 0; d++)
        if (*d == seconds)
          return TRUE;
      return FALSE;
    }

  return seconds >= model->min_duration && seconds <= model->max_duration;
}

/* The option's name on the command line and in saved settings. */
const char *
clap_option_get_name (ClapOption option)
{
  g_return_val_if_fail (option < CLAP_N_OPTIONS, NULL);
  return option_names[option];
}

/* Returns TRUE and the exact price of one clip when the combination is in the
 * provider's tables, FALSE when the provider does not offer it.
 */
gboolean
clap_catalog_estimate (const char *model_id,
                       const char *mode,
                       const char *version,
                       gboolean    sound,
                       gboolean    voice,
                       guint       seconds,
                       ClapPrice  *out_price)
{
  const ClapModelSpec *model = clap_catalog_find_model (model_id);
  Catalog *catalog = get_catalog ();

  if (model == NULL || mode == NULL || !clap_model_allows_duration (model, seconds))
    return FALSE;

  for (guint i = 0; i < catalog->n_rows; i++)
    {
      const ClapPriceRow *row = &catalog->rows[i];

      if (!g_str_equal (row->model, model->id) ||
          !g_str_equal (row->mode, mode) ||
          row->sound != !!sound ||
          row->voice != !!voice)
        continue;

      if (row->version != NULL && g_strcmp0 (row->version, version) != 0)
        continue;

      if (row->seconds != 0 && row->seconds != seconds)
        continue;

      if (out_price != NULL)
        *out_price = row->seconds == 0 ? row->price * seconds : row->price;
      return TRUE;
    }

  return FALSE;
}

/* "$0.0531": prices keep their four decimals, as the provider prints them. */
char *
clap_price_format (ClapPrice price)
{
  gboolean negative = price < 0;
  guint64 abs_price = negative ? (guint64) -price : (guint64) price;

  return g_strdup_printf ("%s$%" G_GUINT64_FORMAT ".%04u",
                          negative ? "-" : "",
                          abs_price / CLAP_PRICE_UNITS_PER_DOLLAR,
                          (guint) (abs_price % CLAP_PRICE_UNITS_PER_DOLLAR));
}

const ClapPriceRow *
clap_catalog_get_price_rows (guint *n_rows)
{
  Catalog *catalog = get_catalog ();

  if (n_rows != NULL)
    *n_rows = catalog->n_rows;
  return catalog->rows;
}

static gboolean
list_contains_nocase (const char * const *list,
                      const char         *text)
{
  for (guint i = 0; list != NULL && list[i] != NULL; i++)
    if (g_ascii_strcasecmp (list[i], text) == 0)
      return TRUE;
  return FALSE;
}

/* Whether @answered ("kling-video/kling-v2-6", or the bare name) is one of
 * @names, which hold bare names. */
static gboolean
answered_as (const char * const *names,
             const char         *answered)
{
  const char *slash = strrchr (answered, '/');

  return list_contains_nocase (names, answered) ||
         (slash != NULL && list_contains_nocase (names, slash + 1));
}

/* Whether the model an answer names is the one asked for: NULL when it is
 * (the model, or the version asked for, lists it) or when the answer names
 * none; else a warning to show with the take. The price shown stays the one
 * of what was asked: that is what the person chose, and the provider's bill
 * is theirs to check. */
char *
clap_catalog_check_echo (const char *model_id,
                         const char *version,
                         const char *answered_model)
{
  const ClapModelSpec *model = clap_catalog_find_model (model_id);
  const ClapOptionSpec *versions;
  const ClapChoice *choice = NULL;
  g_autofree char *shown = NULL;
  g_autofree char *asked = NULL;

  if (model == NULL || answered_model == NULL || *answered_model == '\0')
    return NULL;

  if (g_ascii_strcasecmp (answered_model, model->id) == 0 ||
      answered_as (model->answered_as, answered_model))
    return NULL;

  versions = clap_model_get_option (model, CLAP_OPTION_VERSION);
  if (versions != NULL && (choice = clap_option_find_choice (versions, version)) != NULL &&
      answered_as (choice->answered_as, answered_model))
    return NULL;

  shown = clap_untrusted_escape (answered_model, 60);
  asked = choice != NULL
          ? g_strdup_printf ("%s %s", g_dgettext (GETTEXT_PACKAGE, model->label), choice->value)
          : g_strdup (g_dgettext (GETTEXT_PACKAGE, model->label));

  /* Translators: the first %s is the model the service named, the second
   * the one asked for, e.g. "Kling Motion Control 3.0". */
  return g_strdup_printf (_("The service answered as “%s”, not %s as asked; the price shown is "
                            "for what was asked."), shown, asked);
}

const ClapAnswerNames *
clap_catalog_get_answers (void)
{
  return &get_catalog ()->answers;
}

/* What the state @value of an answer means, in any case; FALSE for a state
 * the catalogue does not list. */
gboolean
clap_catalog_read_state (const char        *value,
                         ClapAnswerMeaning *meaning)
{
  g_autofree char *key = NULL;
  gpointer found;

  if (value == NULL || strlen (value) > MAX_STATE_LENGTH)
    return FALSE;

  key = g_ascii_strdown (value, -1);
  found = g_hash_table_lookup (get_catalog ()->states, key);
  if (found == NULL)
    return FALSE;

  *meaning = GPOINTER_TO_UINT (found) - 1;
  return TRUE;
}
