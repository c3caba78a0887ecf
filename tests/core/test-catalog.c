/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>
#include <glib/gstdio.h>

#include "clap-catalog.h"
#include "clap-catalog-private.h"
#include "clap-core-resources.h"
#include "clap-request.h"

/* The provider's price tables, written out again from the contract by hand,
 * so the catalogue is checked against the page and not against itself. */
static const struct {
  const char *model, *mode, *version;
  gboolean    sound, voice;
  guint       seconds;
  const char *price;
} expected_prices[] = {
  { "kling-v2-6", "std", NULL, FALSE, FALSE, 5, "$0.0159" },
  { "kling-v2-6", "std", NULL, FALSE, FALSE, 10, "$0.0320" },
  { "kling-v2-6", "pro", NULL, FALSE, FALSE, 5, "$0.0267" },
  { "kling-v2-6", "pro", NULL, FALSE, FALSE, 10, "$0.0531" },
  { "kling-v2-6", "pro", NULL, TRUE, FALSE, 5, "$0.0531" },
  { "kling-v2-6", "pro", NULL, TRUE, FALSE, 10, "$0.1064" },
  { "kling-v2-6", "pro", NULL, TRUE, TRUE, 5, "$0.0639" },
  { "kling-v2-6", "pro", NULL, TRUE, TRUE, 10, "$0.1275" },
  { "kling-v3", "std", NULL, FALSE, FALSE, 3, "$0.1899" },
  { "kling-v3", "std", NULL, FALSE, FALSE, 5, "$0.3165" },
  { "kling-v3", "std", NULL, FALSE, FALSE, 15, "$0.9495" },
  { "kling-v3", "std", NULL, TRUE, FALSE, 4, "$0.3824" },
  { "kling-v3", "std", NULL, TRUE, FALSE, 10, "$0.9560" },
  { "kling-v3", "pro", NULL, FALSE, FALSE, 7, "$0.5971" },
  { "kling-v3", "pro", NULL, FALSE, FALSE, 15, "$1.2795" },
  { "kling-v3", "pro", NULL, TRUE, FALSE, 3, "$0.3840" },
  { "kling-v3", "pro", NULL, TRUE, FALSE, 15, "$1.9200" },
  { "kling-motion-control", "std", "2.6", FALSE, FALSE, 3, "$0.1800" },
  { "kling-motion-control", "std", "2.6", FALSE, FALSE, 30, "$1.8000" },
  { "kling-motion-control", "pro", "2.6", FALSE, FALSE, 10, "$1.0000" },
  { "kling-motion-control", "std", "3.0", FALSE, FALSE, 5, "$0.6000" },
  { "kling-motion-control", "pro", "3.0", FALSE, FALSE, 30, "$4.5000" },
  { "kling-motion-control", "pro", "3.0", FALSE, FALSE, 7, "$1.0500" },
};

/* Per-second rates from the page, for the sweep over every duration. */
static const struct {
  const char *model, *mode, *version;
  gboolean    sound;
  ClapPrice   per_second;
} per_second_rates[] = {
  { "kling-v3", "std", NULL, FALSE, 633 },
  { "kling-v3", "std", NULL, TRUE, 956 },
  { "kling-v3", "pro", NULL, FALSE, 853 },
  { "kling-v3", "pro", NULL, TRUE, 1280 },
  { "kling-motion-control", "std", "2.6", FALSE, 600 },
  { "kling-motion-control", "pro", "2.6", FALSE, 1000 },
  { "kling-motion-control", "std", "3.0", FALSE, 1200 },
  { "kling-motion-control", "pro", "3.0", FALSE, 1500 },
};

static void
test_estimate_rows (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (expected_prices); i++)
    {
      ClapPrice price = -1;
      g_autofree char *text = NULL;

      g_test_message ("row %u: %s %s %u s", i, expected_prices[i].model,
                      expected_prices[i].mode, expected_prices[i].seconds);
      g_assert_true (clap_catalog_estimate (expected_prices[i].model, expected_prices[i].mode,
                                            expected_prices[i].version, expected_prices[i].sound,
                                            expected_prices[i].voice, expected_prices[i].seconds,
                                            &price));
      text = clap_price_format (price);
      g_assert_cmpstr (text, ==, expected_prices[i].price);
    }
}

static void
test_estimate_every_second (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (per_second_rates); i++)
    {
      const ClapModelSpec *model = clap_catalog_find_model (per_second_rates[i].model);

      for (guint s = 0; s <= 40; s++)
        {
          ClapPrice price = -1;
          gboolean ok = clap_catalog_estimate (model->id, per_second_rates[i].mode,
                                               per_second_rates[i].version,
                                               per_second_rates[i].sound, FALSE, s, &price);
          if (s < model->min_duration || s > model->max_duration)
            g_assert_false (ok);
          else
            {
              g_assert_true (ok);
              g_assert_cmpint (price, ==, per_second_rates[i].per_second * s);
            }
        }
    }
}

static void
test_estimate_every_table_row (void)
{
  guint n_rows = 0;
  const ClapPriceRow *rows = clap_catalog_get_price_rows (&n_rows);

  /* 8 per-clip rows for 2.6, 4 per-second for v3, 4 for motion control */
  g_assert_cmpuint (n_rows, ==, 16);

  for (guint i = 0; i < n_rows; i++)
    {
      const ClapModelSpec *model = clap_catalog_find_model (rows[i].model);
      guint seconds = rows[i].seconds ? rows[i].seconds : model->min_duration;
      ClapPrice price = 0;
      gboolean found = FALSE;

      g_assert_nonnull (model);
      g_assert_true (clap_catalog_estimate (rows[i].model, rows[i].mode, rows[i].version,
                                            rows[i].sound, rows[i].voice, seconds, &price));

      /* Every row of the catalogue is one of the page's. */
      for (guint j = 0; j < G_N_ELEMENTS (expected_prices); j++)
        if (g_str_equal (expected_prices[j].model, rows[i].model) &&
            g_str_equal (expected_prices[j].mode, rows[i].mode) &&
            g_strcmp0 (expected_prices[j].version, rows[i].version) == 0 &&
            expected_prices[j].sound == rows[i].sound &&
            expected_prices[j].voice == rows[i].voice)
          found = TRUE;
      g_assert_true (found);
    }
}

static void
test_estimate_unsold (void)
{
  ClapPrice price = 0;

  /* Audio on std is not sold for 2.6 */
  g_assert_false (clap_catalog_estimate ("kling-v2-6", "std", NULL, TRUE, FALSE, 5, &price));
  /* 7 s does not exist for 2.6 */
  g_assert_false (clap_catalog_estimate ("kling-v2-6", "pro", NULL, FALSE, FALSE, 7, &price));
  /* v3 has no voice price */
  g_assert_false (clap_catalog_estimate ("kling-v3", "pro", NULL, TRUE, TRUE, 5, &price));
  g_assert_false (clap_catalog_estimate ("kling-v3", "pro", NULL, FALSE, FALSE, 16, &price));
  g_assert_false (clap_catalog_estimate ("kling-v3", "pro", NULL, FALSE, FALSE, 2, &price));
  /* motion control needs a version */
  g_assert_false (clap_catalog_estimate ("kling-motion-control", "pro", NULL, FALSE, FALSE, 5, &price));
  g_assert_false (clap_catalog_estimate ("kling-motion-control", "pro", "4.0", FALSE, FALSE, 5, &price));
  g_assert_false (clap_catalog_estimate ("kling-motion-control", "pro", "2.6", FALSE, FALSE, 31, &price));
  g_assert_false (clap_catalog_estimate ("kling-v9", "pro", NULL, FALSE, FALSE, 5, &price));
  g_assert_false (clap_catalog_estimate ("kling-v3", "ultra", NULL, FALSE, FALSE, 5, &price));
}

static void
test_price_format (void)
{
  struct { ClapPrice p; const char *s; } cases[] = {
    { 0, "$0.0000" }, { 1, "$0.0001" }, { 159, "$0.0159" }, { 10000, "$1.0000" },
    { 123456, "$12.3456" }, { -531, "-$0.0531" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *s = clap_price_format (cases[i].p);
      g_assert_cmpstr (s, ==, cases[i].s);
    }
}

static void
test_models (void)
{
  const ClapModelSpec *v26 = clap_catalog_find_model ("kling-v2-6");
  const ClapModelSpec *v3 = clap_catalog_find_model ("kling-v3");
  const ClapModelSpec *mc = clap_catalog_find_model ("kling-motion-control");

  g_assert_cmpuint (clap_catalog_get_n_models (), ==, 3);
  g_assert_nonnull (v26);
  g_assert_nonnull (v3);
  g_assert_nonnull (mc);
  g_assert_null (clap_catalog_find_model ("kling-v1"));
  g_assert_true (clap_catalog_model_from_wire ("kling-video/kling-v2-6") == v26);
  g_assert_true (clap_catalog_model_from_wire ("kling-v3") == v3);

  /* durations */
  g_assert_true (clap_model_allows_duration (v26, 5));
  g_assert_true (clap_model_allows_duration (v26, 10));
  g_assert_false (clap_model_allows_duration (v26, 7));
  for (guint s = 0; s < 20; s++)
    g_assert_cmpint (clap_model_allows_duration (v3, s), ==, s >= 3 && s <= 15);

  /* what each model takes */
  g_assert_true (clap_model_has_option (v26, CLAP_OPTION_VOICES));
  g_assert_false (clap_model_has_option (v3, CLAP_OPTION_VOICES));
  g_assert_true (clap_model_has_option (v3, CLAP_OPTION_SOUND));
  g_assert_true (clap_model_has_option (v3, CLAP_OPTION_IMAGE_TAIL));
  g_assert_false (clap_model_has_option (mc, CLAP_OPTION_ASPECT_RATIO));
  g_assert_false (clap_model_has_option (mc, CLAP_OPTION_NEGATIVE_PROMPT));
  g_assert_true (clap_model_has_option (mc, CLAP_OPTION_MOTION_VIDEO));
  g_assert_true (clap_model_has_option (mc, CLAP_OPTION_CHARACTER_ORIENTATION));
  g_assert_true (clap_model_has_option (mc, CLAP_OPTION_KEEP_ORIGINAL_SOUND));
  g_assert_true (clap_model_has_option (mc, CLAP_OPTION_VERSION));
  for (guint i = 0; i < clap_catalog_get_n_models (); i++)
    g_assert_true (clap_model_has_option (clap_catalog_get_model (i), CLAP_OPTION_CALLBACK_URL));

  g_assert_true ((v26->flags & CLAP_MODEL_SOUND_NEEDS_PRO) != 0);
  g_assert_false ((v3->flags & CLAP_MODEL_SOUND_NEEDS_PRO) != 0);
  g_assert_cmpuint (v26->max_voices, ==, 2);

  /* wire names of the contract */
  g_assert_cmpstr (clap_model_get_option (v26, CLAP_OPTION_VOICES)->wire_name, ==, "voice_list");
  g_assert_cmpstr (clap_model_get_option (v26, CLAP_OPTION_IMAGE_TAIL)->wire_name, ==, "image_tail");
  g_assert_cmpstr (clap_model_get_option (mc, CLAP_OPTION_MOTION_VIDEO)->wire_name, ==, "motion_video");
  g_assert_cmpstr (clap_option_find_choice (clap_model_get_option (mc, CLAP_OPTION_KEEP_ORIGINAL_SOUND),
                                            "on")->wire_value, ==, "yes");
  g_assert_cmpstr (clap_option_get_name (CLAP_OPTION_ASPECT_RATIO), ==, "aspect-ratio");
}

/* Every "label" and "description" of @node, as a set. */
static void
collect_labels (JsonNode   *node,
                GHashTable *labels)
{
  if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *array = json_node_get_array (node);

      for (guint i = 0; i < json_array_get_length (array); i++)
        collect_labels (json_array_get_element (array, i), labels);
    }
  else if (JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObjectIter iter;
      const char *name;
      JsonNode *member;

      json_object_iter_init (&iter, json_node_get_object (node));
      while (json_object_iter_next (&iter, &name, &member))
        {
          if ((g_str_equal (name, "label") || g_str_equal (name, "description")) &&
              JSON_NODE_HOLDS_VALUE (member))
            g_hash_table_add (labels, g_strdup (json_node_get_string (member)));
          else
            collect_labels (member, labels);
        }
    }
}

static JsonNode *
builtin_json (void)
{
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;
  JsonNode *root;

  bytes = g_resource_lookup_data (_clap_core_get_resource (),
                                  "/app/clapboard/Clapboard/core/catalog.json", 0, &error);
  g_assert_no_error (error);
  root = json_from_string (g_bytes_get_data (bytes, NULL), &error);
  g_assert_no_error (error);
  return root;
}

/* Points CLAPBOARD_CATALOG at a file holding @json (NULL: no file) and
 * reads the catalogue again; returns the file's path. */
static char *
use_override (const char *json)
{
  g_autoptr(GError) error = NULL;
  char *path;

  if (json == NULL)
    {
      g_unsetenv ("CLAPBOARD_CATALOG");
      _clap_catalog_reload_for_tests ();
      return NULL;
    }

  path = g_build_filename (g_get_user_config_dir (), "my-catalog.json", NULL);
  g_assert_no_errno (g_mkdir_with_parents (g_get_user_config_dir (), 0700));
  g_file_set_contents (path, json, -1, &error);
  g_assert_no_error (error);
  g_setenv ("CLAPBOARD_CATALOG", path, TRUE);
  _clap_catalog_reload_for_tests ();
  return path;
}

static void
assert_builtin_in_force (void)
{
  const ClapModelSpec *v3 = clap_catalog_find_model ("kling-v3");
  ClapPrice price = 0;

  g_assert_cmpuint (clap_catalog_get_n_models (), ==, 3);
  g_assert_cmpstr (clap_model_get_option (v3, CLAP_OPTION_MODE)->wire_name, ==, "mode");
  g_assert_true (clap_catalog_estimate ("kling-v3", "std", NULL, FALSE, FALSE, 5, &price));
  g_assert_cmpint (price, ==, 5 * 633);
  g_assert_cmpstr (clap_catalog_get_answers ()->task_id[0], ==, "taskId");
}

static void
test_builtin (void)
{
  const ClapAnswerNames *answers = clap_catalog_get_answers ();
  g_autoptr(GHashTable) labels = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(JsonNode) root = builtin_json ();
  const char * const *translatable;
  ClapAnswerMeaning meaning;
  guint n_translatable = 0;

  g_assert_null (clap_catalog_get_override_path ());
  g_assert_null (clap_catalog_get_override_error ());
  assert_builtin_in_force ();

  /* the answers' names of CONTRACT.md's dialects */
  g_assert_true (g_strv_contains (answers->task_id, "task_id"));
  g_assert_true (g_strv_contains (answers->task_id, "id"));
  g_assert_true (g_strv_contains (answers->state, "status"));
  g_assert_true (g_strv_contains (answers->state, "task_status"));
  g_assert_true (g_strv_contains (answers->results, "task_result.videos"));
  g_assert_true (g_strv_contains (answers->fail_reason, "task_status_msg"));
  g_assert_true (clap_catalog_read_state ("SUCCEEDED", &meaning));
  g_assert_cmpint (meaning, ==, CLAP_ANSWER_COMPLETED);
  g_assert_true (clap_catalog_read_state ("Cancelled", &meaning));
  g_assert_cmpint (meaning, ==, CLAP_ANSWER_ENDED);
  g_assert_true (clap_catalog_read_state ("in_progress", &meaning));
  g_assert_cmpint (meaning, ==, CLAP_ANSWER_RUNNING);
  g_assert_true (clap_catalog_read_state ("waiting", &meaning));
  g_assert_cmpint (meaning, ==, CLAP_ANSWER_QUEUED);
  g_assert_false (clap_catalog_read_state ("rendering", &meaning));
  g_assert_false (clap_catalog_read_state (NULL, &meaning));

  /* every label of the file is marked for translation, and only those */
  collect_labels (root, labels);
  translatable = _clap_catalog_get_translatable_labels (&n_translatable);
  g_assert_cmpuint (g_hash_table_size (labels), ==, n_translatable);
  for (guint i = 0; i < n_translatable; i++)
    if (!g_hash_table_contains (labels, translatable[i]))
      g_error ("“%s” is marked for translation but not in catalog.json", translatable[i]);
}

static void
test_override_merge (void)
{
  g_autofree char *path = use_override (
    "{\"models\":[{\"id\":\"kling-v3\","
    "  \"options\":[{\"name\":\"mode\",\"wire\":\"resolution\","
    "                \"choices\":[{\"value\":\"pro\",\"wire\":\"high\"}]},"
    "               {\"name\":\"aspect-ratio\",\"choices\":[{\"value\":\"4:3\",\"label\":\"4:3\"}]}],"
    "  \"prices\":[{\"mode\":\"std\",\"usd_per_second\":0.07},"
    "              {\"mode\":\"pro\",\"usd_per_second\":0.09}]}],"
    " \"answers\":{\"task_id\":[\"job_id\",\"taskId\"],\"states\":{\"rendering\":\"running\"}}}");
  const ClapModelSpec *v3 = clap_catalog_find_model ("kling-v3");
  const ClapModelSpec *v26 = clap_catalog_find_model ("kling-v2-6");
  const ClapOptionSpec *mode = clap_model_get_option (v3, CLAP_OPTION_MODE);
  const ClapOptionSpec *aspect = clap_model_get_option (v3, CLAP_OPTION_ASPECT_RATIO);
  ClapAnswerMeaning meaning;
  ClapPrice price = 0;

  g_assert_null (clap_catalog_get_override_error ());
  g_assert_cmpstr (clap_catalog_get_override_path (), ==, path);

  /* the fields given replace those fields, and only them */
  g_assert_cmpstr (mode->wire_name, ==, "resolution");
  g_assert_cmpstr (clap_option_find_choice (mode, "pro")->wire_value, ==, "high");
  g_assert_cmpstr (clap_option_find_choice (mode, "pro")->label, ==, "Professional");
  g_assert_cmpstr (clap_option_find_choice (mode, "std")->wire_value, ==, "std");
  g_assert_cmpstr (mode->default_value, ==, "std");
  g_assert_cmpstr (clap_model_get_option (v26, CLAP_OPTION_MODE)->wire_name, ==, "mode");
  g_assert_nonnull (clap_option_find_choice (aspect, "16:9"));
  g_assert_cmpstr (clap_option_find_choice (aspect, "4:3")->label, ==, "4:3");

  /* prices are one field: the list given is the list */
  g_assert_true (clap_catalog_estimate ("kling-v3", "std", NULL, FALSE, FALSE, 5, &price));
  g_assert_cmpint (price, ==, 5 * 700);
  g_assert_false (clap_catalog_estimate ("kling-v3", "pro", NULL, TRUE, FALSE, 5, &price));
  g_assert_true (clap_catalog_estimate ("kling-v2-6", "std", NULL, FALSE, FALSE, 5, &price));
  g_assert_cmpint (price, ==, 159);

  /* the answers' names */
  g_assert_cmpstr (clap_catalog_get_answers ()->task_id[0], ==, "job_id");
  g_assert_cmpstr (clap_catalog_get_answers ()->state[0], ==, "state");
  g_assert_true (clap_catalog_read_state ("rendering", &meaning));
  g_assert_cmpint (meaning, ==, CLAP_ANSWER_RUNNING);
  g_assert_true (clap_catalog_read_state ("done", &meaning));
  g_assert_cmpint (meaning, ==, CLAP_ANSWER_COMPLETED);

  use_override (NULL);
  assert_builtin_in_force ();
}

static void
test_override_config_dir (void)
{
  g_autofree char *dir = g_build_filename (g_get_user_config_dir (), "clapboard", NULL);
  g_autofree char *path = g_build_filename (dir, "catalog.json", NULL);
  g_autofree char *env_path = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_no_errno (g_mkdir_with_parents (dir, 0700));
  g_file_set_contents (path, "{\"models\":[{\"id\":\"kling-v2-6\",\"options\":"
                             "[{\"name\":\"image\",\"wire\":\"first_frame\"}]}]}", -1, &error);
  g_assert_no_error (error);

  g_unsetenv ("CLAPBOARD_CATALOG");
  _clap_catalog_reload_for_tests ();
  g_assert_null (clap_catalog_get_override_error ());
  g_assert_cmpstr (clap_catalog_get_override_path (), ==, path);
  g_assert_cmpstr (clap_model_get_option (clap_catalog_find_model ("kling-v2-6"),
                                          CLAP_OPTION_IMAGE)->wire_name, ==, "first_frame");

  /* CLAPBOARD_CATALOG comes first */
  env_path = use_override ("{\"answers\":{\"model\":[\"model_name\"]}}");
  g_assert_cmpstr (clap_catalog_get_override_path (), ==, env_path);
  g_assert_cmpstr (clap_model_get_option (clap_catalog_find_model ("kling-v2-6"),
                                          CLAP_OPTION_IMAGE)->wire_name, ==, "image");
  g_assert_cmpstr (clap_catalog_get_answers ()->model[0], ==, "model_name");

  g_assert_no_errno (g_unlink (path));
  use_override (NULL);
  assert_builtin_in_force ();
}

static void
test_override_bad (void)
{
  const struct {
    const char *json;
    gint        code;
    const char *fragment;
  } cases[] = {
    { "{\"models\":[{\"id\":\"kling-v3\",\"options\":[{\"name\":\"mode\",\"wire\":5}]}]}",
      CLAP_CATALOG_ERROR_INVALID,
      ": models[“kling-v3”].options[“mode”].wire: expected a string or a list of {name, kind}" },
    { "{\"models\":[{\"id\":\"kling-v3\",\"options\":[{\"name\":\"mode\",\"wire\":"
      "[{\"name\":\"mode\",\"kind\":\"number\"}]}]}]}",
      CLAP_CATALOG_ERROR_INVALID, "options[“mode”].wire[0].kind: expected one of string" },
    { "{\"models\":[{\"id\":\"kling-v3\",\"prices\":[{\"mode\":\"std\",\"usd_per_second\":-1}]}]}",
      CLAP_CATALOG_ERROR_INVALID, "models[“kling-v3”].prices[0].usd_per_second: expected a price" },
    { "{\"models\":[{\"id\":\"kling-v3\",\"prices\":[{\"mode\":\"std\",\"usd_per_second\":\"1\"}]}]}",
      CLAP_CATALOG_ERROR_INVALID, "prices[0].usd_per_second: expected a price in US dollars" },
    { "{\"models\":[{\"id\":\"kling-v3\",\"prices\":[{\"mode\":\"std\",\"usd_per_second\":0.00001}]}]}",
      CLAP_CATALOG_ERROR_INVALID, "at most four decimals" },
    { "{\"models\":[{\"id\":\"kling-v3\",\"prices\":[{\"mode\":\"ultra\",\"usd_per_second\":1}]}]}",
      CLAP_CATALOG_ERROR_INVALID, "prices[0].mode: not one of the model’s modes" },
    { "{\"models\":[{\"id\":\"kling-v3\",\"options\":[{\"name\":\"resolution\",\"wire\":\"r\","
      "\"label\":\"R\"}]}]}",
      CLAP_CATALOG_ERROR_INVALID, "options[“resolution”].name: “resolution” is not an option" },
    { "{\"models\":[{\"id\":\"kling-v3\",\"options\":[{\"name\":\"mode\",\"wrie\":\"m\"}]}]}",
      CLAP_CATALOG_ERROR_INVALID, "options[“mode”].wrie: unknown member" },
    { "{\"models\":[{\"id\":\"kling-v3\",\"options\":[{\"name\":\"mode\",\"default\":\"ultra\"}]}]}",
      CLAP_CATALOG_ERROR_INVALID, "options[“mode”].default: not one of the choices" },
    { "{\"models\":[{\"id\":\"kling-v2-6\",\"durations\":[5,7]}]}",
      CLAP_CATALOG_ERROR_INVALID, "models[“kling-v2-6”].prices[1].seconds: not one of the model’s "
      "durations" },
    { "{\"models\":[{\"id\":\"kling-v3\",\"durations\":{\"min\":9,\"max\":3}}]}",
      CLAP_CATALOG_ERROR_INVALID, "models[“kling-v3”].durations: min is more than max" },
    { "{\"models\":[{\"id\":\"kling-v3\",\"default_duration\":99}]}",
      CLAP_CATALOG_ERROR_INVALID, "models[“kling-v3”].default_duration: expected a number of "
      "seconds from 1 to 60" },
    { "{\"models\":[{\"id\":\"kling-v2-6\",\"options\":[{\"name\":\"voices\",\"wire\":"
      "[{\"name\":\"voice_list\",\"kind\":\"string\"}]}]}]}",
      CLAP_CATALOG_ERROR_INVALID, "“voices” cannot be written as string" },
    { "{\"models\":[{\"id\":\"kling-v3\",\"options\":[{\"name\":\"negative-prompt\","
      "\"wire\":\"prompt\"}]}]}",
      CLAP_CATALOG_ERROR_INVALID, "the field “prompt” is written by another option too" },
    { "{\"models\":[{\"id\":\"kling-v3\",\"options\":[{\"name\":\"sound\",\"choices\":"
      "[{\"value\":\"loud\",\"label\":\"Loud\"}]}]}]}",
      CLAP_CATALOG_ERROR_INVALID, "options[“sound”].choices: a switch has exactly two choices" },
    { "{\"models\":[{\"id\":\"kling-v9\",\"label\":\"Kling 9\"}]}",
      CLAP_CATALOG_ERROR_INVALID, "models[“kling-v9”].description: missing" },
    { "{\"models\":{\"id\":\"kling-v3\"}}",
      CLAP_CATALOG_ERROR_INVALID, "models: expected a list of objects, each naming its “id”" },
    { "{\"answers\":{\"states\":{\"done\":\"finished\"}}}",
      CLAP_CATALOG_ERROR_INVALID, "answers.states[“done”]: expected one of queued, running" },
    { "{\"answers\":{\"task_id\":\"taskId\"}}",
      CLAP_CATALOG_ERROR_INVALID, "answers.task_id: expected a list of strings" },
    { "{\"answers\":{\"results\":[\"result..videos\"]}}",
      CLAP_CATALOG_ERROR_INVALID, "answers.results[0]: a path has no empty part" },
    { "{\"modles\":[]}",
      CLAP_CATALOG_ERROR_INVALID, "modles: unknown member" },
    { "{\"models\": [\n  {\"id\": \"kling-v3\",,}\n]}",
      CLAP_CATALOG_ERROR_PARSE, "is not valid JSON" },
    { "[1, 2]",
      CLAP_CATALOG_ERROR_INVALID, "expected an object" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = use_override (cases[i].json);
      g_autofree char *shown = g_filename_display_name (path);
      const GError *error = clap_catalog_get_override_error ();
      g_autoptr(GError) checked = NULL;

      g_test_message ("%s", cases[i].json);
      g_assert_nonnull (error);
      g_test_message ("→ %s", error->message);
      g_assert_error ((GError *) error, CLAP_CATALOG_ERROR, cases[i].code);
      /* the file and the entry are named */
      g_assert_true (g_str_has_prefix (error->message, shown));
      if (strstr (error->message, cases[i].fragment) == NULL)
        g_error ("“%s” does not mention “%s”", error->message, cases[i].fragment);
      g_assert_cmpstr (clap_catalog_get_override_path (), ==, path);

      /* the built-in catalogue stays in force */
      assert_builtin_in_force ();

      g_assert_false (clap_catalog_check_file (path, &checked));
      g_assert_cmpstr (checked->message, ==, error->message);
    }

  /* a file that cannot be read */
  g_setenv ("CLAPBOARD_CATALOG", "/nonexistent/catalog.json", TRUE);
  _clap_catalog_reload_for_tests ();
  g_assert_error ((GError *) clap_catalog_get_override_error (), CLAP_CATALOG_ERROR,
                  CLAP_CATALOG_ERROR_READ);
  g_assert_nonnull (strstr (clap_catalog_get_override_error ()->message,
                            "/nonexistent/catalog.json"));
  assert_builtin_in_force ();

  /* a file past the cap is not read to its end */
  {
    g_autofree char *spaces = g_strnfill (1024 * 1024 + 10, ' ');
    g_autofree char *big = g_strconcat ("{", spaces, "}", NULL);
    g_autofree char *path = use_override (big);

    g_assert_error ((GError *) clap_catalog_get_override_error (), CLAP_CATALOG_ERROR,
                    CLAP_CATALOG_ERROR_PARSE);
    g_assert_nonnull (strstr (clap_catalog_get_override_error ()->message, "larger than"));
    assert_builtin_in_force ();
  }

  use_override (NULL);
  g_assert_null (clap_catalog_get_override_error ());
}

static void
test_check_file_builtin (void)
{
  g_autoptr(JsonNode) root = builtin_json ();
  g_autofree char *text = json_to_string (root, TRUE);
  g_autofree char *path = g_build_filename (g_get_user_config_dir (), "copy.json", NULL);
  g_autoptr(GError) error = NULL;

  /* the built-in file, given again as an override, is a valid one */
  g_assert_no_errno (g_mkdir_with_parents (g_get_user_config_dir (), 0700));
  g_file_set_contents (path, text, -1, &error);
  g_assert_no_error (error);
  g_assert_true (clap_catalog_check_file (path, &error));
  g_assert_no_error (error);
}

static void
test_echo (void)
{
  g_autofree char *long_name = g_strnfill (200, 'x');
  g_autofree char *hostile = g_strconcat ("evil\x1b[2J", long_name, NULL);
  g_autofree char *motion = NULL;
  g_autofree char *v3 = NULL;
  g_autofree char *escaped = NULL;

  /* the case: motion control 3.0 asked, Kling 2.6 answered */
  motion = clap_catalog_check_echo ("kling-motion-control", "3.0", "kling-video/kling-v2-6");
  g_assert_nonnull (motion);
  g_test_message ("%s", motion);
  g_assert_nonnull (strstr (motion, "“kling-video/kling-v2-6”"));
  g_assert_nonnull (strstr (motion, "Kling Motion Control 3.0"));
  g_assert_nonnull (strstr (motion, "price"));

  /* answers consistent with what was asked */
  g_assert_null (clap_catalog_check_echo ("kling-motion-control", "2.6", "kling-video/kling-v2-6"));
  g_assert_null (clap_catalog_check_echo ("kling-motion-control", "3.0",
                                          "kling-video/kling-motion-control"));
  g_assert_null (clap_catalog_check_echo ("kling-motion-control", "3.0", "kling-v3"));
  g_assert_null (clap_catalog_check_echo ("kling-v2-6", NULL, "kling-video/kling-v2-6"));
  g_assert_null (clap_catalog_check_echo ("kling-v2-6", "2.6", "KLING-VIDEO/KLING-V2-6"));
  g_assert_null (clap_catalog_check_echo ("kling-v3", NULL, "kling-v3"));

  /* answers that name nothing, or a model Clapboard does not know was asked */
  g_assert_null (clap_catalog_check_echo ("kling-v3", NULL, NULL));
  g_assert_null (clap_catalog_check_echo ("kling-v3", NULL, ""));
  g_assert_null (clap_catalog_check_echo ("kling-v9", NULL, "kling-video/kling-v3"));

  /* a version a model does not have is not named */
  v3 = clap_catalog_check_echo ("kling-v3", "2.6", "kling-video/kling-v2-6");
  g_assert_nonnull (v3);
  g_assert_nonnull (strstr (v3, "not Kling 3 as asked"));

  /* the answered text is escaped and cut */
  escaped = clap_catalog_check_echo ("kling-v3", NULL, hostile);
  g_assert_nonnull (escaped);
  g_assert_null (strchr (escaped, '\x1b'));
  g_assert_nonnull (strstr (escaped, "evil\\x1B[2J"));
  g_assert_nonnull (strstr (escaped, "…"));
  g_assert_cmpuint (g_utf8_strlen (escaped, -1), <, 200);
}

int
main (int argc, char *argv[])
{
  /* Each test has its own configuration folder, for the files it writes. */
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  g_unsetenv ("CLAPBOARD_CATALOG");

  g_test_add_func ("/core/catalog/models", test_models);
  g_test_add_func ("/core/catalog/builtin", test_builtin);
  g_test_add_func ("/core/catalog/override/merge", test_override_merge);
  g_test_add_func ("/core/catalog/override/config-dir", test_override_config_dir);
  g_test_add_func ("/core/catalog/override/bad", test_override_bad);
  g_test_add_func ("/core/catalog/override/check-builtin", test_check_file_builtin);
  g_test_add_func ("/core/catalog/echo", test_echo);
  g_test_add_func ("/core/catalog/estimate/page-rows", test_estimate_rows);
  g_test_add_func ("/core/catalog/estimate/every-second", test_estimate_every_second);
  g_test_add_func ("/core/catalog/estimate/every-table-row", test_estimate_every_table_row);
  g_test_add_func ("/core/catalog/estimate/unsold", test_estimate_unsold);
  g_test_add_func ("/core/catalog/price-format", test_price_format);

  return g_test_run ();
}
