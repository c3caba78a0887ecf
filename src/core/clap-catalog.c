/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clap-catalog"

#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "clap-catalog.h"

/* This file is the one place where the API's field names, the models' rules
 * and the provider's prices live. It is data: a correction of the contract is
 * a change of one line here, never of code elsewhere.
 */

static const ClapChoice mode_choices[] = {
  { "std", "std", N_("Standard") },
  { "pro", "pro", N_("Professional") },
  { NULL }
};

/* Motion control bills by resolution, which follows the mode (720p / 1080p).
 * A variant of the provider writes the resolution itself as the mode: set the
 * wire values to "720p" and "1080p" here. */
static const ClapChoice motion_mode_choices[] = {
  { "std", "std", N_("720p") },
  { "pro", "pro", N_("1080p") },
  { NULL }
};

static const ClapChoice aspect_choices[] = {
  { "16:9", "16:9", N_("16:9 Landscape") },
  { "9:16", "9:16", N_("9:16 Portrait") },
  { "1:1", "1:1", N_("1:1 Square") },
  { NULL }
};

static const ClapChoice sound_choices[] = {
  { "on", "on", N_("On") },
  { "off", "off", N_("Off") },
  { NULL }
};

static const ClapChoice keep_sound_choices[] = {
  { "on", "yes", N_("Yes") },
  { "off", "no", N_("No") },
  { NULL }
};

static const ClapChoice orientation_choices[] = {
  { "video", "video", N_("Follow the video (up to 30 s)") },
  { "image", "image", N_("Follow the image (up to 10 s)") },
  { NULL }
};

static const ClapChoice version_choices[] = {
  { "2.6", "2.6", N_("Kling 2.6") },
  { "3.0", "3.0", N_("Kling 3.0") },
  { NULL }
};

static const ClapOptionSpec kling_v2_6_options[] = {
  { CLAP_OPTION_PROMPT, "prompt", CLAP_WIRE_STRING, N_("Prompt") },
  { CLAP_OPTION_NEGATIVE_PROMPT, "negative_prompt", CLAP_WIRE_STRING, N_("Negative prompt") },
  { CLAP_OPTION_MODE, "mode", CLAP_WIRE_STRING, N_("Mode"), mode_choices, "std" },
  { CLAP_OPTION_DURATION, "duration", CLAP_WIRE_STRING, N_("Duration") },
  { CLAP_OPTION_ASPECT_RATIO, "aspect_ratio", CLAP_WIRE_STRING, N_("Aspect ratio"), aspect_choices, "16:9" },
  { CLAP_OPTION_IMAGE, "image", CLAP_WIRE_STRING, N_("First frame") },
  { CLAP_OPTION_IMAGE_TAIL, "image_tail", CLAP_WIRE_STRING, N_("Last frame") },
  { CLAP_OPTION_SOUND, "sound", CLAP_WIRE_SWITCH, N_("Audio"), sound_choices, "off" },
  { CLAP_OPTION_VOICES, "voice_list", CLAP_WIRE_VOICE_LIST, N_("Voices") },
  { CLAP_OPTION_CALLBACK_URL, "callback_url", CLAP_WIRE_STRING, N_("Callback URL") },
  { 0 }
};

static const ClapOptionSpec kling_v3_options[] = {
  { CLAP_OPTION_PROMPT, "prompt", CLAP_WIRE_STRING, N_("Prompt") },
  { CLAP_OPTION_NEGATIVE_PROMPT, "negative_prompt", CLAP_WIRE_STRING, N_("Negative prompt") },
  { CLAP_OPTION_MODE, "mode", CLAP_WIRE_STRING, N_("Mode"), mode_choices, "std" },
  { CLAP_OPTION_DURATION, "duration", CLAP_WIRE_STRING, N_("Duration") },
  { CLAP_OPTION_ASPECT_RATIO, "aspect_ratio", CLAP_WIRE_STRING, N_("Aspect ratio"), aspect_choices, "16:9" },
  { CLAP_OPTION_IMAGE, "image", CLAP_WIRE_STRING, N_("First frame") },
  { CLAP_OPTION_IMAGE_TAIL, "image_tail", CLAP_WIRE_STRING, N_("Last frame") },
  { CLAP_OPTION_SOUND, "sound", CLAP_WIRE_SWITCH, N_("Audio"), sound_choices, "off" },
  { CLAP_OPTION_CALLBACK_URL, "callback_url", CLAP_WIRE_STRING, N_("Callback URL") },
  { 0 }
};

static const ClapOptionSpec kling_motion_options[] = {
  { CLAP_OPTION_PROMPT, "prompt", CLAP_WIRE_STRING, N_("Prompt") },
  { CLAP_OPTION_MODE, "mode", CLAP_WIRE_STRING, N_("Resolution"), motion_mode_choices, "std" },
  { CLAP_OPTION_DURATION, "duration", CLAP_WIRE_STRING, N_("Duration") },
  { CLAP_OPTION_IMAGE, "image", CLAP_WIRE_STRING, N_("Character image") },
  { CLAP_OPTION_MOTION_VIDEO, "motion_video", CLAP_WIRE_STRING, N_("Motion video") },
  { CLAP_OPTION_CHARACTER_ORIENTATION, "character_orientation", CLAP_WIRE_STRING,
    N_("Character orientation"), orientation_choices, "video" },
  { CLAP_OPTION_KEEP_ORIGINAL_SOUND, "keep_original_sound", CLAP_WIRE_SWITCH,
    N_("Keep original sound"), keep_sound_choices, "on" },
  { CLAP_OPTION_VERSION, "version", CLAP_WIRE_STRING, N_("Kling version"), version_choices, "2.6" },
  { CLAP_OPTION_CALLBACK_URL, "callback_url", CLAP_WIRE_STRING, N_("Callback URL") },
  { 0 }
};

static const guint kling_v2_6_durations[] = { 5, 10, 0 };

static const ClapModelSpec models[] = {
  {
    "kling-v2-6", N_("Kling 2.6"),
    N_("5 or 10 second clips from text or a first frame, with audio and voices in pro mode"),
    CLAP_MODEL_PROMPT_REQUIRED | CLAP_MODEL_SOUND_NEEDS_PRO,
    kling_v2_6_durations, 5, 10, 5, 2, kling_v2_6_options,
  },
  {
    "kling-v3", N_("Kling 3"),
    N_("3 to 15 second clips from text or a first frame, with audio, billed per second"),
    CLAP_MODEL_PROMPT_REQUIRED | CLAP_MODEL_PRICED_PER_SECOND,
    NULL, 3, 15, 5, 0, kling_v3_options,
  },
  {
    "kling-motion-control", N_("Kling Motion Control"),
    N_("A character image performs the motion of a source video, up to 30 seconds"),
    CLAP_MODEL_NEEDS_IMAGE | CLAP_MODEL_NEEDS_MOTION | CLAP_MODEL_DURATION_IS_VIDEO |
    CLAP_MODEL_PRICED_PER_SECOND,
    NULL, 3, 30, 5, 0, kling_motion_options,
  },
};

/* The provider's price tables (USD, in ten-thousandths of a dollar). */
static const ClapPriceRow price_rows[] = {
  /* kling-v2-6, per clip */
  { "kling-v2-6", "std", NULL, FALSE, FALSE, 5, 159 },
  { "kling-v2-6", "std", NULL, FALSE, FALSE, 10, 320 },
  { "kling-v2-6", "pro", NULL, FALSE, FALSE, 5, 267 },
  { "kling-v2-6", "pro", NULL, FALSE, FALSE, 10, 531 },
  { "kling-v2-6", "pro", NULL, TRUE, FALSE, 5, 531 },
  { "kling-v2-6", "pro", NULL, TRUE, FALSE, 10, 1064 },
  { "kling-v2-6", "pro", NULL, TRUE, TRUE, 5, 639 },
  { "kling-v2-6", "pro", NULL, TRUE, TRUE, 10, 1275 },
  /* kling-v3, per second */
  { "kling-v3", "std", NULL, FALSE, FALSE, 0, 633 },
  { "kling-v3", "std", NULL, TRUE, FALSE, 0, 956 },
  { "kling-v3", "pro", NULL, FALSE, FALSE, 0, 853 },
  { "kling-v3", "pro", NULL, TRUE, FALSE, 0, 1280 },
  /* kling-motion-control, per second of the motion video; std is 720p, pro 1080p */
  { "kling-motion-control", "std", "2.6", FALSE, FALSE, 0, 600 },
  { "kling-motion-control", "pro", "2.6", FALSE, FALSE, 0, 1000 },
  { "kling-motion-control", "std", "3.0", FALSE, FALSE, 0, 1200 },
  { "kling-motion-control", "pro", "3.0", FALSE, FALSE, 0, 1500 },
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

guint
clap_catalog_get_n_models (void)
{
  return G_N_ELEMENTS (models);
}

const ClapModelSpec *
clap_catalog_get_model (guint index)
{
  g_return_val_if_fail (index < G_N_ELEMENTS (models), NULL);
  return &models[index];
}

const ClapModelSpec *
clap_catalog_find_model (const char *id)
{
  if (id == NULL)
    return NULL;

  for (guint i = 0; i < G_N_ELEMENTS (models); i++)
    if (g_str_equal (models[i].id, id))
      return &models[i];

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

  if (model == NULL || mode == NULL || !clap_model_allows_duration (model, seconds))
    return FALSE;

  for (guint i = 0; i < G_N_ELEMENTS (price_rows); i++)
    {
      const ClapPriceRow *row = &price_rows[i];

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
  if (n_rows != NULL)
    *n_rows = G_N_ELEMENTS (price_rows);
  return price_rows;
}
